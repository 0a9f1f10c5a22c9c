// The manager's dashboard (/dashboard/{hall}, 督查看板): the tabs, and the modules behind them —
// dashboard_live.js (实时 and the alerts, on every tab) and dashboard_tabs.js (好差评整改, 报表, 审计).
import { $, message } from "./dashboard_common.js";
import { startLive } from "./dashboard_live.js";
import { loadFollowups, TAB_LOADERS } from "./dashboard_tabs.js";

const tabs = [...document.querySelectorAll("[data-tab]")];

function show(name) {
  for (const tab of tabs) {
    const on = tab.dataset.tab === name;
    tab.setAttribute("aria-selected", String(on));
    $(`tab-${tab.dataset.tab}`).hidden = !on;
  }
  document.documentElement.dataset.tab = name;
  if (location.hash !== `#${name}`) history.replaceState(null, "", `#${name}`);
  TAB_LOADERS[name]?.();
}

for (const tab of tabs) {
  tab.addEventListener("click", () => show(tab.dataset.tab));
  tab.disabled = false; // rendered disabled: a click before this script ran would be lost
}
window.addEventListener("hashchange", () => {
  const name = location.hash.slice(1);
  if (tabs.some((t) => t.dataset.tab === name)) show(name);
});
$("message-close").addEventListener("click", () => message(""));

startLive();
const initial = location.hash.slice(1);
show(tabs.some((t) => t.dataset.tab === initial) ? initial : "live");
if (initial !== "followups") loadFollowups(); // the count of open follow-ups on the tab
