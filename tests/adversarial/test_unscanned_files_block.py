"""A skip that hides content blocks when the change touched the file, when the check needed it,
or when it is a checked-out submodule (``docs/threats.md``, "Attacks on the verdict").

Skipping honestly is not enough: a key past the size cap, source behind a NUL byte, or another
repository checked out inside the tree is content nobody examined. The inventory marks those
skips as hiding content (``Inventory.hidden``); the checks turn the ones they needed into
``unscanned-file`` findings (``gate/unscanned.py``) that block and can be deferred by a lead.
Binary assets whose first bytes and name agree on a known format (a PNG named ``.png``) are
not hidden; a large data file nobody changed stays a named, non-blocking skip.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from helpers import TODAY, git_init, run_all, write_tree

from gate.checks.interface import RunOptions
from gate.diff import changed_paths
from gate.inventory import build_inventory
from gate.model import CheckReport, Report, Status
from gate.unscanned import RULE

KEY = "AKIAQ7PLMX2K4HDWN8ZR"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64)
SMALL_CAP = "version: 1\nlimits:\n  max-file-size: 4096\n"
ENV = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
       "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), "-c", "protocol.file.allow=always", *args], check=True, env=ENV,
                   capture_output=True)


def _check(report: Report, cid: str) -> CheckReport:
    return next(c for c in report.checks if c.id == cid)


def _unscanned(check: CheckReport) -> dict[str, bool]:
    return {f.path or "": f.blocking for f in check.findings if f.rule == RULE}


def _feature(root: Path, base: dict, head: dict) -> RunOptions:
    write_tree(root, base, dedent=False)
    git_init(root)
    _git(root, "checkout", "-q", "-b", "feature")
    write_tree(root, head, dedent=False)
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", "feature")
    return RunOptions(today=TODAY, changed_since="main", changed_paths=changed_paths(root, "main"))


def test_a_changed_file_past_the_size_cap_blocks_the_secret_scan(tmp_path: Path) -> None:
    padding = "# padding\n" * 600
    options = _feature(tmp_path, {"app.py": "import os\n", "old_big.txt": padding + "old\n"},
                       {"big.txt": padding + f"KEY={KEY}\n", "logo.png": PNG})
    report = run_all(tmp_path, config=SMALL_CAP, options=options, only=["secrets"])
    secrets = _check(report, "secrets")
    assert _unscanned(secrets) == {"big.txt": True}, "the unchanged large file and the PNG do not block"
    assert secrets.status is Status.FAIL and not report.ready
    finding = next(f for f in secrets.findings if f.rule == RULE)
    assert finding.new and "larger than the size cap" in finding.message and "touched" in finding.message


def test_text_behind_a_nul_byte_blocks_when_changed_and_a_misnamed_format_is_not_trusted(tmp_path: Path) -> None:
    options = _feature(tmp_path, {"app.py": "import os\n"},
                       {"notes.txt": b"x\x00\n" + f"KEY={KEY}\n".encode(),
                        "creds.txt": b"MZ\x90\x00" + f"KEY={KEY}\n".encode(),
                        "tool.exe": b"MZ\x90\x00" + bytes(64), "logo.png": PNG})
    secrets = _check(run_all(tmp_path, options=options, only=["secrets"]), "secrets")
    assert _unscanned(secrets) == {"notes.txt": True, "creds.txt": True}
    assert secrets.status is Status.FAIL


def test_full_scan_large_data_files_stay_named_skips_that_do_not_block(tmp_path: Path) -> None:
    write_tree(tmp_path, {"app.py": "import os\n", "data.json": "[" + "1," * 4000 + "1]\n", "logo.png": PNG},
               dedent=False)
    git_init(tmp_path)
    report = run_all(tmp_path, config=SMALL_CAP, only=["secrets"])
    assert _check(report, "secrets").status is Status.PASS
    assert any(s.path == "data.json" and "size cap" in s.reason for s in report.skipped)


def test_python_files_the_pattern_checks_needed_block_in_a_full_scan(tmp_path: Path) -> None:
    write_tree(tmp_path, {"svc/nul.py": b"import requests\n\x00\nrequests.get(u, verify=False)\n",
                          "svc/huge.py": "import requests\n" + "# pad\n" * 1000 + "requests.get(u, verify=False)\n",
                          "tests/test_nul.py": b"\x00\n"}, dedent=False)
    git_init(tmp_path)
    report = run_all(tmp_path, config=SMALL_CAP, only=["insecure-patterns", "error-handling"])
    for cid in ("insecure-patterns", "error-handling"):
        check = _check(report, cid)
        assert check.status is Status.FAIL, (cid, check.summary)
        assert _unscanned(check) == {"svc/nul.py": True, "svc/huge.py": True}, "tests/ is outside the scope"


def _with_submodule(tmp_path: Path, where: str) -> Path:
    """A repository with a submodule at ``where`` (checked out) holding a key."""
    other = tmp_path / "other"
    write_tree(other, {"settings.py": f'KEY = "{KEY}"\n'})
    git_init(other)
    root = tmp_path / "repo"
    write_tree(root, {"app.py": "import os\n"})
    git_init(root)
    _git(root, "submodule", "add", "-q", str(other), where)
    _git(root, "commit", "-q", "-m", "submodule")
    return root


def test_a_checked_out_submodule_is_an_unscanned_submodule_that_blocks(tmp_path: Path) -> None:
    root = _with_submodule(tmp_path, "vendor/other")
    inventory = build_inventory(root)
    reasons = {s.path: s.reason for s in inventory.skipped}
    assert "submodule" in reasons["vendor/other"] and "symlink" not in reasons["vendor/other"]
    assert inventory.submodules == frozenset({"vendor/other"})
    secrets = _check(run_all(root, only=["secrets"]), "secrets")
    assert _unscanned(secrets) == {"vendor/other": True} and secrets.status is Status.FAIL
    excluded = _check(run_all(root, config='version: 1\nexclude: ["vendor/**", "vendor/other"]\n', only=["secrets"]),
                      "secrets")
    assert excluded.status is Status.PASS and not _unscanned(excluded), "excluded in readiness.yml: no block"


def test_a_submodule_not_checked_out_is_named_and_does_not_block(tmp_path: Path) -> None:
    root = _with_submodule(tmp_path, "ext")
    _git(root, "submodule", "deinit", "-q", "-f", "ext")
    inventory = build_inventory(root)
    assert "not checked out" in {s.path: s.reason for s in inventory.skipped}["ext"]
    assert not inventory.submodules and "ext" not in inventory.hidden


def test_an_untracked_repository_inside_the_tree_is_named_as_one(tmp_path: Path) -> None:
    write_tree(tmp_path, {"app.py": "import os\n"})
    git_init(tmp_path)
    write_tree(tmp_path / "inner", {"settings.py": f'KEY = "{KEY}"\n'})
    git_init(tmp_path / "inner")
    inventory = build_inventory(tmp_path)
    assert "git repository inside the work tree" in inventory.hidden["inner"]
