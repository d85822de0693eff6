"""The sticky PR comment: one per pull request, updated in place on every run.

Identification (``docs/threats.md`` row 9): a comment is ours only when its body **starts
with** the hidden marker **and** it was written by the token's own identity. Anyone can paste the
marker into a comment; such a comment is never edited. The identity is the login behind
``GET /user``; the Actions ``GITHUB_TOKEN`` is an installation token for which ``GET /user``
answers 403, and its comments are authored by ``github-actions[bot]`` (type ``Bot``), so that is
assumed (:data:`ACTIONS_BOT`). A token of another GitHub App can name its bot login with
``READINESS_GATE_BOT_LOGIN`` (see docs/github-action.md).

Duplicates (row 10): a create whose response was lost (timeout, 502 after GitHub stored it) is
not simply repeated: before every retry the comments are listed again and an existing marked
comment of ours is updated instead (:meth:`gate.github.api.GitHubApi.call_write`).

Size: GitHub rejects bodies over 65,536 characters; the markdown renderer truncates to
:data:`COMMENT_MAX_CHARS` (a margin below the limit because GitHub counts some characters as
more than one) and says where the full report is; :func:`fit_comment` is the last guard.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from gate.github.api import Comment, GitHubApi
from gate.render.interface import GITHUB_COMMENT_LIMIT

ACTIONS_BOT = "github-actions[bot]"
"""Login of the identity the Actions ``GITHUB_TOKEN`` writes as."""

COMMENT_MAX_CHARS = GITHUB_COMMENT_LIMIT - 1_536
"""Characters the markdown renderer may use for the comment (a margin under GitHub's 65,536:
GitHub counts characters outside the Basic Multilingual Plane as two)."""

_TRUNCATED = "\n\n… comment truncated at GitHub's size limit; see the job summary for the full report.\n"


@dataclass(frozen=True)
class CommentResult:
    """What :func:`upsert_comment` did: ``created``, ``updated`` or ``unchanged``, and the URL."""

    action: str
    url: str
    comment_id: int


def fit_comment(body: str, limit: int = GITHUB_COMMENT_LIMIT) -> str:
    """``body`` cut to ``limit`` UTF-16 code units (how GitHub counts), with a note when cut."""
    if len(body.encode("utf-16-le")) // 2 <= limit:
        return body
    room = limit - len(_TRUNCATED)
    units = 0
    for i, ch in enumerate(body):
        units += 2 if ord(ch) > 0xFFFF else 1
        if units > room:
            return body[:i] + _TRUNCATED
    return body


def is_ours(comment: Comment, marker: str, identity: str) -> bool:
    """True when ``comment`` starts with ``marker`` and was written by ``identity``."""
    return comment.body.lstrip().startswith(marker) and comment.author.lower() == identity.lower()


def find_ours(api: GitHubApi, number: int, marker: str, identity: str) -> Optional[Comment]:
    """The oldest comment on ``number`` that is ours (see :func:`is_ours`), or None."""
    for c in api.list_comments(number):
        if is_ours(c, marker, identity):
            return c
    return None


def upsert_comment(api: GitHubApi, number: int, body: str, *, marker: str, identity: str) -> CommentResult:
    """Create or update the sticky comment on PR ``number``.

    Args:
        api: client for the repository.
        number: PR number.
        body: the full comment (it must start with ``marker``; the markdown renderer puts it
            first).
        marker: the hidden marker.
        identity: the login the token writes as.

    Raises:
        ValueError: ``body`` does not start with ``marker``.
        gate.github.api.ApiError: listing, creating or editing failed after retries.
    """
    if not body.startswith(marker):
        raise ValueError("the comment body must start with the marker")
    body = fit_comment(body)
    existing = find_ours(api, number, marker, identity)
    if existing is not None:
        if existing.body == body:
            return CommentResult("unchanged", existing.html_url, existing.id)
        edited = api.edit_comment(number, existing.id, body)
        return CommentResult("updated", edited.html_url or existing.html_url, existing.id)

    def look_again() -> Optional[Comment]:
        return find_ours(api, number, marker, identity)

    created = api.create_comment(number, body, before_retry=look_again)
    if created.body != body:
        # A retry found the comment a lost create had made (or one from a concurrent run):
        # bring it up to date.
        created = api.edit_comment(number, created.id, body)
        return CommentResult("updated", created.html_url, created.id)
    return CommentResult("created", created.html_url, created.id)
