"""The REST client against the fake GitHub: retries, rate limits, timeouts, no duplicate creates.

``docs/threats.md`` row 10. Real HTTP through PyGithub, requests and urllib3.
"""

from __future__ import annotations

import time

import pytest
from gh_helpers import FAST, HEAD
from servers.github import FakeGitHub

from gate.github.api import ApiError, GitHubApi, RetryPolicy
from gate.github.comment import find_ours, upsert_comment

MARK = "<!-- readiness-gate:comment -->"
BOT = "github-actions[bot]"


def api_for(gh: FakeGitHub, token: str = "", policy: RetryPolicy = FAST) -> GitHubApi:
    return GitHubApi(token or gh.installation_token, gh.full_name, base_url=gh.api_url, policy=policy)


def test_502_once_on_a_read_is_retried(gh: FakeGitHub) -> None:
    gh.add_pull(7, head_sha=HEAD, base_sha="b" * 40)
    gh.add_comment(7, "hello", "someone")
    gh.fault("GET", r"/issues/7/comments$", "502")
    comments = api_for(gh).list_comments(7)
    assert [c.body for c in comments] == ["hello"]
    assert len(gh.calls("GET", r"/issues/7/comments$")) == 2


def test_persistent_5xx_gives_up_after_the_bounded_attempts(gh: FakeGitHub) -> None:
    gh.add_pull(7, head_sha=HEAD, base_sha="b" * 40)
    gh.fault("GET", r"/issues/7/comments$", "502", times=100)
    with pytest.raises(ApiError) as info:
        api_for(gh).list_comments(7)
    assert info.value.status == 502 and info.value.transient
    assert len(gh.calls("GET", r"/issues/7/comments$")) == FAST.attempts


def test_403_with_retry_after_on_create_waits_and_posts_exactly_one_comment(gh: FakeGitHub) -> None:
    gh.add_pull(7, head_sha=HEAD, base_sha="b" * 40)
    gh.fault("POST", r"/issues/7/comments$", "retry-after")
    start = time.monotonic()
    result = upsert_comment(api_for(gh), 7, MARK + "\nbody", marker=MARK, identity=BOT)
    assert time.monotonic() - start >= 1.0, "Retry-After: 1 was not honoured"
    assert result.action == "created"
    assert [c["body"] for c in gh.comments(7)] == [MARK + "\nbody"]
    assert len(gh.calls("POST", r"/issues/7/comments$")) == 2


def test_502_after_the_create_was_stored_does_not_post_twice(gh: FakeGitHub) -> None:
    """The create reached GitHub but the answer was a 502: the retry finds it instead of posting again."""
    gh.add_pull(7, head_sha=HEAD, base_sha="b" * 40)
    gh.fault("POST", r"/issues/7/comments$", "502-after")
    upsert_comment(api_for(gh), 7, MARK + "\nfirst", marker=MARK, identity=BOT)
    assert len(gh.comments(7)) == 1
    assert len(gh.calls("POST", r"/issues/7/comments$")) == 1, "the POST itself must not be retried blindly"
    # and a rerun updates the same comment
    upsert_comment(api_for(gh), 7, MARK + "\nsecond", marker=MARK, identity=BOT)
    assert [c["body"] for c in gh.comments(7)] == [MARK + "\nsecond"]


def test_timeout_on_create_then_retry_finds_the_comment(gh: FakeGitHub) -> None:
    gh.add_pull(7, head_sha=HEAD, base_sha="b" * 40)
    gh.fault("POST", r"/issues/7/comments$", "slow", delay=1.5)
    result = upsert_comment(api_for(gh), 7, MARK + "\nslow", marker=MARK, identity=BOT)
    assert len(gh.comments(7)) == 1
    assert result.comment_id == gh.comments(7)[0]["id"]


def test_secondary_rate_limit_on_a_read_waits_then_succeeds(gh: FakeGitHub) -> None:
    gh.add_pull(7, head_sha=HEAD, base_sha="b" * 40)
    gh.fault("GET", r"/issues/7/comments$", "secondary")
    start = time.monotonic()
    assert api_for(gh).list_comments(7) == []
    assert time.monotonic() - start >= FAST.secondary_wait * 0.9


