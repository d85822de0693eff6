"""gate.globs: the bounded-time matcher gives wcmatch's answers; pathological patterns finish."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from wcmatch import glob as wcglob

from gate import globs
from gate.inventory import match_globs

PATTERN_PARTS = ["a", "b", ".", "*", "**", "?", "[a]", "[!a]", "[a-c]", "/", "\\*", "{a,b}", "[]", "[", "-",
                 "]", "!", "[[:digit:]]", "1"]
NAME_PARTS = ["a", "b", ".", "/", "1", "*", "[", "]", "-", "!", "c"]


def wcmatch_answer(path: str, patterns: list[str]) -> bool:
    inc, exc = wcglob.translate(globs.with_name_patterns(patterns), flags=globs.GLOB_FLAGS)
    return any(re.fullmatch(r, path) for r in inc) and not any(re.fullmatch(r, path) for r in exc)


@settings(max_examples=3000, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.sampled_from(PATTERN_PARTS), min_size=1, max_size=6),
       st.lists(st.sampled_from(PATTERN_PARTS), min_size=1, max_size=3), st.booleans(),
       st.lists(st.sampled_from(NAME_PARTS), min_size=1, max_size=8))
def test_the_bounded_matcher_agrees_with_wcmatch(pattern, negative, with_negative, name) -> None:
    patterns = ["".join(pattern)] + (["!" + "".join(negative)] if with_negative else [])
    path = "/".join(p for p in "".join(name).split("/") if p) or "a"
    expected = wcmatch_answer(path, patterns)
    assert globs.slow_match(path, patterns) == expected, (patterns, path)
    assert match_globs(path, patterns) == expected, (patterns, path)


@pytest.mark.parametrize("patterns, path, expected", [
    (["*.md"], "docs/a.md", True),
    (["docs/**"], "docs/a/b.md", True),
    (["docs/**"], "docs", False),
    (["**/tests/**", "!**/tests/keep/**"], "x/tests/keep/a.py", False),
    (["{src,lib}/*.py"], "lib/a.py", True),
    (["*a*a*a*a*a*a*a*a*b"], "a" * 60, False),
    (["*a*a*a*a*a*a*a*a*b"], "d/" + "a" * 59 + "b", True),
    (["**/a/**/a/**/a/**/b"], "/".join(["a"] * 400) + "/b", True),
])
def test_match_globs(patterns, path, expected) -> None:
    assert match_globs(path, patterns) is expected


def test_brace_expansion_is_bounded() -> None:
    with pytest.raises(ValueError, match="expands to more than"):
        match_globs("a", ["{a,b}" * 12])
