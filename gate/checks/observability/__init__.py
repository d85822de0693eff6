"""``observability``: structured logs, metrics, a health endpoint and alert rules.

Source: ``docs/checks.md`` gate 3: "you learn of trouble
from a dashboard, not a customer". Four *parts*, each its own finding when missing (the
``parts`` setting says which are required):

``structured-logging``
    Python code (outside tests, docs and examples) that imports or names a structured logging
    library — structlog, python-json-logger (``pythonjsonlogger``), json-log-formatter,
    json-logging, ecs-logging, logstash-formatter, Powertools ``Logger``, Google Cloud Logging,
    logfire — or uses loguru with ``serialize=True``, or defines a ``logging.Formatter``
    subclass that calls ``json.dumps``; or a logging configuration file (YAML, JSON, INI)
    whose formatter is one of those JSON formatters (``dictConfig`` / ``fileConfig`` input).
``metrics``
    Python code that imports a metrics library: prometheus_client and its framework exporters
    (prometheus-fastapi-instrumentator, starlette-exporter, prometheus-flask-exporter,
    django-prometheus), aioprometheus, OpenTelemetry *metrics* (``opentelemetry.metrics``,
    ``opentelemetry.sdk.metrics``, metric exporters), statsd, datadog / DogStatsd.
``health-endpoint``
    A route whose path ends with one of ``health-paths`` (``/health``, ``/healthz``,
    ``/livez``, ``/readyz``, ``/ping``, ...), found with :mod:`ast` (never by importing the
    code; modules over :data:`MAX_AST_CHARS` are listed as skipped instead): Flask/FastAPI/Starlette/aiohttp route decorators and registrations whose path
    literal starts with ``/``, Django ``path``/``re_path``/``url`` entries, router and
    blueprint prefixes; or a health-check package (django-health-check, fastapi-health,
    flask-healthz, py-healthcheck); or a Kubernetes liveness/readiness/startup probe with an
    HTTP path in a manifest.
``alerts``
    Alert rules in the repository — Prometheus rule files (``groups[].rules[]`` with ``alert``
    and ``expr``, also inside a ``PrometheusRule`` resource), Grafana alert provisioning,
    Alertmanager configuration (``route`` + ``receivers``), CloudFormation
    ``AWS::CloudWatch::Alarm`` or Terraform alert resources (Datadog monitors, CloudWatch
    alarms, Google/Azure/New Relic alert policies, Grafana rule groups) — or alerts declared in
    readiness.yml ``evidence.alerts`` with where they route. ``alert-paths`` (globs) limits
    where rule files are looked for; by default every YAML, ``.rules`` and Terraform file.

Weaker evidence: a dependency declared in ``requirements*.txt`` / ``pyproject.toml`` /
``setup.cfg`` / ``Pipfile`` but never imported outside tests does NOT satisfy a part (an
installed library that nothing uses logs nothing); the finding says it is declared, which
usually means the wiring is missing.

``exclude`` (globs) is applied once per file, before any kind of evidence looks at its content:
code under tests, docs, examples and vendored directories is not evidence of what the service
does in production. Dependency manifests are read for declarations wherever they are, and when
``alert-paths`` is set, the files it names are alert evidence even inside an excluded directory.

The evidence kinds live in their own modules: :mod:`.libraries` (imports, string references,
logging configuration files, manifests), :mod:`.health` (routes, probes; the one AST walk also
finds JSON formatter classes) and :mod:`.alerts`; :mod:`.collected` holds what the pass collects.

Efficiency (``docs/performance.md``: all evidence checks in under a second on 10,000 files): one
pass over the inventory; the run's text index (:class:`gate.textindex.LiteralIndex`, which the
rollback, backups and load-test checks share; this check's words come from :meth:`index_words`)
tells from each module's raw bytes whether it holds a hint word or a quoted health path, so
most modules are never decoded or searched again; :mod:`ast` parses only modules that contain a
health-path literal or a ``Formatter`` subclass. A YAML file is parsed only if it mentions
``alert`` or ``receivers``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Optional

from gate.checks.interface import Check, CheckContext, option, strings
from gate.checks.observability.alerts import YAML_SUFFIXES, alert_evidence, declared_alerts
from gate.checks.observability.collected import PARTS, Found
from gate.checks.observability.health import (MAX_AST_CHARS, health_hint_literals, may_hold_probe, normalise_route,
                                              probe_evidence, python_evidence)
from gate.checks.observability.libraries import (_FORMATTER_CLASS, _PY_HINTS, _PY_HINTS_FOLDED, MANIFEST_NAMES,
                                                 declared_in_manifest, log_config_evidence, may_configure_logging,
                                                 scan_python_text)
from gate.inventory import FileEntry, Inventory, InventoryError, match_globs
from gate.model import CheckResult, Finding, Severity, SkippedPath
from gate.textindex import LiteralIndex

CONFIG_SUFFIXES = (".yml", ".yaml", ".json", ".ini", ".conf", ".cfg", ".toml")
"""Suffixes of files that may be a logging configuration (when the file name mentions log)."""

_MESSAGES = {
    "structured-logging": ("no-structured-logging", "No structured (JSON) logging found"),
    "metrics": ("no-metrics", "No metrics found"),
    "health-endpoint": ("no-health-endpoint", "No health endpoint found"),
    "alerts": ("no-alerts", "No alert rules found"),
}
"""Part -> (finding rule, message) when the part has no evidence."""


@dataclass(frozen=True)
class ObservabilitySettings:
    """``checks.observability`` options (defaults: ``policies/profiles/default.yml``)."""

    parts: tuple[str, ...] = option("parts", strings)
    """The parts required (of :data:`PARTS`)."""
    health_paths: tuple[str, ...] = option("health-paths", strings)
    """Route paths accepted as a health endpoint (a route ending in one of them counts)."""
    exclude: tuple[str, ...] = option("exclude", strings)
    """Globs of files that are not evidence."""
    alert_paths: tuple[str, ...] = option("alert-paths", strings, absent=())
    """Globs of alert rule files; empty (not set): every YAML, ``.rules`` and Terraform file."""

    @property
    def health(self) -> tuple[str, ...]:
        """The health paths normalised as routes (:func:`~.health.normalise_route`), empty ones dropped."""
        return tuple(h for h in (normalise_route(p) for p in self.health_paths) if h)


@dataclass(frozen=True)
class _Pass:
    """What one run's pass over the inventory needs, computed once from the settings."""

    index: LiteralIndex
    health: tuple[str, ...]
    health_hint: Optional["re.Pattern[str]"]
    hint_literals: Optional[frozenset[str]]
    alert_paths: tuple[str, ...]
    exclude: tuple[str, ...]


