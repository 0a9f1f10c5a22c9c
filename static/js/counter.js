// The clerk's counter app (/counter/{hall}/{n}): sign in to the counter, call, serve and move
// tickets, live over the counter's own feed. The snapshot is the truth: events only tell the page
// that something it shows may have changed, and it asks for a fresh snapshot (throttled).
import { feedMark, pageData, PRIORITY } from "./hall_model.js";

const CHANNEL = { kiosk: "取号机", guide: "导办", appointment: "预约", online: "线上", counter: "窗口" };
const STATUS = { closed: "未签到", idle: "空闲", calling: "叫号中", serving: "办理中", paused: "暂停中" };
const TICKET_STATE = { called: "已呼叫，等待到窗", serving: "办理中" };
const RESYNC_MS = 150;
// What each state allows; the server checks again, this only spares the clerk a refusal.
const ALLOWED = {
  closed: [], paused: ["resume", "reinstate"], idle: ["call-next", "call", "reinstate", "pause"],
  calling: ["recall", "start", "finish", "no-show", "transfer", "reinstate"],
  serving: ["finish", "no-show", "transfer", "reinstate"],
};

const $ = (id) => document.getElementById(id);
const data = pageData();
const me = data.user;
const base = `/api/v1/halls/${encodeURIComponent(data.hall.code)}/counters/${data.counter}`;
const queueNames = new Map(data.hall.queues.map((q) => [q.code, q.name]));
const state = { snap: null, counter: null, busy: false, offset: 0, resyncTimer: null };
const buttons = [...document.querySelectorAll("[data-action]")].filter((b) => b.tagName === "BUTTON");

function element(tag, className, text) {
  const el = document.createElement(tag);
  if (className) el.className = className;
  if (text !== undefined) el.textContent = text;
  return el;
}

const now = () => Date.now() - state.offset;

function duration(seconds) {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return "—";
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}秒`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m}分${String(s % 60).padStart(2, "0")}秒` : `${Math.floor(m / 60)}小时${m % 60}分`;
}

const since = (iso) => (iso ? (now() - Date.parse(iso)) / 1000 : null);
const priorityLabel = (p) => (p && p !== "none" ? PRIORITY[p] ?? p : null);

// ------------------------------------------------------------------ messages
function alertText(text, kind = "error") {
  $("alert-text").textContent = text;
  $("alert").dataset.kind = kind;
  $("alert").hidden = !text;
}

// ------------------------------------------------------------------ rendering
function holderState() {
  const c = state.counter;
  if (!c || c.status === "closed") return "none";
  return c.clerk === me.username ? "me" : "other";
}

function allowed(action) {
  const c = state.counter;
  if (!c || state.busy) return false;
  const holder = holderState();
  if (action === "open") return holder !== "me";
  if (action === "close") return holder === "me" && (c.status === "idle" || c.status === "paused");
  if (holder === "other" && !me.manager) return false;
  return (ALLOWED[c.status] ?? []).includes(action);
}

function render() {
  const c = state.counter;
  const status = c?.status ?? "unknown";
  $("app").dataset.status = status;
  $("status").textContent = STATUS[status] ?? "连接中";
  if (c?.status === "paused" && c.pause_reason) $("status").textContent = `暂停中：${c.pause_reason}`;
  const holder = holderState();
  $("holder").textContent = holder === "other" ? `本窗口已由 ${c.clerk} 签到` : holder === "me" ? "已签到" : "";
  $("holder").classList.toggle("other", holder === "other");
  $("sign-in").hidden = holder === "me";
  $("sign-out").hidden = holder !== "me";
  $("takeover").hidden = !(holder === "other" && me.manager);
  $("pause").hidden = status === "paused";
  $("resume").hidden = status !== "paused";
  for (const button of buttons) button.disabled = !allowed(button.dataset.action);
  $("takeover").disabled = state.busy;
  renderTicket(c?.ticket ?? null, status);
  renderSide();
}

