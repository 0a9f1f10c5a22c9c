// 网上预审 for the item's department and the hall's staff (/prereview/{hall}): the applications by
// status, waiting ones first and earliest due first; one application with its files (images shown,
// PDFs downloaded) and the decision: 通过, or 不通过 with the missing materials and a note, which the
// applicant's status page shows as the one-time notice. The list looks again every minute.
const page = JSON.parse(document.getElementById("prereview-data").textContent);
const HALL = page.hall.code;
const BASE = `/api/v1/halls/${encodeURIComponent(HALL)}/applications`;
const $ = (id) => document.getElementById(id);
const state = { status: "submitted", rows: [], selected: null, application: null, busy: false };
const REFRESH_MS = 60_000;

function chinese(error) {
  if (!error) return "操作失败，请稍后再试。";
  return String(error.message || "").replace(/\s*\([^()]*\)\s*$/, "") || "操作失败，请稍后再试。";
}

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = text;
  return node;
}

function when(iso) {
  return iso ? iso.slice(0, 16).replace("T", " ") : "";
}

function size(bytes) {
  return bytes < 1024 * 1024 ? `${Math.max(1, Math.round(bytes / 1024))} KB` : `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

function dueText(a) {
  let text = `${a.due_on}${a.due_provisional ? "（暂定）" : ""}`;
  if (a.overdue) text += " 已超期";
  else if (a.due_today) text += " 今日到期";
  return text;
}

async function getJSON(url) {
  const response = await fetch(url, { cache: "no-store" });
  if (response.status === 401) { window.location.href = `/login?next=${encodeURIComponent(location.pathname)}`; }
  const body = await response.json();
  if (!response.ok) throw new Error(chinese(body.error));
  return body;
}

// ---------------------------------------------------------------- the list
async function loadList() {
  $("list-error").textContent = "";
  try {
    const query = state.status ? `?status=${state.status}` : "";
    const body = await getJSON(`${BASE}${query}`);
    state.rows = body.applications;
    renderList();
    if (state.status === "submitted") renderCount(state.rows.length);
    else renderCount((await getJSON(`${BASE}?status=submitted`)).applications.length);
  } catch (error) {
    $("list-error").textContent = `未能读取网上申请：${error.message}`;
  }
}

function renderCount(count) {
  $("waiting-count").hidden = count === 0;
  $("waiting-count").textContent = String(count);
}

function renderList() {
  $("rows").replaceChildren(...state.rows.map((a) => {
    const tr = el("tr");
    tr.dataset.id = String(a.id);
    tr.tabIndex = 0;
    tr.classList.toggle("selected", a.id === state.selected);
    tr.classList.toggle("overdue", a.overdue);
    tr.classList.toggle("today", a.due_today);
    const due = el("td", "due", a.status === "submitted" ? dueText(a) : a.due_on);
    const item = el("td", "item", a.item.name);
    item.append(el("small", "", a.item.department_name));
    const person = el("td", "", a.applicant.name || "（已清除）");
    const phone = el("td", "phone", a.applicant.phone);
    const status = el("td", "", "");
    status.append(el("span", `pill ${a.status}`, a.status_label));
    tr.append(due, item, person, phone, status);
    tr.addEventListener("click", () => select(a.id));
    tr.addEventListener("keydown", (event) => { if (event.key === "Enter") select(a.id); });
    return tr;
  }));
  $("empty").hidden = state.rows.length > 0;
}

for (const tab of document.querySelectorAll(".filters [role=tab]")) {
  tab.addEventListener("click", () => {
    for (const other of document.querySelectorAll(".filters [role=tab]")) {
      other.setAttribute("aria-selected", String(other === tab));
    }
    state.status = tab.dataset.status;
    loadList();
  });
}

// ---------------------------------------------------------------- one application
async function select(id) {
  state.selected = id;
  history.replaceState(null, "", `#${id}`);
  for (const tr of $("rows").children) tr.classList.toggle("selected", tr.dataset.id === String(id));
  try {
    state.application = await getJSON(`${BASE}/${id}`);
    renderApplication();
  } catch (error) {
    $("placeholder").hidden = false;
    $("application").hidden = true;
    $("placeholder").textContent = error.message;
  }
}

function fileItem(file) {
  const li = el("li", "file");
  const link = el("a", "file-link");
  link.href = file.url;
  link.setAttribute("download", "");
  if (file.content_type.startsWith("image/")) {
    const image = el("img");
    image.src = file.url;
    image.alt = file.material;
    image.loading = "lazy";
    link.append(image, el("span", "", `下载图片（${size(file.size)}）`));
  } else {
    link.append(el("span", "pdf-mark", "PDF"), el("span", "", `下载查看（${size(file.size)}）`));
  }
  li.append(link);
  return li;
}

