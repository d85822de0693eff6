"""The comment's single lines and fixed sections, shared by :mod:`gate.render.markdown`.

Status and deferral-state icons, the verdict heading, one finding's line, deferral notes and
rows, "Changes since the base branch" (the report's delta, kept at the top of the comment) and
the footer. Every string taken from the report goes through :mod:`gate.render.escape`, with the
per-field character caps below (enough for any real message, small enough that one hostile
field cannot fill the comment).
"""

from __future__ import annotations

from typing import List, Optional

from gate.model import ApprovalState, DeferralRecord, DeferralState, Finding, Report, Status
from gate.render.escape import escape_markdown, file_url, markdown_link, safe_url
from gate.render.interface import RenderOptions
from gate.render.text import days_phrase, location_phrase, plural

JOB_SUMMARY_LIMIT_BYTES = 1_048_576
"""GitHub's limit for one step's job summary (``GITHUB_STEP_SUMMARY``): 1 MiB ("Adding a job
summary", GitHub Actions documentation)."""

JOB_SUMMARY_MAX_CHARS = JOB_SUMMARY_LIMIT_BYTES // 4
"""``max_chars`` that keeps a job summary under 1 MiB whatever the text (UTF-8 uses at most 4
bytes per character)."""

STATUS_ICONS = {
    Status.PASS: "✅",
    Status.FAIL: "❌",
    Status.ERROR: "⚠️",
    Status.DEFERRED: "🕒",
    Status.SKIPPED: "➖",
}
"""Emoji shown before a status word."""

STATE_ICONS = {
    DeferralState.ACTIVE: "✅",
    DeferralState.EXPIRING: "⏳",
    DeferralState.EXPIRED: "⛔",
    DeferralState.PENDING: "✋",
    DeferralState.STALE: "🧹",
}
"""Emoji shown before a deferral state."""

_APPROVAL = {
    ApprovalState.UNVERIFIED: "not verified",
    ApprovalState.TRUSTED_BASE: "approved on the base branch",
    ApprovalState.APPROVED: "approved on this head",
    ApprovalState.PENDING: "approval pending",
}

# Characters of *source* text kept per field (escaping may grow it): enough for any real message,
# small enough that one hostile field cannot fill the comment.
_MESSAGE = 1_000
_SUMMARY = 2_000
_PATH = 400
_ID = 200
_REASON = 500

def _status(s: Status) -> str:
    return f"{STATUS_ICONS[s]} {s.value}"


def verdict_heading(report: Report) -> str:
    """``## ✅ Ready`` or ``## ❌ Not ready: N blocking checks``."""
    if report.ready:
        return "## ✅ Ready"
    n = len(report.blocking_checks)
    return f"## ❌ Not ready: {n} blocking check{'' if n == 1 else 's'}"


def _finding_line(f: Finding, options: RenderOptions) -> str:
    parts = [f"**{f.severity.value}**", escape_markdown(f.rule, _ID)]
    where = location_phrase(f)
    if where:
        label = escape_markdown(where, _PATH)
        parts.append(markdown_link(label, file_url(options.file_url, f.path or "", f.line)))
    line = "- " + " · ".join(parts) + " — " + escape_markdown(f.message, _MESSAGE)
    extras = []
    if f.deferred_by:
        extras.append(f"deferred by {escape_markdown(f.deferred_by, _ID)}")
    if not f.blocking:
        extras.append("informational")
    if f.new:
        extras.append("new in this change")
    elif f.new is False:
        extras.append("pre-existing")
    if extras:
        line += " (" + "; ".join(extras) + ")"
    return line


def _deferral_note(d: DeferralRecord) -> str:
    """The applied deferral under a check heading, with approver, ticket, expiry, days left."""
    return (f"Deferred by {escape_markdown(d.ticket, _ID)}, approved by {escape_markdown(d.approved_by, _ID)} "
            f"({_APPROVAL[d.approval]}), expires {d.expires.isoformat()} ({days_phrase(d)}).")


def _unapplied_note(d: DeferralRecord) -> Optional[str]:
    """Under a check heading: why a deferral naming the check does not cover it."""
    ticket = escape_markdown(d.ticket, _ID)
    if d.state is DeferralState.EXPIRED:
        return f"Deferral {ticket} expired on {d.expires.isoformat()} ({days_phrase(d)}); it covers nothing."
    if d.state is DeferralState.PENDING:
        return (f"Deferral {ticket} is pending approval by {escape_markdown(d.approved_by, _ID)}; "
                "until then it covers nothing.")
    return None


