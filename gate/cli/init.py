"""``readiness-gate init [PATH]``: write a commented starter readiness.yml and a runbook template.

Never overwrites: an existing file is kept and reported.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from gate.exitcodes import UsageError
from gate.resources import policy_file

HELP = "Write a commented starter readiness.yml and a runbook template (never overwrites)."

FILES = (
    ("readiness.yml", ("init", "readiness.yml")),
    ("docs/runbooks/_template.md", ("init", "runbook-template.md")),
)
"""Destination (relative to PATH) -> source under ``policies/``."""


def add_arguments(p: argparse.ArgumentParser) -> None:
    """``PATH`` is the repository root."""
    p.add_argument("path", nargs="?", default=".", help="repository root (default: .)")


def run(args: argparse.Namespace) -> int:
    """Write the files that do not exist yet; exit 0 (2 when PATH is not a directory)."""
    root = Path(args.path)
    if not root.is_dir():
        raise UsageError(f"{args.path}: not a directory")
    for dest, src in FILES:
        target = root / dest
        if os.path.lexists(target):
            print(f"kept existing {dest} (init never overwrites)")
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        # O_EXCL: fail rather than overwrite if the file appeared meanwhile.
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(policy_file(*src).read_text(encoding="utf-8"))
        print(f"wrote {dest}")
    print("next: edit readiness.yml, then run `readiness-gate validate` and `readiness-gate check`")
    return 0
