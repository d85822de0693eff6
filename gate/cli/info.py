"""``list-checks``, ``explain ID`` and ``schema``: what the gate checks, and why."""

from __future__ import annotations

import argparse
import difflib
import json
import textwrap

from gate.checks.interface import load_meta
from gate.checks.registry import check_ids
from gate.config import build_config, schema
from gate.exitcodes import UsageError
from gate.resources import policy_file

HELP = "Information about checks and schemas."
HELP_LIST_CHECKS = "List every check with its gate, default level and title."
HELP_EXPLAIN = "Explain one check: why it matters, what passes, how to fix it, its options."
HELP_SCHEMA = "Print the JSON Schema of readiness.yml (or of the JSON report with --report)."


def add_arguments_list_checks(p: argparse.ArgumentParser) -> None:
    """``--format json`` prints a machine-readable list."""
    p.add_argument("--format", choices=["text", "json"], default="text")


def run_list_checks(args: argparse.Namespace) -> int:
    """Print the check table."""
    defaults = build_config(None, None)
    rows = []
    for cid in check_ids():
        meta = load_meta(cid)
        rows.append({"id": cid, "gate": meta.gate, "level": defaults.settings(cid).level.value, "title": meta.title})
    if args.format == "json":
        print(json.dumps(rows, indent=2))
        return 0
    width = max(len(r["id"]) for r in rows)
    gwidth = max(len(r["gate"]) for r in rows)
    print(f"{'ID'.ljust(width)}  {'GATE'.ljust(gwidth)}  {'DEFAULT'.ljust(8)}  TITLE")
    for r in rows:
        print(f"{r['id'].ljust(width)}  {r['gate'].ljust(gwidth)}  {r['level'].ljust(8)}  {r['title']}")
    return 0


def add_arguments_explain(p: argparse.ArgumentParser) -> None:
    """``ID`` is a check id."""
    p.add_argument("check_id", metavar="ID", help="check id (see list-checks)")


def run_explain(args: argparse.Namespace) -> int:
    """Print the check's words and options; exit 2 for an unknown id."""
    if args.check_id not in check_ids():
        close = difflib.get_close_matches(args.check_id, check_ids(), n=1)
        raise UsageError(f"unknown check id {args.check_id!r}" + (f"; did you mean {close[0]!r}?" if close else ""))
    meta = load_meta(args.check_id)
    settings = build_config(None, None).settings(args.check_id)
    wrap = lambda s: textwrap.fill(s, width=88, initial_indent="  ", subsequent_indent="  ")  # noqa: E731
    print(f"{meta.id} — {meta.title}")
    print(f"gate: {meta.gate}    default level: {settings.level.value}")
    print("\nWhy it matters:\n" + wrap(meta.rationale))
    print("\nHow to fix a failure:\n" + wrap(meta.remediation))
    props = schema()["properties"]["checks"]["properties"][meta.id]["properties"]
    print("\nOptions (readiness.yml checks." + meta.id + "):")
    for key, spec in props.items():
        default = "level" if key == "level" else settings.options.get(key)
        shown = settings.level.value if key == "level" else (json.dumps(list(default) if isinstance(default, tuple) else default, default=str) if default is not None else "-")
        print(f"  {key} (default: {shown})")
        print(textwrap.fill(spec.get("description", ""), width=88, initial_indent="      ", subsequent_indent="      "))
    if meta.rules:
        print("\nFindings it reports (rule id: what it means; what to do):")
        for rule in meta.rules:
            print(f"  {rule.id}: {rule.title}")
            print(textwrap.fill(rule.remediation_shown, width=88, initial_indent="      ", subsequent_indent="      "))
    if meta.sources:
        print("\nSources: " + ", ".join(meta.sources))
    return 0


def add_arguments_schema(p: argparse.ArgumentParser) -> None:
    """``--report`` selects the JSON report schema."""
    p.add_argument("--report", action="store_true", help="print the JSON report schema instead")


def run_schema(args: argparse.Namespace) -> int:
    """Print a schema as JSON."""
    if args.report:
        print(policy_file("report.schema.json").read_text(encoding="utf-8"), end="")
    else:
        print(json.dumps(schema(), indent=2))
    return 0
