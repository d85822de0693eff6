"""Markdown renderer (the sticky PR comment and job summary): THREATS row 9 and the layout."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from markdown_it import MarkdownIt
from render_fixtures import (ALL_REPORTS, COMMIT, big_report, check_golden, deferral,
                             not_ready_report, ready_report)

from gate.model import DeferralState, Finding, Severity
from gate.render import RenderOptions, get_renderer
from gate.render.escape import ZWJ
from gate.render.grouping import check_docs
from gate.render.interface import GITHUB_COMMENT_LIMIT
from gate.render.markdown import JOB_SUMMARY_LIMIT_BYTES, JOB_SUMMARY_MAX_CHARS, render_markdown

OPTIONS = RenderOptions(file_url=f"https://github.com/o/r/blob/{COMMIT}",
                        run_url="https://github.com/o/r/actions/runs/42")
MARKER = OPTIONS.marker
_md = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])


def _links(html: str) -> list[str]:
    return re.findall(r'<a href="([^"]*)"', html)


def _docs_links(report) -> set[str]:
    """Each check's documentation (help-uri of policies/checks/<id>.yml): the only links not to the scanned repository."""
    return {check_docs(c) for c in report.checks} - {None}


def _no_live_mention(text: str) -> bool:
    return all(text[m.end():m.end() + 1] == ZWJ for m in re.finditer("@", text))


@pytest.mark.parametrize("name", sorted(ALL_REPORTS))
def test_golden(name):
    check_golden(f"{name}.md", render_markdown(ALL_REPORTS[name](), OPTIONS))


def test_golden_without_links():
    check_golden("not_ready.nolinks.md", get_renderer("markdown").render(not_ready_report()))


def test_marker_then_verdict_first():
    out = render_markdown(ready_report(), OPTIONS)
    assert out.startswith(f"{MARKER}\n\n## ✅ Ready\n")
    out = render_markdown(not_ready_report(), OPTIONS)
    assert out.startswith(f"{MARKER}\n\n## ❌ Not ready: 4 blocking checks\n")
    assert out.count(MARKER) == 1 and out.count("<!--") == 1


def test_hostile_message_has_no_live_mention_and_no_marker():
    out = render_markdown(not_ready_report(), OPTIONS)
    assert "@org/all" not in out and f"@{ZWJ}org/all" in out
    assert _no_live_mention(out)
    assert out.count(MARKER) == 1  # only ours, on the first line
    html = _md.render(out)
    assert html.count("<!--") == 1  # the hostile one is shown as text, not a comment
    assert "&lt;!-- readiness-gate:comment --&gt;" in html


def test_pending_deferral_names_the_approver_without_pinging():
    out = render_markdown(not_ready_report(), OPTIONS)
    assert f"Deferral DATA-9 is pending approval by @{ZWJ}dba-lead" in out
    assert f"✋ pending-approval by @{ZWJ}dba-lead" in out
    assert "Deferral REL-3 expired on 2026-11-19 (expired 2 days ago); it covers nothing." in out
    assert (f"Deferred by SEC-101, approved by @{ZWJ}platform-lead (not verified), expires 2027-01-20 "
            "(60 days left).") in out
    row = next(line for line in out.splitlines() if line.startswith("| OBS-7 |"))
    assert "| 2026-11-26 | 5 | ⏳ expiring |" in row


def test_structure_renders_as_intended():
    out = render_markdown(not_ready_report(), OPTIONS)
    html = _md.render(out)
    # Gate table: header + 7 gates; the deferred advisory (header + 1); deferral table: header + 5
    # deferrals; cells not broken.
    tables = html.split("<table>")[1:]
    assert [t.count("<tr>") for t in tables] == [8, 2, 6]
    for t in tables:
        rows = re.findall(r"<tr>(.*?)</tr>", t, re.S)
        assert len({r.count("<td>") + r.count("<th>") for r in rows}) == 1
    # Blocking checks in the open, in report order; everything else collapsed.
    headings = re.findall(r"^#### .*$", out, re.M)
    assert [h.split()[2] for h in headings] == ["secrets", "insecure-patterns", "rollback", "backups"]
    assert out.index("### What blocks this change") < out.index("### Also worth a look") < out.index("### Deferrals")
    assert out.count("<details>") == out.count("</details>") == 4
    links = _links(html)
    docs = _docs_links(not_ready_report())
    assert docs & set(links)
    assert all(link.startswith(("https://github.com/o/r/blob/", "https://github.com/o/r/actions/")) or link in docs
               for link in links)
    assert f"https://github.com/o/r/blob/{COMMIT}/config/a%20b%7Cc.pem#L1" in links
    assert "<img" not in html and "<script" not in html


def test_links_only_when_file_url_set():
    out = render_markdown(not_ready_report())
    links = set(_links(_md.render(out)))
    assert links and links <= _docs_links(not_ready_report())
    assert "src/settings.py:12" in out


def test_unsafe_urls_are_not_linked():
    out = render_markdown(not_ready_report(), RenderOptions(file_url="javascript:alert(1)",
                                                            run_url="data:text/html,x"))
    assert "javascript:" not in out and "data:text" not in out
    links = set(_links(_md.render(out)))
    assert links and links <= _docs_links(not_ready_report())


def _locations(out: str) -> int:
    """Findings of big_report listed: the group head names none, each location line one."""
    return len(re.findall(r"^  - \[src/module", out, re.M))


