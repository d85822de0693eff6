"""Tests for gate.checks.markdown_docs: headings, front matter, synonym matching."""

from __future__ import annotations

import time

from gate.checks.markdown_docs import (Heading, first_match, front_matter, heading_matches, parse_headings,
                                       parse_sections)


def test_atx_and_setext_headings_with_lines() -> None:
    text = "# Title\n\nSymptoms\n--------\n\ntext\n\n### **Diagnosis** `x`\n\nMain\n====\n"
    assert parse_headings(text) == [
        Heading(1, "Title", 1), Heading(2, "Symptoms", 3), Heading(3, "Diagnosis x", 8), Heading(1, "Main", 10),
    ]


def test_headings_in_code_blocks_are_not_headings() -> None:
    text = "```sh\n# Symptoms\n```\n\n    # Diagnosis\n\n~~~\n## Mitigation\n~~~\n\n## Escalation\n"
    assert [h.text for h in parse_headings(text)] == ["Escalation"]


def test_line_offset_applies() -> None:
    assert parse_headings("## A\n", line_offset=4) == [Heading(2, "A", 5)]


def test_front_matter_parsed_and_body_line() -> None:
    fm = front_matter("---\nlast-reviewed: 2026-01-02\nowner: x\n---\n# Title\n")
    data, body, start = fm
    assert data == {"last-reviewed": "2026-01-02", "owner": "x"}
    assert body == "# Title\n" and start == 5
    assert fm.present and fm.ok
    assert parse_headings(body, line_offset=start - 1) == [Heading(1, "Title", 5)]


def test_no_front_matter_without_closing_delimiter() -> None:
    text = "---\n# Title\n"
    fm = front_matter(text)
    assert not fm.present and fm.body == text and fm.body_start_line == 1 and fm.data == {}


def test_bad_front_matter_is_reported_not_raised() -> None:
    fm = front_matter("---\na: [1, 2\nb: c\n---\nbody\n")
    assert fm.present and not fm.ok and fm.error
    assert fm.error_line is not None and 2 <= fm.error_line <= 4
    assert fm.body == "body\n" and fm.data == {}


def test_front_matter_that_is_not_a_mapping() -> None:
    fm = front_matter("---\n- a\n- b\n---\nbody\n")
    assert not fm.ok and "not a mapping" in (fm.error or "")


def test_front_matter_alias_bomb_refused_fast() -> None:
    bomb = ['a: &a ["x","x","x","x","x","x","x","x","x"]']
    for i in range(1, 9):
        prev, cur = chr(ord("a") + i - 1), chr(ord("a") + i)
        bomb.append(f"{cur}: &{cur} [{','.join('*' + prev for _ in range(9))}]")
    start = time.monotonic()
    fm = front_matter("---\n" + "\n".join(bomb) + "\n---\nbody\n")
    assert time.monotonic() - start < 1.0
    assert not fm.ok and "alias" in (fm.error or "")


def test_front_matter_size_bound() -> None:
    fm = front_matter("---\n" + "k: v\n" * 20000 + "---\nbody\n")
    assert not fm.ok and "larger" in (fm.error or "") and fm.body == "body\n"


def test_heading_matches_whole_words_case_insensitive() -> None:
    assert heading_matches("Known FAILURE modes", ["failure modes"])
    assert heading_matches("On call rotation", ["on-call"])
    assert heading_matches("Escalation / contacts", ["contacts"])
    assert not heading_matches("Prefix notes", ["fix"])
    assert not heading_matches("Symptomatic", ["symptom"])
    assert not heading_matches("", ["a"])
    assert first_match("Rollback & recovery", ["restore", "recovery"]) == "recovery"


def test_sections_know_whether_they_have_content() -> None:
    text = "# T\n\n## Empty\n\n## Full\n\ntext\n\n## Parent\n\n### Child\n\n- item\n\n## Last\n"
    got = {s.heading.text: s.has_content for s in parse_sections(text)}
    assert got == {"T": True, "Empty": False, "Full": True, "Parent": True, "Child": True, "Last": False}


def test_rst_headings() -> None:
    from gate.checks.markdown_docs import parse_rst_headings
    text = "=====\nTitle\n=====\n\nDeploy\n------\n\ntext::\n\n    Not\n    ---\n\nLogs\n----\n\nToo long title\n---\n"
    assert parse_rst_headings(text) == [Heading(1, "Title", 2), Heading(2, "Deploy", 5), Heading(2, "Logs", 13)]


def test_line_budget_and_too_long() -> None:
    from gate.checks.markdown_docs import LineBudget, too_long
    assert too_long("a\n" * 10) is None
    assert "more than 10000" in (too_long("a\n" * 10_000) or "")
    budget = LineBudget(limit=25)
    assert budget.take("a\n" * 9) is None and budget.take("a\n" * 9) is None
    assert "budget" in (budget.take("a\n" * 9) or "")
    assert budget.take("a\n" * 3) is None


def test_adversarial_markdown_is_fast() -> None:
    start = time.monotonic()
    for text in ("[" * 500_000, "*a" * 250_000, "<" * 500_000, "# " + "*a" * 100_000 + "\n"):
        parse_sections(text)
    assert time.monotonic() - start < 3.0
