"""Helpers shared by the operational-evidence checks (``rollback``, ``backups``, ``load-test``).

These checks ask the same questions of a repository: is there a file *named* like the evidence
(``rollback.sh``, ``backup-db.py``), does it hold more than comments, does some script run a
known command (``pg_dump``), is a date declared in ``readiness.yml`` fresh. The answers live
here once. Everything reads through the :class:`~gate.inventory.Inventory`, so a symlink that
leaves the tree, a file over the size cap or a binary file is never evidence.

Speed (``docs/performance.md``: evidence checks run on the whole tree even in diff mode, so they set the floor
of a pull request's run): the words these checks and ``observability`` look for are found in
every file at once, from its raw bytes, by a :class:`LiteralIndex` shared through the run
(a handful of regex passes, :func:`literal_groups`); only the files and lines holding a word
are searched with the checks' own patterns, and the results are those of searching everything.
"""

from __future__ import annotations

import ast
import bisect
import datetime as dt
import functools
import itertools
import re
import threading
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any, Iterable, Iterator, NamedTuple, Optional, Sequence

from gate.checks.interface import CheckContext
from gate.config import CONFIG_NAMES
from gate.inventory import FileEntry, Inventory, InventoryError
from gate.model import Finding, Severity

ROLLBACK_NAME = re.compile(r"roll[\s_.-]?back", re.IGNORECASE)
"""A name that says rollback: ``rollback``, ``roll-back``, ``roll_back``, ``db-rollback``. Used by
``rollback`` (evidence) and ``deploy-pipeline`` (a rollback job is not a deploy to gate on tests)."""

SCRIPT_SUFFIXES = frozenset({
    "", ".sh", ".bash", ".zsh", ".ksh", ".fish", ".ps1", ".bat", ".cmd", ".py", ".rb", ".pl",
    ".js", ".mjs", ".cjs", ".ts", ".go", ".yml", ".yaml", ".sql", ".tf", ".hcl",
})
"""File kinds that can *do* something (scripts, playbooks, CI or cron definitions, SQL,
Terraform). Documentation and data files are not scripts."""

DOC_SUFFIXES = frozenset({".md", ".markdown", ".rst", ".txt", ".adoc"})
"""Documentation files: a runbook may be evidence, but never as a script."""

_TEST_DIRS = frozenset({"test", "tests", "testing", "spec", "specs", "__tests__", "testdata", "fixtures"})
_TEST_NAME = re.compile(r"(^test_|_test\.|\.test\.|\.spec\.|^conftest\.py$)", re.IGNORECASE)
_VENDOR_DIRS = frozenset({"node_modules", "vendor", "third_party", "site-packages", ".venv", "venv"})


@functools.lru_cache(maxsize=65536)  # asked per file by several checks: cache, never a walk
def is_test_path(path: str) -> bool:
    """True for test code (``tests/…``, ``test_x.py``, ``x_test.go``, ``x.spec.ts``).

    A unit test named ``test_rollback.py`` tests code; it is not a rollback path.
    """
    parts = _parts(path)
    return any(p.lower() in _TEST_DIRS for p in parts[:-1]) or bool(_TEST_NAME.search(parts[-1]))


@functools.lru_cache(maxsize=65536)
def is_vendored(path: str) -> bool:
    """True for third-party code checked into the tree (``node_modules/``, ``vendor/``, …)."""
    return any(p in _VENDOR_DIRS for p in _parts(path)[:-1])


def _parts(path: str) -> list[str]:
    """``PurePosixPath(path).parts`` for a repository-relative inventory path (no empty, ``.``
    or ``..`` components, as ``git ls-files`` and the inventory walk give them), five times
    cheaper; any other path goes through PurePosixPath."""
    parts = path.split("/")
    if "" in parts or "." in parts or ".." in parts:
        return list(PurePosixPath(path).parts)
    return parts


def is_script(entry: FileEntry) -> bool:
    """True for a text file whose kind can run (see :data:`SCRIPT_SUFFIXES`)."""
    return not entry.is_binary and entry.suffix in SCRIPT_SUFFIXES


def files_named(inventory: Inventory, name: "re.Pattern[str]", *, scripts_only: bool = True,
                include_tests: bool = False) -> list[FileEntry]:
    """Text files whose *file name* matches ``name`` (a compiled, case-insensitive regex).

    ``scripts_only`` keeps only :func:`is_script` files; test code and vendored code are left
    out unless ``include_tests``. Entries come in path order.
    """
    out = []
    for e in inventory.files:
        # The name test first: it rejects nearly every file. ``rpartition`` is FileEntry.name
        # for an inventory path (no ``.`` components, no trailing ``/``) without a PurePosixPath.
        if not name.search(e.path.rpartition("/")[2]):
            continue
        if e.is_binary or is_vendored(e.path):
            continue
        if not include_tests and is_test_path(e.path):
            continue
        if scripts_only and not is_script(e):
            continue
        out.append(e)
    return out


