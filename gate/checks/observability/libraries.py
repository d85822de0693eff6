"""``observability`` evidence from the libraries a service uses: imports and string references
in Python modules (structured logging, metrics, health-check packages), logging configuration
files naming a JSON formatter, and the distributions dependency manifests declare.

Imports and string references are found with line patterns, never by importing or parsing the
code (``import`` statements at the start of a line; one inside a docstring would also count, an
accepted imprecision).
"""

from __future__ import annotations

import functools
import re
from typing import Any, Iterator, Mapping, Optional, Sequence

from gate.checks.observability.collected import MAX_NOTES, Found, line_of

LOGGING_MODULES: Mapping[str, str] = {
    "structlog": "structlog",
    "pythonjsonlogger": "python-json-logger",
    "json_log_formatter": "json-log-formatter",
    "json_logging": "json-logging",
    "ecs_logging": "ecs-logging",
    "logstash_formatter": "logstash-formatter",
    "aws_lambda_powertools.logging": "Powertools Logger",
    "google.cloud.logging": "Google Cloud Logging",
    "logfire": "logfire",
}
"""Module (or module prefix) -> library, for structured logging. Referenced by an import, or
by a string naming it (``"()": "pythonjsonlogger.jsonlogger.JsonFormatter"`` in a dictConfig)."""

METRICS_MODULES: Mapping[str, str] = {
    "prometheus_client": "prometheus_client",
    "prometheus_fastapi_instrumentator": "prometheus-fastapi-instrumentator",
    "starlette_exporter": "starlette-exporter",
    "starlette_prometheus": "starlette-prometheus",
    "prometheus_flask_exporter": "prometheus-flask-exporter",
    "django_prometheus": "django-prometheus",
    "aioprometheus": "aioprometheus",
    "opentelemetry.metrics": "OpenTelemetry metrics",
    "opentelemetry.sdk.metrics": "OpenTelemetry metrics",
    "opentelemetry.exporter.prometheus": "OpenTelemetry Prometheus exporter",
    "statsd": "statsd",
    "datadog": "datadog (DogStatsd)",
    "aiodogstatsd": "aiodogstatsd",
}
"""Module (or prefix) -> library, for metrics. ``from opentelemetry import metrics`` also counts."""

HEALTH_MODULES: Mapping[str, str] = {
    "health_check": "django-health-check",
    "fastapi_health": "fastapi-health",
    "flask_healthz": "flask-healthz",
    "healthcheck": "py-healthcheck",
}
"""Health-check packages that provide the endpoint themselves."""

STRING_REFS: Mapping[str, str] = {
    "pythonjsonlogger": "structured-logging|python-json-logger",
    "json_log_formatter": "structured-logging|json-log-formatter",
    "ecs_logging": "structured-logging|ecs-logging",
    "structlog": "structured-logging|structlog",
    "logstash_formatter": "structured-logging|logstash-formatter",
    "django_prometheus": "metrics|django-prometheus",
    "health_check": "health-endpoint|django-health-check",
}
"""String literals (or their dotted prefix) that wire a library in without importing it:
dictConfig formatter classes (``"()": "pythonjsonlogger.json.JsonFormatter"``) and Django
``INSTALLED_APPS`` / ``include("health_check.urls")``. Value: ``part|label``. Deliberately
narrow: a bare ``"healthcheck"`` or ``"statsd"`` string is too common to mean anything."""

DECLARED: Mapping[str, str] = {
    "structlog": "structured-logging", "python-json-logger": "structured-logging",
    "json-log-formatter": "structured-logging", "json-logging": "structured-logging",
    "ecs-logging": "structured-logging", "logfire": "structured-logging",
    "prometheus-client": "metrics", "prometheus-fastapi-instrumentator": "metrics",
    "starlette-exporter": "metrics", "prometheus-flask-exporter": "metrics", "django-prometheus": "metrics",
    "opentelemetry-exporter-prometheus": "metrics", "statsd": "metrics", "datadog": "metrics",
    "django-health-check": "health-endpoint", "fastapi-health": "health-endpoint",
    "flask-healthz": "health-endpoint",
}
"""Distribution name (normalised, PEP 503) -> part, for the "declared but not imported" note."""


MANIFEST_NAMES = re.compile(r"(?:^|/)(?:requirements[^/]*\.(?:txt|in)|requirements/[^/]+\.(?:txt|in)"
                            r"|pyproject\.toml|setup\.cfg|Pipfile)$")
"""Dependency manifests read for declarations (never executed)."""


PY_HINT_LITERALS = ("structlog", "pythonjsonlogger", "json_log_formatter", "json_logging", "ecs_logging",
                    "logstash_formatter", "aws_lambda_powertools", "google.cloud", "logfire", "loguru", "Formatter",
                    "prometheus", "opentelemetry", "statsd", "datadog", "health_check", "fastapi_health",
                    "flask_healthz", "healthcheck")
"""Substrings that make a Python file worth a closer look (besides a health path literal)."""

_PY_HINTS = re.compile("|".join(re.escape(h) for h in PY_HINT_LITERALS))
_PY_HINTS_FOLDED = frozenset(h.lower() for h in PY_HINT_LITERALS)
"""Lower-cased, as the shared literal index holds them: a file whose folded text has none of
these has none of :data:`PY_HINT_LITERALS` either, and is passed over without a regex."""


_IMPORT = re.compile(
    r"^[ \t]*(?:from[ \t]+([A-Za-z_][\w.]*)[ \t]+import[ \t]+(\([^)]{0,2000}\)|[^\n#;]*)"
    r"|import[ \t]+([^\n#;]+))", re.MULTILINE)
