// The self-service kiosk (/kiosk/{hall}): themes with their live waits, search by name or pinyin
// initials, a priority step, the ticket on screen with its QR code. Card reads arrive on the
// kiosk's own feed (card.read), with its printer's state (device.status) and whether the ticket
// printed (print.result); the page returns home and forgets the visitor after idle_s. The opening
// hours (大厅设置) stand at the foot of the start screen; outside them the server says the kiosk
// does not issue (GET /halls/{hall}: open_now, and when that changes), and the start screen says
// 当前非办理时间 and when numbers start again instead of offering the themes.
import { HallModel, pageData } from "./hall_model.js";
import { showHours } from "./opening_hours.js";
import { setupFeedback } from "./kiosk_feedback.js";
import { waitMinutes } from "./wait.js";

const TEXT = {
  zh: {
    htmlLang: "zh-CN", other: "English",
    queue: {}, // a theme is named as the hall names it (its layout, live)
    retired: (name) => `“${name}”已停止取号，请重新选择办理事项`,
    chooseTheme: "请选择办理事项类别",
    phone: "咨询电话",
    wait: (n, m) => (n === null ? "" : n === 0 ? "无需等候" : `等候 ${n} 人 · 约 ${m} 分钟`),
    searchLabel: "搜索事项（名称或拼音首字母，如 yyzz）",
    noResults: "没有找到相关事项，请选择上方类别或咨询导办台",
    checkin: "预约签到", cases: "办件查询", consult: "咨询", assist: "代办（特殊群体）",
    whoAreYou: "请选择您的身份",
    p_none: "普通", p_elderly: "老年人（60岁以上）", p_disabled: "残疾人", p_pregnant: "孕妇",
    p_minority: "少数民族", p_military: "军人",
    priorityNote: "优先群体请在窗口出示相关证件",
    back: "返回", backHome: "返回首页", takeNumber: "确认取号",
    greeting: (name) => `${name}，您好`,
    issued: "取号成功", held: "您已取过本类号码，请耐心等候",
    yourNumber: "您的号码",
    ahead: (n) => `前面还有 ${n} 人`, eta: (m) => `预计等待约 ${m} 分钟`,
    time: (t) => `取号时间 ${t}`,
    scan: "扫码查看排队进度",
    noPrinter: "本机暂无打印，请拍照保存二维码",
    printing: "正在打印号票，请在下方出票口取票",
    printed: "号票已打印，请取走号票",
    printFailed: {
      paper_out: "打印机缺纸，号票无法打印。您的号码仍然有效，请用手机拍下二维码",
      cover_open: "打印机盖未关好，号票无法打印。您的号码仍然有效，请用手机拍下二维码",
      offline: "打印机未连接，号票无法打印。您的号码仍然有效，请用手机拍下二维码",
      error: "打印机故障，号票无法打印。您的号码仍然有效，请用手机拍下二维码",
      timeout: "打印机没有响应。您的号码仍然有效，请用手机拍下二维码",
    },
    printerDown: "打印机暂停服务：取号后请用手机拍下二维码",
    checkinHint: "请输入预约号（6位），或在读卡区放置身份证",
    checkinGo: "签到取号",
    booked: (a) => `${a.name}，您今天 ${a.slot} 预约了${a.queue_name}，请点击“签到取号”`,
    badCode: "预约号不存在，请核对后重新输入，或到导办台咨询",
    receiptLabel: "受理编号（见接件回执）",
    checkLabel: "申请人身份证号或手机号后四位",
    lookUp: "查询", pickup: "取号领取", del: "删除",
    rate: "服务评价", rateNumber: "请输入您的排队号码（如 A012）", rateHow: "请评价本次服务",
    rateWhy: "不满意的原因（可多选）", rateSend: "提交评价",
    level5: "非常满意", level4: "满意", level3: "基本满意", level2: "不满意", level1: "非常不满意",
    reasons: {},
    rateNeedNumber: "请先输入您的排队号码", rateNeedLevel: "请选择一项评价",
    rateNoTicket: "今天没有这个号码，请核对后重新输入",
    rateThanks: "感谢您的评价！我们会认真改进。", rateAlready: "这次服务已经评价过了，谢谢。",
    notFound: "未找到该办件，请核对受理编号和后四位",
    caseCardHint: "输入受理编号和后四位查询，或在读卡区放置身份证查看本人办件",
    cardCases: (name, n) => `${name}在本大厅的办件（共 ${n} 件），请点击查看`,
    cardNoCases: "未找到此身份证在本大厅的办件，请输入受理编号查询或到导办台咨询",
    tooMany: "查询次数过多，请稍后再试或到导办台咨询",
    due: (d, provisional) => `承诺办结日期 ${d}${provisional ? "（暂定）" : ""}`,
    readyNext: "结果已可领取：请点击“取号领取”，到查询发证窗口领取",
    done: "完成",
    failed: "暂时无法取号，请稍后再试或到导办台咨询",
    closedTitle: "当前非办理时间",
    closedNext: (day, time) => `${day === "today" ? "今天" : day === "tomorrow" ? "明天" : day} ${time} 开始取号`,
    closedNone: "暂停自助取号，请到导办台咨询",
    closedNote: "已预约的群众请点击“预约签到”；办件查询、服务评价、意见建议照常办理",
    dayFormat: { month: "long", day: "numeric", weekday: "short" },
  },
  en: {
    htmlLang: "en", other: "中文",
    // the usual themes' English, by their Chinese names; any other theme keeps the hall's name
    queue: { "社会民生类": "Social affairs", "注册登记类": "Registration", "经营许可类": "Business licences",
      "投资建设类": "Investment & construction", "查询发证": "Results & certificates", "咨询": "Consultation",
      "代办": "Assisted service" },
    retired: (name) => `“${name}” no longer issues numbers: please choose again`,
    chooseTheme: "Choose the kind of service",
    phone: "Enquiries by phone",
    wait: (n, m) => (n === null ? "" : n === 0 ? "No waiting" : `${n} waiting · about ${m} min`),
    searchLabel: "Search a service (name or pinyin initials, e.g. yyzz)",
    noResults: "No matching service; choose a category above or ask at the guide desk",
    checkin: "Appointment check-in", cases: "Case status", consult: "Consultation", assist: "Assisted service",
    whoAreYou: "Who is taking the number?",
    p_none: "Regular", p_elderly: "Senior (60+)", p_disabled: "Disabled", p_pregnant: "Pregnant",
    p_minority: "Ethnic minority", p_military: "Military",
    priorityNote: "Priority groups: please show your certificate at the counter",
    back: "Back", backHome: "Home", takeNumber: "Take a number",
    greeting: (name) => `Hello, ${name}`,
    issued: "Here is your number", held: "You already hold a number for this service",
    yourNumber: "Your number",
    ahead: (n) => (n === 1 ? "1 person ahead" : `${n} people ahead`), eta: (m) => `About ${m} min to wait`,
    time: (t) => `Issued at ${t}`,
    scan: "Scan to follow your place in the queue",
    noPrinter: "No printer here: please take a photo of the QR code",
    printing: "Printing your ticket: please take it from the slot below",
    printed: "Your ticket is printed: please take it",
    printFailed: {
      paper_out: "The printer is out of paper. Your number is still valid: please photograph the QR code",
      cover_open: "The printer cover is open. Your number is still valid: please photograph the QR code",
      offline: "The printer is not connected. Your number is still valid: please photograph the QR code",
      error: "The printer has a fault. Your number is still valid: please photograph the QR code",
      timeout: "The printer did not answer. Your number is still valid: please photograph the QR code",
    },
    printerDown: "Printer out of service: please photograph the QR code after taking a number",
    checkinHint: "Type your 6-character booking code, or place your ID card on the reader",
    checkinGo: "Check in",
    booked: (a) => `${a.name}, you booked ${a.queue_name} at ${a.slot} today: tap “Check in”`,
    badCode: "No such booking code: please check it, or ask at the guide desk",
    receiptLabel: "Receipt number (on your acceptance receipt)",
    checkLabel: "Last four characters of the applicant's ID or phone",
    lookUp: "Look up", pickup: "Take a number to collect", del: "Delete",
    rate: "Rate our service", rateNumber: "Type your ticket number (e.g. A012)", rateHow: "How was the service?",
    rateWhy: "What went wrong? (choose any)", rateSend: "Send my rating",
    level5: "Very satisfied", level4: "Satisfied", level3: "Fair", level2: "Dissatisfied", level1: "Very dissatisfied",
    reasons: { "等候时间长": "Long wait", "服务态度差": "Poor attitude", "业务不熟练": "Not competent",
      "材料要求不清": "Unclear requirements", "其他": "Other" },
    rateNeedNumber: "Type your ticket number first", rateNeedLevel: "Choose a rating",
    rateNoTicket: "No such number today: please check it",
    rateThanks: "Thank you for your rating! We will keep improving.",
    rateAlready: "This service has already been rated. Thank you.",
    notFound: "No case found: please check the receipt number and the last four characters",
    caseCardHint: "Type the receipt number and the last four characters, or place your ID card on the reader",
    cardCases: (name, n) => `${name}: ${n === 1 ? "1 case" : `${n} cases`} in this hall; tap one to see it`,
    cardNoCases: "No cases of this ID card in this hall: type the receipt number, or ask at the guide desk",
    tooMany: "Too many attempts: please try again later or ask at the guide desk",
    due: (d, provisional) => `Promised by ${d}${provisional ? " (provisional)" : ""}`,
    readyNext: "Your result is ready: take a number and collect it at the certificates window (L)",
    done: "Done",
    failed: "Cannot issue a number right now; please try again or ask at the guide desk",
    closedTitle: "Not issuing numbers now",
    closedNext: (day, time) => `Numbers again from ${time} ${day === "today" ? "today" : day === "tomorrow"
      ? "tomorrow" : `on ${day}`}`,
    closedNone: "Self-service numbers are paused: please ask at the guide desk",
    closedNote: "Booked? Tap \"Appointment check-in\". Case status, ratings and suggestions work as usual.",
    dayFormat: { weekday: "short", day: "numeric", month: "short" },
  },
};

