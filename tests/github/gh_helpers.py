"""Helpers for the GitHub Action tests: a simulated Actions runner driving the action against the fake GitHub.

The runner is simulated the way GitHub's is: environment variables (``GITHUB_*``, ``INPUT_*``
with dashes kept), an event payload file, and ``GITHUB_OUTPUT`` / ``GITHUB_STEP_SUMMARY``
files outside the workspace. The gate runs for real on a real directory; only two cheap
checks are selected (``security-policy`` and ``dependency-updates``) through the action's
``only`` input so the scanners' speed does not matter here.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from helpers import TODAY, write_tree
from servers.github import FakeGitHub

from gate.github.action import run_action
from gate.github.publish_mode import publish_report
from gate.github.api import RetryPolicy

HEAD = "a" * 40
BASE = "b" * 40
MERGE = "c" * 40
OLD_HEAD = "d" * 40

FAST = RetryPolicy(timeout=1.0, attempts=3, backoff=0.01, secondary_wait=0.2, budget=3.0,
                   seconds_between_requests=0, seconds_between_writes=0)
"""Retry bounds small enough for tests, same code paths as production."""

ONLY = "security-policy,dependency-updates"

READY_FILES = {
    "SECURITY.md": "# Security\n\nReport vulnerabilities to security@example.com.\n",
    ".github/dependabot.yml": "version: 2\nupdates:\n  - package-ecosystem: pip\n    directory: /\n"
                              "    schedule:\n      interval: weekly\n",
}
NOT_READY_FILES = {**READY_FILES, "SECURITY.md": ""}


@dataclass
class Run:
    """One simulated action run: exit code, stdout, outputs file, summary file, workspace."""

    code: int
    stdout: str
    output_file: Path
    summary_file: Path
    workspace: Path

    @property
    def outputs_text(self) -> str:
        return self.output_file.read_text(encoding="utf-8") if self.output_file.exists() else ""

    @property
    def summary(self) -> str:
        return self.summary_file.read_text(encoding="utf-8") if self.summary_file.exists() else ""

    def outputs(self) -> dict[str, str]:
        """Parse GITHUB_OUTPUT like the runner does (``k=v`` and ``k<<DELIM`` blocks)."""
        return parse_outputs(self.outputs_text)


def parse_outputs(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line:
            i += 1
            continue
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            key, delim = line.split("<<", 1)
            j = lines.index(delim, i + 1)
            assert key not in out, f"duplicate output {key}"
            out[key] = "\n".join(lines[i + 1:j])
            i = j + 1
        else:
            key, value = line.split("=", 1)
            assert key not in out, f"duplicate output {key}"
            out[key] = value
            i += 1
    return out


@dataclass
class Runner:
    """Builds the runner environment for the fake GitHub and runs the action."""

    tmp: Path
    gh: FakeGitHub
    workspace: Path = field(init=False)
    runner_dir: Path = field(init=False)
    counter: int = 0

    def __post_init__(self) -> None:
        self.workspace = self.tmp / "workspace"
        self.runner_dir = self.tmp / "runner"
        self.workspace.mkdir()
        self.runner_dir.mkdir()

    def repo(self, files: dict[str, Any]) -> None:
        write_tree(self.workspace, files, dedent=False)

    def pr_event(self, number: int = 7, *, head: str = HEAD, base: str = BASE, author: str = "dev",
                 head_repo: Optional[str] = None, title: str = "A change", branch: str = "feature") -> dict[str, Any]:
        pull = self.gh.add_pull(number, head_sha=head, base_sha=base, author=author, head_repo=head_repo,
                                title=title, head_ref=branch)
        return {"action": "synchronize", "number": number, "pull_request": pull,
                "repository": {"full_name": self.gh.full_name, "default_branch": "main"}}

    def env(self, event: dict[str, Any], *, event_name: str = "pull_request", token: Optional[str] = None,
            **inputs: str) -> dict[str, str]:
        self.counter += 1
        event_path = self.runner_dir / f"event-{self.counter}.json"
        event_path.write_text(json.dumps(event), encoding="utf-8")
        env = {
            "GITHUB_ACTIONS": "true",
            "GITHUB_API_URL": self.gh.api_url,
            "GITHUB_SERVER_URL": "https://github.example",
            "GITHUB_REPOSITORY": self.gh.full_name,
            "GITHUB_EVENT_NAME": event_name,
            "GITHUB_EVENT_PATH": str(event_path),
            "GITHUB_SHA": MERGE,
            "GITHUB_REF": "refs/pull/7/merge" if event_name == "pull_request" else "refs/heads/main",
            "GITHUB_WORKSPACE": str(self.workspace),
            "GITHUB_OUTPUT": str(self.runner_dir / f"output-{self.counter}.txt"),
            "GITHUB_STEP_SUMMARY": str(self.runner_dir / f"summary-{self.counter}.md"),
            "GITHUB_RUN_ID": "4242",
            "INPUT_TOKEN": token if token is not None else self.gh.installation_token,
            "INPUT_ONLY": ONLY,
            "INPUT_MODE": "full",
        }
        for key, value in inputs.items():
            env[f"INPUT_{key.upper().replace('_', '-')}"] = value
        return env

    def run(self, env: dict[str, str], *, publish: Optional[str] = None) -> Run:
        out = io.StringIO()
        if publish is not None:
            code = publish_report(publish, env, stdout=out, policy=FAST)
        else:
            code = run_action(env, stdout=out, policy=FAST, today=TODAY)
        return Run(code, out.getvalue(), Path(env["GITHUB_OUTPUT"]), Path(env["GITHUB_STEP_SUMMARY"]),
                   self.workspace)
