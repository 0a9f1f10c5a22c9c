// The devices tab (设备) of a hall's set-up: the hall's device tokens, one table per kind, with when
// each was last seen (最近在线); 签发新设备 shows the new token once, with the address the device opens
// once and its QR code (an SVG the server draws: the page's policy allows data: images only);
// 改名 / 改绑 / 吊销; and, for each agent, the counters whose keypads and evaluators it drives.
import { $, api, confirmThen, element, hallPath, message, refusal, runDialog, stamp } from "./dashboard_common.js";

const KINDS = [
  ["kiosk", "自助取号机", "放在大厅供办事群众取号；设置地址打开一次即可"],
  ["display", "大厅显示屏", "墙上的叫号屏；设置地址即为屏幕的网址"],
  ["counter", "窗口评价器", "窗口外侧的评价平板，只为绑定的窗口评价"],
  ["agent", "设备代理", "取号机或窗口电脑上的读卡器、打印机、呼叫器和评价器"],
];
const KIND_NAMES = new Map(KINDS.map(([kind, name]) => [kind, name]));
const STALE_S = 10 * 60; // 最近在线 turns red when older than this
const REFRESH_MS = 30_000;

let pane = null;
let counters = []; // the hall's counters, [{number, name}], as the server has them now
let offset = 0; // the server's clock minus this PC's, from each list

export function wire(root) {
  pane = root;
  $("dev-issue").addEventListener("click", issue);
  $("dev-refresh").addEventListener("click", () => refresh());
  $("dev-issued-dialog").addEventListener("close", forgetSecret);
  setInterval(() => { if (!pane.hidden) refresh(); }, REFRESH_MS);
}

export async function refresh() {
  const [hall, listed] = await Promise.all([api("GET", hallPath), api("GET", `${hallPath}/tokens`)]);
  if (hall.ok) counters = hall.body.counters.map((c) => ({ number: c.number, name: c.name }));
  if (!listed.ok) {
    $("dev-summary").textContent = refusal(listed, "设备列表加载失败");
    return;
  }
  offset = Date.parse(listed.body.now) - Date.now();
  render(listed.body.tokens);
}

const counterName = (number) => counters.find((c) => c.number === number)?.name ?? `${number}号窗口`;

/** 2分钟前 … and whether it is too long ago (or never). */
function lastSeen(iso, nowMs = Date.now() + offset) {
  if (!iso) return { text: "从未", stale: true };
  const seconds = Math.max(0, (nowMs - Date.parse(iso)) / 1000);
  const stale = seconds > STALE_S;
  if (seconds < 60) return { text: "刚刚", stale };
  if (seconds < 3600) return { text: `${Math.floor(seconds / 60)}分钟前`, stale };
  if (seconds < 86400) return { text: `${Math.floor(seconds / 3600)}小时前`, stale };
  return { text: `${Math.floor(seconds / 86400)}天前`, stale };
}

function render(tokens) {
  const live = tokens.length;
  const stale = tokens.filter((t) => lastSeen(t.last_seen).stale).length;
  $("dev-summary").textContent = live
    ? `共 ${live} 台设备${stale ? `，其中 ${stale} 台超过10分钟未在线（或从未使用）` : "，均在线"}`
    : "尚未签发任何设备令牌：点“签发新设备”开始";
  const tables = KINDS.map(([kind, name, note]) => table(kind, name, note,
    tokens.filter((t) => t.kind === kind).sort(byCounterThenName)));
  $("dev-tables").replaceChildren(...tables);
}

const collator = new Intl.Collator("zh-CN", { numeric: true });
const byCounterThenName = (a, b) => (a.counter ?? 0) - (b.counter ?? 0) || collator.compare(a.name, b.name);

