// 领取 at the L window: the collect dialog shows the item's fee standard (收费标准) and every charge
// recorded for the case (at 受理 and at pickup); while the fee is not settled (a standard that asks
// for money, and no charge yet) the clerk records a pickup charge with the collection, and may add
// one (补登收费) when it is. Once counter.js has recorded the collection, the dialog turns into the
// 领取凭条 (the pickup slip: the case, who collected it and when, the fee standard and the charges),
// printed with the page's print (counter.css hides the rest of the page on paper).
import { chargeText, entry, isFree, post, reset } from "./counter_fees.js";

const $ = (id) => document.getElementById(id);
const dialog = $("collect-dialog");
const form = $("collect-form");
const slip = $("collect-slip");
const fee = $("collect-fee");
const more = $("collect-fee-more");
const STAGE_WORDS = { acceptance: "受理时", pickup: "领取时" };

const state = { receipt: null, fees: null, pending: null, seq: 0 };

async function fees(receipt) {
  const response = await fetch(`/api/v1/cases/${encodeURIComponent(receipt)}/fees`, { credentials: "same-origin" })
    .catch(() => null);
  return response?.ok ? response.json().catch(() => null) : null;
}

function chargeItems(charges) {
  return charges.map((c) => {
    const li = document.createElement("li");
    li.dataset.stage = c.stage;
    li.textContent = `${c.stage_label ?? STAGE_WORDS[c.stage] ?? ""} ${chargeText(c)}`;
    return li;
  });
}

const settled = (body) => isFree(body.standard) || body.charges.length > 0;

/** The dialog's 收费 part for the case's fees as the server has them. */
function showFees(body) {
  const box = $("collect-charges");
  state.fees = body;
  reset(fee);
  if (!body) {
    box.hidden = true;
    fee.hidden = true;
    return;
  }
  const standard = body.standard?.trim();
  box.hidden = !standard && body.charges.length === 0;
  $("collect-fee-standard").textContent = standard ? `收费标准：${standard}` : "收费标准：未设置";
  $("collect-charge-list").replaceChildren(...chargeItems(body.charges));
  const done = settled(body);
  $("collect-fee-state").textContent = body.charges.length ? `已登记收费 合计 ${body.collected_text}`
    : done ? "本事项不收费" : "尚未登记收费：请在下方登记领取时收费";
  $("collect-fee-state").dataset.settled = String(done);
  fee.hidden = done;
  more.hidden = !done || isFree(body.standard);
  more.textContent = "补登收费";
}

$("collect").addEventListener("click", async () => {
  const seq = ++state.seq;
  slip.hidden = true;
  form.hidden = false;
  state.pending = null;
  showFees(null);
  state.receipt = dialog.querySelector(".case-ref")?.textContent?.trim() || null;
  if (!state.receipt) return;
  const body = await fees(state.receipt);
  if (seq === state.seq) showFees(body);
});

more.addEventListener("click", () => {
  reset(fee);
  fee.hidden = !fee.hidden;
  more.textContent = fee.hidden ? "补登收费" : "不补登";
});

// Checked before counter.js records the collection (capture on the dialog runs first): a bad fee
// stops it; a good one is kept and recorded once the collection is.
dialog.addEventListener("submit", (event) => {
  if (event.target !== form || event.submitter?.value !== "ok") return;
  const { fault, payload } = entry(fee, "pickup");
  if (fault) {
    event.preventDefault();
    event.stopPropagation();
    const line = form.querySelector(".problem");
    line.textContent = fault;
    line.hidden = false;
    return;
  }
  state.pending = payload;
}, true);

// ------------------------------------------------------------------ 领取凭条
function stamp(iso) {
  return iso ? String(iso).slice(0, 16).replace("T", " ") : "";
}

async function showSlip(detail) {
  const receipt = state.receipt;
  const payload = state.pending;
  state.pending = null;
  const problem = $("slip-problem");
  problem.hidden = true;
  if (payload && receipt) {
    const { ok, body } = await post(receipt, payload).catch(() => ({ ok: false, body: null }));
    if (!ok) {
      problem.textContent = `收费未登记：${body?.error?.message ?? "网络连接失败"}，请在办件中补登`;
      problem.hidden = false;
    }
  }
  const kase = detail?.body ?? {};
  const collector = detail?.payload?.collector?.name ?? "";
  const proxy = Boolean(detail?.payload?.note);
  const collected = (kase.timeline ?? []).filter((e) => e.status === "collected").at(-1);
  const money = (await fees(receipt)) ?? state.fees;
  $("slip-receipt").textContent = receipt ?? "";
  $("slip-item").textContent = kase.item?.name ?? $("case-item")?.textContent ?? "";
  $("slip-collector").textContent = `${collector}（${proxy ? "代领" : "申请人本人"}）`;
  $("slip-at").textContent = stamp(collected?.at);
  $("slip-standard").textContent = money?.standard?.trim() || "未设置";
  const charges = money?.charges ?? [];
  $("slip-charges").replaceChildren(...chargeItems(charges));
  if (!charges.length) $("slip-charges").append(Object.assign(document.createElement("li"), { textContent: "无" }));
  $("slip-total").textContent = money?.collected_text ?? "—";
  form.hidden = true;
  slip.hidden = false;
  $("slip-print").focus();
}

// counter.js tells the dialog the collection was recorded; cancelling the event keeps it open.
dialog.addEventListener("case:done", (event) => {
  if (event.detail?.payload?.status !== "collected") return;
  event.preventDefault();
  showSlip(event.detail);
});

$("slip-print").addEventListener("click", () => window.print());
$("slip-close").addEventListener("click", () => dialog.close());
dialog.addEventListener("close", () => {
  slip.hidden = true;
  form.hidden = false;
});
