"""All GitHub REST API I/O of readiness-gate: the only module that imports PyGithub.

``docs/architecture.md`` ("Our shape"): publishers read the report and talk to GitHub through this
one module, so timeouts, retries, error mapping and redaction live in one place.

Reliability rules (``docs/threats.md`` row 10):

* **Base URL** from ``GITHUB_API_URL`` (GitHub Enterprise Server is ``https://HOST/api/v3``).
* **Timeout** on every request (:attr:`RetryPolicy.timeout`, seconds; PyGithub passes it to
  ``requests`` as connect and read timeout).
* **Retries** through PyGithub's :class:`github.GithubRetry` (urllib3 ``Retry``): 5xx, and 403
  only when it is a rate limit; ``Retry-After`` is honoured, then ``x-ratelimit-reset`` for the
  primary limit, else the secondary-limit wait; every wait is capped by
  :attr:`RetryPolicy.max_wait` and the number of attempts by :attr:`RetryPolicy.attempts`.
* **POST is never retried by the HTTP layer**: ``GithubRetry`` retries POST by default, and a
  create that reached GitHub but whose answer was lost would then post twice (a duplicate
  comment or check run). Creates go through :meth:`GitHubApi.call_write` instead, which
  retries with the same waits but lets the caller look for the object before creating again
  (``gate.github.comment`` looks for its marker; check runs carry an ``external_id``).

Errors: every failure is raised as :class:`ApiError` with the HTTP status (None for transport
errors) and a redacted message; callers decide (403 on a write means a read-only token: fork
mode).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Optional, Sequence, TypeVar
from urllib.parse import quote

import requests
from github import Auth, Github, GithubException, GithubRetry
from github.GithubObject import NotSet

from gate.redact import redact

T = TypeVar("T")

DEFAULT_API_URL = "https://api.github.com"

USER_AGENT = "readiness-gate"

MAX_LIST_ITEMS = 5_000
"""Most items read from one paginated list (comments, reviews, files). A PR with more than
5,000 comments is not a case worth unbounded API calls; the comment search says so when hit."""


@dataclass(frozen=True)
class RetryPolicy:
    """Bounds on time spent talking to GitHub.

    Defaults suit a CI job: a request times out after 20 s; at most 4 attempts; waits follow
    ``Retry-After`` / ``x-ratelimit-reset`` but never exceed 120 s each; exponential backoff of
    1, 2, 4 s otherwise (GitHub's guidance for secondary rate limits is to wait at least a minute
    when no header says otherwise: :attr:`secondary_wait`).
    """

    timeout: float = 20.0
    """Seconds per HTTP request (connect and read)."""
    attempts: int = 4
    """Total tries per request (1 = no retry)."""
    backoff: float = 1.0
    """Exponential backoff factor in seconds (urllib3 ``backoff_factor``)."""
    secondary_wait: float = 60.0
    """Seconds to wait after a secondary rate limit answer without ``Retry-After``."""
    max_wait: float = 120.0
    """Longest single wait, seconds; a longer ``Retry-After`` or reset is shortened to this."""
    seconds_between_requests: float = 0.25
    """PyGithub's pacing between requests (its default)."""
    seconds_between_writes: float = 1.0
    """PyGithub's pacing between writes (its default; GitHub asks for >= 1 s between writes)."""


class ApiError(Exception):
    """A GitHub API call failed after retries.

    Attributes:
        status: HTTP status, or None for a transport error (timeout, connection refused).
        message: redacted message from GitHub or the transport.
        retry_after: seconds GitHub asked us to wait (``Retry-After``), if any.
    """

    def __init__(self, status: Optional[int], message: str, *, retry_after: Optional[float] = None) -> None:
        self.status = status
        self.message = redact(message)[:500]
        self.retry_after = retry_after
        super().__init__(f"GitHub API error {status if status is not None else '(no response)'}: {self.message}")

    @property
    def rate_limited(self) -> bool:
        """403/429 that GitHub marks as a rate limit."""
        text = self.message.lower()
        return self.status in (403, 429) and (self.retry_after is not None or "rate limit" in text)

    @property
    def forbidden(self) -> bool:
        """403 that is not a rate limit: the token lacks the permission (e.g. a fork PR's token)."""
        return self.status == 403 and not self.rate_limited

    @property
    def not_found(self) -> bool:
        return self.status == 404

    @property
    def transient(self) -> bool:
        """Worth retrying: transport error, 5xx or rate limit."""
        return self.status is None or self.status >= 500 or self.rate_limited


