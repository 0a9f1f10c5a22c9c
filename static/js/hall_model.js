// What a wall screen knows of the hall: the public display feed's snapshot, then every event folded
// into it (docs/live-feeds.md), the hall's layout included (hall.changed: queues and counters added,
// renamed or retired, live). Shared by the hall screen (display.js), the screens above the windows
// (counter_screen.js), the kiosk (on its own feed) and the district overview (district.js); the
// clerk's page and the dashboard take its layout helpers. The feed carries no personal data, and
// neither does this.
const DAY_MS = 24 * 3600 * 1000;
const FRESH_MS = 30000; // an event older than this is a replay after a reconnect: shown, not announced
const RECENT_LIMIT = 30;

export const PRIORITY = { elderly: "老年人", disabled: "残疾人", pregnant: "孕妇", minority: "少数民族",
  military: "军人" };

/** "老年人优先" for a priority ticket, null for everyone else. */
export function priorityBadge(ticket) {
  const priority = ticket?.priority;
  return priority && priority !== "none" ? `${PRIORITY[priority] ?? ""}优先` : null;
}

/** Blinks `el` (CSS class .flash) from the start, also when it is blinking already: a new call. */
export function flash(el) {
  el.classList.remove("flash");
  void el.offsetWidth; // restart the animation
  el.classList.add("flash");
}

/** The hall's page data, embedded by the server as JSON in #page-data. */
export function pageData() {
  return JSON.parse(document.getElementById("page-data").textContent);
}

/** The hall's layout after a `hall.changed` event (or a snapshot): the page data's
 *  {code, name, timezone, queues: [{code, name}], counters: [{number, name, queues}]} with the
 *  event's queues, counters and, when it carries one, the hall's new name; whatever else the event
 *  carries (settings) is the page's to read or ignore. For pages that keep no HallModel. */
export function changedLayout(hall, change) {
  const out = { ...hall };
  if (typeof change.name === "string" && change.name) out.name = change.name;
  if (Array.isArray(change.queues)) out.queues = change.queues.map((q) => ({ code: q.code, name: q.name }));
  if (Array.isArray(change.counters)) {
    out.counters = change.counters.map((c) => ({ number: c.number, name: c.name, queues: [...(c.queues ?? [])] }));
  }
  return out;
}

/** A string that changes whenever the layout does (names, queues, counters and what they serve):
 *  a page redraws its layout-bound parts when it differs from the one it drew. */
export function layoutKey(hall) {
  return JSON.stringify([hall.name, (hall.queues ?? []).map((q) => [q.code, q.name]),
    (hall.counters ?? []).map((c) => [c.number, c.name, c.queues ?? []])]);
}

/** Gives a <select> these options ([value, text] pairs), keeping the chosen one where it still is. */
export function refill(select, entries) {
  const chosen = select.value;
  select.replaceChildren(...entries.map(([value, text]) => {
    const option = document.createElement("option");
    option.value = String(value);
    option.textContent = text;
    return option;
  }));
  if (entries.some(([value]) => String(value) === chosen)) select.value = chosen;
}

function statusOf(ticket) {
  if (!ticket) return "idle";
  return ticket.status === "serving" ? "serving" : "calling";
}

export class HallModel {
  /** hall: {code, name, timezone, queues: [{code, name}], counters: [{number, name, queues}]} */
  constructor(hall) {
    this.hall = hall;
    this.zone = hall.timezone || "Asia/Shanghai";
    this.seq = null;
    this.snapshotAt = null; // Date.now() when the last snapshot came
    this.offset = 0; // this PC's clock minus the server's, learnt from each snapshot's `at`
    this.notice = null;
    this.queues = new Map(hall.queues.map((q) => [q.code, { ...q, waiting: null, eta_s: null, eta_range_s: null,
      longest_wait_s: null }]));
    this.counters = new Map(hall.counters.map((c) => [c.number, { ...c, status: null, ticket: null,
      pause_reason: null, clerk: null }]));
    this.recent = []; // newest first: {ticket, counter, at}, recalls included, as the server keeps them
    // Between snapshots a queue's estimate is taken as linear in the people waiting (docs/eta.md,
    // "On the screens"): seconds per person, learnt from snapshots and from each waiting ticket's
    // own eta_s / ahead, so counts stay live; its range keeps its proportions to the estimate
    // (`spreads`). `stale` lists the queues whose estimate is unknown until the next snapshot.
    this.rates = new Map();
    this.spreads = new Map();
    this.stale = new Set();
    this.targeted = new Set(); // transferred to one counter: not counted in their queue's waiting
    // The seq of the last queue.counts (?issued=counts): events up to it are already in the counts.
    this.countsAsOf = null;
    this.dayFormat = new Intl.DateTimeFormat("en-CA", { timeZone: this.zone });
  }

