"""The text index: which of a fixed set of words each file of the inventory contains, found once.

The evidence checks (``rollback``, ``backups``, ``load-test``, ``observability``) look for a few
dozen words (``pg_dump``, ``rollback``, ``structlog``) in every script of the repository. One
substring test per word is one pass over all the text per word, about 10 ms per 20 MB each, and
the evidence checks run on the whole tree even in diff mode, so they set the floor of a pull
request's run (``docs/performance.md``). A :class:`LiteralIndex` finds every word in a handful of
regex passes over each file's raw bytes (:func:`literal_groups`), without decoding files that hold
none of them; the checks then search only the files and lines holding a word, with their own
patterns, and get the results of searching everything.

Each check declares the words it asks about (:meth:`gate.checks.interface.Check.index_words`);
the runner unites them and builds one index per run before any check starts, so no check's speed
depends on which check happens to run first.

This module knows only the inventory (``docs/architecture.md``: a leaf under the checks).
"""

from __future__ import annotations

import functools
import re
from typing import Any, Iterable, NamedTuple, Optional

from gate.inventory import FileEntry, Inventory, InventoryError

_ODD_LETTERS = ((b"\xc5\xbf", b"s"), (b"\xc4\xb1", b"i"), (b"\xc4\xb0", b"i"), (b"\xe2\x84\xaa", b"k"))
"""UTF-8 of the characters ``re.IGNORECASE`` matches to an ASCII letter besides its two cases, and
that letter: ``ſ`` (long s) for ``s``, dotless ``ı`` and dotted ``İ`` for ``i``, the Kelvin sign
for ``k``. tests/checks/evidence checks every code point."""

_ODD_LEADS = tuple((lead, tuple(pair for pair in _ODD_LETTERS if pair[0][:1] == lead))
                   for lead in sorted({odd[:1] for odd, _ in _ODD_LETTERS}))
""":data:`_ODD_LETTERS` by first byte: a one-byte ``in`` is a ``memchr``, far cheaper than
searching for each sequence in every non-ASCII file."""


def fold_case(text: str) -> str:
    """A copy of ``text`` in which every ``re.IGNORECASE`` match of a lower-case ASCII literal
    appears as that literal: ASCII letters lower-cased, :data:`_ODD_LETTERS` replaced.

    For presence tests of ASCII literals only. Other non-ASCII characters come out as some
    non-ASCII characters (the Latin-1 reading of their UTF-8 bytes: ``bytes.lower`` is several
    times faster than ``str.lower`` on non-ASCII text), so positions shift.
    """
    if text.isascii():
        return text.lower()
    return fold_bytes(text.encode("utf-8", "surrogatepass")).decode("latin-1")


def fold_bytes(data: bytes) -> bytes:
    """:func:`fold_case` for a file's raw bytes, before decoding.

    Decoding UTF-8 (invalid sequences replaced) keeps every ASCII byte and turns each
    :data:`_ODD_LETTERS` sequence into its character, so an ASCII literal appears in
    ``fold_bytes(data)`` exactly when it appears in ``fold_case`` of the decoded text.
    """
    low = data.lower()
    if not low.isascii():
        for lead, pairs in _ODD_LEADS:
            if lead in low:
                for odd, letter in pairs:
                    if odd in low:
                        low = low.replace(odd, letter)
    return low


def fold_in_place(text: str) -> Optional[str]:
    """Like :func:`fold_case`, but with every character at its own index (the same ASCII literals
    appear, at the same positions as in ``text``), or None when lower-casing changes the length
    (a ``İ``)."""
    low = text.lower()
    if len(low) != len(text):
        return None
    if not low.isascii():
        low = low.replace("\u017f", "s").replace("\u0131", "i")
    return low


_CHAR_FREQUENCY = {
    " ": 269, "e": 66, "t": 47, "r": 39, "s": 38, "a": 36, "n": 36, "i": 36, "o": 34, "l": 26, ",": 20, "c": 20,
    "d": 19, "p": 18, "u": 16, "f": 16, "m": 15, '"': 15, "'": 15, "_": 15, "h": 12, ".": 11, "g": 11, "b": 9,
    "(": 9, ")": 9, ":": 9, "y": 8, "0": 7, "v": 6, "x": 6, "w": 5, "=": 5, "k": 5, "-": 5, "1": 4, "#": 4,
    "2": 4, "\\": 3, "[": 3, "]": 3, "3": 2, "q": 2, "4": 2, "/": 2, "`": 2, "6": 2, "9": 2, "5": 2, "j": 2,
}
"""Per-mille frequency of characters in case-folded Python source (measured on the 24 MB
benchmark corpus of installed packages); others count as 1. Only steers how
:func:`literal_groups` groups literals (speed), never what is found."""


