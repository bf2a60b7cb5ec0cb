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
LEFT, RIGHT, TOP, BOTTOM = 64, 12, 12, 28
PALETTE = ("#2563eb", "#16a34a", "#d97706", "#dc2626", "#7c3aed")


def nice_max(value: float) -> float:
    """The smallest 1, 2, 2.5 or 5 x 10^n at or above value (the top of the y axis)."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power  # not reached


def _frame(
    labels: Sequence[str], top: float, title: str, unit: str, fmt_value: Callable[[float], str], ticks: int = 4
) -> list[str]:
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title)}" '
        f'xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    for i in range(ticks + 1):
        value = top * i / ticks
        y = TOP + plot_h - plot_h * i / ticks
        parts.append(f'<line class="grid" x1="{LEFT}" x2="{LEFT + plot_w}" y1="{y:.1f}" y2="{y:.1f}"/>')
        parts.append(
            f'<text class="axis" x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{escape(fmt_value(value))}</text>'
        )
    if unit:
        parts.append(f'<text class="axis unit" x="4" y="{TOP + 4}">{escape(unit)}</text>')
    n = len(labels)
    every = max(1, math.ceil(n / 8))
    for i, label in enumerate(labels):
        if i % every == 0:
            x = LEFT + plot_w * (i + 0.5) / n
            parts.append(f'<text class="axis" x="{x:.1f}" y="{HEIGHT - 8}" text-anchor="middle">{escape(label)}</text>')
    return parts


def _value_format(top: float) -> Callable[[float], str]:
    return lambda v: fmt.number(v, 0 if top >= 10 else 1)


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
    top = nice_max(max(nums, default=0.0))
    show = value_text or (lambda v: fmt.number(v, 2 if top < 10 else 0))
    parts = _frame(labels, top, title, unit, _value_format(top))
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
) -> Markup:
    """One polyline per series (same x labels), with a legend; a point's <title> says its value."""
    all_values = [float(v) for vs in series.values() for v in vs if v is not None]
    top = nice_max(max(all_values, default=0.0))
    show = value_text or (lambda v: fmt.number(v, 2 if top < 10 else 0))
    parts = _frame(labels, top, title, unit, _value_format(top))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    n = max(1, len(labels))
    for s, (name, values) in enumerate(series.items()):
        colour = PALETTE[s % len(PALETTE)]
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
