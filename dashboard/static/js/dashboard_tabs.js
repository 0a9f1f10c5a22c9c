// The dashboard's other tabs, each asking the API when opened: 好差评整改 (follow-ups of bad
// ratings: assign, call back, fix, close), 报表 (reports on screen, exported to Excel or CSV with a
// progress bar) and 审计 (the audit trail, searched).
import {
  $, api, confirmThen, counterNames, duration, element, HALL, hallPath, percent, refusal, runDialog, stamp,
} from "./dashboard_common.js";
import { mountRegister } from "./dashboard_register.js";
import { mountConsultations } from "./dashboard_consultations.js";
import { mountFeedback } from "./dashboard_feedback.js";
import { mountAssisted } from "./dashboard_assisted.js";
import { mountWhatif } from "./dashboard_whatif.js";
import { showRegisters } from "./dashboard_report_registers.js";

const LEVELS = { 5: "非常满意", 4: "满意", 3: "基本满意", 2: "不满意", 1: "非常不满意" };
const FOLLOWUP_STATUS = { open: "待整改", overdue: "已超期", closed: "已办结" };
const EXPORT_POLL_MS = 500;

const listOf = (body, ...keys) => {
  if (Array.isArray(body)) return body;
  for (const key of keys) if (Array.isArray(body?.[key])) return body[key];
  return [];
};

// ------------------------------------------------------------------ 好差评整改
function followupFacts(f) {
  const rating = f.rating ?? f;
  const level = rating.level ?? f.level;
  const reasons = rating.reasons ?? f.reasons ?? [];
  const ticket = f.ticket?.number ?? f.ticket_number ?? f.ticket ?? "";
  const counter = f.counter?.name ?? counterNames.get(f.counter?.number ?? f.counter) ?? (f.counter ? `${f.counter}号窗口` : "");
  const clerk = f.clerk_name ?? (typeof f.clerk === "string" ? f.clerk : "");
  return { level, label: rating.label ?? f.level_label ?? LEVELS[level] ?? "", reasons, ticket, counter, clerk };
}

function followupItem(f) {
  const facts = followupFacts(f);
  const status = f.status ?? "open";
  const li = element("li", `followup ${status}`);
  li.dataset.id = f.id;
  li.dataset.status = status;
  const head = element("div", "f-head");
  head.append(element("span", "chip", FOLLOWUP_STATUS[status] ?? status),
    element("b", "f-level", `${facts.label}${facts.level ? `（${facts.level}星）` : ""}`),
    element("span", "f-where", [facts.ticket, facts.counter, facts.clerk].filter(Boolean).join(" · ")));
  const body = element("dl", "f-facts");
  const fact = (label, value) => {
    if (value === null || value === undefined || value === "") return;
    const div = element("div");
    div.append(element("dt", null, label), element("dd", null, value));
    body.append(div);
  };
  fact("原因", facts.reasons.length ? facts.reasons.join("、") : "未选择");
  fact("评价时间", stamp(f.rated_at ?? f.rating?.at ?? f.opened_at ?? f.created_at));
  fact("整改期限", `${f.due_date ?? f.due_at ?? "—"}${f.due_provisional ? "（暂定）" : ""}`);
  fact("责任人", f.assignee ? (f.assignee_name ? `${f.assignee_name}（${f.assignee}）` : f.assignee) : "未指派");
  const callback = f.callback ?? null;
  fact("回访", callback ? `${callback.reached === false ? "未联系到" : "已联系"}：${callback.note ?? ""}` : "未回访");
  fact("整改", f.fix ? `${f.fix.note ?? ""}` : "未整改");
  if (f.closed) fact("办结", `${stamp(f.closed.at)} · ${f.closed.by ?? ""}`);
  li.append(head, body);
  if (status !== "closed") {
    const actions = element("div", "f-actions");
    const button = (text, handler, cls = "ghost") => {
      const b = element("button", `small ${cls}`, text);
      b.type = "button";
      b.addEventListener("click", handler);
      actions.append(b);
    };
    button("指派", () => editFollowup(f, "assignee"));
    button("回访", () => editFollowup(f, "callback"));
    button("整改", () => editFollowup(f, "fix"));
    button("办结", () => closeFollowup(f), "go");
    li.append(actions);
  }
  return li;
}

async function patchFollowup(f, body) {
  const result = await api("PATCH", `/api/v1/followups/${encodeURIComponent(f.id)}`, body);
  if (!result.ok) return refusal(result);
  loadFollowups();
  return null;
}

