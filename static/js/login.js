// Staff sign-in: posts JSON to the API, which sets the session cookie, then goes on. A user whose
// password someone else chose (a new account, a reset) first changes it here: straight after the
// sign-in says so, or when the server sent such a session to this page; anyone may also change
// theirs from the 修改密码 button (signing in with the old one first).
const form = document.getElementById("login");
const change = document.getElementById("change");
const $ = (id) => document.getElementById(id);

// Where to go on: only a path of this site, else "/". The server checks ?next= too
// (server/web.py same_site_path); this guards the page's data-next whatever put it there.
// A browser reads "//host" and "/\host" as another site, and drops tabs and newlines
// ("/\t/host" is "//host"): one "/", then no "/" or "\", no backslash, no control character.
export function sameSitePath(next) {
  if (typeof next !== "string" || !/^\/(?![/\\])/.test(next) || /[\\\u0000-\u001f\u007f]/.test(next)) {
    return "/";
  }
  const url = new URL(next, location.origin);
  return url.origin === location.origin ? url.pathname + url.search + url.hash : "/";
}

/** The server's refusal in Chinese (its English gloss in brackets left out), else `fallback`. */
function said(body, fallback) {
  const text = String(body?.error?.message ?? "").replace(/\s*\([^()]*\)\s*$/, "").trim();
  return /[\u4e00-\u9fff]/.test(text) ? text : fallback;
}

async function post(path, data) {
  try {
    const response = await fetch(path, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json" }, body: JSON.stringify(data),
    });
    return { ok: response.ok, status: response.status, body: await response.json().catch(() => null) };
  } catch {
    return { ok: false, status: 0, body: null };
  }
}

const goOn = () => { location.href = sameSitePath(form.dataset.next); };
let signedIn = change.dataset.username !== ""; // this browser's session must change its password

function showChange({ must = false, username = "", old = "" } = {}) {
  form.hidden = true;
  change.hidden = false;
  $("title").textContent = "修改密码";
  $("change-why").hidden = !must;
  $("change-username").hidden = signedIn;
  $("back-to-login").hidden = signedIn;
  change.elements.username.required = !signedIn;
  change.elements.username.value = username;
  change.elements.old_password.value = old;
  $("change-error").textContent = "";
  (signedIn && old ? change.elements.new_password : change.elements[signedIn ? "old_password" : "username"]).focus();
}

function showLogin(error = "") {
  change.hidden = true;
  form.hidden = false;
  $("title").textContent = "工作人员登录";
  $("error").textContent = error;
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const data = Object.fromEntries(new FormData(form));
  const result = await post("/api/v1/auth/login", data);
  if (!result.ok) {
    $("error").textContent = result.status === 0 ? "网络连接失败，请稍后重试" : said(result.body, "登录失败");
  } else if (result.body?.user?.must_change_password) {
    signedIn = true;
    showChange({ must: true, username: data.username, old: data.password });
  } else {
    goOn();
  }
});

change.addEventListener("submit", async (event) => {
  event.preventDefault();
  const problem = $("change-error");
  const data = Object.fromEntries(new FormData(change));
  if (data.new_password !== data.new_password_again) {
    problem.textContent = "两次输入的新密码不一致，请重新输入";
    return;
  }
  problem.textContent = "";
  if (!signedIn) {
    const login = await post("/api/v1/auth/login", { username: data.username, password: data.old_password });
    if (!login.ok) {
      problem.textContent = login.status === 0 ? "网络连接失败，请稍后重试"
        : said(login.body, "用户名或原密码错误");
      return;
    }
    signedIn = true;
    $("change-username").hidden = true;
    $("back-to-login").hidden = true;
  }
  const result = await post("/api/v1/auth/password",
    { old_password: data.old_password, new_password: data.new_password });
  if (result.ok) {
    goOn();
  } else if (result.status === 401) {
    signedIn = false;
    showLogin("登录已失效，请重新登录");
  } else {
    problem.textContent = result.status === 0 ? "网络连接失败，请稍后重试" : said(result.body, "修改密码失败");
  }
});

$("to-change").addEventListener("click", () =>
  showChange({ username: form.elements.username.value }));
$("back-to-login").addEventListener("click", () => showLogin());
