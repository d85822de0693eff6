"""Geometry of the readiness-over-time chart, drawn as inline SVG by the templates.

No charting library and no script: :func:`build_chart` turns a service's history points into
coordinates (numbers we computed, so nothing from a repository reaches an SVG attribute), and
the templates draw a polyline with one circle per run, each with a ``<title>`` tooltip.
The x axis is time (runs at their real spacing), the y axis the readiness score, 0-100 %.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Optional, Sequence

from gate.dashboard.history import HistoryPoint, parse_time


@dataclass(frozen=True)
class ChartPoint:
    """One run: its position in the SVG's user units, and its tooltip."""

    x: float
    y: float
    ready: bool
    label: str
    """``2026-11-21 12:00 UTC: 83 %, not ready`` (shown by the browser as a tooltip)."""


@dataclass(frozen=True)
class Chart:
    """A chart of ``width`` x ``height`` user units; ``plot`` is the inner box
    ``(left, top, right, bottom)`` that the points span."""

    width: int
    height: int
    plot: tuple[float, float, float, float]
    points: tuple[ChartPoint, ...]
    first: str
    """Date of the first run, for the axis label."""
    last: str

    @property
    def polyline(self) -> str:
        """The ``points`` attribute of the SVG polyline joining the runs."""
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in self.points)

    def y_at(self, score: int) -> float:
        """Vertical position of ``score`` percent (for grid lines)."""
        left, top, right, bottom = self.plot
        return round(bottom - (bottom - top) * score / 100, 1)


def build_chart(points: Sequence[HistoryPoint], *, width: int = 640, height: int = 160,
                labels: bool = True) -> Optional[Chart]:
    """The chart of ``points`` (one service's history, any order), or None without a point
    whose time parses. ``labels`` leaves room for axis labels (the service page); without them
    the chart is a sparkline (the index). A run with no score is drawn at 0 %."""
    timed = sorted(((t, p) for p in points if (t := parse_time(p.generated_at)) is not None),
                   key=lambda tp: tp[0])
    if not timed:
        return None
    left, top = (40.0, 8.0) if labels else (3.0, 3.0)
    right, bottom = width - (12.0 if labels else 3.0), height - (22.0 if labels else 3.0)
    t0, t1 = timed[0][0], timed[-1][0]
    span = (t1 - t0).total_seconds()
    out = []
    for i, (t, p) in enumerate(timed):
        if span > 0:
            frac = (t - t0).total_seconds() / span
        else:
            frac = 0.5 if len(timed) == 1 else i / (len(timed) - 1)
        score = p.score if p.score is not None else 0
        x = left + (right - left) * frac
        y = bottom - (bottom - top) * score / 100
        when = t.astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        shown = f"{p.score} %" if p.score is not None else "no required check ran"
        out.append(ChartPoint(round(x, 1), round(y, 1), p.ready,
                              f"{when}: {shown}, {'ready' if p.ready else 'not ready'}"))
    fmt = "%Y-%m-%d" if span >= 2 * 86400 else "%Y-%m-%d %H:%M"
    return Chart(width, height, (left, top, right, bottom), tuple(out),
                 t0.astimezone(dt.timezone.utc).strftime(fmt), t1.astimezone(dt.timezone.utc).strftime(fmt))
