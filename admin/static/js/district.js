// 全区概览 (/district): a card per hall the account manages. Each hall's public display feed keeps
// its waiting, longest wait and open counters live (the shared HallModel); GET /api/v1/district
// gives every figure every 30 s, and the only ones the feeds cannot: 今日办结 and 今日满意度.
import { api, duration, message, refusal } from "./dashboard_common.js";
import { followHall, HallModel, pageData } from "./hall_model.js";

const REFRESH_MS = 30000;
const LONGEST_AFTER_MS = 2000; // a call may end the longest wait: ask that hall's snapshot this soon after
const FEED_LABEL = { live: "实时", connecting: "正在连接…", offline: "正在重新连接…", refused: "无法连接" };

const $ = (id) => document.getElementById(id);
const data = pageData();
const timeFormat = new Intl.DateTimeFormat("zh-CN", { timeZone: "Asia/Shanghai", hour: "2-digit", minute: "2-digit",
  second: "2-digit", hourCycle: "h23" });

/** Per hall: its card, the figures last asked for, its model and feed, and its longest wait as
 *  {s, at}: s seconds at Date.now() = at, growing while anyone waits (null: nobody waits). */
const halls = new Map();

for (const row of data.halls) {
  const card = document.querySelector(`.hall-card[data-hall="${CSS.escape(row.code)}"]`);
  if (!card) continue;
  halls.set(row.code, { card, row, model: null, feed: null, state: "connecting", longest: longestOf(row.longest_wait_s),
    asked: null });
}

function longestOf(seconds) {
  return seconds === null || seconds === undefined ? null : { s: seconds, at: Date.now() };
}

// ------------------------------------------------------------------ figures
/** The live figures where the hall's feed is live, else those last asked for. */
function figures(hall) {
  const { row, model, state } = hall;
  if (state !== "live" || !model || model.seq === null) {
    return { waiting: row.waiting, open: row.open_counters, counters: row.counters };
  }
  const queues = [...model.queues.values()], counters = [...model.counters.values()];
  return {
    waiting: queues.reduce((sum, q) => sum + (q.waiting ?? 0), 0),
    open: counters.filter((c) => c.status && c.status !== "closed").length,
    counters: counters.length,
  };
}

function satisfaction(row) {
  if (row.satisfaction === null || row.satisfaction === undefined) return ["暂无评价", null];
  const share = Math.round(row.satisfaction * 1000) / 10;
  return [`${share}%`, `${row.ratings} 条评价`];
}

/** One figure: its value, then a unit or note in small type; a word instead of a number (暂无评价)
 *  is set quieter. */
function show(card, name, text, note) {
  const dd = card.querySelector(`[data-figure="${name}"]`);
  dd.replaceChildren(text);
  dd.classList.toggle("quiet", !/\d/.test(text));
  if (note) {
    const small = document.createElement("small");
    small.textContent = note;
    dd.append(small);
  }
}

function render(hall) {
  const { card, row } = hall;
  const now = figures(hall);
  const waitingNow = now.waiting > 0;
  const longest = waitingNow && hall.longest ? hall.longest.s + (Date.now() - hall.longest.at) / 1000 : null;
  show(card, "waiting", String(now.waiting), "人");
  show(card, "longest", waitingNow ? duration(longest) : "无人等候");
  show(card, "open", `${now.open} / ${now.counters}`);
  show(card, "served", String(row.served_today), "件");
  const [share, note] = satisfaction(row);
  show(card, "satisfaction", share, note);
  card.classList.toggle("busy", waitingNow);
  card.querySelector("[data-name]").textContent = hall.model?.hall.name || row.name;
  card.dataset.waiting = String(now.waiting); // for the browser tests
  return now;
}

function renderAll() {
  let waiting = 0, open = 0, counters = 0, served = 0;
  for (const hall of halls.values()) {
    const now = render(hall);
    waiting += now.waiting;
    open += now.open;
    counters += now.counters;
    served += hall.row.served_today;
  }
  $("totals").textContent = `全区合计：等候 ${waiting} 人 · 开放窗口 ${open} / ${counters} · 今日办结 ${served} 件`;
  $("clock").textContent = timeFormat.format(new Date());
}

// ------------------------------------------------------------------ live: each hall's display feed
function longestFromSnapshot(queues) {
  const waits = queues.filter((q) => q.waiting > 0).map((q) => q.longest_wait_s ?? 0);
  return waits.length ? { s: Math.max(...waits), at: Date.now() } : null;
}

/** A call or a cancel may have taken the longest waiter away: that hall's snapshot says who waits
 *  longest now (asked once for a burst of calls). */
function askLongest(hall) {
  if (hall.asked) return;
  hall.asked = setTimeout(async () => {
    hall.asked = null;
    const { ok, body } = await api("GET", `/api/v1/halls/${encodeURIComponent(hall.row.code)}/snapshot`);
    if (ok && Array.isArray(body?.queues)) hall.longest = longestFromSnapshot(body.queues);
    render(hall);
  }, LONGEST_AFTER_MS);
}

function follow(hall) {
  const { card, row } = hall;
  hall.model = new HallModel({ code: row.code, name: row.name, queues: [], counters: [] });
  let before = row.waiting;
  hall.feed = followHall(hall.model, null, {
    onSnapshot: (msg) => {
      hall.longest = longestFromSnapshot(msg.queues);
      before = figures(hall).waiting;
      renderAll();
    },
    onEvent: (msg) => {
      const now = figures(hall).waiting;
      if (now > 0 && !(before > 0)) hall.longest = { s: 0, at: Date.now() }; // the first one waits from now
      if (["ticket.called", "ticket.cancelled", "ticket.transferred"].includes(msg.type) && now > 0) askLongest(hall);
      before = now;
      renderAll();
    },
    onState: (state) => {
      hall.state = state;
      card.dataset.feed = state;
      card.querySelector("[data-feed-label]").textContent = FEED_LABEL[state] ?? "";
      renderAll();
    },
  });
}

// ------------------------------------------------------------------ every 30 s: the whole
async function refresh() {
  const result = await api("GET", "/api/v1/district");
  if (result.status === 401) {
    location.href = "/login?next=/district";
    return;
  }
  if (!result.ok) {
    message(refusal(result, "全区概览刷新失败"));
    return;
  }
  message("");
  for (const row of result.body.halls ?? []) {
    const hall = halls.get(row.code);
    if (!hall) continue;
    hall.row = row;
    hall.longest = longestOf(row.longest_wait_s);
  }
  renderAll();
  document.documentElement.dataset.refreshed = String(Date.now()); // for the browser tests
}

$("message-close")?.addEventListener("click", () => message(""));
for (const hall of halls.values()) follow(hall);
renderAll();
setInterval(renderAll, 1000); // the longest waits grow
setInterval(refresh, REFRESH_MS);
window.__district = { halls, refresh }; // for the browser tests
