"""Promise 2: the gate never executes code from the repository it scans (``docs/threats.md``
rows 2, 6 and 7).

A repository full of code that would run if anything imported, built, installed, sourced or
hooked it — each piece writes a marker file — is scanned by every check, in full and in
diff-aware mode, from *inside* the repository (the CLI's default path ``.``, and the working
directory of the Docker action), both in-process and through the installed console script.
No marker ever appears. The repository holds:

* packages that shadow the gate and its scanners (``gate/``, ``detect_secrets/``, ``semgrep/``,
  ``pip_audit/``) and ``sitecustomize.py`` / ``usercustomize.py``, plus enough text to make the
  secrets check plan in worker processes (``python -m gate.secrets.planner``: it once imported
  the checkout's ``gate/`` — found by this suite);
* ``setup.py``, a ``pyproject.toml`` whose in-tree build backend runs code, ``conftest.py``,
  ``noxfile.py``, a ``Makefile``, ``.envrc``, and requirements naming the local project
  (``-e .``, ``./local``, ``file:``) — auditing them would build them (THREATS row 6);
* a ``.git/config`` that runs commands through ``core.fsmonitor``, ``diff.external``,
  ``core.pager``, a textconv driver and a clean filter selected by ``.gitattributes``, and a
  hooks directory (git runs in the inventory and in diff-aware mode). In CI the checkout's
  ``.git/config`` is written by actions/checkout, not by the pull request; a local scan of an
  untrusted clone is the exposure. Diff-aware mode empties every configured filter driver
  before ``git diff`` compares the work tree (``gate/diff.py``).
"""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import git_init, write_tree

from gate.cli import main

MARK_DIR_ENV = "RG_TEST_MARKERS"


def _marker_code(name: str) -> str:
    """Python that records that it ran, as ``<markers>/<name>``."""
    return (f"import os, pathlib\n"
            f"pathlib.Path(os.environ.get('{MARK_DIR_ENV}', '/tmp')).joinpath({name!r}).write_text('ran')\n")


def _shell_marker(markers: Path, name: str) -> str:
    return f"touch '{markers / name}'"


def build(root: Path, markers: Path) -> Path:
    """Write the booby-trapped repository at ``root``; markers land in ``markers``."""
    # ~1.9 MB each, under the 2 MiB size cap; plain words so the secrets prefilter drops them fast.
    big = "padding text so the secrets check plans in worker processes\n" * 31_000
    files = {
        "gate/__init__.py": _marker_code("shadow-gate"),
        "gate/secrets/__init__.py": _marker_code("shadow-gate-secrets"),
        "gate/secrets/planner.py": _marker_code("shadow-planner"),
        "detect_secrets/__init__.py": _marker_code("shadow-detect-secrets"),
        "semgrep/__init__.py": _marker_code("shadow-semgrep"),
        "pip_audit/__init__.py": _marker_code("shadow-pip-audit"),
        "yaml.py": _marker_code("shadow-yaml"),
        "json.py": _marker_code("shadow-json"),
        "sitecustomize.py": _marker_code("sitecustomize"),
        "usercustomize.py": _marker_code("usercustomize"),
        "setup.py": _marker_code("setup-py") + "from setuptools import setup\nsetup(name='trap', version='1')\n",
        "pyproject.toml": ('[build-system]\nrequires = []\nbuild-backend = "backend"\nbackend-path = ["_build"]\n'
                           '[project]\nname = "trap"\nversion = "1"\n'),
        "_build/backend.py": _marker_code("build-backend"),
        "local/setup.py": _marker_code("local-setup-py") + "from setuptools import setup\nsetup(name='l')\n",
        "requirements.txt": "-e .\n./local\nfile:./local#egg=l\nrequests==2.31.0\n",
        "conftest.py": _marker_code("conftest"),
        "noxfile.py": _marker_code("noxfile"),
        "Makefile": f"all:\n\t{_shell_marker(markers, 'makefile')}\n",
        ".envrc": _shell_marker(markers, "envrc") + "\n",
        ".gitattributes": "* diff=trap filter=trap\n",
        "data/a.txt": big, "data/b.txt": big, "data/c.txt": big,
    }
    write_tree(root, files, dedent=False)
    git_init(root)
    hooks = root / ".git" / "hooks"
    for hook in ("pre-commit", "post-checkout", "pre-auto-gc", "fsmonitor-watchman", "reference-transaction"):
        (hooks / hook).write_text(f"#!/bin/sh\n{_shell_marker(markers, 'hook-' + hook)}\n")
        (hooks / hook).chmod(0o755)
    for key, value in {
        "core.fsmonitor": _shell_marker(markers, "git-fsmonitor"),
        "diff.external": _shell_marker(markers, "git-diff-external"),
        "core.pager": _shell_marker(markers, "git-pager"),
        "diff.trap.textconv": _shell_marker(markers, "git-textconv") + "; cat",
        "filter.trap.clean": _shell_marker(markers, "git-clean-filter") + "; cat",
        "filter.trap.smudge": _shell_marker(markers, "git-smudge-filter") + "; cat",
        "core.hooksPath": str(hooks),
    }.items():
        subprocess.run(["git", "-C", str(root), "config", key, value], check=True)
    # A change since HEAD, so diff-aware mode has something to diff.
    (root / "data" / "a.txt").write_text(big + "changed = 1\n", encoding="utf-8")
    return root


