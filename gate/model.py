"""The report model: the one set of values every check produces and every renderer reads.

Data flows one way (see ``docs/architecture.md``): checks return
:class:`CheckResult`; the runner adds the check's metadata, its level and any deferral to make a
:class:`CheckReport`; gates aggregate those into :class:`GateResult`; the whole run is one
:class:`Report`. Renderers (text, JSON, markdown, SARIF) and publishers (GitHub comment, commit
status, check run) read a ``Report`` and nothing else.

All values are frozen dataclasses; statuses, severities and levels are ``str`` Enums whose values
are the stable strings used in JSON output and ``readiness.yml``.

A :class:`Finding` never carries a secret value: secret findings carry the secret *type* and a
fingerprint (detect-secrets' SHA-1 ``hashed_secret``), never the matched text.
"""

from __future__ import annotations

import datetime as _dt
import enum
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Optional, Tuple

if TYPE_CHECKING:  # gate.delta builds on this module; the report only holds its value
    from gate.delta import Delta


class Status(str, enum.Enum):
    """Outcome of one check, and (aggregated) of a gate.

    Source: ``docs/checks.md`` "Statuses".
    """

    PASS = "pass"
    """The check found the evidence it looks for and no blocking finding."""
    FAIL = "fail"
    """The check ran and found a gap."""
    DEFERRED = "deferred"
    """The check fails, but a valid, approved deferral covers every failing part of it."""
    ERROR = "error"
    """The check could not run (scanner missing, crashed, timed out, bad output). Counts as fail."""
    SKIPPED = "skipped"
    """Disabled in readiness.yml (``level: off``), de-selected on the command line, or not
    applicable; the result's summary says which."""

    @property
    def badness(self) -> int:
        """Rank used to aggregate statuses: a gate is as bad as its worst required check.

        ``error`` ranks worst because it means "we do not know", which must never read as
        better than a known failure.
        """
        return _STATUS_BADNESS[self]

    @property
    def blocks(self) -> bool:
        """True for statuses that make a *required* check block the merge (fail, error)."""
        return self in (Status.FAIL, Status.ERROR)


_STATUS_BADNESS = {
    Status.SKIPPED: 0,
    Status.PASS: 1,
    Status.DEFERRED: 2,
    Status.FAIL: 3,
    Status.ERROR: 4,
}


class Severity(str, enum.Enum):
    """Severity of a finding, ordered ``info < low < medium < high < critical``.

    ``unknown`` is used for advisories whose source gives no severity (many PYSEC records);
    for thresholds it ranks as ``critical`` so an unknown severity is never silently ignored
    (``fail-on`` defaults to blocking unknown severities: README, "dependencies").
    """

    INFO = "info"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"
    UNKNOWN = "unknown"

    @property
    def rank(self) -> int:
        """Integer rank for comparisons; ``unknown`` ranks with ``critical``."""
        return _SEVERITY_RANK[self]

    def at_least(self, threshold: "Severity") -> bool:
        """Return True when this severity is at or above ``threshold``."""
        return self.rank >= threshold.rank

    @property
    def sarif_level(self) -> str:
        """SARIF 2.1.0 ``result.level`` (§3.27.10): ``error``, ``warning`` or ``note``."""
        if self.rank >= _SEVERITY_RANK[Severity.HIGH]:
            return "error"
        if self.rank >= _SEVERITY_RANK[Severity.MEDIUM]:
            return "warning"
        return "note"


_SEVERITY_RANK = {
    Severity.INFO: 0,
    Severity.LOW: 1,
    Severity.MEDIUM: 2,
    Severity.HIGH: 3,
    Severity.CRITICAL: 4,
    Severity.UNKNOWN: 4,
}


class Level(str, enum.Enum):
    """How much a check counts, set per check in ``readiness.yml`` (``checks.<id>.level``)."""

    REQUIRED = "required"
    """A blocking status (fail, error) makes the report not ready."""
    ADVISORY = "advisory"
    """Reported, never blocks."""
    OFF = "off"
    """Not run; reported as skipped."""


