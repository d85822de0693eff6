"""Deferral approval matrix (``docs/threats.md`` row 12, README "Deferrals").

Approvers are read from the base branch through the (fake) contents API; reviews and team
memberships come from the fake API. Each case builds the PR's deferral and asks the verifier.
"""

from __future__ import annotations

import datetime as dt

import pytest
from gh_helpers import BASE, FAST, HEAD, OLD_HEAD
from helpers import config_from
from servers.github import FakeGitHub

from gate.config import Deferral
from gate.github import approvals
from gate.github.api import GitHubApi
from gate.model import ApprovalState

REASON = "SECURITY.md lands with the security team's new process next sprint"

BASE_YML = f"""
version: 1
approvers: ["@lead", "@acme/leads"]
deferrals:
  - check: security-policy
    reason: {REASON}
    approved-by: "@lead"
    expires: "2026-12-31"
    ticket: SEC-1
"""


def deferral(approver: str = "@lead", *, ticket: str = "SEC-2", expires: str = "2026-12-31") -> Deferral:
    cfg = config_from(f"""
    version: 1
    deferrals:
      - check: security-policy
        reason: {REASON}
        approved-by: "{approver}"
        expires: "{expires}"
        ticket: {ticket}
    """)
    return cfg.deferrals[0]


@pytest.fixture
def verifier(gh: FakeGitHub):
    gh.add_pull(7, head_sha=HEAD, base_sha=BASE, author="dev")
    gh.set_file("readiness.yml", BASE, BASE_YML)
    api = GitHubApi(gh.installation_token, gh.full_name, base_url=gh.api_url, policy=FAST)

    def make(author: str = "dev"):
        return approvals.for_pull_request(api, number=7, head_sha=HEAD, base_sha=BASE, author=author,
                                          config_path="readiness.yml")
    return make


def test_identical_on_base_is_trusted_without_any_review(verifier, gh: FakeGitHub) -> None:
    state, note = verifier()(deferral(ticket="SEC-1"))
    assert state is ApprovalState.TRUSTED_BASE, note
    assert not gh.calls("GET", r"/reviews$"), "a trusted deferral needs no review lookup"


def test_changed_on_head_needs_approval_again(verifier) -> None:
    # same ticket, later expiry: the PR extended a merged deferral
    state, note = verifier()(deferral(ticket="SEC-1", expires="2027-06-30"))
    assert state is ApprovalState.PENDING
    assert "@lead" in note


def test_added_in_pr_and_approved_on_head_by_the_named_lead(verifier, gh: FakeGitHub) -> None:
    gh.add_review(7, "lead", "APPROVED", HEAD)
    state, note = verifier()(deferral())
    assert state is ApprovalState.APPROVED, note


def test_added_in_pr_without_review_is_pending_and_names_the_approver(verifier) -> None:
    state, note = verifier()(deferral())
    assert state is ApprovalState.PENDING
    assert "@lead" in note and "approv" in note


def test_approval_of_an_older_head_does_not_count(verifier, gh: FakeGitHub) -> None:
    gh.add_review(7, "lead", "APPROVED", OLD_HEAD)
    state, note = verifier()(deferral())
    assert state is ApprovalState.PENDING
    assert "older commit" in note and OLD_HEAD[:7] in note


def test_author_cannot_approve_their_own_deferral(verifier, gh: FakeGitHub) -> None:
    gh.add_review(7, "lead", "APPROVED", HEAD)  # (GitHub would not even allow this review)
    state, note = verifier(author="lead")(deferral())
    assert state is ApprovalState.PENDING
    assert "author" in note


def test_approver_not_listed_on_base_is_pending_even_if_the_pr_lists_them(verifier, gh: FakeGitHub) -> None:
    gh.add_review(7, "friend", "APPROVED", HEAD)
    state, note = verifier()(deferral("@friend"))
    assert state is ApprovalState.PENDING
    assert "not listed" in note and "@lead" in note


def test_changes_requested_after_approval_revokes_it_but_a_comment_does_not(verifier, gh: FakeGitHub) -> None:
    gh.add_review(7, "lead", "APPROVED", HEAD)
    gh.add_review(7, "lead", "COMMENTED", HEAD)
    assert verifier()(deferral())[0] is ApprovalState.APPROVED
    gh.add_review(7, "lead", "CHANGES_REQUESTED", HEAD)
    state, note = verifier()(deferral())
    assert state is ApprovalState.PENDING and "changes requested" in note


def test_team_approver_with_a_member_approving_the_head(verifier, gh: FakeGitHub) -> None:
    gh.set_team("acme", "leads", {"carol"})
    gh.add_review(7, "carol", "APPROVED", HEAD)
    state, note = verifier()(deferral("@acme/leads"))
    assert state is ApprovalState.APPROVED, note
    assert "carol" in note


def test_team_approver_when_the_token_cannot_read_teams(verifier, gh: FakeGitHub) -> None:
    gh.set_team("acme", "leads", 403)
    gh.add_review(7, "carol", "APPROVED", HEAD)
    state, note = verifier()(deferral("@acme/leads"))
    assert state is ApprovalState.PENDING
    assert "cannot read membership of @acme/leads" in note and "read:org" in note


