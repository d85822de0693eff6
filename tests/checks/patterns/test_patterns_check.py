"""``insecure-patterns`` and ``error-handling`` with the REAL semgrep on small fixture repositories.

One module-scoped gate run over a repository holding a bad and an ok example per rule, plus the
hostile cases (a symlink out of the tree, a ``.semgrepignore`` trying to hide files, a file
named ``-rf.py``, a file semgrep cannot fully parse, nosemgrep comments), with different
settings for the two checks. semgrep is reached through a wrapper that counts its invocations:
both checks must share one.
"""

from __future__ import annotations

import shutil
import stat
import sys
from pathlib import Path

import pytest

from gate.checks.interface import RunOptions
from gate.model import CheckReport, Report, Severity, Status
from gate.resources import policy_file
from gate.scanners import semgrep
from helpers import TODAY, run_all, run_check, write_tree

REAL_SEMGREP = shutil.which("semgrep", path=str(Path(sys.executable).parent)) or shutil.which("semgrep")
pytestmark = pytest.mark.skipif(REAL_SEMGREP is None, reason="semgrep is a dependency of readiness-gate")

PLANTED = "hunter2-planted-9f8e7d"
"""A secret-looking literal on a line semgrep matches: it must never appear in any output."""

BAD = {
    "app/bad_hash.py": """
        import hashlib

        def store(user, password):
            user.pw = hashlib.md5(password.encode()).hexdigest()
        """,
    "app/bad_tls.py": """
        import requests

        def fetch(url):
            return requests.get(url, verify=False, timeout=5)
        """,
    "app/bad_flask.py": """
        from flask import Flask

        app = Flask(__name__)
        app.run(debug=True)
        """,
    "proj/settings.py": """
        DEBUG = True
        """,
    "proj/settings/production.py": """
        DEBUG = True
        """,
    "app/bad_sql.py": """
        def find(cursor, name):
            cursor.execute(f"SELECT * FROM users WHERE name = '{name}'")
        """,
    "app/bad_log.py": f"""
        import logging

        logger = logging.getLogger(__name__)

        def login(user, password):
            logger.info("login {PLANTED} %s", password)
        """,
    "app/bad_trace.py": """
        import traceback
        from flask import Flask, jsonify

        app = Flask(__name__)

        @app.route("/x")
        def view():
            try:
                return work()
            except Exception:
                return jsonify(error=traceback.format_exc()), 500
        """,
    "app/bad_jwt.py": """
        import jwt

        def issue(user, key):
            return jwt.encode({"sub": user}, key, algorithm="HS256")
        """,
    "app/bad_creds.py": """
        import psycopg2

        def connect():
            return psycopg2.connect(host="db", user="app", password="admin")
        """,
    "app/bad_timeout.py": """
        import requests

        def fetch(url):
            return requests.get(url)
        """,
    "app/bad_except.py": """
        def work():
            return 1

        def a():
            try:
                work()
            except Exception:
                pass

        def b():
            try:
                return work()
            except:
                return None
        """,
}
"""One file per rule that must fire (django-debug-enabled twice: settings.py and settings/)."""

EXPECTED_BAD = {
    ("insecure-patterns", "weak-password-hash", "app/bad_hash.py", 4),
    ("insecure-patterns", "tls-verify-disabled", "app/bad_tls.py", 4),
    ("insecure-patterns", "debug-mode-enabled", "app/bad_flask.py", 4),
    ("insecure-patterns", "django-debug-enabled", "proj/settings.py", 1),
    ("insecure-patterns", "django-debug-enabled", "proj/settings/production.py", 1),
    ("insecure-patterns", "sql-string-formatting", "app/bad_sql.py", 2),
    ("insecure-patterns", "secret-in-log", "app/bad_log.py", 6),
    ("insecure-patterns", "stack-trace-in-response", "app/bad_trace.py", 11),
    ("insecure-patterns", "jwt-without-expiry", "app/bad_jwt.py", 4),
    ("insecure-patterns", "hardcoded-default-credentials", "app/bad_creds.py", 4),
    ("error-handling", "http-call-without-timeout", "app/bad_timeout.py", 4),
    ("error-handling", "silent-except", "app/bad_except.py", 8),
    ("error-handling", "bare-except-swallow", "app/bad_except.py", 14),
}

