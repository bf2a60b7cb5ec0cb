"""Server-rendered SVG charts: bars (one series) and lines (one or more series), no JavaScript.

Written here rather than taken from a charting library: pygal (the kept SVG one) loads its
tooltip script from a CDN by default and brings lxml-sized weight for what is ~100 lines;
matplotlib renders far too slowly for a 200 ms page. Each bar or point has a <title> (the
browser's own tooltip). The SVG scales to its container (viewBox, width 100 % in the CSS) and is
escaped like any template output (markupsafe)."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from decimal import Decimal

from markupsafe import Markup, escape

from runner.dashboard import fmt

Number = float | int | Decimal | None

WIDTH, HEIGHT = 720, 200
LEFT, RIGHT, TOP, BOTTOM = 64, 12, 24, 28
PALETTE = ("#2563eb", "#16a34a", "#d97706", "#dc2626", "#7c3aed")


def axis(value: float, ticks: int = 5) -> tuple[float, float]:
    """(top, step) of a y axis from 0 that shows value: the step a 1, 2 or 5 x 10^n, the top a
    whole number of steps (at most about `ticks` of them)."""
    if value <= 0:
        return 1.0, 0.5
    raw = value / ticks
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if raw <= m * power)
    return step * math.ceil(value / step - 1e-9), step


def _digits(step: float) -> int:
    """Decimals that write every multiple of step exactly (0 for whole steps)."""
    return 0 if step >= 1 else min(6, -math.floor(math.log10(step) + 1e-9))


def _frame(labels: Sequence[str], top: float, step: float, title: str, unit: str) -> list[str]:
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title)}" '
        f'xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    digits = _digits(step)
    for i in range(round(top / step) + 1):
        value = step * i
        y = TOP + plot_h - plot_h * value / top
        parts.append(f'<line class="grid" x1="{LEFT}" x2="{LEFT + plot_w}" y1="{y:.1f}" y2="{y:.1f}"/>')
        text = escape(fmt.number(value, digits))
        parts.append(f'<text class="axis" x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{text}</text>')
    if unit:
        parts.append(f'<text class="axis unit" x="{LEFT - 6}" y="{TOP - 8}" text-anchor="end">{escape(unit)}</text>')
    n = len(labels)
    every = max(1, math.ceil(n / 8))
    for i, label in enumerate(labels):
        if i % every == 0:
            x = LEFT + plot_w * (i + 0.5) / n
            parts.append(f'<text class="axis" x="{x:.1f}" y="{HEIGHT - 8}" text-anchor="middle">{escape(label)}</text>')
    return parts


def bar_chart(
    labels: Sequence[str],
    values: Sequence[Number],
    *,
    title: str,
    unit: str = "",
    value_text: Callable[[Number], str] | None = None,
) -> Markup:
    """Bars of one series; labels on the x axis (at most ~8 written), unit at the top of the y axis."""
    nums = [float(v) if v is not None else 0.0 for v in values]
    top, step = axis(max(nums, default=0.0))
    show = value_text or (lambda v: fmt.number(v, _digits(step)))
    parts = _frame(labels, top, step, title, unit)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    n = max(1, len(nums))
    slot = plot_w / n
    bar_w = max(1.0, slot * 0.8)
    for i, (label, value, raw) in enumerate(zip(labels, nums, values, strict=True)):
        h = plot_h * value / top
        x = LEFT + slot * i + (slot - bar_w) / 2
        y = TOP + plot_h - h
        parts.append(
            f'<rect class="bar" x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}">'
            f"<title>{escape(label)}: {escape(show(raw))}</title></rect>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def line_chart(
    labels: Sequence[str],
    series: dict[str, Sequence[Number]],
    *,
    title: str,
    unit: str = "",
    value_text: Callable[[Number], str] | None = None,
    colours: dict[str, str] | None = None,
) -> Markup:
    """One polyline per series (same x labels), with a legend; a point's <title> says its value.
    colours: a series' colour by name (else the palette's next)."""
    all_values = [float(v) for vs in series.values() for v in vs if v is not None]
    top, step = axis(max(all_values, default=0.0))
    show = value_text or (lambda v: fmt.number(v, _digits(step)))
    parts = _frame(labels, top, step, title, unit)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    n = max(1, len(labels))
    for s, (name, values) in enumerate(series.items()):
        colour = (colours or {}).get(name, PALETTE[s % len(PALETTE)])
        points = []
        for i, (label, raw) in enumerate(zip(labels, values, strict=True)):
            if raw is None:
                continue
            x = LEFT + plot_w * (i + 0.5) / n
            y = TOP + plot_h - plot_h * float(raw) / top
            points.append((x, y, label, raw))
        if points:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y, _, _ in points)
            parts.append(f'<polyline class="line" fill="none" stroke="{colour}" points="{path}"/>')
            for x, y, label, raw in points:
                parts.append(
                    f'<circle class="point" cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="{colour}">'
                    f"<title>{escape(name)} {escape(label)}: {escape(show(raw))}</title></circle>"
                )
        x_legend = LEFT + 8 + 130 * s
        parts.append(
            f'<text class="legend" x="{x_legend}" y="{TOP + 10}" fill="{colour}">&#9632; {escape(name)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))