const data = pageData();
const hall = data.hall;
const IDLE_MS = data.idle_s * 1000;
const SNAPSHOT_EVERY_MS = 15000;
const PRINT_WAIT_MS = 8000; // a printer answers within a second or two; then the visitor is told
const $ = (id) => document.getElementById(id);
const model = new HallModel(hall);
const clock = new Intl.DateTimeFormat("zh-CN", { timeZone: model.zone, hour: "2-digit", minute: "2-digit",
  hourCycle: "h23" });

let lang = "zh";
let visitor = null; // the card read for this visit: {masked_name, id_hash, priority_hint, …}
let choice = null; // {queue, item?}
let priority = "none";
let shown = null; // {ticket, held, print}: print is printing, printed, none, or why it failed
let printer = null; // this kiosk's printer as its agent last reported it: {state, detail}
let printTimer = null;
const printResults = new Map(); // ticket number → print.result: it may arrive before the issue's answer
let idleTimer = null;
// One Idempotency-Key per choice: a retry after a lost answer (a network blip, a server restarting)
// gets the ticket the first try issued instead of a second one that a counter would call in vain.
let issueKey = null;
const ISSUE_TRIES = [0, 500, 1500, 3000]; // ms before each try
// The opening hours (hall.changed, the snapshot's settings) and the server's word on whether this
// kiosk issues now ({open_now, open_until, next_open}, GET /halls/{hall}): asked again when it said
// that changes, when the hours change, when the feed comes back, and every few minutes besides
// (a holiday table loaded meanwhile). Open until told otherwise: the server refuses anyway.
let hours = hall.opening_hours ?? null;
let issuing = { open_now: true, open_until: null, next_open: null };
let issuingTimer = null;
let issuingAsked = 0;
const ISSUING_RECHECK_MS = 5 * 60 * 1000;