function table(kind, title, note, rows) {
  const card = element("section", "card devices-kind");
  card.dataset.kind = kind;
  const heading = element("h2", null, title);
  heading.append(element("small", null, `${rows.length} 台 · ${note}`));
  card.append(heading);
  if (!rows.length) {
    card.append(element("p", "empty", "尚未签发"));
    return card;
  }
  const grid = element("table", "grid-table devices-table");
  const columns = element("colgroup");
  for (const name of ["name", "bound", "seen", "made", "act"]) columns.append(element("col", `col-${name}`));
  grid.append(columns);
  const head = element("tr");
  for (const label of ["名称", kind === "agent" ? "驱动窗口" : "绑定窗口", "最近在线", "签发时间", ""]) {
    head.append(element("th", null, label));
  }
  grid.append(element("thead"));
  grid.tHead.append(head);
  const body = element("tbody");
  for (const token of rows) body.append(row(token));
  grid.append(body);
  card.append(grid);
  return card;
}

function row(token) {
  const tr = element("tr");
  tr.dataset.id = token.id;
  const name = element("td", "name", token.name);
  name.append(element("code", "token-id", token.id));
  tr.append(name);
  tr.append(token.kind === "agent" ? drives(token) : element("td", null,
    token.counter === null ? "—" : counterName(token.counter)));
  const seen = lastSeen(token.last_seen);
  const seenCell = element("td", seen.stale ? "seen stale" : "seen", seen.text);
  if (token.last_seen) seenCell.title = stamp(token.last_seen);
  tr.append(seenCell);
  tr.append(element("td", null, stamp(token.created_at)));
  const actions = element("td", "actions");
  const rename = element("button", "small ghost", "改名");
  rename.type = "button";
  rename.addEventListener("click", () => edit(token, "name"));
  actions.append(rename);
  if (token.kind === "counter") {
    const rebind = element("button", "small ghost", "改绑");
    rebind.type = "button";
    rebind.addEventListener("click", () => edit(token, "counter"));
    actions.append(rebind);
  }
  const revoke = element("button", "small danger", "吊销");
  revoke.type = "button";
  revoke.addEventListener("click", () => revokeToken(token));
  actions.append(revoke);
  tr.append(actions);
  return tr;
}

/** An agent's counters: a checkbox per counter of the hall, saved with 保存; a token bound to one
 *  counter drives that one alone. */
function drives(token) {
  const cell = element("td");
  const box = element("div", "drives");
  cell.append(box);
  const bound = token.kind === "agent" && token.counter !== null;
  if (bound) {
    box.append(element("span", "muted", `仅 ${counterName(token.counter)}（令牌绑定）`));
    return cell;
  }
  if (!counters.length) {
    box.append(element("span", "muted", "本大厅尚无窗口"));
    return cell;
  }
  const picks = element("div", "counter-picks");
  const chosen = new Set(token.counters);
  for (const counter of counters) {
    const label = element("label");
    const tick = element("input");
    tick.type = "checkbox";
    tick.value = String(counter.number);
    tick.checked = chosen.has(counter.number);
    label.append(tick, ` ${counter.number}`);
    label.title = counter.name;
    picks.append(label);
  }
  const save = element("button", "small", "保存");
  save.type = "button";
  save.disabled = true;
  picks.addEventListener("change", () => { save.disabled = false; });
  save.addEventListener("click", async () => {
    const numbers = [...picks.querySelectorAll("input:checked")].map((tick) => Number(tick.value));
    save.disabled = true;
    const result = await api("PUT", `${hallPath}/agents/${encodeURIComponent(token.name)}/counters`,
      { counters: numbers });
    if (!result.ok) {
      save.disabled = false;
      message(refusal(result, "保存驱动窗口失败"));
      return;
    }
    const said = result.body.counters.map((n) => `${n}号窗口`).join("、") || "不驱动任何窗口";
    message(`设备代理“${token.name}”：${said}`, "info");
    await refresh();
  });
  box.append(picks, save);
  return cell;
}

function fillCounters(select, chosen) {
  select.replaceChildren(...counters.map((c) => {
    const option = element("option", null, c.name);
    option.value = String(c.number);
    option.selected = c.number === chosen;
    return option;
  }));
}

