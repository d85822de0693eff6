"""Running ``detect-secrets scan`` over the inventory and parsing its output strictly.

How a scan runs (``docs/threats.md`` rows 5 and 11):

1. The files to scan are *staged*: read through the inventory (never from the tree directly, so
   symlinks out of the tree, FIFOs and oversize files are already excluded) and written under
   their repository-relative names into a private temporary directory.
2. ``detect-secrets scan --all-files`` runs with that directory as its working directory and
   ``.`` as the path: detect-secrets only scans below its working directory (handed a path
   elsewhere it silently reports nothing), and every file name it reports is then the
   repository-relative path.
3. Its JSON is validated field by field. A non-zero exit, a signal, a timeout, empty or malformed
   JSON, a missing key, a result for a file that was not staged, or our custom detectors missing
   from ``plugins_used`` is a :class:`~gate.scanners.process.ToolError`: the check is ``error``,
   never ``pass``.

Flags: ``--no-verify`` (detect-secrets would otherwise send found credentials to their issuers'
APIs to verify them: a network call carrying the secret), our plugins via ``--plugin``, and the
inline allowlist filter disabled (``--disable-filter ...is_line_allowlisted``): whether an inline
``pragma: allowlist secret`` counts is decided by policy in :mod:`gate.checks.secrets`, not by
the code under review (``docs/threats.md`` row 12).

Files that are not valid UTF-8 cannot be read by detect-secrets (it skips them silently); they
are listed as skipped with that reason instead (promise 5).

Speed (``docs/performance.md``) without changing results: files are planned by :mod:`gate.secrets.prefilter`
(skipped when no plugin can match, staged with only their candidate lines, or staged whole), in
worker processes for large trees; per-file results are kept in a content-addressed cache
(:mod:`gate.secrets.cache`) when a cache directory is given. Every scan also stages a *canary*
(a fresh synthetic token) that detect-secrets must report, so a scanner that runs but detects
nothing is an error, and every run exercises the scanner even when the prefilter leaves nothing
else to scan.
"""

from __future__ import annotations

import concurrent.futures as cf
import functools
import hashlib
import importlib.metadata
import json
import os
import re
import secrets as secrets_mod
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Callable, Iterable, Optional, Sequence

from gate.inventory import FileEntry, Inventory, InventoryError
from gate.model import SkippedPath
from gate.scanners.process import ToolError, run_tool
from gate.secrets import cache as cache_mod
from gate.secrets import planner, prefilter

TOOL = "detect-secrets"
"""Executable name (override with ``READINESS_GATE_DETECT_SECRETS_BIN``)."""

PLUGINS_FILE = str(Path(__file__).with_name("plugins.py"))
"""Our detect-secrets plugins (:mod:`gate.secrets.plugins`), passed with ``--plugin``."""

CUSTOM_PLUGINS = (
    "GitHubFineGrainedTokenDetector",
    "OpenAIProjectKeyDetector",
    "AnthropicKeyDetector",
    "SlackAppTokenDetector",
    "GoogleApiKeyDetector",
    "EncryptedPrivateKeyDetector",
    "GitHubTokenDetector_",
    "GitLabTokenDetector_",
)
"""Class names in :data:`PLUGINS_FILE`; each must appear in the scan's ``plugins_used``."""

ALLOWLIST_FILTER = "detect_secrets.filters.allowlist.is_line_allowlisted"
"""detect-secrets' inline ``pragma: allowlist secret`` filter, disabled in our scans."""

SCAN_FLAGS: tuple[str, ...] = (
    "--no-verify",
    *(arg for name in prefilter.REPLACED_PLUGINS for arg in ("--disable-plugin", name)),
    "--disable-filter", ALLOWLIST_FILTER,
    "--plugin", PLUGINS_FILE,
)
"""Plugin and filter flags of every scan; a plain ``detect-secrets scan --all-files`` with these
flags reports exactly what the engine reports (the benchmark and tests compare the two)."""

TOOL_ENV = {"PYTHONUTF8": "1", "PYTHONDONTWRITEBYTECODE": "1"}
"""detect-secrets opens files with the locale encoding; UTF-8 mode makes that UTF-8 on every
runner, which is what staging checks files against."""

