"""gate.scanners.process: tool versions without starting the tool when it is the environment's own."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from gate.scanners import process

TOOLS = ("pip-audit", "semgrep", "detect-secrets")


@pytest.mark.parametrize("tool", TOOLS)
def test_installed_version_is_what_the_tool_prints(tool: str) -> None:
    exe = Path(sys.executable).parent / tool
    if not exe.exists():
        pytest.skip(f"{tool} is not installed beside this interpreter")
    printed = subprocess.run([str(exe), "--version"], capture_output=True, text=True, timeout=120,
                             env={"SEMGREP_ENABLE_VERSION_CHECK": "0", "PATH": "/usr/bin:/bin"}).stdout.strip()
    known = process.installed_version(tool)
    assert known and printed.split()[-1] == known


def test_an_overridden_executable_is_asked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = tmp_path / "pip-audit"
    fake.write_text("#!/bin/sh\necho 'pip-audit 9.9.9-fake'\n", encoding="utf-8")
    fake.chmod(0o755)
    monkeypatch.setenv("READINESS_GATE_PIP_AUDIT_BIN", str(fake))
    process.tool_version.cache_clear()
    try:
        assert process.installed_version("pip-audit") is None
        assert process.tool_version("pip-audit") == "9.9.9-fake"
    finally:
        process.tool_version.cache_clear()


def test_a_tool_found_elsewhere_on_path_is_asked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the console script beside ``sys.executable`` is known to belong to the installed
    distribution; one found on PATH may be another installation."""
    assert process.installed_version("no-such-tool-readiness") is None
    other = tmp_path / "bin"
    other.mkdir()
    script = other / "pytest-readiness-probe"
    script.write_text("#!/bin/sh\necho 1.0\n", encoding="utf-8")
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{other}:{__import__('os').environ.get('PATH', '')}")
    assert process.find_tool("pytest-readiness-probe") == str(script)
    assert process.installed_version("pytest-readiness-probe") is None


def test_git_is_started_from_one_module_only() -> None:
    """Every git call goes through ``gate/git.py`` (one set of hardening flags): no other module
    under ``gate/`` names ``git`` as a program, and only ``gate/scanners/`` starts processes."""
    import ast

    gate_dir = Path(process.__file__).resolve().parents[1]
    starters, git_programs = [], []
    for path in sorted(gate_dir.rglob("*.py")):
        rel = path.relative_to(gate_dir.parent).as_posix()
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names = [a.name for a in node.names] + ([node.module] if isinstance(node, ast.ImportFrom) else [])
                if "subprocess" in names or "os.system" in names:
                    starters.append(rel)
            # "git" as a program: the tool run_tool starts, or the first element of an argv
            if not (isinstance(node, ast.Call) and node.args):
                continue
            func = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            arg = node.args[0]
            first = arg.elts[0] if isinstance(arg, (ast.List, ast.Tuple)) and arg.elts else arg
            if (func in {"run_tool", "find_tool", "run", "Popen", "check_output", "call", "check_call"}
                    and isinstance(first, ast.Constant) and first.value == "git" and rel != "gate/git.py"):
                git_programs.append(f"{rel}:{node.lineno}")
    assert set(starters) <= {"gate/scanners/process.py", "gate/scanners/pip_audit.py"}, starters
    assert git_programs == [], git_programs


def test_tool_version_is_cached_per_resolved_executable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Pointing the override at another executable asks that one, without clearing the cache."""
    answers = []
    for version in ("1.0-first", "2.0-second"):
        fake = tmp_path / version / "pip-audit"
        fake.parent.mkdir()
        fake.write_text(f"#!/bin/sh\necho 'pip-audit {version}'\n", encoding="utf-8")
        fake.chmod(0o755)
        monkeypatch.setenv("READINESS_GATE_PIP_AUDIT_BIN", str(fake))
        answers.append(process.tool_version("pip-audit"))
    assert answers == ["1.0-first", "2.0-second"]


def test_tool_error_carries_the_finished_run() -> None:
    with pytest.raises(process.ToolError) as caught:
        process.run_tool("git", ["--no-such-option-readiness"], timeout=30)
    run = caught.value.run
    assert run is not None and run.returncode == caught.value.returncode and run.returncode > 0
    assert "no-such-option-readiness" in run.stderr