_NOOP_LINE = re.compile(
    r"""^(?:
        [#;]|//|--|::|rem\b|@echo\s+off\b           # comments, shebang, batch noise
        |set\s+-[a-z]+(?:\s+\w+)*\s*$|set\s+-o\s+\w+\s*$   # shell options
        |exit(?:\s+\d+)?\s*$|true\s*$|:\s*$|pass\s*$
        |echo\b.*\b(?:todo|tbd|fixme|not\s+(?:yet\s+)?implemented)\b  # placeholder output
        )""",
    re.IGNORECASE | re.VERBOSE)


def script_has_content(text: str, path: str) -> bool:
    """True when ``text`` does more than nothing.

    Empty files, files of only comments / a shebang / shell options (``set -euo pipefail``) /
    ``exit 0`` / ``true`` / ``echo "TODO"`` are not content. A Python file counts when its
    ``ast`` holds a statement other than a docstring, ``pass`` or ``...``; a Python file that
    does not parse falls back to the line rules (it is never imported or run).
    """
    if path.lower().endswith(".py"):
        try:
            tree = ast.parse(text)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            pass
        else:
            return any(not is_trivial_statement(s) for s in tree.body)
    for raw in text.splitlines():
        line = raw.strip()
        if line and not _NOOP_LINE.match(line):
            return True
    return False


def is_trivial_statement(node: ast.stmt) -> bool:
    """True for ``pass``, ``...``, a bare string (docstring) or ``raise NotImplementedError``."""
    if isinstance(node, ast.Pass):
        return True
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
        return node.value.value is Ellipsis or isinstance(node.value.value, str)
    if isinstance(node, ast.Raise) and node.exc is not None:
        exc = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
        return isinstance(exc, ast.Name) and exc.id == "NotImplementedError"
    return False


def read_text_or_none(inventory: Inventory, entry: FileEntry) -> Optional[str]:
    """The entry's text, or None when it is binary or could not be read (never raises)."""
    if entry.is_binary:
        return None
    try:
        return inventory.read_text(entry)
    except InventoryError:
        return None


_COMMENT_LINE = re.compile(r"^\s*(?:#|//|--|;|rem\b)", re.IGNORECASE)


# --------------------------------------------------------------------------- literal index
#
# The evidence checks look for a few dozen words (``pg_dump``, ``rollback``, ``structlog``) in
# every script of the repository. One substring test per word is one pass over all the text per
# word, about 10 ms per 20 MB each (the evidence checks bound the diff-mode run, ``docs/performance.md``). The
# index finds all of them in a handful of regex passes, once per run, shared by the checks.

_ODD_LETTERS = ((b"\xc5\xbf", b"s"), (b"\xc4\xb1", b"i"), (b"\xc4\xb0", b"i"), (b"\xe2\x84\xaa", b"k"))
"""UTF-8 of the characters ``re.IGNORECASE`` matches to an ASCII letter besides its two cases, and
that letter: ``ſ`` (long s) for ``s``, dotless ``ı`` and dotted ``İ`` for ``i``, the Kelvin sign
for ``k``. tests/checks/ops_evidence checks every code point."""

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


def _fold_in_place(text: str) -> Optional[str]:
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

_MAX_KEYWORD_HITS = 10_000
"""Keyword occurrences :func:`_first_command` collects before it gives up on trying only their
lines and searches the file as a whole (same result; bounds the work on hostile files)."""


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

    One per run (:func:`literal_index`), filled lazily: the first question about a file reads
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
        text = read_text_or_none(self.inventory, entry)
        if not text:
            return False
        low = fold_case(text)
        return any(lit in low for lit in literals)


def index_literals() -> tuple[str, ...]:
    """Every literal the evidence checks ask :func:`literal_index` about, lower-case, sorted.

    Collected from the checks' own keyword tuples, so each list lives once, beside the pattern
    it guards.
    """
    # Imported here, not at the top of the module: these modules import this one.
    from gate.checks import backups, load_test, observability, rollback
    return tuple(sorted({*backups.BACKUP_KEYWORDS, *backups.RESTORE_KEYWORDS, *load_test.LOAD_KEYWORDS,
                         *load_test.DEFINITION_LITERALS, *rollback.ROLLBACK_KEYWORDS,
                         *(hint.lower() for hint in observability.PY_HINT_LITERALS)}))


