"""An offline OSV database is read completely, within caps, or not at all (``gate/osv_mirror.py``;
``docs/threats.md``, "Attacks on the verdict").

``--osv-db`` (and an ``osv-db`` shipped in a repository) is a trusted input: a record the mirror
leaves out is an advisory the audit never sees. A zip of 100 entries of 4 MiB cost 442 MiB of
memory; a record above the per-record limit was dropped without a word, so a padded advisory
vanished and the audit passed. Now the declared sizes are checked before anything is
decompressed, the bytes are counted while reading, and any cap reached is a clear error
(exit 2 for the CLI): never a partial database.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from helpers import write_tree

from gate import osv_mirror
from gate.cli import main
from gate.osv_mirror import OsvDatabaseError, load_records

DATA = Path(__file__).resolve().parents[1] / "data" / "osv"


def _padded(record: dict, size: int) -> bytes:
    text = json.dumps({**record, "details": "x" * size})
    return text.encode("utf-8")


def test_many_large_entries_are_refused_before_decompressing(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for i in range(100):
            zf.writestr(f"X-{i}.json", _padded({"id": f"X-{i}"}, osv_mirror.MAX_RECORD_BYTES - 100))
    assert bomb.stat().st_size < 2 * 1024 * 1024, "the zip itself is small"
    with pytest.raises(OsvDatabaseError, match="bytes of records"):
        load_records(bomb)


def test_too_many_entries_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(osv_mirror, "MAX_ENTRIES", 5)
    many = tmp_path / "many.zip"
    with zipfile.ZipFile(many, "w") as zf:
        for i in range(6):
            zf.writestr(f"X-{i}.json", json.dumps({"id": f"X-{i}"}))
    with pytest.raises(OsvDatabaseError, match="more than 5 entries"):
        load_records(many)


@pytest.mark.parametrize("form", ["zip", "directory"])
def test_an_oversized_advisory_is_an_error_not_a_silent_pass(tmp_path: Path, form: str,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    """The advisory that affects requests 2.19.1, padded past the per-record limit: the run is
    a usage error, not a dependencies check that passes without it."""
    repo = write_tree(tmp_path / "r", {"requirements.txt": "requests==2.19.1\n"})
    records = {p.name: json.loads(p.read_text(encoding="utf-8")) for p in DATA.glob("*.json")}
    assert "PYSEC-2018-28.json" in records
    big = _padded(records["PYSEC-2018-28.json"], osv_mirror.MAX_RECORD_BYTES + 10)
    if form == "zip":
        db = tmp_path / "db.zip"
        with zipfile.ZipFile(db, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for name, record in records.items():
                zf.writestr(name, big if name == "PYSEC-2018-28.json" else json.dumps(record))
    else:
        db = tmp_path / "db"
        db.mkdir()
        for name, record in records.items():
            (db / name).write_bytes(big if name == "PYSEC-2018-28.json" else json.dumps(record).encode())
    code = main(["check", str(repo), "--only", "dependencies", "--osv-db", str(db), "--format", "json"])
    err = capsys.readouterr().err
    assert code == 2, "a database read in part must not audit"
    assert "--osv-db" in err and "PYSEC-2018-28.json" in err and "larger than" in err
