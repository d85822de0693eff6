"""Terminal output (``--format text``), the per-check progress line, and plain-text phrasing.

Layout, verdict first::

    NOT READY: 2 blocking checks
    Blocking: secrets (fail), rollback (fail)
    readiness-gate 0.1.0 · service payments · commit 0123456 · full scan · config readiness.yml (profile default)

    Security: FAIL
      ✗ secrets               required  fail      2 secrets found
          src/settings.py:12  high  aws-access-key  AWS access key ...
    ...
    Deferrals (1)
      SEC-101  dependencies / PYSEC-2018-28  active, 60 days left (expires 2027-01-20), approved by @lead (unverified)
    Skipped paths: 2 not examined
    Warnings
    Scanners: pip-audit 2.10.1, semgrep 1.182.0

Colour (ANSI SGR codes, ECMA-48 §8.3.117) only when :attr:`RenderOptions.color` is set; the CLI
sets it for a terminal and honours ``NO_COLOR``. Every string that comes from the report goes
through :func:`gate.render.escape.one_line`, which removes ESC and other control characters and
line breaks: a hostile file name or message cannot move the cursor, clear the screen or start a
new log line; each finished line goes through :func:`gate.render.escape.safe_log_line`, so none
is a workflow command (``::error::`` after the indent, ``##[error]`` anywhere;
``docs/threats.md`` row 2).

The phrasing helpers (:func:`days_phrase`, :func:`approval_phrase`, :func:`deferral_phrase`)
are shared with the markdown and SARIF renderers so every format says the same thing. They
return *unescaped* text built from report fields: callers escape for their medium.
"""

from __future__ import annotations

from typing import Iterable, List, Optional

from gate.model import (ApprovalState, CheckReport, DeferralRecord, DeferralState, Finding, Report,
                        SkippedPath, Status)
from gate.render.escape import one_line, safe_log_line
from gate.render.interface import RenderOptions, Renderer

SYMBOLS = {
    Status.PASS: "✓",
    Status.FAIL: "✗",
    Status.ERROR: "!",
    Status.DEFERRED: "~",
    Status.SKIPPED: "-",
}
"""One-character status symbols for terminal lines."""

_ANSI = {
    Status.PASS: "32",  # green
    Status.FAIL: "31",  # red
    Status.ERROR: "1;35",  # bold magenta: "we do not know", distinct from a known failure
    Status.DEFERRED: "33",  # yellow
    Status.SKIPPED: "2",  # dim
}

SKIPPED_SHOWN = 10
"""Skipped paths listed by name in terminal output; the rest are counted (all are in JSON)."""

FIELD_LIMIT = 4_000
"""Characters shown of one repository-derived field (a message, a summary) in terminal output."""


def _paint(text: str, code: Optional[str], color: bool) -> str:
    return f"\x1b[{code}m{text}\x1b[0m" if color and code else text


def _s(text: Optional[str], limit: int = FIELD_LIMIT) -> str:
    """Report text made safe for a terminal (see module docstring)."""
    return one_line(text, limit)


def plural(n: int, word: str) -> str:
    """``1 check`` / ``2 checks``."""
    return f"{n} {word}{'' if n == 1 else 's'}"


def verdict_line(report: Report) -> str:
    """``READY`` or ``NOT READY: N blocking checks``."""
    if report.ready:
        return "READY"
    return f"NOT READY: {plural(len(report.blocking_checks), 'blocking check')}"


def days_phrase(d: DeferralRecord) -> str:
    """``60 days left`` / ``expires today`` / ``expired 2 days ago``."""
    if d.days_left > 0:
        return f"{plural(d.days_left, 'day')} left"
    if d.days_left == 0:
        return "expires today"
    return f"expired {plural(-d.days_left, 'day')} ago"


_APPROVAL_WORDS = {
    ApprovalState.UNVERIFIED: "unverified",
    ApprovalState.TRUSTED_BASE: "on the base branch",
    ApprovalState.APPROVED: "approved on this head",
    ApprovalState.PENDING: "approval pending",
}


