"""Tests for the ``runbooks`` check: passing and failing fixture repositories per finding kind."""

from __future__ import annotations

import os
from pathlib import Path

from helpers import run_check, write_tree

from gate.model import Status


def book(title: str, *, reviewed: str = "2026-10-01", extra: str = "", drop: str = "") -> str:
    """A complete runbook; ``drop`` removes one section, ``extra`` is appended."""
    parts = {
        "symptoms": "## Symptoms\n\nThe 5xx rate alert fires; the dashboard shows errors.\n",
        "diagnosis": "## Diagnosis\n\nRun `kubectl logs deploy/api` and look for timeouts.\n",
        "mitigation": "## Mitigation\n\n1. Roll back with `make rollback`.\n",
        "escalation": "## Escalation\n\nPage @org/db-team after 15 minutes.\n",
    }
    body = "".join(v for k, v in parts.items() if k != drop)
    return f"---\nlast-reviewed: {reviewed}\n---\n# {title}\n\n{body}{extra}"


TEMPLATE = "---\nlast-reviewed: YYYY-MM-DD\n---\n# Template\n\nTODO\n"

CONFIG = """
version: 1
owners: ["@org/team"]
failures:
  - database unavailable
  - name: bad deploy
    runbook: docs/ops/deploys.md
  - Dependency Timeout
"""


def good_tree(root: Path) -> Path:
    return write_tree(root, {
        "docs/runbooks/database-unavailable.md": book("Database unavailable"),
        "docs/runbooks/queue.md": book("Dependency timeout (payments API)"),
        "docs/runbooks/disk.md": book("Disk full"),
        "docs/runbooks/_template.md": TEMPLATE,
        "docs/runbooks/README.md": "# Runbooks\n\nTODO: index\n",
        "docs/ops/deploys.md": book("Bad deploy"),
    }, dedent=False)


def rules(result) -> list[tuple[str, str | None, int | None]]:
    return [(f.rule, f.path, f.line) for f in result.findings]


def test_complete_runbooks_pass(tmp_path: Path) -> None:
    result = run_check("runbooks", good_tree(tmp_path), config=CONFIG)
    assert result.status is Status.PASS, result.findings
    assert result.findings == ()
    # templates and the folder index are not runbooks; the explicitly named one is.
    assert set(result.evidence) >= {
        "runbook docs/runbooks/database-unavailable.md (4/4 sections)",
        "runbook docs/ops/deploys.md (4/4 sections)",
        "failure 'database unavailable' -> docs/runbooks/database-unavailable.md",
        "failure 'bad deploy' -> docs/ops/deploys.md",
        "failure 'Dependency Timeout' -> docs/runbooks/queue.md",
    }
    assert not any("_template" in e or "README" in e for e in result.evidence)


def test_synonyms_and_setext_headings_count(tmp_path: Path) -> None:
    text = ("# Cache down\n\nImpact\n------\n\nUsers see slow pages.\n\n## Troubleshooting\n\nCheck redis.\n\n"
            "## Resolution steps\n\nRestart it.\n\n## On-call contacts\n\n@org/cache\n")
    write_tree(tmp_path, {f"runbooks/r{i}.md": text for i in range(3)}, dedent=False)
    result = run_check("runbooks", tmp_path)
    assert result.status is Status.PASS, result.findings


def test_too_few_runbooks_templates_do_not_count(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "docs/runbooks/a.md": book("A"),
        "docs/runbooks/b.md": book("B"),
        "docs/runbooks/_template.md": TEMPLATE,
        "docs/runbooks/index.md": "# Index\n",
    }, dedent=False)
    result = run_check("runbooks", tmp_path)
    assert result.status is Status.FAIL
    assert rules(result) == [("too-few-runbooks", "docs/runbooks", None)]
    assert "2 runbooks" in result.findings[0].message and "at least 3" in result.findings[0].message


def test_no_runbook_folder_fails(tmp_path: Path) -> None:
    write_tree(tmp_path, {"README.md": "# svc\n"})
    result = run_check("runbooks", tmp_path)
    assert result.status is Status.FAIL
    assert [f.rule for f in result.findings] == ["too-few-runbooks"]


def test_min_zero_and_no_runbooks_passes(tmp_path: Path) -> None:
    write_tree(tmp_path, {"README.md": "# svc\n"})
    result = run_check("runbooks", tmp_path, config="version: 1\nchecks:\n  runbooks:\n    min: 0\n")
    assert result.status is Status.PASS


def test_missing_section_named_per_runbook(tmp_path: Path) -> None:
    good_tree(tmp_path)
    # The escalation heading only appears inside a code block: not a heading.
    write_tree(tmp_path, {"docs/runbooks/disk.md": book("Disk full", drop="escalation",
                                                          extra="\n```\n## Escalation\n```\n")}, dedent=False)
    result = run_check("runbooks", tmp_path, config=CONFIG)
    assert result.status is Status.FAIL
    assert rules(result) == [("missing-section", "docs/runbooks/disk.md", 1)]
    f = result.findings[0]
    assert "`escalation`" in f.message and f.fingerprint == "missing-section:docs/runbooks/disk.md:escalation"
    assert f.remediation and f.remediation.count(".") == 1
    assert "runbook docs/runbooks/disk.md (3/4 sections)" in result.evidence