def _deferral_row(d: DeferralRecord) -> str:
    state = f"{STATE_ICONS[d.state]} {d.state.value}"
    if d.state is DeferralState.PENDING:
        state += f" by {escape_markdown(d.approved_by, _ID)}"
    if d.state in (DeferralState.PENDING, DeferralState.STALE, DeferralState.EXPIRED) and d.note:
        state += ": " + escape_markdown(d.note, _REASON)
    cells = [
        escape_markdown(d.ticket, _ID),
        escape_markdown(d.check, _ID) + (" / " + escape_markdown(d.finding, _ID) if d.finding else ""),
        f"{escape_markdown(d.approved_by, _ID)} ({_APPROVAL[d.approval]})",
        d.expires.isoformat(),
        str(d.days_left),
        state,
        escape_markdown(d.reason, _REASON),
    ]
    return "| " + " | ".join(cells) + " |"


DELTA_FINDINGS_SHOWN = 10
"""New (and fixed) findings listed per check in "Changes since the base branch"; the rest are counted."""


def delta_section(report: Report, options: RenderOptions, compact: int = 0) -> List[str]:
    """"Changes since the base branch" (:mod:`gate.delta`), the comment's first section: the
    headline, each gate and check whose status changed (``runbooks: pass → fail``), new and fixed
    findings per check (at most :data:`DELTA_FINDINGS_SHOWN` each listed; none when ``compact``),
    deferrals added and removed (not when ``compact >= 2``). Empty without a delta."""
    d = report.delta
    if d is None:
        return []
    out = ["### Changes since the base branch", "", f"**{escape_markdown(d.headline(report.ready), _MESSAGE)}**", ""]
    rows = [f"- {STATUS_ICONS.get(g.after, '➖') if g.after else '➖'} gate {escape_markdown(g.phrase, _MESSAGE)}"
            for g in d.gates]
    rows += [f"- {STATUS_ICONS.get(c.after, '➖') if c.after else '➖'} {escape_markdown(c.phrase, _MESSAGE)}"
             for c in d.checks]
    for fc in d.findings:
        counts = [plural(fc.new_count, "new finding")] if fc.new_count else []
        counts += [f"{fc.fixed_count} fixed"] if fc.fixed_count else []
        rows.append(f"- {escape_markdown(fc.check, _ID)}: {', '.join(counts)}")
        if compact == 0:
            for word, items, total in (("new", fc.new, fc.new_count), ("fixed", fc.fixed, fc.fixed_count)):
                rows += ["  " + _finding_line(f, options).replace("- ", f"- {word}: ", 1)
                         for f in items[:DELTA_FINDINGS_SHOWN]]
                if total > DELTA_FINDINGS_SHOWN:
                    rows.append(f"  - … {total - DELTA_FINDINGS_SHOWN} more {word} (see the JSON report)")
    if compact < 2:
        for verb, records in (("added", d.deferrals_added), ("removed", d.deferrals_removed)):
            rows += [f"- Deferral {verb}: {escape_markdown(r.ticket, _ID)} ({escape_markdown(r.check, _ID)}), "
                     f"expires {r.expires.isoformat()}, approved by {escape_markdown(r.approved_by, _ID)}"
                     for r in records]
    out += rows or ["- No check, finding or deferral changed."]
    base = "a baseline report" if d.source == "report" else "the base commit (evidence checks re-run on it)"
    if d.base_commit:
        base += f", {escape_markdown(d.base_commit[:12], 12)}"
    note = f"Compared with {base}."
    if d.not_compared:
        note += (f" Not re-run on the base: {escape_markdown(', '.join(d.not_compared), _MESSAGE)}; their new "
                 "findings are the ones diff mode marks new.")
    return out + ["", f"_{note}_"]


def _footer(report: Report, options: RenderOptions) -> str:
    parts = [f"readiness-gate {escape_markdown(report.tool_version, _ID)}"]
    tools = ", ".join(f"{escape_markdown(t.name, _ID)} {escape_markdown(t.version, _ID)}" for t in report.tools)
    parts.append(f"scanners: {tools or 'none'}")
    if report.service:
        parts.append(f"service {escape_markdown(report.service, _ID)}")
    if report.commit:
        parts.append(f"commit {escape_markdown(report.commit[:12], 12)}")
    parts.append(f"config {escape_markdown(report.config_source, _PATH)} (profile {escape_markdown(report.profile, _ID)})")
    parts.append("diff-aware scan" if report.mode == "diff" else "full scan")
    # Passing checks are not listed above, so say here that pre-existing findings exist.
    pre = sum(1 for c in report.checks for f in c.findings if f.new is False and not f.blocking)
    if pre:
        parts.append(f"{plural(pre, 'pre-existing finding')} in changed files not blocking (see the JSON or SARIF report)")
    run = safe_url(options.run_url)
    if run:
        parts.append(f"[View the run]({run})")
    return "<sub>" + " · ".join(parts) + "</sub>"


# --------------------------------------------------------------------------------------------
# Parts: each is some fixed lines plus units the budget may take (a prefix of them).


__all__ = ["JOB_SUMMARY_LIMIT_BYTES", "JOB_SUMMARY_MAX_CHARS", "STATE_ICONS", "STATUS_ICONS", "delta_section", "verdict_heading"]
