"""One result cache for every scanner: content-addressed, shared by the CLI and the Action.

A scanner adapter opens a :class:`Scope` — the scanner's name and every *version* that decides
its results (the scanner's own version, a digest of the rules or plugins, the gate's version and
a digest of the adapter's source) — and asks it for entries by :meth:`Scope.key`: a SHA-256 of
those versions and the parts the adapter names (for a file: its path and :func:`content_id`).
A hit is the file's (or pin's) findings and skips, exactly as a scan would have produced them;
a miss is scanned and stored. The README section "The cache" and ``docs/performance.md``
describe it for users.

Layout: ``<directory>/<scanner>/<key[:2]>/<key>.json``; each entry is one JSON object::

    {"format": 1, "scanner": "semgrep", "versions": {...}, "key": "<hex>",
     "parts": ["file", "app/x.py", "sha256:..."], "created": <unix seconds>,
     "value": <the adapter's value>}

**Never a trust boundary.** Every read checks the entry: at most :data:`MAX_ENTRY_BYTES`, JSON,
this :data:`FORMAT`, this scanner, the same versions, the same key as its file name and the
same keyed parts (an entry copied from another file's name is refused), a sane
creation time, younger than the caller's ``max_age_s`` if it gives one, and a value the adapter's
own parser accepts. Anything else (a truncated write, garbage, an entry of another version or
for another key) is a miss: the file is scanned again and the entry rewritten. But an entry that
passes these checks is believed: **whoever can write the cache directory can hide findings.**
Keep it per branch (``actions/cache`` scopes caches to the branch that saved them; a pull request
reads its base branch's cache and cannot write it) and never restore one saved by a fork's run
or by a job that ran a pull request's code with the base branch's rights (``pull_request_target``).
A cache directory other users can write (mode ``o+w``, e.g. ``/tmp`` itself) is not used at all.

**Concurrency.** Entries are written to a temporary file in the same directory and moved into
place with ``os.replace`` (atomic on POSIX): a reader sees the old entry, the new one or none,
never half of one; two runs writing the same key write the same value. Nothing here ever makes a
scan fail: a cache that cannot be read or written is a miss.

**Bounded size.** Every entry's disk use is counted in ``<directory>/usage.json``. When a run
that wrote entries brings the count over the bound (:data:`DEFAULT_MAX_BYTES`, or
``READINESS_GATE_CACHE_MAX_MB``), the directory is walked and the least recently *used* entries
(every hit refreshes an entry's modification time) are deleted until it holds at most
:data:`PRUNE_TO` of the bound. Entries of older versions are never hit again, so they age out
first.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import stat
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, Callable, Iterator, Mapping, NamedTuple, Optional, TypeVar, Union

from gate import __version__ as GATE_VERSION

T = TypeVar("T")

FORMAT = 1
"""Version of the entry layout above; an entry of another format is a miss."""

DEFAULT_MAX_BYTES = 512 * 2**20
"""Default bound of the cache's disk use (512 MiB). A 100 MB repository needs about 60 MiB with
every scanner's entries (most entries are a few hundred bytes in a 4 KiB block); the bound
leaves room for several versions of the rules and scanners while the old ones age out."""

MAX_BYTES_ENV = "READINESS_GATE_CACHE_MAX_MB"
"""Environment variable that overrides :data:`DEFAULT_MAX_BYTES`, in MiB (a positive integer)."""

PRUNE_TO = 0.8
"""Fraction of the bound a prune leaves, so that not every run has to prune again."""

MAX_ENTRY_BYTES = 8 * 2**20
"""An entry file larger than this is not read (a miss): reads stay bounded whatever the directory
holds. A real entry is far smaller (findings carry no scanned text)."""

CLOCK_SKEW_S = 300.0
"""An entry created more than this far in the future is a miss (a wrong clock or a forged
time must not make an entry live forever)."""

DEFAULT_DIR_NAME = "readiness-gate-cache"
"""The Action's cache directory under ``RUNNER_TEMP`` (:func:`default_directory`)."""

_USAGE = "usage.json"
_BLOCK = 4096