def test_primary_rate_limit_waits_for_x_ratelimit_reset(gh: FakeGitHub) -> None:
    gh.add_pull(7, head_sha=HEAD, base_sha="b" * 40)
    gh.fault("GET", r"/pulls/7$", "primary")
    start = time.monotonic()
    assert api_for(gh).pull(7).head_sha == HEAD
    assert time.monotonic() - start >= 1.0, "x-ratelimit-reset was not honoured"
    assert len(gh.calls("GET", r"/pulls/7$")) == 2


def test_forbidden_write_is_not_retried_and_says_forbidden(gh: FakeGitHub) -> None:
    gh.add_pull(7, head_sha=HEAD, base_sha="b" * 40)
    gh.fault("POST", r"/issues/7/comments$", "forbidden", times=10)
    with pytest.raises(ApiError) as info:
        api_for(gh).create_comment(7, MARK)
    assert info.value.forbidden and not info.value.transient
    assert len(gh.calls("POST", r"/issues/7/comments$")) == 1


def test_bad_token_is_401(gh: FakeGitHub) -> None:
    with pytest.raises(ApiError) as info:
        api_for(gh, token="nope").pull(1)
    assert info.value.status == 401


def test_identity_of_installation_token_is_unknown_and_of_a_pat_is_its_login(gh: FakeGitHub) -> None:
    assert api_for(gh).identity() is None
    assert not gh.calls("GET", r"^/user$"), "a ghs_ installation token is not asked GET /user"
    gh.add_token("v1.0123456789abcdef", "some-app[bot]", installation=True, type_="Bot")
    assert api_for(gh, token="v1.0123456789abcdef").identity() is None  # 403 from GET /user
    assert len(gh.calls("GET", r"^/user$")) == 1
    assert api_for(gh, token=gh.token).identity() == "gate-bot"


def test_enterprise_server_prefix(tmp_path) -> None:
    """GHES serves the API under /api/v3; links returned by the server carry the prefix."""
    with FakeGitHub(prefix="/api/v3") as gh:
        gh.add_pull(7, head_sha=HEAD, base_sha="b" * 40)
        api = api_for(gh)
        upsert_comment(api, 7, MARK + "\none", marker=MARK, identity=BOT)
        upsert_comment(api, 7, MARK + "\ntwo", marker=MARK, identity=BOT)
        assert [c["body"] for c in gh.comments(7)] == [MARK + "\ntwo"]
        assert all(r.path.startswith("/repos/") for r in gh.requests)


def test_pagination_finds_our_comment_on_a_later_page(gh: FakeGitHub) -> None:
    gh.add_pull(7, head_sha=HEAD, base_sha="b" * 40)
    for i in range(150):
        gh.add_comment(7, f"chatter {i}", "someone")
    ours = gh.add_comment(7, MARK + "\nold", BOT, "Bot")
    found = find_ours(api_for(gh), 7, MARK, BOT)
    assert found is not None and found.id == ours["id"]


def test_contents_at_a_ref(gh: FakeGitHub) -> None:
    gh.set_file("readiness.yml", "b" * 40, "version: 1\n")
    api = api_for(gh)
    assert api.file_text("readiness.yml", "b" * 40) == "version: 1\n"
    assert api.file_text("readiness.yml", "e" * 40) is None


def test_retry_after_600_is_never_retried_early(gh: FakeGitHub) -> None:
    """GitHub says never retry before Retry-After: a wait longer than the run's budget stops the
    call at once (one request, an error naming the wait), it is not shortened and retried."""
    gh.set_file("readiness.yml", "b" * 40, "version: 1\n")
    gh.fault("GET", r"/contents/", "retry-after=600", times=5)
    start = time.monotonic()
    with pytest.raises(ApiError) as info:
        api_for(gh).file_text("readiness.yml", "b" * 40)
    assert time.monotonic() - start < 2.0
    assert info.value.rate_limited and "600 s" in info.value.message
    assert len(gh.calls("GET", r"/contents/")) == 1


