// The 事项目录 tab of the hall's set-up (admin.js loads it): the catalog's items, one at a time
// (PUT/DELETE …/items/{code}), and the whole catalog as a file (POST …/items/import, all or nothing;
// GET …/items/export). A refused file lists every bad row and column as the server names them.
import { $, api, confirmThen, element, hallPath, message, refusal, runDialog } from "./dashboard_common.js";

const XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
let items = [];
let departments = [];
let queues = [];


export async function refresh() {
  const [itemsResult, departmentsResult, hallResult] = await Promise.all([
    api("GET", `${hallPath}/items`), api("GET", `${hallPath}/departments`), api("GET", hallPath)]);
  const failed = [itemsResult, departmentsResult, hallResult].find((r) => !r.ok);
  if (failed) {
    message(refusal(failed, "读取事项目录失败"));
    return;
  }
  items = itemsResult.body;
  departments = departmentsResult.body.departments;
  queues = hallResult.body.queues;
  draw();
}

export function wire() {
  $("export-xlsx").href = `${hallPath}/items/export?format=xlsx`;
  $("export-csv").href = `${hallPath}/items/export?format=csv`;
  $("catalog-file").addEventListener("change", () => {
    $("catalog-import").disabled = !$("catalog-file").files.length;
  });
  $("catalog-import").addEventListener("click", importFile);
  $("item-search").addEventListener("input", draw);
  $("item-add").addEventListener("click", () => edit(null));
}

// ------------------------------------------------------------------ the list
const queueName = (code) => queues.find((q) => q.code === code)?.name ?? code;

function draw() {
  const wanted = $("item-search").value.trim().toUpperCase();
  const shown = items.filter((i) => !wanted || i.code.toUpperCase().includes(wanted)
    || i.name.includes($("item-search").value.trim()) || (i.pinyin ?? "").toUpperCase().includes(wanted));
  $("item-count").textContent = wanted ? `共 ${items.length} 项，显示 ${shown.length} 项` : `共 ${items.length} 项`;
  $("item-empty").hidden = items.length > 0;
  const body = $("item-table").querySelector("tbody");
  body.replaceChildren(...shown.map(row));
}

function row(item) {
  const tr = element("tr");
  tr.dataset.code = item.code;
  const joint = item.department_names.slice(1);
  const department = element("td", null, item.department_name);
  if (joint.length) department.append(element("span", "joint-tag", `联办：${joint.join("、")}`));
  const actions = element("td", "actions");
  const change = element("button", "small ghost", "编辑");
  change.type = "button";
  change.addEventListener("click", () => edit(item));
  const remove = element("button", "small danger", "删除");
  remove.type = "button";
  remove.addEventListener("click", () => removeItem(item));
  actions.append(change, " ", remove);
  tr.append(element("td", null, item.code), element("td", "name", item.name),
    element("td", null, `${item.queue} ${queueName(item.queue)}`), department,
    element("td", null, item.time_limit_days ? `${item.time_limit_days}个工作日` : "即办"),
    element("td", null, item.immediate ? "是" : ""), element("td", null, item.online ? "是" : ""),
    element("td", null, `${item.materials.length} 项`), actions);
  return tr;
}

async function removeItem(item) {
  const done = await confirmThen(`删除事项 ${item.code} ${item.name}？`,
    "已受理的办件仍保留该事项的名称；取号机和窗口将不再显示它。", async () => {
      const result = await api("DELETE", `${hallPath}/items/${encodeURIComponent(item.code)}`);
      return result.ok ? null : refusal(result, "删除失败");
    });
  if (done) {
    message(`已删除事项 ${item.code}`, "info");
    await refresh();
  }
}

// ------------------------------------------------------------------ one item
function options(select, choices, chosen) {
  select.replaceChildren(...choices.map(([value, text]) => {
    const option = element("option", null, text);
    option.value = value;
    option.selected = value === chosen;
    return option;
  }));
}

