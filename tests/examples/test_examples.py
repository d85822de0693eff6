"""The two example repositories the README runs the gate on, and the outcome they must have.

``examples/ready-service`` is a small real Flask service that passes every check of the default
profile; ``examples/mvp-service`` is the same service as a weekend MVP that fails most of them,
with one approved deferral that is still valid and one that expired.

Each example is checked the way a user does it: ``readiness-gate check examples/<name>`` (the
CLI's ``main``, text output), which finds the example's own readiness.yml
(:func:`gate.config.load_config`) and runs :func:`gate.runner.run_gate` with the example
directory as the repository root. The examples are not git repositories, so the inventory walks
them. The JSON report the same run writes (``--json-output``) is read back into a
:class:`~gate.model.Report` for the detailed assertions, so each example is scanned once.

Everything is real: detect-secrets, pip-audit and semgrep run on the examples, and pip-audit
queries a loopback OSV server (``tests/servers/osv.py``) serving real advisories from
``tests/data/osv``, so the ``dependencies`` outcome does not depend on the network. The date is
pinned to :data:`helpers.TODAY` (2026-11-21), which the deferrals' expiry depends on.
"""

from __future__ import annotations

import io
import json
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

import pytest
from helpers import TODAY
from servers.osv import OsvServer

from gate.checks.registry import check_ids
from gate.cli import main
from gate.model import CheckReport, DeferralState, Report, Status
from gate.render.json_report import load_report

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
READY = EXAMPLES / "ready-service"
MVP = EXAMPLES / "mvp-service"

READY_EXPECTED: dict[str, str] = {cid: "pass" for cid in check_ids()}
"""Every check of the default profile passes on the ready example."""

MVP_EXPECTED: dict[str, str] = {
    "secrets": "fail",             # AWS's documented example key pair in settings.py
    "dependencies": "fail",        # requests==2.19.1 (PYSEC-2018-28) and an unpinned `flask`
    "insecure-patterns": "fail",   # md5 password hashing, debug=True, SQL built with % and f-strings
    "dependency-updates": "pass",  # the one-click Dependabot config: the MVP does one thing right
    "security-policy": "fail",     # no SECURITY.md
    "error-handling": "fail",      # requests.get without timeout, bare `except: pass`
    "observability": "fail",       # print() logging, no metrics, no alerts (a /health route only)
    "deploy-pipeline": "fail",     # deploy.sh from a laptop; CI runs tests on pull requests only
    "rollback": "fail",            # no rollback path; migration 0002's downgrade() is `pass`
    "backups": "deferred",         # no backups, covered by deferral PAY-142 (valid until 2030-12-31)
    "load-test": "fail",           # no load test (advisory in the default profile)
    "runbooks": "fail",            # one TODO runbook; deferral PAY-97 expired on 2026-01-31
    "ownership": "fail",           # no owners, no CODEOWNERS
    "operations-docs": "fail",     # README has only "Getting started" (advisory)
}


@dataclass(frozen=True)
class Run:
    """One ``readiness-gate check`` of an example: exit code, text output, and the report."""

    code: int
    text: str
    """Everything the CLI printed (the text report, and stderr)."""
    json_text: str
    report: Report


def _cli(args: list[str]) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(args)
    return code, out.getvalue() + err.getvalue()


def _check_example(root: Path, osv: OsvServer, tmp: Path) -> Run:
    json_path = tmp / "report.json"
    code, text = _cli(["check", str(root), "--osv-url", osv.base_url, "--today", TODAY.isoformat(),
                       "--color", "never", "--no-progress", "--json-output", str(json_path)])
    json_text = json_path.read_text(encoding="utf-8")
    return Run(code, text, json_text, load_report(json_text))


@pytest.fixture(scope="module")
def osv_server():
    """A loopback OSV API serving the real advisories in tests/data/osv."""
    with OsvServer.from_directory() as server:
        yield server


@pytest.fixture(scope="module")
def ready(osv_server: OsvServer, tmp_path_factory: pytest.TempPathFactory) -> Run:
    return _check_example(READY, osv_server, tmp_path_factory.mktemp("ready"))


@pytest.fixture(scope="module")
def mvp(osv_server: OsvServer, tmp_path_factory: pytest.TempPathFactory) -> Run:
    return _check_example(MVP, osv_server, tmp_path_factory.mktemp("mvp"))


def _statuses(report: Report) -> dict[str, str]:
    return {c.id: c.status.value for g in report.gates for c in g.checks}


def _check(report: Report, check_id: str) -> CheckReport:
    return next(c for g in report.gates for c in g.checks if c.id == check_id)


def _explain(report: Report, check_id: str) -> str:
    c = _check(report, check_id)
    lines = [f"{c.id}: {c.status.value}: {c.summary}"]
    lines += [f"  {f.rule} {f.path}:{f.line} {f.message}" for f in c.findings]
    return "\n".join(lines)


def test_expectations_name_every_check() -> None:
    assert set(READY_EXPECTED) == set(check_ids()) == set(MVP_EXPECTED)


def test_examples_are_not_git_repositories() -> None:
    # They live inside readiness-gate's repository; the gate scans them as plain directories.
    assert not (READY / ".git").exists() and not (MVP / ".git").exists()


