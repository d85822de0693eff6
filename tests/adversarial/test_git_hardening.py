"""Every git call is hardened (``gate/git.py``; ``docs/threats.md``, "Attacks on the verdict").

``git diff`` against the work tree refreshes the index: with a tracked file whose stat data is
stale it writes ``.git/index`` and runs the repository's ``.git/hooks/post-index-change``. A
hostile clone (or a hooks directory the checkout left writable) would then run code in diff mode.
The gate's git runs with hooks off, without optional locks (it never writes the index), without
fsmonitor, and without the runner's system and global config.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from helpers import TODAY, git_init, run_all, write_tree

from gate import git
from gate.checks.interface import RunOptions
from gate.diff import changed_paths, list_changes
from gate.inventory import build_inventory

HOOKS = ("post-index-change", "post-checkout", "pre-commit", "reference-transaction", "pre-auto-gc")


def _trapped_repo(root: Path, markers: Path) -> Path:
    """A committed repository whose hooks (in ``.git/hooks``) each write ``markers/<hook>``,
    with a tracked file whose stat data is stale (so a refresh would write the index)."""
    write_tree(root, {"app.py": "import os\n", "lib.py": "X = 1\n"})
    git_init(root)
    hooks = root / ".git" / "hooks"
    for hook in HOOKS:
        (hooks / hook).write_text(f"#!/bin/sh\ntouch '{markers / hook}'\n", encoding="utf-8")
        (hooks / hook).chmod(0o755)
    subprocess.run(["git", "-C", str(root), "config", "core.hooksPath", str(hooks)], check=True)
    # Same content, new mtime: git must re-hash the file, and would record the result.
    stamp = (root / "lib.py").stat().st_mtime + 5
    os.utime(root / "lib.py", (stamp, stamp))
    write_tree(root, {"app.py": "import os\nVALUE = 2\n"})
    return root


@pytest.fixture
def trapped(tmp_path: Path) -> tuple[Path, Path]:
    markers = tmp_path / "markers"
    markers.mkdir()
    return _trapped_repo(tmp_path / "repo", markers), markers


def test_diff_mode_runs_no_hook_and_writes_no_index(trapped: tuple[Path, Path]) -> None:
    root, markers = trapped
    index = root / ".git" / "index"
    before = (index.read_bytes(), index.stat().st_mtime_ns)
    assert [c.status for c in list_changes(root, "HEAD").changes if c.path == "app.py"] == ["M"]
    assert changed_paths(root, "HEAD") == frozenset({"app.py"})
    report = run_all(root, options=RunOptions(today=TODAY, changed_since="HEAD",
                                              changed_paths=changed_paths(root, "HEAD")),
                     only=["secrets", "insecure-patterns"])
    assert report.mode == "diff"
    assert sorted(p.name for p in markers.iterdir()) == [], "a git hook of the scanned repository ran"
    assert (index.read_bytes(), index.stat().st_mtime_ns) == before, "git rewrote the index"


def test_full_mode_runs_no_hook(trapped: tuple[Path, Path]) -> None:
    root, markers = trapped
    inventory = build_inventory(root)
    assert inventory.is_git and inventory.get("lib.py") is not None
    assert git.head_commit(root) is not None
    assert sorted(p.name for p in markers.iterdir()) == []


def test_fsmonitor_of_the_repository_is_not_started(trapped: tuple[Path, Path]) -> None:
    root, markers = trapped
    subprocess.run(["git", "-C", str(root), "config", "core.fsmonitor", f"touch '{markers / 'fsmonitor'}'; :"],
                   check=True)
    list_changes(root, "HEAD")
    build_inventory(root)
    assert not (markers / "fsmonitor").exists()


def test_the_runners_global_and_system_config_are_not_read(trapped: tuple[Path, Path], tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """A global excludes file would hide untracked files from the inventory and from diff mode,
    and a global alias or fsmonitor would run code: only the repository's own config counts."""
    root, markers = trapped
    ignore = tmp_path / "global-ignore"
    ignore.write_text("*.py\n", encoding="utf-8")
    glob_cfg = tmp_path / "gitconfig"
    glob_cfg.write_text(f"[core]\n\texcludesFile = {ignore}\n\tfsmonitor = touch '{markers / 'global'}'; :\n",
                        encoding="utf-8")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(glob_cfg))
    write_tree(root, {"untracked.py": "Y = 1\n"})
    assert "untracked.py" in changed_paths(root, "HEAD")
    assert build_inventory(root).get("untracked.py") is not None
    assert not (markers / "global").exists()


def test_every_git_call_carries_the_hardening_flags() -> None:
    """One set of flags, in one module (git is started nowhere else: ``tests/core`` keeps it so)."""
    flags = " ".join(git.GLOBAL_OPTIONS)
    for needed in ("--no-optional-locks", "core.hooksPath=/dev/null", "core.fsmonitor=false", "safe.directory=*"):
        assert needed in flags
    assert git.ENV["GIT_OPTIONAL_LOCKS"] == "0"
    assert git.ENV["GIT_CONFIG_NOSYSTEM"] == "1" and git.ENV["GIT_CONFIG_GLOBAL"] == os.devnull
    assert {"--no-ext-diff", "--no-textconv"} <= set(git.DIFF_SAFETY)
