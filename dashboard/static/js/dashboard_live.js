// 实时: the dashboard feed's snapshot (with its `stats`) drawn as a table of queues and a card per
// counter, the cases near or past their due date, the charts, the alerts (sounded until
// acknowledged) and the manager's actions on counters, queues and the hall notice.
// The snapshot is the truth: a hall event only tells the page that its figures may have changed,
// and it asks for a fresh snapshot, at most once a second.
import { changedLayout, feedMark, layoutKey, refill } from "./hall_model.js";
import { waitMinutes } from "./wait.js";
import {
  $, api, clock, confirmThen, counterNames, data, duration, element, HALL, hallPath, hhmm, message, now,
  queueNames, refusal, runDialog, secondsSince, stamp,
} from "./dashboard_common.js";

const RESYNC_EVERY_MS = 1000;

// 预计等候: what a visitor taking a number now is shown (约 5 分钟, or the range when it is wide:
// docs/eta.md), the estimate itself on hover.
function etaCell(q) {
  if (!q.waiting || q.eta_s === null || q.eta_s === undefined) return element("td", "num eta", "—");
  const cell = element("td", "num eta", `约 ${waitMinutes(q.eta_s, q.eta_range_s)} 分钟`);
  cell.title = `预计 ${duration(q.eta_s)}`;
  return cell;
}
const CHIME_EVERY_MS = 30000;
const CHART_EVERY_MS = 60000;
const STATS_EVERY_MS = 30000;
const STATUS = { closed: "未开放", idle: "空闲", calling: "叫号中", serving: "办理中", paused: "暂停中" };
const SEVERITY = { critical: "紧急", warning: "提醒" };

const state = { targets: {}, snap: null, at: 0, alerts: [], due: { soon: [], overdue: [] }, lastResync: 0,
  resyncTimer: null, layout: layoutKey(data.hall) };

// ------------------------------------------------------------------ figures
/** Seconds gone since the snapshot: durations that run on between snapshots grow by this. */
const drift = () => (state.snap ? Math.max(0, (now() - state.at) / 1000) : 0);

function queuesOf(snap) {
  const stats = new Map((snap.stats?.queues ?? []).map((q) => [q.code, q]));
  return (snap.queues ?? []).map((q) => ({ ...q, ...(stats.get(q.code) ?? {}) }));
}

function countersOf(snap) {
  const stats = new Map((snap.stats?.counters ?? []).map((c) => [c.number, c]));
  return (snap.counters ?? []).map((c) => ({ ...c, ...(stats.get(c.number) ?? {}) }));
}

function renderQueues() {
  const snap = state.snap;
  const grow = drift();
  $("queue-rows").replaceChildren(...queuesOf(snap).map((q) => {
    const tr = element("tr");
    tr.dataset.queue = q.code;
    const longest = q.waiting ? (q.longest_wait_s ?? 0) + grow : null;
    const target = state.targets[q.code] ?? state.targets.default ?? 20;
    tr.classList.toggle("long", longest !== null && longest >= target * 60);
    const longestCell = element("td", "num", duration(longest));
    if (q.waiting) {
      longestCell.dataset.grow = q.longest_wait_s ?? 0;
      longestCell.dataset.target = target * 60; // the row turns red as the wait passes the target
    }
    const move = element("button", "small ghost", "转移");
    move.type = "button";
    move.addEventListener("click", () => openMove(q.code));
    tr.append(element("td", "name", `${q.code} ${q.name ?? queueNames.get(q.code) ?? ""}`),
      element("td", "num waiting", q.waiting ?? 0), longestCell,
      element("td", "num", duration(q.avg_wait_last_hour_s)), etaCell(q),
      element("td", "num", q.served_today ?? "—"));
    const cell = element("td", "act");
    cell.append(move);
    tr.append(cell);
    return tr;
  }));
}

