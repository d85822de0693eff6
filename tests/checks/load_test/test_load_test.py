"""``load-test``: each tool's definitions, a declared recent test, and the failing cases."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from helpers import run_check, write_tree

from gate.model import Status

LOCUST = """
from locust import HttpUser, between, task


class Shopper(HttpUser):
    wait_time = between(1, 3)

    @task
    def browse(self):
        self.client.get("/products")
"""


def blocking(result) -> list[str]:
    return sorted(f.rule for f in result.findings if f.blocking)


@pytest.mark.parametrize("files,tool", [
    ({"tests/load/locustfile.py": LOCUST}, "locust load test tests/load/locustfile.py"),
    ({"perf/shop.py": "import locust\n\nclass U(locust.HttpUser):\n    pass\n"}, "locust load test perf/shop.py"),
    ({"load/smoke.js": "import http from 'k6/http';\nexport default function () { http.get('https://x'); }\n"},
     "k6 load test load/smoke.js"),
    ({"load/artillery.yml": "config:\n  target: https://api.example.com\n  phases:\n    - duration: 60\n"
                            "      arrivalRate: 20\nscenarios:\n  - flow:\n      - get:\n          url: /\n"},
     "Artillery load test load/artillery.yml"),
    ({"jmeter/plan.jmx": '<?xml version="1.0"?>\n<jmeterTestPlan version="1.2">\n</jmeterTestPlan>\n'},
     "JMeter load test jmeter/plan.jmx"),
    ({"src/test/scala/BasicSimulation.scala": "import io.gatling.core.Predef._\nclass BasicSimulation extends Simulation {}\n"},
     "Gatling load test src/test/scala/BasicSimulation.scala"),
    ({"load/vegeta-targets.txt": "GET https://api.example.com/health\nPOST https://api.example.com/orders\n"},
     "vegeta load test load/vegeta-targets.txt"),
    ({"Makefile": "load:\n\tk6 run load/script.js\n"}, "load-test command `k6 run` in Makefile:2"),
])
def test_load_test_definitions_pass(tmp_path: Path, files: dict, tool: str) -> None:
    write_tree(tmp_path, files, dedent=False)
    result = run_check("load-test", tmp_path)
    assert result.status is Status.PASS, result.findings
    assert tool in result.evidence


def test_nothing_fails(tmp_path: Path) -> None:
    write_tree(tmp_path, {"README.md": "We ran locust once.\n", "app.js": "const k6 = 'not an import';\n"})
    result = run_check("load-test", tmp_path)
    assert result.status is Status.FAIL
    assert blocking(result) == ["no-load-test"]
    assert result.findings[0].remediation and result.evidence == ()


def test_empty_locustfile_does_not_count(tmp_path: Path) -> None:
    write_tree(tmp_path, {"locustfile.py": "# TODO\n"})
    assert blocking(run_check("load-test", tmp_path)) == ["no-load-test"]


def test_fresh_declaration_passes(tmp_path: Path) -> None:
    write_tree(tmp_path, {"README.md": "x\n"})
    result = run_check("load-test", tmp_path, config="""
        version: 1
        evidence:
          load-tested:
            date: 2026-08-01
            peak: 1200 rps p99<300ms
    """)
    assert result.status is Status.PASS
    assert result.evidence == ("load test declared on 2026-08-01, 112 days ago (readiness.yml:4), "
                               "peak 1200 rps p99<300ms",)


def test_stale_declaration_fails_at_its_line(tmp_path: Path) -> None:
    write_tree(tmp_path, {"README.md": "x\n"})
    result = run_check("load-test", tmp_path, config="""
        version: 1
        checks:
          load-test:
            max-age-days: 30
        evidence:
          load-tested:
            date: 2026-08-01
            peak: 1200 rps
    """)
    assert result.status is Status.FAIL
    assert blocking(result) == ["load-test-stale"]
    f = result.findings[0]
    assert (f.path, f.line) == ("readiness.yml", 7)
    assert "112 days ago (limit: 30 days)" in f.message and f.remediation


def test_stale_declaration_is_information_when_definitions_exist(tmp_path: Path) -> None:
    write_tree(tmp_path, {"locustfile.py": LOCUST})
    result = run_check("load-test", tmp_path, config="""
        version: 1
        evidence:
          load-tested:
            date: 2024-01-01
            peak: 50 rps
    """)
    assert result.status is Status.PASS
    assert [(f.rule, f.blocking) for f in result.findings] == [("load-test-stale", False)]


def test_symlinked_locustfile_leaving_the_tree_does_not_count(tmp_path: Path) -> None:
    outside = write_tree(tmp_path / "outside", {"locustfile.py": LOCUST})
    repo = write_tree(tmp_path / "repo", {"README.md": "x\n"})
    os.symlink(outside / "locustfile.py", repo / "locustfile.py")
    assert blocking(run_check("load-test", repo)) == ["no-load-test"]


def test_vendored_k6_does_not_count(tmp_path: Path) -> None:
    write_tree(tmp_path, {"node_modules/k6-lib/index.js": "import http from 'k6/http';\n"})
    assert blocking(run_check("load-test", tmp_path)) == ["no-load-test"]


def test_binary_and_oversized_files_are_not_read(tmp_path: Path) -> None:
    write_tree(tmp_path, {"locustfile.py": b"from locust import task\n\x00\x00",
                          "big/locustfile.py": LOCUST + "#" * 5000})
    result = run_check("load-test", tmp_path, config="version: 1\nlimits:\n  max-file-size: 2048\n")
    assert blocking(result) == ["no-load-test"]
