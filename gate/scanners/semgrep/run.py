"""Run semgrep: the planned runs (:mod:`~gate.scanners.semgrep.rules`), one process per rule
group and argv chunk, each report validated (:mod:`~gate.scanners.semgrep.report`), the
results merged into one :class:`SemgrepScan`.
"""

from __future__ import annotations

import concurrent.futures as cf
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional, Sequence

from gate.cache import ResultCache
from gate.scanners.process import ToolError, run_tool
from gate.scanners.semgrep.cache import ByteReader, ScanStore, disk_reader, match_order, semgrep_version
from gate.scanners.semgrep.findings import SemgrepMatch, _matches
from gate.scanners.semgrep.report import (EXIT_MEANINGS, HINT, FileProblem, _errors_summary, _load_json,
                                          _validate)
from gate.scanners.semgrep.rules import (ARGV_BUDGET_BYTES, TOOL, TextReader, _cross_file_runs, _plain_runs,
                                         _prefiltered_runs, chunk_targets, rule_files)

ENV = {"SEMGREP_ENABLE_VERSION_CHECK": "0", "SEMGREP_SEND_METRICS": "off"}
"""Environment for every semgrep run: no version check, no metrics (the CLI flags say the same)."""

RULE_TIMEOUT_S = 30
"""semgrep's limit per rule per file, seconds (its default, 5 s, is hit by the taint rule on
5,000-line files on a busy 2-CPU runner). A file where a rule hits it is a named skip for the
rule's check; the whole scan stays bounded by the checks' ``timeout``."""

BASE_ARGS = ("scan", "--experimental", "--project-root=.", "--metrics=off", "--disable-version-check", "--json", "--disable-nosem",
             "--oss-only", "--no-git-ignore", "--max-target-bytes=0", "--scan-unknown-extensions",
             f"--timeout={RULE_TIMEOUT_S}")
"""Arguments before ``--config``. ``--experimental`` runs osemgrep, the OCaml implementation of
the CLI that ships in the same wheel (``semgrep-core`` started as ``osemgrep``), instead of the
Python one: the same engine and the same results on the same rules (the benchmark compares
them on 1,645 files), but 0.25 s of start-up instead of ~3.8 s, and ~20% less CPU on a large
tree; a diff-mode run scans a handful of files, so start-up is most of its cost. osemgrep
rejects YAML anchors/aliases in rule files, so ``policies/semgrep`` has none (a test pins it).
``--project-root=.`` (semgrep runs in the repository root): outside a git work tree osemgrep
otherwise matches a rule's ``paths:`` globs (``**/settings/*.py``) against paths relative to
each target's own directory, and ``django-debug-enabled`` never fires.
Then: JSON, no network, every match reported, the open-source engine
only (the same results whether or not the runner is logged in to Semgrep), no file filtering by
semgrep (the inventory already applied the size cap and skips; ``--max-target-bytes=0`` disables
semgrep's own 1 MB cap so it cannot silently drop a file the inventory kept;
``--scan-unknown-extensions`` makes semgrep scan the extensionless ``#!python`` scripts we hand
it, which it otherwise drops without a word)."""

SINGLE_JOB_BYTES = 1024 * 1024
"""A run whose targets add up to fewer bytes than this gets ``--jobs=1``. semgrep's default is
one job per CPU; on a diff-mode run's 20 files (430 KB) a second job took the same wall time
(1.10 s vs 1.15 s) for 30 % more CPU, which the gate's other checks, running at the same time,
need. Larger runs keep semgrep's default."""
TIMEOUT_HINT = ("Raise checks.insecure-patterns.timeout / checks.error-handling.timeout in readiness.yml "
                "(the scan they share gets the larger one), or exclude generated code (checks.<id>.exclude)")


@dataclass(frozen=True)
class SemgrepScan:
    """The outcome of one (possibly chunked) semgrep scan."""

    matches: tuple[SemgrepMatch, ...]
    problems: tuple[FileProblem, ...]
    """Targets semgrep could not (fully) examine, with the reason (and rule, for limits)."""
    targets: frozenset[str]
    """Repository-relative paths that were handed to semgrep."""
    version: str
    """semgrep's version as it reports it in its JSON (``1.182.0``) or ``unknown``."""
    runs: int
    """How many semgrep processes ran: one per rule group of :func:`plan_runs` that had targets,
    more when argv had to be chunked."""
    cached: int = 0
    """Targets whose results came from the result cache (not handed to semgrep)."""


