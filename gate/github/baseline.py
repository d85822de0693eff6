"""The base branch's side of the Action's delta, with no setup: re-run on the base commit.

On a pull request the Action shows "Changes since the base branch" (:mod:`gate.delta`) without
a baseline file. The evidence checks are cheap and read only files, so :func:`base_delta` runs
them on the pull request's base commit: the scanned directory of ``pull_request.base.sha``
(present when the workflow checks out with ``fetch-depth: 0``) exported from git's object store
into a temporary directory outside the workspace (:func:`base_tree`: ``git ls-tree`` and
``git cat-file --batch`` through the hardened wrapper :mod:`gate.git`, so no hook, filter,
fsmonitor, system or global config runs, and nothing is written under ``.git``: a ``git
worktree`` would add and remove ``.git/worktrees``), with the base branch's own ``readiness.yml``.
The scanner checks (:func:`gate.checks.registry.scanner_check_ids`) are not re-run there;
their new findings come from diff mode (``mode: auto`` or ``diff``), and the delta says they were
not compared.

Nothing here can make a verdict: the delta only describes. Any problem (not a git checkout, base
commit missing, the base's readiness.yml invalid) leaves the delta out with one log line saying
why and what to do.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any, Callable, Iterator, Optional

from gate.checks.interface import RunOptions
from gate.checks.registry import scanner_check_ids
from gate.config import ConfigError, load_config
from gate.delta import Delta, compare
from gate.git import GitError, run_git, work_tree_top
from gate.model import Report
from gate.runner import run_gate

_SHA = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")

WORKTREE_TIMEOUT_S = 300.0
"""Seconds ``git worktree add`` may take (it checks out the whole base tree)."""


def temp_parent() -> Optional[str]:
    """``RUNNER_TEMP`` when it is a directory here, else None (the system's temporary directory).

    In a Docker action the runner passes its own ``RUNNER_TEMP`` (``/home/runner/work/_temp``)
    into the container's environment without mounting it there, so the variable names a path
    that does not exist inside the container.
    """
    candidate = os.environ.get("RUNNER_TEMP") or ""
    return candidate if candidate and os.path.isdir(candidate) and os.access(candidate, os.W_OK) else None


MAX_EXPORT_BYTES = 1024 * 1024 * 1024
"""Most bytes :func:`base_tree` writes (1 GiB); a larger base tree shows no delta."""

MAX_BLOB_BYTES = 64 * 1024 * 1024
"""Files larger than this (64 MiB) are left out of the exported base tree (the inventory would
skip them as oversize anyway)."""

BATCH_BYTES = 64 * 1024 * 1024
"""Blob bytes asked of one ``git cat-file --batch`` (bounds the memory of one call)."""


def _safe_parts(path: str) -> Optional[list[str]]:
    parts = path.split("/")
    if any(p in ("", ".", "..") or p.lower() == ".git" for p in parts):
        return None
    return parts


@contextlib.contextmanager
def base_tree(top: Path, sha: str, rel: str = "") -> Iterator[Path]:
    """The directory ``rel`` of commit ``sha`` of the repository at ``top``, exported into a new
    temporary directory (:func:`temp_parent`, never the workspace) and removed on exit.

    Only git's object store is read (``ls-tree -r -l`` and ``cat-file --batch``): no checkout,
    no index, no ``.git/worktrees``, no filter or hook. Symlinks become symlinks (never
    followed here), submodules empty directories; a path with ``..`` or ``.git`` components is
    refused; files over :data:`MAX_BLOB_BYTES` are left out.

    Raises:
        GitError: ``sha`` is not a full commit id, the commit is not in the repository (a shallow
            checkout), the tree is over :data:`MAX_EXPORT_BYTES`, or git failed.
        OSError: the temporary directory cannot be written.
    """
    if not _SHA.fullmatch(sha):
        raise GitError("the base is not a full commit id")
    run_git(top, ["cat-file", "-e", f"{sha}^{{commit}}"], timeout=60)
    spec = [f"{sha}:{rel}"] if rel else [sha]
    listing = run_git(top, ["ls-tree", "-r", "-z", "-l", "--full-tree", *spec], timeout=WORKTREE_TIMEOUT_S)
    parent = Path(tempfile.mkdtemp(prefix="readiness-base-", dir=temp_parent()))
    dest = parent / "base"
    dest.mkdir()
    try:
        blobs: list[tuple[str, str, int, list[str]]] = []
        total = 0
        for record in listing.stdout_bytes.split(b"\0"):
            if not record:
                continue
            meta, _, raw_path = record.partition(b"\t")
            fields = meta.split()
            if len(fields) != 4:
                continue
            mode, kind, obj, size = (f.decode("ascii", "replace") for f in fields)
            parts = _safe_parts(os.fsdecode(raw_path))
            if parts is None:
                continue
            if kind == "commit":  # a submodule: an empty directory, as an unscanned checkout shows it
                dest.joinpath(*parts).mkdir(parents=True, exist_ok=True)
                continue
            if kind != "blob" or not size.isdigit() or int(size) > MAX_BLOB_BYTES:
                continue
            total += int(size)
            if total > MAX_EXPORT_BYTES:
                raise GitError(f"the base tree is larger than {MAX_EXPORT_BYTES} bytes")
            blobs.append((mode, obj, int(size), parts))
        _write_blobs(top, dest, blobs)
        yield dest
    finally:
        shutil.rmtree(parent, ignore_errors=True)


def _write_blobs(top: Path, dest: Path, blobs: list[tuple[str, str, int, list[str]]]) -> None:
    """Write ``blobs`` (mode, object id, size, path parts) under ``dest``, one bounded
    ``git cat-file --batch`` per :data:`BATCH_BYTES`."""
    start = 0
    while start < len(blobs):
        end, size = start, 0
        while end < len(blobs) and (end == start or size + blobs[end][2] <= BATCH_BYTES):
            size += blobs[end][2]
            end += 1
        batch = blobs[start:end]
        out = run_git(top, ["cat-file", "--batch"], stdin="".join(f"{b[1]}\n" for b in batch).encode("ascii"),
                      timeout=WORKTREE_TIMEOUT_S).stdout_bytes
        pos = 0
        for mode, obj, length, parts in batch:
            header_end = out.index(b"\n", pos)
            header = out[pos:header_end].split()
            if len(header) != 3 or header[1] != b"blob" or int(header[2]) != length:
                raise GitError(f"git cat-file answered {header[:2]!r} for blob {obj[:12]}")
            data = out[header_end + 1: header_end + 1 + length]
            pos = header_end + 1 + length + 1
            target = dest.joinpath(*parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            if mode == "120000":
                os.symlink(os.fsdecode(data), target)
            else:
                target.write_bytes(data)
                if mode == "100755":
                    target.chmod(0o755)
        start = end


def _path_in_commit(top: Path, sha: str, rel: str) -> bool:
    run = run_git(top, ["cat-file", "-t", f"{sha}:{rel}"], ok_codes=(0, 1, 128), timeout=60)
    return run.returncode == 0 and run.stdout.strip() == "tree"


def base_delta(root: Path, base_sha: Optional[str], head: Report, *, only: Any = None, today: Any = None,
               info: Callable[[str], None], warn: Callable[[str], None]) -> Optional[Delta]:
    """The delta from the base commit ``base_sha`` to ``head`` (the report of ``root``), or None.

    ``root`` is the scanned directory (the workspace or the ``path`` input inside it); the same
    directory of the base commit is checked, with the base's readiness.yml, the same ``only``
    selection and ``today``, the scanner checks skipped. ``info`` gets why there is no delta when
    that is expected (no base, not a git checkout); ``warn`` when it is a problem to fix.
    """
    if not base_sha:
        return None
    top = work_tree_top(root)
    if top is None:
        info("changes since the base branch: not shown (the workspace is not a git checkout)")
        return None
    try:
        rel = root.resolve().relative_to(top)
    except ValueError:
        return None
    try:
        if rel.as_posix() != "." and not _path_in_commit(top, base_sha, rel.as_posix()):
            info(f"changes since the base branch: not shown ({rel.as_posix()} does not exist on the base)")
            return None
        with base_tree(top, base_sha, "" if rel.as_posix() == "." else rel.as_posix()) as base_root:
            config = load_config(base_root)
            base = run_gate(base_root, config, options=RunOptions(today=today), only=only,
                            skip=scanner_check_ids())
            base = dataclasses.replace(base, commit=base_sha)
    except GitError as exc:
        warn(f"changes since the base branch are not shown: the base commit could not be checked out ({exc}). "
             "Check out with `fetch-depth: 0` so the base commit is present.")
        return None
    except OSError as exc:
        warn(f"changes since the base branch are not shown: no temporary directory for the base commit "
             f"({type(exc).__name__}: {exc.strerror or exc})")
        return None
    except ConfigError as exc:
        warn(f"changes since the base branch are not shown: the base branch's readiness.yml is invalid "
             f"({str(exc).splitlines()[0][:200]})")
        return None
    return compare(base, head, source="base-commit", not_compared=scanner_check_ids())
