"""The GitHub Action: run the gate, then report through every channel GitHub offers.

:func:`run_action` is ``readiness-gate github`` (the Docker action's entry point);
:func:`publish_report` is ``readiness-gate publish`` (the privileged half of the fork pattern).

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

Exit codes follow :mod:`gate.cli`: 0 ready, 1 not ready, 2 configuration or usage error, 3 the
gate or its publishing failed.

Nothing is written into the workspace except the report files the inputs name
(``docs/threats.md`` row 4); the summary and outputs go to the runner's files outside it.
"""

from __future__ import annotations

import dataclasses
import os
import sys
import uuid
from pathlib import Path
from typing import Any, Callable, Mapping, Optional, TextIO

from gate.checks.interface import RunOptions
from gate.cli.common import parse_ids, write_output
from gate.config import Config, ConfigError, build_config, load_config
from gate.github import approvals, outputs
from gate.github.api import ApiError, GitHubApi, RetryPolicy
from gate.github.comment import ACTIONS_BOT, COMMENT_MAX_CHARS, CommentResult, upsert_comment
from gate.github.context import ContextError, PullRequest, RunContext, read_context
from gate.model import Report, Status
from gate.redact import redact
from gate.render import RenderOptions, get_renderer
from gate.osv_mirror import OsvDatabaseError, osv_options
from gate.runner import run_gate

EXIT_READY, EXIT_NOT_READY, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3

DEFAULT_MARKER = "<!-- readiness-gate:comment -->"

STATUS_DESCRIPTION_LIMIT = 140
"""GitHub rejects commit status descriptions over 140 characters."""

CHECK_RUN_BATCH = 50
"""GitHub accepts at most 50 annotations per check-run request."""

MAX_CHECK_RUN_ANNOTATIONS = 1_000
"""Annotations sent to a check run in total (20 requests); the rest are counted in its summary."""

CHECK_RUN_TEXT_LIMIT = 65_535
"""GitHub's limit for a check run's ``output.summary`` and ``output.text``."""

WORKFLOW_PATHS = (".github/workflows/", ".github/actions/")
"""A fork PR that changes files under these controlled the job that produced its report."""

LOCAL_ACTION_FILES = ("action.yml", "action.yaml", "Dockerfile")
"""Root files defining a local action (``uses: ./``); a PR changing them controlled the gate step.
(A PR changing the code such a local action builds is not detected: see docs/github-action.md.)"""


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


def _render(fmt: str, report: Report, options: RenderOptions) -> str:
    return get_renderer(fmt).render(report, options)


def _api_for(ctx: RunContext, policy: RetryPolicy) -> Optional[GitHubApi]:
    if not ctx.inputs.token:
        return None
    return GitHubApi(ctx.inputs.token, ctx.repository, base_url=ctx.api_url, policy=policy)


def _identity(api: GitHubApi, ctx: RunContext) -> str:
    """The login our comments are written as (see :mod:`gate.github.comment`)."""
    return api.identity() or ctx.bot_login or ACTIONS_BOT


def _repo_relative(ctx: RunContext, root: Path, config: Config) -> Optional[str]:
    """Repository-relative path of the readiness.yml in use (to read it on the base branch).

    The ``config`` input is relative to the workspace; a discovered file is relative to the
    scanned ``path``; with no file at all, the base branch is asked for ``<path>/readiness.yml``.
    None when the file lies outside the workspace.
    """
    if ctx.inputs.config:
        candidate = ctx.workspace / ctx.inputs.config  # an absolute input replaces the workspace
    else:
        candidate = root / (config.source or "readiness.yml")
    rel = os.path.relpath(os.path.normpath(candidate), os.path.normpath(ctx.workspace))
    if rel == ".." or rel.startswith("../"):
        return None
    return Path(rel).as_posix()


