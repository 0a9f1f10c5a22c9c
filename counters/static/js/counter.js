// The clerk's counter app (/counter/{hall}/{n}): sign in to the counter, call, serve and move
// tickets, live over the counter's own feed. The snapshot is the truth: events only tell the page
// that something it shows may have changed, and it asks for a fresh snapshot (throttled).
import { changedLayout, feedMark, layoutKey, pageData, PRIORITY, refill } from "./hall_model.js";
import { mountRegister } from "./dashboard_register.js";

const CHANNEL = { kiosk: "取号机", guide: "导办", appointment: "预约", online: "线上", counter: "窗口" };
const STATUS = { closed: "未签到", idle: "空闲", calling: "叫号中", serving: "办理中", paused: "暂停中" };
const TICKET_STATE = { called: "已呼叫，等待到窗", serving: "办理中" };
const RESYNC_MS = 150;
// What each state allows; the server checks again, this only spares the clerk a refusal.
const ALLOWED = {
  closed: [], paused: ["resume", "reinstate"], idle: ["call-next", "call", "reinstate", "pause"],
  calling: ["recall", "start", "finish", "no-show", "transfer", "reinstate", "receive"],
  serving: ["finish", "no-show", "transfer", "reinstate", "receive"],
};

const $ = (id) => document.getElementById(id);
const data = pageData();
const me = data.user;
const base = `/api/v1/halls/${encodeURIComponent(data.hall.code)}/counters/${data.counter}`;
const queueNames = new Map(data.hall.queues.map((q) => [q.code, q.name]));
const state = { snap: null, counter: null, busy: false, offset: 0, resyncTimer: null, hall: data.hall,
  layout: layoutKey(data.hall) };
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

const FALLBACK = {
  400: "请求有误，请检查后重试", 401: "登录已失效，请重新登录", 403: "没有权限进行此操作",
  404: "未找到相关记录", 405: "不支持此操作", 409: "当前状态不允许此操作，请刷新后重试",
  422: "填写的信息有误，请检查后重试", 429: "操作过于频繁，请稍后再试",
};

/** The server's message in Chinese (without its English gloss in brackets), never a bare status. */
function errorText(body, status, what = "操作失败") {
  const message = String(body?.error?.message ?? "").replace(/\s*\([^()]*\)\s*$/, "").trim();
  if (message && /[\u4e00-\u9fff]/.test(message)) return message;
  return `${what}：${FALLBACK[status] ?? "服务器暂时无法处理，请稍后重试"}`;
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
  syncCurrent(c?.ticket ?? null);
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
  const first = ticket?.first_responder; // 首问负责: shown once the ticket came here by transfer
  $("first-row").hidden = !first;
  $("first-responder").textContent = first ? `${first.name}${first.counter ? `（${first.counter}号窗口）` : ""}` : "—";
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

// ------------------------------------------------------------------ the hall's layout, live
/** A new layout (hall.changed, or a snapshot's queues and counters): the queue names, the transfer
 *  dialog's queues and windows, the hall's and this window's names. */
function followLayout(change) {
  const hall = changedLayout(state.hall, change);
  const key = layoutKey(hall);
  if (key === state.layout) return;
  Object.assign(state, { hall, layout: key });
  queueNames.clear();
  for (const q of hall.queues) queueNames.set(q.code, q.name);
  const form = $("transfer-dialog").querySelector("form");
  refill(form.elements.queue, hall.queues.map((q) => [q.code, `${q.code} ${q.name}`]));
  refill(form.elements.counter, hall.counters.filter((c) => c.number !== data.counter).map((c) => [c.number, c.name]));
  const mine = hall.counters.find((c) => c.number === data.counter);
  document.querySelector(".bar .hall").textContent = hall.name;
  if (mine) $("window-name").textContent = mine.name;
  document.title = `${mine?.name ?? `${data.counter}号窗口`} · 窗口叫号 · OneWindow`;
  if (!mine) alertText("本窗口已被撤销，请联系大厅管理人员");
}

// ------------------------------------------------------------------ the feed
function onSnapshot(msg) {
  followLayout({ name: msg.hall?.name, queues: msg.queues, counters: msg.counters });
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
  onEvent: (msg) => {
    if (msg.type === "hall.changed") followLayout(msg); // then the snapshot brings this window's own queues
    if (concernsMe(msg) || msg.type === "hall.changed") resync();
  },
  onMessage: (msg) => { if (msg.type === "card.cases") showHistory(msg); },
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
      alertText(errorText(body, response.status));
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
    if (button.dataset.action === "receive") openCaseDialog();
    else if (button.dataset.dialog) openDialog(button.dataset.dialog);
    else act(button.dataset.action);
  });
}

