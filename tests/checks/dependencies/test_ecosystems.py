"""Dependencies the gate cannot audit are not silently green (README, "Dependencies").

A repository whose dependencies are npm, Go, Cargo, Ruby, PHP or Java manifests used to get
``dependencies: skipped`` and a green security gate. Each directory's manifests of an ecosystem
in ``checks.dependencies.ecosystems`` are now one blocking ``unaudited-ecosystem`` finding naming
the files and the tool that would audit them. Real inventory, real check, real gate run.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from gate.config import ConfigError
from gate.deps.ecosystems import MANIFESTS, find_foreign_manifests
from gate.inventory import build_inventory
from gate.model import Status
from gate.render import get_renderer
from helpers import config_from, run_all, run_check, write_tree

GO_MOD = "module example.com/svc\n\ngo 1.22\n\nrequire github.com/gin-gonic/gin v1.9.0\n"
LOCK = '{"name": "web", "lockfileVersion": 3, "packages": {}}\n'


def test_only_npm_and_go_is_not_ready_and_says_why(tmp_path: Path) -> None:
    repo = write_tree(tmp_path / "repo", {"package-lock.json": LOCK, "go.mod": GO_MOD, "main.go": "package main\n"})
    result = run_check("dependencies", repo)
    assert result.status is Status.FAIL, result.summary
    assert result.summary == "Go and npm dependencies not audited by this gate"
    by_path = {f.path: f for f in result.findings}
    assert set(by_path) == {"package-lock.json", "go.mod"}
    for f in by_path.values():
        assert f.rule == "unaudited-ecosystem" and f.blocking
    assert "package-lock.json (npm dependencies) is not audited" in by_path["package-lock.json"].message
    assert "npm audit" in by_path["package-lock.json"].remediation
    assert "govulncheck" in by_path["go.mod"].remediation
    report = run_all(repo, only=["dependencies"])
    assert not report.ready
    text = get_renderer("text").render(report)
    assert "unaudited-ecosystem" in text and "package-lock.json" in text and "go.mod" in text


def test_one_finding_per_directory_and_ecosystem(tmp_path: Path) -> None:
    repo = write_tree(tmp_path / "repo", {
        "go.mod": GO_MOD, "go.sum": "github.com/gin-gonic/gin v1.9.0 h1:x=\n",
        "web/package-lock.json": LOCK, "web/yarn.lock": "# yarn lockfile v1\n",
        "web/node_modules/left-pad/package-lock.json": LOCK,  # an installed package's own, not ours
        "rust/Cargo.lock": "version = 3\n", "ruby/Gemfile.lock": "GEM\n", "php/composer.lock": "{}\n",
        "java/pom.xml": "<project/>\n", "kt/build.gradle.kts": "plugins {}\n",
    })
    found = find_foreign_manifests(build_inventory(repo))
    assert [(m.directory, m.ecosystem, m.files) for m in found] == [
        ("", "go", ("go.mod", "go.sum")),
        ("java", "maven", ("java/pom.xml",)),
        ("kt", "maven", ("kt/build.gradle.kts",)),
        ("php", "packagist", ("php/composer.lock",)),
        ("ruby", "rubygems", ("ruby/Gemfile.lock",)),
        ("rust", "crates.io", ("rust/Cargo.lock",)),
        ("web", "npm", ("web/package-lock.json", "web/yarn.lock")),
    ]
    result = run_check("dependencies", repo)
    assert result.status is Status.FAIL and len(result.findings) == 7
    assert {m[0] for m in MANIFESTS.values()} == {"npm", "go", "crates.io", "rubygems", "packagist", "maven"}


def test_ecosystems_setting_names_what_the_gate_is_responsible_for(tmp_path: Path) -> None:
    repo = write_tree(tmp_path / "repo", {"package-lock.json": LOCK, "go.mod": GO_MOD})
    config = """
        version: 1
        checks:
          dependencies:
            ecosystems: [pypi, go]
    """
    result = run_check("dependencies", repo, config=config)
    assert result.status is Status.FAIL and [f.path for f in result.findings] == ["go.mod"]
    assert [(s.path, s.reason) for s in result.skipped] == [
        ("package-lock.json", "npm dependencies: not audited here (npm is not in checks.dependencies.ecosystems)")]
    only_pypi = run_check("dependencies", repo, config=config.replace("[pypi, go]", "[pypi]"))
    assert only_pypi.status is Status.SKIPPED and {s.path for s in only_pypi.skipped} == {"package-lock.json", "go.mod"}


def test_excluded_manifests_and_unknown_ecosystems(tmp_path: Path) -> None:
    repo = write_tree(tmp_path / "repo", {"tools/package-lock.json": LOCK})
    config = "version: 1\nchecks:\n  dependencies:\n    exclude: ['tools/**']\n"
    assert run_check("dependencies", repo, config=config).status is Status.SKIPPED
    assert run_check("dependencies", repo).status is Status.FAIL
    with pytest.raises(ConfigError, match="ecosystems"):
        config_from("version: 1\nchecks:\n  dependencies:\n    ecosystems: [cobol]\n")
