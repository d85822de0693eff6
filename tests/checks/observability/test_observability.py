"""Tests for the ``observability`` check: four parts, each found (or missing) on its own."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from helpers import run_check, write_tree

from gate.model import Status

APP = '''\
"""The service."""
import logging

import structlog
from fastapi import FastAPI
from prometheus_client import Counter, make_asgi_app

app = FastAPI()
app.mount("/metrics", make_asgi_app())
REQUESTS = Counter("requests_total", "Requests")
log = structlog.get_logger()


@app.get("/healthz")
def healthz() -> dict:
    return {"ok": True}
'''

RULES = '''\
groups:
  - name: api
    rules:
      - alert: HighErrorRate
        expr: rate(http_errors_total[5m]) > 0.05
        for: 10m
        labels: {severity: page}
'''


def parts_missing(result) -> list[str]:
    return [f.aliases[0] for f in result.findings]


def test_all_four_parts_pass(tmp_path: Path) -> None:
    write_tree(tmp_path, {"app/main.py": APP, "monitoring/alerts.yml": RULES})
    result = run_check("observability", tmp_path)
    assert result.status is Status.PASS, result.findings
    assert result.evidence == (
        "structured-logging: app/main.py:4 imports structlog",
        "metrics: app/main.py:6 imports prometheus_client",
        "health-endpoint: app/main.py:14 route /healthz",
        "alerts: monitoring/alerts.yml Prometheus rules (1 alert)",
    )


def test_each_missing_part_is_its_own_finding(tmp_path: Path) -> None:
    write_tree(tmp_path, {"app/main.py": "import logging\nlogging.basicConfig()\n"})
    result = run_check("observability", tmp_path)
    assert result.status is Status.FAIL
    assert [(f.rule, f.path) for f in result.findings] == [
        ("no-alerts", None), ("no-health-endpoint", None), ("no-metrics", None), ("no-structured-logging", None)]
    assert result.summary == "no evidence of structured-logging, metrics, health-endpoint, alerts"
    assert all(f.remediation and f.remediation.endswith(".") for f in result.findings)


def test_parts_setting_selects_required_parts(tmp_path: Path) -> None:
    write_tree(tmp_path, {"app/main.py": APP})
    config = "version: 1\nchecks:\n  observability:\n    parts: [structured-logging, metrics, health-endpoint]\n"
    assert run_check("observability", tmp_path, config=config).status is Status.PASS
    assert parts_missing(run_check("observability", tmp_path)) == ["alerts"]


def test_tests_docs_and_comments_are_not_evidence(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "tests/test_app.py": APP,
        "docs/example.py": APP,
        "app/main.py": '"""We should add structlog and a /healthz route one day."""\n# import prometheus_client\n'
                       'settings = {"health": 1}\nvalue = settings.get("health")\n'
                       'import requests\nrequests.get("http://other/healthz", timeout=2)\n',
    })
    result = run_check("observability", tmp_path)
    assert parts_missing(result) == ["alerts", "health-endpoint", "metrics", "structured-logging"]


def test_declared_dependency_alone_is_not_enough(tmp_path: Path) -> None:
    write_tree(tmp_path, {"requirements.txt": "structlog==24.1.0\nprometheus-client==0.20.0\n",
                          "app/main.py": "print('hi')\n"})
    result = run_check("observability", tmp_path)
    by_part = {f.aliases[0]: f.message for f in result.findings}
    assert "structlog in requirements.txt declared but never imported" in by_part["structured-logging"]
    assert "prometheus-client in requirements.txt declared" in by_part["metrics"]


def test_logging_alternatives(tmp_path: Path) -> None:
    cases = {
        "loguru": "from loguru import logger\nlogger.add(sys.stderr, serialize=True)\n",
        "dictconfig": 'LOGGING = {"formatters": {"json": {"()": "pythonjsonlogger.json.JsonFormatter"}}}\n',
        "formatter": "import json, logging\nclass J(logging.Formatter):\n    def format(self, r):\n"
                     "        return json.dumps({'m': r.getMessage()})\n",
    }
    for name, code in cases.items():
        root = tmp_path / name
        write_tree(root, {"svc/log.py": code})
        result = run_check("observability", root)
        assert "structured-logging" not in parts_missing(result), name
    root = tmp_path / "plain-loguru"
    write_tree(root, {"svc/log.py": "from loguru import logger\nlogger.info('x')\n"})
    assert "structured-logging" in parts_missing(run_check("observability", root))
    root = tmp_path / "yaml-config"
    write_tree(root, {"config/logging.yaml":
                      "formatters:\n  json:\n    (): pythonjsonlogger.jsonlogger.JsonFormatter\n"})
    assert "structured-logging" not in parts_missing(run_check("observability", root))


def test_metrics_alternatives(tmp_path: Path) -> None:
    cases = {"otel": "from opentelemetry import metrics\n",
             "otel-sdk": "from opentelemetry.sdk.metrics import MeterProvider\n",
             "statsd": "import statsd\n", "dd": "from datadog import statsd\n",
             "django": 'INSTALLED_APPS = ["django_prometheus"]\n'}
    for name, code in cases.items():
        root = tmp_path / name
        write_tree(root, {"svc/m.py": code})
        assert "metrics" not in parts_missing(run_check("observability", root)), name
    root = tmp_path / "traces-only"
    write_tree(root, {"svc/m.py": "from opentelemetry import trace\n"})
    assert "metrics" in parts_missing(run_check("observability", root))


def test_health_endpoint_frameworks(tmp_path: Path) -> None:
    cases = {
        "flask": '@app.route("/health")\ndef h():\n    return "ok"\n',
        "flask-rule": 'app.add_url_rule("/api/v1/health/", view_func=h)\n',
        "django": 'urlpatterns = [path("healthz/", views.health), re_path(r"^admin/", x)]\n',
        "django-re": 'urlpatterns = [re_path(r"^livez/?$", views.live)]\n',
        "starlette": 'routes = [Route("/readyz", endpoint=ready)]\n',
        "router-prefix": 'router = APIRouter(prefix="/health")\n',
        "django-health-check": 'INSTALLED_APPS = ["health_check", "health_check.db"]\n',
    }
    for name, code in cases.items():
        root = tmp_path / name
        write_tree(root, {"svc/urls.py": code})
        assert "health-endpoint" not in parts_missing(run_check("observability", root)), name
    root = tmp_path / "k8s"
    write_tree(root, {"deploy/k8s.yaml": "livenessProbe:\n  httpGet:\n    path: /healthz\n    port: 8080\n"})
    result = run_check("observability", root)
    assert "health-endpoint" not in parts_missing(result)
    assert "health-endpoint: deploy/k8s.yaml:3 probe on /healthz" in result.evidence


def test_health_paths_setting(tmp_path: Path) -> None:
    write_tree(tmp_path, {"svc/app.py": '@app.get("/__heartbeat__")\ndef hb():\n    return {}\n'})
    assert "health-endpoint" in parts_missing(run_check("observability", tmp_path))
    config = "version: 1\nchecks:\n  observability:\n    health-paths: [/__heartbeat__]\n"
    assert "health-endpoint" not in parts_missing(run_check("observability", tmp_path, config=config))


def test_alert_alternatives(tmp_path: Path) -> None:
    cases = {
        "promrule.yaml": "apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\nspec:\n" +
                         "".join("  " + ln + "\n" for ln in RULES.splitlines()),
        "helm.yaml": "{{- if .Values.alerts }}\n" + RULES + "{{- end }}\n",
        "alertmanager.yml": "route:\n  receiver: pager\nreceivers:\n  - name: pager\n",
        "alarm.tf": 'resource "aws_cloudwatch_metric_alarm" "errors" {\n  alarm_name = "x"\n}\n',
        "cfn.yaml": "Resources:\n  Errors:\n    Type: AWS::CloudWatch::Alarm\n",
    }
    for name, text in cases.items():
        root = tmp_path / name.replace(".", "-")
        write_tree(root, {f"ops/{name}": text})
        assert "alerts" not in parts_missing(run_check("observability", root)), name


def test_alerts_declared_in_readiness_yml(tmp_path: Path) -> None:
    write_tree(tmp_path, {"app/main.py": APP})
    config = """
    version: 1
    evidence:
      alerts:
        - {name: HighErrorRate, routes-to: "pagerduty: payments"}
    """
    result = run_check("observability", tmp_path, config=config)
    assert result.status is Status.PASS, result.findings
    assert "alerts: readiness.yml:3 declares 1 alert (HighErrorRate -> pagerduty: payments)" in result.evidence


def test_alert_paths_limit_where_rules_are_read(tmp_path: Path) -> None:
    write_tree(tmp_path, {"app/main.py": APP, "other/alerts.yml": RULES})
    config = "version: 1\nchecks:\n  observability:\n    alert-paths: [\"monitoring/**\"]\n"
    assert parts_missing(run_check("observability", tmp_path, config=config)) == ["alerts"]


def test_yaml_without_alert_rules_and_alias_bomb_do_not_count(tmp_path: Path) -> None:
    bomb = ['a: &a ["alert","alert","alert","alert","alert","alert","alert","alert","alert"]']
    for i in range(1, 9):
        prev, cur = chr(ord("a") + i - 1), chr(ord("a") + i)
        bomb.append(f"{cur}: &{cur} [{','.join('*' + prev for _ in range(9))}]")
    write_tree(tmp_path, {"app/main.py": APP, "bomb.yml": "\n".join(bomb) + "\n",
                          "ci.yml": "jobs:\n  alert: {steps: []}\n"})
    start = time.monotonic()
    result = run_check("observability", tmp_path)
    assert time.monotonic() - start < 2.0
    assert parts_missing(result) == ["alerts"]


def test_symlinked_and_oversize_evidence_never_counts(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    outside = tmp_path / "outside.py"
    outside.write_text(APP, encoding="utf-8")
    write_tree(repo, {"app/big.py": APP + "#" * 5000, "app/ok.py": "x = 1\n"})
    os.symlink(outside, repo / "app/main.py")
    os.symlink("/etc/passwd", repo / "alerts.yml")
    result = run_check("observability", repo, config="version: 1\nlimits:\n  max-file-size: 2048\n")
    assert parts_missing(result) == ["alerts", "health-endpoint", "metrics", "structured-logging"]
    assert {(s.path, s.reason.split(" (")[0]) for s in result.skipped} == {
        ("alerts.yml", "symlink leaves the repository"),
        ("app/main.py", "symlink leaves the repository"),
        ("app/big.py", "larger than the size cap")}


def test_python_syntax_errors_are_skipped_not_fatal(tmp_path: Path) -> None:
    write_tree(tmp_path, {"app/main.py": APP, "legacy/old.py": "@app.route('/health')\ndef h():\n    print 'ok'\n",
                          "monitoring/a.yml": RULES})
    result = run_check("observability", tmp_path)
    assert result.status is Status.PASS
    assert ("legacy/old.py", "Python syntax error (not parsed for observability evidence)") in {
        (s.path, s.reason) for s in result.skipped}
    assert not any(e.startswith("health-endpoint: legacy") for e in result.evidence)


def test_import_forms(tmp_path: Path) -> None:
    write_tree(tmp_path, {"svc/a.py": "import os, structlog as sl  # logging\n"
                                      "from opentelemetry import (\n    trace,\n    metrics,\n)\n"})
    result = run_check("observability", tmp_path)
    assert "structured-logging: svc/a.py:1 imports structlog" in result.evidence
    assert "metrics: svc/a.py:2 imports OpenTelemetry metrics" in result.evidence


def test_huge_python_file_with_health_literal_is_listed_not_parsed(tmp_path: Path) -> None:
    big = '@app.get("/health")\ndef h():\n    return 1\n' + "x = 1\n" * 50_000
    write_tree(tmp_path, {"svc/big.py": big})
    result = run_check("observability", tmp_path)
    assert "health-endpoint" in parts_missing(result)
    assert ("svc/big.py", "Python file over 262144 characters not parsed for routes") in {
        (s.path, s.reason) for s in result.skipped}


@pytest.mark.slow
def test_ten_thousand_files_is_fast(tmp_path: Path) -> None:
    # Plain writes (not write_tree) keep building the 10,000-file tree cheap.
    for d in range(100):
        pkg = tmp_path / f"pkg{d}"
        pkg.mkdir()
        for i in range(100):
            (pkg / f"mod{i}.py").write_text(f"import logging\nlog = logging.getLogger(__name__)\nX = {i}\n")
    write_tree(tmp_path, {"app/main.py": APP, "monitoring/alerts.yml": RULES})
    from gate.checks.interface import RunOptions, check_context
    from gate.checks.observability import ObservabilityCheck
    from gate.inventory import build_inventory
    from helpers import TODAY, config_from
    cfg = config_from(None)
    inv = build_inventory(tmp_path, use_git=False)
    check = ObservabilityCheck()
    result = check.run(check_context(check, inv, cfg, options=RunOptions(today=TODAY)))
    # Behaviour only: speed on 10,000 files is measured by benchmarks/run.py part (d), not
    # asserted in a timed test (the brief: no timed tests on shared CI machines).
    assert result.status is Status.PASS


def test_every_health_hint_match_holds_a_hint_literal() -> None:
    """The health-path hint regex only runs on files whose folded text has one of the hint
    literals; each of its matches must contain one."""
    import re

    from hypothesis import given, settings
    from hypothesis import strategies as st

    from helpers import config_from

    from gate.checks.observability.health import health_hint_literals, normalise_route
    from gate.textindex import fold_case

    profile_paths = tuple(config_from(None).settings("observability").options["health-paths"])
    for paths in (profile_paths, ("/HealthZ", "^api/Ready$", "/status/health")):
        health = tuple(h for h in (normalise_route(p) for p in paths) if h)
        hint = re.compile(r"[\"'/^](?:" + "|".join(re.escape(h) for h in sorted(set(health), key=len, reverse=True))
                          + r")[/?$]*[\"']")
        literals = health_hint_literals(health)
        assert literals
        pieces = st.sampled_from([*health, '"', "'", "/", "^", "?", "$", "x", "ping", "Health", "İ", "\n"])

        @settings(max_examples=300, deadline=None)
        @given(st.lists(pieces, max_size=12).map("".join))
        def check(text: str) -> None:
            if hint.search(text):
                assert any(lit in fold_case(text) for lit in literals), text

        check()
    assert health_hint_literals(("héalth",)) is None  # not ASCII: the regex decides alone


def test_import_candidates_give_the_matches_of_finditer() -> None:
    """_imports tries only lines holding ``import``; it must yield what _IMPORT.finditer yields."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from gate.checks.observability.libraries import _IMPORT, _imports

    pieces = st.sampled_from(["import os", "from a.b import (c,\n  d)", "from x import y; import z", "  import q as r",
                              "x = 1  # import nothing", "\timport\tstructlog", "from . import a", "reimport x",
                              "from m import (", "import", "from prometheus_client import Counter", "\n", "\n\n",
                              "s = '''\nimport inside\n'''", "from a import b, c # import d", "\r\n", " "])

    @settings(max_examples=500, deadline=None)
    @given(st.lists(pieces, max_size=14).map("".join))
    def check(text: str) -> None:
        expected = [(m.span(), m.groups()) for m in _IMPORT.finditer(text)]
        assert [(m.span(), m.groups()) for m in _imports(text)] == expected, text

    check()


