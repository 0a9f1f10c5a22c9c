// The guide's desk (/guide/{hall}), on a tablet used standing: take a number for a visitor (a theme,
// or an item found by its pinyin initials; the priority group marked), send a visitor to 代办 (a V
// ticket and a recorded matter, whose steps and result the panel records), record a consultation,
// and look up a case in the register. Every call goes to the API with the session cookie.
const page = JSON.parse(document.getElementById("guide-data").textContent);
const HALL = page.hall.code;
const API = `/api/v1/halls/${encodeURIComponent(HALL)}`;
const $ = (id) => document.getElementById(id);
const PRIORITIES = [["none", "普通"], ["elderly", "老年人"], ["disabled", "残疾人"], ["pregnant", "孕妇"],
  ["minority", "少数民族"], ["military", "军人"]];
const ASSISTED_QUEUE = "V";
const state = { priority: "none", items: [], busy: false };

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
  return call("POST", "/tickets", { queue, priority: state.priority, channel: "guide" },
    { "Idempotency-Key": crypto.randomUUID() });
}

function showSlip(ticket, what, contact) {
  $("slip").hidden = false;
  $("slip-number").textContent = ticket.number;
  const group = PRIORITIES.find(([code]) => code === ticket.priority);
  const parts = [what, `前面还有 ${ticket.ahead} 人`];
  if (ticket.priority !== "none" && group) parts.push(`优先：${group[1]}`);
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
    showSlip(ticket, what, contact);
    state.priority = "none";
    $("phone").value = "";
    renderPriorities();
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
  const name = $("a-name").value.trim();
  const note = $("a-note").value.trim();
  $("assisted-error").textContent = "";
  if (!name) { $("assisted-error").textContent = "请填写来访人姓名"; $("a-name").focus(); return; }
  const contact = phone();
  if (contact === null) return;
  state.busy = true;
  try {
    const ticket = await issue(ASSISTED_QUEUE);
    const matter = await call("POST", "/assisted", { visitor_name: name, contact: contact || null,
      ticket_id: ticket.id, note: note || null });
    await call("POST", `/assisted/${matter.id}/steps`, { step: "代为取号", note: ticket.number });
    showSlip(ticket, `代办 · ${maskName(name)}`, contact);
    $("a-name").value = ""; $("a-note").value = ""; $("phone").value = "";
    state.priority = "none";
    renderPriorities();
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
$("pinyin").addEventListener("input", renderItems);
$("assisted-form").addEventListener("submit", sendToAssisted);
$("consult-form").addEventListener("submit", recordConsultation);
$("case-form").addEventListener("submit", findCases);
await Promise.all([loadItems(), loadMatters()]);
document.documentElement.dataset.ready = "1";
