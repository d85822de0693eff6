"""Promise 3: no output ever contains a secret's value (``docs/threats.md`` row 5).

One fake credential of every detector's shape (``tests/checks/secrets/secret_samples.py``, built
at run time), PEM key bodies, a credential in a requirements index URL, one in a deferral's
reason and one in an invalid readiness.yml value are planted in a repository. Then everything
that can print is run, with Python logging at DEBUG for every logger (PyGithub, urllib3, ours):

* the CLI with every renderer to stdout and to files;
* the GitHub entry point against the loopback fake GitHub, for each status kind, recording every
  request body the API received, the job summary, ``GITHUB_OUTPUT`` and the report files;
* each scanner (detect-secrets, semgrep, pip-audit) replaced by a fake that echoes the planted
  lines and bare token values to stderr and then dies by SIGSEGV mid-run;
* a check that raises an exception whose message carries a token;
* a readiness.yml whose invalid value is a token (the configuration error quotes values).

Everything captured is grepped for every value: zero hits. Each run also asserts that the
channel under test did carry the surrounding text (a finding, the stderr tail, the error), so a
test cannot pass by printing nothing.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import stat
from pathlib import Path
from typing import Iterator

import pytest
from gh_helpers import Runner
from helpers import write_tree
from secret_samples import pem, samples
from servers.github import FakeGitHub

from gate.checks import registry
from gate.cli import main
from gate.render import RENDERERS

TOKEN = samples()[0].value
"""A GitHub token shape, reused where only one value is needed."""

SCANNERS = {"detect-secrets": "secrets", "semgrep": "insecure-patterns", "pip-audit": "dependencies"}
"""Tool -> a check that runs it."""


def _values() -> list[str]:
    rsa, rsa_body = pem("RSA PRIVATE KEY")
    enc, enc_body = pem("ENCRYPTED PRIVATE KEY")
    return [s.value for s in samples()] + [rsa_body[:64], enc_body[:64], rsa_body[-64:]]


def plant(root: Path) -> Path:
    """Write the repository carrying every planted value; returns ``root``."""
    items = samples()
    rsa, _ = pem("RSA PRIVATE KEY")
    enc, _ = pem("ENCRYPTED PRIVATE KEY")
    files = {
        "app/settings.py": "\n".join(s.line for s in items) + "\n",
        "deploy/id_rsa": rsa + "\n",
        "deploy/key.pem": enc + "\n",
        "docs/notes.md": f"# Notes\n\nRotate {items[1].value} soon.\n",
        "requirements.txt": f"--extra-index-url https://deploy:{items[2].value}@pypi.example/simple\nrequests==2.31.0\n",
        "readiness.yml": (
            "version: 1\n"
            "deferrals:\n"
            "  - check: security-policy\n"
            f"    reason: the old key {items[3].value} is being rotated by the platform team\n"
            '    approved-by: "@lead"\n'
            '    expires: "2026-12-31"\n'
            "    ticket: SEC-1\n"),
    }
    return write_tree(root, files, dedent=False)


def assert_clean(captured: dict[str, str]) -> None:
    """No planted value appears in any captured text."""
    values = _values()
    for where, text in captured.items():
        for v in values:
            assert v not in text, f"a planted secret value ({v[:6]}…) leaked into {where}"


@contextlib.contextmanager
def debug_logs() -> Iterator[io.StringIO]:
    """Every logger at DEBUG into one buffer (records formatted with their arguments)."""
    buf = io.StringIO()
    handler = logging.StreamHandler(buf)
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    old = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield buf
    finally:
        root.removeHandler(handler)
        root.setLevel(old)


def _cli(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


def _fake_crasher(tmp_path: Path, tool: str) -> str:
    """A fake ``tool`` that echoes the planted lines and bare token values to stderr, then SIGSEGVs.

    ``--version`` answers normally so the crash happens mid-run, not at the version probe.
    """
    dump = tmp_path / f"{tool}-dump.txt"
    bare = [s.value for s in samples() if s.rule != "secret-keyword"]
    # A bare generic password without its `password =` context is indistinguishable from a word;
    # scanners echo source lines, which carry that context.
    dump.write_text("\n".join(s.line for s in samples()) + "\n" + "\n".join(bare) + "\n"
                    + pem()[0] + "\n", encoding="utf-8")
    fake = tmp_path / f"fake-{tool}"
    fake.write_text("#!/bin/sh\n"
                    'case "$*" in *--version*) echo "1.0.0"; exit 0;; esac\n'
                    f"cat '{dump}' >&2\n"
                    "kill -SEGV $$\n", encoding="utf-8")
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    return str(fake)


def test_cli_every_renderer_with_debug_logging(tmp_path: Path) -> None:
    repo = plant(tmp_path / "repo")
    captured: dict[str, str] = {}
    with debug_logs() as logs:
        for fmt in sorted(RENDERERS):
            out = tmp_path / f"out-{fmt}"
            code, stdout, stderr = _cli(["check", str(repo), "--format", fmt, "--today", "2026-11-21",
                                         "--only", "secrets,dependencies,security-policy",
                                         "--osv-url", "http://127.0.0.1:9",
                                         "--json-output", str(out / "r.json"), "--sarif-output", str(out / "r.sarif"),
                                         "--markdown-output", str(out / "r.md")])
            assert code == 1, stderr
            captured[f"{fmt} stdout"], captured[f"{fmt} stderr"] = stdout, stderr
            for f in out.iterdir():
                captured[f"{fmt} {f.name}"] = f.read_text(encoding="utf-8")
    captured["logs"] = logs.getvalue()
    assert_clean(captured)
    # Non-vacuous: the secret findings are reported by type, and the deferral reason is shown.
    data = json.loads(captured["json stdout"])
    checks = {c["id"]: c for g in data["gates"] for c in g["checks"]}
    rules = {f["rule"] for f in checks["secrets"]["findings"]}
    assert {s.rule for s in samples()} <= rules, {s.rule for s in samples()} - rules
    assert "is being rotated by the platform team" in captured["json stdout"]


@pytest.mark.parametrize("status", ["commit-status", "check-run"])
def test_github_entry_point_request_bodies_summary_and_outputs(tmp_path: Path, gh: FakeGitHub, status: str) -> None:
    runner = Runner(tmp_path, gh)
    plant(runner.workspace)
    event = runner.pr_event(title=f"Rotate {TOKEN}", branch="rotate-keys")
    env = runner.env(event, only="secrets,security-policy", report_file="report.json", sarif_file="report.sarif",
                     status=status)
    env["RUNNER_DEBUG"] = "1"
    env["ACTIONS_STEP_DEBUG"] = "true"
    with debug_logs() as logs:
        run = runner.run(env)
    assert run.code == 1, run.stdout[-3000:]
    bodies = [json.dumps(r.body) for r in gh.requests if r.body is not None]
    assert bodies, "nothing was published: the sweep would be vacuous"
    captured = {"stdout": run.stdout, "summary": run.summary, "outputs": run.outputs_text, "logs": logs.getvalue(),
                "report.json": (runner.workspace / "report.json").read_text(encoding="utf-8"),
                "report.sarif": (runner.workspace / "report.sarif").read_text(encoding="utf-8"),
                **{f"request {i}": b for i, b in enumerate(bodies)}}
    assert_clean(captured)
    assert "github-token" in " ".join(bodies), "the findings were not published"
    # The job's own API token never appears either (PyGithub logs requests at DEBUG).
    assert "DEBUG" in captured["logs"], "debug logging was not on: the sweep would be vacuous"
    for where, text in captured.items():
        assert gh.installation_token not in text, f"the API token leaked into {where}"


@pytest.mark.parametrize("tool", sorted(SCANNERS))
def test_scanner_crashing_mid_run_with_secrets_on_stderr(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                          tool: str) -> None:
    repo = plant(tmp_path / "repo")
    monkeypatch.setenv(f"READINESS_GATE_{tool.upper().replace('-', '_')}_BIN", _fake_crasher(tmp_path, tool))
    check = SCANNERS[tool]
    out = tmp_path / "out"
    with debug_logs() as logs:
        code, stdout, stderr = _cli(["check", str(repo), "--only", check, "--format", "json",
                                     "--osv-url", "http://127.0.0.1:9", "--today", "2026-11-21",
                                     "--sarif-output", str(out / "r.sarif"), "--markdown-output", str(out / "r.md")])
    assert code == 1
    data = json.loads(stdout)
    result = {c["id"]: c for g in data["gates"] for c in g["checks"]}[check]
    assert result["status"] == "error", result["summary"]
    assert "SIGSEGV" in result["summary"], result["summary"]
    assert "[REDACTED]" in stdout, "the stderr tail did not reach the message: the sweep would be vacuous"
    assert_clean({"stdout": stdout, "stderr": stderr, "logs": logs.getvalue(),
                  **{f.name: f.read_text(encoding="utf-8") for f in out.iterdir()}})


def test_exception_message_carrying_a_token(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(registry.CHECKS, "security-policy", "check_doubles:RaisingCheck")  # type: ignore[index]
    leaked = "ghp_" + "A" * 36  # the value check_doubles.RaisingCheck raises with
    repo = write_tree(tmp_path / "repo", {"app.py": "x = 1\n"})
    with debug_logs() as logs:
        code, stdout, stderr = _cli(["check", str(repo), "--only", "security-policy", "--format", "markdown"])
    assert code == 1
    assert "boom while reading" in stdout, "the exception did not reach the report"
    for where, text in {"stdout": stdout, "stderr": stderr, "logs": logs.getvalue()}.items():
        assert leaked not in text, f"the exception's token leaked into {where}"


def test_configuration_error_quoting_a_token(tmp_path: Path) -> None:
    repo = write_tree(tmp_path / "repo", {"readiness.yml": f"version: 1\nowners: {TOKEN}\nservice: [{TOKEN}]\n"})
    code, stdout, stderr = _cli(["check", str(repo)])
    assert code == 2 and "configuration error" in stderr
    assert "owners" in stderr
    assert_clean({"stdout": stdout, "stderr": stderr})
    code, stdout, stderr = _cli(["validate", "--path", str(repo)])
    assert code == 2
    assert_clean({"stdout": stdout, "stderr": stderr})


TYPED_INTO_CONFIG = {
    # case: (readiness.yml text with {v} for a token, check to run)
    "service name": ("version: 1\nservice: {{name: 'svc-{v}'}}\n", "security-policy"),
    "backups mechanism": ("version: 1\nevidence:\n  backups:\n    mechanism: 'snapshots with {v}'\n", "backups"),
    "failure name": ("version: 1\nfailures:\n  - 'cache {v} down'\n", "runbooks"),
    "runbook path": ("version: 1\nfailures:\n  - name: db down\n    runbook: 'docs/runbooks/{v}.md'\n", "runbooks"),
}
"""Free text a team types into readiness.yml that a report may quote."""


@pytest.mark.parametrize("case", sorted(TYPED_INTO_CONFIG))
def test_values_typed_into_readiness_yml_are_never_quoted_verbatim(tmp_path: Path, case: str) -> None:
    text, check = TYPED_INTO_CONFIG[case]
    repo = write_tree(tmp_path / "repo", {"readiness.yml": text.format(v=TOKEN)}, dedent=False)
    code, stdout, stderr = _cli(["check", str(repo), "--only", check, "--format", "json", "--today", "2026-11-21"])
    assert code in (0, 1), stderr
    assert_clean({"stdout": stdout, "stderr": stderr})
    assert "[REDACTED]" in stdout, f"the {case} was not quoted at all: the test would be vacuous"
