// 意见建议/投诉 at the kiosk (kiosk.js calls setupFeedback once). The visitor chooses 建议 or 投诉,
// types what happened (a physical or the system's touch keyboard), or scans the QR code to go on
// on the phone (/feedback/{hall}, with its input methods); 提交 sends it with the kiosk's token
// (POST /api/v1/halls/{hall}/feedback, rate limited per kiosk), and the confirmation shows the
// QR code of the visitor's own status link (/feedback/{hall}/s/{token}). The kiosk's idle timer
// brings the start screen back; leaving the screen forgets what was typed.

const TEXT = {
  zh: {
    title: "意见建议", heading: "意见建议 / 投诉", kind: "类型", suggestion: "建议", complaint: "投诉",
    text: "内容（请写下具体情况，如窗口号、时间）", contact: "联系电话（选填，便于我们答复您）",
    phone: "用手机扫码填写，可使用手机输入法", send: "提交", back: "返回", backHome: "返回首页",
    due: "答复期限", doneNote: "请保存好二维码（可用手机拍照），随时查看办理进度和答复",
    scanStatus: "扫码查看办理进度和答复",
    done: { suggestion: "建议已提交", complaint: "投诉已提交" },
    needKind: "请选择类型：建议或投诉", needText: "请写下具体情况",
    failed: "暂时无法提交，请稍后再试或到导办台咨询",
  },
  en: {
    title: "Suggestions", heading: "Suggestions / complaints", kind: "Kind", suggestion: "Suggestion",
    complaint: "Complaint", text: "What happened (the counter, the time…)",
    contact: "Phone (optional, for our answer)", phone: "Scan to write it on your phone instead",
    send: "Submit", back: "Back", backHome: "Home", due: "We answer by",
    doneNote: "Keep the QR code (a photo will do) to follow it and read our answer",
    scanStatus: "Scan to follow it and read our answer",
    done: { suggestion: "Your suggestion has been sent", complaint: "Your complaint has been sent" },
    needKind: "Choose suggestion or complaint", needText: "Please say what happened",
    failed: "Cannot send it right now; please try again or ask at the guide desk",
  },
};

const $ = (id) => document.getElementById(id);

/** hooks: {hall (code), api(method, path, body) → {status, answer}, show(screen), home(), lang() → "zh"|"en"} */
export function setupFeedback({ hall, api, show, home, lang }) {
  const base = `/feedback/${encodeURIComponent(hall)}`;
  let state = { kind: null, sending: false, done: null }; // done: the server's answer
  const t = () => TEXT[lang()] ?? TEXT.zh;

  function fail(message) {
    $("error").textContent = message;
    $("error").hidden = false;
  }

  function render() {
    const text = t();
    for (const el of document.querySelectorAll("[data-ft]")) el.textContent = text[el.dataset.ft];
    for (const el of document.querySelectorAll(".fb-kind")) {
      el.setAttribute("aria-checked", String(el.dataset.kind === state.kind));
    }
    const done = state.done !== null;
    $("fb-form").hidden = done;
    $("fb-send").hidden = done;
    $("fb-send").disabled = state.sending;
    $("fb-done").hidden = !done;
    $("fb-back").textContent = done ? text.backHome : text.back;
    if (done) {
      $("fb-done-title").textContent = text.done[state.done.kind] ?? text.done.complaint;
      $("fb-due").textContent = state.done.due_at;
    }
  }

  function reset() {
    state = { kind: null, sending: false, done: null };
    $("fb-text").value = "";
    $("fb-contact").value = "";
    $("fb-status-qr").removeAttribute("src");
    render();
  }

  function open() {
    reset();
    show("feedback-screen");
    if (!$("fb-phone-qr").getAttribute("src")) $("fb-phone-qr").src = `${base}/qr.svg`;
  }

  async function send() {
    const text = $("fb-text").value.trim();
    if (!state.kind) { fail(t().needKind); return; }
    if (!text) { fail(t().needText); $("fb-text").focus(); return; }
    const body = { kind: state.kind, text };
    const contact = $("fb-contact").value.trim();
    if (contact) body.contact = contact;
    state.sending = true;
    render();
    try {
      const { status, answer } = await api("POST", `/halls/${encodeURIComponent(hall)}/feedback`, body);
      if (status === 201) {
        state.done = answer;
        $("error").hidden = true;
        $("fb-status-qr").src = `${base}/s/${encodeURIComponent(answer.status_token)}/qr.svg`;
      } else {
        const message = String(answer.error?.message ?? "");
        fail(message ? (lang() === "zh" ? message.replace(/\s*\([^()]*\)\s*$/, "") : message) : t().failed);
      }
    } catch {
      fail(t().failed);
    } finally {
      state.sending = false;
      render();
    }
  }

  $("feedback").addEventListener("click", open);
  for (const id of ["fb-text", "fb-contact"]) $(id).addEventListener("input", () => { $("error").hidden = true; });
  $("fb-send").addEventListener("click", send);
  $("fb-back").addEventListener("click", home);
  for (const el of document.querySelectorAll(".fb-kind")) {
    el.addEventListener("click", () => { state.kind = el.dataset.kind; $("error").hidden = true; render(); });
  }
  // the kiosk's English button sets <html lang>; leaving the screen (back, idle) forgets the visitor's words
  new MutationObserver(render).observe(document.documentElement, { attributeFilter: ["lang"] });
  new MutationObserver(() => {
    const here = $("kiosk").dataset.screen === "feedback-screen";
    if (!here && (state.kind || state.done || $("fb-text").value || $("fb-contact").value)) reset();
  }).observe($("kiosk"), { attributeFilter: ["data-screen"] });
  render();
}
