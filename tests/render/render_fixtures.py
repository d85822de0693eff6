"""Hand-built reports for the renderer tests, and the golden-file comparison.

Every value is fixed (timestamps, versions, durations, days left against ``helpers.TODAY`` =
2026-11-21), so renderer output is byte-for-byte reproducible. The reports cover: ready, not
ready, a check in error, deferrals in every state (active, expiring, expired, pending approval,
stale), skipped paths, warnings, advisory failures, and repository-derived text that tries to
inject mentions, HTML, the comment marker, table breaks and terminal escape sequences.

Golden files live in ``tests/render/golden/``; run with ``UPDATE_GOLDEN=1`` to rewrite them
after an intended change, then review the diff.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Iterable, Optional

from gate.checks.interface import load_meta
from gate.model import (GATES, ApprovalState, CheckMeta, CheckReport, DeferralRecord, DeferralState, Finding,
                        GateResult, Location, Report, Severity, SkippedPath, Status, ToolInfo, worst)

GOLDEN = Path(__file__).parent / "golden"
TODAY = dt.date(2026, 11, 21)
COMMIT = "0123456789abcdef0123456789abcdef01234567"
HOSTILE = "@org/all <!-- readiness-gate:comment --> ping"
"""A finding message that tries to notify a team and fake the sticky comment's marker."""

SEMGREP = ToolInfo("semgrep", "1.182.0")
PIP_AUDIT = ToolInfo("pip-audit", "2.10.1")
DETECT_SECRETS = ToolInfo("detect-secrets", "1.5.0")


def check_golden(name: str, text: str, golden: Path = GOLDEN) -> None:
    """Compare ``text`` with ``<golden>/<name>`` (default ``tests/render/golden``); with
    ``UPDATE_GOLDEN=1`` write it instead."""
    path = golden / name
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="")
        return
    assert path.is_file(), f"missing golden file {path}; run with UPDATE_GOLDEN=1 to create it"
    expected = path.read_text(encoding="utf-8")
    assert text == expected, f"{name} differs from its golden file (UPDATE_GOLDEN=1 to accept)"


def deferral(check: str, ticket: str, days_left: int, state: DeferralState, *,
             finding: Optional[str] = None, approval: ApprovalState = ApprovalState.UNVERIFIED,
             approved_by: str = "@platform-lead", note: str = "", line: int = 40,
             reason: str = "Vendor fix scheduled; compensating control in place") -> DeferralRecord:
    """A deferral record expiring ``days_left`` days after :data:`TODAY`."""
    return DeferralRecord(
        check=check, finding=finding, reason=reason, approved_by=approved_by,
        expires=TODAY + dt.timedelta(days=days_left), ticket=ticket, state=state, approval=approval,
        days_left=days_left, location=Location("readiness.yml", line, 5), note=note)


def check(cid: str, gate: str, title: str, status: Status, summary: str, *, required: bool = True,
          findings: Iterable[Finding] = (), deferrals: Iterable[DeferralRecord] = (),
          tools: Iterable[ToolInfo] = (), skipped: Iterable[SkippedPath] = (),
          evidence: Iterable[str] = (), duration: float = 0.25) -> CheckReport:
    """A check report with fixed duration, carrying the check's words as the runner's do."""
    return CheckReport(id=cid, gate=gate, title=title, required=required, status=status, summary=summary,
                       findings=tuple(findings), skipped=tuple(skipped), tools=tuple(tools),
                       evidence=tuple(evidence), deferrals=tuple(deferrals), duration_s=duration,
                       meta=_meta(cid))


def _meta(cid: str) -> Optional[CheckMeta]:
    """The words of check ``cid`` (None for a check this installation does not know)."""
    try:
        return load_meta(cid)
    except (OSError, KeyError):
        return None


def build_report(checks: Iterable[CheckReport], *, skipped: Iterable[SkippedPath] = (),
                 warnings: Iterable[str] = (), service: Optional[str] = "payments",
                 config_source: str = "readiness.yml") -> Report:
    """Group ``checks`` into gates the way the runner does (worst required, non-skipped)."""
    checks = tuple(checks)
    gates = []
    for g in GATES:
        members = tuple(c for c in checks if c.gate == g.id)
        required = [c.status for c in members if c.required and c.status is not Status.SKIPPED]
        if required:
            status = worst(required)
        else:
            status = Status.PASS if members and not all(c.status is Status.SKIPPED for c in members) else Status.SKIPPED
        gates.append(GateResult(g.id, g.title, status, members))
    ready = not any(c.blocking for c in checks)
    return Report(
        ready=ready, gates=tuple(gates), skipped=tuple(skipped),
        deferrals=tuple(d for c in checks for d in c.deferrals), root=".",
        config_source=config_source, profile="default", service=service, mode="full",
        tool_version="0.1.0", generated_at="2026-11-21T12:00:00+00:00", duration_s=4.5,
        warnings=tuple(warnings), commit=COMMIT)