def _pivot_index(literal: str, char: str) -> int:
    """Where ``char`` pivots ``literal``: its first occurrence with text after it, else its last."""
    return next((k for k, c in enumerate(literal) if c == char and k < len(literal) - 1), literal.index(char))


def _group_cost(char: str, behind_only: int) -> float:
    """Rough cost of one group pattern pivoting on ``char``, in passes over the text: the pass,
    plus a match attempt at every occurrence of ``char``, dearer for each of the
    ``behind_only`` members whose alternative must start with a look-behind (``char`` is its
    last character) because it cannot be rejected at a glance (measured: about 0.03 and 0.02
    passes per per-mille)."""
    return 1.0 + _CHAR_FREQUENCY.get(char, 1) * (0.03 + 0.02 * behind_only)


_MAX_PIVOT_VISITS = 64
"""Matches :meth:`LiteralGroup.present` visits before it looks for the members still unseen with
a substring search each: bounds the Python work on a hostile file of one word repeated."""


class LiteralGroup(NamedTuple):
    """One pattern of :func:`literal_groups` and the literals it finds (``str``, or ``bytes``)."""

    pattern: "re.Pattern[Any]"
    """Matches at the pivot character of each occurrence of a member (and nowhere else)."""
    members: tuple[Any, ...]
    offsets: tuple[int, ...]
    """For each member, the index of the pivot in it: an occurrence of ``members[k]`` starts
    ``offsets[k]`` characters before a match of ``pattern``."""

    def present(self, text: Any) -> list[Any]:
        """The members ``text`` contains: tested at the pattern's matches only, not by a
        substring search per member (each occurrence of a member is a match at its pivot)."""
        found: list[Any] = []
        todo = list(zip(self.members, self.offsets))
        m = self.pattern.search(text)
        for _ in range(_MAX_PIVOT_VISITS):
            if m is None or not todo:
                return found
            at = m.start()
            still = []
            for member, offset in todo:
                if at >= offset and text.startswith(member, at - offset):
                    found.append(member)
                else:
                    still.append((member, offset))
            todo = still
            m = self.pattern.search(text, at + 1)
        # A file made of one word repeated: finish with one substring search per member left.
        return found + [member for member, _ in todo if member in text] if m is not None else found