function renderTicket(ticket, status) {
  $("number").textContent = ticket?.number ?? "—";
  const prio = priorityLabel(ticket?.priority);
  $("priority").hidden = !prio;
  $("priority").textContent = prio ? `${prio}优先` : "";
  $("queue").textContent = ticket ? `${ticket.queue} ${queueNames.get(ticket.queue) ?? ""}` : "—";
  $("channel").textContent = ticket ? CHANNEL[ticket.channel] ?? ticket.channel : "—";
  const waited = ticket?.called_at && ticket?.issued_at
    ? (Date.parse(ticket.called_at) - Date.parse(ticket.issued_at)) / 1000 : null;
  $("waited").textContent = ticket ? duration(waited) : "—";
  $("ticket-state").textContent = ticket ? TICKET_STATE[ticket.status] ?? ticket.status : "—";
  $("visitor-row").hidden = !ticket?.visitor; // the masked name of the ID card read at the kiosk
  $("visitor").textContent = ticket?.visitor ?? "—";
  $("recalls").textContent = ticket?.recalls ? `（已重呼 ${ticket.recalls} 次）` : "";
  const hints = { closed: "请先签到", paused: "暂停中，按“恢复”继续叫号", idle: "按“呼叫下一位”开始" };
  $("hint").textContent = ticket ? "" : hints[status] ?? "";
}

function renderSide() {
  const snap = state.snap;
  if (!snap || !state.counter) return;
  const mine = state.counter.queues ?? [];
  const list = $("queues");
  list.replaceChildren(...mine.map((code) => {
    const q = snap.queues.find((x) => x.code === code) ?? { waiting: 0, longest_wait_s: 0 };
    const grown = q.waiting ? q.longest_wait_s + (now() - Date.parse(snap.at)) / 1000 : null;
    const li = element("li");
    li.append(element("span", "q-name", `${code} ${queueNames.get(code) ?? ""}`),
      element("span", "q-count", `等候 ${q.waiting} 人`), element("span", "q-wait", `最长 ${duration(grown)}`));
    return li;
  }));
  const next = snap.next ?? [];
  $("next").replaceChildren(...next.map((t) => {
    const li = element("li");
    li.dataset.number = t.number;
    li.append(element("span", "n-number", t.number));
    const prio = priorityLabel(t.priority);
    if (prio) li.append(element("span", "prio small", prio));
    if (t.channel === "appointment") li.append(element("span", "tag", "预约"));
    if (t.target_counter) li.append(element("span", "tag", "转入"));
    li.append(element("span", "n-wait", duration(since(t.issued_at))));
    return li;
  }));
  $("next-empty").hidden = next.length > 0;
  const today = snap.today ?? {};
  $("served").textContent = today.served ?? 0;
  $("average").textContent = duration(today.average_service_s);
  $("no-shows").textContent = today.no_shows ?? 0;
}

// ------------------------------------------------------------------ the feed
function onSnapshot(msg) {
  state.snap = msg;
  state.counter = msg.counter ?? null;
  if (msg.at) state.offset = Date.now() - (Date.parse(msg.at) + 500);
  render();
}

function concernsMe(msg) {
  const mine = state.counter?.queues ?? [];
  return msg.counter?.number === data.counter || msg.from_counter === data.counter
    || msg.ticket?.counter === data.counter || msg.ticket?.target_counter === data.counter
    || mine.includes(msg.ticket?.queue) || mine.includes(msg.from_queue) || msg.type.startsWith("counter.");
}

function resync() {
  if (state.resyncTimer) return;
  state.resyncTimer = setTimeout(() => {
    state.resyncTimer = null;
    feed.send({ type: "resync" });
  }, RESYNC_MS);
}

const showState = feedMark($("reconnecting"));
const feed = new window.LiveFeed(`/ws/halls/${encodeURIComponent(data.hall.code)}/counters/${data.counter}`, {
  gapless: true,
  onSnapshot,
  onEvent: (msg) => { if (concernsMe(msg)) resync(); },
  onState: (s, reason) => {
    document.documentElement.dataset.feed = s;
    showState(s, reason);
    if (s === "live") resync(); // a resumed feed sends only the missed events: make sure of the rest
    if (s === "refused") alertText(`无法连接本窗口：${reason || ""}`);
  },
});

