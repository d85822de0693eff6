"""SARIF renderer: valid against the official SARIF 2.1.0 schema, rules from check metadata,
suppressions for deferred findings, notifications for checks in error."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest
from render_fixtures import ALL_REPORTS, big_report, check_golden, error_report, not_ready_report, ready_report

from gate.checks.interface import load_meta
from gate.render import get_renderer
from gate.render.sarif import MAX_RESULTS, report_to_sarif

SCHEMA = json.loads((Path(__file__).parents[1] / "data" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
VALIDATOR = jsonschema.validators.validator_for(SCHEMA)(SCHEMA)
"""The validator the schema itself names (``$schema``: draft-04 in the OASIS file)."""


def _validate(doc: dict) -> None:
    errors = sorted(VALIDATOR.iter_errors(doc), key=str)
    assert not errors, [f"{list(e.absolute_path)}: {e.message}" for e in errors[:5]]


def _without_metadata_text(doc: dict) -> dict:
    """Replace the words that come from ``policies/checks/<id>.yml`` by a placeholder, after
    checking they are exactly the metadata's, so editing a check's wording does not break the
    golden files (the mapping itself is tested in ``test_rules_come_from_check_metadata``)."""
    for rule in doc["runs"][0]["tool"]["driver"]["rules"]:
        check_id = rule["id"].split("/", 1)[0]
        meta = load_meta(check_id)
        assert rule["fullDescription"]["text"] == meta.rationale
        assert rule.get("helpUri") == meta.help_uri
        rule["fullDescription"]["text"] = f"<rationale of {check_id}>"
        if rule["help"]["text"] == meta.remediation:
            rule["help"]["text"] = f"<remediation of {check_id}>"
            rule["help"]["markdown"] = rule["help"]["markdown"].replace(meta.remediation, f"<remediation of {check_id}>")
        if meta.help_uri:
            rule["help"]["markdown"] = rule["help"]["markdown"].replace(meta.help_uri, f"<help-uri of {check_id}>")
        rule["shortDescription"]["text"] = rule["shortDescription"]["text"].replace(meta.title, f"<title of {check_id}>")
        if "helpUri" in rule:
            rule["helpUri"] = f"<help-uri of {check_id}>"
    return doc


@pytest.mark.parametrize("name", sorted(ALL_REPORTS))
def test_golden_and_schema_valid(name):
    text = get_renderer("sarif").render(ALL_REPORTS[name]())
    _validate(json.loads(text))
    assert text.isascii()
    check_golden(f"{name}.sarif", json.dumps(_without_metadata_text(json.loads(text)), indent=2) + "\n")


def test_the_schema_is_the_official_one():
    assert SCHEMA["$schema"] == "http://json-schema.org/draft-04/schema#"
    assert isinstance(VALIDATOR, jsonschema.Draft4Validator)
    assert SCHEMA["title"] == "Static Analysis Results Format (SARIF) Version 2.1.0 JSON Schema"
    # The validator does reject a broken log (the test above is not vacuous).
    assert not VALIDATOR.is_valid({"version": "2.1.0", "runs": [{"results": []}]})


def test_rules_come_from_check_metadata():
    run = report_to_sarif(not_ready_report())["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    by_id = {r["id"]: r for r in rules}
    meta = load_meta("secrets")
    rule = by_id["secrets"]
    assert rule["shortDescription"]["text"] == meta.title
    assert rule["fullDescription"]["text"] == meta.rationale
    assert rule["help"]["text"] == meta.remediation
    assert rule["helpUri"] == meta.help_uri
    assert by_id["secrets/aws-access-key"]["shortDescription"]["text"] == f"{meta.title}: aws-access-key"
    assert len(by_id) == len(rules)  # ids are unique
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
    assert run["tool"]["driver"]["name"] == "readiness-gate" and run["tool"]["driver"]["version"] == "0.1.0"
    assert [e["name"] for e in run["tool"]["extensions"]] == ["detect-secrets", "pip-audit", "semgrep"]


def test_results_levels_locations_fingerprints():
    run = report_to_sarif(not_ready_report())["runs"][0]
    results = run["results"]
    aws = next(r for r in results if r["ruleId"] == "secrets/aws-access-key")
    assert aws["level"] == "error"
    loc = aws["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"] == {"uri": "src/settings.py", "uriBaseId": "%SRCROOT%"}
    assert loc["region"] == {"startLine": 12, "endLine": 12}
    assert aws["partialFingerprints"]["readinessGate/v1"] == "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b"
    assert re.fullmatch(r"[0-9a-f]{16}:1", aws["partialFingerprints"]["primaryLocationLineHash"])
    odd = next(r for r in results if r["ruleId"] == "secrets/private-key")
    assert odd["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "config/a%20b%7Cc.pem"
    # Every result has a file and a line (code scanning rejects the whole file otherwise): a finding
    # without a path, and a failing check without findings, point at line 1 of readiness.yml.
    assert all(r["locations"][0]["physicalLocation"]["region"]["startLine"] >= 1 for r in results)
    alerts = next(r for r in results if r["ruleId"] == "observability/missing-alerts")
    assert alerts["level"] == "warning"
    assert alerts["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "readiness.yml"
    # A failing check without findings is one result on the check's own rule.
    backups = next(r for r in results if r["ruleId"] == "backups")
    assert backups["level"] == "error" and "restore" in backups["message"]["text"]
    assert backups["locations"][0]["physicalLocation"]["region"] == {"startLine": 1, "endLine": 1}
    updates = next(r for r in results if r["ruleId"] == "dependency-updates")
    assert updates["level"] == "warning"  # advisory
    assert not any(r["ruleId"].startswith(("security-policy", "load-test", "runbooks")) for r in results)


def test_deferred_findings_are_suppressed_with_justification():
    results = report_to_sarif(not_ready_report())["runs"][0]["results"]
    dep = next(r for r in results if r["ruleId"] == "dependencies/PYSEC-2018-28")
    assert dep["suppressions"] == [{
        "kind": "external", "status": "accepted",
        "justification": "Vendor fix scheduled; compensating control in place (ticket SEC-101, approved by "
                         "@platform-lead (unverified), expires 2027-01-20)"}]
    obs = next(r for r in results if r["ruleId"] == "observability/missing-alerts")
    assert "OBS-7" in obs["suppressions"][0]["justification"]
    # Findings not covered by a valid deferral are not suppressed (expired REL-3 covers nothing).
    rb = next(r for r in results if r["ruleId"] == "rollback/irreversible-migration")
    assert "suppressions" not in rb


def test_checks_in_error_are_notifications():
    inv = report_to_sarif(not_ready_report())["runs"][0]["invocations"][0]
    assert inv["executionSuccessful"] is False
    (note,) = inv["toolExecutionNotifications"]
    assert note["level"] == "error" and note["message"]["text"].startswith("insecure-patterns: semgrep exited 2")
    assert note["associatedRule"]["id"] == "insecure-patterns"
    assert report_to_sarif(error_report())["runs"][0]["invocations"][0]["executionSuccessful"] is False
    ok = report_to_sarif(ready_report())["runs"][0]["invocations"][0]
    assert ok == {"executionSuccessful": True, "toolExecutionNotifications": []}


def test_big_report_is_valid():
    doc = report_to_sarif(big_report(1_000))
    _validate(doc)
    assert len(doc["runs"][0]["results"]) == 1_001
    assert len(doc["runs"][0]["tool"]["driver"]["rules"]) == 3  # check rules + one finding rule


def test_results_capped_for_github_code_scanning():
    doc = report_to_sarif(big_report(MAX_RESULTS + 10))
    run = doc["runs"][0]
    assert len(run["results"]) == MAX_RESULTS
    assert "11 results left out" in run["invocations"][0]["toolExecutionNotifications"][-1]["message"]["text"]


def test_deterministic():
    assert get_renderer("sarif").render(not_ready_report()) == get_renderer("sarif").render(not_ready_report())
