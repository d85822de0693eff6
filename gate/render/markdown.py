"""Markdown output: the sticky pull-request comment, the job summary and the check-run summary.

Layout, whatever the volume (README, "The PR comment")::

    <!-- readiness-gate:comment -->              (RenderOptions.marker, the hidden sticky marker)
    ### Changes since the base branch            (when the report carries a delta: kept at the top)
    ## ❌ Not ready: 2 blocking checks
    **Blocking:** secrets (fail) · dependencies (fail)
    | Gate | Status | Checks |                   (one row per gate; "✅ pass (1 advisory finding)")
    ### What blocks this change                  (every blocking check, in report order)
    #### ❌ dependencies — No known-vulnerable pinned dependencies (required, fail)
    4 known vulnerabilities in 3 pinned dependencies
    **Fix:** Upgrade each affected package … · [Docs](help-uri)
    | Advisory | Package | Version | Fixed in | Severity | Pinned in |   (never cut)
    - **aws-access-key** × 12 · high — AWS Access Key committed to the repository.
      - [src/a.py:3](link) (new in this change)
      - … and 9 more in 5 files
    <details> N findings that do not block … </details>
    ### Also worth a look                         (advisory failures, deferred checks: each in <details>)
    ### Deferrals / Warnings / Paths not examined (in <details>)
    Not shown here: … see [the job summary of the run](run_url)
    readiness-gate 0.1.0 · scanners … · commit … · [View the run](run_url)

Findings are grouped by rule (:mod:`gate.render.grouping`), new in this change first; a group's
locations are links to the file at the scanned commit.

Size (:mod:`gate.render.budget`): the output never exceeds :attr:`RenderOptions.max_chars`
(GitHub's 65,536-character comment limit by default; 65,535 for a check-run summary; the job
summary is kept under 1 MiB by its caller). Always kept: the verdict, the gate table, and for
every blocking check its heading, summary, fix, docs link, every known vulnerability (id,
package, version, fixed version, severity) and at least its first finding with its location.
Then the blocking checks share the rest equally (one noisy check cannot crowd out another):
each group's head and first location, then two more locations per group, then the rest. Only
what they leave goes to non-blocking material, in order: deferrals, other checks that need
attention, findings that do not block, warnings, paths not examined. When anything is cut, the
comment says what and where it all is (:attr:`RenderOptions.full_report_hint`, linked to the run).

Every string taken from the report goes through :mod:`gate.render.escape` (no live mentions, no
HTML, no marker, no table break-out, no links but ours, no secrets): on GitHub, ``publish``
renders reports that an unprivileged job produced, so even check titles and tool versions are
untrusted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, List, Sequence, Tuple

from gate.model import CheckReport, Finding, Report, Status
from gate.render.budget import fair_prefixes, greedy_prefixes
from gate.render.escape import escape_html, escape_markdown, file_url, markdown_link, safe_url, truncate
from gate.render.grouping import (FindingGroup, check_docs, check_fix, gate_note, group_findings,
                                  split_findings)
from gate.render.interface import RenderOptions, Renderer
from gate.render.json_report import applicable_deferral
from gate.render.markdown_lines import (_ID, _MESSAGE, _PATH, _REASON, _SUMMARY, JOB_SUMMARY_LIMIT_BYTES,
                                        JOB_SUMMARY_MAX_CHARS, STATUS_ICONS, _deferral_note, _deferral_row,
                                        _footer, _status, _unapplied_note, delta_section, verdict_heading)
from gate.render.text import all_skipped, location_phrase, plural


FIRST_LOCATIONS = 3
"""Locations per rule given out in the second round (after every rule's first one)."""

NOTE_RESERVE = 1_200
"""Characters kept free for the "not shown here" note when the report does not fit."""


@dataclass
class _Part:
    """One part of the comment: ``render(n)`` gives its lines with the first ``n`` units."""

    costs: List[int]
    """Size of each unit, in characters (newlines included)."""
    render: Callable[[int], List[str]]
    minimum: int = 0
    """Units always shown (a blocking check's first finding)."""
    hidden: Callable[[int], Tuple[str, int]] = field(default=lambda n: ("", 0))
    """``(what, count)`` not shown when ``n`` units are: for the "not shown here" note."""


def _cost(lines: Sequence[str]) -> int:
    return sum(len(line) + 1 for line in lines)


def _location_label(f: Finding, options: RenderOptions) -> str:
    where = location_phrase(f)
    if not where:
        return "(no file)"
    return markdown_link(escape_markdown(where, _PATH), file_url(options.file_url, f.path or "", f.line))


def _tags(f: Finding) -> str:
    tags = []
    if f.new:
        tags.append("new in this change")
    elif f.new is False:
        tags.append("pre-existing")
    if f.deferred_by:
        tags.append(f"deferred by {escape_markdown(f.deferred_by, _ID)}")
    if not f.blocking:
        tags.append("informational")
    return f" ({'; '.join(tags)})" if tags else ""


class _Groups:
    """Findings grouped by rule, as units: unit 0 of a group is its head with its first
    location; units are ordered every group's first, then up to :data:`FIRST_LOCATIONS` more
    of each, then all the rest, group by group."""

    def __init__(self, findings: Sequence[Finding], options: RenderOptions) -> None:
        self.options = options
        self.groups = group_findings(findings)
        self.order: List[Tuple[int, int]] = [(g, 0) for g in range(len(self.groups))]
        self.order += [(g, i) for g, grp in enumerate(self.groups) for i in range(1, min(grp.count, 1 + FIRST_LOCATIONS))]
        self.order += [(g, i) for g, grp in enumerate(self.groups) for i in range(1 + FIRST_LOCATIONS, grp.count)]
        self.costs = [self._unit_cost(g, i) for g, i in self.order]

    @property
    def total(self) -> int:
        return sum(g.count for g in self.groups)

    def _head(self, g: FindingGroup) -> str:
        line = f"- **{escape_markdown(g.rule, _ID)}**"
        if g.count == 1:
            f = g.findings[0]
            return (line + f" · {f.severity.value} · {_location_label(f, self.options)} — "
                    + escape_markdown(f.message, _MESSAGE) + _tags(f))
        line += f" × {g.count} · {g.severity.value}"
        return line + (" — " + escape_markdown(g.message, _MESSAGE) if g.message else "")

    def _location(self, g: FindingGroup, f: Finding) -> str:
        line = "  - " + _location_label(f, self.options)
        if g.message is None:
            line += " — " + escape_markdown(f.message, _MESSAGE)
        return line + _tags(f)

    def _unit_cost(self, g: int, i: int) -> int:
        grp = self.groups[g]
        if i == 0:
            lines = [self._head(grp)] + ([self._location(grp, grp.findings[0]), "  - … and 99999 more in 99999 files"]
                                         if grp.count > 1 else [])
            return _cost(lines)
        return _cost([self._location(grp, grp.findings[i])])

    def shown(self, n: int) -> List[int]:
        """Locations shown per group with the first ``n`` units."""
        per = [0] * len(self.groups)
        for g, _ in self.order[:n]:
            per[g] += 1
        return per

    def lines(self, n: int) -> List[str]:
        out: List[str] = []
        hidden_groups = hidden_findings = 0
        for grp, k in zip(self.groups, self.shown(n)):
            if k == 0:
                hidden_groups += 1
                hidden_findings += grp.count
                continue
            out.append(self._head(grp))
            if grp.count == 1:
                continue
            out += [self._location(grp, f) for f in grp.findings[:k]]
            rest = grp.findings[k:]
            if rest:
                out.append(f"  - … and {len(rest)} more in {plural(grp.files(rest), 'file')}")
        if hidden_groups:
            out.append(f"- … {plural(hidden_groups, 'more rule')} with {plural(hidden_findings, 'finding')} not shown")
        return out

    def hidden(self, n: int) -> int:
        """Findings not listed with ``n`` units (a group's head shows its first location)."""
        return self.total - sum(self.shown(n))


def _check_heading(c: CheckReport, level: str = "####") -> str:
    kind = "required" if c.required else "advisory"
    return (f"{level} {STATUS_ICONS[c.status]} {escape_markdown(c.id, _ID)} — {escape_markdown(c.title, _ID)} "
            f"({kind}, {c.status.value})")


def _fix_line(c: CheckReport) -> List[str]:
    fix, docs = check_fix(c), check_docs(c)
    parts = [f"**Fix:** {escape_markdown(fix, _SUMMARY)}"] if fix else []
    link = safe_url(docs)
    if link:
        parts.append(f"[Docs]({link})")
    return ["", " · ".join(parts)] if parts else []


def _advisory_table(c: CheckReport, options: RenderOptions) -> List[str]:
    """Every known vulnerability of the check, one row each: never cut."""
    rows = [f for f in c.findings if f.advisory is not None]
    if not rows:
        return []
    out = ["", "| Advisory | Package | Version | Fixed in | Severity | Pinned in |", "|---|---|---|---|---|---|"]
    for f in rows:
        a = f.advisory
        assert a is not None
        ident = escape_markdown(a.id, _ID) + (f" ({escape_markdown(', '.join(a.aliases[:3]), _ID)})" if a.aliases else "")
        fixed = escape_markdown(a.fixed[0], _ID) if a.fixed else "no fix published"
        state = "" if f.blocking and not f.deferred_by else (
            f" (deferred by {escape_markdown(f.deferred_by, _ID)})" if f.deferred_by else " (below fail-on)")
        out.append(f"| {ident} | {escape_markdown(a.package, _ID)} | {escape_markdown(a.version, _ID)} | {fixed} | "
                   f"{f.severity.value}{state} | {_location_label(f, options)} |")
    return out


def _deferral_lines(c: CheckReport) -> List[str]:
    out: List[str] = []
    applied = applicable_deferral(c)
    if applied is not None:
        out += ["", _deferral_note(applied)]
    for d in c.deferrals:
        note = _unapplied_note(d)
        if note:
            out += ["", note]
    return out


def _blocking_part(c: CheckReport, options: RenderOptions) -> Tuple[_Part, _Part]:
    """A blocking check's part (its blocking findings as units), and the part of its findings
    that do not block (in ``<details>``, served after every blocking check)."""
    blocking, other = split_findings(c)
    groups = _Groups([f for f in blocking if f.advisory is None], options)
    head = (["", _check_heading(c), "", escape_markdown(c.summary, _SUMMARY)] + _fix_line(c)
            + _advisory_table(c, options) + _deferral_lines(c))

    def render(n: int) -> List[str]:
        body = groups.lines(n)
        return head + ([""] + body if body else [])

    main = _Part(groups.costs, render, minimum=min(1, len(groups.costs)),
                 hidden=lambda n: ("locations of blocking findings", groups.hidden(n)))
    rest = _details_part(f"{plural(len(other), 'finding')} of {c.id} that do not block (pre-existing, deferred "
                         "or informational)", [f for f in other if f.advisory is None], options)
    return main, rest


def _details_part(summary: str, findings: Sequence[Finding], options: RenderOptions,
                  intro: Sequence[str] = (), what: str = "non-blocking findings") -> _Part:
    """Findings in a ``<details>`` block whose ``<summary>`` is ``summary`` (our words, escaped
    here); nothing at all when no unit is taken and there is no intro."""
    groups = _Groups(findings, options)
    top = ["", f"<details><summary>{escape_html(summary)}</summary>", ""]

    def render(n: int) -> List[str]:
        body = groups.lines(n) if n or intro else []
        if not body and not intro:
            return []
        return top + list(intro) + ([""] + body if body and intro else body) + ["", "</details>"]

    costs = list(groups.costs)
    if costs and not intro:
        costs[0] += _cost(top) + _cost(["", "</details>"])
    return _Part(costs, render, hidden=lambda n: (what, groups.hidden(n)))


def _attention_part(c: CheckReport, options: RenderOptions) -> _Part:
    """A check that needs attention but does not block (advisory failure, deferred), collapsed."""
    kind = "required" if c.required else "advisory"
    summary = (f"{STATUS_ICONS[c.status]} {c.id} — {c.title} ({kind}, {c.status.value})"
               + (f": {plural(len(c.findings), 'finding')}" if c.findings else ""))
    intro = [escape_markdown(c.summary, _SUMMARY)] + _fix_line(c) + _advisory_table(c, options) + _deferral_lines(c)
    part = _details_part(summary, [f for f in c.findings if f.advisory is None], options, intro=intro,
                         what="findings of checks that do not block")
    # The intro is shown with the first unit (or alone, as one unit, when there are no findings).
    intro_cost = _cost(["", f"<details><summary>{escape_html(summary)}</summary>", ""] + intro + ["", "</details>"])
    if part.costs:
        part.costs[0] += intro_cost
    else:
        part.costs = [intro_cost]
        render = part.render
        part.render = lambda n: render(n) if n else []
    return part


def _rows_part(title: Sequence[str], rows: Sequence[str], what: str, tail: Sequence[str] = ()) -> _Part:
    """A list or table whose rows are the units; ``title`` comes with the first row."""
    costs = [_cost(row if isinstance(row, list) else [row]) for row in rows]
    if costs:
        costs[0] += _cost(list(title) + list(tail))

    def render(n: int) -> List[str]:
        if n == 0:
            return []
        out = list(title) + list(rows[:n]) + list(tail)
        if n < len(rows):
            out.append(f"- … {len(rows) - n} more not shown")
        return out

    return _Part(costs, render, hidden=lambda n: (what, len(rows) - n))


def _gate_table(report: Report) -> List[str]:
    lines = ["| Gate | Status | Checks |", "|---|---|---|"]
    for g in report.gates:
        checks = " · ".join(
            f"{STATUS_ICONS[c.status]} {escape_markdown(c.id, _ID)}{'' if c.required else ' (advisory)'}"
            for c in g.checks) or "no checks"
        lines.append(f"| {escape_markdown(g.title, _ID)} | {_status(g.status)}{escape_markdown(gate_note(g), _ID)} "
                     f"| {checks} |")
    return lines


class _Document:
    """Everything the comment may contain, as parts, assembled for a given allocation."""

    def __init__(self, report: Report, options: RenderOptions) -> None:
        self.report = report
        self.options = options
        self.blocking: List[_Part] = []
        later: List[_Part] = []
        for c in report.blocking_checks:
            main, rest = _blocking_part(c, options)
            self.blocking.append(main)
            later.append(rest)
        attention = [c for c in report.checks
                     if not c.blocking and c.status in (Status.FAIL, Status.ERROR, Status.DEFERRED)]
        d_rows = [_deferral_row(d) for d in report.deferrals]
        deferrals = _rows_part(["", "### Deferrals", "",
                                "| Ticket | Check / finding | Approved by | Expires | Days left | State | Reason |",
                                "|---|---|---|---|---|---|---|"], d_rows, "deferral rows")
        warnings = _rows_part(["", "### Warnings", ""], [f"- ⚠️ {escape_markdown(w, _MESSAGE)}" for w in report.warnings],
                              "warnings")
        skipped_rows = [f"- {escape_markdown(s.path, _PATH)} — {escape_markdown(s.reason, _REASON)}"
                        + (f" ({escape_markdown(cid, _ID)})" if cid else "") for cid, s in all_skipped(report)]
        skipped = _rows_part(["", f"<details><summary>{plural(len(skipped_rows), 'path')} not examined</summary>", ""],
                             skipped_rows, "paths not examined", tail=["", "</details>"])
        self.attention = [_attention_part(c, options) for c in attention]
        # Non-blocking material, in the order it is served.
        self.others: List[_Part] = [deferrals, *self.attention, *later, warnings, skipped]
        self.later = later
        self.deferrals, self.warnings, self.skipped = deferrals, warnings, skipped
        self.footer = _footer(report, options)

    @property
    def parts(self) -> List[_Part]:
        return self.blocking + self.others

    def full(self) -> List[int]:
        return [len(p.costs) for p in self.parts]

    def minimum(self) -> List[int]:
        return [p.minimum for p in self.parts]

    def assemble(self, counts: Sequence[int], delta_compact: int = 0) -> str:
        """The comment with ``counts[i]`` units of part ``i`` (:attr:`parts` order)."""
        r, o = self.report, self.options
        shown = dict(zip(map(id, self.parts), counts))
        changes = delta_section(r, o, delta_compact)
        out = [o.marker, ""] + (changes + [""] if changes else []) + [verdict_heading(r)]
        if r.blocking_checks:
            out += ["", "**Blocking:** " + " · ".join(
                f"{escape_markdown(c.id, _ID)} ({c.status.value})" for c in r.blocking_checks)]
        out += [""] + _gate_table(r)
        if self.blocking:
            out += ["", "### What blocks this change"]
            for part, rest in zip(self.blocking, self.later):
                out += part.render(shown[id(part)]) + rest.render(shown[id(rest)])
        attention = [line for p in self.attention for line in p.render(shown[id(p)])]
        if attention:
            out += ["", "### Also worth a look"] + attention
        out += self.deferrals.render(shown[id(self.deferrals)])
        out += self.warnings.render(shown[id(self.warnings)])
        out += self.skipped.render(shown[id(self.skipped)])
        cut = [(what, n) for p, k in zip(self.parts, counts) for what, n in [p.hidden(k)] if n > 0]
        if cut or delta_compact:
            out += ["", _cut_note(cut, delta_compact, o)]
        out += ["", self.footer]
        return "\n".join(out) + "\n"

    def allocate(self, budget: int) -> List[int]:
        """Units per part (:attr:`parts` order) for ``budget`` characters beyond the minimum.

        Tiers, each served from what the previous left: the blocking checks (shared fairly),
        the deferral rows, the other checks that need attention (fairly), the blocking checks'
        findings that do not block (fairly), then warnings and skipped paths in order.
        """
        tiers: List[Tuple[List[_Part], Callable[[Sequence[Sequence[int]], int], List[int]]]] = [
            (self.blocking, fair_prefixes), ([self.deferrals], greedy_prefixes), (self.attention, fair_prefixes),
            (self.later, fair_prefixes), ([self.warnings, self.skipped], greedy_prefixes)]
        got: dict[int, int] = {}
        left = budget
        for parts, share in tiers:
            extra = [p.costs[p.minimum:] for p in parts]
            counts = share(extra, left)
            for p, c, n in zip(parts, extra, counts):
                got[id(p)] = p.minimum + n
                left -= sum(c[:n])
        return [got[id(p)] for p in self.parts]


def _cut_note(cut: Sequence[Tuple[str, int]], delta_compact: int, options: RenderOptions) -> str:
    """What the comment leaves out, and where it all is (our words and counts only)."""
    totals: dict[str, int] = {}
    for what, n in cut:
        totals[what] = totals.get(what, 0) + n
    items = [f"{n:,} {what}" for what, n in totals.items()]
    if delta_compact:
        items.append("the findings listed under the changes since the base branch")
    where = escape_markdown(options.full_report_hint, _MESSAGE)
    run = safe_url(options.run_url)
    if run:
        where = f"[{where}]({run})"
    return (f"**Not shown here** (size limit of {options.max_chars:,} characters): {', '.join(items)}. "
            f"Everything is in {where}.")


def render_markdown(report: Report, options: RenderOptions = RenderOptions()) -> str:
    """The comment/summary body for ``report``, at most ``options.max_chars`` characters.

    Deterministic. Everything when it fits; else the minimum (see the module docstring) plus the
    budget's allocation (:mod:`gate.render.budget`), re-measured and tightened until it fits; as
    a last resort (a hostile report with thousands of deferrals or a huge delta) a cut at a line
    boundary that ends with the note.
    """
    doc = _Document(report, options)
    limit = options.max_chars
    full = doc.assemble(doc.full())
    if len(full) <= limit:
        return full
    for delta_compact in (0, 1, 2):
        base = len(doc.assemble(doc.minimum(), delta_compact))
        if base + NOTE_RESERVE <= limit or delta_compact == 2:
            break
    budget = limit - base - NOTE_RESERVE
    while budget > 0:
        text = doc.assemble(doc.allocate(budget), delta_compact)
        if len(text) <= limit:
            return text
        budget -= len(text) - limit + 256
    minimal = doc.assemble(doc.minimum(), delta_compact)
    if len(minimal) <= limit:
        return minimal
    tail = "\n" + _cut_note([("of this report (cut at the size limit)", 1)], 0, options)[:-1] + ".\n"
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
