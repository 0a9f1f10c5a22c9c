// The guide's desk (/guide/{hall}), on a tablet used standing: take a number for a visitor by phone
// or by ID card (a theme, or an item found by its pinyin initials; the priority group marked), send a
// visitor to 代办 (a V ticket and a recorded matter, whose steps and result the panel records), record
// a consultation, and look up a case in the register. Every call goes to the API with the session
// cookie. The desk's card reader (its agent, named as the desk: ?desk=NAME, or chosen on the page and
// remembered) comes over /ws/halls/{hall}/guide/{desk}: the masked holder and the card's signed token,
// which the ticket is issued with (one waiting ticket per card per queue, as at the kiosk).
const page = JSON.parse(document.getElementById("guide-data").textContent);
const HALL = page.hall.code;
const API = `/api/v1/halls/${encodeURIComponent(HALL)}`;
const $ = (id) => document.getElementById(id);
const PRIORITIES = [["none", "普通"], ["elderly", "老年人"], ["disabled", "残疾人"], ["pregnant", "孕妇"],
  ["minority", "少数民族"], ["military", "军人"]];
const ASSISTED_QUEUE = "V";
const state = { priority: "none", items: [], busy: false, card: null, desk: null, feed: null };
const DESK_KEY = `onewindow.guide.desk.${HALL}`;
const DESK_NAME = /^[^\/\\?#%"\u0000-\u001f\u007f]{1,40}$/; // as the server names devices

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = text;
  return node;
}

function chinese(error) {
  if (!error) return "操作失败，请稍后再试。";
  return String(error.message || "").replace(/\s*\([^()]*\)\s*$/, "") || "操作失败，请稍后再试。";
}

class ApiError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

