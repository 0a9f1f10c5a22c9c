// /admin: every hall, and a new one (admins). PUT /api/v1/halls/{code} creates it, empty.
import { api, message, refusal } from "./dashboard_common.js";

const form = document.getElementById("hall-form");
document.getElementById("message-close").addEventListener("click", () => message(""));
form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const problem = form.querySelector(".problem");
  problem.hidden = true;
  const { code, name } = Object.fromEntries(new FormData(form));
  const result = await api("PUT", `/api/v1/halls/${encodeURIComponent(code)}`, { name });
  if (!result.ok) {
    problem.textContent = refusal(result, "新建大厅失败");
    problem.hidden = false;
    return;
  }
  location.href = `/admin/${encodeURIComponent(code)}#layout`;
});
