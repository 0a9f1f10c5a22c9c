// The 队列与窗口 tab of the hall's set-up (admin.js loads it): the hall's queues (themes) in display
// order and its counters with the queues each calls, in order. Every change is one call of CONTRACT
// v2 "Setting up a hall" (PUT/DELETE …/queues/{code}, …/counters/{number}); after each, the tables
// are drawn again from GET /api/v1/halls/{hall}. A refusal is the server's own Chinese sentence.
import { rename } from "./admin_common.js";
import { $, api, confirmThen, element, hallPath, message, refusal, runDialog } from "./dashboard_common.js";

const QUEUE_CODE = /^[A-Z]{1,4}$/;
let hall = { queues: [], counters: [] };


/** The hall as the server has it now; false (and the refusal on the message line) when unreachable. */
export async function refresh() {
  const result = await api("GET", hallPath);
  if (!result.ok) {
    message(refusal(result, "读取大厅设置失败"));
    return false;
  }
  hall = result.body;
  draw();
  return true;
}

const queuePath = (code) => `${hallPath}/queues/${encodeURIComponent(code)}`;
const counterPath = (number) => `${hallPath}/counters/${encodeURIComponent(number)}`;
const defaultName = (number) => `${number}号窗口`;
const queueName = (code) => hall.queues.find((q) => q.code === code)?.name ?? code;

/** 3号窗口, or 3号 综合窗口 when the counter has a name of its own. */
function counterLabel(counter) {
  return counter.name === defaultName(counter.number) ? counter.name : `${counter.number}号 ${counter.name}`;
}

function button(text, className, onClick) {
  const b = element("button", `small ${className}`, text);
  b.type = "button";
  b.addEventListener("click", onClick);
  return b;
}

/** A small ↑ or ↓ button whose name (for a screen reader, and its tooltip) is 上移 or 下移. */
function arrow(mark, name, onClick) {
  const b = button(mark, "ghost arrow", onClick);
  b.setAttribute("aria-label", name);
  b.title = name;
  return b;
}

// ------------------------------------------------------------------ drawing

function draw() {
  drawGuide();
  drawQueues();
  drawCounters();
  const form = $("counter-form");
  const chosen = picked(form.querySelector(".picker"));
  fillPicker(form.querySelector(".picker"), chosen);
  form.querySelector(".picker-empty").hidden = hall.queues.length > 0;
  suggestNumber();
}

function drawGuide() {
  const guide = $("layout-guide");
  guide.hidden = hall.queues.length > 0 && hall.counters.length > 0;
  guide.querySelector("[data-step=queues]").classList.toggle("done", hall.queues.length > 0);
  guide.querySelector("[data-step=counters]").classList.toggle("done", hall.counters.length > 0);
}

function drawQueues() {
  const body = $("queue-table").querySelector("tbody");
  const last = hall.queues.length - 1;
  body.replaceChildren(...hall.queues.map((queue, index) => {
    const row = element("tr");
    row.dataset.code = queue.code;
    row.append(element("td", "code", queue.code), element("td", "name", queue.name));
    const serving = hall.counters.filter((c) => c.queues.includes(queue.code));
    const where = element("td", "serving");
    const chips = element("div", "chips");
    where.append(chips);
    if (serving.length === 0) {
      chips.append(element("span", "warn", "暂无窗口办理"));
    } else {
      for (const counter of serving) {
        const chip = element("span", "chip", counterLabel(counter));
        if (counter.queues[0] === queue.code) chip.classList.add("own");
        chip.title = counter.queues[0] === queue.code ? "本窗口的主队列" : `第 ${counter.queues.indexOf(queue.code) + 1} 顺位`;
        chips.append(chip);
      }
    }
    const actions = element("td", "actions");
    const up = arrow("↑", "上移", () => moveQueue(queue, index));
    const down = arrow("↓", "下移", () => moveQueue(queue, index + 2));
    up.disabled = index === 0;
    down.disabled = index === last;
    actions.append(button("改名", "ghost", () => renameQueue(queue)), up, down,
      button("停用", "danger", () => retireQueue(queue)));
    row.append(where, actions);
    return row;
  }));
  $("queue-empty").hidden = hall.queues.length > 0;
  $("queue-table").hidden = hall.queues.length === 0;
}