INSTALL_HINT = ("Install detect-secrets 1.5 in the same environment as readiness-gate "
                "(pip install 'detect-secrets==1.5.*'), or set READINESS_GATE_DETECT_SECRETS_BIN "
                "to its path")

_SHA1 = re.compile(r"[0-9a-f]{40}")


@dataclass(frozen=True, order=True)
class RawSecret:
    """One secret detect-secrets reported, as it reported it (never the value)."""

    path: str
    """Repository-relative POSIX path."""
    line: int
    """1-based line number."""
    type_name: str
    """detect-secrets display type (``"GitHub Token"``)."""
    hashed_secret: str
    """SHA-1 hex of the secret value, as detect-secrets computes it."""


@dataclass(frozen=True)
class ScanStats:
    """Counters of one :func:`scan`, for the check's evidence notes and the benchmark."""

    files: int = 0
    """Files read for the scan (after skips)."""
    bytes: int = 0
    """Bytes of those files."""
    cached: int = 0
    """Files answered by the result cache (not scanned again)."""
    skipped_by_prefilter: int = 0
    """Files the line prefilter proved hold no candidate line (not handed to detect-secrets)."""
    whole: int = 0
    """Files handed to detect-secrets whole."""
    reduced: int = 0
    """Files handed to detect-secrets as their candidate lines only."""
    lines_total: int = 0
    """Lines of the files not answered by the cache."""
    lines_staged: int = 0
    """Lines handed to detect-secrets."""
    plan_s: float = 0.0
    """Seconds from the start until the prefilter's plan was ready."""
    scanned_s: float = 0.0
    """Seconds for the whole scan."""
    reduce: bool = False
    """True when the line prefilter was used (a verified detect-secrets version)."""


@dataclass(frozen=True)
class ScanOutcome:
    """What a scan produced."""

    secrets: tuple[RawSecret, ...]
    """Every reported secret, sorted by path, line, type."""
    version: str
    """detect-secrets' version as its output states it."""
    scanned: int
    """Number of files handed to the scan (after skips)."""
    skipped: tuple[SkippedPath, ...] = ()
    """Files not scanned, with the reason."""
    stats: ScanStats = field(default_factory=ScanStats, compare=False)
    """Counters for the check's notes and the benchmark (files staged, cache hits, ...)."""


def _safe_relpath(path: str) -> bool:
    p = PurePosixPath(path)
    return bool(path) and not p.is_absolute() and ".." not in p.parts and "\0" not in path


def read_text_for_scan(inventory: Inventory, entry: FileEntry) -> tuple[bytes, str] | SkippedPath:
    """The bytes of ``entry`` and their strict UTF-8 decoding, or why it cannot be scanned."""
    if not _safe_relpath(entry.path):
        return SkippedPath(entry.path, "unsafe path name (not scanned for secrets)")
    try:
        data = inventory.read_bytes(entry)
    except InventoryError as exc:
        return SkippedPath(entry.path, f"not scanned for secrets: {exc}")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return SkippedPath(entry.path, "not valid UTF-8 text: detect-secrets cannot read it")
    return data, text


def run_detect_secrets(stage_dir: str, *, timeout: float, expected: Iterable[str]) -> tuple[list[RawSecret], str]:
    """Run ``detect-secrets scan --all-files`` in ``stage_dir`` and parse its JSON.

    Args:
        stage_dir: directory holding the staged files (the working directory of the scan).
        timeout: seconds before the scan is stopped.
        expected: the relative paths staged there; a result for any other name is an error.

    Returns:
        (secrets, detect-secrets version).

    Raises:
        ToolError: the tool is missing, crashed, timed out, exited non-zero, or printed output
            that is not a complete detect-secrets result.
    """
    run = run_tool(TOOL, ["scan", "--all-files", *SCAN_FLAGS, "."], timeout=timeout, cwd=stage_dir,
                   env=TOOL_ENV, install_hint=INSTALL_HINT)
    return parse_scan_output(run.stdout, expected=set(expected), argv=run.argv)


