"""Sharing a character budget between parts of a report: the one mechanism behind every size limit.

GitHub bounds each place the gate writes to: a PR comment body holds at most 65,536 characters
(:data:`gate.render.interface.GITHUB_COMMENT_LIMIT`), a check run's ``output.summary`` 65,535,
a step's job summary 1 MiB. The markdown renderer writes all three with the same layout and
differs only in ``max_chars``; it describes each part of the report as *units* (a location line,
a deferral row) whose sizes are known before anything is assembled, and asks this module how
many units of each part fit:

* :func:`fair_prefixes` — the blocking checks: every part gets an equal share first (max-min
  fairness: a part that needs less than its share leaves the rest to the others), so one noisy
  check cannot crowd out another;
* :func:`greedy_prefixes` — everything that does not block, in priority order, from what the
  blocking checks left.

Units are always taken as a *prefix* of each part's list, so callers order units by importance.
Pure functions; sizes are characters, in whatever unit the caller measures.
"""

from __future__ import annotations

import bisect
import itertools
from typing import List, Sequence


def _cumulative(costs: Sequence[Sequence[int]]) -> List[List[int]]:
    return [list(itertools.accumulate(c)) for c in costs]


def _used(cums: Sequence[Sequence[int]], counts: Sequence[int]) -> int:
    return sum(cum[n - 1] for cum, n in zip(cums, counts) if n)


def fair_prefixes(costs: Sequence[Sequence[int]], budget: int) -> List[int]:
    """How many leading units of each part fit in ``budget`` when it is shared fairly.

    ``costs[i][k]`` is the size of unit ``k`` of part ``i`` (non-negative). The result
    ``counts`` satisfies ``sum(sum(costs[i][:counts[i]])) <= budget``. Water-filling: the largest
    level ``T`` such that every part taking its longest prefix of total size at most ``T``
    still fits; then what is left goes, in part order, to whichever next unit still fits.
    Deterministic; ``O(U log budget)`` for ``U`` units.
    """
    budget = max(0, budget)
    if not costs:
        return []
    cums = _cumulative(costs)

    def take(level: int) -> List[int]:
        return [bisect.bisect_right(cum, level) for cum in cums]

    lo, hi = 0, budget
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if _used(cums, take(mid)) <= budget:
            lo = mid
        else:
            hi = mid - 1
    counts = take(lo)
    return _top_up(costs, counts, budget - _used(cums, counts))


def greedy_prefixes(costs: Sequence[Sequence[int]], budget: int) -> List[int]:
    """How many leading units of each part fit in ``budget``, parts served in order.

    Part 0 takes all it can, then part 1 from what is left, and so on; a unit too big for what
    is left ends its part but not the later ones (a long row does not starve a short list).
    """
    counts = [0] * len(costs)
    left = max(0, budget)
    for i, part in enumerate(costs):
        for cost in part:
            if cost > left:
                break
            left -= cost
            counts[i] += 1
    return counts


def _top_up(costs: Sequence[Sequence[int]], counts: List[int], left: int) -> List[int]:
    """Give ``left`` to the next unit of each part, in part order, while any still fits."""
    changed = True
    while changed and left > 0:
        changed = False
        for i, part in enumerate(costs):
            if counts[i] < len(part) and part[counts[i]] <= left:
                left -= part[counts[i]]
                counts[i] += 1
                changed = True
    return counts


__all__ = ["fair_prefixes", "greedy_prefixes"]