def content_id(data: bytes) -> str:
    """The content half of a file's key: ``sha256:<hex>`` of its bytes.

    SHA-256, not git's SHA-1 blob id: chosen-prefix SHA-1 collisions are practical, and two
    files with one id would share one cache entry — a benign file scanned on the base branch
    could then answer for a malicious one with the same SHA-1. Callers hash the bytes the scanner
    is given (never decoded text: two undecodable files decode to the same replacement text).
    """
    return "sha256:" + hashlib.sha256(data).hexdigest()


def source_digest(*sources: Union[ModuleType, Path]) -> str:
    """SHA-256 of the source files of ``sources`` (modules, or paths of source files): a cache
    version that changes whenever the adapter's code does, even without a release. A source that
    cannot be read gives a fixed marker (the gate's version still separates releases)."""
    h = hashlib.sha256()
    for source in sources:
        path = source if isinstance(source, Path) else Path(source.__file__ or "")
        try:
            h.update(path.read_bytes())
        except OSError:
            h.update(b"unreadable:" + (path.name if isinstance(source, Path) else source.__name__).encode())
        h.update(b"\0")
    return h.hexdigest()


def default_directory(environ: Optional[Mapping[str, str]] = None) -> Optional[str]:
    """The Action's default cache directory: ``$RUNNER_TEMP/readiness-gate-cache``, or None
    outside a runner or when ``RUNNER_TEMP`` is not an existing directory.

    A container action sees the runner's temporary directory at ``/github/runner_temp``, with
    ``RUNNER_TEMP`` translated to it (actions/runner, container action handler, since the end of
    2025), so ``${{ runner.temp }}/readiness-gate-cache`` is where a workflow's ``actions/cache``
    step finds it. Older runners (and some GHES versions) do not mount it: ``RUNNER_TEMP`` then
    names a host path that does not exist in the container, and the run goes without a cache
    rather than filling one nobody keeps."""
    env = os.environ if environ is None else environ
    temp = env.get("RUNNER_TEMP")
    return os.path.join(temp, DEFAULT_DIR_NAME) if temp and os.path.isdir(temp) else None


def max_bytes_from_env(environ: Optional[Mapping[str, str]] = None) -> int:
    """The size bound: :data:`MAX_BYTES_ENV` in MiB when it is a positive integer, else
    :data:`DEFAULT_MAX_BYTES`."""
    raw = (os.environ if environ is None else environ).get(MAX_BYTES_ENV, "")
    try:
        mib = int(raw)
    except ValueError:
        return DEFAULT_MAX_BYTES
    return mib * 2**20 if mib > 0 else DEFAULT_MAX_BYTES


class Key(NamedTuple):
    """An entry's key: ``digest`` (SHA-256 hex of the scope's versions and ``parts``; the file
    name) and the ``parts`` themselves (stored in the entry and checked on every read)."""

    digest: str
    parts: tuple[str, ...]


@dataclass
class CacheStats:
    """Counters of one :class:`Scope` (for the checks' evidence and the benchmark)."""

    hits: int = 0
    misses: int = 0
    rejected: int = 0
    """Entries found but not believed (corrupt, another version or key, expired)."""
    written: int = 0


