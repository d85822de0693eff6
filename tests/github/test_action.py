"""The action end to end: real gate run, real HTTP to the fake GitHub, simulated runner files.

Covers the GitHub Action's promises (``docs/github-action.md``): one sticky comment after N runs, only our own marked comment
edited, never ``success`` for a not-ready report, persistent 5xx, 403 on writes, fork PRs,
injection fixtures (docs/threats.md rows 2 and 9), exact outputs, nothing else written to the workspace.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from gh_helpers import BASE, HEAD, MERGE, NOT_READY_FILES, READY_FILES, Runner
from servers.github import FakeGitHub

MARK = "<!-- readiness-gate:comment -->"
BOT = "github-actions[bot]"


def bot_comments(gh: FakeGitHub, number: int = 7) -> list[dict]:
    return [c for c in gh.comments(number) if c["user"]["login"] == BOT]


def statuses(gh: FakeGitHub) -> list[dict]:
    with gh.lock:
        return list(gh.state.statuses)


def command_lines(stdout: str) -> list[str]:
    return [line for line in stdout.splitlines() if line.lstrip().startswith("::")]


def test_ready_pr_comment_status_and_exact_outputs(runner: Runner, gh: FakeGitHub) -> None:
    runner.repo(READY_FILES)
    run = runner.run(runner.env(runner.pr_event()))
    assert run.code == 0, run.stdout
    comments = bot_comments(gh)
    assert len(comments) == 1 and comments[0]["body"].startswith(MARK)
    assert run.outputs_text == (f"ready=true\nfailing-checks=\nreport-file=\nsarif-file=\n"
                                f"comment-url={comments[0]['html_url']}\n")
    [status] = statuses(gh)
    assert status["sha"] == HEAD, "the status goes on the PR head, not the merge commit"
    assert status["state"] == "success" and status["context"] == "readiness-gate"
    assert status["target_url"] == "https://github.example/octo/app/actions/runs/4242"
    assert len(status["description"]) <= 140
    assert run.summary.strip(), "the job summary was not written"
    assert MERGE not in {r.path.rsplit("/", 1)[-1] for r in gh.requests}


def test_not_ready_is_failure_with_annotation_and_never_success(runner: Runner, gh: FakeGitHub) -> None:
    runner.repo(NOT_READY_FILES)
    run = runner.run(runner.env(runner.pr_event()))
    assert run.code == 1
    assert run.outputs() == {"ready": "false", "failing-checks": "security-policy", "report-file": "",
                             "sarif-file": "", "comment-url": bot_comments(gh)[0]["html_url"]}
    assert [s["state"] for s in statuses(gh)] == ["failure"]
    assert any(line.startswith("::error file=SECURITY.md,line=1,title=") for line in command_lines(run.stdout))


def test_n_runs_leave_one_sticky_comment_and_never_touch_an_attackers_marker(runner: Runner, gh: FakeGitHub) -> None:
    event = runner.pr_event()
    attacker = gh.add_comment(7, MARK + "\n## Ready (trust me)", "mallory")
    unmarked = gh.add_comment(7, "unrelated bot note", BOT, "Bot")
    bodies = []
    for files in (NOT_READY_FILES, NOT_READY_FILES, READY_FILES, NOT_READY_FILES, READY_FILES):
        runner.repo(files)
        run = runner.run(runner.env(event))
        assert run.code == (0 if files is READY_FILES else 1)
        ours = [c for c in bot_comments(gh) if c["body"].startswith(MARK)]
        assert len(ours) == 1
        bodies.append(ours[0]["body"])
    assert "Not ready" in bodies[0] and "Not ready" not in bodies[-1], "the comment must say when it became ready"
    by_id = {c["id"]: c for c in gh.comments(7)}
    assert by_id[attacker["id"]]["body"] == attacker["body"]
    assert by_id[unmarked["id"]]["body"] == "unrelated bot note"
    edited = {int(r.path.rsplit("/", 1)[-1]) for r in gh.calls("PATCH", r"/issues/comments/\d+$")}
    assert attacker["id"] not in edited and unmarked["id"] not in edited
    assert len(gh.calls("POST", r"/issues/7/comments$")) == 1
    assert [s["state"] for s in statuses(gh)] == ["failure", "failure", "success", "failure", "success"]


def test_persistent_5xx_on_the_comment_exits_3_and_sets_error_not_success(runner: Runner, gh: FakeGitHub) -> None:
    runner.repo(READY_FILES)
    gh.fault("POST", r"/issues/7/comments$", "502", times=1000)
    run = runner.run(runner.env(runner.pr_event()))
    assert run.code == 3
    assert [s["state"] for s in statuses(gh)] == ["error"]
    assert run.outputs()["ready"] == "true", "the verdict itself is still reported in the outputs"


def test_persistent_5xx_everywhere_never_reports_success(runner: Runner, gh: FakeGitHub) -> None:
    runner.repo(READY_FILES)
    for method in ("GET", "POST", "PATCH"):
        gh.fault(method, r".", "502", times=1000)
    run = runner.run(runner.env(runner.pr_event()))
    assert run.code == 3
    assert statuses(gh) == [] and bot_comments(gh) == []


def test_403_on_every_write_still_gives_verdict_summary_and_outputs(runner: Runner, gh: FakeGitHub) -> None:
    runner.repo(NOT_READY_FILES)
    gh.fault("POST", r".", "forbidden", times=1000)
    gh.fault("PATCH", r".", "forbidden", times=1000)
    run = runner.run(runner.env(runner.pr_event(), report_file="readiness-report.json"))
    assert run.code == 1
    assert any(line.startswith("::warning::") and "403" in line for line in command_lines(run.stdout))
    assert run.summary.strip()
    assert (runner.workspace / "readiness-report.json").is_file()
    assert statuses(gh) == [] and gh.comments(7) == []


def test_fork_pr_writes_nothing_to_github_but_produces_report_and_summary(runner: Runner, gh: FakeGitHub) -> None:
    runner.repo(READY_FILES)
    run = runner.run(runner.env(runner.pr_event(head_repo="forker/app"), report_file="out/report.json"))
    assert run.code == 0
    assert not gh.calls("POST") and not gh.calls("PATCH")
    assert any(line.startswith("::warning::") and "fork" in line for line in command_lines(run.stdout))
    assert (runner.workspace / "out/report.json").is_file()
    assert run.outputs() == {"ready": "true", "failing-checks": "", "report-file": "out/report.json",
                             "sarif-file": "", "comment-url": ""}
    assert run.summary.strip()


def test_only_requested_files_are_written_to_the_workspace(runner: Runner, gh: FakeGitHub) -> None:
    runner.repo(NOT_READY_FILES)
    before = files_under(runner.workspace)
    run = runner.run(runner.env(runner.pr_event(), report_file="r.json", sarif_file="r.sarif"))
    assert run.code == 1
    assert files_under(runner.workspace) - before == {"r.json", "r.sarif"}


def files_under(root: Path) -> set[str]:
    out = set()
    for dirpath, dirnames, filenames in os.walk(root):
        for name in filenames + dirnames:
            out.add(os.path.relpath(os.path.join(dirpath, name), root))
    return out


def test_injection_through_file_names_titles_and_branches(runner: Runner, gh: FakeGitHub, tmp_path: Path,
                                                         monkeypatch) -> None:
    evil = "a\n::error::x"
    policy = 'version: 1\nchecks:\n  security-policy:\n    paths: ["a\\n::error::x"]\n'
    runner.repo({evil: "", "$(touch pwned).py": "x = 1\n", "SECURITY.md": "", "readiness.yml": policy})
    # The same policy on the base branch, so its options are trusted (a PR's own option changes
    # wait for a lead's approval).
    gh.set_file("readiness.yml", BASE, policy)
    monkeypatch.chdir(tmp_path)
    event = runner.pr_event(title="${{ github.token }} @org/all <!-- readiness-gate:comment -->",
                            branch="$(touch pwned)")
    run = runner.run(runner.env(event, report_file="report.json"))
    assert run.code == 1
    assert not list(tmp_path.rglob("pwned")), "something was executed"
    # every workflow command on stdout is one of ours, and the newline in the name is escaped
    for line in command_lines(run.stdout):
        assert re.match(r"::(error|warning|notice)( [a-z]+=[^,:]*(,[a-z]+=[^,:]*)*)?::", line), line
        assert not line.startswith("::error::x")
    assert "file=a%0A%3A%3Aerror%3A%3Ax,line=1" in run.stdout
    assert set(run.outputs()) == {"ready", "failing-checks", "report-file", "sarif-file", "comment-url"}
    assert "::" not in run.outputs_text
    body = bot_comments(gh)[0]["body"]
    assert body.count("<!--") == 1 and body.startswith(MARK), "a fake marker got through"
    assert "${{" not in run.outputs_text


def test_invalid_readiness_yml_exits_2_and_sets_error(runner: Runner, gh: FakeGitHub) -> None:
    runner.repo({**READY_FILES, "readiness.yml": "version: 1\nchecks:\n  nope: {}\n"})
    run = runner.run(runner.env(runner.pr_event()))
    assert run.code == 2
    assert [s["state"] for s in statuses(gh)] == ["error"]
    assert run.outputs()["ready"] == "false"


def test_no_token_skips_publishing_with_a_warning(runner: Runner, gh: FakeGitHub) -> None:
    runner.repo(READY_FILES)
    run = runner.run(runner.env(runner.pr_event(), token=""))
    assert run.code == 0
    assert not gh.calls("POST") and any("no token" in line for line in command_lines(run.stdout))


def test_diff_mode_without_the_base_commit_falls_back_to_full_with_a_warning(runner: Runner, gh: FakeGitHub) -> None:
    runner.repo(READY_FILES)
    run = runner.run(runner.env(runner.pr_event(), mode="diff"))
    assert run.code == 0
    assert any(line.startswith("::warning::") and "full scan" in line for line in command_lines(run.stdout))


def test_push_event_sets_status_on_github_sha_without_a_comment(runner: Runner, gh: FakeGitHub) -> None:
    runner.repo(READY_FILES)
    event = {"ref": "refs/heads/main", "repository": {"full_name": gh.full_name, "default_branch": "main"}}
    run = runner.run(runner.env(event, event_name="push"))
    assert run.code == 0
    assert [(s["sha"], s["state"]) for s in statuses(gh)] == [(MERGE, "success")]
    assert not gh.calls("POST", r"/comments$")


def test_check_run_mode(runner: Runner, gh: FakeGitHub) -> None:
    runner.repo(NOT_READY_FILES)
    run = runner.run(runner.env(runner.pr_event(), status="check-run", status_context="prod-gate"))
    assert run.code == 1
    with gh.lock:
        [check_run] = gh.state.check_runs
    assert check_run["conclusion"] == "failure" and check_run["head_sha"] == HEAD
    assert check_run["name"] == "prod-gate" and check_run["annotations"][0]["path"] == "SECURITY.md"
    assert statuses(gh) == []
    # a non-default context gets its own sticky comment marker
    assert bot_comments(gh)[0]["body"].startswith("<!-- readiness-gate:comment:prod-gate -->")


def test_deferral_added_by_the_pr_counts_only_after_the_lead_approves_the_head(runner: Runner, gh: FakeGitHub) -> None:
    reason = "SECURITY.md lands with the security team's new process next sprint"
    base_yml = 'version: 1\napprovers: ["@lead"]\n'
    head_yml = base_yml + (f"deferrals:\n  - check: security-policy\n    reason: {reason}\n"
                           f"    approved-by: \"@lead\"\n    expires: \"2026-12-31\"\n    ticket: SEC-9\n")
    gh.set_file("readiness.yml", BASE, base_yml)
    runner.repo({**NOT_READY_FILES, "readiness.yml": head_yml})
    event = runner.pr_event()
    first = runner.run(runner.env(event))
    assert first.code == 1
    assert "@\u200dlead" in bot_comments(gh)[0]["body"], "the comment must name who must approve (without pinging)"
    gh.add_review(7, "lead", "APPROVED", HEAD)
    second = runner.run(runner.env(event))
    assert second.code == 0
    assert [s["state"] for s in statuses(gh)] == ["failure", "success"]


def test_diff_mode_scans_against_the_pr_base_commit(runner: Runner, gh: FakeGitHub) -> None:
    import subprocess

    from helpers import git_init

    runner.repo(READY_FILES)
    git_init(runner.workspace)
    base = subprocess.run(["git", "-C", str(runner.workspace), "rev-parse", "HEAD"], capture_output=True,
                          text=True, check=True).stdout.strip()
    runner.repo({"new.py": "x = 1\n"})
    run = runner.run(runner.env(runner.pr_event(base=base), mode="auto", report_file="r.json"))
    assert run.code == 0, run.stdout
    doc = __import__("json").loads((runner.workspace / "r.json").read_text())
    assert doc["mode"] == "diff" and doc["changed_since"] == base
    assert doc["commit"] == HEAD


def test_with_a_personal_token_only_comments_of_that_login_are_ours(runner: Runner, gh: FakeGitHub) -> None:
    """Under a PAT the identity is GET /user's login; a marked comment by the Actions bot is not ours."""
    event = runner.pr_event()
    other = gh.add_comment(7, MARK + "\nold bot comment", BOT, "Bot")
    runner.repo(READY_FILES)
    for _ in range(2):
        assert runner.run(runner.env(event, token=gh.token)).code == 0
    mine = [c for c in gh.comments(7) if c["user"]["login"] == "gate-bot"]
    assert len(mine) == 1
    assert next(c for c in gh.comments(7) if c["id"] == other["id"])["body"] == other["body"]