def ready_report() -> Report:
    """Every required check passes; one dependency advisory is deferred; load-test is off."""
    dep_deferral = deferral("dependencies", "SEC-7", 60, DeferralState.ACTIVE, finding="PYSEC-2018-28",
                            approval=ApprovalState.TRUSTED_BASE)
    return build_report([
        check("secrets", "security", "No secrets committed to the repository", Status.PASS,
              "no secrets found in 42 files", tools=[DETECT_SECRETS]),
        check("dependencies", "security", "No known-vulnerable pinned dependencies", Status.DEFERRED,
              "1 vulnerable dependency — deferred (SEC-7)", tools=[PIP_AUDIT], deferrals=[dep_deferral],
              findings=[Finding("PYSEC-2018-28", "requests 2.19.0 is vulnerable (fixed in 2.20.0)",
                                "requirements.txt", 3, Severity.HIGH, "requests@2.19.0:PYSEC-2018-28",
                                aliases=("CVE-2018-18074", "requests"), deferred_by="SEC-7",
                                remediation="Upgrade requests to 2.20.0 or later.")]),
        check("security-policy", "security", "A security policy with a reporting route", Status.PASS,
              "SECURITY.md names a reporting route"),
        check("dependency-updates", "security", "Automated dependency updates", Status.FAIL,
              "no Dependabot or Renovate configuration", required=False),
        check("error-handling", "error-handling", "Every external call has a timeout and failures are not swallowed",
              Status.PASS, "no external call without a timeout", tools=[SEMGREP]),
        check("observability", "observability", "Structured logs, metrics, a health endpoint and alerts",
              Status.PASS, "logs, metrics, /healthz and 3 alerts found"),
        check("rollback", "deploy-and-rollback", "One command to roll back, and reversible migrations",
              Status.PASS, "rollback workflow found"),
        check("backups", "data-safety", "Backups with a tested restore", Status.PASS,
              "restore tested on 2026-10-01"),
        check("load-test", "performance", "Load tested at projected peak", Status.SKIPPED,
              "disabled in readiness.yml (level: off)"),
        check("runbooks", "on-call", "Runbooks for the likely failures", Status.PASS, "3 of 3 failures have runbooks"),
    ])


