"""Publish mode: the privileged half of the fork pattern (``readiness-gate publish``, or the
action with the ``publish-report`` input) in a ``workflow_run`` job.

The unprivileged ``pull_request`` run scanned the PR and uploaded its JSON report; this job
has a write token and never checks out or runs the PR's code (``docs/threats.md`` row 1). It
trusts nothing the artifact says about *where* to publish:

* the PR number and head SHA come from the ``workflow_run`` event (looked up through the API
  for fork PRs, whose ``workflow_run.pull_requests`` is empty), never from the artifact;
* the artifact is validated (size, schema, consistency) and must be for that head SHA;
* a PR that changes ``.github/workflows``, ``.github/actions`` or a root local action ran a
  workflow it controlled, so its report cannot turn the status green.
"""

from __future__ import annotations

import dataclasses
import os
import sys
from pathlib import Path
from typing import Any, Mapping, Optional, TextIO

from gate.exitcodes import EXIT_INTERNAL, EXIT_NOT_READY, EXIT_READY, EXIT_USAGE
from gate.github import outputs
from gate.github.api import ApiError, GitHubApi, RetryPolicy
from gate.github.context import ContextError, PullRequest, read_context
from gate.github.publishing import PublishRequest, api_for, marker_for, publish
from gate.model import Report
from gate.render import RenderOptions

MAX_REPORT_BYTES = 20 * 1024 * 1024
"""A report artifact larger than this (20 MiB) is refused before parsing."""

WORKFLOW_PATHS = (".github/workflows/", ".github/actions/")
"""A fork PR that changes files under these controlled the job that produced its report."""

LOCAL_ACTION_FILES = ("action.yml", "action.yaml", "Dockerfile")
"""Root files defining a local action (``uses: ./``); a PR changing them controlled the gate step.
(A PR changing the code such a local action builds is not detected: see docs/github-action.md.)"""


class PublishError(Exception):
    """The workflow_run event or the artifact cannot be published (exit 2, status error)."""


def workflow_run_pr(api: GitHubApi, event: Mapping[str, Any], repository: str) -> tuple[Optional[PullRequest], str]:
    """(pull request, head SHA) of a ``workflow_run`` event; the PR is looked up, never read from the artifact.

    Raises:
        PublishError: not a workflow_run payload, or no head SHA.
        gate.github.api.ApiError: looking the PR up failed.
    """
    run = event.get("workflow_run")
    if not isinstance(run, dict):
        raise PublishError("this is not a workflow_run event (no workflow_run in the payload)")
    head_sha = run.get("head_sha")
    if not isinstance(head_sha, str) or len(head_sha) != 40:
        raise PublishError("the workflow_run event has no head_sha")
    if run.get("event") not in ("pull_request", None):
        return None, head_sha
    numbers = [p.get("number") for p in run.get("pull_requests") or []
               if isinstance(p, dict) and isinstance(p.get("number"), int)
               and (p.get("head") or {}).get("sha") == head_sha]
    candidates = []
    for n in numbers:
        candidates.append(api.pull(n))
    if not candidates:
        # Fork PRs: GitHub leaves workflow_run.pull_requests empty; find the open PR whose head
        # is the run's head repository and branch, and whose head commit is the run's.
        head_repo = run.get("head_repository") if isinstance(run.get("head_repository"), dict) else {}
        owner = (head_repo.get("owner") or {}).get("login") if isinstance(head_repo.get("owner"), dict) else None
        branch = run.get("head_branch")
        if isinstance(owner, str) and isinstance(branch, str) and owner and branch:
            candidates = api.find_pulls(f"{owner}:{branch}")
    matching = [p for p in candidates if p.head_sha == head_sha and p.base_repo.lower() == repository.lower()]
    if not matching:
        return None, head_sha
    p = matching[0]
    return PullRequest(number=p.number, head_sha=p.head_sha, base_sha=p.base_sha, base_ref="",
                       author=p.author, head_repo=p.head_repo, base_repo=p.base_repo), head_sha


