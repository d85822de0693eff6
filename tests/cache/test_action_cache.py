"""The Action keeps the result cache under ``RUNNER_TEMP`` by default (where a workflow's
``actions/cache`` step saves and restores it), and a second run on the same files is answered
from it — against the fake GitHub of ``tests/servers/github.py``."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "github"))

from semgrep_log import scanned  # noqa: E402
from gh_helpers import READY_FILES, Runner  # noqa: E402
from servers.github import FakeGitHub  # noqa: E402

from gate.cache import DEFAULT_DIR_NAME  # noqa: E402

FILES = {**READY_FILES, "app/calls.py": "import requests\n\ndef f(u):\n    return requests.get(u)\n"}


def test_the_action_caches_under_runner_temp(tmp_path: Path, logged: Path) -> None:
    temp = tmp_path / "runner-temp"
    temp.mkdir()
    with FakeGitHub() as gh:
        runner = Runner(tmp_path, gh)
        runner.repo(FILES)
        first = runner.run({**runner.env(runner.pr_event(), only="error-handling"), "RUNNER_TEMP": str(temp)})
        assert scanned(logged) == ["app/calls.py"]
        entries = sorted((temp / DEFAULT_DIR_NAME / "semgrep").rglob("*.json"))
        assert len(entries) == 1, first.stdout
        second = runner.run({**runner.env(runner.pr_event(), only="error-handling"), "RUNNER_TEMP": str(temp)})
    assert scanned(logged) == []  # answered by the cache
    assert second.code == first.code == 1  # the unbounded requests.get blocks either way
    assert sorted((temp / DEFAULT_DIR_NAME / "semgrep").rglob("*.json")) == entries
    assert not list(runner.workspace.rglob(DEFAULT_DIR_NAME))  # nothing in the workspace


def test_outside_a_runner_there_is_no_cache(tmp_path: Path, logged: Path) -> None:
    with FakeGitHub() as gh:
        runner = Runner(tmp_path, gh)
        runner.repo(FILES)
        env = runner.env(runner.pr_event(), only="error-handling")
        env.pop("RUNNER_TEMP", None)
        runner.run(env)
        runner.run(env)
    assert scanned(logged) == ["app/calls.py"]  # scanned both times (the log holds two runs)
    assert not list(tmp_path.rglob(DEFAULT_DIR_NAME))
