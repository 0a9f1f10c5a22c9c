// The minutes a visitor is shown for an estimated wait (docs/eta.md, "What visitors see"): one
// number when the range around the estimate is narrow ("约 5 分钟"), the range when it is wide
// ("约 10–15 分钟"). The printed slip says the same (server/domain/estimate.py, wait_minutes).

const NARROW_MIN = 2; // a range of at most this many minutes is shown as one number

// Whole minutes, halves up (as the server rounds).
const whole = (seconds) => Math.floor(seconds / 60 + 0.5);

/** "5" or "10–15" for an estimate of `etaS` seconds and its `[low, high]` range (or none); at least 1. */
export function waitMinutes(etaS, range) {
  const point = Math.max(1, whole(etaS || 0));
  if (!Array.isArray(range) || range.length !== 2) return String(point);
  const low = Math.max(1, whole(range[0])), high = Math.max(low, whole(range[1]));
  return high - low <= NARROW_MIN ? String(point) : `${low}–${high}`;
}
