"""Promise 4: policy comes from a trusted source (``docs/threats.md`` row 12).

The readable reference of when a deferral counts. Each row of :data:`MATRIX` is one pull
request: the deferral it carries (identical to the base branch's, changed, or added), who wrote
the PR, which reviews exist on which commit, what the team-membership API answers, and the
expected outcome — the approval state the GitHub verifier gives, the deferral's evaluated
state, the ``security-policy`` check's final status and whether the report is ready.

Approvers are read from the base branch (the fake GitHub's contents API at the base SHA), never
from the PR's readiness.yml; reviews and team memberships come from the loopback fake GitHub;
the gate runs for real on a repository whose empty SECURITY.md fails the check. The tests in
``tests/github/test_approvals.py`` probe the verifier's messages; this table is the summary.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from gh_helpers import BASE, FAST, HEAD, NOT_READY_FILES, OLD_HEAD, Runner
from helpers import TODAY, config_from, write_tree
from secret_samples import samples
from servers.github import FakeGitHub

from gate.checks.interface import RunOptions
from gate.cli import main
from gate.github import approvals
from gate.github.api import GitHubApi
from gate.runner import run_gate

from test_approvals import BASE_YML as APPROVALS_BASE_YML, REASON  # tests/github: one source of the fixture

BASE_YML = APPROVALS_BASE_YML + f"""\
  - check: security-policy
    reason: {REASON}
    approved-by: "@lead"
    expires: "2026-11-01"
    ticket: SEC-OLD
"""
"""The base branch's readiness.yml: approvers and the deferrals merged earlier."""

LATER = "2026-12-31"
EXPIRING = (TODAY + dt.timedelta(days=5)).isoformat()
EXPIRED = (TODAY - dt.timedelta(days=1)).isoformat()


@dataclass(frozen=True)
class Row:
    """One pull request and its expected outcome."""

    approver: str = "@lead"
    ticket: str = "SEC-2"
    expires: str = LATER
    author: str = "dev"
    reviews: tuple[tuple[str, str, str], ...] = ()
    """(login, state, commit) reviews on the PR, in order."""
    teams: dict = field(default_factory=dict)
    """slug -> members set, or an HTTP status the membership API answers."""
    reviews_fail: bool = False
    """The reviews API answers 502 persistently."""
    # expected
    approval: str = "pending-approval"
    state: str = "pending-approval"
    status: str = "fail"
    ready: bool = False


MATRIX: dict[str, Row] = {
    # --- where the deferral comes from
    "identical on base": Row(ticket="SEC-1", approval="trusted-base", state="active", status="deferred", ready=True),
    "identical on base but expired": Row(ticket="SEC-OLD", expires="2026-11-01", approval="trusted-base",
                                         state="expired"),
    "changed on head (expiry extended)": Row(ticket="SEC-1", expires="2027-06-30"),
    "added in the PR, no review": Row(),
    # --- who approved, and on which commit
    "approved on the current head by the named lead": Row(reviews=(("lead", "APPROVED", HEAD),),
                                                           approval="approved", state="active", status="deferred",
                                                           ready=True),
    "approved an older SHA (a new push voids it)": Row(reviews=(("lead", "APPROVED", OLD_HEAD),)),
    "approver is the author": Row(author="lead", reviews=(("lead", "APPROVED", HEAD),)),
    "approver not an approver on base": Row(approver="@friend", reviews=(("friend", "APPROVED", HEAD),)),
    "approved, then changes requested": Row(reviews=(("lead", "APPROVED", HEAD), ("lead", "CHANGES_REQUESTED", HEAD))),
    "approved by someone else than the named lead": Row(reviews=(("acme-other", "APPROVED", HEAD),)),
    "reviews unreadable (API 502)": Row(reviews=(("lead", "APPROVED", HEAD),), reviews_fail=True),
    # --- dates
    "approved on head but expired": Row(expires=EXPIRED, reviews=(("lead", "APPROVED", HEAD),),
                                        approval="approved", state="expired"),
    "approved on head, expiring in 5 days": Row(expires=EXPIRING, reviews=(("lead", "APPROVED", HEAD),),
                                                approval="approved", state="expiring", status="deferred", ready=True),
    # --- team approvers
    "team approver, a member approved the head": Row(approver="@acme/leads", teams={"leads": {"carol"}},
                                                     reviews=(("carol", "APPROVED", HEAD),), approval="approved",
                                                     state="active", status="deferred", ready=True),
    "team approver unreadable (403)": Row(approver="@acme/leads", teams={"leads": 403},
                                          reviews=(("carol", "APPROVED", HEAD),)),
    "team approver, the approving member is the author": Row(approver="@acme/leads", author="carol",
                                                             teams={"leads": {"carol"}},
                                                             reviews=(("carol", "APPROVED", HEAD),)),
}