function counterCard(c, grow) {
  const li = element("li", "counter-card");
  li.dataset.number = c.number;
  li.dataset.status = c.status ?? "closed";
  const head = element("div", "c-head");
  head.append(element("span", "c-name", c.name ?? counterNames.get(c.number) ?? `${c.number}号窗口`),
    element("span", "chip", c.status === "paused" && c.pause_reason ? `暂停：${c.pause_reason}` : STATUS[c.status] ?? "—"));
  const clerk = c.clerk ? `${c.clerk.name ?? ""}${c.clerk.staff_no ? `（${c.clerk.staff_no}）` : ""}` : "—";
  const facts = element("dl", "c-facts");
  const fact = (label, value, cls, growFrom) => {
    const div = element("div", cls);
    const dd = element("dd", null, value);
    if (growFrom !== undefined && growFrom !== null) {
      dd.dataset.grow = growFrom;
      if (value.includes(" · ")) dd.dataset.prefix = value.split(" · ")[0] + " · ";
    }
    div.append(element("dt", null, label), dd);
    facts.append(div);
  };
  fact("工作人员", clerk, "wide");
  const since = c.ticket ? (c.ticket_since_s ?? secondsSince(c.ticket.called_at)) : null;
  fact("当前号", c.ticket ? `${c.ticket.number} · ${duration(since !== null ? since + grow : null)}` : "—", "wide",
    c.ticket && since !== null ? since : null);
  fact("今日办结", c.served_today ?? "—");
  fact("平均办理", duration(c.average_service_s));
  const pausedToday = (c.paused_s_today ?? 0) + (c.status === "paused" ? grow : 0);
  fact("今日暂停", c.paused_s_today === undefined ? "—" : duration(pausedToday), null,
    c.status === "paused" && c.paused_s_today !== undefined ? c.paused_s_today : null);
  fact("队列", (c.queues ?? []).join("、") || "—");
  if (c.status === "paused") {
    fact("暂停自", `${hhmm(c.paused_since)}${c.pause_reason ? ` · ${c.pause_reason}` : ""}`, "wide paused");
  }
  const actions = element("div", "c-actions");
  const button = (text, cls, handler) => {
    const b = element("button", `small ${cls}`, text);
    b.type = "button";
    b.dataset.act = text;
    b.addEventListener("click", handler);
    actions.append(b);
  };
  if (c.status === "paused") button("恢复", "go", () => resumeCounter(c));
  else if (c.status !== "closed") button("暂停", "warn", () => pauseCounter(c));
  if (c.status !== "closed") button("关闭", "ghost", () => closeCounter(c));
  button("队列", "ghost", () => openQueues(c.number));
  li.append(head, facts, actions);
  return li;
}

function renderCounters() {
  const counters = countersOf(state.snap);
  const grow = drift();
  $("counter-cards").replaceChildren(...counters.map((c) => counterCard(c, grow)));
  const open = counters.filter((c) => c.status && c.status !== "closed").length;
  const paused = counters.filter((c) => c.status === "paused").length;
  $("counter-summary").textContent = `开放 ${open} / ${counters.length}${paused ? `，暂停 ${paused}` : ""}`;
}

function render() {
  if (!state.snap) return;
  renderQueues();
  renderCounters();
  $("notice").textContent = state.snap.notice || "无";
}

function renderDue() {
  const row = (c, overdue) => {
    const li = element("li", overdue ? "overdue" : "soon");
    li.append(element("span", "tag", overdue ? "超期" : "临近"), element("b", null, c.receipt_no),
      element("span", "item", c.item?.name ?? ""), element("span", "status", c.status_label ?? c.status ?? ""),
      element("span", "due-at", `时限 ${c.due_at ?? "—"}`));
    return li;
  };
  const due = state.due;
  $("due-list").replaceChildren(...due.overdue.map((c) => row(c, true)), ...due.soon.map((c) => row(c, false)));
  $("due-empty").hidden = due.overdue.length + due.soon.length > 0;
}

// ------------------------------------------------------------------ alerts, and their chime
const chime = { enabled: false, lastAt: 0, known: new Set(), plays: 0 };
const unacked = () => state.alerts.filter((a) => !a.acked);

function renderAlerts() {
  const order = (a) => (a.acked ? 2 : 0) + (a.severity === "critical" ? 0 : 1);
  const alerts = [...state.alerts].sort((a, b) => order(a) - order(b) || String(a.since).localeCompare(String(b.since)));
  $("alert-list").replaceChildren(...alerts.map((a) => {
    const li = element("li", `alert-item ${a.severity === "critical" ? "critical" : "warning"}`);
    li.dataset.id = a.id;
    li.dataset.kind = a.kind;
    li.dataset.acked = a.acked ? "true" : "false";
    const head = element("div", "a-head");
    head.append(element("span", "sev", SEVERITY[a.severity] ?? "提醒"), element("b", "a-title", a.title));
    const since = element("p", "a-since");
    since.dataset.since = a.since ?? "";
    li.append(head, element("p", "a-action", a.action ? `处理建议：${a.action}` : ""), since);
    if (a.acked) {
      li.append(element("p", "a-acked", `已确认 · ${a.acked.by ?? ""} ${hhmm(a.acked.at)}`));
    } else {
      const ack = element("button", "ack", "确认");
      ack.type = "button";
      ack.addEventListener("click", () => acknowledge(a, ack));
      li.append(ack);
    }
    return li;
  }));
  $("alert-empty").hidden = alerts.length > 0;
  runOn();
  const open = unacked().length;
  $("alert-count").hidden = open === 0;
  $("alert-count").textContent = open;
  const panel = $("alerts-panel");
  panel.dataset.unacked = open;
  panel.classList.toggle("sounding", open > 0);
  panel.classList.toggle("critical", unacked().some((a) => a.severity === "critical"));
  document.title = `${open ? `（${open}）` : ""}${data.hall.name} · 督查看板`;
}