class ApprovalState(str, enum.Enum):
    """How far a deferral's approval has been verified.

    The CLI cannot see who approved what, so it reports ``unverified`` (and the deferral
    counts). The GitHub entry point verifies approvals (``docs/threats.md``
    row 12) and uses the other values.
    """

    UNVERIFIED = "unverified"
    """Not checked (CLI runs); the deferral counts and the report says it was not verified."""
    TRUSTED_BASE = "trusted-base"
    """Identical deferral present on the base branch: it was approved when it was merged."""
    APPROVED = "approved"
    """Added or changed by the PR and approved by the named lead on the PR's current head."""
    PENDING = "pending-approval"
    """Added or changed by the PR and not (yet) approved as required; it does not count."""

    @property
    def counts(self) -> bool:
        """True when a deferral in this state may cover a failing check."""
        return self is not ApprovalState.PENDING


class DeferralState(str, enum.Enum):
    """Outcome of evaluating one deferral against today's date and the run's results."""

    ACTIVE = "active"
    """Valid and covering at least one failing check or finding."""
    EXPIRING = "expiring"
    """Active, but expires within the warning window (14 days)."""
    EXPIRED = "expired"
    """Past its expiry date: covers nothing; the check it names fails and says so."""
    PENDING = "pending-approval"
    """Not approved as required (GitHub runs only): covers nothing."""
    STALE = "stale"
    """Valid but matches no failing check or finding: the gap was closed, remove the deferral."""


@dataclass(frozen=True)
class Location:
    """Where a piece of configuration came from, for error messages and links.

    ``path`` is relative to the scanned root when inside it; ``line`` and ``column`` are
    1-based (``None`` when unknown).
    """

    path: str
    line: Optional[int] = None
    column: Optional[int] = None

    def __str__(self) -> str:
        out = self.path
        if self.line is not None:
            out += f":{self.line}"
            if self.column is not None:
                out += f":{self.column}"
        return out


@dataclass(frozen=True)
class Finding:
    """One problem a check found.

    Findings are values: equal findings compare and hash equal. A finding never contains a
    secret value (``docs/threats.md`` row 5).
    """

    rule: str
    """Stable id of what was found: a semgrep rule id, an advisory id (``PYSEC-2018-28``), a
    secret type id (``aws-access-key``) or a check-specific kebab-case id (``missing-section``)."""
    message: str
    """One or two sentences for a person: what is wrong. Never contains a secret value."""
    path: Optional[str] = None
    """Repository-relative POSIX path of the file the finding points at, if any."""
    line: Optional[int] = None
    """1-based line in ``path``, if known."""
    severity: Severity = Severity.MEDIUM
    """How bad it is; scanners' own severities are mapped onto :class:`Severity`."""
    fingerprint: str = ""
    """Stable identifier for this finding across runs (e.g. detect-secrets' hashed secret plus
    path, or package+advisory). Used for deduplication, SARIF ``partialFingerprints`` and
    caches. Empty when the check has nothing better than rule+path+line."""
    remediation: Optional[str] = None
    """One sentence saying what would satisfy the check, when more specific than the check's
    own remediation text."""
    aliases: Tuple[str, ...] = ()
    """Other ids a deferral may name to match this finding (CVE/GHSA aliases of an advisory,
    the package name, ...)."""
    deferred_by: Optional[str] = None
    """Set by the runner: the ticket of the deferral that covers this finding."""
    new: Optional[bool] = None
    """Set in diff-aware mode: True when the finding is new in the change under review, False
    when it pre-exists on the base; None in full scans."""
    blocking: bool = True
    """False for findings that are informational (e.g. an inline-allowlisted secret when the
    policy allows it, or a pre-existing finding in diff mode): they are shown but do not make
    the check fail."""

    @property
    def ids(self) -> Tuple[str, ...]:
        """Every id a deferral's ``finding`` may use to match this finding."""
        out = [self.rule, *self.aliases]
        if self.fingerprint:
            out.append(self.fingerprint)
        if self.path:
            out.append(self.path)
        return tuple(out)


