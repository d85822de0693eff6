"""The GitHub Action: run the gate, then report through every channel GitHub offers.

:func:`run_action` is ``readiness-gate github`` (the Docker action's entry point). The
privileged half of the fork pattern is :mod:`gate.github.publish_mode`; what comes from the base
branch is :mod:`gate.github.trust`; the comment and status are :mod:`gate.github.publishing`.

Order of work in :func:`run_action`, chosen so that the verdict is never lost and never
over-stated:

1. read the environment (:mod:`gate.github.context`) and ``readiness.yml``;
2. build the approval policy (:mod:`gate.github.approvals`) and run the gate;
3. write what needs no API: the report files asked for, the job summary, annotations;
4. publish: the sticky comment, then the status. A fork PR (read-only token) skips both with a
   warning; a 403 on a write is a warning too (the same situation, detected late). Any other
   publishing failure (5xx after retries, timeouts) sets the status to ``error`` when it still
   can and the step exits 3: success is only ever posted for a ready report whose publication
   went through;
5. the step outputs, always, even when something above failed.

Exit codes follow :mod:`gate.exitcodes`: 0 ready, 1 not ready, 2 configuration or usage error, 3 the
gate or its publishing failed.

Nothing is written into the workspace except the report files the inputs name
(``docs/threats.md`` row 4); the summary and outputs go to the runner's files outside it.
"""

from __future__ import annotations

import dataclasses
import os
import sys
from pathlib import Path
from typing import Any, Mapping, Optional, TextIO

from gate.checks.interface import RunOptions
from gate.checks.registry import parse_ids
from gate.config import ConfigError, load_config
from gate.exitcodes import EXIT_INTERNAL, EXIT_NOT_READY, EXIT_READY, EXIT_USAGE, UsageError
from gate.files import write_output
from gate.github import approvals, baseline, outputs, trust
from gate.github.api import ApiError, RetryPolicy
from gate.github.context import ContextError, RunContext, read_context
from gate.github.publishing import PublishRequest, api_for, marker_for, publish, render
from gate.osv_mirror import OsvDatabaseError, osv_options
from gate.redact import redact
from gate.render import RenderOptions
from gate.runner import run_gate


def _diff_options(ctx: RunContext, root: Path, log: outputs.Log) -> tuple[Optional[str], Optional[frozenset[str]]]:
    mode = ctx.inputs.mode
    pr = ctx.pull_request
    if mode == "full" or (mode == "auto" and pr is None):
        return None, None
    if pr is None or not pr.base_sha:
        log.warn("mode diff needs a pull request with a base commit; running a full scan")
        return None, None
    from gate.diff import changed_paths

    try:
        return pr.base_sha, changed_paths(root, pr.base_sha)
    except ValueError as exc:
        log.warn(f"diff-aware mode unavailable ({redact(str(exc))[:200]}); running a full scan. "
                 "Check out with `fetch-depth: 0` so the base commit is present.")
        return None, None


def _write_file(ctx: RunContext, name: str, text: str) -> str:
    path = Path(name)
    target = path if path.is_absolute() else ctx.workspace / path
    write_output(str(target), text)
    return name


def run_action(env: Mapping[str, str] = os.environ, *, stdout: Optional[TextIO] = None,
               policy: Optional[RetryPolicy] = None, today: Any = None) -> int:
    """``readiness-gate github``: the whole action. Returns the exit code (see module docstring).

    Args:
        env: the environment (``os.environ`` in production; tests pass their own).
        stdout: where log lines and workflow commands go.
        policy: API timeouts and retries.
        today: fixed date for tests.
    """
    log = outputs.Log(stdout or sys.stdout)
    out_values = {k: "" for k in outputs.OUTPUT_KEYS}
    out_values["ready"] = "false"
    output_file = env.get("GITHUB_OUTPUT") or None
    try:
        try:
            ctx = read_context(env)
        except ContextError as exc:
            log.error(f"readiness-gate: {exc}")
            return EXIT_USAGE
        return _run(ctx, log, out_values, policy or RetryPolicy(), today)
    except Exception as exc:  # noqa: BLE001 - last line of defence: exit 3 with the outputs written
        log.error(f"readiness-gate internal error: {type(exc).__name__}: {redact(str(exc))[:300]}")
        return EXIT_INTERNAL
    finally:
        outputs.write_outputs(output_file, out_values)