OK = {
    "app/ok_hash.py": """
        import hashlib

        def etag(body):
            return hashlib.md5(body).hexdigest()

        def store(password, salt):
            return hashlib.pbkdf2_hmac("sha256", password.encode(), salt, 600_000)
        """,
    "app/ok_tls.py": """
        import requests

        def fetch(url, bundle):
            return requests.get(url, verify=bundle, timeout=5)
        """,
    "app/ok_flask.py": """
        import os
        from flask import Flask

        app = Flask(__name__)
        app.run(debug=os.environ.get("FLASK_DEBUG") == "1")
        """,
    "proj/settings_test.py": """
        DEBUG = True
        """,
    "proj/settings/local.py": """
        DEBUG = True
        """,
    "proj/config.py": """
        DEBUG = True
        """,
    "app/ok_sql.py": """
        def find(cursor, name):
            cursor.execute("SELECT * FROM users WHERE name = %s", (name,))
        """,
    "app/ok_log.py": """
        import logging

        logger = logging.getLogger(__name__)

        def login(user, password):
            logger.info("login for %s", user)
        """,
    "app/ok_trace.py": """
        import logging
        from flask import Flask, jsonify

        app = Flask(__name__)
        logger = logging.getLogger(__name__)

        @app.route("/x")
        def view():
            try:
                return work()
            except Exception:
                logger.exception("failed")
                return jsonify(error="internal error"), 500
        """,
    "app/ok_jwt.py": """
        import datetime
        import jwt

        def issue(user, key):
            exp = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(minutes=5)
            return jwt.encode({"sub": user, "exp": exp}, key, algorithm="HS256")
        """,
    "app/ok_creds.py": """
        import os
        import psycopg2

        def connect():
            return psycopg2.connect(host="db", user="app", password=os.environ["DB_PASSWORD"])
        """,
    "app/ok_timeout.py": """
        import requests

        def fetch(url):
            return requests.get(url, timeout=(3.05, 27))
        """,
    "app/ok_except.py": """
        import logging

        logger = logging.getLogger(__name__)

        def work():
            return 1

        def a():
            try:
                work()
            except KeyError:
                pass

        def b():
            try:
                return work()
            except Exception:
                logger.exception("failed")
                raise
        """,
}

HOSTILE = {
    # excluded for both checks by the default globs (error-handling) / the configured ones
    "tests/test_app.py": """
        import requests

        def test_x():
            requests.get("http://x")
            try:
                pass
            except Exception:
                pass
        """,
    # excluded for insecure-patterns only (configured), still scanned for error-handling
    "scripts/tool.py": """
        import hashlib
        import requests

        def run(password, url):
            hashlib.md5(password.encode())
            requests.get(url)
        """,
    # nosemgrep: honoured for error-handling (inline-suppressions: true), not for insecure-patterns
    "app/nosem.py": """
        import requests

        def a(url):
            try:
                requests.get(url, verify=False, timeout=5)  # nosemgrep
            except Exception:
                pass  # nosemgrep: silent-except
        """,
    # the repository tries to hide files from semgrep
    ".semgrepignore": "app/\nproj/\n*.py\n",
    # a file name that looks like an option
    "-rf.py": """
        import requests

        def f(url):
            return requests.post(url)
        """,
    # an extensionless script with a python shebang
    "bin/tool": """
        #!/usr/bin/env python3
        import requests
        requests.get("http://example.invalid")
        """,
    # semgrep can only partly parse this one
    "app/broken.py": """
        }}}}
        try:
            x()
        except Exception:
            pass
        """,
}

CONFIG = """
version: 1
checks:
  insecure-patterns:
    exclude: ["tests/**", "scripts/**"]
  error-handling:
    inline-suppressions: true
"""

OUTSIDE_CODE = """
import requests
requests.get("http://outside.invalid")
"""


