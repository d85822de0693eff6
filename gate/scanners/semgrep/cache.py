"""semgrep results in the result cache (:mod:`gate.cache`): one entry per target file.

**Why per file is exact.** Open-source semgrep analyses each target on its own: a rule's matches
in a file depend on the rule, the file's path (a rule's ``paths:`` globs) and its bytes, never on
the other targets (taint is intraprocedural or, with ``--interfile``/``--pro``, which we never
pass, cross-file). Our prefilters (:class:`~gate.scanners.semgrep.rules.Condition`) read only the
file itself, and fingerprints and ``nosemgrep`` decisions read only its lines. So a file's
matches and skips are a function of (semgrep's version, the rule files' bytes, the adapter's code,
the path, the bytes), which is the key; a warm scan hands semgrep only the files without an entry.

**Where that stops.** A rule whose result depends on other files — a cross-file (interfile)
taint rule if the engine ever runs one, a rule counting occurrences across the tree — is not
per-file exact. Such a rule file says so with ``metadata.readiness-cross-file: true`` on any of
its rules (:data:`CROSS_FILE_KEY`); its rules then run on every target whenever anything in the
target set changed, and their results are stored as one entry keyed on the whole set (every
target's path and content id). No shipped rule needs it today.

Not cached: a file where semgrep hit a limit (timeout, memory, too many matches) — that depends on
the machine's load, not the file — and a file whose bytes could not be read for its key. A
report whose semgrep version differs from the one in the key stores nothing.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import os
import typing
from pathlib import Path
from typing import Any, Callable, Optional, Sequence

from gate import cache as result_cache
from gate.model import Severity
from gate.scanners.process import ToolError, find_tool, installed_version, run_tool
from gate.scanners.semgrep.findings import SemgrepMatch
from gate.scanners.semgrep.report import _LIMIT_ERRORS, FileProblem
from gate.scanners.semgrep.rules import CROSS_FILE_KEY, TOOL, RuleFile

ByteReader = Callable[[str], Optional[bytes]]
"""Returns the bytes of a repository-relative target (what semgrep will read), or None."""

__all__ = ["CROSS_FILE_KEY", "ByteReader", "FileResult", "ScanStore", "disk_reader", "is_limit", "match_order",
           "semgrep_version", "versions"]

_LIMIT_REASONS = frozenset(f"semgrep {verb} on it" for verb in _LIMIT_ERRORS.values())


def is_limit(problem: FileProblem) -> bool:
    """True when ``problem`` is a limit semgrep hit (load-dependent, never cached)."""
    return problem.reason in _LIMIT_REASONS


def cross_file_rules(files: Sequence[RuleFile]) -> frozenset[str]:
    """Ids of the rules in rule files marked :data:`CROSS_FILE_KEY`."""
    out: set[str] = set()
    for f in files:
        if f.cross_file:
            out.update(f.rule_ids)
    return frozenset(out)


def disk_reader(root: str | os.PathLike[str]) -> ByteReader:
    """A :data:`ByteReader` for files under ``root`` (no symlinks followed at the last step)."""
    base = os.fspath(root)

    def read(path: str) -> Optional[bytes]:
        try:
            fd = os.open(os.path.join(base, path), os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except OSError:
            return None
        try:
            with os.fdopen(fd, "rb") as fh:
                return fh.read()
        except OSError:
            return None

    return read


# ------------------------------------------------------------------ (de)serialising dataclasses


def _field_types(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


_MATCH_TYPES = _field_types(SemgrepMatch)
_PROBLEM_TYPES = _field_types(FileProblem)


def _encode(obj: Any) -> dict[str, Any]:
    out = {}
    for f in dataclasses.fields(obj):
        v = getattr(obj, f.name)
        out[f.name] = v.value if isinstance(v, Severity) else v
    return out


def _decode_value(hint: Any, v: Any) -> Any:
    if hint is str:
        if isinstance(v, str):
            return v
    elif hint is bool:
        if isinstance(v, bool):
            return v
    elif hint is int:
        if isinstance(v, int) and not isinstance(v, bool):
            return v
    elif hint is Severity:
        return Severity(v)
    elif typing.get_origin(hint) is typing.Union and type(None) in typing.get_args(hint):
        if v is None:
            return None
        (inner,) = [a for a in typing.get_args(hint) if a is not type(None)]
        return _decode_value(inner, v)
    else:
        raise TypeError(f"cannot decode a field of type {hint!r}")
    raise TypeError(f"expected {hint!r}, got {type(v).__name__}")


def _decode(cls: type, hints: dict[str, Any], data: Any, path: str) -> Any:
    if not isinstance(data, dict) or set(data) != set(hints):
        raise ValueError("fields differ")
    obj = cls(**{name: _decode_value(hint, data[name]) for name, hint in hints.items()})
    if obj.path != path:
        raise ValueError("entry for another path")
    return obj


@dataclasses.dataclass(frozen=True)
class FileResult:
    """A file's (or the target set's) cached matches and skips."""

    matches: tuple[SemgrepMatch, ...]
    problems: tuple[FileProblem, ...]

    def to_json(self) -> dict[str, Any]:
        return {"matches": [_encode(m) for m in self.matches], "problems": [_encode(p) for p in self.problems]}

    @classmethod
    def parser(cls, paths: Optional[frozenset[str]]) -> Callable[[Any], "FileResult"]:
        """A parser of a stored value whose matches and problems must all be in ``paths``
        (a file's entry: that one path; None: any of the target set)."""

        def parse(value: Any) -> "FileResult":
            if not isinstance(value, dict) or set(value) != {"matches", "problems"}:
                raise ValueError("not a semgrep result")
            def path_ok(item: Any) -> str:
                p = item.get("path") if isinstance(item, dict) else None
                if not isinstance(p, str) or (paths is not None and p not in paths):
                    raise ValueError("entry for another path")
                return p
            matches = tuple(_decode(SemgrepMatch, _MATCH_TYPES, m, path_ok(m)) for m in value["matches"])
            problems = tuple(_decode(FileProblem, _PROBLEM_TYPES, p, path_ok(p)) for p in value["problems"])
            if any(is_limit(p) for p in problems):
                raise ValueError("limits are never cached")
            return cls(matches, problems)

        return parse


# ------------------------------------------------------------------ the store of one scan


def semgrep_version() -> str:
    """The version of the semgrep the scan will start, before starting a scan: the installed
    distribution's when semgrep is this environment's own script, else what
    ``semgrep --experimental --version`` prints (osemgrep answers in 0.2 s; the Python CLI's
    ``--version`` takes 2-4 s), or ``unknown`` (then nothing is cached)."""
    return installed_version(TOOL) or _asked_version(find_tool(TOOL))


@functools.lru_cache(maxsize=8)
def _asked_version(exe: Optional[str]) -> str:
    if exe is None:
        return "unknown"
    try:
        run = run_tool(TOOL, ["--experimental", "--version"], timeout=60,
                       env={"SEMGREP_ENABLE_VERSION_CHECK": "0", "SEMGREP_SEND_METRICS": "off"})
    except ToolError:
        return "unknown"
    lines = run.stdout.strip().splitlines()
    first = lines[0].strip() if lines else ""
    return first if first and len(first) < 100 and " " not in first else "unknown"


def versions(files: Sequence[RuleFile]) -> dict[str, str]:
    """What, besides a file's path and bytes, decides its semgrep results: semgrep's version,
    the rule files' names and bytes, and the adapter's source (its arguments, parsing,
    fingerprints, prefilters)."""
    rules = hashlib.sha256()
    for f in files:
        rules.update(f.path.name.encode() + b"\0")
        try:
            rules.update(f.path.read_bytes())
        except OSError:
            rules.update(b"unreadable")
        rules.update(b"\0")
    adapter = sorted(Path(__file__).parent.glob("*.py"))  # every module of the semgrep adapter
    return {"semgrep": semgrep_version(), "rules": rules.hexdigest(),
            "adapter": result_cache.source_digest(result_cache, *adapter)}


class ScanStore:
    """The cache's part in one :func:`~gate.scanners.semgrep.scan`: which targets still need
    semgrep, and the complete result once they have been scanned.

    Args:
        cache: the result cache.
        files: the rule files of the scan.
        ordered: every target, sorted.
        read_bytes: the bytes of a target (what semgrep reads), for its key.
    """

    def __init__(self, cache: result_cache.ResultCache, files: Sequence[RuleFile], ordered: Sequence[str],
                 read_bytes: ByteReader) -> None:
        self.cache = cache
        self.scope = cache.scope(TOOL, versions(files))
        self.version = self.scope.versions["semgrep"]
        self.cross_rules = cross_file_rules(files)
        self.keys: dict[str, result_cache.Key] = {}
        self.hits: dict[str, FileResult] = {}
        ids: list[str] = []
        for path in ordered:
            data = read_bytes(path)
            cid = result_cache.content_id(data) if data is not None else None
            ids.append(f"{path}\0{cid}")
            if cid is None:
                continue
            key = self.scope.key("file", path, cid)
            self.keys[path] = key
            got = self.scope.get(key, FileResult.parser(frozenset((path,))))
            if got is not None:
                self.hits[path] = got
        self.misses = [p for p in ordered if p not in self.hits]
        self.set_key: Optional[result_cache.Key] = None
        self.set_hit: Optional[FileResult] = None
        if self.cross_rules:
            if all(p in self.keys for p in ordered):
                self.set_key = self.scope.key("target-set", hashlib.sha256("\0\0".join(ids).encode(
                    "utf-8", "surrogateescape")).hexdigest())
                self.set_hit = self.scope.get(self.set_key, FileResult.parser(frozenset(ordered)))

    @property
    def cached(self) -> int:
        """Targets answered by the cache."""
        return len(self.hits)

    def complete(self, matches: Sequence[SemgrepMatch], problems: Sequence[FileProblem],
                 version: str, ran: bool) -> tuple[list[SemgrepMatch], list[FileProblem]]:
        """Merge the fresh results of :attr:`misses` (and of the cross-file rules when they
        ran) with the cached ones, store the fresh ones, and return everything, sorted.

        ``version`` is what semgrep's report said; when it differs from the keyed version
        nothing is stored. ``ran``: some semgrep process ran (else ``version`` is meaningless).
        """
        store = not ran or version == self.version
        fresh_per_file: dict[str, tuple[list[SemgrepMatch], list[FileProblem]]] = {p: ([], []) for p in self.misses}
        set_matches: list[SemgrepMatch] = []
        set_problems: list[FileProblem] = []
        for m in matches:
            if m.rule in self.cross_rules:
                set_matches.append(m)
            elif m.path in fresh_per_file:
                fresh_per_file[m.path][0].append(m)
        for p in problems:
            if p.rule in self.cross_rules or (p.rule is None and self.cross_rules and self.set_hit is None):
                set_problems.append(p)
            if p.rule not in self.cross_rules and p.path in fresh_per_file:
                fresh_per_file[p.path][1].append(p)
        out_m = [m for r in self.hits.values() for m in r.matches]
        out_p = [p for r in self.hits.values() for p in r.problems]
        for path, (ms, ps) in fresh_per_file.items():
            out_m.extend(ms)
            out_p.extend(ps)
            key = self.keys.get(path)
            if store and key is not None and not any(is_limit(p) for p in ps):
                self.scope.put(key, FileResult(tuple(ms), tuple(ps)).to_json())
        if self.cross_rules:
            if self.set_hit is not None:
                out_m.extend(self.set_hit.matches)
                out_p.extend(self.set_hit.problems)
            else:
                out_m.extend(set_matches)
                out_p.extend(set_problems)
                if store and self.set_key is not None and not any(is_limit(p) for p in set_problems):
                    self.scope.put(self.set_key, FileResult(tuple(set_matches), tuple(set_problems)).to_json())
        self.cache.settle()
        out_m.sort(key=match_order)
        return out_m, sorted(set(out_p), key=lambda f: (f.path, f.rule or "", f.reason))


def match_order(m: SemgrepMatch) -> tuple[Any, ...]:
    """Sort key of a scan's matches (every field: the order never depends on the cache)."""
    return (m.path, m.line, m.rule, m.check, m.message, m.severity.value, m.fingerprint, m.suppressed)