function drawCounters() {
  const body = $("counter-table").querySelector("tbody");
  body.replaceChildren(...hall.counters.map((counter) => {
    const row = element("tr");
    row.dataset.number = String(counter.number);
    const order = element("td", "order");
    order.append(element("span", "codes", counter.queues.join(" → ")),
      element("span", "names", counter.queues.map(queueName).join(" → ")));
    order.title = counter.queues.map((code) => `${code} ${queueName(code)}`).join(" → ");
    const actions = element("td", "actions");
    actions.append(button("编辑", "ghost", () => editCounter(counter)),
      button("停用", "danger", () => retireCounter(counter)));
    row.append(element("td", "number", `${counter.number}`), element("td", "name", counter.name), order, actions);
    return row;
  }));
  $("counter-empty").hidden = hall.counters.length > 0;
  $("counter-table").hidden = hall.counters.length === 0;
}

/** The next number after the highest counter's, and its default name as the name's placeholder;
 *  a number the admin typed stays. */
let suggested = "";
function suggestNumber() {
  const form = $("counter-form");
  const next = String(hall.counters.reduce((top, c) => Math.max(top, c.number), 0) + 1);
  const input = form.elements.number;
  if (input.value === "" || input.value === suggested) input.value = next;
  suggested = next;
  form.elements.name.placeholder = /^\d+$/.test(input.value) ? defaultName(Number(input.value)) : "";
}

// ------------------------------------------------------------------ the ordered queue list of a counter

/** Every queue of the hall, those `chosen` first in their calling order, each with a tick and 上移/下移. */
function fillPicker(list, chosen) {
  const rest = hall.queues.map((q) => q.code).filter((code) => !chosen.includes(code));
  const order = [...chosen.filter((code) => hall.queues.some((q) => q.code === code)), ...rest];
  list.replaceChildren(...order.map((code) => {
    const item = element("li");
    item.dataset.code = code;
    const tick = element("input");
    tick.type = "checkbox";
    tick.checked = chosen.includes(code);
    tick.addEventListener("change", () => {
      // a queue ticked (or unticked) goes right after those ticked before it
      const ticked = [...list.children].filter((li) => li !== item && li.querySelector("input").checked);
      if (ticked.length) ticked.at(-1).after(item);
      else list.prepend(item);
      markPicker(list);
    });
    const label = element("label", "pick");
    label.append(tick, element("b", null, code), element("span", null, queueName(code)));
    const up = arrow("↑", "上移", () => shift(list, item, -1));
    const down = arrow("↓", "下移", () => shift(list, item, 1));
    item.append(label, element("span", "role"), up, down);
    return item;
  }));
  markPicker(list);
}

function shift(list, item, by) {
  const items = [...list.children];
  const at = items.indexOf(item);
  const to = at + by;
  if (to < 0 || to >= items.length) return;
  if (by < 0) items[to].before(item);
  else items[to].after(item);
  markPicker(list);
}

/** Places, the first ticked queue marked as the counter's own, 上移/下移 only among the ticked. */
function markPicker(list) {
  const items = [...list.children];
  let rank = 0;
  items.forEach((item, index) => {
    const ticked = item.querySelector("input").checked;
    item.dataset.place = String(index);
    item.classList.toggle("on", ticked);
    rank += ticked ? 1 : 0;
    item.querySelector(".role").textContent = ticked ? (rank === 1 ? "主队列" : `第 ${rank} 顺位`) : "";
    const [up, down] = item.querySelectorAll("button");
    const next = items[index + 1];
    up.hidden = down.hidden = !ticked;
    up.disabled = index === 0;
    down.disabled = !next || !next.querySelector("input").checked;
  });
}

function picked(list) {
  return [...list.children].filter((li) => li.querySelector("input").checked).map((li) => li.dataset.code);
}

// ------------------------------------------------------------------ actions

function showProblem(form, text) {
  const problem = form.querySelector(".problem");
  problem.textContent = text ?? "";
  problem.hidden = !text;
}

