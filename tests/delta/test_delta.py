"""The readiness delta (``gate/delta.py``): what it finds, how the JSON, text and markdown show it.

Golden files in ``tests/delta/golden/`` (``UPDATE_GOLDEN=1`` rewrites them; review the diff).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
import shutil
from pathlib import Path

import pytest
import render_fixtures
from markdown_it import MarkdownIt
from render_fixtures import TODAY, deferral, ready_report
from servers.osv import OsvServer

from gate.checks.registry import scanner_check_ids
from gate.cli import main
from gate.delta import compare
from gate.model import DeferralState, Finding, Report, Severity, Status
from gate.render.interface import RenderOptions
from gate.render.json_report import (
    load_report,
    report_from_dict,
    report_to_dict,
    validate_report_dict,
)
from gate.render.markdown import render_markdown
from gate.render.text import render_text

SCANNER_CHECKS = scanner_check_ids()

GOLDEN = Path(__file__).parent / "golden"
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
OPTIONS = RenderOptions(file_url="https://github.example/o/r/blob/" + "a" * 40, run_url="https://github.example/run/1")


def check_golden(name: str, text: str) -> None:
    render_fixtures.check_golden(name, text, GOLDEN)


def _replace_check(report: Report, cid: str, **changes) -> Report:  # type: ignore[no-untyped-def]
    from render_fixtures import build_report

    checks = [dataclasses.replace(c, **changes) if c.id == cid else c for c in report.checks]
    return build_report(checks)


RUNBOOK_FINDINGS = (
    Finding("too-few-runbooks", "0 runbooks found under docs/runbooks; at least 3 required.", "docs/runbooks",
            None, Severity.HIGH),
    Finding("failure-without-runbook", "Failure 'database unavailable' names a runbook that does not exist.",
            "readiness.yml", 19, Severity.HIGH),
)


def _pr_report() -> Report:
    """The ready report after a PR that deleted the runbooks, fixed nothing else, deferred backups,
    moved the deferred advisory's line and dropped the SEC-7 deferral's expiry by a week."""
    base = ready_report()
    head = _replace_check(base, "runbooks", status=Status.FAIL, summary="0 of 3 failures have runbooks",
                          findings=RUNBOOK_FINDINGS)
    dep = next(c for c in head.checks if c.id == "dependencies")
    moved = tuple(dataclasses.replace(f, line=4) for f in dep.findings)  # a line move is no change
    sec7 = dataclasses.replace(dep.deferrals[0], expires=dep.deferrals[0].expires - dt.timedelta(days=7), days_left=53)
    head = _replace_check(head, "dependencies", findings=moved, deferrals=(sec7,))
    new_deferral = deferral("backups", "OPS-3", 20, DeferralState.STALE)
    return _replace_check(head, "backups", deferrals=(new_deferral,))


def test_a_pr_that_deletes_the_runbooks() -> None:
    base, head = ready_report(), _pr_report()
    d = compare(base, head)
    assert [c.phrase for c in d.checks] == ["runbooks: pass → fail"]
    assert [g.phrase for g in d.gates] == ["on-call: pass → fail"]
    assert [(f.check, f.new_count, f.fixed_count) for f in d.findings] == [("runbooks", 2, 0)]
    assert [r.ticket for r in d.deferrals_added] == ["SEC-7", "OPS-3"]
    assert [r.ticket for r in d.deferrals_removed] == ["SEC-7"]
    assert d.base_ready is True and d.not_compared == ()
    assert d.headline(head.ready) == "This change makes the service not ready; drops on-call from pass to fail."
    report = dataclasses.replace(head, delta=d)
    check_golden("runbooks_deleted.md", render_markdown(report, OPTIONS))
    check_golden("runbooks_deleted.txt", render_text(report))
    doc = report_to_dict(report)
    validate_report_dict(doc)
    assert doc["delta"]["checks"] == [{"id": "runbooks", "gate": "on-call", "title": "Runbooks for the likely failures",
                                       "before": "pass", "after": "fail"}]
    assert report_from_dict(json.loads(json.dumps(doc))) == report
    md = render_markdown(report, OPTIONS)
    assert md.index("### Changes since the base branch") < md.index("## ❌ Not ready")
    assert "- ❌ runbooks: pass → fail" in md


def test_base_commit_delta_takes_scanner_findings_from_diff_mode() -> None:
    base = ready_report()
    leak = Finding("aws-access-key", "AWS access key", "app/settings.py", 3, Severity.HIGH, "fp1", new=True)
    old = Finding("aws-access-key", "AWS access key", "legacy.py", 9, Severity.HIGH, "fp0", new=False, blocking=False)
    head = _replace_check(base, "secrets", status=Status.FAIL, summary="1 secret found", findings=(old, leak))
    head = _replace_check(head, "security-policy", status=Status.FAIL, summary="no SECURITY.md")
    # On the base commit the scanner checks were skipped, as the Action does.
    base_run = base
    for cid in SCANNER_CHECKS:
        base_run = _replace_check(base_run, cid, status=Status.SKIPPED, summary="not selected (--skip)", findings=())
    d = compare(base_run, head, source="base-commit", not_compared=SCANNER_CHECKS)
    assert [c.phrase for c in d.checks] == ["security-policy: pass → fail"]  # no claim about secrets' status
    assert d.gates == () and d.base_ready is None  # security holds scanner checks: not compared
    assert [(f.check, [x.path for x in f.new], f.fixed_count) for f in d.findings] == [("secrets", ["app/settings.py"], 0)]
    assert d.not_compared == ("dependencies", "error-handling", "secrets")  # the scanner checks this report has
    check_golden("base_commit.md", render_markdown(dataclasses.replace(head, delta=d), OPTIONS))


def test_nothing_changed_and_fixes() -> None:
    base = ready_report()
    assert compare(base, base).empty
    same = render_markdown(dataclasses.replace(base, delta=compare(base, base)), OPTIONS)
    assert "**No gate or check changed status.**" in same and "- No check, finding or deferral changed." in same
    d = compare(_pr_report(), base)  # the reverse PR restores the runbooks
    assert [c.phrase for c in d.checks] == ["runbooks: fail → pass"]
    assert [(f.check, f.new_count, f.fixed_count) for f in d.findings] == [("runbooks", 0, 2)]
    assert d.headline(True) == "This change makes the service ready; raises on-call from fail to pass."


def test_equal_findings_are_counted_as_a_multiset() -> None:
    f = Finding("missing-section", "runbook lacks Escalation", "docs/runbooks/db.md", 1)
    base = _replace_check(ready_report(), "runbooks", findings=(f,))
    head = _replace_check(ready_report(), "runbooks", findings=(f, dataclasses.replace(f, line=9)))
    [changes] = compare(base, head).findings
    assert (changes.new_count, changes.fixed_count) == (1, 0)


def test_hostile_text_in_the_delta_is_escaped() -> None:
    evil = "@org/all <!-- readiness-gate:comment --> [x](javascript:alert(1)) |"
    base = ready_report()
    head = _replace_check(base, "runbooks", status=Status.FAIL,
                          findings=(Finding("x", evil, evil, 1, Severity.HIGH),))
    dd = deferral("runbooks", evil, 10, DeferralState.ACTIVE, approved_by=evil)
    head = _replace_check(head, "backups", deferrals=(dd,))
    md = render_markdown(dataclasses.replace(head, delta=compare(base, head)), OPTIONS)
    section = md[md.index("### Changes since"):md.index("## ❌")]
    assert "@org" not in section and "<!--" not in section  # no live mention, no fake marker
    html = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"]).render(section)
    links = re.findall(r'href="([^"]*)"', html)
    assert links and all(u.startswith("https://github.example/o/r/blob/") for u in links), links
    assert "<!--" not in html and "javascript:" not in "".join(links)
    assert md.count("<!-- readiness-gate:comment -->") == 1


def test_a_huge_delta_still_fits_and_keeps_the_status_change() -> None:
    base = ready_report()
    many = tuple(Finding("r", f"finding {i} " + "x" * 200, f"f{i}.py", 1, Severity.HIGH) for i in range(5000))
    head = _replace_check(base, "runbooks", status=Status.FAIL, findings=many)
    report = dataclasses.replace(head, delta=compare(base, head))
    for limit in (65_536, 4_000):
        md = render_markdown(report, dataclasses.replace(OPTIONS, max_chars=limit))
        assert len(md) <= limit
        assert "runbooks: pass → fail" in md and "runbooks: 5000 new findings" in md
    doc = report_to_dict(report)
    validate_report_dict(doc)
    assert len(doc["delta"]["findings"][0]["new"]) == 1000 and doc["delta"]["findings"][0]["new_count"] == 5000


def test_cli_baseline_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = tmp_path / "svc"
    shutil.copytree(EXAMPLES / "ready-service", repo)
    with OsvServer.from_directory() as osv:
        args = ["check", str(repo), "--osv-url", osv.base_url, "--today", TODAY.isoformat(), "--no-progress"]
        assert main([*args, "--format", "json", "--output", str(tmp_path / "base.json")]) == 0
        shutil.rmtree(repo / "docs" / "runbooks")
        capsys.readouterr()
        assert main([*args, "--baseline-report", str(tmp_path / "base.json"),
                     "--json-output", str(tmp_path / "head.json")]) == 1
    text = capsys.readouterr().out
    assert "Changes since the base branch (baseline report):" in text and "\n  runbooks: pass → fail\n" in text
    head = load_report((tmp_path / "head.json").read_text())
    assert head.delta is not None and [c.phrase for c in head.delta.checks] == ["runbooks: pass → fail"]
    (tmp_path / "bad.json").write_text('{"ready": true}')
    assert main(["check", str(repo), "--only", "runbooks", "--baseline-report", str(tmp_path / "bad.json")]) == 2
    assert "--baseline-report" in capsys.readouterr().err
