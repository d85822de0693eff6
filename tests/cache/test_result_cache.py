"""The result cache itself (:mod:`gate.cache`): an entry is believed only when every check
passes; anything else is a miss that the next write repairs; writes are atomic; size is bounded.
"""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

import pytest

from gate import cache as rc


def _scope(tmp_path: Path, **versions: str) -> rc.Scope:
    return rc.ResultCache(tmp_path / "c").scope("semgrep", versions or {"semgrep": "1.0", "rules": "r1"})


def _as_list(value: object) -> list:
    if not isinstance(value, list):
        raise ValueError("not a list")
    return value


def _entry_file(scope: rc.Scope, key: rc.Key) -> Path:
    return Path(scope.cache.root) / scope.scanner / key.digest[:2] / f"{key.digest}.json"


def test_round_trip_and_key_depends_on_every_part(tmp_path: Path) -> None:
    scope = _scope(tmp_path)
    key = scope.key("file", "app/x.py", rc.content_id(b"print(1)\n"))
    assert scope.get(key, _as_list) is None
    scope.put(key, [1, "a"])
    assert scope.get(key, _as_list) == [1, "a"]
    assert (scope.stats.hits, scope.stats.misses, scope.stats.written) == (1, 1, 1)
    others = {scope.key("file", "app/y.py", rc.content_id(b"print(1)\n")),
              scope.key("file", "app/x.py", rc.content_id(b"print(2)\n")),
              scope.key("fileapp/x.py", rc.content_id(b"print(1)\n")),  # parts are not just concatenated
              _scope(tmp_path, semgrep="1.1", rules="r1").key("file", "app/x.py", rc.content_id(b"print(1)\n")),
              rc.ResultCache(tmp_path / "c").scope("pip-audit", {"semgrep": "1.0", "rules": "r1"})
              .key("file", "app/x.py", rc.content_id(b"print(1)\n"))}
    assert key not in others and len(others) == 5


def test_content_id_is_sha256_of_the_bytes() -> None:
    import hashlib

    assert rc.content_id(b"abc") == "sha256:" + hashlib.sha256(b"abc").hexdigest()
    assert rc.content_id(b"caf\xe9") != rc.content_id("café".encode())  # bytes, never decoded text


