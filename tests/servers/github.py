"""A loopback fake of the subset of the GitHub REST API that readiness-gate uses.

A real HTTP server (``ThreadingHTTPServer`` on 127.0.0.1, random port) so the code under test
goes through PyGithub, requests and urllib3 exactly as in production: no mocks. Responses are
shaped like GitHub's (``https://docs.github.com/en/rest``): objects carry ``id``, ``url``,
``html_url``, ``user`` with ``login`` and ``type``; lists paginate with a ``Link`` header.

What it enforces, because the gate must cope with it:

* token auth on every request (``Authorization: token|Bearer <token>``), 401 otherwise;
* comment bodies over 65,536 characters answer 422 (GitHub's limit);
* a check run with more than 50 annotations in one request answers 422;
* ``GET /user`` answers 403 ``Resource not accessible by integration`` for tokens registered as
  installation tokens (like the Actions ``GITHUB_TOKEN``);
* ``POST /check-runs`` answers 403 ``You must authenticate via a GitHub App.`` for tokens that are
  not installation tokens (a classic personal access token cannot create check runs);
* ``GET /pulls/{n}/files`` lists at most 3,000 files, as GitHub does; the pull request's
  ``changed_files`` is the true count.

Fault injection (:meth:`FakeGitHub.fault`): ``502`` (before the request is applied),
``502-after`` (the write is applied, then 502: the client cannot know it succeeded),
``retry-after`` (403 + ``Retry-After: 1``), ``secondary`` (403 secondary rate limit message +
``Retry-After``), ``primary`` (403 primary rate limit with ``x-ratelimit-reset``), ``429`` (429 with
``Retry-After: 1``), ``429-bare`` (429 without headers), ``retry-after=N`` (403 secondary rate
limit with ``Retry-After: N``), ``slow``
(sleep past the client's timeout, then answer), ``forbidden`` (403 ``Resource not accessible
by integration``, as a fork PR's read-only token gets on writes).

Every request is recorded in :attr:`FakeGitHub.requests` (method, path, query, JSON body).

Usage::

    with FakeGitHub() as gh:
        gh.add_pull(7, head_sha="a"*40, base_sha="b"*40, author="dev")
        ... GITHUB_API_URL=gh.api_url ...
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from typing import Any, Optional
from urllib.parse import parse_qs, quote, unquote, urlsplit

from gate.osv_mirror import LoopbackHandler  # the project's loopback HTTP conventions

COMMENT_LIMIT = 65_536
"""GitHub's maximum comment body length in characters (422 beyond)."""

CONTENTS_INLINE_LIMIT = 1024 * 1024
"""The contents API sends a file's content inline only up to 1 MB."""

PULL_FILES_LIMIT = 3_000
"""GitHub lists at most 3,000 files of a pull request."""

CHECK_RUN_ANNOTATION_LIMIT = 50
"""GitHub accepts at most 50 annotations per check-run create/update request."""

BOT = {"login": "github-actions[bot]", "id": 41898282, "type": "Bot"}
"""The identity the Actions ``GITHUB_TOKEN`` writes as."""


@dataclass
class Recorded:
    """One request the server received."""

    method: str
    path: str
    query: dict[str, list[str]]
    body: Any
    status: int = 0


@dataclass
class Fault:
    """A fault rule: requests matching ``method`` and ``path`` (regex) get ``kind``, ``times`` times."""

    method: str
    path: str
    kind: str
    times: int = 1
    delay: float = 3.0


@dataclass
class _Token:
    user: dict[str, Any]
    installation: bool = False


