"""What the text report and the comment say the same way (``gate.render.grouping``) and the
budget they share (``gate.render.budget``)."""

from __future__ import annotations

from hypothesis import given, settings, strategies as st
from render_fixtures import build_report, check

from gate.model import Finding, Severity, Status
from gate.render import RenderOptions
from gate.render.budget import fair_prefixes, greedy_prefixes
from gate.render.markdown import render_markdown
from gate.render.text import render_text


def _report():
    """Performance passes on its required checks while the advisory load test fails; backups
    passes on evidence; secrets fails with 12 findings of one rule and one of another."""
    same = [Finding("aws-access-key", "AWS Access Key committed to the repository.", f"src/m{i:02d}.py", i,
                    Severity.HIGH, new=i > 9) for i in range(1, 13)]
    return build_report([
        check("secrets", "security", "No secrets committed to the repository", Status.FAIL, "13 secrets found",
              findings=same + [Finding("private-key", "Private key committed.", "deploy/id_rsa", 1, Severity.CRITICAL)]),
        check("backups", "data-safety", "Backups with a tested restore", Status.PASS, "backup and restore test found",
              evidence=("pg_dump in scripts/backup.sh:12", "restore test tests/test_restore.py:40")),
        check("load-test", "performance", "Load tested at projected peak", Status.FAIL, "no load test",
              required=False, findings=[Finding("no-load-test", "No load test in the repository.")]),
    ])


def test_gate_lines_are_honest_about_advisory_failures():
    report = _report()
    text = render_text(report)
    assert "\nPerformance: PASS (1 advisory finding)\n" in text
    md = render_markdown(report)  # the comment, the job summary and the check-run summary
    assert "| Performance | ✅ pass (1 advisory finding) | ➖ load-test (advisory) |" not in md
    assert "| Performance | ✅ pass (1 advisory finding) | ❌ load-test (advisory) |" in md
    assert "\nData safety: PASS\n" in text  # nothing hidden there, nothing added


def test_a_passing_check_names_its_evidence_in_one_line():
    text = render_text(_report())
    assert "      evidence: pg_dump in scripts/backup.sh:12; restore test tests/test_restore.py:40\n" in text


def test_repeated_findings_are_grouped_with_new_ones_first():
    text = render_text(_report())
    lines = text.splitlines()
    head = lines.index("      aws-access-key × 12  high  AWS Access Key committed to the repository.")
    # New findings (m10..m12) first, then the earliest others; the rest counted with their files.
    assert lines[head + 1:head + 7] == [
        "          src/m10.py:10  [new]", "          src/m11.py:11  [new]", "          src/m12.py:12  [new]",
        "          src/m01.py:1  [pre-existing]", "          src/m02.py:2  [pre-existing]",
        "          … and 7 more in 7 files (--verbose lists them; all are in --format json)"]
    assert text.count("AWS Access Key committed") == 1  # the message once
    # A single finding is one line; a rule with findings new in this change comes before it.
    assert lines.index("      private-key  critical  deploy/id_rsa:1  Private key committed.") > head
    verbose = render_text(_report(), verbose=True)
    assert "src/m09.py:9" in verbose and "more in" not in verbose
    md = render_markdown(_report(), RenderOptions(file_url="https://github.com/o/r/blob/c0ffee"))
    assert "- **aws-access-key** × 12 · high — AWS Access Key committed to the repository." in md
    assert "  - [src/m10.py:10](https://github.com/o/r/blob/c0ffee/src/m10.py#L10) (new in this change)" in md


costs = st.lists(st.lists(st.integers(0, 500), max_size=30), max_size=8)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(costs, st.integers(0, 20_000))
def test_budget_allocations_fit_and_are_fair(parts, budget):
    for alloc in (fair_prefixes, greedy_prefixes):
        counts = alloc(parts, budget)
        assert len(counts) == len(parts)
        assert sum(sum(p[:n]) for p, n in zip(parts, counts)) <= budget
        assert all(0 <= n <= len(p) for p, n in zip(parts, counts))
    counts = fair_prefixes(parts, budget)
    used = [sum(p[:n]) for p, n in zip(parts, counts)]
    # Whatever does not fit would not fit in what is left.
    left = budget - sum(used)
    assert all(n == len(p) or p[n] > left for p, n in zip(parts, counts))


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.lists(st.integers(0, 40), min_size=1, max_size=8), st.integers(1, 300), st.integers(0, 20_000))
def test_equal_units_are_shared_evenly(lengths, cost, budget):
    """With units of one size, parts left unfinished differ by at most one unit, and no part
    got more than one unit beyond any unfinished part."""
    counts = fair_prefixes([[cost] * n for n in lengths], budget)
    unfinished = [c for c, n in zip(counts, lengths) if c < n]
    if unfinished:
        assert max(unfinished) - min(unfinished) <= 1
        assert max(counts) <= min(unfinished) + 1
