"""Fixtures for the GitHub Action tests: a running fake GitHub (``tests/servers/github.py``)
and a simulated Actions runner (``gh_helpers.Runner``)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from gh_helpers import Runner  # noqa: E402
from servers.github import FakeGitHub  # noqa: E402


@pytest.fixture
def gh():
    with FakeGitHub() as server:
        yield server


@pytest.fixture
def runner(tmp_path: Path, gh: FakeGitHub) -> Runner:
    return Runner(tmp_path, gh)
