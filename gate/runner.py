"""Run the gate: inventory once, checks concurrently, deferrals, gates, one :class:`Report`.

``config -> inventory -> checks -> report`` (``docs/architecture.md``). A check that
raises becomes ``error`` and the run goes on; the report is ready only when no *required* check
is ``fail`` or ``error``.

Checks run in a thread pool: scanner checks spend their time waiting on subprocesses (semgrep,
pip-audit) so they overlap, and CPU-bound checks may use process pools of their own. The report
order is fixed (gate order, then registry order) whatever order checks finish in.

Diff-aware mode (``options.changed_since``, README "Diff-aware mode"): the diff-aware checks
(:attr:`gate.checks.interface.Check.diff_aware`: secrets and the two pattern checks) scan only
the changed files (they read ``options.changed_paths``); the runner then marks each of their
findings ``new`` (on a line the change touched, :func:`gate.diff.changed_lines`) or pre-existing,
and, unless ``diff.pre-existing: block``, pre-existing findings stop blocking
(:func:`mark_new_findings`). Every other check (dependencies, evidence checks) runs on the
whole tree as in a full scan.
"""

from __future__ import annotations

import concurrent.futures as cf
import datetime as dt
import time
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Optional, Sequence

from gate import __version__
from gate.checks.interface import Check, CheckContext, RunOptions, SharedWork, load_meta
from gate.checks.registry import check_ids, load_check
from gate.config import Config
from gate.deferrals import EXPIRY_WARNING_DAYS, ApprovalFn, apply_deferrals, unverified_approval
from gate.diff import changed_lines, is_new
from gate.git import head_commit
from gate.inventory import Inventory, build_inventory
from gate.model import (GATES, ApprovalState, CheckReport, CheckResult, DeferralState, GateResult,
                        Level, Report, Status, worst)
from gate.redact import redact

ProgressFn = Callable[[CheckReport], None]
"""Called once per check as it finishes (in completion order), for progress output."""

MAX_CHECK_THREADS = 8
"""Threads for the checks that wait on scanners (:attr:`gate.checks.interface.Check.waits_on_scanner`):
each gets its own so the scanners overlap. Every other check is pure Python over the inventory
and runs on one shared thread, one after another: CPU-bound threads only fight over the GIL
(measured on a 10,000-file tree: 2.1 s with a thread per check, 0.95 s on one thread)."""


def mark_new_findings(result: CheckResult, lines: Optional[Mapping[str, frozenset[int]]], *,
                      pre_existing: str = "report") -> CheckResult:
    """Mark a diff-aware check's findings new or pre-existing and apply the policy.

    Args:
        result: the check's own result.
        lines: :func:`gate.diff.changed_lines` (path -> changed new-side line numbers), or None
            when they could not be computed: then every finding counts as new (fail closed).
        pre_existing: ``report`` (pre-existing findings get ``blocking=False``) or ``block``.

    Returns the result with ``Finding.new`` set on every finding; a ``fail`` whose blocking
    findings were all pre-existing becomes ``pass`` (the findings are still listed). Findings
    that were already non-blocking stay so. ``error`` and ``skipped`` results are unchanged.
    """
    if result.status not in (Status.PASS, Status.FAIL) or not result.findings:
        return result
    marked = []
    for f in result.findings:
        new = True if lines is None else is_new(f.path, f.line, lines)
        marked.append(replace(f, new=new, blocking=f.blocking and (new or pre_existing == "block")))
    n_new = sum(1 for f in marked if f.new)
    n_old = len(marked) - n_new
    note = f"{n_new} new in this change, {n_old} pre-existing"
    if n_old and pre_existing != "block":
        note += " (pre-existing findings do not block in diff mode)"
    status, summary = result.status, f"{result.summary} ({note})"
    if (status is Status.FAIL and any(f.blocking for f in result.findings)
            and not any(f.blocking for f in marked)):
        status = Status.PASS
        summary = (f"no new finding in the changed lines; {n_old} pre-existing finding"
                   f"{'s' if n_old != 1 else ''} reported, not blocking (diff.pre-existing: report)")
    return replace(result, status=status, summary=summary, findings=tuple(marked))


def _changed_lines_or_none(root: Path, options: RunOptions) -> tuple[Optional[Mapping[str, frozenset[int]]], str]:
    """``options.changed_lines``, else computed from git; (None, why) when git cannot say."""
    if options.changed_lines is not None:
        return options.changed_lines, ""
    try:
        return changed_lines(root, options.changed_since or ""), ""
    except Exception as exc:  # noqa: BLE001 - any failure: every finding counts as new (fail closed)
        return None, redact(str(exc))[:300] or type(exc).__name__


