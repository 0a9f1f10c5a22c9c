// 收费 at the counter (seed art. 3(二), 12): the item's fee standard in the 受理 dialog, and the amount
// and how it was settled, recorded as POST /api/v1/cases/{receipt}/fees. An item whose standard says
// 不收费 (or has none) needs no entry: its fee fields stay hidden. The collect dialog (领取) uses the
// same fields and helpers: counter_collect.js.
const $ = (id) => document.getElementById(id);
const FREE = ["不收费", "免费", "免收"];
export const SETTLED = { window: "窗口缴费", online: "网上缴费", waived: "减免" };

export const isFree = (standard) => !standard?.trim() || FREE.some((w) => standard.includes(w));

/** One recorded charge in words: 10.00元（窗口缴费）, 5.00元（减免：低保户）. */
export const chargeText = (c) =>
  `${c.amount_text}（${SETTLED[c.settlement] ?? c.settlement}${c.waived_reason ? `：${c.waived_reason}` : ""}）`;

export async function post(receipt, payload) {
  const response = await fetch(`/api/v1/cases/${encodeURIComponent(receipt)}/fees`, {
    method: "POST", credentials: "same-origin", headers: { "Content-Type": "application/json" },
    body: JSON.stringify(payload),
  });
  const body = await response.json().catch(() => null);
  return { ok: response.ok, body };
}

/** The fieldset's entry: {payload} (null: nothing to record) or {fault}. */
export function entry(box, stage) {
  if (box.hidden) return { payload: null };
  const amountText = box.querySelector("[name=fee_amount]").value.trim();
  const settlement = box.querySelector("[name=fee_settlement]:checked")?.value ?? "window";
  const reason = box.querySelector("[name=fee_reason]").value.trim();
  if (!amountText) return { fault: "请填写收费金额（元）；减免请选择“减免”并写明原因。" };
  if (!/^\d{1,7}(\.\d{1,2})?$/.test(amountText)) return { fault: "收费金额应为不小于 0 的数字，最多两位小数。" };
  if (settlement === "waived" && !reason) return { fault: "减免须写明原因。" };
  const payload = { amount: amountText, settlement, stage };
  if (settlement === "waived") payload.waived_reason = reason;
  return { payload };
}

/** Empty fields, 窗口缴费 chosen, no reason asked. */
export function reset(box) {
  box.querySelectorAll("input[name=fee_amount], input[name=fee_reason]").forEach((i) => { i.value = ""; });
  box.querySelector("[name=fee_settlement][value=window]").checked = true;
  box.querySelector(".fee-reason").hidden = true;
}

export function prepare(box, standardEl, standard) {
  reset(box);
  standardEl.textContent = standard?.trim() ? `收费标准：${standard}` : "";
  box.hidden = isFree(standard);
}

// 减免 asks for its reason
for (const box of [$("case-fee"), $("collect-fee")]) {
  box.addEventListener("change", () => {
    const waived = box.querySelector("[name=fee_settlement]:checked")?.value === "waived";
    box.querySelector(".fee-reason").hidden = !waived;
  });
}

// ------------------------------------------------------------------ 受理
const caseDialog = $("case-dialog");
const caseFee = $("case-fee");
let pending = null; // the acceptance charge checked before the case is sent

caseDialog.addEventListener("case:item", (event) => {
  prepare(caseFee, $("case-fee-standard"), event.detail?.fee ?? "");
});

// Checked before counter.js sends the case (capture on the dialog runs first): a bad fee stops it.
caseDialog.addEventListener("submit", (event) => {
  if (event.target.id !== "case-form" || event.submitter?.value !== "ok") return;
  const { fault, payload } = entry(caseFee, "acceptance");
  if (fault) {
    event.preventDefault();
    event.stopPropagation();
    const line = $("case-problem");
    line.textContent = fault;
    line.hidden = false;
    return;
  }
  pending = payload;
}, true);

caseDialog.addEventListener("case:received", async (event) => {
  const result = event.detail;
  const payload = pending;
  pending = null;
  const line = $("result-fee-line");
  line.hidden = true;
  if (!payload || !result?.receipt_no) return;
  const { ok, body } = await post(result.receipt_no, payload).catch(() => ({ ok: false, body: null }));
  $("result-fee").textContent = ok ? chargeText(body)
    : `收费未登记：${body?.error?.message ?? "网络连接失败"}，请在办件中补登`;
  line.hidden = false;
});