class _BoundedRetry(GithubRetry):
    """``GithubRetry`` whose ``Retry-After`` waits are capped (a header may say hours)."""

    def __init__(self, max_wait: float = 120.0, **kwargs: Any) -> None:
        self.max_wait = max_wait
        kwargs.setdefault("max_rate_limit_wait", max_wait)
        super().__init__(**kwargs)

    def new(self, **kw: Any) -> "_BoundedRetry":
        kw["max_wait"] = self.max_wait
        return super().new(**kw)  # GithubRetry.new adds max_rate_limit_wait back

    def get_retry_after(self, response: Any) -> Optional[float]:  # type: ignore[override]
        value = super().get_retry_after(response)
        return None if value is None else min(value, self.max_wait)


def _wrap(exc: BaseException) -> ApiError:
    """Map PyGithub / requests exceptions onto :class:`ApiError`."""
    if isinstance(exc, ApiError):
        return exc
    if isinstance(exc, GithubException):
        data = exc.data
        msg = data.get("message") if isinstance(data, dict) else str(data or "")
        headers = exc.headers or {}
        retry_after = None
        lowered = {k.lower(): v for k, v in headers.items()}
        ra = lowered.get("retry-after")
        if ra is not None:
            try:
                retry_after = float(ra)
            except ValueError:
                retry_after = None
        if exc.status in (403, 429) and not msg and retry_after is None:
            # PyGithub's GithubRetry reads a 403's body to decide whether it is a rate limit and
            # retries only those; when its retries run out the body is gone (data is None). A
            # permission 403 ("Resource not accessible by integration") is never retried, so
            # its message survives: a bodiless 403 is an exhausted rate limit, not a read-only
            # token, and must fail the publication rather than be skipped like a fork's 403.
            msg = "rate limit: retries exhausted"
        elif exc.status in (403, 429) and lowered.get("x-ratelimit-remaining") == "0":
            msg = f"rate limit exceeded: {msg or type(exc).__name__}"
        return ApiError(exc.status, str(msg or type(exc).__name__), retry_after=retry_after)
    if isinstance(exc, requests.exceptions.RetryError):
        return ApiError(502, f"gave up after retries: {exc}")
    if isinstance(exc, requests.exceptions.RequestException):
        return ApiError(None, f"{type(exc).__name__}: {exc}")
    return ApiError(None, f"{type(exc).__name__}: {exc}")


_API_EXCEPTIONS = (GithubException, requests.exceptions.RequestException, ApiError)


@dataclass(frozen=True)
class Comment:
    """An issue/PR comment: id, body, author login and type (``User`` or ``Bot``), web URL."""

    id: int
    body: str
    author: str
    author_type: str
    html_url: str


@dataclass(frozen=True)
class Review:
    """A PR review: reviewer login, state (``APPROVED``...), the commit it was made on, when."""

    login: str
    state: str
    commit_id: str
    submitted_at: str


@dataclass(frozen=True)
class PullInfo:
    """What the gate needs of a pull request."""

    number: int
    head_sha: str
    base_sha: str
    author: str
    head_repo: str
    base_repo: str
    head_ref: str


