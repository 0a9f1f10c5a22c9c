// The 人员 tab of the hall's set-up (admin.js loads it): the hall's staff accounts, added with
// POST /api/v1/users and changed with PATCH /api/v1/users/{username} (role, counter, department,
// name, a reset password, disabled or enabled again). After each change the table is drawn again
// from the server's list; a refusal is the server's own Chinese sentence, shown where it was asked.
import { $, api, confirmThen, data, element, hallPath, HALL, message, refusal, runDialog } from "./dashboard_common.js";

const ROLES = [["clerk", "窗口人员"], ["guide", "导办"], ["manager", "管理人员"], ["admin", "系统管理员"],
  ["department", "部门"]];
const ROLE_NAMES = new Map(ROLES);
const USERNAME = /^[a-z0-9][a-z0-9._-]{1,63}$/;
const me = data.user ?? {};
const isAdmin = me.role === "admin";
let staff = [];
let departments = null; // [{code, name, active}], or null while the hall's list cannot be read

export function wire() {
  $("staff-add").addEventListener("click", () => edit(null));
}

export async function refresh() {
  await Promise.all([readDepartments(), readCounters()]); // first: the table names them
  await readStaff();
}

/** The hall's counters as they are now (another tab may have just added one). */
let counters = data.hall.counters;
async function readCounters() {
  const result = await api("GET", hallPath);
  if (result.ok) counters = result.body.counters;
}

async function readStaff() {
  const result = await api("GET", `${hallPath}/users`);
  if (!result.ok) {
    message(refusal(result, "读取人员失败"));
    return;
  }
  staff = result.body?.users ?? [];
  draw();
}

/** The hall's departments for the department accounts; without them (the list cannot be read)
 *  the dialog keeps each account's own and says why no other can be chosen. */
async function readDepartments() {
  const result = await api("GET", `${hallPath}/departments`);
  departments = result.ok ? (result.body?.departments ?? []) : null;
}

const departmentName = (code) => departments?.find((d) => d.code === code)?.name;

function counterText(number) {
  if (number === null || number === undefined) return "—";
  return counters.find((c) => c.number === number)?.name ?? `${number}号窗口`;
}

function stateText(user) {
  if (!user.active) return "已停用";
  return user.must_change_password ? "启用 · 待本人改密码" : "启用";
}

/** A manager may not touch an admin's account, and nobody disables their own. */
const mayChange = (user) => isAdmin || user.role !== "admin";

function button(text, className, onClick) {
  const b = element("button", `small ${className}`, text);
  b.type = "button";
  b.addEventListener("click", onClick);
  return b;
}

function draw() {
  const body = $("staff-table").querySelector("tbody");
  body.replaceChildren(...staff.map((user) => {
    const row = element("tr");
    row.dataset.username = user.username;
    row.classList.toggle("disabled", !user.active);
    const department = user.department ? (departmentName(user.department) ?? user.department) : "—";
    const actions = element("td", "actions");
    if (mayChange(user)) {
      actions.append(button("修改", "ghost", () => edit(user)), button("重置密码", "ghost", () => reset(user)));
      if (user.username !== me.username) {
        actions.append(user.active ? button("停用", "danger", () => setActive(user, false))
          : button("启用", "ghost", () => setActive(user, true)));
      }
    }
    row.append(element("td", "username", user.username), element("td", "", user.display_name || "—"),
      element("td", "", user.staff_no || "—"), element("td", `role role-${user.role}`, ROLE_NAMES.get(user.role)
        ?? user.role), element("td", "", counterText(user.counter)), element("td", "", department),
      element("td", `state${user.active ? "" : " off"}${user.must_change_password ? " pending" : ""}`,
        stateText(user)), actions);
    return row;
  }));
  $("staff-table").hidden = staff.length === 0;
  $("staff-empty").hidden = staff.length > 0;
}

function options(select, pairs, chosen) {
  select.replaceChildren(...pairs.map(([value, text]) => {
    const option = element("option", "", text);
    option.value = value;
    return option;
  }));
  select.value = chosen;
}

/** The role decides which of 窗口 and 部门 the dialog asks for. */
function showPlaces(form) {
  const role = form.elements.role.value;
  const department = role === "department";
  form.querySelector(".for-counter").hidden = department;
  form.querySelector(".for-department").hidden = !department;
  const hint = form.querySelector(".department-hint");
  const none = departments !== null && departments.every((d) => !d.active);
  hint.hidden = !department || (departments !== null && !none);
  hint.textContent = departments === null ? "暂时无法读取本大厅的部门列表，只能保留该账号原来的部门；请稍后再试。"
    : "本大厅还没有部门，请先在“部门”分页中添加。";
}

