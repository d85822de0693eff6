"""Diff-aware mode (``--changed-since REF``): which files changed, and which findings are new.

A finding is *new* when the change under review brought it; *pre-existing* when the same finding
is already in the base version of its file. The gate decides that by comparing **findings**,
never by reading diff text (a hunk header, a ``+++ b/`` line or a line number can be forged by
the content of a change, ``docs/threats.md``, "Attacks on the verdict"):

1. :func:`list_changes`: the merge base of ``REF`` and ``HEAD``, and every changed path from
   ``git diff-index -z --raw`` (status, modes and base blob per path: additions, deletions,
   renames, type changes, submodules) plus untracked files that are not ignored. Names come
   NUL-separated, never parsed out of patch text. ``diff-index`` is plumbing: unlike ``git
   diff`` it never rewrites ``.git/index`` as a side effect.
2. :func:`materialize_base`: the base version of each changed file that has one (a modified
   file, the old side of a rename) and that needs comparing (the runner asks only for files
   with findings now) is read from the object store with ``git cat-file --batch`` (no
   checkout, no filter, nothing written into the work tree) and written into a temporary
   directory under its *base* path, so the checks judge it as the base branch did (a file
   renamed out of ``tests/`` into the service's code had no finding on the base branch, where
   the pattern checks' ``exclude`` left it out).
3. The runner scans that directory with the same diff-aware checks, then :func:`mark_new`
   subtracts: each finding's key is its rule, its path now (a base finding of a renamed file
   counts under its new path), its fingerprint (not for a renamed file: fingerprints may hash
   the path) and the whitespace-normalised text of every line of its range (``line`` ..
   ``end_line``) — no line number. Code that moves keeps its key (pre-existing); any changed
   line inside a finding's range changes it (new); a finding in an added file, or in a file
   whose base could not be read or scanned, is new.

git runs hardened (:mod:`gate.git`: no hooks, no fsmonitor, no system or global config, no
optional locks, every filter driver emptied: comparing the work tree would otherwise run the
clean filter that ``.gitattributes`` selects). A ref starting with ``-`` is refused (it would be
read as an option: argument injection). Paths are relative to the scanned directory
(``--relative``), as the inventory's are, so scanning a sub-directory of a repository works.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Mapping, Optional, Sequence

from gate.git import DIFF_SAFETY, GitError, neutral_filters, run_git, split_z
from gate.inventory import Inventory, InventoryError, build_inventory
from gate.model import Finding
from gate.pysource import SourceDecodeError, decode_python, declares_other_encoding

REGULAR_MODES = frozenset({"100644", "100755"})
"""git modes of regular files: the only base versions worth scanning (``120000`` is a symlink,
``160000`` a submodule)."""

GITLINK_MODE = "160000"
"""git's mode for a submodule entry (a commit of another repository)."""

ZERO_SHA = frozenset({"0" * 40, "0" * 64})
"""The object id git prints for "no object" (an absent side, or a work-tree file not hashed)."""

MAX_BASE_BYTES = 64 * 1024 * 1024
"""Largest base version read at all; larger ones are not compared (their file's findings all
count as new). The inventory's size cap applies on top (:func:`materialize_base`)."""

_COMPARED_STATUSES = frozenset({"M", "R", "T"})
"""Statuses whose base version is the same file (modified, renamed, type changed). ``C``
(copied) is compared with nothing: a copy is new code at a new path."""


