"""The inventory: one walk, every skip named, nothing read through a symlink leaving the tree."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from gate.inventory import InventoryError, build_inventory, match_globs
from helpers import git_init, write_tree


def _reasons(inv) -> dict[str, str]:
    return {s.path: s.reason for s in inv.skipped}


def test_symlinks_out_of_tree_missing_and_in_tree(tmp_path: Path) -> None:
    repo = write_tree(tmp_path / "repo", {"docs/real.md": "# Real\n"})
    (repo / "docs" / "passwd.md").symlink_to("/etc/passwd")
    (repo / "dangling.md").symlink_to(repo / "nope")
    (repo / "alias.md").symlink_to(repo / "docs" / "real.md")
    (repo / "dirlink").symlink_to("/etc")
    inv = build_inventory(repo)
    reasons = _reasons(inv)
    assert reasons["docs/passwd.md"] == "symlink leaves the repository"
    assert "missing target" in reasons["dangling.md"]
    assert inv.get("docs/passwd.md") is None
    assert inv.get("alias.md") is not None and inv.read_text("alias.md") == "# Real\n"
    # A symlinked directory is never entered.
    assert not any(f.path.startswith("dirlink/") for f in inv.files)
    with pytest.raises(InventoryError):
        inv.read_text("docs/passwd.md")


def test_size_cap_binary_and_special_files(tmp_path: Path) -> None:
    repo = write_tree(tmp_path, {"small.py": "x = 1\n", "big.txt": "a" * 5000, "nul.py": b"\0\0\0"})
    os.mkfifo(repo / "pipe")
    inv = build_inventory(repo, max_file_size=4096)
    reasons = _reasons(inv)
    assert "size cap" in reasons["big.txt"]
    assert reasons["pipe"] == "not a regular file"
    assert reasons["nul.py"].startswith("binary")
    assert inv.get("nul.py").is_binary
    with pytest.raises(InventoryError):
        inv.read_text("nul.py")
    assert [f.path for f in inv.text_files()] == ["small.py"]


def test_git_inventory_respects_gitignore_and_lists_untracked(tmp_path: Path) -> None:
    repo = write_tree(tmp_path, {".gitignore": "build/\n", "a.py": "a\n", "build/out.py": "o\n"})
    git_init(repo)
    (repo / "new.py").write_text("n\n")
    inv = build_inventory(repo)
    assert inv.is_git
    assert [f.path for f in inv.files] == [".gitignore", "a.py", "new.py"]


def test_odd_file_names_and_deep_nesting(tmp_path: Path) -> None:
    names = ["$(touch pwned).py", "a\nb.md", "::error::x.py", "<!-- readiness-gate -->.md", "@org team.md"]
    repo = write_tree(tmp_path, {n: "x\n" for n in names})
    deep = repo
    for i in range(150):
        deep = deep / f"d{i}"
    deep.mkdir(parents=True)
    (deep / "leaf.py").write_text("leaf\n")
    inv = build_inventory(repo)
    paths = {f.path for f in inv.files}
    assert set(names) <= paths
    assert any(p.endswith("/leaf.py") for p in paths)
    assert not (tmp_path / "pwned").exists()


def test_non_utf8_name_is_skipped(tmp_path: Path) -> None:
    name = os.fsencode(str(tmp_path)) + b"/bad\xff.py"
    with open(name, "wb") as fh:
        fh.write(b"x\n")
    inv = build_inventory(tmp_path)
    assert any(s.reason == "file name is not valid UTF-8" for s in inv.skipped)
    assert inv.files == ()


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read any file")
def test_unreadable_file_is_skipped(tmp_path: Path) -> None:
    repo = write_tree(tmp_path, {"secret.py": "x\n"})
    (repo / "secret.py").chmod(0)
    inv = build_inventory(repo)
    assert _reasons(inv)["secret.py"].startswith("unreadable")


def test_exclude_globs_and_glob_matching(tmp_path: Path) -> None:
    repo = write_tree(tmp_path, {"vendor/x.py": "x\n", "src/a.py": "a\n", "src/b.md": "b\n"})
    inv = build_inventory(repo, exclude=["vendor/**"])
    assert _reasons(inv)["vendor/x.py"] == "excluded by configuration"
    assert [f.path for f in inv.glob("*.md")] == ["src/b.md"]
    assert match_globs("a/b/c.py", ["**/*.py"]) and not match_globs("a/b/c.py", ["*.md"])
