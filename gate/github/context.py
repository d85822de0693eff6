"""The GitHub Actions runner environment and event, read once into a :class:`RunContext`.

Sources (GitHub docs, "Variables" / "Metadata syntax for GitHub Actions"):

* default variables ``GITHUB_API_URL``, ``GITHUB_SERVER_URL``, ``GITHUB_REPOSITORY``,
  ``GITHUB_EVENT_NAME``, ``GITHUB_EVENT_PATH``, ``GITHUB_SHA``, ``GITHUB_WORKSPACE``,
  ``GITHUB_OUTPUT``, ``GITHUB_STEP_SUMMARY``, ``GITHUB_RUN_ID``, ``GITHUB_RUN_ATTEMPT``;
* action inputs as ``INPUT_<NAME>`` with the name upper-cased and **dashes kept**
  (``status-context`` arrives as ``INPUT_STATUS-CONTEXT``, which a shell cannot even name:
  only ``os.environ`` reads it).

Inputs reach the code only through the environment, never through ``${{ }}`` in a script
(``docs/threats.md`` row 2). Values from the event (PR title, branch names) are data: they
are never printed as workflow commands and never written to ``GITHUB_OUTPUT``.

For ``pull_request`` events ``GITHUB_SHA`` is the test merge commit; the head commit the PR
shows is ``event.pull_request.head.sha``: statuses and links use that.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Optional

from gate.cache import default_directory as default_cache_directory

MAX_EVENT_BYTES = 25 * 1024 * 1024
"""The event payload is read only up to this size (GitHub caps webhook payloads at 25 MB)."""

PULL_REQUEST_EVENTS = ("pull_request", "pull_request_target")

MODES = ("auto", "full", "diff")
STATUS_KINDS = ("commit-status", "check-run", "none")

_TRUE = ("true", "yes", "1", "on")
_FALSE = ("false", "no", "0", "off", "")


class ContextError(Exception):
    """The environment is not a usable GitHub Actions run (the CLI exits 2 with the message)."""


@dataclass(frozen=True)
class PullRequest:
    """The pull request of a ``pull_request`` event (or of a ``workflow_run`` being published)."""

    number: int
    head_sha: str
    base_sha: str
    base_ref: str
    author: str
    head_repo: str
    base_repo: str

    @property
    def is_fork(self) -> bool:
        """Head repository differs from the base: the run's token is read-only."""
        return bool(self.head_repo) and self.head_repo.lower() != self.base_repo.lower()


@dataclass(frozen=True)
class Inputs:
    """The action's inputs (``action.yml``), validated."""

    token: str = ""
    config: Optional[str] = None
    path: str = "."
    mode: str = "auto"
    comment: bool = True
    status: str = "commit-status"
    status_context: str = "readiness-gate"
    report_file: Optional[str] = None
    sarif_file: Optional[str] = None
    osv_url: Optional[str] = None
    osv_db: Optional[str] = None
    """Offline OSV database (directory of records or OSV's all.zip), relative to the workspace."""
    only: Optional[str] = None
    """Comma-separated check ids to run (others are skipped); empty runs all."""
    annotations: bool = True


@dataclass(frozen=True)
class RunContext:
    """Everything the action reads from its environment."""

    inputs: Inputs
    repository: str
    event_name: str
    event: Mapping[str, Any] = field(default_factory=dict)
    sha: str = ""
    """The commit to report on: the PR head for pull requests, else ``GITHUB_SHA``."""
    workspace: Path = Path(".")
    api_url: str = "https://api.github.com"
    server_url: str = "https://github.com"
    run_id: Optional[str] = None
    run_attempt: Optional[str] = None
    output_file: Optional[str] = None
    summary_file: Optional[str] = None
    pull_request: Optional[PullRequest] = None
    default_branch: Optional[str] = None
    ref: Optional[str] = None
    bot_login: Optional[str] = None
    """``READINESS_GATE_BOT_LOGIN``: the login a GitHub App token writes as (its comments are
    recognised as ours when ``GET /user`` is not available)."""
    cache_dir: Optional[str] = None
    """The result cache's directory (:func:`gate.cache.default_directory`:
    ``$RUNNER_TEMP/readiness-gate-cache``), or None outside a runner."""

    @property
    def run_url(self) -> Optional[str]:
        """Link to this workflow run."""
        if not self.run_id:
            return None
        url = f"{self.server_url}/{self.repository}/actions/runs/{self.run_id}"
        return url + (f"/attempts/{self.run_attempt}" if self.run_attempt and self.run_attempt != "1" else "")

    @property
    def file_url(self) -> Optional[str]:
        """Base URL for links to files at the reported commit."""
        return f"{self.server_url}/{self.repository}/blob/{self.sha}" if self.sha else None

    @property
    def scan_root(self) -> Path:
        """The directory scanned: ``path`` input relative to the workspace."""
        p = Path(self.inputs.path)
        return p if p.is_absolute() else self.workspace / p


def _bool(name: str, raw: Optional[str], default: bool) -> bool:
    if raw is None:
        return default
    v = raw.strip().lower()
    if v in _TRUE:
        return True
    if v in _FALSE:
        return default if v == "" else False
    raise ContextError(f"input `{name}` must be true or false, got {raw[:40]!r}")


def _choice(name: str, raw: Optional[str], choices: tuple[str, ...], default: str) -> str:
    v = (raw or "").strip().lower() or default
    if v not in choices:
        raise ContextError(f"input `{name}` must be one of {', '.join(choices)}; got {raw[:40]!r}")
    return v


