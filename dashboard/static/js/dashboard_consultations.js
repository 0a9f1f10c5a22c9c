// 咨询登记 (seed art. 15(一), 16(一); 首问负责 art. 25): the dialog that records a consultation (the
// dashboard's 咨询登记 tab and the counter page share it), and the tab: today's counts, the list with
// its filters, and the managers' row actions (答复, 转部门, 办结) through PATCH …/consultations/{id}.
import { api, confirmThen, element, hallPath, refusal, runDialog, stamp } from "./dashboard_common.js";

const CHANNELS = { onsite: "现场", phone: "电话" };
const PAGE = 50;
let choices = null; // the hall's items and departments, asked once

async function loadChoices() {
  if (choices) return choices;
  const [items, departments] = await Promise.all([api("GET", `${hallPath}/items`), api("GET", `${hallPath}/departments`)]);
  const list = (r) => (Array.isArray(r.body) ? r.body : r.body?.items ?? r.body?.departments ?? []);
  choices = { items: items.ok ? list(items) : [], departments: departments.ok ? list(departments) : [] };
  return choices;
}

function fill(select, rows, label) {
  const first = select.options[0];
  select.replaceChildren(first);
  for (const row of rows) {
    if (row.active === false) continue;
    const option = element("option", null, label(row));
    option.value = row.code;
    select.append(option);
  }
}

/** Opens the 咨询登记 dialog; resolves the consultation recorded, or null when cancelled. */
export async function recordConsultation(dialog = document.getElementById("consult-dialog")) {
  const form = dialog.querySelector("form");
  const escalation = form.querySelector("[data-consult=escalation]");
  const { items, departments } = await loadChoices();
  let made = null;
  const done = await runDialog(dialog, {
    prepare: () => {
      fill(form.elements.item_code, items, (i) => `${i.name}（${i.code}）`);
      fill(form.elements.department, departments, (d) => d.name);
      escalation.hidden = true;
      form.elements.escalated.onchange = () => {
        escalation.hidden = !form.elements.escalated.checked;
        const item = items.find((i) => i.code === form.elements.item_code.value);
        if (form.elements.escalated.checked && item && !form.elements.department.value) {
          form.elements.department.value = item.department;
        }
      };
    },
    submit: async () => {
      const f = form.elements;
      const body = { channel: f.channel.value, topic: f.topic.value.trim() };
      if (!body.topic) return "请填写咨询事项";
      if (f.item_code.value) body.item = f.item_code.value;
      if (f.answer.value.trim()) body.answer = f.answer.value.trim();
      if (f.escalated.checked) {
        if (!f.department.value) return "转部门答复时请选择承办部门";
        Object.assign(body, { escalated: true, department: f.department.value, due_days: Number(f.due_days.value) || 2 });
      }
      const result = await api("POST", `${hallPath}/consultations`, body);
      if (!result.ok) return refusal(result, "登记失败");
      made = result.body;
      return null;
    },
  });
  return done ? made : null;
}

// Where one stands, as the 状态 column says it: the chip's words and its colour.
function state(c) {
  if (c.closed) return ["已办结", "closed"];
  if (!c.escalated) return [c.answer ? "已答复" : "待答复", c.answer ? "done" : "open"];
  if (c.escalation_answer) return ["部门已答复", "done"];
  return c.overdue ? ["已逾期", "overdue"] : ["待部门答复", "open"];
}

const short = (day) => (day ? day.slice(5).replace("-", "月") + "日" : "");

function answerCell(c) {
  const td = element("td", "c-answer");
  if (c.answer) td.append(element("p", null, c.answer));
  if (c.escalation_answer) {
    const by = c.escalation_answered_by?.name ?? c.department_name ?? "部门";
    const line = element("p", "c-dept-answer", `${by}答复：${c.escalation_answer}`);
    line.title = `答复时间 ${stamp(c.escalation_answered_at)}`;
    td.append(line);
  }
  if (!td.childElementCount) td.textContent = "—";
  return td;
}

function statusCell(c) {
  const [label, kind] = state(c);
  const td = element("td", "c-status");
  const chip = element("span", `chip ${kind}`, label);
  td.dataset.state = kind;
  td.append(chip);
  if (kind === "overdue") td.append(element("small", "c-due", `${short(c.due_date)}到期`));
  if (c.closed) chip.title = `${c.closed_by?.name ?? ""} ${stamp(c.closed_at)} 办结`;
  return td;
}

function row(c, act) {
  const tr = element("tr");
  tr.dataset.id = c.id;
  const who = c.first_responder;
  const responder = `${who.name}${who.counter ? `（${who.counter}号窗口）` : ""}`;
  const escalated = c.escalated
    ? `${c.department_name ?? c.department} · ${c.due_date}前${c.due_provisional ? "（暂定）" : ""}` : "—";
  const actions = element("td", "cs-actions");
  if (act && !c.closed) {
    const buttons = element("div", "c-acts");
    actions.append(buttons);
    const button = (name, text, cls = "ghost") => {
      const b = element("button", `small ${cls}`, text);
      b.type = "button";
      b.dataset.act = name;
      b.addEventListener("click", () => act(name, c));
      buttons.append(b);
    };
    button("answer", c.answer ? "改答复" : "答复");
    if (!c.escalated) button("escalate", "转部门");
    button("close", "办结", "go");
  }
  tr.append(element("td", "c-when", stamp(c.at)), element("td", "c-channel", CHANNELS[c.channel] ?? c.channel),
    element("td", "c-topic", c.item ? `${c.topic}（${c.item.name}）` : c.topic), answerCell(c),
    element("td", null, responder), element("td", "c-dept", escalated), statusCell(c), actions);
  return tr;
}