function editFollowup(f, step) {
  const dialog = $("followup-dialog");
  const titles = { assignee: "指派责任人", callback: "回访评价人", fix: "整改措施" };
  return runDialog(dialog, {
    prepare: (form) => {
      const facts = followupFacts(f);
      dialog.querySelector(".followup-title").textContent = titles[step];
      dialog.querySelector(".followup-facts").textContent =
        `${facts.label} · ${[facts.ticket, facts.counter, facts.clerk].filter(Boolean).join(" · ")}`;
      for (const set of form.querySelectorAll("fieldset[data-step]")) {
        set.hidden = set.dataset.step !== step;
        set.disabled = set.dataset.step !== step;
      }
      form.elements.assignee.value = f.assignee ?? "";
      form.elements.assignee.required = false; // empty unassigns
      form.elements.callback_note.required = step === "callback";
      form.elements.fix_note.required = step === "fix";
    },
    submit: (form) => {
      const e = form.elements;
      if (step === "assignee") return patchFollowup(f, { assignee: e.assignee.value.trim() });
      if (step === "callback") {
        return patchFollowup(f, { callback: { note: e.callback_note.value.trim(), reached: e.reached.checked } });
      }
      return patchFollowup(f, { fix: { note: e.fix_note.value.trim() } });
    },
  });
}

function closeFollowup(f) {
  return confirmThen("办结该整改事项？", "办结后不能再修改回访与整改记录。", () => patchFollowup(f, { close: true }));
}

export async function loadFollowups() {
  const status = $("followup-status").value;
  const result = await api("GET", `${hallPath}/followups?status=${status}`);
  if (!result.ok) {
    $("followup-list").replaceChildren();
    $("followup-empty").hidden = false;
    $("followup-empty").textContent = refusal(result, "无法读取整改事项");
    return;
  }
  const items = listOf(result.body, "followups", "items");
  $("followup-list").replaceChildren(...items.map(followupItem));
  $("followup-empty").hidden = items.length > 0;
  $("followup-empty").textContent = "没有符合条件的整改事项";
  if (status === "open") {
    $("followup-count").hidden = items.length === 0;
    $("followup-count").textContent = items.length;
  }
}

$("followup-status").addEventListener("change", loadFollowups);
$("followup-reload").addEventListener("click", loadFollowups);

// ------------------------------------------------------------------ 报表
// Two tables (queueing and ratings; cases), each narrow enough to show whole on a 1280 px desk.
const QUEUE_COLUMNS = [
  ["tickets", "n"], ["served", "n"], ["no_shows", "n"], ["no_show_rate", "%"], ["avg_wait_s", "t"],
  ["p90_wait_s", "t"], ["avg_service_s", "t"], ["p90_service_s", "t"], ["within_15", "%"], ["within_30", "%"],
  ["ratings", "n"], ["satisfaction_rate", "%"],
];
const CASE_COLUMNS = [
  ["cases", "n"], ["immediate_rate", "%"], ["online_rate", "%"], ["comprehensive_rate", "%"], ["joint_rate", "%"],
  ["paperless_rate", "%"], ["standard_rate", "%"],
];
// 按部门 (art. 22): each department's cases of the period as they stand now, a table of its own.
const DEPARTMENT_COLUMNS = [
  ["received", "n", "收件"], ["decided", "n", "已办结"], ["on_time", "n", "按时办结"], ["overdue", "n", "超期"],
  ["pending", "n", "在办"], ["on_time_rate", "%", "按时办结率"], ["avg_decide_days", "d", "平均办结（工作日）"],
  ["prereviews", "n", "网上预审"], ["prereview_on_time_rate", "%", "预审按时率"],
];

function cell(row, [key, kind]) {
  const value = row?.[key];
  const text = value === null || value === undefined ? "—"
    : kind === "%" ? percent(value) : kind === "t" ? duration(value)
      : kind === "d" ? Number(value).toFixed(1) : String(value);
  const td = element("td", "num", text);
  td.dataset.key = key;
  return td;
}

function reportRow(row, columns, tag = "td") {
  const tr = element("tr");
  tr.dataset.key = row.key ?? "";
  tr.append(element(tag === "th" ? "th" : "td", "name", row.label ?? row.key ?? "合计"), ...columns.map((c) => cell(row, c)));
  return tr;
}

function fillReport(rowsId, totalId, columns, rows, total) {
  $(rowsId).replaceChildren(...rows.map((r) => reportRow(r, columns)));
  $(totalId).replaceChildren(...(total ? [reportRow({ ...total, label: "合计" }, columns, "th")] : []));
}

