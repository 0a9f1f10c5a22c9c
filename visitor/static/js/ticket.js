// The visitor's own ticket (/t/{status_token}): the state the server embedded, then live updates
// over /ws/tickets/{status_token}. Every visible string is in TEXT below, Chinese first. The hall's
// opening hours stand under the ticket (GET /halls/{hall}, once: a visitor's visit is short).
import { showHours } from "./opening_hours.js";
import { waitMinutes } from "./wait.js";

const TEXT = {
  zh: {
    htmlLang: "zh-CN",
    other: "English",
    title: (t) => `${t.number} · 我的排队`,
    yourNumber: "您的号码",
    status: { waiting: "等候中", called: "已叫号", serving: "办理中", done: "已办结", no_show: "已过号",
      cancelled: "已取消" },
    ahead: "前面还有 {n} 人",
    eta: "预计等待约 {m} 分钟",
    soon: "即将叫到",
    goTo: "请到 {counter} 办理",
    servingAt: "正在 {counter} 办理",
    counter: (c) => c.name || `${c.number}号窗口`,
    final: {
      done: "业务已办结，感谢您的耐心等候。",
      no_show: "您已过号。如仍需办理，请到导办台咨询或重新取号。",
      cancelled: "您已放弃此号码。如需办理，请重新取号。",
    },
    issued: "取号时间 {time}",
    enableSound: "开启提醒音",
    soundOn: "提醒音已开启",
    cancel: "取消排队",
    confirmCancel: "确定放弃这个号码吗？放弃后需要重新取号。",
    cancelFailed: "未能取消：",
    offline: "网络不通，请稍后再试",
    keepOpen: "叫到您时本页会全屏提醒，请保持页面打开。",
    tapToClose: "轻触任意处关闭",
    reconnecting: "正在重新连接…",
    refused: "无法获取实时状态：",
    rateTitle: "请评价本次服务",
    rateWhy: "不满意的原因（可多选）",
    rateSend: "提交评价",
    rateThanks: "感谢您的评价！我们会认真改进。",
    rateAlready: "本次服务已经评价过了，谢谢。",
    rateFailed: "未能提交：",
    levels: { 5: "非常满意", 4: "满意", 3: "基本满意", 2: "不满意", 1: "非常不满意" },
    reasons: {},
  },
  en: {
    htmlLang: "en",
    other: "中文",
    title: (t) => `${t.number} · My ticket`,
    yourNumber: "Your number",
    status: { waiting: "Waiting", called: "Called", serving: "Being served", done: "Completed",
      no_show: "Missed", cancelled: "Cancelled" },
    ahead: (n) => (n === 1 ? "{n} person ahead of you" : "{n} people ahead of you"),
    eta: "About {m} min to wait",
    soon: "You will be called soon",
    goTo: "Please go to {counter}",
    servingAt: "Being served at {counter}",
    counter: (c) => `counter ${c.number}`,
    final: {
      done: "Your business is complete. Thank you for waiting.",
      no_show: "Your number was passed. Please ask at the guide desk or take a new number.",
      cancelled: "You gave up this number. Take a new one if you still need service.",
    },
    issued: "Issued at {time}",
    enableSound: "Enable sound",
    soundOn: "Sound on",
    cancel: "Give up my number",
    confirmCancel: "Give up this number? You would have to take a new one.",
    cancelFailed: "Could not cancel: ",
    offline: "No network, please try again",
    keepOpen: "This page alerts you full-screen when you are called. Keep it open.",
    tapToClose: "Tap anywhere to close",
    reconnecting: "Reconnecting…",
    refused: "No live updates: ",
    rateTitle: "Please rate this service",
    rateWhy: "What went wrong? (choose any)",
    rateSend: "Send my rating",
    rateThanks: "Thank you for your rating! We will keep improving.",
    rateAlready: "This service has already been rated. Thank you.",
    rateFailed: "Could not send: ",
    levels: { 5: "Very satisfied", 4: "Satisfied", 3: "Fair", 2: "Dissatisfied", 1: "Very dissatisfied" },
    reasons: { "等候时间长": "Long wait", "服务态度差": "Poor attitude", "业务不熟练": "Not competent",
      "材料要求不清": "Unclear requirements", "其他": "Other" },
  },
};
const LANG_KEY = "onewindow.lang";
const FINAL = ["done", "no_show", "cancelled"];

const $ = (id) => document.getElementById(id);
const data = JSON.parse($("ticket-data").textContent);
const state = { ticket: data.ticket, counter: data.counter, hall: data.hall, queues: data.queues,
  lang: readLang(), alerted: callKey(data.ticket), feed: "connecting", troubled: false, refusal: "",
  hours: null };
// 好差评: asked once the service is done, until rated (here, at the tablet, the keypad or the kiosk).
const rating = { ...(data.rating ?? { rated: true, levels: [], reasons: [], unhappy: 2 }),
  level: null, chosen: new Set(), outcome: null, sending: false };
let audio = null;

function readLang() {
  try { return localStorage.getItem(LANG_KEY) === "en" ? "en" : "zh"; } catch { return "zh"; }
}

