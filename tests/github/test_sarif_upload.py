"""SARIF that GitHub code scanning accepts: every result anchored at a file and a line, rules with
``security-severity``, ``precision``, ``tags`` and ``help.markdown``, the fingerprint key code
scanning reads, and zero errors from GitHub's own SARIF rules.

GitHub's rules are those of the SARIF Multitool (npm ``@microsoft/sarif-multitool``,
``validate --rule-kind "Gh;Sarif"``: GH1001..GH2012 are what ``upload-sarif`` enforces, e.g.
GH1015 "a result without locations"). The tool is found through ``READINESS_GATE_SARIF_MULTITOOL``
(the native ``Sarif.Multitool`` binary, or an npm prefix it was installed into), or the npm prefix
``.ci/run`` installs it into; without it the multitool test skips and says how to install it.
The official JSON schema check runs everywhere (``tests/render/test_sarif.py``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Optional

import pytest
from helpers import TODAY

from gate.checks.interface import RunOptions
from gate.config import load_config
from gate.render import RenderOptions, get_renderer
from gate.render.sarif import LINE_HASH_KEY, SECURITY_SEVERITY, report_to_sarif
from gate.runner import run_gate

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "render"))

from render_fixtures import ALL_REPORTS  # noqa: E402

NPM_PACKAGE = "@microsoft/sarif-multitool"
CI_PREFIX = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "readiness-gate-ci" / "npm"
"""Where ``.ci/run`` installs npm tools (``npm install --prefix``)."""


def _native_from_prefix(prefix: Path) -> Optional[str]:
    """The platform binary the npm package wraps (its ``bin.js`` runs it through a shell, which
    splits ``Gh;Sarif`` at the semicolon, so the binary is called directly)."""
    node = shutil.which("node")
    if node is None or not (prefix / "node_modules" / NPM_PACKAGE).is_dir():
        return None
    out = subprocess.run([node, "-e", f"console.log(require({NPM_PACKAGE!r}))"], cwd=prefix,
                         capture_output=True, text=True, timeout=60)
    path = out.stdout.strip()
    return path if out.returncode == 0 and path and os.access(path, os.X_OK) else None


def multitool() -> Optional[str]:
    configured = os.environ.get("READINESS_GATE_SARIF_MULTITOOL")
    if configured:
        p = Path(configured)
        return str(p) if p.is_file() and os.access(p, os.X_OK) else _native_from_prefix(p)
    return _native_from_prefix(CI_PREFIX)


@pytest.fixture(scope="module")
def real_sarif(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """SARIF of a real run over ``examples/mvp-service`` (scanners included), scanned as the
    ``services/mvp`` directory of a repository (the action's ``path`` input)."""
    root = ROOT / "examples" / "mvp-service"
    report = run_gate(root, load_config(root), options=RunOptions(today=TODAY))
    assert not report.ready
    return json.loads(get_renderer("sarif").render(report, RenderOptions(path_prefix="services/mvp")))


def _all_docs(real_sarif: dict) -> dict[str, dict]:
    docs = {name: report_to_sarif(make()) for name, make in ALL_REPORTS.items()}
    docs["real-run"] = real_sarif
    return docs


def test_every_result_has_a_file_line_region_and_fingerprint(real_sarif: dict) -> None:
    for name, doc in _all_docs(real_sarif).items():
        run = doc["runs"][0]
        assert run["results"] or name in ("ready", "error"), name  # "error": notifications only
        for result in run["results"]:
            [loc] = result["locations"]
            physical = loc["physicalLocation"]
            assert physical["artifactLocation"]["uri"] and physical["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
            region = physical["region"]
            assert 1 <= region["startLine"] <= region["endLine"], (name, result["ruleId"])
            assert result["message"]["text"]
            h, n = result["partialFingerprints"][LINE_HASH_KEY].split(":")
            assert len(h) == 16 and int(n) >= 1
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in real_sarif["runs"][0]["results"]}
    assert uris and all(u.startswith("services/mvp/") for u in uris), "paths are relative to the repository root"
    assert "services/mvp/readiness.yml" in uris, "check-level results point at the readiness.yml in use"


def test_line_hashes_are_unique_per_run(real_sarif: dict) -> None:
    for doc in _all_docs(real_sarif).values():
        hashes = [r["partialFingerprints"][LINE_HASH_KEY] for r in doc["runs"][0]["results"]]
        assert len(hashes) == len(set(hashes))


def test_every_rule_has_what_code_scanning_shows(real_sarif: dict) -> None:
    for name, doc in _all_docs(real_sarif).items():
        for rule in doc["runs"][0]["tool"]["driver"]["rules"]:
            assert rule["shortDescription"]["text"] and rule["fullDescription"]["text"], rule["id"]
            assert rule["help"]["text"] and rule["help"]["markdown"], rule["id"]
            assert rule["name"] != rule["id"]
            props = rule["properties"]
            assert props["precision"] in ("very-high", "high", "medium", "low")
            assert props["security-severity"] in SECURITY_SEVERITY.values()
            assert 0.0 <= float(props["security-severity"]) <= 10.0
            assert "readiness" in props["tags"]
    rules = {r["id"]: r for r in real_sarif["runs"][0]["tool"]["driver"]["rules"]}
    secret_rules = [r for rid, r in rules.items() if rid.startswith("secrets/")]
    assert secret_rules and all("external/cwe/cwe-798" in r["properties"]["tags"] for r in secret_rules)
    sql = rules.get("insecure-patterns/sql-string-formatting")
    assert sql is not None and {"security", "external/cwe/cwe-89"} <= set(sql["properties"]["tags"])
    assert float(sql["properties"]["security-severity"]) >= 7.0
    runbooks = [r for rid, r in rules.items() if rid.startswith("runbooks")]
    assert runbooks and all("security" not in r["properties"]["tags"] for r in runbooks), \
        "operational checks are not security alerts"


def test_github_sarif_rules_report_zero_errors(tmp_path: Path, real_sarif: dict) -> None:
    exe = multitool()
    if exe is None:
        pytest.skip(f"the SARIF Multitool is not installed: `npm install --prefix {CI_PREFIX} {NPM_PACKAGE}` "
                    "(needs node and npm; .ci/run does it) or set READINESS_GATE_SARIF_MULTITOOL")
    files = []
    for name, doc in _all_docs(real_sarif).items():
        path = tmp_path / f"{name}.sarif"
        path.write_text(json.dumps(doc, indent=2), encoding="utf-8")
        files.append(str(path))
    log = tmp_path / "validation.sarif"
    proc = subprocess.run([exe, "validate", "--rule-kind", "Gh;Sarif", "--output", str(log), *files],
                          capture_output=True, text=True, timeout=600)
    assert log.is_file(), proc.stdout[-2000:] + proc.stderr[-2000:]
    results = json.loads(log.read_text(encoding="utf-8"))["runs"][0]["results"]
    errors = [f"{r['ruleId']}: {r['message'].get('arguments')}" for r in results if r.get("level") == "error"]
    assert not errors, errors[:10]
    # Not vacuous: the same tool rejects a result without a location (what code scanning refuses).
    bad = json.loads(Path(files[-1]).read_text(encoding="utf-8"))
    del bad["runs"][0]["results"][0]["locations"]
    (tmp_path / "bad.sarif").write_text(json.dumps(bad), encoding="utf-8")
    bad_log = tmp_path / "bad-validation.sarif"
    subprocess.run([exe, "validate", "--rule-kind", "Gh;Sarif", "--output", str(bad_log), str(tmp_path / "bad.sarif")],
                   capture_output=True, text=True, timeout=600)
    rejected = json.loads(bad_log.read_text(encoding="utf-8"))["runs"][0]["results"]
    assert any(r["ruleId"] == "GH1015" and r.get("level") == "error" for r in rejected)