def read_inputs(env: Mapping[str, str]) -> Inputs:
    """Read ``INPUT_*`` variables (dashes kept, as the runner sets them).

    Raises:
        ContextError: an input has an invalid value.
    """
    def get(name: str) -> Optional[str]:
        value = env.get(f"INPUT_{name.upper()}")
        if value is None:
            # Some runners/wrappers translate dashes; accept both spellings.
            value = env.get(f"INPUT_{name.upper().replace('-', '_')}")
        return value

    def opt(name: str) -> Optional[str]:
        v = (get(name) or "").strip()
        return v or None

    context = (get("status-context") or "").strip() or "readiness-gate"
    if len(context) > 255 or any(ord(ch) < 32 for ch in context):
        raise ContextError("input `status-context` must be one line of at most 255 characters")
    return Inputs(
        token=(get("token") or "").strip(),
        config=opt("config"),
        path=opt("path") or ".",
        mode=_choice("mode", get("mode"), MODES, "auto"),
        comment=_bool("comment", get("comment"), True),
        status=_choice("status", get("status"), STATUS_KINDS, "commit-status"),
        status_context=context,
        report_file=opt("report-file"),
        sarif_file=opt("sarif-file"),
        osv_url=opt("osv-url"),
        osv_db=opt("osv-db"),
        only=opt("only"),
        annotations=_bool("annotations", get("annotations"), True),
    )


def load_event(path: Optional[str]) -> dict[str, Any]:
    """The event payload at ``GITHUB_EVENT_PATH`` ({} when unset).

    Raises:
        ContextError: unreadable, too large or not a JSON object.
    """
    if not path:
        return {}
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_EVENT_BYTES + 1)
    except OSError as exc:
        raise ContextError(f"cannot read GITHUB_EVENT_PATH: {exc.strerror or exc}") from None
    if len(raw) > MAX_EVENT_BYTES:
        raise ContextError("the event payload is larger than 25 MB")
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ContextError(f"GITHUB_EVENT_PATH is not valid JSON: {type(exc).__name__}") from None
    if not isinstance(data, dict):
        raise ContextError("GITHUB_EVENT_PATH does not hold a JSON object")
    return data


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def pull_request_from_event(event: Mapping[str, Any], repository: str) -> Optional[PullRequest]:
    """The pull request of a ``pull_request``-shaped payload, or None.

    Raises:
        ContextError: the payload has a ``pull_request`` without a number or head SHA.
    """
    pr = event.get("pull_request")
    if not isinstance(pr, dict):
        return None
    head = pr.get("head") if isinstance(pr.get("head"), dict) else {}
    base = pr.get("base") if isinstance(pr.get("base"), dict) else {}
    number = pr.get("number", event.get("number"))
    head_sha = _str(head.get("sha"))
    if not isinstance(number, int) or not _is_sha(head_sha):
        raise ContextError("the pull_request event has no PR number or head SHA")
    head_repo = head.get("repo") if isinstance(head.get("repo"), dict) else {}
    base_repo = base.get("repo") if isinstance(base.get("repo"), dict) else {}
    user = pr.get("user") if isinstance(pr.get("user"), dict) else {}
    return PullRequest(
        number=number, head_sha=head_sha, base_sha=_str(base.get("sha")), base_ref=_str(base.get("ref")),
        author=_str(user.get("login")),
        # A deleted fork has head.repo null: treat as a fork (read-only token) to be safe.
        head_repo=_str(head_repo.get("full_name")) or "(deleted fork)",
        base_repo=_str(base_repo.get("full_name")) or repository)


def _is_sha(value: str) -> bool:
    return len(value) in (40, 64) and all(c in "0123456789abcdef" for c in value)


def read_context(env: Mapping[str, str] = os.environ) -> RunContext:
    """Read the whole run context from ``env``.

    Raises:
        ContextError: not running in GitHub Actions (no ``GITHUB_REPOSITORY``), invalid inputs,
            or an unreadable event.
    """
    repository = env.get("GITHUB_REPOSITORY", "").strip()
    if repository.count("/") != 1:
        raise ContextError("GITHUB_REPOSITORY is not set to owner/name; `readiness-gate github` runs inside "
                           "GitHub Actions (use `readiness-gate check` elsewhere)")
    inputs = read_inputs(env)
    event_name = env.get("GITHUB_EVENT_NAME", "").strip()
    event = load_event(env.get("GITHUB_EVENT_PATH"))
    pr = pull_request_from_event(event, repository) if event_name in PULL_REQUEST_EVENTS else None
    sha = pr.head_sha if pr else env.get("GITHUB_SHA", "").strip()
    if sha and not _is_sha(sha):
        raise ContextError("GITHUB_SHA is not a commit SHA")
    repo_info = event.get("repository") if isinstance(event.get("repository"), dict) else {}
    return RunContext(
        inputs=inputs,
        repository=repository,
        event_name=event_name,
        event=event,
        sha=sha,
        workspace=Path(env.get("GITHUB_WORKSPACE") or "."),
        api_url=(env.get("GITHUB_API_URL") or "https://api.github.com").rstrip("/"),
        server_url=(env.get("GITHUB_SERVER_URL") or "https://github.com").rstrip("/"),
        run_id=env.get("GITHUB_RUN_ID") or None,
        run_attempt=env.get("GITHUB_RUN_ATTEMPT") or None,
        output_file=env.get("GITHUB_OUTPUT") or None,
        summary_file=env.get("GITHUB_STEP_SUMMARY") or None,
        pull_request=pr,
        default_branch=_str(repo_info.get("default_branch")) or None,
        ref=env.get("GITHUB_REF") or None,
        bot_login=(env.get("READINESS_GATE_BOT_LOGIN") or "").strip() or None,
        cache_dir=default_cache_directory(env),
    )
