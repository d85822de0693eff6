"""SARIF 2.1.0 output (``--format sarif``), for GitHub code scanning and other SARIF viewers.

One ``run`` (SARIF 2.1.0 §3.14) whose ``tool.driver`` is readiness-gate, with:

* ``rules[]`` (§3.49): one rule per check (``id`` = check id) and one per distinct finding rule
  (``id`` = ``<check-id>/<finding.rule>``), built from the check's words that the report carries
  (:attr:`gate.model.CheckReport.meta`, read from ``policies/checks/<id>.yml``): ``title`` →
  ``shortDescription``, ``rationale`` → ``fullDescription``, ``remediation`` → ``help`` (a
  finding's own remediation first), ``help-uri`` → ``helpUri``. A report without them (read back
  from JSON, or a check unknown to this installation) falls back to the title in the report.
* ``results[]`` (§3.27): one per finding, ``ruleId`` + ``ruleIndex``, ``level`` from
  :attr:`gate.model.Severity.sarif_level`, a ``physicalLocation`` whose ``artifactLocation.uri``
  is the repository-relative path (percent-encoded, relative to ``%SRCROOT%``) and a ``region``
  with ``startLine`` only when the line is known (≥ 1), and ``partialFingerprints`` from the
  finding's fingerprint. A failing or deferred check without findings gives one result on the
  check's own rule with its summary. Findings covered by a deferral carry
  ``suppressions: [{kind: external, status: accepted, justification}]`` (§3.35), the
  justification naming the reason, ticket, approver and expiry.
* ``invocations[0]`` (§3.20): ``executionSuccessful`` is false when any check is in ``error``,
  and each such check is a ``toolExecutionNotifications`` entry (level ``error``, its message,
  ``associatedRule`` pointing at the check's rule).

Scanners used are listed as ``tool.extensions``. The output validates against the official
OASIS schema (tests use ``tests/data/sarif-schema-2.1.0.json``, JSON Schema draft-07).
"""

from __future__ import annotations

import json
import urllib.parse
from typing import Any, Dict, List, Optional

from gate.model import CheckMeta, CheckReport, DeferralRecord, Finding, Report, Status
from gate.render.escape import truncate
from gate.render.interface import RenderOptions, Renderer
from gate.render.json_report import applicable_deferral
from gate.render.text import approval_phrase
from gate.redact import redact
from gate.render.escape import redact_id

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
"""``$schema`` of the output: the OASIS SARIF 2.1.0 Errata 01 schema."""
INFORMATION_URI = "https://github.com/readiness-gate/readiness-gate"
SRCROOT = "%SRCROOT%"
"""``uriBaseId`` of every location: the root of the scanned repository (GitHub code scanning
resolves relative URIs against the checkout)."""
MAX_RESULTS = 25_000
"""Results kept per run: GitHub code scanning rejects a SARIF run with more than 25,000 results
("SARIF support for code scanning", upload limits). Blocking results are kept first; a
notification says how many were left out (they are all in the JSON report)."""
FINGERPRINT_KEY = "readinessGate/v1"
"""Key in ``partialFingerprints`` (§3.27.17: a versioned, tool-specific name)."""


def _message(text: str) -> Dict[str, str]:
    # SARIF message.text must be non-empty for a useful display; a report could carry "".
    # Paths and values quoted from readiness.yml reach messages: no credential shape survives.
    return {"text": redact(text) or "(no description)"}


def _check_rule(check: CheckReport, meta: Optional[CheckMeta]) -> dict:
    rule: Dict[str, Any] = {
        "id": check.id,
        "name": check.id,
        "shortDescription": _message(meta.title if meta else check.title),
    }
    if meta:
        rule["fullDescription"] = _message(meta.rationale)
        rule["help"] = _message(meta.remediation)
        if meta.help_uri:
            rule["helpUri"] = meta.help_uri
    rule["defaultConfiguration"] = {"level": "error" if check.required else "warning"}
    rule["properties"] = {"gate": check.gate, "required": check.required, "tags": ["readiness", check.gate]}
    return rule


def _finding_rule(check: CheckReport, meta: Optional[CheckMeta], finding: Finding) -> dict:
    title = meta.title if meta else check.title
    rule: Dict[str, Any] = {
        "id": f"{check.id}/{finding.rule}",
        "shortDescription": _message(truncate(f"{title}: {finding.rule}", 1024)),
    }
    if meta:
        rule["fullDescription"] = _message(meta.rationale)
        rule["help"] = _message(finding.remediation or meta.remediation)
        if meta.help_uri:
            rule["helpUri"] = meta.help_uri
    elif finding.remediation:
        rule["help"] = _message(finding.remediation)
    rule["properties"] = {"gate": check.gate, "check": check.id, "tags": ["readiness", check.gate]}
    return rule


def justification(d: Optional[DeferralRecord], ticket: str) -> str:
    """``<reason> (ticket T, approved by @lead (unverified), expires 2027-01-20)``.

    When no record with ``ticket`` is in the check (a report built by hand), just the ticket.
    """
    if d is None:
        return f"deferred ({ticket})"
    return f"{d.reason} (ticket {d.ticket}, approved by {approval_phrase(d)}, expires {d.expires.isoformat()})"


