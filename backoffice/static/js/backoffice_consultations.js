// 部门咨询 on the department's workbench: the consultations the hall's desk could not answer and sent
// to this department (GET /api/v1/halls/{hall}/consultations: a department account gets only its
// own), those waiting for its answer first, the overdue marked; the department writes its answer
// (PATCH …/consultations/{id} {escalation_answer}), which the desk and the managers then see. The
// tab sits with the case lists (data-list="consultations"): backoffice.js shows no case under it, and
// this module swaps the list and the detail through #bench[data-view].
import { api, element, refusal, stamp } from "./dashboard_common.js";
import { pageData } from "./hall_model.js";

const data = pageData();
const PATH = `/api/v1/halls/${encodeURIComponent(data.hall.code)}/consultations`;
const REFRESH_MS = 60_000; // no feed carries consultations: the badge is asked again each minute
const CHANNELS = { onsite: "现场咨询", phone: "电话咨询" };
const $ = (id) => document.getElementById(id);
const state = { found: new Map(), order: [], selected: null };

const short = (day) => (day ? `${Number(day.slice(5, 7))}月${Number(day.slice(8, 10))}日` : "");

/** [words, class]: where it stands for this department. */
function standing(c) {
  if (c.closed) return ["已办结", "closed"];
  if (c.escalation_answer) return ["已答复", "answered"];
  if (c.overdue) return ["已逾期", "late"];
  return ["待答复", "waiting"];
}

function dueText(c) {
  const [, kind] = standing(c);
  if (kind === "late") return `已逾期（${short(c.due_date)}到期）`;
  if (kind === "waiting") return `${short(c.due_date)}前答复${c.due_provisional ? "（暂定）" : ""}`;
  return kind === "answered" ? `已答复 ${stamp(c.escalation_answered_at)}` : "已办结";
}

const responder = (c) => `${c.first_responder.name}${c.first_responder.counter ? `（${c.first_responder.counter}号窗口）` : ""}`;

function listRow(c) {
  const [, kind] = standing(c);
  const li = element("li", `case-row consult-row ${kind}`);
  li.dataset.id = c.id;
  li.classList.toggle("selected", c.id === state.selected);
  const button = element("button", "row-button");
  button.type = "button";
  button.setAttribute("aria-current", String(c.id === state.selected));
  const top = element("span", "row-top");
  top.append(element("span", "row-item", c.topic), element("span", `row-due ${kind === "late" ? "late" : ""}`, dueText(c)));
  const bottom = element("span", "row-bottom");
  bottom.append(element("span", "row-receipt", `${CHANNELS[c.channel] ?? c.channel} ${stamp(c.at)}`),
    element("span", "row-applicant", `首问：${responder(c)}`));
  button.append(top, bottom);
  button.addEventListener("click", () => select(c.id));
  li.append(button);
  return li;
}

function pair(dl, term, value) {
  dl.append(element("dt", null, term), element("dd", null, value || "—"));
}

function renderDetail() {
  const c = state.found.get(state.selected);
  $("consult-placeholder").hidden = Boolean(c);
  $("consult").hidden = !c;
  if (!c) return;
  const [label, kind] = standing(c);
  $("consult").dataset.id = c.id;
  $("consult-topic").textContent = c.topic;
  $("consult-number").textContent = `咨询 ${c.id}`;
  $("consult-status").textContent = label;
  $("consult-status").dataset.status = kind;
  $("consult-due").textContent = c.due_date ? `答复期限 ${c.due_date}${c.due_provisional ? "（暂定）" : ""}` : "";
  $("consult-due").className = `due-mark ${kind === "late" ? "late" : ""}`;
  const dl = $("consult-facts");
  dl.replaceChildren();
  pair(dl, "咨询时间", stamp(c.at));
  pair(dl, "咨询方式", CHANNELS[c.channel] ?? c.channel);
  pair(dl, "相关事项", c.item ? `${c.item.name}（${c.item.code}）` : "未涉及具体事项");
  pair(dl, "首问负责人", responder(c));
  pair(dl, "窗口答复", c.answer || "窗口未能答复");
  const answered = $("consult-answered");
  answered.hidden = !c.escalation_answer;
  answered.textContent = c.escalation_answer
    ? `${c.escalation_answered_by?.name ?? ""} ${stamp(c.escalation_answered_at)} 答复：${c.escalation_answer}` : "";
  const form = $("consult-form");
  form.hidden = c.closed;
  $("consult-closed").hidden = !c.closed;
  $("consult-label").textContent = c.escalation_answer ? "修改答复" : "答复内容";
  $("consult-send").textContent = c.escalation_answer ? "更新答复" : "提交答复";
  form.querySelector(".problem").hidden = true;
  form.elements.escalation_answer.value = c.escalation_answer ?? "";
}

function renderList() {
  $("consult-list").replaceChildren(...state.order.map((id) => listRow(state.found.get(id))));
  $("consult-empty").hidden = state.order.length > 0;
}

function select(id) {
  state.selected = id;
  renderList();
  renderDetail();
}

function badge(waiting, overdue) {
  const count = $("count-consultations");
  count.textContent = waiting;
  count.classList.toggle("zero", waiting === 0);
  count.classList.toggle("late", overdue > 0);
  count.classList.toggle("warn", overdue === 0);
  count.title = overdue ? `待答复 ${waiting} 件，其中已逾期 ${overdue} 件` : `待答复 ${waiting} 件`;
}

/** Those waiting for the answer first (the overdue, then by due date), then the latest others. */
async function load() {
  const [waiting, recent] = await Promise.all([api("GET", `${PATH}?status=waiting&limit=200`),
    api("GET", `${PATH}?limit=50`)]);
  if (!waiting.ok || !recent.ok) {
    $("consult-empty").textContent = refusal(waiting.ok ? recent : waiting, "无法读取部门咨询");
    $("consult-empty").hidden = false;
    return;
  }
  const first = [...waiting.body.consultations].sort((a, b) => (b.overdue - a.overdue)
    || String(a.due_date).localeCompare(String(b.due_date)) || a.id - b.id);
  const rest = recent.body.consultations.filter((c) => !first.some((w) => w.id === c.id));
  state.found = new Map([...first, ...rest].map((c) => [c.id, c]));
  state.order = [...state.found.keys()];
  $("consult-empty").textContent = "暂无转本部门答复的咨询";
  badge(waiting.body.total, first.filter((c) => c.overdue).length);
  renderList();
  renderDetail();
}

function show(view) {
  $("bench").dataset.view = view;
  if (view === "consultations") load();
}

for (const tab of document.querySelectorAll(".tabs [data-list]")) {
  tab.addEventListener("click", () => show(tab.dataset.list === "consultations" ? "consultations" : "cases"));
}

$("consult-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.currentTarget;
  const problem = form.querySelector(".problem");
  const text = form.elements.escalation_answer.value.trim();
  problem.hidden = true;
  if (!text) {
    problem.textContent = "请填写答复内容";
    problem.hidden = false;
    return;
  }
  const c = state.found.get(state.selected);
  $("consult-send").disabled = true;
  const result = await api("PATCH", `${PATH}/${c.id}`, { escalation_answer: text });
  $("consult-send").disabled = false;
  if (!result.ok) {
    problem.textContent = refusal(result, "提交答复失败");
    problem.hidden = false;
    return;
  }
  $("message-text").textContent = `已答复咨询：${c.topic}`;
  $("message").dataset.kind = "info";
  $("message").hidden = false;
  await load();
});

$("bench").dataset.view = "cases";
load();
setInterval(() => { if (document.visibilityState === "visible") load(); }, REFRESH_MS);
