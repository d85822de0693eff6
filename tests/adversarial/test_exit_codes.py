"""Promise 1: exit 0 only when ready, and no option turns an ``error`` green.

Exit codes (README, ``gate/cli/__init__.py``): 0 ready; 1 not ready (a required check failed or
could not run); 2 configuration or usage error; 3 the gate itself failed.

A check in ``error`` is made two real ways: a check that raises (``tests/check_doubles.py``,
registered in place of ``security-policy``) and a scanner that crashes (a fake detect-secrets
through ``READINESS_GATE_DETECT_SECRETS_BIN``). Then every option that could plausibly hide it
is tried — output formats and files, ``--only``/``--skip``, progress, colour, diff-aware mode, a
deferral naming the check, the GitHub entry point's inputs — and the exit code is never 0.

By design, one thing does turn an error into exit 0: ``level: advisory`` (or ``off``) for the
check in readiness.yml. An advisory check is reported, never blocks — so a team that marks a
check advisory has decided it does not gate the release. That is the documented meaning of the
level, and the test below pins it so it cannot change silently; a PR that lowers a level is a
policy weakening the GitHub entry point refuses without a base approver (``tests/github``).
"""

from __future__ import annotations

import contextlib
import io
import json
import stat
from pathlib import Path

import pytest
from gh_helpers import Runner
from helpers import git_init, write_tree
from servers.github import FakeGitHub

from gate.checks import registry
from gate.cli import main

GOOD = {"SECURITY.md": "# Security\n\nReport vulnerabilities to security@example.com.\n",
        ".github/dependabot.yml": "version: 2\nupdates:\n  - package-ecosystem: pip\n    directory: /\n"
                                  "    schedule: {interval: weekly}\n",
        "app.py": "x = 1\n"}
"""A repository on which security-policy, dependency-updates and secrets pass."""

CHEAP = "security-policy,dependency-updates"

DEFERRAL = """
version: 1
deferrals:
  - check: {check}
    reason: the scanner is being replaced this sprint, tracked with the platform team
    approved-by: "@lead"
    expires: "2026-12-31"
    ticket: OPS-1
"""