def _location(path: str, line: Optional[int]) -> dict:
    physical: Dict[str, Any] = {
        "artifactLocation": {"uri": urllib.parse.quote(redact(path).lstrip("/"), safe="/"), "uriBaseId": SRCROOT}}
    if line is not None and line >= 1:
        physical["region"] = {"startLine": line}
    return {"physicalLocation": physical}


class _Rules:
    """``rules[]`` in first-use order, with the index of each id (results reference both)."""

    def __init__(self) -> None:
        self.rules: List[dict] = []
        self.index: Dict[str, int] = {}

    def add(self, rule: dict) -> int:
        if rule["id"] not in self.index:
            self.index[rule["id"]] = len(self.rules)
            self.rules.append(rule)
        return self.index[rule["id"]]


def _suppression(check: CheckReport, ticket: str) -> dict:
    record = next((d for d in check.deferrals if d.ticket == ticket), None)
    return {"kind": "external", "status": "accepted", "justification": redact(justification(record, ticket))}


def report_to_sarif(report: Report) -> dict:
    """The SARIF 2.1.0 log (a ``dict``) for ``report``; see the module docstring."""
    rules = _Rules()
    results: List[dict] = []
    notifications: List[dict] = []
    for check in report.checks:
        meta = check.meta
        check_index = rules.add(_check_rule(check, meta))
        if check.status is Status.SKIPPED:
            continue
        if check.status is Status.ERROR:
            notifications.append({
                "level": "error",
                "message": _message(f"{check.id}: {check.summary}"),
                "associatedRule": {"id": check.id, "index": check_index},
            })
        for f in check.findings:
            rule_id = f"{check.id}/{f.rule}"
            result: Dict[str, Any] = {
                "ruleId": rule_id,
                "ruleIndex": rules.add(_finding_rule(check, meta, f)),
                "level": f.severity.sarif_level if f.blocking else "note",
                "message": _message(f.message),
            }
            if f.path:
                result["locations"] = [_location(f.path, f.line)]
            if f.fingerprint:
                result["partialFingerprints"] = {FINGERPRINT_KEY: redact_id(f.fingerprint)}
            if f.deferred_by:
                result["suppressions"] = [_suppression(check, f.deferred_by)]
            result["properties"] = {"check": check.id, "severity": f.severity.value,
                                    "required": check.required, "blocking": f.blocking}
            if f.new is not None:
                result["properties"]["new"] = f.new
            results.append(result)
        if check.status in (Status.FAIL, Status.DEFERRED) and not check.findings:
            result = {
                "ruleId": check.id,
                "ruleIndex": check_index,
                "level": "error" if check.required else "warning",
                "message": _message(check.summary),
                "properties": {"check": check.id, "required": check.required},
            }
            applied = applicable_deferral(check)
            if check.status is Status.DEFERRED and applied is not None:
                result["suppressions"] = [_suppression(check, applied.ticket)]
            results.append(result)

    if len(results) > MAX_RESULTS:
        # Stable sort: blocking findings of required checks first, then the rest in report order.
        results.sort(key=lambda r: not (r["properties"]["required"] and r["level"] == "error"
                                        and "suppressions" not in r))
        notifications.append({
            "level": "warning",
            "message": _message(f"{len(results) - MAX_RESULTS} results left out: GitHub code scanning accepts "
                                f"at most {MAX_RESULTS} per run; the JSON report has them all."),
        })
        results = results[:MAX_RESULTS]

    driver: Dict[str, Any] = {
        "name": "readiness-gate",
        "version": report.tool_version or "unknown",
        "informationUri": INFORMATION_URI,
        "rules": rules.rules,
    }
    tool: Dict[str, Any] = {"driver": driver}
    if report.tools:
        tool["extensions"] = [{"name": t.name, "version": t.version} for t in report.tools]
    invocation: Dict[str, Any] = {
        "executionSuccessful": not any(c.status is Status.ERROR for c in report.checks),
        "toolExecutionNotifications": notifications,
    }
    run: Dict[str, Any] = {
        "tool": tool,
        "invocations": [invocation],
        "results": results,
        "columnKind": "unicodeCodePoints",
        "properties": {
            "ready": report.ready,
            "blocking": [c.id for c in report.blocking_checks],
            "commit": report.commit,
            "profile": report.profile,
            "configSource": redact(report.config_source),
            "mode": report.mode,
            "generatedAt": report.generated_at,
        },
    }
    return {"$schema": SARIF_SCHEMA_URI, "version": SARIF_VERSION, "runs": [run]}


class SarifRenderer(Renderer):
    """``--format sarif``: :func:`report_to_sarif`, serialised as ASCII JSON."""

    name = "sarif"
    media_type = "application/sarif+json"

    def render(self, report: Report, options: RenderOptions = RenderOptions()) -> str:
        """Return the SARIF log; options do not affect it."""
        return json.dumps(report_to_sarif(report), indent=2, ensure_ascii=True) + "\n"


__all__ = ["SARIF_VERSION", "SarifRenderer", "justification", "report_to_sarif"]