@pytest.mark.parametrize("check_id", check_ids())
def test_ready_service_check_status(ready: Run, check_id: str) -> None:
    assert _statuses(ready.report)[check_id] == READY_EXPECTED[check_id], _explain(ready.report, check_id)


@pytest.mark.parametrize("check_id", check_ids())
def test_mvp_service_check_status(mvp: Run, check_id: str) -> None:
    assert _statuses(mvp.report)[check_id] == MVP_EXPECTED[check_id], _explain(mvp.report, check_id)


def test_ready_service_is_ready_and_exits_0(ready: Run) -> None:
    assert ready.code == 0, ready.text
    assert ready.text.startswith("READY")
    assert ready.report.ready
    assert ready.report.config_source == "readiness.yml"
    assert (ready.report.service, ready.report.profile) == ("payments-api", "default")
    assert ready.report.deferrals == ()
    assert ready.report.skipped == ()
    findings = [f"{c.id}: {f.rule} {f.path}" for g in ready.report.gates for c in g.checks for f in c.findings]
    assert findings == []


def test_mvp_service_is_not_ready_and_exits_1(mvp: Run) -> None:
    assert mvp.code == 1, mvp.text
    assert mvp.text.startswith("NOT READY")
    assert not mvp.report.ready


def test_mvp_deferrals_one_active_one_expired(mvp: Run) -> None:
    records = {r.ticket: r for r in mvp.report.deferrals}
    assert set(records) == {"PAY-142", "PAY-97"}
    active, expired = records["PAY-142"], records["PAY-97"]
    assert (active.check, active.state) == ("backups", DeferralState.ACTIVE)
    assert active.days_left == (active.expires - TODAY).days > 365
    assert (expired.check, expired.state) == ("runbooks", DeferralState.EXPIRED)
    assert expired.days_left < 0
    # The expired deferral covers nothing: runbooks fails and says why.
    runbooks = _check(mvp.report, "runbooks")
    assert runbooks.status is Status.FAIL
    assert "PAY-97 expired on 2026-01-31" in runbooks.summary
    assert all(f.deferred_by is None for f in runbooks.findings)
    backups = _check(mvp.report, "backups")
    assert backups.status is Status.DEFERRED
    blocking = [f for f in backups.findings if f.blocking]
    assert blocking and all(f.deferred_by == "PAY-142" for f in blocking)


def test_mvp_rollback_names_the_irreversible_migration(mvp: Run) -> None:
    findings = _check(mvp.report, "rollback").findings
    irreversible = [(f.path, f.line) for f in findings if f.rule == "irreversible-migration"]
    assert irreversible == [("migrations/versions/0002_payment_status.py", 18)]
    assert any(f.rule == "no-rollback-path" for f in findings)


def test_mvp_dependencies_finds_the_advisory_and_the_unpinned_requirement(mvp: Run) -> None:
    findings = _check(mvp.report, "dependencies").findings
    advisories = {f.rule for f in findings if f.rule.startswith("PYSEC-")}
    assert "PYSEC-2018-28" in advisories
    unpinned = [f for f in findings if f.rule == "unpinned-requirement"]
    assert [(f.path, f.line) for f in unpinned] == [("requirements.txt", 1)]
    assert "flask" in unpinned[0].message


def test_mvp_secrets_finds_the_key_without_printing_it(mvp: Run) -> None:
    findings = _check(mvp.report, "secrets").findings
    assert {f.path for f in findings} == {"settings.py"}
    assert "aws-access-key" in {f.rule for f in findings}
    for value in ("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"):
        assert value not in mvp.text and value not in mvp.json_text


def test_mvp_code_findings(mvp: Run) -> None:
    def found(check_id: str) -> set[tuple[str, str, int]]:
        return {(f.rule.rsplit(".", 1)[-1], f.path, f.line) for f in _check(mvp.report, check_id).findings}

    assert found("insecure-patterns") == {
        ("weak-password-hash", "app.py", 24),      # hashlib.md5(password...)
        ("sql-string-formatting", "app.py", 39),   # "... WHERE id = '%s'" % (...)
        ("sql-string-formatting", "app.py", 72),   # f"SELECT ... {payment_id}"
        ("debug-mode-enabled", "app.py", 82),      # app.run(debug=True)
    }, _explain(mvp.report, "insecure-patterns")
    assert found("error-handling") == {
        ("http-call-without-timeout", "app.py", 29),  # requests.get(...) without timeout
        ("silent-except", "app.py", 33),              # except: pass
    }, _explain(mvp.report, "error-handling")


@pytest.mark.parametrize(("example", "code"), [(READY, 0), (MVP, 1)])
def test_readme_offline_osv_database(example: Path, code: int) -> None:
    """The README's first command audits dependencies with ``--osv-db examples/osv-db`` (OSV
    records served to pip-audit on loopback), so it needs no network: same answer offline."""
    rc, text = _cli(["check", str(example), "--only", "dependencies", "--osv-db", str(EXAMPLES / "osv-db"),
                     "--today", TODAY.isoformat(), "--color", "never", "--no-progress"])
    assert rc == code, text
    assert ("PYSEC-2018-28" in text) is (code == 1)
