// The case register (办件台账): the hall's cases searched by acceptance date, status, item,
// department, applicant or receipt number (GET /api/v1/halls/{hall}/cases), newest first, a page
// at a time, and (managers) exported to Excel through the report-export job with its progress.
// One panel (register_panel.html), mounted by the dashboard's 办件台账 tab and by the counter
// page's 台账 dialog: `mountRegister(root, {canExport})` returns `{open}`, which loads the item and
// department lists the first time and the current page every time.
import { api, data, element, hallPath, HALL, refusal } from "./dashboard_common.js";

const PAGE = 20;
const EXPORT_POLL_MS = 500;
// The statuses a clerk looks for (server/domain/cases.py LABELS), and the groups they ask by.
const STATUSES = [
  ["accepted,in_review,supplement", "办理中"],
  ["incomplete", "待补正材料"], ["accepted", "已受理"], ["in_review", "审查中"], ["supplement", "补正中"],
  ["approved", "已批准"], ["rejected", "不予批准"], ["ready", "待领取"], ["collected", "已领取"],
  ["mailed", "已邮寄"], ["closed", "已结束"],
];
const when = new Intl.DateTimeFormat("zh-CN", { timeZone: data.hall.timezone || "Asia/Shanghai", year: "numeric",
  month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23" });

/** 2026-11-25 09:00 in the hall's time. */
function stampOf(iso) {
  if (!iso) return "—";
  const parts = Object.fromEntries(when.formatToParts(new Date(iso)).map((p) => [p.type, p.value]));
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}`;
}

function option(value, text) {
  const el = element("option", null, text);
  el.value = value;
  return el;
}

export function mountRegister(root, { canExport = false } = {}) {
  const part = (name) => root.querySelector(`[data-reg="${name}"]`);
  const form = part("form");
  const field = (name) => form.querySelector(`[name="${name}"]`); // not form.elements.item: that is a method
  const state = { loaded: false, offset: 0, total: 0, applied: {}, names: new Map(), seq: 0,
    exportId: null, exportTimer: null };
  part("export").hidden = !canExport;
  field("status").append(...STATUSES.map(([value, text]) => option(value, text)));

  async function loadLists() {
    const [items, departments] = await Promise.all([api("GET", `${hallPath}/items`),
      api("GET", `${hallPath}/departments`)]);
    if (items.ok && Array.isArray(items.body)) {
      field("item").append(...items.body.map((i) => option(i.code, `${i.code} ${i.name}`)));
    }
    const list = departments.ok ? departments.body?.departments ?? [] : [];
    for (const d of list) state.names.set(d.code, d.name);
    field("department").append(...list.filter((d) => d.active !== false)
      .map((d) => option(d.code, d.name)));
    state.loaded = true;
  }

  /** The filters as typed, without the empty ones: what the query and the export take. */
  function filters() {
    const out = {};
    for (const [key, value] of new FormData(form)) {
      const text = String(value).trim();
      if (text) out[key] = text;
    }
    return out;
  }

  function departmentsOf(c) {
    if (Array.isArray(c.parts) && c.parts.length) return c.parts.map((p) => p.department_name ?? p.department);
    if (Array.isArray(c.departments) && c.departments.length) {
      return c.departments.map((code) => (code === c.item?.department ? c.item.department_name
        : state.names.get(code) ?? code));
    }
    return [c.item?.department_name ?? c.item?.department ?? ""];
  }

  function row(c) {
    const tr = element("tr");
    tr.dataset.receipt = c.receipt_no;
    tr.dataset.status = c.status;
    const receipt = element("td", "reg-receipt");
    const link = element("a", null, c.receipt_no);
    link.href = `/c/${encodeURIComponent(c.status_token)}`;
    link.target = "_blank";
    link.rel = "noopener";
    receipt.append(link);
    const item = element("td", "reg-item-cell");
    item.append(element("span", "reg-item-name", c.item?.name ?? ""), element("small", null, c.item?.code ?? ""));
    const who = element("td", "reg-who");
    who.append(element("span", null, c.applicant?.name || c.applicant?.masked_name || "—"));
    if (c.applicant?.phone) who.append(element("small", null, c.applicant.phone));
    const status = element("td", "reg-status");
    status.append(element("span", `reg-chip s-${c.status}`, c.status_label ?? c.status));
    if (c.status === "supplement" || c.status === "incomplete") status.append(suppliedButton(c));
    const due = element("td", c.overdue ? "reg-due overdue" : "reg-due",
      c.due_at ? `${c.due_at}${c.due_provisional ? "（暂定）" : ""}${c.overdue ? " 已超期" : ""}` : "—");
    tr.append(receipt, element("td", "reg-when", stampOf(c.accepted_at ?? c.received_at)), item,
      element("td", "reg-dept", departmentsOf(c).join("、")), who, status, due);
    return tr;
  }

  /** 补正收件: the applicant brought what was missing (a department's 补正: back under review, the due
   *  date moved on; missing at 受理: accepted, the time limit starts). */
  function suppliedButton(c) {
    const button = element("button", "small reg-supplied", "补正收件");
    button.type = "button";
    const missing = (c.materials_missing ?? []).join("、");
    button.title = missing ? `缺：${missing}` : "";
    button.addEventListener("click", async () => {
      if (!window.confirm(`确认申请人已补交 ${c.receipt_no} 所缺材料？\n${missing ? `缺：${missing}` : ""}`)) return;
      button.disabled = true;
      const status = c.status === "supplement" ? "in_review" : "accepted";
      const result = await api("POST", `/api/v1/cases/${encodeURIComponent(c.receipt_no)}/events`,
        { status, note: missing ? `申请人已补交：${missing}` : "申请人已补交材料" });
      if (!result.ok) {
        button.disabled = false;
        window.alert(refusal(result, "登记补正失败"));
        return;
      }
      await load();
    });
    return button;
  }

  function renderPage(body) {
    const cases = body.cases ?? [];
    state.total = body.total ?? cases.length;
    part("rows").replaceChildren(...cases.map(row));
    part("empty").hidden = cases.length > 0;
    part("empty").textContent = "没有符合条件的办件";
    const pages = Math.max(1, Math.ceil(state.total / PAGE));
    const current = Math.floor(state.offset / PAGE) + 1;
    part("page").textContent = `第 ${current} / ${pages} 页`;
    part("total").textContent = `共 ${state.total} 件`;
    part("prev").disabled = state.offset === 0;
    part("next").disabled = state.offset + PAGE >= state.total;
  }

  async function load() {
    const seq = ++state.seq; // a slow answer to an earlier question is not shown over a later one
    const query = new URLSearchParams({ ...state.applied, limit: String(PAGE), offset: String(state.offset) });
    root.dataset.loading = "true";
    const result = await api("GET", `${hallPath}/cases?${query}`);
    if (seq !== state.seq) return;
    delete root.dataset.loading;
    if (!result.ok) {
      part("rows").replaceChildren();
      part("empty").hidden = false;
      part("empty").textContent = refusal(result, "无法查询办件台账");
      part("total").textContent = "";
      return;
    }
    renderPage(result.body ?? {});
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!form.reportValidity()) return;
    state.applied = filters();
    state.offset = 0;
    load();
  });
  form.addEventListener("reset", () => {
    setTimeout(() => { state.applied = {}; state.offset = 0; load(); }); // after the fields are cleared
  });
  part("prev").addEventListener("click", () => { state.offset = Math.max(0, state.offset - PAGE); load(); });
  part("next").addEventListener("click", () => {
    if (state.offset + PAGE < state.total) { state.offset += PAGE; load(); }
  });

  // ------------------------------------------------------------------ 导出 Excel (the report-export job)
  function exportState(status, label, progress, link) {
    const box = part("export-state");
    box.hidden = false;
    box.dataset.status = status;
    part("export-label").textContent = label;
    const value = Math.max(0, Math.min(100, Number(progress) || 0));
    part("export-progress").value = value;
    part("export-percent").textContent = `${Math.round(value)}%`;
    part("export-link").hidden = !link;
    if (link) {
      part("export-link").href = link;
      part("export-link").textContent = "下载 Excel 文件";
      part("export-link").setAttribute("download", `办件台账-${HALL}.xlsx`);
    }
  }

  async function startExport() {
    clearTimeout(state.exportTimer);
    part("export").disabled = true;
    exportState("running", "正在导出办件台账…", 0, null);
    const result = await api("POST", `${hallPath}/reports/exports`,
      { kind: "cases", format: "xlsx", filters: state.applied });
    if (!result.ok) {
      part("export").disabled = false;
      exportState("failed", refusal(result, "导出失败"), 0, null);
      return;
    }
    state.exportId = result.body.id;
    poll(state.exportId);
  }

  async function poll(id) {
    if (id !== state.exportId) return;
    const result = await api("GET", `${hallPath}/reports/exports/${encodeURIComponent(id)}`);
    const body = result.body ?? {};
    if (result.ok && body.status === "done" && body.file_url) {
      part("export").disabled = false;
      exportState("done", `已导出 ${body.rows ?? 0} 件`, 100, body.file_url);
      return;
    }
    if (!result.ok || body.status === "failed") {
      part("export").disabled = false;
      exportState("failed", result.ok ? `导出失败：${body.error ?? "请稍后重试"}` : refusal(result, "导出失败"),
        body.progress, null);
      return;
    }
    exportState("running", "正在导出办件台账…", body.progress, null);
    state.exportTimer = setTimeout(() => poll(id), EXPORT_POLL_MS);
  }

  part("export").addEventListener("click", startExport);

  return {
    /** Shows the register: the lists the first time, the current page every time (fresh figures). */
    async open() {
      if (!state.loaded) await loadLists();
      await load();
    },
  };
}