export function wire() {
  for (const form of [$("queue-form"), $("counter-form")]) {
    form.addEventListener("input", () => showProblem(form, null));
  }
  const queueForm = $("queue-form");
  queueForm.elements.code.addEventListener("input", (event) => {
    const input = event.target;
    const upper = input.value.toUpperCase();
    if (upper !== input.value) input.value = upper;
  });
  queueForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const code = queueForm.elements.code.value.trim().toUpperCase();
    const name = queueForm.elements.name.value.trim();
    if (!QUEUE_CODE.test(code)) return showProblem(queueForm, "队列编码须为 1 至 4 个大写字母，例如 A");
    if (!name) return showProblem(queueForm, "请填写队列名称");
    const existing = hall.queues.find((q) => q.code === code);
    if (existing) return showProblem(queueForm, `已有队列 ${code}（${existing.name}），如需改名请点该行的“改名”`);
    showProblem(queueForm, null);
    const result = await api("PUT", queuePath(code), { name });
    if (!result.ok) return showProblem(queueForm, refusal(result, "添加队列失败"));
    queueForm.reset();
    await refresh();
    message(`已添加队列 ${code} ${name}`, "info");
  });

  const counterForm = $("counter-form");
  counterForm.elements.number.addEventListener("input", () => {
    const number = counterForm.elements.number.value;
    counterForm.elements.name.placeholder = /^\d+$/.test(number) ? defaultName(Number(number)) : "";
  });
  counterForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const raw = counterForm.elements.number.value.trim();
    const number = Number(raw);
    const name = counterForm.elements.name.value.trim();
    const queues = picked(counterForm.querySelector(".picker"));
    if (!/^\d+$/.test(raw) || number < 1 || number > 9999) {
      return showProblem(counterForm, "窗口号须为 1 至 9999 的整数");
    }
    if (hall.counters.some((c) => c.number === number)) {
      return showProblem(counterForm, `已有${number}号窗口，如需修改请点该行的“编辑”`);
    }
    if (queues.length === 0) return showProblem(counterForm, "请至少勾选一个办理队列");
    showProblem(counterForm, null);
    const result = await api("PUT", counterPath(number), name ? { queues, name } : { queues });
    if (!result.ok) return showProblem(counterForm, refusal(result, "添加窗口失败"));
    counterForm.elements.name.value = "";
    counterForm.elements.number.value = "";
    fillPicker(counterForm.querySelector(".picker"), []);
    await refresh();
    message(`已添加${number}号窗口，办理 ${queues.join(" → ")}`, "info");
  });
}

async function renameQueue(queue) {
  if (await rename("rename-dialog", queue, queuePath(queue.code), "队列")) await refresh();
}

/** Moves the queue to `position` (1 = first) in the order the kiosk and the screens show. */
async function moveQueue(queue, position) {
  message("");
  const result = await api("PUT", queuePath(queue.code), { name: queue.name, position });
  if (!result.ok) {
    message(refusal(result, "调整顺序失败"));
    return;
  }
  const from = hall.queues.findIndex((q) => q.code === queue.code) + 1;
  await refresh();
  // the keyboard stays on the arrow just pressed, or on the other one at the end of the list
  const row = $("queue-table").querySelector(`tr[data-code="${CSS.escape(queue.code)}"]`);
  const [up, down] = row?.querySelectorAll("button.arrow") ?? [];
  const pressed = position < from ? up : down;
  (pressed && !pressed.disabled ? pressed : position < from ? down : up)?.focus();
}

async function retireQueue(queue) {
  const done = await confirmThen(`停用队列 ${queue.code} ${queue.name}？`,
    "停用后取号机和叫号屏不再显示该队列；它的历史号码和统计仍保留在报表中。" +
    "仍有人在该队列等候、或仍有窗口办理该队列时，系统会拒绝停用：请先转移或办结等候的号码，并在窗口中取消勾选该队列。",
    async () => {
      const result = await api("DELETE", queuePath(queue.code));
      return result.ok ? null : refusal(result, "停用队列失败");
    });
  if (done) {
    await refresh();
    message(`已停用队列 ${queue.code} ${queue.name}`, "info");
  }
}

async function editCounter(counter) {
  const dialog = $("counter-dialog");
  const list = dialog.querySelector(".picker");
  const done = await runDialog(dialog, {
    prepare: (form) => {
      dialog.querySelector(".target").textContent = `${counter.number}号窗口`;
      form.elements.name.value = counter.name;
      fillPicker(list, counter.queues);
    },
    submit: async (form) => {
      const name = form.elements.name.value.trim() || defaultName(counter.number);
      const queues = picked(list);
      if (queues.length === 0) return "请至少勾选一个办理队列";
      const result = await api("PUT", counterPath(counter.number), { queues, name });
      return result.ok ? null : refusal(result, "保存窗口失败");
    },
  });
  if (done) {
    await refresh();
    message(`已保存${counter.number}号窗口`, "info");
  }
}

async function retireCounter(counter) {
  const done = await confirmThen(`停用${counter.number}号窗口（${counter.name}）？`,
    "停用后该窗口不再叫号，它的历史记录仍保留在报表中。" +
    "窗口开着时须先由窗口人员关闭；仍有号码转给该窗口等候时，请先转走。",
    async () => {
      const result = await api("DELETE", counterPath(counter.number));
      return result.ok ? null : refusal(result, "停用窗口失败");
    });
  if (done) {
    await refresh();
    message(`已停用${counter.number}号窗口`, "info");
  }
}