const t = () => TEXT[lang];
// Queues with a button of their own below the themes: 咨询 (Z) and 代办 (V); L (查询发证) is taken
// through 办件查询 (server/services/cases.py PICKUP_QUEUE). Every other queue of the hall is a theme.
const OWN_BUTTONS = new Set(["Z", "V", "L"]);

/** A queue's name as the hall gives it now (in English where the dictionary knows it). */
function queueName(code) {
  const name = model.queues.get(code)?.name ?? code;
  return Object.hasOwn(t().queue, name) ? t().queue[name] : name;
}

// ------------------------------------------------------------------ screens
function show(screen) {
  for (const id of ["home", "priority", "ticket", "checkin-screen", "case-screen", "rate-screen",
    "feedback-screen"]) {
    $(id).hidden = id !== screen;
  }
  $("kiosk").dataset.screen = screen;
  $("error").hidden = true;
  $("error").classList.remove("closed-refusal");
  $("retired").hidden = true;
}

function render() {
  const text = t();
  document.documentElement.lang = text.htmlLang;
  $("lang").textContent = text.other;
  $("lang").lang = lang === "zh" ? "en" : "zh-CN";
  for (const el of document.querySelectorAll("[data-t]")) el.textContent = text[el.dataset.t];
  for (const el of document.querySelectorAll("[data-queue-name]")) el.textContent = queueName(el.dataset.queueName);
  $("search").placeholder = lang === "zh" ? "例如：营业执照 / yyzz" : "e.g. 营业执照 / yyzz";
  renderWaits();
  renderHours();
  $("greeting").hidden = !visitor;
  if (visitor) $("greeting").textContent = text.greeting(visitor.masked_name);
  if (choice) {
    $("chosen").textContent = `${choice.queue} · ${queueName(choice.queue)}`
      + (choice.item ? ` · ${choice.item.name}` : "");
  }
  for (const el of document.querySelectorAll(".group")) el.setAttribute("aria-checked", String(el.dataset.priority === priority));
  if (shown) renderTicket();
  renderPrinter();
  renderEntries();
  renderRating();
  renderResults();
}

function renderHours() {
  const closed = !issuing.open_now;
  $("kiosk").dataset.issuing = closed ? "closed" : "open"; // the stylesheet puts the themes away
  $("closed").hidden = !closed;
  // 办理时间：工作日 09:00–12:00、13:30–17:00，周末及节假日休息；每段结束前 30 分钟停止取号, said once:
  // at the foot of the start screen, or in the notice while closed
  showHours(closed ? $("closed-hours") : $("hall-hours"), hours, lang);
  if (closed) $("hall-hours").hidden = true;
  if (closed) renderNextOpen();
}

/** 今天 13:30 开始取号, 明天 09:00 …, 12月1日周一 09:00 …, in the hall's time. */
function renderNextOpen() {
  const text = t(), next = issuing.next_open;
  let said = text.closedNone;
  if (next) {
    const at = Date.parse(next), now = model.now();
    const day = model.day(at) === model.day(now) ? "today" : model.day(at) === model.day(now + 24 * 3600 * 1000)
      ? "tomorrow" : new Intl.DateTimeFormat(text.htmlLang, { timeZone: model.zone, ...text.dayFormat }).format(at);
    said = text.closedNext(day, clock.format(at));
  }
  if ($("closed-next").textContent !== said) $("closed-next").textContent = said;
}

