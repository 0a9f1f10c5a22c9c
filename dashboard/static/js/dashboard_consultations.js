// 咨询登记 (seed art. 15(一), 16(一); 首问负责 art. 25): the dialog that records a consultation (the
// dashboard's 咨询登记 tab and the counter page share it) and the tab's list with its filters.
import { api, element, hallPath, refusal, runDialog, stamp } from "./dashboard_common.js";

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

function state(c) {
  if (c.closed) return ["已办结", "closed"];
  if (!c.escalated) return [c.answer ? "已答复" : "待答复", c.answer ? "done" : "open"];
  if (c.escalation_answer) return ["部门已答复", "done"];
  return [c.overdue ? "部门答复超期" : "待部门答复", c.overdue ? "overdue" : "open"];
}

function row(c) {
  const tr = element("tr");
  tr.dataset.id = c.id;
  const [label, kind] = state(c);
  const who = c.first_responder;
  const responder = `${who.name}${who.counter ? `（${who.counter}号窗口）` : ""}`;
  const escalated = c.escalated
    ? `${c.department_name ?? c.department} · ${c.due_date}前${c.due_provisional ? "（暂定）" : ""}` : "—";
  const answer = [c.answer, c.escalation_answer ? `部门答复：${c.escalation_answer}` : ""].filter(Boolean).join("；");
  const status = element("td");
  status.append(element("span", `chip ${kind}`, label));
  tr.append(element("td", null, stamp(c.at)), element("td", null, CHANNELS[c.channel] ?? c.channel),
    element("td", "c-topic", c.item ? `${c.topic}（${c.item.name}）` : c.topic), element("td", "c-answer", answer || "—"),
    element("td", null, responder), element("td", null, escalated), status);
  return tr;
}

/** The 咨询登记 tab: its filters, the list newest first with paging, and 登记咨询. */
export function mountConsultations(panel) {
  const form = panel.querySelector("form");
  const rows = panel.querySelector("[data-consult=rows]");
  const empty = panel.querySelector("[data-consult=empty]");
  const more = panel.querySelector("[data-consult=more]");
  const total = panel.querySelector("[data-consult=total]");
  let offset = 0;

  async function load(append = false) {
    offset = append ? offset + PAGE : 0;
    const query = new URLSearchParams();
    for (const name of ["from", "to", "channel", "escalated", "q"]) {
      const value = form.elements[name].value.trim();
      if (value) query.set(name, value);
    }
    query.set("limit", PAGE);
    query.set("offset", offset);
    const result = await api("GET", `${hallPath}/consultations?${query}`);
    if (!result.ok) {
      empty.textContent = refusal(result, "查询失败");
      empty.hidden = false;
      return;
    }
    const found = result.body.consultations;
    if (append) rows.append(...found.map(row));
    else rows.replaceChildren(...found.map(row));
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