function ring() {
  chime.lastAt = Date.now();
  chime.plays += 1;
  $("alerts-panel").dataset.chimes = chime.plays;
  const audio = $("chime");
  audio.currentTime = 0;
  audio.play().then(() => { enableSound(true); }).catch(() => { enableSound(false); });
}

/** Sounds at once for an alert not seen before, and every 30 s while any is unacknowledged. */
function sound() {
  const open = unacked();
  const fresh = open.some((a) => !chime.known.has(a.id));
  for (const a of state.alerts) chime.known.add(a.id);
  if (!open.length) return;
  if (fresh || Date.now() - chime.lastAt >= CHIME_EVERY_MS) ring();
}

function enableSound(on) {
  chime.enabled = on;
  const button = $("sound");
  button.setAttribute("aria-pressed", String(on));
  button.textContent = on ? "提示音已开启" : "开启提示音";
  button.classList.toggle("needed", !on && unacked().length > 0);
}

$("sound").addEventListener("click", () => {
  // A click is the gesture a browser waits for before it lets a page play sound.
  const audio = $("chime");
  audio.currentTime = 0;
  audio.play().then(() => enableSound(true)).catch(() => enableSound(false));
});

async function acknowledge(alert, button) {
  button.disabled = true;
  const result = await api("POST", `${hallPath}/alerts/${encodeURIComponent(alert.id)}/ack`, {});
  button.disabled = false;
  if (!result.ok) {
    message(refusal(result, "确认告警失败"));
    return;
  }
  const acked = result.body?.acked ?? result.body?.alert?.acked ?? { by: data.user.name, at: new Date(now()).toISOString() };
  state.alerts = state.alerts.map((a) => (a.id === alert.id ? { ...a, acked } : a));
  renderAlerts();
}

// ------------------------------------------------------------------ charts
function refreshCharts() {
  for (const img of document.querySelectorAll("img[data-chart]")) {
    img.closest("figure").classList.remove("broken");
    img.src = `${hallPath}/charts/${img.dataset.chart}.svg?t=${Date.now()}`;
  }
}
for (const img of document.querySelectorAll("img[data-chart]")) {
  img.addEventListener("error", () => img.closest("figure").classList.add("broken"));
}

// ------------------------------------------------------------------ the feed
function resync() {
  if (state.resyncTimer) return;
  const wait = Math.max(0, state.lastResync + RESYNC_EVERY_MS - Date.now());
  state.resyncTimer = setTimeout(() => {
    state.resyncTimer = null;
    if (feed.send({ type: "resync" })) state.lastResync = Date.now();
  }, wait);
}

// ------------------------------------------------------------------ the hall's layout, live
/** Labels keyed by queue code in a fieldset (the dialogs' checkboxes and targets), each kept with
 *  what was typed or ticked in it while its queue stays; `build(q)` makes a new one's input. */
function keyedLabels(fieldset, queues, find, build) {
  const labels = queues.map((q) => {
    const input = find(q.code) ?? build(q);
    const label = input.closest("label") ?? element("label");
    label.replaceChildren(...(input.type === "checkbox" ? [input, ` ${q.code} ${q.name}`] : [`${q.code} ${q.name} `, input]));
    return label;
  });
  fieldset.replaceChildren(fieldset.querySelector("legend"), ...labels);
}

/** A new layout (hall.changed, or the queues and counters of a snapshot): the names the other tabs
 *  use, the dialogs' queues and windows, the hall's name. The table and the cards follow the snapshot. */
