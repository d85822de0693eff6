"""Promise 1 under failure: nothing that cannot run ever reads as ready (``docs/threats.md``
rows 10 and 11).

Two tables, each row one test:

* :data:`SCANNER_FAILURES` x :data:`SCANNERS`: each external scanner is replaced (through its
  documented ``READINESS_GATE_<TOOL>_BIN`` override) by a fake that exits 2, segfaults, hangs
  past a short timeout set in readiness.yml, prints nothing, prints malformed JSON, exits 0 with
  an ``errors`` / garbage payload, or is missing. Each runs through the CLI (``--only`` the
  affected check, so it is fast) and through the GitHub entry point against the loopback fake
  GitHub: the check is ``error``, the exit code is 1 (never 0), and no ``success`` commit status
  or check-run conclusion is ever posted.
* :data:`API_FAULTS`: the GitHub API failing in each way of THREATS row 10 (5xx, 5xx after the
  write was applied, 403 + ``Retry-After``, secondary and primary rate limits, timeouts,
  forbidden) on each endpoint the entry point uses, persistently. For a not-ready repository
  no combination exits 0 or posts ``success``; for a ready one :data:`READY_OUTCOMES` is the
  reference of what each failure yields.
"""

from __future__ import annotations

import dataclasses
import io
import json
import stat
from pathlib import Path

import pytest
from gh_helpers import FAST, NOT_READY_FILES, READY_FILES, Run, Runner
from helpers import TODAY, write_tree
from servers.github import FakeGitHub

from gate.cli import main
from gate.github.action import run_action

# ------------------------------------------------------------------------------ scanners

_SEMGREP_ERRORS = json.dumps({"version": "1.182.0", "results": [], "paths": {"scanned": ["app/main.py"]},
                              "errors": [{"code": 2, "level": "error", "type": "Fatal error",
                                          "message": "Invalid rule schema"}]})
_DETECT_SECRETS_GARBAGE = json.dumps({"version": "1.5.0", "results": {"app/main.py": "not a list"},
                                      "plugins_used": []})
# pip-audit has no errors[] field; its garbage is a wrong shape. (A dependency it skips, with
# ``skip_reason``, is a documented answer: that makes the check *fail* as unauditable, THREATS
# row 6, which tests/checks/dependencies covers.)
_PIP_AUDIT_GARBAGE = json.dumps({"dependencies": {"requests": "2.31.0"}, "errors": ["resolution failed"]})

SCANNERS = {
    # tool: (check run with --only, readiness.yml block setting a short timeout, "errors" payload)
    "semgrep": ("insecure-patterns", "insecure-patterns:\n    timeout: 2\n  error-handling:\n    timeout: 2\n",
                _SEMGREP_ERRORS),
    "detect-secrets": ("secrets", "secrets:\n    timeout: 2\n", _DETECT_SECRETS_GARBAGE),
    "pip-audit": ("dependencies", "dependencies:\n    timeout: 2\n", _PIP_AUDIT_GARBAGE),
}
"""Each external scanner and the check that runs it."""

SCANNER_FAILURES = {
    "exit-2": "echo 'usage error' >&2; exit 2",
    "segfault": "kill -SEGV $$",
    "hang-past-timeout": "sleep 30",
    "prints-nothing": "exit 0",
    "malformed-json": "echo '{\"results\": [oops'; exit 0",
    "exit-0-with-errors-payload": "cat <<'EOF'\n{payload}\nEOF\nexit 0",
    "missing-binary": None,
}
"""Failure -> shell body of the fake (``{payload}`` is the tool's errors/garbage JSON); None:
the override points at a path that does not exist."""

REPO = {
    "app/main.py": "import requests\n\n\ndef fetch(url):\n    return requests.get(url, timeout=5)\n",
    "requirements.txt": "requests==2.31.0\n",
    "SECURITY.md": "# Security\n\nReport vulnerabilities to security@example.com.\n",
}


def _fake(tmp_path: Path, tool: str, failure: str) -> str:
    body = SCANNER_FAILURES[failure]
    if body is None:
        return str(tmp_path / f"no-such-{tool}")
    path = tmp_path / f"fake-{tool}"
    # --version answers, so the failure happens in the scan itself, not the version probe.
    path.write_text("#!/bin/sh\n"
                    'case "$*" in *--version*) echo "9.9.9"; exit 0;; esac\n'
                    + body.replace("{payload}", SCANNERS[tool][2]) + "\n", encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


def _config(tool: str) -> str:
    return "version: 1\nchecks:\n  " + SCANNERS[tool][1]


@pytest.mark.parametrize("failure", sorted(SCANNER_FAILURES))
@pytest.mark.parametrize("tool", sorted(SCANNERS))
def test_scanner_failure_is_error_and_never_ready(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str], gh: FakeGitHub,
                                                  tool: str, failure: str) -> None:
    check = SCANNERS[tool][0]
    monkeypatch.setenv(f"READINESS_GATE_{tool.upper().replace('-', '_')}_BIN", _fake(tmp_path, tool, failure))
    repo = write_tree(tmp_path / "repo", {**REPO, "readiness.yml": _config(tool)}, dedent=False)

    # The CLI.
    code = main(["check", str(repo), "--only", check, "--format", "json", "--osv-url", "http://127.0.0.1:9"])
    data = json.loads(capsys.readouterr().out)
    status = {c["id"]: c for g in data["gates"] for c in g["checks"]}[check]
    assert status["status"] == "error", (tool, failure, status["summary"])
    assert code == 1 and data["ready"] is False
    assert tool in status["summary"], "the error must name the scanner"

    # The GitHub entry point, commit status and check run.
    (tmp_path / "gh").mkdir()
    runner = Runner(tmp_path / "gh", gh)
    runner.repo({**REPO, "readiness.yml": _config(tool)})
    for kind in ("commit-status", "check-run"):
        run = runner.run(runner.env(runner.pr_event(), only=check, status=kind, osv_url="http://127.0.0.1:9"))
        assert run.code == 1, run.stdout[-2000:]
        assert run.outputs()["ready"] == "false" and check in run.outputs()["failing-checks"]
    with gh.lock:
        # A check that could not run makes the commit status `error` (not merely `failure`).
        assert [s["state"] for s in gh.state.statuses] == ["error"]
        assert [r["conclusion"] for r in gh.state.check_runs] == ["failure"]


