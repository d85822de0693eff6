"""Diff-aware mode: which files changed since a git ref (``--changed-since REF``).

Changed = files that differ between the merge base of ``REF`` and ``HEAD`` and the work tree
(committed, staged or not), plus untracked files that are not ignored. Deleted files are left
out (there is nothing to scan). Git runs with ``core.fsmonitor`` off so a repository's config
cannot run code.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

_GIT = ["git", "-c", "core.fsmonitor=false", "-c", "safe.directory=*", "-c", "core.quotepath=off"]


def _git(root: Path, *args: str) -> bytes:
    out = subprocess.run([*_GIT, "-C", str(root), *args], capture_output=True, timeout=120, check=False,
                         env={**os.environ, "GIT_TERMINAL_PROMPT": "0"})
    if out.returncode != 0:
        msg = out.stderr.decode("utf-8", "replace").strip().splitlines()
        raise ValueError(msg[-1] if msg else f"git {args[0]} failed")
    return out.stdout


def changed_paths(root: Path, ref: str) -> frozenset[str]:
    """Repository-relative POSIX paths changed since the merge base of ``ref`` and HEAD.

    Raises:
        ValueError: not a git work tree, or ``ref`` is unknown (message from git).
    """
    if ref.startswith("-"):
        raise ValueError(f"not a git ref: {ref!r}")
    base = _git(root, "merge-base", ref, "HEAD").decode().strip()
    diff = _git(root, "diff", "--name-only", "-z", "--no-renames", "--diff-filter=d", base, "--")
    untracked = _git(root, "ls-files", "-z", "--others", "--exclude-standard")
    names = [os.fsdecode(n) for n in (diff + b"\0" + untracked).split(b"\0") if n]
    return frozenset(names)
