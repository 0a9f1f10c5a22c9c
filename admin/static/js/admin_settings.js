// The 大厅设置 tab of the hall's set-up (admin.js loads it): the hall's settings in sections, each
// filled from GET /api/v1/halls/{hall}/settings and saved on its own with PUT …/settings carrying
// that section's fields alone. The server names each bad field (error.fields); its Chinese sentence
// goes beside that field, 已保存 beside the button when the change is in force. Every screen of the
// hall follows a saved change at once (hall.changed), so nothing here needs to tell them.
import { $, api, element, hallPath, message, refusal } from "./dashboard_common.js";

const PATH = `${hallPath}/settings`;
const DAYS = ["workday", "rest_day"];
let current = null; // the settings as the server last answered them
let queues = [];


export async function refresh() {
  const [got, hall] = await Promise.all([api("GET", PATH), api("GET", hallPath)]);
  if (!got.ok) {
    message(refusal(got, "读取大厅设置失败"));
    return;
  }
  queues = hall.ok ? hall.body.queues : [];
  show(got.body);
}

function show(settings) {
  current = settings;
  for (const [name, section] of Object.entries(SECTIONS)) section.fill(form(name), settings);
  $("hall-name").textContent = settings.name;
  document.title = document.title.replace(/^[^·]*·/, `${settings.name} ·`);
}

const form = (name) => $("tab-settings").querySelector(`[data-section="${name}"]`);
const field = (f, name) => f.elements.namedItem(name);
/** A number input's value, or null when empty (the server then names the field). */
const number = (input) => (input.value.trim() === "" ? null : Number(input.value));

// ------------------------------------------------------------------ the sections

const SECTIONS = {
  basic: {
    fill(f, s) {
      field(f, "name").value = s.name;
      field(f, "phone").value = s.phone;
    },
    body: (f) => ({ name: field(f, "name").value, phone: field(f, "phone").value }),
  },

  hours: {
    fill(f, s) {
      for (const day of DAYS) drawPeriods(f, day, s.opening_hours[day]);
      field(f, "stop_issuing_min").value = s.opening_hours.stop_issuing_min;
    },
    body(f) {
      const hours = { stop_issuing_min: number(field(f, "stop_issuing_min")) };
      for (const day of DAYS) {
        hours[day] = [...periodList(f, day).children].map((row) => ({
          start: row.querySelector("[name=start]").value, end: row.querySelector("[name=end]").value }));
      }
      return { opening_hours: hours };
    },
  },

  policy: {
    fill(f, s) {
      const p = s.policy;
      for (const radio of f.querySelectorAll("[name=kind]")) radio.checked = radio.value === p.kind;
      field(f, "max_priority_streak").value = p.max_priority_streak;
      field(f, "walk_in_max_wait_min").value = +(p.walk_in_max_wait_s / 60).toFixed(2);
      field(f, "priority_weight").value = p.priority_weight;
      showParams(f);
    },
    body(f) {
      const minutes = number(field(f, "walk_in_max_wait_min"));
      return { policy: {
        kind: f.querySelector("[name=kind]:checked")?.value ?? null,
        max_priority_streak: number(field(f, "max_priority_streak")),
        walk_in_max_wait_s: minutes === null ? null : Math.round(minutes * 60),
        priority_weight: number(field(f, "priority_weight")),
      } };
    },
  },

  noshow: {
    fill(f, s) {
      for (const name of ["no_show_after_calls", "reinstate_places", "reinstate_within_min"]) {
        field(f, name).value = s[name];
      }
    },
    body: (f) => Object.fromEntries(["no_show_after_calls", "reinstate_places", "reinstate_within_min"]
      .map((name) => [name, number(field(f, name))])),
  },

  alerts: {
    fill(f, s) {
      const targets = s.alerts.wait_target_min;
      field(f, "wait_default").value = targets.default;
      field(f, "crowded_per_counter").value = s.alerts.crowded_per_counter;
      field(f, "pause_max_min").value = s.alerts.pause_max_min;
      drawTargets(f, targets);
    },
    body(f) {
      const targets = { default: number(field(f, "wait_default")) };
      for (const input of f.querySelectorAll(".target-list input")) targets[input.name.slice(7)] = number(input);
      return { alerts: { wait_target_min: targets, crowded_per_counter: number(field(f, "crowded_per_counter")),
        pause_max_min: number(field(f, "pause_max_min")) } };
    },
  },

  display: {
    fill(f, s) {
      field(f, "notice").value = s.notice ?? "";
      field(f, "lang_en").checked = s.display_languages.includes("en");
    },
    body: (f) => ({ notice: field(f, "notice").value,
      display_languages: field(f, "lang_en").checked ? ["zh", "en"] : ["zh"] }),
  },
};

// ------------------------------------------------------------------ opening hours, queue targets

const periodList = (f, day) => f.querySelector(`.periods[data-day="${day}"] .period-list`);

function drawPeriods(f, day, periods) {
  periodList(f, day).replaceChildren();
  for (const period of periods) addPeriod(f, day, period);
  markEmpty(f, day);
}

