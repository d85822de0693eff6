"""Fixtures for the result cache tests: the real semgrep behind a wrapper that logs what it was
handed (``READINESS_GATE_SEMGREP_BIN``, the documented override of :mod:`gate.scanners.process`)."""

from __future__ import annotations

import stat
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # semgrep_log

from gate.scanners.process import find_tool


@pytest.fixture
def logged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The log file the wrapped semgrep appends its arguments to (one per line)."""
    real = find_tool("semgrep")
    assert real, "semgrep must be installed for these tests"
    log = tmp_path / "semgrep-args.log"
    wrapper = tmp_path / "semgrep-wrapper"
    wrapper.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" >> "{log}"\nexec "{real}" "$@"\n', encoding="utf-8")
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("READINESS_GATE_SEMGREP_BIN", str(wrapper))
    return log