@dataclass
class FakeState:
    """Everything the fake knows; tests may read and edit it directly (under ``lock``)."""

    tokens: dict[str, _Token] = field(default_factory=dict)
    comments: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    statuses: list[dict[str, Any]] = field(default_factory=list)
    check_runs: list[dict[str, Any]] = field(default_factory=list)
    contents: dict[tuple[str, str], bytes] = field(default_factory=dict)
    pulls: dict[int, dict[str, Any]] = field(default_factory=dict)
    reviews: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    pull_files: dict[int, list[str]] = field(default_factory=dict)
    refs: dict[str, str] = field(default_factory=dict)
    """``refs/heads/...`` -> commit, for ``GET /git/matching-refs``."""
    trees: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    """commit -> tree entries (``path``, ``mode``, ``type``, ``sha``) for ``GET /git/trees``;
    when absent, the entries are made from :attr:`contents` at that ref."""
    truncated_trees: set[str] = field(default_factory=set)
    """Commits whose tree listing answers ``truncated: true``."""
    teams: dict[tuple[str, str], Any] = field(default_factory=dict)
    """(org, slug) -> set of member logins, or an int HTTP status to answer (403/404)."""
    org_repos: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    """org -> repositories ``GET /orgs/{org}/repos`` lists (other than the one served)."""
    org_files: dict[str, set[str]] = field(default_factory=dict)
    """``owner/name`` -> paths on the default branch the contents API answers 200 for."""
    next_id: int = 1000