def _cli(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def raising(monkeypatch: pytest.MonkeyPatch) -> str:
    """security-policy raises an exception when run; returns its id."""
    monkeypatch.setitem(registry.CHECKS, "security-policy", "check_doubles:RaisingCheck")  # type: ignore[index]
    return "security-policy"


@pytest.fixture
def crashing(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    """detect-secrets segfaults mid-run, so ``secrets`` is in error; returns its id."""
    fake = tmp_path / "fake-detect-secrets"
    fake.write_text('#!/bin/sh\ncase "$*" in *--version*) echo 1.5.0; exit 0;; esac\nkill -SEGV $$\n')
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("READINESS_GATE_DETECT_SECRETS_BIN", str(fake))
    return "secrets"


OPTION_SETS = {
    "defaults": [],
    "json": ["--format", "json"],
    "markdown": ["--format", "markdown"],
    "sarif": ["--format", "sarif"],
    "all output files": ["--json-output", "{out}/r.json", "--sarif-output", "{out}/r.sarif",
                         "--markdown-output", "{out}/r.md", "--output", "{out}/r.txt"],
    "only the check": ["--only", "{check}"],
    "skip everything else": ["--skip", "{others}"],
    "progress and colour": ["--progress", "--color", "always"],
    "no progress": ["--no-progress", "--color", "never"],
    "diff-aware since HEAD": ["--changed-since", "HEAD"],
    "one job": ["--jobs", "1"],
    "a cache directory": ["--cache-dir", "{out}/cache"],
}
"""Command-line options that must never turn an ``error`` into exit 0."""


@pytest.mark.parametrize("options", sorted(OPTION_SETS))
@pytest.mark.parametrize("source", ["raising", "crashing"])
def test_an_error_never_exits_0_whatever_the_options(request: pytest.FixtureRequest, tmp_path: Path,
                                                     source: str, options: str) -> None:
    check = request.getfixturevalue(source)
    repo = write_tree(tmp_path / "repo", GOOD, dedent=False)
    git_init(repo)
    others = ",".join(c for c in registry.check_ids() if c != check)
    out = tmp_path / "out"
    argv = [a.format(check=check, others=others, out=out) for a in OPTION_SETS[options]]
    if "--only" not in argv and "--skip" not in argv:
        argv += ["--only", f"{check},{CHEAP}"]  # keep the run fast; the promise is about the error
    code, stdout, stderr = _cli(["check", str(repo), *argv])
    assert code == 1, (options, code, stderr[-1000:])


@pytest.mark.parametrize("source", ["raising", "crashing"])
def test_a_deferral_never_covers_an_error(request: pytest.FixtureRequest, tmp_path: Path, source: str) -> None:
    check = request.getfixturevalue(source)
    repo = write_tree(tmp_path / "repo", {**GOOD, "readiness.yml": DEFERRAL.format(check=check)}, dedent=False)
    code, stdout, _ = _cli(["check", str(repo), "--only", check, "--format", "json", "--today", "2026-11-21"])
    data = json.loads(stdout)
    status = {c["id"]: c["status"] for g in data["gates"] for c in g["checks"]}[check]
    assert (code, status, data["ready"]) == (1, "error", False)


@pytest.mark.parametrize(("level", "expected_code", "expected_status"), [
    ("required", 1, "error"),
    # By design: an advisory check is reported but never blocks, even in error.
    ("advisory", 0, "error"),
    # Off: not run at all; reported as skipped.
    ("off", 0, "skipped"),
])
def test_levels(raising: str, tmp_path: Path, level: str, expected_code: int, expected_status: str) -> None:
    repo = write_tree(tmp_path / "repo", {**GOOD, "readiness.yml": (
        f"version: 1\nchecks:\n  {raising}:\n    level: '{level}'\n")}, dedent=False)
    code, stdout, _ = _cli(["check", str(repo), "--only", CHEAP, "--format", "json"])
    data = json.loads(stdout)
    check = {c["id"]: c for g in data["gates"] for c in g["checks"]}[raising]
    assert (code, check["status"]) == (expected_code, expected_status)
    assert check["blocking"] is (expected_code == 1)
    if level == "advisory":
        assert data["ready"] is True and raising not in data["blocking"]


@pytest.mark.parametrize("inputs", [
    {},
    {"only": "security-policy"},
    {"mode": "auto"},
    {"annotations": "false", "comment": "false"},
    {"status": "check-run"},
    {"status": "none"},
    {"report-file": "r.json", "sarif-file": "r.sarif"},
])
def test_github_entry_point_never_exits_0_or_posts_success_on_an_error(raising: str, tmp_path: Path, gh: FakeGitHub,
                                                                      inputs: dict) -> None:
    runner = Runner(tmp_path, gh)
    runner.repo(GOOD)
    env = runner.env(runner.pr_event())
    env.update({f"INPUT_{k.upper()}": v for k, v in inputs.items()})
    run = runner.run(env)
    assert run.code == 1, run.stdout[-2000:]
    assert run.outputs()["ready"] == "false"
    with gh.lock:
        assert "success" not in [s["state"] for s in gh.state.statuses]
        assert "success" not in [r["conclusion"] for r in gh.state.check_runs]


@pytest.mark.parametrize("files", ["ready", "not ready", "error"])
@pytest.mark.parametrize("fmt", ["text", "json", "markdown", "sarif"])
def test_exit_0_exactly_when_the_report_says_ready(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                   files: str, fmt: str) -> None:
    if files == "error":
        monkeypatch.setitem(registry.CHECKS, "security-policy", "check_doubles:RaisingCheck")  # type: ignore[index]
    tree = GOOD if files != "not ready" else {**GOOD, "SECURITY.md": ""}
    repo = write_tree(tmp_path / "repo", tree, dedent=False)
    report = tmp_path / "r.json"
    code, _, _ = _cli(["check", str(repo), "--only", CHEAP, "--format", fmt, "--json-output", str(report)])
    ready = json.loads(report.read_text(encoding="utf-8"))["ready"]
    assert code in (0, 1)
    assert (code == 0) is ready is (files == "ready")