@pytest.fixture(scope="module")
def gate_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Report, int, Path]:
    base = tmp_path_factory.mktemp("patterns")
    root = write_tree(base / "repo", {**BAD, **OK, **HOSTILE})
    outside = write_tree(base / "outside", {"evil.py": OUTSIDE_CODE})
    (root / "app" / "link.py").symlink_to(outside / "evil.py")
    (root / "app" / "alias.py").symlink_to(root / "app" / "bad_tls.py")  # in-tree: scanned once
    # a wrapper that counts semgrep invocations, then runs the real semgrep
    counter = base / "count"
    wrapper = base / "semgrep-counting"
    wrapper.write_text(f'#!/bin/sh\necho run >> "{counter}"\nexec "{REAL_SEMGREP}" "$@"\n', encoding="utf-8")
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR)
    before = sorted(p.relative_to(root).as_posix() for p in root.rglob("*"))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("READINESS_GATE_SEMGREP_BIN", str(wrapper))
        report = run_all(root, config=CONFIG, only=["insecure-patterns", "error-handling"])
    runs = len(counter.read_text().splitlines()) if counter.exists() else 0
    # nothing is written into the scanned tree (docs/threats.md row 4)
    assert sorted(p.relative_to(root).as_posix() for p in root.rglob("*")) == before
    return report, runs, root


def _check(report: Report, check_id: str) -> CheckReport:
    return next(c for c in report.checks if c.id == check_id)


def _found(report: Report) -> set[tuple[str, str, str, int]]:
    return {(c.id, f.rule, f.path or "", f.line or 0) for c in report.checks for f in c.findings}


def test_both_checks_share_one_semgrep_invocation(gate_run: tuple[Report, int, Path]) -> None:
    report, runs, _ = gate_run
    # one semgrep process for the rules that see every file, one for stack-trace-in-response on
    # the files that could hold a finding (its readiness-prefilter); the second check adds none
    assert runs == 2
    for cid in ("insecure-patterns", "error-handling"):
        check = _check(report, cid)
        assert check.status is Status.FAIL, check.summary
        assert [t.name for t in check.tools] == ["semgrep"]
        assert check.tools[0].version[0].isdigit()
    assert not report.ready


def test_every_rule_fires_on_its_bad_example(gate_run: tuple[Report, int, Path]) -> None:
    found = _found(gate_run[0])
    assert EXPECTED_BAD <= found, sorted(EXPECTED_BAD - found)


def test_no_rule_fires_on_the_ok_examples(gate_run: tuple[Report, int, Path]) -> None:
    found = _found(gate_run[0])
    assert not [f for f in found if f[2] in OK]


def test_severity_is_mapped_from_the_rule(gate_run: tuple[Report, int, Path]) -> None:
    report = gate_run[0]
    by_rule = {f.rule: f.severity for c in report.checks for f in c.findings}
    assert by_rule["weak-password-hash"] is Severity.HIGH          # ERROR
    assert by_rule["http-call-without-timeout"] is Severity.MEDIUM  # WARNING


def test_exclude_globs_are_honoured_per_check(gate_run: tuple[Report, int, Path]) -> None:
    found = _found(gate_run[0])
    assert not [f for f in found if f[2].startswith("tests/")]
    # scripts/ is excluded for insecure-patterns only
    assert ("error-handling", "http-call-without-timeout", "scripts/tool.py", 6) in found
    assert not [f for f in found if f[0] == "insecure-patterns" and f[2].startswith("scripts/")]


def test_nosemgrep_reported_unless_the_check_allows_it(gate_run: tuple[Report, int, Path]) -> None:
    report = gate_run[0]
    insecure = [f for f in _check(report, "insecure-patterns").findings if f.path == "app/nosem.py"]
    assert [(f.rule, f.line) for f in insecure] == [("tls-verify-disabled", 5)]
    assert "nosemgrep: not honoured" in insecure[0].message
    assert insecure[0].blocking
    errors = _check(report, "error-handling")
    assert not [f for f in errors.findings if f.path == "app/nosem.py" and f.rule == "silent-except"]
    assert any("suppressed inline" in e for e in errors.evidence)


