"""Helpers shared by subcommands: check-id lists, writing outputs, printing config errors."""

from __future__ import annotations

import difflib
import os
import sys
from pathlib import Path
from typing import Optional

from gate.checks.registry import check_ids
from gate.config import ConfigError
from gate.render.escape import one_line, safe_log_line


def parse_ids(value: Optional[str], option: str) -> Optional[list[str]]:
    """Split a comma-separated list of check ids and validate each.

    Raises:
        gate.cli.UsageError: an unknown id (with a did-you-mean).
    """
    from gate.cli import UsageError

    if value is None:
        return None
    ids = [v.strip() for v in value.split(",") if v.strip()]
    known = check_ids()
    for cid in ids:
        if cid not in known:
            close = difflib.get_close_matches(cid, known, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else f"; known ids: {', '.join(known)}"
            raise UsageError(f"{option}: unknown check id {cid!r}{hint}")
    return ids


def print_config_error(exc: ConfigError) -> None:
    """Print each problem of a ConfigError on its own line to stderr."""
    print("readiness-gate: configuration error:", file=sys.stderr)
    for p in exc.problems:
        # Keys and values quoted from readiness.yml are repository text: one line each, and no
        # workflow command key (a CI runner parses stderr too).
        print(safe_log_line(f"  {one_line(str(p))}"), file=sys.stderr)


def write_output(path: str, text: str) -> None:
    """Write ``text`` to ``path`` (``-`` for stdout), creating parent folders.

    Written atomically (temporary file + rename) so a crash never leaves half a report.
    """
    if path == "-":
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        return
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    tmp.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
    os.replace(tmp, target)
