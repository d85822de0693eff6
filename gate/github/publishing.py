"""Publishing one report: the sticky PR comment, then the commit status or the check run.

Used by both halves of the Action: :mod:`gate.github.action` (the gate's own run) and
:mod:`gate.github.publish_mode` (the privileged ``workflow_run`` half of the fork pattern).
What to publish is one :class:`PublishRequest`; what happened is one :class:`Publication`.

Rules (``docs/threats.md`` rows 9 and 10):

* ``success`` is only ever set for a ready report whose comment went through;
* a 403 on a write (a read-only token, as for fork PRs) is a warning and publication is skipped;
* any other failure (5xx after retries, timeouts) makes the status ``error`` when it still can
  be set, and is returned as :attr:`Publication.failure` (the step then exits 3).
"""

from __future__ import annotations

import dataclasses
import uuid
from typing import Optional

from gate.github import outputs
from gate.github.api import ApiError, GitHubApi, RetryPolicy
from gate.github.comment import ACTIONS_BOT, COMMENT_MAX_CHARS, CommentResult, upsert_comment
from gate.github.context import Inputs, RunContext
from gate.model import Report, Status
from gate.redact import redact
from gate.render import RenderOptions, get_renderer

DEFAULT_MARKER = "<!-- readiness-gate:comment -->"

STATUS_DESCRIPTION_LIMIT = 140
"""GitHub rejects commit status descriptions over 140 characters."""

CHECK_RUN_BATCH = 50
"""GitHub accepts at most 50 annotations per check-run request."""

MAX_CHECK_RUN_ANNOTATIONS = 1_000
"""Annotations sent to a check run in total (20 requests); the rest are counted in its summary."""

CHECK_RUN_TEXT_LIMIT = 65_535
"""GitHub's limit for a check run's ``output.summary`` and ``output.text``."""


@dataclasses.dataclass(frozen=True)
class PublishRequest:
    """What to publish, and where.

    Attributes:
        report: the verdict to publish.
        sha: the commit the status or check run goes on ("" sets none).
        number: the pull request that gets the sticky comment (None: no comment).
        inputs: the action's inputs (``comment``, ``status``, ``status-context``).
        render_options: links and the comment marker for the markdown renderer.
        target_url: the status / check-run link (the run that produced the verdict).
        bot_login: the login a GitHub App token writes as, when ``GET /user`` cannot say.
        extra_failure: forces a non-success status with this reason (publish mode's refusal to
            trust a report); also shown at the top of the comment.
        path_prefix: the scanned directory relative to the repository root (check-run
            annotation paths).
    """

    report: Report
    sha: str
    number: Optional[int]
    inputs: Inputs
    render_options: RenderOptions
    target_url: Optional[str] = None
    bot_login: Optional[str] = None
    extra_failure: Optional[str] = None
    path_prefix: str = ""


@dataclasses.dataclass
class Publication:
    """What publishing did: comment URL, and the first failure (None when all went through)."""

    comment_url: str = ""
    failure: Optional[str] = None
    skipped: Optional[str] = None


def marker_for(context: str) -> str:
    """The hidden comment marker; a non-default status context gets its own sticky comment."""
    if context == "readiness-gate":
        return DEFAULT_MARKER
    safe = "".join(ch for ch in context if ch.isalnum() or ch in "-_.")[:60]
    return f"<!-- readiness-gate:comment:{safe} -->"


def status_state(report: Report) -> str:
    """Commit status state for a report: success only when ready; error when a check could not run."""
    if report.ready:
        return "success"
    if any(c.status is Status.ERROR for c in report.blocking_checks):
        return "error"
    return "failure"


def status_description(report: Report) -> str:
    """One line of at most 140 characters (our words and check ids only)."""
    if report.ready:
        text = "Ready" + (f" ({len(report.deferrals)} deferral(s))" if report.deferrals else "")
    else:
        ids = [c.id for c in report.blocking_checks]
        text = f"Not ready: {len(ids)} blocking check{'s' if len(ids) != 1 else ''}: {', '.join(ids)}"
    return text if len(text) <= STATUS_DESCRIPTION_LIMIT else text[: STATUS_DESCRIPTION_LIMIT - 1] + "…"


def render(fmt: str, report: Report, options: RenderOptions) -> str:
    """``report`` rendered in format ``fmt`` (``markdown``, ``json``, ``sarif``, ``text``)."""
    return get_renderer(fmt).render(report, options)