// The 部门 choice and its table are added here, so that the page's template stays as it was.
function departmentTable() {
  const by = $("report-form").elements.by;
  if (![...by.options].some((o) => o.value === "department")) by.append(new Option("部门", "department"));
  if ($("department-table")) return;
  const part = element("h3", "report-part", "部门办件（服务评价第二十二条）");
  part.id = "department-part";
  const wrap = element("div", "table-wrap");
  const table = element("table", "grid-table report");
  table.id = "department-table";
  const head = element("tr");
  head.append(element("th", null, "部门"), ...DEPARTMENT_COLUMNS.map(([, , label]) => element("th", null, label)));
  const thead = element("thead");
  thead.append(head);
  const rows = element("tbody");
  rows.id = "department-rows";
  const total = element("tfoot");
  total.id = "department-total";
  table.append(thead, rows, total);
  wrap.append(table);
  $("report-empty").before(part, wrap);
}

// The art. 22 rates as docs/kpis.md defines them, on each column's heading (a tooltip).
const RATE_DEFINITIONS = {
  immediate_rate: "即办率（第十八、二十二条）：受理当日即作出决定的办件 ÷ 受理办件",
  online_rate: "网上办理率（第四、十五条）：经网上办事大厅申报受理的办件 ÷ 受理办件",
  comprehensive_rate: "综合办理率（第三、五条）：在综合窗口或网上综合受理的办件 ÷ 已记录受理窗口的办件（专窗受理的不计入分子）",
  joint_rate: "联合办理率（第六条）：须两个及以上部门审批决定的办件 ÷ 受理办件",
  paperless_rate: "无纸化率（第四条（三））：以电子材料受理、不收纸质材料的办件 ÷ 已记录是否无纸化的办件",
  standard_rate: "标准化率（第八条）：事项办事标准完整（材料、时限、设定依据、受理标准、收费）的办件 ÷ 已记录的办件",
};

function explainRates() {
  const heads = $("case-table").querySelectorAll("thead th");
  CASE_COLUMNS.forEach(([key], i) => { if (heads[i + 1] && RATE_DEFINITIONS[key]) heads[i + 1].title = RATE_DEFINITIONS[key]; });
}
explainRates();

// by=department shows the departments' table and the art. 22 rates; any other dimension the two usual ones.
function showReportTables(byDepartment) {
  for (const id of ["report-table"]) {
    const wrap = $(id).closest(".table-wrap");
    wrap.hidden = byDepartment;
    if (wrap.previousElementSibling?.classList.contains("report-part")) wrap.previousElementSibling.hidden = byDepartment;
  }
  $("department-table").closest(".table-wrap").hidden = !byDepartment;
  $("department-part").hidden = !byDepartment;
}

departmentTable();
showReportTables(false);

function reportQuery() {
  const f = $("report-form").elements;
  return { period: f.period.value, date: f.date.value, by: f.by.value };
}

const PERIODS = { day: "日报", week: "周报", month: "月报" };

export async function loadReport() {
  const q = reportQuery();
  const result = await api("GET", `${hallPath}/reports?${new URLSearchParams(q)}`);
  if (!result.ok) {
    fillReport("report-rows", "report-total", QUEUE_COLUMNS, [], null);
    fillReport("case-rows", "case-total", CASE_COLUMNS, [], null);
    fillReport("department-rows", "department-total", DEPARTMENT_COLUMNS, [], null);
    $("report-empty").hidden = false;
    $("report-empty").textContent = refusal(result, "无法生成报表");
    showRegisters(null);
    return;
  }
  const body = result.body ?? {};
  const rows = body.rows ?? [];
  const byDepartment = (body.by ?? q.by) === "department";
  showReportTables(byDepartment);
  fillReport("report-rows", "report-total", QUEUE_COLUMNS, byDepartment ? [] : rows, byDepartment ? null : body.total);
  fillReport("case-rows", "case-total", CASE_COLUMNS, rows, body.total);
  fillReport("department-rows", "department-total", DEPARTMENT_COLUMNS, byDepartment ? rows : [],
    byDepartment ? body.total : null);
  $("report-range").textContent = `${PERIODS[body.period ?? q.period] ?? ""} ${body.from ?? q.date}${body.to && body.to !== body.from ? ` 至 ${body.to}` : ""}`;
  $("report-empty").hidden = rows.length > 0;
  $("report-empty").textContent = "该期间没有数据";
  showRegisters(body); // 收费 and 咨询 under the report's tables
}

$("report-form").addEventListener("submit", (event) => {
  event.preventDefault();
  loadReport();
});

const exporting = { id: null, timer: null };

