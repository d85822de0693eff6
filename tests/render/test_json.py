"""JSON renderer: schema validity, exact round trip, stable field names, hostile artifacts."""

from __future__ import annotations

import copy
import json

import pytest
from render_fixtures import ALL_REPORTS, big_report, check_golden, not_ready_report

from gate.model import Report
from gate.render import get_renderer
from gate.render.json_report import (MAX_TEXT, ReportFormatError, SCHEMA_VERSION, load_report,
                                     report_from_dict, report_schema, report_to_dict,
                                     validate_report_dict)


@pytest.mark.parametrize("name", sorted(ALL_REPORTS))
def test_golden_and_valid(name):
    report = ALL_REPORTS[name]()
    text = get_renderer("json").render(report)
    check_golden(f"{name}.json", text)
    doc = json.loads(text)
    validate_report_dict(doc)
    assert doc["schema_version"] == SCHEMA_VERSION == 1
    assert text.isascii() and text.endswith("\n")


@pytest.mark.parametrize("name", sorted(ALL_REPORTS))
def test_round_trip_is_exact(name):
    report = ALL_REPORTS[name]()
    doc = json.loads(get_renderer("json").render(report))
    back = report_from_dict(doc)
    assert back == report
    assert report_to_dict(back) == doc
    assert load_report(json.dumps(doc)) == report


def test_field_names_other_tools_rely_on():
    doc = report_to_dict(not_ready_report())
    assert doc["ready"] is False
    assert doc["blocking"] == ["secrets", "insecure-patterns", "rollback", "backups"]
    gate = doc["gates"][0]
    assert {"id", "status", "checks"} <= set(gate)
    assert gate["id"] == "security" and gate["status"] == "error"
    secrets = gate["checks"][0]
    assert {"id", "gate", "status", "required", "title", "findings", "deferral"} <= set(secrets)
    f = secrets["findings"][0]
    assert {"rule", "message", "path", "line", "severity", "fingerprint"} <= set(f)
    assert (f["rule"], f["path"], f["line"], f["severity"]) == ("aws-access-key", "src/settings.py", 12, "high")
    assert doc["skipped"][0] == {"path": "assets/logo.png", "reason": "binary"}
    for key in ("tool", "generated_at", "commit", "mode", "config_source", "profile", "service",
                "warnings", "tools", "deferrals"):
        assert key in doc
    assert doc["tools"] == [{"name": "detect-secrets", "version": "1.5.0"},
                            {"name": "pip-audit", "version": "2.10.1"},
                            {"name": "semgrep", "version": "1.182.0"}]


def test_deferral_shape():
    checks = {c["id"]: c for g in report_to_dict(not_ready_report())["gates"] for c in g["checks"]}
    deps = checks["dependencies"]
    assert deps["status"] == "deferred"
    assert deps["deferral"]["ticket"] == "SEC-101" and deps["deferral"]["state"] == "active"
    assert deps["findings"][0]["deferred_by"] == "SEC-101"
    assert checks["observability"]["deferral"]["state"] == "expiring"
    # Expired, pending and stale deferrals are listed but do not apply.
    for cid, state in (("rollback", "expired"), ("backups", "pending-approval"), ("runbooks", "stale")):
        assert checks[cid]["deferral"] is None
        assert [d["state"] for d in checks[cid]["deferrals"]] == [state]
    assert checks["backups"]["deferrals"][0]["approved_by"] == "@dba-lead"
    assert len(report_to_dict(not_ready_report())["deferrals"]) == 5


def test_deferral_never_applies_to_an_error():
    report = not_ready_report()
    doc = report_to_dict(report)
    # Give the errored check an active deferral record: it still does not apply.
    patterns = doc["gates"][0]["checks"][2]
    assert patterns["status"] == "error"
    patterns["deferrals"] = [copy.deepcopy(doc["gates"][0]["checks"][1]["deferrals"][0])]
    patterns["deferrals"][0]["check"] = "insecure-patterns"
    back = report_from_dict(doc)
    assert report_to_dict(back)["gates"][0]["checks"][2]["deferral"] is None


def test_big_report_round_trips_and_validates():
    report = big_report(1_000)
    doc = report_to_dict(report)
    validate_report_dict(doc)
    assert report_from_dict(doc) == report


def test_values_beyond_bounds_are_clipped_and_said():
    from dataclasses import replace
    report = not_ready_report()
    report = replace(report, warnings=("x" * (MAX_TEXT + 10),))
    doc = report_to_dict(report)
    validate_report_dict(doc)
    assert len(doc["warnings"][0]) == MAX_TEXT
    assert "clipped" in doc["warnings"][-1]


def test_schema_is_draft_2020_12_with_descriptions():
    import jsonschema

    schema = report_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)

    def walk(node, path):
        if isinstance(node, dict):
            if "properties" in node:
                for key, sub in node["properties"].items():
                    assert "description" in sub or "$ref" in sub, f"{path}.{key} has no description"
                assert node.get("additionalProperties") is False, f"{path} allows extra properties"
            for k, v in node.items():
                walk(v, f"{path}.{k}")
    walk(schema, "schema")


@pytest.mark.parametrize("mutate, where", [
    (lambda d: d.update(ready="yes"), "report.ready"),
    (lambda d: d.update(schema_version=2), "report.schema_version"),
    (lambda d: d.update(extra=1), "report"),
    (lambda d: d["gates"][0]["checks"][0].update(status="green"), "report.gates[0].checks[0].status"),
    (lambda d: d["gates"][0]["checks"][0]["findings"][0].update(message="m" * (MAX_TEXT + 1)),
     "report.gates[0].checks[0].findings[0].message"),
    (lambda d: d["deferrals"][0].update(expires="2026-02-30"), "report.deferrals[0].expires"),
    (lambda d: d.update(commit="$(touch /tmp/p)"), "report.commit"),
])
def test_invalid_documents_are_refused_with_a_path(mutate, where):
    doc = report_to_dict(not_ready_report())
    mutate(doc)
    with pytest.raises(ReportFormatError) as info:
        report_from_dict(doc)
    assert where in str(info.value)
    assert len(str(info.value)) < 2_000  # a huge hostile value is not echoed back whole


def test_forged_ready_flag_is_refused():
    doc = report_to_dict(not_ready_report())
    doc["ready"] = True
    with pytest.raises(ReportFormatError, match="inconsistent report: ready is true"):
        report_from_dict(doc)


def test_error_messages_cannot_inject_log_lines():
    doc = report_to_dict(not_ready_report())
    doc["gates"][0]["checks"][0]["status"] = "x\n::error::pwned\x1b[2J"
    with pytest.raises(ReportFormatError) as info:
        report_from_dict(doc)
    assert "\n" not in str(info.value) and "\x1b" not in str(info.value)


def test_not_json_is_a_format_error():
    with pytest.raises(ReportFormatError, match="not JSON"):
        load_report("{nope")
    with pytest.raises(ReportFormatError):
        load_report("[]")


def test_json_is_deterministic():
    assert get_renderer("json").render(not_ready_report()) == get_renderer("json").render(not_ready_report())
    assert isinstance(report_from_dict(report_to_dict(not_ready_report())), Report)
