"""The readiness delta: what a change did to the verdict, compared with the base branch.

:func:`compare` takes the base branch's :class:`~gate.model.Report` and the change's, and
returns a :class:`Delta` (pure: reports in, values out): each gate and check whose status
changed (``runbooks: pass → fail``), the new and fixed findings per check, and the deferrals
added or removed. The report carries it as :attr:`gate.model.Report.delta`; the JSON report
writes it as ``delta`` (``policies/report.schema.json``) and the markdown comment and job summary
open with it ("Changes since the base branch").

Where the base report comes from (:attr:`Delta.source`):

* ``report`` — a base report file (``check --baseline-report BASE.json``), validated like any
  report another job produced: every check is compared.
* ``base-commit`` — the Action re-ran the cheap evidence checks on the base commit
  (:mod:`gate.github.baseline`). The scanner checks did not run there: they are listed in
  :attr:`Delta.not_compared`, their status change is not claimed, and their new findings are
  the ones diff mode marked ``new`` (fixed findings are not known). Gates holding such a check
  are not compared either, nor the overall verdict.

A finding is the same finding on both sides when its rule and fingerprint match (rule, path and
message when it has no fingerprint): line numbers move when code above them changes, which
neither fixes nor adds anything. Deferrals are the same when check, finding, ticket, expiry and
approver match; a changed expiry is one removed and one added.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Iterable, Optional

from gate.model import DeferralRecord, Finding, Report, Status

SOURCES = ("report", "base-commit")
"""Values of :attr:`Delta.source`."""

MAX_LISTED = 1_000
"""New or fixed findings listed per check (the counts stay exact); the JSON schema's bound."""


@dataclass(frozen=True)
class StatusChange:
    """A gate or check whose status differs: ``before``/``after`` None when it was not in that
    report (a new check, or one the change removed)."""

    id: str
    gate: str
    """The gate's id (for a gate, its own id)."""
    title: str
    before: Optional[Status]
    after: Optional[Status]

    @property
    def phrase(self) -> str:
        """``runbooks: pass → fail`` (``not run`` for a missing side)."""
        def word(s: Optional[Status]) -> str:
            return s.value if s is not None else "not run"
        return f"{self.id}: {word(self.before)} → {word(self.after)}"

    @property
    def worse(self) -> bool:
        """True when the change made it worse (by :attr:`Status.badness`; a check that appears
        failing is worse, one that disappears is not)."""
        before = self.before.badness if self.before is not None else Status.PASS.badness
        after = self.after.badness if self.after is not None else Status.PASS.badness
        return after > before


@dataclass(frozen=True)
class FindingChanges:
    """One check's new and fixed findings (each list cut at :data:`MAX_LISTED`)."""

    check: str
    new: tuple[Finding, ...]
    fixed: tuple[Finding, ...]
    new_count: int
    fixed_count: int


@dataclass(frozen=True)
class Delta:
    """What the change did, compared with the base (see the module docstring)."""

    source: str
    """``report`` or ``base-commit`` (:data:`SOURCES`)."""
    base_commit: Optional[str]
    base_ready: Optional[bool]
    """The base's verdict; None when not comparable (``base-commit``: scanners not re-run)."""
    gates: tuple[StatusChange, ...] = ()
    checks: tuple[StatusChange, ...] = ()
    findings: tuple[FindingChanges, ...] = ()
    deferrals_added: tuple[DeferralRecord, ...] = ()
    deferrals_removed: tuple[DeferralRecord, ...] = ()
    not_compared: tuple[str, ...] = ()
    """Check ids whose base status is not known; their new findings come from diff mode."""

    @property
    def empty(self) -> bool:
        """True when nothing changed that the delta can see."""
        return not (self.gates or self.checks or self.findings or self.deferrals_added or self.deferrals_removed)

    def headline(self, ready_after: bool) -> str:
        """The one sentence a reviewer reads first, e.g. ``This change drops on-call from pass to
        fail.``; ``No gate or check changed status.`` when none did."""
        worse = [g for g in self.gates if g.worse]
        better = [g for g in self.gates if not g.worse]
        parts = []
        if self.base_ready is True and not ready_after:
            parts.append("makes the service not ready")
        elif self.base_ready is False and ready_after:
            parts.append("makes the service ready")
        if worse:
            parts.append("drops " + _join(f"{g.id} from {_w(g.before)} to {_w(g.after)}" for g in worse))
        if better:
            parts.append("raises " + _join(f"{g.id} from {_w(g.before)} to {_w(g.after)}" for g in better))
        if not parts:
            if self.checks:
                return "This change moves " + _join(c.phrase for c in self.checks) + "."
            return "No gate or check changed status."
        return "This change " + "; ".join(parts) + "."


