"""The base branch's side of the Action's delta, with no setup: re-run on the base commit.

On a pull request the Action shows "Changes since the base branch" (:mod:`gate.delta`) without
a baseline file. The evidence checks are cheap and read only files, so :func:`base_delta` runs
them on the pull request's base commit: a detached ``git worktree`` of ``pull_request.base.sha``
(present when the workflow checks out with ``fetch-depth: 0``) in a temporary directory outside
the workspace, made and removed through the hardened git wrapper (:mod:`gate.git`: no hook, no
filter, no fsmonitor, no system or global config runs), with the base branch's own
``readiness.yml``. The scanner checks (:func:`gate.checks.registry.scanner_check_ids`) are not
re-run there; their new findings come from diff mode (``mode: auto`` or ``diff``), and the delta
says they were not compared.

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
from gate.git import GitError, neutral_filters, run_git, work_tree_top
from gate.model import Report
from gate.runner import run_gate

_SHA = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")

WORKTREE_TIMEOUT_S = 300.0
"""Seconds ``git worktree add`` may take (it checks out the whole base tree)."""


@contextlib.contextmanager
def base_worktree(top: Path, sha: str) -> Iterator[Path]:
    """A detached work tree of commit ``sha`` of the repository at ``top``, removed on exit.

    It lives in a new temporary directory (under ``RUNNER_TEMP`` on a runner), never in the
    workspace. Checking it out runs no hook (``core.hooksPath=/dev/null``) and no filter driver
    of the repository's config (:func:`gate.git.neutral_filters`).

    Raises:
        GitError: ``sha`` is not a full commit id, the commit is not in the repository (a shallow
            checkout), or git failed.
    """
    if not _SHA.fullmatch(sha):
        raise GitError("the base is not a full commit id")
    run_git(top, ["cat-file", "-e", f"{sha}^{{commit}}"], timeout=60)
    parent = Path(tempfile.mkdtemp(prefix="readiness-base-", dir=os.environ.get("RUNNER_TEMP") or None))
    dest = parent / "base"
    try:
        run_git(top, ["worktree", "add", "--detach", "--quiet", str(dest), sha],
                config=neutral_filters(top), timeout=WORKTREE_TIMEOUT_S)
        yield dest
    finally:
        with contextlib.suppress(GitError):
            run_git(top, ["worktree", "remove", "--force", str(dest)], timeout=120)
        shutil.rmtree(parent, ignore_errors=True)
        with contextlib.suppress(GitError):
            run_git(top, ["worktree", "prune"], timeout=60)


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
        with base_worktree(top, base_sha) as tree:
            base_root = tree / rel
            if not base_root.is_dir():
                info(f"changes since the base branch: not shown ({rel.as_posix()} does not exist on the base)")
                return None
            config = load_config(base_root)
            base = run_gate(base_root, config, options=RunOptions(today=today), only=only,
                            skip=scanner_check_ids())
            base = dataclasses.replace(base, commit=base_sha)
    except GitError as exc:
        warn(f"changes since the base branch are not shown: the base commit could not be checked out ({exc}). "
             "Check out with `fetch-depth: 0` so the base commit is present.")
        return None
    except ConfigError as exc:
        warn(f"changes since the base branch are not shown: the base branch's readiness.yml is invalid "
             f"({str(exc).splitlines()[0][:200]})")
        return None
    return compare(base, head, source="base-commit", not_compared=scanner_check_ids())
