"""Verifying that a deferral's named lead approved it (``docs/threats.md`` row 12).

The rule (README, "Deferrals"), after policy-bot, which reads policy from
the target branch and ignores the author's own approval:

* **Approvers come from the base branch**: ``readiness.yml`` is read through the contents API at
  the PR's base SHA and parsed with :func:`gate.config.load_config_text`. The PR's own
  ``approvers`` list is ignored (the author could add themselves).
* A deferral **present and identical** on the base branch (:meth:`gate.config.Deferral.canonical`)
  was approved when it was merged: :attr:`ApprovalState.TRUSTED_BASE`.
* A deferral the PR **adds or changes** counts (:attr:`ApprovalState.APPROVED`) only when its
  ``approved-by`` is a base-branch approver (a login listed there, or a member of a team listed
  there), is not the PR author, and has an ``APPROVED`` review on the PR's **current head SHA**
  (the latest review of each reviewer; ``COMMENTED`` reviews do not replace an earlier state,
  ``DISMISSED`` does). A new push therefore voids earlier approvals. Otherwise it is
  :attr:`ApprovalState.PENDING` and the note names who must approve.
* ``approved-by: @org/team``: one approving review on the head by a member of that team (not the
  author). Team membership needs a token that can read the organization's teams; the Actions
  ``GITHUB_TOKEN`` cannot, and the deferral then stays pending with a message saying so.
* **Push and other events**: a deferral on the default branch was merged, so it is trusted;
  anywhere else it is pending (it has not been through review).
* **The policy itself** is a deferral in disguise: a PR that lowers a check's level, adds
  ``exclude`` patterns or lowers the file-size limit (:func:`policy_weakenings`) gets the base
  branch's values (:func:`with_base_policy`) until a base approver other than the author
  approves its current head (:meth:`ApprovalVerifier.approving_lead`).

Expiry is not decided here: :func:`gate.deferrals.apply_deferrals` fails expired deferrals
whatever their approval.

Every API failure leaves the deferral pending with the reason (fail closed).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Callable, Optional

from gate.config import CheckSettings, Config, ConfigError, Deferral, load_config_text
from gate.deferrals import ApprovalFn
from gate.github.api import ApiError, GitHubApi, Review
from gate.model import ApprovalState, Level

TEAM_TOKEN_HINT = ("the Actions GITHUB_TOKEN cannot read team membership; pass a token with "
                   "organization Members: read (read:org) as the action's `token`, or name a person as approver")


def _norm(name: str) -> str:
    return name.strip().lstrip("@").lower()


def latest_reviews(reviews: list[Review]) -> dict[str, Review]:
    """Each reviewer's latest review that decides their state (login lower-cased -> review).

    ``COMMENTED`` and ``PENDING`` reviews do not change a reviewer's state (GitHub's own rule
    for the "Reviewers" box); ``APPROVED``, ``CHANGES_REQUESTED`` and ``DISMISSED`` do. Reviews
    are in chronological order as the API lists them.
    """
    out: dict[str, Review] = {}
    for r in reviews:
        if r.state in ("APPROVED", "CHANGES_REQUESTED", "DISMISSED") and r.login:
            out[r.login.lower()] = r
    return out


@dataclass
class ApprovalVerifier:
    """The GitHub approval policy for one pull request, usable as an :data:`ApprovalFn`.

    Build it with :func:`for_pull_request` or :func:`for_push`. Calls are cached: reviews are
    read once, each team membership once.
    """

    api: Optional[GitHubApi]
    head_sha: str
    author: str
    pr_number: Optional[int]
    base_config: Optional[Config]
    base_problem: Optional[str] = None
    """Why the base configuration could not be used (no file, invalid, API failure)."""
    base_loader: Optional[Callable[[], tuple[Optional[Config], Optional[str]]]] = None
    """Reads the base configuration on first need (a run without deferrals makes no call)."""
    trusted_all: bool = False
    """Push to the default branch: every deferral was merged."""
    untrusted_reason: Optional[str] = None
    """Events where no deferral can be verified (push to another branch)."""
    _reviews: Optional[dict[str, Review]] = None
    _reviews_error: Optional[str] = None
    _teams: dict[tuple[str, str, str], "bool | str"] = field(default_factory=dict)

    def __call__(self, deferral: Deferral) -> tuple[ApprovalState, str]:
        """Decide ``deferral``'s approval state; see the module docstring."""
        if self.trusted_all:
            return ApprovalState.TRUSTED_BASE, "on the default branch (merged after review)"
        if self.untrusted_reason:
            return ApprovalState.PENDING, self.untrusted_reason
        self.load_base()
        if self.base_config is not None:
            base = {d.canonical() for d in self.base_config.deferrals}
            if deferral.canonical() in base:
                return ApprovalState.TRUSTED_BASE, "identical on the base branch (approved when merged)"
        approver = deferral.approved_by
        who = f"{approver} must approve the pull request's current head"
        if self.base_config is None:
            return ApprovalState.PENDING, (f"{self.base_problem or 'the base branch has no readiness.yml'}, "
                                           "so no approvers are known; a deferral added by this PR cannot be "
                                           "approved until an `approvers` list is merged")
        allowed = self._is_base_approver(approver)
        if allowed is not True:
            listed = ", ".join(self.base_config.approvers) or "none"
            reason = allowed if isinstance(allowed, str) else f"{approver} is not listed in `approvers` on the base branch"
            return ApprovalState.PENDING, f"{reason} (base approvers: {listed})"
        if _norm(approver) == _norm(self.author):
            return ApprovalState.PENDING, (f"{approver} is the pull request's author and cannot approve their own "
                                           "deferral; another approver from the base branch must approve")
        reviews = self._latest()
        if reviews is None:
            return ApprovalState.PENDING, f"could not read the pull request's reviews ({self._reviews_error}); {who}"
        if "/" in _norm(approver):
            return self._team_approval(approver, reviews)
        review = reviews.get(_norm(approver))
        if review is None or review.state != "APPROVED":
            state = f" (their latest review: {review.state.lower().replace('_', ' ')})" if review else ""
            return ApprovalState.PENDING, f"needs an approving review from {approver}{state}; {who}"
        if review.commit_id != self.head_sha:
            return ApprovalState.PENDING, (f"{approver} approved an older commit ({review.commit_id[:7] or 'unknown'}); "
                                           f"a new push needs a new approval of {self.head_sha[:7]}")
        return ApprovalState.APPROVED, f"approved by {approver} on {self.head_sha[:7]}"

    def load_base(self) -> Optional[Config]:
        """The base branch's configuration (read on first call), or None (see ``base_problem``)."""
        if self.base_loader is not None:
            self.base_config, self.base_problem = self.base_loader()
            self.base_loader = None
        return self.base_config

    def approving_lead(self) -> Optional[str]:
        """A base-branch approver (not the author) whose latest review approves the current head.

        Used for changes to the policy itself (:func:`policy_weakenings`): they need the same
        approval as a deferral. Returns ``@login`` or None.
        """
        if self.load_base() is None:
            return None
        reviews = self._latest() or {}
        for login, review in sorted(reviews.items()):
            if review.state == "APPROVED" and review.commit_id == self.head_sha and login != _norm(self.author):
                if self._is_base_approver("@" + login) is True:
                    return "@" + login
        return None

    # ------------------------------------------------------------------ helpers

    def _latest(self) -> Optional[dict[str, Review]]:
        if self._reviews is None and self._reviews_error is None:
            if self.api is None or self.pr_number is None:
                self._reviews_error = "no GitHub token"
            else:
                try:
                    self._reviews = latest_reviews(self.api.reviews(self.pr_number))
                except ApiError as err:
                    self._reviews_error = err.message
        return self._reviews

    def _member(self, org: str, team: str, login: str) -> "bool | str":
        key = (org.lower(), team.lower(), login.lower())
        if key not in self._teams:
            if self.api is None:
                self._teams[key] = "no GitHub token"
            else:
                try:
                    self._teams[key] = self.api.team_member(org, team, login)
                except ApiError as err:
                    if err.status in (403, 404):
                        self._teams[key] = (f"cannot read membership of @{org}/{team} (HTTP {err.status}): "
                                            f"{TEAM_TOKEN_HINT}")
                    else:
                        self._teams[key] = f"cannot read membership of @{org}/{team}: {err.message}"
        return self._teams[key]

    def _is_base_approver(self, approver: str) -> "bool | str":
        """True, False, or a message when membership of an approvers team could not be read."""
        assert self.base_config is not None
        listed = [_norm(a) for a in self.base_config.approvers]
        name = _norm(approver)
        if name in listed:
            return True
        if "/" in name:
            return False
        problems = []
        for entry in listed:
            if "/" not in entry:
                continue
            org, team = entry.split("/", 1)
            member = self._member(org, team, name)
            if member is True:
                return True
            if isinstance(member, str):
                problems.append(member)
        if problems:
            return f"{approver} is not listed in `approvers` and team membership could not be checked: {problems[0]}"
        return False

    def _team_approval(self, approver: str, reviews: dict[str, Review]) -> tuple[ApprovalState, str]:
        org, team = _norm(approver).split("/", 1)
        candidates = sorted(login for login, r in reviews.items()
                            if r.state == "APPROVED" and r.commit_id == self.head_sha
                            and login != _norm(self.author))
        problems = []
        for login in candidates:
            member = self._member(org, team, login)
            if member is True:
                return ApprovalState.APPROVED, f"approved by @{login} (member of {approver}) on {self.head_sha[:7]}"
            if isinstance(member, str):
                problems.append(member)
        if problems:
            return ApprovalState.PENDING, problems[0]
        return ApprovalState.PENDING, (f"needs an approving review on the current head {self.head_sha[:7]} from a "
                                       f"member of {approver} other than the author")


