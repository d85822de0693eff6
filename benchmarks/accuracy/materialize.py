"""Write one commit of a git repository into a plain directory, without a checkout.

The accuracy corpus (``benchmarks/accuracy/``) reads repositories from git directories: a bare
snapshot (what the search tool's ``fetch`` leaves under ``/work/.mirror/OWNER+NAME/repo``) or an
ordinary clone (``git clone URL DIR/OWNER+NAME``, then its ``.git``). Snapshots may lack blobs
(files of 4 MiB and more are not stored), so ``git archive`` and ``git checkout`` fail on them;
this module streams every blob of the commit's tree through ``git cat-file --batch`` instead and
lists the blobs that are absent. Nothing from the repository is run: git reads objects only.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Optional

GIT_ENV = {"GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull, "GIT_TERMINAL_PROMPT": "0"}
"""Environment for every git call: no user or system config (a mirror is data, not a place to
pick up hooks, filters or credentials from)."""


@dataclass
class Materialized:
    """Result of :func:`materialize`: the directory, files written and blobs the git dir lacks.

    ``missing`` lists ``(path, size_unknown)`` entries as repository paths (str); ``links`` counts
    symlinks written as symlinks; ``submodules`` counts gitlinks left out (their content is in
    another repository).
    """

    dest: Path
    files: int = 0
    links: int = 0
    submodules: int = 0
    missing: list[str] = field(default_factory=list)


def git_dir_for(base: Path, slug: str) -> Optional[Path]:
    """Find the git directory of ``owner/name`` under ``base``, or None.

    Looked for, in order: ``base/owner+name/repo`` (a fetched snapshot),
    ``base/owner+name/.git`` (a clone), ``base/owner+name.git`` and ``base/owner+name`` (bare
    repositories).
    """
    stem = slug.replace("/", "+")
    for cand in (base / stem / "repo", base / stem / ".git", base / f"{stem}.git", base / stem):
        if (cand / "objects").is_dir() and (cand / "HEAD").is_file():
            return cand
    return None


def _git(git_dir: Path, *args: str, input_bytes: Optional[bytes] = None) -> bytes:
    env = dict(os.environ, **GIT_ENV)
    res = subprocess.run(["git", "--git-dir", str(git_dir), *args], input=input_bytes,
                         capture_output=True, env=env, check=False)
    if res.returncode != 0:
        raise RuntimeError(f"git {' '.join(args[:2])} failed in {git_dir}: "
                           f"{res.stderr.decode(errors='replace').strip()[:300]}")
    return res.stdout


def has_commit(git_dir: Path, commit: str) -> bool:
    """True when ``commit`` (40 hex digits) is a commit object in ``git_dir``."""
    env = dict(os.environ, **GIT_ENV)
    res = subprocess.run(["git", "--git-dir", str(git_dir), "cat-file", "-e", f"{commit}^{{commit}}"],
                         capture_output=True, env=env, check=False)
    return res.returncode == 0


def _safe_rel(path: str) -> PurePosixPath:
    rel = PurePosixPath(path)
    if rel.is_absolute() or any(part in ("", ".", "..", ".git") for part in rel.parts):
        raise ValueError(f"refusing tree path {path!r}")
    return rel


def materialize(git_dir: Path, commit: str, dest: Path) -> Materialized:
    """Write the tree of ``commit`` from ``git_dir`` into the empty or missing directory ``dest``.

    Regular files keep their executable bit; symlinks are written as symlinks (never followed);
    gitlinks (submodules) are left out. Raises ``RuntimeError`` if git fails, ``ValueError`` on a
    tree path that would leave ``dest`` (``..``, absolute, ``.git``), ``FileExistsError`` if
    ``dest`` is not empty.
    """
    if dest.exists() and any(dest.iterdir()):
        raise FileExistsError(f"{dest} is not empty")
    dest.mkdir(parents=True, exist_ok=True)
    out = Materialized(dest)
    entries = []
    for raw in _git(git_dir, "ls-tree", "-r", "-z", "--full-tree", commit).split(b"\0"):
        if not raw:
            continue
        meta, _, path = raw.partition(b"\t")
        mode, kind, sha = meta.decode().split()
        rel = _safe_rel(path.decode("utf-8", errors="surrogateescape"))
        if kind == "commit":
            out.submodules += 1
            continue
        entries.append((mode, sha, rel))
    batch = _git(git_dir, "cat-file", "--batch", input_bytes="".join(f"{sha}\n" for _, sha, _ in entries).encode())
    pos = 0
    for mode, sha, rel in entries:
        eol = batch.index(b"\n", pos)
        header = batch[pos:eol].decode()
        pos = eol + 1
        if header.endswith(" missing"):
            out.missing.append(str(rel))
            continue
        size = int(header.split()[2])
        data = batch[pos:pos + size]
        pos += size + 1
        target = dest.joinpath(*rel.parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        if mode == "120000":
            os.symlink(os.fsdecode(data), target)
            out.links += 1
            continue
        target.write_bytes(data)
        if mode == "100755":
            target.chmod(0o755)
        out.files += 1
    return out


def commit_tree(dest: Path) -> None:
    """Make ``dest`` a one-commit git work tree (fixed identity and date), as a clone would be.

    Every file is added with ``--force``: the tree holds exactly the tracked files of the source
    commit, including files its own ``.gitignore`` matches (a committed ``prod_settings.py`` that
    is also ignored is still in the repository, and still a leak).
    """
    env = dict(os.environ, **GIT_ENV, GIT_AUTHOR_NAME="accuracy", GIT_AUTHOR_EMAIL="accuracy@localhost",
               GIT_COMMITTER_NAME="accuracy", GIT_COMMITTER_EMAIL="accuracy@localhost",
               GIT_AUTHOR_DATE="2026-01-01T00:00:00Z", GIT_COMMITTER_DATE="2026-01-01T00:00:00Z")
    for args in (["init", "-q", "-b", "main"], ["add", "-A", "-f", "."],
                 ["commit", "-q", "--no-verify", "--allow-empty", "-m", "snapshot"]):
        subprocess.run(["git", "-c", "core.hooksPath=/dev/null", *args], cwd=dest, env=env,
                       check=True, capture_output=True)
