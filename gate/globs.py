"""Glob matching for every path pattern in readiness.yml and the profiles, in bounded time.

The dialect is wcmatch's ``GLOBSTAR | DOTGLOB | BRACE | NEGATE`` (:data:`GLOB_FLAGS`): ``**``
spans directories, ``*`` and ``?`` stay within one, ``[...]`` classes, ``{a,b}`` alternatives, a
leading ``!`` excludes. A pattern without ``/`` also matches the file name in any directory
(``*.md`` matches ``docs/a.md``), like ``.gitignore``.

wcmatch compiles a glob to a backtracking regular expression: a segment with several stars
(``*a*a*a*a*a*a*a*a*b``) then takes time exponential in their number on a long name that almost
matches (a 60-character name never finishes). So a pattern is matched in one of two ways:

* *cheap* patterns (at most one unbounded choice, :data:`MAX_FAST_CHOICES`: ``**/*.py``,
  ``**/tests/**``, ``docs/*.md``, nearly every pattern the shipped profiles use) by wcmatch's
  compiled expression, at C speed;
* every other pattern by :class:`_SlowPattern`: per segment, the fixed-width pieces between
  stars are placed left to right at their earliest position (earliest placement is always
  optimal, so no backtracking), and ``**`` by one pass over the path's segments. Time is
  O(pattern length × path length) whatever the pattern.

Both give the same answers (``tests/core/test_globs.py`` compares them on generated patterns and
paths). ``docs/threats.md``, "Attacks on the verdict", lists the mechanism.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Callable, Optional, Sequence, Union

import bracex
from wcmatch import glob as wcglob

GLOB_FLAGS = wcglob.GLOBSTAR | wcglob.DOTGLOB | wcglob.BRACE | wcglob.NEGATE
"""Glob dialect for every path pattern in readiness.yml (see the module docstring)."""

MAX_FAST_CHOICES = 1
"""Unbounded choices (a ``**`` before more segments, a second run of stars in one segment) a
pattern may have and still be matched by wcmatch's regex: each one multiplies the steps by up
to the path's length, so one keeps it linear."""

BRACE_LIMIT = 1000
"""Most patterns one glob may expand to through ``{a,b}`` alternatives (wcmatch's own default
limit); more is a :class:`ValueError`, not minutes of matching."""

_POSIX = {"alnum": "a-zA-Z0-9", "alpha": "a-zA-Z", "ascii": "\\x00-\\x7f", "blank": " \\t",
          "cntrl": "\\x00-\\x1f\\x7f", "digit": "0-9", "graph": "\\x21-\\x7e", "lower": "a-z",
          "print": "\\x20-\\x7e", "punct": "!-/:-@\\[-`{-~", "space": " \\t\\n\\r\\f\\v",
          "upper": "A-Z", "word": "a-zA-Z0-9_", "xdigit": "A-Fa-f0-9"}
"""POSIX character classes inside ``[...]`` (``[[:digit:]]``), as wcmatch reads them."""

_STAR = object()
"""Token: a run of ``*`` within one segment."""


def _class_token(seg: str, i: int) -> tuple[Optional[str], int]:
    """The regex of the ``[...]`` class starting at ``seg[i]`` and the index after it, or
    (None, i) when it is not closed (then ``[`` is a literal, as in wcmatch)."""
    j = i + 1
    negate = j < len(seg) and seg[j] in "!^"
    if negate:
        j += 1
    parts: list[str] = []
    first = True
    while j < len(seg):
        c = seg[j]
        if c == "]" and not first:
            body = "".join(parts)
            if not body:  # only reversed ranges: nothing (or, negated, anything but "/")
                return ("[^/]" if negate else "(?!)"), j + 1
            return ("[^/" + body + "]" if negate else "[" + body + "]"), j + 1
        first = False
        if c == "[" and seg.startswith("[:", j):
            end = seg.find(":]", j + 2)
            name = seg[j + 2:end] if end > 0 else ""
            if name in _POSIX:
                parts.append(_POSIX[name])
                j = end + 2
                continue
        if c == "\\" and j + 1 < len(seg):
            j += 1
            c = seg[j]
        if j + 2 < len(seg) and seg[j + 1] == "-" and seg[j + 2] != "]":
            hi = seg[j + 2]
            if hi == "\\" and j + 3 < len(seg):
                hi, j = seg[j + 3], j + 1
            if ord(hi) >= ord(c):
                parts.append(re.escape(c) + "-" + re.escape(hi))
            j += 3
            continue
        parts.append(re.escape(c))
        j += 1
    return None, i