def _markers(markers: Path) -> list[str]:
    return sorted(p.name for p in markers.iterdir())


@pytest.fixture
def trap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    markers = tmp_path / "markers"
    markers.mkdir()
    monkeypatch.setenv(MARK_DIR_ENV, str(markers))
    repo = build(tmp_path / "repo", markers)
    assert _markers(markers) == [], "building the fixture ran something"
    return repo, markers


@pytest.mark.parametrize("mode", ["full", "diff"])
def test_in_process_from_inside_the_repository(trap: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch,
                                               mode: str) -> None:
    repo, markers = trap
    monkeypatch.chdir(repo)
    argv = ["check", ".", "--jobs", "2", "--osv-url", "http://127.0.0.1:9", "--format", "json"]
    if mode == "diff":
        argv += ["--changed-since", "HEAD"]
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    assert code in (0, 1), err.getvalue()[-2000:]
    assert _markers(markers) == [], f"code from the repository ran: {_markers(markers)}"
    assert '"secrets"' in out.getvalue()


def test_console_script_from_inside_the_repository(trap: tuple[Path, Path]) -> None:
    """The installed ``readiness-gate`` command, started with the checkout as working directory."""
    repo, markers = trap
    exe = Path(sys.executable).parent / "readiness-gate"
    if not exe.exists():
        pytest.skip(f"no console script next to {sys.executable} (package not installed as a command)")
    env = {**os.environ, MARK_DIR_ENV: str(markers)}
    env.pop("PYTHONSAFEPATH", None)
    run = subprocess.run([str(exe), "check", "--only", "secrets,dependencies,insecure-patterns", "--jobs", "2",
                          "--osv-url", "http://127.0.0.1:9"], cwd=repo, env=env, capture_output=True, text=True,
                         timeout=300, check=False)
    assert run.returncode in (0, 1), run.stderr[-2000:]
    assert _markers(markers) == [], f"code from the repository ran: {_markers(markers)}"


def test_the_fixture_reaches_the_worker_planner(trap: tuple[Path, Path]) -> None:
    """Guard against a vacuous pass: the text planted is enough for the secrets check to plan in
    worker processes (the path that once imported the checkout's ``gate/``)."""
    from gate.secrets import engine
    from gate.inventory import build_inventory

    repo, _ = trap
    inventory = build_inventory(repo)
    sizes = [f.size for f in inventory.files if f.path.startswith("data/")]
    assert len(sizes) == 3 and not any(inventory.was_skipped(f"data/{n}.txt") for n in "abc")
    assert sum(sizes) >= engine.PARALLEL_MIN_BYTES