function addPeriod(f, day, period) {
  const list = periodList(f, day);
  const row = element("li", "period");
  // Text, not type=time: a browser may show 02:00 PM, the hall (and the server's words) say 14:00.
  const time = (name, value, label) => {
    const input = element("input", "time");
    Object.assign(input, { type: "text", name, value, required: true, maxLength: 5, placeholder: "09:00",
      inputMode: "numeric", autocomplete: "off" });
    input.setAttribute("aria-label", label);
    return input;
  };
  const remove = element("button", "small danger", "删除");
  remove.type = "button";
  remove.addEventListener("click", () => {
    row.remove();
    renumber(f, day);
  });
  row.append(time("start", period.start, "开始"), element("span", "to", "至"), time("end", period.end, "结束"),
    remove, element("span", "field-problem"));
  row.lastChild.setAttribute("role", "alert");
  row.lastChild.hidden = true;
  list.append(row);
  renumber(f, day);
}

/** Each row's problem answers to its place: opening_hours.workday.0 (and .0.start, .0.end). */
function renumber(f, day) {
  [...periodList(f, day).children].forEach((row, i) => {
    row.querySelector(".field-problem").dataset.for = `opening_hours.${day}.${i}`;
  });
  markEmpty(f, day);
}

function markEmpty(f, day) {
  const box = f.querySelector(`.periods[data-day="${day}"]`);
  const count = periodList(f, day).children.length;
  box.querySelector(".period-empty").hidden = count > 0;
  box.querySelector(".add-period").disabled = count >= 4;
}

/** The next period of a day: after its last one, or the usual 09:00–12:00 / 13:30–17:00. */
function nextPeriod(f, day) {
  const rows = [...periodList(f, day).children];
  if (rows.length === 0) return { start: "09:00", end: "12:00" };
  if (rows.length === 1 && rows[0].querySelector("[name=end]").value === "12:00") return { start: "13:30", end: "17:00" };
  return { start: "", end: "" };
}

function drawTargets(f, targets) {
  const list = f.querySelector(".target-list");
  list.replaceChildren(...queues.map((q) => {
    const row = element("li", "target");
    const input = element("input", "number");
    Object.assign(input, { type: "number", name: `target_${q.code}`, min: 1, max: 600, step: 1,
      value: targets[q.code] ?? "", placeholder: String(targets.default) });
    input.setAttribute("aria-label", `${q.code} ${q.name} 等候目标（分钟）`);
    const problem = element("span", "field-problem");
    problem.dataset.for = `alerts.wait_target_min.${q.code}`;
    problem.setAttribute("role", "alert");
    problem.hidden = true;
    row.append(element("span", "queue", `${q.code} ${q.name}`), input, element("span", "unit", "分钟"), problem);
    return row;
  }));
  const own = queues.filter((q) => targets[q.code] !== undefined).length;
  f.querySelector(".queue-targets summary").textContent = own
    ? `按队列单独设置等候目标（已设 ${own} 个队列）` : "按队列单独设置等候目标";
  f.querySelector(".queue-targets").hidden = queues.length === 0;
}

function showParams(f) {
  const kind = f.querySelector("[name=kind]:checked")?.value;
  for (const param of f.querySelectorAll(".param")) param.hidden = !param.dataset.uses.split(" ").includes(kind);
}

// ------------------------------------------------------------------ saving

export function wire() {
  for (const [name, section] of Object.entries(SECTIONS)) {
    const f = form(name);
    f.addEventListener("submit", (event) => {
      event.preventDefault();
      save(f, section);
    });
    f.addEventListener("input", () => {
      f.querySelector(".saved").hidden = true;
    });
  }
  const hours = form("hours");
  for (const day of DAYS) {
    hours.querySelector(`.periods[data-day="${day}"] .add-period`).addEventListener("click", () => {
      addPeriod(hours, day, nextPeriod(hours, day));
      hours.querySelector(".saved").hidden = true;
    });
  }
  const policy = form("policy");
  policy.addEventListener("change", () => showParams(policy));
}

async function save(f, section) {
  const button = f.querySelector("button[type=submit]");
  clearProblems(f);
  f.querySelector(".saved").hidden = true;
  button.disabled = true;
  const result = await api("PUT", PATH, section.body(f));
  button.disabled = false;
  if (!result.ok) {
    showProblems(f, result);
    return;
  }
  show(result.body);
  f.querySelector(".saved").hidden = false;
}

function clearProblems(f) {
  for (const p of f.querySelectorAll(".field-problem, .problem")) {
    p.hidden = true;
    p.textContent = "";
  }
  for (const input of f.querySelectorAll("[aria-invalid]")) input.removeAttribute("aria-invalid");
}

/** Each named field's refusal beside it: in the element whose data-for is the nearest part of the
 *  field's name (opening_hours.workday.0.start → the row opening_hours.workday.0), else by 保存. */
function showProblems(f, result) {
  const named = result.body?.error?.fields
    ?? (result.body?.error?.field ? [{ field: result.body.error.field, message: refusal(result, "保存失败") }] : []);
  const spots = [...f.querySelectorAll("[data-for]")];
  const general = f.querySelector(".problem");
  for (const { field: name, message: text } of named) {
    const parts = name.split(".");
    let spot = null;
    for (let end = parts.length; end > 0 && !spot; end -= 1) {
      const key = parts.slice(0, end).join(".");
      spot = spots.find((s) => s.dataset.for === key && s !== general) ?? null;
    }
    put(spot ?? general, text);
    spot?.closest("label, li, fieldset")?.querySelector("input, textarea")?.setAttribute("aria-invalid", "true");
  }
  if (named.length === 0) put(general, refusal(result, "保存失败"));
}

function put(spot, text) {
  spot.textContent = spot.textContent ? `${spot.textContent}；${text}` : text;
  spot.hidden = false;
}
