"""``dependencies``: no known-vulnerable pinned Python dependency, and nothing left unaudited.

Flow:

1. :func:`gate.deps.discover` reads requirements files (and their in-tree ``-r``/``-c``
   includes), ``pyproject.toml`` and lockfiles from the inventory into exact pins. Every
   requirement that cannot be audited without resolving or building it (a range, a path, a URL,
   VCS, editable, a malformed file, an include leaving the tree) is a blocking finding with its
   file and line (catalogue: "Unpinned requirements are themselves a finding").
2. The exact pins, and only those, go to the real pip-audit (:mod:`gate.scanners.pip_audit`)
   with ``--no-deps --disable-pip`` in a temporary directory: nothing from the repository runs.
3. Each advisory is rated from its OSV record (:mod:`gate.deps.advisories`); ``fail-on`` sets
   the lowest blocking severity; unknown severity always blocks.

Settings (``checks.dependencies`` in readiness.yml, defaults in ``policies/profiles/default.yml``):
``fail-on`` (any|low|medium|high|critical), ``vulnerability-service`` (osv|pypi), ``osv-url``
(OSV API base of a mirror; ``--osv-url`` / ``READINESS_GATE_OSV_URL`` override it), ``ignore``
(advisory ids or aliases), ``exclude`` (globs of dependency files), ``timeout`` (seconds).

Any pip-audit failure (missing, crash, exit status other than 0/1, timeout, unreachable service,
malformed report) makes the check ``error`` with what to do, never ``pass``.
"""

from __future__ import annotations

import time
import urllib.parse
from collections import defaultdict
from dataclasses import dataclass
from typing import Optional

from packaging.version import InvalidVersion, Version

from gate.cache import ResultCache
from gate.checks.interface import Check, CheckContext, option, strings
from gate.deps import BAD_FILE, BAD_INCLUDE, UNAUDITABLE, UNPINNED, Pin, Unauditable, discover
from gate.deps.advisories import Rating, rate_advisories
from gate.model import CheckResult, Finding, Severity, SkippedPath, ToolInfo
from gate.scanners.pip_audit import TOOL, AuditedDependency, Vulnerability, audit_pins, osv_base_url
from gate.scanners.process import ToolError

FAIL_ON = {"any": Severity.INFO, "low": Severity.LOW, "medium": Severity.MEDIUM,
           "high": Severity.HIGH, "critical": Severity.CRITICAL}
"""``fail-on`` value -> lowest blocking severity (``any``: every advisory blocks)."""

_INPUT_RULES = frozenset({UNPINNED, UNAUDITABLE, BAD_INCLUDE, BAD_FILE})
"""Finding rules about inputs that could not be audited (their words: ``policies/checks/dependencies.yml``);
every other rule id is an advisory id."""


@dataclass(frozen=True)
class DependenciesSettings:
    """``checks.dependencies`` options (defaults: ``policies/profiles/default.yml``)."""

    timeout: float = option("timeout", float)
    """Seconds pip-audit may run."""
    fail_on: str = option("fail-on", str)
    """Lowest blocking severity (a key of :data:`FAIL_ON`)."""
    vulnerability_service: str = option("vulnerability-service", str)
    """``osv`` or ``pypi``."""
    ignore: tuple[str, ...] = option("ignore", strings, absent=())
    """Advisory ids (or aliases) left out entirely."""
    exclude: tuple[str, ...] = option("exclude", strings, absent=())
    """Globs of dependency files not audited."""
    osv_url: Optional[str] = option("osv-url", str, absent=None)
    """Base URL of an OSV API mirror; None: pip-audit's default service."""


