"""The ``dashboard`` pipeline: report files in, the site written (read, aggregate, history, write)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from typing import Optional, Sequence

from gate.dashboard.history import merge, point_from_entry, read_history
from gate.dashboard.org import build_org_view, expected_placeholders, read_reports
from gate.dashboard.site import SiteResult, write_site


def build_dashboard(reports: Sequence[Path], output: Path, *, history: Optional[Path] = None,
                    expected: Sequence[str] = (), today: Optional[dt.date] = None,
                    now: Optional[dt.datetime] = None,
                    server_url: Optional[str] = "https://github.com") -> SiteResult:
    """Build the dashboard of ``reports`` into ``output`` (see :mod:`gate.dashboard`).

    ``history``: ``--history DIR`` (a directory with ``history.jsonl``, or the file); its points
    and this run's are drawn as charts and written to ``output/history.jsonl``. ``expected``:
    repositories (``owner/name``) that should have a report; one without becomes a row with
    verdict ``unknown``. ``today``/``now``: the dates the deferral window and the page use.

    Raises:
        gate.dashboard.site.DashboardError: the output cannot be written.
        gate.dashboard.history.HistoryError: the history exists but cannot be read.
    """
    loaded = read_reports(reports)
    loaded += expected_placeholders(expected, loaded)
    view = build_org_view(loaded, today=today, now=now)
    current = [p for e in view.services if (p := point_from_entry(e)) is not None]
    old, warnings = read_history(history) if history is not None else ([], [])
    view = dataclasses.replace(view, warnings=view.warnings + tuple(warnings))
    return write_site(view, output, history=merge(old, current), charts=history is not None,
                      server_url=server_url)
