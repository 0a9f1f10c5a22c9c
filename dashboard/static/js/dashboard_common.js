// What the dashboard's modules share: the page data, the API with its Chinese refusals, times and
// durations in the hall's zone, and dialogs that confirm an action and keep the server's refusal
// on screen until the manager cancels or tries again.
import { pageData } from "./hall_model.js";

export const data = pageData();
export const HALL = data.hall.code;
export const hallPath = `/api/v1/halls/${encodeURIComponent(HALL)}`;
export const queueNames = new Map(data.hall.queues.map((q) => [q.code, q.name]));
export const counterNames = new Map(data.hall.counters.map((c) => [c.number, c.name]));
export const $ = (id) => document.getElementById(id);
const ZONE = data.hall.timezone || "Asia/Shanghai";

export function element(tag, className, text) {
  const el = document.createElement(tag);
  if (className) el.className = className;
  if (text !== undefined && text !== null) el.textContent = text;
  return el;
}

/** The server's clock minus this PC's, learnt from each snapshot (the injected clock in tests). */
export const clock = { offset: 0 };
export const now = () => Date.now() - clock.offset;

export function duration(seconds) {
  if (seconds === null || seconds === undefined || !Number.isFinite(Number(seconds))) return "—";
  const s = Math.max(0, Math.round(Number(seconds)));
  if (s < 60) return `${s}秒`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m}分${String(s % 60).padStart(2, "0")}秒` : `${Math.floor(m / 60)}小时${m % 60}分`;
}

const timeFormat = new Intl.DateTimeFormat("zh-CN", { timeZone: ZONE, hour: "2-digit", minute: "2-digit",
  hour12: false });
const dateTimeFormat = new Intl.DateTimeFormat("zh-CN", { timeZone: ZONE, month: "2-digit", day: "2-digit",
  hour: "2-digit", minute: "2-digit", hour12: false });
const dayFormat = new Intl.DateTimeFormat("en-CA", { timeZone: ZONE });

/** An instant from the API; one without an offset is UTC (as a database without zones gives it). */
export function instant(iso) {
  const text = String(iso);
  return Date.parse(/T\d\d:\d\d(:\d\d(\.\d+)?)?$/.test(text) ? `${text}Z` : text);
}
export const hhmm = (iso) => (iso ? timeFormat.format(new Date(instant(iso))) : "—");
export const stamp = (iso) => (iso ? dateTimeFormat.format(new Date(instant(iso))) : "—");
export const dayOf = (ms) => dayFormat.format(new Date(ms));
export const secondsSince = (iso) => (iso ? (now() - instant(iso)) / 1000 : null);

const FALLBACK = {
  400: "请求有误，请检查后重试", 401: "登录已失效，请重新登录", 403: "没有权限进行此操作",
  404: "未找到相关记录（该功能可能尚未开通）", 405: "不支持此操作", 409: "当前状态不允许此操作，请刷新后重试",
  422: "填写的信息有误，请检查后重试", 429: "操作过于频繁，请稍后再试",
};

/** The server's message in Chinese (without its English gloss in brackets), never a bare status. */
export function errorText(body, status, what = "操作失败") {
  const message = String(body?.error?.message ?? "").replace(/\s*\([^()]*\)\s*$/, "").trim();
  if (message && /[\u4e00-\u9fff]/.test(message)) return message;
  return `${what}：${FALLBACK[status] ?? "服务器暂时无法处理，请稍后重试"}`;
}

/** One API call: {ok, status, body}; a lost network is {ok: false, status: 0}. */
export async function api(method, path, body) {
  try {
    const response = await fetch(path, {
      method, credentials: "same-origin",
      headers: body !== undefined ? { "Content-Type": "application/json" } : {},
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    if (response.status === 401) {
      location.href = `/login?next=${encodeURIComponent(location.pathname)}`;
    }
    const parsed = response.status === 204 ? null : await response.json().catch(() => null);
    return { ok: response.ok, status: response.status, body: parsed };
  } catch {
    return { ok: false, status: 0, body: null };
  }
}

/** The refusal of a failed call, in Chinese. */
export function refusal(result, what) {
  return result.status === 0 ? "网络连接失败，请稍后重试" : errorText(result.body, result.status, what);
}

/** A line across the top of the page: an error (default) or information, until closed. */
let messageTimer = null;
export function message(text, kind = "error") {
  clearTimeout(messageTimer);
  if (text && kind === "info") messageTimer = setTimeout(() => message(""), 8000);
  $("message-text").textContent = text;
  $("message").dataset.kind = kind;
  $("message").hidden = !text;
}

/** Opens a dialog with a form; `submit(form)` runs on 确认 and returns null when done, else the
 *  refusal to show in the dialog (which stays open). Resolves true once done, false if cancelled. */
export function runDialog(dialog, { prepare = () => {}, submit }) {
  const form = dialog.querySelector("form");
  const problem = form.querySelector(".problem");
  const ok = form.querySelector("button[value=ok]");
  form.reset();
  problem.hidden = true;
  ok.disabled = false;
  prepare(form);
  dialog.showModal();
  return new Promise((resolve) => {
    const finish = (done) => {
      form.onsubmit = null;
      dialog.onclose = null;
      resolve(done);
    };
    dialog.onclose = () => finish(false);
    form.onsubmit = async (event) => {
      if (event.submitter?.value !== "ok") return; // 取消 closes the dialog
      event.preventDefault();
      if (!form.reportValidity()) return;
      ok.disabled = true;
      const error = await submit(form);
      ok.disabled = false;
      if (error) {
        problem.textContent = error;
        problem.hidden = false;
        return;
      }
      dialog.onclose = null;
      dialog.close();
      finish(true);
    };
  });
}

/** 确认 / 取消 for an action; `act()` returns null or the refusal, shown in the dialog. */
export function confirmThen(question, detail, act) {
  const dialog = $("confirm-dialog");
  return runDialog(dialog, {
    prepare: () => {
      dialog.querySelector(".question").textContent = question;
      dialog.querySelector(".detail").textContent = detail ?? "";
    },
    submit: act,
  });
}

export function percent(value) {
  if (value === null || value === undefined || !Number.isFinite(Number(value))) return "—";
  return `${(Number(value) * 100).toFixed(1)}%`; // rates are fractions (0–1), as in the exports
}
