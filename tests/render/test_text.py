"""Text renderer: verdict first, sections per gate, no injected escape sequences, colour only on request."""

from __future__ import annotations

import re

import pytest
from render_fixtures import ALL_REPORTS, HOSTILE, big_report, check_golden, not_ready_report, ready_report

from gate.render import RenderOptions, get_renderer
from gate.render.text import progress_line

_SGR = re.compile(r"\x1b\[[0-9;]*m")


@pytest.mark.parametrize("name", sorted(ALL_REPORTS))
def test_golden(name):
    check_golden(f"{name}.txt", get_renderer("text").render(ALL_REPORTS[name]()))


def test_golden_colour():
    check_golden("not_ready.color.txt", get_renderer("text").render(not_ready_report(), RenderOptions(color=True)))


def test_verdict_first():
    assert get_renderer("text").render(ready_report()).startswith("READY\n")
    out = get_renderer("text").render(not_ready_report())
    assert out.startswith("NOT READY: 4 blocking checks\n")
    assert out.splitlines()[1] == "Blocking: secrets (fail), insecure-patterns (error), rollback (fail), backups (fail)"


def test_content():
    out = get_renderer("text").render(not_ready_report())
    assert "aws-access-key  high  src/settings.py:12  AWS access key " + HOSTILE in out
    # A known vulnerability is always listed, deferred or not.
    assert "PYSEC-2018-28  high  requirements.txt:3" in out and "[deferred by SEC-101]" in out
    # Another deferred finding does not block: counted, and listed with --verbose.
    assert "+ 1 non-blocking finding (1 deferred): missing-alerts; --verbose lists them" in out
    verbose = get_renderer("text").render(not_ready_report(), RenderOptions(verbose=True))
    assert "missing-alerts  medium  no alerting rules in the repository  [deferred by OBS-7]" in verbose
    # Verdict and blocking list first and last.
    lines = out.splitlines()
    assert lines[:2] == lines[-2:]
    assert "advisory  fail" in out
    assert "OBS-7  observability: expiring, 5 days left (expires 2026-11-26)" in out
    assert "REL-3  rollback: expired on 2026-11-19 (2 days ago), covers nothing" in out
    assert "DATA-9  backups: pending-approval, 30 days left" in out and "needs an approving review from @dba-lead" in out
    assert "OPS-1  runbooks: stale" in out and "remove it" in out
    assert "Skipped paths: 4 not examined" in out and "data/dump.sql: larger than 2097152 bytes" in out
    assert "Scanners: detect-secrets 1.5.0, pip-audit 2.10.1, semgrep 1.182.0" in out
    assert "Warnings\n  ! Deferral OBS-7" in out


def test_no_colour_unless_asked():
    plain = get_renderer("text").render(not_ready_report())
    assert "\x1b" not in plain
    colour = get_renderer("text").render(not_ready_report(), RenderOptions(color=True))
    assert "\x1b[1;31mNOT READY" in colour
    # Removing our own SGR sequences gives back the plain output exactly.
    assert _SGR.sub("", colour) == plain


def test_repo_text_cannot_inject_terminal_sequences_or_log_commands():
    for opts in (RenderOptions(), RenderOptions(color=True)):
        out = get_renderer("text").render(not_ready_report(), opts)
        # Only our own colour sequences remain; the finding's ESC[2J and CR are gone.
        assert "\r" not in _SGR.sub("", out) and "\x1b" not in _SGR.sub("", out)
        assert "[2J gone" in out
        # The skipped file named "a\n::error::x.py" stays on one line; no line starts with "::".
        assert not any(line.startswith("::") for line in out.splitlines())
        assert "a ::error::x.py: not a regular file" in out


def test_skipped_list_is_capped():
    from dataclasses import replace

    from gate.model import SkippedPath
    report = replace(ready_report(), skipped=tuple(SkippedPath(f"b{i}.bin", "binary") for i in range(25)))
    out = get_renderer("text").render(report)
    assert "Skipped paths: 25 not examined" in out and "  b9.bin: binary" in out
    assert "b10.bin" not in out and "… and 15 more" in out


def test_progress_line():
    check = not_ready_report().checks[0]
    assert progress_line(check, color=False) == "✗ secrets [required] fail 0.2s — 2 secrets found"
    assert progress_line(check, color=True).startswith("\x1b[31m✗ secrets\x1b[0m")
    hostile = big_report(1).checks[0]
    from dataclasses import replace
    line = progress_line(replace(hostile, summary="x\x1b[2J\n::error::y" + "z" * 500), color=False)
    assert "\x1b" not in line and "\n" not in line and len(line) < 250


def test_deterministic():
    assert get_renderer("text").render(not_ready_report()) == get_renderer("text").render(not_ready_report())