def _run(ctx: RunContext, log: outputs.Log, out_values: dict[str, str], policy: RetryPolicy, today: Any) -> int:
    inputs = ctx.inputs
    root = ctx.scan_root
    if not root.is_dir():
        log.error(f"readiness-gate: input `path` is not a directory: {inputs.path}")
        return EXIT_USAGE
    try:
        only = parse_ids(inputs.only, "input `only`")
    except UsageError as exc:
        log.error(f"readiness-gate: {exc}")
        return EXIT_USAGE
    api = api_for(ctx, policy)
    if api is None:
        log.warn("no token: the PR comment and status are skipped (set the `token` input)")
    pr = ctx.pull_request
    render_options = RenderOptions(file_url=ctx.file_url, run_url=ctx.run_url, marker=marker_for(inputs.status_context),
                                   full_report_hint="the job summary of the run")
    try:
        config_arg = None
        if inputs.config:
            config_arg = Path(inputs.config) if Path(inputs.config).is_absolute() else ctx.workspace / inputs.config
        config = load_config(root, config_arg)
    except ConfigError as exc:
        for p in exc.problems[:20]:
            log.emit([outputs.annotation("error", p.message, file=p.file if p.line else None, line=p.line,
                                         title="readiness.yml")])
        if api is not None and inputs.status == "commit-status" and ctx.sha and not (pr and pr.is_fork):
            try:
                api.create_status(ctx.sha, "error", inputs.status_context,
                                  "readiness.yml is invalid; see the run's log", ctx.run_url)
            except ApiError as err:
                log.warn(f"could not set the status: {err.message}")
        return EXIT_USAGE

    approval = trust.approval_policy(ctx, api, trust.config_repo_path(ctx, root, config), log.warn)
    verifier = approval if isinstance(approval, approvals.ApprovalVerifier) and pr is not None else None
    if verifier is not None:
        config = trust.trusted_policy(config, verifier, log.warn)
    changed_since, changed = _diff_options(ctx, root, log)
    trusted = trust.trusted_files(ctx, api, root, config, verifier, log.warn) if verifier is not None else None
    options = RunOptions(osv_url=inputs.osv_url, changed_since=changed_since, changed_paths=changed, today=today,
                         trusted_files=trusted, cache_dir=ctx.cache_dir)
    db = ctx.workspace / inputs.osv_db if inputs.osv_db else None  # an absolute input replaces the workspace
    try:
        with osv_options(options, db) as run_options:
            report = run_gate(root, config, options=run_options, only=only, approval=approval)
    except OsvDatabaseError as exc:
        log.warn(f"input `osv-db`: {exc}")
        return EXIT_USAGE
    if ctx.sha:
        report = dataclasses.replace(report, commit=ctx.sha)
    if ctx.repository:
        report = dataclasses.replace(report, repository=ctx.repository)
    delta = baseline.base_delta(root, pr.base_sha if pr else None, report, only=only, today=today,
                                info=log.info, warn=log.warn)
    if delta is not None:
        report = dataclasses.replace(report, delta=delta)
    exit_code = EXIT_READY if report.ready else EXIT_NOT_READY
    out_values["ready"] = "true" if report.ready else "false"
    out_values["failing-checks"] = outputs.failing_checks(report)

    plain = RenderOptions()
    if inputs.report_file:
        out_values["report-file"] = _write_file(ctx, inputs.report_file, render("json", report, plain))
    elif pr is not None and pr.is_fork:
        log.warn("pull request from a fork: set `report-file` and upload it so a workflow_run job can publish "
                 "the comment and status (docs/github-action.md, fork pull requests)")
    if inputs.sarif_file:
        out_values["sarif-file"] = _write_file(ctx, inputs.sarif_file, render("sarif", report, plain))

    outputs.append_summary(ctx.summary_file, outputs.fit_summary(
        lambda n: render("markdown", report, dataclasses.replace(render_options, max_chars=n, marker=""))))
    prefix = Path(os.path.relpath(root, ctx.workspace)).as_posix()
    prefix = "" if prefix == "." or prefix.startswith("../") else prefix
    if inputs.annotations:
        log.emit(outputs.annotations_for(report, prefix))
    blocking = ", ".join(c.id for c in report.blocking_checks)
    log.info(f"readiness-gate: {'READY' if report.ready else 'NOT READY'}"
             + (f" (blocking: {blocking})" if blocking else ""))

    if api is None:
        return exit_code
    if pr is not None and pr.is_fork:
        log.warn("pull request from a fork: its token cannot write, so the comment and status are not posted here; "
                 "the verdict, summary and outputs are. See docs/github-action.md for the two-workflow setup.")
        return exit_code
    published = publish(api, PublishRequest(
        report=report, sha=ctx.sha, number=pr.number if pr else None, inputs=inputs,
        render_options=render_options, target_url=ctx.run_url, bot_login=ctx.bot_login, path_prefix=prefix), log)
    out_values["comment-url"] = published.comment_url
    if published.failure:
        log.error(f"readiness-gate: {published.failure}")
        return EXIT_INTERNAL
    return exit_code