function text() { return TEXT[state.lang]; }

/** Puts a template like "前面还有 {n} 人" into el, each value in a <strong> for emphasis. */
function fill(el, template, values = {}) {
  el.replaceChildren(...template.split(/(\{\w+\})/).map((part) => {
    const key = part.match(/^\{(\w+)\}$/)?.[1];
    if (key === undefined) return document.createTextNode(part);
    const strong = document.createElement("strong");
    strong.textContent = String(values[key]);
    return strong;
  }));
}

function show(el, template, values) {
  el.hidden = template === null;
  if (template === null) el.replaceChildren();
  else fill(el, template, values);
}

/** Identifies one call: a recall or a call to another counter is a new one, worth an alert. */
function callKey(t) {
  return t.status === "called" ? `${t.called_at}|${t.recalls}|${t.counter}` : null;
}

function counterName() {
  const t = state.ticket;
  if (t.counter === null || t.counter === undefined) return "";
  const known = state.counter && state.counter.number === t.counter ? state.counter : { number: t.counter };
  return text().counter(known);
}

function time(iso) {
  if (!iso) return "";
  return new Intl.DateTimeFormat(text().htmlLang, { timeZone: state.hall.timezone || "Asia/Shanghai",
    hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).format(new Date(iso));
}

function render() {
  const t = state.ticket, T = text(), waiting = t.status === "waiting";
  document.title = T.title(t);
  $("ticket").dataset.status = t.status;
  $("hall").textContent = state.hall.name;
  $("number").textContent = t.number;
  $("queue").textContent = `${t.queue} · ${state.queues[t.queue] ?? ""}`;
  $("status").textContent = T.status[t.status] ?? t.status;
  const ahead = typeof T.ahead === "function" ? T.ahead(t.ahead) : T.ahead;
  show($("ahead"), waiting && typeof t.ahead === "number" ? ahead : null, { n: t.ahead });
  const eta = typeof t.eta_s === "number" ? (t.eta_s > 0 ? T.eta : T.soon) : null;
  show($("eta"), waiting ? eta : null, { m: waitMinutes(t.eta_s, t.eta_range_s) });
  const where = { called: T.goTo, serving: T.servingAt }[t.status] ?? null;
  show($("where"), where, { counter: counterName() });
  show($("final"), T.final[t.status] ?? null);
  show($("issued"), T.issued, { time: time(t.issued_at) });
  $("cancel").hidden = !waiting;
  $("sound").hidden = FINAL.includes(t.status);
  $("hint").hidden = FINAL.includes(t.status);
  showHours($("hours"), state.hours, state.lang, { stop: false });
  if (!$("overlay").hidden) renderOverlay();
  renderRating();
  renderFeed();
}

// ---------------------------------------------------------------- 好差评
function buildRating() {
  $("rate-levels").replaceChildren(...rating.levels.map(({ level }) => {
    const button = document.createElement("button");
    button.type = "button";
    button.className = `rate-level l${level}`;
    button.dataset.level = String(level);
    button.addEventListener("click", () => chooseLevel(level));
    return button;
  }));
  $("rate-reasons").replaceChildren(...rating.reasons.map((reason) => {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "rate-reason";
    button.dataset.reason = reason;
    button.addEventListener("click", () => {
      if (rating.chosen.has(reason)) rating.chosen.delete(reason);
      else rating.chosen.add(reason);
      renderRating();
    });
    return button;
  }));
  $("rate-send").addEventListener("click", sendRating);
}

function chooseLevel(level) {
  rating.level = level;
  if (level > rating.unhappy) rating.chosen.clear();
  $("rate-error").textContent = "";
  renderRating();
}

function renderRating() {
  const T = text(), ask = state.ticket.status === "done" && !rating.rated && !rating.expired;
  $("rate").hidden = !ask;
  $("rate-thanks").hidden = rating.outcome === null;
  if (rating.outcome !== null) $("rate-thanks").textContent = T[rating.outcome];
  for (const button of $("rate-levels").children) {
    const level = Number(button.dataset.level);
    button.textContent = T.levels[level] ?? level;
    button.setAttribute("aria-pressed", String(rating.level === level));
  }
  for (const button of $("rate-reasons").children) {
    button.textContent = T.reasons[button.dataset.reason] ?? button.dataset.reason;
    button.setAttribute("aria-pressed", String(rating.chosen.has(button.dataset.reason)));
  }
  $("rate-why").hidden = rating.level === null || rating.level > rating.unhappy;
  $("rate-send").disabled = rating.level === null || rating.sending;
}

async function sendRating() {
  if (rating.level === null || rating.sending) return;
  const T = text();
  rating.sending = true;
  $("rate-error").textContent = "";
  renderRating();
  try {
    const token = encodeURIComponent(state.ticket.status_token);
    const response = await fetch(`/api/v1/tickets/${token}/rating`, {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ level: rating.level, reasons: [...rating.chosen] }),
    });
    const body = await response.json().catch(() => ({}));
    if (response.ok) {
      rating.rated = true;
      rating.outcome = "rateThanks";
    } else if (body.error?.code === "already_rated") {
      rating.rated = true;
      rating.outcome = "rateAlready";
    } else {
      $("rate-error").textContent = T.rateFailed + (body.error?.message ?? response.status);
    }
  } catch {
    $("rate-error").textContent = T.rateFailed + T.offline;
  } finally {
    rating.sending = false;
    renderRating();
  }
}