def load_artifact(path: Path) -> Report:
    """Read and validate a report artifact (size cap, JSON schema, internal consistency).

    Raises:
        PublishError: missing, too large, or not a valid report.
    """
    from gate.render.json_report import ReportFormatError, load_report

    try:
        size = path.stat().st_size
    except OSError as exc:
        raise PublishError(f"cannot read the report {path}: {exc.strerror or exc}") from None
    if size > MAX_REPORT_BYTES:
        raise PublishError(f"the report is {size} bytes, over the {MAX_REPORT_BYTES}-byte limit")
    try:
        with open(path, "rb") as fh:
            text = fh.read(MAX_REPORT_BYTES + 1).decode("utf-8")
        return load_report(text)
    except UnicodeDecodeError:
        raise PublishError("the report is not UTF-8") from None
    except ReportFormatError as exc:
        raise PublishError(f"the report is invalid: {exc}") from None


def publish_report(report_path: str, env: Mapping[str, str] = os.environ, *, stdout: Optional[TextIO] = None,
                   policy: Optional[RetryPolicy] = None) -> int:
    """``readiness-gate publish --report FILE`` in a ``workflow_run`` job (see the module docstring).

    Returns 0/1 (the report's verdict, published), 2 (event or artifact unusable; status
    ``error`` when possible) or 3 (publishing failed).
    """
    log = outputs.Log(stdout or sys.stdout)
    try:
        ctx = read_context(env)
    except ContextError as exc:
        log.error(f"readiness-gate publish: {exc}")
        return EXIT_USAGE
    api = api_for(ctx, policy or RetryPolicy())
    if api is None:
        log.error("readiness-gate publish: no token")
        return EXIT_USAGE
    try:
        pr, head_sha = workflow_run_pr(api, ctx.event, ctx.repository)
    except PublishError as exc:
        log.error(f"readiness-gate publish: {exc}")
        return EXIT_USAGE
    except ApiError as err:
        log.error(f"readiness-gate publish: finding the pull request failed: {err}")
        return EXIT_INTERNAL
    ctx = dataclasses.replace(ctx, sha=head_sha, pull_request=pr)
    run = ctx.event.get("workflow_run") or {}
    run_url = run.get("html_url") if isinstance(run.get("html_url"), str) else None
    if run_url and not run_url.startswith(ctx.server_url + "/"):
        run_url = None
    try:
        path = Path(report_path)
        report = load_artifact(path if path.is_absolute() else ctx.workspace / path)
        if report.commit != head_sha:
            raise PublishError(f"the report is for commit {str(report.commit)[:12]}, not the run's head "
                               f"{head_sha[:12]}")
    except PublishError as exc:
        log.error(f"readiness-gate publish: {exc}")
        if ctx.inputs.status == "commit-status":
            try:
                api.create_status(head_sha, "error", ctx.inputs.status_context,
                                  "the readiness report artifact is invalid; see the publishing run",
                                  ctx.run_url)
            except ApiError as err:
                log.warn(f"could not set the status: {err.message}")
        return EXIT_USAGE
    extra = None
    if pr is not None:
        try:
            changed = api.pull_files(pr.number)
        except ApiError as err:
            log.error(f"readiness-gate publish: listing the PR's files failed: {err}")
            return EXIT_INTERNAL
        touched = sorted({f for f in changed if f.startswith(WORKFLOW_PATHS) or f in LOCAL_ACTION_FILES})
        if touched and report.ready:
            extra = ("This pull request changes GitHub workflow or action files, so the job that produced this "
                     "report ran code it controls; a maintainer must review that change. Not marked ready.")
    else:
        log.warn("no open pull request matches this run's head commit; only the status is set")
    render_options = RenderOptions(file_url=ctx.file_url, run_url=run_url or ctx.run_url,
                                   marker=marker_for(ctx.inputs.status_context),
                                   full_report_hint="the job summary of the pull request's run")
    published = publish(api, PublishRequest(
        report=report, sha=head_sha, number=pr.number if pr else None, inputs=ctx.inputs,
        render_options=render_options, target_url=run_url or ctx.run_url, bot_login=ctx.bot_login,
        extra_failure=extra), log)
    outputs.write_outputs(ctx.output_file, {"ready": "true" if report.ready and not extra else "false",
                                            "failing-checks": outputs.failing_checks(report),
                                            "report-file": report_path, "sarif-file": "",
                                            "comment-url": published.comment_url})
    if published.failure:
        log.error(f"readiness-gate publish: {published.failure}")
        return EXIT_INTERNAL
    return EXIT_READY if report.ready and not extra else EXIT_NOT_READY
