"""What every human-facing renderer says the same way: which findings block, findings grouped
by rule, a check's fix and docs link, the honest gate line.

The text report and the markdown comment (and so the job summary and the check-run summary)
read a report through these functions, so a reader sees the same grouping, the same counts and
the same words in each. All functions are pure; they return *unescaped* report text, which
callers escape for their medium (:mod:`gate.render.escape`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, List, Optional, Sequence, Tuple

from gate.model import CheckReport, Finding, GateResult, Severity, Status


def blocks(check: CheckReport, finding: Finding) -> bool:
    """True when ``finding`` is one of the reasons ``check`` blocks the merge: the check blocks
    (required, fail or error), the finding is blocking and no deferral covers it."""
    return check.blocking and finding.blocking and finding.deferred_by is None


def split_findings(check: CheckReport) -> Tuple[List[Finding], List[Finding]]:
    """``(blocking, other)`` findings of ``check`` (see :func:`blocks`), each in report order."""
    blocking: List[Finding] = []
    other: List[Finding] = []
    for f in check.findings:
        (blocking if blocks(check, f) else other).append(f)
    return blocking, other


@dataclass(frozen=True)
class FindingGroup:
    """The findings of one rule in one check: shown as "rule × count", the message once (when
    every finding says the same), then the locations."""

    rule: str
    findings: Tuple[Finding, ...]
    """New-in-this-change findings first, then the rest, each in report (path, line) order."""

    @property
    def count(self) -> int:
        """Number of findings."""
        return len(self.findings)

    @property
    def severity(self) -> Severity:
        """The worst severity of the group."""
        return max((f.severity for f in self.findings), key=lambda s: s.rank)

    @property
    def message(self) -> Optional[str]:
        """The message every finding shares, or None when they differ (each location then says its own)."""
        first = self.findings[0].message
        return first if all(f.message == first for f in self.findings) else None

    @property
    def remediation(self) -> Optional[str]:
        """The remediation every finding shares (the rule's words), or None."""
        first = self.findings[0].remediation
        return first if first and all(f.remediation == first for f in self.findings) else None

    @property
    def new_count(self) -> int:
        """Findings new in the change under review (diff mode)."""
        return sum(1 for f in self.findings if f.new)

    def files(self, findings: Optional[Sequence[Finding]] = None) -> int:
        """Distinct files among ``findings`` (default: the whole group); findings without a path count as one."""
        return len({f.path for f in (self.findings if findings is None else findings)})


def group_findings(findings: Iterable[Finding]) -> List[FindingGroup]:
    """Group ``findings`` by rule.

    Order: groups holding a finding new in this change first, then by worst severity (critical
    first), then by first appearance; inside a group, new findings before pre-existing ones, each
    in the order given (the report orders by path and line).
    """
    by_rule: dict[str, List[Finding]] = {}
    for f in findings:
        by_rule.setdefault(f.rule, []).append(f)
    groups = [FindingGroup(rule, tuple(sorted(fs, key=lambda f: not f.new))) for rule, fs in by_rule.items()]
    order = {g.rule: i for i, g in enumerate(groups)}
    return sorted(groups, key=lambda g: (g.new_count == 0, -g.severity.rank, order[g.rule]))


def check_fix(check: CheckReport) -> Optional[str]:
    """The check's one-line fix: its remediation from ``policies/checks/<id>.yml`` (carried by the
    report), else the remediation its findings share; None when neither is known."""
    meta = getattr(check, "meta", None)
    if meta is not None and getattr(meta, "remediation", None):
        return " ".join(str(meta.remediation).split())
    fixes = {f.remediation for f in check.findings if f.remediation}
    return fixes.pop() if len(fixes) == 1 else None


def check_docs(check: CheckReport) -> Optional[str]:
    """Link to the check's documentation (``help-uri`` of ``policies/checks/<id>.yml``), or None."""
    meta = getattr(check, "meta", None)
    return getattr(meta, "help_uri", None) if meta is not None else None


def advisory_problems(gate: GateResult) -> Tuple[int, List[CheckReport]]:
    """``(findings, checks)``: blocking findings of the gate's advisory checks that fail or err,
    and those checks. They never block, so the gate can pass while they fail."""
    failing = [c for c in gate.checks if not c.required and c.status in (Status.FAIL, Status.ERROR)]
    return sum(1 for c in failing for f in c.findings if f.blocking and not f.deferred_by), failing


def gate_note(gate: GateResult) -> str:
    """What a gate's status word hides, for its line: ``" (1 advisory finding)"``, ``" (advisory
    load-test: error)"``, or ``""``.

    Only for gates whose status does not block (pass, deferred, skipped): ``Performance: PASS``
    next to a failing advisory load test would read as "all is well".
    """
    if gate.status.blocks:
        return ""
    n, failing = advisory_problems(gate)
    if not failing:
        return ""
    if n:
        return f" ({n} advisory finding{'' if n == 1 else 's'})"
    return " (" + ", ".join(f"advisory {c.id}: {c.status.value}" for c in failing) + ")"


def evidence_line(check: CheckReport, limit: int = 300) -> str:
    """A passing check's evidence on one line (``pg_dump in scripts/backup.sh:12; restore test
    tests/test_restore.py:40``): what made it pass, so a wrong pass is visible. ``""`` when none."""
    text = "; ".join(" ".join(e.split()) for e in check.evidence if e.strip())
    return text if len(text) <= limit else text[: limit - 1] + "…"


__all__ = [
    "FindingGroup",
    "advisory_problems",
    "blocks",
    "check_docs",
    "check_fix",
    "evidence_line",
    "gate_note",
    "group_findings",
    "split_findings",
]