function exportState(label, progress, link) {
  $("export").hidden = false;
  $("export-label").textContent = label;
  const value = Math.max(0, Math.min(100, Number(progress) || 0));
  $("export-progress").value = value;
  $("export-percent").textContent = `${Math.round(value)}%`;
  $("export-link").hidden = !link;
  if (link) {
    $("export-link").href = link.url;
    $("export-link").textContent = link.text;
  }
}

async function startExport(format) {
  clearTimeout(exporting.timer);
  const name = format === "xlsx" ? "Excel" : "CSV";
  for (const b of document.querySelectorAll("[data-export]")) b.disabled = true;
  exportState(`正在导出 ${name}…`, 0, null);
  $("export").dataset.status = "running";
  const result = await api("POST", `${hallPath}/reports/exports`, { ...reportQuery(), format });
  if (!result.ok) {
    for (const b of document.querySelectorAll("[data-export]")) b.disabled = false;
    exportState(refusal(result, "导出失败"), 0, null);
    $("export").dataset.status = "failed";
    return;
  }
  exporting.id = result.body.id;
  poll(exporting.id, name);
}

async function poll(id, name) {
  if (id !== exporting.id) return;
  const result = await api("GET", `${hallPath}/reports/exports/${encodeURIComponent(id)}`);
  const body = result.body ?? {};
  const done = ["done", "finished", "ready", "complete", "completed"].includes(body.status) && body.file_url;
  const failed = !result.ok || ["failed", "error"].includes(body.status);
  if (done || failed) {
    for (const b of document.querySelectorAll("[data-export]")) b.disabled = false;
    $("export").dataset.status = done ? "done" : "failed";
    if (done) exportState(`${name} 已生成`, 100, { url: body.file_url, text: `下载 ${name} 文件` });
    else exportState(result.ok ? `导出失败：${body.error ?? "请稍后重试"}` : refusal(result, "导出失败"), body.progress, null);
    return;
  }
  exportState(`正在导出 ${name}…`, body.progress, null);
  exporting.timer = setTimeout(() => poll(id, name), EXPORT_POLL_MS);
}

for (const b of document.querySelectorAll("[data-export]")) {
  b.addEventListener("click", () => startExport(b.dataset.export));
}

// ------------------------------------------------------------------ 审计
// The server words each entry as a Chinese sentence (server/domain/audit_text.py); the raw action
// name stays in the tooltip, which is what the 操作 search box takes.
function actionCell(entry) {
  const td = element("td", "action", entry.action_label || entry.action || "");
  td.title = entry.action ?? "";
  return td;
}

export async function loadAudit() {
  const params = new URLSearchParams({ hall: HALL, limit: "200" });
  for (const [key, value] of new FormData($("audit-form"))) if (String(value).trim()) params.set(key, String(value).trim());
  const result = await api("GET", `/api/v1/audit?${params}`);
  if (!result.ok) {
    $("audit-rows").replaceChildren();
    $("audit-empty").hidden = false;
    $("audit-empty").textContent = refusal(result, "无法检索审计记录");
    return;
  }
  const rows = listOf(result.body, "entries", "items", "events", "rows");
  $("audit-rows").replaceChildren(...rows.map((r) => {
    const tr = element("tr");
    tr.append(element("td", "when", stamp(r.at)), actionCell(r), element("td", "sentence", r.sentence ?? ""));
    return tr;
  }));
  $("audit-empty").hidden = rows.length > 0;
  $("audit-empty").textContent = "没有符合条件的审计记录";
}

$("audit-form").addEventListener("submit", (event) => {
  event.preventDefault();
  loadAudit();
});

// 办件台账: the case register (dashboard_register.js); managers export it
const register = mountRegister($("tab-register").querySelector("[data-register]"), { canExport: true });

// 咨询登记: the hall's consultations (dashboard_consultations.js)
const consultations = mountConsultations($("tab-consultations"));
export const TAB_LOADERS = { followups: loadFollowups, audit: loadAudit, reports: () => {}, register: register.open };
TAB_LOADERS.consultations = consultations.open;
// 意见建议: suggestions, complaints and the windows' escalations (dashboard_feedback.js)
TAB_LOADERS.feedback = mountFeedback($("tab-feedback")).open;
// 代办: the guide's desk's assisted-service matters (dashboard_assisted.js)
TAB_LOADERS.assisted = mountAssisted($("tab-assisted")).open;
// 预测: arrivals ahead, the what-if and the policies compared (dashboard_whatif.js)
TAB_LOADERS.whatif = mountWhatif($("tab-whatif").querySelector("[data-whatif]")).open;