class ResultCache:
    """One cache directory (see the module docstring); cheap to create, safe to share between
    threads and processes.

    Args:
        directory: the cache directory; created (mode 0755, so the runner's ``actions/cache``
            step can read what a container action wrote) when it does not exist.
        max_bytes: bound of the disk use; default :func:`max_bytes_from_env`.
    """

    def __init__(self, directory: str | os.PathLike[str], *, max_bytes: Optional[int] = None) -> None:
        self.root = os.fspath(directory)
        self.max_bytes = max_bytes if max_bytes is not None else max_bytes_from_env()
        self._lock = threading.Lock()
        self._pending = 0
        self.usable = self._prepare()

    def _prepare(self) -> bool:
        try:
            os.makedirs(self.root, mode=0o755, exist_ok=True)
            st = os.stat(self.root)
        except OSError:
            return False
        # Writable by other users (and not a sticky /tmp-like directory we own): anyone could
        # plant entries, so it is not used.
        return stat.S_ISDIR(st.st_mode) and not st.st_mode & stat.S_IWOTH

    def scope(self, scanner: str, versions: Mapping[str, str]) -> "Scope":
        """The entries of ``scanner`` under ``versions`` (every input, other than the keyed
        parts, that decides a result); the gate's own version is always added."""
        if not scanner.replace("-", "").isalnum():
            raise ValueError(f"scanner name {scanner!r} must be alphanumeric (with '-')")
        return Scope(self, scanner, {**{k: str(v) for k, v in versions.items()}, "gate": GATE_VERSION})

    # ---------------------------------------------------------------- size accounting

    def _wrote(self, nbytes: int) -> None:
        with self._lock:
            self._pending += _blocks(nbytes)

    def settle(self) -> None:
        """Add what was written since the last call to ``usage.json``; prune when the total is
        over the bound. Called by each adapter when its scan is done; errors are ignored."""
        with self._lock:
            pending, self._pending = self._pending, 0
        if not pending or not self.usable:
            return
        try:
            with self._locked():
                usage = self._read_usage()
                # no ledger (a new or damaged one): measure, which counts this run's writes too
                total = usage + pending if usage is not None else self._measure()
                if total > self.max_bytes:
                    total = self.prune(int(self.max_bytes * PRUNE_TO))
                self._write_usage(total)
        except OSError:
            pass

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        fd = os.open(os.path.join(self.root, ".lock"), os.O_RDWR | os.O_CREAT, 0o644)
        try:
            try:
                import fcntl

                fcntl.flock(fd, fcntl.LOCK_EX)
            except ImportError:  # not POSIX: concurrent prunes only race benignly
                pass
            yield
        finally:
            os.close(fd)

    def _read_usage(self) -> Optional[int]:
        try:
            with open(os.path.join(self.root, _USAGE), encoding="utf-8") as fh:
                data = json.load(fh)
        except (OSError, ValueError):
            return None
        n = data.get("bytes") if isinstance(data, dict) and data.get("format") == FORMAT else None
        return n if isinstance(n, int) and not isinstance(n, bool) and n >= 0 else None

    def _write_usage(self, total: int) -> None:
        _atomic_write(os.path.join(self.root, _USAGE), json.dumps({"format": FORMAT, "bytes": total}))

    def _entries(self) -> Iterator[tuple[float, int, str]]:
        """``(mtime, disk bytes, path)`` of every entry and stale temporary file."""
        for scanner in _scandir(self.root):
            if not scanner.is_dir(follow_symlinks=False):
                continue
            for shard in _scandir(scanner.path):
                if not shard.is_dir(follow_symlinks=False):
                    continue
                for f in _scandir(shard.path):
                    try:
                        st = f.stat(follow_symlinks=False)
                    except OSError:
                        continue
                    if stat.S_ISREG(st.st_mode):
                        yield st.st_mtime, _disk_bytes(st), f.path

    def _measure(self) -> int:
        return sum(size for _, size, _ in self._entries())

    def prune(self, target: int) -> int:
        """Delete the least recently used entries until at most ``target`` bytes remain;
        return the bytes that remain. Temporary files older than an hour (an interrupted
        write) go first."""
        now = time.time()
        entries = sorted(self._entries())
        total = sum(size for _, size, _ in entries)
        for mtime, size, path in entries:
            if total <= target and not (path.endswith(".tmp") and now - mtime > 3600):
                continue
            with contextlib.suppress(OSError):
                os.unlink(path)
                total -= size
        return total