def _approval_fn(ctx: RunContext, api: Optional[GitHubApi], config_path: Optional[str],
                 warn: Callable[[str], None]) -> Any:
    pr = ctx.pull_request
    if pr is not None:
        if not config_path:
            warn("readiness.yml lies outside the repository; deferral approvals cannot be verified")
        return approvals.for_pull_request(api, number=pr.number, head_sha=pr.head_sha, base_sha=pr.base_sha,
                                          author=pr.author, config_path=config_path or "readiness.yml")
    default_ref = f"refs/heads/{ctx.default_branch}" if ctx.default_branch else None
    return approvals.for_push(on_default_branch=bool(default_ref and ctx.ref == default_ref))


def _trusted_policy(config: Config, verifier: approvals.ApprovalVerifier, warn: Callable[[str], None]) -> Config:
    """The PR's config, with the base branch's levels/excludes unless a lead approved the weakening."""
    # No readiness.yml on the base branch (or none readable): the trusted policy is the built-in
    # default profile, so a PR cannot introduce a file that switches checks off.
    base = verifier.load_base() or build_config(None, None)
    weaker = approvals.policy_weakenings(base, config)
    if not weaker:
        return config
    lead = verifier.approving_lead()
    if lead:
        warn(f"readiness.yml in this pull request weakens the policy ({'; '.join(weaker)}); "
             f"approved by {lead} on the current head")
        return config
    warn(f"readiness.yml in this pull request weakens the policy ({'; '.join(weaker)}); the base branch's "
         "values apply until an approver listed on the base branch (not the author) approves the current head")
    return approvals.with_base_policy(config, base)


def _trusted_files(ctx: RunContext, api: Optional[GitHubApi], root: Path, config: Config,
                   verifier: approvals.ApprovalVerifier, warn: Callable[[str], None]) -> Optional[dict[str, Optional[str]]]:
    """The base branch's secrets baseline when the pull request changed it without a lead's approval.

    An audited false positive is a suppression: a PR adding its own secret to
    ``.secrets.baseline`` as ``is_secret: false`` would silence the gate (THREATS row 12). The
    PR's version counts once a base-branch approver (not the author) approves the current head.
    Returns None (use the repository's file) when it is unchanged or approved; when the base
    version cannot be read, the PR's baseline is not used at all (fail closed).
    """
    pr = ctx.pull_request
    rel = str(config.settings("secrets").options.get("baseline") or ".secrets.baseline")
    local = root / rel
    try:
        head_text: Optional[str] = local.read_text(encoding="utf-8") if local.is_file() else None
    except (OSError, UnicodeDecodeError):
        head_text = None
    repo_path = os.path.relpath(os.path.normpath(local), os.path.normpath(ctx.workspace))
    if head_text is None or repo_path.startswith(".."):
        return None  # no baseline in the PR: nothing to trust or distrust
    base_text: Optional[str] = None
    readable = api is not None and pr is not None and bool(pr.base_sha)
    if readable:
        try:
            base_text = api.file_text(Path(repo_path).as_posix(), pr.base_sha, max_bytes=16 * 1024 * 1024)  # type: ignore[union-attr]
        except ApiError as err:
            readable = False
            warn(f"could not read {rel} on the base branch ({err.message}); this change's baseline is not used")
    if readable and base_text == head_text:
        return None
    lead = verifier.approving_lead()
    if lead:
        warn(f"{rel} is changed by this pull request; approved by {lead} on the current head")
        return None
    warn(f"{rel} is changed by this pull request: the base branch's version applies until an approver "
         "listed on the base branch (not the author) approves the current head")
    return {rel: base_text if readable else None}


