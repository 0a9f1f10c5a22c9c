// 报表, under the report's own tables: the daily fee summary (收费, per item and per counter: yuan with
// two decimals, 减免 as a count and an amount) and the consultations (咨询: per day, and per key of the
// report's dimension), as every report carries them (docs/kpis.md "Fees", "Consultations").
import { $, element } from "./dashboard_common.js";

const DIMS = { hall: "大厅", queue: "队列", counter: "窗口", clerk: "工作人员", item: "事项", department: "部门" };
const FEE_FIGURES = [
  ["window", "窗口缴费（元）"], ["online", "网上缴费（元）"], ["collected", "收费合计（元）"], ["waived", "减免笔数"],
  ["waived_amount", "减免金额（元）"], ["charges", "登记笔数"],
];
const ASKED_FIGURES = [
  ["onsite", "现场咨询"], ["phone", "电话咨询"], ["total", "咨询合计"], ["escalated", "转办部门"],
  ["answered", "部门已答复"], ["overdue", "转办超期"],
];
const ASKED_TIPS = {
  escalated: "窗口不能当场答复、转交承办部门的咨询",
  answered: "转办的咨询中，部门已填写答复的",
  overdue: "转办的咨询中，部门晚于答复期限答复，或至今未答复且已过期限的",
};

/** A titled table: its first columns (`heads`: [key, heading]), then `figures`, one line per row and
 * the 合计 line; `empty` instead of lines when there are none. */
function table(id, title, heads, figures, rows, total, empty) {
  const part = element("section", "report-extra");
  part.id = id;
  part.append(element("h3", "report-part", title));
  const wrap = element("div", "table-wrap");
  const grid = element("table", "grid-table report");
  const head = element("tr");
  for (const [key, text] of [...heads, ...figures]) {
    const th = element("th", null, text);
    if (ASKED_TIPS[key] && figures === ASKED_FIGURES) th.title = ASKED_TIPS[key];
    head.append(th);
  }
  const thead = element("thead");
  thead.append(head);
  const body = element("tbody");
  const line = (row, total) => { // the 合计 line: its first cell a heading, as the report's own tables have it
    const tr = element("tr");
    tr.dataset.key = row.key ?? row.day ?? "";
    heads.forEach(([key], i) => tr.append(element(total && i === 0 ? "th" : "td", i === 0 ? "name" : null,
      String(row[key] ?? ""))));
    for (const [key] of figures) {
      const td = element("td", "num", String(row[key] ?? "—"));
      td.dataset.key = key;
      tr.append(td);
    }
    return tr;
  };
  if (rows.length) body.append(...rows.map((r) => line(r, false)));
  else {
    const td = element("td", "muted", empty);
    td.colSpan = heads.length + figures.length;
    const tr = element("tr");
    tr.append(td);
    body.append(tr);
  }
  const foot = element("tfoot");
  if (rows.length && total) foot.append(line({ ...Object.fromEntries(heads.map(([k]) => [k, ""])), ...total,
    [heads[0][0]]: "合计" }, true));
  grid.append(thead, body, foot);
  wrap.append(grid);
  part.append(wrap);
  return part;
}

function box() {
  let el = $("report-registers");
  if (!el) {
    el = element("div", "report-registers");
    el.id = "report-registers";
    $("report-empty").after(el);
  }
  return el;
}

/** Draws the fee and consultation tables of a report's answer; none (a refusal): clears them. */
export function showRegisters(report) {
  const el = box();
  if (!report) {
    el.replaceChildren();
    return;
  }
  const fees = report.fees ?? {};
  const asked = report.consultations ?? {};
  const dim = DIMS[report.by] ?? "";
  const parts = [
    table("report-fees-item", "收费日汇总（按事项）", [["day", "日期"], ["label", "事项"]], FEE_FIGURES,
      fees.by_item ?? [], fees.total, "该期间没有收费登记"),
    table("report-fees-counter", "收费日汇总（按窗口）", [["day", "日期"], ["label", "窗口"]], FEE_FIGURES,
      fees.by_counter ?? [], fees.total, "该期间没有收费登记"),
    table("report-consultations-days", "咨询日汇总（第十五、十六条）", [["day", "日期"]], ASKED_FIGURES,
      asked.days ?? [], asked.total, "该期间没有咨询登记"),
  ];
  if (report.by !== "hall") {
    const note = report.by === "department" ? "（转办到该部门的）" : "";
    parts.push(table("report-consultations-rows", `咨询（按${dim}）${note}`, [["label", dim]], ASKED_FIGURES,
      asked.rows ?? [], report.by === "department" ? null : asked.total, "该期间没有咨询登记"));
  }
  el.replaceChildren(...parts);
}