def test_the_full_retry_after_is_waited_when_it_fits_the_budget(gh: FakeGitHub) -> None:
    waits: list[float] = []
    api = GitHubApi(gh.installation_token, gh.full_name, base_url=gh.api_url,
                    policy=RetryPolicy(budget=700.0, seconds_between_requests=0, seconds_between_writes=0),
                    sleep=waits.append)
    gh.set_file("readiness.yml", "b" * 40, "version: 1\n")
    gh.fault("GET", r"/contents/", "retry-after=600")
    assert api.file_text("readiness.yml", "b" * 40) == "version: 1\n"
    assert waits == [600.0], "the whole Retry-After, not a capped one"
    gh.fault("GET", r"/contents/", "retry-after=600")
    with pytest.raises(ApiError):
        api.file_text("readiness.yml", "b" * 40)  # 100 s of budget left: no second 600 s wait
    assert waits == [600.0]


@pytest.mark.parametrize("kind", ["429", "429-bare"])
def test_429_on_a_get_is_retried(gh: FakeGitHub, kind: str) -> None:
    gh.add_pull(7, head_sha=HEAD, base_sha="b" * 40)
    gh.add_review(7, "lead", "APPROVED", HEAD)
    gh.fault("GET", r"/pulls/7/reviews$", kind)
    reviews = api_for(gh).reviews(7)
    assert [r.login for r in reviews] == ["lead"]
    assert len(gh.calls("GET", r"/pulls/7/reviews$")) == 2


def test_429_on_a_patch_is_retried(gh: FakeGitHub) -> None:
    gh.add_pull(7, head_sha=HEAD, base_sha="b" * 40)
    c = gh.add_comment(7, MARK + "\nold", BOT, "Bot")
    gh.fault("PATCH", r"/issues/comments/\d+$", "429")
    api_for(gh).edit_comment(7, c["id"], MARK + "\nnew")
    assert gh.comments(7)[0]["body"] == MARK + "\nnew"


def test_no_requests_remaining_waits_for_the_reset_only_within_the_budget(gh: FakeGitHub) -> None:
    gh.add_pull(7, head_sha=HEAD, base_sha="b" * 40)
    api = api_for(gh)
    err = ApiError(403, "API rate limit exceeded", reset_at=time.time() + 3600)
    assert err.rate_limited and not err.forbidden
    assert 3599 <= api.wait_for(err, 1) <= 3602
    with pytest.raises(ApiError) as info:
        api._wait(err, 1)
    assert "remaining wait budget" in info.value.message


@pytest.mark.parametrize("path", ["my dir/readiness.yml", "dépôt/readiness.yml", "a%20b/readiness.yml"])
def test_content_paths_are_encoded_once(gh: FakeGitHub, path: str) -> None:
    gh.set_file(path, "b" * 40, "version: 1\n")
    assert api_for(gh).file_text(path, "b" * 40) == "version: 1\n"


def test_only_a_404_means_absent(gh: FakeGitHub) -> None:
    gh.set_file("readiness.yml", "b" * 40, "version: 1\n")
    api = api_for(gh)
    assert api.file_bytes("nope.yml", "b" * 40) is None
    gh.fault("GET", r"/contents/", "502", times=100)
    with pytest.raises(ApiError) as info:
        api.file_bytes("readiness.yml", "b" * 40)
    assert info.value.status == 502


def test_a_file_over_one_megabyte_is_read_through_the_blob_api(gh: FakeGitHub) -> None:
    data = bytes(range(256)) * 5000  # 1.28 MB, not UTF-8
    gh.set_file(".secrets.baseline", "b" * 40, data)
    assert api_for(gh).file_bytes(".secrets.baseline", "b" * 40, max_bytes=2 * 1024 * 1024) == data
    assert gh.calls("GET", r"/git/blobs/")
