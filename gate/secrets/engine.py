"""Running ``detect-secrets scan`` over the inventory and parsing its output strictly.

How a scan runs (``../shared/THREATS.md`` rows 5 and 11):

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
the code under review (``../shared/THREATS.md`` row 12).

Files that are not valid UTF-8 cannot be read by detect-secrets (it skips them silently); they
are listed as skipped with that reason instead (promise 5).
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Iterable, Optional, Sequence

from gate.inventory import FileEntry, Inventory, InventoryError
from gate.model import SkippedPath
from gate.scanners.process import ToolError, run_tool

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

REPLACED_PLUGINS = ("GitHubTokenDetector", "GitLabTokenDetector")
"""detect-secrets plugins disabled because :mod:`gate.secrets.plugins` replaces them (their
capturing groups make the hashed secret the hash of the token prefix)."""

SCAN_FLAGS: tuple[str, ...] = (
    "--no-verify",
    *(arg for name in REPLACED_PLUGINS for arg in ("--disable-plugin", name)),
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
    stats: dict[str, Any] = field(default_factory=dict, compare=False)
    """Counters for the benchmark (files staged, cache hits, ...)."""


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
    if names & set(REPLACED_PLUGINS):
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


def scan(inventory: Inventory, entries: Sequence[FileEntry], *, timeout: float, jobs: int = 0,
         cache_dir: Optional[str] = None) -> ScanOutcome:
    """Scan ``entries`` (text files of ``inventory``) with detect-secrets.

    ``jobs`` (worker processes, 0 = CPU count) and ``cache_dir`` are accepted for the fast path.

    Raises:
        ToolError: see :func:`run_detect_secrets`.
    """
    skipped: list[SkippedPath] = []
    payload: list[tuple[str, bytes]] = []
    for entry in entries:
        got = read_text_for_scan(inventory, entry)
        if isinstance(got, SkippedPath):
            skipped.append(got)
        else:
            payload.append((entry.path, got[0]))
    if not payload:
        return ScanOutcome((), "not run", 0, tuple(skipped))
    with tempfile.TemporaryDirectory(prefix="readiness-gate-secrets-") as tmp:
        staged = stage(tmp, payload)
        secrets, version = run_detect_secrets(tmp, timeout=timeout, expected=staged)
    return ScanOutcome(tuple(sorted(set(secrets))), version, len(staged), tuple(skipped))