class ObservabilityCheck(Check[ObservabilitySettings]):
    """``observability``: each required part has evidence in the repository (or readiness.yml)."""

    id = "observability"
    settings_type = ObservabilitySettings

    def index_words(self, settings: ObservabilitySettings) -> frozenset[str]:
        """The library hint words, and the quoted health paths (``"/healthz``)."""
        return _PY_HINTS_FOLDED | (health_hint_literals(settings.health) or frozenset())

    def run(self, context: CheckContext[ObservabilitySettings]) -> CheckResult:
        inv = context.inventory
        s = context.settings
        required = [p for p in PARTS if p in set(s.parts)]
        health = s.health
        health_hint = re.compile(
            r"[\"'/^](?:" + "|".join(re.escape(h) for h in sorted(set(health), key=len, reverse=True)) + r")[/?$]*[\"']"
        ) if health else None
        one = _Pass(context.text_index, health, health_hint, health_hint_literals(health), s.alert_paths, s.exclude)

        found = Found()
        declared_alerts(context.config, found)
        skipped: list[SkippedPath] = []
        try:
            for entry in inv.files:
                _scan(inv, one, entry, found, skipped)
        except InventoryError as exc:
            return CheckResult.errored(f"could not read {exc}; check the file's permissions")

        relevant_suffixes = (".py", *CONFIG_SUFFIXES, ".rules", ".tf")
        skipped.extend(s for s in inv.skipped
                       if PurePosixPath(s.path).suffix.lower() in relevant_suffixes
                       and not s.reason.startswith("binary"))

        findings = [self._finding(part, found) for part in required if not found.has(part)]
        evidence = tuple(f"{part}: {note}" for part in PARTS for note in found.evidence[part])
        missing = [f.aliases[0] for f in findings]
        return CheckResult.from_findings(
            findings, pass_summary=f"evidence for {', '.join(required) or 'no required part'}",
            fail_summary=f"no evidence of {', '.join(missing)}", evidence=evidence, skipped=tuple(skipped))

    def _finding(self, part: str, found: Found) -> Finding:
        declared = found.declared[part]
        note = (f" ({', '.join(declared)} declared but never imported outside tests)" if declared else "")
        rule, message = _MESSAGES[part]
        return Finding(rule, f"{message}{note}.", severity=Severity.MEDIUM, fingerprint=rule,
                       aliases=(part,), remediation=self.remediation(rule))


