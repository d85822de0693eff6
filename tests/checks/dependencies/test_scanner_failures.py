"""Every way pip-audit can fail ends in ``error``, never ``pass`` (``docs/threats.md`` row 11).

Fake pip-audit executables are selected with ``READINESS_GATE_PIP_AUDIT_BIN`` (the subprocess
wrapper's documented override). One fake records its argv to prove what the real one is given.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gate.model import Status
from helpers import write_tree

REPORT_OK = """
print(json.dumps({"dependencies": [{"name": n, "version": v, "vulns": []} for n, v in pins], "fixes": []}))
"""


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return write_tree(tmp_path / "repo", {"requirements.txt": "requests==2.19.1\nflask==3.0.0\n"})


FAILURES = {
    "exit 2 (usage error)": ("sys.stderr.write('usage: pip-audit: error: unrecognized arguments\\n'); sys.exit(2)",
                             "exited with status 2"),
    "exit 1, nothing printed": ("sys.stderr.write('ERROR:pip_audit._cli:boom\\n'); sys.exit(1)",
                                "without a usable report (empty output)"),
    "bad JSON": ("print('{\"dependencies\": [oops'); sys.exit(1)", "output is not JSON"),
    "exit 0, nothing printed": ("sys.exit(0)", "malformed report (empty output)"),
    "crash by signal": ("import signal; os.kill(os.getpid(), signal.SIGKILL)", "killed by signal SIGKILL"),
    "exit 1 with no vulnerability": (REPORT_OK + "sys.exit(1)", "exited with status 1 but reported no vulnerability"),
    "exit 0 with vulnerabilities": (
        "print(json.dumps({'dependencies': [{'name': n, 'version': v, 'vulns': [{'id': 'X-1', 'fix_versions': [],"
        " 'aliases': []}]} for n, v in pins], 'fixes': []}))", "inconsistent"),
    "a pin missing from the report": (
        "print(json.dumps({'dependencies': [{'name': 'flask', 'version': '3.0.0', 'vulns': []}], 'fixes': []}))",
        "no result for requests==2.19.1"),
    "a dependency that was not asked about": (
        "print(json.dumps({'dependencies': [{'name': n, 'version': v, 'vulns': []} for n, v in pins]"
        " + [{'name': 'evil', 'version': '1', 'vulns': []}], 'fixes': []}))", "evil==1, which was not asked about"),
    "wrong shape": ("print(json.dumps([1, 2, 3]))", "no 'dependencies' list"),
    "vulnerability without id": (
        "print(json.dumps({'dependencies': [{'name': n, 'version': v, 'vulns': [{'fix_versions': []}]}"
        " for n, v in pins], 'fixes': []})); sys.exit(1)", "has no id"),
}


@pytest.mark.parametrize("case", sorted(FAILURES))
def test_failure_is_an_error(case, repo, fake_pip_audit, audit):
    body, expected = FAILURES[case]
    fake_pip_audit(body)
    result = audit(repo, osv_url="http://127.0.0.1:9")
    assert result.status is Status.ERROR, result.summary
    assert expected in result.summary
    assert result.summary.startswith("pip-audit: ")


def test_missing_binary_is_an_error(repo, tmp_path, monkeypatch, audit):
    monkeypatch.setenv("READINESS_GATE_PIP_AUDIT_BIN", str(tmp_path / "no-such-pip-audit"))
    result = audit(repo, osv_url="http://127.0.0.1:9")
    assert result.status is Status.ERROR
    assert "executable not found" in result.summary and "READINESS_GATE_PIP_AUDIT_BIN" in result.summary


def test_hang_past_the_timeout_is_an_error(repo, fake_pip_audit, audit):
    fake_pip_audit("time.sleep(60)")
    result = audit(repo, osv_url="http://127.0.0.1:9",
                   config="version: 1\nchecks:\n  dependencies:\n    timeout: 1\n")
    assert result.status is Status.ERROR and "timed out after 1 s" in result.summary


def test_unpinned_findings_survive_a_scanner_error(tmp_path, fake_pip_audit, audit):
    write_tree(tmp_path, {"requirements.txt": "requests==2.19.1\nflask\n"})
    fake_pip_audit("sys.exit(2)")
    result = audit(tmp_path, osv_url="http://127.0.0.1:9")
    assert result.status is Status.ERROR
    assert [f.rule for f in result.findings] == ["unpinned-requirement"]


def test_skipped_dependency_is_a_finding_not_a_pass(repo, fake_pip_audit, audit):
    fake_pip_audit("""
        print(json.dumps({"dependencies": [
            {"name": "requests", "skip_reason": "Dependency not found on PyPI and could not be audited"},
            {"name": "flask", "version": "3.0.0", "vulns": []}], "fixes": []}))
    """)
    result = audit(repo, osv_url="http://127.0.0.1:9")
    assert result.status is Status.FAIL
    (finding,) = result.findings
    assert finding.rule == "unauditable-requirement"
    assert (finding.path, finding.line) == ("requirements.txt", 1)
    assert "not found on PyPI" in finding.message


def test_pip_audit_gets_only_pins_in_a_temp_dir_with_safe_flags(repo, tmp_path, fake_pip_audit, audit, monkeypatch):
    log = tmp_path / "argv.jsonl"
    monkeypatch.setenv("FAKE_PIP_AUDIT_LOG", str(log))
    fake_pip_audit(REPORT_OK)
    (repo / "requirements.txt").write_text("Requests==2.19.1 --hash=sha256:00 ; python_version < '3'\n"
                                           "-e ./pkg\n--index-url https://evil.example/simple\nFlask==3.0.0\n")
    result = audit(repo)  # no --osv-url: the public OSV API is named explicitly
    assert result.status is Status.FAIL  # the editable is a finding
    (call,) = [json.loads(line) for line in log.read_text().splitlines()]
    argv = call["argv"]
    for flag in ("--no-deps", "--disable-pip"):
        assert flag in argv
    assert argv[argv.index("--format") + 1] == "json"
    assert argv[argv.index("--vulnerability-service") + 1] == "osv"
    assert argv[argv.index("--osv-url") + 1] == "https://api.osv.dev/v1/query"
    assert argv[argv.index("--progress-spinner") + 1] == "off"
    assert "--index-url" not in argv and "-e" not in argv
    # The requirements file is ours: normalised exact pins only, outside the repository.
    assert call["requirements"] == "flask==3.0.0\nrequests==2.19.1\n"
    req_path = Path(argv[argv.index("--requirement") + 1])
    assert repo.resolve() not in req_path.resolve().parents
    assert Path(call["cwd"]).resolve() != repo.resolve()
    assert not req_path.exists()  # the temporary directory is gone


def test_pypi_service_is_passed_without_osv_url(repo, tmp_path, fake_pip_audit, audit, monkeypatch):
    log = tmp_path / "argv.jsonl"
    monkeypatch.setenv("FAKE_PIP_AUDIT_LOG", str(log))
    fake_pip_audit(REPORT_OK)
    result = audit(repo, config="version: 1\nchecks:\n  dependencies:\n    vulnerability-service: pypi\n")
    assert result.status is Status.PASS, result.summary
    argv = json.loads(log.read_text())["argv"]
    assert argv[argv.index("--vulnerability-service") + 1] == "pypi"
    assert "--osv-url" not in argv


def test_osv_url_must_be_http(repo, audit):
    result = audit(repo, osv_url="file:///etc/passwd")
    assert result.status is Status.ERROR and "http(s)" in result.summary


def test_an_unreachable_service_is_one_sentence_with_the_fix(repo, audit):
    """The first run on a runner without network: the real pip-audit against a host that never
    resolves (``.invalid``, RFC 2606), as api.osv.dev does not offline."""
    result = audit(repo, osv_url="https://osv.invalid")
    assert result.status is Status.ERROR
    assert result.summary == (
        "pip-audit: could not reach the vulnerability service at https://osv.invalid/v1/query (no network "
        "access?); pass --osv-db with an offline OSV export (OSV's PyPI all.zip; READINESS_GATE_OSV_DB in CI), "
        "or point --osv-url (checks.dependencies.osv-url) at an OSV mirror.")
    # The scanner line names pip-audit's real version, even though the audit failed.
    (tool,) = result.tools
    assert tool.name == "pip-audit" and tool.version not in ("", "unknown") and tool.version[0].isdigit()
