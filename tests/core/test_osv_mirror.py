"""``--osv-db``: an offline OSV export served to pip-audit on loopback."""

from __future__ import annotations

import json
import urllib.request
import zipfile
from pathlib import Path

import pytest

from gate.cli import main
from gate.osv_mirror import OsvDatabaseError, OsvMirror, affects, load_records
from helpers import write_tree

DATA = Path(__file__).resolve().parents[1] / "data" / "osv"


def _post(url: str, body: dict) -> dict:
    req = urllib.request.Request(url, json.dumps(body).encode(), {"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.load(resp)


def test_directory_and_zip_serve_the_same_answers(tmp_path: Path) -> None:
    zpath = tmp_path / "all.zip"
    with zipfile.ZipFile(zpath, "w") as zf:
        for p in sorted(DATA.glob("*.json")):
            zf.write(p, p.name)
    query = {"package": {"name": "Requests", "ecosystem": "PyPI"}, "version": "2.19.1"}
    answers = []
    for source in (DATA, zpath):
        with OsvMirror(source) as mirror:
            assert mirror.base_url.startswith("http://127.0.0.1:")
            ids = sorted(v["id"] for v in _post(mirror.base_url + "/v1/query", query)["vulns"])
            batch = _post(mirror.base_url + "/v1/querybatch", {"queries": [query, {**query, "version": "2.32.3"}]})
            answers.append((ids, [sorted(v["id"] for v in r.get("vulns", [])) for r in batch["results"]]))
            with urllib.request.urlopen(mirror.base_url + "/v1/vulns/PYSEC-2018-28", timeout=10) as resp:
                assert json.load(resp)["id"] == "PYSEC-2018-28"
    assert answers[0] == answers[1]
    assert "PYSEC-2018-28" in answers[0][0]
    assert answers[0][1][1] == []  # a fixed version has no advisory


def test_version_matching_follows_osv_ranges() -> None:
    record = json.loads((DATA / "PYSEC-2018-28.json").read_text())
    assert affects(record, "requests", "2.19.1")
    assert not affects(record, "requests", "2.20.0")
    assert not affects(record, "urllib3", "2.19.1")


def test_bad_databases_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(OsvDatabaseError, match="no such file"):
        load_records(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(OsvDatabaseError, match="no OSV records"):
        load_records(tmp_path / "empty")
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "x.json").write_text("{not json")
    with pytest.raises(OsvDatabaseError, match="not valid JSON"):
        load_records(tmp_path / "bad")
    (tmp_path / "plain.txt").write_text("hello")
    with pytest.raises(OsvDatabaseError, match="not a directory"):
        load_records(tmp_path / "plain.txt")


def test_cli_osv_db_audits_offline_and_rejects_bad_use(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = write_tree(tmp_path / "r", {"requirements.txt": "requests==2.19.1\n"})
    assert main(["check", str(repo), "--only", "dependencies", "--osv-db", str(DATA), "--format", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    dep = next(c for g in report["gates"] for c in g["checks"] if c["id"] == "dependencies")
    assert dep["status"] == "fail"
    assert "PYSEC-2018-28" in {f["rule"] for f in dep["findings"]}
    assert main(["check", str(repo), "--only", "dependencies", "--osv-db", str(tmp_path / "nope")]) == 2
    assert "--osv-db" in capsys.readouterr().err
    assert main(["check", str(repo), "--osv-db", str(DATA), "--osv-url", "http://127.0.0.1:9"]) == 2