async function checkIssuing() {
  clearTimeout(issuingTimer);
  const asked = ++issuingAsked; // an earlier question answered late is not the last word
  let wait = ISSUING_RECHECK_MS;
  try {
    const response = await fetch(`/api/v1/halls/${encodeURIComponent(hall.code)}`, { cache: "no-store" });
    if (asked !== issuingAsked) return;
    if (response.ok) {
      const info = await response.json();
      if (asked !== issuingAsked) return;
      if ("opening_hours" in info) hours = info.opening_hours;
      issuing = { open_now: info.open_now !== false, open_until: info.open_until ?? null,
        next_open: info.next_open ?? null };
      const change = Date.parse(issuing.open_until ?? issuing.next_open ?? "");
      if (Number.isFinite(change)) wait = Math.min(wait, Math.max(1000, change - model.now() + 1000));
      renderHours();
    } else {
      wait = 10000; // the server could not say: ask again soon, meanwhile as it last said
    }
  } catch {
    wait = 10000; // the server is away: the feed's state says so; ask again soon
  }
  if (asked === issuingAsked) issuingTimer = setTimeout(checkIssuing, wait);
}

/** New settings (hall.changed, a snapshot): the hours' line at once, the server asked if they changed. */
function followHours(settings) {
  if (!settings || !("opening_hours" in settings)) return;
  const changed = JSON.stringify(settings.opening_hours) !== JSON.stringify(hours);
  hours = settings.opening_hours;
  renderHours();
  if (changed) checkIssuing();
}

function renderWaits() {
  for (const el of document.querySelectorAll("[data-wait]")) {
    const q = model.queues.get(el.dataset.wait);
    el.textContent = q && q.waiting !== null && q.waiting !== undefined ? t().wait(q.waiting, waitMinutes(q.eta_s, q.eta_range_s)) : "";
  }
}

function renderTicket() {
  const { ticket, held, notice } = shown, text = t();
  $("ticket-title").textContent = notice ? zh(notice) : held ? text.held : text.issued;
  $("ticket").classList.toggle("held", held);
  $("slip-number").textContent = ticket.number;
  $("slip-queue").textContent = `${ticket.queue} · ${queueName(ticket.queue)}`;
  $("slip-ahead").textContent = text.ahead(ticket.ahead ?? 0);
  $("slip-eta").textContent = text.eta(waitMinutes(ticket.eta_s, ticket.eta_range_s));
  $("slip-time").textContent = text.time(clock.format(new Date(ticket.issued_at)));
  const note = $("no-printer"), print = shown.print;
  note.dataset.print = print;
  note.classList.toggle("failed", !["printing", "printed", "none"].includes(print));
  note.textContent = print === "printing" ? text.printing : print === "printed" ? text.printed
    : print === "none" ? text.noPrinter : text.printFailed[print] ?? text.printFailed.error;
}

function renderPrinter() {
  const down = printer && !["ok", "paper_low"].includes(printer.state);
  $("printer-down").hidden = !down;
  $("printer-down").textContent = t().printerDown;
}

function covers() {
  for (const el of document.querySelectorAll("[data-covers]")) {
    const names = data.items.filter((i) => i.queue === el.dataset.covers).slice(0, 3).map((i) => i.name);
    el.textContent = names.length ? `${names.join("、")}…` : "";
  }
}

// ------------------------------------------------------------------ the layout, live
const themeButtons = new Map(); // code → its button, kept from one drawing to the next
let drawnLayout = null; // the model's layoutKey() when the themes were last drawn

function themeButton(code) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "theme";
  button.dataset.queue = code;
  const part = (className, name) => {
    const span = document.createElement("span");
    span.className = className;
    if (name) span.setAttribute(name, code);
    return span;
  };
  const mark = part("theme-code");
  mark.textContent = code;
  button.append(mark, part("theme-name", "data-queue-name"), part("theme-covers", "data-covers"),
                part("theme-wait", "data-wait"));
  button.addEventListener("click", () => choose(code));
  return button;
}

function drawThemes() {
  const codes = [...model.queues.keys()].filter((code) => !OWN_BUTTONS.has(code));
  for (const code of [...themeButtons.keys()]) if (!codes.includes(code)) themeButtons.delete(code);
  $("themes").replaceChildren(...codes.map((code) => {
    if (!themeButtons.has(code)) themeButtons.set(code, themeButton(code));
    return themeButtons.get(code);
  }));
  $("themes").dataset.many = String(codes.length > 4); // the stylesheet packs more than four tighter
  for (const el of document.querySelectorAll(".service[data-queue]")) el.hidden = !model.queues.has(el.dataset.queue);
  covers();
}

/** Redraws what depends on the hall's layout when it changed (a hall.changed event, or a snapshot
 *  after a gap): the themes, the service buttons, the number keys, the hall's name. A visitor who
 *  was choosing a group for a queue that has just been retired goes back to the start, told why. */
function followLayout() {
  const key = model.layoutKey();
  if (key === drawnLayout) return;
  drawnLayout = key;
  $("hall-name").textContent = model.hall.name;
  document.title = `自助取号 · ${model.hall.name} · OneWindow`;
  drawThemes();
  $("number-keys").replaceChildren();
  keypad("number-keys", numberKeys());
  if (choice && !model.queues.has(choice.queue) && $("kiosk").dataset.screen === "priority") {
    const name = choice.name;
    home();
    $("retired").textContent = t().retired(name);
    $("retired").hidden = false;
    touched();
    return;
  }
  render();
}

