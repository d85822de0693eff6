"""Tests for the ``ownership`` check: owners in readiness.yml and CODEOWNERS coverage/syntax."""

from __future__ import annotations

import os
from pathlib import Path

from helpers import run_check, write_tree

from gate.checks.ownership import parse_codeowners
from gate.model import Status

CONFIG = 'version: 1\nowners: ["@acme/payments", "oncall@example.com"]\n'


def rules(result) -> list[tuple[str, str | None, int | None]]:
    return [(f.rule, f.path, f.line) for f in result.findings]


def test_owners_and_catch_all_pass(tmp_path: Path) -> None:
    write_tree(tmp_path, {".github/CODEOWNERS": "# owners\n* @acme/payments  # default\n/docs/ docs@example.com\n"})
    result = run_check("ownership", tmp_path, config=CONFIG)
    assert result.status is Status.PASS, result.findings
    assert ".github/CODEOWNERS:2 `*` -> @acme/payments" in result.evidence
    assert "owners: @acme/payments, oncall@example.com" in result.evidence


def test_github_search_order_first_found_wins(tmp_path: Path) -> None:
    # .github/CODEOWNERS is read first; the root file (which would pass) is ignored.
    write_tree(tmp_path, {".github/CODEOWNERS": "/src/ @acme/dev\n", "CODEOWNERS": "* @acme/all\n"})
    result = run_check("ownership", tmp_path, config=CONFIG)
    assert rules(result) == [("codeowners-partial-coverage", ".github/CODEOWNERS", None)]
    assert "`/src/`" in result.findings[0].message
    assert "CODEOWNERS ignored: GitHub uses .github/CODEOWNERS" in result.evidence


def test_docs_codeowners_and_slash_pattern(tmp_path: Path) -> None:
    write_tree(tmp_path, {"docs/CODEOWNERS": "/** @octocat\n"})
    assert run_check("ownership", tmp_path, config=CONFIG).status is Status.PASS


def test_no_readiness_yml_is_a_finding(tmp_path: Path) -> None:
    write_tree(tmp_path, {"CODEOWNERS": "* @acme/all\n"})
    result = run_check("ownership", tmp_path, config=None)
    assert rules(result) == [("no-owners", "readiness.yml", None)]
    assert "no readiness.yml" in result.findings[0].message


def test_empty_owners_points_at_readiness_yml(tmp_path: Path) -> None:
    write_tree(tmp_path, {"CODEOWNERS": "* @acme/all\n"})
    result = run_check("ownership", tmp_path, config="version: 1\nowners: []\n")
    assert rules(result) == [("no-owners", "readiness.yml", 2)]


def test_invalid_owner_in_readiness_yml(tmp_path: Path) -> None:
    write_tree(tmp_path, {"CODEOWNERS": "* @acme/all\n"})
    result = run_check("ownership", tmp_path, config='version: 1\nowners:\n  - "@acme/ok"\n  - "the payments team"\n')
    assert rules(result) == [("invalid-owner", "readiness.yml", 4)]


def test_missing_codeowners(tmp_path: Path) -> None:
    write_tree(tmp_path, {"README.md": "# x\n"})
    result = run_check("ownership", tmp_path, config=CONFIG)
    assert result.status is Status.FAIL
    assert rules(result) == [("missing-codeowners", None, None)]


def test_codeowners_symlink_out_of_tree_does_not_count(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    outside = tmp_path / "CODEOWNERS"
    outside.write_text("* @evil\n", encoding="utf-8")
    write_tree(repo, {"README.md": "# x\n"})
    os.symlink(outside, repo / "CODEOWNERS")
    result = run_check("ownership", repo, config=CONFIG)
    assert rules(result) == [("missing-codeowners", None, None)]
    assert "was skipped: symlink leaves the repository" in result.findings[0].message
    assert [s.path for s in result.skipped] == ["CODEOWNERS"]


def test_syntax_errors_are_findings_with_lines_and_lines_are_skipped(tmp_path: Path) -> None:
    write_tree(tmp_path, {"CODEOWNERS": (
        "* @acme/all @not valid!\n"      # 1: invalid owner -> whole line skipped
        "\\#notes.md @acme/docs\n"       # 2: escaped #
        "!vendor/ @acme/all\n"           # 3: negation
        "*.[ch] @acme/c\n"               # 4: character range
        "/src/ @acme/dev\n"              # 5: fine
        "*.md  @bad--name\n"             # 6: invalid login (double hyphen)
    )})
    result = run_check("ownership", tmp_path, config=CONFIG)
    assert result.status is Status.FAIL
    # The invalid catch-all line covers nothing, so coverage is partial too (sorted first: no line).
    assert rules(result) == [
        ("codeowners-partial-coverage", "CODEOWNERS", None),
        ("codeowners-syntax", "CODEOWNERS", 1), ("codeowners-syntax", "CODEOWNERS", 2),
        ("codeowners-syntax", "CODEOWNERS", 3), ("codeowners-syntax", "CODEOWNERS", 4),
        ("codeowners-syntax", "CODEOWNERS", 6)]
    assert "invalid owner `valid!`" in result.findings[1].message


def test_catch_all_without_owners_is_partial(tmp_path: Path) -> None:
    write_tree(tmp_path, {"CODEOWNERS": "* @acme/all\n/src/ @acme/dev\n*\n"})
    result = run_check("ownership", tmp_path, config=CONFIG)
    assert rules(result) == [("codeowners-partial-coverage", "CODEOWNERS", 3)]


def test_parse_codeowners_comments_and_escapes() -> None:
    rules_, problems = parse_codeowners("# c\n\npath\\ with\\ space/ @a  # trailing\ndocs/#x @b\n")
    assert [(r.pattern, r.owners, r.line) for r in rules_] == [
        ("path\\ with\\ space/", ("@a",), 3), ("docs/#x", ("@b",), 4)]
    assert problems == []
