// 预测 (issue 22) for the hall's managers: the next two hours' expected arrivals per queue, a
// what-if over the rest of today ("如果 8号窗口 在 10:00 开放并办理 C" → "C 经营许可类 平均等候
// 234 → 89 分钟"), and the calling policies compared over a month of the hall's history. The server
// simulates (POST …/whatif, GET …/whatif/policies); this shows "计算中…" while it does, and its
// refusal (历史数据不足, a bad time) in words.
import { api, data, element, hallPath, percent, refusal } from "./dashboard_common.js";

const KIND_WORDS = { open_counter: "开放并办理", serve_also: "同时办理", close_counter: "关闭" };
const counters = new Map(data.hall.counters.map((c) => [c.number, c]));
const queueNames = new Map(data.hall.queues.map((q) => [q.code, q.name]));

const minutes = (s) => (s === null || s === undefined ? "—" : `${Math.round(Number(s) / 60)}`);
const people = (n) => (n === null || n === undefined ? "—" : `${Math.round(Number(n))}`);

/** "23 → 11 分钟", the arrow's colour telling better or worse; one figure when nothing changed. */
function compare(before, after, format, unit, lowerIsBetter = true) {
  const td = element("td", "num");
  const a = format(before);
  const b = format(after);
  if (before !== null && before !== undefined) td.dataset.before = String(before);
  if (after !== null && after !== undefined) td.dataset.after = String(after);
  if (a === b) {
    td.textContent = a === "—" ? a : `${a}${unit}`;
    return td;
  }
  const better = lowerIsBetter ? Number(after) < Number(before) : Number(after) > Number(before);
  td.classList.add(better ? "better" : "worse");
  td.append(element("span", "wi-from", a), element("span", "wi-arrow", " → "), element("b", "wi-to", b),
    document.createTextNode(b === "—" ? "" : unit));
  return td;
}

const pct = (v) => (v === null || v === undefined ? "—" : percent(v).replace(/\.0%$/, "%"));

function resultRow(label, code, entry, changed) {
  const tr = element("tr", changed ? "changed" : null);
  if (code) tr.dataset.queue = code;
  const name = element(code ? "td" : "th", "name", label);
  const cells = [
    ["avg", compare(entry.before.avg_wait_s, entry.after.avg_wait_s, minutes, " 分钟")],
    ["p90", compare(entry.before.p90_wait_s, entry.after.p90_wait_s, minutes, " 分钟")],
    ["within_30", compare(entry.before.within_30, entry.after.within_30, pct, "", false)],
    ["visitors", compare(entry.before.visitors, entry.after.visitors, people, " 人")],
    ["unserved", compare(entry.before.unserved, entry.after.unserved, people, " 人")],
  ];
  for (const [key, td] of cells) td.dataset.key = key;
  tr.append(name, ...cells.map(([, td]) => td));
  return tr;
}

function changeText(c) {
  const counter = counters.get(c.counter)?.name ?? `${c.counter}号窗口`;
  const queues = c.queues.map((q) => `${q} ${queueNames.get(q) ?? ""}`.trim()).join("、");
  return c.kind === "close_counter" ? `${counter} 在 ${c.at} 关闭` : `${counter} 在 ${c.at} ${KIND_WORDS[c.kind]} ${queues}`;
}