function followLayout(change) {
  const hall = changedLayout(data.hall, change);
  const key = layoutKey(hall);
  if (key === state.layout) return;
  state.layout = key;
  data.hall = hall;
  queueNames.clear();
  for (const q of hall.queues) queueNames.set(q.code, q.name);
  counterNames.clear();
  for (const c of hall.counters) counterNames.set(c.number, c.name);
  const queueOptions = hall.queues.map((q) => [q.code, `${q.code} ${q.name}`]);
  const move = $("move-dialog").querySelector("form");
  refill(move.elements.from, queueOptions);
  refill(move.elements.to, queueOptions);
  const picks = $("queues-dialog").querySelector("form");
  refill(picks.elements.counter, hall.counters.map((c) => [c.number, c.name]));
  keyedLabels(picks.querySelector("fieldset.queue-picks"), hall.queues,
    (code) => picks.querySelector(`input[name=queue][value="${CSS.escape(code)}"]`), (q) => {
      const box = element("input");
      Object.assign(box, { type: "checkbox", name: "queue", value: q.code });
      return box;
    });
  const settings = $("settings-dialog").querySelector("form");
  keyedLabels(settings.querySelector("fieldset.queue-targets"), hall.queues,
    (code) => settings.querySelector(`input[data-queue="${CSS.escape(code)}"]`), (q) => {
      const input = element("input");
      Object.assign(input, { type: "number", name: `target-${q.code}`, min: "1", max: "600" });
      input.dataset.queue = q.code;
      return input;
    });
  document.querySelector(".bar .hall").textContent = hall.name;
  renderAlerts(); // the page's title names the hall
}

function onSnapshot(msg) {
  followLayout({ name: msg.hall?.name, queues: msg.queues, counters: msg.counters });
  if (msg.at) clock.offset = Date.now() - (Date.parse(msg.at) + 500);
  state.snap = msg;
  state.at = now();
  render();
}

function onMessage(msg) {
  if (msg.type === "alerts") {
    // The server's clock may have jumped (an injected clock), with no hall event: fresh figures too.
    if (msg.at) clock.offset = Date.now() - (Date.parse(msg.at) + 500);
    resync();
    state.alerts = msg.alerts ?? [];
    renderAlerts();
    sound();
  } else if (msg.type === "cases.due") {
    state.due = { soon: msg.soon ?? [], overdue: msg.overdue ?? [] };
    renderDue();
  } else {
    // the managers' own messages (feedback.new, escalation.new …) for the tabs that want them
    document.dispatchEvent(new CustomEvent("dashboard:message", { detail: msg }));
  }
}

const showState = feedMark($("reconnecting"));
const feed = new window.LiveFeed(`/ws/halls/${encodeURIComponent(HALL)}/dashboard`, {
  gapless: true,
  onSnapshot,
  onEvent: (msg) => {
    if (msg.type === "hall.changed") followLayout(msg);
    resync();
  },
  onMessage,
  onState: (s, reason) => {
    document.documentElement.dataset.feed = s;
    showState(s, reason);
    if (s === "refused") message(`无法连接督查看板：${reason || ""}`);
  },
});

// ------------------------------------------------------------------ actions
async function counterAction(number, action, body) {
  const result = await api("POST", `${hallPath}/counters/${number}/${action}`, body ?? {});
  resync();
  return result.ok ? null : refusal(result);
}

const counterLabel = (c) => c.name ?? counterNames.get(c.number) ?? `${c.number}号窗口`;

function pauseCounter(c) {
  const dialog = $("pause-dialog");
  return runDialog(dialog, {
    prepare: () => { dialog.querySelector(".counter-ref").textContent = counterLabel(c); },
    submit: (form) => counterAction(c.number, "pause", { reason: form.elements.reason.value }),
  });
}

function resumeCounter(c) {
  return confirmThen(`恢复 ${counterLabel(c)}？`, "窗口将继续叫号。", () => counterAction(c.number, "resume"));
}

function closeCounter(c) {
  return confirmThen(`关闭 ${counterLabel(c)}？`, "窗口将签退并停止叫号；正在办理的号须先办结或转移。",
    () => counterAction(c.number, "close"));
}

function openMove(from) {
  return runDialog($("move-dialog"), {
    prepare: (form) => {
      if (from) form.elements.from.value = from;
      const other = data.hall.queues.find((q) => q.code !== form.elements.from.value);
      if (other) form.elements.to.value = other.code;
    },
    submit: async (form) => {
      const f = form.elements;
      if (f.from.value === f.to.value) return "转出与转入队列不能相同";
      const body = { to: f.to.value };
      if (f.count.value) body.count = Number(f.count.value);
      const result = await api("POST", `${hallPath}/queues/${encodeURIComponent(f.from.value)}/move`, body);
      resync();
      if (!result.ok) return refusal(result);
      const moved = result.body?.moved ?? [];
      message(moved.length ? `已将 ${moved.length} 个等候号从 ${f.from.value} 转到 ${f.to.value}`
        : `${f.from.value} 队列没有等候号，未转移`, "info");
      return null;
    },
  });
}

