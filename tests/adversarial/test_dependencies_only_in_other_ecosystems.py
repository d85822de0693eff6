"""A service whose dependencies are all npm or Go was green on dependencies (``docs/threats.md``,
"Attacks on the verdict").

The mechanism: the ``dependencies`` check looked only for Python dependency files, and with none
it reported ``skipped``, which does not block. A repository (or a pull request moving a service
to another language) with only a ``package-lock.json`` and a ``go.mod`` got a green security gate
with nothing audited. Manifests of every ecosystem in ``checks.dependencies.ecosystems`` (all of
them by default) are now blocking ``unaudited-ecosystem`` findings. The whole CLI runs, with the
default profile (no readiness.yml).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import write_tree

from gate.cli import main

FILES = {
    "package-lock.json": '{"name": "web", "lockfileVersion": 3, "packages": {}}\n',
    "go.mod": "module example.com/svc\n\ngo 1.22\n\nrequire github.com/gin-gonic/gin v1.9.0\n",
}


def test_only_npm_and_go_manifests_are_not_ready(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_tree(tmp_path, FILES)
    code = main(["check", str(tmp_path), "--only", "dependencies", "--format", "json"])
    report = json.loads(capsys.readouterr().out)
    check = next(c for g in report["gates"] for c in g["checks"] if c["id"] == "dependencies")
    assert code == 1 and report["ready"] is False and check["status"] == "fail"
    assert check["summary"] == "Go and npm dependencies not audited by this gate"
    assert sorted((f["rule"], f["path"], f["blocking"]) for f in check["findings"]) == [
        ("unaudited-ecosystem", "go.mod", True), ("unaudited-ecosystem", "package-lock.json", True)]
    # The text report says why, with the tool that would audit each file.
    assert main(["check", str(tmp_path), "--only", "dependencies"]) == 1
    text = capsys.readouterr().out
    assert "Go and npm dependencies not audited by this gate" in text
    assert "govulncheck" in text and "npm audit" in text, text
