"""Shared test helpers: build small repositories on disk and run one check or the whole gate.

Used by every test package (``tests/checks/<id>/``, ``tests/render/``, ...). Nothing here mocks
our own code: checks run against a real :class:`gate.inventory.Inventory` of a real directory.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import textwrap
from pathlib import Path
from typing import Mapping, Optional, Union

from gate.checks.interface import RunOptions, check_context
from gate.checks.registry import load_check
from gate.config import Config, build_config, load_config_text
from gate.inventory import build_inventory
from gate.model import CheckResult, Report
from gate.runner import run_gate

TODAY = dt.date(2026, 11, 21)
"""Fixed date for tests that involve expiry and staleness."""

Content = Union[str, bytes]


def write_tree(root: Path, files: Mapping[str, Content], *, dedent: bool = True) -> Path:
    """Create ``files`` (relative path -> text or bytes) under ``root``; text is dedented."""
    root.mkdir(parents=True, exist_ok=True)
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content).lstrip("\n") if dedent else content, encoding="utf-8")
    return root


def git_init(root: Path, *, commit: bool = True) -> None:
    """Make ``root`` a git repository with everything committed (deterministic identity)."""
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com",
           "GIT_AUTHOR_DATE": "2026-01-01T00:00:00Z", "GIT_COMMITTER_DATE": "2026-01-01T00:00:00Z"}
    subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True, env=env)
    if commit:
        subprocess.run(["git", "-C", str(root), "add", "-A"], check=True, env=env)
        subprocess.run(["git", "-C", str(root), "commit", "-q", "--allow-empty", "-m", "init"], check=True, env=env)


def config_from(text: Optional[str]) -> Config:
    """A Config from readiness.yml text (dedented), or the default profile when None."""
    if text is None:
        return build_config(None, None)
    return load_config_text(textwrap.dedent(text).lstrip("\n"), "readiness.yml")


def run_check(check_id: str, root: Path, *, config: Optional[str] = None,
              options: Optional[RunOptions] = None) -> CheckResult:
    """Run one check on the repository at ``root`` and return its raw result.

    ``config`` is readiness.yml text (default profile when None); the check's settings come
    from it exactly as in a real run.
    """
    cfg = config_from(config)
    inventory = build_inventory(root, max_file_size=cfg.max_file_size, exclude=cfg.exclude)
    check = load_check(check_id)
    return check.run(check_context(check, inventory, cfg, options=options or RunOptions(today=TODAY)))


def run_all(root: Path, *, config: Optional[str] = None, options: Optional[RunOptions] = None,
            only: Optional[list[str]] = None) -> Report:
    """Run the whole gate on ``root`` (config text or default profile) with a fixed date."""
    return run_gate(root, config_from(config), options=options or RunOptions(today=TODAY), only=only)