def _bad(problem: str, argv: Sequence[str]) -> ToolError:
    return ToolError(TOOL, problem, argv=argv,
                     hint="This detect-secrets did not produce a usable result; check that "
                          "detect-secrets 1.5 is installed correctly (detect-secrets --version) "
                          "and rerun")


def parse_scan_output(stdout: str, *, expected: set[str], argv: Sequence[str] = ()) -> tuple[list[RawSecret], str]:
    """Validate and parse the JSON ``detect-secrets scan`` printed.

    Raises:
        ToolError: empty output, invalid JSON, a missing or mistyped key, a result for a file
            not in ``expected``, or one of :data:`CUSTOM_PLUGINS` missing from ``plugins_used``.
            Messages never contain the output itself (it could hold anything).
    """
    if not stdout.strip():
        raise _bad("printed nothing (expected a JSON scan result)", argv)
    try:
        data = json.loads(stdout)
    except (ValueError, RecursionError):
        raise _bad("printed output that is not valid JSON", argv) from None
    if not isinstance(data, dict):
        raise _bad("printed JSON that is not an object", argv)
    version = data.get("version")
    plugins = data.get("plugins_used")
    results = data.get("results")
    if not isinstance(version, str) or not isinstance(plugins, list) or not isinstance(results, dict):
        raise _bad("printed JSON without 'version', 'plugins_used' and 'results'", argv)
    names = {p.get("name") for p in plugins if isinstance(p, dict)}
    missing = [n for n in CUSTOM_PLUGINS if n not in names]
    if missing:
        raise _bad(f"did not load readiness-gate's detectors ({', '.join(missing)})", argv)
    if names & set(prefilter.REPLACED_PLUGINS):
        raise _bad("ran detectors that readiness-gate replaces (--disable-plugin was ignored)", argv)
    out: list[RawSecret] = []
    for filename, entries in results.items():
        if filename not in expected:
            raise _bad("reported a file that was not given to it", argv)
        if not isinstance(entries, list):
            raise _bad("printed a result that is not a list", argv)
        for item in entries:
            if not isinstance(item, dict):
                raise _bad("printed a result entry that is not an object", argv)
            type_name = item.get("type")
            hashed = item.get("hashed_secret")
            line = item.get("line_number")
            if (not isinstance(type_name, str) or not isinstance(hashed, str) or not _SHA1.fullmatch(hashed)
                    or isinstance(line, bool) or not isinstance(line, int) or line < 1
                    or item.get("filename", filename) != filename):
                raise _bad("printed a result entry without type, hashed_secret and line_number", argv)
            out.append(RawSecret(filename, line, type_name, hashed))
    return out, version


def stage(root: str, files: Iterable[tuple[str, bytes]]) -> list[str]:
    """Write ``(relative path, bytes)`` pairs under ``root``; return the paths written."""
    written = []
    for rel, data in files:
        dest = os.path.join(root, *PurePosixPath(rel).parts)
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        with open(dest, "wb") as fh:
            fh.write(data)
        written.append(rel)
    return written


def _canary(taken: Callable[[str], bool]) -> tuple[str, str, str]:
    """(path, content, hashed secret) of a canary file: a fresh synthetic GitHub token.

    Every scan stages it and requires detect-secrets to report exactly it: a scanner that runs
    but detects nothing (a broken install, a stub printing ``{"results": {}}``, plugins that did
    not load) is an error, not a clean result. The prefilter may leave nothing else to scan, so
    the canary is also what makes every run exercise the scanner.
    """
    token = "gh" + "p_" + secrets_mod.token_hex(18)  # 36 characters, the classic token shape
    path = ".readiness-gate-canary.py"
    while taken(path):
        path = "_" + path
    return path, f'CANARY = "{token}"\n', hashlib.sha1(token.encode()).hexdigest()


def _cache_salt() -> str:
    """What, besides a file's path and bytes, decides its findings: scanner version, flags,
    our plugins' source and the prefilter version (cache key component)."""
    h = hashlib.sha256()
    h.update(f"{_inprocess_version()}\0{SCAN_FLAGS}\0{prefilter.PREFILTER_VERSION}\0".encode())
    h.update(Path(PLUGINS_FILE).read_bytes())
    return h.hexdigest()