for (const dialog of document.querySelectorAll("dialog:has(form[data-action])")) {
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

// ------------------------------------------------------------------ the current ticket's booking or case
// `/current` adds what the feed does not carry: the booking behind an appointment ticket (full name
// on the clerk's own screen) and the case an L (查询发证) ticket was taken for. Asked again whenever
// the counter's current ticket changes; an answer about an earlier ticket is dropped.
const extra = { ticketId: null, data: null, seq: 0 };

async function api(path, options = {}) {
  const response = await fetch(path, {
    credentials: "same-origin", ...options,
    headers: options.body ? { "Content-Type": "application/json" } : {},
  });
  if (response.status === 401) location.href = `/login?next=${encodeURIComponent(location.pathname)}`;
  const body = await response.json().catch(() => null);
  return { ok: response.ok, status: response.status, body };
}

function syncCurrent(ticket) {
  const id = ticket?.id ?? null;
  if (id === extra.ticketId) return;
  extra.ticketId = id;
  extra.data = null;
  renderExtra();
  if (id) loadCurrent();
}

async function loadCurrent() {
  const seq = ++extra.seq;
  const id = extra.ticketId;
  try {
    const { ok, body } = await api(`${base}/current`);
    if (!ok || seq !== extra.seq || body?.ticket?.id !== id) return;
    extra.data = body;
    renderExtra();
    // the 受理 dialog opened before the booking arrived: fill in what it would have started with
    if ($("case-dialog").open && !caseForm.hidden && !receiving.result) {
      if (!$("applicant-name").value) $("applicant-name").value = body.appointment?.name ?? "";
      preselectBookedItem();
    }
  } catch {
    // the feed resyncs; the next change of ticket asks again
  }
}

function renderExtra() {
  const d = extra.data;
  const appt = d?.appointment ?? null;
  $("appointment").hidden = !appt;
  if (appt) {
    $("appt-name").textContent = appt.name;
    $("appt-id").textContent = appt.id_last4 ?? "—";
    $("appt-slot").textContent = appt.slot;
    $("appt-item").textContent = appt.item ? `${appt.item.code} ${appt.item.name}` : "";
    $("appt-item-row").hidden = !appt.item;
  }
  const kase = d?.case ?? null;
  $("pickup").hidden = !kase;
  if (kase) {
    $("case-no").textContent = kase.receipt_no;
    $("case-item").textContent = kase.item?.name ?? "";
    $("case-status").textContent = kase.status_label;
    $("case-status").dataset.status = kase.status;
    const open = kase.status === "ready";
    $("collect").disabled = !open;
    $("mail").disabled = !open;
  }
}

// ------------------------------------------------------------------ ID numbers (GB 11643)
const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
function idNumberProblem(raw, required = false) {
  const number = raw.trim().toUpperCase();
  if (!number) return required ? "请填写身份证号码。" : "";
  if (/^\d{15}$/.test(number)) return ""; // a first-generation card: no check digit to check
  if (!/^\d{17}[\dX]$/.test(number)) return "身份证号码应为 18 位（最后一位可以是 X）。";
  const sum = WEIGHTS.reduce((total, w, i) => total + w * Number(number[i]), 0);
  if ("10X98765432"[sum % 11] !== number[17]) return "身份证号码校验位不正确，请核对后重新输入。";
  const y = Number(number.slice(6, 10)), m = Number(number.slice(10, 12)), day = Number(number.slice(12, 14));
  const birth = new Date(y, m - 1, day);
  if (birth.getFullYear() !== y || birth.getMonth() !== m - 1 || birth.getDate() !== day) {
    return "身份证号码中的出生日期不正确。";
  }
  return "";
}

function problem(el, text) {
  el.textContent = text;
  el.hidden = !text;
}

// ------------------------------------------------------------------ collection and mailing (L tickets)
function openCaseAction(id) {
  const kase = extra.data?.case;
  if (!kase) return;
  const dialog = $(id);
  const form = dialog.querySelector("form");
  form.reset();
  problem(form.querySelector(".problem"), "");
  dialog.querySelectorAll(".case-ref").forEach((el) => { el.textContent = kase.receipt_no; });
  dialog.showModal();
  form.querySelector("input:not([type=radio])").focus();
}

async function caseEvent(form, receiptNo, payload, done) {
  const line = form.querySelector(".problem");
  const submit = form.querySelector("button[value=ok]");
  submit.disabled = true;
  try {
    const { ok, status, body } = await api(`/api/v1/cases/${encodeURIComponent(receiptNo)}/events`, {
      method: "POST", body: JSON.stringify(payload),
    });
    if (!ok) {
      const text = errorText(body, status, "登记失败");
      problem(line, text);
      alertText(text);
      return;
    }
    // counter_collect.js keeps the collect dialog open for its pickup slip (领取凭条) by cancelling this
    const dialog = form.closest("dialog");
    if (dialog.dispatchEvent(new CustomEvent("case:done", { cancelable: true, detail: { payload, body } }))) {
      dialog.close();
    }
    alertText(done, "info");
    loadCurrent();
  } catch {
    problem(line, "网络连接失败，请稍后重试");
    alertText("网络连接失败，请稍后重试");
  } finally {
    submit.disabled = false;
  }
}

$("collect").addEventListener("click", () => openCaseAction("collect-dialog"));
$("mail").addEventListener("click", () => openCaseAction("mail-dialog"));

$("collect-form").addEventListener("submit", (event) => {
  if (event.submitter?.value !== "ok") return;
  event.preventDefault();
  const form = event.currentTarget;
  const f = form.elements;
  const name = f.name.value.trim();
  const idNumber = f.id_number.value.trim().toUpperCase();
  const fault = !name ? "请填写领取人姓名。" : idNumberProblem(idNumber, true);
  if (fault) return problem(form.querySelector(".problem"), fault);
  const proxy = f.who.value === "proxy";
  const payload = { status: "collected", collector: { name, id_number: idNumber } };
  if (proxy) payload.note = `代领：${name}，已核验委托书`;
  caseEvent(form, extra.data.case.receipt_no, payload, proxy ? `已登记由 ${name} 代领` : "已登记申请人本人领取");
});

$("mail-form").addEventListener("submit", (event) => {
  if (event.submitter?.value !== "ok") return;
  event.preventDefault();
  const form = event.currentTarget;
  const tracking = form.elements.tracking_no.value.trim();
  if (tracking.length < 4) return problem(form.querySelector(".problem"), "请填写快递单号（至少 4 位）。");
  caseEvent(form, extra.data.case.receipt_no, { status: "mailed", tracking_no: tracking },
    `已登记邮寄，快递单号 ${tracking}`);
});

// ------------------------------------------------------------------ receiving a case (受理)
const receiving = { items: null, item: null, result: null, busy: false };
const caseForm = $("case-form");

async function loadItems() {
  if (receiving.items) return receiving.items;
  const { ok, status, body } = await api(`/api/v1/halls/${encodeURIComponent(data.hall.code)}/items`);
  if (!ok) throw new Error(errorText(body, status, "事项目录加载失败"));
  receiving.items = body;
  return body;
}

/** Items matching the search (name, pinyin initials or code), the counter's own queues first. */
function matches(query) {
  const mine = state.counter?.queues ?? [];
  const q = query.trim().toLowerCase();
  const found = (receiving.items ?? []).filter((i) => !q || i.name.includes(q)
    || (i.pinyin ?? "").toLowerCase().includes(q) || i.code.toLowerCase() === q);
  const rank = (i) => (mine.includes(i.queue) ? 0 : 1);
  const own = found.filter((i) => !q ? mine.includes(i.queue) : true);
  return own.sort((a, b) => rank(a) - rank(b)).slice(0, 8);
}

function renderItems() {
  const list = $("item-list");
  list.replaceChildren(...matches($("item-search").value).map((item) => {
    const li = element("li");
    const button = element("button", item.code === receiving.item?.code ? "item chosen" : "item");
    button.type = "button";
    button.dataset.code = item.code;
    button.append(element("span", "i-name", item.name), element("span", "i-meta",
      `${item.code} · ${item.department_name}${item.time_limit_days ? ` · ${item.time_limit_days}个工作日` : " · 即办"}`));
    button.addEventListener("click", () => pickItem(item));
    li.append(button);
    return li;
  }));
  if (!list.children.length) list.append(element("li", "muted", "没有匹配的事项"));
}

function pickItem(item) {
  receiving.item = item;
  $("case-dialog").dispatchEvent(new CustomEvent("case:item", { detail: item })); // counter_fees.js
  $("item-chosen").textContent = `已选：${item.code} ${item.name}（${item.department_name}）`;
  $("item-chosen").classList.add("set");
  const boxes = (item.materials ?? []).map((m) => {
    const label = element("label", "material");
    const box = element("input");
    box.type = "checkbox";
    box.name = "material";
    box.value = m;
    box.checked = true;
    label.append(box, ` ${m}`);
    return label;
  });
  $("materials").replaceChildren($("materials").querySelector("legend"), ...boxes);
  if (!boxes.length) $("materials").append(element("p", "muted", "此事项无需提交材料"));
  renderItems();
}

function showCaseForm(keepApplicant) {
  caseForm.hidden = false;
  $("case-result").hidden = true;
  problem($("case-problem"), "");
  receiving.item = null;
  receiving.result = null;
  $("case-dialog").dispatchEvent(new CustomEvent("case:item", { detail: null }));
  $("item-search").value = "";
  $("item-chosen").textContent = "尚未选择事项";
  $("item-chosen").classList.remove("set");
  const legend = $("materials").querySelector("legend");
  $("materials").replaceChildren(legend, element("p", "muted", "选择事项后显示所需材料"));
  if (!keepApplicant) {
    $("applicant-name").value = extra.data?.appointment?.name ?? "";
    $("applicant-id").value = "";
    $("applicant-phone").value = "";
  }
  renderItems();
  $("item-search").focus();
}

/** An appointment that named its item: the dialog opens with that item picked, as if the clerk had. */
function preselectBookedItem() {
  const booked = extra.data?.appointment?.item;
  if (!booked || receiving.item) return;
  const item = (receiving.items ?? []).find((i) => i.code === booked.code);
  if (item) pickItem(item);
}

async function openCaseDialog() {
  const dialog = $("case-dialog");
  dialog.querySelectorAll(".ticket-ref").forEach((el) => { el.textContent = state.counter?.ticket?.number ?? ""; });
  dialog.showModal();
  showCaseForm(false);
  try {
    await loadItems();
    preselectBookedItem();
    renderItems();
  } catch (error) {
    problem($("case-problem"), error.message);
    alertText(error.message);
  }
}

$("item-search").addEventListener("input", renderItems);
caseForm.addEventListener("input", () => problem($("case-problem"), "")); // a stale message misleads
for (const id of ["collect-form", "mail-form"]) {
  $(id).addEventListener("input", () => problem($(id).querySelector(".problem"), ""));
}
$("item-search").addEventListener("keydown", (event) => {
  if (event.key !== "Enter") return;
  event.preventDefault(); // Enter picks the first match instead of submitting
  const first = matches($("item-search").value)[0];
  if (first) pickItem(first);
});

/** Channel, paper and any department the clerk added, as recorded for the art. 22 rates (docs/kpis.md). */
function caseFacts() {
  const box = $("case-facts");
  if (!box) return {};
  return {
    channel: box.querySelector("[name=channel]:checked")?.value ?? "counter",
    paperless: box.querySelector("[name=paperless]:checked")?.value === "true",
    departments: JSON.parse(box.dataset.added || "[]"),
  };
}

function casePayload() {
  const item = receiving.item;
  if (!item) return { fault: "请先选择要受理的事项。" };
  const name = $("applicant-name").value.trim();
  if (!name) return { fault: "请填写申请人姓名。" };
  const idNumber = $("applicant-id").value.trim().toUpperCase();
  const idFault = idNumberProblem(idNumber);
  if (idFault) return { fault: idFault };
  const phone = $("applicant-phone").value.trim();
  if (phone && !/^\+?[0-9][0-9 -]{4,19}$/.test(phone)) return { fault: "手机号码格式不正确，请核对。" };
  const missing = [...$("materials").querySelectorAll("input[name=material]")].filter((b) => !b.checked)
    .map((b) => b.value);
  const applicant = { name };
  if (idNumber) applicant.id_number = idNumber;
  if (phone) applicant.phone = phone;
  const payload = { item: item.code, applicant, materials_missing: missing, counter: data.counter };
  const ticketId = state.counter?.ticket?.id;
  if (ticketId) payload.ticket_id = ticketId;
  Object.assign(payload, caseFacts()); // 受理方式 (counter_facts.js): the art. 22 facts
  return { payload };
}

caseForm.addEventListener("submit", async (event) => {
  if (event.submitter?.value !== "ok") return; // 取消 closes the dialog
  event.preventDefault();
  if (receiving.busy) return;
  const { fault, payload } = casePayload();
  if (fault) return problem($("case-problem"), fault);
  problem($("case-problem"), "");
  receiving.busy = true;
  $("case-submit").disabled = true;
  try {
    const { ok, status, body } = await api(`/api/v1/halls/${encodeURIComponent(data.hall.code)}/cases`, {
      method: "POST", body: JSON.stringify(payload),
    });
    if (!ok) {
      const text = errorText(body, status, "受理失败");
      problem($("case-problem"), text);
      alertText(text);
      return;
    }
    alertText("");
    showResult(body);
  } catch {
    problem($("case-problem"), "网络连接失败，请稍后重试");
    alertText("网络连接失败，请稍后重试");
  } finally {
    receiving.busy = false;
    $("case-submit").disabled = false;
  }
});

function showResult(result) {
  receiving.result = result;
  $("case-dialog").dispatchEvent(new CustomEvent("case:received", { detail: result })); // its fee
  caseForm.hidden = true;
  $("case-result").hidden = false;
  const incomplete = result.status === "incomplete";
  $("result-accepted").hidden = incomplete;
  $("result-incomplete").hidden = !incomplete;
  const itemName = result.item_name ?? result.case?.item?.name ?? "";
  if (incomplete) {
    $("notice-receipt").textContent = result.receipt_no;
    $("notice-item").textContent = itemName;
    const missing = result.notice?.missing ?? result.materials_missing ?? [];
    $("notice-missing").replaceChildren(...missing.map((m) => element("li", "", m)));
  } else {
    $("result-receipt").textContent = result.receipt_no;
    $("result-item").textContent = itemName;
    $("result-due").textContent = result.due_at ? `${result.due_at}${result.due_provisional ? "（暂定）" : ""}` : "—";
  }
  $("print-doc").textContent = incomplete ? "打印告知书" : "打印回执";
  $("open-doc").textContent = incomplete ? "打开告知书" : "打开回执";
  $("result-note").textContent = "";
  $("print-doc").focus();
}

$("print-doc").addEventListener("click", async () => {
  const result = receiving.result;
  if (!result) return;
  const what = result.status === "incomplete" ? "notice" : "receipt";
  $("print-doc").disabled = true;
  try {
    const { ok, status, body } = await api(`/api/v1/cases/${encodeURIComponent(result.receipt_no)}/print`, {
      method: "POST", body: JSON.stringify({ what, counter: data.counter }),
    });
    if (!ok) {
      const text = errorText(body, status, "打印失败");
      $("result-note").textContent = text;
      alertText(text);
      return;
    }
    $("result-note").textContent = what === "notice" ? "告知书已发送到本窗口打印机" : "回执已发送到本窗口打印机";
  } catch {
    $("result-note").textContent = "网络连接失败，请稍后重试";
    alertText("网络连接失败，请稍后重试");
  } finally {
    $("print-doc").disabled = false;
  }
});

$("open-doc").addEventListener("click", () => {
  const result = receiving.result;
  if (!result) return;
  window.open(result.status === "incomplete" ? result.notice_url : result.receipt_url, "_blank", "noopener");
});
// Enter in a field submits (the dialog's default button would be 取消); in the item search it picks.
for (const form of [caseForm, $("collect-form"), $("mail-form")]) {
  form.addEventListener("keydown", (event) => {
    if (event.key !== "Enter" || event.target.tagName !== "INPUT" || event.target.id === "item-search") return;
    event.preventDefault();
    form.requestSubmit(form.querySelector("button[value=ok]"));
  });
}
$("case-again").addEventListener("click", () => showCaseForm(true));
$("case-close").addEventListener("click", () => $("case-dialog").close());

// ------------------------------------------------------------------ 既往办件 and 台账
// An ID card read on this counter's reader: the server finds that person's cases in the hall by the
// keyed hash of the number and sends them on the counter's feed (card.cases); the number never comes.
function showHistory(msg) {
  const cases = msg.cases ?? [];
  $("history-who").textContent = `${msg.holder?.masked_name ?? ""} · 共 ${msg.total ?? cases.length} 件`;
  $("history-list").replaceChildren(...cases.map((c) => {
    const li = element("li");
    li.dataset.receipt = c.receipt_no;
    const status = element("span", c.overdue ? "h-status overdue" : "h-status",
      `${c.status_label ?? c.status}${c.overdue ? "·超期" : ""}`);
    status.dataset.status = c.status;
    li.append(element("span", "h-receipt", c.receipt_no), status, element("span", "h-item", c.item?.name ?? ""),
      element("span", "h-date", (c.received_at ?? "").slice(0, 10)));
    return li;
  }));
  $("history-empty").hidden = cases.length > 0;
  $("history").hidden = false;
}
$("history-close").addEventListener("click", () => { $("history").hidden = true; });

const register = mountRegister($("register-dialog").querySelector("[data-register]"), { canExport: me.manager });
$("register-open").disabled = false; // rendered disabled: a click before this script ran would do nothing
$("register-open").addEventListener("click", () => {
  $("register-dialog").showModal();
  register.open();
});
$("register-close").addEventListener("click", () => $("register-dialog").close());

setInterval(() => { if (state.snap) renderSide(); }, 1000);
feed.start();
render();