  now() { return Date.now() - this.offset; }

  /** The hall-local date, YYYY-MM-DD, of a time (ms or ISO string). */
  day(at) { return this.dayFormat.format(new Date(at)); }

  /** Whether an event happened just now, rather than being replayed long after. */
  fresh(event) { return this.now() - Date.parse(event.at) < FRESH_MS; }

  /** Snapshots older than a day (or of yesterday): a screen that runs for weeks asks for a new one. */
  dueForSnapshot() { return this.snapshotAt !== null && Date.now() - this.snapshotAt > DAY_MS; }

  snapshot(msg) {
    this.seq = msg.seq;
    this.snapshotAt = Date.now();
    // `at` has whole seconds: the server's time lies within the second after it.
    if (msg.at) this.offset = Date.now() - (Date.parse(msg.at) + 500);
    if (msg.hall) this.hall = { ...this.hall, ...msg.hall };
    if ("notice" in msg) this.notice = msg.notice || null;
    // The snapshot is the layout too: a feed that resumed after a gap may have missed a hall.changed.
    this.hall = changedLayout(this.hall, { queues: msg.queues, counters: msg.counters });
    this.queues = new Map(msg.queues.map((q) => [q.code, { ...q }]));
    this.stale.clear();
    for (const q of msg.queues) this._learn(q);
    this.counters = new Map(msg.counters.map((c) => [c.number, { ...c }]));
    this.recent = msg.recent_calls.map((call) => ({ ...call }));
    this.targeted.clear();
    this.countsAsOf = null;
  }

  /** What layoutKey() says of this model's hall. */
  layoutKey() { return layoutKey(this.hall); }

  /** A new layout (hall.changed): new queues start with an empty line, retired ones go; new
   *  counters start closed, a renamed or requeued one keeps its state (clerk, ticket), a retired
   *  one goes (it was closed). */
  relayout(change) {
    this.hall = changedLayout(this.hall, change);
    const queues = new Map();
    for (const { code, name } of this.hall.queues) {
      const old = this.queues.get(code);
      queues.set(code, old ? { ...old, name } : { code, name, waiting: 0, eta_s: 0, eta_range_s: null,
        longest_wait_s: null });
    }
    for (const code of this.queues.keys()) {
      if (queues.has(code)) continue;
      this.rates.delete(code);
      this.spreads.delete(code);
      this.stale.delete(code);
    }
    this.queues = queues;
    const counters = new Map();
    for (const { number, name, queues: serves } of this.hall.counters) {
      const old = this.counters.get(number);
      counters.set(number, old ? { ...old, name, queues: serves }
        : { number, name, queues: serves, status: "closed", ticket: null, pause_reason: null, clerk: null });
    }
    this.counters = counters;
  }

  /** The queues' counts that stand for the tickets issued since (a display with ?issued=counts). */
  counts(msg) {
    this.countsAsOf = msg.as_of;
    this.stale.clear();
    for (const q of msg.queues) {
      this.queues.set(q.code, { ...(this.queues.get(q.code) || {}), ...q });
      this._learn(q);
    }
  }

  /** Only the estimates of a snapshot that is not at this model's seq (fetched while events flow). */
  estimates(msg) {
    this.stale.clear();
    for (const q of msg.queues) this._learn(q);
    for (const code of this.queues.keys()) this._estimate(code);
  }