def _diff_options(ctx: RunContext, root: Path, warn: Callable[[str], None]) -> tuple[Optional[str], Optional[frozenset[str]]]:
    mode = ctx.inputs.mode
    pr = ctx.pull_request
    if mode == "full" or (mode == "auto" and pr is None):
        return None, None
    if pr is None or not pr.base_sha:
        warn("mode diff needs a pull request with a base commit; running a full scan")
        return None, None
    from gate.diff import changed_paths

    try:
        return pr.base_sha, changed_paths(root, pr.base_sha)
    except ValueError as exc:
        warn(f"diff-aware mode unavailable ({redact(str(exc))[:200]}); running a full scan. "
             "Check out with `fetch-depth: 0` so the base commit is present.")
        return None, None


def _write_file(ctx: RunContext, name: str, text: str) -> str:
    path = Path(name)
    target = path if path.is_absolute() else ctx.workspace / path
    write_output(str(target), text)
    return name


def publish(api: GitHubApi, report: Report, *, number: Optional[int], sha: str, ctx: RunContext,
            render_options: RenderOptions, warn: Callable[[str], None],
            extra_failure: Optional[str] = None, target_url: Optional[str] = None,
            stream: Optional[TextIO] = None, path_prefix: str = "") -> Publication:
    """Post the sticky comment (when asked and there is a PR) and the status.

    ``extra_failure`` forces a non-success status with that reason (publish's refusal to trust
    a report). ``target_url`` is the status link (default: this run). ``path_prefix`` is the
    scanned directory relative to the repository root (check-run annotation paths). Returns
    what happened; never raises for API errors.
    """
    result = Publication()
    inputs = ctx.inputs
    marker = render_options.marker
    if inputs.comment and number is not None:
        try:
            body = _render("markdown", report, dataclasses.replace(render_options, max_chars=COMMENT_MAX_CHARS))
            if extra_failure:
                body = body.replace(marker, f"{marker}\n> [!WARNING]\n> {extra_failure}\n", 1)
            done: CommentResult = upsert_comment(api, number, body, marker=marker, identity=_identity(api, ctx))
            result.comment_url = done.url
            outputs.log(f"readiness-gate: PR comment {done.action}: {done.url}", stream)
        except ApiError as err:
            if err.forbidden:
                warn(f"cannot write the PR comment (HTTP 403: the token is read-only, as for pull requests "
                     f"from forks). Use the two-workflow pattern in docs/github-action.md. ({err.message})")
                result.skipped = "403"
            else:
                result.failure = f"posting the PR comment failed: {err}"
    if inputs.status == "none" or not sha:
        return result
    if result.failure or extra_failure:
        state = "error" if result.failure else ("failure" if report.ready else status_state(report))
        description = (result.failure or extra_failure or "")
        description = description if len(description) <= STATUS_DESCRIPTION_LIMIT else description[:139] + "…"
        conclusion_ok = False
    else:
        state, description, conclusion_ok = status_state(report), status_description(report), report.ready
    try:
        if inputs.status == "commit-status":
            api.create_status(sha, state, inputs.status_context, description, target_url or ctx.run_url)
        else:
            _check_run(api, report, sha=sha, ctx=ctx, success=conclusion_ok, description=description,
                       render_options=render_options, details_url=target_url or ctx.run_url,
                       path_prefix=path_prefix)
        outputs.log(f"readiness-gate: {inputs.status} {inputs.status_context} set to "
                    f"{state if inputs.status == 'commit-status' else ('success' if conclusion_ok else 'failure')}",
                    stream)
    except ApiError as err:
        if err.forbidden and not result.failure:
            warn(f"cannot set the {inputs.status} (HTTP 403: read-only token). ({err.message})")
            result.skipped = result.skipped or "403"
        else:
            result.failure = result.failure or f"setting the {inputs.status} failed: {err}"
    return result


