"""The command line: exit codes 0/1/2/3 and the small subcommands."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from gate.checks import registry
from gate.cli import main
from gate.config import schema
from gate.resources import policies_dir
from helpers import write_tree

ONLY = "security-policy,dependency-updates"
GOOD = {"SECURITY.md": "Report issues to security@example.com\n",
        ".github/dependabot.yml": "version: 2\nupdates:\n  - package-ecosystem: pip\n    directory: /\n    schedule: {interval: weekly}\n"}


def test_exit_0_when_ready_and_json_is_written(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = write_tree(tmp_path / "r", GOOD)
    out = tmp_path / "report.json"
    assert main(["check", str(repo), "--only", ONLY, "--format", "json", "--output", str(out)]) == 0
    data = json.loads(out.read_text())
    assert data["ready"] is True
    assert {c["id"]: c["status"] for g in data["gates"] for c in g["checks"]}["security-policy"] == "pass"


def test_exit_1_when_not_ready(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = write_tree(tmp_path / "r", {})
    assert main(["check", str(repo), "--only", ONLY, "--format", "json"]) == 1
    assert json.loads(capsys.readouterr().out)["ready"] is False


def test_raising_check_exits_1_never_0(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    repo = write_tree(tmp_path / "r", GOOD)
    monkeypatch.setitem(registry.CHECKS, "security-policy", "check_doubles:RaisingCheck")  # type: ignore[index]
    assert main(["check", str(repo), "--only", ONLY, "--format", "json"]) == 1
    data = json.loads(capsys.readouterr().out)
    statuses = {c["id"]: c["status"] for g in data["gates"] for c in g["checks"]}
    assert statuses["security-policy"] == "error"


def test_exit_2_for_config_and_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = write_tree(tmp_path / "r", {"readiness.yml": "version: 1\nchecks:\n  secret: {level: 'off'}\n"})
    assert main(["check", str(repo)]) == 2
    err = capsys.readouterr().err
    assert "readiness.yml:3:3" in err and "did you mean 'secrets'" in err
    assert main(["check", str(tmp_path / "missing")]) == 2
    assert main(["check", str(repo), "--only", "runbook"]) == 2
    assert "did you mean 'runbooks'" in capsys.readouterr().err
    assert main(["check", "--format", "pdf"]) == 2
    assert main([]) == 2


def test_exit_3_when_the_gate_itself_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = write_tree(tmp_path / "r", GOOD)
    (tmp_path / "out").mkdir()
    # The report cannot be written (the output path is a directory): no report, exit 3.
    assert main(["check", str(repo), "--only", ONLY, "--output", str(tmp_path / "out")]) == 3
    assert "internal error" in capsys.readouterr().err


def test_validate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = write_tree(tmp_path / "g", {"readiness.yml": "version: 1\nowners: ['@team']\n"})
    assert main(["validate", "--path", str(good)]) == 0
    assert "valid" in capsys.readouterr().out
    bad = write_tree(tmp_path / "b", {"x.yml": "version: 1\nownerz: []\n"})
    assert main(["validate", str(bad / "x.yml")]) == 2
    assert "did you mean 'owners'" in capsys.readouterr().err
    assert main(["validate", "--path", str(tmp_path / "g" / "..")]) == 2  # no readiness.yml there


def test_init_writes_valid_files_and_never_overwrites(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["init", str(tmp_path)]) == 0
    assert (tmp_path / "readiness.yml").is_file() and (tmp_path / "docs/runbooks/_template.md").is_file()
    assert main(["validate", "--path", str(tmp_path)]) == 0
    (tmp_path / "readiness.yml").write_text("version: 1\n# mine\n")
    assert main(["init", str(tmp_path)]) == 0
    assert (tmp_path / "readiness.yml").read_text() == "version: 1\n# mine\n"
    assert "kept existing readiness.yml" in capsys.readouterr().out


def test_the_starter_schema_line_resolves() -> None:
    """Editors complete readiness.yml through the starter's yaml-language-server line: it names
    the schema's own $id, which is where GitHub serves this repository's policies/ file (raw)."""
    starter = (policies_dir() / "init" / "readiness.yml").read_text(encoding="utf-8")
    url = re.fullmatch(r"# yaml-language-server: \$schema=(\S+)", starter.splitlines()[0]).group(1)
    assert url == schema()["$id"]
    raw = "https://raw.githubusercontent.com/readiness-gate/readiness-gate/main/"
    assert url.startswith(raw) and (policies_dir().parent / url[len(raw):]).is_file()


def test_the_starter_file_claims_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Every example value of init's readiness.yml is commented out: on a repository with a
    database and nothing else, the backups check reports both missing pieces."""
    repo = write_tree(tmp_path / "r", {"app/db.py": "import sqlalchemy\nENGINE = sqlalchemy.create_engine('postgresql://db/app')\n",
                                       "migrations/versions/0001_init.py": "def upgrade():\n    pass\n"})
    assert main(["init", str(repo)]) == 0
    text = (repo / "readiness.yml").read_text(encoding="utf-8")
    active = [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    assert active == ["version: 1"]
    # Uncommented, each example is valid readiness.yml (the examples teach the real syntax).
    example = re.compile(r"^# (?!yaml-language-server)(\s*(?:[a-z][\w.-]*:(?: |$)|- ))")
    uncommented = "\n".join(example.sub(r"\1", line) for line in text.splitlines())
    assert uncommented.count("\n#") < text.count("\n#") - 30
    (repo / "full.yml").write_text(uncommented, encoding="utf-8")
    capsys.readouterr()
    assert main(["validate", str(repo / "full.yml")]) == 0, capsys.readouterr().err
    (repo / "full.yml").unlink()
    capsys.readouterr()
    assert main(["check", str(repo), "--only", "backups", "--format", "json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    backups = next(c for g in doc["gates"] for c in g["checks"] if c["id"] == "backups")
    assert sorted(f["rule"] for f in backups["findings"]) == ["no-backup-mechanism", "no-restore-test"]


def test_validate_without_argument_finds_the_names_check_finds(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from gate.config import CONFIG_NAMES

    for name in CONFIG_NAMES:
        repo = write_tree(tmp_path / name.replace("/", "_"), {name: "version: 1\n"})
        assert main(["validate", "--path", str(repo)]) == 0, name
        assert f"{name}: valid" in capsys.readouterr().out
    assert main(["validate", "--path", str(tmp_path / "nothing-here")]) == 2
    err = capsys.readouterr().out
    assert all(name in err for name in CONFIG_NAMES)


def test_list_checks_explain_schema(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["list-checks", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 14 and {"id", "gate", "level", "title"} <= set(rows[0])
    assert main(["explain", "backups"]) == 0
    out = capsys.readouterr().out
    assert "Why it matters" in out and "max-age-days" in out
    assert main(["explain", "backup"]) == 2
    assert main(["schema"]) == 0
    assert json.loads(capsys.readouterr().out)["title"] == "readiness.yml"


@pytest.mark.parametrize("check_id", registry.check_ids())
def test_explain_reads_for_people(check_id: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Every line fits a terminal, defaults are words and wrapped lists (never a Python repr), and
    the only references are the shipped docs."""
    assert main(["explain", check_id]) == 0
    out = capsys.readouterr().out
    assert [line for line in out.splitlines() if len(line) > 90] == []
    assert not re.search(r"[(\[{]'|CATALOGUE|essay|THREATS|\.\./shared", out), out
    assert "Documentation:\n  https://" in out and "Why it matters" in out
    options = schema()["properties"]["checks"]["properties"][check_id]["properties"]
    assert out.count("\n      default:") == len(options)  # every option, with its default


def test_explain_wraps_default_lists_and_lists_valid_ids(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", "operations-docs"]) == 0
    out = capsys.readouterr().out
    assert "      default: docs/**/*.md, docs/**/*.markdown," in out  # a list: words, wrapped
    assert "        deploy: deploy, deployment," in out  # a mapping: one key per line
    assert main(["explain", "backup"]) == 2
    err = capsys.readouterr().err
    assert "did you mean 'backups'?" in err
    assert "valid check ids: " + ", ".join(registry.check_ids()) in err