@dataclass(frozen=True)
class SkippedPath:
    """A file or dependency not examined, with the reason (promise 5: every skip is named)."""

    path: str
    """Repository-relative POSIX path (or a dependency spec) that was not examined."""
    reason: str
    """Why, in a few words: ``symlink leaves the repository``, ``larger than 2097152 bytes``,
    ``binary``, ``not a regular file``, ``unreadable: Permission denied``, ..."""


@dataclass(frozen=True)
class ToolInfo:
    """An external scanner the run used, for the report's provenance."""

    name: str
    """Executable name: ``semgrep``, ``pip-audit``, ``detect-secrets``."""
    version: str
    """Version string the tool reported, or ``unknown``."""


@dataclass(frozen=True)
class CheckResult:
    """What a check's ``run()`` returns: its verdict before levels and deferrals apply.

    Checks are pure: inventory and settings in, ``CheckResult`` out. Build one with
    :meth:`from_findings` (pass or fail from the findings), :meth:`errored` or
    :meth:`not_applicable` (skipped), or directly.
    """

    status: Status
    """pass, fail, error or skipped (checks never return ``deferred``: the runner decides)."""
    summary: str
    """One line for a person: what was found or what is missing."""
    findings: Tuple[Finding, ...] = ()
    """What the check found, ordered by path then line."""
    skipped: Tuple[SkippedPath, ...] = ()
    """Inputs this check did not examine and why (in addition to the inventory's skips)."""
    tools: Tuple[ToolInfo, ...] = ()
    """External scanners this check ran."""
    evidence: Tuple[str, ...] = ()
    """Short notes of what counted as evidence (``rollback workflow .github/workflows/rb.yml``)."""

    @classmethod
    def from_findings(
        cls,
        findings: "tuple[Finding, ...] | list[Finding]",
        *,
        pass_summary: str,
        fail_summary: Optional[str] = None,
        **kwargs: object,
    ) -> "CheckResult":
        """Pass when no finding is blocking, else fail.

        ``fail_summary`` defaults to ``"N finding(s)"``. Extra keyword arguments
        (``skipped``, ``tools``, ``evidence``) are passed through.
        """
        ordered = tuple(sorted(findings, key=finding_sort_key))
        blocking = [f for f in ordered if f.blocking]
        if not blocking:
            return cls(Status.PASS, pass_summary, ordered, **kwargs)  # type: ignore[arg-type]
        n = len(blocking)
        summary = fail_summary or f"{n} finding{'s' if n != 1 else ''}"
        return cls(Status.FAIL, summary, ordered, **kwargs)  # type: ignore[arg-type]

    @classmethod
    def errored(cls, message: str, **kwargs: object) -> "CheckResult":
        """An ``error`` result: ``message`` says what went wrong and what to do about it."""
        return cls(Status.ERROR, message, **kwargs)  # type: ignore[arg-type]

    @classmethod
    def not_applicable(cls, reason: str, **kwargs: object) -> "CheckResult":
        """A ``skipped`` result for a check that does not apply to this repository."""
        return cls(Status.SKIPPED, reason, **kwargs)  # type: ignore[arg-type]


def finding_sort_key(f: Finding) -> tuple:
    """Deterministic order for findings: path, line, rule, message."""
    return (f.path or "", f.line or 0, f.rule, f.message)


_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
"""``{name}`` in a rule's remediation: filled by :meth:`RuleMeta.remediation_text`."""


@dataclass(frozen=True)
class RuleMeta:
    """The words of one finding rule of a check: ``rules.<id>`` in ``policies/checks/<check>.yml``."""

    id: str
    """The finding rule id (``no-backup-mechanism``), as in :attr:`Finding.rule`."""
    title: str
    """What the rule finds, in a few words ("No backup mechanism")."""
    remediation: str
    """What would satisfy it; may hold ``{name}`` placeholders the check fills in."""
    variants: Tuple[Tuple[str, str], ...] = ()
    """``(name, remediation)`` for the cases that need other words (a runbook path given or not)."""

    def remediation_text(self, variant: str = "", **values: object) -> str:
        """The remediation (or ``variant``'s) with each ``{name}`` replaced by ``values[name]``.

        Raises:
            KeyError: unknown variant, or a placeholder without a value.
        """
        text = dict(self.variants)[variant] if variant else self.remediation
        return _PLACEHOLDER.sub(lambda m: str(values[m.group(1)]), text)

    @property
    def remediation_shown(self) -> str:
        """The remediation for documentation: each ``{name}`` shown as ``<name>``."""
        return _PLACEHOLDER.sub(lambda m: f"<{m.group(1).replace('_', '-')}>", self.remediation)


