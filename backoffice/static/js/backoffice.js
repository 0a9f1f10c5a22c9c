// 部门工作台: the department's cases, live over /ws/halls/{hall}/departments/{code} (a snapshot of
// every case on its workbench, then each case as it changes, with the lists it is in), and the
// department's decisions on them through POST /api/v1/cases/{receipt}/events. A new case rings the
// chime (once the 开启提示音 button has been pressed: browsers play sound only after a click) and
// counts on the 新收件 tab and in the window's title.
import { runDialog } from "./dashboard_common.js";
import { feedMark, pageData } from "./hall_model.js";

const data = pageData();
const HALL = data.hall.code;
const DEPARTMENT = data.department;
const ZONE = data.hall.timezone || "Asia/Shanghai";
const LISTS = ["new", "in_review", "supplement", "due_soon", "overdue", "decided_recently"];
const DECIDING = new Set(["accepted", "in_review", "supplement"]);
const $ = (id) => document.getElementById(id);

const state = {
  cases: new Map(), // receipt → the case as this department's workbench shows it
  list: "new",
  selected: null,
  seenNew: new Set(), // receipts already counted as new: the chime rings once per arrival
  fresh: new Set(), // arrived while the page was open, not yet opened: highlighted
  snapshots: 0,
  feed: null,
};
const chime = { enabled: false, plays: 0 };

// ------------------------------------------------------------------ small helpers
function element(tag, className, text) {
  const el = document.createElement(tag);
  if (className) el.className = className;
  if (text !== undefined && text !== null) el.textContent = text;
  return el;
}

const stampFormat = new Intl.DateTimeFormat("zh-CN", { timeZone: ZONE, year: "numeric", month: "2-digit",
  day: "2-digit", hour: "2-digit", minute: "2-digit", hour12: false });
const clockFormat = new Intl.DateTimeFormat("zh-CN", { timeZone: ZONE, month: "long", day: "numeric",
  weekday: "short", hour: "2-digit", minute: "2-digit", hour12: false });
const stamp = (iso) => (iso ? stampFormat.format(new Date(iso)) : "—");
// A department's own step in the timeline, in its words (the case's own steps keep the case's).
const STEP_LABELS = { in_review: "开始审查", approved: "同意", rejected: "不同意", supplement: "要求补正" };
/** The server's clock minus this PC's, learnt from each snapshot (the injected clock in tests). */
const clock = { offset: 0 };
const now = () => Date.now() - clock.offset;

function dueText(c) {
  if (c.status === "supplement") return "补正中，时限暂停";
  if (!c.due_at) return "尚未起算";
  const left = c.working_days_left;
  if (left === null || left === undefined || !DECIDING.has(c.status)) return `期限 ${c.due_at}`;
  if (left < 0) return `已超期 ${-left} 个工作日`;
  if (left === 0) return "今日到期";
  if (left === 1) return "明日到期";
  return `剩 ${left} 个工作日`;
}

function dueClass(c) {
  const left = c.working_days_left;
  if (!DECIDING.has(c.status) || c.status === "supplement" || left === null || left === undefined) return "";
  return left < 0 ? "late" : left <= 1 ? "soon" : "";
}

const FALLBACK = {
  400: "请求有误，请检查后重试", 401: "登录已失效，请重新登录", 403: "没有权限进行此操作",
  404: "未找到该办件", 409: "办件状态已变化，请查看最新情况后重试", 422: "填写的信息有误，请检查后重试",
  429: "操作过于频繁，请稍后再试",
};

/** The server's refusal in Chinese (without its English gloss), never a bare status. */
function refusal(result) {
  if (result.status === 0) return "网络连接失败，请稍后重试";
  const text = String(result.body?.error?.message ?? "").replace(/\s*\([^()]*\)\s*$/, "").trim();
  if (text && /[\u4e00-\u9fff]/.test(text)) return text;
  return `操作失败：${FALLBACK[result.status] ?? "服务器暂时无法处理，请稍后重试"}`;
}

