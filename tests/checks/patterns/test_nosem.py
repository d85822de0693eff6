"""Our reading of ``nosemgrep`` comments (mirroring semgrep's ``Nosemgrep.ml``); the agreement
with the real semgrep is tested in ``test_rules.py``; and argv chunking."""

from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from gate.scanners.semgrep import chunk_targets, nosem_suppressed

CASES = [
    (["x = 1  # nosemgrep"], 1, True),
    (["x = 1  # nosem"], 1, True),
    (["x = 1  # NOSEMGREP: silent-except"], 1, True),
    (["x = 1  # nosemgrep: policies.semgrep.silent-except"], 1, True),
    (["x = 1  # nosemgrep: other-rule"], 1, False),
    (["x = 1  # nosemgrep: other-rule, silent-except"], 1, True),
    (["x = 1  # nosemgrep: silent-except-2"], 1, False),
    (["x = 1  # nosemgrep: bad/id!"], 1, False),
    (["# nosemgrep", "x = 1"], 2, True),
    (["# nosemgrep: silent-except -- reviewed", "x = 1"], 2, True),
    (["y = 2  # nosemgrep", "x = 1"], 2, False),          # previous line must be comment-only
    (["x = 1  #nosemgrep"], 1, False),                     # semgrep requires a space before it
    (["x = 1"], 1, False),
    (["x = 1  # " + "a" * 10000 + " nosemgrep"], 1, False),  # beyond the searched prefix
]


@pytest.mark.parametrize("lines,line,expected", CASES)
def test_nosem_suppressed(lines: list[str], line: int, expected: bool) -> None:
    assert nosem_suppressed(lines, line, "silent-except") is expected


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(max_size=300), min_size=1, max_size=5), st.integers(min_value=-2, max_value=8),
       st.text(max_size=40))
def test_nosem_never_raises_on_any_text(lines: list[str], line: int, rule: str) -> None:
    assert nosem_suppressed(lines, line, rule) in (True, False)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(min_size=1, max_size=50), max_size=60), st.integers(min_value=1, max_value=400))
def test_chunks_keep_every_path_in_order_within_budget(paths: list[str], budget: int) -> None:
    chunks = chunk_targets(paths, budget)
    assert [p for c in chunks for p in c] == paths
    for c in chunks:
        assert c
        assert len(c) == 1 or sum(len(p.encode("utf-8")) + 3 for p in c) <= budget