@dataclass(frozen=True)
class Change:
    """One changed path between the merge base and the work tree."""

    status: str
    """``A`` added, ``M`` modified, ``D`` deleted, ``R`` renamed, ``C`` copied, ``T`` type
    changed, ``U`` unmerged, ``?`` untracked (not ignored)."""
    path: str
    """The path now (for a deletion, the path that is gone), relative to the scanned directory."""
    base_path: Optional[str] = None
    """The path of the base version compared with (a rename's old path), or None when there is
    none to compare with (added, copied, untracked, or not a regular file on the base)."""
    base_blob: Optional[str] = None
    """The base version's blob id, when ``base_path`` is set."""
    base_mode: str = ""
    mode: str = ""
    blob: Optional[str] = None
    """The blob id now, when git knows it (staged or committed); None for work-tree content git
    did not hash (``diff-index`` never refreshes the index)."""
    """git modes on each side (``100644``, ``120000`` symlink, ``160000`` submodule); ``""`` for
    an absent side or an untracked file."""

    @property
    def exists(self) -> bool:
        """True unless the change deleted the path."""
        return self.status != "D"

    @property
    def is_submodule(self) -> bool:
        """True when the path is now a submodule (a gitlink)."""
        return self.mode == GITLINK_MODE


@dataclass(frozen=True)
class ChangeSet:
    """Every changed path since the merge base (:func:`list_changes`)."""

    base: str
    """The merge base commit id."""
    changes: tuple[Change, ...]
    _by_path: Mapping[str, Change] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_path", {c.path: c for c in self.changes if c.exists})

    @property
    def paths(self) -> frozenset[str]:
        """Paths that exist after the change (what diff mode scans)."""
        return frozenset(self._by_path)

    def get(self, path: str) -> Optional[Change]:
        """The change of ``path`` (its path now), or None when it did not change or is gone."""
        return self._by_path.get(path)


def merge_base(root: Path, ref: str) -> str:
    """The commit id of the merge base of ``ref`` and ``HEAD`` in the repository at ``root``.

    Raises:
        GitError: ``ref`` starts with ``-`` (refused), not a git work tree, or ``ref`` is
            unknown (the message is git's own last line of stderr). A ``ValueError``.
    """
    if ref.startswith("-"):
        raise GitError(f"not a git ref: {ref!r} (refs may not start with '-')")
    return run_git(root, ["merge-base", ref, "HEAD"]).stdout.strip()


def parse_raw(output: bytes) -> list[Change]:
    """The changes of ``git diff-index -z --raw --no-abbrev`` output.

    Each record is ``:<mode> <mode> <blob> <blob> <status>[score]`` then one path (two for a
    rename or copy: old, new), every field NUL-terminated: names may hold any byte but NUL.

    Raises:
        GitError: the output is not in that shape (never guessed at).
    """
    fields = output.split(b"\0")
    if fields and fields[-1] == b"":
        fields.pop()
    out: list[Change] = []
    i = 0
    while i < len(fields):
        meta = fields[i].decode("ascii", "replace")
        parts = meta[1:].split(" ") if meta.startswith(":") else []
        if len(parts) != 5 or not parts[4]:
            raise GitError(f"unexpected git diff-index output near record {len(out) + 1}")
        old_mode, new_mode, old_blob, new_blob, status = parts
        letter = status[0]
        paths = 2 if letter in "RC" else 1
        if i + paths > len(fields) - 1:
            raise GitError("truncated git diff-index output")
        names = [os.fsdecode(n) for n in fields[i + 1:i + 1 + paths]]
        i += 1 + paths
        path = names[-1]
        old_path = names[0]
        compared = (letter in _COMPARED_STATUSES and old_mode in REGULAR_MODES and old_blob not in ZERO_SHA)
        out.append(Change(
            status=letter, path=path,
            base_path=old_path if compared else None, base_blob=old_blob if compared else None,
            base_mode="" if old_mode.strip("0") == "" else old_mode,
            mode="" if new_mode.strip("0") == "" else new_mode,
            blob=None if new_blob in ZERO_SHA else new_blob))
    return out


def _blob_id(data: bytes, like: str) -> str:
    """git's object id of a blob holding ``data`` (SHA-1, or SHA-256 for 64-digit ids)."""
    digest = hashlib.sha256 if len(like) == 64 else hashlib.sha1
    return digest(b"blob %d\0" % len(data) + data).hexdigest()


