"""Git repositories for the diff-mode tests: a base commit on ``main`` and a ``feature`` branch."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from helpers import git_init, write_tree

AWS_OLD = "AKIAZ3MSJV7WNBQRXQ4T"
AWS_NEW = "AKIAQ7PLMX2K4HDWN8ZR"
AWS_UNTOUCHED = "AKIAV5TGBN3JUKWQ6EYP"
GIT_ENV = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(root), *args], check=True, env=GIT_ENV,
                          capture_output=True, text=True).stdout


def commit_all(root: Path, message: str) -> None:
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message)


def make_repo(root: Path, *, add_new_secret: bool = True) -> Path:
    """main: app.py (pre-existing secret on line 2), untouched.py (secret), notes.txt.
    feature: app.py gets lines appended (a new secret on line 5 when ``add_new_secret``),
    notes.txt is edited, untouched.py is not."""
    write_tree(root, {
        "app.py": f'import os\nOLD_KEY = "{AWS_OLD}"\n\n',
        "untouched.py": f'KEY = "{AWS_UNTOUCHED}"\n',
        "notes.txt": "first\n",
    })
    git_init(root)
    git(root, "checkout", "-q", "-b", "feature")
    added = f'NEW_KEY = "{AWS_NEW}"\n' if add_new_secret else "VALUE = os.environ['VALUE']\n"
    write_tree(root, {"app.py": f'import os\nOLD_KEY = "{AWS_OLD}"\n\ndef f():\n    pass\n{added}',
                      "notes.txt": "first\nsecond\n"}, dedent=False)
    commit_all(root, "feature")
    return root