def api_for(ctx: RunContext, policy: RetryPolicy) -> Optional[GitHubApi]:
    """The API client for the run's repository, or None without a token."""
    if not ctx.inputs.token:
        return None
    return GitHubApi(ctx.inputs.token, ctx.repository, base_url=ctx.api_url, policy=policy)


def _identity(api: GitHubApi, bot_login: Optional[str]) -> str:
    """The login our comments are written as (see :mod:`gate.github.comment`)."""
    return api.identity() or bot_login or ACTIONS_BOT


def publish(api: GitHubApi, request: PublishRequest, log: outputs.Log) -> Publication:
    """Post the sticky comment (when asked and there is a PR) and the status or check run.

    Returns what happened; never raises for API errors (see the module docstring).
    """
    result = Publication()
    inputs = request.inputs
    report = request.report
    marker = request.render_options.marker
    if inputs.comment and request.number is not None:
        try:
            body = render("markdown", report, dataclasses.replace(request.render_options, max_chars=COMMENT_MAX_CHARS))
            if request.extra_failure:
                body = body.replace(marker, f"{marker}\n> [!WARNING]\n> {request.extra_failure}\n", 1)
            done: CommentResult = upsert_comment(api, request.number, body, marker=marker,
                                                 identity=_identity(api, request.bot_login))
            result.comment_url = done.url
            log.info(f"readiness-gate: PR comment {done.action}: {done.url}")
        except ApiError as err:
            if err.forbidden:
                log.warn(f"cannot write the PR comment (HTTP 403: the token is read-only, as for pull requests "
                         f"from forks). Use the two-workflow pattern in docs/github-action.md. ({err.message})")
                result.skipped = "403"
            else:
                result.failure = f"posting the PR comment failed: {err}"
    if inputs.status == "none" or not request.sha:
        return result
    if result.failure or request.extra_failure:
        state = "error" if result.failure else ("failure" if report.ready else status_state(report))
        description = (result.failure or request.extra_failure or "")
        description = description if len(description) <= STATUS_DESCRIPTION_LIMIT else description[:139] + "…"
        conclusion_ok = False
    else:
        state, description, conclusion_ok = status_state(report), status_description(report), report.ready
    try:
        if inputs.status == "commit-status":
            api.create_status(request.sha, state, inputs.status_context, description, request.target_url)
        else:
            _check_run(api, request, success=conclusion_ok, description=description)
        log.info(f"readiness-gate: {inputs.status} {inputs.status_context} set to "
                 f"{state if inputs.status == 'commit-status' else ('success' if conclusion_ok else 'failure')}")
    except ApiError as err:
        if err.forbidden and not result.failure:
            log.warn(f"cannot set the {inputs.status} (HTTP 403: read-only token). ({err.message})")
            result.skipped = result.skipped or "403"
        else:
            result.failure = result.failure or f"setting the {inputs.status} failed: {err}"
    return result


def _check_run(api: GitHubApi, request: PublishRequest, *, success: bool, description: str) -> None:
    report = request.report
    anns = []
    for check in report.checks:
        for f in check.findings:
            if f.path and f.line and check.status is not Status.SKIPPED:
                level = "failure" if (check.blocking and f.blocking and f.deferred_by is None) else "warning"
                anns.append({"path": outputs.repo_path(request.path_prefix, f.path), "start_line": f.line,
                             "end_line": f.line, "annotation_level": level,
                             "title": f"{check.title}: {f.rule}"[:255], "message": redact(f.message)[:4000]})
    anns.sort(key=lambda a: (a["annotation_level"] != "failure", a["path"], a["start_line"]))
    dropped = max(0, len(anns) - MAX_CHECK_RUN_ANNOTATIONS)
    anns = anns[:MAX_CHECK_RUN_ANNOTATIONS]
    summary = render("markdown", report,
                     dataclasses.replace(request.render_options, max_chars=CHECK_RUN_TEXT_LIMIT - 200))
    if dropped:
        summary += f"\n\n{dropped} more annotations were not sent.\n"
    title = description
    run_id = api.create_check_run(
        name=request.inputs.status_context, head_sha=request.sha, conclusion="success" if success else "failure",
        title=title, summary=summary[:CHECK_RUN_TEXT_LIMIT], text=None, annotations=anns[:CHECK_RUN_BATCH],
        details_url=request.target_url, external_id=f"readiness-gate-{uuid.uuid4().hex}")
    for start in range(CHECK_RUN_BATCH, len(anns), CHECK_RUN_BATCH):
        api.add_check_run_annotations(run_id, title=title, summary=summary[:CHECK_RUN_TEXT_LIMIT],
                                      annotations=anns[start:start + CHECK_RUN_BATCH])
