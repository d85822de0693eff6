"""Dependencies declared in files the gate did not read were never audited (``docs/threats.md``,
"Attacks on the verdict").

The mechanism: discovery read a fixed list of file names, and ``setup.py``/``setup.cfg`` only
when *no other* dependency file sat beside them. So a pull request could add a vulnerable or
unpinned dependency to ``install_requires`` next to a harmless ``requirements.txt``, or to a
``dev-requirements.txt``, ``requirements.in`` or ``constraints.txt``, and the ``dependencies``
check passed on the harmless file alone. Each case runs the whole CLI with the real pip-audit
against the loopback OSV server of ``tests/servers/osv.py``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import write_tree
from servers.osv import OsvServer

from gate.cli import main

HARMLESS = {"requirements.txt": "idna==3.7\n"}
"""A pinned file with no known advisory, which alone makes the check pass."""

CASES = {
    # name: (files added beside HARMLESS, expected (rule, path) among the findings)
    "setup-cfg-range": ({"setup.cfg": "[metadata]\nname = svc\n[options]\ninstall_requires =\n    flask>=2\n"},
                        ("unpinned-requirement", "setup.cfg")),
    "setup-cfg-vulnerable-pin": ({"setup.cfg": "[options]\ninstall_requires = requests==2.19.1\n"},
                                 ("PYSEC-2018-28", "setup.cfg")),
    "setup-py-literal": ({"setup.py": "from setuptools import setup\nsetup(name='svc', install_requires=['flask>=2'])\n"},
                         ("unauditable-requirement", "setup.py")),
    "setup-py-computed": ({"setup.py": "from setuptools import setup\nimport json\n"
                                       "setup(name='svc', install_requires=json.load(open('deps.json')))\n"},
                          None),  # a requirements.txt beside resolves what setup.py computes: a named skip
    "dev-requirements": ({"dev-requirements.txt": "requests==2.19.1\n"}, ("PYSEC-2018-28", "dev-requirements.txt")),
    "constraints": ({"constraints.txt": "requests==2.19.1\n"}, ("PYSEC-2018-28", "constraints.txt")),
    "requirements-in": ({"requirements.in": "flask>=2\n"}, ("unpinned-requirement", "requirements.in")),
}


@pytest.fixture(scope="module")
def osv() -> OsvServer:
    with OsvServer.from_directory() as server:
        yield server


def _run(root: Path, osv: OsvServer, capsys: pytest.CaptureFixture[str]) -> tuple[int, dict]:
    """Exit code and the ``dependencies`` check of the JSON report."""
    code = main(["check", str(root), "--only", "dependencies", "--osv-url", osv.base_url, "--format", "json"])
    report = json.loads(capsys.readouterr().out)
    return code, next(c for g in report["gates"] for c in g["checks"] if c["id"] == "dependencies")


def test_the_harmless_file_alone_passes(tmp_path: Path, osv: OsvServer, capsys: pytest.CaptureFixture[str]) -> None:
    write_tree(tmp_path, HARMLESS)
    code, check = _run(tmp_path, osv, capsys)
    assert code == 0 and check["status"] == "pass"


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_declaration_beside_another_dependency_file_is_audited(
        case: str, tmp_path: Path, osv: OsvServer, capsys: pytest.CaptureFixture[str]) -> None:
    files, expected = CASES[case]
    write_tree(tmp_path, {**HARMLESS, **files})
    code, check = _run(tmp_path, osv, capsys)
    added = next(iter(files))
    assert added in " ".join(check["evidence"]), check["evidence"]  # the file was read
    if expected is None:
        assert code == 0 and check["status"] == "pass"
        assert any(s["path"] == added and "resolves" in s["reason"] for s in check["skipped"]), check["skipped"]
        return
    assert code == 1 and check["status"] == "fail"
    assert expected in [(f["rule"], f["path"]) for f in check["findings"]], check["findings"]


def test_computed_setup_py_without_a_pin_file_is_not_silently_green(
        tmp_path: Path, osv: OsvServer, capsys: pytest.CaptureFixture[str]) -> None:
    write_tree(tmp_path, {"setup.py": "from setuptools import setup\nsetup(**__import__('json').load(open('m.json')))\n",
                          "pyproject.toml": '[build-system]\nrequires = ["setuptools"]\n'})
    code, check = _run(tmp_path, osv, capsys)
    assert code == 1 and [(f["rule"], f["path"]) for f in check["findings"]] == [("unauditable-requirement", "setup.py")]