async function call(method, path, body, headers = {}) {
  let response;
  try {
    response = await fetch(`${API}${path}`, {
      method, credentials: "same-origin", cache: "no-store",
      headers: body === undefined ? headers : { "Content-Type": "application/json", ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, "网络连接失败，请稍后再试。");
  }
  if (response.status === 401) window.location.href = `/login?next=${encodeURIComponent(location.pathname)}`;
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new ApiError(response.status, chinese(data.error));
  return data;
}

function maskName(name) {
  const n = String(name || "").trim();
  if (n.length <= 1) return `${n || "*"}*`;
  if (n.length === 2) return `${n[0]}*`;
  return n[0] + "*".repeat(n.length - 2) + n[n.length - 1];
}

// ------------------------------------------------------------ taking a number
function phone() {
  const value = $("phone").value.trim();
  $("phone-error").textContent = "";
  if (value && !/^1\d{10}$/.test(value)) {
    $("phone-error").textContent = "手机号应为以1开头的11位数字";
    $("phone").focus();
    return null;
  }
  return value;
}

function renderPriorities() {
  $("priorities").replaceChildren(...PRIORITIES.map(([code, name]) => {
    const b = el("button", "", name);
    b.type = "button";
    b.setAttribute("role", "radio");
    b.dataset.priority = code;
    b.setAttribute("aria-checked", String(code === state.priority));
    b.addEventListener("click", () => { state.priority = code; renderPriorities(); });
    return b;
  }));
}

function queueName(code) {
  return (page.hall.queues.find((q) => q.code === code) || { name: code }).name;
}

function renderThemes() {
  $("themes").replaceChildren(...page.hall.queues.map((q) => {
    const b = el("button", q.code === ASSISTED_QUEUE ? "v" : "");
    b.type = "button";
    b.dataset.queue = q.code;
    b.append(el("b", "", q.code), ` ${q.name}`);
    b.addEventListener("click", () => take(q.code, q.name));
    return b;
  }));
}

async function issue(queue) {
  const body = { queue, priority: state.priority, channel: "guide" };
  if (state.card) body.card_token = state.card.card_token; // the server keeps one waiting ticket per card
  return call("POST", "/tickets", body, { "Idempotency-Key": crypto.randomUUID() });
}

function showSlip(ticket, what, contact, card) {
  $("slip").hidden = false;
  $("slip-number").textContent = ticket.number;
  const group = PRIORITIES.find(([code]) => code === ticket.priority);
  const parts = [what, `前面还有 ${ticket.ahead} 人`];
  if (ticket.priority !== "none" && group) parts.push(`优先：${group[1]}`);
  if (card) parts.push(`身份证 ${card.masked_name}`);
  if (contact) parts.push(`手机尾号 ${contact.slice(-4)}`);
  $("slip-text").textContent = parts.join(" · ");
}

async function take(queue, what) {
  if (state.busy) return;
  const contact = phone();
  if (contact === null) return;
  state.busy = true;
  $("take-error").textContent = "";
  try {
    const ticket = await issue(queue);
    showSlip(ticket, what, contact, state.card);
    state.priority = "none";
    $("phone").value = "";
    clearCard();
  } catch (error) {
    $("take-error").textContent = `取号失败：${error.message}`;
  } finally {
    state.busy = false;
  }
}

async function loadItems() {
  try {
    state.items = await call("GET", "/items");
  } catch (error) {
    $("take-error").textContent = `未能读取事项目录：${error.message}`;
  }
}

function renderItems() {
  const q = $("pinyin").value.trim().toLowerCase();
  if (!q) { $("items").replaceChildren(); return; }
  const found = state.items.filter((i) => (i.pinyin || "").toLowerCase().startsWith(q) || i.name.includes(q))
    .slice(0, 12);
  if (found.length === 0) { $("items").replaceChildren(el("li", "muted", "没有找到这个事项")); return; }
  $("items").replaceChildren(...found.map((item) => {
    const li = el("li");
    const b = el("button", "", `${item.queue} · ${item.name}`);
    b.type = "button";
    b.dataset.item = item.code;
    b.append(el("small", "", `${item.pinyin || ""} ${queueName(item.queue)}`));
    b.addEventListener("click", () => take(item.queue, item.name));
    li.append(b);
    return li;
  }));
}

// ------------------------------------------------------------ 代办
async function sendToAssisted(event) {
  event.preventDefault();
  if (state.busy) return;
  const name = $("a-name").value.trim() || (state.card ? state.card.masked_name : "");
  const note = $("a-note").value.trim();
  $("assisted-error").textContent = "";
  if (!name) { $("assisted-error").textContent = "请填写来访人姓名或读身份证"; $("a-name").focus(); return; }
  const contact = phone();
  if (contact === null) return;
  state.busy = true;
  try {
    const ticket = await issue(ASSISTED_QUEUE);
    const matter = await call("POST", "/assisted", { visitor_name: name, contact: contact || null,
      ticket_id: ticket.id, note: note || null });
    await call("POST", `/assisted/${matter.id}/steps`, { step: "代为取号", note: ticket.number });
    showSlip(ticket, `代办 · ${maskName(name)}`, contact, state.card);
    $("a-name").value = ""; $("a-note").value = ""; $("phone").value = "";
    state.priority = "none";
    clearCard();
    await loadMatters();
  } catch (error) {
    $("assisted-error").textContent = `转代办失败：${error.message}`;
  } finally {
    state.busy = false;
  }
}

function time(iso) { return iso ? iso.slice(11, 16) : ""; }

function matterItem(m) {
  const li = el("li");
  li.dataset.id = String(m.id);
  const who = el("p", "who", `${m.visitor.masked_name}${m.ticket ? ` · ${m.ticket.number}` : ""}`);
  const steps = el("p", "steps", m.steps.map((s) => `${time(s.at)} ${s.step}${s.note ? `（${s.note}）` : ""}`)
    .join(" → "));
  const acts = el("div", "acts");
  for (const step of page.steps.filter((s) => s !== "接待" && s !== "代为取号")) {
    const b = el("button", "", step);
    b.type = "button";
    b.addEventListener("click", () => matterCall(`/assisted/${m.id}/steps`, "POST", { step }));
    acts.append(b);
  }
  const done = el("button", "done", "办结");
  done.type = "button";
  const closing = el("div", "row");
  closing.hidden = true;
  const result = el("input");
  result.placeholder = "办理结果";
  result.maxLength = 500;
  result.setAttribute("aria-label", "办理结果");
  const confirm = el("button", "", "确认办结");
  confirm.type = "button";
  confirm.addEventListener("click", () => {
    if (!result.value.trim()) { result.focus(); return; }
    matterCall(`/assisted/${m.id}`, "PATCH", { result: result.value.trim(), close: true });
  });
  closing.append(result, confirm);
  done.addEventListener("click", () => { closing.hidden = false; result.focus(); });
  acts.append(done);
  li.append(who, steps, acts, closing);
  return li;
}

async function matterCall(path, method, body) {
  $("assisted-error").textContent = "";
  try {
    await call(method, path, body);
  } catch (error) {
    $("assisted-error").textContent = error.message;
  }
  await loadMatters();
}

async function loadMatters() {
  try {
    const { assisted } = await call("GET", "/assisted?status=open");
    $("matters").replaceChildren(...assisted.map(matterItem));
    $("matters-empty").hidden = assisted.length > 0;
    $("open-count").textContent = String(assisted.length);
  } catch (error) {
    $("assisted-error").textContent = `未能读取代办：${error.message}`;
  }
}

// ------------------------------------------------------------ the desk's card reader
const READER_TEXT = { none: "未选择读卡器", connecting: "正在连接…", offline: "正在重新连接…",
  ready: "读卡器就绪，请放身份证", away: "读卡器未上线", fault: "读卡器故障" };

function ageGroup(age) {
  if (age >= 60) return "老年人";
  if (age < 18) return "未成年人";
  return "成年人";
}

function showReader(kind, text) {
  $("reader").dataset.state = kind;
  $("reader-state").textContent = text || READER_TEXT[kind] || "";
}

function readerState(msg) {
  document.documentElement.dataset.desk = "live"; // following the desk (tests wait for it)
  if (msg.agent !== "ok") showReader("away");
  else if (msg.idcard && msg.idcard !== "ok") showReader("fault");
  else showReader("ready");
}

function renderCard() {
  const card = state.card;
  $("card").hidden = !card;
  if (!card) return;
  $("card-name").textContent = card.masked_name;
  const group = ageGroup(card.age);
  $("card-meta").textContent = [card.gender, card.nation ? `${card.nation}族` : "", `${card.age}岁（${group}）`]
    .filter(Boolean).join(" · ") + (card.removed ? " · 身份证已取走" : "");
  const hint = PRIORITIES.find(([code]) => code === card.priority_hint);
  $("card-hint").textContent = hint && card.priority_hint !== "none"
    ? `建议优先：${hint[1]}（可在下方更改）` : "无优先建议";
}

function cardRead(msg) {
  const card = msg.card;
  if (!card || typeof card.card_token !== "string") return;
  state.card = { ...card, removed: false };
  if ($("reader").dataset.state === "away") showReader("ready"); // an agent posting over HTTP reports no state
  // the card's hint (age ≥ 60 → elderly, a minority nation → minority) is proposed; the guide may change it
  state.priority = card.priority_hint && card.priority_hint !== "none" ? card.priority_hint : "none";
  $("take-error").textContent = "";
  renderPriorities();
  renderCard();
}

function clearCard() {
  state.card = null;
  renderCard();
  renderPriorities();
}

function deskMessage(msg) {
  if (msg.type === "reader") readerState(msg);
  else if (msg.type === "card.read") cardRead(msg);
  else if (msg.type === "card.removed" && state.card) { state.card.removed = true; renderCard(); }
}

function deskState(feed, reason) {
  if (feed === "connecting") showReader("connecting");
  else if (feed === "offline") showReader("offline");
  else if (feed === "refused") showReader("refused", chinese({ message: reason }) || "无法连接读卡器");
}

function followDesk(name) {
  if (state.feed) state.feed.stop();
  state.feed = null;
  state.desk = name;
  $("desk-name").textContent = name || "未选择";
  $("desk-form").hidden = Boolean(name);
  delete document.documentElement.dataset.desk;
  if (!name) { showReader("none"); return; }
  const url = `/ws/halls/${encodeURIComponent(HALL)}/guide/${encodeURIComponent(name)}`;
  state.feed = new window.LiveFeed(url, { onMessage: deskMessage, onState: deskState });
  state.feed.start();
}

function chooseDesk(event) {
  event.preventDefault();
  const name = $("desk-input").value.trim();
  if (!DESK_NAME.test(name)) { showReader("none", "读卡器名称为1至40个字，不含 / \\ ? # % \""); return; }
  try { localStorage.setItem(DESK_KEY, name); } catch { /* private mode: this visit only */ }
  followDesk(name);
}

function initialDesk() {
  const asked = new URLSearchParams(location.search).get("desk");
  if (asked && DESK_NAME.test(asked.trim())) {
    try { localStorage.setItem(DESK_KEY, asked.trim()); } catch { /* private mode: this visit only */ }
    return asked.trim();
  }
  try { return localStorage.getItem(DESK_KEY); } catch { return null; }
}

// ------------------------------------------------------------ consultations and cases
async function recordConsultation(event) {
  event.preventDefault();
  const topic = $("c-topic").value.trim();
  $("consult-error").textContent = ""; $("consult-ok").textContent = "";
  if (!topic) { $("consult-error").textContent = "请填写咨询内容"; $("c-topic").focus(); return; }
  const body = { channel: "onsite", topic, escalated: $("c-escalated").checked };
  if ($("c-answer").value.trim()) body.answer = $("c-answer").value.trim();
  try {
    await call("POST", "/consultations", body);
    $("consult-ok").textContent = `已登记咨询：${topic}`;
    $("c-topic").value = ""; $("c-answer").value = ""; $("c-escalated").checked = false;
  } catch (error) {
    $("consult-error").textContent = error.status === 404 ? `咨询登记暂不可用：${error.message}` : error.message;
  }
}

async function findCases(event) {
  event.preventDefault();
  const q = $("q").value.trim();
  $("case-error").textContent = "";
  if (!q) { $("q").focus(); return; }
  try {
    const { cases } = await call("GET", `/cases?q=${encodeURIComponent(q)}&limit=20`);
    if (cases.length === 0) { $("cases").replaceChildren(el("li", "muted", "没有找到办件")); return; }
    $("cases").replaceChildren(...cases.map((c) => {
      const li = el("li");
      const name = c.applicant.masked_name || maskName(c.applicant.name);
      li.append(el("p", "no", `${c.receipt_no} · ${c.status_label}`),
        el("p", "", `${c.item.name} · ${name}${c.due_at ? ` · 承诺办结 ${c.due_at}` : ""}`));
      return li;
    }));
  } catch (error) {
    $("case-error").textContent = error.message;
  }
}

function tabs() {
  for (const tab of document.querySelectorAll(".tabs [role=tab]")) {
    tab.addEventListener("click", () => {
      for (const other of document.querySelectorAll(".tabs [role=tab]")) {
        const on = other === tab;
        other.setAttribute("aria-selected", String(on));
        $(`panel-${other.dataset.panel}`).hidden = !on;
      }
    });
  }
}

renderPriorities();
renderThemes();
tabs();
$("desk-form").addEventListener("submit", chooseDesk);
$("desk-change").addEventListener("click", () => {
  $("desk-form").hidden = !$("desk-form").hidden;
  if (!$("desk-form").hidden) { $("desk-input").value = state.desk || ""; $("desk-input").focus(); }
});
$("card-clear").addEventListener("click", () => { state.priority = "none"; clearCard(); });
followDesk(initialDesk());
$("pinyin").addEventListener("input", renderItems);
$("assisted-form").addEventListener("submit", sendToAssisted);
$("consult-form").addEventListener("submit", recordConsultation);
$("case-form").addEventListener("submit", findCases);
await Promise.all([loadItems(), loadMatters()]);
document.documentElement.dataset.ready = "1";
