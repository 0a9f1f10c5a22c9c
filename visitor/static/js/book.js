// 预约 on the visitor's phone (/book/{hall}): queue → day → slot → name, ID number, phone →
// the booking code, large, with a cancel button. The server embeds the queues, their open days and
// their service items (the optional 办理事项, "暂不确定" when the visitor does not know yet).
const page = JSON.parse(document.getElementById("book-data").textContent);
const HALL = page.hall.code;
const $ = (id) => document.getElementById(id);
const chosen = { queue: null, date: null, slot: null, end: null };
let booking = null;

const CODES = {
  slot_full: "该时段已约满，请选择其他时段。",
  already_booked: "您当天已预约过该类业务，如需改期请先取消原预约。",
  rate_limited: "操作过于频繁，请稍后再试。",
  day_closed: "该日大厅不办公，请选择其他日期。",
  slot_past: "该时段已开始，请选择其他时段。",
};

// The server's messages are "中文 (English)": the visitor sees the Chinese part.
function chinese(error) {
  if (!error) return "预约失败，请稍后再试。";
  return CODES[error.code] || String(error.message || "").replace(/\s*\([^()]*\)\s*$/, "") || "预约失败，请稍后再试。";
}

// GB 11643: 17 digits weighted, the check character from "10X98765432".
const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
export function idNumberProblem(raw) {
  const number = raw.trim().toUpperCase();
  if (!number) return "请填写身份证号码。";
  if (!/^\d{17}[\dX]$/.test(number)) return "身份证号码应为 18 位（最后一位可以是 X）。";
  const sum = WEIGHTS.reduce((total, w, i) => total + w * Number(number[i]), 0);
  if ("10X98765432"[sum % 11] !== number[17]) return "身份证号码校验位不正确，请核对后重新输入。";
  const y = Number(number.slice(6, 10)), m = Number(number.slice(10, 12)), d = Number(number.slice(12, 14));
  const birth = new Date(y, m - 1, d);
  if (birth.getFullYear() !== y || birth.getMonth() !== m - 1 || birth.getDate() !== d) {
    return "身份证号码中的出生日期不正确。";
  }
  return "";
}

function phoneProblem(raw) {
  if (!raw.trim()) return "请填写手机号码。";
  return /^1\d{10}$/.test(raw.trim()) ? "" : "手机号码应为 1 开头的 11 位数字。";
}

function press(container, button) {
  for (const other of container.querySelectorAll(".choice")) other.setAttribute("aria-pressed", String(other === button));
}

function show(id, visible) { $(id).hidden = !visible; }

function setError(text) { $("error").textContent = text || ""; }

function fieldError(name, text) {
  $(`${name}-error`).textContent = text || "";
  $(name).setAttribute("aria-invalid", text ? "true" : "false");
}

function chooseQueue(button) {
  press($("queues"), button);
  chosen.queue = button.dataset.queue;
  chosen.date = chosen.slot = null;
  const queue = page.queues.find((q) => q.code === chosen.queue);
  const items = queue.items ?? [];
  const unsure = document.createElement("option");
  unsure.value = ""; unsure.textContent = "暂不确定";
  $("item").replaceChildren(unsure, ...items.map((i) => {
    const option = document.createElement("option");
    option.value = i.code; option.textContent = i.name;
    return option;
  }));
  fieldError("item", "");
  show("item-field", items.length > 0);
  const days = $("days");
  days.replaceChildren(...queue.days.map((d) => {
    const b = document.createElement("button");
    b.type = "button"; b.className = "choice"; b.dataset.date = d.date; b.textContent = d.label;
    b.setAttribute("aria-pressed", "false");
    b.addEventListener("click", () => chooseDay(b));
    return b;
  }));
  show("no-days", queue.days.length === 0);
  show("step-day", true); show("step-slot", false); show("step-person", false);
  setError("");
  $("step-day").scrollIntoView({ behavior: "smooth", block: "start" });
}

async function chooseDay(button) {
  press($("days"), button);
  chosen.date = button.dataset.date;
  chosen.slot = null;
  show("step-person", false);
  setError("");
  let rows;
  try {
    const response = await fetch(`/api/v1/halls/${HALL}/appointments/slots?queue=${chosen.queue}&date=${chosen.date}`);
    const body = await response.json();
    if (!response.ok) { setError(chinese(body.error)); return; }
    rows = body;
  } catch {
    setError("网络不通，请稍后再试。");
    return;
  }
  $("slots").replaceChildren(...rows.map((s) => {
    const b = document.createElement("button");
    b.type = "button"; b.className = "choice"; b.dataset.slot = s.slot; b.dataset.end = s.end;
    b.setAttribute("aria-pressed", "false");
    const remaining = s.capacity - s.booked;
    b.disabled = !s.available;
    const note = remaining <= 0 ? "已约满" : s.available ? `余 ${remaining} 个` : "已开始";
    b.innerHTML = `${s.slot}–${s.end}<small>${note}</small>`;
    b.addEventListener("click", () => chooseSlot(b));
    return b;
  }));
  show("no-slots", rows.length === 0);
  show("step-slot", true);
  $("step-slot").scrollIntoView({ behavior: "smooth", block: "start" });
}

