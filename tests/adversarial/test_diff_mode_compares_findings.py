"""Diff mode decides "new" by comparing findings, never by reading diff text (``docs/threats.md``,
"Attacks on the verdict"; README "Diff-aware mode").

A finding is pre-existing only when the base version of its file (read from git's object store,
a rename's old path) has an equal finding: same rule, path, fingerprint and text of every line of
its range. So a line that *looks* like a patch header cannot end a file's hunks, a change on any
line of a multi-line finding makes it new, and code that only moves stays pre-existing. Real git,
real semgrep and detect-secrets, one repository for all shapes (one scan of each side).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from helpers import TODAY, git_init, run_all, write_tree

from gate.checks.interface import RunOptions
from gate.diff import changed_paths
from gate.model import Report, Status

KEY_BASE = "AKIAZ3MSJV7WNBQRXQ4T"
KEY_NEW = "AKIAQ7PLMX2K4HDWN8ZR"
ENV = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
       "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
FILLER = "".join(f"    step_{i} = {i}\n" for i in range(10))

BASE = {
    # a line starting "++ b/zzz.py" is shown by `git diff` as "+++ b/zzz.py", a file header
    "forged.py": "import os\n\nVALUE = os.environ['V']\n",
    "cont_timeout.py": "import requests\n\n\ndef f(url):\n    return requests.get(\n        url,\n"
                       "        timeout=5,\n    )\n",
    "cont_verify.py": "import requests\n\n\ndef f(url):\n    return requests.get(\n        url,\n"
                      "        timeout=5,\n    )\n",
    "widen.py": "def f(d, k):\n    try:\n        return d[k]\n    except KeyError:\n        pass\n",
    "moved.py": ("import requests\n\n\ndef old(url):\n    return requests.get(url, verify=False, timeout=5)\n\n\n"
                 f"def other():\n{FILLER}    return step_9\n"),
    "renamed.py": "import requests\n\n\ndef old(url):\n    return requests.get(url, verify=False, timeout=5)\n",
    "deleted.py": f'import requests\nKEY = "{KEY_BASE}"\nrequests.get("u", verify=False, timeout=5)\n',
    # out of the pattern checks' scope on the base branch (default exclude: tests/)
    "tests/fixture_client.py": "import requests\n\n\ndef fetch(url):\n    return requests.get(url, verify=False, timeout=5)\n",
}
HEAD = {
    "forged.py": f'import os\n\nVALUE = os.environ["V"]\n++ b/zzz.py\nNEW_KEY = "{KEY_NEW}"\n'
                 "requests.get(VALUE, verify=False, timeout=5)\n",
    "cont_timeout.py": "import requests\n\n\ndef f(url):\n    return requests.get(\n        url,\n    )\n",
    "cont_verify.py": "import requests\n\n\ndef f(url):\n    return requests.get(\n        url,\n"
                      "        verify=False,\n        timeout=5,\n    )\n",
    "widen.py": "def f(d, k):\n    try:\n        return d[k]\n    except Exception:\n        pass\n",
    "moved.py": (f"import requests\n\n\ndef other():\n{FILLER}    return step_9\n\n\n"
                 "def old(url):\n    return requests.get(url, verify=False, timeout=5)\n"),
    "pkg/renamed_now.py": ("import requests\n\n\ndef old(url):\n    return requests.get(url, verify=False, timeout=5)\n"
                           "\n\ndef new(url):\n    return requests.post(url, verify=False, timeout=5)\n"),
}
ONLY = ["secrets", "insecure-patterns", "error-handling"]


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), *args], check=True, env=ENV, capture_output=True)


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Report:
    root = tmp_path_factory.mktemp("diff") / "repo"
    write_tree(root, BASE, dedent=False)
    git_init(root)
    _git(root, "checkout", "-q", "-b", "feature")
    (root / "pkg").mkdir()
    _git(root, "mv", "renamed.py", "pkg/renamed_now.py")
    _git(root, "mv", "tests/fixture_client.py", "pkg/client.py")
    _git(root, "rm", "-q", "deleted.py")
    write_tree(root, HEAD, dedent=False)
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", "feature")
    options = RunOptions(today=TODAY, changed_since="main", changed_paths=changed_paths(root, "main"))
    return run_all(root, options=options, only=ONLY)


def _found(report: Report, path: str) -> set[tuple[str, int, bool]]:
    return {(f.rule, f.line, bool(f.new)) for c in report.checks for f in c.findings if f.path == path}


def test_a_forged_patch_header_in_the_content_does_not_hide_later_changes(report: Report) -> None:
    found = _found(report, "forged.py")
    assert any(new for rule, line, new in found if line == 5), f"the new key is new: {found}"
    assert ("tls-verify-disabled", 6, True) in found
    assert not report.ready


def test_deleting_a_continuation_line_of_a_call_makes_its_finding_new(report: Report) -> None:
    # `timeout=5,` deleted from the 3rd line of the call; the call's first line is unchanged
    assert ("http-call-without-timeout", 5, True) in _found(report, "cont_timeout.py")


def test_a_flag_added_on_a_continuation_line_makes_the_finding_new(report: Report) -> None:
    assert ("tls-verify-disabled", 5, True) in _found(report, "cont_verify.py")


def test_widening_an_except_above_an_unchanged_pass_is_new(report: Report) -> None:
    assert ("silent-except", 5, True) in _found(report, "widen.py")


def test_moved_code_stays_pre_existing(report: Report) -> None:
    found = _found(report, "moved.py")
    assert found == {("tls-verify-disabled", 19, False)}, found


def test_renamed_file_is_compared_with_its_old_path(report: Report) -> None:
    assert _found(report, "pkg/renamed_now.py") == {("tls-verify-disabled", 5, False),
                                                    ("tls-verify-disabled", 9, True)}


def test_code_renamed_into_the_scope_is_new(report: Report) -> None:
    # the base branch never reported it (tests/ is excluded there): not "pre-existing"
    assert _found(report, "pkg/client.py") == {("tls-verify-disabled", 5, True)}


def test_a_deleted_file_contributes_nothing(report: Report) -> None:
    assert _found(report, "deleted.py") == set()
    ran = [c for c in report.checks if c.id in ONLY]
    assert all(c.status in (Status.PASS, Status.FAIL) for c in ran), [c.summary for c in ran]
