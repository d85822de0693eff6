"""Each check's facts live in one place (docs/architecture.md, "Where each fact lives"), and the
places that must name every check agree: the registry, the schema of ``readiness.yml``, the
default profile, and ``policies/checks/<id>.yml``.

A new check that is added to one of them and forgotten in another fails here, with the name of
the place that lacks it.
"""

from __future__ import annotations

import ast
import dataclasses
import json
from pathlib import Path

import pytest
import yaml

from gate.checks import registry

REPO = Path(__file__).resolve().parents[2]
POLICIES = REPO / "policies"


def _schema() -> dict:
    return json.loads((POLICIES / "readiness.schema.json").read_text(encoding="utf-8"))


def _profile() -> dict:
    return yaml.safe_load((POLICIES / "profiles" / "default.yml").read_text(encoding="utf-8"))


def test_registry_schema_profile_and_policy_files_name_the_same_checks() -> None:
    places = {
        "gate/checks/registry.py CHECKS": set(registry.check_ids()),
        "policies/readiness.schema.json properties.checks": set(_schema()["properties"]["checks"]["properties"]),
        "policies/profiles/default.yml checks": set(_profile()["checks"]),
        "policies/checks/*.yml": {p.stem for p in (POLICIES / "checks").glob("*.yml")},
    }
    union = set().union(*places.values())
    assert len(union) >= 14
    missing = {where: sorted(union - ids) for where, ids in places.items() if union - ids}
    assert missing == {}


@pytest.mark.parametrize("check_id", registry.check_ids())
def test_a_check_class_its_policy_file_and_its_options_agree(check_id: str) -> None:
    check = registry.load_check(check_id)
    assert check.id == check_id
    policy = yaml.safe_load((POLICIES / "checks" / f"{check_id}.yml").read_text(encoding="utf-8"))
    assert policy["id"] == check_id
    assert policy.get("title") and policy.get("remediation")
    for rule_id, rule in (policy.get("rules") or {}).items():
        assert rule.get("title") and rule.get("remediation"), f"{check_id}: rule {rule_id} lacks words"

    # every option the check's settings read has its default in the profile, and the schema
    # knows every option the profile sets (so a readiness.yml can set it)
    keys = {f.metadata["key"] for f in dataclasses.fields(check.settings_type)}
    profile_options = set(_profile()["checks"][check_id]) - {"level"}
    schema_options = set(_schema()["properties"]["checks"]["properties"][check_id].get("properties", {})) - {"level"}
    assert profile_options <= schema_options, f"{check_id}: profile options the schema refuses"
    assert keys <= schema_options, f"{check_id}: options the schema refuses"
    # the settings parse from the profile alone: the profile is the only source of defaults
    check.parse_settings({k: v for k, v in _profile()["checks"][check_id].items() if k != "level"})


def test_no_check_module_keeps_its_own_copy_of_a_profile_default() -> None:
    # a module-level DEFAULT_* in gate/checks/ is a second copy of a default the profile gives
    copies = []
    for path in (REPO / "gate" / "checks").rglob("*.py"):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
            copies += [f"{path.relative_to(REPO)}:{node.lineno} {t.id}" for t in targets
                       if isinstance(t, ast.Name) and t.id.startswith("DEFAULT_")]
    assert copies == []