def test_hostile_names_and_semgrepignore_do_not_hide_files(gate_run: tuple[Report, int, Path]) -> None:
    found = _found(gate_run[0])
    assert ("error-handling", "http-call-without-timeout", "-rf.py", 4) in found
    assert ("error-handling", "http-call-without-timeout", "bin/tool", 3) in found


def test_symlink_out_of_the_tree_is_never_scanned(gate_run: tuple[Report, int, Path]) -> None:
    report = gate_run[0]
    assert not [f for c in report.checks for f in c.findings if "link" in (f.path or "") or "evil" in (f.path or "")]
    assert any(s.path == "app/link.py" and "leaves" in s.reason for s in report.skipped)


def test_in_tree_symlink_is_scanned_once_as_its_target(gate_run: tuple[Report, int, Path]) -> None:
    tls = [f for f in _check(gate_run[0], "insecure-patterns").findings if f.rule == "tls-verify-disabled"]
    assert sorted(f.path or "" for f in tls) == ["app/bad_tls.py", "app/nosem.py"]


def test_partly_parsed_file_is_a_named_skip(gate_run: tuple[Report, int, Path]) -> None:
    for cid in ("insecure-patterns", "error-handling"):
        skips = {s.path: s.reason for s in _check(gate_run[0], cid).skipped}
        assert "app/broken.py" in skips and "could not parse lines 1" in skips["app/broken.py"]


def test_no_matched_code_reaches_the_report(gate_run: tuple[Report, int, Path]) -> None:
    report = gate_run[0]
    log = [f for f in _check(report, "insecure-patterns").findings if f.rule == "secret-in-log"]
    assert log and len(log[0].fingerprint) == 32
    text = repr(report)
    assert PLANTED not in text
    assert "hashlib.md5(password" not in text


def test_fingerprints_are_stable_when_lines_move(tmp_path: Path) -> None:
    """Same finding after unrelated lines are added above it: same fingerprint, new line; a
    second identical line gets its own fingerprint. (The adapter with one rule file, for speed.)"""
    code = "import requests\n\ndef f(url):\n    return requests.get(url)\n"
    root = write_tree(tmp_path / "r", {"a.py": code})
    rule = policy_file("semgrep", "http-call-without-timeout.yml")

    def scan() -> list[tuple[int, str]]:
        result = semgrep.scan(root, ["a.py"], config=rule, timeout=300,
                              read_text=lambda p: (root / p).read_text(encoding="utf-8"))
        return [(m.line, m.fingerprint) for m in result.matches]

    first = scan()
    (root / "a.py").write_text("# a comment\n# another\n" + code + "    return requests.get(url)\n",
                               encoding="utf-8")
    second = scan()
    assert [line for line, _ in first] == [4] and [line for line, _ in second] == [6, 7]
    assert second[0][1] == first[0][1] and second[1][1] != first[0][1]


def test_diff_mode_scans_only_changed_files(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "r", {
        "old.py": "import requests\nrequests.get('http://a')\n",
        "new.py": "import requests\nrequests.get('http://b')\n",
    })
    options = RunOptions(today=TODAY, changed_paths=frozenset({"new.py", "README.md"}))
    result = run_check("error-handling", root, options=options)
    assert result.status is Status.FAIL
    assert [f.path for f in result.findings] == ["new.py"]
    assert "1 Python file" in result.evidence[0]


def test_clean_repository_passes(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "r", OK)
    result = run_check("error-handling", root)
    assert result.status is Status.PASS, result.summary
    assert result.tools and result.tools[0].name == "semgrep"


def test_no_python_files_is_not_applicable_and_runs_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = write_tree(tmp_path / "r", {"README.md": "# hi\n", "tests/test_a.py": "import requests\n"})
    monkeypatch.setenv("READINESS_GATE_SEMGREP_BIN", str(tmp_path / "does-not-exist"))
    result = run_check("insecure-patterns", root)
    assert result.status is Status.SKIPPED
    assert "no Python files" in result.summary
