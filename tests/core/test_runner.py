"""The runner: statuses, gate aggregation, levels, crashing checks, readiness."""

from __future__ import annotations

from pathlib import Path

import pytest

from gate.checks import registry
from gate.model import Status
from helpers import run_all, write_tree

SECURITY_MD = {"SECURITY.md": "# Security\n\nReport vulnerabilities to security@example.com.\n"}
DEPENDABOT = {".github/dependabot.yml": "version: 2\nupdates:\n  - package-ecosystem: pip\n    directory: /\n    schedule: {interval: weekly}\n"}
ONLY = ["security-policy", "dependency-updates"]


def _status(report, cid):
    return next(c for c in report.checks if c.id == cid)


def test_pass_when_evidence_present(tmp_path: Path) -> None:
    write_tree(tmp_path, {**SECURITY_MD, **DEPENDABOT})
    report = run_all(tmp_path, only=ONLY)
    assert _status(report, "security-policy").status is Status.PASS
    assert _status(report, "dependency-updates").status is Status.PASS
    assert report.ready
    others = [c for c in report.checks if c.id not in ONLY]
    assert others and all(c.status is Status.SKIPPED and "--only" in c.summary for c in others)


def test_required_failure_makes_report_not_ready(tmp_path: Path) -> None:
    write_tree(tmp_path, DEPENDABOT)
    report = run_all(tmp_path, only=ONLY)
    sp = _status(report, "security-policy")
    assert sp.status is Status.FAIL and sp.required
    assert not report.ready
    assert [c.id for c in report.blocking_checks] == ["security-policy"]
    security = next(g for g in report.gates if g.id == "security")
    assert security.status is Status.FAIL


def test_advisory_failure_does_not_block(tmp_path: Path) -> None:
    write_tree(tmp_path, SECURITY_MD)
    report = run_all(tmp_path, only=ONLY)
    du = _status(report, "dependency-updates")
    assert du.status is Status.FAIL and not du.required
    assert report.ready


def test_level_off_is_skipped_with_reason(tmp_path: Path) -> None:
    write_tree(tmp_path, {})
    report = run_all(tmp_path, config="version: 1\nchecks:\n  security-policy: {level: 'off'}\n", only=ONLY)
    sp = _status(report, "security-policy")
    assert sp.status is Status.SKIPPED and "level: off" in sp.summary


def test_deferred_check_counts_as_ready(tmp_path: Path) -> None:
    write_tree(tmp_path, DEPENDABOT)
    config = """version: 1
deferrals:
  - check: security-policy
    reason: Security contact is being set up by the new security team this month.
    approved-by: "@lead"
    expires: 2027-01-15
    ticket: SEC-7
"""
    report = run_all(tmp_path, config=config, only=ONLY)
    sp = _status(report, "security-policy")
    assert sp.status is Status.DEFERRED
    assert report.ready
    assert [d.ticket for d in report.deferrals] == ["SEC-7"]
    assert any("not verified" in w for w in report.warnings)


def test_raising_check_is_error_not_ready_and_redacted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_tree(tmp_path, {**SECURITY_MD, **DEPENDABOT})
    monkeypatch.setitem(registry.CHECKS, "security-policy", "check_doubles:RaisingCheck")  # type: ignore[index]
    report = run_all(tmp_path, only=ONLY)
    sp = _status(report, "security-policy")
    assert sp.status is Status.ERROR
    assert "RuntimeError" in sp.summary and "does not pass" in sp.summary
    assert "ghp_" + "A" * 36 not in sp.summary
    assert not report.ready
    assert _status(report, "dependency-updates").status is Status.PASS  # the run went on


def test_check_returning_deferred_itself_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_tree(tmp_path, SECURITY_MD)
    monkeypatch.setitem(registry.CHECKS, "security-policy", "check_doubles:DeferredReturningCheck")  # type: ignore[index]
    report = run_all(tmp_path, only=ONLY)
    assert _status(report, "security-policy").status is Status.ERROR


def test_error_on_advisory_check_does_not_block(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_tree(tmp_path, DEPENDABOT)
    monkeypatch.setitem(registry.CHECKS, "security-policy", "check_doubles:RaisingCheck")  # type: ignore[index]
    report = run_all(tmp_path, config="version: 1\nchecks:\n  security-policy: {level: advisory}\n", only=ONLY)
    assert _status(report, "security-policy").status is Status.ERROR
    assert report.ready


def test_no_config_warning_and_order_is_registry_order(tmp_path: Path) -> None:
    write_tree(tmp_path, SECURITY_MD)
    report = run_all(tmp_path, only=ONLY)
    assert report.config_source == "built-in default profile"
    assert any("No readiness.yml" in w for w in report.warnings)
    assert [c.id for c in report.checks] == [
        "secrets", "dependencies", "insecure-patterns", "dependency-updates", "security-policy",
        "error-handling", "observability", "deploy-pipeline", "rollback", "backups", "load-test",
        "runbooks", "ownership", "operations-docs"]


def test_security_policy_without_route_and_empty(tmp_path: Path) -> None:
    write_tree(tmp_path, {"SECURITY.md": "# Security\n\nWe care.\n"})
    report = run_all(tmp_path, only=["security-policy"])
    sp = _status(report, "security-policy")
    assert sp.status is Status.FAIL and sp.findings[0].rule == "no-reporting-route"
    (tmp_path / "SECURITY.md").write_text("  \n")
    sp = _status(run_all(tmp_path, only=["security-policy"]), "security-policy")
    assert sp.findings[0].rule == "empty-security-policy"


def test_dependency_updates_renovate_and_empty_dependabot(tmp_path: Path) -> None:
    write_tree(tmp_path, {"renovate.json": '{"extends": ["config:recommended"]}'})
    assert _status(run_all(tmp_path, only=["dependency-updates"]), "dependency-updates").status is Status.PASS
    other = tmp_path / "other"
    write_tree(other, {".github/dependabot.yml": "version: 2\n"})
    du = _status(run_all(other, only=["dependency-updates"]), "dependency-updates")
    assert du.status is Status.FAIL and du.findings[0].rule == "empty-dependabot-config"