def test_an_app_token_names_its_bot_login(runner: Runner, gh: FakeGitHub) -> None:
    gh.add_token("ghs_app_token", "my-app[bot]", installation=True, type_="Bot")
    event = runner.pr_event()
    runner.repo(READY_FILES)
    for _ in range(2):
        env = runner.env(event, token="ghs_app_token")
        env["READINESS_GATE_BOT_LOGIN"] = "my-app[bot]"
        assert runner.run(env).code == 0
    assert len([c for c in gh.comments(7) if c["user"]["login"] == "my-app[bot]"]) == 1


def test_a_subdirectory_path_prefixes_annotation_paths(runner: Runner, gh: FakeGitHub) -> None:
    runner.repo({f"svc/{k}": v for k, v in NOT_READY_FILES.items()})
    run = runner.run(runner.env(runner.pr_event(), path="svc", status="check-run"))
    assert run.code == 1
    assert any(line.startswith("::error file=svc/SECURITY.md,line=1,") for line in command_lines(run.stdout))
    with gh.lock:
        assert gh.state.check_runs[0]["annotations"][0]["path"] == "svc/SECURITY.md"


def test_a_pr_cannot_switch_a_check_off_without_a_leads_approval(runner: Runner, gh: FakeGitHub) -> None:
    """Policy from a trusted source: lowering a level is a deferral in disguise (docs/threats.md row 12)."""
    weakening = "version: 1\nchecks:\n  security-policy:\n    level: \"off\"\n"
    runner.repo({**NOT_READY_FILES, "readiness.yml": weakening})
    event = runner.pr_event()
    run = runner.run(runner.env(event))  # base has no readiness.yml: the default profile is the policy
    assert run.code == 1
    assert any("weakens the policy" in line and "security-policy" in line for line in command_lines(run.stdout))

    gh.set_file("readiness.yml", BASE, 'version: 1\napprovers: ["@lead"]\n')
    assert runner.run(runner.env(event)).code == 1
    gh.add_review(7, "dev", "APPROVED", HEAD)  # the author's own approval does not count
    assert runner.run(runner.env(event)).code == 1
    gh.add_review(7, "lead", "APPROVED", HEAD)
    run = runner.run(runner.env(event))
    assert run.code == 0
    assert any("approved by @lead" in line for line in command_lines(run.stdout))


