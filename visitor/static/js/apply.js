// 网上预审 on the visitor's phone (/apply/{hall}): item → applicant → each material's files → submit
// with an upload progress bar (XMLHttpRequest: fetch cannot report upload progress) → the status link.
// The server embeds the items done online with their materials and the files' limits; it checks
// everything again (the files by their content, not their names).
const page = JSON.parse(document.getElementById("apply-data").textContent);
const HALL = page.hall.code;
const LIMITS = page.limits;
const TYPES = { "application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png" };
const NAMES = { pdf: "application/pdf", jpg: "image/jpeg", jpeg: "image/jpeg", png: "image/png" };
const $ = (id) => document.getElementById(id);
let item = null;
let chosen = []; // per material: the File objects picked
let sending = false;

function chinese(error) {
  if (!error) return "提交失败，请稍后再试。";
  return String(error.message || "").replace(/\s*\([^()]*\)\s*$/, "") || "提交失败，请稍后再试。";
}

function megabytes(bytes) {
  return bytes < 1024 * 1024 ? `${Math.max(1, Math.round(bytes / 1024))} KB` : `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function fieldError(name, text) {
  const line = $(`${name}-error`);
  if (line) line.textContent = text || "";
  const input = $(name);
  if (input) input.setAttribute("aria-invalid", text ? "true" : "false");
}

function setError(text) { $("error").textContent = text || ""; }

// GB 11643, as the booking page and the server check it: 17 digits weighted, the check character
// from "10X98765432", a real birth date.
const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
function idNumberProblem(raw) {
  const number = raw.trim().toUpperCase();
  if (!number) return "请填写身份证号码。";
  if (!/^\d{17}[\dX]$/.test(number)) return "身份证号码应为 18 位（最后一位可以是 X）。";
  const sum = WEIGHTS.reduce((sum_, w, i) => sum_ + w * Number(number[i]), 0);
  if ("10X98765432"[sum % 11] !== number[17]) return "身份证号码校验位不正确，请核对后重新输入。";
  const y = Number(number.slice(6, 10)), m = Number(number.slice(10, 12)), d = Number(number.slice(12, 14));
  const birth = new Date(y, m - 1, d);
  if (birth.getFullYear() !== y || birth.getMonth() !== m - 1 || birth.getDate() !== d || birth > new Date()) {
    return "身份证号码中的出生日期不正确。";
  }
  return "";
}

function phoneProblem(raw) {
  if (!raw.trim()) return "请填写手机号码。";
  return /^1\d{10}$/.test(raw.trim()) ? "" : "手机号码应为 1 开头的 11 位数字。";
}

// What the server will say of a file, said before the upload: its kind by name or type, its size.
function fileProblem(file, material) {
  const suffix = (file.name.split(".").pop() || "").toLowerCase();
  const kind = NAMES[suffix] || (TYPES[file.type] ? file.type : null);
  if (!kind) return `「${material}」只能上传 PDF、JPG 或 PNG 文件（${file.name}）。`;
  if (file.size === 0) return `「${material}」的文件是空的（${file.name}）。`;
  if (file.size > LIMITS.file_bytes) return `「${material}」的文件超过 10 MB（${file.name}），请压缩后再上传。`;
  return "";
}

function total() {
  return chosen.flat().reduce((sum, f) => sum + f.size, 0);
}

function renderTotal() {
  const bytes = total();
  $("total").textContent = bytes ? `已选文件合计 ${megabytes(bytes)}（上限 30 MB）` : "";
  $("total").classList.toggle("over", bytes > LIMITS.total_bytes);
}

function renderMaterial(n) {
  const row = $("materials").children[n];
  const list = row.querySelector(".files");
  list.replaceChildren(...chosen[n].map((file, k) => {
    const li = el("li", "file");
    li.append(el("span", "file-name", file.name), el("span", "file-size", megabytes(file.size)));
    const remove = el("button", "remove", "删除");
    remove.type = "button";
    remove.setAttribute("aria-label", `删除 ${file.name}`);
    remove.addEventListener("click", () => {
      chosen[n].splice(k, 1);
      fieldError(`m${n}`, "");
      renderMaterial(n);
      renderTotal();
    });
    li.append(remove);
    return li;
  }));
  row.dataset.count = String(chosen[n].length);
  row.querySelector(".pick-label").textContent = chosen[n].length ? "继续添加" : "选择文件或拍照";
}

function materialRow(detail, n) {
  const li = el("li", "material");
  li.id = `material-${n}`;
  const head = el("p", "material-name", detail.name);
  if (detail.form || detail.copies) {
    head.append(el("small", "", ` ${detail.form || ""}${detail.copies ? ` ${detail.copies} 份` : ""}`));
  }
  const input = el("input");
  input.type = "file";
  input.id = `m${n}`;
  input.multiple = true;
  input.accept = "application/pdf,image/jpeg,image/png,.pdf,.jpg,.jpeg,.png";
  input.className = "pick-input";
  const pick = el("label", "pick");
  pick.htmlFor = input.id;
  pick.append(el("span", "pick-label", "选择文件或拍照"));
  input.addEventListener("change", () => {
    const problems = [];
    for (const file of input.files) {
      const problem = fileProblem(file, detail.name);
      if (problem) problems.push(problem);
      else if (chosen[n].length >= LIMITS.files_per_material) problems.push(`「${detail.name}」最多上传 ${LIMITS.files_per_material} 个文件。`);
      else chosen[n].push(file);
    }
    input.value = "";
    fieldError(`m${n}`, problems.join(" "));
    renderMaterial(n);
    renderTotal();
  });
  li.append(head, el("ul", "files"), input, pick, el("p", "field-error"));
  li.lastChild.id = `m${n}-error`;
  li.lastChild.setAttribute("role", "alert");
  return li;
}

function chooseItem(button) {
  for (const other of $("items").querySelectorAll(".choice")) {
    other.setAttribute("aria-pressed", String(other === button));
  }
  item = page.items.find((i) => i.code === button.dataset.item);
  chosen = item.materials.map(() => []);
  $("materials").replaceChildren(...item.materials_detail.map(materialRow));
  if (item.materials.length === 0) $("materials").append(el("li", "muted", "该事项无需上传材料。"));
  renderTotal();
  fieldError("item", "");
  setError("");
  $("summary").textContent = `${item.name} · ${item.department_name}`;
  for (const id of ["step-person", "step-files", "send"]) $(id).hidden = false;
  $("step-person").scrollIntoView({ behavior: "smooth", block: "start" });
}

function problems() {
  const found = {
    name: $("name").value.trim() ? "" : "请填写姓名。",
    id_number: idNumberProblem($("id_number").value),
    phone: phoneProblem($("phone").value),
  };
  item.materials.forEach((m, n) => { found[`m${n}`] = chosen[n].length ? "" : `请上传「${m}」。`; });
  found.files = total() > LIMITS.total_bytes ? "全部材料合计超过 30 MB，请压缩后再上传。" : "";
  return found;
}

function showProgress(percent, text) {
  $("progress").hidden = false;
  $("progress-bar").value = percent;
  $("progress-text").textContent = text;
}

function send(form) {
  return new Promise((resolve) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", `/api/v1/halls/${encodeURIComponent(HALL)}/applications`);
    xhr.responseType = "json";
    xhr.upload.addEventListener("progress", (event) => {
      if (!event.lengthComputable) return;
      const percent = Math.round((event.loaded / event.total) * 100);
      showProgress(percent, `正在上传 ${percent}%（${megabytes(event.loaded)} / ${megabytes(event.total)}）`);
    });
    xhr.upload.addEventListener("load", () => showProgress(100, "上传完成，正在保存…"));
    xhr.addEventListener("load", () => resolve({ status: xhr.status, body: xhr.response }));
    xhr.addEventListener("error", () => resolve({ status: 0, body: null }));
    xhr.addEventListener("timeout", () => resolve({ status: 0, body: null }));
    xhr.send(form);
  });
}

async function submit(event) {
  event.preventDefault();
  if (sending) return;
  setError("");
  if (!item) { fieldError("item", "请先选择办理事项。"); $("step-item").scrollIntoView(); return; }
  const found = problems();
  for (const [field, text] of Object.entries(found)) fieldError(field, text);
  const first = Object.keys(found).find((f) => found[f]);
  if (first) {
    const target = $(first.startsWith("m") ? `material-${first.slice(1)}` : first) || $(`${first}-error`);
    if (target) target.scrollIntoView({ behavior: "smooth", block: "center" });
    if (["name", "id_number", "phone"].includes(first)) $(first).focus();
    return;
  }
  const form = new FormData();
  form.append("item", item.code);
  form.append("name", $("name").value.trim());
  form.append("id_number", $("id_number").value.trim().toUpperCase());
  form.append("phone", $("phone").value.trim());
  chosen.forEach((files, n) => files.forEach((file) => form.append(`m${n}`, file, file.name)));
  sending = true;
  $("submit").disabled = true;
  showProgress(0, "正在上传 0%");
  try {
    const { status, body } = await send(form);
    if (status === 201 && body) { done(body); return; }
    $("progress").hidden = true;
    if (status === 0) { setError("网络不通，请检查网络后重新提交。"); return; }
    if (status === 413) { fieldError("files", "全部材料合计超过 30 MB，请压缩后再上传。"); return; }
    const error = body && body.error;
    const field = error && error.field;
    if (field && $(`${field}-error`)) {
      fieldError(field, chinese(error));
      const target = $(field.startsWith("m") ? `material-${field.slice(1)}` : field) || $(`${field}-error`);
      target.scrollIntoView({ behavior: "smooth", block: "center" });
    } else {
      setError(chinese(error));
    }
  } finally {
    sending = false;
    $("submit").disabled = false;
  }
}

function done(application) {
  $("apply").hidden = true;
  $("done").hidden = false;
  const url = new URL(application.status_url, window.location.href).href;
  $("done-item").textContent = application.item.name;
  $("done-due").textContent = `预审期限：${application.due_on}${application.due_provisional ? "（暂定）" : ""} 前`;
  $("status-link").href = application.status_url;
  $("status-link").textContent = url;
  $("status-open").href = application.status_url;
  document.title = `申请已提交 · ${application.item.name}`;
  window.scrollTo(0, 0);
}

$("copy").addEventListener("click", async () => {
  try {
    await navigator.clipboard.writeText($("status-link").textContent);
    $("copied").hidden = false;
  } catch {
    window.prompt("请复制这个链接：", $("status-link").textContent);
  }
});
$("id_number").addEventListener("blur", () => {
  if ($("id_number").value.trim()) fieldError("id_number", idNumberProblem($("id_number").value));
});
$("phone").addEventListener("blur", () => {
  if ($("phone").value.trim()) fieldError("phone", phoneProblem($("phone").value));
});
$("apply").addEventListener("submit", submit);
const list = $("items");
if (list) {
  for (const button of list.querySelectorAll(".choice")) button.addEventListener("click", () => chooseItem(button));
  const wanted = page.chosen && list.querySelector(`[data-item="${page.chosen}"]`);
  if (wanted) chooseItem(wanted);
}