// ------------------------------------------------------------------ actions
/** Applies an action's answer at once, before the feed's snapshot confirms it: so a second
 *  click never sees the state from before the first. */
function applyAnswer(action, body) {
  const c = state.counter;
  if (!c || !body) return;
  if (["open", "close", "pause", "resume"].includes(action)) {
    Object.assign(c, body);
    return;
  }
  const mineNow = body.counter === data.counter && (body.status === "called" || body.status === "serving");
  c.ticket = mineNow ? body : null;
  if (c.status !== "paused") c.status = mineNow ? (body.status === "serving" ? "serving" : "calling") : "idle";
}

async function act(action, payload) {
  if (state.busy) return false;
  state.busy = true;
  render();
  try {
    const response = await fetch(`${base}/${action}`, {
      method: "POST", headers: { "Content-Type": "application/json" }, credentials: "same-origin",
      body: JSON.stringify(payload ?? {}),
    });
    if (response.status === 401) {
      location.href = `/login?next=${encodeURIComponent(location.pathname)}`;
      return false;
    }
    if (response.status === 204) {
      alertText(action === "call-next" ? "当前没有等候的号" : "", "info");
      return true;
    }
    const body = await response.json().catch(() => null);
    if (!response.ok) {
      alertText(body?.error?.message ?? `操作失败（${response.status}）`);
      return false;
    }
    alertText("");
    applyAnswer(action, body);
    return true;
  } catch {
    alertText("网络连接失败，请稍后重试");
    return false;
  } finally {
    state.busy = false;
    render();
    resync();
  }
}

function openDialog(id) {
  const dialog = $(id);
  const form = dialog.querySelector("form");
  form.reset();
  dialog.querySelectorAll(".ticket-ref").forEach((el) => { el.textContent = state.counter?.ticket?.number ?? ""; });
  syncTransferMode();
  dialog.showModal();
}

function syncTransferMode() {
  const form = $("transfer-dialog").querySelector("form");
  const mode = form.elements.mode.value;
  form.querySelectorAll("[data-mode]").forEach((el) => { el.hidden = el.dataset.mode !== mode; });
}

function payloadOf(form) {
  const f = form.elements;
  switch (form.dataset.action) {
    case "transfer":
      return f.mode.value === "queue" ? { queue: f.queue.value, reason: f.reason.value }
        : { counter: Number(f.counter.value), reason: f.reason.value };
    case "pause": return { reason: f.reason.value };
    default: return { number: f.number.value.trim().toUpperCase() };
  }
}

for (const button of buttons) {
  button.addEventListener("click", () => {
    if (button.disabled) return;
    if (button.dataset.dialog) openDialog(button.dataset.dialog);
    else act(button.dataset.action);
  });
}

for (const dialog of document.querySelectorAll("dialog")) {
  const form = dialog.querySelector("form");
  form.addEventListener("submit", (event) => {
    if (event.submitter?.value !== "ok") return;
    event.preventDefault();
    if (!form.reportValidity()) return;
    dialog.close();
    act(form.dataset.action, payloadOf(form));
  });
}
$("transfer-dialog").addEventListener("change", syncTransferMode);

$("takeover").addEventListener("click", async () => {
  // A manager takes the counter over: sign the holder out (refused while a ticket is current:
  // finish or move it first), then sign in as the manager.
  if (await act("close")) await act("open");
});
$("alert-close").addEventListener("click", () => alertText(""));

document.addEventListener("keydown", (event) => {
  if (event.ctrlKey || event.altKey || event.metaKey || document.querySelector("dialog[open]")) return;
  if (event.target.closest?.("input, select, textarea")) return;
  const button = buttons.find((b) => b.dataset.key === event.key && !b.hidden && !b.disabled);
  if (!button) return;
  event.preventDefault();
  button.click();
});

setInterval(() => { if (state.snap) renderSide(); }, 1000);
feed.start();
render();
