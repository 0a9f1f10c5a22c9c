// 意见建议 (art. 15, 21, 27): the visitors' suggestions and complaints — categorise by line, level and
// person (条线、层次、人员), name the counter or clerk, reply and close — with the repeat counts per
// counter and clerk over 30 days; and what the windows could not settle (窗口无否决权), resolved here.
// New ones arrive live on the dashboard feed (feedback.new, escalation.new, passed on by
// dashboard_live.js as a "dashboard:message" event).
import { api, counterNames, element, hallPath, message, refusal, runDialog, stamp } from "./dashboard_common.js";

const STATUS = { open: "处理中", overdue: "已超期", closed: "已办结" };
const LEVELS = ["窗口", "科室", "中心"];

function field(label, control) {
  const wrap = element("label", "field", label);
  wrap.append(control);
  return wrap;
}

function input(name, { type = "text", maxLength = 64, required = false } = {}) {
  const el = element(type === "textarea" ? "textarea" : "input");
  if (type !== "textarea") el.type = type;
  el.name = name;
  el.maxLength = maxLength;
  el.required = required;
  if (type === "textarea") el.rows = 4;
  return el;
}

function makeDialog(id, title, controls, okText) {
  const dialog = element("dialog", "box");
  dialog.id = id;
  const form = element("form");
  form.method = "dialog";
  const problem = element("p", "problem");
  problem.setAttribute("role", "alert");
  problem.hidden = true;
  const menu = element("menu");
  const cancel = element("button", "ghost", "取消");
  cancel.value = "cancel";
  cancel.formNoValidate = true;
  const ok = element("button", null, okText);
  ok.value = "ok";
  menu.append(cancel, ok);
  form.append(element("h2", null, title), ...controls, problem, menu);
  dialog.append(form);
  document.body.append(dialog);
  return dialog;
}

