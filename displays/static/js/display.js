// The hall's wall screen (/display/{hall}): the newest call large, the calls before it, every
// window's state, each queue's waiting and estimate, the date and time, and the manager's notice,
// all live over the public display feed; each fresh call spoken by window.Announcer.
//
// Address options: ?queues=A,B  only those themes (their panels, calls, counters and announcements)
//                  ?repeat=N     how many times a call is spoken (default 2)
//                  ?rate=R       speaking speed (default 1)
//                  ?token=T      a display token, if the hall gives its screens one
import { flash, followHall, HallClock, HallModel, pageData, priorityBadge } from "./hall_model.js";
import { hoursText } from "./opening_hours.js";
import { waitMinutes } from "./wait.js";

const REFRESH_MS = 30000; // the queues' estimates come from snapshots: fetch one this often
const SOON_MS = 1500; // sooner, when a queue's estimate is unknown
const RECENT_SHOWN = 8;
const DEFAULT_NOTICE = "请按叫号顺序到对应窗口办理业务，特殊群体（老年人、残疾人、孕妇等）优先办理";
const TILE = {
  calling: ["叫号中", null], serving: ["办理中", null], idle: ["", "空闲"], paused: ["", "暂停服务"],
  closed: ["", "未开放"],
};

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const data = pageData();
const model = new HallModel(data.hall);
const clock = new HallClock(model.zone);
const wanted = chosenQueues(params.get("queues"));
let only = null; // the wanted queues the hall has now (null: every queue), kept in step with its layout

const announcer = new window.Announcer({
  repeat: Math.round(option("repeat", 2, 1, 5)), rate: option("rate", 1, 0.5, 10),
  onStart: renderSpeech, onEnd: renderSpeech,
});
const state = { model, only: null, audio: false, day: null, tiles: new Map(), panels: new Map(), layout: null };
let refreshTimer = null;

function option(name, fallback, min, max) {
  const value = Number(params.get(name) ?? NaN);
  return Number.isFinite(value) ? Math.min(max, Math.max(min, value)) : fallback;
}

function chosenQueues(raw) {
  return (raw ?? "").split(",").map((c) => c.trim().toUpperCase()).filter(Boolean);
}

/** The parts that depend on the hall's layout, when it changed (hall.changed, or a snapshot after
 *  a gap): the queues ?queues= picks among those the hall has now (none of them: every queue), the
 *  hall's name, and the tiles of retired counters and queues forgotten. */
function followLayout() {
  const key = model.layoutKey();
  if (key === state.layout) return;
  state.layout = key;
  const known = wanted.filter((code) => model.queues.has(code));
  only = known.length ? new Set(known) : null;
  state.only = only && [...only];
  $("hall").textContent = model.hall.name;
  document.title = `${only ? `${[...only].join("、")} · ` : ""}叫号大屏 · ${model.hall.name} · OneWindow`;
  for (const number of [...state.tiles.keys()]) if (!model.counters.has(number)) state.tiles.delete(number);
  for (const code of [...state.panels.keys()]) if (!model.queues.has(code)) state.panels.delete(code);
}

/** The settings the screen shows (大厅设置: hall.changed, every snapshot, the page's data): its English
 *  labels only while display_languages hold "en", and the opening hours in the bottom line. */
function followSettings(settings) {
  if (!settings) return;
  if (Array.isArray(settings.display_languages)) {
    $("screen").dataset.english = String(settings.display_languages.includes("en"));
  }
  if ("opening_hours" in settings) {
    const text = hoursText(settings.opening_hours);
    $("hours-line").hidden = text === null;
    $("hours").textContent = text ?? "";
    if ($("hours").dataset.shown !== (text ?? "")) {
      $("hours").dataset.shown = text ?? "";
      pace(); // the notice's room changed
    }
  }
}

const shown = (queue) => only === null || only.has(queue);
const servesShown = (counter) => only === null || (counter.queues ?? []).some(shown);
const counterName = (number) => model.counters.get(number)?.name || `${number}号窗口`;

function element(tag, className, text) {
  const el = document.createElement(tag);
  if (className) el.className = className;
  if (text !== undefined) el.textContent = text;
  return el;
}

function badge(ticket, short) {
  const label = priorityBadge(ticket);
  return label ? element("span", "badge", short ? "优先" : label) : null;
}

