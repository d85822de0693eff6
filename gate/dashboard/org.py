"""Aggregate many services' reports into one org-wide view (pure: reports in, values out).

Each input report becomes a :class:`ServiceEntry`; an input that could not be read becomes an
entry with ``error`` set and verdict ``unknown``, never one that reads as ready (fail closed).
:func:`build_org_view` adds what the org needs from all of them at once: the gate columns, the
top failing checks and the deferrals expiring soon (``docs/org-wide.md``).

Identity. A service is identified across runs by its :attr:`ServiceEntry.key`: the repository
the trusted caller named (``check --repository``) or else the scanned root, plus the service
name from ``readiness.yml``. The name alone is not an identity: two repositories may both call
themselves ``payments-api`` (the shipped examples do), and a repository must not be able to take
over another's row by claiming its name.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Optional, Sequence

from gate.model import GATES, CheckReport, DeferralRecord, Report, Status
from gate.render.escape import one_line, strip_control
from gate.render.json_report import ReportFormatError, load_report

EXPIRY_WINDOW_DAYS = 30
"""Deferrals expiring within this many days (today included) are listed across services."""

TOP_FAILING_CHECKS = 10
"""How many of the org's most often failing checks the index lists."""

MAX_REPORT_BYTES = 128 * 1024 * 1024
"""A report file larger than this is not read (an entry with an error instead). The schema's own
bounds allow large reports; this caps the memory one hostile artifact can take."""

_SLUG_UNSAFE = re.compile(r"[^a-z0-9._-]+")
_REPOSITORY = re.compile(r"[A-Za-z0-9_.-]+(?:/[A-Za-z0-9_.-]+)+")

VERDICT_RANK = {"unknown": 0, "not-ready": 1, "ready": 2}
"""Sort order of verdicts: services we know least about come first, then those not ready."""


@dataclass(frozen=True)
class LoadedReport:
    """One input: the file as given, and either its report or why it could not be read."""

    source: str
    report: Optional[Report] = None
    error: Optional[str] = None
    repository: Optional[str] = None
    """For a placeholder of an expected repository that produced no report."""


@dataclass(frozen=True)
class ServiceEntry:
    """One row of the dashboard."""

    id: str
    """Unique within one dashboard, ``[a-z0-9._-]``, at most 100 characters: names
    ``badges/<id>.json`` and ``services/<id>.html``. The service name when no other service
    has the same one, else the name qualified by repository or root."""
    key: str
    """Identity across runs (see the module docstring); history lines are matched on it."""
    name: str
    """Display name: the service name, else the repository, else the report file's name."""
    source: str
    """The report file as given on the command line."""
    report: Optional[Report]
    error: Optional[str]
    """Why there is no report (not readable, not valid, missing); None when there is one."""
    repository: Optional[str] = None
    label: str = ""
    """``name``, qualified by repository or path when another service has the same name: what
    lists that do not show the repository (top failing checks, deferrals) print."""

    @property
    def verdict(self) -> str:
        """``ready``, ``not-ready`` or ``unknown`` (no valid report)."""
        if self.report is None:
            return "unknown"
        return "ready" if self.report.ready else "not-ready"

    @property
    def owners(self) -> tuple[str, ...]:
        """``owners`` of the report (empty without one), one line each."""
        return tuple(strip_control(o) for o in self.report.owners) if self.report else ()

    @property
    def tier(self) -> Optional[str]:
        """``service.tier`` of the report."""
        return self.report.tier if self.report else None

    @property
    def score(self) -> Optional[int]:
        """Readiness in percent (:func:`readiness_score`), None without a report."""
        return readiness_score(self.report) if self.report else None

    def gate_status(self, gate_id: str) -> Optional[Status]:
        """The gate's status in this service's report; None when the report has no such gate."""
        if self.report is None:
            return None
        for g in self.report.gates:
            if g.id == gate_id:
                return g.status
        return None

    @property
    def deferred_checks(self) -> int:
        """How many checks a deferral currently covers."""
        return sum(1 for c in self.report.checks if c.status is Status.DEFERRED) if self.report else 0

    @property
    def repository_url_part(self) -> Optional[str]:
        """The repository when it is a plain ``owner/name`` path (safe in a URL), else None."""
        repo = self.repository
        return repo if repo and _REPOSITORY.fullmatch(repo) and ".." not in repo else None