def _w(s: Optional[Status]) -> str:
    return s.value if s is not None else "not run"


def _join(items: Iterable[str]) -> str:
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def finding_key(f: Finding) -> tuple[str, ...]:
    """What makes two findings the same across the base and the change (no line number)."""
    return (f.rule, f.fingerprint) if f.fingerprint else (f.rule, f.path or "", f.message)


def deferral_key(d: DeferralRecord) -> tuple[str, ...]:
    """What makes two deferrals the same: check, finding, ticket, expiry, approver."""
    return (d.check, d.finding or "", d.ticket, d.expires.isoformat(), d.approved_by)


def _minus(a: Iterable[Finding], b: Iterable[Finding]) -> list[Finding]:
    """Findings of ``a`` with no counterpart in ``b`` (as multisets: two equal findings in ``a``
    and one in ``b`` leave one)."""
    left = Counter(finding_key(f) for f in b)
    out = []
    for f in a:
        k = finding_key(f)
        if left[k]:
            left[k] -= 1
        else:
            out.append(f)
    return out


def _changes(before: dict[str, tuple[str, str, Status]], after: dict[str, tuple[str, str, Status]],
             order: list[str]) -> tuple[StatusChange, ...]:
    out = []
    for key in order:
        b, a = before.get(key), after.get(key)
        if (b and b[2]) == (a and a[2]):
            continue
        gate, title = (a or b)[0], (a or b)[1]  # type: ignore[index]
        out.append(StatusChange(key, gate, title, b[2] if b else None, a[2] if a else None))
    return tuple(out)


def compare(base: Report, head: Report, *, source: str = "report",
            not_compared: Iterable[str] = ()) -> Delta:
    """The :class:`Delta` from ``base`` to ``head``.

    ``not_compared``: check ids whose base result is not known (``base-commit``: the scanner
    checks, not re-run on the base): for those that ran in ``head``, no status change is claimed
    for them or their gates, and their new findings are ``head``'s findings marked new by diff
    mode.

    Raises:
        ValueError: ``source`` is not one of :data:`SOURCES`.
    """
    if source not in SOURCES:
        raise ValueError(f"unknown delta source {source!r}")
    skip = frozenset(not_compared) & {c.id for c in head.checks if c.status is not Status.SKIPPED}
    skip_gates = {c.gate for c in head.checks if c.id in skip}
    base_checks = {c.id: c for c in base.checks}
    head_checks = {c.id: c for c in head.checks}
    order = list(head_checks) + [c for c in base_checks if c not in head_checks]

    gate_order = [g.id for g in head.gates] + [g.id for g in base.gates if g.id not in {h.id for h in head.gates}]
    gates = _changes({g.id: (g.id, g.title, g.status) for g in base.gates if g.id not in skip_gates},
                     {g.id: (g.id, g.title, g.status) for g in head.gates if g.id not in skip_gates},
                     [g for g in gate_order if g not in skip_gates])
    checks = _changes({c.id: (c.gate, c.title, c.status) for c in base.checks if c.id not in skip},
                      {c.id: (c.gate, c.title, c.status) for c in head.checks if c.id not in skip},
                      [c for c in order if c not in skip])

    findings = []
    for cid in order:
        h, b = head_checks.get(cid), base_checks.get(cid)
        if cid in skip:
            new, fixed = [f for f in (h.findings if h else ()) if f.new], []
        else:
            new = _minus(h.findings if h else (), b.findings if b else ())
            fixed = _minus(b.findings if b else (), h.findings if h else ())
        if new or fixed:
            findings.append(FindingChanges(cid, tuple(new[:MAX_LISTED]), tuple(fixed[:MAX_LISTED]),
                                           len(new), len(fixed)))

    base_d = {deferral_key(d): d for d in base.deferrals}
    head_d = {deferral_key(d): d for d in head.deferrals}
    return Delta(
        source=source, base_commit=base.commit, base_ready=None if skip else base.ready,
        gates=gates, checks=checks, findings=tuple(findings),
        deferrals_added=tuple(d for k, d in head_d.items() if k not in base_d),
        deferrals_removed=tuple(d for k, d in base_d.items() if k not in head_d),
        not_compared=tuple(sorted(skip)))


__all__ = ["Delta", "FindingChanges", "MAX_LISTED", "SOURCES", "StatusChange", "compare", "deferral_key",
           "finding_key"]
