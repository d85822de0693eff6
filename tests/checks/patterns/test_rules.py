"""The shipped semgrep rules: their annotated tests pass under the real semgrep, every rule
carries the metadata the checks and the report rely on, and our reading of ``nosemgrep``
comments agrees with semgrep's own."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from gate.checks.patterns import CHECK_IDS
from gate.resources import policy_file
from gate.scanners.semgrep import nosem_suppressed

RULES_DIR = policy_file("semgrep")
SEMGREP = shutil.which("semgrep", path=str(Path(sys.executable).parent)) or shutil.which("semgrep")
ENV_OFF = {"SEMGREP_ENABLE_VERSION_CHECK": "0", "SEMGREP_SEND_METRICS": "off"}
KEBAB = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")

EXPECTED_RULES = {
    "weak-password-hash", "tls-verify-disabled", "debug-mode-enabled", "django-debug-enabled",
    "sql-string-formatting", "secret-in-log", "stack-trace-in-response", "jwt-without-expiry",
    "hardcoded-default-credentials", "http-call-without-timeout", "silent-except",
    "bare-except-swallow",
}


def _rules() -> list[tuple[Path, dict]]:
    out = []
    for path in sorted(RULES_DIR.glob("*.yml")):
        for rule in yaml.safe_load(path.read_text(encoding="utf-8"))["rules"]:
            out.append((path, rule))
    return out


def _env() -> dict[str, str]:
    import os
    return {**os.environ, **ENV_OFF}


@pytest.mark.skipif(SEMGREP is None, reason="semgrep is a dependency of readiness-gate")
def test_semgrep_test_passes_on_the_shipped_rules() -> None:
    out = subprocess.run([SEMGREP, "--test", "--metrics=off", "--disable-version-check", str(RULES_DIR)],
                         capture_output=True, text=True, timeout=300, env=_env())
    text = out.stdout + out.stderr
    assert out.returncode == 0, text[-3000:]
    m = re.search(r"(\d+)/(\d+): ✓ All tests passed", text)
    assert m and m.group(1) == m.group(2) == str(len(_rules())), text[-2000:]


def test_every_rule_has_the_metadata_the_checks_need() -> None:
    rules = _rules()
    assert {r["id"] for _, r in rules} == EXPECTED_RULES
    for path, rule in rules:
        rid = rule["id"]
        assert KEBAB.match(rid), rid
        assert rule["languages"] == ["python"], rid
        assert rule["severity"] in ("ERROR", "WARNING", "INFO"), rid
        assert len(rule["message"].split()) >= 8, rid
        meta = rule["metadata"]
        assert meta["readiness-check"] in CHECK_IDS, rid
        assert meta["cwe"] and all(c.startswith("CWE-") for c in meta["cwe"]), rid
        assert meta["references"] and all(u.startswith("https://") for u in meta["references"]), rid


def test_every_rule_file_has_an_annotated_test_with_bad_and_ok_cases() -> None:
    for path in sorted(RULES_DIR.glob("*.yml")):
        test_file = path.with_suffix(".py")
        assert test_file.is_file(), f"{path.name} has no test file"
        text = test_file.read_text(encoding="utf-8")
        for rule in yaml.safe_load(path.read_text(encoding="utf-8"))["rules"]:
            assert f"# ruleid: {rule['id']}" in text, rule["id"]
            if rule["id"] != "django-debug-enabled":  # ok cases: path scoping is tested on real repos
                assert f"# ok: {rule['id']}" in text, rule["id"]
            else:
                assert "# ok: django-debug-enabled" in text


NOSEM_CASES = """\
def work():
    return 1


def cases():
    try:
        work()
    except Exception:
        pass  # nosemgrep

    try:
        work()
    except Exception:
        # nosemgrep: silent-except
        pass

    try:
        work()
    except Exception:
        pass  # nosemgrep: some-other-rule

    try:
        work()
    except Exception:
        pass  # NOSEM:policies.semgrep.silent-except, other

    try:
        work()
    except Exception:
        pass  # nosemgrep: "silent-except"

    try:
        work()
    except Exception:
        pass  # this is not a suppression: xnosemgrep

    try:
        work()
    except Exception:
        x = 1; pass  # nosemgrep