def approval_phrase(d: DeferralRecord) -> str:
    """``@lead (unverified)``: the named approver and how far the approval was verified."""
    return f"{d.approved_by} ({_APPROVAL_WORDS[d.approval]})"


def deferral_phrase(d: DeferralRecord) -> str:
    """One line describing a deferral: target, state, days left, expiry, approver, and why.

    Examples: ``dependencies / PYSEC-2018-28: active, 60 days left (expires 2027-01-20),
    approved by @lead (unverified)``; ``rollback: expired on 2026-11-19 (2 days ago), covers
    nothing``; a ``pending-approval`` or ``stale`` deferral ends with its note (who must approve,
    or "remove it").
    """
    target = d.check + (f" / {d.finding}" if d.finding else "")
    if d.state is DeferralState.EXPIRED:
        return (f"{target}: expired on {d.expires.isoformat()} ({plural(-d.days_left, 'day')} ago), "
                f"covers nothing; approved by {approval_phrase(d)}")
    out = (f"{target}: {d.state.value}, {days_phrase(d)} (expires {d.expires.isoformat()}), "
           f"approved by {approval_phrase(d)}")
    if d.note and d.state in (DeferralState.PENDING, DeferralState.STALE):
        out += f" — {d.note}"
    return out


def location_phrase(f: Finding) -> str:
    """``path:line``, ``path`` or ``""``."""
    if not f.path:
        return ""
    return f"{f.path}:{f.line}" if f.line else f.path


def all_skipped(report: Report) -> List[tuple[Optional[str], SkippedPath]]:
    """Every skipped input: the inventory's (check None) then each check's, in report order."""
    out: List[tuple[Optional[str], SkippedPath]] = [(None, s) for s in report.skipped]
    out.extend((c.id, s) for c in report.checks for s in c.skipped)
    return out


def progress_line(check_report: CheckReport, color: bool) -> str:
    """One line for a check that just finished, printed by the CLI while the run goes on.

    Example: ``✗ secrets [required] fail 1.2s — 2 secrets found``. The summary is cut to 160
    characters and stripped of control characters.
    """
    status = check_report.status
    level = "required" if check_report.required else "advisory"
    head = f"{SYMBOLS[status]} {_s(check_report.id, 80)}"
    return safe_log_line(f"{_paint(head, _ANSI[status], color)} [{level}] {_paint(status.value, _ANSI[status], color)} "
                         f"{check_report.duration_s:.1f}s — {_s(check_report.summary, 160)}")


def _check_lines(c: CheckReport, color: bool) -> Iterable[str]:
    level = "required" if c.required else "advisory"
    sym = _paint(SYMBOLS[c.status], _ANSI[c.status], color)
    status = _paint(f"{c.status.value:<9}", _ANSI[c.status], color)
    yield f"  {sym} {_s(c.id, 80):<20} {level:<9} {status} {_s(c.summary)}"
    for f in c.findings:
        parts = [p for p in (_s(location_phrase(f), 600), f.severity.value, _s(f.rule, 200), _s(f.message)) if p]
        line = "      " + "  ".join(parts)
        if f.deferred_by:
            line += f"  [deferred by {_s(f.deferred_by, 200)}]"
        if not f.blocking:
            line += "  [informational]"
        if f.new:
            line += "  [new]"
        elif f.new is False:
            line += "  [pre-existing]"
        yield _paint(line, "2", color) if (f.deferred_by or not f.blocking) else line


def delta_lines(report: Report) -> List[str]:
    """"Changes since the base branch" (:mod:`gate.delta`): the headline, each gate and check
    whose status changed (``runbooks: pass → fail``), new and fixed findings per check, deferrals
    added and removed; empty without a delta."""
    d = report.delta
    if d is None:
        return []
    base = "baseline report" if d.source == "report" else "base commit, evidence checks re-run"
    if d.base_commit:
        base += f" {_s(d.base_commit[:12], 12)}"
    lines = [f"Changes since the base branch ({base}):", f"  {_s(d.headline(report.ready))}"]
    lines += [f"  gate {_s(g.phrase, 300)}" for g in d.gates]
    lines += [f"  {_s(c.phrase, 300)}" for c in d.checks]
    for fc in d.findings:
        counts = [plural(fc.new_count, "new finding")] if fc.new_count else []
        counts += [f"{fc.fixed_count} fixed"] if fc.fixed_count else []
        lines.append(f"  {_s(fc.check, 200)}: {', '.join(counts)}")
    for verb, records in (("added", d.deferrals_added), ("removed", d.deferrals_removed)):
        lines += [f"  deferral {verb}: {_s(r.ticket, 200)} ({_s(r.check, 200)}), expires {r.expires.isoformat()}"
                  for r in records]
    if d.not_compared:
        lines.append(f"  not compared on the base: {_s(', '.join(d.not_compared), 600)} "
                     "(their new findings are the ones diff mode marks new)")
    return lines


