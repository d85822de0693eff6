"""Every way semgrep can fail leaves both checks ``error`` (never ``pass``), with a message a user
can act on (``docs/threats.md`` row 11).

Fake semgrep executables (shell or Python scripts written here) are substituted through
``READINESS_GATE_SEMGREP_BIN``, the documented override of :mod:`gate.scanners.process`.
"""

from __future__ import annotations

import json
import stat
import sys
import time
from pathlib import Path

import pytest

from gate.model import Status
from gate.scanners import semgrep
from gate.scanners.process import ToolError
from helpers import run_all, run_check, write_tree

REPO = {
    "app/main.py": """
        import requests

        def fetch(url):
            return requests.get(url, timeout=5)
        """,
    "app/util.py": "VALUE = 1\n",
}
CONFIG_2S = """
version: 1
checks:
  insecure-patterns:
    timeout: 2
  error-handling:
    timeout: 2
"""
SECRET = "ghp_" + "Z" * 36


def _fake(tmp_path: Path, body: str, *, python: bool = False) -> Path:
    path = tmp_path / ("fake-semgrep.py" if python else "fake-semgrep")
    shebang = f"#!{sys.executable}\n" if python else "#!/bin/sh\n"
    path.write_text(shebang + body, encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def _report(**extra: object) -> str:
    """A well-formed semgrep report for the fixture's two files, with overrides."""
    data = {"version": "9.9.9", "results": [], "errors": [],
            "paths": {"scanned": ["app/main.py", "app/util.py"]}}
    data.update(extra)
    return json.dumps(data)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return write_tree(tmp_path / "repo", REPO)


def _run_both(repo: Path, fake: Path, monkeypatch: pytest.MonkeyPatch, config: str = CONFIG_2S):
    monkeypatch.setenv("READINESS_GATE_SEMGREP_BIN", str(fake))
    report = run_all(repo, config=config, only=["insecure-patterns", "error-handling"])
    checks = {c.id: c for c in report.checks if c.id in ("insecure-patterns", "error-handling")}
    assert set(checks) == {"insecure-patterns", "error-handling"}
    assert not report.ready
    for c in checks.values():
        assert c.status is Status.ERROR, (c.id, c.status, c.summary)
        assert "does not pass" in c.summary
    return checks["insecure-patterns"].summary


FAILURES = {
    "exit-2": ("echo '%s' \nexit 2\n" % _report(errors=[{"level": "error", "type": "SemgrepError",
                                                        "message": "Invalid scanning root"}]),
               ["exited with status 2 (fatal error)", "Invalid scanning root"]),
    "segfault": ("kill -SEGV $$\n", ["killed by signal SIGSEGV"]),
    "prints-nothing": ("exit 0\n", ["printed no output"]),
    "malformed-json": ("echo '{\"results\": ['\n", ["not JSON"]),
    "json-not-object": ("echo '[]'\n", ["not an object"]),
    "no-results-key": ("echo '%s'\n" % json.dumps({"errors": [], "paths": {"scanned": []}}),
                       ["no 'results' list"]),
    "no-errors-key": ("echo '%s'\n" % json.dumps({"results": [], "paths": {"scanned": []}}),
                      ["no 'errors' list"]),
    "exit-0-with-errors": ("echo '%s'\n" % _report(errors=[{"level": "error", "type": "Rule parse error",
                                                            "message": "Invalid rule schema"}]),
                           ["reported errors", "Rule parse error"]),
    "parse-error-outside-targets": ("echo '%s'\n" % _report(errors=[{
        "level": "warn", "type": "Syntax error", "path": "elsewhere.py",
        "message": "`password = 'hunter2'` was unexpected"}]),
        ["reported errors", "Syntax error in elsewhere.py"]),
    "unknown-warning": ("echo '%s'\n" % _report(errors=[{"level": "warn", "type": "Fatal error",
                                                         "message": "Out of file descriptors"}]),
                        ["reported errors", "Fatal error"]),
    "skipped-rules": ("echo '%s'\n" % _report(skipped_rules=[{"rule_id": "p.silent-except"}]),
                      ["skipped rules p.silent-except"]),
    "no-paths": ("echo '%s'\n" % json.dumps({"results": [], "errors": []}), ["no 'paths.scanned'"]),
    "drops-a-file-silently": ("echo '%s'\n" % _report(paths={"scanned": ["app/util.py"]}),
                              ["did not scan 1 of the files", "app/main.py"]),
    "result-without-check": ("echo '%s'\n" % _report(results=[{
        "check_id": "x.silent-except", "path": "app/main.py", "start": {"line": 1},
        "extra": {"message": "m", "severity": "WARNING", "metadata": {}}}]),
        ["no metadata.readiness-check"]),
    "result-malformed": ("echo '%s'\n" % _report(results=[{"path": "app/main.py"}]),
                         ["result without check_id"]),
    "finding-in-unknown-file": ("echo '%s'\n" % _report(results=[{
        "check_id": "x.silent-except", "path": "/etc/passwd", "start": {"line": 1},
        "extra": {"message": "m", "severity": "WARNING", "metadata": {"readiness-check": "error-handling"}}}]),
        ["not asked to scan"]),
    "unexpected-exit-1": ("echo '%s'\nexit 1\n" % _report(), ["exited with status 1"]),
}


@pytest.mark.parametrize("name", sorted(FAILURES))
def test_scanner_failure_is_an_error(name: str, repo: Path, tmp_path: Path,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    body, expected = FAILURES[name]
    summary = _run_both(repo, _fake(tmp_path, body), monkeypatch)
    for text in expected:
        assert text in summary, summary
    assert "hunter2" not in summary


def test_hang_past_the_timeout_is_an_error(repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    start = time.monotonic()
    summary = _run_both(repo, _fake(tmp_path, "sleep 60\n"), monkeypatch)
    assert time.monotonic() - start < 20
    assert "timed out after 2 s" in summary


def test_missing_binary_is_an_error(repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    summary = _run_both(repo, tmp_path / "no-such-semgrep", monkeypatch)
    assert "executable not found" in summary and "READINESS_GATE_SEMGREP_BIN" in summary


def test_stderr_is_redacted_in_the_message(repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = _fake(tmp_path, f"echo 'auth failed token={SECRET}' >&2\nexit 2\n")
    summary = _run_both(repo, fake, monkeypatch)
    assert "exited with status 2" in summary
    assert SECRET not in summary


def test_per_file_parse_problems_are_named_skips_not_errors(repo: Path, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """A syntax error or a per-rule timeout on one file: that file is a skip with a reason, the
    check still decides on the rest; semgrep's 'nosem id' warnings and info entries are noise."""
    errors = [
        {"level": "warn", "type": "Syntax error", "path": "app/util.py", "message": "`x = $$$` was unexpected"},
        {"level": "warn", "type": "Timeout", "path": "app/main.py", "rule_id": "a.b.silent-except",
         "message": "Timeout when running a.b.silent-except on app/main.py"},
        {"level": "warn", "type": "SemgrepWarning", "message": "found 'nosem' comment with id 'x'"},
        {"level": "info", "type": "Other", "message": "fyi"},
    ]
    fake = _fake(tmp_path, "echo '%s'\n" % _report(errors=errors))
    monkeypatch.setenv("READINESS_GATE_SEMGREP_BIN", str(fake))
    result = run_check("error-handling", repo, config=CONFIG_2S)
    assert result.status is Status.PASS, result.summary
    skips = {s.path: s.reason for s in result.skipped}
    assert skips == {"app/util.py": "semgrep could not parse it (syntax error); not scanned",
                     "app/main.py": "semgrep timed out on it (silent-except); not fully scanned"}
    assert result.tools[0].version == "9.9.9"
    assert "$$$" not in repr(result)
    # the timeout was in an error-handling rule: insecure-patterns still examined app/main.py
    other = run_check("insecure-patterns", repo, config=CONFIG_2S)
    assert {s.path for s in other.skipped} == {"app/util.py"}


def test_argv_is_chunked_and_results_merged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Many targets: several semgrep runs, each handed ``./path`` arguments, results merged."""
    log = tmp_path / "argv.log"
    fake = _fake(tmp_path, f"""
import json, sys
targets = [a[2:] for a in sys.argv[1:] if a.startswith("./")]
open({str(log)!r}, "a").write(json.dumps(sys.argv[1:]) + "\\n")
results = [{{"check_id": "policies.semgrep.silent-except", "path": t, "start": {{"line": 1}},
            "extra": {{"message": "m", "severity": "WARNING",
                      "metadata": {{"readiness-check": "error-handling"}}}}}} for t in targets]
print(json.dumps({{"version": "1.0", "results": results, "errors": [], "paths": {{"scanned": targets}}}}))
""", python=True)
    targets = [f"pkg/module_{i:03d}.py" for i in range(40)] + ["-rf.py"]
    monkeypatch.setenv("READINESS_GATE_SEMGREP_BIN", str(fake))
    result = semgrep.scan(tmp_path, targets, config=tmp_path, timeout=60,
                          read_text=lambda p: "try: pass", argv_budget=200)
    calls = [json.loads(line) for line in log.read_text().splitlines()]
    assert result.runs == len(calls) > 1
    assert {m.path for m in result.matches} == set(targets)
    assert all("./-rf.py" in c for c in calls if any(a.endswith("-rf.py") for a in c))
    assert all(a.startswith(("./", "-")) or a == str(tmp_path) or a == "scan" for c in calls for a in c)
    assert sorted(m.rule for m in result.matches) == ["silent-except"] * len(targets)


def test_small_scans_run_one_semgrep_job_large_ones_semgreps_default(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    log = tmp_path / "argv.log"
    fake = _fake(tmp_path, f"""
import json, sys
targets = [a[2:] for a in sys.argv[1:] if a.startswith("./")]
open({str(log)!r}, "a").write(json.dumps(sys.argv[1:]) + "\\n")
print(json.dumps({{"version": "1.0", "results": [], "errors": [], "paths": {{"scanned": targets}}}}))
""", python=True)
    monkeypatch.setenv("READINESS_GATE_SEMGREP_BIN", str(fake))
    (tmp_path / "small.py").write_text("x = 1\n", encoding="utf-8")
    (tmp_path / "big.py").write_text("x = 1\n" * (semgrep.SINGLE_JOB_BYTES // 6 + 1), encoding="utf-8")
    for targets in (["small.py"], ["small.py", "big.py"]):
        semgrep.scan(tmp_path, targets, config=tmp_path, timeout=60, read_text=lambda p: "x = 1")
    small, large = [json.loads(line) for line in log.read_text().splitlines()]
    assert "--jobs=1" in small
    assert not any(a.startswith(("--jobs", "-j")) for a in large)


def test_chunk_targets_respects_the_budget() -> None:
    paths = [f"p{i}.py" for i in range(100)]
    chunks = semgrep.chunk_targets(paths, budget=60)
    assert [p for c in chunks for p in c] == paths
    assert all(sum(len(p) + 3 for p in c) <= 60 for c in chunks)
    assert semgrep.chunk_targets(["x" * 500], budget=10) == [["x" * 500]]
    assert semgrep.chunk_targets([]) == []


def test_scan_raises_tool_error_directly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The adapter's contract: failures are ToolError (the check turns them into error)."""
    monkeypatch.setenv("READINESS_GATE_SEMGREP_BIN", str(_fake(tmp_path, "exit 0\n")))
    with pytest.raises(ToolError, match="printed no output"):
        semgrep.scan(tmp_path, ["a.py"], config=tmp_path, timeout=10, read_text=lambda p: None)