def _tokens(seg: str) -> list[Union[str, object]]:
    """A segment's tokens: :data:`_STAR` or the regex of one character."""
    out: list[Union[str, object]] = []
    i = 0
    while i < len(seg):
        c = seg[i]
        if c == "*":
            while i < len(seg) and seg[i] == "*":
                i += 1
            out.append(_STAR)
            continue
        if c == "?":
            out.append("[^/]")
        elif c == "[":
            cls, after = _class_token(seg, i)
            if cls is not None:
                out.append(cls)
                i = after
                continue
            out.append(re.escape(c))
        elif c == "\\" and i + 1 < len(seg):
            i += 1
            out.append(re.escape(seg[i]))
        else:
            out.append(re.escape(c))
        i += 1
    return out


@dataclass(frozen=True)
class _Segment:
    """One ``/``-free segment of a pattern: fixed-width pieces separated by stars."""

    literal: bool
    """True when the segment starts with a literal character: only such a segment matches the
    names ``.`` and ``..`` (as in wcmatch, where ``.*`` matches ``.`` but ``*`` does not)."""
    pieces: tuple[re.Pattern[str], ...]
    """The star-free pieces, each matching exactly ``widths[i]`` characters."""
    widths: tuple[int, ...]
    starred: bool
    """True when the segment has at least one star (then ``pieces[0]`` is its prefix and
    ``pieces[-1]`` its suffix, possibly empty)."""

    @classmethod
    def of(cls, seg: str) -> "_Segment":
        groups: list[list[str]] = [[]]
        tokens = _tokens(seg)
        for tok in tokens:
            if tok is _STAR:
                groups.append([])
            else:
                groups[-1].append(tok)  # type: ignore[arg-type]
        pieces = tuple(re.compile("".join(g), re.DOTALL) for g in groups)
        literal = bool(tokens) and tokens[0] is not _STAR and not seg.startswith(("?", "["))
        return cls(literal, pieces, tuple(len(g) for g in groups), len(groups) > 1)

    def matches(self, name: str) -> bool:
        """True when this segment matches the path segment ``name`` (no ``/``)."""
        if name in _DOT_NAMES and not self.literal:
            return False
        if not self.starred:
            return len(name) == self.widths[0] and self.pieces[0].fullmatch(name) is not None
        first, last = self.widths[0], self.widths[-1]
        end = len(name) - last
        if end < first or not self.pieces[0].fullmatch(name, 0, first) or not self.pieces[-1].fullmatch(name, end):
            return False
        pos = first
        for piece, width in zip(self.pieces[1:-1], self.widths[1:-1]):
            if pos + width > end:
                return False
            found = piece.search(name, pos, end)  # earliest placement: never worse than a later one
            if found is None:
                return False
            pos = found.end()
        return True


_DOT_NAMES = frozenset({".", ".."})
"""Path segments a wildcard, a class or ``**`` never matches (wcmatch's rule)."""

_GLOBSTAR = None
"""Segment marker: ``**`` (zero or more path segments; one or more when it ends the pattern)."""


class _SlowPattern:
    """One brace-free, ``!``-free glob matched in O(pattern × path) time (module docstring)."""

    def __init__(self, pattern: str) -> None:
        raw = pattern.split("/")
        segs: list[Optional[_Segment]] = []
        for k, s in enumerate(raw):
            if s == "**":
                if segs and segs[-1] is _GLOBSTAR:
                    continue
                segs.append(_GLOBSTAR)
            elif s == "" and 0 < k < len(raw) - 1:
                continue  # "a//b" is "a/b"
            elif s == "" and k == len(raw) - 1 and k > 0 and segs and segs[-1] is _GLOBSTAR:
                continue  # "x/**/" is "x/**"
            else:
                segs.append(_Segment.of(s))  # "" (leading or trailing "/") never matches a name
        self.segments = tuple(segs)

    def matches(self, path: str) -> bool:
        names = path.split("/")
        n = len(names)
        reach = {0}  # path segment indexes the pattern so far can end before
        for k, seg in enumerate(self.segments):
            if not reach:
                return False
            if seg is _GLOBSTAR:
                # zero or more segments (one or more at the end), never across "." or ".."
                last = k == len(self.segments) - 1
                grown: set[int] = set()
                for j in sorted(reach):
                    if j in grown:
                        continue
                    if not last:
                        grown.add(j)
                    while j < n and names[j] not in _DOT_NAMES:
                        j += 1
                        grown.add(j)
                reach = grown
            else:
                reach = {j + 1 for j in reach if j < n and seg.matches(names[j])}
        return n in reach


