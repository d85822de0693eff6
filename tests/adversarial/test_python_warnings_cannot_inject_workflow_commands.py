"""Python warnings cannot print workflow commands (``gate/pysource.py``, ``gate/safe_warnings.py``;
``docs/threats.md``, "Attacks on the verdict").

``ast.parse(text, filename=path)`` prints a ``SyntaxWarning`` as ``<path>:<line>: SyntaxWarning:
...`` on stderr: a file named ``::error title=Forged::all checks passed.py`` then starts a line
with ``::``, which the GitHub Actions runner reads as a workflow command (a forged annotation, or
``::add-mask::``, ``::stop-commands::``). Repository Python is now parsed with warnings swallowed
and a neutral file name, and the CLI prints any other warning as one escaped line.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import git_init, write_tree

FORGED = "::error title=Forged::all checks passed.py"
SOURCE = ('from flask import Flask\napp = Flask(__name__)\n\n@app.route("/health")\ndef health():\n'
          '    pattern = "\\d+"\n    return "ok"\n')
"""A health route (so the observability check parses the file) and an invalid escape sequence
(``ast.parse`` warns: a SyntaxWarning from Python 3.12, a DeprecationWarning before)."""


def _command_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.lstrip().startswith("::") or "##[" in line]


def _exe() -> Path:
    exe = Path(sys.executable).parent / "readiness-gate"
    if not exe.exists():
        pytest.skip("no readiness-gate console script beside this interpreter")
    return exe


@pytest.mark.parametrize("git", [False, True])
def test_a_file_named_like_a_workflow_command_prints_no_command(tmp_path: Path, git: bool) -> None:
    root = write_tree(tmp_path / "repo", {FORGED: SOURCE, "app/" + FORGED: SOURCE, "ok.py": SOURCE})
    if git:
        git_init(root)
    env = {**os.environ, "PYTHONWARNINGS": "always"}  # show every warning, as -W always would
    run = subprocess.run([str(_exe()), "check", ".", "--only", "observability,rollback,runbooks",
                          "--format", "text", "--color", "never"], cwd=root, env=env,
                         capture_output=True, text=True, timeout=300, check=False)
    assert run.returncode in (0, 1), run.stderr[-2000:]
    assert "observability" in run.stdout
    assert _command_lines(run.stderr) == [] and _command_lines(run.stdout) == []


def test_warnings_raised_anywhere_print_as_escaped_lines(tmp_path: Path) -> None:
    """The net under everything: once the CLI ran, a warning with a command in its text (or in
    the file name it names) is printed as one line that the runner does not read as a command."""
    code = ("import warnings\n"
            "from gate.cli import main\n"
            "main([])\n"
            "warnings.warn('::error title=Forged::ok\\n::add-mask::x ##[error]y')\n"
            "warnings.warn_explicit('boom', SyntaxWarning, '::warning file=a::b.py', 3)\n")
    run = subprocess.run([sys.executable, "-W", "always", "-c", code], capture_output=True, text=True, timeout=60,
                         cwd=tmp_path, check=False)
    assert "Forged" in run.stderr and "boom" in run.stderr, run.stderr
    assert _command_lines(run.stderr) == [], run.stderr
