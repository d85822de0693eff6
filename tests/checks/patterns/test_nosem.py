"""Our reading of ``nosemgrep`` comments (mirroring semgrep's ``Nosemgrep.ml``); the agreement
with the real semgrep is tested in ``test_rules.py``."""

from __future__ import annotations

import pytest

from gate.scanners.semgrep import nosem_suppressed

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
