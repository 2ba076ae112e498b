"""The portal's usage chart: bars drawn as SVG by the server (no script, nothing fetched). Pure.

``bar_chart`` turns (label, value, value text) points into geometry in a fixed viewBox; the template
draws it, and CSS scales it to the page's width. Floats are for drawing only: the values shown are the
texts given, computed exactly elsewhere. Negative values (a SUM can be) are drawn as empty bars.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

WIDTH = 600
HEIGHT = 240
TOP = 28  # room for the value above the tallest bar
BOTTOM = 30  # room for the labels under the baseline
SIDE = 8
BAR_SHARE = 0.62  # of each slot; the rest is the gap


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    centre: float
    label: str
    value: str


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    baseline: float
    label_y: float
    bars: tuple[Bar, ...]


def bar_chart(points: Sequence[tuple[str, Decimal, str]]) -> BarChart:
    """One bar per point, left to right, the largest value reaching the top."""
    plot = HEIGHT - TOP - BOTTOM
    baseline = float(TOP + plot)
    peak = max((value for _, value, _ in points if value > 0), default=Decimal(0))
    slot = (WIDTH - 2 * SIDE) / max(len(points), 1)
    width = slot * BAR_SHARE
    bars = []
    for index, (label, value, text) in enumerate(points):
        height = float(value / peak) * plot if peak > 0 and value > 0 else 0.0
        left = SIDE + index * slot + (slot - width) / 2
        bars.append(Bar(x=round(left, 2), y=round(baseline - height, 2), width=round(width, 2),
                        height=round(height, 2), centre=round(left + width / 2, 2), label=label, value=text))
    return BarChart(width=WIDTH, height=HEIGHT, baseline=baseline, label_y=float(HEIGHT - 10), bars=tuple(bars))
