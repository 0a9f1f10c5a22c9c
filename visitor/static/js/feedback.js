// 意见建议/投诉 from a phone: sends the form (no sign-in), shows the refusal beside its field, and on
// success the visitor's own link to follow it.
const form = document.getElementById("feedback-form");
const text = document.getElementById("fb-text");
const contact = document.getElementById("fb-contact");
const send = document.getElementById("fb-send");
const failure = document.getElementById("fb-error");
const FIELDS = { text: [text, "fb-text-error"], contact: [contact, "fb-contact-error"] };

function clearErrors() {
  failure.textContent = "";
  for (const [input, id] of Object.values(FIELDS)) {
    input.removeAttribute("aria-invalid");
    document.getElementById(id).textContent = "";
  }
}

function showError(field, message) {
  const known = FIELDS[field];
  if (known) {
    known[0].setAttribute("aria-invalid", "true");
    document.getElementById(known[1]).textContent = message;
    known[0].focus();
  } else {
    failure.textContent = message;
  }
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  clearErrors();
  const body = {
    kind: form.querySelector("input[name=kind]:checked")?.value || "complaint",
    text: text.value.trim(),
  };
  if (!body.text) {
    showError("text", "请写下具体情况");
    return;
  }
  if (contact.value.trim()) body.contact = contact.value.trim();
  if (form.dataset.ticket) body.ticket = form.dataset.ticket;
  send.disabled = true;
  try {
    const response = await fetch(`/api/v1/halls/${encodeURIComponent(form.dataset.hall)}/feedback`, {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
      credentials: "omit",
    });
    const data = await response.json().catch(() => ({}));
    if (response.status !== 201) {
      const error = data.error || {};
      const message = (error.message || "提交失败，请稍后再试").replace(/ \([^)]*\)$/, "");
      showError(error.field || "", message);
      return;
    }
    const link = `/feedback/${encodeURIComponent(form.dataset.hall)}/s/${encodeURIComponent(data.status_token)}`;
    document.getElementById("fb-id").textContent = String(data.id);
    document.getElementById("fb-due").textContent = data.due_at;
    document.getElementById("fb-link").href = link;
    form.hidden = true;
    document.getElementById("fb-done").hidden = false;
  } catch {
    failure.textContent = "网络异常，请稍后再试";
  } finally {
    send.disabled = false;
  }
});

for (const [input, id] of Object.values(FIELDS)) {
  input.addEventListener("input", () => {
    input.removeAttribute("aria-invalid");
    document.getElementById(id).textContent = "";
  });
}