async function issue() {
  const dialog = $("dev-issue-dialog");
  let issued = null;
  const kindChanged = (form) => {
    const kind = form.elements.kind.value;
    const counterField = form.querySelector("[data-for=counter]");
    counterField.hidden = kind !== "counter";
    form.elements.counter.required = kind === "counter";
    form.querySelector("[data-hint=agent]").hidden = kind !== "agent";
  };
  const done = await runDialog(dialog, {
    prepare: (form) => {
      fillCounters(form.elements.counter, counters[0]?.number);
      form.elements.kind.onchange = () => kindChanged(form);
      kindChanged(form);
    },
    submit: async (form) => {
      const kind = form.elements.kind.value;
      const body = { kind, name: form.elements.name.value };
      if (kind === "counter") body.counter = Number(form.elements.counter.value);
      const result = await api("POST", `${hallPath}/tokens`, body);
      if (!result.ok) return refusal(result, "签发失败");
      issued = result.body;
      return null;
    },
  });
  if (!done || !issued) return;
  showIssued(issued);
  await refresh();
}

function showIssued(issued) {
  const dialog = $("dev-issued-dialog");
  const form = dialog.querySelector("form");
  dialog.querySelector(".what").textContent = `${KIND_NAMES.get(issued.kind)}“${issued.name}”`;
  const agent = issued.kind === "agent";
  form.querySelector("[data-part=setup]").hidden = agent;
  form.querySelector("[data-part=qr]").hidden = agent;
  form.querySelector("[data-part=config]").hidden = !agent;
  form.elements.setup_url.value = issued.setup_url ?? "";
  form.elements.config.value = issued.config ?? "";
  form.elements.token.value = issued.token;
  const img = form.querySelector("[data-part=qr] img");
  if (issued.qr_svg) img.src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(issued.qr_svg)}`;
  for (const input of form.querySelectorAll("input, textarea")) input.onfocus = () => input.select();
  dialog.showModal();
}

/** The token leaves the page when its dialog closes. */
function forgetSecret() {
  const form = $("dev-issued-dialog").querySelector("form");
  form.elements.setup_url.value = "";
  form.elements.config.value = "";
  form.elements.token.value = "";
  form.querySelector("[data-part=qr] img").removeAttribute("src");
}

async function edit(token, what) {
  const dialog = $("dev-edit-dialog");
  const done = await runDialog(dialog, {
    prepare: (form) => {
      dialog.querySelector(".verb").textContent = what === "name" ? "改名" : "改绑窗口";
      dialog.querySelector(".what").textContent = `${KIND_NAMES.get(token.kind)}“${token.name}”`;
      form.querySelector("[data-for=name]").hidden = what !== "name";
      form.querySelector("[data-for=counter]").hidden = what !== "counter";
      form.querySelector("[data-hint=kiosk]").hidden = !(what === "name" && token.kind === "kiosk");
      form.elements.name.required = what === "name";
      form.elements.name.value = token.name;
      fillCounters(form.elements.counter, token.counter);
    },
    submit: async (form) => {
      const body = what === "name" ? { name: form.elements.name.value } : { counter: Number(form.elements.counter.value) };
      const result = await api("PATCH", `${hallPath}/tokens/${token.id}`, body);
      return result.ok ? null : refusal(result, "修改失败");
    },
  });
  if (done) {
    message("设备已修改", "info");
    await refresh();
  }
}

async function revokeToken(token) {
  const what = `${KIND_NAMES.get(token.kind)}“${token.name}”`;
  const done = await confirmThen(`吊销${what}？`, "吊销后该设备立即无法使用（打开的页面也会断开），如需恢复须重新签发。",
    async () => {
      const result = await api("DELETE", `${hallPath}/tokens/${token.id}`);
      return result.ok ? null : refusal(result, "吊销失败");
    });
  if (done) {
    message(`已吊销${what}`, "info");
    await refresh();
  }
}
