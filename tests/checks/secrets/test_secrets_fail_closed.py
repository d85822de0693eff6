"""Every way detect-secrets can fail leaves the check ``error`` (never ``pass``), with a message
that says what happened and what to do (``docs/threats.md`` row 11).

Fake scanners are small shell scripts substituted with ``READINESS_GATE_DETECT_SECRETS_BIN``.
"""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from helpers import run_all, run_check, write_tree

from gate.model import Status

VALID_PLUGINS = [{"name": n} for n in (
    "GitHubFineGrainedTokenDetector", "OpenAIProjectKeyDetector", "AnthropicKeyDetector",
    "SlackAppTokenDetector", "GoogleApiKeyDetector", "EncryptedPrivateKeyDetector",
    "GitHubTokenDetector_", "GitLabTokenDetector_")]


def _fake(tmp_path: Path, body: str) -> str:
    path = tmp_path / "fake-detect-secrets"
    path.write_text("#!/bin/sh\n" + body + "\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


def _json(obj) -> str:
    return "cat <<'EOF'\n" + json.dumps(obj) + "\nEOF"


CASES = {
    "exit-2": ("echo 'error: unrecognized arguments' >&2; exit 2", "exited with status 2"),
    "segfault": ("kill -SEGV $$", "killed by signal SIGSEGV"),
    "hang": ("sleep 30", "timed out after 1 s"),
    "prints-nothing": ("exit 0", "printed nothing"),
    "malformed-json": ("echo '{\"version\": \"1.5.0\", \"results\": {'", "not valid JSON"),
    "json-array": ("echo '[]'", "not an object"),
    "missing-keys": (_json({"version": "1.5.0"}), "without 'version', 'plugins_used' and 'results'"),
    "plugins-not-loaded": (_json({"version": "1.5.0", "plugins_used": [{"name": "AWSKeyDetector"}],
                                  "results": {}}), "did not load readiness-gate's detectors"),
    "unknown-file": (_json({"version": "1.5.0", "plugins_used": VALID_PLUGINS,
                            "results": {"/etc/passwd": []}}), "reported a file that was not given"),
    "bad-entry": (_json({"version": "1.5.0", "plugins_used": VALID_PLUGINS,
                         "results": {".readiness-gate-canary.py": [{"type": "X", "line_number": "1"}]}}),
                  "without type"),
    # Valid output that detects nothing: the planted canary secret is missing.
    "detects-nothing": (_json({"version": "1.5.0", "plugins_used": VALID_PLUGINS, "results": {}}),
                        "did not detect the canary"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_fake_scanner_failure_is_error(tmp_path: Path, monkeypatch, case: str) -> None:
    script, expected = CASES[case]
    monkeypatch.setenv("READINESS_GATE_DETECT_SECRETS_BIN", _fake(tmp_path, script))
    repo = write_tree(tmp_path / "repo", {"app.py": "x = 1\n"})
    result = run_check("secrets", repo, config="version: 1\nchecks:\n  secrets:\n    timeout: 1\n")
    assert result.status is Status.ERROR, (case, result)
    assert result.summary.startswith("The secret scan could not run: detect-secrets")
    assert expected in result.summary, result.summary


def test_missing_binary_is_error_naming_the_fix(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("READINESS_GATE_DETECT_SECRETS_BIN", str(tmp_path / "does-not-exist"))
    repo = write_tree(tmp_path / "repo", {"app.py": "x = 1\n"})
    result = run_check("secrets", repo)
    assert result.status is Status.ERROR
    assert "executable not found" in result.summary
    assert "pip install" in result.summary and "READINESS_GATE_DETECT_SECRETS_BIN" in result.summary


def test_scanner_error_makes_the_gate_not_ready(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("READINESS_GATE_DETECT_SECRETS_BIN", _fake(tmp_path, "exit 0"))
    repo = write_tree(tmp_path / "repo", {"app.py": "x = 1\n"})
    report = run_all(repo, only=["secrets"])
    check = [c for gate in report.gates for c in gate.checks if c.id == "secrets"][0]
    assert check.status is Status.ERROR and check.blocking
    assert not report.ready


def test_failing_planning_worker_is_error(tmp_path: Path, monkeypatch) -> None:
    # Large trees are planned by worker processes started through run_tool; one that fails
    # (here: this interpreter replaced by a script that exits 1) is an error, not a silent skip.
    import os
    import sys

    from gate.checks.interface import RunOptions
    from gate.scanners.process import env_var_for
    from gate.secrets import engine

    from helpers import TODAY

    monkeypatch.setattr(engine, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setenv(env_var_for(os.path.basename(sys.executable)), _fake(tmp_path, "exit 1"))
    repo = write_tree(tmp_path / "repo", {"a.py": "password = 'x1'\n", "b.py": "x = 1\n"})
    result = run_check("secrets", repo, options=RunOptions(today=TODAY, jobs=2))
    assert result.status is Status.ERROR and "exited with status 1" in result.summary
