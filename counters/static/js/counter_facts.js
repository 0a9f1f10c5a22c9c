// 受理方式 in the 受理 dialog (issue 20, docs/kpis.md): the channel (窗口申报 / 网上申报) and whether the
// application came without paper (无纸化) are always recorded; the departments that must decide come
// from the item's catalog entry (联审联办, shown read-only) and the clerk may add one. counter.js reads
// the choices when it sends the case (caseFacts below, through the fieldset's data-added).
const $ = (id) => document.getElementById(id);
const facts = $("case-facts");
const shown = $("case-departments");
const adder = $("case-add-department");
const hall = JSON.parse($("page-data").textContent).hall.code;
let departments = null; // [{code, name, active}] of the hall, loaded once
let item = null;

async function loadDepartments() {
  if (departments) return departments;
  const response = await fetch(`/api/v1/halls/${encodeURIComponent(hall)}/departments`, { credentials: "same-origin" });
  const body = response.ok ? await response.json().catch(() => null) : null;
  departments = (body?.departments ?? []).filter((d) => d.active !== false);
  return departments;
}

const added = () => JSON.parse(facts.dataset.added || "[]");

function render() {
  const own = item ? (item.departments ?? [item.department]) : [];
  const names = item ? (item.department_names ?? [item.department_name]) : [];
  const extra = added();
  shown.replaceChildren();
  if (!item) {
    shown.textContent = "选择事项后显示";
  } else {
    shown.append(names.join("、") || item.department_name);
    for (const code of extra) {
      const span = document.createElement("span");
      span.className = "added";
      span.textContent = `、${departments?.find((d) => d.code === code)?.name ?? code}（增加）`;
      shown.append(span);
    }
  }
  adder.disabled = !item;
  const taken = new Set([...own, ...extra]);
  const first = adder.options[0];
  adder.replaceChildren(first, ...(departments ?? []).filter((d) => !taken.has(d.code))
    .map((d) => new Option(d.name, d.code)));
  adder.value = "";
}

$("case-dialog").addEventListener("case:item", async (event) => {
  item = event.detail;
  facts.dataset.added = "[]";
  if (!item) { // a fresh form: the usual answers until the clerk says otherwise
    facts.querySelector("[name=channel][value=counter]").checked = true;
    facts.querySelector("[name=paperless][value=false]").checked = true;
  }
  render();
  await loadDepartments().catch(() => []);
  render();
});

adder.addEventListener("change", () => {
  if (!adder.value) return;
  facts.dataset.added = JSON.stringify([...added(), adder.value]);
  render();
});
