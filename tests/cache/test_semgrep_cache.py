"""semgrep with the result cache (:mod:`gate.scanners.semgrep.cache`), with the real semgrep: a
warm scan gives exactly the cold scan's matches and skips, and hands semgrep only the files
without a believable entry.

semgrep is started through ``READINESS_GATE_SEMGREP_BIN`` pointing at a two-line shell script
that appends its arguments to a log and runs the real semgrep, so the tests see which files
semgrep was given.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

from gate.cache import ResultCache
from gate.checks.interface import RunOptions
from gate.resources import policy_file
from gate.scanners import semgrep
from gate.scanners.process import find_tool
from gate.scanners.semgrep import cache as semgrep_cache
from semgrep_log import scanned
from helpers import TODAY, run_check, write_tree

RULES = policy_file("semgrep")


def _repo(root: Path) -> Path:
    """Every shipped rule's own test file (real findings, nosemgrep comments), a file that does
    not parse, a clean file and a Django settings file (a rule with ``paths:``)."""
    files = {f"app/{p.name}": p.read_text(encoding="utf-8") for p in sorted(RULES.glob("*.py"))}
    files["app/broken.py"] = "}}}}\ntry:\n    x()\nexcept:\n    pass\n"
    files["app/clean.py"] = "VALUE = 1\n"
    files["app/nosem.py"] = "import requests\nrequests.get('https://x', verify=False)  # nosemgrep\n"
    files["proj/settings/prod.py"] = "DEBUG = True\n"
    return write_tree(root, files, dedent=False)


def _scan(root: Path, cache: ResultCache | None, config: Path = RULES) -> semgrep.SemgrepScan:
    targets = sorted(str(p.relative_to(root)) for p in root.rglob("*.py"))
    return semgrep.scan(root, targets, config=config, timeout=600,
                        read_text=lambda p: (root / p).read_text(encoding="utf-8", errors="replace"), cache=cache)


def test_warm_scan_equals_cold_and_semgrep_sees_only_changed_files(tmp_path: Path, logged: Path) -> None:
    root = _repo(tmp_path / "repo")
    plain = _scan(root, None)
    all_targets = sorted(plain.targets)
    assert scanned(logged) == all_targets
    assert len(plain.matches) > 40 and plain.problems and any(m.suppressed for m in plain.matches)
    assert any(m.rule == "django-debug-enabled" for m in plain.matches)

    cache = ResultCache(tmp_path / "cache")
    cold = _scan(root, cache)
    assert scanned(logged) == all_targets and cold.cached == 0
    assert (cold.matches, cold.problems, cold.version) == (plain.matches, plain.problems, plain.version)

    warm = _scan(root, cache)
    assert scanned(logged) == [] and warm.runs == 0 and warm.cached == len(all_targets)
    assert (warm.matches, warm.problems, warm.version) == (plain.matches, plain.problems, plain.version)

    # change two files: one gains a finding, one loses its syntax error
    changed = root / "app" / "clean.py"
    changed.write_text("import requests\n\ndef f(u):\n    return requests.get(u)\n", encoding="utf-8")
    (root / "app" / "broken.py").write_text("def f():\n    pass\n", encoding="utf-8")
    after = _scan(root, cache)
    assert scanned(logged) == ["app/broken.py", "app/clean.py"]
    assert after.cached == len(all_targets) - 2
    fresh = _scan(root, None)
    scanned(logged)
    assert (after.matches, after.problems) == (fresh.matches, fresh.problems)
    assert any(m.path == "app/clean.py" for m in after.matches)
    assert not any(p.path == "app/broken.py" for p in after.problems)


def test_the_same_bytes_under_another_path_are_scanned_again(tmp_path: Path, logged: Path) -> None:
    root = _repo(tmp_path / "repo")
    cache = ResultCache(tmp_path / "cache")
    _scan(root, cache)
    scanned(logged)
    # a rule's paths: glob decides by path: the same bytes elsewhere are another entry
    shutil.copy(root / "proj" / "settings" / "prod.py", root / "app" / "prod_copy.py")
    result = _scan(root, cache)
    assert scanned(logged) == ["app/prod_copy.py"]
    assert [m.path for m in result.matches if m.rule == "django-debug-enabled"] == ["proj/settings/prod.py"]


@pytest.mark.parametrize("damage", ["garbage", "truncated", "other-file", "wrong-field", "limit"])
def test_a_damaged_entry_is_rescanned_and_rewritten(tmp_path: Path, logged: Path, damage: str) -> None:
    root = _repo(tmp_path / "repo")
    cache = ResultCache(tmp_path / "cache")
    cold = _scan(root, cache)
    scanned(logged)
    scope = cache.scope("semgrep", semgrep_cache.versions(semgrep.rule_files(RULES)))
    target = "app/http-call-without-timeout.py"
    data = (root / target).read_bytes()
    key = scope.key("file", target, _cid(data))
    entry = Path(cache.root) / "semgrep" / key.digest[:2] / f"{key.digest}.json"
    doc = json.loads(entry.read_text())
    assert doc["value"]["matches"], "the fixture file has findings"
    if damage == "garbage":
        entry.write_text("{]")
    elif damage == "truncated":
        entry.write_text(entry.read_text()[:100])
    elif damage == "other-file":  # the clean file's valid entry (no findings) copied under this file's name
        clean = scope.key("file", "app/clean.py", _cid((root / "app/clean.py").read_bytes()))
        other = Path(cache.root) / "semgrep" / clean.digest[:2] / f"{clean.digest}.json"
        assert json.loads(other.read_text())["value"] == {"matches": [], "problems": []}
        entry.write_bytes(other.read_bytes())
    elif damage == "wrong-field":
        doc["value"]["matches"][0]["line"] = "1"
        entry.write_text(json.dumps(doc))
    elif damage == "limit":  # a limit must never be believed from the cache
        doc["value"] = {"matches": [], "problems": [{"path": target, "reason": "semgrep timed out on it",
                                                      "rule": "http-call-without-timeout"}]}
        entry.write_text(json.dumps(doc))
    warm = _scan(root, cache)
    assert scanned(logged) == [target]
    assert (warm.matches, warm.problems) == (cold.matches, cold.problems)
    assert json.loads(entry.read_text())["value"]["matches"]  # rewritten
    _scan(root, cache)
    assert scanned(logged) == []


def _cid(data: bytes) -> str:
    from gate.cache import content_id

    return content_id(data)


def test_another_rule_set_or_semgrep_version_misses(tmp_path: Path, logged: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    root = _repo(tmp_path / "repo")
    cache = ResultCache(tmp_path / "cache")
    _scan(root, cache)
    scanned(logged)
    rules = tmp_path / "rules"
    shutil.copytree(RULES, rules)
    (rules / "silent-except.yml").write_text((rules / "silent-except.yml").read_text() + "\n", encoding="utf-8")
    _scan(root, cache, rules)
    assert len(scanned(logged)) == len(list(root.rglob("*.py")))
    # a semgrep that says it is 0.0.1 when asked, but is the real one when scanning
    wrapper = Path(str(find_tool("semgrep")))
    liar = tmp_path / "liar"
    liar.write_text(f'#!/bin/sh\nif [ "$2" = "--version" ]; then echo 0.0.1; exit 0; fi\nexec "{wrapper}" "$@"\n',
                    encoding="utf-8")
    liar.chmod(0o755)
    monkeypatch.setenv("READINESS_GATE_SEMGREP_BIN", str(liar))
    assert semgrep_cache.semgrep_version() == "0.0.1"
    result = _scan(root, cache)
    assert len(scanned(logged)) == len(list(root.rglob("*.py")))
    # semgrep's report says another version than the key: nothing is stored for 0.0.1
    assert result.version != "0.0.1"
    _scan(root, cache)
    assert len(scanned(logged)) == len(list(root.rglob("*.py")))


CROSS_RULE = """
rules:
  - id: module-level-print
    message: print at module level
    severity: INFO
    languages: [python]
    metadata:
      readiness-check: error-handling
      readiness-cross-file: true
    pattern: print(...)