class DependenciesCheck(Check[DependenciesSettings]):
    """``dependencies``: pip-audit over the repository's exact pins; unpinned inputs are findings."""

    id = "dependencies"
    settings_type = DependenciesSettings
    waits_on_scanner = True

    def run(self, context: CheckContext[DependenciesSettings]) -> CheckResult:
        started = time.monotonic()
        s = context.settings
        timeout = s.timeout
        fail_on = s.fail_on
        service = s.vulnerability_service
        ignore = {i.upper() for i in s.ignore}
        exclude = list(s.exclude)
        if fail_on not in FAIL_ON:
            return CheckResult.errored(f"checks.dependencies.fail-on: unknown value {fail_on!r}; use one of "
                                       f"{', '.join(FAIL_ON)}")
        configured_url = context.options.osv_url or s.osv_url
        if configured_url and urllib.parse.urlsplit(str(configured_url)).scheme not in ("http", "https"):
            return CheckResult.errored("checks.dependencies.osv-url (or --osv-url / READINESS_GATE_OSV_URL) must be "
                                       "an http(s) URL of an OSV API, e.g. https://osv.internal.example")
        osv_base = osv_base_url(str(configured_url) if configured_url else None)

        found = discover(context.inventory, exclude)
        if not found.files and not found.unauditable:
            return CheckResult.not_applicable(
                "no Python dependency files (requirements*.txt, pyproject.toml, poetry.lock, uv.lock, "
                "Pipfile.lock, pylock.toml)")
        remedy = {rule: self.remediation(rule) for rule in _INPUT_RULES}
        findings = [_unauditable_finding(u, remedy) for u in found.unauditable]
        skipped = tuple(SkippedPath(what, reason) for what, reason in found.skipped)
        evidence = [f"read {p}" for p in found.files]

        by_key: dict[tuple[str, str], list[Pin]] = defaultdict(list)
        for pin in found.pins:
            by_key[pin.key].append(pin)
        if not by_key:
            return CheckResult.from_findings(
                findings, pass_summary="no third-party dependencies declared",
                fail_summary=_summary(0, 0, len(findings), 0), skipped=skipped, evidence=tuple(evidence))

        try:
            audit = audit_pins(list(by_key), service=service, osv_base=osv_base, timeout=timeout,
                               cache=ResultCache(context.options.cache_dir) if context.options.cache_dir else None,
                               osv_db_digest=context.options.osv_db_digest,
                               max_age_s=context.options.advisory_max_age_s)
        except ToolError as exc:
            return CheckResult.errored(str(exc), findings=tuple(findings), skipped=skipped,
                                       tools=(ToolInfo(TOOL, "unknown"),), evidence=tuple(evidence))
        tools = (ToolInfo(TOOL, audit.version),)

        advisories: dict[str, tuple[str, ...]] = {}
        hits: list[tuple[AuditedDependency, Vulnerability]] = []
        ignored: set[str] = set()
        for dep in audit.dependencies:
            if dep.skip_reason is not None:
                findings.append(_skipped_by_tool(dep, by_key[(dep.name, dep.version)], remedy[UNAUDITABLE]))
                continue
            for vuln in dep.vulns:
                if ignore & {vuln.id.upper(), *(a.upper() for a in vuln.aliases)}:
                    ignored.add(vuln.id)
                    continue
                advisories[vuln.id] = vuln.aliases
                hits.append((dep, vuln))
        ratings = rate_advisories(osv_base, advisories, deadline=started + timeout)
        threshold = FAIL_ON[fail_on]
        vulnerable = set()
        for dep, vuln in hits:
            rating = ratings.get(vuln.id) or Rating(Severity.UNKNOWN, "severity unknown")
            finding = _vuln_finding(dep, vuln, rating, by_key[(dep.name, dep.version)], threshold)
            findings.append(finding)
            if finding.blocking:
                vulnerable.add((dep.name, dep.version))
        evidence.append(f"audited {len(by_key)} pinned dependencies with pip-audit ({service}"
                        + (f", OSV at {osv_base}" if service == "osv" else "") + ")"
                        + (f"; {audit.cached} verdicts from the result cache" if audit.cached else ""))
        evidence.extend(f"ignored {i} (checks.dependencies.ignore)" for i in sorted(ignored))
        blocking_vulns = sum(1 for f in findings if f.blocking and f.rule not in _INPUT_RULES)
        unaudited = sum(1 for f in findings if f.rule in _INPUT_RULES)
        below = sum(1 for f in findings if not f.blocking)
        pass_summary = f"{len(by_key)} pinned dependencies audited, no known vulnerability"
        if below:
            pass_summary += f" at or above {fail_on} ({below} below the threshold)"
        return CheckResult.from_findings(
            findings, pass_summary=pass_summary,
            fail_summary=_summary(len(vulnerable), blocking_vulns, unaudited, len(by_key)),
            skipped=skipped, tools=tools, evidence=tuple(evidence))