@functools.lru_cache(maxsize=1)
def _inprocess_version() -> str:
    """The version of the detect-secrets distribution this interpreter imports, from its
    metadata (importing ``detect_secrets`` to read ``__version__`` loads all its plugins and
    requests: ~0.25 s of CPU a diff-mode run may not otherwise need)."""
    try:
        return importlib.metadata.version("detect-secrets")
    except importlib.metadata.PackageNotFoundError:
        return "unavailable"


PARALLEL_MIN_BYTES = 4 * 1024 * 1024
"""Below this much text, planning runs in the calling process (a worker costs ~0.3 s to start)."""


def _plan(stage_dir: str, todo: list[tuple[str, bytes, str]], *, reduce: bool, jobs: int,
          timeout: float) -> dict[str, tuple[str, tuple[int, ...]]]:
    """Plan every staged file of ``todo``, in worker processes when the tree is large.

    Raises:
        ToolError: a worker failed, timed out, or printed an unusable result.
    """
    workers = jobs or os.cpu_count() or 1
    total = sum(len(d) for _, d, _ in todo)
    if total < PARALLEL_MIN_BYTES or workers <= 1 or len(todo) < 2:
        # In this process, without plugin confirmation: detect-secrets is then imported here only
        # for an INI-like file its transformers might parse (prefilter.transformable).
        return planner.plan_staged(stage_dir, [p for p, _, _ in todo], reduce, confirm=False)
    # Greedy split by size, largest first, so workers finish together.
    groups: list[list[str]] = [[] for _ in range(min(workers, len(todo)))]
    loads = [0] * len(groups)
    for path, data, _ in sorted(todo, key=lambda t: -len(t[1])):
        i = loads.index(min(loads))
        groups[i].append(path)
        loads[i] += len(data)
    python = os.path.basename(sys.executable)  # resolved by run_tool to this interpreter

    # ``python -m`` puts its working directory first on sys.path. Run the workers in an empty
    # private directory: not the caller's (it may be the scanned checkout, with a ``gate/`` of its
    # own) and not the staging directory (it holds copies of the repository's files). This holds
    # on Python 3.10 too, where PYTHONSAFEPATH (set by run_tool) does not exist (promise 2).
    with tempfile.TemporaryDirectory(prefix="readiness-gate-planner-") as empty_cwd:

        def work(paths: list[str]) -> dict[str, tuple[str, tuple[int, ...]]]:
            run = run_tool(python, ["-m", "gate.secrets.planner", stage_dir, "reduce" if reduce else "whole"],
                           timeout=timeout, stdin=json.dumps(paths).encode(), env=TOOL_ENV, cwd=empty_cwd)
            return _parse_plans(run.stdout, paths)

        with cf.ThreadPoolExecutor(max_workers=len(groups)) as pool:
            results = list(pool.map(work, groups))
    return {k: v for r in results for k, v in r.items()}


def _parse_plans(stdout: str, paths: list[str]) -> dict[str, tuple[str, tuple[int, ...]]]:
    def bad() -> ToolError:
        return ToolError("planner", "printed an unusable result",
                         hint="This is a readiness-gate bug; please report it")
    try:
        data = json.loads(stdout)
    except ValueError:
        raise bad() from None
    if not isinstance(data, dict) or set(data) != set(paths):
        raise bad()
    out = {}
    for path, item in data.items():
        if (not isinstance(item, list) or len(item) != 2 or item[0] not in ("skip", "whole", "reduced")
                or not isinstance(item[1], list) or not all(isinstance(n, int) for n in item[1])):
            raise bad()
        out[path] = (item[0], tuple(item[1]))
    return out