def _skipped_result(reason: str) -> CheckResult:
    return CheckResult(Status.SKIPPED, reason)


def _internal_error(exc: Exception) -> CheckResult:
    """The ``error`` result of a check that raised (or could not be loaded or configured)."""
    message = redact(str(exc))[:300]
    return CheckResult.errored(
        f"internal error while running the check ({type(exc).__name__}: {message}). "
        "The check could not decide, so it does not pass; please report this as a bug.")


def _run_one(check: Check[Any], context: CheckContext[Any]) -> tuple[CheckResult, float]:
    start = time.monotonic()
    try:
        result = check.run(context)
        if not isinstance(result, CheckResult):
            raise TypeError(f"run() returned {type(result).__name__}, not CheckResult")
        if result.status is Status.DEFERRED:
            raise ValueError("checks may not return 'deferred'; the runner applies deferrals")
    except Exception as exc:  # noqa: BLE001 - a failing check must not stop the run
        result = _internal_error(exc)
    return result, time.monotonic() - start


def run_gate(
    root: Path,
    config: Config,
    *,
    options: Optional[RunOptions] = None,
    only: Optional[Iterable[str]] = None,
    skip: Optional[Iterable[str]] = None,
    approval: ApprovalFn = unverified_approval,
    progress: Optional[ProgressFn] = None,
    inventory: Optional[Inventory] = None,
    checks: Optional[Sequence[Check[Any]]] = None,
) -> Report:
    """Run every selected check on the repository at ``root`` and build the report.

    Args:
        root: repository directory.
        config: effective configuration (:func:`gate.config.load_config`).
        options: run options (OSV URL, diff mode, cache, fixed date).
        only: if given, run only these check ids (others are ``skipped``).
        skip: check ids not to run (``skipped``).
        approval: decides whether each deferral's approval counts (CLI: unverified; GitHub:
            verified against reviews).
        progress: called as each check finishes.
        inventory: a pre-built inventory (tests, benchmarks); built from ``root`` otherwise.
        checks: the checks of this run, in report order within each gate (tests pass stand-ins);
            default: every check of :mod:`gate.checks.registry`, each loaded on its own, so a
            broken one is that check's ``error``.

    Before any check starts, each selected check's options are parsed into its typed settings
    and the words every check asks the text index about (:meth:`Check.index_words`) are united
    into the run's one :class:`~gate.textindex.LiteralIndex`.

    Raises:
        NotADirectoryError: ``root`` is not a directory.
        KeyError: ``only``/``skip`` name an unknown check id (the CLI validates first).
    """
    started = time.monotonic()
    options = options or RunOptions()
    today = options.today or dt.date.today()
    loaded: dict[str, Check[Any]] = {}
    results: dict[str, tuple[CheckResult, float]] = {}
    if checks is None:
        known: tuple[str, ...] = check_ids()
    else:
        known = tuple(c.id for c in checks)
        loaded = {c.id: c for c in checks}
    only_set = set(only) if only else None
    skip_set = set(skip or ())
    for cid in (only_set or set()) | skip_set:
        if cid not in known:
            raise KeyError(cid)
    if inventory is None:
        inventory = build_inventory(root, max_file_size=config.max_file_size, exclude=config.exclude)
    diff_mode = bool(options.changed_since)
    diff_warnings: list[str] = []

    to_run: list[tuple[Check[Any], Any]] = []
    for cid in known:
        settings = config.settings(cid)
        if settings.level is Level.OFF:
            results[cid] = (_skipped_result("disabled in readiness.yml (level: off)"), 0.0)
        elif only_set is not None and cid not in only_set:
            results[cid] = (_skipped_result("not selected (--only)"), 0.0)
        elif cid in skip_set:
            results[cid] = (_skipped_result("not selected (--skip)"), 0.0)
        else:
            try:
                check = loaded[cid] if cid in loaded else load_check(cid)
                loaded[cid] = check
                to_run.append((check, check.parse_settings(settings.options)))
            except Exception as exc:  # noqa: BLE001 - a broken check is its own error, the run goes on
                results[cid] = (_internal_error(exc), 0.0)
    words: set[str] = set()
    for check, parsed in to_run:
        words |= check.index_words(parsed)
    shared = SharedWork(inventory, words)

    def finish(cid: str, result: CheckResult, duration: float,
               lines: Optional[Mapping[str, frozenset[int]]] = None) -> CheckReport:
        settings = config.settings(cid)
        check = loaded.get(cid)
        if diff_mode and check is not None and check.diff_aware:
            result = mark_new_findings(result, lines, pre_existing=config.diff_pre_existing)
        meta = None
        try:
            meta = load_meta(cid)
            gate_id, title = meta.gate, meta.title
        except Exception as exc:  # noqa: BLE001 - broken metadata is an error of this check
            gate_id, title = "security", cid
            result = CheckResult.errored(f"check metadata missing or invalid: {type(exc).__name__}")
        status, summary, findings, records = apply_deferrals(
            cid, result, config.deferrals, today=today, approval=approval)
        return CheckReport(
            id=cid, gate=gate_id, title=title, required=settings.level is Level.REQUIRED,
            status=status, summary=summary, findings=findings, skipped=result.skipped,
            tools=result.tools, evidence=result.evidence, deferrals=records,
            duration_s=round(duration, 3), meta=meta)

    reports: dict[str, CheckReport] = {}
    for cid, (result, duration) in results.items():
        reports[cid] = finish(cid, result, duration)
        if progress:
            progress(reports[cid])
    if to_run:
        workers = max(1, min(MAX_CHECK_THREADS, len(to_run) + diff_mode))
        with cf.ThreadPoolExecutor(max_workers=workers, thread_name_prefix="check") as pool, \
                cf.ThreadPoolExecutor(max_workers=1, thread_name_prefix="check-inprocess") as in_process:
            # The changed lines are computed while the checks run; only marking waits for them.
            lines_future = pool.submit(_changed_lines_or_none, inventory.root, options) if diff_mode else None
            futures = {}
            for check, parsed in to_run:
                ctx = CheckContext(inventory=inventory, config=config, settings=parsed, options=options,
                                   shared=shared)
                runner_pool = pool if check.waits_on_scanner else in_process
                futures[runner_pool.submit(_run_one, check, ctx)] = check
            for fut in cf.as_completed(futures):
                check = futures[fut]
                result, duration = fut.result()
                lines = None
                if lines_future is not None and check.diff_aware:
                    lines, why = lines_future.result()
                    if lines is None and why and not diff_warnings:
                        diff_warnings.append(f"Could not compute the changed lines ({why}); every finding of "
                                             "the diff-aware checks counts as new.")
                reports[check.id] = finish(check.id, result, duration, lines)
                if progress:
                    progress(reports[check.id])

    gates = []
    for g in GATES:
        members = tuple(reports[cid] for cid in known if reports[cid].gate == g.id)
        required = [c.status for c in members if c.required and c.status is not Status.SKIPPED]
        if required:
            status = worst(required)
        elif members and all(c.status is Status.SKIPPED for c in members):
            status = Status.SKIPPED
        else:
            status = Status.PASS if members else Status.SKIPPED
        gates.append(GateResult(g.id, g.title, status, members))

    all_records = tuple(r for cid in known for r in reports[cid].deferrals)
    warnings = []
    if config.source is None:
        warnings.append("No readiness.yml found; using the built-in default profile. "
                        "Run `readiness-gate init` to write one.")
    for r in all_records:
        if r.state is DeferralState.EXPIRING:
            warnings.append(f"Deferral {r.ticket} ({r.check}) expires in {r.days_left} day(s) "
                            f"(warning window: {EXPIRY_WARNING_DAYS} days).")
    if any(r.approval is ApprovalState.UNVERIFIED for r in all_records):
        warnings.append("Deferral approvals were not verified (only the GitHub Action can check "
                        "that the named lead approved the pull request).")
    warnings.extend(diff_warnings)
    ready = not any(c.blocking for g in gates for c in g.checks)
    return Report(
        ready=ready,
        gates=tuple(gates),
        skipped=inventory.skipped,
        deferrals=all_records,
        root=str(root),
        config_source=config.display_source,
        profile=config.profile,
        service=config.service,
        mode="diff" if options.changed_since else "full",
        changed_since=options.changed_since,
        tool_version=__version__,
        generated_at=dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat(),
        duration_s=round(time.monotonic() - started, 3),
        warnings=tuple(warnings),
        commit=head_commit(inventory.root),
        owners=tuple(redact(o) for o in config.owners),  # display only, like the service name
        tier=config.tier,
    )
