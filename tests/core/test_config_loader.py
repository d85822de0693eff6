"""readiness.yml as people write it (``gate.config``'s loader): YAML 1.2 core-schema scalars,
the ``service:`` shorthand, and real type errors still refused with file, line and key."""

from __future__ import annotations

import pytest

from gate.config import ConfigError, core_scalar, load_config_text
from gate.model import Level


def _load(text: str):
    return load_config_text(text, "readiness.yml")


def _problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as info:
        _load(text)
    return [str(p) for p in info.value.problems]


def test_level_off_unquoted_is_the_word_off() -> None:
    config = _load("version: 1\nchecks:\n  load-test:\n    level: off\n  secrets: {level: advisory}\n")
    assert config.settings("load-test").level is Level.OFF
    # Level words are lower case; a capitalised one is an unknown value (with a suggestion), never a boolean.
    (problem,) = _problems("version: 1\nchecks:\n  load-test:\n    level: Off\n")
    assert problem == ("readiness.yml:4:5: checks.load-test.level: unknown value 'Off'; expected one of: "
                       "required, advisory, off (did you mean 'off'?)")


def test_yaml_1_1_words_stay_words_and_booleans_are_true_and_false() -> None:
    assert [core_scalar(w) for w in ("off", "on", "yes", "no", "y", "n")] == ["off", "on", "yes", "no", "y", "n"]
    assert [core_scalar(w) for w in ("true", "False", "TRUE")] == [True, False, True]
    assert [core_scalar(w) for w in ("010", "0o17", "0x1f", "1_000", "1:20", "2026-01-15", "~", "", "1.5e3")] == [
        10, 15, 31, "1_000", "1:20", "2026-01-15", None, None, 1500.0]


def test_real_type_errors_are_refused_with_file_line_and_key() -> None:
    (problem,) = _problems("version: 1\nchecks:\n  secrets:\n    inline-allowlist: yes\n")
    assert problem == ("readiness.yml:4:5: checks.secrets.inline-allowlist: expected boolean, got str 'yes' "
                       "(readiness.yml is YAML 1.2: write true or false)")
    (problem,) = _problems("version: 1\nowners: 5\n")
    assert problem.startswith("readiness.yml:2:1: owners: expected array, got int 5")


def test_service_may_be_a_bare_name() -> None:
    assert _load("version: 1\nservice: payments-api\n").service == "payments-api"
    assert _load("version: 1\nservice: {name: payments-api, tier: tier-1}\n").tier == "tier-1"
    (problem,) = _problems("version: 1\nservice: [payments-api]\n")
    assert problem.startswith("readiness.yml:2:1: service: expected object")
