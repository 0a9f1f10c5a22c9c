// The applicant's own pre-review (/apply/{hall}/s/{status_token}): the server rendered it as it stands.
// While it waits, the page looks again every 20 s (and when the phone comes back to it) and reloads
// once it is decided. After a pass the applicant chooses the result's delivery; before, may withdraw.
const $ = (id) => document.getElementById(id);
const data = JSON.parse($("status-data").textContent);
const application = data.application;
const API = `/api/v1/applications/${encodeURIComponent(application.status_token)}`;
const LOOK_EVERY_MS = 20_000;

function chinese(error) {
  if (!error) return "操作失败，请稍后再试。";
  return String(error.message || "").replace(/\s*\([^()]*\)\s*$/, "") || "操作失败，请稍后再试。";
}

async function post(path, body) {
  const response = await fetch(`${API}/${path}`, {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body ?? {}),
  });
  return { ok: response.ok, body: await response.json() };
}

async function lookAgain() {
  if (document.visibilityState !== "visible") return;
  try {
    const response = await fetch(API, { cache: "no-store" });
    if (!response.ok) return;
    const now = await response.json();
    if (now.status !== application.status) window.location.reload();
  } catch {
    // offline for a moment: the next look will tell
  }
}

if (application.status === "submitted") {
  window.setInterval(lookAgain, LOOK_EVERY_MS);
  document.addEventListener("visibilitychange", lookAgain);
  $("withdraw").addEventListener("click", async () => {
    if (!window.confirm("确定撤回这份申请吗？撤回后如需办理须重新提交。")) return;
    try {
      const { ok, body } = await post("withdraw");
      if (ok) window.location.reload();
      else $("error").textContent = chinese(body.error);
    } catch {
      $("error").textContent = "网络不通，请稍后再试。";
    }
  });
}

async function choose(delivery, address) {
  $("delivery-error").textContent = "";
  $("address-error").textContent = "";
  try {
    const { ok, body } = await post("delivery", address === undefined ? { delivery } : { delivery, address });
    if (ok) { window.location.reload(); return; }
    if (body.error && body.error.field === "address") $("address-error").textContent = chinese(body.error);
    else $("delivery-error").textContent = chinese(body.error);
  } catch {
    $("delivery-error").textContent = "网络不通，请稍后再试。";
  }
}

if ($("delivery")) {
  $("choose-postal").addEventListener("click", () => {
    $("choose-postal").setAttribute("aria-pressed", "true");
    $("choose-pickup").setAttribute("aria-pressed", "false");
    $("postal-form").hidden = false;
    $("address").focus();
  });
  $("choose-pickup").addEventListener("click", () => choose("pickup"));
  $("postal-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const address = $("address").value.trim();
    if (address.length < 5) { $("address-error").textContent = "请填写收件地址和收件人。"; return; }
    choose("postal", address);
  });
}
