"""Run the gate: inventory once, checks concurrently, deferrals, gates, one :class:`Report`.

``config -> inventory -> checks -> report`` (``../shared/STYLE.md``, "Our shape"). A check that
raises becomes ``error`` and the run goes on; the report is ready only when no *required* check
is ``fail`` or ``error``.

Checks run in a thread pool: scanner checks spend their time waiting on subprocesses (semgrep,
pip-audit) so they overlap, and CPU-bound checks may use process pools of their own. The report
order is fixed (gate order, then registry order) whatever order checks finish in.
"""

from __future__ import annotations

import concurrent.futures as cf
import datetime as dt
import subprocess
import time
from pathlib import Path
from typing import Callable, Iterable, Optional

from gate import __version__
from gate.checks.interface import CheckContext, RunOptions, SharedWork, load_meta
from gate.checks.registry import check_ids, load_check
from gate.config import Config
from gate.deferrals import EXPIRY_WARNING_DAYS, ApprovalFn, apply_deferrals, unverified_approval
from gate.inventory import Inventory, build_inventory
from gate.model import (GATES, ApprovalState, CheckReport, CheckResult, DeferralState, GateResult,
                        Level, Report, Status, worst)
from gate.redact import redact

ProgressFn = Callable[[CheckReport], None]
"""Called once per check as it finishes (in completion order), for progress output."""

MAX_CHECK_THREADS = 8
"""Threads for running checks; most time is spent waiting on scanner subprocesses."""


def _skipped_result(reason: str) -> CheckResult:
    return CheckResult(Status.SKIPPED, reason)


def _run_one(check_id: str, context: CheckContext) -> tuple[CheckResult, float]:
    start = time.monotonic()
    try:
        check = load_check(check_id)
        result = check.run(context)
        if not isinstance(result, CheckResult):
            raise TypeError(f"run() returned {type(result).__name__}, not CheckResult")
        if result.status is Status.DEFERRED:
            raise ValueError("checks may not return 'deferred'; the runner applies deferrals")
    except Exception as exc:  # noqa: BLE001 - a failing check must not stop the run
        message = redact(str(exc))[:300]
        result = CheckResult.errored(
            f"internal error while running the check ({type(exc).__name__}: {message}). "
            "The check could not decide, so it does not pass; please report this as a bug.")
    return result, time.monotonic() - start


def head_commit(root: Path) -> Optional[str]:
    """``git rev-parse HEAD`` of ``root``, or None when not a git work tree."""
    try:
        out = subprocess.run(
            ["git", "-c", "core.fsmonitor=false", "-c", "safe.directory=*", "-C", str(root),
             "rev-parse", "--verify", "-q", "HEAD"],
            capture_output=True, timeout=30, check=False, text=True)
    except (OSError, subprocess.SubprocessError):
        return None
    sha = out.stdout.strip()
    return sha if out.returncode == 0 and len(sha) in (40, 64) else None


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

    Raises:
        NotADirectoryError: ``root`` is not a directory.
        KeyError: ``only``/``skip`` name an unknown check id (the CLI validates first).
    """
    started = time.monotonic()
    options = options or RunOptions()
    today = options.today or dt.date.today()
    known = check_ids()
    only_set = set(only) if only else None
    skip_set = set(skip or ())
    for cid in (only_set or set()) | skip_set:
        if cid not in known:
            raise KeyError(cid)
    if inventory is None:
        inventory = build_inventory(root, max_file_size=config.max_file_size, exclude=config.exclude)
    shared = SharedWork()

    results: dict[str, tuple[CheckResult, float]] = {}
    to_run: list[str] = []
    for cid in known:
        settings = config.settings(cid)
        if settings.level is Level.OFF:
            results[cid] = (_skipped_result("disabled in readiness.yml (level: off)"), 0.0)
        elif only_set is not None and cid not in only_set:
            results[cid] = (_skipped_result("not selected (--only)"), 0.0)
        elif cid in skip_set:
            results[cid] = (_skipped_result("not selected (--skip)"), 0.0)
        else:
            to_run.append(cid)

    def finish(cid: str, result: CheckResult, duration: float) -> CheckReport:
        settings = config.settings(cid)
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
            duration_s=round(duration, 3))

    reports: dict[str, CheckReport] = {}
    for cid, (result, duration) in results.items():
        reports[cid] = finish(cid, result, duration)
        if progress:
            progress(reports[cid])
    if to_run:
        workers = max(1, min(MAX_CHECK_THREADS, len(to_run)))
        with cf.ThreadPoolExecutor(max_workers=workers, thread_name_prefix="check") as pool:
            futures = {}
            for cid in to_run:
                ctx = CheckContext(inventory=inventory, config=config,
                                   settings=config.settings(cid).options, options=options, shared=shared)
                futures[pool.submit(_run_one, cid, ctx)] = cid
            for fut in cf.as_completed(futures):
                cid = futures[fut]
                result, duration = fut.result()
                reports[cid] = finish(cid, result, duration)
                if progress:
                    progress(reports[cid])

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
    )
