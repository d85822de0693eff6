"""No secret value ever reaches an output (``docs/threats.md`` row 5, promise 3).

Plants one fake credential of every detector's shape (plus PEM key bodies), runs the check, the
whole gate and the CLI with every renderer, captures stdout, stderr and logs, and greps all of it
for every value.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import stat
from pathlib import Path

import pytest

from helpers import git_init, run_all, run_check, write_tree
from secret_samples import pem, samples

from gate.model import Status
from gate.render import RENDERERS, get_renderer


def _planted(tmp_path: Path) -> tuple[Path, list[str]]:
    items = samples()
    rsa, rsa_body = pem("RSA PRIVATE KEY")
    enc, enc_body = pem("ENCRYPTED PRIVATE KEY")
    files = {"config/settings.py": "\n".join(s.line for s in items) + "\n",
             "deploy/id_rsa": rsa + "\n", "deploy/key.pem": enc + "\n",
             "docs/notes.md": "Rotate: " + items[0].value + "\n"}
    repo = write_tree(tmp_path / "repo", files)
    git_init(repo)
    values = [s.value for s in items] + [rsa_body, enc_body] + [rsa_body[:64], enc_body[:64]]
    return repo, values


def _assert_clean(text: str, values: list[str], where: str) -> None:
    for v in values:
        assert v not in text, f"a planted secret value leaked into {where}"


def test_check_result_never_carries_values(tmp_path: Path) -> None:
    repo, values = _planted(tmp_path)
    result = run_check("secrets", repo)
    assert result.status is Status.FAIL and len(result.findings) >= len(samples())
    _assert_clean(repr(result), values, "the CheckResult")


def test_gate_renderers_cli_and_logs_never_carry_values(tmp_path: Path, capsys, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    repo, values = _planted(tmp_path)
    report = run_all(repo)
    secrets = [c for g in report.gates for c in g.checks if c.id == "secrets"][0]
    assert secrets.status is Status.FAIL
    outputs = {"report": repr(report)}
    for fmt, target in RENDERERS.items():
        if importlib.util.find_spec(target.partition(":")[0]) is None:
            continue
        outputs[fmt] = get_renderer(fmt).render(report)
    assert {"json", "sarif", "markdown", "text"} & set(outputs), "no renderer available"
    from gate.cli import main
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    code = main(["check", str(repo), "--format", "text", "--json-output", str(out_dir / "r.json"),
                 "--sarif-output", str(out_dir / "r.sarif"), "--markdown-output", str(out_dir / "r.md")])
    assert code == 1
    for f in out_dir.iterdir():
        outputs[f.name] = f.read_text()
    captured = capsys.readouterr()
    outputs["stdout"], outputs["stderr"] = captured.out, captured.err
    outputs["logs"] = "\n".join(r.getMessage() for r in caplog.records)
    for where, text in outputs.items():
        _assert_clean(text, values, where)
    # The findings are there, by type and fingerprint only.
    assert "github-token" in outputs.get("r.json", "") or "github-token" in outputs["stdout"]


def test_scanner_stderr_with_values_is_redacted(tmp_path: Path, monkeypatch) -> None:
    repo, values = _planted(tmp_path)
    dump = tmp_path / "dump.txt"
    # A crashing scanner may echo offending source lines (as a traceback would) and token-shaped
    # values on their own; a bare generic password without context is indistinguishable from a
    # word and is not expected to be redacted.
    bare = [s.value for s in samples() if s.rule != "secret-keyword"]
    dump.write_text("\n".join(s.line for s in samples()) + "\n" + "\n".join(bare) + "\n"
                    + pem()[0] + "\n")
    fake = tmp_path / "fake"
    fake.write_text(f"#!/bin/sh\ncat '{dump}' >&2\nexit 3\n")
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("READINESS_GATE_DETECT_SECRETS_BIN", str(fake))
    result = run_check("secrets", repo)
    assert result.status is Status.ERROR and "exited with status 3" in result.summary
    _assert_clean(result.summary, values, "the error message")