@functools.lru_cache(maxsize=32)
def literal_groups(literals: tuple[str, ...], as_bytes: bool = False) -> tuple[LiteralGroup, ...]:
    """Patterns that together find whether a text contains any of ``literals``, in few passes.

    Returns :class:`LiteralGroup` s: ``pattern.search(text)`` is not None exactly when ``text``
    contains one of the group's ``members`` (the members partition ``literals``). Each pattern
    starts with one literal *pivot* character, which ``re`` scans for with a tight loop instead
    of trying every position, then tells the members apart: a member ``m`` whose pivot is at
    index ``i`` is the alternative ``m[i+1:]`` followed by the look-behind ``(?<=m)``
    (``b(?:ackup|org|…)``, ``k(?:up(?<=backup)|6)``), so a match at a pivot exists exactly when
    the member occurs around it. Pivots are chosen greedily to cover every literal at a low
    estimated cost (:func:`_group_cost`); the choice affects speed only. Empty literals are not
    allowed (ValueError). ``as_bytes``: patterns and members as ``bytes`` (ASCII literals), to
    search raw file contents.
    """
    if any(not lit for lit in literals):
        raise ValueError("empty literal")
    todo = set(literals)
    holding: dict[str, set[str]] = {}
    for lit in literals:
        for c in lit:
            holding.setdefault(c, set()).add(lit)
    behind = {(c, lit): _pivot_index(lit, c) == len(lit) - 1 > 0 for c, lits in holding.items() for lit in lits}
    chosen: dict[str, list[str]] = {}
    while todo:
        best: Optional[tuple[tuple[float, str], str, set[str]]] = None
        for char in sorted(holding):
            covers = holding[char] & todo
            if not covers:
                continue
            more_behind = sum(behind[char, lit] for lit in covers)
            if char in chosen:  # joining a pattern already paid for: only the added look-behinds
                extra = _group_cost(char, more_behind) - _group_cost(char, 0)
            else:
                extra = _group_cost(char, more_behind)
            key = (extra / len(covers), char)
            if best is None or key < best[0]:
                best = (key, char, covers)
        assert best is not None
        _, char, covers = best
        chosen.setdefault(char, []).extend(covers)
        todo.difference_update(covers)
    groups = []
    for char, members in sorted(chosen.items()):
        by_first: dict[str, list[str]] = {}
        for lit in sorted(members):
            i = _pivot_index(lit, char)
            rest = lit[i + 1:]
            behind = f"(?<={re.escape(lit)})" if i else ""
            by_first.setdefault(rest[:1], []).append(re.escape(rest[1:]) + behind)
        alternatives = [re.escape(first) + (f"(?:{'|'.join(tails)})" if len(tails) > 1 else tails[0])
                        for first, tails in sorted(by_first.items(), key=lambda kv: (kv[0] == "", kv[0]))]
        ordered = tuple(sorted(members))
        source = f"{re.escape(char)}(?:{'|'.join(alternatives)})"
        offsets = tuple(_pivot_index(m, char) for m in ordered)
        if as_bytes:
            groups.append(LiteralGroup(re.compile(source.encode("ascii")), tuple(m.encode("ascii") for m in ordered),
                                       offsets))
        else:
            groups.append(LiteralGroup(re.compile(source), ordered, offsets))
    return tuple(groups)


_NOTHING: frozenset[str] = frozenset()


class LiteralIndex:
    """Which of a fixed set of lower-case ASCII literals each file's folded text contains.

    One per run (built by the runner from every check's :meth:`~gate.checks.interface.Check.index_words`),
    filled lazily: the first question about a file reads
    its bytes and scans them for every literal at once (:func:`fold_bytes`,
    :func:`literal_groups`), without decoding them; later questions, from any check, are
    look-ups. A file that cannot be read contains nothing (:meth:`present` with ``strict``
    raises the read error instead). Safe to share between threads (at worst two threads scan
    the same file and store the same answer).
    """

    def __init__(self, inventory: Inventory, literals: Iterable[str]) -> None:
        self.inventory = inventory
        self.literals: frozenset[str] = frozenset(literals)
        """The literals the index answers for (lower-case ASCII)."""
        if any(not lit.isascii() or lit != lit.lower() for lit in self.literals):
            raise ValueError("LiteralIndex literals must be lower-case ASCII")
        self._groups = literal_groups(tuple(sorted(self.literals)), as_bytes=True)
        self._found: dict[str, frozenset[str]] = {}
        self._errors: dict[str, InventoryError] = {}

    def present(self, entry: FileEntry, *, strict: bool = False) -> frozenset[str]:
        """The index's literals that ``entry``'s folded text contains (none for a binary file).

        Raises:
            InventoryError: with ``strict``, when the file could not be read (the error
                :meth:`Inventory.read_text` would raise).
        """
        found = self._found.get(entry.path)
        if found is None:
            found = _NOTHING
            if not entry.is_binary:
                try:
                    data = self.inventory.read_bytes(entry)
                except InventoryError as exc:
                    self._errors[entry.path] = exc
                else:
                    low = fold_bytes(data)
                    hits = [lit for group in self._groups for lit in group.present(low)] if low else []
                    if hits:
                        found = frozenset(lit.decode("ascii") for lit in hits)
            self._found[entry.path] = found
        if strict and entry.path in self._errors:
            raise self._errors[entry.path]
        return found

    def any_of(self, entry: FileEntry, literals: frozenset[str]) -> bool:
        """True when ``entry``'s folded text contains one of ``literals`` (lower-case ASCII).

        Literals outside :attr:`literals` are looked for directly (same answer, slower).
        """
        if literals <= self.literals:
            return not self.present(entry).isdisjoint(literals)
        if entry.is_binary:
            return False
        try:
            text = self.inventory.read_text(entry)
        except InventoryError:
            return False
        if not text:
            return False
        low = fold_case(text)
        return any(lit in low for lit in literals)