def _check_run(api: GitHubApi, report: Report, *, sha: str, ctx: RunContext, success: bool, description: str,
               render_options: RenderOptions, details_url: Optional[str], path_prefix: str) -> None:
    anns = []
    for check in report.checks:
        for f in check.findings:
            if f.path and f.line and check.status is not Status.SKIPPED:
                level = "failure" if (check.blocking and f.blocking and f.deferred_by is None) else "warning"
                anns.append({"path": outputs.repo_path(path_prefix, f.path), "start_line": f.line, "end_line": f.line,
                             "annotation_level": level, "title": f"{check.title}: {f.rule}"[:255],
                             "message": redact(f.message)[:4000]})
    anns.sort(key=lambda a: (a["annotation_level"] != "failure", a["path"], a["start_line"]))
    dropped = max(0, len(anns) - MAX_CHECK_RUN_ANNOTATIONS)
    anns = anns[:MAX_CHECK_RUN_ANNOTATIONS]
    summary = _render("markdown", report, dataclasses.replace(render_options, max_chars=CHECK_RUN_TEXT_LIMIT - 200))
    if dropped:
        summary += f"\n\n{dropped} more annotations were not sent.\n"
    title = description
    run_id = api.create_check_run(
        name=ctx.inputs.status_context, head_sha=sha, conclusion="success" if success else "failure",
        title=title, summary=summary[:CHECK_RUN_TEXT_LIMIT], text=None, annotations=anns[:CHECK_RUN_BATCH],
        details_url=details_url, external_id=f"readiness-gate-{uuid.uuid4().hex}")
    for start in range(CHECK_RUN_BATCH, len(anns), CHECK_RUN_BATCH):
        api.add_check_run_annotations(run_id, title=title, summary=summary[:CHECK_RUN_TEXT_LIMIT],
                                      annotations=anns[start:start + CHECK_RUN_BATCH])


def _writer(stream: TextIO, warnings: list[str]) -> Callable[[str], None]:
    def warn(message: str) -> None:
        warnings.append(message)
        outputs.emit([outputs.command("warning", redact(message))], stream)
    return warn


def run_action(env: Mapping[str, str] = os.environ, *, stdout: Optional[TextIO] = None,
               policy: Optional[RetryPolicy] = None, today: Any = None) -> int:
    """``readiness-gate github``: the whole action. Returns the exit code (see module docstring).

    Args:
        env: the environment (``os.environ`` in production; tests pass their own).
        stdout: where log lines and workflow commands go.
        policy: API timeouts and retries.
        today: fixed date for tests.
    """
    stream = stdout or sys.stdout
    warnings: list[str] = []
    warn = _writer(stream, warnings)
    out_values = {k: "" for k in outputs.OUTPUT_KEYS}
    out_values["ready"] = "false"
    output_file = env.get("GITHUB_OUTPUT") or None
    try:
        try:
            ctx = read_context(env)
        except ContextError as exc:
            outputs.emit([outputs.command("error", f"readiness-gate: {exc}")], stream)
            return EXIT_USAGE
        return _run(ctx, env, stream, warn, out_values, policy or RetryPolicy(), today)
    except Exception as exc:  # noqa: BLE001 - last line of defence: exit 3 with the outputs written
        outputs.emit([outputs.command("error", f"readiness-gate internal error: {type(exc).__name__}: "
                                               f"{redact(str(exc))[:300]}")], stream)
        return EXIT_INTERNAL
    finally:
        outputs.write_outputs(output_file, out_values)


