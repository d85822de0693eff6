"""The Action shows "Changes since the base branch" with no baseline file: it re-runs the evidence
checks on the pull request's base commit (a git worktree through the hardened git wrapper).

Against the loopback GitHub API (``tests/servers/github.py``) and a real git repository: the
base commit is the ready example; the pull request deletes its runbooks.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from gh_helpers import Runner
from helpers import git_init
from servers.github import FakeGitHub

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
ONLY = "runbooks,ownership,security-policy,secrets"


def bot_comments_of(gh: FakeGitHub, number: int = 7) -> list[dict]:
    return [c for c in gh.comments(number) if c["user"]["login"] == "github-actions[bot]"]


def _git(repo: Path, *args: str) -> str:
    env_args = ["-c", "user.name=t", "-c", "user.email=t@example.com"]
    return subprocess.run(["git", *env_args, "-C", str(repo), *args], capture_output=True, text=True,
                          check=True).stdout.strip()


def _pr_deleting_the_runbooks(runner: Runner) -> tuple[str, str]:
    shutil.copytree(EXAMPLES / "ready-service", runner.workspace, dirs_exist_ok=True)
    git_init(runner.workspace)
    base = _git(runner.workspace, "rev-parse", "HEAD")
    shutil.rmtree(runner.workspace / "docs" / "runbooks")
    _git(runner.workspace, "add", "-A")
    _git(runner.workspace, "commit", "-q", "-m", "remove the runbooks")
    return base, _git(runner.workspace, "rev-parse", "HEAD")


def test_a_pr_deleting_the_runbooks_shows_pass_to_fail_without_a_baseline(tmp_path: Path) -> None:
    with FakeGitHub() as gh:
        runner = Runner(tmp_path, gh)
        base, head = _pr_deleting_the_runbooks(runner)
        worktrees_before = _git(runner.workspace, "worktree", "list", "--porcelain")
        env = runner.env(runner.pr_event(base=base, head=head), mode="auto", report_file="report.json", only=ONLY)
        run = runner.run(env)
        comments = bot_comments_of(gh)
    assert run.code == 1, run.stdout
    body = comments[0]["body"]
    assert body.index("### Changes since the base branch") < body.index("## ❌ Not ready")
    assert "- ❌ runbooks: pass → fail" in body and "drops on-call from pass to fail" in body
    assert "Not re-run on the base: secrets" in body
    assert "- ❌ runbooks: pass → fail" in run.summary
    doc = json.loads((runner.workspace / "report.json").read_text())
    delta = doc["delta"]
    assert delta["source"] == "base-commit" and delta["base_commit"] == base
    assert [(c["id"], c["before"], c["after"]) for c in delta["checks"]] == [("runbooks", "pass", "fail")]
    assert delta["not_compared"] == ["secrets"]
    # The base work tree is gone, and nothing was left in the workspace.
    assert _git(runner.workspace, "worktree", "list", "--porcelain") == worktrees_before
    assert _git(runner.workspace, "status", "--porcelain") == "?? report.json"


def test_no_hook_or_filter_of_the_checkout_runs_for_the_base(tmp_path: Path) -> None:
    with FakeGitHub() as gh:
        runner = Runner(tmp_path, gh)
        base, head = _pr_deleting_the_runbooks(runner)
        proof = tmp_path / "ran"
        hooks = runner.workspace / ".git" / "hooks"
        for hook in ("post-checkout", "reference-transaction", "post-index-change"):
            (hooks / hook).write_text(f"#!/bin/sh\ntouch {proof}-{hook}\n")
            (hooks / hook).chmod(0o755)
        _git(runner.workspace, "config", "filter.evil.smudge", f"touch {proof}-smudge; cat")
        _git(runner.workspace, "config", "filter.evil.process", f"touch {proof}-process")
        (runner.workspace / ".git" / "info").mkdir(exist_ok=True)
        (runner.workspace / ".git" / "info" / "attributes").write_text("* filter=evil\n")
        run = runner.run(runner.env(runner.pr_event(base=base, head=head), mode="full", only=ONLY))
        comments = bot_comments_of(gh)
    assert "- ❌ runbooks: pass → fail" in comments[0]["body"], run.stdout
    assert list(tmp_path.glob("ran*")) == []


def test_a_shallow_checkout_says_how_to_get_the_delta(tmp_path: Path) -> None:
    with FakeGitHub() as gh:
        runner = Runner(tmp_path, gh)
        _, head = _pr_deleting_the_runbooks(runner)
        run = runner.run(runner.env(runner.pr_event(base="e" * 40, head=head), mode="full", only=ONLY))
        comments = bot_comments_of(gh)
    assert run.code == 1
    assert "Changes since the base branch" not in comments[0]["body"]
    assert any("fetch-depth: 0" in line and "changes since the base branch" in line
               for line in run.stdout.splitlines() if line.startswith("::warning::"))
