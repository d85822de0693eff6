"""pip-audit's start-up question about pip (pip_api runs ``python -m pip --version`` on import)
is answered by a stub that says what pip itself says, and only when that is known."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from gate.scanners import pip_audit


def test_the_stub_answers_what_pip_answers(tmp_path: Path) -> None:
    env = pip_audit.pip_version_answer(str(tmp_path))
    if not env:
        pytest.skip("pip-audit is not this environment's own console script, or pip is absent")
    stub = env["PIPAPI_PYTHON_LOCATION"]
    real = subprocess.run([sys.executable, "-m", "pip", "--version"], capture_output=True, text=True, timeout=60)
    said = subprocess.run([stub, "-m", "pip", "--version"], capture_output=True, text=True, timeout=60)
    # pip_api keeps only the second word: result.split(" ")[1]
    assert said.stdout.split(" ")[1] == real.stdout.split(" ")[1]


def test_pip_audit_runs_with_the_stub_and_never_starts_pip(tmp_path: Path) -> None:
    """pip-audit, started as the gate starts it, imports pip_api without a pip process."""
    env = pip_audit.pip_version_answer(str(tmp_path))
    if not env:
        pytest.skip("no stub in this environment")
    code = ("import subprocess\nreal = subprocess.check_output\ncalls = []\n"
            "def spy(args, *a, **k):\n    calls.append(list(args))\n    return real(args, *a, **k)\n"
            "subprocess.check_output = spy\nimport pip_audit._cli\n"
            "print([c[1:] for c in calls])\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         env={**__import__("os").environ, **env})
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "[['-m', 'pip', '--version']]"  # asked once, answered by the stub


def test_no_stub_for_an_overridden_pip_audit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("READINESS_GATE_PIP_AUDIT_BIN", sys.executable)
    assert pip_audit.pip_version_answer(str(tmp_path)) == {}


def test_no_stub_when_the_variable_is_already_set(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PIPAPI_PYTHON_LOCATION", sys.executable)
    assert pip_audit.pip_version_answer(str(tmp_path)) == {}