function showPhone(phone) {
  $("phone-number").textContent = phone ?? "";
  $("hall-phone").hidden = !phone;
}

function matches(query) {
  const q = query.trim().toLowerCase();
  if (!q) return [];
  return data.items.filter((i) => model.queues.has(i.queue)
    && (i.name.includes(q) || (i.pinyin ?? "").toLowerCase().includes(q)))
    .slice(0, 8);
}

function renderResults() {
  const list = $("results"), query = $("search").value;
  list.replaceChildren();
  $("kiosk").classList.toggle("searching", Boolean(query.trim())); // results take the themes' place
  if (!query.trim()) return;
  const found = matches(query);
  if (!found.length) {
    const li = document.createElement("li");
    li.className = "none";
    li.textContent = t().noResults;
    list.append(li);
    return;
  }
  for (const item of found) {
    const li = document.createElement("li"), button = document.createElement("button");
    button.type = "button";
    button.className = "result";
    button.dataset.item = item.code;
    const name = document.createElement("span"), queue = document.createElement("span");
    name.className = "result-name";
    name.textContent = item.name;
    queue.className = "result-queue";
    queue.textContent = `${item.queue} · ${queueName(item.queue)}`;
    button.append(name, queue);
    button.addEventListener("click", () => choose(item.queue, item));
    li.append(button);
    list.append(li);
  }
}

// ------------------------------------------------------------------ the visit
function choose(queue, item = null) {
  choice = { queue, item, name: queueName(queue) };
  issueKey = null;
  priority = visitor && visitor.priority_hint !== "none" ? visitor.priority_hint : "none";
  show("priority");
  render();
}