function openQueues(number) {
  const tick = (form) => {
    const n = Number(form.elements.counter.value);
    const current = countersOf(state.snap ?? { counters: [] }).find((c) => c.number === n)?.queues
      ?? data.hall.counters.find((c) => c.number === n)?.queues ?? [];
    for (const box of form.querySelectorAll("input[name=queue]")) box.checked = current.includes(box.value);
  };
  const dialog = $("queues-dialog");
  const form = dialog.querySelector("form");
  form.elements.counter.onchange = () => tick(form);
  return runDialog(dialog, {
    prepare: () => {
      if (number) form.elements.counter.value = String(number);
      tick(form);
    },
    submit: async () => {
      const queues = [...form.querySelectorAll("input[name=queue]:checked")].map((b) => b.value);
      if (!queues.length) return "请至少选择一个队列";
      const result = await api("PUT", `${hallPath}/counters/${form.elements.counter.value}/queues`, { queues });
      resync();
      return result.ok ? null : refusal(result);
    },
  });
}

function openNotice() {
  return runDialog($("notice-dialog"), {
    prepare: (form) => { form.elements.notice.value = state.snap?.notice ?? ""; },
    submit: async (form) => {
      const result = await api("PUT", `${hallPath}/notice`, { notice: form.elements.notice.value });
      resync();
      if (!result.ok) return refusal(result);
      if (state.snap) state.snap.notice = result.body?.notice ?? form.elements.notice.value;
      render();
      return null;
    },
  });
}

async function loadSettings() {
  const result = await api("GET", `${hallPath}/alert-settings`);
  if (result.ok) state.targets = result.body?.wait_target_min ?? {};
  return result;
}

async function openSettings() {
  const loaded = await loadSettings();
  if (!loaded.ok) {
    message(refusal(loaded, "无法读取告警设置"));
    return false;
  }
  const settings = loaded.body;
  return runDialog($("settings-dialog"), {
    prepare: (form) => {
      const f = form.elements;
      f.default.value = settings.wait_target_min?.default ?? "";
      f.crowded_per_counter.value = settings.crowded_per_counter ?? "";
      f.pause_max_min.value = settings.pause_max_min ?? "";
      for (const input of form.querySelectorAll("input[data-queue]")) {
        input.value = settings.wait_target_min?.[input.dataset.queue] ?? "";
      }
    },
    submit: async (form) => {
      const f = form.elements;
      const targets = { default: Number(f.default.value) };
      for (const input of form.querySelectorAll("input[data-queue]")) {
        if (input.value) targets[input.dataset.queue] = Number(input.value);
      }
      const result = await api("PUT", `${hallPath}/alert-settings`, {
        wait_target_min: targets, crowded_per_counter: Number(f.crowded_per_counter.value),
        pause_max_min: Number(f.pause_max_min.value),
      });
      if (!result.ok) return refusal(result);
      state.targets = result.body?.wait_target_min ?? targets;
      render();
      return null;
    },
  });
}
$("settings-open").addEventListener("click", openSettings);

const OPENERS = { "move-dialog": () => openMove(), "queues-dialog": () => openQueues(), "notice-dialog": openNotice };
for (const button of document.querySelectorAll("[data-open]")) {
  button.addEventListener("click", () => OPENERS[button.dataset.open]());
}

/** The durations that run on between snapshots, updated in place (no button is ever replaced
 *  under the manager's pointer). */
function runOn() {
  $("clock").textContent = stamp(new Date(now()).toISOString());
  const grow = drift();
  for (const el of document.querySelectorAll("[data-grow]")) {
    const seconds = Number(el.dataset.grow) + grow;
    el.textContent = `${el.dataset.prefix ?? ""}${duration(seconds)}`;
    if (el.dataset.target) el.closest("tr").classList.toggle("long", seconds >= Number(el.dataset.target));
  }
  for (const el of document.querySelectorAll(".a-since")) {
    const iso = el.dataset.since;
    const s = secondsSince(iso);
    el.textContent = iso ? `自 ${stamp(iso)} 起${s !== null && s >= 1 ? `，已持续 ${duration(s)}` : ""}` : "";
  }
}

// ------------------------------------------------------------------ start
export function startLive() {
  loadSettings().then(render);
  feed.start();
  refreshCharts();
  setInterval(refreshCharts, CHART_EVERY_MS);
  setInterval(resync, STATS_EVERY_MS); // averages over the last hour move without any event
  const tick = () => {
    runOn();
    sound();
  };
  tick();
  setInterval(tick, 1000);
}
