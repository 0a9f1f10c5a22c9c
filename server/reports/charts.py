"""Server-side SVG charts for the dashboard: no JavaScript library, Chinese labels, legible at 480×240."""

from __future__ import annotations

from collections.abc import Sequence
from xml.sax.saxutils import escape

W, H = 480, 240
LEFT, RIGHT, TOP, BOTTOM = 40, 10, 30, 34
FONT = "font-family=\"'Noto Sans CJK SC','Microsoft YaHei','PingFang SC',sans-serif\""
COLOURS = ("#2563eb", "#16a34a", "#9ca3af", "#f59e0b")


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000):
        if value <= step * 4:
            return float(step * 4)
    return float(value)


def _frame(title: str, ymax: float, body: list[str], legend: Sequence[tuple[str, str]]) -> str:
    plot_h = H - TOP - BOTTOM
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}" '
           f'role="img" aria-label="{escape(title)}">',
           f'<title>{escape(title)}</title>',
           f'<rect width="{W}" height="{H}" fill="#ffffff"/>',
           f'<text x="{LEFT}" y="18" font-size="14" font-weight="bold" {FONT} fill="#111827">{escape(title)}</text>']
    for i in range(5):
        y = TOP + plot_h - plot_h * i / 4
        value = ymax * i / 4
        out.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{W - RIGHT}" y2="{y:.1f}" stroke="#e5e7eb"/>')
        out.append(f'<text x="{LEFT - 4}" y="{y + 4:.1f}" font-size="10" text-anchor="end" {FONT} '
                   f'fill="#374151">{value:g}</text>')
    out.extend(body)
    x = W - RIGHT
    for label, colour in reversed(legend):
        width = 14 + 12 * len(label)
        x -= width
        out.append(f'<rect x="{x}" y="8" width="10" height="10" fill="{colour}"/>')
        out.append(f'<text x="{x + 13}" y="17" font-size="11" {FONT} fill="#374151">{escape(label)}</text>')
    out.append("</svg>")
    return "\n".join(out)


def bars(title: str, labels: Sequence[str], series: Sequence[tuple[str, Sequence[float]]],
         line: tuple[str, Sequence[float]] | None = None, x_title: str = "") -> str:
    """Grouped bars per label, with an optional line (e.g. the weekday average) over them."""
    plot_w, plot_h = W - LEFT - RIGHT, H - TOP - BOTTOM
    values = [v for _, vs in series for v in vs] + (list(line[1]) if line else [])
    ymax = _nice_max(max(values, default=0))
    n = max(len(labels), 1)
    slot = plot_w / n
    bar_w = max(slot * 0.8 / max(len(series), 1), 1.0)
    body: list[str] = []
    for s, (_, vs) in enumerate(series):
        colour = COLOURS[s % len(COLOURS)]
        for i, v in enumerate(vs):
            h = plot_h * v / ymax
            x = LEFT + i * slot + slot * 0.1 + s * bar_w
            body.append(f'<rect x="{x:.1f}" y="{TOP + plot_h - h:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
                        f'fill="{colour}"><title>{escape(labels[i])}: {v:g}</title></rect>')
    legend = [(name, COLOURS[s % len(COLOURS)]) for s, (name, _) in enumerate(series)]
    if line is not None:
        colour = COLOURS[3]
        points = " ".join(f"{LEFT + (i + 0.5) * slot:.1f},{TOP + plot_h - plot_h * v / ymax:.1f}"
                          for i, v in enumerate(line[1]))
        body.append(f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2"/>')
        legend.append((line[0], colour))
    every = max(1, -(-n // 12))
    for i, label in enumerate(labels):
        if i % every == 0:
            body.append(f'<text x="{LEFT + (i + 0.5) * slot:.1f}" y="{H - BOTTOM + 14}" font-size="10" '
                        f'text-anchor="middle" {FONT} fill="#374151">{escape(label)}</text>')
    if x_title:
        body.append(f'<text x="{LEFT + plot_w / 2:.1f}" y="{H - 4}" font-size="11" text-anchor="middle" {FONT} '
                    f'fill="#374151">{escape(x_title)}</text>')
    return _frame(title, ymax, body, legend)


def arrivals_chart(arrivals: Sequence[int], served: Sequence[int], average: Sequence[float],
                   first_hour: int = 7, last_hour: int = 19) -> str:
    hours = range(first_hour, last_hour)
    return bars("今日每小时取号与办结（对比近8周同日平均）", [f"{h}时" for h in hours],
                [("取号", [arrivals[h] for h in hours]), ("办结", [served[h] for h in hours])],
                ("同日平均取号", [round(average[h], 1) for h in hours]), "时段")


WAIT_BANDS = [(0, 5), (5, 10), (10, 15), (15, 20), (20, 30), (30, 45), (45, 60), (60, None)]


def waits_chart(waits_s: Sequence[float]) -> str:
    counts = [0] * len(WAIT_BANDS)
    for w in waits_s:
        minutes = w / 60
        for i, (lo, hi) in enumerate(WAIT_BANDS):
            if minutes >= lo and (hi is None or minutes < hi):
                counts[i] += 1
                break
    labels = [f"{lo}-{hi}" if hi is not None else f"{lo}+" for lo, hi in WAIT_BANDS]
    return bars("今日等候时长分布（人数）", labels, [("人数", counts)], x_title="等候时长（分钟）")


def load_chart(counters: Sequence[tuple[str, int]]) -> str:
    return bars("今日各窗口办结量", [name.replace("号窗口", "") for name, _ in counters],
                [("办结", [v for _, v in counters])], x_title="窗口")