def test_every_string_reference_names_a_hint_literal() -> None:
    """String references are skipped in files without a hint literal: each one names one."""
    import re

    from gate.checks.observability.libraries import _STRING_REF, PY_HINT_LITERALS, STRING_REFS

    names = re.search(r"\(\?:([\w|]+)\)", _STRING_REF.pattern).group(1).split("|")
    assert set(names) == set(STRING_REFS)
    assert all(any(hint in name for hint in PY_HINT_LITERALS) for name in names)


def test_deep_modules_are_walked_as_the_recursive_visitor_walks_them(tmp_path: Path) -> None:
    """The AST is walked without recursion, except when it is deep enough for the recursive
    visitor to run out of stack: then that visitor runs, keeps what it found and the module is
    listed as skipped, as before."""
    deep = "y = 1 + " + " + ".join(["1"] * 700)  # parses, but 700 levels exceed the recursion limit
    shallow = "y = 1 + " + " + ".join(["1"] * 100)
    for name, middle in (("deep", deep), ("shallow", shallow)):
        write_tree(tmp_path / name, {"app/main.py": f'@app.get("/healthz")\ndef h():\n    return 1\n{middle}\n'
                                                    f'@app.get("/ping")\ndef p():\n    return 1\n'}, dedent=False)
    deep_result = run_check("observability", tmp_path / "deep")
    assert [n for n in deep_result.evidence if n.startswith("health-endpoint")] == [
        "health-endpoint: app/main.py:1 route /healthz"]
    assert [s.reason for s in deep_result.skipped] == ["Python nested too deeply to walk"]
    shallow_result = run_check("observability", tmp_path / "shallow")
    assert [n for n in shallow_result.evidence if n.startswith("health-endpoint")] == [
        "health-endpoint: app/main.py:1 route /healthz", "health-endpoint: app/main.py:5 route /ping"]
    assert shallow_result.skipped == ()


def test_a_module_that_cannot_be_read_is_an_error_not_a_pass(tmp_path: Path) -> None:
    """Modules are read through the run's text index; a read failure still fails closed."""
    from gate.checks.interface import RunOptions, check_context
    from gate.checks.registry import load_check
    from gate.inventory import build_inventory
    from helpers import TODAY, config_from

    write_tree(tmp_path, {"app/main.py": APP, "app/gone.py": "import structlog\n", "monitoring/alerts.yml": RULES})
    cfg = config_from(None)
    inventory = build_inventory(tmp_path, max_file_size=cfg.max_file_size, exclude=cfg.exclude)
    (tmp_path / "app/gone.py").unlink()  # listed, then gone before it is read
    check = load_check("observability")
    result = check.run(check_context(check, inventory, cfg, options=RunOptions(today=TODAY)))
    assert result.status is Status.ERROR
    assert "app/gone.py" in result.summary and "permissions" in result.summary
