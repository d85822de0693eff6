"""``diff.pre-existing`` in readiness.yml: default, values, validation."""

from __future__ import annotations

import pytest
from helpers import config_from

from gate.config import ConfigError


def test_default_is_report() -> None:
    assert config_from(None).diff_pre_existing == "report"
    assert config_from("version: 1\n").diff_pre_existing == "report"


@pytest.mark.parametrize("value", ["report", "block"])
def test_values(value: str) -> None:
    assert config_from(f"version: 1\ndiff:\n  pre-existing: {value}\n").diff_pre_existing == value


@pytest.mark.parametrize("text", ["diff:\n  pre-existing: ignore\n", "diff:\n  new: block\n", "diff: block\n"])
def test_invalid_values_are_config_errors(text: str) -> None:
    with pytest.raises(ConfigError) as err:
        config_from("version: 1\n" + text)
    assert "diff" in str(err.value)