def _summary(vulnerable: int, advisories: int, unaudited: int, audited: int) -> str:
    parts = []
    if advisories:
        parts.append(f"{advisories} known vulnerabilit{'y' if advisories == 1 else 'ies'} in {vulnerable} "
                     f"pinned dependenc{'y' if vulnerable == 1 else 'ies'}")
    if unaudited:
        parts.append(f"{unaudited} requirement{'s' if unaudited != 1 else ''} that cannot be audited")
    text = "; ".join(parts) or "findings"
    return text + (f" ({audited} pins audited)" if audited else "")


def _unauditable_finding(u: Unauditable, remedy: dict[str, str]) -> Finding:
    if u.rule == BAD_INCLUDE:
        message = f"Include '{u.spec}' {u.reason}."
    elif u.rule == BAD_FILE:
        message = f"{u.path} {u.reason}."
    elif u.rule == UNPINNED:
        message = f"'{u.spec}' {u.reason}: it cannot be audited without resolving it; pin it."
    else:
        message = f"'{u.spec}' {u.reason}: it cannot be audited."
    return Finding(rule=u.rule, message=message, path=u.path, line=u.line, severity=Severity.MEDIUM,
                   fingerprint=f"{u.rule}:{u.path}:{u.spec}", remediation=remedy[u.rule],
                   aliases=(u.name,) if u.name else ())


def _skipped_by_tool(dep: AuditedDependency, pins: list[Pin], remediation: str) -> Finding:
    first = pins[0] if pins else None
    return Finding(
        rule=UNAUDITABLE,
        message=f"pip-audit could not audit {dep.name}=={dep.version}: {dep.skip_reason}.",
        path=first.path if first else None, line=first.line if first else None, severity=Severity.MEDIUM,
        fingerprint=f"{UNAUDITABLE}:{dep.name}=={dep.version}", remediation=remediation,
        aliases=(dep.name, f"{dep.name}=={dep.version}"))


def _vuln_finding(dep: AuditedDependency, vuln: Vulnerability, rating: Rating, pins: list[Pin],
                  threshold: Severity) -> Finding:
    first = pins[0] if pins else None
    fix = _first_fix(dep.version, vuln.fix_versions)
    aliases = ", ".join(vuln.aliases)
    message = (f"{dep.name} {dep.version} is affected by {vuln.id}" + (f" ({aliases})" if aliases else "")
               + (f"; fixed in {', '.join(vuln.fix_versions)}" if vuln.fix_versions else "; no fixed version")
               + (f". {rating.source[0].upper()}{rating.source[1:]}." if rating.severity is Severity.UNKNOWN
                  else f". Severity {rating.severity.value} ({rating.source})."))
    if len(pins) > 1:
        others = [f"{p.path}:{p.line}" if p.line else p.path for p in pins[1:4]]
        message += f" Also pinned in {', '.join(others)}" + (" and more" if len(pins) > 4 else "") + "."
    blocking = rating.severity.at_least(threshold)
    if not blocking:
        message += f" Below the fail-on threshold ({threshold.value})."
    remediation = (f"Upgrade {dep.name} to {fix} or later." if fix else
                   f"No fixed version is published: remove {dep.name}, or defer {vuln.id} with an approved, "
                   "expiring deferral.")
    return Finding(rule=vuln.id, message=message, path=first.path if first else None,
                   line=first.line if first else None, severity=rating.severity,
                   fingerprint=f"{dep.name}=={dep.version}:{vuln.id}", remediation=remediation,
                   aliases=(*vuln.aliases, dep.name, f"{dep.name}=={dep.version}"), blocking=blocking)


def _first_fix(version: str, fixes: tuple[str, ...]) -> Optional[str]:
    """The lowest fix version above ``version`` (pip-audit lists fixes of every branch)."""
    try:
        current = Version(version)
        later = sorted((Version(f) for f in fixes if Version(f) > current))
    except InvalidVersion:
        return fixes[0] if fixes else None
    return str(later[0]) if later else (fixes[0] if fixes else None)