export function mountFeedback(pane) {
  const list = pane.querySelector("[data-fb=list]");
  const empty = pane.querySelector("[data-fb=empty]");
  const status = pane.querySelector("[data-fb=status]");
  const repeats = pane.querySelector("[data-fb=repeats]");
  const escList = pane.querySelector("[data-fb=escalations]");
  const escEmpty = pane.querySelector("[data-fb=esc-empty]");
  const escCounts = pane.querySelector("[data-fb=esc-counts]");
  const badge = document.getElementById("feedback-count");

  const level = element("select");
  level.name = "level";
  level.append(element("option", null, "（不分）"));
  level.options[0].value = "";
  for (const l of LEVELS) level.append(element("option", null, l));
  const counter = element("select");
  counter.name = "counter";
  counter.append(element("option", null, "（不涉及）"));
  counter.options[0].value = "";
  for (const [number, name] of counterNames) {
    const option = element("option", null, name || `${number}号窗口`);
    option.value = String(number);
    counter.append(option);
  }
  const handleDialog = makeDialog("feedback-dialog", "分类、答复", [
    field("条线（队列或部门）", input("line")), field("层次", level), field("人员", input("person")),
    field("涉及窗口", counter), field("涉及工作人员（用户名）", input("clerk")),
    field("答复（群众可在进度页看到）", input("reply", { type: "textarea", maxLength: 2000 })),
    (() => { const l = element("label", "check"); const c = input("close", { type: "checkbox" }); l.append(c, " 答复后办结"); return l; })(),
  ], "保存");
  const resolveDialog = makeDialog("escalation-dialog", "处理上报事项", [
    field("处理结果", input("resolution", { type: "textarea", maxLength: 2000, required: true })),
  ], "办结");

  function item(f) {
    const li = element("li", `followup feedback ${f.status}`);
    li.dataset.id = f.id;
    li.dataset.status = f.status;
    const head = element("div", "f-head");
    const where = [f.ticket ? `排队号 ${f.ticket}` : "", f.counter ? (counterNames.get(f.counter) || `${f.counter}号窗口`) : "",
      f.clerk_name || f.clerk || ""].filter(Boolean).join(" · ");
    head.append(element("span", "chip", STATUS[f.status] ?? f.status), element("b", "f-level", `${f.kind_label} #${f.id}`),
      element("span", "f-where", where));
    const facts = element("dl", "f-facts");
    const fact = (label, value, cls) => {
      if (value === null || value === undefined || value === "") return;
      const div = element("div", cls);
      div.append(element("dt", null, label), element("dd", null, value));
      facts.append(div);
    };
    fact("提交", `${stamp(f.created_at)}${f.taken_by ? ` · ${f.taken_by} 代录` : f.source === "kiosk" ? " · 自助机" : " · 手机"}`);
    fact("答复期限", f.due_at, f.overdue ? "late" : "");
    fact("联系方式", f.contact);
    const c = f.category;
    fact("分类", c ? [c.line, c.level, c.person].filter(Boolean).join(" / ") : "未分类");
    const again = [];
    if (f.repeat?.counter > 1) again.push(`该窗口30天内 ${f.repeat.counter} 件`);
    if (f.repeat?.clerk > 1) again.push(`该人员30天内 ${f.repeat.clerk} 件`);
    fact("重复", again.join("，"), "repeat");
    fact("答复", f.reply);
    if (f.closed) fact("办结", `${stamp(f.closed.at)} · ${f.closed.by}`);
    li.append(head, element("p", "fb-text", f.text), facts);
    if (f.status !== "closed") {
      const actions = element("div", "f-actions");
      const b = element("button", "small go", "分类 / 答复 / 办结");
      b.type = "button";
      b.addEventListener("click", () => handle(f));
      actions.append(b);
      li.append(actions);
    }
    return li;
  }

  async function handle(f) {
    await runDialog(handleDialog, {
      prepare: (form) => {
        form.elements.line.value = f.category?.line ?? "";
        form.elements.level.value = f.category?.level ?? "";
        form.elements.person.value = f.category?.person ?? "";
        form.elements.counter.value = f.counter ? String(f.counter) : "";
        form.elements.clerk.value = f.clerk ?? "";
        form.elements.reply.value = f.reply ?? "";
      },
      submit: async (form) => {
        const e = form.elements;
        const body = { category: { line: e.line.value.trim(), level: e.level.value, person: e.person.value.trim() } };
        if (e.counter.value) body.counter = Number(e.counter.value);
        if (e.clerk.value.trim() || f.clerk) body.clerk = e.clerk.value.trim();
        if (e.reply.value.trim() && e.reply.value.trim() !== (f.reply ?? "")) body.reply = e.reply.value.trim();
        if (e.close.checked) body.close = true;
        const result = await api("PATCH", `${hallPath}/feedback/${encodeURIComponent(f.id)}`, body);
        if (!result.ok) return refusal(result);
        load();
        return null;
      },
    });
  }

  function renderRepeats(r) {
    const parts = [...(r.counters ?? []).filter((x) => x.count > 1).map((x) => `${counterNames.get(x.counter) || `${x.counter}号窗口`} ${x.count} 件`),
      ...(r.clerks ?? []).filter((x) => x.count > 1).map((x) => `${x.name ? `${x.name}（${x.clerk}）` : x.clerk} ${x.count} 件`)];
    repeats.textContent = parts.length ? `30天内重复涉及：${parts.join("；")}` : "";
    repeats.hidden = !parts.length;
  }

  async function load() {
    const result = await api("GET", `${hallPath}/feedback?status=${encodeURIComponent(status.value)}`);
    if (!result.ok) {
      message(refusal(result, "读取意见建议失败"));
      return;
    }
    const rows = result.body.feedback ?? [];
    list.replaceChildren(...rows.map(item));
    empty.hidden = rows.length > 0;
    renderRepeats(result.body.repeats ?? {});
    if (status.value === "open") {
      badge.textContent = String(rows.length);
      badge.hidden = rows.length === 0;
    }
    loadEscalations();
  }

  function escalation(e) {
    const li = element("li", `followup escalation ${e.status}`);
    li.dataset.id = e.id;
    li.dataset.status = e.status === "open" ? "open" : "closed";
    const head = element("div", "f-head");
    head.append(element("span", "chip", e.status === "open" ? "待处理" : "已办结"), element("b", null, e.what),
      element("span", "f-where", [e.counter ? `${e.counter}号窗口` : "", e.clerk, stamp(e.created_at)].filter(Boolean).join(" · ")));
    const facts = element("dl", "f-facts");
    const fact = (label, value) => {
      if (!value) return;
      const div = element("div");
      div.append(element("dt", null, label), element("dd", null, value));
      facts.append(div);
    };
    fact("无法办理原因", e.why);
    fact("联系方式", e.contact);
    fact("处理结果", e.resolution);
    li.append(head, facts);
    if (e.status === "open") {
      const b = element("button", "small go", "处理并办结");
      b.type = "button";
      b.addEventListener("click", () => runDialog(resolveDialog, {
        submit: async (form) => {
          const result = await api("PATCH", `${hallPath}/escalations/${encodeURIComponent(e.id)}`,
            { resolution: form.elements.resolution.value.trim(), close: true });
          if (!result.ok) return refusal(result);
          loadEscalations();
          return null;
        },
      }));
      const actions = element("div", "f-actions");
      actions.append(b);
      li.append(actions);
    }
    return li;
  }

  async function loadEscalations() {
    const [rows, counts] = await Promise.all([api("GET", `${hallPath}/escalations`), api("GET", `${hallPath}/escalations?by=counter`)]);
    const items = rows.ok ? rows.body.escalations ?? [] : [];
    escList.replaceChildren(...items.map(escalation));
    escEmpty.hidden = items.length > 0;
    const per = counts.ok ? counts.body.counts ?? [] : [];
    escCounts.textContent = per.length ? `按窗口：${per.map((c) => `${c.counter ? `${c.counter}号窗口` : "未指明"} ${c.count} 件（待处理 ${c.open}）`).join("；")}` : "";
  }

  status.addEventListener("change", load);
  pane.querySelector("[data-fb=reload]").addEventListener("click", load);
  document.addEventListener("dashboard:message", (event) => {
    const type = event.detail?.type ?? "";
    if (!type.startsWith("feedback.") && !type.startsWith("escalation.")) return;
    if (type === "feedback.new") message(`收到新的${event.detail.feedback?.kind_label ?? "意见建议"}，请在「意见建议」页处理`, "info");
    if (type === "escalation.new") message(`窗口上报无法办理事项：${event.detail.escalation?.what ?? ""}`, "info");
    load();
  });
  return { open: load };
}
