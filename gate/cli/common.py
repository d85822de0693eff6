"""Helpers shared by subcommands: printing configuration errors."""

from __future__ import annotations

import sys

from gate.config import ConfigError
from gate.render.escape import one_line, safe_log_line


def print_config_error(exc: ConfigError) -> None:
    """Print each problem of a ConfigError on its own line to stderr."""
    print("readiness-gate: configuration error:", file=sys.stderr)
    for p in exc.problems:
        # Keys and values quoted from readiness.yml are repository text: one line each, and no
        # workflow command key (a CI runner parses stderr too).
        print(safe_log_line(f"  {one_line(str(p))}"), file=sys.stderr)
