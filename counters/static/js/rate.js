// 好差评 tablet (/counter/{hall}/{n}/rate): follows the public display feed, lights up when this
// counter finishes a service (ticket.done), posts one rating, and goes back to idle after it or
// after 60 seconds. It never learns who the visitor is: the ticket number is all it shows. The
// rating API answers only this counter's device token, which the page carries (rate_page).
import { followHall, HallModel, pageData } from "./hall_model.js";

const IDLE_AFTER_MS = 60000, THANKS_MS = 4000;
const $ = (id) => document.getElementById(id);
const data = pageData();
const model = new HallModel(data.hall);
const state = { ticket: null, level: null, reasons: new Set(), timer: null, sending: false };
const rating = `/api/v1/halls/${encodeURIComponent(data.hall.code)}/counters/${data.counter}/rating`;
const auth = { Authorization: `Bearer ${data.token}` };

function show(mode) {
  $("tablet").dataset.mode = mode;
  for (const id of ["idle", "ask", "thanks"]) $(id).hidden = id !== mode;
}

function idleIn(ms) {
  clearTimeout(state.timer);
  state.timer = setTimeout(() => { state.ticket = null; show("idle"); }, ms);
}

function ask(ticket) {
  Object.assign(state, { ticket, level: null, sending: false });
  state.reasons.clear();
  $("ticket").textContent = ticket.number;
  $("why").hidden = true;
  $("error").hidden = true;
  document.querySelectorAll(".level").forEach((b) => b.classList.remove("chosen"));
  document.querySelectorAll(".reason").forEach((b) => b.setAttribute("aria-pressed", "false"));
  show("ask");
  idleIn(IDLE_AFTER_MS);
}

async function send() {
  if (!state.ticket || state.sending) return;
  state.sending = true;
  try {
    const response = await fetch(rating, {
      method: "POST", headers: { ...auth, "Content-Type": "application/json" },
      body: JSON.stringify({ ticket_id: state.ticket.id, level: state.level, reasons: [...state.reasons] }),
    });
    if (response.ok) {
      state.ticket = null;
      show("thanks");
      idleIn(THANKS_MS);
      return;
    }
    const body = await response.json().catch(() => null);
    $("error").textContent = body?.error?.message ?? "评价未能提交，请稍后再试";
  } catch {
    $("error").textContent = "网络连接失败，请稍后再试";
  }
  $("error").hidden = false;
  state.sending = false;
}

$("levels").addEventListener("click", (event) => {
  const button = event.target.closest(".level");
  if (!button) return;
  state.level = Number(button.dataset.level);
  document.querySelectorAll(".level").forEach((b) => b.classList.toggle("chosen", b === button));
  idleIn(IDLE_AFTER_MS);
  if (state.level <= data.unhappy) $("why").hidden = false;
  else send();
});
$("reasons").addEventListener("click", (event) => {
  const button = event.target.closest(".reason");
  if (!button) return;
  const reason = button.dataset.reason;
  if (state.reasons.has(reason)) state.reasons.delete(reason); else state.reasons.add(reason);
  button.setAttribute("aria-pressed", String(state.reasons.has(reason)));
  idleIn(IDLE_AFTER_MS);
});
$("submit").addEventListener("click", send);

/** On (re)loading: a service this counter finished within the last minute and not yet rated. */
async function pending() {
  try {
    const last = await (await fetch(rating, { headers: auth })).json();
    if (last.ticket && !last.rated && last.ticket.finished_ago_s * 1000 < IDLE_AFTER_MS && !state.ticket) {
      ask(last.ticket);
    }
  } catch { /* the next service lights the tablet up anyway */ }
}

followHall(model, $("reconnecting"), {
  onSnapshot: () => { pending(); },
  onEvent: (msg) => {
    // A replay after a reconnect is not a service that just finished.
    if (msg.type === "ticket.done" && msg.ticket?.counter === data.counter && model.fresh(msg)) ask(msg.ticket);
  },
});
show("idle");