def literal_index(context: CheckContext, extra: Iterable[str] = ()) -> LiteralIndex:
    """The run's shared :class:`LiteralIndex` over :func:`index_literals` (built on first use).

    ``extra``: more literals the caller will ask about that depend on its settings
    (observability's health paths). They join the index when this call builds it; otherwise
    :meth:`LiteralIndex.any_of` answers them by scanning the file (same answer, slower).
    """
    return context.shared.once("ops-evidence:literal-index",
                               lambda: LiteralIndex(context.inventory, (*index_literals(), *extra)))


_LINE_ENDS = ("\r\n", "\n", "\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029")
"""What ``str.splitlines`` ends a line at (``\r\n`` counts as one end)."""


def _without_end(line: str) -> str:
    """A ``str.splitlines(keepends=True)`` line without its line end."""
    for end in _LINE_ENDS:
        if line.endswith(end):
            return line[: -len(end)]
    return line


def _lines_at(text: str, positions: Iterable[int]) -> Iterator[tuple[int, str]]:
    """``(number, line)`` of each ``str.splitlines`` line holding one of ``positions``, in order."""
    if not any(end in text for end in _LINE_ENDS[2:]):
        # Lines end at "\n" only (the usual case): find them around each position instead of
        # splitting a whole, possibly large, file. Each line is looked at once (linear time).
        number, counted, end = 1, 0, -1
        for at in sorted(positions):
            if at <= end:
                continue  # on the line just yielded
            start = text.rfind("\n", counted, at) + 1 or counted
            number += text.count("\n", counted, start)
            counted = start
            end = text.find("\n", at)
            if end < 0:
                end = len(text)
            yield number, text[start:end]
        return
    lines = text.splitlines(True)
    ends = list(itertools.accumulate(map(len, lines)))  # line n ends before ends[n]
    for n in sorted({bisect.bisect_right(ends, at) for at in positions}):
        yield n + 1, _without_end(lines[n])


def _first_command(text: str, pattern: "re.Pattern[str]",
                   keywords: Optional[Iterable[str]]) -> Optional[tuple[int, str]]:
    """``(line, matched text)`` of the first non-comment line of ``text`` where ``pattern``
    matches, or None. Lines are ``str.splitlines`` lines, numbered from 1.

    With ``keywords`` (every match of ``pattern`` contains one of them, case-insensitively;
    passing only those the file contains is enough) only the lines holding a keyword are tried,
    found with ``str.find`` in the folded text: a line without one cannot match. The result is
    the same as trying every line in order.
    """
    low = _fold_in_place(text) if keywords is not None else None
    if low is None:
        # A match on a line is a match in the whole text, so one search rules most files out.
        if not pattern.search(text):
            return None
        numbered: Iterable[tuple[int, str]] = enumerate(text.splitlines(), 1)
    else:
        at: set[int] = set()
        for word in keywords or ():
            i = low.find(word)
            while i >= 0 and len(at) <= _MAX_KEYWORD_HITS:
                at.add(i)
                i = low.find(word, i + 1)
        if not at:
            return None
        if len(at) > _MAX_KEYWORD_HITS:
            return _first_command(text, pattern, None)
        numbered = _lines_at(text, at)
    for n, line in numbered:
        if _COMMENT_LINE.match(line):
            continue
        m = pattern.search(line)
        if m:
            return n, m.group(0)
    return None


def find_commands(inventory: Inventory, pattern: "re.Pattern[str]",
                  entries: Optional[Iterable[FileEntry]] = None,
                  keywords: Optional[Sequence[str]] = None,
                  index: Optional[LiteralIndex] = None) -> list[tuple[str, int, str]]:
    """Where ``pattern`` matches a non-comment line of a script (not docs, tests or vendored).

    Returns ``(path, line, matched text)`` tuples, the first match per file, in path order.
    ``entries`` defaults to every script in the inventory. A mention in a comment, in
    documentation or in readiness.yml (whose declarations are read as declarations) is not a
    mechanism. ``keywords`` (lower-case) must be such that every match of ``pattern`` contains one
    of them, case-insensitively: files without any are skipped by a substring test (through
    ``index`` when given, shared with the other checks), far cheaper than a case-insensitive
    alternation regex over the whole file, and only lines holding one are tried.
    """
    wanted = frozenset(keywords) if keywords is not None else None
    indexed = wanted is not None and index is not None and wanted <= index.literals
    out = []
    for e in entries if entries is not None else inventory.files:
        if not is_script(e) or is_test_path(e.path) or is_vendored(e.path) or e.path in CONFIG_NAMES:
            continue
        present: Optional[Iterable[str]] = wanted
        if indexed:
            present = wanted & index.present(e)  # type: ignore[operator,union-attr]
            if not present:
                continue
        text = read_text_or_none(inventory, e)
        if not text:
            continue
        if wanted is not None and not indexed:
            low = fold_case(text)
            present = [k for k in wanted if k in low]
            if not present:
                continue
        hit = _first_command(text, pattern, present)
        if hit is not None:
            out.append((e.path, *hit))
    return out


