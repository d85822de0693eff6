"""Run the action image the way a GitHub Actions runner runs a Docker action, against loopback
GitHub and OSV APIs, and check what it did. Called by ``scripts/container-smoke.sh``.

The runner's shape (``actions/runner``, ContainerActionHandler): the workspace is bind-mounted
at ``/github/workspace`` (owned by the runner's user, not the container's root), the event at
``/github/workflow/event.json``, the output and summary files under ``/github/file_commands``,
``HOME`` at ``/github/home``; ``GITHUB_*`` and ``INPUT_*`` (dashes kept) in the environment.
Here ``--network host`` lets the container reach the loopback servers.

The repository is ``examples/ready-service`` as a two-commit git repository (the PR's base and
head), so diff-aware mode runs git inside the container on a workspace owned by another uid.

Checks: exit code 0; exactly one sticky comment by ``github-actions[bot]``; one ``success``
status on the head commit; the step outputs and the job summary written; the workspace
byte-for-byte, mode-for-mode and owner-for-owner as it was (nothing written, nothing left).
Prints one ``container-smoke: PASS`` line, or the failures and exit 1.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from servers.github import FakeGitHub  # noqa: E402
from servers.osv import OsvServer  # noqa: E402

RUNNER_UID = 1001
"""The uid that owns the workspace (the hosted runner's ``runner`` user)."""

MARKER = "<!-- readiness-gate:comment -->"


def git(repo: Path, *args: str) -> str:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(repo.parent),
           "GIT_AUTHOR_NAME": "dev", "GIT_AUTHOR_EMAIL": "dev@example.com", "GIT_COMMITTER_NAME": "dev",
           "GIT_COMMITTER_EMAIL": "dev@example.com", "GIT_AUTHOR_DATE": "2026-11-20T12:00:00Z",
           "GIT_COMMITTER_DATE": "2026-11-20T12:00:00Z"}
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True,
                          env=env).stdout.strip()


