"""All GitHub REST API I/O of readiness-gate: the only module that imports PyGithub.

``docs/architecture.md`` ("Our shape"): publishers read the report and talk to GitHub through this
one module, so timeouts, retries, error mapping and redaction live in one place.

Reliability rules (``docs/threats.md`` row 10; GitHub docs, "Rate limits for the REST API" and
"Best practices for using the REST API": handle rate limit errors appropriately):

* **Base URL** from ``GITHUB_API_URL`` (GitHub Enterprise Server is ``https://HOST/api/v3``).
* **Timeout** on every request (:attr:`RetryPolicy.timeout`, seconds; PyGithub passes it to
  ``requests`` as connect and read timeout).
* **One retry loop, ours** (:meth:`GitHubApi.call`, :meth:`GitHubApi.call_write`): PyGithub's
  own retries are off (its ``GithubRetry`` retries 403 and 5xx but not 429, and caps waits).
  Retried: transport errors, 5xx, and rate limits (429, or a 403 that GitHub marks as a rate
  limit). The wait is what GitHub asks for and **never shorter**: ``Retry-After`` when present;
  else, when ``x-ratelimit-remaining`` is ``0``, until ``x-ratelimit-reset``; else at least
  :attr:`RetryPolicy.secondary_wait` for a secondary rate limit; exponential backoff for 5xx and
  transport errors. A wait that does not fit the run's remaining :attr:`RetryPolicy.budget` is
  not taken: the call fails with :class:`ApiError` at once (the caller reports ``error``),
  instead of retrying early.
* **POST is never repeated blindly**: a create that reached GitHub but whose answer was lost
  would post twice (a duplicate comment or check run). :meth:`GitHubApi.call_write` retries
  with the same waits but lets the caller look for the object before creating again
  (``gate.github.comment`` looks for its marker; check runs carry an ``external_id``).
* **One URL encoding**: paths go to PyGithub as they are (it quotes them once); quoting them
  here too would ask for ``my%2520dir`` when the file is in ``my dir``.

Errors: every failure is raised as :class:`ApiError` with the HTTP status (None for transport
errors) and a redacted message; callers decide (403 on a write means a read-only token: fork
mode).
"""

from __future__ import annotations

import base64
import time
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Optional, Sequence, TypeVar

import requests
from github import Auth, Github, GithubException
from github.GithubObject import NotSet

from gate.redact import redact

T = TypeVar("T")

DEFAULT_API_URL = "https://api.github.com"

USER_AGENT = "readiness-gate"

PULL_FILES_LIMIT = 3_000
"""GitHub lists at most 3,000 files of a pull request ("List pull requests files")."""

MAX_LIST_ITEMS = 5_000
"""Most items read from one paginated list (comments, reviews, files). A PR with more than
5,000 comments is not a case worth unbounded API calls; the comment search says so when hit."""


