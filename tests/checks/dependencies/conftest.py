"""Fixtures for the ``dependencies`` tests: a loopback OSV server and fake pip-audit binaries.

The OSV server is real HTTP on 127.0.0.1 (``tests/servers/osv.py``) serving the real records of
``tests/data/osv/``; the real pip-audit is pointed at it. Fake pip-audit executables (selected
with ``READINESS_GATE_PIP_AUDIT_BIN``, the wrapper's documented override) exercise the failure
paths a real pip-audit cannot be made to take on demand.
"""

from __future__ import annotations

import stat
import sys
import textwrap
from pathlib import Path
from typing import Callable, Iterator, Optional

import pytest

from gate.checks.interface import RunOptions
from gate.model import CheckResult
from helpers import TODAY, run_check
from servers.osv import OsvServer


@pytest.fixture
def osv() -> Iterator[OsvServer]:
    """A running OSV API server with every record of tests/data/osv; stopped after the test."""
    with OsvServer.from_directory() as server:
        yield server


def _audit(root: Path, osv: Optional[OsvServer] = None, *, config: Optional[str] = None,
           osv_url: Optional[str] = None) -> CheckResult:
    """Run the ``dependencies`` check on ``root`` against ``osv`` (its base URL as --osv-url)."""
    url = osv_url if osv_url is not None else (osv.base_url if osv is not None else None)
    return run_check("dependencies", root, config=config, options=RunOptions(today=TODAY, osv_url=url))


@pytest.fixture
def audit() -> Callable[..., CheckResult]:
    """``audit(root, osv=None, *, config=None, osv_url=None)``: run the check, return its result."""
    return _audit


FAKE_PREAMBLE = """\
#!{python}
import json, os, sys, time
if "--version" in sys.argv or "-V" in sys.argv:
    print("pip-audit 2.10.1 (fake)")
    sys.exit(0)
args = sys.argv[1:]
req = args[args.index("--requirement") + 1] if "--requirement" in args else None
pins = [l.strip().split("==") for l in open(req)] if req else []
log = os.environ.get("FAKE_PIP_AUDIT_LOG")
if log:
    with open(log, "a") as fh:
        fh.write(json.dumps({{"argv": args, "cwd": os.getcwd(), "requirements": open(req).read() if req else None}}) + "\\n")
"""


def _install_fake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, body: str) -> Path:
    """Install a fake pip-audit whose behaviour after the preamble is ``body`` (Python).

    The preamble answers ``--version``, reads the requirements file into ``pins``
    (``[[name, version], ...]``) and, when ``FAKE_PIP_AUDIT_LOG`` is set, appends its argv,
    working directory and requirements text to that file as one JSON line.
    """
    path = tmp_path / "fake-bin" / "pip-audit"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(FAKE_PREAMBLE.format(python=sys.executable) + textwrap.dedent(body), encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    monkeypatch.setenv("READINESS_GATE_PIP_AUDIT_BIN", str(path))
    return path


@pytest.fixture
def fake_pip_audit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[str], Path]:
    """``fake_pip_audit(body)``: install a fake pip-audit for this test (see :func:`_install_fake`)."""
    return lambda body: _install_fake(tmp_path, monkeypatch, body)