def _same_as_base(root: Path, change: Change) -> bool:
    """True when a ``diff-index`` "modified" entry is only stat-dirty: its work-tree bytes are
    exactly the base blob (``diff-index`` compares stat data and never re-hashes). Anything
    unusual (not a regular file, too large, a filter that would change the bytes) keeps it
    changed: it is then scanned, and its findings compared, which is never wrong."""
    if change.status != "M" or change.blob or not change.base_blob or change.mode != change.base_mode:
        return False
    full = root / change.path
    try:
        st = os.lstat(full)
        if not stat.S_ISREG(st.st_mode) or st.st_size > MAX_BASE_BYTES:
            return False
        with open(full, "rb") as fh:
            data = fh.read(MAX_BASE_BYTES + 1)
    except OSError:
        return False
    return _blob_id(data, change.base_blob) == change.base_blob


def list_changes(root: Path, ref: str) -> ChangeSet:
    """Every path changed since the merge base of ``ref`` and HEAD: committed, staged or not,
    plus untracked files that are not ignored.

    Raises:
        GitError: see :func:`merge_base`; or git failed.
    """
    base = merge_base(root, ref)
    config = neutral_filters(root)
    raw = run_git(root, ["diff-index", "-z", "--raw", "--no-abbrev", "--find-renames", "--relative",
                         *DIFF_SAFETY, base, "--"], config=config)
    changes = [c for c in parse_raw(raw.stdout_bytes) if not _same_as_base(root, c)]
    seen = {c.path for c in changes if c.exists}
    untracked = run_git(root, ["ls-files", "-z", "--others", "--exclude-standard"])
    changes += [Change("?", p) for p in split_z(untracked.stdout_bytes) if p not in seen]
    return ChangeSet(base, tuple(sorted(changes, key=lambda c: (c.path, c.status))))


def changed_paths(root: Path, ref: str) -> frozenset[str]:
    """Paths (relative to ``root``, POSIX) that exist and changed since the merge base of
    ``ref`` and HEAD (:func:`list_changes`; deleted paths are left out).

    Raises:
        GitError: see :func:`merge_base`.
    """
    return list_changes(root, ref).paths


def read_blobs(root: Path, blobs: Iterable[str], *, max_bytes: int = MAX_BASE_BYTES) -> dict[str, bytes]:
    """Blob id -> content for each of ``blobs`` that exists and holds at most ``max_bytes``
    (``git cat-file --batch``: the stored bytes, no filter, no textconv). Missing or larger
    blobs are left out.

    Raises:
        GitError: git failed, or printed something that is not a batch answer.
    """
    wanted = sorted(set(blobs))
    if not wanted:
        return {}
    check = run_git(root, ["cat-file", "--batch-check"], stdin=("\n".join(wanted) + "\n").encode("ascii"))
    small: list[str] = []
    for line in check.stdout.splitlines():
        parts = line.split(" ")
        if len(parts) == 3 and parts[1] == "blob" and parts[2].isdigit() and int(parts[2]) <= max_bytes:
            small.append(parts[0])
    if not small:
        return {}
    batch = run_git(root, ["cat-file", "--batch"], stdin=("\n".join(small) + "\n").encode("ascii")).stdout_bytes
    out: dict[str, bytes] = {}
    pos = 0
    for sha in small:
        nl = batch.find(b"\n", pos)
        header = batch[pos:nl].decode("ascii", "replace").split(" ") if nl >= 0 else []
        if len(header) != 3 or header[0] != sha or header[1] != "blob" or not header[2].isdigit():
            raise GitError("unexpected git cat-file --batch output")
        size = int(header[2])
        start = nl + 1
        out[sha] = batch[start:start + size]
        pos = start + size + 1
        if len(out[sha]) != size:
            raise GitError("truncated git cat-file --batch output")
    return out