def _is_cheap(pattern: str) -> bool:
    """True when wcmatch's regex for the brace-free ``pattern`` takes time linear in the path:
    at most one unbounded choice, i.e. one ``**`` that is not the last segment (a last one
    matches the rest at once) or one segment with two runs of stars."""
    segs = pattern.split("/")
    choices = 0
    for k, seg in enumerate(segs):
        if seg == "**":
            choices += 0 if k == len(segs) - 1 else 1
        else:
            choices += max(0, sum(1 for t in _tokens(seg) if t is _STAR) - 1)
    return choices <= MAX_FAST_CHOICES


def _expand(pattern: str) -> list[str]:
    try:
        return bracex.expand(pattern, keep_escapes=True, limit=BRACE_LIMIT)
    except bracex.ExpansionLimitException:
        raise ValueError(f"glob {pattern!r} expands to more than {BRACE_LIMIT} patterns") from None


def with_name_patterns(patterns: Sequence[str]) -> list[str]:
    """``patterns`` plus ``**/<p>`` for each ``p`` without ``/`` (it matches the file name in any
    directory); a leading ``!`` is kept in front."""
    expanded: list[str] = []
    for p in patterns:
        expanded.append(p)
        if "/" not in p.lstrip("!"):
            expanded.append(("!" if p.startswith("!") else "") + "**/" + p.lstrip("!"))
    return expanded


def match_globs(path: str, patterns: Sequence[str]) -> bool:
    """True when repository-relative ``path`` matches any of the glob ``patterns`` and none of
    the ``!`` ones (see the module docstring for the dialect). Compiled patterns are cached:
    checks ask this for every file of the tree.

    Raises:
        ValueError: a pattern's ``{...}`` alternatives expand past :data:`BRACE_LIMIT`.
    """
    if not patterns:
        return False
    return compile_globs(tuple(patterns))(path)


@functools.lru_cache(maxsize=1024)
def compile_globs(patterns: tuple[str, ...]) -> Callable[[str], bool]:
    """The predicate :func:`match_globs` applies for ``patterns`` (cached).

    Raises:
        ValueError: see :func:`match_globs`.
    """
    include: list[Callable[[str], bool]] = []
    exclude: list[Callable[[str], bool]] = []
    for p in with_name_patterns(patterns):
        negative = p.startswith("!")
        for one in _expand(p[1:] if negative else p):
            (exclude if negative else include).append(_compile_one(one))

    def matches(path: str) -> bool:
        return any(m(path) for m in include) and not any(m(path) for m in exclude)

    return matches


def _compile_one(pattern: str) -> Callable[[str], bool]:
    """A predicate for one brace-free, ``!``-free pattern: wcmatch's compiled regex when it is
    cheap (:func:`_is_cheap`), else the bounded-time matcher."""
    if _is_cheap(pattern):
        (regex,), _ = wcglob.translate([pattern], flags=GLOB_FLAGS & ~(wcglob.BRACE | wcglob.NEGATE))
        return re.compile(regex).fullmatch  # type: ignore[return-value]
    return _SlowPattern(pattern).matches


def slow_match(path: str, patterns: Sequence[str]) -> bool:
    """:func:`match_globs` always through the bounded-time matcher (for tests that compare it
    with wcmatch)."""
    include: list[str] = []
    exclude: list[str] = []
    for p in with_name_patterns(patterns):
        negative = p.startswith("!")
        (exclude if negative else include).extend(_expand(p[1:] if negative else p))
    return (any(_SlowPattern(p).matches(path) for p in include)
            and not any(_SlowPattern(p).matches(path) for p in exclude))