function renderOverlay() {
  $("overlay-number").textContent = state.ticket.number;
  fill($("overlay-text"), text().goTo, { counter: counterName() });
}

function renderFeed() {
  const mark = $("reconnecting");
  const refused = state.feed === "refused";
  mark.hidden = !(refused || state.troubled);
  mark.classList.toggle("refused", refused);
  mark.textContent = refused ? text().refused + state.refusal : text().reconnecting;
}

function applyLang() {
  const T = text();
  document.documentElement.lang = T.htmlLang;
  $("lang").textContent = T.other;
  $("lang").lang = state.lang === "zh" ? "en" : "zh-CN";
  for (const el of document.querySelectorAll("[data-t]")) el.textContent = T[el.dataset.t];
  render();
}

function update(ticket, counter) {
  state.ticket = ticket;
  if (counter) state.counter = counter;
  const key = callKey(ticket);
  if (key !== null && key !== state.alerted) alertCall();
  if (key === null) $("overlay").hidden = true; // served, passed or transferred: the call is over
  state.alerted = key;
  render();
}

function alertCall() {
  $("overlay").hidden = false;
  renderOverlay();
  chime();
  navigator.vibrate?.([300, 150, 300]);
}

// A two-tone "ding-dong", twice, made on the spot: no sound file to fetch or cache.
function chime() {
  if (!audio || audio.state !== "running") return;
  const start = audio.currentTime + 0.05;
  [[880, 0], [660, 0.45], [880, 1.2], [660, 1.65]].forEach(([freq, at]) => tone(freq, start + at));
}

function tone(freq, at) {
  const osc = audio.createOscillator(), gain = audio.createGain();
  osc.frequency.value = freq;
  gain.gain.setValueAtTime(0.0001, at);
  gain.gain.exponentialRampToValueAtTime(0.6, at + 0.02);
  gain.gain.exponentialRampToValueAtTime(0.0001, at + 0.9);
  osc.connect(gain).connect(audio.destination);
  osc.start(at);
  osc.stop(at + 0.95);
}

// Browsers let a page play sound only after a tap on it, so the visitor turns the chime on.
async function enableSound() {
  const Context = window.AudioContext || window.webkitAudioContext;
  if (!Context) return;
  audio ??= new Context();
  await audio.resume();
  chime();
  $("sound").dataset.t = "soundOn";
  $("sound").textContent = text().soundOn;
  $("sound").disabled = true;
}

async function cancel() {
  const T = text(), error = $("error");
  if (!window.confirm(T.confirmCancel)) return;
  error.textContent = "";
  $("cancel").disabled = true;
  try {
    const token = encodeURIComponent(state.ticket.status_token);
    const response = await fetch(`/api/v1/tickets/${token}/cancel`, { method: "POST" });
    const body = await response.json().catch(() => ({}));
    if (response.ok) update({ ...body, status_token: state.ticket.status_token });
    else error.textContent = T.cancelFailed + (body.error?.message ?? response.status);
  } catch {
    error.textContent = T.cancelFailed + T.offline;
  } finally {
    $("cancel").disabled = false;
  }
}

function onMessage(msg) {
  if (msg.hall) state.hall = { ...state.hall, ...msg.hall };
  // Feed tickets carry no status_token; keep the one this page was opened with.
  if (msg.ticket) update({ ...msg.ticket, status_token: state.ticket.status_token }, msg.counter);
}

const onState = window.trackFeed(state, renderFeed);

$("lang").addEventListener("click", () => {
  state.lang = state.lang === "zh" ? "en" : "zh";
  try { localStorage.setItem(LANG_KEY, state.lang); } catch { /* private mode: this visit only */ }
  applyLang();
});
$("sound").addEventListener("click", enableSound);
$("cancel").addEventListener("click", cancel);
$("overlay").addEventListener("click", () => { $("overlay").hidden = true; });
document.addEventListener("keydown", (event) => {
  if (event.key === "Escape") $("overlay").hidden = true;
});

/** The hall's opening hours, for the line under the ticket; none shown if the hall has none or is away. */
async function loadHours() {
  try {
    const response = await fetch(`/api/v1/halls/${encodeURIComponent(state.hall.code)}`);
    if (!response.ok) return;
    state.hours = (await response.json()).opening_hours ?? null;
    render();
  } catch { /* the line stays away */ }
}

buildRating();
applyLang();
loadHours();
new window.LiveFeed(`/ws/tickets/${encodeURIComponent(data.ticket.status_token)}`, {
  onSnapshot: onMessage, onEvent: onMessage, onState, gapless: false,
}).start();