class Scope:
    """The entries of one scanner under one set of versions (:meth:`ResultCache.scope`)."""

    def __init__(self, cache: ResultCache, scanner: str, versions: dict[str, str]) -> None:
        self.cache = cache
        self.scanner = scanner
        self.versions = versions
        self._salt = json.dumps([FORMAT, scanner, sorted(versions.items())]).encode()
        self.stats = CacheStats()
        self._stats_lock = threading.Lock()

    def key(self, *parts: str) -> Key:
        """The key of an entry: SHA-256 (hex) of this scope's versions and ``parts`` (e.g. a
        path and its :func:`content_id`; a pin's name and version), unambiguously joined.
        ``parts`` must be strings that encode as UTF-8 (with ``surrogateescape``)."""
        h = hashlib.sha256(self._salt)
        for part in parts:
            data = part.encode("utf-8", "surrogateescape")
            h.update(b"%d:" % len(data))
            h.update(data)
        return Key(h.hexdigest(), tuple(parts))

    def _path(self, key: Key) -> str:
        return os.path.join(self.cache.root, self.scanner, key.digest[:2], key.digest + ".json")

    def _count(self, what: str) -> None:
        with self._stats_lock:
            setattr(self.stats, what, getattr(self.stats, what) + 1)

    def get(self, key: Key, parse: Callable[[Any], T], *, max_age_s: Optional[float] = None) -> Optional[T]:
        """The value stored for ``key`` as ``parse`` returns it, or None.

        None when there is no entry, or it is not believed (see the module docstring); ``parse``
        raising ``ValueError``, ``TypeError``, ``KeyError`` or ``IndexError`` also rejects it.
        ``max_age_s``: entries older than this many seconds are misses (advisories that may
        have changed since). Never raises.
        """
        if not self.cache.usable:
            return None
        path = self._path(key)
        try:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except OSError:
            self._count("misses")
            return None
        try:
            with os.fdopen(fd, "rb") as fh:
                raw = fh.read(MAX_ENTRY_BYTES + 1)
        except OSError:
            self._count("misses")
            return None
        value = self._check(raw, key, max_age_s)
        if value is not _REJECT:
            try:
                out = parse(value)
            except (ValueError, TypeError, KeyError, IndexError, AttributeError):
                out = None
            if out is not None:
                self._count("hits")
                with contextlib.suppress(OSError):
                    os.utime(path)  # recently used: pruned last
                return out
        self._count("rejected")
        return None

    def _check(self, raw: bytes, key: Key, max_age_s: Optional[float]) -> Any:
        if len(raw) > MAX_ENTRY_BYTES:
            return _REJECT
        try:
            doc = json.loads(raw)
        except (ValueError, UnicodeDecodeError, RecursionError):
            return _REJECT
        if (not isinstance(doc, dict) or doc.get("format") != FORMAT or doc.get("scanner") != self.scanner
                or doc.get("versions") != self.versions or doc.get("key") != key.digest
                or doc.get("parts") != list(key.parts) or "value" not in doc):
            return _REJECT
        created = doc.get("created")
        if isinstance(created, bool) or not isinstance(created, (int, float)) or not math.isfinite(created):
            return _REJECT
        now = time.time()
        if created > now + CLOCK_SKEW_S or (max_age_s is not None and now - created > max_age_s):
            return _REJECT
        return doc["value"]

    def put(self, key: Key, value: Any) -> None:
        """Store ``value`` (JSON-serialisable) for ``key``, atomically; errors are ignored."""
        if not self.cache.usable:
            return
        try:
            text = json.dumps({"format": FORMAT, "scanner": self.scanner, "versions": self.versions,
                               "key": key.digest, "parts": list(key.parts), "created": round(time.time(), 3),
                               "value": value}, separators=(",", ":"))
        except (TypeError, ValueError):
            return
        try:
            _atomic_write(self._path(key), text)
        except OSError:
            return
        self._count("written")
        self.cache._wrote(len(text.encode("utf-8")))


_REJECT = object()


def _atomic_write(target: str, text: str) -> None:
    directory = os.path.dirname(target)
    os.makedirs(directory, mode=0o755, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(tmp, 0o644)  # readable by the runner's actions/cache step (see ResultCache)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _scandir(path: str) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(path) as it:
            return list(it)
    except OSError:
        return []


def _disk_bytes(st: os.stat_result) -> int:
    blocks = getattr(st, "st_blocks", None)
    return blocks * 512 if blocks else _blocks(st.st_size)


def _blocks(nbytes: int) -> int:
    return max(1, -(-nbytes // _BLOCK)) * _BLOCK