def test_empty_section_is_not_coverage(tmp_path: Path) -> None:
    good_tree(tmp_path)
    text = book("Disk full", drop="escalation", extra="\n## Escalation\n")
    write_tree(tmp_path, {"docs/runbooks/disk.md": text}, dedent=False)
    result = run_check("runbooks", tmp_path, config=CONFIG)
    assert result.status is Status.FAIL
    line = text.splitlines().index("## Escalation") + 1
    assert rules(result) == [("empty-section", "docs/runbooks/disk.md", line)]


def test_placeholders_found_by_line_without_false_positives(tmp_path: Path) -> None:
    good_tree(tmp_path)
    text = book("Disk full", extra=(
        "\n## Notes\n\nKeep the todos list short; a todo app is not a marker. TODOS neither.\n"
        "Mastodon and xxxl are fine.\n\nTODO: write the real command\n\nLorem Ipsum dolor sit amet.\n"))
    write_tree(tmp_path, {"docs/runbooks/disk.md": text}, dedent=False)
    result = run_check("runbooks", tmp_path, config=CONFIG)
    assert result.status is Status.FAIL
    lines = text.splitlines()
    todo_line = next(i for i, ln in enumerate(lines, 1) if ln.startswith("TODO:"))
    lorem_line = next(i for i, ln in enumerate(lines, 1) if ln.startswith("Lorem"))
    assert rules(result) == [("placeholder", "docs/runbooks/disk.md", todo_line),
                             ("placeholder", "docs/runbooks/disk.md", lorem_line)]
    # The finding names the placeholder, never the line's text.
    assert "write the real command" not in result.findings[0].message
    assert "`TODO`" in result.findings[0].message


def test_placeholder_findings_are_capped(tmp_path: Path) -> None:
    good_tree(tmp_path)
    write_tree(tmp_path, {"docs/runbooks/disk.md": book("Disk full", extra="\n" + "TBD\n\n" * 25)}, dedent=False)
    result = run_check("runbooks", tmp_path, config=CONFIG)
    found = [f for f in result.findings if f.rule == "placeholder"]
    assert len(found) == 10 and "15 more lines" in found[-1].message


def test_failure_without_runbook(tmp_path: Path) -> None:
    good_tree(tmp_path)
    config = CONFIG + "  - cache stampede\n  - name: region outage\n    runbook: docs/runbooks/region.md\n"
    result = run_check("runbooks", tmp_path, config=config)
    assert result.status is Status.FAIL
    got = [(f.rule, f.path, f.line, f.aliases) for f in result.findings]
    assert got == [("failure-without-runbook", "readiness.yml", 8, ("cache stampede",)),
                   ("failure-without-runbook", "readiness.yml", 9, ("region outage",))]
    assert "does not exist" in result.findings[1].message


def test_stale_and_invalid_review_dates(tmp_path: Path) -> None:
    good_tree(tmp_path)
    write_tree(tmp_path, {
        "docs/runbooks/disk.md": book("Disk full", reviewed="2025-01-01"),
        "docs/runbooks/queue.md": book("Dependency timeout", reviewed="soon"),
        "docs/runbooks/database-unavailable.md": book("Database unavailable", reviewed="2027-01-01"),
    }, dedent=False)
    result = run_check("runbooks", tmp_path, config=CONFIG)
    assert result.status is Status.FAIL
    assert rules(result) == [("invalid-last-reviewed", "docs/runbooks/database-unavailable.md", 2),
                             ("stale-runbook", "docs/runbooks/disk.md", 2),
                             ("invalid-last-reviewed", "docs/runbooks/queue.md", 2)]
    assert "in the future" in result.findings[0].message
    assert "689 days ago" in result.findings[1].message


def test_max_age_setting(tmp_path: Path) -> None:
    good_tree(tmp_path)
    write_tree(tmp_path, {"docs/runbooks/disk.md": book("Disk full", reviewed="2025-01-01")}, dedent=False)
    config = CONFIG + "checks:\n  runbooks:\n    max-age-days: 1000\n"
    assert run_check("runbooks", tmp_path, config=config).status is Status.PASS


def test_unparseable_front_matter(tmp_path: Path) -> None:
    good_tree(tmp_path)
    text = "---\nlast-reviewed: [2026\n---\n" + book("Disk full").split("---\n", 2)[2]
    write_tree(tmp_path, {"docs/runbooks/disk.md": text}, dedent=False)
    result = run_check("runbooks", tmp_path, config=CONFIG)
    assert result.status is Status.FAIL
    assert [f.rule for f in result.findings] == ["invalid-front-matter"]
    assert result.findings[0].path == "docs/runbooks/disk.md" and result.findings[0].line in (2, 3, 4)