function renderFiles(files) {
  const byMaterial = new Map();
  for (const file of files) {
    if (!byMaterial.has(file.material)) byMaterial.set(file.material, []);
    byMaterial.get(file.material).push(file);
  }
  if (files.length === 0) {
    $("d-files").replaceChildren(el("li", "muted", "无文件（无需材料，或已按保存期限清除）"));
    return;
  }
  $("d-files").replaceChildren(...[...byMaterial].map(([material, list]) => {
    const li = el("li", "material");
    li.append(el("p", "material-name", material));
    const ul = el("ul", "files");
    ul.append(...list.map(fileItem));
    li.append(ul);
    return li;
  }));
}

function renderApplication() {
  const a = state.application;
  $("placeholder").hidden = true;
  $("application").hidden = false;
  $("application").dataset.status = a.status;
  $("d-no").textContent = `网上申请 #${a.id}`;
  $("d-item").textContent = a.item.name;
  $("d-dept").textContent = a.item.department_name + (a.item.star ? ` · ${"★".repeat(a.item.star)}` : "");
  $("d-status").textContent = a.status_label;
  $("d-status").className = `status pill ${a.status}`;
  $("d-after").textContent = a.item.accepted_on_pass
    ? "本事项为四星级以上：预审通过即正式受理，系统自动生成受理编号。"
    : "预审通过后，申请人须携带原件到大厅窗口办理。";
  $("d-name").textContent = a.applicant.name || "（已清除）";
  $("d-id").textContent = a.applicant.id_last4 ? `尾号 ${a.applicant.id_last4}` : "";
  $("d-phone").textContent = a.applicant.phone;
  $("d-submitted").textContent = when(a.submitted_at);
  $("d-due").textContent = dueText(a);
  $("d-due").classList.toggle("late", a.overdue);
  $("d-reviewed-row").hidden = !a.reviewed_at;
  $("d-reviewed").textContent = a.reviewed_at ? `${when(a.reviewed_at)} · ${a.reviewer}` : "";
  $("d-receipt-row").hidden = !a.receipt_no;
  $("d-receipt").textContent = a.receipt_no ?? "";
  $("d-delivery-row").hidden = !a.delivery;
  $("d-delivery").textContent = a.delivery ? `${a.delivery_label}${a.address ? `：${a.address}` : ""}` : "";
  renderFiles(a.files);
  const waiting = a.status === "submitted";
  $("decide").hidden = !waiting;
  $("decided").hidden = waiting;
  if (waiting) {
    const materials = [...new Set(a.files.map((f) => f.material))];
    $("d-missing").replaceChildren(...materials.map((m) => {
      const label = el("label", "check");
      const box = el("input");
      box.type = "checkbox";
      box.value = m;
      label.append(box, el("span", "", m));
      return label;
    }));
    $("d-note").value = "";
    $("decide-error").textContent = "";
  } else {
    $("d-result").textContent = a.status === "passed"
      ? (a.receipt_no ? `预审通过，已受理（受理编号 ${a.receipt_no}）` : "预审通过，申请人将携带原件到大厅办理")
      : a.status === "failed" ? "预审不通过，已一次性告知申请人：" : a.status_label;
    $("d-result-missing").replaceChildren(...a.missing.map((m) => el("li", "", m)));
    $("d-result-note").textContent = a.note ? `意见：${a.note}` : "";
  }
}

async function decide(result) {
  if (state.busy || !state.application) return;
  const missing = [...$("d-missing").querySelectorAll("input:checked")].map((box) => box.value);
  const note = $("d-note").value.trim();
  if (result === "fail" && missing.length === 0 && !note) {
    $("decide-error").textContent = "不通过时请勾选缺少或有误的材料，或填写原因。";
    return;
  }
  if (result === "pass" && missing.length > 0) {
    $("decide-error").textContent = "已勾选缺少的材料：如材料不全请选择“不通过”，否则请取消勾选。";
    return;
  }
  state.busy = true;
  $("pass").disabled = $("fail").disabled = true;
  $("decide-error").textContent = "";
  try {
    const response = await fetch(`${BASE}/${state.application.id}/review`, {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify(note ? { result, missing, note } : { result, missing }),
    });
    const body = await response.json();
    if (!response.ok) { $("decide-error").textContent = chinese(body.error); return; }
    state.application = body;
    renderApplication();
    await loadList();
  } catch {
    $("decide-error").textContent = "网络不通，请稍后再试。";
  } finally {
    state.busy = false;
    $("pass").disabled = $("fail").disabled = false;
  }
}

$("pass").addEventListener("click", () => decide("pass"));
$("fail").addEventListener("click", () => decide("fail"));

loadList().then(() => {
  const wanted = Number(location.hash.slice(1));
  if (wanted) select(wanted);
});
window.setInterval(() => { if (document.visibilityState === "visible") loadList(); }, REFRESH_MS);