async function edit(item) {
  const dialog = $("item-dialog");
  const active = departments.filter((d) => d.active || d.code === item?.department);
  const done = await runDialog(dialog, {
    prepare: (form) => {
      $("item-dialog-title").textContent = item ? `编辑事项 ${item.code}` : "新增事项";
      form.code.readOnly = Boolean(item);
      options(form.queue, queues.map((q) => [q.code, `${q.code} ${q.name}`]), item?.queue);
      options(form.department, active.map((d) => [d.code, d.name]), item?.department);
      $("joint-list").replaceChildren(...active.map((d) => {
        const label = element("label");
        const box = element("input");
        box.type = "checkbox";
        box.name = "joint";
        box.value = d.code;
        box.checked = Boolean(item?.departments.slice(1).includes(d.code));
        label.append(box, d.name);
        return label;
      }));
      if (!item) return;
      for (const name of ["code", "name", "time_limit_days", "fee", "legal_basis", "acceptance_standard"]) {
        form[name].value = item[name] ?? "";
      }
      form.statutory_days.value = item.statutory_days ?? "";
      form.star.value = item.star ?? "";
      form.materials.value = item.materials.join("\n");
      form.immediate.checked = item.immediate;
      form.online.checked = item.online;
    },
    submit: async (form) => {
      const number = (value) => (value === "" ? null : Number(value));
      const body = {
        name: form.name.value.trim(), queue: form.queue.value, department: form.department.value,
        time_limit_days: Number(form.time_limit_days.value), statutory_days: number(form.statutory_days.value),
        materials: form.materials.value.split(/[\n；;]+/).map((m) => m.trim()).filter(Boolean),
        departments: [...form.querySelectorAll("input[name=joint]:checked")].map((b) => b.value),
        fee: form.fee.value.trim(), legal_basis: form.legal_basis.value.trim(),
        acceptance_standard: form.acceptance_standard.value.trim(), immediate: form.immediate.checked,
        online: form.online.checked, star: number(form.star.value),
      };
      const code = form.code.value.trim();
      const result = await api("PUT", `${hallPath}/items/${encodeURIComponent(code)}`, body);
      return result.ok ? null : refusal(result, "保存失败");
    },
  });
  if (done) {
    message(item ? `已保存事项 ${item.code}` : "已新增事项", "info");
    await refresh();
  }
}

// ------------------------------------------------------------------ the whole catalog
function typeOf(file) {
  if (file.name.toLowerCase().endsWith(".xlsx")) return XLSX;
  if (file.name.toLowerCase().endsWith(".csv")) return "text/csv";
  return file.type || "application/octet-stream";
}

/** Uploads the chosen file with a progress bar (fetch cannot report an upload's progress). */
function upload(file) {
  return new Promise((resolve) => {
    const request = new XMLHttpRequest();
    request.open("POST", `${hallPath}/items/import?filename=${encodeURIComponent(file.name)}`);
    request.setRequestHeader("Content-Type", typeOf(file));
    request.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) $("import-bar").value = Math.round((event.loaded / event.total) * 90);
    });
    request.upload.addEventListener("load", () => {
      $("import-bar").value = 90;
      $("import-stage").textContent = "正在检查每一行……";
    });
    request.addEventListener("load", () => {
      let body = null;
      try { body = JSON.parse(request.responseText); } catch { body = null; }
      resolve({ ok: request.status >= 200 && request.status < 300, status: request.status, body });
    });
    request.addEventListener("error", () => resolve({ ok: false, status: 0, body: null }));
    request.send(file);
  });
}

async function importFile() {
  const file = $("catalog-file").files[0];
  if (!file) return;
  const replacing = items.length ? `将用文件「${file.name}」替换现有的 ${items.length} 项事项。` : "";
  const go = !items.length || await confirmThen("导入事项目录？", `${replacing}文件有任何错误时不会导入任何事项。`,
    async () => null);
  if (!go) return;
  $("import-done").hidden = true;
  $("import-problems").hidden = true;
  $("import-progress").hidden = false;
  $("import-bar").value = 0;
  $("import-stage").textContent = "正在上传……";
  $("catalog-import").disabled = true;
  const result = await upload(file);
  $("import-progress").hidden = true;
  $("catalog-import").disabled = false;
  if (result.status === 401) {
    location.href = `/login?next=${encodeURIComponent(location.pathname)}`;
    return;
  }
  if (result.ok) {
    $("import-done").textContent = `已导入 ${result.body.imported} 项事项（导入前 ${result.body.before} 项）。`;
    $("import-done").hidden = false;
    $("catalog-file").value = "";
    $("catalog-import").disabled = true;
    await refresh();
    return;
  }
  const rows = result.body?.error?.rows;
  $("import-summary").textContent = refusal(result, "导入失败");
  const tbody = $("problem-table").querySelector("tbody");
  tbody.replaceChildren(...(rows ?? []).map((p) => {
    const tr = element("tr");
    tr.append(element("td", null, `第 ${p.row} 行`), element("td", null, p.column),
      element("td", null, String(p.message).replace(/\s*\([^()]*\)\s*$/, "")));
    return tr;
  }));
  $("problem-table").hidden = !rows?.length;
  $("import-problems").hidden = false;
}