def snapshot(root: Path) -> dict[str, tuple]:
    """Every path under ``root``: type, mode, owner, size, content hash, mtime."""
    out: dict[str, tuple] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            p = Path(dirpath) / name
            st = p.lstat()
            digest = hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() and not p.is_symlink() else ""
            out[str(p.relative_to(root))] = (oct(st.st_mode), st.st_uid, st.st_gid, st.st_size, digest,
                                             st.st_mtime_ns)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--image", required=True)
    ap.add_argument("--work", required=True, type=Path)
    ap.add_argument("--timeout", type=float, default=900.0)
    args = ap.parse_args()

    run_dir = args.work / "run"
    shutil.rmtree(run_dir, ignore_errors=True)
    workspace, workflow, commands, home = (run_dir / d for d in ("workspace", "workflow", "file_commands", "home"))
    for d in (workflow, commands, home):
        d.mkdir(parents=True)
    shutil.copytree(ROOT / "examples" / "ready-service", workspace, symlinks=True)
    readme = (workspace / "README.md").read_bytes()
    (workspace / "README.md").write_bytes(readme[: len(readme) // 2])  # the base commit: half a README
    git(workspace, "init", "-q", "-b", "main")
    git(workspace, "add", "-A")
    git(workspace, "commit", "-q", "-m", "base")
    base_sha = git(workspace, "rev-parse", "HEAD")
    (workspace / "README.md").write_bytes(readme)
    git(workspace, "checkout", "-q", "-b", "feature")
    git(workspace, "commit", "-q", "-am", "the pull request")
    head_sha = git(workspace, "rev-parse", "HEAD")
    for dirpath, dirnames, filenames in os.walk(workspace):
        for name in [dirpath, *(os.path.join(dirpath, n) for n in dirnames + filenames)]:
            os.lchown(name, RUNNER_UID, RUNNER_UID)
    before = snapshot(workspace)

    failures: list[str] = []
    with FakeGitHub() as gh, OsvServer.from_directory() as osv:
        pull = gh.add_pull(7, head_sha=head_sha, base_sha=base_sha, author="dev")
        gh.set_file("readiness.yml", base_sha, (workspace / "readiness.yml").read_bytes())
        event = {"action": "synchronize", "number": 7, "pull_request": pull,
                 "repository": {"full_name": gh.full_name, "default_branch": "main"}}
        (workflow / "event.json").write_text(json.dumps(event), encoding="utf-8")
        env = {
            "CI": "true", "HOME": "/github/home", "GITHUB_ACTIONS": "true",
            "GITHUB_API_URL": gh.api_url, "GITHUB_SERVER_URL": "https://github.example",
            "GITHUB_REPOSITORY": gh.full_name, "GITHUB_EVENT_NAME": "pull_request",
            "GITHUB_EVENT_PATH": "/github/workflow/event.json", "GITHUB_SHA": "c" * 40,
            "GITHUB_REF": "refs/pull/7/merge", "GITHUB_WORKSPACE": "/github/workspace",
            "GITHUB_OUTPUT": "/github/file_commands/set_output_1", "GITHUB_STEP_SUMMARY":
            "/github/file_commands/step_summary_1", "GITHUB_RUN_ID": "4242", "GITHUB_RUN_ATTEMPT": "1",
            "RUNNER_OS": "Linux", "RUNNER_TEMP": "/home/runner/work/_temp",
            "INPUT_TOKEN": gh.installation_token, "INPUT_MODE": "auto", "INPUT_OSV-URL": osv.base_url,
            "INPUT_COMMENT": "true", "INPUT_STATUS": "commit-status", "INPUT_STATUS-CONTEXT": "readiness-gate",
        }
        cmd = ["podman", "--runtime", "runc", "run", "--rm", "--network", "host", "--workdir", "/github/workspace",
               *os.environ.get("SMOKE_PODMAN_LIMITS", "").split(),
               "-v", f"{workspace}:/github/workspace", "-v", f"{workflow}:/github/workflow",
               "-v", f"{commands}:/github/file_commands", "-v", f"{home}:/github/home"]
        for key in env:
            cmd += ["-e", key]
        cmd.append(args.image)
        start = time.monotonic()
        proc = subprocess.run(cmd, env={**os.environ, **env}, capture_output=True, text=True, timeout=args.timeout)
        seconds = time.monotonic() - start
        if proc.returncode != 0:
            failures.append(f"exit code {proc.returncode} (expected 0)")
        comments = [c for c in gh.comments(7) if c["user"]["login"] == "github-actions[bot]"]
        if len(comments) != 1 or not comments[0]["body"].startswith(MARKER):
            failures.append(f"expected one sticky comment, got {len(comments)}")
        with gh.lock:
            statuses = list(gh.state.statuses)
        if [(s["sha"], s["state"], s["context"]) for s in statuses] != [(head_sha, "success", "readiness-gate")]:
            failures.append(f"expected one success status on the head commit, got {statuses}")
        osv_queries = len(osv.requests)
    outputs_file, summary_file = commands / "set_output_1", commands / "step_summary_1"
    outputs = outputs_file.read_text(encoding="utf-8") if outputs_file.exists() else ""
    if "ready=true\n" not in outputs or (comments and f"comment-url={comments[0]['html_url']}\n" not in outputs):
        failures.append(f"step outputs not as expected: {outputs!r}")
    summary = summary_file.read_text(encoding="utf-8") if summary_file.exists() else ""
    if "Ready" not in summary:
        failures.append("the job summary was not written")
    if not osv_queries:
        failures.append("the dependencies check never asked the OSV API")
    after = snapshot(workspace)
    changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
    if changed:
        failures.append(f"the workspace changed: {changed[:10]}")
    if failures:
        print("container-smoke: FAIL\n  " + "\n  ".join(failures))
        print("--- container stdout ---\n" + proc.stdout[-4000:] + "\n--- stderr ---\n" + proc.stderr[-4000:])
        return 1
    print(f"container-smoke: PASS in {seconds:.1f} s: exit 0, one comment, one success status on "
          f"{head_sha[:7]}, outputs and summary written, {osv_queries} OSV requests, workspace untouched "
          f"({len(before)} paths)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