function dayLabel(date) {
  const queue = page.queues.find((q) => q.code === chosen.queue);
  return (queue.days.find((d) => d.date === date) || { label: date }).label;
}

function chosenItemName() {
  const select = $("item");
  return select.value ? select.options[select.selectedIndex].textContent : "";
}

function renderSummary() {
  if (!chosen.slot) return;
  const queue = page.queues.find((q) => q.code === chosen.queue);
  const item = chosenItemName();
  $("summary").textContent = `${queue.code} ${queue.name}${item ? ` · ${item}` : ""} · ${dayLabel(chosen.date)} `
    + `${chosen.slot}–${chosen.end}`;
}

function chooseSlot(button) {
  press($("slots"), button);
  chosen.slot = button.dataset.slot;
  chosen.end = button.dataset.end;
  renderSummary();
  show("step-person", true);
  setError("");
  $("step-person").scrollIntoView({ behavior: "smooth", block: "start" });
}

$("item").addEventListener("change", () => { fieldError("item", ""); renderSummary(); });
$("id_number").addEventListener("blur", () => {
  if ($("id_number").value.trim()) fieldError("id_number", idNumberProblem($("id_number").value));
});
$("phone").addEventListener("blur", () => {
  if ($("phone").value.trim()) fieldError("phone", phoneProblem($("phone").value));
});

async function submit(event) {
  event.preventDefault();
  setError("");
  const name = $("name").value.trim();
  const problems = {
    name: name ? "" : "请填写姓名。",
    id_number: idNumberProblem($("id_number").value),
    phone: phoneProblem($("phone").value),
  };
  for (const [field, text] of Object.entries(problems)) fieldError(field, text);
  const first = Object.keys(problems).find((f) => problems[f]);
  if (first) { $(first).focus(); return; }
  $("confirm").disabled = true;
  const payload = { queue: chosen.queue, date: chosen.date, slot: chosen.slot, name,
    id_number: $("id_number").value.trim().toUpperCase(), phone: $("phone").value.trim() };
  if ($("item").value) payload.item = $("item").value;
  try {
    const response = await fetch(`/api/v1/halls/${HALL}/appointments`, {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify(payload),
    });
    const body = await response.json();
    if (!response.ok) {
      const field = body.error && body.error.field;
      if (field && $(`${field}-error`)) fieldError(field, chinese(body.error));
      else setError(chinese(body.error));
      if (body.error && ["slot_full", "slot_past"].includes(body.error.code)) {
        const day = $("days").querySelector(`[data-date="${chosen.date}"]`);
        if (day) await chooseDay(day);
        setError(chinese(body.error));
      }
      return;
    }
    booking = body;
    showDone();
  } catch {
    setError("网络不通，请稍后再试。");
  } finally {
    $("confirm").disabled = false;
  }
}

function showDone() {
  $("book").hidden = true;
  show("done", true);
  $("done").dataset.status = booking.status;
  $("done-code").textContent = booking.code;
  $("done-slot").textContent =
    `${booking.queue} ${booking.queue_name} · ${dayLabel(booking.date)} ${booking.slot}–${booking.slot_end}`;
  $("done-item").textContent = booking.item ? `办理事项：${booking.item.name}` : "";
  show("done-item", Boolean(booking.item));
  $("done-name").textContent = `办事人：${booking.name}`;
  document.title = `预约号 ${booking.code}`;
  window.scrollTo(0, 0);
}

async function cancel() {
  if (!window.confirm("确定取消这个预约吗？")) return;
  $("done-error").textContent = "";
  try {
    const response = await fetch(`/api/v1/appointments/${booking.code}/cancel`, {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ cancel_token: booking.cancel_token }),
    });
    const body = await response.json();
    if (!response.ok) { $("done-error").textContent = `未能取消：${chinese(body.error)}`; return; }
    booking.status = body.status;
    $("done").dataset.status = body.status;
    show("cancel", false); show("cancelled", true); show("again", true);
  } catch {
    $("done-error").textContent = "网络不通，请稍后再试。";
  }
}

for (const button of $("queues").querySelectorAll(".choice")) button.addEventListener("click", () => chooseQueue(button));
$("book").addEventListener("submit", submit);
$("cancel").addEventListener("click", cancel);
$("again").addEventListener("click", () => window.location.reload());
