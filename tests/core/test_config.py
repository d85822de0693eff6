"""readiness.yml loading: every class of configuration error names file, line, column and key."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from gate.config import (MAX_CONFIG_BYTES, ConfigError, build_config, find_config, load_config,
                         load_config_text)
from gate.model import Level


def _problems(text: str) -> list:
    with pytest.raises(ConfigError) as info:
        load_config_text(text, "readiness.yml")
    return list(info.value.problems)


def test_minimal_file_gives_default_profile_levels() -> None:
    cfg = load_config_text("version: 1\n", "readiness.yml")
    assert cfg.profile == "default"
    assert cfg.settings("secrets").level is Level.REQUIRED
    assert cfg.settings("load-test").level is Level.ADVISORY
    assert cfg.settings("runbooks").options["min"] == 3


def test_no_file_means_default_profile_and_is_said(tmp_path: Path) -> None:
    cfg = load_config(tmp_path)
    assert cfg.source is None
    assert cfg.display_source == "built-in default profile"


def test_profile_then_file_override() -> None:
    cfg = load_config_text("version: 1\nextends: minimal\nchecks:\n  runbooks:\n    level: required\n", "r.yml")
    assert cfg.profile == "minimal"
    assert cfg.settings("observability").level is Level.ADVISORY  # from minimal
    assert cfg.settings("runbooks").level is Level.REQUIRED  # file wins
    assert cfg.settings("runbooks").options["min"] == 1  # minimal's option kept
    assert cfg.settings("runbooks").options["sections"]["symptoms"]  # default's option kept


def test_malformed_yaml_names_line_and_column() -> None:
    [p] = _problems("version: 1\nowners: [a, b\nchecks: {}\n")
    assert p.file == "readiness.yml"
    assert p.line == 3 and p.column is not None
    assert "invalid YAML" in p.message


def test_wrong_type_names_key_path_and_line() -> None:
    [p] = _problems("version: 1\nchecks:\n  runbooks:\n    min: three\n")
    assert p.key == "checks.runbooks.min"
    assert p.line == 4
    assert "expected integer" in p.message


def test_unknown_key_suggests_the_close_one() -> None:
    [p] = _problems("version: 1\nowner:\n  - '@a'\n")
    assert p.key == "owner" and p.line == 2 and p.column == 1
    assert p.suggestion == "owners"
    assert "did you mean 'owners'" in str(p)


def test_unknown_check_id_suggests_the_known_one() -> None:
    problems = _problems("version: 1\nchecks:\n  secret:\n    level: off\n")
    assert [(p.key, p.suggestion) for p in problems] == [("checks.secret", "secrets")]
    assert "unknown check id" in problems[0].message


def test_unknown_check_id_in_deferral_suggests() -> None:
    text = """version: 1
deferrals:
  - check: runbook
    reason: The runbooks are being written with the SRE team this sprint.
    approved-by: "@lead"
    expires: 2027-01-31
    ticket: OPS-1
"""
    [p] = _problems(text)
    assert p.key == "deferrals[0].check" and p.line == 3
    assert p.suggestion == "runbooks"


def test_invalid_date_and_trivial_reason_are_reported() -> None:
    bad_date = _problems("version: 1\ndeferrals:\n  - check: rollback\n    reason: Rollback workflow lands next sprint with the new deploy.\n"
                         "    approved-by: lead\n    expires: 2026-02-30\n    ticket: OPS-2\n")
    assert [p.key for p in bad_date] == ["deferrals[0].expires"]
    assert "not a valid date" in bad_date[0].message
    trivial = _problems("version: 1\ndeferrals:\n  - check: rollback\n    reason: 'todo todo todo todo todo todo'\n"
                        "    approved-by: lead\n    expires: 2027-02-01\n    ticket: OPS-2\n")
    assert [p.key for p in trivial] == ["deferrals[0].reason"]


def test_missing_version_and_wrong_version() -> None:
    assert any("version" in p.message for p in _problems("owners: []\n"))
    assert [p.key for p in _problems("version: 2\n")] == ["version"]


def test_duplicate_key_is_an_error() -> None:
    [p] = _problems("version: 1\nowners: ['@a']\nowners: ['@b']\n")
    assert "duplicate key" in p.message and p.line == 3


def test_alias_bomb_refused_fast() -> None:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 9):
        prev, cur = chr(96 + i), chr(97 + i)
        lines.append(f"{cur}: &{cur} [" + ",".join([f"*{prev}"] * 9) + "]")
    start = time.monotonic()
    problems = _problems("\n".join(lines) + "\n")
    assert time.monotonic() - start < 1.0
    assert "alias" in problems[0].message


def test_recursive_alias_refused() -> None:
    problems = _problems("version: 1\nowners: &x [*x]\n")
    assert problems  # either the composer or our converter refuses it; never a hang


def test_oversize_file_refused_before_parsing(tmp_path: Path) -> None:
    path = tmp_path / "readiness.yml"
    path.write_text("version: 1\n# " + "x" * (MAX_CONFIG_BYTES + 10) + "\n")
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path)
    assert "larger than" in str(info.value)
    assert info.value.problems[0].file == "readiness.yml"


def test_yaml_one_one_keys_stay_strings_and_dates_stay_strings() -> None:
    cfg = load_config_text("version: 1\nevidence:\n  restore-tested:\n    date: 2026-10-01\n", "r.yml")
    assert cfg.evidence["restore-tested"]["date"] == "2026-10-01"


def test_github_folder_location_found(tmp_path: Path) -> None:
    (tmp_path / ".github").mkdir()
    (tmp_path / ".github" / "readiness.yml").write_text("version: 1\nowners: ['@team']\n")
    cfg = load_config(tmp_path)
    assert cfg.source == ".github/readiness.yml"
    assert cfg.owners == ("@team",)


def test_symlinked_config_leaving_the_tree_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside.yml"
    outside.write_text("version: 1\n")
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "readiness.yml").symlink_to(outside)
    with pytest.raises(ConfigError) as info:
        find_config(repo)
    assert "leaves the repository" in str(info.value)


def test_non_utf8_config_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "readiness.yml").write_bytes(b"version: 1\nowners: ['\xff']\n")
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path)
    assert "UTF-8" in str(info.value)


def test_deferral_fields_are_typed() -> None:
    cfg = load_config_text("""version: 1
deferrals:
  - check: dependencies
    finding: PYSEC-2018-28
    reason: Upgrade blocked by the vendor SDK; pinned fix lands with SDK 4.2 next month.
    approved-by: lead
    expires: 2027-01-31
    ticket: SEC-42
""", "readiness.yml")
    [d] = cfg.deferrals
    assert d.approved_by == "@lead"
    assert d.expires.isoformat() == "2027-01-31"
    assert d.location is not None and d.location.line == 3


def test_profiles_all_valid() -> None:
    for profile in ("default", "strict", "minimal"):
        cfg = load_config_text(f"version: 1\nextends: {profile}\n", "r.yml")
        assert cfg.profile == profile
    assert build_config(None, None).settings("secrets").level is Level.REQUIRED
