"""Deferrals: a lead's written, expiring permission to ship with a known gap.

A deferral names a check (or one finding of it), a reason, the approving lead, an expiry date
and a ticket (``docs/checks.md`` "Deferrals"). This module decides, for one check's
result, which deferrals cover it and what state each deferral is in.

Rules:

* A deferral never covers ``error``: a check that could not run stays ``error`` (promise 1).
* An expired deferral (``expires`` before today) covers nothing; the check fails and its summary
  says which deferral expired.
* A deferral whose approval does not count (:attr:`ApprovalState.PENDING`, GitHub runs only)
  covers nothing; the summary names who must approve.
* A whole-check deferral (no ``finding``) turns ``fail`` into ``deferred``. A finding deferral
  covers the findings whose ids match (:attr:`gate.model.Finding.ids`, case-insensitive); the
  check becomes ``deferred`` only when every blocking finding is covered.
* A valid deferral that covers nothing is ``stale`` (the gap was closed: remove it).
* A valid deferral that expires within :data:`EXPIRY_WARNING_DAYS` is ``expiring``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Callable, Sequence

from gate.config import Deferral
from gate.model import (ApprovalState, CheckResult, DeferralRecord, DeferralState, Finding,
                        Status)
from gate.redact import redact

EXPIRY_WARNING_DAYS = 14
"""A deferral expiring within this many days is reported as ``expiring`` (README, "Deferrals")."""

ApprovalFn = Callable[[Deferral], "tuple[ApprovalState, str]"]
"""Decides whether a deferral's approval counts: returns the state and a note for people."""


def unverified_approval(deferral: Deferral) -> tuple[ApprovalState, str]:
    """The CLI's approval policy: approvals cannot be verified without GitHub, so they count
    and are reported as ``unverified``."""
    return ApprovalState.UNVERIFIED, "approval not verified (run on GitHub to verify it)"


def _matches(deferral: Deferral, finding: Finding) -> bool:
    if deferral.finding is None:
        return True
    want = deferral.finding.casefold()
    return any(want == i.casefold() for i in finding.ids)


def apply_deferrals(
    check_id: str,
    result: CheckResult,
    deferrals: Sequence[Deferral],
    *,
    today: dt.date,
    approval: ApprovalFn = unverified_approval,
) -> tuple[Status, str, tuple[Finding, ...], tuple[DeferralRecord, ...]]:
    """Apply the deferrals naming ``check_id`` to its ``result``.

    Returns ``(status, summary, findings, records)``: the final status (``deferred`` when every
    blocking part is covered), the summary (with notes on expired or pending deferrals), the
    findings with ``deferred_by`` set on covered ones, and one :class:`DeferralRecord` per
    deferral naming this check.
    """
    mine = [d for d in deferrals if d.check == check_id]
    findings = list(result.findings)
    status = result.status
    summary = result.summary
    if not mine:
        return status, summary, tuple(findings), ()

    evaluated = []
    for d in mine:
        days_left = (d.expires - today).days
        state, note = approval(d)
        usable = days_left >= 0 and state.counts
        evaluated.append((d, days_left, state, note, usable))

    covered_any: dict[int, bool] = {}
    notes: list[str] = []
    if status is Status.FAIL:
        blocking_idx = [i for i, f in enumerate(findings) if f.blocking]
        whole = next((d for d, _, _, _, ok in evaluated if ok and d.finding is None), None)
        for n, (d, days_left, state, note, usable) in enumerate(evaluated):
            hit = [i for i in blocking_idx if _matches(d, findings[i])]
            if d.finding is None:
                hit_any = True
            else:
                hit_any = bool(hit)
            if not usable:
                if hit_any and days_left < 0:
                    notes.append(f"deferral {d.ticket} expired on {d.expires.isoformat()}")
                elif hit_any:
                    notes.append(f"deferral {d.ticket} is pending approval ({note})")
                continue
            covered_any[n] = hit_any
            for i in hit:
                if findings[i].deferred_by is None:
                    findings[i] = dataclasses.replace(findings[i], deferred_by=d.ticket)
        all_covered = whole is not None or (
            bool(blocking_idx) and all(findings[i].deferred_by is not None for i in blocking_idx))
        if whole is not None:
            for i in blocking_idx:
                if findings[i].deferred_by is None:
                    findings[i] = dataclasses.replace(findings[i], deferred_by=whole.ticket)
        if all_covered:
            status = Status.DEFERRED
            tickets = sorted({f.deferred_by for f in findings if f.deferred_by} | ({whole.ticket} if whole else set()))
            summary = f"{summary} — deferred ({', '.join(tickets)})"
        elif any(covered_any.values()):
            left = sum(1 for i in blocking_idx if findings[i].deferred_by is None)
            summary = f"{summary} — {left} not covered by a deferral"
    if notes:
        summary = f"{summary} ({'; '.join(notes)})"

    records = []
    for n, (d, days_left, state, note, usable) in enumerate(evaluated):
        if days_left < 0:
            dstate, why = DeferralState.EXPIRED, f"expired {-days_left} day(s) ago; it covers nothing"
        elif not state.counts:
            dstate, why = DeferralState.PENDING, note
        elif result.status is Status.ERROR:
            dstate = DeferralState.EXPIRING if days_left <= EXPIRY_WARNING_DAYS else DeferralState.ACTIVE
            why = "the check could not run; a deferral never covers an error"
        elif not covered_any.get(n, False):
            dstate, why = DeferralState.STALE, "matches no failing check or finding; remove it"
        elif days_left <= EXPIRY_WARNING_DAYS:
            dstate, why = DeferralState.EXPIRING, f"expires in {days_left} day(s)"
        else:
            dstate, why = DeferralState.ACTIVE, ""
        if state is ApprovalState.UNVERIFIED and dstate is not DeferralState.EXPIRED:
            why = "; ".join(x for x in (why, note) if x)
        # The reason is free text typed by people into readiness.yml: a pasted credential must not
        # reach any output (promise 3), so it is redacted like any other outside text.
        records.append(DeferralRecord(
            check=d.check, finding=d.finding, reason=redact(d.reason), approved_by=d.approved_by,
            expires=d.expires, ticket=d.ticket, state=dstate, approval=state, days_left=days_left,
            location=d.location, note=why))
    return status, summary, tuple(findings), tuple(records)