"""


@pytest.mark.skipif(SEMGREP is None, reason="semgrep is a dependency of readiness-gate")
def test_nosem_reading_agrees_with_semgrep(tmp_path: Path) -> None:
    """Run the real semgrep with and without --disable-nosem: what it hides is what we call
    suppressed, line for line."""
    (tmp_path / "cases.py").write_text(NOSEM_CASES, encoding="utf-8")
    rule = RULES_DIR / "silent-except.yml"

    def lines(*extra: str) -> set[int]:
        out = subprocess.run([SEMGREP, "scan", "--metrics=off", "--disable-version-check", "--json",
                              *extra, "--config", str(rule), "./cases.py"],
                             capture_output=True, text=True, timeout=300, env=_env(), cwd=tmp_path)
        assert out.returncode == 0, out.stderr[-2000:]
        return {r["start"]["line"] for r in json.loads(out.stdout)["results"]}

    everything = lines("--disable-nosem")
    kept = lines()
    assert len(everything) == 6 and kept < everything
    source = NOSEM_CASES.split("\n")
    ours = {n for n in everything if not nosem_suppressed(source, n, "silent-except")}
    assert ours == kept


def test_rule_files_have_no_yaml_anchors_or_aliases() -> None:
    """osemgrep, the engine the gate runs (``--experimental``), rejects aliases ("Expected a list
    for pattern-either"), so a shared list must be written out in each place."""
    for path in sorted(RULES_DIR.glob("*.yml")):
        for event in yaml.parse(path.read_text(encoding="utf-8")):
            assert not isinstance(event, yaml.AliasEvent), f"{path.name}: alias *{event.anchor}"
            assert getattr(event, "anchor", None) is None, f"{path.name}: anchor &{event.anchor}"


@pytest.mark.skipif(SEMGREP is None, reason="semgrep is a dependency of readiness-gate")
def test_the_gates_engine_finds_what_the_semgrep_cli_finds(tmp_path: Path) -> None:
    """The adapter runs osemgrep (``semgrep scan --experimental``); a user reproducing a finding
    runs plain ``semgrep scan``. On every rule's annotated examples (in a tree that is not a git
    work tree, where osemgrep needs ``--project-root`` for ``paths:`` globs) both report the
    same (rule, file, line) set, and it is not empty."""
    from gate.scanners import semgrep as adapter

    for example in sorted(RULES_DIR.glob("*.py")):
        shutil.copy(example, tmp_path / example.name)
    (tmp_path / "proj" / "settings").mkdir(parents=True)
    shutil.copy(RULES_DIR / "debug-mode-enabled.py", tmp_path / "proj" / "settings" / "production.py")
    targets = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.py"))
    cli = subprocess.run([SEMGREP, "scan", "--metrics=off", "--disable-version-check", "--json", "--disable-nosem",
                          "--config", str(RULES_DIR), *targets], capture_output=True, text=True, timeout=300,
                         env=_env(), cwd=tmp_path)
    assert cli.returncode == 0, cli.stderr[-2000:]
    expected = {(r["check_id"].rsplit(".", 1)[-1], r["path"], r["start"]["line"])
                for r in json.loads(cli.stdout)["results"]}

    def read_text(path: str) -> str:
        return (tmp_path / path).read_text(encoding="utf-8")

    scan = adapter.scan(tmp_path, targets, config=RULES_DIR, timeout=300, read_text=read_text)
    got = {(m.rule, m.path, m.line) for m in scan.matches}
    assert {rule for rule, _, _ in expected} == EXPECTED_RULES
    assert any(r == "django-debug-enabled" and p.startswith("proj/") for r, p, _ in expected)
    assert got == expected
    assert "--experimental" in adapter.BASE_ARGS
