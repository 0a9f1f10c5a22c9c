// Staff sign-in: posts JSON to the API, which sets the session cookie, then goes on.
const form = document.getElementById("login");

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

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const data = Object.fromEntries(new FormData(form));
  const response = await fetch("/api/v1/auth/login", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(data),
  });
  if (response.ok) {
    location.href = sameSitePath(form.dataset.next);
  } else {
    const body = await response.json().catch(() => ({}));
    document.getElementById("error").textContent = body.error?.message ?? "登录失败";
  }
});
