"""Golden tests of what a reviewer reads on a noisy repository: the PR comment, the job summary,
the check-run summary and the terminal report (``tests/render/noisy_repo.py``: 5 blocking
checks, 4 known vulnerabilities, 1,041 findings that do not block).

The report comes from a real run (real detect-secrets, semgrep and pip-audit, the loopback OSV
server); only the scanners' versions are replaced by ``X`` so a scanner upgrade does not change
the golden files (``UPDATE_GOLDEN=1`` rewrites them). Each output, whatever its size limit, must
show every blocking check with its fix and its first finding's location, and every known
vulnerability with its id, package, version, fixed version and severity.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
from noisy_repo import ADVISORIES, BLOCKING, noisy_report
from render_fixtures import check_golden

from gate.github.outputs import SUMMARY_LIMIT_BYTES, fit_summary
from gate.github.publishing import CHECK_RUN_TEXT_LIMIT
from gate.model import Report, ToolInfo
from gate.render import RenderOptions
from gate.render.grouping import check_fix, split_findings
from gate.render.interface import GITHUB_COMMENT_LIMIT
from gate.render.markdown import render_markdown
from gate.render.text import location_phrase, render_text

COMMIT = "0123456789abcdef0123456789abcdef01234567"
OPTIONS = RenderOptions(file_url=f"https://github.com/o/r/blob/{COMMIT}",
                        run_url="https://github.com/o/r/actions/runs/42",
                        full_report_hint="the job summary of the run")


def _pinned_versions(report: Report) -> Report:
    gates = tuple(dataclasses.replace(g, checks=tuple(
        dataclasses.replace(c, tools=tuple(ToolInfo(t.name, "X") for t in c.tools), duration_s=0.0)
        for c in g.checks)) for g in report.gates)
    return dataclasses.replace(report, gates=gates, root=".", generated_at="", duration_s=0.0, commit=COMMIT)


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Report:
    return _pinned_versions(noisy_report(tmp_path_factory.mktemp("noisy")))


@pytest.fixture(scope="module")
def outputs(report: Report) -> dict[str, str]:
    """Each output as its target receives it."""
    return {
        "comment": render_markdown(report, OPTIONS),
        "summary": fit_summary(lambda n: render_markdown(report, dataclasses.replace(OPTIONS, max_chars=n, marker=""))),
        "check-run": render_markdown(report, dataclasses.replace(OPTIONS, max_chars=CHECK_RUN_TEXT_LIMIT - 200)),
        "text": render_text(report),
    }


def test_the_repository_is_as_noisy_as_it_says(report: Report) -> None:
    assert [c.id for c in report.blocking_checks] == list(BLOCKING)
    non_blocking = sum(len(split_findings(c)[1]) for c in report.checks)
    assert non_blocking >= 1_000, non_blocking
    advisories = [f.advisory for c in report.checks for f in c.findings if f.advisory is not None]
    assert sorted(a.id for a in advisories) == sorted(ADVISORIES)


@pytest.mark.parametrize("name,golden", [("comment", "noisy.comment.md"), ("summary", "noisy.summary.md"),
                                         ("text", "noisy.txt")])
def test_golden(outputs: dict[str, str], name: str, golden: str) -> None:
    check_golden(golden, outputs[name])


def test_sizes(outputs: dict[str, str]) -> None:
    assert len(outputs["comment"]) <= GITHUB_COMMENT_LIMIT
    assert len(outputs["check-run"]) <= CHECK_RUN_TEXT_LIMIT
    assert len(outputs["summary"].encode("utf-8")) <= SUMMARY_LIMIT_BYTES
    assert len(outputs["text"].splitlines()) <= 400


@pytest.mark.parametrize("name", ["comment", "summary", "check-run", "text"])
def test_every_blocking_check_its_fix_and_first_location_and_every_vulnerability(
        report: Report, outputs: dict[str, str], name: str) -> None:
    out = outputs[name].replace("\\_", "_")
    for c in report.blocking_checks:
        assert re.search(rf"(#### ❌ |✗ ){re.escape(c.id)}\b", out), c.id
        fix = check_fix(c)
        assert fix and " ".join(fix.split())[:60].replace("_", "_") in out.replace("\\", ""), (c.id, fix)
        first = next((f for f in split_findings(c)[0] if f.path), None)
        if first is not None:
            assert location_phrase(first) in out, (c.id, location_phrase(first))
    for c in report.checks:
        for f in c.findings:
            if f.advisory is None:
                continue
            a = f.advisory
            row = next((line for line in out.splitlines() if a.id in line and a.package in line), None)
            if name == "text":
                row = next(line for line in out.splitlines() if line.strip().startswith(a.id))
            assert row is not None, a.id
            assert a.version in row and a.fixed[0] in row and f.severity.value in row, row


def test_verdict_first_and_cuts_said(outputs: dict[str, str]) -> None:
    assert outputs["comment"].startswith("<!-- readiness-gate:comment -->\n\n## ❌ Not ready: 5 blocking checks\n")
    assert outputs["text"].startswith("NOT READY: 5 blocking checks\n")
    assert outputs["text"].rstrip("\n").splitlines()[-2:] == outputs["text"].splitlines()[:2]
    assert "| Performance | ✅ pass (1 advisory finding) |" in outputs["comment"]
    assert "Performance: PASS (1 advisory finding)" in outputs["text"]
    if len(outputs["summary"]) > len(outputs["comment"]):
        assert "**Not shown here**" in outputs["comment"]
        assert "[the job summary of the run](https://github.com/o/r/actions/runs/42)" in outputs["comment"]


def test_the_golden_files_are_the_ones_the_readme_shows() -> None:
    assert (Path(__file__).parent / "golden" / "noisy.comment.md").is_file()
