// The screen above one window (/display/{hall}/counter/{number}): the window, the number it calls
// or serves, 暂停服务 (and why) or 未开放, and the clerk on duty with their staff number. It follows
// the hall's public display feed and shows only this counter.
import { flash, followHall, HallClock, HallModel, pageData, priorityBadge } from "./hall_model.js";

// status: [caption before the number, what stands instead of a number]
const SHOWS = { calling: ["正在呼叫", null], serving: ["正在办理", null], idle: ["", "等候叫号"],
  paused: ["", "暂停服务"], closed: ["", "未开放"], retired: ["", "暂停使用"], unknown: ["", "—"] };

const $ = (id) => document.getElementById(id);
const data = pageData();
const model = new HallModel(data.hall);
const clock = new HallClock(model.zone);
const queueName = (code) => model.queues.get(code)?.name ?? code; // as the hall names it now (hall.changed)

/** This window as the model knows it; one the hall has retired (hall.changed) keeps its last name. */
let last = { number: data.counter, name: null, status: null, queues: [] };
function counter() {
  const c = model.counters.get(data.counter);
  if (c) last = c;
  return c ?? { ...last, status: "retired", ticket: null, clerk: null, queues: [] };
}

function show(id, text) {
  $(id).hidden = !text;
  $(id).textContent = text ?? "";
}

function render() {
  const c = counter(), status = c.status ?? "unknown";
  const [caption, instead] = SHOWS[status] ?? SHOWS.unknown;
  $("screen").dataset.status = status;
  const name = c.name || `${c.number}号窗口`;
  $("name").textContent = name.includes(String(c.number)) ? name : `${c.number}号 ${name}`;
  $("queues").textContent = (c.queues ?? []).map(queueName).join(" · ");
  $("hall").textContent = model.hall.name;
  $("clerk").hidden = !c.clerk || status === "closed";
  $("clerk-name").textContent = c.clerk?.name ?? "";
  $("clerk-no").textContent = c.clerk?.staff_no ? `工号 ${c.clerk.staff_no}` : "";
  show("caption", caption);
  $("main").textContent = instead ?? c.ticket?.number ?? "—";
  show("badge", instead ? null : priorityBadge(c.ticket));
  show("reason", status === "paused" ? c.pause_reason : null);
  document.title = `${name} · ${instead ?? c.ticket?.number ?? ""}`;
}

/** A call or recall at this window, as it happens, blinks; one replayed after a reconnect does not. */
function onEvent(event) {
  render();
  const call = event.type === "ticket.called" || event.type === "ticket.recalled";
  if (call && event.counter?.number === data.counter && model.fresh(event)) flash($("body"));
}

const feed = followHall(model, $("reconnecting"), {
  onSnapshot: render, onEvent, onTick: (now) => { $("time").textContent = clock.short.format(now); },
});
window.__display = { feed, state: { model, counter: data.counter } };
render();
