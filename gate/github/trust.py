"""What a pull request may not decide for itself: the policy and the trusted files come from the
base branch (``docs/threats.md`` row 12, promise 4).

* :func:`approval_policy` builds the deferral-approval policy for the run (a pull request's
  verifier, or the push rule);
* :func:`trusted_policy` keeps the base branch's levels, options and excludes unless a base
  approver approved the weakening (:func:`gate.github.approvals.policy_weakenings`);
* :func:`trusted_files` keeps the base branch's ``.secrets.baseline`` when the pull request
  changed it without such an approval.

Every helper takes a ``warn`` callable for what it tells the user, and fails closed: what
cannot be read from the base branch is never replaced by the pull request's own version.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable, Optional

from gate.config import Config, build_config
from gate.deferrals import ApprovalFn
from gate.github import approvals
from gate.github.api import ApiError, GitHubApi
from gate.github.context import RunContext

Warn = Callable[[str], None]


def config_repo_path(ctx: RunContext, root: Path, config: Config) -> Optional[str]:
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


def approval_policy(ctx: RunContext, api: Optional[GitHubApi], config_path: Optional[str],
                    warn: Warn) -> ApprovalFn:
    """The approval policy: a verifier for a pull request, else the push rule (trusted only on
    the default branch)."""
    pr = ctx.pull_request
    if pr is not None:
        if not config_path:
            warn("readiness.yml lies outside the repository; deferral approvals cannot be verified")
        return approvals.for_pull_request(api, number=pr.number, head_sha=pr.head_sha, base_sha=pr.base_sha,
                                          author=pr.author, config_path=config_path or "readiness.yml")
    default_ref = f"refs/heads/{ctx.default_branch}" if ctx.default_branch else None
    return approvals.for_push(on_default_branch=bool(default_ref and ctx.ref == default_ref))


def trusted_policy(config: Config, verifier: approvals.ApprovalVerifier, warn: Warn) -> Config:
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


def trusted_files(ctx: RunContext, api: Optional[GitHubApi], root: Path, config: Config,
                  verifier: approvals.ApprovalVerifier, warn: Warn) -> Optional[dict[str, Optional[str]]]:
    """The base branch's secrets baseline when the pull request changed it without a lead's approval.

    An audited false positive is a suppression: a PR adding its own secret to
    ``.secrets.baseline`` as ``is_secret: false`` would silence the gate (``docs/threats.md``
    row 12). The PR's version counts once a base-branch approver (not the author) approves the
    current head. Returns None (use the repository's file) when it is unchanged or approved;
    when the base version cannot be read, the PR's baseline is not used at all (fail closed).
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
