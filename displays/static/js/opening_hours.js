// The hall's opening hours in words, for the screens visitors look at: the wall display, the kiosk
// (which imports it as ./opening_hours.js) and the visitor's ticket page. `hours` is the settings'
// {workday: [{start, end}], rest_day: [...], stop_issuing_min} (hall.changed, the snapshot's
// settings, GET /halls/{hall}). Whether the hall is open now is the server's to say (open_now,
// server/services/hours.py): the working calendar is not worked out here.

const WORDS = {
  zh: { label: "办理时间：", workday: "工作日", rest: "周末及节假日", off: (day) => `${day}休息`, join: "、",
    next: "，", then: "；", space: "", stop: (n) => `每段结束前 ${n} 分钟停止取号` },
  en: { label: "Opening hours:", workday: "working days", rest: "weekends and public holidays",
    off: (day) => `closed on ${day}`, join: ", ", next: ";", then: ";", space: " ",
    stop: (n) => `numbers stop ${n} min before each closing` },
};

/** Whether any hours are set (none: the kiosks issue at any time, and no line is shown). */
export function hoursSet(hours) {
  return Boolean(hours && ((hours.workday ?? []).length || (hours.rest_day ?? []).length));
}

/** The line in pieces, each with its punctuation (English puts a space between), for a page to keep
 *  each piece whole on a line:
 *  ["办理时间：", "工作日 09:00–12:00、13:30–17:00，", "周末及节假日休息；", "每段结束前 30 分钟停止取号"].
 *  Without `label` no 办理时间：, without `stop` no last piece. [] when no hours are set. */
export function hoursParts(hours, lang = "zh", { label = true, stop = true } = {}) {
  if (!hoursSet(hours)) return [];
  const w = WORDS[lang] ?? WORDS.zh, minutes = stop ? hours.stop_issuing_min ?? 0 : 0;
  const parts = [[w.workday, hours.workday ?? []], [w.rest, hours.rest_day ?? []]].map(([day, periods]) =>
    (periods.length ? `${day} ${periods.map((p) => `${p.start}–${p.end}`).join(w.join)}` : w.off(day)));
  parts[0] += w.next;
  if (minutes) {
    parts[1] += w.then;
    parts.push(w.stop(minutes));
  }
  return label ? [w.label, ...parts] : parts;
}

/** "工作日 09:00–12:00、13:30–17:00，周末及节假日休息"; null when no hours are set. */
export function hoursText(hours, lang = "zh") {
  const parts = hoursParts(hours, lang, { label: false, stop: false });
  return parts.length ? parts.join((WORDS[lang] ?? WORDS.zh).space) : null;
}

/** Fills `el` with the line, each piece in a <span class="hours-part"> (a page's stylesheet makes
 *  them inline-block, so that a line breaks between pieces, not inside one); hides it when unset. */
export function showHours(el, hours, lang = "zh", options = {}) {
  const parts = hoursParts(hours, lang, options), space = (WORDS[lang] ?? WORDS.zh).space;
  el.hidden = parts.length === 0;
  el.replaceChildren(...parts.flatMap((words, i) => {
    const span = document.createElement("span");
    span.className = "hours-part";
    span.textContent = words;
    return i && space ? [space, span] : [span];
  }));
}