class GitHubApi:
    """A GitHub REST client for one repository.

    Args:
        token: API token (``GITHUB_TOKEN`` or a PAT / app token).
        repo: ``owner/name``.
        base_url: API root (``GITHUB_API_URL``), default ``https://api.github.com``.
        policy: timeouts and retry bounds.
        sleep: how to wait between write retries (tests may pass a faster one).

    Raises:
        ValueError: ``repo`` is not ``owner/name`` or the token is empty.
    """

    def __init__(self, token: str, repo: str, *, base_url: Optional[str] = None,
                 policy: RetryPolicy = RetryPolicy(), sleep: Callable[[float], None] = time.sleep) -> None:
        if not token:
            raise ValueError("no GitHub token (set the action's `token` input)")
        if repo.count("/") != 1 or not all(repo.split("/")):
            raise ValueError(f"not an owner/name repository: {repo!r}")
        self.repo_name = repo
        self._token = token
        self.policy = policy
        self._sleep = sleep
        retry = _BoundedRetry(
            max_wait=policy.max_wait,
            total=max(0, policy.attempts - 1),
            backoff_factor=policy.backoff,
            backoff_max=policy.max_wait,
            secondary_rate_wait=policy.secondary_wait,
            # No POST: see the module docstring. PATCH (edit comment, update check run) is
            # idempotent, so the HTTP layer may repeat it.
            allowed_methods=frozenset({"GET", "HEAD", "PUT", "PATCH", "DELETE", "OPTIONS"}),
            # Return the last response instead of raising urllib3's MaxRetryError, so PyGithub
            # raises a GithubException carrying the real status.
            raise_on_status=False,
        )
        self._gh = Github(
            auth=Auth.Token(token),
            base_url=(base_url or DEFAULT_API_URL).rstrip("/"),
            timeout=int(policy.timeout) if policy.timeout >= 1 else 1,
            retry=retry,
            user_agent=USER_AGENT,
            per_page=100,
            seconds_between_requests=policy.seconds_between_requests or None,
            seconds_between_writes=policy.seconds_between_writes or None,
            lazy=True,
        )
        self._repo = self._gh.get_repo(repo)

    # ------------------------------------------------------------------ plumbing

    def call(self, fn: Callable[[], T]) -> T:
        """Run one read (or idempotent write) whose retries the HTTP layer already did.

        Raises:
            ApiError: the call failed.
        """
        try:
            return fn()
        except _API_EXCEPTIONS as exc:
            raise _wrap(exc) from None

    def call_write(self, fn: Callable[[], T], *, before_retry: Optional[Callable[[], Optional[T]]] = None) -> T:
        """Run a non-idempotent write (a POST) with our own bounded, duplicate-safe retry.

        ``before_retry`` runs before every repeat; when it returns a value (the object the
        failed attempt may have created after all), that value is returned instead of writing
        again. Only transient failures (transport, 5xx, rate limit) are retried; waits honour
        ``Retry-After``, capped by :attr:`RetryPolicy.max_wait`.

        Raises:
            ApiError: the last failure, or a non-transient one (403 forbidden, 404, 422).
        """
        attempt = 0
        while True:
            attempt += 1
            try:
                return fn()
            except _API_EXCEPTIONS as exc:
                err = _wrap(exc)
                if not err.transient or attempt >= max(1, self.policy.attempts):
                    raise err from None
                if err.retry_after is not None:
                    wait = err.retry_after
                elif err.rate_limited:
                    wait = self.policy.secondary_wait
                elif err.status is None:
                    # A timed-out create may still be in flight on GitHub's side: give it one
                    # more timeout to land before looking for it, so the look finds it.
                    wait = max(self.policy.timeout, self.policy.backoff * (2 ** (attempt - 1)))
                else:
                    wait = self.policy.backoff * (2 ** (attempt - 1))
                self._sleep(min(max(wait, 0.0), self.policy.max_wait))
                if before_retry is not None:
                    found = self.call(before_retry)
                    if found is not None:
                        return found

    def _list(self, paginated: Iterable[Any], limit: int = MAX_LIST_ITEMS) -> list[Any]:
        out = []
        for item in paginated:
            out.append(item)
            if len(out) >= limit:
                break
        return out

    # ------------------------------------------------------------------ identity

    def identity(self) -> Optional[str]:
        """Login of the token's user (``GET /user``), or None when the token cannot read it.

        The Actions ``GITHUB_TOKEN`` is an installation token: ``GET /user`` answers 403
        ``Resource not accessible by integration``. Its comments are authored by
        ``github-actions[bot]`` (type ``Bot``), which callers then assume.

        Tokens with GitHub's installation-token prefix ``ghs_`` (GitHub docs, "About
        authentication with a GitHub App": token prefixes) are not asked at all.

        Raises:
            ApiError: any other failure (401 bad credentials, 5xx after retries).
        """
        if self._token.startswith("ghs_"):
            return None
        try:
            return self.call(lambda: self._gh.get_user().login)
        except ApiError as err:
            if err.status in (403, 404):
                return None
            raise

    # ------------------------------------------------------------------ comments

    def list_comments(self, number: int) -> list[Comment]:
        """Comments of issue/PR ``number``, oldest first (at most :data:`MAX_LIST_ITEMS`)."""
        def read() -> list[Comment]:
            items = self._list(self._repo.get_issue(number).get_comments())
            return [Comment(c.id, c.body or "", c.user.login if c.user else "",
                            c.user.type if c.user else "", c.html_url or "") for c in items]
        return self.call(read)

    def create_comment(self, number: int, body: str,
                       before_retry: Optional[Callable[[], Optional[Comment]]] = None) -> Comment:
        """Create a comment on ``number``; see :meth:`call_write` for ``before_retry``."""
        def create() -> Comment:
            c = self._repo.get_issue(number).create_comment(body)
            return Comment(c.id, c.body or "", c.user.login if c.user else "", c.user.type if c.user else "",
                           c.html_url or "")
        return self.call_write(create, before_retry=before_retry)

    def edit_comment(self, number: int, comment_id: int, body: str) -> Comment:
        """Replace the body of comment ``comment_id`` (PATCH: idempotent, retried by HTTP)."""
        def edit() -> Comment:
            c = self._repo.get_issue(number).get_comment(comment_id)
            c.edit(body)
            return Comment(c.id, c.body or body, c.user.login if c.user else "", c.user.type if c.user else "",
                           c.html_url or "")
        return self.call(edit)

    # ------------------------------------------------------------------ statuses and checks

    def create_status(self, sha: str, state: str, context: str, description: str,
                      target_url: Optional[str]) -> None:
        """Set a commit status. A repeated create only adds the same state again, so it retries."""
        commit = self._repo.get_commit(sha)
        self.call_write(lambda: commit.create_status(
            state=state, context=context, description=description,
            target_url=target_url if target_url else NotSet))

    def create_check_run(self, *, name: str, head_sha: str, conclusion: str, title: str, summary: str,
                         text: Optional[str], annotations: Sequence[dict[str, Any]],
                         details_url: Optional[str], external_id: str) -> int:
        """Create a completed check run with the first batch of annotations; return its id.

        A retried create first looks for a run with the same ``external_id`` on ``head_sha``.
        """
        output: dict[str, Any] = {"title": title, "summary": summary}
        if text:
            output["text"] = text
        if annotations:
            output["annotations"] = list(annotations)

        def find() -> Optional[int]:
            for run in self._list(self._repo.get_commit(head_sha).get_check_runs(check_name=name), 200):
                if run.external_id == external_id:
                    return run.id
            return None

        def create() -> int:
            run = self._repo.create_check_run(
                name=name, head_sha=head_sha, status="completed", conclusion=conclusion,
                output=output, external_id=external_id,
                **({"details_url": details_url} if details_url else {}))
            return run.id

        return self.call_write(create, before_retry=find)

    def add_check_run_annotations(self, run_id: int, *, title: str, summary: str,
                                  annotations: Sequence[dict[str, Any]]) -> None:
        """Append one batch (<= 50) of annotations to check run ``run_id`` (PATCH)."""
        def update() -> None:
            run = self._repo.get_check_run(run_id)
            run.edit(output={"title": title, "summary": summary, "annotations": list(annotations)})
        self.call(update)

    # ------------------------------------------------------------------ pull requests

    def pull(self, number: int) -> PullInfo:
        """The pull request ``number``."""
        return self.call(lambda: _pull_info(self._repo.get_pull(number)))

    def find_pulls(self, head_label: str) -> list[PullInfo]:
        """Open PRs whose head is ``owner:branch``."""
        return self.call(lambda: [_pull_info(p) for p in
                                  self._list(self._repo.get_pulls(state="open", head=head_label), 100)])

    def reviews(self, number: int) -> list[Review]:
        """Reviews of PR ``number``, in the order GitHub returns them (chronological)."""
        def read() -> list[Review]:
            out = []
            for r in self._list(self._repo.get_pull(number).get_reviews()):
                submitted = r.submitted_at.isoformat() if r.submitted_at else ""
                out.append(Review(r.user.login if r.user else "", r.state or "", r.commit_id or "", submitted))
            return out
        return self.call(read)

    def pull_files(self, number: int) -> list[str]:
        """Paths changed by PR ``number`` (GitHub lists at most 3,000)."""
        return self.call(lambda: [f.filename for f in self._list(self._repo.get_pull(number).get_files(), 3000)])

    # ------------------------------------------------------------------ contents and teams

    def file_text(self, path: str, ref: str, *, max_bytes: int = 256 * 1024) -> Optional[str]:
        """Text of ``path`` at ``ref`` (contents API), or None when it does not exist there.

        Raises:
            ApiError: other failures, or the file is larger than ``max_bytes`` / not UTF-8
                (status None).
        """
        def read() -> Optional[str]:
            try:
                content = self._repo.get_contents(quote(path), ref=ref)
            except GithubException as exc:
                if exc.status == 404:
                    return None
                raise
            if isinstance(content, list):
                return None
            if (content.size or 0) > max_bytes:
                raise ApiError(None, f"{path} at {ref[:12]} is larger than {max_bytes} bytes")
            try:
                return content.decoded_content.decode("utf-8")
            except UnicodeDecodeError:
                raise ApiError(None, f"{path} at {ref[:12]} is not valid UTF-8") from None
        return self.call(read)

    def team_member(self, org: str, team: str, login: str) -> bool:
        """True when ``login`` is an active member of ``org/team``.

        Raises:
            ApiError: 403 (the token cannot read team membership: ``GITHUB_TOKEN`` cannot; a
                token with ``read:org`` / organization *Members: read* is needed), 404 (GitHub
                answers 404 both for non-members and for teams the token may not see, so the
                caller cannot tell them apart), 5xx after retries.
        """
        membership = self.call(lambda: self._gh.get_organization(org).get_team_by_slug(team)
                               .get_team_membership(login))
        return getattr(membership, "state", "") == "active"


def _pull_info(p: Any) -> PullInfo:
    return PullInfo(
        number=p.number, head_sha=p.head.sha, base_sha=p.base.sha,
        author=p.user.login if p.user else "",
        head_repo=p.head.repo.full_name if p.head.repo else "",
        base_repo=p.base.repo.full_name if p.base.repo else "",
        head_ref=p.head.ref or "")
