"""``readiness-gate dashboard REPORT.json... --output DIR``: the org-wide static site."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from gate.render.escape import one_line, safe_log_line

HELP = "Build a static org-wide dashboard from many services' JSON reports."


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Options of ``dashboard`` (``docs/org-wide.md``)."""
    p.add_argument("reports", nargs="*", metavar="REPORT.json",
                   help="JSON reports (`check --format json`), one or more per service; the newest of a service counts")
    p.add_argument("--output", "-o", required=True, metavar="DIR",
                   help="directory to write the site into (new, empty, or a previous dashboard)")
    p.add_argument("--history", metavar="DIR",
                   help="directory (or file) holding a previous run's history.jsonl: draws readiness over time")
    p.add_argument("--expect", metavar="FILE",
                   help="file listing the repositories (owner/name, one a line) that should have a report; "
                        "one without a report is shown as unknown")
    p.add_argument("--server-url", default="https://github.com",
                   help="base URL for repository and commit links (GitHub Enterprise Server: its URL; "
                        "'' for no links)")
    p.add_argument("--today", type=dt.date.fromisoformat, default=None, help=argparse.SUPPRESS)


def run(args: argparse.Namespace) -> int:
    """Write the site; exit 0 when it was written (unreadable reports are rows marked unknown,
    listed on stderr), 2 on a usage problem."""
    from gate.cli import EXIT_READY, UsageError
    from gate.dashboard.build import build_dashboard
    from gate.dashboard.history import HistoryError
    from gate.dashboard.site import DashboardError

    expected: list[str] = []
    if args.expect:
        try:
            text = Path(args.expect).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"--expect {args.expect}: {getattr(exc, 'strerror', None) or exc}") from None
        expected = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    if not args.reports and not expected:
        raise UsageError("give at least one REPORT.json (or --expect with the repositories that should have one)")
    try:
        result = build_dashboard([Path(r) for r in args.reports], Path(args.output),
                                 history=Path(args.history) if args.history else None, expected=expected,
                                 today=args.today, server_url=args.server_url or None)
    except (DashboardError, HistoryError) as exc:
        raise UsageError(str(exc)) from None
    view = result.view
    for w in view.warnings:
        print(safe_log_line(f"warning: {one_line(w, 1000)}"), file=sys.stderr)
    for e in view.services:
        if e.error:
            print(safe_log_line(f"warning: {one_line(e.source, 300)}: {one_line(e.error, 500)}"), file=sys.stderr)
    print(f"dashboard: {len(view.services)} service(s), {view.count('ready')} ready, "
          f"{view.count('not-ready')} not ready, {view.count('unknown')} unknown -> {result.output / 'index.html'}")
    return EXIT_READY