def _scan(inv: Inventory, one: _Pass, entry: FileEntry, found: Found, skipped: list[SkippedPath]) -> None:
    """Look at one file for every kind of evidence at once (read at most once).

    Which kinds can apply is decided from the path; then, before any kind looks at the
    content, whether ``exclude`` leaves the file out (decided once, and only for a file some
    kind wants: matching globs costs more than the rest of the pass for most files).
    """
    if entry.is_binary:
        return
    path = entry.path
    # String slicing, not FileEntry.suffix/name (PurePosixPath): this runs once per file of
    # the repository and pathlib parsing dominated the profile on 10,000 files.
    name = path.rpartition("/")[2].lower()
    dot = name.rfind(".")
    suffix = name[dot:] if dot > 0 else ""
    if MANIFEST_NAMES.search(path):
        declared_in_manifest(path, inv.read_text(entry), found)  # declarations count wherever they are
        if suffix != ".py":
            return
    is_alert_candidate = (match_globs(path, one.alert_paths) if one.alert_paths
                          else suffix in YAML_SUFFIXES or suffix in (".rules", ".tf") or path.endswith(".tf.json"))
    is_log_config = suffix in CONFIG_SUFFIXES and "log" in name
    if suffix == ".py":
        _python(inv, one, entry, found, skipped)
        return
    if not is_alert_candidate and not is_log_config and suffix not in YAML_SUFFIXES:
        return
    text = inv.read_text(entry)
    wants_log = is_log_config and may_configure_logging(text)
    wants_probe = suffix in YAML_SUFFIXES and bool(one.health) and may_hold_probe(text)
    wants_alert = is_alert_candidate and ("alert" in text or "receivers" in text or "AWS::CloudWatch" in text
                                          or (suffix == ".tf" and "resource" in text))
    if not (wants_log or wants_probe or wants_alert):
        return
    excluded = match_globs(path, one.exclude)
    if wants_log and not excluded:
        log_config_evidence(path, text, found)
    if wants_probe and not excluded:
        probe_evidence(path, text, one.health, found)
    if wants_alert and (one.alert_paths or not excluded):  # files alert-paths names count anywhere
        alert_evidence(path, suffix, text, found)


def _python(inv: Inventory, one: _Pass, entry: FileEntry, found: Found, skipped: list[SkippedPath]) -> None:
    """Evidence in one Python module: imports and string references, then routes and formatters."""
    path = entry.path
    # The run's text index reads the file's bytes (raising the error read_text would) and says
    # which hint literals its case-folded text holds; most modules have none and are never decoded.
    folded = one.index.present(entry, strict=True)
    may_hint = not folded.isdisjoint(_PY_HINTS_FOLDED)
    may_route = one.health_hint is not None and (one.hint_literals is None
                                                 or one.index.any_of(entry, one.hint_literals))
    if not (may_hint or may_route) or match_globs(path, one.exclude):
        return
    text = inv.read_text(entry)
    hints = may_hint and _PY_HINTS.search(text) is not None
    hinted = may_route and one.health_hint is not None and one.health_hint.search(text) is not None
    if not (hints or hinted):
        return
    scan_python_text(path, text, found, hints=hints)
    if hinted or ("formatter" in folded and "dumps" in text and _FORMATTER_CLASS.search(text)):
        if len(text) > MAX_AST_CHARS:
            if hinted:
                skipped.append(SkippedPath(path, f"Python file over {MAX_AST_CHARS} characters "
                                                 "not parsed for routes"))
            return
        python_evidence(path, text, one.health, found, skipped)
