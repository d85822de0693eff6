"""What the wrapped semgrep of the ``logged`` fixture (``conftest.py``) was handed."""

from __future__ import annotations

from pathlib import Path


def scanned(log: Path) -> list[str]:
    """Targets semgrep was handed since the last call (and empty the log)."""
    if not log.exists():
        return []
    args = log.read_text(encoding="utf-8").splitlines()
    log.unlink()
    return sorted({a[2:] for a in args if a.startswith("./")})
