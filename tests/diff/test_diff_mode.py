"""Diff-aware mode end to end: a real git repository with a base commit holding a pre-existing
secret and a branch adding a new one; the real secrets check (detect-secrets) and the runner's
new/pre-existing split and ``diff.pre-existing`` policy; the CLI's ref validation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from diff_repos import AWS_NEW, commit_all, git, make_repo
from helpers import TODAY, git_init, run_all, write_tree

from gate.checks.interface import RunOptions
from gate.cli import main
from gate.diff import changed_paths
from gate.model import Status

def diff_options(root: Path) -> RunOptions:
    return RunOptions(today=TODAY, changed_since="main", changed_paths=changed_paths(root, "main"))


def secrets_report(report):
    return next(c for c in report.checks if c.id == "secrets")


def test_new_finding_blocks_and_pre_existing_is_reported_not_blocking(tmp_path: Path) -> None:
    root = make_repo(tmp_path)
    report = run_all(root, options=diff_options(root), only=["secrets"])
    check = secrets_report(report)
    assert report.mode == "diff" and report.changed_since == "main"
    by_line = {(f.path, f.line): f for f in check.findings}
    assert set(p for p, _ in by_line) == {"app.py"}, "only changed files are scanned"
    new, old = by_line[("app.py", 6)], by_line[("app.py", 2)]
    assert new.new is True and new.blocking is True
    assert old.new is False and old.blocking is False
    assert check.status is Status.FAIL and not report.ready
    assert "pre-existing" in check.summary


def test_only_pre_existing_findings_pass_in_diff_mode(tmp_path: Path) -> None:
    root = make_repo(tmp_path, add_new_secret=False)
    report = run_all(root, options=diff_options(root), only=["secrets"])
    check = secrets_report(report)
    assert check.status is Status.PASS, check.summary
    assert report.ready
    assert check.findings and all(f.new is False and not f.blocking for f in check.findings)
    assert {f.line for f in check.findings} == {2}
    assert "pre-existing" in check.summary


def test_policy_block_makes_pre_existing_findings_block(tmp_path: Path) -> None:
    root = make_repo(tmp_path)
    config = "version: 1\ndiff:\n  pre-existing: block\n"
    report = run_all(root, config=config, options=diff_options(root), only=["secrets"])
    check = secrets_report(report)
    assert check.status is Status.FAIL
    assert check.findings and all(f.blocking for f in check.findings)
    assert {(f.line, f.new) for f in check.findings} == {(2, False), (6, True)}

    root2 = make_repo(tmp_path / "only-old", add_new_secret=False)
    report2 = run_all(root2, config=config, options=diff_options(root2), only=["secrets"])
    assert secrets_report(report2).status is Status.FAIL and not report2.ready


def test_unchanged_files_are_scanned_only_in_full_mode(tmp_path: Path) -> None:
    root = make_repo(tmp_path)
    full = secrets_report(run_all(root, only=["secrets"]))
    diff = secrets_report(run_all(root, options=diff_options(root), only=["secrets"]))
    assert "untouched.py" in {f.path for f in full.findings}
    assert "untouched.py" not in {f.path for f in diff.findings}
    assert all(f.new is None and f.blocking for f in full.findings), "full scans do not mark findings"


def test_uncommitted_and_untracked_changes_count(tmp_path: Path) -> None:
    root = make_repo(tmp_path, add_new_secret=False)
    write_tree(root, {"scratch.py": f'import os\nK = "{AWS_NEW}"\n'})  # untracked: every line new
    report = run_all(root, options=diff_options(root), only=["secrets"])
    check = secrets_report(report)
    found = {(f.path, f.line, f.new, f.blocking) for f in check.findings}
    assert ("scratch.py", 2, True, True) in found
    assert ("app.py", 2, False, False) in found
    assert check.status is Status.FAIL


def test_unknown_ref_in_the_runner_fails_closed(tmp_path: Path) -> None:
    # Changed paths given but the ref cannot be resolved for a comparison: everything is new.
    root = make_repo(tmp_path)
    opts = RunOptions(today=TODAY, changed_since="no-such-ref", changed_paths=frozenset({"app.py"}))
    report = run_all(root, options=opts, only=["secrets"])
    check = secrets_report(report)
    assert check.findings and all(f.new is True and f.blocking for f in check.findings)
    assert any("compare with the base versions" in w for w in report.warnings)


def test_cli_diff_mode_json_and_text(tmp_path: Path, capsys) -> None:
    root = make_repo(tmp_path)
    out = tmp_path / "report.json"
    code = main(["check", str(root), "--only", "secrets", "--changed-since", "main",
                 "--format", "text", "--json-output", str(out), "--color", "never", "--no-progress", "--verbose"])
    assert code == 1
    text = capsys.readouterr().out
    assert "diff-aware scan since main" in text
    assert "[new]" in text and "[pre-existing]" in text
    doc = json.loads(out.read_text())
    assert doc["mode"] == "diff" and doc["changed_since"] == "main"
    findings = next(c for g in doc["gates"] for c in g["checks"] if c["id"] == "secrets")["findings"]
    assert sorted((f["line"], f["new"], f["blocking"]) for f in findings) == [(2, False, False), (6, True, True)]


def test_cli_unknown_ref_is_a_usage_error_with_gits_message(tmp_path: Path, capsys) -> None:
    root = make_repo(tmp_path)
    code = main(["check", str(root), "--changed-since", "no-such-branch"])
    assert code == 2
    err = capsys.readouterr().err
    assert "--changed-since" in err and "no-such-branch" in err
    assert "Not a valid object name" in err or "not a valid" in err.lower()


@pytest.mark.parametrize("ref", ["--output=/tmp/x", "-h", "--upload-pack=touch pwned"])
def test_cli_refuses_refs_that_look_like_options(tmp_path: Path, capsys, ref: str) -> None:
    root = make_repo(tmp_path)
    code = main(["check", str(root), f"--changed-since={ref}"])
    assert code == 2
    assert "may not start with '-'" in capsys.readouterr().err
    assert not (root / "pwned").exists()


def test_patterns_checks_are_diff_aware_too(tmp_path: Path) -> None:
    # insecure-patterns (real semgrep): an untouched file's finding is not reported in diff mode;
    # in a changed file the old finding is pre-existing and the added one is new.
    call = "requests.get(url, verify=False, timeout=5)"
    write_tree(tmp_path, {
        "svc/app.py": f"import requests\n\ndef old(url):\n    return {call}\n",
        "svc/untouched.py": f"import requests\n\ndef f(url):\n    return {call}\n",
    })
    git_init(tmp_path)
    git(tmp_path, "checkout", "-q", "-b", "feature")
    with open(tmp_path / "svc/app.py", "a", encoding="utf-8") as fh:
        fh.write(f"\n\ndef new(url):\n    return {call}\n")
    commit_all(tmp_path, "feature")
    only = ["insecure-patterns"]
    full = next(c for c in run_all(tmp_path, only=only).checks if c.id == "insecure-patterns")
    assert {(f.path, f.line) for f in full.findings if f.rule == "tls-verify-disabled"} == {
        ("svc/app.py", 4), ("svc/app.py", 8), ("svc/untouched.py", 4)}
    report = run_all(tmp_path, options=diff_options(tmp_path), only=only)
    diff = next(c for c in report.checks if c.id == "insecure-patterns")
    found = {(f.path, f.line, f.new, f.blocking) for f in diff.findings if f.rule == "tls-verify-disabled"}
    assert found == {("svc/app.py", 4, False, False), ("svc/app.py", 8, True, True)}
    assert diff.status is Status.FAIL


def test_markdown_comment_mentions_pre_existing_findings_of_passing_checks(tmp_path: Path, capsys) -> None:
    root = make_repo(tmp_path, add_new_secret=False)
    code = main(["check", str(root), "--only", "secrets", "--changed-since", "main", "--format", "markdown",
                 "--no-progress"])
    assert code == 0
    out = capsys.readouterr().out
    assert "diff-aware scan · 1 pre-existing finding in changed files not blocking" in out
    assert "AKIA" not in out