def test_team_approval_by_the_author_does_not_count(verifier, gh: FakeGitHub) -> None:
    gh.set_team("acme", "leads", {"dev"})
    gh.add_review(7, "dev", "APPROVED", HEAD)
    state, _ = verifier()(deferral("@acme/leads"))
    assert state is ApprovalState.PENDING


def test_a_login_in_an_approvers_team_may_be_named(verifier, gh: FakeGitHub) -> None:
    gh.set_team("acme", "leads", {"carol"})
    gh.add_review(7, "carol", "APPROVED", HEAD)
    state, note = verifier()(deferral("@carol"))
    assert state is ApprovalState.APPROVED, note


def test_base_without_readiness_yml_has_no_approvers(gh: FakeGitHub) -> None:
    gh.add_pull(7, head_sha=HEAD, base_sha=BASE, author="dev")
    gh.add_review(7, "lead", "APPROVED", HEAD)
    api = GitHubApi(gh.installation_token, gh.full_name, base_url=gh.api_url, policy=FAST)
    v = approvals.for_pull_request(api, number=7, head_sha=HEAD, base_sha=BASE, author="dev",
                                   config_path="readiness.yml")
    state, note = v(deferral())
    assert state is ApprovalState.PENDING and "no readiness.yml" in note


def test_reviews_unreadable_fails_closed(verifier, gh: FakeGitHub) -> None:
    gh.fault("GET", r"/pulls/7/reviews$", "502", times=100)
    state, note = verifier()(deferral())
    assert state is ApprovalState.PENDING and "could not read" in note


def test_push_events_trust_the_default_branch_only() -> None:
    assert approvals.for_push(on_default_branch=True)(deferral())[0] is ApprovalState.TRUSTED_BASE
    state, note = approvals.for_push(on_default_branch=False)(deferral())
    assert state is ApprovalState.PENDING and "pull request" in note


def test_expired_deferral_fails_even_when_approved(verifier, gh: FakeGitHub, tmp_path) -> None:
    """Expiry is the deferral engine's job; approval never revives an expired deferral."""
    from helpers import TODAY, write_tree

    from gate.checks.interface import RunOptions
    from gate.runner import run_gate

    gh.add_review(7, "lead", "APPROVED", HEAD)
    write_tree(tmp_path, {"SECURITY.md": ""})
    cfg = config_from(f"""
    version: 1
    deferrals:
      - check: security-policy
        reason: {REASON}
        approved-by: "@lead"
        expires: "{(TODAY - dt.timedelta(days=1)).isoformat()}"
        ticket: SEC-2
    """)
    report = run_gate(tmp_path, cfg, options=RunOptions(today=TODAY), only=["security-policy"],
                      approval=verifier())
    check = next(c for c in report.checks if c.id == "security-policy")
    assert check.status.value == "fail" and not report.ready
    assert report.deferrals[0].state.value == "expired"
    assert report.deferrals[0].approval is ApprovalState.APPROVED


def test_policy_weakenings_and_base_policy() -> None:
    base = config_from('version: 1\nexclude: ["vendor/**"]\nlimits:\n  max-file-size: 4096\n')
    head = config_from('version: 1\nexclude: ["vendor/**", "src/**"]\nlimits:\n  max-file-size: 2048\n'
                       'checks:\n  secrets:\n    level: advisory\n  load-test:\n    level: required\n')
    found = approvals.policy_weakenings(base, head)
    assert found == ["`secrets` lowered from required to advisory", "exclude patterns added: src/**",
                     "max-file-size lowered from 4096 to 2048"]
    fixed = approvals.with_base_policy(head, base)
    assert fixed.settings("secrets").level.value == "required"
    assert fixed.settings("load-test").level.value == "required", "a stricter PR setting is kept"
    assert fixed.exclude == ("vendor/**",) and fixed.max_file_size == 4096
    assert approvals.policy_weakenings(base, fixed) == []


def test_option_changes_wait_for_a_lead_like_weakenings() -> None:
    """osv-url at a server the PR controls, an ignored advisory, inline allowlisting, the diff
    policy: each is a policy change; until approved, the base branch's values apply."""
    base = config_from('version: 1\ndiff: {pre-existing: block}\n')
    head = config_from('version: 1\ndiff: {pre-existing: report}\nchecks:\n'
                       '  dependencies:\n    osv-url: http://attacker.example\n    ignore: [PYSEC-2018-28]\n'
                       '  secrets:\n    inline-allowlist: true\n')
    found = approvals.policy_weakenings(base, head)
    assert "`dependencies` options changed: ignore, osv-url" in found
    assert "`secrets` options changed: inline-allowlist" in found
    assert "diff.pre-existing changed from block to report" in found
    fixed = approvals.with_base_policy(head, base)
    assert fixed.settings("dependencies").options.get("osv-url") is None
    assert fixed.settings("dependencies").options.get("ignore") is None
    assert fixed.settings("secrets").options["inline-allowlist"] is False
    assert fixed.diff_pre_existing == "block"
    assert approvals.policy_weakenings(base, fixed) == []
    assert approvals.policy_weakenings(base, base) == []