@dataclass(frozen=True)
class FailingCheck:
    """A check that blocks in several services: ``fail`` or ``error`` while required."""

    check: str
    gate: str
    title: str
    services: tuple[ServiceEntry, ...]
    errors: int
    """How many of them are ``error`` (could not run) rather than ``fail``."""


@dataclass(frozen=True)
class UpcomingDeferral:
    """A deferral that expires within :data:`EXPIRY_WINDOW_DAYS` of the dashboard's date."""

    service: ServiceEntry
    record: DeferralRecord
    days_left: int
    """Days from the dashboard's date to the expiry (0: expires today)."""


@dataclass(frozen=True)
class OrgView:
    """Everything the site shows, computed once."""

    today: dt.date
    generated_at: str
    """ISO 8601 UTC time the dashboard was built."""
    services: tuple[ServiceEntry, ...]
    """In display order: unknown first, then not ready, then ready; by name within each."""
    gates: tuple[tuple[str, str], ...]
    """``(id, title)`` of every gate column: the seven gates of ``docs/checks.md`` in order, then
    any other gate id a report names, sorted."""
    failing_checks: tuple[FailingCheck, ...]
    expiring_deferrals: tuple[UpcomingDeferral, ...]
    warnings: tuple[str, ...]

    @property
    def owners(self) -> tuple[str, ...]:
        """Every owner (team, login) named by any service, sorted, for the team filter."""
        return tuple(sorted({o for s in self.services for o in s.owners}, key=str.lower))

    @property
    def tiers(self) -> tuple[str, ...]:
        """Every tier named by any service, sorted, for the tier filter."""
        return tuple(sorted({s.tier for s in self.services if s.tier}, key=str.lower))

    def count(self, verdict: str) -> int:
        """How many services have ``verdict`` (``ready``, ``not-ready``, ``unknown``)."""
        return sum(1 for s in self.services if s.verdict == verdict)


def readiness_score(report: Report) -> Optional[int]:
    """Percent of the required checks that ran (not ``skipped``) and do not block: ``pass`` or
    ``deferred``. Rounded down, so 100 means every one; None when no required check ran.

    One number per run for the history chart; the verdict (``ready``) stays the gate's answer.
    """
    ran = [c for c in report.checks if c.required and c.status is not Status.SKIPPED]
    if not ran:
        return None
    good = sum(1 for c in ran if c.status in (Status.PASS, Status.DEFERRED))
    return good * 100 // len(ran)


def read_reports(paths: Iterable[Path]) -> list[LoadedReport]:
    """Read and validate each report file; a problem becomes the entry's ``error``, never an
    exception, so one bad artifact cannot take the whole dashboard down, and never a pass."""
    out = []
    for path in paths:
        source = str(path)
        try:
            if path.stat().st_size > MAX_REPORT_BYTES:
                raise ReportFormatError(f"larger than {MAX_REPORT_BYTES} bytes")
            text = path.read_bytes().decode("utf-8")
            out.append(LoadedReport(source, load_report(text)))
        except (OSError, UnicodeDecodeError, ReportFormatError) as exc:
            why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            out.append(LoadedReport(source, error=one_line(why, 500)))
    return out


def expected_placeholders(expected: Sequence[str], loaded: Sequence[LoadedReport]) -> list[LoadedReport]:
    """Entries for ``expected`` repositories that none of ``loaded`` is for: their job produced
    no report (it failed, timed out or uploaded nothing), which must show, not vanish."""
    have = {lr.report.repository for lr in loaded if lr.report is not None}
    return [LoadedReport(f"(no report for {repo})", error="no report: the gate's job for this repository "
                         "failed or uploaded nothing; see the workflow run", repository=repo)
            for repo in dict.fromkeys(expected) if repo not in have]


def _slug(text: str) -> str:
    return _SLUG_UNSAFE.sub("-", text.lower()).strip("-.")[:100].strip("-.") or "service"


def _identity(lr: LoadedReport) -> tuple[str, str, Optional[str]]:
    """``(key, display name, repository)`` of one input."""
    r = lr.report
    if r is None:
        if lr.repository:
            return f"{lr.repository}#", lr.repository, lr.repository
        return f"file:{lr.source}#", Path(lr.source).stem or lr.source, None
    where = r.repository or r.root
    name = r.service or r.repository or Path(r.root).name or r.root or Path(lr.source).stem
    return f"{where}#{r.service or ''}", name, r.repository


def _newer(a: LoadedReport, b: LoadedReport) -> bool:
    """True when ``b`` should replace ``a`` (same service): a valid report beats an error, then
    the later ``generated_at`` wins; on a tie the later argument does."""
    if (a.report is None) != (b.report is None):
        return a.report is None
    if a.report is None or b.report is None:
        return True
    return b.report.generated_at >= a.report.generated_at


