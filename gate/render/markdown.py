"""Markdown output: the sticky pull-request comment body and the job summary.

Layout (verdict first; README, "The PR comment")::

    <!-- readiness-gate:comment -->            (RenderOptions.marker, the hidden sticky marker)
    ## ❌ Not ready: 2 blocking checks
    **Blocking:** secrets (fail) · rollback (fail)

    | Gate | Status | Checks |                 (one row per gate)
    ### Checks that need attention              (fail, error, deferred; blocking ones first)
    #### ❌ secrets — No secrets committed… (required, fail)
    2 secrets found
    <details><summary>2 findings</summary> … - **high** aws-access-key · [src/a.py:12](link) — message </details>
    ### Deferrals                               (table: ticket, check, approver, expiry, days left, state, reason)
    ### Warnings
    <details><summary>4 paths not examined</summary> … </details>
    readiness-gate 0.1.0 · scanners … · commit … · [View the run](run_url)

Every string taken from the report goes through :mod:`gate.render.escape` (no live mentions, no
HTML, no marker, no table break-out, no links but ours): on GitHub, ``publish`` renders reports
that an unprivileged job produced, so even check titles and tool versions are untrusted.

Size: a GitHub comment body holds at most 65,536 characters (the API answers 422 beyond:
:data:`gate.render.interface.GITHUB_COMMENT_LIMIT`); a job summary step at most 1 MiB
(:data:`JOB_SUMMARY_LIMIT_BYTES`). The output never exceeds :attr:`RenderOptions.max_chars`:
when the full report is longer, findings are dropped from the end (blocking checks' findings are
kept first), then the lists of deferrals, warnings and skipped paths are shortened, and a line
``Truncated: N findings not shown; see {full_report_hint}.`` says so. The verdict, the gate
table and the blocking checks' summaries are always kept.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from typing import List, Optional

from gate.model import (ApprovalState, CheckReport, DeferralRecord, DeferralState, Finding, Report,
                        Status)
from gate.render.escape import escape_markdown, file_url, markdown_link, safe_url, truncate
from gate.render.interface import RenderOptions, Renderer
from gate.render.json_report import applicable_deferral
from gate.render.text import all_skipped, days_phrase, location_phrase, plural

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

SKIPPED_SHOWN = 50
"""Skipped paths listed by name; the rest are counted."""
COMPACT_ROWS = 20
"""Deferral rows, warnings and skipped paths kept when the comment has to be compacted."""


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


@dataclass
class _Attention:
    """A check shown under "Checks that need attention", with its pre-rendered finding lines."""

    check: CheckReport
    head: List[str]
    findings: List[str]


def _attention_checks(report: Report, options: RenderOptions) -> List[_Attention]:
    """Failing, errored and deferred checks; blocking ones first (their findings survive
    truncation longest), then the others in report order."""
    wanted = [c for c in report.checks if c.status in (Status.FAIL, Status.ERROR, Status.DEFERRED)]
    ordered = [c for c in wanted if c.blocking] + [c for c in wanted if not c.blocking]
    out = []
    for c in ordered:
        level = "required" if c.required else "advisory"
        head = [f"#### {STATUS_ICONS[c.status]} {escape_markdown(c.id, _ID)} — {escape_markdown(c.title, _ID)} "
                f"({level}, {c.status.value})",
                "",
                escape_markdown(c.summary, _SUMMARY)]
        applied = applicable_deferral(c)
        if applied is not None:
            head += ["", _deferral_note(applied)]
        for d in c.deferrals:
            note = _unapplied_note(d)
            if note:
                head += ["", note]
        out.append(_Attention(c, head, [_finding_line(f, options) for f in c.findings]))
    return out


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


def _gate_table(report: Report) -> List[str]:
    lines = ["| Gate | Status | Checks |", "|---|---|---|"]
    for g in report.gates:
        checks = " · ".join(
            f"{STATUS_ICONS[c.status]} {escape_markdown(c.id, _ID)}{'' if c.required else ' (advisory)'}"
            for c in g.checks) or "no checks"
        lines.append(f"| {escape_markdown(g.title, _ID)} | {_status(g.status)} | {checks} |")
    return lines


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


class _Document:
    """Everything the comment may contain, pre-rendered once, assembled at a given size."""

    def __init__(self, report: Report, options: RenderOptions) -> None:
        self.report = report
        self.options = options
        self.attention = _attention_checks(report, options)
        self.total_findings = sum(len(a.findings) for a in self.attention)
        self.deferral_rows = [_deferral_row(d) for d in report.deferrals]
        self.warnings = [f"- ⚠️ {escape_markdown(w, _MESSAGE)}" for w in report.warnings]
        self.skipped = [
            f"- {escape_markdown(s.path, _PATH)} — {escape_markdown(s.reason, _REASON)}"
            + (f" ({escape_markdown(cid, _ID)})" if cid else "")
            for cid, s in all_skipped(report)]
        self.footer = _footer(report, options)

    def assemble(self, shown: int, compact: int) -> str:
        """The comment with the first ``shown`` findings (attention order).

        ``compact``: 0 everything; 1 lists of deferrals, warnings and skipped paths cut to
        :data:`COMPACT_ROWS` and no skipped path names; 2 minimal: verdict, gate table, blocking
        checks' headings and summaries, and the footer.
        """
        r, o = self.report, self.options
        changes = delta_section(r, o, compact)
        out = [o.marker, ""] + (changes + [""] if changes else []) + [verdict_heading(r)]
        blocking = r.blocking_checks
        if blocking:
            out += ["", "**Blocking:** " + " · ".join(
                f"{escape_markdown(c.id, _ID)} ({c.status.value})" for c in blocking)]
        out += [""] + _gate_table(r)

        hidden = self.total_findings - shown
        left = shown
        attention = [a for a in self.attention if a.check.blocking] if compact >= 2 else self.attention
        if attention:
            out += ["", "### Checks that need attention"]
        for a in attention:
            out += [""] + a.head
            if not a.findings:
                continue
            take = a.findings[:max(0, left)]
            left -= len(take)
            n = len(a.findings)
            if not take:
                out += ["", f"_{plural(n, 'finding')} not shown (truncated)._"]
                continue
            out += ["", f"<details><summary>{plural(n, 'finding')}</summary>", ""] + take
            if len(take) < n:
                out.append(f"- … {n - len(take)} more not shown (truncated)")
            out += ["", "</details>"]

        lists_cut = False
        if compact < 2 and self.deferral_rows:
            rows = self.deferral_rows if compact == 0 else self.deferral_rows[:COMPACT_ROWS]
            lists_cut |= len(rows) < len(self.deferral_rows)
            out += ["", "### Deferrals", "",
                    "| Ticket | Check / finding | Approved by | Expires | Days left | State | Reason |",
                    "|---|---|---|---|---|---|---|"] + rows
            if len(rows) < len(self.deferral_rows):
                out += ["", f"_{len(self.deferral_rows) - len(rows)} more deferrals not shown._"]
        if compact < 2 and self.warnings:
            rows = self.warnings if compact == 0 else self.warnings[:COMPACT_ROWS]
            lists_cut |= len(rows) < len(self.warnings)
            out += ["", "### Warnings", ""] + rows
            if len(rows) < len(self.warnings):
                out.append(f"- … {len(self.warnings) - len(rows)} more warnings not shown")
        if compact < 2 and self.skipped:
            n = len(self.skipped)
            if compact == 0:
                rows = self.skipped[:SKIPPED_SHOWN]
                out += ["", f"<details><summary>{plural(n, 'path')} not examined</summary>", ""] + rows
                if n > len(rows):
                    out.append(f"- … and {n - len(rows)} more (see the JSON report)")
                out += ["", "</details>"]
            else:
                lists_cut = True
                out += ["", f"_{plural(n, 'path')} not examined (names not shown)._"]
        if compact >= 2:
            lists_cut = bool(self.deferral_rows or self.warnings or self.skipped or
                             len(attention) < len(self.attention))

        if hidden > 0 or lists_cut:
            # The hint names where the full report is; it is an option, not repository text.
            what = f"{plural(hidden, 'finding')} not shown" if hidden > 0 else "some details not shown"
            out += ["", f"Truncated: {what}; see {o.full_report_hint}."]
        out += ["", self.footer]
        return "\n".join(out) + "\n"


def render_markdown(report: Report, options: RenderOptions = RenderOptions()) -> str:
    """The comment/summary body for ``report``, at most ``options.max_chars`` characters.

    Deterministic. Finds the largest number of findings that fits (binary search over
    :meth:`_Document.assemble`, whose length grows with the number shown), compacting the
    other lists only when no finding fits; as a last resort (a hostile report with thousands of
    gates or deferrals) cuts at a line boundary and ends with the truncation line.
    """
    doc = _Document(report, options)
    limit = options.max_chars
    full = doc.assemble(doc.total_findings, 0)
    if len(full) <= limit:
        return full
    for compact in (0, 1):
        if len(doc.assemble(0, compact)) <= limit:
            counts = range(doc.total_findings + 1)
            # Largest n with len(assemble(n)) <= limit; assemble(0) fits, so n >= 0.
            n = bisect.bisect_right(counts, limit, key=lambda k: len(doc.assemble(k, compact))) - 1
            return doc.assemble(n, compact)
    minimal = doc.assemble(0, 2)
    if len(minimal) <= limit:
        return minimal
    tail = f"\nTruncated: {plural(doc.total_findings, 'finding')} not shown; see {options.full_report_hint}.\n"
    head = minimal[: max(0, limit - len(tail))]
    head = head[: head.rfind("\n") + 1] if "\n" in head else ""
    return truncate(head.rstrip("\n") + tail, limit)


class MarkdownRenderer(Renderer):
    """``--format markdown``: the PR comment / job summary body (see module docstring)."""

    name = "markdown"
    media_type = "text/markdown"

    def render(self, report: Report, options: RenderOptions = RenderOptions()) -> str:
        """Return the markdown body, at most ``options.max_chars`` characters."""
        return render_markdown(report, options)


__all__ = [
    "JOB_SUMMARY_LIMIT_BYTES",
    "JOB_SUMMARY_MAX_CHARS",
    "MarkdownRenderer",
    "render_markdown",
    "verdict_heading",
]
