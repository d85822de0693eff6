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

Efficiency (``docs/performance.md``: all evidence checks in under a second on 10,000 files): one pass over
the inventory; the run's shared literal index (:func:`gate.checks.ops_evidence.literal_index`,
which the rollback, backups and load-test checks reuse) tells from each module's raw bytes
whether it holds a hint word or a quoted health path, so most modules are never decoded or
searched again; imports and string references are found with line patterns (``import`` statements at
the start of a line — one inside a docstring would also count, an accepted imprecision);
:mod:`ast` parses only modules that contain a health-path literal or a ``Formatter`` subclass.
A YAML file is parsed only if it mentions ``alert`` or ``receivers``. YAML is parsed with :func:`gate.config.parse_yaml` (alias expansion
bounded); a file that is not one plain YAML document (Helm templates, multi-document
manifests) is matched with line patterns instead.
"""

from __future__ import annotations

import ast
import functools
import re
import sys
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any, Iterator, Mapping, Optional, Sequence

from gate.checks.interface import Check, CheckContext
from gate.checks.ops_evidence import LiteralIndex, literal_index
from gate.config import ConfigError, parse_yaml
from gate.inventory import FileEntry, Inventory, InventoryError, match_globs
from gate.model import CheckResult, Finding, Severity, SkippedPath

PARTS = ("structured-logging", "metrics", "health-endpoint", "alerts")
"""The four parts, in report order."""

DEFAULT_HEALTH_PATHS = ("/health", "/healthz", "/healthcheck", "/health-check", "/_health", "/livez", "/readyz",
                        "/live", "/ready", "/liveness", "/readiness", "/ping", "/status/health")
"""Used only when the profile gives no ``health-paths`` (the default profile does)."""

DEFAULT_EXCLUDE = ("tests/**", "test/**", "**/tests/**", "**/test/**", "**/test_*.py", "**/*_test.py",
                   "**/conftest.py", "docs/**", "examples/**", "**/node_modules/**", "**/site-packages/**",
                   "vendor/**", "**/.venv/**", "**/venv/**")
"""Used only when the profile gives no ``exclude`` (the default profile does)."""

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

MAX_AST_CHARS = 256 * 1024
"""Largest Python file parsed with :mod:`ast` (for routes and formatter classes). ``ast.parse``
takes seconds on a 2 MiB module on a busy runner; hand-written route modules are far smaller,
and a larger file with a health-path literal is listed as skipped."""

_LOG_CONFIG_HINT = re.compile(r"pythonjsonlogger|JsonFormatter|json_log_formatter|ecs_logging|structlog"
                              r"|logstash_formatter")
"""A logging configuration file (YAML/JSON/INI) naming a JSON formatter."""

_TF_ALERT = re.compile(
    r'resource\s+"(datadog_monitor|aws_cloudwatch_metric_alarm|aws_cloudwatch_composite_alarm'
    r'|google_monitoring_alert_policy|azurerm_monitor_metric_alert|azurerm_monitor_scheduled_query_rules_alert(?:_v2)?'
    r'|newrelic_alert_condition|newrelic_nrql_alert_condition|grafana_rule_group|sentry_metric_alert'
    r'|signalfx_detector|honeycombio_trigger)"')
"""Terraform resources that define an alert (provider documentation of each)."""

_CFN_ALARM = re.compile(r"AWS::CloudWatch::(?:Alarm|CompositeAlarm)\b")
# Line patterns use ``[ \t]``, never ``\s``, after ``^``: ``\s*`` would also eat newlines, and on
# a file of blank lines every line start would rescan the rest of the file (quadratic).
_ALERT_LINE = re.compile(r"^[ \t]*-?[ \t]*alert[ \t]*:[ \t]*[\"']?[A-Za-z_{]", re.MULTILINE)
_EXPR_LINE = re.compile(r"^[ \t]*expr[ \t]*:", re.MULTILINE)
_AM_ROUTE = re.compile(r"^route[ \t]*:", re.MULTILINE)
_AM_RECEIVERS = re.compile(r"^receivers[ \t]*:", re.MULTILINE)
_PROBE = re.compile(r"(?:liveness|readiness|startup)Probe[ \t]*:", re.IGNORECASE)
_PROBE_PATH = re.compile(r"^[ \t]*path[ \t]*:[ \t]*[\"']?(/[^\s\"'#]*)", re.MULTILINE)

YAML_SUFFIXES = (".yml", ".yaml")
CONFIG_SUFFIXES = (".yml", ".yaml", ".json", ".ini", ".conf", ".cfg", ".toml")
"""Suffixes of files that may be a logging configuration (when the file name mentions log)."""

ROUTE_FUNCS = frozenset({"route", "get", "head", "api_route", "add_url_rule", "add_api_route", "add_route",
                         "add_get", "add_head", "Route", "APIRoute", "add_resource", "APIRouter", "Blueprint",
                         "include_router", "register_blueprint", "Mount"})
"""Calls that register a route or a route prefix (Flask, FastAPI, Starlette, aiohttp,
Flask-RESTful). Their path literal must start with ``/`` as these frameworks require."""

DJANGO_ROUTE_FUNCS = frozenset({"path", "re_path", "url"})
"""Django URLconf entries; their patterns conventionally have no leading slash."""

PATH_KEYWORDS = frozenset({"path", "rule", "prefix", "url_prefix", "route"})

MAX_NOTES = 3
"""Evidence lines kept per part."""


@dataclass
class _Found:
    """What the single pass collected."""

    evidence: dict[str, list[str]] = field(default_factory=lambda: {p: [] for p in PARTS})
    declared: dict[str, list[str]] = field(default_factory=lambda: {p: [] for p in PARTS})

    def add(self, part: str, note: str) -> None:
        if len(self.evidence[part]) < MAX_NOTES:
            self.evidence[part].append(note)

    def has(self, part: str) -> bool:
        return bool(self.evidence[part])

    def wants(self, part: str) -> bool:
        """True while ``part`` has room for another note (saves computing line numbers)."""
        return len(self.evidence[part]) < MAX_NOTES


def _module_match(module: str, table: Mapping[str, str]) -> Optional[str]:
    """The table entry ``module`` is, or is below (``structlog.stdlib`` -> structlog)."""
    for prefix, label in table.items():
        if module == prefix or module.startswith(prefix + "."):
            return label
    return None


def _normalise_route(literal: str) -> str:
    """A route literal as a comparable path: regex anchors, optional slashes and edge slashes
    removed (``r"^healthz/?$"`` -> ``healthz``, ``"/api/health/"`` -> ``api/health``)."""
    s = literal.strip()
    s = s.removeprefix("^")
    for suffix in ("$", "/?", "/"):
        s = s.removesuffix(suffix)
    s = s.removesuffix("/?")
    return s.strip("/")


def health_route(literal: str, health: Sequence[str], *, django: bool) -> bool:
    """True when route ``literal`` ends with one of the (normalised) ``health`` paths.

    Non-Django routes must start with ``/`` (or ``^/``) so that ``config.get("health")`` and
    other dictionary look-ups are not routes; URLs (``http://...``) are client calls.
    """
    if "://" in literal or len(literal) > 300:
        return False
    if not django and not literal.lstrip("^").startswith("/"):
        return False
    route = _normalise_route(literal)
    return any(route == h or route.endswith("/" + h) for h in health)


def health_hint_literals(health: Sequence[str]) -> Optional[frozenset[str]]:
    """Lower-cased literals one of which every match of the health hint contains.

    The hint ``["'/^](?:paths)[/?$]*["']`` always holds a quote, slash or caret followed by a
    health path (``"/healthz``, ``'ping``), so a file whose folded text has none of these cannot
    match it and is passed over without the regex (the shared literal index finds them with the
    other checks' words). Literals containing a shorter one are left out (``"health`` covers
    ``"healthz``). None when a path is not ASCII (the index holds ASCII only): then the regex
    decides alone.
    """
    if not all(h.isascii() for h in health):
        return None
    literals = {quote + h.lower() for h in health if h for quote in "\"'/^"}
    return frozenset(lit for lit in literals if not any(other != lit and other in lit for other in literals))


def _line(text: str, pos: int) -> int:
    """1-based line of character offset ``pos``."""
    return text.count("\n", 0, pos) + 1


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


def scan_python_text(path: str, text: str, found: "_Found", *, hints: bool = True) -> None:
    """Evidence from a module's import lines and string literals (patterns, no parsing).

    ``hints``: False when the text has none of :data:`PY_HINT_LITERALS`; string references are
    then not looked for (each names a library containing one of them).
    """
    loguru = False
    for m in _imports(text):
        if m.group(1):
            names = [n.strip().split(" ")[0] for n in m.group(2).strip("() \t\n").split(",")]
            loguru |= _module_evidence(path, m.group(1), names, functools.partial(_line, text, m.start()), found)
        else:
            for part in m.group(3).split(","):
                module = part.strip().split(" ")[0]
                if module:
                    loguru |= _module_evidence(path, module, (), functools.partial(_line, text, m.start()), found)
    for m in _STRING_REF.finditer(text) if hints else ():
        ref = _module_match(m.group(1).split(":")[0], STRING_REFS)
        if ref:
            part, label = ref.split("|", 1)
            if found.wants(part):
                found.add(part, f"{path}:{_line(text, m.start())} configures {label}")
    if loguru:
        m = _SERIALIZE.search(text)
        if m:
            found.add("structured-logging", f"{path}:{_line(text, m.start())} loguru serialize=True (JSON)")


def _module_evidence(path: str, module: str, names: Sequence[str], line: Any, found: "_Found") -> bool:
    """Record what importing ``module`` (``from module import names``) is evidence of.

    ``line`` is called only when a note is recorded. Returns True for loguru, whose evidence
    depends on ``serialize=True`` elsewhere in the file.
    """
    for table, part, verb in ((LOGGING_MODULES, "structured-logging", "imports"),
                              (METRICS_MODULES, "metrics", "imports"),
                              (HEALTH_MODULES, "health-endpoint", "uses")):
        label = _module_match(module, table)
        if label and found.wants(part):
            found.add(part, f"{path}:{line()} {verb} {label}")
    if module == "aws_lambda_powertools" and "Logger" in names and found.wants("structured-logging"):
        found.add("structured-logging", f"{path}:{line()} imports Powertools Logger")
    if module == "opentelemetry" and "metrics" in names and found.wants("metrics"):
        found.add("metrics", f"{path}:{line()} imports OpenTelemetry metrics")
    return module == "loguru" or module.startswith("loguru.")


def _stack_depth() -> int:
    """How many Python frames the current thread's stack holds."""
    frame, depth = sys._getframe(), 0
    while frame is not None:
        frame, depth = frame.f_back, depth + 1
    return depth


class _PythonScan(ast.NodeVisitor):
    """One walk of a module's AST for health routes and JSON log formatter classes."""

    def __init__(self, path: str, health: Sequence[str], found: "_Found") -> None:
        self.path = path
        self.health = health
        self.found = found

    def scan(self, tree: ast.AST) -> None:
        """``self.visit(tree)``, without three Python calls per node (``docs/performance.md``: evidence checks
        bound the diff-mode run; the recursive visitor was most of observability's time on
        modules full of literals).

        The nodes are met in the visitor's order (depth first, fields in order), so notes come
        in the same order. A tree deep enough that the recursive visitor might exhaust the
        recursion limit (it uses at most 3 frames per level) is handed to it instead, so it
        raises RecursionError exactly where it always did.
        """
        limit = (sys.getrecursionlimit() - _stack_depth() - 50) // 3
        wanted: list[ast.AST] = []
        stack: list[tuple[ast.AST, int]] = [(tree, 0)]
        while stack:
            node, depth = stack.pop()
            if depth > limit:
                self.visit(tree)
                return
            kind = type(node)
            if kind is ast.Call or kind is ast.ClassDef:
                wanted.append(node)
            children: list[ast.AST] = []
            for name in node._fields:  # ast.iter_child_nodes, inlined
                value = getattr(node, name, None)
                if isinstance(value, list):
                    children.extend(item for item in value if isinstance(item, ast.AST))
                elif isinstance(value, ast.AST):
                    children.append(value)
            stack.extend((child, depth + 1) for child in reversed(children))
        for node in wanted:
            if isinstance(node, ast.ClassDef):
                self._class(node)
            else:
                self._call(node)  # type: ignore[arg-type]

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self._class(node)
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        self._call(node)
        self.generic_visit(node)

    def _class(self, node: ast.ClassDef) -> None:
        bases = [b.attr if isinstance(b, ast.Attribute) else getattr(b, "id", "") for b in node.bases]
        if any(b.endswith("Formatter") for b in bases):
            for sub in ast.walk(node):
                if (isinstance(sub, ast.Call) and isinstance(sub.func, ast.Attribute) and sub.func.attr == "dumps"
                        and getattr(sub.func.value, "id", "") in ("json", "orjson", "ujson", "rapidjson")):
                    self.found.add("structured-logging", f"{self.path}:{node.lineno} JSON log formatter {node.name}")
                    break

    def _call(self, node: ast.Call) -> None:
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        if name in ROUTE_FUNCS or name in DJANGO_ROUTE_FUNCS:
            literals = [a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
            literals += [k.value.value for k in node.keywords
                         if k.arg in PATH_KEYWORDS and isinstance(k.value, ast.Constant)
                         and isinstance(k.value.value, str)]
            django = name in DJANGO_ROUTE_FUNCS
            for lit in literals:
                if health_route(lit, self.health, django=django):
                    self.found.add("health-endpoint", f"{self.path}:{node.lineno} route {lit[:60]}")
                    break


def _walk_rules(data: Any, depth: int = 0) -> tuple[int, int]:
    """Count ``(prometheus_alerts, grafana_alerts)`` in ``groups[].rules[]`` anywhere in ``data``
    (top level, ``spec.groups`` of a PrometheusRule, Helm values), at most 8 levels deep."""
    if depth > 8:
        return 0, 0
    prom = graf = 0
    if isinstance(data, dict):
        groups = data.get("groups")
        if isinstance(groups, list):
            for group in groups:
                rules = group.get("rules") if isinstance(group, dict) else None
                for rule in rules if isinstance(rules, list) else ():
                    if not isinstance(rule, dict):
                        continue
                    if rule.get("alert") and rule.get("expr"):
                        prom += 1
                    elif rule.get("grafana_alert") or (rule.get("title") and rule.get("condition")):
                        graf += 1
        for key, value in data.items():
            if key != "groups" and isinstance(value, (dict, list)):
                p, g = _walk_rules(value, depth + 1)
                prom, graf = prom + p, graf + g
    elif isinstance(data, list):
        for item in data:
            p, g = _walk_rules(item, depth + 1)
            prom, graf = prom + p, graf + g
    return prom, graf


class ObservabilityCheck(Check):
    """``observability``: each required part has evidence in the repository (or readiness.yml)."""

    id = "observability"

    def run(self, context: CheckContext) -> CheckResult:
        inv = context.inventory
        required = [p for p in PARTS if p in set(context.setting("parts", list(PARTS)))]
        health = tuple(_normalise_route(h) for h in context.setting("health-paths", list(DEFAULT_HEALTH_PATHS)))
        health = tuple(h for h in health if h)
        alert_paths = tuple(context.setting("alert-paths", []))
        exclude = tuple(context.setting("exclude", list(DEFAULT_EXCLUDE)))
        health_hint = re.compile(
            r"[\"'/^](?:" + "|".join(re.escape(h) for h in sorted(set(health), key=len, reverse=True)) + r")[/?$]*[\"']"
        ) if health else None
        hint_literals = health_hint_literals(health)

        found = _Found()
        self._declared_alerts(context, found)
        skipped: list[SkippedPath] = []
        index = literal_index(context, extra=hint_literals or ())
        try:
            for entry in inv.files:
                self._scan(inv, index, entry, found, health, health_hint, hint_literals, alert_paths, exclude,
                           skipped)
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

    # ------------------------------------------------------------------ the single pass

    def _scan(self, inv: Inventory, index: LiteralIndex, entry: FileEntry, found: _Found, health: Sequence[str],
              health_hint: Optional[re.Pattern[str]], hint_literals: Optional[frozenset[str]],
              alert_paths: Sequence[str], exclude: Sequence[str], skipped: list[SkippedPath]) -> None:
        """Look at one file for every part at once (read at most once)."""
        if entry.is_binary:
            return
        path = entry.path
        # String slicing, not FileEntry.suffix/name (PurePosixPath): this runs once per file of
        # the repository and pathlib parsing dominated the profile on 10,000 files.
        name = path.rpartition("/")[2].lower()
        dot = name.rfind(".")
        suffix = name[dot:] if dot > 0 else ""
        if MANIFEST_NAMES.search(path):
            self._manifest(path, inv.read_text(entry), found)
            if suffix != ".py":
                return
        is_alert_candidate = (match_globs(path, alert_paths) if alert_paths
                              else suffix in YAML_SUFFIXES or suffix in (".rules", ".tf") or path.endswith(".tf.json"))
        is_log_config = suffix in CONFIG_SUFFIXES and "log" in name
        if suffix != ".py" and not is_alert_candidate and not is_log_config and suffix not in YAML_SUFFIXES:
            return
        if suffix == ".py":
            # The shared index reads the file's bytes (raising the error read_text would) and
            # says which hint literals its case-folded text holds; most modules have none and
            # are never decoded.
            folded = index.present(entry, strict=True)
            may_hint = not folded.isdisjoint(_PY_HINTS_FOLDED)
            may_route = health_hint is not None and (hint_literals is None or index.any_of(entry, hint_literals))
            if not (may_hint or may_route):
                return
            text = inv.read_text(entry)
            hints = may_hint and _PY_HINTS.search(text) is not None
            hinted = may_route and health_hint is not None and health_hint.search(text) is not None
            if not (hints or hinted):
                return
            if match_globs(path, exclude):
                return
            scan_python_text(path, text, found, hints=hints)
            if hinted or ("formatter" in folded and "dumps" in text and _FORMATTER_CLASS.search(text)):
                if len(text) > MAX_AST_CHARS:
                    if hinted:
                        skipped.append(SkippedPath(path, f"Python file over {MAX_AST_CHARS} characters "
                                                         "not parsed for routes"))
                    return
                self._python(path, text, health, found, skipped)
            return
        text = inv.read_text(entry)
        if is_log_config and _LOG_CONFIG_HINT.search(text) and not match_globs(path, exclude):
            found.add("structured-logging", f"{path} logging configuration with a JSON formatter")
        if suffix in YAML_SUFFIXES and _PROBE.search(text) and health and not match_globs(path, exclude):
            self._probes(path, text, health, found)
        if is_alert_candidate and ("alert" in text or "receivers" in text or "AWS::CloudWatch" in text
                                   or (suffix == ".tf" and "resource" in text)):
            if alert_paths or not match_globs(path, exclude):
                self._alerts(path, suffix, text, found)

    @staticmethod
    def _manifest(path: str, text: str, found: _Found) -> None:
        normalised = re.sub(r"[-_.]+", "-", text.lower())
        for dist, part in DECLARED.items():
            if re.search(r"(?<![\w-])" + re.escape(dist) + r"(?![\w-])", normalised):
                if len(found.declared[part]) < MAX_NOTES:
                    found.declared[part].append(f"{dist} in {path}")

    @staticmethod
    def _python(path: str, text: str, health: Sequence[str], found: _Found, skipped: list[SkippedPath]) -> None:
        try:
            tree = ast.parse(text, filename=path)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            skipped.append(SkippedPath(path, "Python syntax error (not parsed for observability evidence)"))
            return
        try:
            _PythonScan(path, health, found).scan(tree)
        except RecursionError:
            skipped.append(SkippedPath(path, "Python nested too deeply to walk"))

    @staticmethod
    def _probes(path: str, text: str, health: Sequence[str], found: _Found) -> None:
        """A Kubernetes probe ``httpGet.path`` naming a health path (line patterns; manifests are
        often multi-document or templated)."""
        for m in _PROBE_PATH.finditer(text):
            if health_route(m.group(1), health, django=False):
                line = text.count("\n", 0, m.start()) + 1
                found.add("health-endpoint", f"{path}:{line} probe on {m.group(1)[:60]}")
                return

    @staticmethod
    def _alerts(path: str, suffix: str, text: str, found: _Found) -> None:
        if suffix == ".tf" or path.endswith(".tf.json"):
            m = _TF_ALERT.search(text)
            if m:
                line = text.count("\n", 0, m.start()) + 1
                found.add("alerts", f"{path}:{line} Terraform {m.group(1)}")
            return
        m = _CFN_ALARM.search(text)
        if m:
            found.add("alerts", f"{path}:{text.count(chr(10), 0, m.start()) + 1} CloudFormation CloudWatch alarm")
            return
        data: Any = None
        parsed = False
        if suffix in YAML_SUFFIXES or suffix == ".rules":
            try:
                data, _ = parse_yaml(text, path)
                parsed = True
            except ConfigError:
                parsed = False
        if parsed:
            prom, graf = _walk_rules(data)
            if prom:
                found.add("alerts", f"{path} Prometheus rules ({prom} alert{'s' if prom != 1 else ''})")
            elif graf:
                found.add("alerts", f"{path} Grafana alert rules ({graf})")
            elif (isinstance(data, dict) and isinstance(data.get("route"), dict)
                  and isinstance(data.get("receivers"), list)):
                found.add("alerts", f"{path} Alertmanager configuration ({len(data['receivers'])} receivers)")
            return
        # Not one plain YAML document (Helm template, multi-document manifest): line patterns.
        alerts = len(_ALERT_LINE.findall(text))
        if alerts and _EXPR_LINE.search(text):
            found.add("alerts", f"{path} Prometheus rules ({alerts} alert{'s' if alerts != 1 else ''}, template)")
        elif _AM_ROUTE.search(text) and _AM_RECEIVERS.search(text):
            found.add("alerts", f"{path} Alertmanager configuration (template)")

    @staticmethod
    def _declared_alerts(context: CheckContext, found: _Found) -> None:
        alerts = context.config.evidence.get("alerts") or ()
        good = [a for a in alerts if isinstance(a, Mapping) and a.get("name") and a.get("routes-to")]
        if good:
            loc = context.config.location_of("evidence.alerts")
            where = f"{loc.path}:{loc.line}" if loc and loc.line else "readiness.yml"
            names = ", ".join(f"{a['name']} -> {a['routes-to']}" for a in good[:3])
            found.add("alerts", f"{where} declares {len(good)} alert{'s' if len(good) != 1 else ''} ({names[:200]})")

    # ------------------------------------------------------------------ findings

    @staticmethod
    def _finding(part: str, found: _Found) -> Finding:
        declared = found.declared[part]
        note = (f" ({', '.join(declared)} declared but never imported outside tests)" if declared else "")
        words = {
            "structured-logging": ("no-structured-logging", "No structured (JSON) logging found",
                                   "Configure structlog or python-json-logger at startup so every log line is JSON."),
            "metrics": ("no-metrics", "No metrics found",
                        "Expose request rate, errors and latency with prometheus_client or OpenTelemetry metrics."),
            "health-endpoint": ("no-health-endpoint", "No health endpoint found",
                                "Add a /health (or /healthz) route that checks the service's critical dependencies."),
            "alerts": ("no-alerts", "No alert rules found",
                       "Add Prometheus alert rules, or declare alerts in readiness.yml evidence.alerts with "
                       "where they route."),
        }
        rule, message, remediation = words[part]
        return Finding(rule, f"{message}{note}.", severity=Severity.MEDIUM, fingerprint=rule,
                       aliases=(part,), remediation=remediation)