/** Today's calls of the shown queues, newest first, each ticket once (a recall or a transfer
 *  moves it to the top). */
function calls() {
  const today = model.day(model.now()), seen = new Set(), out = [];
  for (const call of model.recent) {
    if (!shown(call.ticket.queue) || model.day(call.at) !== today || seen.has(call.ticket.id)) continue;
    seen.add(call.ticket.id);
    out.push(call);
  }
  return out;
}

function render() {
  followLayout();
  const list = calls();
  renderCall(list[0]);
  renderRecent(list.slice(1, 1 + RECENT_SHOWN));
  renderCounters();
  renderQueues();
  renderNotice();
  renderSpeech();
}

function renderCall(call) {
  $("call-number").textContent = call ? call.ticket.number : "—";
  $("call").dataset.empty = call ? "false" : "true";
  const label = call ? priorityBadge(call.ticket) : null;
  $("call-badge").hidden = label === null;
  $("call-badge").textContent = label ?? "";
  const where = $("call-where");
  if (!call) {
    where.textContent = "暂无叫号";
    return;
  }
  where.replaceChildren("请到 ", element("strong", "", counterName(call.counter)), " 办理");
}

function renderRecent(list) {
  $("recent").replaceChildren(...list.map((call) => {
    const item = element("li", "recent-item");
    item.append(element("span", "recent-number", call.ticket.number), element("span", "arrow", "→"),
                element("span", "recent-counter", counterName(call.counter)));
    const mark = badge(call.ticket, true);
    if (mark) item.append(mark);
    return item;
  }));
}

/** Lays `count` tiles out in `rows` rows, or one while `fits` fit in it; more shrink to fit. */
function layOut(list, count, fits, rows) {
  const columns = count <= fits ? Math.max(1, count) : Math.ceil(count / rows);
  list.style.setProperty("--columns", String(columns));
  list.style.setProperty("--scale", String(Math.min(1, fits / columns)));
}

/** Keyed: a tile keeps its element (and a running flash) from one render to the next. */
function tile(cache, key, build) {
  if (!cache.has(key)) cache.set(key, build());
  return cache.get(key);
}

function renderCounters() {
  const counters = [...model.counters.values()].filter(servesShown).sort((a, b) => a.number - b.number);
  const list = $("counters");
  layOut(list, counters.length, 6, 2);
  list.replaceChildren(...counters.map((c) => {
    const li = tile(state.tiles, c.number, () => {
      const el = element("li", "tile counter");
      el.dataset.counter = String(c.number);
      el.append(element("p", "tile-head"), element("p", "tile-main"));
      return el;
    });
    const status = c.status ?? "unknown";
    const [usual, text] = TILE[status] ?? ["", "—"];
    const caption = status === "paused" ? c.pause_reason ?? "" : usual;
    li.dataset.status = status;
    const head = li.querySelector(".tile-head"), main = li.querySelector(".tile-main");
    head.replaceChildren(element("span", "tile-name", c.name || `${c.number}号窗口`));
    if (caption) head.append(element("span", "tile-caption", caption));
    main.replaceChildren(text ?? c.ticket?.number ?? "—");
    const mark = text ? null : badge(c.ticket, true);
    if (mark) main.append(mark);
    return li;
  }));
}

function eta(q) {
  if (q.waiting === null) return "—";
  if (q.waiting === 0) return "无需等候";
  if (q.eta_s === null || q.eta_s === undefined || model.stale.has(q.code)) return "预计 —";
  return `约 ${waitMinutes(q.eta_s, q.eta_range_s)} 分钟`;
}

function renderQueues() {
  const queues = [...model.queues.values()].filter((q) => shown(q.code));
  const list = $("queues");
  layOut(list, queues.length, 7, 1);
  list.replaceChildren(...queues.map((q) => {
    const li = tile(state.panels, q.code, () => {
      const el = element("li", "tile queue");
      el.dataset.queue = q.code;
      el.append(element("p", "queue-name"), element("p", "queue-waiting"), element("p", "queue-eta"));
      return el;
    });
    li.querySelector(".queue-name").replaceChildren(element("span", "queue-code", q.code),
                                                    element("span", "queue-label", q.name));
    li.querySelector(".queue-waiting").replaceChildren("等候 ", element("strong", "", String(q.waiting ?? "—")),
                                                       " 人");
    li.querySelector(".queue-eta").textContent = eta(q);
    return li;
  }));
}