def _run(ctx: RunContext, env: Mapping[str, str], stream: TextIO, warn: Callable[[str], None],
         out_values: dict[str, str], policy: RetryPolicy, today: Any) -> int:
    from gate.cli import UsageError

    inputs = ctx.inputs
    root = ctx.scan_root
    if not root.is_dir():
        outputs.emit([outputs.command("error", f"readiness-gate: input `path` is not a directory: {inputs.path}")], stream)
        return EXIT_USAGE
    try:
        only = parse_ids(inputs.only, "input `only`")
    except UsageError as exc:
        outputs.emit([outputs.command("error", f"readiness-gate: {exc}")], stream)
        return EXIT_USAGE
    api = _api_for(ctx, policy)
    if api is None:
        warn("no token: the PR comment and status are skipped (set the `token` input)")
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
            outputs.emit([outputs.annotation("error", p.message, file=p.file if p.line else None, line=p.line,
                                             title="readiness.yml")], stream)
        if api is not None and inputs.status == "commit-status" and ctx.sha and not (pr and pr.is_fork):
            try:
                api.create_status(ctx.sha, "error", inputs.status_context,
                                  "readiness.yml is invalid; see the run's log", ctx.run_url)
            except ApiError as err:
                warn(f"could not set the status: {err.message}")
        return EXIT_USAGE

    approval = _approval_fn(ctx, api, _repo_relative(ctx, root, config), warn)
    if isinstance(approval, approvals.ApprovalVerifier) and pr is not None:
        config = _trusted_policy(config, approval, warn)
    changed_since, changed = _diff_options(ctx, root, warn)
    trusted = (_trusted_files(ctx, api, root, config, approval, warn)
               if isinstance(approval, approvals.ApprovalVerifier) and pr is not None else None)
    options = RunOptions(osv_url=inputs.osv_url, changed_since=changed_since, changed_paths=changed, today=today,
                         trusted_files=trusted)
    db = ctx.workspace / inputs.osv_db if inputs.osv_db else None  # an absolute input replaces the workspace
    try:
        with osv_options(options, db) as run_options:
            report = run_gate(root, config, options=run_options, only=only, approval=approval)
    except OsvDatabaseError as exc:
        warn(f"input `osv-db`: {exc}")
        return EXIT_USAGE
    if ctx.sha:
        report = dataclasses.replace(report, commit=ctx.sha)
    if ctx.repository:
        report = dataclasses.replace(report, repository=ctx.repository)
    exit_code = EXIT_READY if report.ready else EXIT_NOT_READY
    out_values["ready"] = "true" if report.ready else "false"
    out_values["failing-checks"] = outputs.failing_checks(report)

    plain = RenderOptions()
    if inputs.report_file:
        out_values["report-file"] = _write_file(ctx, inputs.report_file, _render("json", report, plain))
    elif pr is not None and pr.is_fork:
        warn("pull request from a fork: set `report-file` and upload it so a workflow_run job can publish "
             "the comment and status (docs/github-action.md, fork pull requests)")
    if inputs.sarif_file:
        out_values["sarif-file"] = _write_file(ctx, inputs.sarif_file, _render("sarif", report, plain))

    outputs.append_summary(ctx.summary_file, outputs.fit_summary(
        lambda n: _render("markdown", report, dataclasses.replace(render_options, max_chars=n, marker=""))))
    prefix = Path(os.path.relpath(root, ctx.workspace)).as_posix()
    prefix = "" if prefix == "." or prefix.startswith("../") else prefix
    if inputs.annotations:
        outputs.emit(outputs.annotations_for(report, prefix), stream)
    blocking = ", ".join(c.id for c in report.blocking_checks)
    outputs.log(f"readiness-gate: {'READY' if report.ready else 'NOT READY'}"
                + (f" (blocking: {blocking})" if blocking else ""), stream)

    if api is None:
        return exit_code
    if pr is not None and pr.is_fork:
        warn("pull request from a fork: its token cannot write, so the comment and status are not posted here; "
             "the verdict, summary and outputs are. See docs/github-action.md for the two-workflow setup.")
        return exit_code
    published = publish(api, report, number=pr.number if pr else None, sha=ctx.sha, ctx=ctx,
                        render_options=render_options, warn=warn, stream=stream, path_prefix=prefix)
    out_values["comment-url"] = published.comment_url
    if published.failure:
        outputs.emit([outputs.command("error", f"readiness-gate: {published.failure}")], stream)
        return EXIT_INTERNAL
    return exit_code


# ---------------------------------------------------------------------- publish (workflow_run)

MAX_REPORT_BYTES = 20 * 1024 * 1024
"""A report artifact larger than this (20 MiB) is refused before parsing."""