def test_ten_thousand_findings_fit_in_a_comment():
    report = big_report(10_000)
    out = render_markdown(report, OPTIONS)
    assert len(out) <= GITHUB_COMMENT_LIMIT
    assert out.startswith(f"{MARKER}\n\n## ❌ Not ready: 2 blocking checks\n")
    assert "| Security | ❌ fail |" in out
    assert "#### ❌ security-policy" in out and "no SECURITY.md" in out  # blocking summaries kept
    assert "- **generic-secret** × 10000 · high" in out  # one group, the count once
    shown = _locations(out)
    assert 100 < shown < 10_000
    assert f"  - … and {10_000 - shown} more in {10_000 - shown} files" in out
    assert (f"**Not shown here** (size limit of 65,536 characters): {10_000 - shown:,} locations of blocking "
            f"findings. Everything is in [{OPTIONS.full_report_hint}]({OPTIONS.run_url}).") in out
    assert _no_live_mention(out) and out.count(MARKER) == 1
    assert out.count("<details>") == out.count("</details>")
    # The budget is used: little is left.
    assert len(out) > GITHUB_COMMENT_LIMIT - 2_000


def test_small_limits_keep_verdict_gate_table_and_first_location():
    report = big_report(500)
    for limit in (6_000, 2_500):
        out = render_markdown(report, replace(OPTIONS, max_chars=limit))
        assert len(out) <= limit, limit
        assert out.startswith(f"{MARKER}\n\n## ❌ Not ready: 2 blocking checks\n")
        assert "| Security | ❌ fail |" in out
        assert "#### ❌ security-policy" in out and "no SECURITY.md" in out
        assert "[src/module\\_00000.py:1]" in out  # the first finding's location
        assert "**Not shown here**" in out
    # Below what even the minimal comment needs: cut at a line, verdict kept, the cut said.
    out = render_markdown(report, replace(OPTIONS, max_chars=700))
    assert len(out) <= 700
    assert out.startswith(f"{MARKER}\n\n## ❌ Not ready: 2 blocking checks\n")
    assert "**Not shown here**" in out


def test_each_blocking_check_gets_a_share_before_anything_non_blocking():
    """A noisy check cannot crowd out another blocking check, nor can non-blocking noise."""
    report = big_report(3_000)
    secrets = report.gates[0].checks[0]
    quiet = [Finding("missing-section", f"section {i} missing", "SECURITY.md", i, Severity.MEDIUM) for i in range(1, 41)]
    noise = [replace(f, blocking=False, new=False) for f in secrets.findings]
    checks = (replace(secrets, findings=secrets.findings + tuple(noise)),
              replace(report.gates[0].checks[1], findings=tuple(quiet)))
    report = replace(report, gates=(replace(report.gates[0], checks=checks),) + report.gates[1:])
    out = render_markdown(report, OPTIONS)
    assert len(out) <= GITHUB_COMMENT_LIMIT
    assert out.count("SECURITY.md:") == 40  # the small blocking check is shown whole
    # The blocking findings used the budget: the pre-existing noise is only counted.
    assert "that do not block" not in out and "3,000 non-blocking findings" in out


def test_many_deferrals_are_compacted():
    report = not_ready_report()
    many = tuple(deferral("runbooks", f"OPS-{i}", 90, DeferralState.STALE, note="remove it") for i in range(400))
    report = replace(report, deferrals=report.deferrals + many)
    out = render_markdown(report, replace(OPTIONS, max_chars=20_000))
    assert len(out) <= 20_000
    assert "more not shown" in out and "deferral rows" in out and "**Not shown here**" in out


def test_hostile_report_fields_everywhere():
    """publish renders an artifact: titles, ids, versions and tickets are untrusted too."""
    report = not_ready_report()
    evil = f"x|y\n{MARKER}<img src=x>@everyone[l](https://evil.example)"
    gates = list(report.gates)
    g0 = gates[0]
    c0 = replace(g0.checks[0], title=evil, summary=evil,
                 findings=(Finding(evil, evil, evil, 1, Severity.HIGH, evil, deferred_by=evil),))
    gates[0] = replace(g0, title=evil, checks=(c0,) + g0.checks[1:])
    report = replace(report, gates=tuple(gates), warnings=(evil,), tool_version=evil, service=evil,
                     config_source=evil, deferrals=(deferral("secrets", evil, 3, DeferralState.PENDING,
                                                             approved_by=evil, note=evil, reason=evil),))
    out = render_markdown(report, OPTIONS)
    assert out.count(MARKER) == 1 and out.count("<!--") == 1 and out.count("<img") == 0
    assert _no_live_mention(out)
    html = _md.render(out)
    assert "<img" not in html and html.count("<table>") == 3
    assert all(h.startswith("https://github.com/o/r/") or h in _docs_links(report) for h in _links(html))


def test_job_summary_limit():
    assert JOB_SUMMARY_LIMIT_BYTES == 1_048_576
    out = render_markdown(big_report(10_000), replace(OPTIONS, max_chars=JOB_SUMMARY_MAX_CHARS))
    assert len(out.encode("utf-8")) <= JOB_SUMMARY_LIMIT_BYTES
    assert "**Not shown here**" in out


def test_deterministic():
    assert render_markdown(not_ready_report(), OPTIONS) == render_markdown(not_ready_report(), OPTIONS)