"""


def test_cross_file_rules_are_keyed_on_the_whole_target_set(tmp_path: Path, logged: Path) -> None:
    root = write_tree(tmp_path / "repo", {"a.py": "print(1)\n", "b.py": "try:\n    x()\nexcept Exception:\n    pass\n",
                                          "c.py": "VALUE = 2\n"})
    rules = tmp_path / "rules"
    rules.mkdir()
    shutil.copy(RULES / "silent-except.yml", rules)
    (rules / "cross.yml").write_text(CROSS_RULE, encoding="utf-8")
    files = semgrep.rule_files(rules)
    assert [f.cross_file for f in files] == [True, False]
    cache = ResultCache(tmp_path / "cache")
    cold = _scan(root, cache, rules)
    assert scanned(logged) == ["a.py", "b.py", "c.py"]
    assert {m.rule for m in cold.matches} == {"module-level-print", "silent-except"}
    warm = _scan(root, cache, rules)
    assert scanned(logged) == [] and warm.matches == cold.matches
    (root / "c.py").write_text("print(3)\n", encoding="utf-8")
    log_lines: list[str] = []
    changed = _scan(root, cache, rules)
    args = logged.read_text().splitlines()
    runs = _runs(args)
    # the per-file rules see only the changed file; the cross-file rule sees every target
    assert sorted(runs.values()) == [["./a.py", "./b.py", "./c.py"], ["./c.py"]], (runs, log_lines)
    logged.unlink()
    assert changed.matches == _scan(root, None, rules).matches
    assert sum(m.rule == "module-level-print" for m in changed.matches) == 2


def _runs(args: list[str]) -> dict[str, list[str]]:
    """``--config`` value(s) of each logged semgrep run -> its targets."""
    runs: dict[str, list[str]] = {}
    configs: list[str] = []
    targets: list[str] = []
    for a in args + ["scan"]:
        if a == "scan":
            if targets:
                runs[",".join(configs)] = targets
            configs, targets = [], []
        elif a.endswith(".yml") or a.endswith(".yaml"):
            configs.append(Path(a).name)
        elif a.startswith("./"):
            targets.append(a)
    return runs


def test_the_checks_use_the_cache_dir_and_say_so(tmp_path: Path, logged: Path) -> None:
    root = _repo(tmp_path / "repo")
    options = RunOptions(today=TODAY, cache_dir=str(tmp_path / "cache"))
    cold = run_check("error-handling", root, options=options)
    assert scanned(logged)
    warm = run_check("error-handling", root, options=options)
    assert scanned(logged) == []
    assert (warm.status, warm.findings, warm.skipped) == (cold.status, cold.findings, cold.skipped)
    assert cold.findings
    assert any("answered by the result cache" in e for e in warm.evidence)
    assert not any("answered by the result cache" in e for e in cold.evidence)


def test_every_match_field_survives_the_cache() -> None:
    """A field added to SemgrepMatch or FileProblem must be (de)serialisable, or every entry
    would be rejected and the cache silently useless."""
    from gate.model import Severity

    match = semgrep.SemgrepMatch(rule="r", check="error-handling", message="m", path="a.py", line=3,
                                 severity=Severity.HIGH, fingerprint="f" * 32, suppressed=True)
    problem = semgrep.FileProblem("a.py", "semgrep could not parse it (syntax error); not scanned")
    result = semgrep_cache.FileResult((match,), (problem,))
    again = semgrep_cache.FileResult.parser(frozenset({"a.py"}))(json.loads(json.dumps(result.to_json())))
    assert again == result
    with pytest.raises(ValueError):
        semgrep_cache.FileResult.parser(frozenset({"b.py"}))(result.to_json())


if sys.platform == "win32":  # pragma: no cover - the wrapper is a POSIX shell script
    pytestmark = pytest.mark.skip("POSIX only")