def test_the_container_entrypoint_runs_from_the_environment_alone(runner: Runner, gh: FakeGitHub) -> None:
    """``readiness-gate github`` (the image's ENTRYPOINT) in a subprocess: env in, exit code and files out."""
    import subprocess
    import sys

    runner.repo(NOT_READY_FILES)
    env = runner.env(runner.pr_event(), report_file="report.json")
    env["PATH"] = os.environ.get("PATH", "")
    proc = subprocess.run([sys.executable, "-m", "gate", "github"], env=env, capture_output=True, text=True,
                          timeout=120, cwd=runner.workspace)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert (runner.workspace / "report.json").is_file()
    assert Path(env["GITHUB_OUTPUT"]).read_text().startswith("ready=false\nfailing-checks=security-policy\n")
    assert [s["state"] for s in statuses(gh)] == ["failure"]
    assert len(bot_comments(gh)) == 1


def test_osv_db_input_audits_offline(runner: Runner, gh: FakeGitHub) -> None:
    data = Path(__file__).resolve().parents[1] / "data" / "osv"
    runner.repo({**READY_FILES, "requirements.txt": "requests==2.19.1\n"})
    run = runner.run(runner.env(runner.pr_event(), only="security-policy,dependencies", osv_db=str(data)))
    assert run.code == 1, run.stdout
    assert run.outputs()["failing-checks"] == "dependencies"
    assert "PYSEC-2018-28" in bot_comments(gh)[0]["body"]
    bad = runner.run(runner.env(runner.pr_event(), osv_db="missing-db"))
    assert bad.code == 2 and "osv-db" in bad.stdout


