"""``observability`` evidence of alert rules: Prometheus rule files (``groups[].rules[]`` with
``alert`` and ``expr``, also inside a ``PrometheusRule`` resource), Grafana alert provisioning,
Alertmanager configuration, CloudFormation CloudWatch alarms, Terraform alert resources, and
alerts declared in readiness.yml ``evidence.alerts``.

YAML is parsed with :func:`gate.config.parse_yaml` (alias expansion bounded); a file that is not
one plain YAML document (Helm templates, multi-document manifests) is matched with line patterns.
"""

from __future__ import annotations

import re
from typing import Any, Mapping

from gate.checks.observability.collected import Found, line_of
from gate.config import Config, ConfigError, parse_yaml

YAML_SUFFIXES = (".yml", ".yaml")

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


def alert_evidence(path: str, suffix: str, text: str, found: Found) -> None:
    """Alert rules in one candidate file (``suffix``: its lower-case extension)."""
    if suffix == ".tf" or path.endswith(".tf.json"):
        m = _TF_ALERT.search(text)
        if m:
            line = text.count("\n", 0, m.start()) + 1
            found.add("alerts", f"{path}:{line} Terraform {m.group(1)}")
        return
    m = _CFN_ALARM.search(text)
    if m:
        found.add("alerts", f"{path}:{line_of(text, m.start())} CloudFormation CloudWatch alarm")
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


def declared_alerts(config: Config, found: Found) -> None:
    """Alerts declared in readiness.yml ``evidence.alerts`` (each with a name and where it routes)."""
    alerts = config.evidence.get("alerts") or ()
    good = [a for a in alerts if isinstance(a, Mapping) and a.get("name") and a.get("routes-to")]
    if good:
        loc = config.location_of("evidence.alerts")
        where = f"{loc.path}:{loc.line}" if loc and loc.line else "readiness.yml"
        names = ", ".join(f"{a['name']} -> {a['routes-to']}" for a in good[:3])
        found.add("alerts", f"{where} declares {len(good)} alert{'s' if len(good) != 1 else ''} ({names[:200]})")
