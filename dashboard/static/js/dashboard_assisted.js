// 代办 (assisted service, seed art. 13) for the hall's managers: the matters opened at the guide's desk
// (GET …/assisted?status=&from=&to=), who assists whom (the visitor's name and phone masked) through
// which steps to what result. A row opens the matter; an open one can be closed there with its result
// (PATCH …/assisted/{id}).
import { api, data, dayOf, element, hallPath, hhmm, now, refusal, runDialog, stamp } from "./dashboard_common.js";

const STATUS = { open: "办理中", closed: "已办结" };

const person = (who) => who?.name || who?.username || "";
const visitor = (m) => [m.visitor.masked_name, m.visitor.contact].filter(Boolean).join(" · ");
const about = (m) => [m.item?.name, m.ticket ? `${m.ticket.number}号` : ""].filter(Boolean).join(" · ") || "—";

function stepsCell(m) {
  const td = element("td", "a-steps");
  const list = element("ol", "a-step-line");
  for (const s of m.steps) {
    const li = element("li", null);
    li.append(element("time", null, hhmm(s.at)), element("span", null, s.step));
    li.title = [s.note, s.by_name ?? s.by].filter(Boolean).join(" · ");
    list.append(li);
  }
  td.append(list);
  return td;
}

function row(m, open) {
  const tr = element("tr", "a-row");
  tr.dataset.id = m.id;
  tr.dataset.status = m.status;
  tr.tabIndex = 0;
  tr.title = "点击查看详情";
  const status = element("td");
  status.append(element("span", `chip ${m.status}`, STATUS[m.status] ?? m.status));
  tr.append(element("td", "a-when", stamp(m.opened_at)), element("td", "a-visitor", visitor(m)),
    element("td", null, about(m)), element("td", "a-who", person(m.assistant)), stepsCell(m),
    element("td", "a-result", m.closed?.result ?? "—"), status);
  tr.addEventListener("click", () => open(m));
  tr.addEventListener("keydown", (event) => { if (event.key === "Enter") open(m); });
  return tr;
}

function fact(dl, term, value) {
  if (value === null || value === undefined || value === "") return;
  const div = element("div");
  div.append(element("dt", null, term), element("dd", null, value));
  dl.append(div);
}

function step(s) {
  const li = element("li", "a-step");
  li.append(element("time", null, stamp(s.at)), element("b", null, s.step),
    element("span", "muted", s.by_name ?? s.by ?? ""));
  if (s.note) li.append(element("p", "a-note", s.note));
  return li;
}

/** One matter in full; an open one is closed with its result from here. Resolves true once closed. */
function detail(m) {
  const dialog = document.getElementById("assisted-dialog");
  const get = (name) => dialog.querySelector(`[data-assisted=${name}]`);
  const ok = dialog.querySelector("button[value=ok]");
  return runDialog(dialog, {
    prepare: (form) => {
      get("number").textContent = `第 ${m.id} 号`;
      get("status").textContent = STATUS[m.status] ?? m.status;
      get("status").className = `chip ${m.status}`;
      const dl = get("facts");
      dl.replaceChildren();
      fact(dl, "来访人", visitor(m));
      fact(dl, "事项", m.item ? `${m.item.name}（${m.item.code}）` : "未指定");
      fact(dl, "号码", m.ticket?.number);
      fact(dl, "代办人", person(m.assistant));
      fact(dl, "受理时间", stamp(m.opened_at));
      fact(dl, "备注", m.note);
      if (m.closed) fact(dl, "办理结果", `${m.closed.result}（${m.closed.by_name ?? m.closed.by ?? ""} ${stamp(m.closed.at)}）`);
      get("steps").replaceChildren(...m.steps.map(step));
      get("close").hidden = Boolean(m.closed);
      get("close").disabled = Boolean(m.closed);
      form.elements.result.required = !m.closed;
      ok.hidden = Boolean(m.closed);
    },
    submit: async (form) => {
      const result = form.elements.result.value.trim();
      if (!result) return "请填写办理结果";
      const answer = await api("PATCH", `${hallPath}/assisted/${m.id}`, { result, close: true });
      return answer.ok ? null : refusal(answer, "办结失败");
    },
  });
}

/** The 代办 tab: status and the days the matters were opened (today at first), the table, the detail. */
export function mountAssisted(panel) {
  const get = (name) => panel.querySelector(`[data-assisted=${name}]`);
  const form = get("form");
  // The hall's day: the page's at first, then the server's clock as the live feed tells it.
  const today = () => dayOf(now());
  form.elements.from.value = data.today ?? today();
  form.elements.to.value = data.today ?? today();

  async function open(m) {
    if (await detail(m)) load();
  }

  async function load() {
    const query = new URLSearchParams();
    for (const name of ["status", "from", "to"]) {
      const value = form.elements[name].value.trim();
      if (value) query.set(name, value);
    }
    const result = await api("GET", `${hallPath}/assisted?${query}`);
    if (!result.ok) {
      get("rows").replaceChildren();
      get("empty").textContent = refusal(result, "无法读取代办");
      get("empty").hidden = false;
      get("total").textContent = "";
      return;
    }
    const matters = result.body.assisted;
    get("rows").replaceChildren(...matters.map((m) => row(m, open)));
    get("total").textContent = `共 ${matters.length} 件`;
    get("empty").textContent = "没有符合条件的代办";
    get("empty").hidden = matters.length > 0;
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (form.reportValidity()) load();
  });
  get("today").addEventListener("click", () => {
    form.elements.from.value = today();
    form.elements.to.value = today();
    load();
  });
  get("all-days").addEventListener("click", () => {
    form.elements.from.value = "";
    form.elements.to.value = "";
    load();
  });
  return { open: () => load() };
}