@dataclass
class BaseTree:
    """The base versions of a change's files, written into a temporary directory
    (:func:`materialize_base`); :meth:`close` removes it."""

    root: Path
    """The temporary directory; each base version is at its *base* path."""
    paths: frozenset[str]
    """Base paths written (a rename's old path)."""
    path_now: Mapping[str, str] = field(default_factory=dict)
    """Base path written -> the file's path now."""

    def close(self) -> None:
        """Remove the temporary directory."""
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> "BaseTree":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _safe_relative(path: str) -> bool:
    parts = path.split("/")
    return bool(path) and not path.startswith("/") and all(p not in ("", ".", "..") for p in parts)


def materialize_base(root: Path, changes: ChangeSet, *, wanted: Optional[Callable[[str], bool]] = None,
                     max_bytes: int = MAX_BASE_BYTES) -> BaseTree:
    """Write the base version of every changed, existing file that has one (``Change.base_blob``)
    into a new temporary directory, under its base path (``Change.base_path``).

    Args:
        root: the scanned directory (git runs there).
        changes: :func:`list_changes`.
        wanted: which paths (now) to write (default: all that have a base version).
        max_bytes: base versions larger than this are not written (not compared).

    Raises:
        GitError: git failed.
        OSError: the temporary directory cannot be written.
    """
    todo = [c for c in changes.changes
            if c.exists and c.base_blob and c.base_path and _safe_relative(c.base_path)
            and (wanted is None or wanted(c.path))]
    blobs = read_blobs(root, (c.base_blob for c in todo if c.base_blob), max_bytes=max_bytes)
    tmp = Path(tempfile.mkdtemp(prefix="readiness-gate-base-"))
    written: dict[str, str] = {}
    try:
        for c in todo:
            data = blobs.get(c.base_blob or "")
            if data is None or c.base_path is None or c.base_path in written:
                continue
            target = tmp / c.base_path
            target.parent.mkdir(parents=True, exist_ok=True)
            # O_EXCL | O_NOFOLLOW: a fresh regular file, never through a name that already exists
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            written[c.base_path] = c.path
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return BaseTree(tmp, frozenset(written), written)


def _normalised_lines(text: Optional[str], first: int, last: int) -> Optional[str]:
    """Lines ``first``..``last`` (1-based, ``\\n``-separated as semgrep counts them) of ``text``,
    whitespace runs collapsed; None when the range is not inside the text."""
    if text is None or first < 1 or last < first:
        return None
    lines = text.split("\n")
    if last > len(lines):
        return None
    return "\n".join(" ".join(line.split()) for line in lines[first - 1:last])


def finding_key(finding: Finding, text: Optional[str], *, path: Optional[str] = None,
                fingerprint: bool = True) -> Optional[tuple[str, str, str, str]]:
    """The line-independent key of ``finding`` in a file whose text is ``text``: rule, path
    (``path``, default the finding's), fingerprint (``""`` when not ``fingerprint``) and the
    normalised text of its line range; None when it has none (no path, no line, or a range
    outside the text): such a finding is never matched, so it counts as new."""
    if finding.path is None or finding.line is None:
        return None
    end = finding.end_line or finding.line
    snippet = _normalised_lines(text, finding.line, max(end, finding.line))
    if snippet is None:
        return None
    return (finding.rule, path or finding.path, finding.fingerprint if fingerprint else "", snippet)


TextOf = Callable[[str], Optional[str]]
"""Returns a path's text (through an inventory), or None when it cannot be read."""


def text_reader(inventory: Inventory) -> TextOf:
    """A path's text for :func:`gate.diff.mark_new`, or None (its findings then count as new).

    None too for a file Python reads with more or fewer lines than its UTF-8 reading (a PEP 263
    ``unicode_escape`` or ``utf-7`` declaration turns ``\\x0a`` into a line break): semgrep
    numbers the lines Python sees, detect-secrets the raw ones, so no line range can be trusted
    to name the same text on both sides."""
    def read(path: str) -> Optional[str]:
        try:
            text = inventory.read_text(path)
            if declares_other_encoding(text) and decode_python(inventory.read_bytes(path)).count("\n") != \
                    text.count("\n"):
                return None
            return text
        except (InventoryError, SourceDecodeError):
            return None
    return read