def test_symlink_out_of_tree_is_never_read_or_counted(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    secret = tmp_path / "outside.md"
    secret.write_text(book("Secret outside") + "\nSECRET-CONTENT-1234\n", encoding="utf-8")
    write_tree(repo, {"docs/runbooks/a.md": book("A"), "docs/runbooks/b.md": book("B")}, dedent=False)
    os.symlink(secret, repo / "docs/runbooks/c.md")
    os.symlink("/etc/passwd", repo / "docs/runbooks/passwd.md")
    result = run_check("runbooks", repo)
    assert result.status is Status.FAIL
    assert [f.rule for f in result.findings] == ["too-few-runbooks"]
    assert {(s.path, s.reason) for s in result.skipped} == {
        ("docs/runbooks/c.md", "symlink leaves the repository"),
        ("docs/runbooks/passwd.md", "symlink leaves the repository")}
    assert "SECRET-CONTENT" not in repr(result) and "root:" not in repr(result)


def test_in_tree_symlink_counts_once(tmp_path: Path) -> None:
    write_tree(tmp_path, {"docs/runbooks/a.md": book("A"), "docs/runbooks/b.md": book("B")}, dedent=False)
    os.symlink("a.md", tmp_path / "docs/runbooks/a-copy.md")
    result = run_check("runbooks", tmp_path)
    assert [f.rule for f in result.findings] == ["too-few-runbooks"]
    assert "2 runbooks" in result.findings[0].message


def test_oversize_and_binary_runbooks_are_skipped_and_listed(tmp_path: Path) -> None:
    good_tree(tmp_path)
    write_tree(tmp_path, {"docs/runbooks/huge.md": book("Huge") + "x" * 5000,
                          "docs/runbooks/bin.md": b"# Bin\n\0\0\0"}, dedent=False)
    config = CONFIG + "limits:\n  max-file-size: 2048\n"
    result = run_check("runbooks", tmp_path, config=config)
    assert result.status is Status.PASS, result.findings
    reasons = {s.path: s.reason for s in result.skipped}
    assert reasons["docs/runbooks/huge.md"].startswith("larger than the size cap")
    assert reasons["docs/runbooks/bin.md"].startswith("binary")
    assert not any("huge" in e or "bin.md" in e for e in result.evidence)


def test_custom_paths_sections_and_placeholders(tmp_path: Path) -> None:
    write_tree(tmp_path, {"ops/playbooks/x.md": "# X\n\n## What broke\n\nit. TODO later\n\n## Fix\n\nit\n"},
               dedent=False)
    config = """
    version: 1
    checks:
      runbooks:
        paths: [ops/playbooks]
        min: 1
        placeholders: [lorem ipsum]
        sections:
          symptoms: [what broke]
          diagnosis: [what broke]
          mitigation: [fix]
          escalation: [fix]
    """
    result = run_check("runbooks", tmp_path, config=config)
    assert result.status is Status.PASS, result.findings


def test_empty_synonym_list_drops_a_section(tmp_path: Path) -> None:
    write_tree(tmp_path, {f"runbooks/r{i}.md": book(f"R{i}", drop="escalation") for i in range(3)}, dedent=False)
    assert run_check("runbooks", tmp_path).status is Status.FAIL
    config = "version: 1\nchecks:\n  runbooks:\n    sections:\n      escalation: []\n"
    result = run_check("runbooks", tmp_path, config=config)
    assert result.status is Status.PASS, result.findings
    assert "runbook runbooks/r0.md (3/3 sections)" in result.evidence


def test_failure_names_match_camel_case_file_names_and_titles() -> None:
    from gate.checks.runbooks import names_match
    assert names_match("etcd no leader", "etcdNoLeader")
    assert names_match("KubePodCrashLooping", "kube-pod-crash-looping")
    assert names_match("HTTP server down", "HTTPServerDown")
    assert names_match("database unavailable", "Runbook: Database unavailable (primary)")
    assert not names_match("database unavailable", "database")
    assert not names_match("db", "dbbackup")
    assert not names_match("", "anything")


def test_overlong_markdown_is_skipped_not_parsed(tmp_path: Path) -> None:
    good_tree(tmp_path)
    write_tree(tmp_path, {"docs/runbooks/huge.md": book("Huge") + "- a\n" * 12_000}, dedent=False)
    result = run_check("runbooks", tmp_path, config=CONFIG)
    assert result.status is Status.PASS, result.findings
    reasons = {s.path: s.reason for s in result.skipped}
    assert "more than 10000" in reasons["docs/runbooks/huge.md"]
    assert not any("huge" in e for e in result.evidence)


def test_hostile_file_names_are_reported_not_executed(tmp_path: Path) -> None:
    marker = tmp_path / "p"
    write_tree(tmp_path / "repo", {
        f"docs/runbooks/$(touch {marker}).md": book("A"),
        "docs/runbooks/a\n::error::x.md": book("B", drop="escalation"),
        "docs/runbooks/c.md": book("C"),
    }, dedent=False)
    result = run_check("runbooks", tmp_path / "repo")
    assert not marker.exists()
    assert [(f.rule, f.path) for f in result.findings] == [("missing-section", "docs/runbooks/a\n::error::x.md")]
