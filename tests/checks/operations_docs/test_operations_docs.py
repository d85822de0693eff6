"""Tests for the ``operations-docs`` check: README and docs/ headings cover the operations topics."""

from __future__ import annotations

import os
from pathlib import Path

from helpers import run_check, write_tree

from gate.model import Status

README = """\
# Payments service

Handles card payments.

## Deployment

Merge to main; the deploy workflow ships to production.

## Configuration

All settings come from environment variables, see `.env.example`.

## Logs and monitoring

JSON logs go to Loki; dashboards in Grafana.

## Dependencies

PostgreSQL 15 and the Stripe API.
"""

OPERATIONS = """\
---
title: Operations
---
# Operations

## Backups and restore

Nightly snapshots; restore tested monthly with `scripts/restore.sh`.

## Troubleshooting

See the runbooks under docs/runbooks/.
"""


def test_readme_and_docs_cover_every_topic(tmp_path: Path) -> None:
    write_tree(tmp_path, {"README.md": README, "docs/operations.md": OPERATIONS})
    result = run_check("operations-docs", tmp_path)
    assert result.status is Status.PASS, result.findings
    assert result.evidence == (
        'deploy: README.md:5 "Deployment"',
        'configuration: README.md:9 "Configuration"',
        'logs: README.md:13 "Logs and monitoring"',
        'dependencies: README.md:17 "Dependencies"',
        'backups: docs/operations.md:6 "Backups and restore"',
        'failure-modes: docs/operations.md:10 "Troubleshooting"',
    )


def test_missing_topics_are_each_a_finding(tmp_path: Path) -> None:
    write_tree(tmp_path, {"README.md": README})
    result = run_check("operations-docs", tmp_path)
    assert result.status is Status.FAIL
    assert [(f.rule, f.path, f.aliases) for f in result.findings] == [
        ("missing-topic", "README.md", ("backups",)), ("missing-topic", "README.md", ("failure-modes",))]
    assert result.summary == "2 of 6 topics not covered"
    assert all(f.remediation and f.remediation.endswith(".") for f in result.findings)


def test_empty_heading_and_code_block_headings_do_not_count(tmp_path: Path) -> None:
    text = README + "\n## Backups\n\n```md\n## Troubleshooting\nnot a heading\n```\n\n## FAQ\n"
    # "Backups" has content (the code block); the FAQ heading is empty; the fenced one is code.
    write_tree(tmp_path, {"README.md": text})
    result = run_check("operations-docs", tmp_path)
    assert [f.aliases for f in result.findings] == [("failure-modes",)]


def test_no_readme(tmp_path: Path) -> None:
    write_tree(tmp_path, {"docs/index.md": README + "\n" + OPERATIONS.split("---\n", 2)[2]})
    result = run_check("operations-docs", tmp_path)
    assert result.status is Status.FAIL
    assert [f.rule for f in result.findings] == ["missing-readme"]


def test_rst_readme_counts(tmp_path: Path) -> None:
    rst = ("Service\n=======\n\nDeploying\n---------\n\nmake deploy\n\nSettings\n--------\n\nenv\n\n"
           "Logging\n-------\n\nx\n\nRequirements\n------------\n\nx\n\nDisaster recovery\n-----------------\n\nx\n\n"
           "Known issues\n------------\n\nx\n")
    write_tree(tmp_path, {"README.rst": rst})
    result = run_check("operations-docs", tmp_path)
    assert result.status is Status.PASS, result.findings


def test_custom_topics_and_paths(tmp_path: Path) -> None:
    write_tree(tmp_path, {"README.md": "# x\n\n## On-call rota\n\nweekly\n", "ops/guide.md": "# Scaling\n\nHPA\n"})
    config = """
    version: 1
    checks:
      operations-docs:
        paths: [README.md, "ops/**/*.md"]
        topics:
          scaling: [autoscaling]
          oncall: [on-call]
    """
    result = run_check("operations-docs", tmp_path, config=config)
    # The default topics are merged with the custom ones (profile merge), so the six defaults
    # are still required.
    found = {e.split(":")[0] for e in result.evidence}
    assert found == {"scaling", "oncall"}
    assert {f.aliases[0] for f in result.findings} == {
        "deploy", "configuration", "logs", "dependencies", "backups", "failure-modes"}


def test_empty_synonym_list_drops_a_topic(tmp_path: Path) -> None:
    write_tree(tmp_path, {"README.md": README})
    config = """
    version: 1
    checks:
      operations-docs:
        topics:
          backups: []
    """
    result = run_check("operations-docs", tmp_path, config=config)
    assert [f.aliases for f in result.findings] == [("failure-modes",)]
    assert result.summary == "1 of 5 topics not covered"


def test_readme_symlinked_out_of_tree_is_not_read(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (tmp_path / "README.md").write_text(README + OPERATIONS.split("---\n", 2)[2], encoding="utf-8")
    write_tree(repo, {"docs/x.md": "# X\n\ntext\n"})
    os.symlink(tmp_path / "README.md", repo / "README.md")
    result = run_check("operations-docs", repo)
    assert result.status is Status.FAIL
    assert {f.rule for f in result.findings} == {"missing-readme", "missing-topic"}
    assert len(result.findings) == 7
    assert [(s.path, s.reason) for s in result.skipped] == [("README.md", "symlink leaves the repository")]


def test_only_the_root_readme_counts_by_default(tmp_path: Path) -> None:
    # A README deeper in the tree (vendored code, a sub-package) is not this service's docs.
    write_tree(tmp_path, {"README.md": "# svc\n\nA service.\n", "vendor/lib/README.md": README,
                          "docs/ops.md": OPERATIONS})
    result = run_check("operations-docs", tmp_path)
    assert sorted(f.aliases[0] for f in result.findings) == ["configuration", "dependencies", "deploy", "logs"]


def test_long_headings_and_blog_posts_do_not_cover_topics(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "README.md": README,
        "docs/faq.md": "# Notes\n\n## 9. IP download logs of any package from the index\n\ntext\n"
                       "\n## Logging in to the admin\n\ntext\n",
        "docs/blog/posts/2023.md": "# Post\n\n## Backups\n\nWe lost them.\n\n## Troubleshooting\n\nx\n",
    })
    readme = README.replace("## Logs and monitoring", "## Dashboards")
    write_tree(tmp_path, {"README.md": readme})
    result = run_check("operations-docs", tmp_path)
    assert sorted(f.aliases[0] for f in result.findings) == ["backups", "failure-modes", "logs"]
