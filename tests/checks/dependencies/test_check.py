"""The ``dependencies`` check end to end: the real pip-audit against a loopback OSV server.

Every test builds a fixture repository with ``write_tree``; nothing here mocks our own code.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys

from gate.model import Advisory, Severity, Status
from helpers import git_init, write_tree

VULNERABLE = "requests==2.19.1\n"


def rules(result):
    return [f.rule for f in result.findings]


def test_vulnerable_pin_fails_with_the_advisory(tmp_path, osv, audit):
    write_tree(tmp_path, {"requirements.txt": "# app\n" + VULNERABLE})
    result = audit(tmp_path, osv)
    assert result.status is Status.FAIL
    finding = next(f for f in result.findings if f.rule == "PYSEC-2018-28")
    assert finding.path == "requirements.txt" and finding.line == 2
    assert "requests 2.19.1" in finding.message and "fixed in 2.20.0" in finding.message
    assert {"CVE-2018-18074", "GHSA-x84v-xcm2-53pg", "requests", "requests==2.19.1"} <= set(finding.aliases)
    assert finding.fingerprint == "requests==2.19.1:PYSEC-2018-28"
    assert finding.remediation == "Upgrade requests to 2.20.0 or later."
    # The advisory's facts, which the comment shows in full (lowest fix above the pin first).
    assert finding.advisory == Advisory("PYSEC-2018-28", "requests", "2.19.1", ("2.20.0",),
                                        ("CVE-2018-18074", "GHSA-x84v-xcm2-53pg"))
    # PYSEC-2018-28's record has no severity and the mirror has no GHSA record: unknown, blocking.
    assert finding.severity is Severity.UNKNOWN and finding.blocking
    assert "PYSEC-2023-74" in rules(result)
    assert result.tools[0].name == "pip-audit"
    # pip-audit really asked the mirror, for exactly the pin.
    assert ("requests", "2.19.1") in osv.queried_packages()
    assert any(r.path == "/v1/vulns/PYSEC-2018-28" for r in osv.requests)


def test_clean_pin_passes(tmp_path, osv, audit):
    write_tree(tmp_path, {"requirements.txt": "requests==2.31.0\nflask==3.0.0\n"})
    result = audit(tmp_path, osv)
    assert result.status is Status.PASS, result.summary
    assert result.findings == ()
    assert "2 pinned dependencies audited" in result.summary
    assert sorted(osv.queried_packages()) == [("flask", "3.0.0"), ("requests", "2.31.0")]


def test_poetry_lock_pins_are_audited(tmp_path, osv, audit):
    write_tree(tmp_path, {
        "pyproject.toml": """
            [tool.poetry]
            name = "svc"
            version = "0.1.0"
            [tool.poetry.dependencies]
            python = "^3.10"
            jinja2 = "^2.10"
        """,
        "poetry.lock": """
            [[package]]
            name = "flask"
            version = "3.0.0"
            description = ""
            optional = false
            python-versions = ">=3.8"

            [[package]]
            name = "jinja2"
            version = "2.10"
            description = ""
            optional = false
            python-versions = "*"

            [metadata]
            lock-version = "2.0"
            python-versions = "^3.10"
            content-hash = "0"
        """,
    })
    result = audit(tmp_path, osv)
    assert result.status is Status.FAIL
    jinja = [f for f in result.findings if f.rule in ("PYSEC-2019-217", "PYSEC-2021-66")]
    assert len(jinja) == 2
    assert all(f.path == "poetry.lock" and f.line == 9 for f in jinja)
    assert sorted(osv.queried_packages()) == [("flask", "3.0.0"), ("jinja2", "2.10")]


def test_uv_lock_audits_registry_pins_and_skips_the_project_itself(tmp_path, osv, audit):
    write_tree(tmp_path, {
        "pyproject.toml": """
            [project]
            name = "svc"
            version = "0.1.0"
            dependencies = ["urllib3>=2"]
        """,
        "uv.lock": """
            version = 1
            requires-python = ">=3.10"

            [[package]]
            name = "svc"
            version = "0.1.0"
            source = { editable = "." }
            dependencies = [{ name = "urllib3" }]

            [[package]]
            name = "urllib3"
            version = "2.0.6"
            source = { registry = "https://pypi.org/simple" }
        """,
    })
    result = audit(tmp_path, osv)
    assert rules(result) == ["PYSEC-2023-212"]
    finding = result.findings[0]
    assert finding.path == "uv.lock" and finding.line == 11
    # The record carries CVSS:3.1/AV:A/AC:H/PR:H/UI:N/S:U/C:H/I:N/A:N = 4.2.
    assert finding.severity is Severity.MEDIUM and "CVSS 3.1 4.2" in finding.message
    # The pyproject range is resolved by the lockfile: not a finding.
    assert not any(f.rule == "unpinned-requirement" for f in result.findings)
    assert any("svc" in s.path and "repository's own code" in s.reason for s in result.skipped)


def test_pipfile_lock_and_pylock(tmp_path, osv, audit):
    write_tree(tmp_path, {
        "Pipfile.lock": json.dumps({
            "_meta": {"hash": {"sha256": "0"}, "pipfile-spec": 6, "requires": {}, "sources": []},
            "default": {"requests": {"hashes": ["sha256:00"], "index": "pypi", "version": "==2.19.1"}},
            "develop": {"flask": {"version": "==3.0.0"}},
        }, indent=4),
        "tools/pylock.toml": """
            lock-version = "1.0"
            created-by = "pip"

            [[packages]]
            name = "PyYAML"
            version = "5.3"
        """,
    })
    result = audit(tmp_path, osv)
    found = {(f.rule, f.path) for f in result.findings}
    assert ("PYSEC-2018-28", "Pipfile.lock") in found
    assert ("PYSEC-2020-96", "tools/pylock.toml") in found
    assert ("pyyaml", "5.3") in osv.queried_packages()


def test_unpinned_requirement_is_a_finding_with_file_and_line(tmp_path, osv, audit):
    write_tree(tmp_path, {"requirements.txt": "flask==3.0.0\nrequests>=2\n"})
    result = audit(tmp_path, osv)
    assert result.status is Status.FAIL
    (finding,) = result.findings
    assert finding.rule == "unpinned-requirement"
    assert (finding.path, finding.line) == ("requirements.txt", 2)
    assert "cannot be audited without resolving it" in finding.message and "pin it" in finding.message
    assert finding.aliases == ("requests",)
    # Only the exact pin reached pip-audit.
    assert osv.queried_packages() == [("flask", "3.0.0")]


def test_local_package_is_unauditable_and_its_setup_py_never_runs(tmp_path, osv, audit):
    marker = tmp_path / "MARKER"
    setup = f"import pathlib\npathlib.Path({str(marker)!r}).write_text('executed')\n" \
            "from setuptools import setup\nsetup(name='localpkg', version='0.1')\n"
    repo = tmp_path / "repo"
    write_tree(repo, {
        "requirements.txt": "./localpkg\n-e ./localpkg\nlocalpkg @ file:./localpkg\nrequests==2.19.1\nflask>=2\n",
        "localpkg/setup.py": setup,
        "localpkg/pyproject.toml": "[project]\nname = 'localpkg'\ndynamic = ['version', 'dependencies']\n",
    }, dedent=False)
    git_init(repo)
    result = audit(repo, osv)
    assert result.status is Status.FAIL
    unauditable = [f for f in result.findings if f.rule == "unauditable-requirement"]
    assert [(f.path, f.line) for f in unauditable] == [
        ("localpkg/pyproject.toml", 3), ("requirements.txt", 1), ("requirements.txt", 2), ("requirements.txt", 3)]
    assert "PYSEC-2018-28" in rules(result)  # the pinned dependency is still audited
    assert ("unpinned-requirement", 5) in [(f.rule, f.line) for f in result.findings]
    assert not marker.exists()
    # Control: the marker mechanism works when the package really is built.
    subprocess.run([sys.executable, "setup.py", "--name"], cwd=repo / "localpkg", capture_output=True, check=False)
    assert marker.read_text() == "executed"


def test_unreachable_osv_mirror_is_an_error_saying_what_to_do(tmp_path, audit):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    write_tree(tmp_path, {"requirements.txt": VULNERABLE})
    result = audit(tmp_path, osv_url=f"http://127.0.0.1:{port}")
    assert result.status is Status.ERROR
    assert "osv-url" in result.summary and "mirror" in result.summary
    assert f"127.0.0.1:{port}/v1/query" in result.summary


def test_osv_500_garbage_and_hang_are_errors(tmp_path, osv, audit):
    write_tree(tmp_path, {"requirements.txt": VULNERABLE})
    for fault in ("500", "garbage", "close"):
        osv.inject(fault, "/v1/query")
        result = audit(tmp_path, osv)
        assert result.status is Status.ERROR, (fault, result.summary)
        assert "pip-audit" in result.summary
    osv.inject("hang", "/v1/query")
    result = audit(tmp_path, osv, config="version: 1\nchecks:\n  dependencies:\n    timeout: 2\n")
    assert result.status is Status.ERROR and "timed out" in result.summary


def test_osv_url_from_settings_reaches_pip_audit(tmp_path, osv, audit):
    write_tree(tmp_path, {"requirements.txt": VULNERABLE})
    config = f"version: 1\nchecks:\n  dependencies:\n    osv-url: {osv.base_url}/v1/query\n"
    result = audit(tmp_path, config=config, osv_url="")
    assert "PYSEC-2018-28" in rules(result)
    assert osv.queried_packages() == [("requests", "2.19.1")]


def test_fail_on_threshold(tmp_path, osv, audit):
    write_tree(tmp_path, {"requirements.txt": "urllib3==2.0.6\n"})
    high = audit(tmp_path, osv, config="version: 1\nchecks:\n  dependencies:\n    fail-on: high\n")
    assert high.status is Status.PASS, high.summary
    (finding,) = high.findings
    assert finding.rule == "PYSEC-2023-212" and not finding.blocking
    assert "below the threshold" in high.summary
    medium = audit(tmp_path, osv, config="version: 1\nchecks:\n  dependencies:\n    fail-on: medium\n")
    assert medium.status is Status.FAIL


def test_unknown_severity_fails_even_at_critical(tmp_path, osv, audit):
    write_tree(tmp_path, {"requirements.txt": VULNERABLE})
    osv.inject("500", "/v1/vulns/")
    result = audit(tmp_path, osv, config="version: 1\nchecks:\n  dependencies:\n    fail-on: critical\n")
    assert result.status is Status.FAIL
    finding = next(f for f in result.findings if f.rule == "PYSEC-2018-28")
    assert finding.severity is Severity.UNKNOWN and finding.blocking
    assert "lookup of PYSEC-2018-28 failed (HTTP 500)" in finding.message


def test_ignore_by_advisory_id_or_alias(tmp_path, osv, audit):
    write_tree(tmp_path, {"requirements.txt": VULNERABLE})
    config = "version: 1\nchecks:\n  dependencies:\n    ignore: [PYSEC-2018-28, cve-2023-32681]\n"
    result = audit(tmp_path, osv, config=config)
    assert result.status is Status.PASS, result.summary
    assert {"ignored PYSEC-2018-28 (checks.dependencies.ignore)",
            "ignored PYSEC-2023-74 (checks.dependencies.ignore)"} <= set(result.evidence)


def test_exclude_globs_and_not_applicable(tmp_path, osv, audit):
    write_tree(tmp_path, {"examples/requirements.txt": VULNERABLE, "src/app.py": "print(1)\n"})
    result = audit(tmp_path, osv, config="version: 1\nchecks:\n  dependencies:\n    exclude: ['examples/**']\n")
    assert result.status is Status.SKIPPED
    assert "no Python dependency files" in result.summary
    assert osv.requests == []


def test_includes_are_followed_inside_the_tree_only(tmp_path, osv, audit):
    write_tree(tmp_path, {
        "requirements.txt": "-r requirements/base.txt\n-r ../secrets.txt\n-r missing.txt\n-c constraints.txt\nurllib3\n",
        "requirements/base.txt": "requests==2.19.1\n-r ../requirements.txt\n",
        "constraints.txt": "urllib3==2.0.6\n",
    })
    result = audit(tmp_path, osv)
    by_rule = {(f.rule, f.path, f.line) for f in result.findings}
    assert ("PYSEC-2018-28", "requirements/base.txt", 1) in by_rule
    assert ("PYSEC-2023-212", "constraints.txt", 1) in by_rule
    assert ("unauditable-include", "requirements.txt", 2) in by_rule
    assert ("unauditable-include", "requirements.txt", 3) in by_rule
    # urllib3 is unpinned in requirements.txt but pinned by the constraints file: no finding.
    assert not any(f.rule == "unpinned-requirement" for f in result.findings)
    assert any(s.reason.startswith("include loop") for s in result.skipped)


def test_dependency_file_symlinked_out_of_the_tree_is_a_finding(tmp_path, osv, audit):
    outside = tmp_path / "outside.txt"
    outside.write_text("requests==2.19.1\n")
    repo = write_tree(tmp_path / "repo", {"README.md": "x\n"})
    (repo / "requirements.txt").symlink_to(outside)
    result = audit(repo, osv)
    assert result.status is Status.FAIL
    (finding,) = result.findings
    assert finding.rule == "unreadable-dependency-file" and "symlink leaves the repository" in finding.message
    assert osv.requests == []


def test_malformed_lockfile_is_a_finding_not_a_crash(tmp_path, osv, audit):
    write_tree(tmp_path, {"poetry.lock": "[[package]\nname = \n", "requirements.txt": "flask==3.0.0\n"})
    result = audit(tmp_path, osv)
    assert result.status is Status.FAIL
    assert [(f.rule, f.path) for f in result.findings] == [("unreadable-dependency-file", "poetry.lock")]


def test_same_package_pinned_at_two_versions_is_audited_in_two_runs(tmp_path, osv, audit):
    write_tree(tmp_path, {"requirements.txt": "requests==2.31.0\n", "requirements-legacy.txt": VULNERABLE})
    result = audit(tmp_path, osv)
    assert {(f.rule, f.path) for f in result.findings} >= {("PYSEC-2018-28", "requirements-legacy.txt")}
    assert sorted(osv.queried_packages()) == [("requests", "2.19.1"), ("requests", "2.31.0")]


def test_cli_env_osv_url_reaches_pip_audit(tmp_path, osv, monkeypatch):
    from gate.cli import main

    repo = write_tree(tmp_path / "repo", {"requirements.txt": VULNERABLE})
    monkeypatch.setenv("READINESS_GATE_OSV_URL", osv.base_url)
    code = main(["check", str(repo), "--only", "dependencies", "--output", str(tmp_path / "out.txt")])
    assert code == 1  # not ready: a required check fails
    assert osv.queried_packages() == [("requests", "2.19.1")]
    assert "PYSEC-2018-28" in (tmp_path / "out.txt").read_text()


def test_credentials_in_requirements_never_reach_findings(tmp_path, osv, audit):
    token = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"
    password = "hunter2-Very-Secret"
    write_tree(tmp_path, {
        "requirements.txt": f"--index-url https://bob:{password}@pypi.internal/simple\n"
                            f"private @ https://bob:{password}@files.internal/private-1.0.whl\n"
                            f"git+https://{token}@github.com/org/lib.git#egg=lib\n"
                            f"-r https://{token}@raw.example/reqs.txt\n"
                            "flask==3.0.0\n",
    })
    result = audit(tmp_path, osv)
    assert result.status is Status.FAIL
    assert len(result.findings) == 3
    dumped = repr(result)
    assert token not in dumped and password not in dumped
    assert all(r.body is None or token not in json.dumps(r.body) for r in osv.requests)