def _deferral_yml(row: Row) -> str:
    return f"""
    version: 1
    approvers: ["@lead", "@acme/leads", "@friend"]
    deferrals:
      - check: security-policy
        reason: {REASON}
        approved-by: "{row.approver}"
        expires: "{row.expires}"
        ticket: {row.ticket}
    """


@pytest.mark.parametrize("case", list(MATRIX))
def test_policy_trust(case: str, gh: FakeGitHub, tmp_path: Path) -> None:
    row = MATRIX[case]
    gh.add_pull(7, head_sha=HEAD, base_sha=BASE, author=row.author)
    gh.set_file("readiness.yml", BASE, BASE_YML)
    for login, state, commit in row.reviews:
        gh.add_review(7, login, state, commit)
    for slug, members in row.teams.items():
        gh.set_team("acme", slug, members)
    if row.reviews_fail:
        gh.fault("GET", r"/pulls/7/reviews$", "502", times=1000)
    api = GitHubApi(gh.installation_token, gh.full_name, base_url=gh.api_url, policy=FAST)
    verifier = approvals.for_pull_request(api, number=7, head_sha=HEAD, base_sha=BASE, author=row.author,
                                          config_path="readiness.yml")
    repo = write_tree(tmp_path / "repo", NOT_READY_FILES, dedent=False)
    # The PR's own readiness.yml also lists @friend as an approver: it must not matter.
    report = run_gate(repo, config_from(_deferral_yml(row)), options=RunOptions(today=TODAY),
                      only=["security-policy"], approval=verifier)
    [record] = report.deferrals
    check = next(c for c in report.checks if c.id == "security-policy")
    got = (record.approval.value, record.state.value, check.status.value, report.ready)
    assert got == (row.approval, row.state, row.status, row.ready), f"{case}: {record.note}"
    if not row.ready:
        assert record.note, "a deferral that does not count must say why"


def test_new_push_voids_an_approval_end_to_end(tmp_path: Path, gh: FakeGitHub) -> None:
    """Through the action: approved on head A -> ready; push B -> not ready until approved again."""
    runner = Runner(tmp_path, gh)
    head_yml = 'version: 1\napprovers: ["@lead"]\n' + (
        f"deferrals:\n  - check: security-policy\n    reason: {REASON}\n"
        f'    approved-by: "@lead"\n    expires: "{LATER}"\n    ticket: SEC-9\n')
    gh.set_file("readiness.yml", BASE, 'version: 1\napprovers: ["@lead"]\n')
    runner.repo({**NOT_READY_FILES, "readiness.yml": head_yml})
    gh.add_review(7, "lead", "APPROVED", HEAD)
    assert runner.run(runner.env(runner.pr_event(head=HEAD))).code == 0
    new_head = "e" * 40
    assert runner.run(runner.env(runner.pr_event(head=new_head))).code == 1
    with gh.lock:
        assert [(s["sha"], s["state"]) for s in gh.state.statuses] == [(HEAD, "success"), (new_head, "failure")]


def test_cli_never_verifies_and_says_so(tmp_path: Path) -> None:
    """The CLI cannot see reviews: deferrals count as ``unverified`` and the report says so."""
    repo = write_tree(tmp_path / "repo", NOT_READY_FILES, dedent=False)
    report = run_gate(repo, config_from(_deferral_yml(Row())), options=RunOptions(today=TODAY),
                      only=["security-policy"])
    [record] = report.deferrals
    assert record.approval.value == "unverified" and record.state.value == "active"
    assert "verif" in (record.note + " ".join(report.warnings)).lower()




def test_inline_suppressions_written_by_the_pr_do_not_silence_findings(tmp_path: Path) -> None:
    """THREATS row 12: ``nosemgrep`` and ``pragma: allowlist secret`` are the author's own words;
    with the default policy the findings stay reported and blocking."""
    key = samples()[0]
    repo = write_tree(tmp_path / "repo", {
        "app/client.py": ("import requests\n\n\ndef fetch(url):\n"
                          "    return requests.get(url, verify=False, timeout=5)  # nosemgrep\n"),
        "app/settings.py": f"{key.line}  # pragma: allowlist secret\n",
    }, dedent=False)
    out = tmp_path / "r.json"
    code = main(["check", str(repo), "--only", "secrets,insecure-patterns", "--format", "json", "--output", str(out)])
    checks = {c["id"]: c for g in json.loads(out.read_text())["gates"] for c in g["checks"]}
    assert code == 1
    for cid, path in (("secrets", "app/settings.py"), ("insecure-patterns", "app/client.py")):
        assert checks[cid]["status"] == "fail", (cid, checks[cid]["summary"])
        assert any(f["path"] == path and f["blocking"] for f in checks[cid]["findings"]), checks[cid]["findings"]