  apply(event) {
    this.seq = event.seq;
    const t = event.ticket, c = event.counter ? this._counter(event.counter) : null;
    if (!c && event.type.startsWith("counter.")) return;
    switch (event.type) {
      case "ticket.issued":
      case "ticket.reinstated":
        if (!this._counted(event)) this._join(t);
        break;
      case "ticket.transferred":
        if (c) this._hold(c, null); // the counter it left
        if (!this._counted(event)) this._join(t);
        break;
      case "ticket.called":
        if (!this._counted(event)) this._leave(t);
        this._call(event, c);
        break;
      case "ticket.recalled":
        this._call(event, c);
        break;
      case "ticket.serving":
      case "ticket.done":
      case "ticket.no_show":
        if (c) this._hold(c, event.type === "ticket.serving" ? t : null);
        break;
      case "ticket.cancelled":
        this._cancel(t, this._counted(event));
        break;
      case "counter.opened":
        Object.assign(c, { status: "idle", ticket: null, pause_reason: null });
        break;
      case "counter.paused":
        Object.assign(c, { status: "paused", pause_reason: event.reason ?? null });
        break;
      case "counter.resumed":
        Object.assign(c, { status: statusOf(c.ticket), pause_reason: null });
        break;
      case "counter.closed":
        Object.assign(c, { status: "closed", ticket: null, pause_reason: null, clerk: null });
        break;
      case "hall.notice":
        this.notice = event.notice || null;
        break;
      case "hall.changed":
        this.relayout(event);
        break;
      default:
        break;
    }
  }

  _counter(info) {
    let c = this.counters.get(info.number);
    if (!c) this.counters.set(info.number, (c = { number: info.number, queues: [], status: "idle", ticket: null,
      pause_reason: null }));
    c.name = info.name ?? c.name;
    c.clerk = info.clerk ?? null; // every event's counter says who is signed in, or nobody
    return c;
  }

  _hold(counter, ticket) {
    counter.ticket = ticket;
    counter.status = statusOf(ticket);
  }

  _call(event, counter) {
    if (!counter) return;
    this._hold(counter, event.ticket);
    this.recent.unshift({ ticket: event.ticket, counter: counter.number, at: event.at });
    this.recent.length = Math.min(this.recent.length, RECENT_LIMIT);
  }

  /** Whether the last counts already hold this event's effect on the waiting counts. */
  _counted(event) { return this.countsAsOf !== null && event.seq <= this.countsAsOf; }

  _join(t) {
    if (!t || t.status !== "waiting") return;
    if (t.target_counter !== undefined && t.target_counter !== null) {
      this.targeted.add(t.id);
      return;
    }
    const q = this.queues.get(t.queue);
    if (!q) return;
    q.waiting = (q.waiting ?? 0) + 1;
    if (t.ahead > 0 && typeof t.eta_s === "number") this.rates.set(t.queue, t.eta_s / t.ahead);
    this._spread(t.queue, t.eta_s, t.eta_range_s);
    this._estimate(t.queue);
  }

  _leave(t) {
    if (!t || this.targeted.delete(t.id)) return;
    const q = this.queues.get(t.queue);
    if (!q) return;
    q.waiting = Math.max(0, (q.waiting ?? 0) - 1);
    this._estimate(t.queue);
  }

  _cancel(t, counted) {
    // At the day's end the server cancels called tickets too: those leave a counter, not a queue.
    const holder = [...this.counters.values()].find((c) => c.ticket && c.ticket.id === t.id);
    if (holder) this._hold(holder, null);
    else if (!counted) this._leave(t);
  }

  _estimate(code) {
    const q = this.queues.get(code);
    if (!q || q.waiting === null) return;
    const rate = this.rates.get(code), spread = this.spreads.get(code);
    if (q.waiting === 0) q.eta_s = 0;
    else if (rate !== undefined) q.eta_s = Math.round(q.waiting * rate);
    else this.stale.add(code);
    q.eta_range_s = q.waiting === 0 ? [0, 0]
      : spread && typeof q.eta_s === "number" ? spread.map((f) => Math.round(q.eta_s * f)) : null;
  }