def not_ready_report() -> Report:
    """Four blocking checks (two fail, one error, one fail with an expired deferral, one with a
    pending deferral), deferrals in every state, hostile text, skipped paths and warnings."""
    secrets = check(
        "secrets", "security", "No secrets committed to the repository", Status.FAIL, "2 secrets found",
        tools=[DETECT_SECRETS],
        findings=[
            Finding("aws-access-key", "AWS access key " + HOSTILE, "src/settings.py", 12, Severity.HIGH,
                    "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b"),
            Finding("private-key", "Private key in a | table [click](https://evil.example) `x` \x1b[2J\rgone",
                    "config/a b|c.pem", 1, Severity.CRITICAL, "3c363836cf4e16666669a25da280a1865c2d2874"),
        ])
    deps = check(
        "dependencies", "security", "No known-vulnerable pinned dependencies", Status.DEFERRED,
        "1 vulnerable dependency — deferred (SEC-101)", tools=[PIP_AUDIT],
        deferrals=[deferral("dependencies", "SEC-101", 60, DeferralState.ACTIVE, finding="PYSEC-2018-28",
                            note="approval not verified (run on GitHub to verify it)")],
        findings=[Finding("PYSEC-2018-28", "requests 2.19.0 is vulnerable (fixed in 2.20.0)",
                          "requirements.txt", 3, Severity.HIGH, "requests@2.19.0:PYSEC-2018-28",
                          aliases=("CVE-2018-18074",), deferred_by="SEC-101")])
    patterns = check(
        "insecure-patterns", "security", "No insecure code patterns", Status.ERROR,
        "semgrep exited 2 (expected 0 or 1): rule parse error. Check the semgrep installation; "
        "the check could not decide, so it does not pass.", tools=[SEMGREP])
    updates = check("dependency-updates", "security", "Automated dependency updates", Status.FAIL,
                    "no Dependabot or Renovate configuration", required=False)
    policy = check("security-policy", "security", "A security policy with a reporting route", Status.PASS,
                   "SECURITY.md names a reporting route")
    obs = check(
        "observability", "observability", "Structured logs, metrics, a health endpoint and alerts",
        Status.DEFERRED, "no alert rules found — deferred (OBS-7)",
        findings=[Finding("missing-alerts", "no alerting rules in the repository", None, None, Severity.MEDIUM,
                          deferred_by="OBS-7")],
        deferrals=[deferral("observability", "OBS-7", 5, DeferralState.EXPIRING, note="expires in 5 day(s)",
                            reason="Alerts live in the SRE repository until Q1 migration", line=44)])
    rollback = check(
        "rollback", "deploy-and-rollback", "One command to roll back, and reversible migrations", Status.FAIL,
        "1 irreversible migration (deferral REL-3 expired on 2026-11-19)",
        findings=[Finding("irreversible-migration", "migration drops column `email` without a down step",
                          "migrations/0042_drop_email.py", 7, Severity.HIGH, "m0042")],
        deferrals=[deferral("rollback", "REL-3", -2, DeferralState.EXPIRED,
                            note="expired 2 day(s) ago; it covers nothing", line=48)])
    pipeline = check("deploy-pipeline", "deploy-and-rollback", "One command to deploy, gated on tests",
                     Status.PASS, "deploy workflow runs after tests")
    backups = check(
        "backups", "data-safety", "Backups with a tested restore", Status.FAIL,
        "no restore test in the last 90 days (deferral DATA-9 is pending approval)",
        deferrals=[deferral("backups", "DATA-9", 30, DeferralState.PENDING, approval=ApprovalState.PENDING,
                            approved_by="@dba-lead",
                            note="needs an approving review from @dba-lead (a base-branch approver, "
                                 "not the author) on the pull request's current head", line=52)])
    load = check("load-test", "performance", "Load tested at projected peak", Status.SKIPPED,
                 "disabled in readiness.yml (level: off)")
    runbooks = check(
        "runbooks", "on-call", "Runbooks for the likely failures", Status.PASS, "3 of 3 failures have runbooks",
        deferrals=[deferral("runbooks", "OPS-1", 90, DeferralState.STALE,
                            note="matches no failing check or finding; remove it", line=56)])
    owners = check("ownership", "on-call", "Someone owns production", Status.PASS, "CODEOWNERS and on-call rota found")
    return build_report(
        [secrets, deps, patterns, updates, policy, obs, rollback, pipeline, backups, load, runbooks, owners],
        skipped=[SkippedPath("assets/logo.png", "binary"),
                 SkippedPath("data/dump.sql", "larger than 2097152 bytes"),
                 SkippedPath("docs/passwd", "symlink leaves the repository"),
                 SkippedPath("a\n::error::x.py", "not a regular file")],
        warnings=["Deferral OBS-7 (observability) expires in 5 day(s) (warning window: 14 days).",
                  "Deferral approvals were not verified (only the GitHub Action can check that the "
                  "named lead approved the pull request)."])


def error_report() -> Report:
    """Only ``secrets`` ran, and its scanner was missing: not ready, exit 1."""
    return build_report([
        check("secrets", "security", "No secrets committed to the repository", Status.ERROR,
              "detect-secrets not found (set READINESS_GATE_DETECT_SECRETS_BIN or install detect-secrets); "
              "the check could not decide, so it does not pass."),
        check("security-policy", "security", "A security policy with a reporting route", Status.SKIPPED,
              "not selected (--only)"),
    ], service=None, config_source="built-in default profile",
        warnings=["No readiness.yml found; using the built-in default profile. "
                  "Run `readiness-gate init` to write one."])


def big_report(n: int = 10_000) -> Report:
    """A not-ready report whose ``secrets`` check has ``n`` findings, each with hostile text."""
    findings = [Finding("generic-secret", f"secret-looking value {i} {HOSTILE}", f"src/module_{i:05d}.py",
                        i % 500 + 1, Severity.HIGH, f"fp{i:08d}") for i in range(n)]
    return build_report([
        check("secrets", "security", "No secrets committed to the repository", Status.FAIL,
              f"{n} secrets found", findings=findings),
        check("security-policy", "security", "A security policy with a reporting route", Status.FAIL,
              "no SECURITY.md"),
    ])


ALL_REPORTS = {"ready": ready_report, "not_ready": not_ready_report, "error": error_report}
"""Name -> builder, for parametrised golden tests."""
