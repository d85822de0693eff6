"""Exit codes of every readiness-gate entry point, and the usage error that maps to code 2.

A leaf module (standard library only) so that the CLI, the GitHub Action and anything else
that ends a run use the same numbers (README "Exit codes", ``docs/threats.md`` promise 1):

* :data:`EXIT_READY` (0) — ready;
* :data:`EXIT_NOT_READY` (1) — not ready: a required check failed or could not run (``error``);
* :data:`EXIT_USAGE` (2) — configuration or usage error (readiness.yml invalid, unknown check
  id, bad option or action input);
* :data:`EXIT_INTERNAL` (3) — the gate itself (or its publishing) failed.

Only :data:`EXIT_READY` ever goes with a ``success`` status.
"""

from __future__ import annotations

EXIT_READY = 0
EXIT_NOT_READY = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3


class UsageError(Exception):
    """A usage problem (bad option or input value, unknown check id); the message is printed and
    the exit code is :data:`EXIT_USAGE`."""