  /** A queue row's estimate: seconds per person waiting, and the range's proportions. */
  _learn(q) {
    if (q.waiting > 0) this.rates.set(q.code, q.eta_s / q.waiting);
    this._spread(q.code, q.eta_s, q.eta_range_s);
  }

  _spread(code, eta, range) {
    if (typeof eta === "number" && eta > 0 && Array.isArray(range)) this.spreads.set(code, range.map((r) => r / eta));
  }
}

/** Date and time in the hall's zone: "2026年11月25日", "星期三", "09:41:23". */
export class HallClock {
  constructor(zone) {
    this.date = new Intl.DateTimeFormat("zh-CN", { timeZone: zone, year: "numeric", month: "long", day: "numeric" });
    this.weekday = new Intl.DateTimeFormat("zh-CN", { timeZone: zone, weekday: "long" });
    this.time = new Intl.DateTimeFormat("zh-CN", { timeZone: zone, hour: "2-digit", minute: "2-digit",
      second: "2-digit", hourCycle: "h23" });
    this.short = new Intl.DateTimeFormat("zh-CN", { timeZone: zone, hour: "2-digit", minute: "2-digit",
      hourCycle: "h23" });
  }
}

/** Keeps a mark in step with the feed, so that a screen is never stale without saying so. */
export function feedMark(mark) {
  let everLive = false;
  return (state, reason) => {
    if (state === "live") everLive = true;
    mark.hidden = state === "live";
    mark.classList.toggle("refused", state === "refused");
    mark.textContent = state === "refused" ? `无法连接：${reason || ""}` : everLive ? "正在重新连接…" : "正在连接…";
  };
}

/** Follows the hall's public display feed into `model`, for weeks: LiveFeed reconnects and resumes
 *  from its last seq, while `mark` says so; at the hall's midnight, or when the last snapshot is a
 *  day old, it asks the server for a fresh one ({"type": "resync"}). `onTick(now)` runs at every
 *  second of the server's clock. Issued tickets come as the queues' counts, at most twice a second
 *  (?issued=counts: a wall shows counts, and 2,000 walls fed every ticket left the server no time
 *  for the calls); their seqs are then missing from the feed by design, so it is not gapless.
 *  `onEvent` gets the counts message too. `mark` may be null; `onState(state, reason)` replaces the
 *  page-wide <html data-feed>. Returns the LiveFeed. */
export function followHall(model, mark, { onSnapshot = () => {}, onEvent = () => {}, onTick = () => {},
  onState = null } = {}) {
  const url = new URL(`/ws/halls/${encodeURIComponent(model.hall.code)}/display`, location.href);
  const token = new URLSearchParams(location.search).get("token"); // a display token, if the screen has one
  if (token) url.searchParams.set("token", token);
  url.searchParams.set("issued", "counts");
  const showState = mark ? feedMark(mark) : () => {};
  const feed = new window.LiveFeed(url.href, {
    onSnapshot: (msg) => { model.snapshot(msg); onSnapshot(msg); },
    onEvent: (msg) => { model.apply(msg); onEvent(msg); },
    onMessage: (msg) => {
      if (msg.type !== "queue.counts") return;
      model.counts(msg);
      onEvent(msg);
    },
    onState: (state, reason) => {
      // the page's own feed marks <html data-feed> (for styling and the browser tests); a page that
      // follows several halls (/district) says per hall with `onState`
      if (onState) onState(state, reason);
      else document.documentElement.dataset.feed = state;
      showState(state, reason);
    },
  });
  let today = model.day(model.now()), resync = false;
  const tick = () => {
    const now = model.now(), day = model.day(now);
    if (day !== today || model.dueForSnapshot()) resync = true;
    today = day;
    if (resync && feed.send({ type: "resync" })) {
      resync = false;
      model.snapshotAt = Date.now(); // asked: not again before the answer
    }
    onTick(now);
    setTimeout(tick, 1000 - (now % 1000) + 5); // just after the next whole second
  };
  feed.start();
  tick();
  return feed;
}