class PublishError(Exception):
    """The workflow_run event or the artifact cannot be published (exit 2, status error)."""


def _workflow_run_pr(api: GitHubApi, event: Mapping[str, Any], repository: str) -> tuple[Optional[PullRequest], str]:
    """(pull request, head SHA) of a ``workflow_run`` event; the PR is looked up, never read from the artifact."""
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
    """``readiness-gate publish --report FILE`` in a ``workflow_run`` job.

    The PR number and head SHA come from the ``workflow_run`` event (looked up through the API
    for fork PRs), never from the artifact. The artifact is validated (size, schema,
    consistency) and must be for that head SHA. A PR that changes ``.github/workflows`` ran
    a workflow it controlled, so its report cannot turn the status green: the status is
    ``failure`` with that reason and the comment says so.

    Returns 0/1 (the report's verdict, published), 2 (event or artifact unusable; status
    ``error`` when possible) or 3 (publishing failed).
    """
    stream = stdout or sys.stdout
    warnings: list[str] = []
    warn = _writer(stream, warnings)
    try:
        ctx = read_context(env)
    except ContextError as exc:
        outputs.emit([outputs.command("error", f"readiness-gate publish: {exc}")], stream)
        return EXIT_USAGE
    api = _api_for(ctx, policy or RetryPolicy())
    if api is None:
        outputs.emit([outputs.command("error", "readiness-gate publish: no token")], stream)
        return EXIT_USAGE
    try:
        pr, head_sha = _workflow_run_pr(api, ctx.event, ctx.repository)
    except PublishError as exc:
        outputs.emit([outputs.command("error", f"readiness-gate publish: {exc}")], stream)
        return EXIT_USAGE
    except ApiError as err:
        outputs.emit([outputs.command("error", f"readiness-gate publish: finding the pull request failed: {err}")],
                     stream)
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
        outputs.emit([outputs.command("error", f"readiness-gate publish: {exc}")], stream)
        if ctx.inputs.status == "commit-status":
            try:
                api.create_status(head_sha, "error", ctx.inputs.status_context,
                                  "the readiness report artifact is invalid; see the publishing run",
                                  ctx.run_url)
            except ApiError as err:
                warn(f"could not set the status: {err.message}")
        return EXIT_USAGE
    extra = None
    if pr is not None:
        try:
            changed = api.pull_files(pr.number)
        except ApiError as err:
            outputs.emit([outputs.command("error", f"readiness-gate publish: listing the PR's files failed: {err}")],
                         stream)
            return EXIT_INTERNAL
        touched = sorted({f for f in changed if f.startswith(WORKFLOW_PATHS) or f in LOCAL_ACTION_FILES})
        if touched and report.ready:
            extra = ("This pull request changes GitHub workflow or action files, so the job that produced this "
                     "report ran code it controls; a maintainer must review that change. Not marked ready.")
    else:
        warn("no open pull request matches this run's head commit; only the status is set")
    render_options = RenderOptions(file_url=ctx.file_url, run_url=run_url or ctx.run_url,
                                   marker=marker_for(ctx.inputs.status_context),
                                   full_report_hint="the job summary of the pull request's run")
    published = publish(api, report, number=pr.number if pr else None, sha=head_sha, ctx=ctx,
                        render_options=render_options, warn=warn, extra_failure=extra,
                        target_url=run_url or ctx.run_url, stream=stream)
    outputs.write_outputs(ctx.output_file, {"ready": "true" if report.ready and not extra else "false",
                                            "failing-checks": outputs.failing_checks(report),
                                            "report-file": report_path, "sarif-file": "",
                                            "comment-url": published.comment_url})
    if published.failure:
        outputs.emit([outputs.command("error", f"readiness-gate publish: {published.failure}")], stream)
        return EXIT_INTERNAL
    return EXIT_READY if report.ready and not extra else EXIT_NOT_READY
