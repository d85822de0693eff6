"""Helpers shared by the operational-evidence checks (``rollback``, ``backups``, ``load-test``).

These checks ask the same questions of a repository: is there a file *named* like the evidence
(``rollback.sh``, ``backup-db.py``), does it hold more than comments, does some script run a
known command (``pg_dump``), is a date declared in ``readiness.yml`` fresh. The answers live
here once. Everything reads through the :class:`~gate.inventory.Inventory`, so a symlink that
leaves the tree, a file over the size cap or a binary file is never evidence.

Speed (``docs/performance.md``: evidence checks run on the whole tree even in diff mode, so they
set the floor of a pull request's run): the words these checks look for are found in every file
at once by the run's :class:`gate.textindex.LiteralIndex` (each check declares its words with
:meth:`gate.checks.interface.Check.index_words`); only the files and lines holding a word are
searched with the checks' own patterns, and the results are those of searching everything.
"""

from __future__ import annotations

import ast
import bisect
import datetime as dt
import functools
import itertools
import re
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Iterable, Iterator, Optional, Sequence

from gate.checks.interface import CheckContext
from gate.config import CONFIG_NAMES
from gate.inventory import FileEntry, Inventory, InventoryError
from gate.model import Finding, Severity
from gate.textindex import LiteralIndex, fold_case, fold_in_place

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


_MAX_KEYWORD_HITS = 10_000
"""Keyword occurrences :func:`_first_command` collects before it gives up on trying only their
lines and searches the file as a whole (same result; bounds the work on hostile files)."""


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
    low = fold_in_place(text) if keywords is not None else None
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