_STRICTNESS = {Level.OFF: 0, Level.ADVISORY: 1, Level.REQUIRED: 2}


def policy_weakenings(base: Config, head: Config) -> list[str]:
    """How the PR's readiness.yml changes the base branch's policy, one sentence each.

    Covered: a check's ``level`` lowered (required -> advisory -> off), ``exclude`` patterns
    added, ``limits.max-file-size`` lowered (more files skipped), any change to a check's
    options, and the diff-mode policy for pre-existing findings changed. Options are compared
    as a whole rather than judged stricter or weaker: ``osv-url`` pointed at a server the PR
    controls, an advisory added to ``ignore``, ``inline-allowlist: true`` or a shorter
    ``timeout`` all weaken the gate in ways no rule can rank, so every option change waits for a
    lead like a deferral does (``docs/threats.md`` row 12).
    """
    out = []
    for cid, settings in head.checks.items():
        was = base.settings(cid).level
        if _STRICTNESS[settings.level] < _STRICTNESS[was]:
            out.append(f"`{cid}` lowered from {was.value} to {settings.level.value}")
    for cid, settings in head.checks.items():
        before = base.settings(cid).options
        changed = sorted(k for k in set(settings.options) | set(before) if settings.options.get(k) != before.get(k))
        if changed:
            out.append(f"`{cid}` options changed: {', '.join(changed[:5])}{' …' if len(changed) > 5 else ''}")
    added = [p for p in head.exclude if p not in base.exclude]
    if added:
        out.append(f"exclude patterns added: {', '.join(added[:5])}{' …' if len(added) > 5 else ''}")
    if head.max_file_size < base.max_file_size:
        out.append(f"max-file-size lowered from {base.max_file_size} to {head.max_file_size}")
    if head.diff_pre_existing != base.diff_pre_existing:
        out.append(f"diff.pre-existing changed from {base.diff_pre_existing} to {head.diff_pre_existing}")
    return out