def command_notes(inventory: Inventory, pattern: "re.Pattern[str]", label: str,
                  keywords: Optional[Sequence[str]] = None,
                  index: Optional[LiteralIndex] = None) -> list[str]:
    """Evidence notes for :func:`find_commands` hits: ``"<label> command `pg_dump` in ops/x.sh:3"``."""
    return [f"{label} command `{' '.join(m.split())}` in {p}:{n}"
            for p, n, m in find_commands(inventory, pattern, keywords=keywords, index=index)]


@dataclass(frozen=True)
class DatedEvidence:
    """The outcome of reading a dated declaration in ``readiness.yml`` ``evidence``."""

    declared: bool
    """The key is present with a date."""
    fresh: bool
    """Declared, parseable, not in the future and no older than the limit."""
    finding: Optional[Finding]
    """A finding for a stale or future date (blocking decided by the caller), else None."""
    note: str
    """An evidence note when fresh (``restore tested 2026-10-01 (readiness.yml:12)``)."""


def dated_evidence(context: CheckContext, key: str, *, what: str, max_age_days: int,
                   stale_rule: str, remediation: str) -> DatedEvidence:
    """Judge ``evidence.<key>.date`` against ``context.today`` and ``max_age_days``.

    ``what`` names the activity in messages ("restore test"). The finding points at the
    declaration's line in readiness.yml. A date in the future is a finding too (rule
    ``<stale_rule>`` with a different message): nothing has been tested on a day to come.
    """
    raw = context.config.evidence.get(key)
    date_text = raw.get("date") if hasattr(raw, "get") else None
    if not date_text:
        return DatedEvidence(False, False, None, "")
    loc = context.config.location_of(f"evidence.{key}.date") or context.config.location_of(f"evidence.{key}")
    path = loc.path if loc else (context.config.source or "readiness.yml")
    line = loc.line if loc else None
    try:
        date = dt.date.fromisoformat(str(date_text))
    except ValueError:
        return DatedEvidence(True, False, Finding(
            stale_rule, f"evidence.{key}.date {date_text!r} is not a date.", path=path, line=line,
            severity=Severity.MEDIUM, remediation=remediation), "")
    age = (context.today - date).days
    if age < 0:
        return DatedEvidence(True, False, Finding(
            stale_rule, f"The declared {what} date {date.isoformat()} is in the future.", path=path,
            line=line, severity=Severity.MEDIUM, remediation=remediation), "")
    if age > max_age_days:
        return DatedEvidence(True, False, Finding(
            stale_rule, f"The last declared {what} was on {date.isoformat()}, {age} days ago "
                        f"(limit: {max_age_days} days).", path=path, line=line,
            severity=Severity.MEDIUM, remediation=remediation), "")
    where = f" ({path}:{line})" if line else ""
    return DatedEvidence(True, True, None, f"{what} declared on {date.isoformat()}, {age} days ago{where}")


def skipped_named(inventory: Inventory, name: "re.Pattern[str]") -> list[str]:
    """Skipped paths (symlinks out, too big, …) whose file name matches ``name``, with reasons.

    Used to tell a user why a ``rollback.sh`` that exists did not count.
    """
    return [f"{s.path} ({s.reason})" for s in inventory.skipped if name.search(PurePosixPath(s.path).name)]


def absence_note(inventory: Inventory, name: "re.Pattern[str]", empty: Iterable[str]) -> str:
    """A parenthesised note for a "nothing found" message naming the near misses.

    Lists the candidates that were empty (only comments) and the paths named like the evidence
    that the inventory skipped (a symlink out of the tree, a file over the size cap), so a user
    sees why their ``rollback.sh`` did not count. ``""`` when there were none.
    """
    notes = [*(f"empty or only comments: {p}" for p in empty),
             *(f"skipped: {s}" for s in skipped_named(inventory, name))]
    return f" ({'; '.join(notes)})" if notes else ""


def named_scripts(inventory: Inventory, name: "re.Pattern[str]", label: str,
                  exclude: Iterable[str] = ()) -> tuple[list[str], list[str]]:
    """Scripts whose file name matches ``name``, split into ``(evidence notes, empty paths)``.

    A script counts when :func:`script_has_content`; ``label`` starts each note
    (``"rollback script scripts/rollback.sh"``). Paths in ``exclude`` are left out (a check that
    judges workflow files separately passes their paths).
    """
    skip = set(exclude)
    notes, empty = [], []
    for e in files_named(inventory, name):
        if e.path in skip:
            continue
        text = read_text_or_none(inventory, e)
        if text is not None and script_has_content(text, e.path):
            notes.append(f"{label} script {e.path}")
        else:
            empty.append(e.path)
    return notes, empty