# ------------------------------------------------------------------------------ GitHub API

API_KINDS = ("502", "502-after", "retry-after", "secondary", "primary", "slow")
"""THREATS row 10's failures, as the fake GitHub injects them (see tests/servers/github.py)."""

ENDPOINTS = {
    "every-read": ("GET", r"."),
    "every-write": ("POST", r"."),
    "comment-list": ("GET", r"/issues/\d+/comments$"),
    "comment-create": ("POST", r"/issues/\d+/comments$"),
    "status-create": ("POST", r"/statuses/"),
}
"""Where the fault is injected: (method, path regex)."""


QUICK = dataclasses.replace(FAST, secondary_wait=0.05, budget=5.0)
"""The same retry code paths as production with waits short enough for a 30-row table (the
request timeout stays 1 s: PyGithub takes whole seconds and the client floors it at 1)."""


def _run_with_fault(tmp_path: Path, gh: FakeGitHub, files: dict, kind: str, endpoint: str) -> tuple[Run, list[str]]:
    runner = Runner(tmp_path, gh)
    runner.repo(files)
    method, path = ENDPOINTS[endpoint]
    gh.fault(method, path, kind, times=1000, delay=1.5)  # persistent; 1.5 s > the 1 s client timeout
    env = runner.env(runner.pr_event())
    out = io.StringIO()
    code = run_action(env, stdout=out, policy=QUICK, today=TODAY)
    run = Run(code, out.getvalue(), Path(env["GITHUB_OUTPUT"]), Path(env["GITHUB_STEP_SUMMARY"]), runner.workspace)
    with gh.lock:
        states = [s["state"] for s in gh.state.statuses]
    return run, states


@pytest.mark.parametrize("endpoint", sorted(ENDPOINTS))
@pytest.mark.parametrize("kind", API_KINDS)
def test_api_failure_never_turns_not_ready_green(tmp_path: Path, gh: FakeGitHub, kind: str, endpoint: str) -> None:
    run, states = _run_with_fault(tmp_path, gh, NOT_READY_FILES, kind, endpoint)
    assert run.code in (1, 3), (kind, endpoint, run.code)
    assert "success" not in states, (kind, endpoint, states)
    assert run.outputs()["ready"] == "false"


READY_OUTCOMES = {
    # (kind, endpoint): (exit code, commit statuses the fake recorded, in order)
    ("502", "every-read"): (3, ["error"]),
    ("502", "every-write"): (3, []),
    ("502", "comment-list"): (3, ["error"]),
    ("502", "comment-create"): (3, ["error"]),
    ("502", "status-create"): (3, []),
    # The write is applied, then 502: the duplicate-safe create finds its comment; the status
    # create is applied every time but never confirmed, so the run still exits 3.
    ("502-after", "comment-create"): (0, ["success"]),
    ("502-after", "status-create"): (3, ["success", "..."]),
    ("retry-after", "comment-list"): (3, ["error"]),
    ("retry-after", "comment-create"): (3, ["error"]),
    ("retry-after", "status-create"): (3, []),
    # An exhausted rate limit is a failure to publish, never mistaken for a fork's read-only
    # token (which would skip the comment and exit 0): bug found by this suite, fixed in
    # gate/github/api.py (_wrap).
    ("secondary", "comment-list"): (3, ["error"]),
    ("secondary", "comment-create"): (3, ["error"]),
    ("primary", "comment-list"): (3, ["error"]),
    ("primary", "every-read"): (3, ["error"]),
    # A timed-out read of the comments cannot be told from "no comment": error, not a duplicate.
    ("slow", "comment-list"): (3, ["error"]),
    # The create timed out but was stored: the retry finds it (one comment), status success.
    ("slow", "comment-create"): (0, ["success"]),
    # Known limit: a status write that times out client-side is still applied by GitHub, so
    # the true verdict ("success") is recorded while the run reports the failure (exit 3).
    ("slow", "status-create"): (3, ["success", "..."]),
}
"""Reference: a ready repository's outcome for each persistent API failure. ``"..."`` after a
state: that state one or more times (how many retries land before the client gives up depends
on timing)."""


@pytest.mark.parametrize(("kind", "endpoint"), sorted(READY_OUTCOMES))
def test_api_failure_outcomes_for_a_ready_repository(tmp_path: Path, gh: FakeGitHub, kind: str, endpoint: str) -> None:
    code, expected_states = READY_OUTCOMES[(kind, endpoint)]
    run, states = _run_with_fault(tmp_path, gh, READY_FILES, kind, endpoint)
    if expected_states[-1:] == ["..."]:
        assert run.code == code and states and set(states) == {expected_states[0]}, (run.code, states)
    else:
        assert (run.code, states) == (code, expected_states), run.stdout[-2000:]
    assert run.outputs()["ready"] == "true", "the verdict itself is always reported"
    ours = [c for c in gh.comments(7) if c["user"]["type"] == "Bot"]
    assert len(ours) <= 1, "a retried create posted a duplicate comment"
    if code != 0:
        assert any(line.startswith("::error::") for line in run.stdout.splitlines()), "the failure must be said"
