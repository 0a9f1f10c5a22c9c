// The counter page's 咨询登记 (the Z window answers consultations): the shared dialog
// (dashboard_consultations.js); what was recorded is confirmed on the page for a few seconds.
import { recordConsultation } from "./dashboard_consultations.js";

const done = document.getElementById("consult-done");
let timer = null;

const opener = document.getElementById("consult-open");
opener.disabled = false; // rendered disabled: a click before this script ran would do nothing
opener.addEventListener("click", async () => {
  const made = await recordConsultation();
  if (!made) return;
  clearTimeout(timer);
  const escalated = made.escalated ? `，已转${made.department_name ?? made.department}，${made.due_date}前答复` : "";
  done.textContent = `已登记咨询（第 ${made.id} 号）${escalated}`;
  done.hidden = false;
  timer = setTimeout(() => { done.hidden = true; }, 8000);
});