function prepare(form, user) {
  const dialog = $("staff-dialog");
  dialog.querySelector(".title").textContent = user ? "修改人员" : "添加人员";
  dialog.querySelector(".target").textContent = user ? user.username : "";
  for (const el of dialog.querySelectorAll(".new-only")) el.hidden = Boolean(user);
  const roles = isAdmin ? ROLES : ROLES.filter(([role]) => role !== "admin");
  options(form.elements.role, roles, user?.role ?? "clerk");
  options(form.elements.counter, [["", "无"], ...counters.map((c) => [String(c.number), c.name])],
    user?.counter ? String(user.counter) : "");
  const choices = (departments ?? []).filter((d) => d.active || d.code === user?.department)
    .map((d) => [d.code, `${d.name}（${d.code}）`]);
  if (user?.department && !choices.some(([code]) => code === user.department)) {
    choices.push([user.department, user.department]);
  }
  options(form.elements.department, [["", "请选择部门"], ...choices], user?.department ?? "");
  form.elements.display_name.value = user?.display_name ?? "";
  form.elements.staff_no.value = user?.staff_no ?? "";
  form.elements.role.onchange = () => showPlaces(form);
  showPlaces(form);
}

/** What the dialog says, as the API takes it. */
function fields(form) {
  const role = form.elements.role.value;
  return {
    role,
    counter: role === "department" || !form.elements.counter.value ? null : Number(form.elements.counter.value),
    department: role === "department" ? (form.elements.department.value || null) : null,
    display_name: form.elements.display_name.value.trim() || null,
    staff_no: form.elements.staff_no.value.trim() || null,
  };
}

/** Only what differs from the account as it is. */
const changes = (wanted, user) =>
  Object.fromEntries(Object.entries(wanted).filter(([key, value]) => (user[key] ?? null) !== value));

async function edit(user) {
  message("");
  const done = await runDialog($("staff-dialog"), {
    prepare: (form) => prepare(form, user),
    submit: async (form) => {
      const wanted = fields(form);
      if (wanted.role === "department" && !wanted.department) return "部门账号须选择所属部门";
      if (!user) {
        const username = form.elements.username.value.trim();
        if (!USERNAME.test(username)) return "用户名须为 2 至 64 个小写字母、数字或 . _ -，以字母或数字开头，例如 clerk13";
        if (!form.elements.password.value) return "请填写临时密码";
        const result = await api("POST", "/api/v1/users",
          { username, password: form.elements.password.value, hall: HALL, ...wanted });
        return result.ok ? null : refusal(result, "添加人员失败");
      }
      const body = changes(wanted, user);
      if (Object.keys(body).length === 0) return null;
      const result = await api("PATCH", `/api/v1/users/${encodeURIComponent(user.username)}`, body);
      return result.ok ? null : refusal(result, "修改失败");
    },
  });
  if (done) {
    await refresh();
    message(user ? `已保存 ${user.username} 的修改` : "已添加人员；请把用户名和临时密码告知本人，首次登录时须修改密码",
      "info");
  }
}

async function reset(user) {
  message("");
  const dialog = $("staff-reset-dialog");
  const done = await runDialog(dialog, {
    prepare: () => { dialog.querySelector(".target").textContent = `${user.display_name || ""} ${user.username}`; },
    submit: async (form) => {
      const password = form.elements.password.value;
      if (!password) return "请填写新的临时密码";
      if (password !== form.elements.again.value) return "两次输入的密码不一致，请重新输入";
      const result = await api("PATCH", `/api/v1/users/${encodeURIComponent(user.username)}`, { password });
      return result.ok ? null : refusal(result, "重置密码失败");
    },
  });
  if (done) {
    await refresh();
    message(`已重置 ${user.username} 的密码，其现有登录已结束；下次登录时须修改密码`, "info");
  }
}

async function setActive(user, active) {
  message("");
  const who = user.display_name ? `${user.display_name}（${user.username}）` : `${user.username} `;
  const done = await confirmThen(`${active ? "启用" : "停用"} ${who}的账号？`,
    active ? "启用后可以用原密码重新登录；停用前的登录不会恢复。"
      : "停用后该人员的所有登录和令牌立即失效，不能再登录，直到再次启用。",
    async () => {
      const result = await api("PATCH", `/api/v1/users/${encodeURIComponent(user.username)}`, { active });
      return result.ok ? null : refusal(result, active ? "启用失败" : "停用失败");
    });
  if (done) {
    await refresh();
    message(`${active ? "已启用" : "已停用"} ${who.trim()}`, "info");
  }
}
