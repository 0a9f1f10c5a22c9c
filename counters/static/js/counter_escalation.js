// 窗口无否决权 (seed art. 27) on the counter page: 无法办理？上报 opens a dialog (escalation_dialog.html)
// whose 事项 starts as the ticket being served; 提交上报 posts it for this window; the server's refusal,
// naming the field in Chinese, stays in the dialog; the number given is confirmed on the page.
import { api, data, hallPath, refusal, runDialog } from "./dashboard_common.js";

const $ = (id) => document.getElementById(id);
const LABELS = { what: "事项", why: "原因", contact: "办事人联系方式", counter: "窗口" };
const done = $("escalate-done");
let timer = null;

/** The refusal in Chinese, naming the field: the API's check of a body answers in English after 字段 x 无效. */
function problemOf(result) {
  const error = result.body?.error;
  const label = LABELS[error?.field];
  if (!label || result.status !== 422) return refusal(result, "上报失败");
  const message = String(error.message ?? "");
  if (/at least 1 character|required|missing/i.test(message)) return `请填写${label}`;
  const most = message.match(/at most (\d+) character/);
  if (most) return `${label}过长，最多 ${most[1]} 个字`;
  const text = refusal(result, "上报失败");
  return text.startsWith("字段") ? `${label}填写有误` : text;
}

/** The ticket being served, as counter.js renders it, or "" when none. */
function serving() {
  const number = $("number")?.textContent.trim();
  if (!number || number === "—") return "";
  const queue = $("queue")?.textContent.trim();
  return queue && queue !== "—" ? `${number}号（${queue}）：` : `${number}号：`;
}

$("escalate-open").disabled = false; // rendered disabled: a click before this script ran would do nothing
$("escalate-open").addEventListener("click", async () => {
  const dialog = $("escalate-dialog");
  let made = null;
  const ok = await runDialog(dialog, {
    prepare: (form) => {
      form.elements.what.value = serving();
    },
    submit: async (form) => {
      const f = form.elements;
      const body = { what: f.what.value.trim(), why: f.why.value.trim() };
      if (f.contact.value.trim()) body.contact = f.contact.value.trim();
      if (data.counter) body.counter = data.counter;
      const result = await api("POST", `${hallPath}/escalations`, body);
      if (!result.ok) return problemOf(result);
      made = result.body;
      return null;
    },
  });
  if (!ok || !made) return;
  clearTimeout(timer);
  done.textContent = `已上报督查科，编号 ${made.id}`;
  done.hidden = false;
  timer = setTimeout(() => { done.hidden = true; }, 8000);
});
