"""Deferrals: coverage of checks and findings, expiry, the warning window, staleness, errors."""

from __future__ import annotations

import datetime as dt

from gate.config import Deferral
from gate.deferrals import apply_deferrals
from gate.model import ApprovalState, CheckResult, DeferralState, Finding, Status

TODAY = dt.date(2026, 11, 21)


def _d(check="dependencies", finding=None, expires="2027-03-01", ticket="OPS-1") -> Deferral:
    return Deferral(check=check, finding=finding, reason="reason long enough to be real here",
                    approved_by="@lead", expires=dt.date.fromisoformat(expires), ticket=ticket)


def _fail(*findings: Finding) -> CheckResult:
    return CheckResult.from_findings(list(findings), pass_summary="ok", fail_summary="bad")


VULN = Finding("PYSEC-2018-28", "requests 2.19.1 is vulnerable", "requirements.txt", 1,
               aliases=("CVE-2018-18074", "requests"), fingerprint="fp1")
OTHER = Finding("PYSEC-2020-1", "other", "requirements.txt", 2, fingerprint="fp2")


def test_whole_check_deferral_turns_fail_into_deferred() -> None:
    status, summary, findings, [rec] = apply_deferrals("dependencies", _fail(VULN, OTHER), [_d()], today=TODAY)
    assert status is Status.DEFERRED
    assert all(f.deferred_by == "OPS-1" for f in findings)
    assert rec.state is DeferralState.ACTIVE and rec.days_left == 100
    assert rec.approval is ApprovalState.UNVERIFIED
    assert "deferred (OPS-1)" in summary


def test_finding_deferral_by_alias_covers_only_that_finding() -> None:
    status, summary, findings, [rec] = apply_deferrals(
        "dependencies", _fail(VULN, OTHER), [_d(finding="cve-2018-18074")], today=TODAY)
    assert status is Status.FAIL
    assert [f.deferred_by for f in findings] == ["OPS-1", None]
    assert "1 not covered" in summary
    assert rec.state is DeferralState.ACTIVE


def test_all_findings_covered_one_by_one_is_deferred() -> None:
    status, _, _, recs = apply_deferrals(
        "dependencies", _fail(VULN, OTHER),
        [_d(finding="PYSEC-2018-28"), _d(finding="fp2", ticket="OPS-2")], today=TODAY)
    assert status is Status.DEFERRED
    assert {r.state for r in recs} == {DeferralState.ACTIVE}


def test_expired_deferral_covers_nothing_and_says_so() -> None:
    status, summary, findings, [rec] = apply_deferrals(
        "dependencies", _fail(VULN), [_d(expires="2026-11-20")], today=TODAY)
    assert status is Status.FAIL
    assert findings[0].deferred_by is None
    assert rec.state is DeferralState.EXPIRED and rec.days_left == -1
    assert "expired on 2026-11-20" in summary


def test_expiry_day_itself_still_valid_and_warns() -> None:
    status, _, _, [rec] = apply_deferrals("dependencies", _fail(VULN), [_d(expires="2026-11-21")], today=TODAY)
    assert status is Status.DEFERRED
    assert rec.state is DeferralState.EXPIRING and rec.days_left == 0


def test_expiring_within_fourteen_days() -> None:
    _, _, _, [rec14] = apply_deferrals("dependencies", _fail(VULN), [_d(expires="2026-12-05")], today=TODAY)
    _, _, _, [rec15] = apply_deferrals("dependencies", _fail(VULN), [_d(expires="2026-12-06")], today=TODAY)
    assert rec14.state is DeferralState.EXPIRING
    assert rec15.state is DeferralState.ACTIVE


def test_deferral_on_passing_check_is_stale() -> None:
    ok = CheckResult.from_findings([], pass_summary="fine")
    status, _, _, [rec] = apply_deferrals("dependencies", ok, [_d()], today=TODAY)
    assert status is Status.PASS
    assert rec.state is DeferralState.STALE


def test_finding_deferral_matching_nothing_is_stale() -> None:
    status, _, _, [rec] = apply_deferrals("dependencies", _fail(VULN), [_d(finding="GHSA-none")], today=TODAY)
    assert status is Status.FAIL
    assert rec.state is DeferralState.STALE


def test_error_is_never_deferred() -> None:
    err = CheckResult.errored("pip-audit crashed")
    status, _, _, [rec] = apply_deferrals("dependencies", err, [_d()], today=TODAY)
    assert status is Status.ERROR
    assert "never covers an error" in rec.note


def test_pending_approval_covers_nothing() -> None:
    def pending(d: Deferral):
        return ApprovalState.PENDING, "needs an approving review from @lead on the current head"

    status, summary, _, [rec] = apply_deferrals("dependencies", _fail(VULN), [_d()], today=TODAY, approval=pending)
    assert status is Status.FAIL
    assert rec.state is DeferralState.PENDING
    assert "@lead" in rec.note and "pending approval" in summary


def test_deferral_for_other_check_is_ignored() -> None:
    status, _, _, recs = apply_deferrals("dependencies", _fail(VULN), [_d(check="runbooks")], today=TODAY)
    assert status is Status.FAIL and recs == ()