function renderNotice() {
  const text = model.notice || DEFAULT_NOTICE;
  if ($("notice").textContent === text) return;
  $("notice").textContent = text;
  $("notice-copy").textContent = text; // the second copy makes the loop seamless
  pace();
}

/** The notice crosses the screen in about fifteen seconds, whatever its length. */
function pace() {
  const track = $("notice-track"), width = $("notice").getBoundingClientRect().width;
  const speed = Math.max(1, track.parentElement.clientWidth / 15);
  track.style.setProperty("--marquee-s", `${Math.max(6, width / speed).toFixed(1)}s`);
}

function renderSpeech() {
  const current = announcer.current, waiting = announcer.queue.length;
  const parts = [];
  if (current) parts.push(`播报 ${current.number}`);
  if (waiting) parts.push(`待播报 ${waiting}`);
  $("speech").hidden = parts.length === 0;
  $("speech").textContent = parts.join(" · ");
}

function renderAudio() {
  $("unlock").hidden = state.audio;
}

function renderClock(now) {
  $("date").textContent = clock.date.format(now);
  $("weekday").textContent = clock.weekday.format(now);
  $("time").textContent = clock.time.format(now);
  const day = model.day(now);
  if (day !== state.day) { // midnight: yesterday's calls leave the screen
    state.day = day;
    render();
  }
}

function onEvent(event) {
  if (event.type === "hall.changed") followSettings(event.settings);
  render();
  if (event.type === "ticket.called" || event.type === "ticket.recalled") called(event);
  if (model.stale.size) refreshSoon();
}

/** A call of a shown queue, as it happens: flashed and spoken. One replayed after a reconnect,
 *  long after it was made, is only shown (the visitor has gone to the window already). */
function called(event) {
  if (!shown(event.ticket.queue) || !event.counter || !model.fresh(event)) return;
  if (calls()[0]?.ticket.id === event.ticket.id) flash($("call"));
  const li = state.tiles.get(event.counter.number);
  if (li) flash(li);
  announcer.announce({ number: event.ticket.number, counter: event.counter.number,
                       counterName: event.counter.name, recall: event.type === "ticket.recalled" });
  renderSpeech();
}

/** The queues' estimates (and a check of every count): a snapshot at the feed's own seq replaces
 *  the model; one at another seq (events on their way) gives only the estimates. */
async function refresh() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(refresh, REFRESH_MS);
  if (document.documentElement.dataset.feed !== "live") return;
  try {
    const response = await fetch(`/api/v1/halls/${encodeURIComponent(model.hall.code)}/snapshot`,
                                 { cache: "no-store" });
    if (!response.ok) return;
    const snapshot = await response.json();
    if (snapshot.seq === model.seq) {
      model.snapshot(snapshot);
      followSettings(snapshot.settings);
    } else {
      model.estimates(snapshot);
    }
    render();
  } catch { /* the feed's own mark says when the server is away */ }
}

function refreshSoon() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(refresh, SOON_MS);
}

// Browsers keep audio locked until a gesture; a display PC started with
// --autoplay-policy=no-user-gesture-required is unlocked from the start and shows no button.
async function unlockAudio() {
  state.audio = await announcer.unlock();
  renderAudio();
  if (announcer.context && !announcer.context.onstatechange) {
    announcer.context.onstatechange = () => {
      state.audio = announcer.context.state === "running";
      renderAudio();
    };
  }
}

for (const type of ["pointerdown", "keydown"]) document.addEventListener(type, unlockAudio);
window.addEventListener("resize", pace);

const onSnapshot = (msg) => { followSettings(msg.settings); render(); };
const feed = followHall(model, $("reconnecting"), { onSnapshot, onEvent, onTick: renderClock });
window.__display = { announcer, feed, state };
followSettings({ display_languages: data.hall.display_languages, opening_hours: data.hall.opening_hours });
render();
unlockAudio();
announcer.load().catch(() => { /* fetched again with the first call */ });
refreshTimer = setTimeout(refresh, REFRESH_MS);
