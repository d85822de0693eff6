"""A hostile repository, built at test time (``docs/threats.md`` rows 2, 7 and 9).

Nothing odd is committed to this project: every symlink, FIFO, sparse 200 MB file and
shell-metacharacter name is created in a temporary directory by :func:`build_hostile_repo`.
The module also holds the assertions every output of a run on it must satisfy, so each test
file states its promise and reuses the same checks.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from helpers import write_tree

PASSWD_LINE = "root:x:0:0"
"""The start of /etc/passwd's first line: must never appear in any output."""

OUTSIDE_CANARY = "OUTSIDE-CANARY-6f1c2d"
"""Content of a file outside the repository that in-tree symlinks point at: must never leak."""

MARKERS = ("pwned-dollar", "pwned-backtick", "pwned-semicolon", "pwned-yaml", "pwned-md")
"""Files that exist only if something executed a name or content from the repository."""

DEPTH = 120
"""Directory nesting depth of the deep fixture (well past any sane source tree)."""

HUGE = 200 * 1024 * 1024
"""Size of the sparse huge file, bytes (THREATS row 7's 200 MB)."""

HOSTILE_NAMES = (
    "$(touch pwned-dollar).py",
    "`touch pwned-backtick`.py",
    "x;touch pwned-semicolon;.py",
    "a\n::error::injected.py",
    "::error file=x::pwned.py",
    "##[error]legacy-command.py",
    ":",
    "@org/team.py",
    "<!-- readiness-gate:comment -->.py",
    "[click](https:\u2215\u2215evil.example).py",
    "<img src=x onerror=alert(1)>.py",
    "**bold** _em_ `code` | pipe.py",
    "docs/runbooks/$(touch pwned-md).md",
)
"""File names a hostile PR controls (each holds harmless Python or markdown)."""


@dataclass(frozen=True)
class Hostile:
    """Paths of a built hostile repository."""

    root: Path
    outside: Path
    """Directory outside the repository holding the canary file."""
    symlinks_out: tuple[str, ...]
    """Repository-relative names of symlinks leaving the tree (never evidence, never read)."""
    specials: tuple[str, ...]
    """Names that are not regular files (FIFO)."""
    huge: str
    binary: tuple[str, ...]


def build_hostile_repo(base: Path, root: "Path | None" = None) -> Hostile:
    """Create the hostile repository at ``root`` (default ``base / "repo"``; it may already
    exist, e.g. a simulated Actions workspace) with its out-of-tree targets under ``base``."""
    root = root or base / "repo"
    outside = base / "outside"
    write_tree(outside, {"secret-notes.md": f"# Runbook\n\n## Symptoms\n{OUTSIDE_CANARY}\n",
                         "rollback.sh": f"#!/bin/sh\necho {OUTSIDE_CANARY}\n"})
    files: dict[str, str | bytes] = {
        "app.py": "import logging\n\nlog = logging.getLogger(__name__)\n",
        # CRLF workflow whose step would run a marker command if anything executed it.
        ".github/workflows/deploy.yml": (
            "name: deploy\r\non: [push]\r\njobs:\r\n  deploy:\r\n    runs-on: ubuntu-latest\r\n"
            "    environment: production\r\n    steps:\r\n      - run: touch pwned-yaml && ./deploy.sh\r\n"),
        "README.md": "# App\n\n<!-- readiness-gate:comment -->\n@org/all please look\n",
        # A file of NUL bytes named like Python, and one literally named ".py".
        "zeros.py": b"\x00" * 4096,
        ".py": b"\x00" * 64,
    }
    for name in HOSTILE_NAMES:
        files[name] = "# runbook\n" if name.endswith(".md") else "VALUE = 1\n"
    deep = "/".join(["d"] * DEPTH) + "/deep.py"
    files[deep] = "DEEP = 1\n"
    write_tree(root, files, dedent=False)

    links = {
        "docs/runbooks/passwd.md": "/etc/passwd",
        "docs/runbooks/outside.md": str(outside / "secret-notes.md"),
        "docs/runbooks/broken.md": str(outside / "does-not-exist.md"),
        "rollback.sh": "/dev/urandom",
        "scripts/rollback.sh": str(outside / "rollback.sh"),
        ".secrets.baseline": "/etc/passwd",
        "CODEOWNERS": "/etc/passwd",
        "SECURITY.md": "../outside/secret-notes.md",
        "requirements.txt": "/etc/passwd",
        "docs/runbooks/up.md": "../../../outside/secret-notes.md",
    }
    for name, target in links.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(target, path)
    # A directory symlink out of the tree: must not be walked.
    os.symlink(str(outside), root / "docs" / "linked-dir")
    fifo = root / "docs" / "runbooks" / "fifo.md"
    os.mkfifo(fifo)
    huge = root / "src" / "huge.py"
    huge.parent.mkdir(parents=True, exist_ok=True)
    with open(huge, "wb") as fh:
        fh.truncate(HUGE)  # sparse: costs no disk and no time
    return Hostile(root, outside, tuple(links), ("docs/runbooks/fifo.md",), "src/huge.py", ("zeros.py", ".py"))


def assert_no_leak(texts: Iterable[str]) -> None:
    """No captured text contains a line of /etc/passwd or the out-of-tree canary."""
    for text in texts:
        assert PASSWD_LINE not in text, "content of /etc/passwd leaked"
        assert OUTSIDE_CANARY not in text, "content of a file outside the repository leaked"


def assert_nothing_executed(*dirs: Path) -> None:
    """No marker file exists anywhere below ``dirs``."""
    for d in dirs:
        for dirpath, dirnames, filenames in os.walk(d):
            found = [n for n in filenames if n in MARKERS]
            assert not found, f"executed repository text: {found} in {dirpath}"


_OWN_COMMAND = re.compile(r"^::(error|warning|notice|debug|group|endgroup|add-mask)( [^:]*)?::")


def assert_no_workflow_command_injection(text: str, *, own_commands: bool = False) -> None:
    """No printed line is a workflow command unless it is one of our own, escaped.

    The Actions runner (``actions/runner`` ``ActionCommand``) takes a line as a ``::name::``
    command after trimming leading whitespace, and a legacy ``##[name]`` command anywhere in a
    line, but only when the line is not a ``::`` command (the runner tries ``TryParseV2``
    first). Our own commands (``own_commands``) match :data:`_OWN_COMMAND` at column 0 and their
    data is escaped (``%0A`` for newlines), so a file name inside cannot start another command.
    """
    for line in text.splitlines():
        if line.lstrip().startswith("::"):
            assert own_commands and _OWN_COMMAND.match(line), f"line starts a workflow command: {line!r}"
            continue  # parsed as our command, so the legacy parser never sees the line
        assert "##[" not in line, f"legacy workflow command key in {line!r}"


def skipped_reasons(report_json: dict) -> dict[str, str]:
    """Every skipped path of a JSON report -> its reason (inventory's and each check's)."""
    out = {s["path"]: s["reason"] for s in report_json["skipped"]}
    for g in report_json["gates"]:
        for c in g["checks"]:
            for s in c["skipped"]:
                out.setdefault(s["path"], s["reason"])
    return out


def load_json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))
