"""Token-shaped file names and readiness.yml values are never echoed verbatim (``docs/threats.md``,
"Attacks on the verdict", and promise 3).

The mechanism: the renderers escaped repository text for their medium (terminal, markdown, JSON,
SARIF) but quoted paths and the values a team types into ``readiness.yml`` (a deferral's
``ticket`` and ``finding``, ``owners``, ``evidence.*``) as they were. A pull request adding a file
named after a credential, or a config value holding one, put the credential into the PR comment,
the job summary, annotations and every report file. Now every path and quoted value passes
:func:`gate.redact.redact` in :mod:`gate.render.escape` (text, markdown, HTML contexts, file
links) and in the JSON report; SARIF and the Action's annotations use the same functions.

Each run also asserts the surrounding text did reach the output (the finding, the deferral),
so the test cannot pass by printing nothing.
"""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import pytest
from gh_helpers import Runner
from helpers import write_tree
from secret_samples import samples
from servers.github import FakeGitHub

from gate.cli import main
from gate.render import RENDERERS

TOKEN = next(s.value for s in samples() if s.value.startswith("ghp_"))
"""A GitHub personal access token shape (built at run time, never committed)."""

AWS_LINE = next(s.line for s in samples() if s.rule == "aws-access-key")


def plant(root: Path) -> Path:
    """A repository whose file names and readiness.yml values carry :data:`TOKEN`."""
    return write_tree(root, {
        f"src/{TOKEN}/settings.py": AWS_LINE + "\n",  # a finding whose path holds the token
        f"docs/{TOKEN}.md": "# Notes\n",
        "readiness.yml": (
            "version: 1\n"
            f"owners: ['@org/team-{TOKEN}']\n"
            'approvers: ["@lead"]\n'
            "evidence:\n"
            f"  backups: {{mechanism: 'snapshots of {TOKEN}'}}\n"
            f"  restore-tested: {{date: '2026-11-01', link: 'https://wiki.example/{TOKEN}', notes: 'by {TOKEN}'}}\n"
            "deferrals:\n"
            "  - check: secrets\n"
            f"    finding: 'src/{TOKEN}/settings.py'\n"
            "    reason: the key is a revoked test fixture, removal is scheduled\n"
            '    approved-by: "@lead"\n'
            '    expires: "2026-12-31"\n'
            f"    ticket: 'SEC-{TOKEN}'\n"
            "  - check: security-policy\n"
            "    reason: the policy is written by the security team this quarter\n"
            '    approved-by: "@lead"\n'
            '    expires: "2026-12-31"\n'
            f"    ticket: '{TOKEN}'\n"),
    }, dedent=False)


def _cli(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


def _assert_clean(captured: dict[str, str]) -> None:
    for where, text in captured.items():
        assert TOKEN not in text, f"the token in a path or readiness.yml value leaked into {where}"


@pytest.mark.parametrize("fmt", sorted(RENDERERS))
def test_every_cli_renderer_redacts_paths_and_quoted_values(tmp_path: Path, fmt: str) -> None:
    repo = plant(tmp_path / "repo")
    code, stdout, stderr = _cli(["check", str(repo), "--format", fmt, "--today", "2026-11-21",
                                 "--only", "secrets,security-policy,backups"])
    assert code == 1, stderr
    _assert_clean({"stdout": stdout, "stderr": stderr})
    # Non-vacuous: the finding, its path's other parts and the deferral tickets are shown.
    assert "settings.py" in stdout and "REDACTED" in stdout, stdout[-2000:]
    if fmt == "json":
        data = json.loads(stdout)
        tickets = {d["ticket"] for d in data["deferrals"]}
        assert tickets == {"SEC-[REDACTED]", "[REDACTED]"}, tickets
        assert any(o.startswith("@org/team-") for o in data["owners"])


@pytest.mark.parametrize("status", ["commit-status", "check-run"])
def test_the_action_redacts_paths_in_comment_summary_annotations_and_files(
        tmp_path: Path, gh: FakeGitHub, status: str) -> None:
    runner = Runner(tmp_path, gh)
    plant(runner.workspace)
    env = runner.env(runner.pr_event(), only="secrets,security-policy,backups", report_file="report.json",
                     sarif_file="report.sarif", status=status)
    run = runner.run(env)
    assert run.code == 1, run.stdout[-3000:]
    bodies = [json.dumps(r.body, ensure_ascii=False) for r in gh.requests if r.body is not None]
    captured = {"stdout (annotations)": run.stdout, "summary": run.summary, "outputs": run.outputs_text,
                "report.json": (runner.workspace / "report.json").read_text(encoding="utf-8"),
                "report.sarif": (runner.workspace / "report.sarif").read_text(encoding="utf-8"),
                **{f"request {i}": b for i, b in enumerate(bodies)}}
    _assert_clean(captured)
    assert "settings.py" in run.summary and any("settings.py" in b for b in bodies), "nothing was published"
