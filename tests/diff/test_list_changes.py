"""``gate.diff``: the changed paths (``git diff-index -z --raw``, never patch text), the base
versions read from the object store, and the finding comparison, on real git repositories."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from helpers import git_init, write_tree
from diff_repos import commit_all, git

from gate.diff import Change, ChangeSet, changed_paths, list_changes, mark_new, materialize_base, merge_base, parse_raw
from gate.model import Finding, Severity


def _repo(root: Path) -> Path:
    write_tree(root, {"a.py": "1\n2\n3\n4\n5\n", "gone.py": "x\n", "same.py": "s\n",
                      "sub/b.py": "b1\nb2\n", "only_del.py": "d1\nd2\nd3\n", "old_name.py": "r1\nr2\nr3\nr4\n"})
    git_init(root)
    git(root, "checkout", "-q", "-b", "feature")
    write_tree(root, {"a.py": "1\nTWO\n3\n4\n5\n6\n", "sub/b.py": "b1\nb2\nb3\n", "only_del.py": "d1\nd3\n",
                      "we ird\tname.py": "w\n", "sp ace.py": "s\n", "new\nline.py": "n\n"}, dedent=False)
    (root / "gone.py").unlink()
    git(root, "mv", "old_name.py", "new_name.py")
    commit_all(root, "feature")
    return root


def _by_path(changes: ChangeSet) -> dict[str, Change]:
    return {c.path: c for c in changes.changes}


def test_statuses_and_names_from_nul_separated_records(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    changes = list_changes(root, "main")
    by_path = _by_path(changes)
    assert {p: c.status for p, c in by_path.items()} == {
        "a.py": "M", "sub/b.py": "M", "only_del.py": "M", "we ird\tname.py": "A", "sp ace.py": "A",
        "new\nline.py": "A", "gone.py": "D", "new_name.py": "R"}
    assert by_path["new_name.py"].base_path == "old_name.py", "a rename is compared with its old path"
    assert by_path["a.py"].base_path == "a.py" and by_path["a.py"].base_blob
    assert by_path["sp ace.py"].base_path is None, "an added file has nothing to compare with"
    assert changes.paths == frozenset(by_path) - {"gone.py"}, "a deleted path is not scanned"
    assert changed_paths(root, "main") == changes.paths


def test_work_tree_and_untracked_files(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    write_tree(root, {"same.py": "s\nstaged-or-not\n", "new/untracked.py": "u1\nu2\r\nu3"}, dedent=False)
    write_tree(root, {".gitignore": "ignored.py\n", "ignored.py": "i\n"})
    by_path = _by_path(list_changes(root, "main"))
    assert by_path["same.py"].status == "M" and by_path["same.py"].blob is None, "work-tree content, not hashed"
    assert by_path["new/untracked.py"].status == "?"
    assert "ignored.py" not in by_path


def test_a_file_touched_but_unchanged_is_not_a_change(tmp_path: Path) -> None:
    # diff-index compares stat data only; a rewritten identical file is stat-dirty, not changed.
    root = _repo(tmp_path)
    (root / "same.py").write_text("s\n", encoding="utf-8")
    assert "same.py" not in _by_path(list_changes(root, "main"))


def test_paths_are_relative_to_a_scanned_sub_directory(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    write_tree(root, {"sub/untracked.py": "x\n"})
    assert changed_paths(root / "sub", "main") == frozenset({"b.py", "untracked.py"})


def test_merge_base_not_the_tip_of_ref(tmp_path: Path) -> None:
    # Commits on main after the branch point are not part of the change.
    root = _repo(tmp_path)
    git(root, "checkout", "-q", "main")
    write_tree(root, {"main_only.py": "m\n"})
    commit_all(root, "main moves on")
    git(root, "checkout", "-q", "feature")
    assert "main_only.py" not in changed_paths(root, "main")
    assert merge_base(root, "main") == git(root, "rev-parse", "main~1").strip()


def test_external_diff_and_textconv_from_the_repository_are_not_run(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    marker = tmp_path / "ran"
    git(root, "config", "diff.external", f"touch {marker}")
    git(root, "config", "diff.evil.textconv", f"touch {marker}; cat")
    write_tree(root, {".gitattributes": "*.py diff=evil\n"})
    assert "a.py" in changed_paths(root, "main")
    with materialize_base(root, list_changes(root, "main")) as tree:
        assert (tree.root / "a.py").read_bytes() == b"1\n2\n3\n4\n5\n"
    assert not marker.exists()


@pytest.mark.parametrize("ref", ["-x", "--output=/tmp/x"])
def test_option_like_refs_are_refused(tmp_path: Path, ref: str) -> None:
    root = _repo(tmp_path)
    with pytest.raises(ValueError, match="may not start with '-'"):
        list_changes(root, ref)
    with pytest.raises(ValueError, match="may not start with '-'"):
        changed_paths(root, ref)


def test_unknown_ref_and_not_a_repository(tmp_path: Path) -> None:
    root = _repo(tmp_path / "r")
    with pytest.raises(ValueError, match="no-such"):
        list_changes(root, "no-such")
    plain = tmp_path / "plain"
    plain.mkdir()
    subprocess.run(["git", "init", "-q", str(tmp_path / "empty")], check=True)
    for where in (plain, tmp_path / "empty"):
        with pytest.raises(ValueError):
            list_changes(where, "HEAD")


def test_parse_raw_records() -> None:
    z = "0" * 40
    a, b = "a" * 40, "b" * 40
    raw = (f":100644 100644 {a} {z} M\0x.py\0"
           f":000000 100644 {z} {b} A\0+++ b/forged.py\0"
           f":100644 100644 {a} {b} R087\0old dir/é.py\0new\tdir/é.py\0"
           f":100644 120000 {a} {b} T\0link.py\0"
           f":100644 000000 {a} {z} D\0gone.py\0").encode()
    changes = parse_raw(raw)
    assert [(c.status, c.path, c.base_path) for c in changes] == [
        ("M", "x.py", "x.py"), ("A", "+++ b/forged.py", None), ("R", "new\tdir/é.py", "old dir/é.py"),
        ("T", "link.py", "link.py"), ("D", "gone.py", None)]
    assert changes[0].blob is None and changes[2].blob == b
    assert changes[3].mode == "120000"


@pytest.mark.parametrize("raw", [b"not a record\0x.py\0", b":100644 100644 a b M\0", b":1 2 3 M\0x\0"])
def test_parse_raw_refuses_what_it_does_not_understand(raw: bytes) -> None:
    with pytest.raises(ValueError):
        parse_raw(raw)


def test_base_versions_come_from_the_object_store_at_their_base_path(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    write_tree(root, {".gitattributes": "* filter=trap\n"})
    git(root, "config", "filter.trap.smudge", f"touch {tmp_path / 'smudged'}; cat")
    with materialize_base(root, list_changes(root, "main")) as tree:
        assert tree.paths == frozenset({"a.py", "sub/b.py", "only_del.py", "old_name.py"})
        assert tree.path_now["old_name.py"] == "new_name.py" and tree.path_now["a.py"] == "a.py"
        assert (tree.root / "old_name.py").read_text() == "r1\nr2\nr3\nr4\n"
        assert (tree.root / "a.py").read_text() == "1\n2\n3\n4\n5\n"
        base_root = tree.root
        assert not any(p.name == "gone.py" for p in base_root.rglob("*"))
    assert not base_root.exists(), "closed: the temporary directory is gone"
    assert not (tmp_path / "smudged").exists(), "no smudge filter runs: nothing is checked out"
    assert "a.py" in {p.name for p in root.iterdir()} and (root / "a.py").read_text().startswith("1\nTWO")


def test_only_the_wanted_base_versions_are_written(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    with materialize_base(root, list_changes(root, "main"), wanted={"new_name.py"}.__contains__) as tree:
        assert tree.paths == frozenset({"old_name.py"})


def _finding(path: str, line: int, end: int | None = None, rule: str = "r") -> Finding:
    return Finding(rule=rule, message="m", path=path, line=line, severity=Severity.HIGH, end_line=end)


def test_mark_new_compares_the_text_of_every_line_of_the_range() -> None:
    changes = ChangeSet("base", (Change("M", "a.py", "a.py", "x" * 40), Change("A", "n.py")))
    base = "x = 1\ncall(\n  a,\n  b)\n"
    head = "\n\nx = 1\ncall(\n  a,\n  B)\n"  # moved down two lines; the call's last line changed
    texts = {"a.py": head, "n.py": "y\n"}
    flags = mark_new([_finding("a.py", 3), _finding("a.py", 4, 6), _finding("n.py", 1), _finding("u.py", 1)],
                     [_finding("a.py", 1), _finding("a.py", 2, 4)], changes, {"a.py": "a.py"},
                     texts.get, {"a.py": base}.get)
    assert flags == [False, True, True, False], "moved: old; range edited: new; added file: new; untouched: old"


def test_mark_new_maps_a_renamed_files_base_findings_to_its_path_now() -> None:
    changes = ChangeSet("base", (Change("R", "svc/b.py", "tests/a.py", "x" * 40),))
    head = Finding(rule="r", message="m", path="svc/b.py", line=1, severity=Severity.HIGH, fingerprint="fp-now")
    base = Finding(rule="r", message="m", path="tests/a.py", line=2, severity=Severity.HIGH, fingerprint="fp-then")
    text = {"svc/b.py": "bad()\n", "tests/a.py": "\nbad()\n"}
    assert mark_new([head], [base], changes, {"tests/a.py": "svc/b.py"}, text.get, text.get) == [False], \
        "same text under the new name; fingerprints may hash the path, so they are not compared"
    assert mark_new([head], [], changes, {"tests/a.py": "svc/b.py"}, text.get, text.get) == [True], \
        "no finding at the old path on the base branch (e.g. excluded there): new"


def test_mark_new_counts_duplicates_and_fails_closed_without_a_base() -> None:
    changes = ChangeSet("base", (Change("M", "a.py", "a.py", "x" * 40),))
    text = "bad()\nbad()\n"
    assert mark_new([_finding("a.py", 1), _finding("a.py", 2)], [_finding("a.py", 1)], changes,
                    {"a.py": "a.py"}, {"a.py": text}.get, {"a.py": "bad()\n"}.get) == [False, True]
    assert mark_new([_finding("a.py", 1)], None, changes, {"a.py": "a.py"},
                    {"a.py": text}.get, {"a.py": text}.get) == [True], "no base scan: new"
    assert mark_new([_finding("a.py", 1)], [_finding("a.py", 1)], changes, {},
                    {"a.py": text}.get, {"a.py": text}.get) == [True], "base not compared: new"


@pytest.mark.parametrize("required", [False, True])
def test_filter_drivers_of_the_repository_are_not_run(tmp_path: Path, required: bool) -> None:
    # Comparing the work tree runs filter.<name>.clean for paths .gitattributes selects.
    root = _repo(tmp_path)
    marker = tmp_path / "filter-ran"
    write_tree(root, {".gitattributes": "* filter=trap\n"})
    for var in ("clean", "smudge"):
        git(root, "config", f"filter.trap.{var}", f"touch {marker}; cat")
    git(root, "config", "filter.trap.process", f"touch {marker}")
    git(root, "config", "filter.trap.required", "true" if required else "false")
    write_tree(root, {"same.py": "s\nwork tree change\n"}, dedent=False)
    paths = changed_paths(root, "main")
    assert {"same.py", "a.py"} <= paths
    assert not marker.exists()


def test_attributes_cannot_hide_a_change(tmp_path: Path) -> None:
    # `* -diff` makes git's patch say "Binary files differ"; the file list does not depend on it.
    root = _repo(tmp_path)
    write_tree(root, {".gitattributes": "* -diff\n", "a.py": "1\nTWO\n3\n4\n5\n6\nSEVEN\n",
                      "blob.dat": b"x\x00y\nsecond\n"}, dedent=False)
    commit_all(root, "binary attributes")
    assert {"a.py", "blob.dat", ".gitattributes"} <= changed_paths(root, "main")