class FakeGitHub:
    """The fake server. Use as a context manager; :attr:`api_url` is its base URL.

    Args:
        owner, repo: the repository served (``owner/repo``).
        prefix: URL path prefix, e.g. ``/api/v3`` to look like GitHub Enterprise Server.
        token: a personal-access-style token whose ``GET /user`` answers ``user``.
        installation_token: a token that writes as ``github-actions[bot]`` and gets 403 on
            ``GET /user`` (like ``GITHUB_TOKEN``).
    """

    def __init__(self, owner: str = "octo", repo: str = "app", *, prefix: str = "",
                 token: str = "ghp_test_token", installation_token: str = "ghs_install_token",
                 user: Optional[dict[str, Any]] = None) -> None:
        self.owner, self.repo = owner, repo
        self.prefix = prefix.rstrip("/")
        self.state = FakeState()
        self.lock = threading.RLock()
        self.requests: list[Recorded] = []
        self.faults: list[Fault] = []
        self.token = token
        self.installation_token = installation_token
        self.state.tokens[token] = _Token(user or {"login": "gate-bot", "id": 77, "type": "User"})
        self.state.tokens[installation_token] = _Token(dict(BOT), installation=True)
        self._server: Optional[ThreadingHTTPServer] = None
        self._thread: Optional[threading.Thread] = None

    # ------------------------------------------------------------------ lifecycle

    def __enter__(self) -> "FakeGitHub":
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        """Start serving on 127.0.0.1 on a free port."""
        fake = self

        class Handler(_Handler):
            server_fake = fake

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the server."""
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def host(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def api_url(self) -> str:
        """The API base URL (``GITHUB_API_URL``)."""
        return self.host + self.prefix

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.repo}"

    # ------------------------------------------------------------------ fixtures

    def add_token(self, token: str, login: str, *, installation: bool = False, type_: str = "User") -> None:
        """Register another token acting as ``login``."""
        with self.lock:
            self.state.tokens[token] = _Token({"login": login, "id": abs(hash(login)) % 10**6, "type": type_},
                                              installation)

    def add_pull(self, number: int, *, head_sha: str, base_sha: str, author: str = "dev",
                 head_repo: Optional[str] = None, title: str = "A change", head_ref: str = "feature",
                 base_ref: str = "main") -> dict[str, Any]:
        """Add an open pull request; ``head_repo`` defaults to the base repository."""
        head_repo = head_repo or self.full_name
        pull = {
            "number": number, "state": "open", "title": title,
            "user": {"login": author, "id": 5, "type": "User"},
            "head": {"sha": head_sha, "ref": head_ref, "label": f"{head_repo.split('/')[0]}:{head_ref}",
                     "repo": {"full_name": head_repo, "fork": head_repo != self.full_name}},
            "base": {"sha": base_sha, "ref": base_ref, "label": f"{self.owner}:{base_ref}",
                     "repo": {"full_name": self.full_name, "fork": False}},
        }
        with self.lock:
            self.state.pulls[number] = pull
            self.state.comments.setdefault(number, [])
        return pull

    def add_comment(self, number: int, body: str, login: str, type_: str = "User") -> dict[str, Any]:
        """Add a comment to issue/PR ``number`` as ``login`` (e.g. an attacker's)."""
        with self.lock:
            return self._new_comment(number, body, {"login": login, "id": 9, "type": type_})

    def add_review(self, number: int, login: str, state: str, commit_id: str) -> None:
        """Add a PR review (``APPROVED``, ``CHANGES_REQUESTED``, ``COMMENTED``, ``DISMISSED``)."""
        with self.lock:
            reviews = self.state.reviews.setdefault(number, [])
            self.state.next_id += 1
            reviews.append({"id": self.state.next_id, "user": {"login": login, "id": 3, "type": "User"},
                            "state": state, "commit_id": commit_id, "body": "",
                            "submitted_at": f"2026-11-{10 + len(reviews):02d}T12:00:00Z"})

    def set_ref(self, ref: str, sha: str) -> None:
        """A branch (``refs/heads/...``) pointing at ``sha``, listed by ``GET /git/matching-refs``."""
        with self.lock:
            self.state.refs[ref] = sha

    def set_pull_files(self, number: int, files: list[str]) -> None:
        """The files PR ``number`` changes (``changed_files`` is their count)."""
        with self.lock:
            self.state.pull_files[number] = list(files)

    def set_file(self, path: str, ref: str, content: "str | bytes") -> None:
        """Serve ``path`` at ``ref`` from the contents API."""
        with self.lock:
            self.state.contents[(path, ref)] = content.encode() if isinstance(content, str) else content

    def set_team(self, org: str, slug: str, members: "set[str] | int") -> None:
        """Team members, or an HTTP status (403/404) the membership API answers."""
        with self.lock:
            self.state.teams[(org, slug)] = members

    def add_org_repo(self, org: str, name: str, *, files: "tuple[str, ...]" = (), archived: bool = False,
                     fork: bool = False) -> None:
        """List ``org/name`` in ``GET /orgs/{org}/repos``; its contents API answers 200 for
        ``files`` (paths on the default branch) and 404 for anything else."""
        with self.lock:
            self.state.org_repos.setdefault(org, []).append({
                "id": 3000 + sum(map(len, self.state.org_repos.values())), "name": name,
                "full_name": f"{org}/{name}", "owner": {"login": org, "type": "Organization"},
                "archived": archived, "disabled": False, "fork": fork, "private": True,
                "default_branch": "main", "url": f"{self.api_url}/repos/{org}/{name}"})
            self.state.org_files[f"{org}/{name}"] = set(files)

    def fault(self, method: str, path: str, kind: str, times: int = 1, delay: float = 3.0) -> None:
        """Inject ``kind`` for the next ``times`` requests matching ``method`` and ``path`` (regex)."""
        with self.lock:
            self.faults.append(Fault(method.upper(), path, kind, times, delay))

    def comments(self, number: int) -> list[dict[str, Any]]:
        """Current comments of ``number`` (copies)."""
        with self.lock:
            return [dict(c) for c in self.state.comments.get(number, [])]

    def calls(self, method: str, pattern: str = "") -> list[Recorded]:
        """Recorded requests with ``method`` whose path matches ``pattern`` (regex search)."""
        return [r for r in self.requests if r.method == method and re.search(pattern, r.path)]

    # ------------------------------------------------------------------ helpers

    def _new_comment(self, number: int, body: str, user: dict[str, Any]) -> dict[str, Any]:
        self.state.next_id += 1
        cid = self.state.next_id
        now = dt.datetime(2026, 11, 21, 12, 0, tzinfo=dt.timezone.utc).isoformat().replace("+00:00", "Z")
        comment = {
            "id": cid, "node_id": f"IC_{cid}", "body": body, "user": dict(user),
            "url": f"{self.api_url}/repos/{self.full_name}/issues/comments/{cid}",
            "html_url": f"{self.host}/{self.full_name}/pull/{number}#issuecomment-{cid}",
            "issue_url": f"{self.api_url}/repos/{self.full_name}/issues/{number}",
            "created_at": now, "updated_at": now, "author_association": "MEMBER",
        }
        self.state.comments.setdefault(number, []).append(comment)
        return comment


_NOT_INTEGRATION = {"message": "Resource not accessible by integration",
                    "documentation_url": "https://docs.github.com/rest"}


class _Handler(LoopbackHandler):
    server_fake: FakeGitHub

    # One entry point for every method.
    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_PATCH(self) -> None:
        self._handle("PATCH")

    def do_PUT(self) -> None:
        self._handle("PUT")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    def _send(self, status: int, data: Any = None, headers: Optional[dict[str, str]] = None) -> None:
        body = b"" if data is None else json.dumps(data).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        all_headers = {"X-RateLimit-Limit": "5000", "X-RateLimit-Remaining": "4999",
                       "X-RateLimit-Reset": str(int(time.time()) + 3600), **(headers or {})}
        for k, v in all_headers.items():
            self.send_header(k, v)
        self.end_headers()
        if body:
            try:
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass
        self._recorded.status = status

    def _handle(self, method: str) -> None:
        fake = self.server_fake
        split = urlsplit(self.path)
        path = unquote(split.path)
        query = parse_qs(split.query)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode("utf-8", "replace")
        if fake.prefix and path.startswith(fake.prefix):
            path = path[len(fake.prefix):]
        self._recorded = Recorded(method, path, query, body)
        with fake.lock:
            fake.requests.append(self._recorded)

        auth = self.headers.get("Authorization", "")
        token = auth.split(" ", 1)[1] if " " in auth else ""
        with fake.lock:
            identity = fake.state.tokens.get(token)
        if identity is None:
            self._send(401, {"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"})
            return

        after_fault = None
        with fake.lock:
            for f in fake.faults:
                if f.times > 0 and f.method == method and re.search(f.path, path):
                    f.times -= 1
                    if f.kind == "502-after":
                        after_fault = f
                        break
                    fault = f
                    break
            else:
                fault = None
        if after_fault is None and fault is not None:
            if self._apply_fault(fault):
                return

        try:
            status, data, headers = self._route(method, path, query, body, identity)
        except _HTTPError as exc:
            status, data, headers = exc.status, {"message": exc.message,
                                                 "documentation_url": "https://docs.github.com/rest"}, {}
        if after_fault is not None and status < 400:
            self._send(502, {"message": "Server Error"})
            return
        self._send(status, data, headers)

    def _apply_fault(self, f: Fault) -> bool:
        """Answer according to fault ``f``; False when the request should proceed (``slow``)."""
        if f.kind == "502":
            self._send(502, {"message": "Server Error"})
        elif f.kind == "retry-after":
            self._send(403, {"message": "You have exceeded a secondary rate limit. Please wait a few minutes "
                                        "before you try again."}, {"Retry-After": "1"})
        elif f.kind == "secondary":
            self._send(403, {"message": "You have exceeded a secondary rate limit and have been temporarily "
                                        "blocked from content creation. Please retry your request again later.",
                             "documentation_url": "https://docs.github.com/rest/overview/rate-limits"})
        elif f.kind == "primary":
            self._send(403, {"message": "API rate limit exceeded for installation ID 1."},
                       {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(time.time()) + 1)})
        elif f.kind == "429":
            self._send(429, {"message": "Too Many Requests"}, {"Retry-After": "1"})
        elif f.kind == "429-bare":
            self._send(429, {"message": "Too Many Requests"})
        elif f.kind.startswith("retry-after="):
            self._send(403, {"message": "You have exceeded a secondary rate limit. Please wait a few minutes "
                                        "before you try again."}, {"Retry-After": f.kind.split("=", 1)[1]})
        elif f.kind == "forbidden":
            self._send(403, _NOT_INTEGRATION)
        elif f.kind == "slow":
            time.sleep(f.delay)
            return False
        else:
            raise ValueError(f"unknown fault kind {f.kind!r}")
        return True

    # ------------------------------------------------------------------ routes

    def _route(self, method: str, path: str, query: dict[str, list[str]], body: Any,
               identity: _Token) -> tuple[int, Any, dict[str, str]]:
        fake = self.server_fake
        st = fake.state
        repo_prefix = f"/repos/{fake.full_name}"
        if path == "/user" and method == "GET":
            if identity.installation:
                raise _HTTPError(403, _NOT_INTEGRATION["message"])
            return 200, dict(identity.user), {}
        m = re.fullmatch(r"/orgs/([^/]+)/teams/([^/]+)/memberships/([^/]+)", path)
        if m and method == "GET":
            with fake.lock:
                team = st.teams.get((m.group(1), m.group(2)))
            if isinstance(team, int):
                raise _HTTPError(team, "Not Found" if team == 404 else _NOT_INTEGRATION["message"])
            if team is None or m.group(3) not in team:
                raise _HTTPError(404, "Not Found")
            return 200, {"state": "active", "role": "member",
                         "url": f"{fake.api_url}{path}"}, {}
        m = re.fullmatch(r"/orgs/([^/]+)/repos", path)
        if m and method == "GET":
            with fake.lock:
                items = [dict(r) for r in st.org_repos.get(m.group(1), [])]
            return self._page(items, query)
        m = re.fullmatch(r"/repos/([^/]+/[^/]+)/contents/(.+)", path)
        if m and method == "GET" and m.group(1) in st.org_files:
            if m.group(2) not in st.org_files[m.group(1)]:
                raise _HTTPError(404, "Not Found")
            return 200, {"type": "file", "name": m.group(2).rsplit("/", 1)[-1], "path": m.group(2)}, {}
        if not path.startswith(repo_prefix + "/") and path != repo_prefix:
            raise _HTTPError(404, "Not Found")
        sub = path[len(repo_prefix):]

        if sub == "" and method == "GET":
            return 200, {"full_name": fake.full_name, "name": fake.repo,
                         "owner": {"login": fake.owner}, "url": f"{fake.api_url}{repo_prefix}",
                         "default_branch": "main"}, {}

        m = re.fullmatch(r"/issues/(\d+)/comments", sub)
        if m:
            number = int(m.group(1))
            if method == "GET":
                with fake.lock:
                    items = list(st.comments.get(number, []))
                return self._page(items, query)
            if method == "POST":
                text = (body or {}).get("body", "")
                self._check_body(text)
                with fake.lock:
                    if number not in st.comments and number not in st.pulls:
                        raise _HTTPError(404, "Not Found")
                    return 201, fake._new_comment(number, text, identity.user), {}
        m = re.fullmatch(r"/issues/comments/(\d+)", sub)
        if m:
            cid = int(m.group(1))
            with fake.lock:
                found = next((c for cs in st.comments.values() for c in cs if c["id"] == cid), None)
                if found is None:
                    raise _HTTPError(404, "Not Found")
                if method == "GET":
                    return 200, dict(found), {}
                if method == "DELETE":
                    for cs in st.comments.values():
                        cs[:] = [c for c in cs if c["id"] != cid]
                    return 204, None, {}
                if method == "PATCH":
                    text = (body or {}).get("body", "")
                    self._check_body(text)
                    found["body"] = text
                    found["updated_at"] = "2026-11-21T12:30:00Z"
                    return 200, dict(found), {}
        m = re.fullmatch(r"/statuses/([0-9a-f]{40})", sub)
        if m and method == "POST":
            b = body or {}
            if b.get("state") not in ("error", "failure", "pending", "success"):
                raise _HTTPError(422, "Validation Failed: state")
            if len(b.get("description") or "") > 140:
                raise _HTTPError(422, "Validation Failed: description is too long (maximum is 140 characters)")
            with fake.lock:
                st.next_id += 1
                status = {"id": st.next_id, "sha": m.group(1), "state": b["state"],
                          "context": b.get("context", "default"), "description": b.get("description"),
                          "target_url": b.get("target_url"), "creator": dict(identity.user),
                          "url": f"{fake.api_url}{repo_prefix}/statuses/{m.group(1)}",
                          "created_at": "2026-11-21T12:00:00Z", "updated_at": "2026-11-21T12:00:00Z"}
                st.statuses.append(status)
            return 201, status, {}
        if sub == "/check-runs" and method == "POST":
            if not identity.installation:
                raise _HTTPError(403, "You must authenticate via a GitHub App.")
            b = dict(body or {})
            self._check_annotations(b)
            with fake.lock:
                st.next_id += 1
                run = {"id": st.next_id, "name": b.get("name"), "head_sha": b.get("head_sha"),
                       "status": b.get("status", "queued"), "conclusion": b.get("conclusion"),
                       "output": {**(b.get("output") or {}), "annotations_count":
                                  len((b.get("output") or {}).get("annotations") or [])},
                       "url": f"{fake.api_url}{repo_prefix}/check-runs/{st.next_id}",
                       "html_url": f"{fake.host}/{fake.full_name}/runs/{st.next_id}",
                       "annotations": list((b.get("output") or {}).get("annotations") or []),
                       "details_url": b.get("details_url"), "external_id": b.get("external_id")}
                st.check_runs.append(run)
                return 201, _public_run(run), {}
        m = re.fullmatch(r"/commits/([0-9a-f]{40})/check-runs", sub)
        if m and method == "GET":
            name = (query.get("check_name") or [None])[0]
            with fake.lock:
                runs = [_public_run(r) for r in st.check_runs
                        if r["head_sha"] == m.group(1) and (name is None or r["name"] == name)]
            return 200, {"total_count": len(runs), "check_runs": runs}, {}
        m = re.fullmatch(r"/check-runs/(\d+)", sub)
        if m and method == "GET":
            with fake.lock:
                run = next((r for r in st.check_runs if r["id"] == int(m.group(1))), None)
            if run is None:
                raise _HTTPError(404, "Not Found")
            return 200, _public_run(run), {}
        if m and method == "PATCH":
            b = dict(body or {})
            self._check_annotations(b)
            with fake.lock:
                run = next((r for r in st.check_runs if r["id"] == int(m.group(1))), None)
                if run is None:
                    raise _HTTPError(404, "Not Found")
                for k in ("status", "conclusion", "details_url", "name"):
                    if k in b:
                        run[k] = b[k]
                out = b.get("output") or {}
                run["annotations"].extend(out.get("annotations") or [])
                run["output"] = {**run["output"], **{k: v for k, v in out.items() if k != "annotations"},
                                 "annotations_count": len(run["annotations"])}
                return 200, _public_run(run), {}
        m = re.fullmatch(r"/contents/(.+)", sub)
        if m and method == "GET":
            ref = (query.get("ref") or ["main"])[0]
            with fake.lock:
                data = st.contents.get((m.group(1), ref))
            if data is None:
                raise _HTTPError(404, "Not Found")
            name = m.group(1).rsplit("/", 1)[-1]
            # Over 1 MB GitHub sends no content ("encoding": "none"); the blob API has it.
            large = len(data) > CONTENTS_INLINE_LIMIT
            return 200, {"type": "file", "encoding": "none" if large else "base64", "size": len(data), "name": name,
                         "path": m.group(1), "sha": git_blob_sha(data),
                         "content": "" if large else base64.encodebytes(data).decode(),
                         "url": f"{fake.api_url}{repo_prefix}/contents/{quote(m.group(1))}?ref={ref}"}, {}
        m = re.fullmatch(r"/pulls/(\d+)", sub)
        if m and method == "GET":
            with fake.lock:
                pull = st.pulls.get(int(m.group(1)))
            if pull is None:
                raise _HTTPError(404, "Not Found")
            return 200, self._pull_json(pull), {}
        if sub == "/pulls" and method == "GET":
            head = (query.get("head") or [None])[0]
            with fake.lock:
                items = [self._pull_json(p) for p in st.pulls.values()
                         if head is None or p["head"]["label"] == head]
            return self._page(items, query)
        m = re.fullmatch(r"/pulls/(\d+)/reviews", sub)
        if m and method == "GET":
            with fake.lock:
                items = [dict(r, pull_request_url=f"{fake.api_url}{repo_prefix}/pulls/{m.group(1)}")
                         for r in st.reviews.get(int(m.group(1)), [])]
            return self._page(items, query)
        m = re.fullmatch(r"/pulls/(\d+)/files", sub)
        if m and method == "GET":
            with fake.lock:
                items = [{"filename": f, "status": "modified", "sha": "0" * 40}
                         for f in st.pull_files.get(int(m.group(1)), [])[:PULL_FILES_LIMIT]]
            return self._page(items, query)
        m = re.fullmatch(r"/git/matching-refs/(.+)", sub)
        if m and method == "GET":
            prefix = "refs/" + m.group(1)
            with fake.lock:
                items = [{"ref": r, "object": {"sha": sha, "type": "commit"}} for r, sha in sorted(st.refs.items())
                         if r.startswith(prefix)]
            return 200, items, {}
        m = re.fullmatch(r"/git/trees/([^/]+)", sub)
        if m and method == "GET":
            ref = m.group(1)
            with fake.lock:
                entries = st.trees.get(ref)
                if entries is None:
                    entries = [{"path": path, "mode": "100644", "type": "blob", "sha": git_blob_sha(data)}
                               for (path, at), data in sorted(st.contents.items()) if at == ref]
                truncated = ref in st.truncated_trees
            return 200, {"sha": ref, "tree": entries, "truncated": truncated}, {}
        m = re.fullmatch(r"/git/blobs/([0-9a-f]{40})", sub)
        if m and method == "GET":
            with fake.lock:
                data = next((d for d in st.contents.values() if git_blob_sha(d) == m.group(1)), None)
            if data is None:
                raise _HTTPError(404, "Not Found")
            return 200, {"sha": m.group(1), "size": len(data), "encoding": "base64",
                         "content": base64.encodebytes(data).decode()}, {}
        raise _HTTPError(404, "Not Found")

    def _pull_json(self, pull: dict[str, Any]) -> dict[str, Any]:
        fake = self.server_fake
        n = pull["number"]
        with fake.lock:
            changed = len(fake.state.pull_files.get(n, []))
        return {**pull, "id": 500 + n, "changed_files": changed,
                "url": f"{fake.api_url}/repos/{fake.full_name}/pulls/{n}",
                "issue_url": f"{fake.api_url}/repos/{fake.full_name}/issues/{n}",
                "html_url": f"{fake.host}/{fake.full_name}/pull/{n}"}

    def _page(self, items: list[Any], query: dict[str, list[str]]) -> tuple[int, Any, dict[str, str]]:
        per_page = max(1, min(100, int((query.get("per_page") or ["30"])[0])))
        page = max(1, int((query.get("page") or ["1"])[0]))
        chunk = items[(page - 1) * per_page: page * per_page]
        headers = {}
        if page * per_page < len(items):
            base = self.server_fake.host + urlsplit(self.path).path
            headers["Link"] = f'<{base}?per_page={per_page}&page={page + 1}>; rel="next"'
        return 200, chunk, headers

    @staticmethod
    def _check_body(text: str) -> None:
        if len(text) > COMMENT_LIMIT:
            raise _HTTPError(422, f"Validation Failed: body is too long (maximum is {COMMENT_LIMIT} characters)")

    @staticmethod
    def _check_annotations(b: dict[str, Any]) -> None:
        anns = (b.get("output") or {}).get("annotations") or []
        if len(anns) > CHECK_RUN_ANNOTATION_LIMIT:
            raise _HTTPError(422, "Validation Failed: only 50 annotations are allowed per request")
        for a in anns:
            if not {"path", "start_line", "end_line", "annotation_level", "message"} <= set(a):
                raise _HTTPError(422, "Validation Failed: annotation is missing a required field")


def git_blob_sha(data: bytes) -> str:
    """git's object id of a blob with ``data`` (``git hash-object``)."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def _public_run(run: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in run.items() if k != "annotations"}


class _HTTPError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