@dataclass(frozen=True)
class CheckMeta:
    """A check's words, loaded from ``policies/checks/<id>.yml``.

    The same text feeds the PR comment, SARIF ``rules[]``, ``readiness-gate explain`` and docs.
    """

    id: str
    """Stable kebab-case check id (``secrets``, ``deploy-pipeline``, ...)."""
    gate: str
    """Id of the gate the check belongs to (see :data:`GATES`)."""
    title: str
    """Short title, e.g. "No secrets in the repository"."""
    rationale: str
    """Why this matters, in a few sentences."""
    remediation: str
    """What to do when it fails, in a few sentences."""
    sources: Tuple[str, ...] = ()
    """Where the rule comes from (``docs/checks.md``, standards, conventions)."""
    help_uri: Optional[str] = None
    """Link to documentation for the check, used by SARIF ``helpUri``."""
    rules: Tuple[RuleMeta, ...] = ()
    """The words of the check's own finding rules (``rules:``). Rules named by their source
    (advisory ids, secret types, semgrep rule ids) carry their words in the finding."""

    def rule(self, rule_id: str) -> RuleMeta:
        """The rule ``rule_id``. Raises KeyError when the metadata has no such rule."""
        for r in self.rules:
            if r.id == rule_id:
                return r
        raise KeyError(f"policies/checks/{self.id}.yml has no rule {rule_id!r}")


@dataclass(frozen=True)
class DeferralRecord:
    """A deferral from readiness.yml as the report shows it, with its evaluated state."""

    check: str
    """Check id the deferral names."""
    finding: Optional[str]
    """Finding id it is limited to (advisory id, rule id, path, fingerprint), or None for the
    whole check."""
    reason: str
    approved_by: str
    """GitHub login (``@lead``) or team (``@org/team``) named as approver."""
    expires: _dt.date
    ticket: str
    state: DeferralState
    approval: ApprovalState
    days_left: int
    """Days until expiry (negative when expired)."""
    location: Optional[Location] = None
    """Where in readiness.yml it was written."""
    note: str = ""
    """Why it is in this state, for a person (e.g. who must approve)."""


@dataclass(frozen=True)
class CheckReport:
    """One check's outcome in the report: the check's result plus metadata, level, deferral."""

    id: str
    gate: str
    title: str
    required: bool
    """True when ``level: required``; advisory checks never block."""
    status: Status
    """Final status after deferrals: a failing check whose every blocking finding (or the
    whole check) is covered by a valid deferral becomes ``deferred``."""
    summary: str
    findings: Tuple[Finding, ...] = ()
    skipped: Tuple[SkippedPath, ...] = ()
    tools: Tuple[ToolInfo, ...] = ()
    evidence: Tuple[str, ...] = ()
    deferrals: Tuple[DeferralRecord, ...] = ()
    """Deferrals naming this check (any state)."""
    duration_s: float = 0.0
    """Wall time of the check's run, seconds."""
    meta: Optional[CheckMeta] = field(default=None, compare=False, repr=False)
    """The check's words (``policies/checks/<id>.yml``), for renderers (SARIF ``rules[]``); None
    for a report read back from JSON, or for a check unknown to this installation. Not part of
    the report's value (equality, JSON): the words belong to the installation, not the run."""

    @property
    def blocking(self) -> bool:
        """True when this check makes the report not ready."""
        return self.required and self.status.blocks


@dataclass(frozen=True)
class GateInfo:
    """One of the seven gates of ``docs/checks.md``."""

    id: str
    title: str