function newIssueKey() {
  const bytes = crypto.getRandomValues(new Uint8Array(16)); // randomUUID needs https; a hall LAN may not have it
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

// POST a ticket under this press's key, trying again on a lost answer or a 5xx: the server gives
// back the same ticket (200) for the same key.
async function postTicket(body) {
  issueKey = issueKey || newIssueKey();
  let last = null;
  for (const wait of ISSUE_TRIES) {
    if (wait) await new Promise((resolve) => setTimeout(resolve, wait));
    try {
      const response = await fetch(`/api/v1/halls/${encodeURIComponent(hall.code)}/tickets`, {
        method: "POST",
        headers: { "Content-Type": "application/json", Authorization: `Bearer ${data.token}`,
                   "Idempotency-Key": issueKey },
        body: JSON.stringify(body),
      });
      if (response.status >= 500) { last = new Error(String(response.status)); continue; }
      let answer = {};
      try { answer = await response.json(); } catch { /* an empty answer */ }
      if (response.status < 300 || response.status === 409) issueKey = null; // done: the next press is new
      return { status: response.status, answer };
    } catch (error) {
      last = error; // no answer at all: try again with the same key
    }
  }
  throw last;
}

async function issue() {
  const { queue } = choice;
  $("confirm").disabled = true;
  try {
    const body = { queue, priority, channel: "kiosk" };
    if (visitor?.card_token) body.card_token = visitor.card_token; // the server keeps one waiting ticket per card
    const { status, answer } = await postTicket(body);
    if (status === 409 && answer.error?.code === "already_waiting" && answer.ticket) {
      present(answer.ticket, true, "none");
      return;
    }
    if (status === 409 && answer.error?.code === "hall_closed") {
      closedNow(answer.error.message);
      return;
    }
    if (status !== 201 && status !== 200) throw new Error(String(status));
    present(answer, false, printState(answer.print));
  } catch {
    $("error").textContent = t().failed;
    $("error").hidden = false;
  } finally {
    $("confirm").disabled = false;
  }
}

/** Refused outside the opening hours: the server's words (they name the hours) on the screen; the
 *  start screen then says when numbers start again, and the kiosk goes back to it when idle. */
function closedNow(message) {
  fail(zh(message));
  $("error").classList.add("closed-refusal");
  issuing = { ...issuing, open_now: false };
  checkIssuing();
  touched();
}

function present(ticket, held, print, notice = null) {
  shown = { ticket, held, print, notice };
  clearTimeout(printTimer);
  if (print === "printing") {
    printTimer = setTimeout(() => printResult({ ticket: ticket.number, ok: false, state: "timeout" }), PRINT_WAIT_MS);
    const early = printResults.get(ticket.number);
    if (early) queueMicrotask(() => printResult(early));
  }
  $("slip-qr").src = `/t/${encodeURIComponent(ticket.status_token)}/qr.svg`;
  show("ticket");
  render();
}

function printResult(msg) {
  if (msg.state !== "timeout") {
    printResults.set(msg.ticket, msg);
    if (printResults.size > 20) printResults.delete(printResults.keys().next().value);
  }
  if (!shown || shown.ticket.number !== msg.ticket || shown.print !== "printing") return;
  clearTimeout(printTimer);
  shown.print = msg.ok ? "printed" : (msg.state || "error");
  render();
}

function home() {
  clearTimeout(printTimer);
  entry = { code: "", receipt: "", check: "", number: "" };
  rating = { level: null, reasons: new Set(), done: null, sending: false };
  booked = null;
  found = null;
  cardCases = null;
  visitor = null;
  choice = null;
  issueKey = null;
  shown = null;
  priority = "none";
  $("search").value = "";
  $("slip-qr").removeAttribute("src");
  show("home");
  render();
}

function touched() {
  clearTimeout(idleTimer);
  idleTimer = setTimeout(() => {
    $("retired").hidden = true; // the next visitor needs no word about the last one's theme
    const atRest = $("kiosk").dataset.screen === "home" && !visitor && !$("search").value;
    if (!atRest) home();
  }, IDLE_MS);
}

function cardRead(msg) {
  const card = msg.card;
  if (!card || typeof card.id_hash !== "string") return;
  const screen = $("kiosk").dataset.screen;
  if (screen === "ticket") home();
  visitor = card;
  if (screen === "priority" && card.priority_hint !== "none") priority = card.priority_hint;
  render();
  touched();
  if (screen === "case-screen") findCases(card);
  else findBooking(card);
}

// ------------------------------------------------------------------ 预约签到 and 办件查询
const CODE_KEYS = "34679ACDEFGHJKMNPQRTUVWXY"; // the booking codes' alphabet: nothing easily misread
const CASE_KEYS = "1234567890JAX";
/** The keys for a ticket number: the digits and the letters of the hall's queues, as they are now. */
const numberKeys = () => [..."1234567890",
  ...new Set([...model.queues.keys()].filter((c) => /^[A-Z]+$/.test(c)))];
const LIMITS = { code: 6, receipt: 20, check: 4, number: 7 };
const UNHAPPY = 2; // 不满意 and below may give reasons
let entry = { code: "", receipt: "", check: "", number: "" };
let rating = { level: null, reasons: new Set(), done: null, sending: false }; // 服务评价
let field = "code";
let booked = null; // today's booking of the card just read: {code, queue, queue_name, slot, name}
let found = null; // the case looked up: {receipt_no, status, …}; byCard when chosen from the card's list
let cardCases = null; // the cases of the ID card on the reader (办件查询 by card): {total, cases}

/** The Chinese half of a server message "中文 (English)" in Chinese mode, else the whole. */
function zh(message) {
  const text = String(message ?? "");
  return lang === "zh" ? text.replace(/\s*\([^()]*\)\s*$/, "") : text;
}

function fail(message) {
  $("error").textContent = message;
  $("error").hidden = false;
}

async function api(method, path, body) {
  const response = await fetch(`/api/v1${path}`, {
    method, headers: { "Content-Type": "application/json", Authorization: `Bearer ${data.token}` },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  let answer = {};
  try { answer = await response.json(); } catch { /* an empty answer */ }
  return { status: response.status, answer };
}

function keypad(id, keys) {
  const pad = $(id);
  for (const key of keys) {
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = key;
    button.addEventListener("click", () => type(key));
    pad.append(button);
  }
  const del = document.createElement("button");
  del.type = "button";
  del.className = "wide";
  del.dataset.t = "del";
  del.addEventListener("click", () => { entry[field] = entry[field].slice(0, -1); renderEntries(); });
  pad.append(del);
}

function type(key) {
  if (entry[field].length >= LIMITS[field]) return;
  entry[field] += key;
  $("error").hidden = true;
  renderEntries();
}

function chooseField(name) {
  field = name;
  renderEntries();
}

function renderEntries() {
  for (const el of document.querySelectorAll(".entry")) {
    el.textContent = entry[el.dataset.field] || "\u00a0";
    el.classList.toggle("active", el.dataset.field === field);
  }
  $("booked").hidden = !booked;
  if (booked) $("booked").textContent = t().booked(booked);
  renderCardCases();
  $("case-result").hidden = !found;
  $("case-pickup").hidden = !(found && found.status === "ready");
  if (found) {
    $("case-status").textContent = found.status_label ?? found.status;
    $("case-item").textContent = `${found.receipt_no} · ${found.item?.name ?? ""} · ${found.item?.department_name ?? found.item?.department ?? ""}`;
    $("case-due").textContent = found.due_at ? t().due(found.due_at, found.due_provisional) : "";
    $("case-next").textContent = found.status === "ready" ? t().readyNext : "";
  }
}

/** 办件查询 by ID card: the card holder's cases instead of the keypad; the chosen one below them. */
function renderCardCases() {
  const listed = cardCases !== null;
  $("card-cases").hidden = !listed;
  $("case-form").hidden = listed;
  $("case-card-hint").hidden = listed;
  $("case-go").hidden = listed;
  if (!listed) return;
  $("card-cases-title").textContent = t().cardCases(visitor?.masked_name ?? "", cardCases.total);
  $("card-cases-none").hidden = cardCases.cases.length > 0;
  $("card-case-list").replaceChildren(...cardCases.cases.map((c) => {
    const li = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    button.className = "card-case";
    button.dataset.receipt = c.receipt_no;
    button.setAttribute("aria-pressed", String(found?.receipt_no === c.receipt_no));
    const part = (className, text) => {
      const span = document.createElement("span");
      span.className = className;
      span.textContent = text;
      return span;
    };
    button.append(part("cc-receipt", c.receipt_no), part("cc-item", c.item?.name ?? ""),
      part("cc-status", c.status_label ?? c.status));
    button.addEventListener("click", () => {
      found = { ...c, byCard: true }; // shown as the receipt lookup shows it; its L ticket by the card
      $("error").hidden = true;
      renderEntries();
    });
    li.append(button);
    return li;
  }));
}

/** A card on the reader at 办件查询: that person's cases in this hall (by the card's signed token). */
async function findCases(card) {
  if (!card.card_token) return;
  const url = `/halls/${encodeURIComponent(hall.code)}/cases/by-card?card_token=${encodeURIComponent(card.card_token)}`;
  try {
    const { status, answer } = await api("GET", url);
    if (visitor !== card || $("kiosk").dataset.screen !== "case-screen") return;
    if (status !== 200) { fail(answer.error?.message ? zh(answer.error.message) : t().failed); return; }
    cardCases = { total: answer.total ?? 0, cases: answer.cases ?? [] };
    found = cardCases.cases.length === 1 ? { ...cardCases.cases[0], byCard: true } : null;
    renderEntries();
  } catch {
    fail(t().failed);
  }
}

function openCheckin() {
  field = "code";
  issueKey = null;
  if (booked) entry.code = booked.code;
  show("checkin-screen");
  render();
}

function openCases() {
  field = "receipt";
  found = null;
  cardCases = null;
  show("case-screen");
  render();
  if (visitor) findCases(visitor); // the card placed before 办件查询 was chosen
}

/** A card on the reader: today's booking of that card, if any, is offered for check-in at once. */
async function findBooking(card) {
  if (!card.card_token) return;
  const url = `/halls/${encodeURIComponent(hall.code)}/appointments/by-card?card_token=${encodeURIComponent(card.card_token)}`;
  try {
    const { status, answer } = await api("GET", url);
    if (status !== 200 || visitor !== card) return;
    booked = answer;
    const screen = $("kiosk").dataset.screen;
    if (screen === "home" || screen === "checkin-screen") openCheckin();
  } catch { /* no booking shown; the visitor can still type the code */ }
}

async function checkIn() {
  if (entry.code.length < 6) { fail(t().badCode); return; }
  $("checkin-go").disabled = true;
  try {
    const body = { queue: booked?.queue ?? "A", channel: "kiosk", appointment_code: entry.code };
    if (visitor?.card_token) body.card_token = visitor.card_token;
    const { status, answer } = await postTicket(body);
    if (status === 201 || status === 200) {
      present(answer, false, printState(answer.print), answer.notice ?? null);
    } else if (status === 409 && answer.ticket) {
      present(answer.ticket, true, "none");
    } else if (status === 404) {
      fail(t().badCode);
    } else {
      fail(answer.error?.message ? zh(answer.error.message) : t().failed);
    }
  } catch {
    fail(t().failed);
  } finally {
    $("checkin-go").disabled = false;
  }
}

async function lookUp() {
  found = null;
  if (!entry.receipt || entry.check.length !== 4) { fail(t().notFound); renderEntries(); return; }
  const url = `/cases/${encodeURIComponent(entry.receipt)}?check=${encodeURIComponent(entry.check)}`;
  try {
    const { status, answer } = await api("GET", url);
    if (status === 200) found = answer;
    else fail(status === 429 ? t().tooMany : t().notFound);
  } catch {
    fail(t().failed);
  }
  renderEntries();
}

async function pickup() {
  if (!found) return;
  $("case-pickup").disabled = true;
  try {
    const { status, answer } = found.byCard && visitor?.card_token
      ? await api("POST", `/halls/${encodeURIComponent(hall.code)}/cases/by-card/pickup-ticket`,
        { card_token: visitor.card_token, receipt_no: found.receipt_no })
      : await api("POST", `/cases/${encodeURIComponent(found.receipt_no)}/pickup-ticket`, { check: entry.check });
    if (status === 201) present(answer, false, printState(answer.print));
    else if (status === 409 && answer.ticket) present(answer.ticket, true, "none");
    else fail(answer.error?.message ? zh(answer.error.message) : t().failed);
  } catch {
    fail(t().failed);
  } finally {
    $("case-pickup").disabled = false;
  }
}

// ------------------------------------------------------------------ 服务评价
function openRating() {
  field = "number";
  rating = { level: null, reasons: new Set(), done: null, sending: false };
  entry.number = "";
  show("rate-screen");
  render();
}

function renderRating() {
  const text = t();
  for (const el of document.querySelectorAll(".rate-level")) {
    el.setAttribute("aria-checked", String(Number(el.dataset.level) === rating.level));
  }
  for (const el of document.querySelectorAll(".rate-reason")) {
    el.textContent = text.reasons[el.dataset.reason] ?? el.dataset.reason;
    el.setAttribute("aria-pressed", String(rating.reasons.has(el.dataset.reason)));
  }
  $("rate-why").hidden = rating.level === null || rating.level > UNHAPPY;
  $("rate-form").hidden = rating.done !== null;
  $("rate-go").hidden = rating.done !== null;
  $("rate-thanks").hidden = rating.done === null;
  if (rating.done !== null) $("rate-thanks").textContent = text[rating.done];
  $("rate-back").textContent = rating.done !== null ? text.backHome : text.back;
  $("rate-go").disabled = rating.sending;
}

async function sendRating() {
  const number = entry.number;
  if (!/^[A-Z]{1,2}[0-9]{3,5}$/.test(number)) { fail(t().rateNeedNumber); return; }
  if (rating.level === null) { fail(t().rateNeedLevel); return; }
  rating.sending = true;
  renderRating();
  try {
    const body = { ticket_number: number, level: rating.level, reasons: [...rating.reasons] };
    const { status, answer } = await api("POST", `/halls/${encodeURIComponent(hall.code)}/ratings`, body);
    if (status === 201) rating.done = "rateThanks";
    else if (answer.error?.code === "already_rated") rating.done = "rateAlready";
    else if (status === 404) fail(t().rateNoTicket);
    else fail(answer.error?.message ? zh(answer.error.message) : t().failed);
  } catch {
    fail(t().failed);
  } finally {
    rating.sending = false;
    renderRating();
  }
}

function printState(print) {
  return print === "sent" ? "printing" : !print || print === "no_printer" ? "none" : print;
}

// ------------------------------------------------------------------ live
let everLive = false;
function feedState(state) {
  document.documentElement.dataset.feed = state;
  if (state === "live") everLive = true;
  $("out-of-service").hidden = state === "live" || (!everLive && state === "connecting");
}

async function refreshEstimates() {
  try {
    const response = await fetch(`/api/v1/halls/${encodeURIComponent(hall.code)}/snapshot`);
    if (response.ok) {
      const snap = await response.json();
      if (model.seq === null || snap.seq === model.seq) {
        model.snapshot(snap);
        followLayout();
      } else {
        model.estimates(snap);
      }
      renderWaits();
    }
  } catch { /* the feed's state says so */ }
}

function start() {
  for (const el of document.querySelectorAll(".service[data-queue]")) {
    el.addEventListener("click", () => choose(el.dataset.queue));
  }
  keypad("code-keys", CODE_KEYS);
  keypad("case-keys", CASE_KEYS);
  followLayout(); // the themes and number keys of the layout the page came with
  $("rate").addEventListener("click", openRating);
  setupFeedback({ hall: hall.code, api, show, home, lang: () => lang }); // 意见建议 (kiosk_feedback.js)
  $("rate-go").addEventListener("click", sendRating);
  $("rate-back").addEventListener("click", home);
  for (const el of document.querySelectorAll(".rate-level")) {
    el.addEventListener("click", () => {
      rating.level = Number(el.dataset.level);
      if (rating.level > UNHAPPY) rating.reasons.clear();
      $("error").hidden = true;
      renderRating();
    });
  }
  for (const el of document.querySelectorAll(".rate-reason")) {
    el.addEventListener("click", () => {
      const reason = el.dataset.reason;
      if (rating.reasons.has(reason)) rating.reasons.delete(reason);
      else rating.reasons.add(reason);
      renderRating();
    });
  }
  for (const el of document.querySelectorAll(".entry")) el.addEventListener("click", () => chooseField(el.dataset.field));
  $("checkin").addEventListener("click", openCheckin);
  $("cases").addEventListener("click", openCases);
  $("checkin-go").addEventListener("click", checkIn);
  $("checkin-back").addEventListener("click", home);
  $("case-go").addEventListener("click", lookUp);
  $("case-pickup").addEventListener("click", pickup);
  $("case-back").addEventListener("click", home);
  for (const el of document.querySelectorAll(".group")) {
    el.addEventListener("click", () => { priority = el.dataset.priority; render(); });
  }
  $("search").addEventListener("input", renderResults);
  $("back").addEventListener("click", () => { choice = null; show("home"); render(); });
  $("confirm").addEventListener("click", issue);
  $("done").addEventListener("click", home);
  $("lang").addEventListener("click", () => { lang = lang === "zh" ? "en" : "zh"; render(); });
  for (const type of ["pointerdown", "keydown", "input"]) document.addEventListener(type, touched, true);

  const url = new URL(`/ws/halls/${encodeURIComponent(hall.code)}/kiosks/${encodeURIComponent(data.kiosk)}`,
    location.href);
  url.searchParams.set("token", data.token);
  const feed = new window.LiveFeed(url.href, {
    gapless: true,
    onSnapshot: (msg) => {
      model.snapshot(msg);
      followLayout();
      renderWaits();
      if (msg.settings) followHours(msg.settings);
      checkIssuing(); // connected again: the time may have passed a change meanwhile
    },
    onEvent: (msg) => {
      model.apply(msg);
      if (msg.type === "hall.changed") {
        followLayout();
        if (msg.settings && "phone" in msg.settings) showPhone(msg.settings.phone);
        followHours(msg.settings);
      }
      renderWaits();
      if (msg.type === "hall.phone") showPhone(msg.phone); // the manager changed the hall's consultation line
    },
    onMessage: (msg) => {
      if (msg.type === "card.read") cardRead(msg);
      else if (msg.type === "print.result") printResult(msg);
      else if (msg.type === "device.status" && msg.devices?.printer) { printer = msg.devices.printer; renderPrinter(); }
    },
    onState: feedState,
  });
  feed.start();
  setInterval(refreshEstimates, SNAPSHOT_EVERY_MS);
  const tick = () => {
    $("clock").textContent = clock.format(new Date(model.now()));
    if (!issuing.open_now) renderNextOpen(); // 明天 turns 今天 at midnight
  };
  tick();
  setInterval(tick, 1000);
  home();
}

start();
