"""pip-audit with the result cache: one entry per pin; only pins without a believable entry are
handed to pip-audit (the real one, against the loopback OSV server of ``tests/servers/osv.py``,
which records every package it was asked about); service verdicts expire, offline-database
verdicts are keyed by the database's digest.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Iterator

import pytest

from gate.cache import ResultCache
from gate.scanners import pip_audit
from servers.osv import OsvServer

PINS = [("requests", "2.19.1"), ("pyyaml", "5.3"), ("urllib3", "2.0.6"), ("idna", "3.7"),
        ("requests", "2.31.0")]


@pytest.fixture
def osv() -> Iterator[OsvServer]:
    with OsvServer.from_directory() as server:
        yield server


def _asked(osv: OsvServer, since: int) -> list[tuple[str, str]]:
    return sorted((n.lower(), v) for n, v in osv.queried_packages()[since:])


def _entries(cache: ResultCache) -> list[Path]:
    return sorted((Path(cache.root) / "pip-audit").rglob("*.json"))


def test_warm_audit_equals_cold_and_asks_only_for_new_pins(tmp_path: Path, osv: OsvServer) -> None:
    plain = pip_audit.audit_pins(PINS, osv_base=osv.base_url)
    assert sum(len(d.vulns) for d in plain.dependencies) >= 4
    cache = ResultCache(tmp_path / "cache")
    n = len(osv.queried_packages())
    cold = pip_audit.audit_pins(PINS, osv_base=osv.base_url, cache=cache)
    assert _asked(osv, n) == sorted(PINS) and cold.cached == 0
    assert cold.dependencies == plain.dependencies and cold.version == plain.version

    n = len(osv.queried_packages())
    warm = pip_audit.audit_pins(PINS, osv_base=osv.base_url, cache=cache)
    assert _asked(osv, n) == [] and warm.runs == 0 and warm.cached == len(PINS)
    assert warm.dependencies == plain.dependencies and warm.version == plain.version

    n = len(osv.queried_packages())
    more = pip_audit.audit_pins([*PINS, ("jinja2", "2.10")], osv_base=osv.base_url, cache=cache)
    assert _asked(osv, n) == [("jinja2", "2.10")]
    assert set(plain.dependencies) < set(more.dependencies)


def test_service_verdicts_expire(tmp_path: Path, osv: OsvServer) -> None:
    cache = ResultCache(tmp_path / "cache")
    pip_audit.audit_pins(PINS[:2], osv_base=osv.base_url, cache=cache)
    for entry in _entries(cache):
        doc = json.loads(entry.read_text())
        entry.write_text(json.dumps({**doc, "created": time.time() - 3 * 3600}))
    n = len(osv.queried_packages())
    pip_audit.audit_pins(PINS[:2], osv_base=osv.base_url, cache=cache)  # default 24 h: still fresh
    assert _asked(osv, n) == []
    pip_audit.audit_pins(PINS[:2], osv_base=osv.base_url, cache=cache, max_age_s=3600)
    assert _asked(osv, n) == sorted(PINS[:2])  # older than an hour: asked again, and rewritten
    n = len(osv.queried_packages())
    pip_audit.audit_pins(PINS[:2], osv_base=osv.base_url, cache=cache, max_age_s=3600)
    assert _asked(osv, n) == []
    pip_audit.audit_pins(PINS[:2], osv_base=osv.base_url, cache=cache, max_age_s=0)  # 0: never believed
    assert _asked(osv, n) == sorted(PINS[:2])


def test_the_advisory_source_is_part_of_the_key(tmp_path: Path, osv: OsvServer) -> None:
    cache = ResultCache(tmp_path / "cache")
    pip_audit.audit_pins(PINS[:1], osv_base=osv.base_url, cache=cache)
    with OsvServer.from_directory() as other:  # another service URL: its own entries
        pip_audit.audit_pins(PINS[:1], osv_base=other.base_url, cache=cache)
        assert other.queried_packages() == [("requests", "2.19.1")]
    # an offline database: keyed by its digest, whatever loopback port serves it
    for port_round in range(2):
        with OsvServer.from_directory() as mirror:
            pip_audit.audit_pins(PINS[:1], osv_base=mirror.base_url, cache=cache, osv_db_digest="sha256:db1")
            assert len(mirror.queried_packages()) == (1 if port_round == 0 else 0)
    with OsvServer.from_directory() as mirror:
        pip_audit.audit_pins(PINS[:1], osv_base=mirror.base_url, cache=cache, osv_db_digest="sha256:db2")
        assert len(mirror.queried_packages()) == 1


@pytest.mark.parametrize("damage", ["garbage", "other-pin", "bad-vuln", "name"])
def test_a_damaged_entry_is_asked_again_and_rewritten(tmp_path: Path, osv: OsvServer, damage: str) -> None:
    cache = ResultCache(tmp_path / "cache")
    cold = pip_audit.audit_pins(PINS[:2], osv_base=osv.base_url, cache=cache)
    entries = {json.loads(e.read_text())["parts"][1]: e for e in _entries(cache)}
    target = entries["requests"]
    doc = json.loads(target.read_text())
    if damage == "garbage":
        target.write_text("[")
    elif damage == "other-pin":  # pyyaml's entry copied under requests' name
        target.write_bytes(entries["pyyaml"].read_bytes())
    elif damage == "bad-vuln":
        doc["value"]["vulns"][0]["fix_versions"] = "2.20.0"
        target.write_text(json.dumps(doc))
    elif damage == "name":  # a consistent forgery of another pin's verdict is still refused by name
        doc["value"]["name"] = "pyyaml"
        target.write_text(json.dumps(doc))
    n = len(osv.queried_packages())
    warm = pip_audit.audit_pins(PINS[:2], osv_base=osv.base_url, cache=cache)
    assert _asked(osv, n) == [("requests", "2.19.1")]
    assert warm.dependencies == cold.dependencies
    n = len(osv.queried_packages())
    pip_audit.audit_pins(PINS[:2], osv_base=osv.base_url, cache=cache)
    assert _asked(osv, n) == []


def test_a_failed_audit_stores_nothing(tmp_path: Path, osv: OsvServer) -> None:
    cache = ResultCache(tmp_path / "cache")
    osv.inject("500")
    with pytest.raises(pip_audit.ToolError):
        pip_audit.audit_pins(PINS[:2], osv_base=osv.base_url, cache=cache, timeout=120)
    assert _entries(cache) == []


def test_the_dependencies_check_with_an_offline_database(tmp_path: Path) -> None:
    """``--osv-db``: verdicts keyed by the database's digest (served on a new port each run);
    a changed database is another key."""
    import shutil

    from gate.checks.interface import RunOptions
    from gate.osv_mirror import database_digest, osv_options
    from helpers import TODAY, run_check, write_tree
    from servers.osv import DATA_DIR

    db = tmp_path / "osv-db"
    shutil.copytree(DATA_DIR, db)
    root = write_tree(tmp_path / "repo", {"requirements.txt": "requests==2.19.1\npyyaml==5.3\n"})
    base = RunOptions(today=TODAY, cache_dir=str(tmp_path / "cache"))

    def run() -> tuple[object, str]:
        with osv_options(base, db) as options:
            result = run_check("dependencies", root, options=options)
            return result, options.osv_db_digest or ""

    cold, digest = run()
    warm, again = run()
    assert digest == again == database_digest(db)
    assert (warm.status, warm.findings) == (cold.status, cold.findings) and cold.findings
    assert any("2 verdicts from the result cache" in e for e in warm.evidence)
    assert not any("result cache" in e for e in cold.evidence)
    record = db / "PYSEC-2018-28.json"
    record.write_text(record.read_text().replace('"2.20.0"', '"2.19.2"'))
    changed, new_digest = run()
    assert new_digest != digest
    assert not any("result cache" in e for e in changed.evidence)