def scan(root: Path, targets: Sequence[str], *, config: Path, timeout: float,
         read_text: TextReader, argv_budget: int = ARGV_BUDGET_BYTES, cache: Optional[ResultCache] = None,
         read_bytes: Optional[ByteReader] = None) -> SemgrepScan:
    """Run semgrep with the rules in ``config`` on ``targets`` (paths relative to ``root``).

    Rules with a :data:`PREFILTER_KEY` only see the targets they could match
    (:func:`plan_runs`); every other rule sees every target. With a ``cache``, targets whose
    path and bytes already have an entry are not handed to semgrep
    (:mod:`gate.scanners.semgrep.cache`): the result is the same either way.

    Args:
        root: repository root; semgrep runs there and reports paths relative to it.
        targets: repository-relative POSIX paths of regular files to scan (never symlinks).
        config: directory (or file) of semgrep rules.
        timeout: seconds for the whole scan, all chunks together.
        read_text: how to read a target's text (through the inventory), for the rule prefilters,
            nosemgrep and fingerprints.
        argv_budget: bytes of target paths per semgrep process (:func:`chunk_targets`).
        cache: the result cache, or None.
        read_bytes: the bytes of a target as semgrep will read them, for its cache key
            (default: read ``root/path``); only used with a ``cache``.

    Raises:
        ToolError: semgrep missing, killed, timed out, exited non-zero, printed no or malformed
            JSON, skipped a rule, or reported an error that is not about one target file.
    """
    ordered = sorted(set(targets))
    deadline = time.monotonic() + timeout
    raw_results: list[dict[str, Any]] = []
    problems: list[FileProblem] = []
    version = "unknown"
    files = rule_files(config)
    runs = 0
    store = (ScanStore(cache, files, ordered, read_bytes or disk_reader(root))
             if cache is not None and cache.usable and semgrep_version() != "unknown" else None)
    todo = store.misses if store is not None else ordered
    # The prefilters read every target (~0.5 s for 1,600 files): done on a second thread while
    # the first semgrep process runs, whose wait releases the interpreter lock.
    with cf.ThreadPoolExecutor(max_workers=1, thread_name_prefix="semgrep-prefilter") as pool:
        later = pool.submit(_prefiltered_runs, files, todo, read_text)
        first = _plain_runs(config, files, todo)
        if store is None or store.set_hit is None:
            first += _cross_file_runs(files, ordered)
        for batch in (lambda: first, later.result):
            for configs, run_targets in batch():
                for chunk in chunk_targets(run_targets, argv_budget):
                    runs += 1
                    data = _run_once(root, configs, chunk, deadline, timeout)
                    results, found = _validate(data, set(chunk))
                    raw_results.extend(results)
                    problems.extend(found)
                    if isinstance(data.get("version"), str) and data["version"].strip():
                        version = data["version"].strip()
    matches = sorted(_matches(raw_results, set(ordered), read_text), key=match_order)
    if store is not None:
        matches, problems = store.complete(matches, problems, version, ran=runs > 0)
        if not runs:
            version = store.version
    return SemgrepScan(
        matches=tuple(matches),
        problems=tuple(sorted(set(problems), key=lambda f: (f.path, f.rule or "", f.reason))),
        targets=frozenset(ordered),
        version=version,
        runs=runs,
        cached=store.cached if store is not None else 0,
    )


def _run_once(root: Path, configs: Sequence[str], chunk: Sequence[str], deadline: float,
              timeout: float) -> dict[str, Any]:
    """One semgrep process on ``chunk`` with the rule files ``configs``; its parsed JSON report.

    Raises:
        ToolError: see :func:`scan`.
    """
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise ToolError(TOOL, f"timed out after {timeout:g} s and was stopped", hint=TIMEOUT_HINT)
    jobs = ("--jobs=1",) if _total_bytes(root, chunk) < SINGLE_JOB_BYTES else ()
    args = [*BASE_ARGS, *jobs, *(a for c in configs for a in ("--config", c)), *("./" + p for p in chunk)]
    try:
        run = run_tool(TOOL, args, timeout=remaining, cwd=str(root), env=ENV)
    except ToolError as exc:
        if exc.returncode is None and exc.problem.startswith("timed out"):
            # report the configured budget, not what was left of it for this chunk
            raise ToolError(TOOL, f"timed out after {timeout:g} s and was stopped", hint=TIMEOUT_HINT,
                            argv=exc.argv) from None
        failed = exc.run
        if failed is None or not 0 < failed.returncode < 128:
            raise  # missing, could not start, killed by a signal: run_tool's message says so
        try:
            details = _errors_summary(_load_json(failed.stdout, ""))
        except ToolError:
            details = ""
        meaning = EXIT_MEANINGS.get(failed.returncode, "unexpected status")
        raise ToolError(TOOL, f"exited with status {failed.returncode} ({meaning})",
                        hint=details + HINT, returncode=failed.returncode, stderr=failed.stderr,
                        run=failed) from None
    return _load_json(run.stdout, run.stderr)


def _total_bytes(root: Path, paths: Sequence[str]) -> int:
    """Sum of the sizes of ``paths`` under ``root``; a file that cannot be stat'ed counts as
    :data:`SINGLE_JOB_BYTES` (semgrep's default parallelism then)."""
    total = 0
    for p in paths:
        try:
            total += (root / p).stat().st_size
        except OSError:
            total += SINGLE_JOB_BYTES
        if total >= SINGLE_JOB_BYTES:
            break
    return total
