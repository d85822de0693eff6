"""``gate.diff``: changed paths and new-side changed lines from real git repositories."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from helpers import git_init, write_tree
from diff_repos import commit_all, git

from gate.diff import changed_lines, changed_paths, is_new, merge_base, parse_unified_zero


def _repo(root: Path) -> Path:
    write_tree(root, {"a.py": "1\n2\n3\n4\n5\n", "gone.py": "x\n", "same.py": "s\n",
                      "sub/b.py": "b1\nb2\n", "only_del.py": "d1\nd2\nd3\n"})
    git_init(root)
    git(root, "checkout", "-q", "-b", "feature")
    write_tree(root, {"a.py": "1\nTWO\n3\n4\n5\n6\n", "sub/b.py": "b1\nb2\nb3\n", "only_del.py": "d1\nd3\n",
                      "we ird\tname.py": "w\n", "sp ace.py": "s\n"}, dedent=False)
    (root / "gone.py").unlink()
    commit_all(root, "feature")
    return root


def test_changed_lines_new_side_numbers(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    lines = changed_lines(root, "main")
    assert lines["a.py"] == frozenset({2, 6})
    assert lines["sub/b.py"] == frozenset({3})
    assert lines["only_del.py"] == frozenset(), "a deletion-only change: the file changed, no line is new"
    assert lines["we ird\tname.py"] == frozenset({1}), "C-quoted names are unquoted"
    assert lines["sp ace.py"] == frozenset({1}), "git's tab after a name with a space is not part of it"
    assert "gone.py" not in lines and "same.py" not in lines
    assert set(lines) == changed_paths(root, "main")


def test_work_tree_and_untracked_files(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    write_tree(root, {"same.py": "s\nstaged-or-not\n", "new/untracked.py": "u1\nu2\r\nu3"}, dedent=False)
    write_tree(root, {".gitignore": "ignored.py\n", "ignored.py": "i\n"})
    lines = changed_lines(root, "main")
    assert lines["same.py"] == frozenset({2})
    assert {1, 2, 3} <= lines["new/untracked.py"], "untracked files are new on every line"
    assert "ignored.py" not in lines
    assert set(lines) == changed_paths(root, "main")


def test_paths_are_relative_to_a_scanned_sub_directory(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    write_tree(root, {"sub/untracked.py": "x\n"})
    assert changed_lines(root / "sub", "main") == {"b.py": frozenset({3}), "untracked.py": frozenset({1})}
    assert changed_paths(root / "sub", "main") == frozenset({"b.py", "untracked.py"})


def test_merge_base_not_the_tip_of_ref(tmp_path: Path) -> None:
    # Commits on main after the branch point are not part of the change.
    root = _repo(tmp_path)
    git(root, "checkout", "-q", "main")
    write_tree(root, {"main_only.py": "m\n"})
    commit_all(root, "main moves on")
    git(root, "checkout", "-q", "feature")
    assert "main_only.py" not in changed_lines(root, "main")
    assert merge_base(root, "main") == git(root, "rev-parse", "main~1").strip()


def test_external_diff_and_textconv_from_the_repository_are_not_run(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    marker = tmp_path / "ran"
    git(root, "config", "diff.external", f"touch {marker}")
    git(root, "config", "diff.evil.textconv", f"touch {marker}; cat")
    write_tree(root, {".gitattributes": "*.py diff=evil\n"})
    lines = changed_lines(root, "main")
    assert lines["a.py"] == frozenset({2, 6})
    assert not marker.exists()


@pytest.mark.parametrize("ref", ["-x", "--output=/tmp/x"])
def test_option_like_refs_are_refused(tmp_path: Path, ref: str) -> None:
    root = _repo(tmp_path)
    with pytest.raises(ValueError, match="may not start with '-'"):
        changed_lines(root, ref)
    with pytest.raises(ValueError, match="may not start with '-'"):
        changed_paths(root, ref)


def test_unknown_ref_and_not_a_repository(tmp_path: Path) -> None:
    root = _repo(tmp_path / "r")
    with pytest.raises(ValueError, match="no-such"):
        changed_lines(root, "no-such")
    plain = tmp_path / "plain"
    plain.mkdir()
    subprocess.run(["git", "init", "-q", str(tmp_path / "empty")], check=True)
    with pytest.raises(ValueError):
        changed_lines(plain if not (tmp_path / ".git").exists() else tmp_path / "empty", "HEAD")


def test_parse_unified_zero_hunks() -> None:
    patch = (b"diff --git a/x.py b/x.py\n--- a/x.py\n+++ b/x.py\n@@ -1 +1 @@\n-a\n+b\n"
             b"@@ -5,0 +6,3 @@\n+c\n+d\n+e\n@@ -9,2 +11,0 @@\n-f\n-g\n"
             b"diff --git a/del.py b/del.py\n--- a/del.py\n+++ /dev/null\n@@ -1 +0,0 @@\n-z\n"
             b'diff --git "a/\\303\\251t\\303\\251.py" "b/\\303\\251t\\303\\251.py"\n'
             b'--- "a/\\303\\251t\\303\\251.py"\n+++ "b/\\303\\251t\\303\\251.py"\n@@ -0,0 +1 @@\n+q\n')
    assert parse_unified_zero(patch) == {"x.py": frozenset({1, 6, 7, 8}), "été.py": frozenset({1})}


def test_is_new() -> None:
    lines = {"a.py": frozenset({3}), "empty.py": frozenset()}
    assert is_new("a.py", 3, lines) and not is_new("a.py", 4, lines)
    assert is_new("a.py", None, lines), "no line, but the file changed"
    assert not is_new("b.py", 3, lines) and not is_new("b.py", None, lines)
    assert not is_new("empty.py", 1, lines)
    assert is_new(None, None, lines), "a finding that names no file cannot be shown to pre-exist"


def test_gitattributes_cannot_hide_changed_lines_as_binary(tmp_path: Path) -> None:
    # `* -diff` makes git print "Binary files differ" with no lines: a change could then make
    # its new secrets look pre-existing. --text keeps the real line numbers.
    root = _repo(tmp_path)
    write_tree(root, {".gitattributes": "* -diff\n", "a.py": "1\nTWO\n3\n4\n5\n6\nSEVEN\n",
                      "blob.dat": b"x\x00y\nsecond\n"}, dedent=False)
    commit_all(root, "binary attributes")
    lines = changed_lines(root, "main")
    assert lines["a.py"] == frozenset({2, 6, 7})
    assert lines["blob.dat"] == frozenset({1, 2})


def test_mode_only_change_counts_as_new_everywhere(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    (root / "same.py").chmod(0o755)
    assert changed_lines(root, "main")["same.py"] == frozenset({1}), "no lines from git: fail closed"


@pytest.mark.parametrize("required", [False, True])
def test_filter_drivers_of_the_repository_are_not_run(tmp_path: Path, required: bool) -> None:
    # git diff against the work tree runs filter.<name>.clean for paths .gitattributes selects.
    root = _repo(tmp_path)
    marker = tmp_path / "filter-ran"
    write_tree(root, {".gitattributes": "* filter=trap\n"})
    for var in ("clean", "smudge"):
        git(root, "config", f"filter.trap.{var}", f"touch {marker}; cat")
    git(root, "config", "filter.trap.process", f"touch {marker}")
    git(root, "config", "filter.trap.required", "true" if required else "false")
    write_tree(root, {"same.py": "s\nwork tree change\n"}, dedent=False)
    lines = changed_lines(root, "main")
    paths = changed_paths(root, "main")
    assert lines["same.py"] == frozenset({2}) and lines["a.py"] == frozenset({2, 6})
    assert "same.py" in paths
    assert not marker.exists()