def render_text(report: Report, color: bool = False) -> str:
    """The whole terminal report (see module docstring), newline-terminated."""
    bold_ok = "1;32" if report.ready else "1;31"
    lines = [_paint(verdict_line(report), bold_ok, color)]
    blocking = report.blocking_checks
    if blocking:
        lines.append("Blocking: " + ", ".join(f"{_s(c.id, 80)} ({c.status.value})" for c in blocking))
    meta = [f"readiness-gate {_s(report.tool_version, 80)}"]
    if report.service:
        meta.append(f"service {_s(report.service, 200)}")
    if report.commit:
        meta.append(f"commit {_s(report.commit[:12], 12)}")
    meta.append("diff-aware scan" + (f" since {_s(report.changed_since, 200)}" if report.changed_since else "")
                if report.mode == "diff" else "full scan")
    meta.append(f"config {_s(report.config_source, 600)} (profile {_s(report.profile, 80)})")
    lines.append(" · ".join(meta))
    if report.delta is not None:
        lines += [""] + delta_lines(report)

    for g in report.gates:
        if not g.checks:
            continue
        lines.append("")
        lines.append(_paint(f"{_s(g.title, 200)}: {g.status.value.upper()}", _ANSI[g.status], color))
        for c in g.checks:
            lines.extend(_check_lines(c, color))

    if report.deferrals:
        lines.append("")
        lines.append(f"Deferrals ({len(report.deferrals)})")
        for d in report.deferrals:
            lines.append(f"  {_s(d.ticket, 200)}  {_s(deferral_phrase(d))}")
            lines.append(f"      reason: {_s(d.reason)}")

    skipped = all_skipped(report)
    if skipped:
        lines.append("")
        lines.append(f"Skipped paths: {len(skipped)} not examined")
        for check_id, s in skipped[:SKIPPED_SHOWN]:
            who = f" ({_s(check_id, 80)})" if check_id else ""
            lines.append(f"  {_s(s.path, 600)}: {_s(s.reason, 600)}{who}")
        if len(skipped) > SKIPPED_SHOWN:
            lines.append(f"  … and {len(skipped) - SKIPPED_SHOWN} more (all are listed in --format json)")

    if report.warnings:
        lines.append("")
        lines.append(_paint("Warnings", "33", color))
        lines.extend(f"  ! {_s(w)}" for w in report.warnings)

    lines.append("")
    tools = ", ".join(f"{_s(t.name, 100)} {_s(t.version, 100)}" for t in report.tools) or "none"
    lines.append(f"Scanners: {tools}")
    # Fields are one-line already; a line composed of them may still start (after its indent)
    # with "::" (a finding in a file named ":" reads "::3") or carry "##[": break both keys.
    return "\n".join(safe_log_line(line) for line in lines) + "\n"


class TextRenderer(Renderer):
    """``--format text``: the terminal report."""

    name = "text"
    media_type = "text/plain"

    def render(self, report: Report, options: RenderOptions = RenderOptions()) -> str:
        """Return the terminal report; ANSI colour only when ``options.color``."""
        return render_text(report, color=options.color)


__all__ = [
    "SYMBOLS",
    "TextRenderer",
    "all_skipped",
    "approval_phrase",
    "days_phrase",
    "deferral_phrase",
    "location_phrase",
    "plural",
    "progress_line",
    "render_text",
    "verdict_line",
]
