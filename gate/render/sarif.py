"""SARIF 2.1.0 output (``--format sarif``), shaped for GitHub code scanning.

One ``run`` (SARIF 2.1.0 §3.14) whose ``tool.driver`` is readiness-gate, with:

* ``rules[]`` (§3.49): one rule per check (``id`` = check id) and one per distinct finding rule
  (``id`` = ``<check-id>/<finding.rule>``), built from the check's words that the report carries
  (:attr:`gate.model.CheckReport.meta`, read from ``policies/checks/<id>.yml``): ``title`` →
  ``shortDescription``, ``rationale`` → ``fullDescription``, ``remediation`` → ``help.text`` and
  ``help.markdown`` (with a link to ``help-uri``), ``help-uri`` → ``helpUri``. Every rule has a
  ``name`` (PascalCase, different from the id, SARIF1001), ``properties.precision``,
  ``properties.tags`` and ``properties.security-severity`` (see :func:`rule_properties`). A check
  unknown to this installation (a report from another version) falls back to the report's words.
* ``results[]`` (§3.27): one per finding, ``ruleId`` + ``ruleIndex``, ``level`` from
  :attr:`gate.model.Severity.sarif_level`, and **always** one ``physicalLocation`` with a
  ``region`` of ``startLine`` and ``endLine``: GitHub code scanning rejects the whole file when
  one result has no location (its SARIF rules GH1015/GH1017) and wants a region (SARIF2017). A
  finding with a path but no line is anchored at its line 1; a finding without a path, and a
  failing check without findings, at line 1 of the readiness.yml in use (or ``README.md`` when
  the built-in default profile was used), as trivy anchors repository-level findings:
  :func:`anchor_path`. Findings covered by a deferral carry
  ``suppressions: [{kind: external, status: accepted, justification}]`` (§3.35).
* ``partialFingerprints``: ``primaryLocationLineHash``, the key code scanning reads to follow an
  alert across commits (GitHub docs, "SARIF support for code scanning": ``partialFingerprints``),
  is our line-independent fingerprint (:func:`line_hash`), so an alert survives code moving
  within its file; ``readinessGate/v1`` keeps the finding's own fingerprint.
* ``invocations[0]`` (§3.20): ``executionSuccessful`` is false when any check is in ``error``,
  and each such check is a ``toolExecutionNotifications`` entry (level ``error``, its message,
  ``associatedRule`` pointing at the check's rule).

URIs are relative to ``%SRCROOT%``, the repository root: :attr:`RenderOptions.path_prefix`
(the scanned directory inside the repository) is put in front of every path. Scanners used are
listed as ``tool.extensions``. The output validates against the official OASIS schema (tests use
``tests/data/sarif-schema-2.1.0.json``) and passes the SARIF Multitool's GitHub rules
(``sarif-multitool validate --rule-kind "Gh;Sarif"``) with zero errors
(``tests/github/test_sarif_upload.py``).
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import urllib.parse
from typing import Any, Dict, List, Optional, Tuple

import yaml

from gate.model import CheckMeta, CheckReport, DeferralRecord, Finding, Report, Severity, Status
from gate.redact import redact
from gate.render.escape import escape_markdown, redact_id, safe_url, truncate
from gate.render.interface import RenderOptions, Renderer
from gate.render.json_report import applicable_deferral
from gate.render.text import approval_phrase
from gate.resources import policies_dir

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
LINE_HASH_KEY = "primaryLocationLineHash"
"""The ``partialFingerprints`` key GitHub code scanning reads (and that
``github/codeql-action/upload-sarif`` computes itself only when it is absent)."""
FALLBACK_ANCHOR = "README.md"
"""Where a repository-level result points when no readiness.yml was read."""

SECURITY_SEVERITY: Dict[Severity, str] = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "3.0",
    Severity.INFO: "0.0",
    Severity.UNKNOWN: "9.5",
}
"""``properties.security-severity`` by severity: a CVSS-like score that GitHub maps onto its
levels (GitHub docs, "SARIF support for code scanning", ``reportingDescriptor``: over 9.0
critical, 7.0 to 8.9 high, 4.0 to 6.9 medium, 0.1 to 3.9 low, 0.0 none). ``unknown`` (an advisory
without a severity) scores as critical, as it ranks for thresholds. A rule's score is that of its
most severe result in the run."""

CHECK_CWES: Dict[str, Tuple[str, ...]] = {
    "secrets": ("CWE-798",),
    "dependencies": ("CWE-1395",),
    "dependency-updates": ("CWE-1104",),
    "security-policy": ("CWE-1059",),
}
"""CWE ids of the security checks whose findings are not semgrep rules (semgrep rules carry their
own ``metadata.cwe`` in ``policies/semgrep/*.yml``): hard-coded credentials (CWE-798),
dependency on a vulnerable component (CWE-1395), use of unmaintained components (CWE-1104),
insufficient technical documentation (CWE-1059)."""

PRECISION: Dict[str, str] = {"dependencies": "very-high", "secrets": "high", "insecure-patterns": "high",
                             "error-handling": "high"}
"""``properties.precision`` per check (GitHub sorts and filters alerts by it): an advisory for an
exact pin is certain; the pattern and secret scanners are rule-based and rarely wrong; the
evidence checks (absent evidence) default to ``medium``."""


def _message(text: str) -> Dict[str, str]:
    # SARIF message.text must be non-empty (GitHub's GH1015 rejects a result without it).
    # Paths and values quoted from readiness.yml reach messages: no credential shape survives.
    return {"text": redact(text) or "(no description)"}


@functools.lru_cache(maxsize=1)
def _semgrep_cwes() -> Dict[str, Tuple[str, ...]]:
    """semgrep rule id -> its CWE ids (``CWE-295``), from ``policies/semgrep/*.yml`` metadata."""
    out: Dict[str, Tuple[str, ...]] = {}
    folder = policies_dir() / "semgrep"
    for path in sorted(folder.glob("*.yml")):
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError):
            continue
        for rule in data.get("rules") or []:
            cwes = (rule.get("metadata") or {}).get("cwe") or []
            ids = tuple(m.group(0).upper() for c in cwes for m in [re.match(r"CWE-\d+", str(c), re.I)] if m)
            if rule.get("id") and ids:
                out[str(rule["id"])] = ids
    return out


def cwes_for(check_id: str, rule: Optional[str]) -> Tuple[str, ...]:
    """CWE ids of a finding rule (its semgrep metadata) or of the check (:data:`CHECK_CWES`)."""
    if rule is not None and rule in _semgrep_cwes():
        return _semgrep_cwes()[rule]
    return CHECK_CWES.get(check_id, ())


def rule_properties(check: CheckReport, rule: Optional[str], severity: Severity) -> Dict[str, Any]:
    """``properties`` of a rule: gate, check, ``precision``, ``tags`` and ``security-severity``.

    ``tags`` carry ``security`` and the CWE ids (``external/cwe/cwe-798``, the form code
    scanning shows as a CWE link) for the security gate's checks and for rules with a CWE;
    GitHub shows ``security-severity`` only for rules tagged ``security``, so the operational
    checks (runbooks, backups, ...) keep their plain error/warning/note level.
    """
    cwes = cwes_for(check.id, rule)
    tags = ["readiness", check.gate]
    if check.gate == "security" or cwes:
        tags.append("security")
    tags.extend(f"external/cwe/{c.lower()}" for c in cwes)
    return {"gate": check.gate, "check": check.id, "required": check.required,
            "precision": PRECISION.get(check.id, "medium"), "tags": list(dict.fromkeys(tags)),
            "security-severity": SECURITY_SEVERITY[severity]}


def _name(*parts: str) -> str:
    """A PascalCase rule name (SARIF §3.49.7: readable, different from the id)."""
    words = [w for part in parts for w in re.split(r"[^0-9A-Za-z]+", part) if w]
    return "".join(w[:1].upper() + w[1:] for w in words) or "Rule"


def _help(remediation: str, help_uri: Optional[str], *, ours: bool) -> Dict[str, str]:
    """``help`` with ``text`` and ``markdown`` (code scanning shows the markdown on the alert).

    A check's own remediation (``ours``: ``policies/checks/<id>.yml``) is markdown as written; a
    finding's remediation may name repository paths, so its markdown form is escaped like every
    other repository-derived text (mentions, links, HTML: :func:`gate.render.escape.escape_markdown`).
    """
    text = redact(remediation) or "See the readiness-gate documentation."
    url = safe_url(help_uri)
    markdown = (text if ours else escape_markdown(text)) + (f"\n\nSee [the documentation]({url})." if url else "")
    return {"text": text, "markdown": markdown}


def _check_rule(check: CheckReport, meta: Optional[CheckMeta], severity: Severity) -> dict:
    title = meta.title if meta else check.title
    rule: Dict[str, Any] = {
        "id": check.id,
        "name": _name(check.id),
        "shortDescription": _message(title),
        "fullDescription": _message(meta.rationale if meta else title),
        "help": _help(meta.remediation if meta else "", meta.help_uri if meta else None, ours=True),
    }
    if meta and meta.help_uri:
        rule["helpUri"] = meta.help_uri
    rule["defaultConfiguration"] = {"level": "error" if check.required else "warning"}
    rule["properties"] = rule_properties(check, None, severity)
    return rule


def _finding_rule(check: CheckReport, meta: Optional[CheckMeta], finding: Finding, severity: Severity) -> dict:
    title = meta.title if meta else check.title
    rule: Dict[str, Any] = {
        "id": f"{check.id}/{finding.rule}",
        "name": _name(check.id, finding.rule),
        "shortDescription": _message(truncate(f"{title}: {finding.rule}", 1024)),
        "fullDescription": _message(meta.rationale if meta else title),
        "help": _help(finding.remediation or (meta.remediation if meta else ""), meta.help_uri if meta else None,
                      ours=not finding.remediation),
    }
    if meta and meta.help_uri:
        rule["helpUri"] = meta.help_uri
    rule["properties"] = rule_properties(check, finding.rule, severity)
    return rule


def justification(d: Optional[DeferralRecord], ticket: str) -> str:
    """``<reason> (ticket T, approved by @lead (unverified), expires 2027-01-20)``.

    When no record with ``ticket`` is in the check (a report built by hand), just the ticket.
    """
    if d is None:
        return f"deferred ({ticket})"
    return f"{d.reason} (ticket {d.ticket}, approved by {approval_phrase(d)}, expires {d.expires.isoformat()})"


def anchor_path(report: Report) -> str:
    """Where a result without a file points: the readiness.yml in use, else ``README.md``.

    ``report.config_source`` is relative to the scanned directory when the file was found there;
    an absolute or outside path (``--config /elsewhere``) or the built-in profile gives
    :data:`FALLBACK_ANCHOR`.
    """
    src = report.config_source or ""
    if not src or src.startswith(("/", "../")) or src == ".." or "\\" in src or ":" in src.split("/")[0] \
            or src.startswith("built-in"):
        return FALLBACK_ANCHOR
    return src


def _repo_path(prefix: str, path: str) -> str:
    path = path.lstrip("/")
    prefix = prefix.strip("/")
    return f"{prefix}/{path}" if prefix and prefix != "." else path


def _location(path: str, line: Optional[int], end_line: Optional[int] = None) -> dict:
    start = line if line is not None and line >= 1 else 1
    end = end_line if end_line is not None and end_line >= start else start
    return {"physicalLocation": {
        "artifactLocation": {"uri": urllib.parse.quote(redact(path), safe="/"), "uriBaseId": SRCROOT},
        "region": {"startLine": start, "endLine": end}}}


def line_hash(check_id: str, finding: Finding, path: str, occurrence: int) -> str:
    """``primaryLocationLineHash`` of a finding: 16 hex digits and the occurrence (``h:n``), the
    shape ``upload-sarif`` writes.

    The hash covers the check, the rule, the path and the finding's own fingerprint (which is
    line-independent for semgrep and secrets findings), never the line number when a fingerprint
    exists, so an alert keeps its identity when code above it moves. ``occurrence`` counts equal
    hashes in the run (1, 2, ...), as GitHub's own hash does.
    """
    basis = finding.fingerprint or f"{finding.line or 0}\x00{finding.message}"
    digest = hashlib.sha256("\x00".join((check_id, finding.rule, path, basis)).encode("utf-8")).hexdigest()
    return f"{digest[:16]}:{occurrence}"


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


def _check_severity(check: CheckReport) -> Severity:
    """A check rule's severity: its worst finding, else high for a required check, else medium."""
    if check.findings:
        return max((f.severity for f in check.findings), key=lambda s: s.rank)
    return Severity.HIGH if check.required else Severity.MEDIUM


def _suppression(check: CheckReport, ticket: str) -> dict:
    record = next((d for d in check.deferrals if d.ticket == ticket), None)
    return {"kind": "external", "status": "accepted", "justification": redact(justification(record, ticket))}


def report_to_sarif(report: Report, path_prefix: str = "") -> dict:
    """The SARIF 2.1.0 log (a ``dict``) for ``report``; see the module docstring.

    ``path_prefix`` is the scanned directory relative to the repository root ("" for the root).
    """
    rules = _Rules()
    results: List[dict] = []
    notifications: List[dict] = []
    hashes: Dict[str, int] = {}
    anchor = _repo_path(path_prefix, anchor_path(report))
    for check in report.checks:
        meta = check.meta
        check_index = rules.add(_check_rule(check, meta, _check_severity(check)))
        if check.status is Status.SKIPPED:
            continue
        if check.status is Status.ERROR:
            notifications.append({
                "level": "error",
                "message": _message(f"{check.id}: {check.summary}"),
                "associatedRule": {"id": check.id, "index": check_index},
            })
        worst: Dict[str, Severity] = {}
        for f in check.findings:
            if f.rule not in worst or f.severity.rank > worst[f.rule].rank:
                worst[f.rule] = f.severity
        for f in check.findings:
            rule_id = f"{check.id}/{f.rule}"
            path = _repo_path(path_prefix, f.path) if f.path else anchor
            line = f.line if f.path else 1
            key = line_hash(check.id, f, path, 0)[:16]
            hashes[key] = hashes.get(key, 0) + 1
            result: Dict[str, Any] = {
                "ruleId": rule_id,
                "ruleIndex": rules.add(_finding_rule(check, meta, f, worst[f.rule])),
                "level": f.severity.sarif_level if f.blocking else "note",
                "message": _message(f.message),
                "locations": [_location(path, line, getattr(f, "end_line", None) if f.path else None)],
                "partialFingerprints": {LINE_HASH_KEY: f"{key}:{hashes[key]}"},
            }
            if f.fingerprint:
                result["partialFingerprints"][FINGERPRINT_KEY] = redact_id(f.fingerprint)
            if f.deferred_by:
                result["suppressions"] = [_suppression(check, f.deferred_by)]
            result["properties"] = {"check": check.id, "severity": f.severity.value,
                                    "required": check.required, "blocking": f.blocking}
            if f.new is not None:
                result["properties"]["new"] = f.new
            results.append(result)
        if check.status in (Status.FAIL, Status.DEFERRED) and not check.findings:
            key = hashlib.sha256(f"{check.id}\x00{anchor}".encode("utf-8")).hexdigest()[:16]
            hashes[key] = hashes.get(key, 0) + 1
            result = {
                "ruleId": check.id,
                "ruleIndex": check_index,
                "level": "error" if check.required else "warning",
                "message": _message(check.summary),
                "locations": [_location(anchor, 1)],
                "partialFingerprints": {LINE_HASH_KEY: f"{key}:{hashes[key]}"},
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
        """Return the SARIF log; only ``options.path_prefix`` affects it."""
        return json.dumps(report_to_sarif(report, options.path_prefix), indent=2, ensure_ascii=True) + "\n"


__all__ = ["SARIF_VERSION", "SarifRenderer", "anchor_path", "cwes_for", "justification", "line_hash",
           "report_to_sarif", "rule_properties"]
