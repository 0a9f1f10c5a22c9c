// A hall's set-up (/admin/{hall}): the tabs. Each tab is its own module, admin_<tab>.js, loaded when
// the tab first opens: its `wire(pane)` runs once, its `refresh()` each time the tab opens.
// What they share (the API, Chinese refusals, the message line, dialogs) is dashboard_common.js.
import { $, message } from "./dashboard_common.js";

const tabs = [...document.querySelectorAll("[data-tab]")];
const modules = new Map();

async function show(name) {
  message(""); // what the last tab said is about that tab
  for (const tab of tabs) {
    const on = tab.dataset.tab === name;
    tab.setAttribute("aria-selected", String(on));
    $(`tab-${tab.dataset.tab}`).hidden = !on;
  }
  document.documentElement.dataset.tab = name;
  if (location.hash !== `#${name}`) history.replaceState(null, "", `#${name}`);
  if (!modules.has(name)) {
    modules.set(name, import(`./admin_${name}.js`).then((module) => {
      module.wire($(`tab-${name}`)); // once: the pane's own controls
      return module;
    }));
  }
  try {
    const module = await modules.get(name);
    await module.refresh(); // each time the tab opens: what the server has now
  } catch (error) {
    console.error(error);
    message("页面加载失败，请刷新后重试");
  }
  // a tab left before its answer came is not the one shown: only the tab still chosen says it is ready
  if (document.documentElement.dataset.tab === name) document.documentElement.dataset.loaded = name;
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
const initial = location.hash.slice(1);
show(tabs.some((t) => t.dataset.tab === initial) ? initial : tabs[0].dataset.tab);