def test_a_pr_cannot_audit_its_own_secret_in_the_baseline(runner: Runner, gh: FakeGitHub) -> None:
    """An audited false positive is a suppression: a baseline the PR changed counts only once a
    base-branch lead approves the current head, or when it is identical on the base branch."""
    import json

    from gate.secrets.types import SECRET_TYPES

    key = "AKIA" + "Q7ZP3KXW9MB2JD4N"  # AWS access key id shape, built so this file holds none
    runner.repo({**READY_FILES, "app.py": f'AWS_ID = "{key}"\n'})
    gh.set_file("readiness.yml", BASE, 'version: 1\napprovers: ["@lead"]\n')
    event = runner.pr_event()
    first = runner.run(runner.env(event, only="secrets", report_file="r.json"))
    assert first.code == 1
    report = json.loads((runner.workspace / "r.json").read_text())
    findings = next(c for g in report["gates"] for c in g["checks"] if c["id"] == "secrets")["findings"]
    names = {t.id: t.name for t in SECRET_TYPES}
    baseline = {"version": "1.5.0", "plugins_used": [], "filters_used": [], "results": {"app.py": [
        {"type": names[f["rule"]], "filename": "app.py", "hashed_secret": f["fingerprint"],
         "line_number": f["line"], "is_secret": False, "is_verified": False} for f in findings]}}
    text = json.dumps(baseline, indent=2)
    (runner.workspace / ".secrets.baseline").write_text(text)
    (runner.workspace / "r.json").unlink()

    run = runner.run(runner.env(event, only="secrets"))
    assert run.code == 1, "the PR's own audit must not silence its own secret"
    assert any(".secrets.baseline is changed by this pull request" in line for line in command_lines(run.stdout))
    assert key not in run.stdout

    gh.add_review(7, "dev", "APPROVED", HEAD)  # the author's approval does not count
    assert runner.run(runner.env(event, only="secrets")).code == 1
    gh.add_review(7, "lead", "APPROVED", HEAD)
    approved = runner.run(runner.env(event, only="secrets"))
    assert approved.code == 0
    assert any("approved by @lead" in line for line in command_lines(approved.stdout))

    gh.set_file(".secrets.baseline", BASE, text)  # merged earlier: trusted as it is
    other = runner.pr_event(number=8)
    assert runner.run(runner.env(other, only="secrets")).code == 0