@dataclass(frozen=True)
class RetryPolicy:
    """Bounds on time spent talking to GitHub.

    Defaults suit a CI job: a request times out after 20 s; at most 5 attempts per call;
    exponential backoff of 1, 2, 4, 8 s for 5xx and transport errors; at least 60 s after a
    secondary rate limit without ``Retry-After`` (GitHub's guidance: "wait for at least one
    minute"); at most 900 s of waiting in one run (:attr:`budget`).
    """

    timeout: float = 20.0
    """Seconds per HTTP request (connect and read)."""
    attempts: int = 5
    """Total tries per call (1 = no retry)."""
    backoff: float = 1.0
    """First backoff in seconds for 5xx and transport errors (doubled on each retry)."""
    secondary_wait: float = 60.0
    """Seconds to wait after a secondary rate limit answer without ``Retry-After``."""
    budget: float = 900.0
    """Seconds of waiting one :class:`GitHubApi` may spend in total. A wait GitHub asks for
    that does not fit what is left fails the call at once: never an early retry."""
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
        reset_at: ``x-ratelimit-reset`` (Unix seconds) when ``x-ratelimit-remaining`` was 0.
        final: never worth retrying whatever the status (a file over the size limit).
    """

    def __init__(self, status: Optional[int], message: str, *, retry_after: Optional[float] = None,
                 reset_at: Optional[float] = None, final: bool = False) -> None:
        self.status = status
        self.final = final
        self.message = redact(message)[:500]
        self.retry_after = retry_after
        self.reset_at = reset_at
        super().__init__(f"GitHub API error {status if status is not None else '(no response)'}: {self.message}")

    @property
    def rate_limited(self) -> bool:
        """429, or a 403 that GitHub marks as a rate limit (``Retry-After``, no requests
        remaining, or "rate limit" in the message)."""
        if self.status == 429:
            return True
        return self.status == 403 and (self.retry_after is not None or self.reset_at is not None
                                       or "rate limit" in self.message.lower())

    @property
    def forbidden(self) -> bool:
        """403 that is not a rate limit: the token lacks the permission (e.g. a fork PR's token)."""
        return self.status == 403 and not self.rate_limited

    @property
    def not_found(self) -> bool:
        return self.status == 404

    @property
    def transient(self) -> bool:
        """Worth retrying: transport error, 5xx or rate limit (never a :attr:`final` one)."""
        return not self.final and (self.status is None or self.status >= 500 or self.rate_limited)


def _header_float(headers: dict[str, str], name: str) -> Optional[float]:
    try:
        return float(headers[name]) if name in headers else None
    except ValueError:
        return None


def _wrap(exc: BaseException) -> ApiError:
    """Map PyGithub / requests exceptions onto :class:`ApiError`."""
    if isinstance(exc, ApiError):
        return exc
    if isinstance(exc, GithubException):
        data = exc.data
        msg = data.get("message") if isinstance(data, dict) else str(data or "")
        lowered = {k.lower(): v for k, v in (exc.headers or {}).items()}
        retry_after = _header_float(lowered, "retry-after")
        reset_at = (_header_float(lowered, "x-ratelimit-reset")
                    if exc.status in (403, 429) and lowered.get("x-ratelimit-remaining") == "0" else None)
        if reset_at is not None:
            msg = f"rate limit exceeded: {msg or type(exc).__name__}"
        return ApiError(exc.status, str(msg or type(exc).__name__), retry_after=retry_after, reset_at=reset_at)
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
    """What the gate needs of a pull request (``changed_files``: GitHub's own count of the files
    it changes, which the file list is checked against)."""

    number: int
    head_sha: str
    base_sha: str
    author: str
    head_repo: str
    base_repo: str
    head_ref: str
    base_ref: str = ""
    changed_files: Optional[int] = None


@dataclass(frozen=True)
class TreeEntry:
    """One entry of a git tree listing: mode (``100644``, ``120000``...), type (``blob``,
    ``tree``, ``commit``) and object id."""

    mode: str
    type: str
    sha: str


class GitHubApi:
    """A GitHub REST client for one repository.

    Args:
        token: API token (``GITHUB_TOKEN`` or a PAT / app token).
        repo: ``owner/name``.
        base_url: API root (``GITHUB_API_URL``), default ``https://api.github.com``.
        policy: timeouts and retry bounds.
        sleep: how to wait between retries (tests may pass one that records the waits).

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
        self._waited = 0.0
        self._gh = Github(
            auth=Auth.Token(token),
            base_url=(base_url or DEFAULT_API_URL).rstrip("/"),
            timeout=int(policy.timeout) if policy.timeout >= 1 else 1,
            retry=None,  # our own loop: see the module docstring
            user_agent=USER_AGENT,
            per_page=100,
            seconds_between_requests=policy.seconds_between_requests or None,
            seconds_between_writes=policy.seconds_between_writes or None,
            lazy=True,
        )
        self._repo = self._gh.get_repo(repo)

    # ------------------------------------------------------------------ plumbing

    def call(self, fn: Callable[[], T]) -> T:
        """Run one read (or idempotent write, such as a PATCH) with the retry rules of the
        module docstring; ``fn`` is run again from the start on a retry.

        Raises:
            ApiError: the call failed, or GitHub asked for a wait the budget cannot cover.
        """
        return self.call_write(fn)

    def call_write(self, fn: Callable[[], T], *, before_retry: Optional[Callable[[], Optional[T]]] = None) -> T:
        """Run ``fn`` with the retry rules of the module docstring.

        For a non-idempotent write (a POST), ``before_retry`` runs before every repeat; when it
        returns a value (the object the failed attempt may have created after all), that value
        is returned instead of writing again.

        Raises:
            ApiError: the last failure, a non-transient one (403 forbidden, 404, 422), or a wait
                GitHub asked for that the remaining :attr:`RetryPolicy.budget` cannot cover.
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
                self._wait(err, attempt)
                if before_retry is not None:
                    found = self.call(before_retry)
                    if found is not None:
                        return found

    def wait_for(self, err: ApiError, attempt: int, now: Optional[float] = None) -> float:
        """Seconds to wait before retrying after ``err`` (the ``attempt``-th failure).

        ``Retry-After`` first, then ``x-ratelimit-reset`` (plus one second, as the reset is a
        whole second), then :attr:`RetryPolicy.secondary_wait` for other rate limits, then
        exponential backoff; a transport error also waits at least one request timeout, so a
        create still in flight on GitHub's side lands before it is looked for.
        """
        if err.retry_after is not None:
            return max(0.0, err.retry_after)
        if err.reset_at is not None:
            return max(0.0, err.reset_at - (time.time() if now is None else now) + 1.0)
        if err.rate_limited:
            return self.policy.secondary_wait
        backoff = self.policy.backoff * (2 ** (attempt - 1))
        return max(self.policy.timeout, backoff) if err.status is None else backoff

    def _wait(self, err: ApiError, attempt: int) -> None:
        wait = self.wait_for(err, attempt)
        left = self.policy.budget - self._waited
        if wait > left:
            raise ApiError(err.status, f"{err.message} (GitHub asks to wait {wait:.0f} s before retrying; "
                                       f"the run's remaining wait budget is {max(left, 0):.0f} s, so it "
                                       "stops here instead of retrying early)",
                           retry_after=err.retry_after, reset_at=err.reset_at) from None
        self._waited += wait
        self._sleep(wait)

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

    def delete_comment(self, comment_id: int) -> None:
        """Delete comment ``comment_id`` (a 404 means it is gone already)."""
        def delete() -> None:
            try:
                self._gh.requester.requestJsonAndCheck(
                    "DELETE", f"{self._repo.url}/issues/comments/{int(comment_id)}")
            except GithubException as exc:
                if exc.status != 404:
                    raise
        self.call(delete)

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
        """Paths changed by PR ``number``, as GitHub lists them: at most 3,000 (GitHub docs, "List
        pull requests files"), so compare the count with :attr:`PullInfo.changed_files`. A
        renamed file is listed under its new name and its ``previous_filename``."""
        def read() -> list[str]:
            out: list[str] = []
            for f in self._list(self._repo.get_pull(number).get_files(), PULL_FILES_LIMIT):
                out.append(f.filename)
                previous = f.raw_data.get("previous_filename") if isinstance(f.raw_data, dict) else None
                if isinstance(previous, str) and previous:
                    out.append(previous)
            return out
        return self.call(read)

    def queue_refs(self, base_branch: str) -> list[tuple[str, str]]:
        """``(ref, commit)`` of every merge-queue branch for ``base_branch``
        (``refs/heads/gh-readonly-queue/<base>/pr-<N>-<sha>``, GitHub docs, "Managing a merge
        queue"), through ``GET /git/matching-refs``."""
        def read() -> list[tuple[str, str]]:
            prefix = f"heads/gh-readonly-queue/{base_branch}/"
            headers, data = self._gh.requester.requestJsonAndCheck(
                "GET", f"{self._repo.url}/git/matching-refs/{prefix}")
            out = []
            for item in data if isinstance(data, list) else []:
                ref = item.get("ref") if isinstance(item, dict) else None
                obj = item.get("object") if isinstance(item, dict) else None
                sha = obj.get("sha") if isinstance(obj, dict) else None
                if isinstance(ref, str) and isinstance(sha, str):
                    out.append((ref, sha))
            return out[:MAX_LIST_ITEMS]
        return self.call(read)

    # ------------------------------------------------------------------ contents and teams

    def file_bytes(self, path: str, ref: str, *, max_bytes: int = 256 * 1024) -> Optional[bytes]:
        """Raw bytes of the file ``path`` at ``ref``, or None when GitHub answers 404 (or the path
        is a directory, a symlink or a submodule there: not a file).

        Only a genuine 404 means "absent": every other failure raises, so a caller never takes
        an unreadable file for a missing one. Files over 1 MB, which the contents API sends
        without content, are read through the blob API.

        Raises:
            ApiError: any other failure, or the file is larger than ``max_bytes`` (status None).
        """
        def read() -> Optional[bytes]:
            try:
                content = self._repo.get_contents(path, ref=ref)  # PyGithub quotes the path once
            except GithubException as exc:
                if exc.status == 404:
                    return None
                raise
            if isinstance(content, list) or content.type != "file":
                return None
            if (content.size or 0) > max_bytes:
                raise ApiError(None, f"{path} at {ref[:12]} is larger than {max_bytes} bytes", final=True)
            raw = content.raw_data if isinstance(content.raw_data, dict) else {}
            if raw.get("encoding") == "base64" and raw.get("content") is not None:
                data = base64.b64decode(raw["content"])
            else:
                blob = self._repo.get_git_blob(content.sha)
                data = base64.b64decode(blob.content or "") if blob.encoding == "base64" else (blob.content or "").encode()
            if len(data) != (content.size or 0) or len(data) > max_bytes:
                raise ApiError(None, f"{path} at {ref[:12]}: GitHub sent {len(data)} of {content.size} bytes")
            return data
        return self.call(read)

    def file_text(self, path: str, ref: str, *, max_bytes: int = 256 * 1024) -> Optional[str]:
        """Text of ``path`` at ``ref`` (:meth:`file_bytes` decoded as UTF-8), or None when absent.

        Raises:
            ApiError: see :meth:`file_bytes`; also when the file is not UTF-8 (status None).
        """
        data = self.file_bytes(path, ref, max_bytes=max_bytes)
        if data is None:
            return None
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            raise ApiError(None, f"{path} at {ref[:12]} is not valid UTF-8") from None

    def tree(self, ref: str) -> tuple[dict[str, TreeEntry], bool]:
        """Every entry of the commit ``ref``'s tree, recursively (``GET /git/trees/{ref}?recursive=1``):
        ``({path: entry}, truncated)``. GitHub truncates the listing past 100,000 entries or 7 MB
        (``truncated: true``); callers treat a truncated listing as unreadable."""
        def read() -> tuple[dict[str, TreeEntry], bool]:
            headers, data = self._gh.requester.requestJsonAndCheck(
                "GET", f"{self._repo.url}/git/trees/{ref}", parameters={"recursive": "1"})
            entries = {}
            for item in (data or {}).get("tree") or []:
                if isinstance(item, dict) and isinstance(item.get("path"), str):
                    entries[item["path"]] = TreeEntry(str(item.get("mode", "")), str(item.get("type", "")),
                                                      str(item.get("sha", "")))
            return entries, bool((data or {}).get("truncated"))
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
    raw = p.raw_data if isinstance(p.raw_data, dict) else {}
    changed = raw.get("changed_files")
    return PullInfo(
        number=p.number, head_sha=p.head.sha, base_sha=p.base.sha,
        author=p.user.login if p.user else "",
        head_repo=p.head.repo.full_name if p.head.repo else "",
        base_repo=p.base.repo.full_name if p.base.repo else "",
        head_ref=p.head.ref or "", base_ref=p.base.ref or "",
        changed_files=changed if isinstance(changed, int) else None)