def build_entries(loaded: Sequence[LoadedReport]) -> tuple[list[ServiceEntry], list[str]]:
    """One :class:`ServiceEntry` per service (the newest report of each), with unique ids.

    Returns ``(entries, warnings)``; a warning names each report that another replaced.
    """
    by_key: dict[str, tuple[LoadedReport, str, Optional[str]]] = {}
    warnings = []
    for lr in loaded:
        key, name, repo = _identity(lr)
        if key in by_key:
            old = by_key[key][0]
            keep, drop = (lr, old) if _newer(old, lr) else (old, lr)
            warnings.append(f"{one_line(drop.source, 300)}: another report for the same service "
                            f"({one_line(name, 200)}) is newer: {one_line(keep.source, 300)}")
            if keep is old:
                continue
        by_key[key] = (lr, name, repo)
    # Ids: the name's slug when unique, else qualified by where the report came from.
    items = sorted(by_key.items())
    first = {}
    for key, (_, name, _) in items:
        first.setdefault(_slug(name), []).append(key)
    taken: set[str] = set()
    entries = []
    for key, (lr, name, repo) in items:
        base, label = _slug(name), name
        if len(first[base]) > 1:
            where = key.rsplit("#", 1)[0].removeprefix("file:")
            base, label = _slug(f"{name}-{where}"), f"{name} ({where})"
        sid, n = base, 2
        while sid in taken:
            sid, n = f"{base[:95]}-{n}", n + 1
        taken.add(sid)
        entries.append(ServiceEntry(id=sid, key=key, name=name, source=lr.source, report=lr.report,
                                    error=lr.error, repository=repo, label=label))
    for key, ids in first.items():
        if len(ids) > 1:
            warnings.append(f"{len(ids)} services share the name {key!r}; their ids are qualified "
                            "by repository or path")
    return entries, warnings


def _gate_columns(entries: Sequence[ServiceEntry]) -> tuple[tuple[str, str], ...]:
    known = [(g.id, g.title) for g in GATES]
    ids = {g for g, _ in known}
    extra = {g.id: g.title for e in entries if e.report for g in e.report.gates if g.id not in ids}
    return tuple(known + sorted(extra.items()))


def _failing_checks(entries: Sequence[ServiceEntry]) -> tuple[FailingCheck, ...]:
    found: dict[str, list[tuple[ServiceEntry, CheckReport]]] = {}
    for e in entries:
        for c in e.report.checks if e.report else ():
            if c.blocking:
                found.setdefault(c.id, []).append((e, c))
    ranked = sorted(found.items(), key=lambda kv: (-len(kv[1]), kv[0]))[:TOP_FAILING_CHECKS]
    return tuple(
        FailingCheck(check=cid, gate=pairs[0][1].gate, title=pairs[0][1].title,
                     services=tuple(e for e, _ in pairs),
                     errors=sum(1 for _, c in pairs if c.status is Status.ERROR))
        for cid, pairs in ranked)


def _expiring(entries: Sequence[ServiceEntry], today: dt.date) -> tuple[UpcomingDeferral, ...]:
    out = []
    for e in entries:
        for d in e.report.deferrals if e.report else ():
            days = (d.expires - today).days
            if 0 <= days <= EXPIRY_WINDOW_DAYS:
                out.append(UpcomingDeferral(e, d, days))
    return tuple(sorted(out, key=lambda u: (u.days_left, u.service.name, u.record.check, u.record.ticket)))


def build_org_view(loaded: Sequence[LoadedReport], *, today: Optional[dt.date] = None,
                   now: Optional[dt.datetime] = None) -> OrgView:
    """The whole org's view of ``loaded`` (see :class:`OrgView`).

    ``today`` (default: the UTC date of ``now``) decides which deferrals expire within
    :data:`EXPIRY_WINDOW_DAYS`; ``now`` (default: the current UTC time) is the build time shown.
    """
    now = now or dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    today = today or now.date()
    entries, warnings = build_entries(loaded)
    entries.sort(key=lambda e: (VERDICT_RANK[e.verdict], e.name.lower(), e.id))
    return OrgView(
        today=today, generated_at=now.isoformat(), services=tuple(entries),
        gates=_gate_columns(entries), failing_checks=_failing_checks(entries),
        expiring_deferrals=_expiring(entries, today), warnings=tuple(warnings))