def with_base_policy(head: Config, base: Config) -> Config:
    """``head`` with the base branch's policy: stricter levels, every check's options, the
    exclude list, the file-size limit and the diff-mode policy.

    Evidence, failures and deferrals stay as the PR has them (deferrals are verified one by one).
    """
    checks = {}
    for cid, s in head.checks.items():
        b = base.settings(cid)
        level = b.level if _STRICTNESS[s.level] < _STRICTNESS[b.level] else s.level
        checks[cid] = CheckSettings(level, b.options)
    return dataclasses.replace(head, checks=MappingProxyType(checks), exclude=base.exclude,
                               max_file_size=max(head.max_file_size, base.max_file_size),
                               diff_pre_existing=base.diff_pre_existing)


def load_base_config(api: GitHubApi, config_path: str, base_sha: str) -> tuple[Optional[Config], Optional[str]]:
    """readiness.yml as it is on the base commit: ``(config, None)`` or ``(None, why not)``."""
    try:
        text = api.file_text(config_path, base_sha)
    except ApiError as err:
        return None, f"could not read {config_path} on the base branch ({err.message})"
    if text is None:
        return None, f"the base branch has no {config_path}"
    try:
        return load_config_text(text, f"{config_path}@{base_sha[:7]}"), None
    except ConfigError as exc:
        first = exc.problems[0] if exc.problems else exc
        return None, f"{config_path} on the base branch is invalid ({first})"


def for_pull_request(api: Optional[GitHubApi], *, number: int, head_sha: str, base_sha: str, author: str,
                     config_path: str) -> ApprovalVerifier:
    """The verifier for a pull request (reads the base configuration now)."""
    if api is None:
        return ApprovalVerifier(None, head_sha, author, number, None,
                                base_problem="no GitHub token to read the base branch")
    if not base_sha:
        return ApprovalVerifier(api, head_sha, author, number, None,
                                base_problem="the event does not name the base commit")
    return ApprovalVerifier(api, head_sha, author, number, None,
                            base_loader=lambda: load_base_config(api, config_path, base_sha))


def for_push(*, on_default_branch: bool) -> ApprovalFn:
    """The verifier for non-PR runs: trusted on the default branch, pending elsewhere."""
    if on_default_branch:
        return ApprovalVerifier(None, "", "", None, None, trusted_all=True)
    return ApprovalVerifier(None, "", "", None, None, untrusted_reason=(
        "not on the default branch and not in a pull request, so the approval cannot be verified; "
        "open a pull request and have the approver review it"))
