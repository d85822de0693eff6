"""``readiness-gate publish``: the workflow_run half of the fork pattern (docs/threats.md row 1).

The artifact is produced by a real fork-mode run of the action, then published from a
``workflow_run`` event. The PR number and SHA come from the event (or an API lookup of the
fork's branch), never from the file; a forged or oversized artifact is refused.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from gh_helpers import HEAD, NOT_READY_FILES, READY_FILES, Runner
from servers.github import FakeGitHub

from gate.cli import main
from gate.github import publish_mode

MARK = "<!-- readiness-gate:comment -->"


def workflow_run(gh: FakeGitHub, *, pull_requests=(), head_sha: str = HEAD, owner: str = "forker",
                 branch: str = "feature") -> dict:
    return {"action": "completed", "repository": {"full_name": gh.full_name, "default_branch": "main"},
            "workflow_run": {"id": 99, "event": "pull_request", "head_sha": head_sha, "head_branch": branch,
                             "conclusion": "success", "html_url": "https://github.example/octo/app/actions/runs/99",
                             "head_repository": {"full_name": f"{owner}/app", "owner": {"login": owner}},
                             "pull_requests": list(pull_requests)}}


def make_artifact(runner: Runner, files: dict, name: str = "report.json") -> Path:
    runner.repo(files)
    run = runner.run(runner.env(runner.pr_event(head_repo="forker/app"), report_file=name))
    assert run.code in (0, 1)
    return runner.workspace / name


def statuses(gh: FakeGitHub) -> list[dict]:
    with gh.lock:
        return list(gh.state.statuses)


def test_fork_report_is_published_on_the_pr_found_from_the_event(runner: Runner, gh: FakeGitHub) -> None:
    artifact = make_artifact(runner, NOT_READY_FILES)
    gh.requests.clear()
    run = runner.run(runner.env(workflow_run(gh), event_name="workflow_run"), publish=str(artifact))
    assert run.code == 1, run.stdout
    [comment] = gh.comments(7)
    assert comment["body"].startswith(MARK)
    assert [(s["sha"], s["state"]) for s in statuses(gh)] == [(HEAD, "failure")]
    assert statuses(gh)[0]["target_url"] == "https://github.example/octo/app/actions/runs/99"
    assert gh.calls("GET", r"/pulls$"), "fork PRs are looked up by head branch"
    assert run.outputs()["comment-url"] == comment["html_url"]


def test_pr_number_comes_from_the_event_not_the_artifact(runner: Runner, gh: FakeGitHub) -> None:
    artifact = make_artifact(runner, READY_FILES)
    # Another open PR exists; the event names #9 as the run's PR with this head SHA.
    gh.add_pull(9, head_sha=HEAD, base_sha="b" * 40, head_repo="octo/app", head_ref="other")
    event = workflow_run(gh, pull_requests=[{"number": 9, "head": {"sha": HEAD}}])
    run = runner.run(runner.env(event, event_name="workflow_run"), publish=str(artifact))
    assert run.code == 0, run.stdout
    assert gh.comments(9) and not gh.comments(7)
    assert [s["state"] for s in statuses(gh)] == ["success"]


def test_forged_ready_report_is_refused_with_an_error_status(runner: Runner, gh: FakeGitHub) -> None:
    artifact = make_artifact(runner, NOT_READY_FILES)
    doc = json.loads(artifact.read_text())
    doc["ready"] = True  # says ready while a required check fails
    artifact.write_text(json.dumps(doc))
    run = runner.run(runner.env(workflow_run(gh), event_name="workflow_run"), publish=str(artifact))
    assert run.code == 2
    assert [s["state"] for s in statuses(gh)] == ["error"]
    assert gh.comments(7) == []


@pytest.mark.parametrize("content", [b"{not json", b'{"schema_version": 1}', b"\xff\xfe"])
def test_invalid_artifacts_are_refused(runner: Runner, gh: FakeGitHub, content: bytes) -> None:
    gh.add_pull(7, head_sha=HEAD, base_sha="b" * 40, head_repo="forker/app")
    artifact = runner.workspace / "report.json"
    artifact.write_bytes(content)
    run = runner.run(runner.env(workflow_run(gh), event_name="workflow_run"), publish=str(artifact))
    assert run.code == 2
    assert all(s["state"] == "error" for s in statuses(gh)) and gh.comments(7) == []


def test_oversized_artifact_is_refused_before_parsing(runner: Runner, gh: FakeGitHub, monkeypatch) -> None:
    artifact = make_artifact(runner, READY_FILES)
    monkeypatch.setattr(publish_mode, "MAX_REPORT_BYTES", 100)
    run = runner.run(runner.env(workflow_run(gh), event_name="workflow_run"), publish=str(artifact))
    assert run.code == 2 and "limit" in run.stdout


def test_report_for_another_commit_is_refused(runner: Runner, gh: FakeGitHub) -> None:
    artifact = make_artifact(runner, READY_FILES)
    gh.add_pull(8, head_sha="e" * 40, base_sha="b" * 40, head_repo="forker/app", head_ref="feature2")
    event = workflow_run(gh, head_sha="e" * 40, branch="feature2")
    run = runner.run(runner.env(event, event_name="workflow_run"), publish=str(artifact))
    assert run.code == 2 and "not the run's head" in run.stdout
    assert [s["state"] for s in statuses(gh)] == ["error"]


def test_a_pr_changing_workflows_cannot_turn_the_status_green(runner: Runner, gh: FakeGitHub) -> None:
    artifact = make_artifact(runner, READY_FILES)
    with gh.lock:
        gh.state.pull_files[7] = [".github/workflows/readiness.yml", "app.py"]
    run = runner.run(runner.env(workflow_run(gh), event_name="workflow_run"), publish=str(artifact))
    assert run.code == 1
    assert [s["state"] for s in statuses(gh)] == ["failure"]
    assert "workflow" in gh.comments(7)[0]["body"]


def test_not_a_workflow_run_event(runner: Runner, gh: FakeGitHub) -> None:
    artifact = make_artifact(runner, READY_FILES)
    run = runner.run(runner.env({"ref": "refs/heads/main"}, event_name="push"), publish=str(artifact))
    assert run.code == 2


def test_cli_publish_takes_the_token_from_github_token(runner: Runner, gh: FakeGitHub, monkeypatch,
                                                       capsys) -> None:
    artifact = make_artifact(runner, READY_FILES)
    env = runner.env(workflow_run(gh), event_name="workflow_run")
    env["GITHUB_TOKEN"] = env.pop("INPUT_TOKEN")
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    monkeypatch.delenv("INPUT_TOKEN", raising=False)
    code = main(["publish", "--report", str(artifact), "--status", "commit-status", "--no-comment"])
    assert code == 0, capsys.readouterr()
    assert [s["state"] for s in statuses(gh)] == ["success"] and gh.comments(7) == []
