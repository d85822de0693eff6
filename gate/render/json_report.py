"""JSON output: the versioned, machine-readable report, and reading it back.

The document follows ``policies/report.schema.json`` (JSON Schema draft 2020-12), version
:data:`SCHEMA_VERSION`. Field names other tools rely on are fixed (``policies/report.schema.json``): top level
``ready`` and ``gates`` (``{id, status, checks}``), each check ``{id, gate, status, required,
title, findings, deferral}``, each finding ``{rule, message, path, line, severity,
fingerprint}``, and ``skipped`` (``{path, reason}``).

Deferrals appear twice per check, on purpose: ``deferrals`` lists every deferral naming the
check, in any state, and ``deferral`` is the one that applies — the first ``active`` or
``expiring`` record when the check is not in ``error`` (a deferral never covers an error),
else ``null``. ``deferral``, ``blocking`` (per check and top level) and ``tools`` (top level)
are derived from the other fields and ignored when reading.

The GitHub ``publish`` command re-reads a report produced by an unprivileged job
(``docs/threats.md`` row 1), so :func:`report_from_dict` validates against the schema
(whose ``maxLength``/``maxItems`` bound every value), checks that ``ready`` agrees with the
checks, and round-trips exactly: ``report_from_dict(report_to_dict(r)) == r`` for every report
within the schema's bounds and free of credential shapes. :func:`report_to_dict` redacts those
(:func:`gate.redact.redact`: no path, message or quoted readiness.yml value carries a token) and
clips values beyond the bounds (with a warning in the report) so its output always validates.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import json
from typing import Any, Callable, Mapping, Optional, Sequence, TypeVar

from gate.delta import Delta, FindingChanges, StatusChange
from gate.model import (ApprovalState, CheckReport, DeferralRecord, DeferralState, Finding,
                        GateResult, Location, Report, Severity, SkippedPath, Status, ToolInfo)
from gate.redact import redact
from gate.render.escape import one_line, redact_id, truncate
from gate.render.interface import RenderOptions, Renderer
from gate.resources import policy_file

SCHEMA_VERSION = 1
"""Version of the JSON report format; bumped on any incompatible change."""

TOOL_NAME = "readiness-gate"

# Bounds, mirrored in policies/report.schema.json (tests check that outputs validate). They exist
# because ``publish`` reads untrusted artifacts; they are far above what a real run produces.
MAX_TEXT = 16_384
"""Characters in free text: messages, summaries, reasons, notes, warnings."""
MAX_ID = 512
"""Characters in identifiers: rule ids, fingerprints, tickets, approvers, tool names."""
MAX_PATH = 4_096
"""Characters in a path (Linux ``PATH_MAX``)."""
MAX_FINDINGS = 100_000
"""Findings per check."""
MAX_SKIPPED = 100_000
"""Skipped paths, per check and at top level."""
MAX_DEFERRALS = 1_000
"""Deferral records, per check and at top level."""
MAX_SMALL_LIST = 1_000
"""Warnings, evidence notes, aliases, tools."""

T = TypeVar("T")


class ReportFormatError(ValueError):
    """A report document does not follow ``policies/report.schema.json`` or is inconsistent.

    The message names the JSON path of the first problems; values from the document are cut
    and stripped of control characters, so the message is safe to print in a CI log.
    """


# --------------------------------------------------------------------------------------------
# Report -> dict


class _Clipper:
    """Redacts and clips values to the schema's bounds, and remembers what it dropped, for a warning.

    Every string of the document passes :meth:`text` (or :meth:`ident`): paths, messages and the
    values quoted from readiness.yml (tickets, finding ids, owners, evidence notes) have their
    credential shapes replaced by ``[REDACTED]`` (:func:`gate.redact.redact`; ``docs/threats.md``,
    promise 3), before cutting, so no token is ever shown in part.
    """

    def __init__(self) -> None:
        self.dropped: list[str] = []

    def text(self, value: Optional[str], limit: int = MAX_TEXT, *, scrub: Callable[[str], str] = redact) -> Optional[str]:
        if value is None:
            return value
        value = scrub(value)
        if len(value) <= limit:
            return value
        self.dropped.append(f"a value longer than {limit} characters was cut")
        return truncate(value, limit)

    def ident(self, value: Optional[str], limit: int = MAX_ID) -> Optional[str]:
        """An identifier that may hold hex digests (a fingerprint): see :func:`redact_id`."""
        return self.text(value, limit, scrub=redact_id)

    def items(self, values: Sequence[T], limit: int, what: str) -> Sequence[T]:
        if len(values) <= limit:
            return values
        self.dropped.append(f"{len(values) - limit} {what} beyond {limit} were left out")
        return values[:limit]


def _location(loc: Optional[Location], c: _Clipper) -> Optional[dict]:
    if loc is None:
        return None
    return {"path": c.text(loc.path, MAX_PATH), "line": loc.line, "column": loc.column}


def _deferral(d: DeferralRecord, c: _Clipper) -> dict:
    return {
        "check": c.text(d.check, MAX_ID),
        "finding": c.text(d.finding, MAX_PATH),
        "reason": c.text(d.reason),
        "approved_by": c.text(d.approved_by, MAX_ID),
        "expires": d.expires.isoformat(),
        "ticket": c.text(d.ticket, MAX_ID),
        "state": d.state.value,
        "approval": d.approval.value,
        "days_left": d.days_left,
        "location": _location(d.location, c),
        "note": c.text(d.note),
    }


def _finding(f: Finding, c: _Clipper) -> dict:
    return {
        "rule": c.text(f.rule, MAX_ID),
        "message": c.text(f.message),
        "path": c.text(f.path, MAX_PATH),
        "line": f.line,
        "severity": f.severity.value,
        "fingerprint": c.ident(f.fingerprint),
        "remediation": c.text(f.remediation),
        "aliases": [c.text(a, MAX_ID) for a in c.items(f.aliases, MAX_SMALL_LIST, "aliases")],
        "deferred_by": c.text(f.deferred_by, MAX_ID),
        "new": f.new,
        "blocking": f.blocking,
    }


def _skipped(s: SkippedPath, c: _Clipper) -> dict:
    return {"path": c.text(s.path, MAX_PATH), "reason": c.text(s.reason)}


def _tool(t: ToolInfo, c: _Clipper) -> dict:
    return {"name": c.text(t.name, MAX_ID), "version": c.text(t.version, MAX_ID)}


def applicable_deferral(check: CheckReport) -> Optional[DeferralRecord]:
    """The deferral that applies to ``check``: its first ``active`` or ``expiring`` record.

    None when the check is in ``error`` (a deferral never covers an error, ``gate.deferrals``)
    or when no record is active. Renderers use it to say which deferral a check rests on.
    """
    if check.status is Status.ERROR:
        return None
    for d in check.deferrals:
        if d.state in (DeferralState.ACTIVE, DeferralState.EXPIRING):
            return d
    return None


def _check(ch: CheckReport, c: _Clipper) -> dict:
    active = applicable_deferral(ch)
    return {
        "id": c.text(ch.id, MAX_ID),
        "gate": c.text(ch.gate, MAX_ID),
        "title": c.text(ch.title, MAX_ID),
        "status": ch.status.value,
        "required": ch.required,
        "blocking": ch.blocking,
        "summary": c.text(ch.summary),
        "findings": [_finding(f, c) for f in c.items(ch.findings, MAX_FINDINGS, f"findings of {ch.id}")],
        "deferral": _deferral(active, c) if active is not None else None,
        "deferrals": [_deferral(d, c) for d in c.items(ch.deferrals, MAX_DEFERRALS, f"deferrals of {ch.id}")],
        "skipped": [_skipped(s, c) for s in c.items(ch.skipped, MAX_SKIPPED, f"skipped paths of {ch.id}")],
        "tools": [_tool(t, c) for t in c.items(ch.tools, MAX_SMALL_LIST, "tools")],
        "evidence": [c.text(e) for e in c.items(ch.evidence, MAX_SMALL_LIST, "evidence notes")],
        "duration_s": ch.duration_s,
    }


def _change(s: StatusChange, c: _Clipper) -> dict:
    return {"id": c.text(s.id, MAX_ID), "gate": c.text(s.gate, MAX_ID), "title": c.text(s.title, MAX_ID),
            "before": s.before.value if s.before else None, "after": s.after.value if s.after else None}


def _delta(d: Delta, c: _Clipper) -> dict:
    """``delta`` (``policies/report.schema.json`` ``$defs/delta``)."""
    def findings(fs: Sequence[Finding], what: str) -> list:
        return [_finding(f, c) for f in c.items(fs, MAX_SMALL_LIST, what)]

    return {
        "source": d.source, "base_commit": d.base_commit, "base_ready": d.base_ready,
        "gates": [_change(g, c) for g in c.items(d.gates, 32, "delta gates")],
        "checks": [_change(x, c) for x in c.items(d.checks, MAX_SMALL_LIST, "delta checks")],
        "findings": [{"check": c.text(fc.check, MAX_ID), "new": findings(fc.new, "new findings"),
                      "fixed": findings(fc.fixed, "fixed findings"), "new_count": fc.new_count,
                      "fixed_count": fc.fixed_count}
                     for fc in c.items(d.findings, MAX_SMALL_LIST, "delta findings")],
        "deferrals": {"added": [_deferral(x, c) for x in c.items(d.deferrals_added, MAX_SMALL_LIST, "deferrals added")],
                      "removed": [_deferral(x, c) for x in c.items(d.deferrals_removed, MAX_SMALL_LIST,
                                                                   "deferrals removed")]},
        "not_compared": [c.text(x, MAX_ID) for x in c.items(d.not_compared, MAX_SMALL_LIST, "checks not compared")],
    }


def report_to_dict(report: Report) -> dict:
    """The JSON document (a plain ``dict``) for ``report``; see ``policies/report.schema.json``.

    Deterministic: the same report gives the same dict (key order included). Values beyond the
    schema's bounds (:data:`MAX_TEXT`, :data:`MAX_FINDINGS`, ...) are clipped and a warning says
    so; within the bounds nothing is changed, and :func:`report_from_dict` gives ``report`` back.
    """
    c = _Clipper()
    gates = [
        {
            "id": c.text(g.id, MAX_ID),
            "title": c.text(g.title, MAX_ID),
            "status": g.status.value,
            "checks": [_check(ch, c) for ch in g.checks],
        }
        for g in report.gates
    ]
    doc: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": TOOL_NAME, "version": c.text(report.tool_version, MAX_ID)},
        "ready": report.ready,
        "blocking": [ch.id for ch in report.blocking_checks],
        "generated_at": report.generated_at,
        "duration_s": report.duration_s,
        "commit": report.commit,
        "root": c.text(report.root, MAX_PATH),
        "mode": report.mode,
        "changed_since": c.ident(report.changed_since),
        "config_source": c.text(report.config_source, MAX_PATH),
        "profile": c.text(report.profile, MAX_ID),
        "service": c.text(report.service, MAX_ID),
        "repository": c.text(report.repository, MAX_ID),
        "owners": [c.text(o, MAX_ID) for o in c.items(report.owners, MAX_SMALL_LIST, "owners")],
        "tier": c.text(report.tier, MAX_ID),
        "delta": _delta(report.delta, c) if report.delta is not None else None,
        "gates": gates,
        "skipped": [_skipped(s, c) for s in c.items(report.skipped, MAX_SKIPPED, "skipped paths")],
        "deferrals": [_deferral(d, c) for d in c.items(report.deferrals, MAX_DEFERRALS, "deferrals")],
        "warnings": [c.text(w) for w in report.warnings],
        "tools": [_tool(t, c) for t in c.items(report.tools, MAX_SMALL_LIST, "tools")],
    }
    if c.dropped:
        note = "The JSON report was clipped to its schema's bounds: " + "; ".join(sorted(set(c.dropped)))
        doc["warnings"].append(truncate(note, MAX_TEXT))
    doc["warnings"] = list(c.items(doc["warnings"], MAX_SMALL_LIST, "warnings"))
    return doc


# --------------------------------------------------------------------------------------------
# Schema validation


@functools.lru_cache(maxsize=1)
def report_schema() -> dict:
    """The JSON Schema of the report (``policies/report.schema.json``), parsed."""
    return json.loads(policy_file("report.schema.json").read_text(encoding="utf-8"))


@functools.lru_cache(maxsize=1)
def _validator() -> Any:
    import jsonschema

    schema = report_schema()
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def _json_path(path: Sequence[Any]) -> str:
    out = "report"
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def validate_report_dict(data: Any) -> None:
    """Validate a parsed JSON report against ``policies/report.schema.json``.

    Raises:
        ReportFormatError: the document does not validate; the message lists up to five
            problems as ``report.gates[0].checks[1].status: <problem>``, each cut to 300
            characters with control characters removed (the document may be hostile and the
            message may be printed in a CI log).
    """
    # At most 50 errors are collected: a hostile document could hold millions.
    found = list(itertools.islice(_validator().iter_errors(data), 50))
    if not found:
        return
    errors = sorted(found, key=lambda e: (len(e.absolute_path), list(map(str, e.absolute_path))))
    lines = [f"{_json_path(e.absolute_path)}: {one_line(e.message, 300)}" for e in errors[:5]]
    more = f" (and {len(errors) - 5}{'+' if len(found) == 50 else ''} more)" if len(errors) > 5 else ""
    raise ReportFormatError("not a valid readiness-gate report: " + "; ".join(lines) + more)


# --------------------------------------------------------------------------------------------
# dict -> Report


def _opt(value: Any, fn: Callable[[Any], T]) -> Optional[T]:
    return None if value is None else fn(value)


def _location_from(d: Mapping[str, Any]) -> Location:
    return Location(d["path"], d.get("line"), d.get("column"))


def _deferral_from(d: Mapping[str, Any]) -> DeferralRecord:
    return DeferralRecord(
        check=d["check"], finding=d.get("finding"), reason=d["reason"], approved_by=d["approved_by"],
        expires=dt.date.fromisoformat(d["expires"]), ticket=d["ticket"], state=DeferralState(d["state"]),
        approval=ApprovalState(d["approval"]), days_left=d["days_left"],
        location=_opt(d.get("location"), _location_from), note=d.get("note", ""))


def _finding_from(d: Mapping[str, Any]) -> Finding:
    return Finding(
        rule=d["rule"], message=d["message"], path=d.get("path"), line=d.get("line"),
        severity=Severity(d["severity"]), fingerprint=d.get("fingerprint", ""),
        remediation=d.get("remediation"), aliases=tuple(d.get("aliases", ())),
        deferred_by=d.get("deferred_by"), new=d.get("new"), blocking=d.get("blocking", True))


def _skipped_from(d: Mapping[str, Any]) -> SkippedPath:
    return SkippedPath(d["path"], d["reason"])


def _tool_from(d: Mapping[str, Any]) -> ToolInfo:
    return ToolInfo(d["name"], d["version"])


def _check_from(d: Mapping[str, Any]) -> CheckReport:
    return CheckReport(
        id=d["id"], gate=d["gate"], title=d["title"], required=d["required"], status=Status(d["status"]),
        summary=d["summary"], findings=tuple(map(_finding_from, d.get("findings", ()))),
        skipped=tuple(map(_skipped_from, d.get("skipped", ()))), tools=tuple(map(_tool_from, d.get("tools", ()))),
        evidence=tuple(d.get("evidence", ())), deferrals=tuple(map(_deferral_from, d.get("deferrals", ()))),
        duration_s=d.get("duration_s", 0.0))


def _change_from(d: Mapping[str, Any]) -> StatusChange:
    return StatusChange(d["id"], d["gate"], d["title"], _opt(d["before"], Status), _opt(d["after"], Status))


def _delta_from(d: Mapping[str, Any]) -> Delta:
    return Delta(
        source=d["source"], base_commit=d["base_commit"], base_ready=d["base_ready"],
        gates=tuple(map(_change_from, d["gates"])), checks=tuple(map(_change_from, d["checks"])),
        findings=tuple(FindingChanges(f["check"], tuple(map(_finding_from, f["new"])),
                                      tuple(map(_finding_from, f["fixed"])), f["new_count"], f["fixed_count"])
                       for f in d["findings"]),
        deferrals_added=tuple(map(_deferral_from, d["deferrals"]["added"])),
        deferrals_removed=tuple(map(_deferral_from, d["deferrals"]["removed"])),
        not_compared=tuple(d["not_compared"]))


def report_from_dict(data: Any, *, validate: bool = True) -> Report:
    """Rebuild a :class:`~gate.model.Report` from a JSON report document.

    Args:
        data: the parsed JSON (``json.loads`` of a report file).
        validate: validate against the schema first (default). Only pass False for a
            document this process has just produced.

    Raises:
        ReportFormatError: the document does not validate, a date is not a real date, or its
            ``ready`` disagrees with its checks (a report saying ``ready: true`` while a
            required check fails is forged or corrupt, and must never turn a status green).
    """
    if validate:
        validate_report_dict(data)
    try:
        gates = tuple(
            GateResult(g["id"], g["title"], Status(g["status"]), tuple(map(_check_from, g["checks"])))
            for g in data["gates"])
        report = Report(
            ready=data["ready"],
            gates=gates,
            skipped=tuple(map(_skipped_from, data.get("skipped", ()))),
            deferrals=tuple(map(_deferral_from, data.get("deferrals", ()))),
            root=data["root"],
            config_source=data["config_source"],
            profile=data["profile"],
            service=data.get("service"),
            mode=data.get("mode", "full"),
            changed_since=data.get("changed_since"),
            tool_version=data["tool"]["version"],
            generated_at=data.get("generated_at", ""),
            duration_s=data.get("duration_s", 0.0),
            warnings=tuple(data.get("warnings", ())),
            commit=data.get("commit"),
            repository=data.get("repository"),
            owners=tuple(data.get("owners", ())),
            tier=data.get("tier"),
            delta=_opt(data.get("delta"), _delta_from),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ReportFormatError(f"not a valid readiness-gate report: {one_line(str(exc), 300)}") from None
    blocking = [c.id for c in report.checks if c.blocking]
    if report.ready == bool(blocking):
        raise ReportFormatError(
            f"inconsistent report: ready is {str(report.ready).lower()} but "
            f"{len(blocking)} required check(s) fail or errored")
    return report


def load_report(text: str) -> Report:
    """Parse and validate a JSON report file's text (:func:`report_from_dict`).

    Raises:
        ReportFormatError: not JSON, or not a valid report.
    """
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise ReportFormatError(f"report is not JSON: {one_line(str(exc), 300)}") from None
    return report_from_dict(data)


def dumps(doc: Mapping[str, Any]) -> str:
    """Serialise a report document: 2-space indent, ASCII only (every non-ASCII and control
    character as a ``\\u`` escape, so printing it cannot inject terminal sequences), newline-ended."""
    return json.dumps(doc, indent=2, ensure_ascii=True) + "\n"


class JsonRenderer(Renderer):
    """``--format json``: :func:`report_to_dict` serialised by :func:`dumps`."""

    name = "json"
    media_type = "application/json"

    def render(self, report: Report, options: RenderOptions = RenderOptions()) -> str:
        """Return the JSON report; options do not affect it (it is for machines)."""
        return dumps(report_to_dict(report))


__all__ = [
    "JsonRenderer",
    "MAX_FINDINGS",
    "MAX_TEXT",
    "ReportFormatError",
    "SCHEMA_VERSION",
    "applicable_deferral",
    "dumps",
    "load_report",
    "report_from_dict",
    "report_schema",
    "report_to_dict",
    "validate_report_dict",
]