"""An import statement at the start of a line: ``from M import names`` (names may be a
parenthesised list over several lines) or ``import M[, N]``. Import lines are found with a
pattern, not :mod:`ast`, because parsing every module of a large tree costs seconds."""

_STRING_REF = re.compile(r"[\"']((?:pythonjsonlogger|json_log_formatter|ecs_logging|structlog|logstash_formatter"
                         r"|django_prometheus|health_check)(?:[.:][\w.:]{0,150})?)[\"']")
"""A string literal naming a library wired in by name (see :data:`STRING_REFS`)."""

_SERIALIZE = re.compile(r"\bserialize[ \t]*=[ \t]*True\b")
"""loguru's ``logger.add(..., serialize=True)``: JSON output."""

_FORMATTER_CLASS = re.compile(r"^[ \t]*class[ \t]+\w+[ \t]*\([^)\n]*Formatter\b", re.MULTILINE)
"""A class deriving from a ``...Formatter``: parsed with :mod:`ast` to see if it emits JSON."""


_LOG_CONFIG_HINT = re.compile(r"pythonjsonlogger|JsonFormatter|json_log_formatter|ecs_logging|structlog"
                              r"|logstash_formatter")
"""A logging configuration file (YAML/JSON/INI) naming a JSON formatter."""



def module_match(module: str, table: Mapping[str, str]) -> Optional[str]:
    """The table entry ``module`` is, or is below (``structlog.stdlib`` -> structlog)."""
    for prefix, label in table.items():
        if module == prefix or module.startswith(prefix + "."):
            return label
    return None




def _imports(text: str) -> Iterator["re.Match[str]"]:
    """``_IMPORT.finditer(text)``, trying only the starts of lines that contain ``import``.

    Every match begins at a line start and has the word ``import`` before the end of that line
    (``[ \\t]``, ``[\\w.]`` never cross a newline), so the other positions cannot match; trying
    the candidates in order, each at or after the previous match's end, yields the same matches
    as ``finditer`` without running the pattern at every position of the file.
    """
    end = 0  # where the previous match ended
    line_start = 0  # start of a line at or before the next occurrence
    i = text.find("import")
    while i >= 0:
        start = text.rfind("\n", line_start, i) + 1 or line_start
        if start >= end:
            m = _IMPORT.match(text, start)
            if m is not None:
                yield m
                end = m.end()
        # Next line: later occurrences on this one have the same line start (linear time).
        line_end = text.find("\n", i)
        if line_end < 0:
            return
        line_start = line_end + 1
        i = text.find("import", line_start)


def scan_python_text(path: str, text: str, found: Found, *, hints: bool = True) -> None:
    """Evidence from a module's import lines and string literals (patterns, no parsing).

    ``hints``: False when the text has none of :data:`PY_HINT_LITERALS`; string references are
    then not looked for (each names a library containing one of them).
    """
    loguru = False
    for m in _imports(text):
        if m.group(1):
            names = [n.strip().split(" ")[0] for n in m.group(2).strip("() \t\n").split(",")]
            loguru |= _module_evidence(path, m.group(1), names, functools.partial(line_of, text, m.start()), found)
        else:
            for part in m.group(3).split(","):
                module = part.strip().split(" ")[0]
                if module:
                    loguru |= _module_evidence(path, module, (), functools.partial(line_of, text, m.start()), found)
    for m in _STRING_REF.finditer(text) if hints else ():
        ref = module_match(m.group(1).split(":")[0], STRING_REFS)
        if ref:
            part, label = ref.split("|", 1)
            if found.wants(part):
                found.add(part, f"{path}:{line_of(text, m.start())} configures {label}")
    if loguru:
        m = _SERIALIZE.search(text)
        if m:
            found.add("structured-logging", f"{path}:{line_of(text, m.start())} loguru serialize=True (JSON)")


def _module_evidence(path: str, module: str, names: Sequence[str], line: Any, found: Found) -> bool:
    """Record what importing ``module`` (``from module import names``) is evidence of.

    ``line`` is called only when a note is recorded. Returns True for loguru, whose evidence
    depends on ``serialize=True`` elsewhere in the file.
    """
    for table, part, verb in ((LOGGING_MODULES, "structured-logging", "imports"),
                              (METRICS_MODULES, "metrics", "imports"),
                              (HEALTH_MODULES, "health-endpoint", "uses")):
        label = module_match(module, table)
        if label and found.wants(part):
            found.add(part, f"{path}:{line()} {verb} {label}")
    if module == "aws_lambda_powertools" and "Logger" in names and found.wants("structured-logging"):
        found.add("structured-logging", f"{path}:{line()} imports Powertools Logger")
    if module == "opentelemetry" and "metrics" in names and found.wants("metrics"):
        found.add("metrics", f"{path}:{line()} imports OpenTelemetry metrics")
    return module == "loguru" or module.startswith("loguru.")




def declared_in_manifest(path: str, text: str, found: Found) -> None:
    """Note each observability distribution a dependency manifest (:data:`MANIFEST_NAMES`) declares."""
    normalised = re.sub(r"[-_.]+", "-", text.lower())
    for dist, part in DECLARED.items():
        if re.search(r"(?<![\w-])" + re.escape(dist) + r"(?![\w-])", normalised):
            if len(found.declared[part]) < MAX_NOTES:
                found.declared[part].append(f"{dist} in {path}")


def may_configure_logging(text: str) -> bool:
    """True when a logging configuration file's ``text`` names a JSON formatter."""
    return _LOG_CONFIG_HINT.search(text) is not None


def log_config_evidence(path: str, text: str, found: Found) -> None:
    """A logging configuration file (``dictConfig``/``fileConfig`` input) that
    :func:`may_configure_logging` accepts: evidence of structured logging."""
    found.add("structured-logging", f"{path} logging configuration with a JSON formatter")
