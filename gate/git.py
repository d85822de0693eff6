"""The one way readiness-gate starts git: one set of hardening flags, one typed error.

The inventory (``git ls-files``), the report's commit (``git rev-parse``) and diff mode
(``git merge-base``, ``git diff -z --raw``, ``git cat-file``) all run git through
:func:`run_git`, on top of :func:`gate.scanners.process.run_tool` (argv only, a timeout, the
process group killed on expiry). The repository being scanned is hostile (``docs/threats.md``,
promise 2): its ``.git/config``, hooks directory and ``.gitattributes`` must not be able to run
code or change what git reports. Every call therefore gets:

* ``-c core.hooksPath=/dev/null``: no hook runs (``git diff`` refreshes the index and would
  run ``.git/hooks/post-index-change``);
* ``--no-optional-locks`` and ``GIT_OPTIONAL_LOCKS=0``: git never writes the index (or
  anything else) as a side effect of a read; and ``git diff``, which rewrites the index anyway
  when a file's stat data is stale (git 2.39's ``refresh_index_quietly`` ignores optional locks;
  in the Action's container that leaves a root-owned ``.git/index`` in the runner's workspace,
  ``docs/threats.md`` row 4), runs on a scratch copy of the index (:data:`INDEX_WRITERS`,
  ``GIT_INDEX_FILE``), so its answer stays exact and the repository is left as it was;
* ``-c core.fsmonitor=false``: the repository's fsmonitor command is not started;
* every filter driver the repository's config defines emptied (:func:`neutral_filters`), so
  comparing the work tree never runs a ``clean``/``process`` filter that ``.gitattributes``
  selects; diff commands add ``--no-ext-diff --no-textconv`` (:data:`DIFF_SAFETY`);
* ``GIT_CONFIG_NOSYSTEM=1`` and ``GIT_CONFIG_GLOBAL=/dev/null``: only the repository's own
  config (already distrusted) is read, so the answer does not depend on the runner's
  ``/etc/gitconfig`` or ``~/.gitconfig``;
* ``--no-replace-objects``: ``refs/replace`` cannot swap the blobs diff mode reads;
* ``-c safe.directory=*``: a work tree owned by another user (the Action's container,
  ``docs/threats.md`` row 4) is read, not refused;
* ``-c core.quotepath=off``, ``GIT_TERMINAL_PROMPT=0``, ``GIT_PAGER=cat``, no
  ``GIT_EXTERNAL_DIFF``: names as bytes, never a prompt or a pager.

The executable is found like every tool's (``READINESS_GATE_GIT_BIN``, then ``PATH``).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path
from typing import Iterator, Optional, Sequence

from gate.redact import redact
from gate.scanners.process import ToolError, ToolRun, run_tool

TOOL = "git"

GLOBAL_OPTIONS: tuple[str, ...] = (
    "--no-optional-locks",
    "--no-replace-objects",
    "-c", "core.hooksPath=/dev/null",
    "-c", "core.fsmonitor=false",
    "-c", "safe.directory=*",
    "-c", "core.quotepath=off",
)
"""Options before the subcommand on every git call (see the module docstring)."""

ENV: dict[str, str] = {
    "GIT_OPTIONAL_LOCKS": "0",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": "/dev/null",
    "GIT_TERMINAL_PROMPT": "0",
    "GIT_PAGER": "cat",
    "GIT_NO_REPLACE_OBJECTS": "1",
}
"""Environment for every git call (added to the gate's own)."""

UNSET_ENV: tuple[str, ...] = ("GIT_EXTERNAL_DIFF",)
"""Environment variables removed for every git call."""

INDEX_WRITERS: frozenset[str] = frozenset({"diff", "status"})
"""Subcommands that may refresh and write the index even with optional locks off: they run with
``GIT_INDEX_FILE`` pointing at a temporary copy of the repository's index."""

DIFF_SAFETY: tuple[str, ...] = ("--no-ext-diff", "--no-textconv", "--no-color")
"""Options every ``git diff`` gets: no external diff driver, no textconv, no colour codes."""

DEFAULT_TIMEOUT_S = 120.0
"""Seconds one git call may take before its process group is killed."""


class GitError(ToolError, ValueError):
    """git could not answer: not installed, not a work tree, an unknown ref, a refused
    argument, or an output it should not print. ``str(error)`` is one redacted line (git's
    own last line of stderr, when it printed one). A :class:`ValueError` too, so callers that
    validate a ref (``--changed-since``) report it as a usage error."""

    def __init__(self, problem: str, *, argv: Sequence[str] = (), returncode: Optional[int] = None,
                 run: Optional[ToolRun] = None) -> None:
        super().__init__(TOOL, redact(problem), argv=argv, returncode=returncode, run=run)

    def _message(self) -> str:
        return self.problem


def run_git(root: Path, args: Sequence[str], *, timeout: float = DEFAULT_TIMEOUT_S,
            ok_codes: Sequence[int] = (0,), stdin: Optional[bytes] = None,
            config: Sequence[str] = ()) -> ToolRun:
    """Run ``git -C root <hardening> <config> <args>`` and return the finished run.

    Args:
        root: directory git runs in (``-C``).
        args: the subcommand and its arguments.
        timeout: seconds before the process group is killed.
        ok_codes: exit statuses that are answers (``git config`` exits 1 for "no such key").
        stdin: bytes for standard input (``cat-file --batch``), None for ``/dev/null``.
        config: extra ``-c key=value`` pairs, already as arguments (:func:`neutral_filters`).

    Raises:
        GitError: git missing or killed, timed out, or an exit status outside ``ok_codes``
            (the message is git's last line of stderr).
    """
    argv = [*GLOBAL_OPTIONS, *config, "-C", str(root), *args]
    try:
        if args and args[0] in INDEX_WRITERS:
            with _scratch_index(root) as env:
                return run_tool(TOOL, argv, timeout=timeout, ok_codes=ok_codes, env=env, stdin=stdin,
                                unset_env=UNSET_ENV, install_hint="Install git (it must be on PATH)")
        return run_tool(TOOL, argv, timeout=timeout, ok_codes=ok_codes, env=ENV, stdin=stdin,
                        unset_env=UNSET_ENV, install_hint="Install git (it must be on PATH)")
    except GitError:
        raise
    except ToolError as exc:
        lines = (exc.run.stderr if exc.run is not None else "").strip().splitlines()
        what = args[0] if args else "git"
        raise GitError(lines[-1] if lines else f"git {what} {exc.problem}", argv=exc.argv,
                       returncode=exc.returncode, run=exc.run) from None


@contextlib.contextmanager
def _scratch_index(root: Path) -> Iterator[dict[str, str]]:
    """:data:`ENV` plus ``GIT_INDEX_FILE`` naming a temporary copy of the repository's index
    (removed afterwards), or just :data:`ENV` when there is no index to copy."""
    try:
        found = run_git(root, ["rev-parse", "--path-format=absolute", "--git-path", "index"], timeout=60)
        index = Path(os.fsdecode(found.stdout_bytes.strip()))
    except GitError:
        index = None
    if index is None or not index.is_file():
        yield dict(ENV)
        return
    fd, scratch = tempfile.mkstemp(prefix="readiness-index-")
    try:
        with os.fdopen(fd, "wb") as out, open(index, "rb") as src:
            shutil.copyfileobj(src, out)
        yield {**ENV, "GIT_INDEX_FILE": scratch}
    finally:
        for leftover in (scratch, scratch + ".lock"):
            with contextlib.suppress(OSError):
                os.unlink(leftover)


def neutral_filters(root: Path) -> tuple[str, ...]:
    """``-c`` options that empty every filter driver the repository's config defines.

    git runs ``filter.<name>.clean`` (or ``.process``) on work-tree files when it compares them
    (``git diff`` against the work tree), for any path ``.gitattributes`` gives ``filter=<name>``;
    a driver exists only if config defines it, so emptying every defined one disables them all.
    An empty command means "no filter" to git, and ``required=false`` keeps git from refusing
    the unfiltered file. Reading the config runs nothing. (git >= 2.40 could ignore the work
    tree's attributes with ``--attr-source``; this works with older git too.)

    Raises:
        GitError: a driver name git's ``-c`` cannot express (contains ``=``): refused; or git
            failed.
    """
    run = run_git(root, ["config", "--name-only", "--get-regexp", r"^filter\."], ok_codes=(0, 1))
    names = set()
    for key in os.fsdecode(run.stdout_bytes).splitlines():
        name = key[len("filter."):].rpartition(".")[0] if key.startswith("filter.") else ""
        if not name:
            continue
        if "=" in name:
            raise GitError(f"refusing to run git diff: filter driver name {name!r} cannot be disabled")
        names.add(name)
    out: list[str] = []
    for name in sorted(names):
        for var in ("clean", "smudge", "process"):
            out += ["-c", f"filter.{name}.{var}="]
        out += ["-c", f"filter.{name}.required=false"]
    return tuple(out)


def work_tree_top(root: Path) -> Optional[Path]:
    """The resolved top directory of the git work tree containing ``root``, or None when
    ``root`` is not inside one (or git is missing)."""
    try:
        run = run_git(root, ["rev-parse", "--show-toplevel"], timeout=60)
    except GitError:
        return None
    top = os.fsdecode(run.stdout_bytes.strip())
    return Path(top).resolve() if top else None


def is_top(root: Path) -> bool:
    """True when ``root`` is the top directory of a git work tree (not a sub-directory)."""
    return work_tree_top(root) == Path(root).resolve()


def head_commit(root: Path) -> Optional[str]:
    """``git rev-parse HEAD`` of ``root`` when ``root`` is the top of a work tree, else None.

    Only for the top: a sub-directory (``examples/ready-service``) is scanned as a plain
    directory by the inventory, and the enclosing repository's HEAD would misdescribe it.
    """
    try:
        run = run_git(root, ["rev-parse", "--verify", "-q", "HEAD"], timeout=30)
    except GitError:
        return None
    sha = run.stdout.strip()
    if len(sha) not in (40, 64) or not is_top(root):
        return None
    return sha


def split_z(output: bytes) -> list[str]:
    """NUL-separated names (``-z`` output) as ``os.fsdecode`` strings, empty names dropped."""
    return [os.fsdecode(n) for n in output.split(b"\0") if n]
