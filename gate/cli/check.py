"""``readiness-gate check [PATH]``: run the gate on a repository and print the verdict."""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import os
import re
import sys
from pathlib import Path

from gate.checks.interface import RunOptions
from gate.checks.registry import parse_ids
from gate.cli.common import print_config_error
from gate.config import ConfigError, load_config
from gate.exitcodes import EXIT_NOT_READY, EXIT_READY, EXIT_USAGE, UsageError
from gate.files import write_output
from gate.osv_mirror import OsvDatabaseError, osv_options
from gate.render import RENDERERS, RenderOptions, get_renderer
from gate.runner import run_gate

HELP = "Run the readiness checks on a repository and print the verdict."


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Options of ``check``; defaults can come from ``READINESS_GATE_*`` environment variables."""
    env = os.environ.get
    p.add_argument("path", nargs="?", default=".", help="repository to check (default: .)")
    p.add_argument("--config", default=env("READINESS_GATE_CONFIG"),
                   help="readiness.yml to use (default: readiness.yml or .github/readiness.yml in PATH)")
    p.add_argument("--format", choices=sorted(RENDERERS), default=env("READINESS_GATE_FORMAT", "text"),
                   help="output format (default: text)")
    p.add_argument("--output", "-o", default="-", help="write the output to this file (default: stdout)")
    p.add_argument("--json-output", metavar="FILE", help="also write the JSON report to FILE")
    p.add_argument("--sarif-output", metavar="FILE", help="also write SARIF 2.1.0 to FILE")
    p.add_argument("--markdown-output", metavar="FILE", help="also write the markdown report to FILE")
    p.add_argument("--only", metavar="IDS", help="run only these check ids (comma-separated)")
    p.add_argument("--skip", metavar="IDS", help="do not run these check ids (comma-separated)")
    p.add_argument("--osv-url", default=env("READINESS_GATE_OSV_URL"),
                   help="OSV API base URL for the dependencies check (an internal mirror)")
    p.add_argument("--osv-db", metavar="PATH", default=env("READINESS_GATE_OSV_DB"),
                   help="offline OSV database (a directory of OSV *.json records, or OSV's PyPI all.zip) "
                        "served to pip-audit on loopback; for runners without network")
    p.add_argument("--changed-since", metavar="REF", default=env("READINESS_GATE_CHANGED_SINCE"),
                   help="diff-aware mode: scan secrets and patterns only in files changed since REF")
    p.add_argument("--cache-dir", default=env("READINESS_GATE_CACHE_DIR"),
                   help="directory of the result cache (e.g. kept by actions/cache; README, \"The cache\")")
    p.add_argument("--advisory-max-age", metavar="HOURS", type=_hours,
                   default=env("READINESS_GATE_ADVISORY_MAX_AGE", "24") or "24",
                   help="hours a cached pip-audit verdict from a vulnerability service is used (default: 24; "
                        "0: always ask); verdicts from --osv-db are keyed by its content")
    p.add_argument("--jobs", type=int, default=int(env("READINESS_GATE_JOBS", "0") or 0),
                   help="worker processes for CPU-bound scanning (default: number of CPUs)")
    p.add_argument("--repository", metavar="OWNER/NAME", default=env("READINESS_GATE_REPOSITORY"),
                   help="the repository being checked, recorded in the report for org-wide dashboards")
    p.add_argument("--baseline-report", metavar="BASE.json",
                   help="the base branch's JSON report: open the output with the changes since it")
    p.add_argument("--today", type=dt.date.fromisoformat, default=None, help=argparse.SUPPRESS)
    p.add_argument("--color", choices=["auto", "always", "never"], default="auto",
                   help="colour in text output (default: auto, when stdout is a terminal)")
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="print a line per check as it finishes, to stderr (default: when stderr is a terminal)")


def _hours(text: str) -> float:
    """A number of hours >= 0 (argparse type of ``--advisory-max-age``)."""
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value < float("inf"):
        raise argparse.ArgumentTypeError(f"expected a number of hours >= 0, got {text!r}")
    return value


def run(args: argparse.Namespace) -> int:
    """Run the gate; exit 0 ready, 1 not ready, 2 configuration/usage error."""
    root = Path(args.path)
    if args.repository and not re.fullmatch(r"[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)+", args.repository[:512]):
        raise UsageError("--repository: expected OWNER/NAME (letters, digits, '-', '_', '.')")
    if not root.is_dir():
        raise UsageError(f"{args.path}: not a directory")
    only = parse_ids(args.only, "--only")
    skip = parse_ids(args.skip, "--skip")
    try:
        config = load_config(root, Path(args.config) if args.config else None)
    except ConfigError as exc:
        print_config_error(exc)
        return EXIT_USAGE
    baseline = None
    if args.baseline_report:
        from gate.render.json_report import ReportFormatError, load_report

        try:
            baseline = load_report(Path(args.baseline_report).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ReportFormatError) as exc:
            raise UsageError(f"--baseline-report {args.baseline_report}: {getattr(exc, 'strerror', None) or exc}") from None
    changed = None
    if args.changed_since:
        from gate.diff import changed_paths  # diff-aware mode

        try:
            changed = changed_paths(root, args.changed_since)
        except ValueError as exc:
            raise UsageError(f"--changed-since: {exc}") from None
    options = RunOptions(osv_url=args.osv_url, changed_since=args.changed_since, changed_paths=changed,
                         cache_dir=args.cache_dir, jobs=max(0, args.jobs), today=args.today,
                         advisory_max_age_s=args.advisory_max_age * 3600)
    color = args.color == "always" or (args.color == "auto" and sys.stdout.isatty()
                                       and "NO_COLOR" not in os.environ and args.output == "-")
    show_progress = args.progress if args.progress is not None else (sys.stderr.isatty() and args.format == "text")
    progress = None
    if show_progress:
        from gate.render.text import progress_line

        def progress(check_report):  # type: ignore[no-untyped-def]
            print(progress_line(check_report, color=sys.stderr.isatty()), file=sys.stderr, flush=True)

    try:
        with osv_options(options, Path(args.osv_db) if args.osv_db else None) as run_options:
            report = run_gate(root, config, options=run_options, only=only, skip=skip, progress=progress)
    except OsvDatabaseError as exc:
        raise UsageError(f"--osv-db: {exc}") from None
    if args.repository:
        report = dataclasses.replace(report, repository=args.repository)
    if baseline is not None:
        from gate.delta import compare

        report = dataclasses.replace(report, delta=compare(baseline, report, source="report"))
    render_options = RenderOptions(color=color)
    write_output(args.output, get_renderer(args.format).render(report, render_options))
    plain = RenderOptions()
    for fmt, path in (("json", args.json_output), ("sarif", args.sarif_output), ("markdown", args.markdown_output)):
        if path:
            write_output(path, get_renderer(fmt).render(report, plain))
    return EXIT_READY if report.ready else EXIT_NOT_READY