const facts = (c) => `${CHANNELS[c.channel] ?? c.channel}咨询 · ${stamp(c.at)} · ${c.topic}`;

/** 答复: the desk's answer, entered or replaced (a manager, or the first responder). */
function answer(c, done) {
  const dialog = document.getElementById("consult-answer-dialog");
  return runDialog(dialog, {
    prepare: (form) => {
      dialog.querySelector("[data-consult=facts]").textContent = facts(c);
      const dept = dialog.querySelector("[data-consult=dept-answer]");
      dept.hidden = !c.escalation_answer;
      dept.textContent = c.escalation_answer ? `部门答复：${c.escalation_answer}` : "";
      form.elements.answer.value = c.answer ?? "";
    },
    submit: async (form) => {
      const text = form.elements.answer.value.trim();
      if (!text) return "请填写答复内容";
      return done(await api("PATCH", `${hallPath}/consultations/${c.id}`, { answer: text }), "保存答复失败");
    },
  });
}

/** 转部门: sent to a department now (the item's by default), due in working days from today. */
async function escalate(c, done) {
  const dialog = document.getElementById("consult-escalate-dialog");
  const { items, departments } = await loadChoices();
  return runDialog(dialog, {
    prepare: (form) => {
      dialog.querySelector("[data-consult=facts]").textContent = facts(c);
      fill(form.elements.department, departments, (d) => d.name);
      const item = items.find((i) => i.code === c.item?.code);
      if (item) form.elements.department.value = item.department;
    },
    submit: async (form) => {
      const f = form.elements;
      if (!f.department.value) return "请选择承办部门";
      const days = Number(f.due_days.value);
      if (!Number.isInteger(days) || days < 1 || days > 30) return "答复期限应为 1–30 个工作日";
      const body = { escalated: true, department: f.department.value, due_days: days };
      return done(await api("PATCH", `${hallPath}/consultations/${c.id}`, body), "转部门失败");
    },
  });
}

/** 办结: closed for good (a manager, or the first responder). */
function close(c, done) {
  const waiting = c.escalated && !c.escalation_answer;
  return confirmThen(`办结咨询“${c.topic.slice(0, 30)}”？`,
    waiting ? "部门尚未答复，办结后部门将不能再答复。" : "办结后不能再修改答复。",
    async () => done(await api("PATCH", `${hallPath}/consultations/${c.id}`, { closed: true }), "办结失败"));
}

function countLine(counts, pick) {
  const line = [];
  const part = (text, cls) => line.push(element("span", cls, text));
  const filter = (text, status, cls) => {
    const b = element("button", `link ${cls}`, text);
    b.type = "button";
    b.dataset.status = status;
    b.addEventListener("click", () => pick(status));
    line.push(b);
  };
  part(`今日：现场 ${counts.onsite} · 电话 ${counts.phone} · 转部门 ${counts.escalated}`, "c-today");
  filter(`待部门答复 ${counts.waiting}`, "waiting", "c-waiting");
  filter(`已逾期 ${counts.overdue}`, "overdue", counts.overdue ? "c-overdue late" : "c-overdue");
  return line;
}

/** The 咨询登记 tab: today's counts, its filters, the list newest first with paging, 登记咨询, and the
 *  managers' actions on each row (答复, 转部门, 办结). */
export function mountConsultations(panel) {
  const form = panel.querySelector("form");
  const rows = panel.querySelector("[data-consult=rows]");
  const empty = panel.querySelector("[data-consult=empty]");
  const more = panel.querySelector("[data-consult=more]");
  const total = panel.querySelector("[data-consult=total]");
  const counts = panel.querySelector("[data-consult=counts]");
  let offset = 0;

  async function loadCounts() {
    const result = await api("GET", `${hallPath}/consultations/summary`);
    if (!result.ok) {
      counts.textContent = refusal(result, "无法统计咨询");
      return;
    }
    counts.replaceChildren(...countLine(result.body, (status) => {
      form.elements.status.value = status;
      load();
    }));
  }

  // A row action's answer: done (the list and counts again), or the refusal to show in its dialog.
  const done = (result, what) => {
    if (!result.ok) return refusal(result, what);
    load();
    return null;
  };
  const act = (name, c) => ({ answer, escalate, close })[name](c, done);

  async function load(append = false) {
    offset = append ? offset + PAGE : 0;
    const query = new URLSearchParams();
    for (const name of ["from", "to", "channel", "escalated", "status", "q"]) {
      const value = form.elements[name].value.trim();
      if (value) query.set(name, value);
    }
    query.set("limit", PAGE);
    query.set("offset", offset);
    if (!append) loadCounts();
    const result = await api("GET", `${hallPath}/consultations?${query}`);
    if (!result.ok) {
      empty.textContent = refusal(result, "查询失败");
      empty.hidden = false;
      return;
    }
    const found = result.body.consultations.map((c) => row(c, act));
    if (append) rows.append(...found);
    else rows.replaceChildren(...found);
    total.textContent = `共 ${result.body.total} 条`;
    empty.textContent = "没有符合条件的咨询记录";
    empty.hidden = result.body.total > 0;
    more.hidden = offset + found.length >= result.body.total;
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (form.reportValidity()) load();
  });
  more.addEventListener("click", () => load(true));
  panel.querySelector("[data-consult=new]").addEventListener("click", async () => {
    if (await recordConsultation()) load();
  });
  return { open: () => load() };
}
