// The applicant's own case (/c/{status_token}): the state the server embedded, then live over
// /ws/cases/{status_token} ({"type":"snapshot"|"case.updated","case":…}). The timeline is newest
// first, like the server-rendered page. Never shows the ID number or the phone (never sent).
const $ = (id) => document.getElementById(id);
const data = JSON.parse($("case-data").textContent);
const state = { case: data.case, feed: "connecting", troubled: false, refusal: "" };

function time(iso) {
  if (!iso) return "";
  const parts = new Intl.DateTimeFormat("zh-CN", { timeZone: data.hall.timezone || "Asia/Shanghai",
    year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23" })
    .formatToParts(new Date(iso));
  const p = Object.fromEntries(parts.map((x) => [x.type, x.value]));
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}`;
}

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function render() {
  const c = state.case;
  document.title = `${c.receipt_no} · ${c.status_label} · 办件进度`;
  $("case").dataset.status = c.status;
  $("receipt-no").textContent = c.receipt_no;
  $("item").textContent = c.item.name;
  $("department").textContent = c.item.department_name ?? c.item.department;
  $("status").textContent = c.status_label;
  let explain = data.explanations[c.status] ?? "";
  if (c.status === "mailed" && c.tracking_no) explain = `办理结果已邮寄，快递单号 ${c.tracking_no}，请留意查收。`;
  $("explain").textContent = explain;
  $("applicant").textContent = c.applicant.masked_name;
  $("due").textContent = c.due_at ? c.due_at + (c.due_provisional ? "（暂定）" : "") : "材料补齐后计算";
  $("tracking-row").hidden = !c.tracking_no;
  $("tracking").textContent = c.tracking_no ?? "";
  const missing = c.materials_missing ?? [];
  $("missing").hidden = missing.length === 0;
  $("missing-list").replaceChildren(...missing.map((m) => el("li", "", m)));
  $("notice-link").hidden = missing.length === 0;
  // Only a formally accepted case has a 接件回执; before that its number is a record (登记编号).
  $("receipt-link").hidden = !c.accepted_at;
  $("receipt-label").textContent = c.accepted_at ? "受理编号" : "登记编号";
  const parts = c.parts ?? [];
  $("parts").hidden = parts.length < 2;
  $("parts-list").replaceChildren(...parts.map((p) => {
    const li = el("li");
    li.dataset.status = p.status;
    li.append(el("span", "part-name", p.department_name + (p.lead ? "（牵头）" : "")), " ",
      el("span", "part-status", p.status_label));
    return li;
  }));
  const steps = [...(c.timeline ?? [])].reverse();
  $("timeline").replaceChildren(...steps.map((step) => {
    const li = el("li");
    li.dataset.status = step.status;
    const joint = (c.departments ?? []).length > 1; // which department's step: only when several decide
    li.append(el("p", "step-label", joint && step.department_name ? `${step.department_name} · ${step.status_label}`
      : step.status_label));
    const at = el("p", "step-at");
    const t = el("time", "", time(step.at));
    t.dateTime = step.at;
    at.append(t);
    li.append(at);
    if (step.note) li.append(el("p", "step-note", step.note));
    return li;
  }));
}

function renderFeed() {
  const mark = $("reconnecting");
  const refused = state.feed === "refused";
  mark.hidden = !(refused || state.troubled);
  mark.classList.toggle("refused", refused);
  mark.textContent = refused ? `无法获取实时状态：${state.refusal}` : "连接中断，正在重连";
}

function onMessage(msg) {
  if ((msg.type === "snapshot" || msg.type === "case.updated") && msg.case) {
    // An update may come without the timeline; keep the one we have then.
    state.case = { ...msg.case, timeline: msg.case.timeline ?? state.case.timeline,
      parts: msg.case.parts ?? state.case.parts };
    render();
  }
}

const onState = window.trackFeed(state, renderFeed);

const feed = new window.LiveFeed(`/ws/cases/${encodeURIComponent(data.case.status_token)}`, {
  onSnapshot: (msg) => {
    feed.seq = null; // this feed has no seq: every (re)connection starts with a fresh snapshot
    onMessage(msg);
  },
  onMessage,
  onState,
  gapless: false,
});

// A phone coming back to the page asks for a fresh snapshot over the open socket (a dead one is
// replaced by LiveFeed itself, whose new connection starts with a snapshot anyway).
document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "visible") feed.send({ type: "resync" });
});

render();
feed.start();
