// The 部门 tab of the hall's set-up (admin.js loads it): the hall's departments in order, how many
// catalog items name each, and whether it is still in use. Changes are PUT/DELETE
// /api/v1/halls/{hall}/departments/{code}; after each, the table is drawn again from the server's
// list. A refusal (a department still named by items or accounts) is the server's own sentence.
import { rename } from "./admin_common.js";
import { $, api, confirmThen, element, hallPath, message, refusal } from "./dashboard_common.js";

const DEPARTMENT_CODE = /^[A-Za-z0-9_-]{1,32}$/;
const listPath = `${hallPath}/departments`;
const departmentPath = (code) => `${listPath}/${encodeURIComponent(code)}`;
let departments = [];


export async function refresh() {
  const result = await api("GET", listPath);
  if (!result.ok) {
    message(refusal(result, "读取部门失败"));
    return false;
  }
  departments = result.body?.departments ?? [];
  draw();
  return true;
}

function button(text, className, onClick, name) {
  const b = element("button", `small ${className}`, text);
  b.type = "button";
  if (name) {
    b.setAttribute("aria-label", name);
    b.title = name;
  }
  b.addEventListener("click", onClick);
  return b;
}

function draw() {
  const body = $("department-table").querySelector("tbody");
  const active = departments.filter((d) => d.active);
  body.replaceChildren(...departments.map((department) => {
    const row = element("tr");
    row.dataset.code = department.code;
    row.classList.toggle("retired", !department.active);
    const state = element("td", "state", department.active ? "启用" : "已停用");
    const actions = element("td", "actions");
    if (department.active) {
      // the order counts among the departments in use; its place is where it stands in the whole list
      const at = active.indexOf(department);
      const up = button("↑", "ghost arrow", () => move(department, active[at - 1]), "上移");
      const down = button("↓", "ghost arrow", () => move(department, active[at + 1]), "下移");
      up.disabled = at === 0;
      down.disabled = at === active.length - 1;
      actions.append(button("改名", "ghost", () => renameDepartment(department)), up, down,
        button("停用", "danger", () => retire(department)));
    } else {
      actions.append(button("恢复启用", "ghost", () => restore(department)));
    }
    row.append(element("td", "code", department.code), element("td", "name", department.name),
      element("td", "count", String(department.items ?? 0)), state, actions);
    return row;
  }));
  $("department-table").hidden = departments.length === 0;
  $("department-empty").hidden = departments.length > 0;
}

function showProblem(form, text) {
  const problem = form.querySelector(".problem");
  problem.textContent = text ?? "";
  problem.hidden = !text;
}

export function wire() {
  const form = $("department-form");
  form.addEventListener("input", () => showProblem(form, null));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const code = form.elements.code.value.trim();
    const name = form.elements.name.value.trim();
    if (!DEPARTMENT_CODE.test(code)) return showProblem(form, "部门编码须为 1 至 32 个字母、数字、“-”或“_”，例如 SCJG");
    if (!name) return showProblem(form, "请填写部门名称");
    const existing = departments.find((d) => d.code === code);
    if (existing?.active) return showProblem(form, `已有部门 ${code}（${existing.name}），如需改名请点该行的“改名”`);
    if (existing) return showProblem(form, `部门 ${code}（${existing.name}）已停用，如需再用请点该行的“恢复启用”`);
    showProblem(form, null);
    const result = await api("PUT", departmentPath(code), { name });
    if (!result.ok) return showProblem(form, refusal(result, "添加部门失败"));
    form.reset();
    await refresh();
    message(`已添加部门 ${name}`, "info");
  });
}

async function renameDepartment(department) {
  if (await rename("department-dialog", department, departmentPath(department.code), "部门")) await refresh();
}

/** Moves the department to where `other` (its neighbour among those in use) stands. */
async function move(department, other) {
  if (!other) return;
  message("");
  const position = departments.indexOf(other) + 1;
  const result = await api("PUT", departmentPath(department.code), { name: department.name, position });
  if (!result.ok) {
    message(refusal(result, "调整顺序失败"));
    return;
  }
  const upward = departments.indexOf(other) < departments.indexOf(department);
  await refresh();
  const row = $("department-table").querySelector(`tr[data-code="${CSS.escape(department.code)}"]`);
  const [up, down] = row?.querySelectorAll("button.arrow") ?? [];
  const pressed = upward ? up : down;
  (pressed && !pressed.disabled ? pressed : upward ? down : up)?.focus();
}

async function retire(department) {
  const done = await confirmThen(`停用部门 ${department.code} ${department.name}？`,
    "停用后不能再为事项或部门账号选择该部门；已受理的办件仍显示原部门名称。" +
    "仍有事项目录中的事项或部门账号属于该部门时，系统会拒绝停用：请先把它们改到其他部门。",
    async () => {
      const result = await api("DELETE", departmentPath(department.code));
      return result.ok ? null : refusal(result, "停用部门失败");
    });
  if (done) {
    await refresh();
    message(`已停用部门 ${department.code} ${department.name}`, "info");
  }
}

/** A retired department back in use, under its name (PUT makes it active again). */
async function restore(department) {
  message("");
  const result = await api("PUT", departmentPath(department.code), { name: department.name });
  if (!result.ok) {
    message(refusal(result, "恢复启用失败"));
    return;
  }
  await refresh();
  message(`部门 ${department.code} ${department.name} 已恢复启用`, "info");
}