async function api(method, path, body) {
  try {
    const response = await fetch(path, {
      method, credentials: "same-origin",
      headers: body !== undefined ? { "Content-Type": "application/json" } : {},
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    if (response.status === 401) location.href = `/login?next=${encodeURIComponent(location.pathname)}`;
    return { ok: response.ok, status: response.status, body: await response.json().catch(() => null) };
  } catch {
    return { ok: false, status: 0, body: null };
  }
}

let messageTimer = null;
function message(text, kind = "error") {
  clearTimeout(messageTimer);
  if (text && kind === "info") messageTimer = setTimeout(() => message(""), 8000);
  $("message-text").textContent = text;
  $("message").dataset.kind = kind;
  $("message").hidden = !text;
}
$("message-close").addEventListener("click", () => message(""));

// ------------------------------------------------------------------ the chime
function enableSound(on) {
  chime.enabled = on;
  const button = $("sound");
  button.setAttribute("aria-pressed", String(on));
  button.textContent = on ? "提示音已开启" : "开启提示音";
  button.classList.remove("needed");
}

function ring() {
  chime.plays += 1;
  $("bench").dataset.chimes = String(chime.plays);
  if (!chime.enabled) {
    $("sound").classList.add("needed"); // no click yet: the browser would not play it
    return;
  }
  const audio = $("chime");
  audio.currentTime = 0;
  audio.play().catch(() => enableSound(false));
}

$("sound").addEventListener("click", () => {
  // A click is the gesture a browser waits for before it lets a page play sound.
  const audio = $("chime");
  audio.currentTime = 0;
  audio.play().then(() => enableSound(true)).catch(() => enableSound(false));
});

// ------------------------------------------------------------------ the lists
function inList(c, name) {
  return (c.lists ?? []).includes(name);
}

function ordered(name) {
  const found = [...state.cases.values()].filter((c) => inList(c, name));
  if (name === "decided_recently") {
    return found.sort((a, b) => String(b.part?.updated_at ?? "").localeCompare(String(a.part?.updated_at ?? "")));
  }
  return found.sort((a, b) => (a.due_at === null) - (b.due_at === null)
    || String(a.due_at ?? "").localeCompare(String(b.due_at ?? ""))
    || String(a.received_at ?? "").localeCompare(String(b.received_at ?? "")));
}

function renderCounts() {
  for (const name of LISTS) {
    const count = ordered(name).length;
    const badge = $(`count-${name}`);
    badge.textContent = count;
    badge.classList.toggle("zero", count === 0);
  }
  const fresh = ordered("new").length;
  document.title = `${fresh ? `（${fresh}）` : ""}${DEPARTMENT.name} · 部门工作台`;
}

function caseRow(c) {
  const li = element("li", "case-row");
  li.dataset.receipt = c.receipt_no;
  const button = element("button", "row-button");
  button.type = "button";
  button.setAttribute("aria-current", String(c.receipt_no === state.selected));
  const top = element("span", "row-top");
  top.append(element("span", "row-item", c.item?.name ?? ""), element("span", `row-due ${dueClass(c)}`, dueText(c)));
  const bottom = element("span", "row-bottom");
  bottom.append(element("span", "row-receipt", c.receipt_no), element("span", "row-applicant", c.applicant?.name ?? ""));
  if ((c.departments ?? []).length > 1) bottom.append(element("span", "tag joint", "联审"));
  if (c.part && c.part.status !== "pending") bottom.append(element("span", `tag part-${c.part.status}`, c.part.status_label));
  button.append(top, bottom);
  button.addEventListener("click", () => select(c.receipt_no));
  li.append(button);
  li.classList.toggle("fresh", state.fresh.has(c.receipt_no));
  li.classList.toggle("selected", c.receipt_no === state.selected);
  return li;
}

function renderList() {
  for (const tab of document.querySelectorAll(".tabs [data-list]")) {
    tab.setAttribute("aria-selected", String(tab.dataset.list === state.list));
  }
  const rows = ordered(state.list).map(caseRow);
  $("case-list").replaceChildren(...rows);
  $("list-empty").hidden = rows.length > 0;
}

for (const tab of document.querySelectorAll(".tabs [data-list]")) {
  tab.addEventListener("click", () => {
    state.list = tab.dataset.list;
    renderList();
  });
}

// ------------------------------------------------------------------ one case
function pair(dl, term, value, className) {
  const dd = element("dd", className, value ?? "—");
  dl.append(element("dt", "", term), dd);
  return dd;
}

function renderFacts(c) {
  const dl = $("facts");
  dl.replaceChildren();
  pair(dl, "受理编号", c.receipt_no);
  pair(dl, "办理事项", `${c.item?.code ?? ""} ${c.item?.name ?? ""}`);
  pair(dl, "牵头部门", c.item?.department_name ?? c.department_name);
  pair(dl, "收件时间", stamp(c.received_at));
  pair(dl, "受理时间", stamp(c.accepted_at));
  pair(dl, "承诺时限", c.time_limit_days === 0 ? "即办件" : `${c.time_limit_days} 个工作日`);
  const running = DECIDING.has(c.status) && c.due_at;
  const due = c.due_at ? `${c.due_at}${c.due_provisional ? "（暂定）" : ""}${running ? ` · ${dueText(c)}` : ""}`
    : dueText(c);
  pair(dl, "办结期限", due, `due ${dueClass(c)}`);
  if (c.ticket_number) pair(dl, "取号", c.ticket_number);
}

function renderApplicant(c) {
  const dl = $("applicant");
  dl.replaceChildren();
  const who = c.applicant ?? {};
  pair(dl, "姓名", who.name ?? who.masked_name);
  pair(dl, "联系电话", who.phone || "未留");
  pair(dl, "身份证号", who.id_last4 ? `后四位 ${who.id_last4}` : "未登记");
}

function renderMaterials(c) {
  const items = (c.materials ?? []).map((m) => {
    const li = element("li", m.received ? "got" : "missing");
    li.append(element("span", "mark", m.received ? "✓" : "缺"), element("span", "", m.name));
    return li;
  });
  if (!items.length) items.push(element("li", "muted", "该事项未列材料"));
  $("materials").replaceChildren(...items);
}

function renderParts(c) {
  $("parts").replaceChildren(...(c.parts ?? []).map((p) => {
    const tr = element("tr", p.department === DEPARTMENT.code ? "mine" : "");
    tr.dataset.department = p.department;
    const name = element("td", "name", p.department_name);
    if (p.lead) name.append(element("span", "tag lead", "牵头"));
    tr.append(name, element("td", `part-${p.status}`, p.status_label), element("td", "note", p.note ?? ""),
      element("td", "when", p.status === "pending" ? "—" : stamp(p.updated_at)));
    return tr;
  }));
}

function renderTimeline(c) {
  $("timeline").replaceChildren(...[...(c.timeline ?? [])].reverse().map((e) => {
    const li = element("li", `step step-${e.status}`);
    const head = element("p", "step-head");
    const label = e.department ? STEP_LABELS[e.status] ?? e.status_label : e.status_label;
    head.append(element("time", "", stamp(e.at)), element("strong", "", label));
    if (e.department_name) head.append(element("span", "tag", e.department_name));
    li.append(head);
    if (e.note) li.append(element("p", "step-note", e.note));
    return li;
  }));
}

/** What this department may do now, from its part and the case's status (the server decides). */
function allowed(c) {
  const part = c.part?.status;
  const deciding = DECIDING.has(c.status);
  return {
    in_review: deciding && part === "pending",
    approved: deciding && (part === "pending" || part === "in_review"),
    rejected: deciding && ["pending", "in_review", "supplement"].includes(part),
    supplement: deciding && (part === "pending" || part === "in_review"),
    ready: Boolean(c.part?.lead) && (c.status === "approved" || c.status === "rejected"),
  };
}

function partNote(c) {
  const part = c.part;
  if (!part) return "";
  if (part.status === "supplement") return `已要求补正，等待申请人补交：${(c.materials_missing ?? []).join("、")}`;
  if (part.status === "approved" || part.status === "rejected") {
    const after = c.part.lead && (c.status === "approved" || c.status === "rejected")
      ? "；各部门均已决定，请将结果（或不予许可决定书）交窗口待领取" : "";
    return `本部门意见：${part.status_label}（${stamp(part.updated_at)}）${after}`;
  }
  if (c.status === "supplement") return "其他部门已要求申请人补正，办结时限暂停";
  return "";
}

function renderCase() {
  const c = state.selected ? state.cases.get(state.selected) : null;
  $("placeholder").hidden = Boolean(c);
  $("case").hidden = !c;
  if (!c) return;
  $("case").dataset.receipt = c.receipt_no;
  $("case").dataset.status = c.status;
  $("case-item").textContent = c.item?.name ?? "";
  $("case-receipt").textContent = c.receipt_no;
  $("case-status").textContent = c.status_label;
  $("case-status").dataset.status = c.status;
  $("case-due").textContent = dueText(c);
  $("case-due").className = `due-mark ${dueClass(c)}`;
  const may = allowed(c);
  for (const button of document.querySelectorAll("#actions [data-act]")) {
    button.hidden = !may[button.dataset.act];
  }
  $("part-note").textContent = partNote(c);
  renderFacts(c);
  renderApplicant(c);
  renderMaterials(c);
  renderParts(c);
  renderTimeline(c);
}

function select(receipt) {
  state.selected = receipt;
  state.fresh.delete(receipt);
  renderList();
  renderCase();
}

function render() {
  renderCounts();
  renderList();
  renderCase();
  renderNotices();
}

// ------------------------------------------------------------------ decisions
async function post(c, body, done) {
  const result = await api("POST", `/api/v1/cases/${encodeURIComponent(c.receipt_no)}/events`, body);
  if (!result.ok) return refusal(result);
  message(`${c.receipt_no}：${done}`, "info");
  if (state.feed?.state !== "live") await reload(); // the feed brings the change; without it, ask
  return null;
}

const DECISIONS = {
  approved: { title: "同意", label: "审查意见（可选）", required: false, done: "已同意" },
  rejected: { title: "不同意", label: "不同意的理由（必填，将告知申请人）", required: true, done: "已作出不同意决定" },
  ready: { title: "结果待领取", label: "说明（可选）", required: false, done: "结果已交窗口待领取" },
};

function decide(c, act) {
  const how = DECISIONS[act];
  runDialog($("decide-dialog"), { prepare: (form) => {
    $("decide-title").textContent = how.title;
    $("decide-label").textContent = how.label;
    $("decide-case").textContent = `${c.receipt_no} · ${c.item?.name ?? ""} · ${c.applicant?.name ?? ""}`;
    form.elements.note.required = how.required;
  }, submit: (form) => {
    const note = form.elements.note.value.trim();
    if (how.required && !note) return "请填写不同意的理由";
    return post(c, { status: act, ...(note ? { note } : {}) }, how.done);
  } });
}

function askForMaterial(c) {
  runDialog($("supplement-dialog"), { prepare: () => {
    $("supplement-case").textContent = `${c.receipt_no} · ${c.item?.name ?? ""} · ${c.applicant?.name ?? ""}`;
    const picks = $("missing-picks");
    picks.replaceChildren(element("legend", "", "须补交的材料（勾选）"), ...(c.materials ?? []).map((m) => {
      const label = element("label", "inline");
      const box = element("input");
      box.type = "checkbox";
      box.name = "missing";
      box.value = m.name;
      label.append(box, element("span", "", m.name));
      return label;
    }));
  }, submit: (form) => {
    const picked = [...form.querySelectorAll("input[name=missing]:checked")].map((box) => box.value);
    const other = form.elements.other.value.split("\n").map((line) => line.trim()).filter(Boolean);
    const missing = [...new Set([...picked, ...other])];
    if (!missing.length) return "请勾选或填写须补交的材料";
    const note = form.elements.note.value.trim();
    return post(c, { status: "supplement", missing, ...(note ? { note } : {}) }, "已发出补正告知");
  } });
}

for (const button of document.querySelectorAll("#actions [data-act]")) {
  button.addEventListener("click", async () => {
    const c = state.cases.get(state.selected);
    if (!c) return;
    const act = button.dataset.act;
    if (act === "supplement") return askForMaterial(c);
    if (act in DECISIONS) return decide(c, act);
    button.disabled = true; // 开始审查: at once
    const error = await post(c, { status: act }, "已开始审查");
    button.disabled = false;
    if (error) message(error);
  });
}

// ------------------------------------------------------------------ the feed
/** One case as it now stands; true when it just arrived among the new ones. */
function take(c) {
  if (!(c.lists ?? []).length) {
    state.cases.delete(c.receipt_no); // left the workbench; still shown if it is the one open
    if (state.selected === c.receipt_no) state.cases.set(c.receipt_no, c);
    return false;
  }
  state.cases.set(c.receipt_no, c);
  const arrived = inList(c, "new") && !state.seenNew.has(c.receipt_no);
  if (inList(c, "new")) state.seenNew.add(c.receipt_no);
  return arrived;
}

function arrivals(found) {
  if (!found.length) return;
  for (const c of found) state.fresh.add(c.receipt_no);
  ring();
  const names = found.map((c) => `${c.item?.name ?? ""}（${c.receipt_no}）`).join("、");
  message(`新收件：${names}`, "info");
}

/** Every case on the workbench at once (a snapshot, or the API's lists); the one open stays open. */
function replaceAll(cases, announce) {
  const before = state.selected ? state.cases.get(state.selected) : null;
  state.cases = new Map();
  const found = [];
  for (const c of cases) {
    if (take(c) && announce) found.push(c);
  }
  if (before && !state.cases.has(before.receipt_no)) state.cases.set(before.receipt_no, before);
  render();
  arrivals(found);
}

function onSnapshot(msg) {
  if (msg.at) {
    clock.offset = Date.now() - Date.parse(msg.at);
    tick();
  }
  state.feed.seq = null; // this feed has no seq: every (re)connection starts with a fresh snapshot
  state.snapshots += 1;
  replaceAll(msg.cases ?? [], state.snapshots > 1); // the first one only sets the scene
}

function onMessage(msg) {
  if (msg.type === "department.notice") {
    notice(msg.notice);
    return;
  }
  if (msg.type !== "case.updated" || !msg.case) return;
  const arrived = take(msg.case);
  render();
  if (arrived) arrivals([msg.case]);
}

// ------------------------------------------------------------------ what the department was told
const NOTICES_SHOWN = 20;
const notices = [];

function renderNotices() {
  $("notices").hidden = notices.length === 0;
  $("notice-list").replaceChildren(...notices.slice(0, NOTICES_SHOWN).map((n) => {
    const li = element("li", `notice notice-${n.kind}`);
    li.append(element("time", "", stamp(n.created_at).slice(-5)));
    if (n.receipt_no && state.cases.has(n.receipt_no)) {
      const open = element("button", "link", n.text);
      open.type = "button";
      open.addEventListener("click", () => select(n.receipt_no));
      li.append(open);
    } else if (String(n.kind).startsWith("prereview")) {
      const link = element("a", "", n.text);
      link.href = `/prereview/${encodeURIComponent(HALL)}`;
      li.append(link);
    } else {
      li.append(element("span", "", n.text));
    }
    return li;
  }));
}

function notice(n) {
  if (!n || notices.some((m) => m.id === n.id)) return;
  notices.unshift(n);
  notices.length = Math.min(notices.length, NOTICES_SHOWN);
  renderNotices();
}

/** The department's recent messages, where the server keeps them (none: the panel stays hidden). */
async function loadNotices() {
  const path = `/api/v1/halls/${encodeURIComponent(HALL)}/departments/${encodeURIComponent(DEPARTMENT.code)}`
    + `/notifications?limit=${NOTICES_SHOWN}`;
  const result = await api("GET", path);
  if (!result.ok || !Array.isArray(result.body?.notifications)) return;
  for (const n of [...result.body.notifications].reverse()) notice(n);
}

/** Without the feed: the workbench's lists by the API (GET /halls/{hall}/backoffice). */
async function reload() {
  const result = await api("GET", `/api/v1/halls/${encodeURIComponent(HALL)}/backoffice`);
  if (!result.ok) return;
  const all = new Map();
  for (const name of LISTS) for (const c of result.body.lists[name] ?? []) all.set(c.receipt_no, c);
  replaceAll([...all.values()], true);
}

const showState = feedMark($("reconnecting"));
state.feed = new window.LiveFeed(
  `/ws/halls/${encodeURIComponent(HALL)}/departments/${encodeURIComponent(DEPARTMENT.code)}`, {
    onSnapshot, onMessage, gapless: false,
    onState: (s, reason) => {
      document.documentElement.dataset.feed = s;
      showState(s, reason);
    },
  });

function tick() {
  $("clock").textContent = clockFormat.format(new Date(now()));
}
tick();
setInterval(tick, 15000);
document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "visible") state.feed.send({ type: "resync" });
});
render();
state.feed.start();
loadNotices();
