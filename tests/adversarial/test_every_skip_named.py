"""Promise 5: every skip is named — each file, dependency or check not examined is listed with
its reason (``docs/threats.md`` row 7; the hostile-repository cases of symlinks, devices,
FIFOs, huge and binary files are in ``test_hostile_repo.py``).

One repository with an excluded directory, a file name that is not UTF-8, a Latin-1 source file,
and requirements that cannot be audited; one run with checks de-selected and switched off. The
table :data:`EXPECTED` is the reference: what is not examined, where the report says so, and
the words of the reason.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from helpers import write_tree
from servers.osv import OsvServer

from gate.cli import main

BAD_NAME = os.fsdecode(b"src/bad\xffname.py")

EXPECTED = {
    # path or check id: (where the report lists it, phrase of the reason)
    "vendor/lib.py": ("inventory", "excluded by configuration"),
    # Shown with the undecodable byte escaped (the report is UTF-8; the name is not).
    "src/bad\\xffname.py": ("inventory", "not valid UTF-8"),
    "src/latin.py": ("secrets", "not valid UTF-8"),
    "requests": ("dependencies finding", "cannot be audited"),
    "flask>=2": ("dependencies finding", "version range"),
    "./local": ("dependencies finding", "local path or URL"),
    "git+https://github.com/a/b": ("dependencies finding", "local path or URL"),
    "error-handling": ("check", "not selected"),
    "observability": ("check", "--skip"),
    "load-test": ("check", "off"),
}


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("skips") / "repo"
    write_tree(root, {
        "readiness.yml": "version: 1\nexclude: ['vendor/**']\nchecks:\n  load-test:\n    level: 'off'\n",
        "vendor/lib.py": "x = 1\n",
        "src/latin.py": "caf\xe9 = 'latin-1'\n".encode("latin-1"),
        "src/app.py": "x = 1\n",
        "requirements.txt": "requests\nflask>=2\n./local\ngit+https://github.com/a/b\nurllib3==1.26.18\n",
    }, dedent=False)
    (root / os.fsencode(BAD_NAME).decode("utf-8", "surrogateescape")).write_text("y = 2\n")
    out = root.parent / "r.json"
    selected = "secrets,dependencies,insecure-patterns,security-policy,load-test,observability"
    with OsvServer.from_directory() as osv:
        code = main(["check", str(root), "--only", selected, "--skip", "observability", "--format", "json",
                     "--output", str(out), "--osv-url", osv.base_url])
    assert code == 1
    return json.loads(out.read_text(encoding="utf-8"))


@pytest.mark.parametrize("item", sorted(EXPECTED))
def test_each_unexamined_item_is_listed_with_its_reason(report: dict, item: str) -> None:
    where, phrase = EXPECTED[item]
    checks = {c["id"]: c for g in report["gates"] for c in g["checks"]}
    if where == "inventory":
        reasons = {s["path"]: s["reason"] for s in report["skipped"]}
    elif where == "check":
        check = checks[item]
        assert check["status"] == "skipped"
        reasons = {item: check["summary"]}
    elif where == "dependencies finding":
        reasons = {item: " ".join(f["message"] for f in checks["dependencies"]["findings"]
                                  if f"'{item}'" in f["message"])}
    else:
        reasons = {s["path"]: s["reason"] for s in checks[where]["skipped"]}
    assert item in reasons and reasons[item], f"{item} is not listed ({where})"
    assert phrase in reasons[item], (item, reasons[item])


def test_every_check_is_in_the_report(report: dict) -> None:
    """A check never disappears: all 14 appear, those not run as ``skipped`` with a reason."""
    from gate.checks.registry import check_ids

    checks = {c["id"]: c for g in report["gates"] for c in g["checks"]}
    assert set(checks) == set(check_ids())
    for c in checks.values():
        assert c["summary"].strip(), c["id"]


def test_the_dependencies_check_names_what_it_audited(report: dict) -> None:
    deps = {c["id"]: c for g in report["gates"] for c in g["checks"]}["dependencies"]
    assert deps["status"] == "fail"
    assert any("audited 1 pinned" in e for e in deps["evidence"]), deps["evidence"]
