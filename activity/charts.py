"""Bar charts drawn on the server as SVG: each day a bar, stacked by status.

Only geometry is computed here; the template draws it with classes from the stylesheet (no
inline styles, which the CSP forbids) and gives it a title, a description and a table.
"""

import math
from dataclasses import dataclass

from django.utils.safestring import SafeString, mark_safe

from activity.selectors import DailyCounts

WIDTH = 640
HEIGHT = 180
AXIS_LEFT = 36
AXIS_BOTTOM = 22
TOP = 8
BAR_GAP = 0.28  # of each day's slot


@dataclass(frozen=True)
class Segment:
    status: str
    label: str
    count: int
    x: float
    y: float
    width: float
    height: float

    @property
    def box(self) -> SafeString:
        """The rectangle's attributes: numbers only, written once here rather than through the
        template's number formatting, a few hundred times a chart."""
        return mark_safe(f'x="{self.x}" y="{self.y}" width="{self.width}" height="{self.height}"')


@dataclass(frozen=True)
class Bar:
    day: object
    total: int
    counts: list[str]  # per status, in the chart's order (the table's columns)
    segments: list[Segment]
    label_x: float
    show_label: bool


@dataclass(frozen=True)
class GridLine:
    value: int
    y: float


@dataclass(frozen=True)
class BarChart:
    title: str
    description: str
    counts: DailyCounts
    bars: list[Bar]
    grid: list[GridLine]
    width: int = WIDTH
    height: int = HEIGHT
    plot_left: int = AXIS_LEFT
    axis_label_x: int = AXIS_LEFT - 6
    day_label_y: int = HEIGHT - 6

    @property
    def legend(self) -> list[tuple[str, str, int]]:
        """(status, label, total over the days) of every status that occurs."""
        totals = {
            status: sum(self.counts.counts[day][status] for day in self.counts.days)
            for status, _ in self.counts.statuses
        }
        return [(status, label, totals[status]) for status, label in self.counts.statuses]


def _nice_ceiling(value: int) -> int:
    """The axis maximum: 1, 2 or 5 times a power of ten, at least ``value``."""
    if value <= 0:
        return 1
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if step * magnitude >= value:
            return step * magnitude
    return 10 * magnitude


def bar_chart(counts: DailyCounts, *, title: str, noun: str) -> BarChart:
    plot_width = WIDTH - AXIS_LEFT - 4
    plot_height = HEIGHT - AXIS_BOTTOM - TOP
    bottom = HEIGHT - AXIS_BOTTOM
    slot = plot_width / len(counts.days)
    top_value = _nice_ceiling(max((counts.total_of(day) for day in counts.days), default=0))
    bars = []
    for index, day in enumerate(counts.days):
        x = AXIS_LEFT + index * slot + slot * BAR_GAP / 2
        width = slot * (1 - BAR_GAP)
        y = bottom
        segments = []
        for status, label in counts.statuses:
            count = counts.counts[day][status]
            if not count:
                continue
            height = plot_height * count / top_value
            y -= height
            segments.append(
                Segment(
                    status,
                    label,
                    count,
                    round(x, 1),
                    round(y, 1),
                    round(width, 1),
                    round(height, 1),
                )
            )
        bars.append(
            Bar(
                day=day,
                total=counts.total_of(day),
                counts=[str(counts.counts[day][status]) for status, _ in counts.statuses],
                segments=segments,
                label_x=round(x + width / 2, 1),
                show_label=index % 2 == (len(counts.days) - 1) % 2,
            )
        )
    grid = [
        GridLine(value=value, y=round(bottom - plot_height * value / top_value, 1))
        for value in (0, top_value // 2, top_value)
        if value or top_value
    ]
    last = counts.days[-1]
    description = (
        f"{counts.total:,} {noun} over the last {len(counts.days)} days, "
        f"{counts.total_of(last):,} of them today; the busiest day had "
        f"{max(counts.total_of(day) for day in counts.days):,}."
    )
    return BarChart(title=title, description=description, counts=counts, bars=bars, grid=grid)