@pytest.mark.parametrize("damage", [
    "truncated", "garbage", "not-an-object", "wrong-format", "wrong-scanner", "wrong-version",
    "other-key", "other-parts", "future", "bad-created", "value-rejected", "empty",
])
def test_a_damaged_entry_is_a_miss_and_the_next_write_repairs_it(tmp_path: Path, damage: str) -> None:
    scope = _scope(tmp_path)
    key = scope.key("file", "a.py", rc.content_id(b"x"))
    scope.put(key, ["finding"])
    path = _entry_file(scope, key)
    doc = json.loads(path.read_text())
    raw = path.read_text()
    if damage == "truncated":
        path.write_text(raw[: len(raw) // 2])
    elif damage == "garbage":
        path.write_bytes(b"\x00\xff{{{ not json")
    elif damage == "not-an-object":
        path.write_text(json.dumps([doc]))
    elif damage == "wrong-format":
        path.write_text(json.dumps({**doc, "format": rc.FORMAT + 1}))
    elif damage == "wrong-scanner":
        path.write_text(json.dumps({**doc, "scanner": "detect-secrets"}))
    elif damage == "wrong-version":
        path.write_text(json.dumps({**doc, "versions": {**doc["versions"], "semgrep": "0.9"}}))
    elif damage == "other-key":
        # a valid entry of another key copied under this key's name
        other = scope.key("file", "b.py", rc.content_id(b"y"))
        scope.put(other, [])
        path.write_bytes(_entry_file(scope, other).read_bytes())
    elif damage == "other-parts":  # the key field rewritten, the keyed parts still another file's
        other = scope.key("file", "b.py", rc.content_id(b"y"))
        scope.put(other, [])
        path.write_text(json.dumps({**json.loads(_entry_file(scope, other).read_text()), "key": key.digest}))
    elif damage == "future":
        path.write_text(json.dumps({**doc, "created": time.time() + 10 * rc.CLOCK_SKEW_S}))
    elif damage == "bad-created":
        path.write_text(json.dumps({**doc, "created": True}))
    elif damage == "value-rejected":
        path.write_text(json.dumps({**doc, "value": {"not": "a list"}}))
    elif damage == "empty":
        path.write_bytes(b"")
    assert scope.get(key, _as_list) is None
    assert scope.stats.rejected == 1
    scope.put(key, ["finding"])  # what a scanner does after the miss
    assert scope.get(key, _as_list) == ["finding"]


def test_expiry(tmp_path: Path) -> None:
    scope = _scope(tmp_path)
    key = scope.key("pin", "django", "4.2")
    scope.put(key, [])
    path = _entry_file(scope, key)
    doc = json.loads(path.read_text())
    path.write_text(json.dumps({**doc, "created": time.time() - 25 * 3600}))
    assert scope.get(key, _as_list) == []  # no max age: kept
    assert scope.get(key, _as_list, max_age_s=24 * 3600) is None
    assert scope.get(key, _as_list, max_age_s=26 * 3600) == []


def test_an_oversized_or_symlinked_entry_is_not_read(tmp_path: Path) -> None:
    scope = _scope(tmp_path)
    key = scope.key("file", "a.py", rc.content_id(b"x"))
    scope.put(key, [])
    path = _entry_file(scope, key)
    good = path.read_text()
    path.write_text(good[:-1] + " " * (rc.MAX_ENTRY_BYTES + 1) + "}")
    assert scope.get(key, _as_list) is None
    outside = tmp_path / "outside.json"
    outside.write_text(good)
    path.unlink()
    path.symlink_to(outside)
    assert scope.get(key, _as_list) is None


def test_writes_are_atomic_and_leave_no_temporary_files(tmp_path: Path) -> None:
    scope = _scope(tmp_path)
    key = scope.key("file", "a.py", rc.content_id(b"x"))
    errors: list[BaseException] = []
    stop = threading.Event()

    def reader() -> None:
        while not stop.is_set():
            got = scope.get(key, _as_list)
            if got is not None and got != list(range(2000)):
                errors.append(AssertionError(f"half an entry: {len(got)}"))

    threads = [threading.Thread(target=reader) for _ in range(2)]
    for t in threads:
        t.start()
    for _ in range(200):
        scope.put(key, list(range(2000)))
    stop.set()
    for t in threads:
        t.join()
    assert not errors
    assert scope.stats.rejected == 0
    leftovers = [p for p in Path(scope.cache.root).rglob("*") if p.name.endswith(".tmp")]
    assert leftovers == []
    # readable by another user (the runner's actions/cache step reads what a container wrote)
    assert _entry_file(scope, key).stat().st_mode & 0o777 == 0o644


def test_a_cache_other_users_can_write_is_not_used(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    cache = rc.ResultCache(shared)
    assert not cache.usable
    scope = cache.scope("semgrep", {})
    key = scope.key("x")
    scope.put(key, [])
    assert scope.get(key, _as_list) is None
    assert list(shared.iterdir()) == []


def test_an_unwritable_cache_never_fails_the_scan(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    cache = rc.ResultCache(blocker / "cache")
    scope = cache.scope("semgrep", {})
    scope.put(scope.key("x"), [])
    assert scope.get(scope.key("x"), _as_list) is None
    cache.settle()


def test_size_is_bounded_least_recently_used_first(tmp_path: Path) -> None:
    cache = rc.ResultCache(tmp_path / "c", max_bytes=40 * 4096)
    scope = cache.scope("semgrep", {})
    keys = [scope.key(str(i)) for i in range(60)]
    now = time.time()
    for i, key in enumerate(keys):
        scope.put(key, [i])
        os.utime(_entry_file(scope, key), (now - 1000 + i, now - 1000 + i))
    # entry 0 is used again: it becomes the most recent
    assert scope.get(keys[0], _as_list) == [0]
    cache.settle()
    remaining = {k for k in keys if _entry_file(scope, k).exists()}
    assert len(remaining) * 4096 <= 40 * 4096 * rc.PRUNE_TO
    assert keys[0] in remaining  # used recently
    assert keys[1] not in remaining and keys[59] in remaining  # oldest unused went first
    usage = json.loads((tmp_path / "c" / "usage.json").read_text())
    assert usage["bytes"] == cache._measure()


def test_usage_accumulates_without_walking_until_the_bound(tmp_path: Path) -> None:
    cache = rc.ResultCache(tmp_path / "c", max_bytes=10 * 2**20)
    scope = cache.scope("semgrep", {})
    for i in range(5):
        scope.put(scope.key(str(i)), [i])
    cache.settle()
    first = json.loads((tmp_path / "c" / "usage.json").read_text())["bytes"]
    assert first == 5 * 4096
    scope.put(scope.key("5"), [5])
    cache.settle()
    assert json.loads((tmp_path / "c" / "usage.json").read_text())["bytes"] == 6 * 4096
    (tmp_path / "c" / "usage.json").write_text("garbage")  # a broken ledger: measured again
    scope.put(scope.key("6"), [6])
    cache.settle()
    assert json.loads((tmp_path / "c" / "usage.json").read_text())["bytes"] == cache._measure() + 0


def test_max_bytes_from_env_and_default_directory(tmp_path: Path) -> None:
    assert rc.max_bytes_from_env({rc.MAX_BYTES_ENV: "64"}) == 64 * 2**20
    for bad in ("", "-1", "0", "lots"):
        assert rc.max_bytes_from_env({rc.MAX_BYTES_ENV: bad}) == rc.DEFAULT_MAX_BYTES
    assert rc.default_directory({"RUNNER_TEMP": str(tmp_path)}) == str(tmp_path / "readiness-gate-cache")
    assert rc.default_directory({}) is None
    # a runner that does not mount RUNNER_TEMP into the container: no cache, not an ephemeral one
    assert rc.default_directory({"RUNNER_TEMP": str(tmp_path / "not-mounted")}) is None