export function mountWhatif(root) {
  const part = (name) => root.querySelector(`[data-whatif="${name}"]`);
  const form = part("form");
  const policyForm = part("policy-form");
  const state = { running: 0, policiesLoaded: false, policyRun: 0 };

  function status(name, text, kind = "") {
    const p = part(name);
    p.textContent = text;
    p.dataset.kind = kind;
    p.hidden = !text;
  }

  function fillArrivals(answer) {
    part("arrivals").replaceChildren(...answer.arrivals_next_2h.map((a) => {
      const li = element("li", "wi-arrival");
      li.dataset.queue = a.code;
      li.append(element("b", "wi-code", a.code), element("span", "wi-name", a.name),
        element("span", "wi-count", `${Math.round(a.expected)}`), element("small", null, "人"));
      li.title = `预计 ${a.expected} 人`;
      return li;
    }));
    const at = answer.at.slice(11, 16);
    part("basis").textContent = `${at} 起，依据近 ${answer.basis.weeks} 周${answer.basis.weekday}的取号记录`;
  }

  function defaultTime(answer) {
    if (form.elements.at.value) return;
    const [h, m] = answer.at.slice(11, 16).split(":").map(Number);
    const next = Math.min(23 * 60 + 50, Math.ceil((h * 60 + m + 1) / 10) * 10);
    form.elements.at.value = `${String(Math.floor(next / 60)).padStart(2, "0")}:${String(next % 60).padStart(2, "0")}`;
  }

  function fillResult(answer) {
    const changed = answer.changes.length > 0;
    root.dataset.changed = String(changed);
    part("rows").replaceChildren(...answer.queues.map((q) => resultRow(`${q.code} ${q.name}`, q.code, q, q.changed)));
    part("total").replaceChildren(resultRow("全部", null, answer.total, false));
    const headline = part("headline");
    headline.hidden = !changed;
    headline.replaceChildren();
    if (changed) {
      headline.append(element("span", "wi-if", `如果 ${answer.changes.map(changeText).join("；")}：`));
      for (const q of answer.queues.filter((x) => x.changed)) {
        const b = minutes(q.before.avg_wait_s);
        const a = minutes(q.after.avg_wait_s);
        headline.append(element("span", "wi-effect", `${q.code} 类平均等候 ${b} → ${a} 分钟`));
      }
    }
    const horizon = answer.horizon_until.slice(11, 16);
    part("note").textContent = `${changed ? "左为现状，右为调整后" : "现状预计（未作调整）"}；模拟到 ${horizon}` +
      `（下班后窗口最多再办理 1 小时，之后仍未叫到的按等到 ${horizon} 计），${answer.seeds} 次模拟合并，` +
      `用时 ${(answer.elapsed_ms / 1000).toFixed(1)} 秒。`;
  }

  async function run(changes) {
    const mine = ++state.running;
    root.dataset.state = "running";
    status("status", "计算中…", "busy");
    for (const b of form.querySelectorAll("button")) b.disabled = true;
    const result = await api("POST", `${hallPath}/whatif`, { changes });
    if (mine !== state.running) return;
    for (const b of form.querySelectorAll("button")) b.disabled = false;
    if (!result.ok) {
      root.dataset.state = "refused";
      status("status", refusal(result, "无法推演"), "error");
      return;
    }
    root.dataset.state = "done";
    status("status", "");
    fillArrivals(result.body);
    defaultTime(result.body);
    fillResult(result.body);
  }

  function asked() {
    const e = form.elements;
    const change = { kind: e.kind.value, counter: Number(e.counter.value), at: e.at.value.trim() };
    if (change.kind !== "close_counter") change.queues = [e.queue.value];
    return [change];
  }

  function kindChanged() {
    form.elements.queue.hidden = form.elements.kind.value === "close_counter";
  }

  function counterChanged() { // an opened counter serves its own queue unless told otherwise
    const own = counters.get(Number(form.elements.counter.value))?.queues?.[0];
    if (own && form.elements.kind.value === "open_counter") form.elements.queue.value = own;
  }

  form.elements.kind.addEventListener("change", kindChanged);
  form.elements.counter.addEventListener("change", counterChanged);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (form.reportValidity()) run(asked());
  });
  part("reset").addEventListener("click", () => run([]));
  counterChanged();
  kindChanged();

  // ---------------------------------------------------------------- 叫号策略对比
  function policyCell(key, value, kind) {
    const td = element("td", "num", kind === "%" ? pct(value) : value === null || value === undefined ? "—"
      : `${minutes(value)} 分钟`);
    td.dataset.key = key;
    if (value !== null && value !== undefined) td.dataset.value = String(value);
    return td;
  }

  async function loadPolicies() {
    const mine = ++state.policyRun;
    const month = policyForm.elements.month.value.trim();
    status("policy-status", "计算中…（逐个策略模拟整月，约需数秒）", "busy");
    part("policies").dataset.state = "running";
    policyForm.querySelector("button").disabled = true;
    const query = month ? `?month=${encodeURIComponent(month)}` : "";
    const result = await api("GET", `${hallPath}/whatif/policies${query}`);
    if (mine !== state.policyRun) return;
    policyForm.querySelector("button").disabled = false;
    if (!result.ok) {
      part("policies").dataset.state = "refused";
      part("policy-rows").replaceChildren();
      part("policy-range").textContent = "";
      status("policy-status", refusal(result, "无法比较叫号策略"), "error");
      return;
    }
    const body = result.body;
    state.policiesLoaded = true;
    part("policies").dataset.state = "done";
    status("policy-status", "");
    if (!month) policyForm.elements.month.value = body.month;
    part("policy-range").textContent = `${body.from} 至 ${body.to}，${body.days} 个办公日（${body.weekdays.join("、")}）`;
    part("policy-rows").replaceChildren(...body.policies.map((p) => {
      const tr = element("tr", p.current ? "current" : null);
      tr.dataset.policy = p.kind;
      const name = element("td", "name", p.name);
      if (p.current) name.append(element("span", "chip wi-current", "当前"));
      tr.append(name, policyCell("walk_in_avg", p.walk_in.avg_wait_s), policyCell("walk_in_p90", p.walk_in.p90_wait_s),
        policyCell("priority_avg", p.priority.avg_wait_s), policyCell("priority_p90", p.priority.p90_wait_s),
        policyCell("within_30", p.all.within_30, "%"));
      return tr;
    }));
  }

  policyForm.addEventListener("submit", (event) => {
    event.preventDefault();
    if (policyForm.reportValidity()) loadPolicies();
  });

  return {
    open() {
      if (root.dataset.state !== "running") run(root.dataset.changed === "true" ? asked() : []);
      if (!state.policiesLoaded && part("policies").dataset.state !== "running") loadPolicies();
    },
  };
}
