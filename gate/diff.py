"""Diff-aware mode: what changed since a git ref (``--changed-since REF``).

Changed = files that differ between the merge base of ``REF`` and ``HEAD`` and the work tree
(committed, staged or not), plus untracked files that are not ignored. Deleted files are left
out (there is nothing to scan). Paths are relative to the scanned directory (``--relative``), as
the inventory's are, so scanning a sub-directory of a repository works.

git runs hardened (:mod:`gate.git`: no hooks, no fsmonitor, no system or global config, no
optional locks), without external diff drivers or textconv filters (:data:`gate.git.DIFF_SAFETY`),
with every configured clean/smudge/process filter driver emptied
(:func:`gate.git.neutral_filters`: ``git diff`` against the work tree would otherwise run the
clean filter that ``.gitattributes`` selects and ``.git/config`` defines) and with explicit
prefixes, so neither the repository's config nor its ``.gitattributes`` can run code or change
the output we parse. A ref starting with ``-`` is refused (it would be read as an option:
argument injection).
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path
from typing import Mapping

from gate.git import DIFF_SAFETY, GitError, neutral_filters, run_git, split_z

MAX_UNTRACKED_BYTES = 64 * 1024 * 1024
"""Untracked files larger than this are not read to count their lines (they are larger than
any inventory size cap, so no check scans them anyway)."""

_HUNK = re.compile(rb"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@")
_ESCAPES = {"a": "\a", "b": "\b", "t": "\t", "n": "\n", "v": "\v", "f": "\f", "r": "\r",
            '"': '"', "\\": "\\"}


def _git(root: Path, *args: str, config: tuple[str, ...] = ()) -> bytes:
    return run_git(root, args, config=config).stdout_bytes


def merge_base(root: Path, ref: str) -> str:
    """The commit id of the merge base of ``ref`` and ``HEAD`` in the repository at ``root``.

    Raises:
        GitError: ``ref`` starts with ``-`` (refused), not a git work tree, or ``ref`` is
            unknown (the message is git's own last line of stderr). A ``ValueError``.
    """
    if ref.startswith("-"):
        raise GitError(f"not a git ref: {ref!r} (refs may not start with '-')")
    return _git(root, "merge-base", ref, "HEAD").decode().strip()


def _untracked(root: Path) -> list[str]:
    return split_z(_git(root, "ls-files", "-z", "--others", "--exclude-standard"))


def _diff_names(root: Path, base: str, config: tuple[str, ...]) -> list[str]:
    return split_z(_git(root, "diff", "--name-only", "-z", "--relative", "--no-renames", "--diff-filter=d",
                        *DIFF_SAFETY, base, "--", config=config))


def changed_paths(root: Path, ref: str) -> frozenset[str]:
    """Paths (relative to ``root``, POSIX) changed since the merge base of ``ref`` and HEAD.

    Raises:
        GitError: see :func:`merge_base`.
    """
    base = merge_base(root, ref)
    return frozenset(_diff_names(root, base, neutral_filters(root)) + _untracked(root))


def _unquote(raw: bytes) -> str:
    """A path as git prints it in a patch header: C-quoted (``"a\\tb"``, octal bytes) or plain."""
    if not raw.startswith(b'"'):
        return os.fsdecode(raw)
    body, out, i = raw[1:-1], bytearray(), 0
    while i < len(body):
        c = body[i:i + 1]
        if c == b"\\" and i + 1 < len(body):
            nxt = chr(body[i + 1])
            if nxt in "01234567":
                out.append(int(body[i + 1:i + 4], 8))
                i += 4
                continue
            out += _ESCAPES.get(nxt, nxt).encode()
            i += 2
            continue
        out += c
        i += 1
    return os.fsdecode(bytes(out))


def parse_unified_zero(patch: bytes) -> dict[str, frozenset[int]]:
    """New-side line numbers of each file in a ``git diff -U0 --src-prefix=a/ --dst-prefix=b/``
    patch.

    A file with only deletions maps to an empty set: it changed, but no line of the new version
    is new. Files without a ``+++`` header (``Binary files ... differ``, mode changes) and
    ``/dev/null`` targets (deletions) are left out.
    """
    result: dict[str, set[int]] = {}
    current: set[int] | None = None
    for line in patch.split(b"\n"):
        if line.startswith(b"diff --git "):
            current = None
        elif line.startswith(b"+++ "):
            # git ends the name with a tab when it contains a space (for GNU patch); a name
            # that itself ends with a tab is C-quoted, so an unquoted trailing tab is never part of it.
            target = line[4:-1] if line.endswith(b"\t") else line[4:]
            if target == b"/dev/null":
                current = None
                continue
            name = _unquote(target)
            name = name[2:] if name.startswith("b/") else name
            current = result.setdefault(name, set())
        elif line.startswith(b"@@") and current is not None:
            m = _HUNK.match(line)
            if m:
                start, count = int(m.group(1)), int(m.group(2) or 1)
                current.update(range(start, start + count))
    return {k: frozenset(v) for k, v in result.items()}


def _all_lines(root: Path, rel: str) -> frozenset[int]:
    """Every line number (1..n) of the untracked file ``rel``; empty for files that are not
    regular, leave ``root`` or are too large."""
    try:
        real = (root / rel).resolve(strict=True)
        real.relative_to(root.resolve())
        st = os.stat(real)
        if not stat.S_ISREG(st.st_mode) or st.st_size > MAX_UNTRACKED_BYTES:
            return frozenset()
        with open(real, "rb") as fh:
            data = fh.read(MAX_UNTRACKED_BYTES + 1)
    except (OSError, RuntimeError, ValueError):
        return frozenset()
    # bytes.splitlines splits on \n, \r\n and \r: the universal newlines detect-secrets and
    # semgrep count lines with.
    return frozenset(range(1, len(data.splitlines()) + 1))


def changed_lines(root: Path, ref: str) -> dict[str, frozenset[int]]:
    """Path (relative to ``root``) -> new-side line numbers changed since the merge base of
    ``ref`` and HEAD (``git diff -U0`` of the merge base against the work tree). Untracked,
    not-ignored files count as entirely new (every line). Deleted files are left out.

    The keys are the same set :func:`changed_paths` returns.

    ``--text``: without it git prints no lines for files it takes for binary, and a change can
    declare any file binary (``* -diff`` in ``.gitattributes``), which would make every finding
    in it look pre-existing. A changed file the patch still gives no lines for (a mode change
    only) counts as new on every line: fail closed.

    Raises:
        GitError: see :func:`merge_base`.
    """
    base = merge_base(root, ref)
    config = neutral_filters(root)
    patch = _git(root, "diff", "-U0", "--text", "--relative", "--no-renames", "--diff-filter=d",
                 *DIFF_SAFETY, "--src-prefix=a/", "--dst-prefix=b/",
                 base, "--", config=config)
    lines = parse_unified_zero(patch)
    for rel in _diff_names(root, base, config) + _untracked(root):
        if rel not in lines:
            lines[rel] = _all_lines(root, rel)
    return lines


def is_new(path: str | None, line: int | None, lines: Mapping[str, frozenset[int]]) -> bool:
    """True when a finding at ``path``:``line`` is new in the change described by ``lines``
    (:func:`changed_lines`): on a changed line, or without a line in a changed file. A finding
    without a path cannot be placed outside the change, so it counts as new (fail closed: it
    keeps blocking)."""
    if path is None:
        return True
    if path not in lines:
        return False
    return line is None or line in lines[path]
