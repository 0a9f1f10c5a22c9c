// What the set-up tabs share beyond dashboard_common.js: renaming a thing in a small dialog.
import { $, api, message, refusal, runDialog } from "./dashboard_common.js";

/** Renames `thing` ({code, name}) with the dialog `dialogId` (a form with a `name` field and a
 *  `.target` heading); `path` is where its PUT goes, `noun` what it is (队列, 部门). Resolves true
 *  once renamed; the server's refusal stays in the dialog until the admin cancels or tries again. */
export async function rename(dialogId, thing, path, noun) {
  const dialog = $(dialogId);
  const done = await runDialog(dialog, {
    prepare: (form) => {
      dialog.querySelector(".target").textContent = `${thing.code} ${thing.name}`;
      form.elements.name.value = thing.name;
    },
    submit: async (form) => {
      const name = form.elements.name.value.trim();
      if (!name) return `请填写${noun}名称`;
      const result = await api("PUT", path, { name });
      return result.ok ? null : refusal(result, "改名失败");
    },
  });
  if (done) message(`${noun} ${thing.code} 已改名`, "info");
  return done;
}
