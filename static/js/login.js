// Staff sign-in: posts JSON to the API, which sets the session cookie, then goes on.
const form = document.getElementById("login");
form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const data = Object.fromEntries(new FormData(form));
  const response = await fetch("/api/v1/auth/login", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(data),
  });
  if (response.ok) {
    const next = form.dataset.next || "/";
    location.href = next.startsWith("/") ? next : "/";
  } else {
    const body = await response.json().catch(() => ({}));
    document.getElementById("error").textContent = body.error?.message ?? "登录失败";
  }
});