def scan(inventory: Inventory, entries: Sequence[FileEntry], *, timeout: float, jobs: int = 0,
         cache_dir: Optional[str] = None, reduce: bool = True) -> ScanOutcome:
    """Scan ``entries`` (text files of ``inventory``) with detect-secrets.

    Args:
        inventory: the repository inventory (every read goes through it).
        entries: the files to scan.
        timeout: seconds the detect-secrets run may take.
        jobs: planning worker processes (0: CPU count).
        cache_dir: directory of the content-addressed result cache (:mod:`gate.secrets.cache`),
            or None.
        reduce: use the line prefilter (:mod:`gate.secrets.prefilter`); False stages every file
            whole (what a plain ``detect-secrets scan`` sees).

    Raises:
        ToolError: see :func:`run_detect_secrets`, or the canary was not reported.
    """
    start = time.monotonic()
    stats: dict[str, Any] = {"files": 0, "bytes": 0, "cached": 0, "skipped_by_prefilter": 0,
                             "whole": 0, "reduced": 0, "lines_total": 0, "lines_staged": 0}
    reduce = reduce and _inprocess_version() in prefilter.VERIFIED_DETECT_SECRETS
    store = cache_mod.Cache(cache_dir, _cache_salt()) if cache_dir else None
    skipped: list[SkippedPath] = []
    secrets: list[RawSecret] = []
    todo: list[tuple[str, bytes, str]] = []
    keys: dict[str, str] = {}
    for entry in entries:
        got = read_text_for_scan(inventory, entry)
        if isinstance(got, SkippedPath):
            skipped.append(got)
            continue
        data, text = got
        stats["files"] += 1
        stats["bytes"] += len(data)
        if store is not None:
            key = store.key(entry.path, data)
            hit = store.get(key)
            if hit is not None:
                stats["cached"] += 1
                secrets.extend(RawSecret(entry.path, line, t, h) for line, t, h in hit)
                continue
            keys[entry.path] = key
        todo.append((entry.path, data, text))
    canary_path, canary_text, canary_hash = _canary(lambda p: inventory.get(p) is not None
                                                    or inventory.was_skipped(p))
    line_maps: dict[str, tuple[int, ...]] = {}
    with tempfile.TemporaryDirectory(prefix="readiness-gate-secrets-") as tmp:
        stage(tmp, [(path, data) for path, data, _ in todo])
        plans = _plan(tmp, todo, reduce=reduce, jobs=jobs, timeout=timeout)
        stats["plan_s"] = round(time.monotonic() - start, 3)
        staged: list[str] = []
        for path, data, text in todo:
            kind, lines = plans[path]
            n_lines = text.count("\n") + (0 if text.endswith("\n") or not text else 1)
            stats["lines_total"] += n_lines
            if kind == "skip":
                stats["skipped_by_prefilter"] += 1
                continue
            staged.append(path)
            if kind == "whole":
                stats["whole"] += 1
                stats["lines_staged"] += n_lines
            else:
                stats["reduced"] += 1
                stats["lines_staged"] += len(lines) - 1
                line_maps[path] = lines
        staged += stage(tmp, [(canary_path, canary_text.encode())])
        found, version = run_detect_secrets(tmp, timeout=timeout, expected=staged)
    canary = [s for s in found if s.path == canary_path and s.type_name == "GitHub Token"]
    if [(s.line, s.type_name, s.hashed_secret) for s in canary] != [(1, "GitHub Token", canary_hash)]:
        raise ToolError(TOOL, "did not detect the canary secret readiness-gate planted to test it",
                        hint="The scanner runs but does not detect secrets; check the detect-secrets "
                             "installation (detect-secrets scan --list-all-plugins)")
    fresh: list[RawSecret] = []
    for s in found:
        if s.path == canary_path:
            continue
        lines = line_maps.get(s.path)
        if lines is not None:
            if s.line > len(lines) or lines[s.line - 1] == 0:
                raise ToolError(TOOL, "reported a line that cannot hold a secret (the prefilter's "
                                      "placeholder line or past the end of the file)")
            s = RawSecret(s.path, lines[s.line - 1], s.type_name, s.hashed_secret)
        fresh.append(s)
    secrets.extend(fresh)
    if store is not None and version == _inprocess_version():
        by_path: dict[str, list[tuple[int, str, str]]] = {p: [] for p, _, _ in todo}
        for s in fresh:
            by_path[s.path].append((s.line, s.type_name, s.hashed_secret))
        for path, items in by_path.items():
            store.put(keys[path], items)
    stats["scanned_s"] = round(time.monotonic() - start, 3)
    stats["reduce"] = reduce
    return ScanOutcome(tuple(sorted(set(secrets))), version, stats["files"], tuple(skipped), ScanStats(**stats))