GATES: Tuple[GateInfo, ...] = (
    GateInfo("security", "Security"),
    GateInfo("error-handling", "Error handling"),
    GateInfo("observability", "Observability"),
    GateInfo("deploy-and-rollback", "Deploy and rollback"),
    GateInfo("data-safety", "Data safety"),
    GateInfo("performance", "Performance"),
    GateInfo("on-call", "On-call"),
)
"""The gates, in report order. Source: ``docs/checks.md`` (the seven gates)."""


@dataclass(frozen=True)
class GateResult:
    """A gate: as bad as its worst required check (advisory checks do not count)."""

    id: str
    title: str
    status: Status
    checks: Tuple[CheckReport, ...]


@dataclass(frozen=True)
class Report:
    """Everything one run of the gate found; the only input of every renderer."""

    ready: bool
    """True when no required check is ``fail`` or ``error``."""
    gates: Tuple[GateResult, ...]
    skipped: Tuple[SkippedPath, ...]
    """Paths the repository inventory did not examine, with reasons."""
    deferrals: Tuple[DeferralRecord, ...]
    """Every deferral in readiness.yml, evaluated."""
    root: str
    """The scanned directory as given (display only)."""
    config_source: str
    """Path of the readiness.yml used, or ``built-in default profile`` when none was found."""
    profile: str
    """The profile the configuration extends (``default``, ``strict``, ``minimal``)."""
    service: Optional[str] = None
    mode: str = "full"
    """``full`` or ``diff`` (diff-aware: secrets and patterns only in changed files)."""
    changed_since: Optional[str] = None
    tool_version: str = ""
    """readiness-gate's own version."""
    generated_at: str = ""
    """ISO 8601 UTC timestamp of the run."""
    duration_s: float = 0.0
    warnings: Tuple[str, ...] = ()
    """Things a person should know that are not findings (no readiness.yml found, deferral
    expiring soon, approval not verified, ...)."""
    commit: Optional[str] = None
    """The commit scanned, when known (``GITHUB_SHA`` or ``git rev-parse HEAD``)."""
    repository: Optional[str] = None
    """The repository scanned (``owner/name``), when the trusted caller says so (``check
    --repository``, the Action's ``GITHUB_REPOSITORY``); never taken from the repository itself."""
    owners: Tuple[str, ...] = ()
    """``owners`` from readiness.yml, for org-wide views (``docs/org-wide.md``)."""
    tier: Optional[str] = None
    """``service.tier`` from readiness.yml (``tier-1``, ...), for org-wide views."""
    delta: Optional["Delta"] = None
    """What the change did compared with the base branch (:mod:`gate.delta`), when known."""

    @property
    def checks(self) -> Tuple[CheckReport, ...]:
        """All checks, in gate order."""
        return tuple(c for g in self.gates for c in g.checks)

    @property
    def blocking_checks(self) -> Tuple[CheckReport, ...]:
        """Required checks that fail or could not run."""
        return tuple(c for c in self.checks if c.blocking)

    @property
    def tools(self) -> Tuple[ToolInfo, ...]:
        """Every scanner used in the run, deduplicated, sorted by name."""
        seen = {(t.name, t.version): t for c in self.checks for t in c.tools}
        return tuple(seen[k] for k in sorted(seen))


def worst(statuses: "list[Status] | tuple[Status, ...]") -> Status:
    """The worst of ``statuses`` by :attr:`Status.badness`; ``skipped`` when empty."""
    if not statuses:
        return Status.SKIPPED
    return max(statuses, key=lambda s: s.badness)


__all__ = [
    "ApprovalState",
    "CheckMeta",
    "CheckReport",
    "CheckResult",
    "DeferralRecord",
    "DeferralState",
    "Finding",
    "GATES",
    "GateInfo",
    "GateResult",
    "Level",
    "Location",
    "Report",
    "RuleMeta",
    "Severity",
    "SkippedPath",
    "Status",
    "ToolInfo",
    "finding_sort_key",
    "worst",
]