def mark_new(findings: Sequence[Finding], base_findings: Optional[Sequence[Finding]], changes: ChangeSet,
             compared: Mapping[str, str], head_text: TextOf, base_text: TextOf) -> list[bool]:
    """For each of ``findings`` (a diff-aware check's, on the work tree), True when it is new.

    Args:
        findings: the check's findings on the changed files now.
        base_findings: the same check's findings on the base versions (:func:`materialize_base`,
            at their base paths), or None when that scan failed: then every finding in a
            changed file is new.
        changes: :func:`list_changes`.
        compared: base path -> path now, for the base versions that were scanned (written and
            not skipped by the check).
        head_text, base_text: read a path's text now / a base path's text in the base tree.

    A finding without a path is new (it cannot be shown to pre-exist). A finding in a path the
    change did not touch is pre-existing. In a changed path: new unless an equal key
    (:func:`finding_key`) is among the base findings of that path, each base finding matching
    at most one finding now (a duplicated block is new once more).
    """
    available: Counter[tuple[str, str, str, str]] = Counter()
    renamed = {now for old, now in compared.items() if old != now}
    if base_findings is not None:
        cache: dict[str, Optional[str]] = {}
        for f in base_findings:
            if f.path is None or f.path not in compared:
                continue
            if f.path not in cache:
                cache[f.path] = base_text(f.path)
            now = compared[f.path]
            key = finding_key(f, cache[f.path], path=now, fingerprint=now not in renamed)
            if key is not None:
                available[key] += 1
    examined = frozenset(compared.values())
    out: list[bool] = []
    head_cache: dict[str, Optional[str]] = {}
    for f in findings:
        if f.path is None:
            out.append(True)
            continue
        if changes.get(f.path) is None:
            out.append(False)
            continue
        if base_findings is None or f.path not in examined:
            out.append(True)
            continue
        if f.path not in head_cache:
            head_cache[f.path] = head_text(f.path)
        key = finding_key(f, head_cache[f.path], fingerprint=f.path not in renamed)
        if key is not None and available[key] > 0:
            available[key] -= 1
            out.append(False)
        else:
            out.append(True)
    return out



@dataclass
class Comparison:
    """The base side of a diff-mode run: what changed, and the base versions that need
    comparing as an inventory the diff-aware checks can scan (:func:`prepare_comparison`).
    :meth:`close` removes the temporary directory."""

    changes: ChangeSet
    tree: BaseTree
    inventory: Inventory
    """The inventory of :attr:`tree` (a plain directory walk; the same size cap and excludes)."""

    def compared(self, skipped: Iterable[str] = ()) -> dict[str, str]:
        """Base path -> path now, for the base versions a check examined: written, listed by the
        base inventory as a text file, and not among the check's own ``skipped`` paths."""
        listed = {e.path for e in self.inventory.text_files()}
        return {old: now for old, now in self.tree.path_now.items() if old in listed and old not in set(skipped)}

    def close(self) -> None:
        """Remove the base versions."""
        self.tree.close()


def prepare_comparison(root: Path, changes: ChangeSet, wanted: Callable[[str], bool], *, max_file_size: int,
                       exclude: Sequence[str] = ()) -> Comparison:
    """Write the base versions of the ``wanted`` changed files (:func:`materialize_base`) and
    build their inventory.

    Raises:
        GitError: git failed.
        OSError: the temporary directory cannot be written.
    """
    tree = materialize_base(root, changes, wanted=wanted, max_bytes=min(MAX_BASE_BYTES, max_file_size))
    try:
        inventory = build_inventory(tree.root, max_file_size=max_file_size, exclude=exclude, use_git=False)
    except BaseException:
        tree.close()
        raise
    return Comparison(changes, tree, inventory)
