"""Fixtures for the adversarial suite: the five promises of ``docs/threats.md``.

Reuses, never copies, the other packages' test infrastructure: the synthetic credentials of
``tests/checks/secrets/secret_samples.py``, the simulated Actions runner of
``tests/github/gh_helpers.py`` and the loopback fake GitHub of ``tests/servers/github.py``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Iterator

import pytest

TESTS = Path(__file__).resolve().parents[1]
for sub in ("checks/secrets", "github", "render", "adversarial"):
    if str(TESTS / sub) not in sys.path:
        sys.path.insert(0, str(TESTS / sub))

from gh_helpers import Runner  # noqa: E402
from servers.github import FakeGitHub  # noqa: E402


@pytest.fixture
def gh() -> Iterator[FakeGitHub]:
    """A running loopback fake GitHub API, stopped after the test."""
    with FakeGitHub() as server:
        yield server


@pytest.fixture
def runner(tmp_path: Path, gh: FakeGitHub) -> Runner:
    """A simulated Actions runner (workspace, event file, GITHUB_OUTPUT, summary) for ``gh``."""
    return Runner(tmp_path, gh)
