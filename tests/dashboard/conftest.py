"""Dashboard tests: makes ``org_fixtures`` importable and builds its world once per session."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from org_fixtures import Org, build_org  # noqa: E402


@pytest.fixture(scope="session")
def org(tmp_path_factory: pytest.TempPathFactory) -> Org:
    """Three services' real reports and the two sites built from them (``org_fixtures``)."""
    return build_org(tmp_path_factory)
