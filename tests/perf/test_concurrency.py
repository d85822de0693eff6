"""Concurrency and determinism of the runner (behaviour only, no timing assertions).

* The three scanner subprocesses (semgrep, pip-audit, detect-secrets) overlap: each is replaced
  (``READINESS_GATE_<TOOL>_BIN``) by a stand-in that announces itself in a directory and waits
  until it has seen the other two there. If the checks ran one after another, no stand-in would
  ever see the others (each gives up after a generous wait and says so). The stand-ins then exit
  with an error, so the checks also prove they fail closed.
* Output order is deterministic: two runs of the real gate on the same repository give the same
  JSON report once timings and the timestamp are removed, and checks appear in registry order
  within their gates whatever order they finished in.
"""

from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path

import pytest
from helpers import TODAY, run_all, write_tree
from servers.osv import OsvServer

from gate.checks.interface import RunOptions
from gate.checks.registry import check_ids
from gate.model import GATES, Status
from gate.render import RenderOptions, get_renderer

TOOLS = ("semgrep", "pip-audit", "detect-secrets")
WAIT_S = 90
"""How long a stand-in waits for the others (generous: the machine is shared)."""

STAND_IN = '''#!{python}
import os, sys, time
NAME, DIR, OTHERS = {name!r}, {dir!r}, {others!r}
if "--version" in sys.argv:
    print(NAME + " 9.9.9")
    sys.exit(0)
mine = os.path.join(DIR, "%s.%d.started" % (NAME, os.getpid()))
open(mine, "w").close()
deadline = time.monotonic() + {wait}
def seen():
    names = os.listdir(DIR)
    return all(any(n.startswith(o + ".") and n.endswith(".started") for n in names) for o in OTHERS)
while time.monotonic() < deadline and not seen():
    time.sleep(0.05)
open(os.path.join(DIR, "%s.%d.%s" % (NAME, os.getpid(), "met" if seen() else "alone")), "w").close()
sys.stderr.write("stand-in scanner: deliberately failing\\n")
sys.exit(70)
'''

REPO = {
    "app.py": "import requests\n\ndef get(url):\n    return requests.get(url)\n",
    "requirements.txt": "requests==2.19.0\n",
    "README.md": "# app\n",
}


def _stand_ins(tmp: Path, monkeypatch) -> Path:
    meet = tmp / "meet"
    meet.mkdir()
    for name in TOOLS:
        others = [t for t in TOOLS if t != name]
        script = tmp / f"fake-{name}"
        script.write_text(STAND_IN.format(python=sys.executable, name=name, dir=str(meet), others=others,
                                          wait=WAIT_S))
        script.chmod(script.stat().st_mode | stat.S_IXUSR)
        monkeypatch.setenv("READINESS_GATE_" + name.upper().replace("-", "_") + "_BIN", str(script))
    return meet


def test_semgrep_pip_audit_and_secret_scan_overlap(tmp_path: Path, monkeypatch) -> None:
    meet = _stand_ins(tmp_path, monkeypatch)
    repo = write_tree(tmp_path / "repo", REPO)
    report = run_all(repo, only=["secrets", "dependencies", "insecure-patterns", "error-handling"])
    names = sorted(os.listdir(meet))
    for tool in TOOLS:
        started = [n for n in names if n.startswith(tool + ".") and n.endswith(".started")]
        assert started, f"{tool} was never started: {names}"
        assert not [n for n in names if n.startswith(tool + ".") and n.endswith(".alone")], \
            f"{tool} ran alone: the scanners did not overlap ({names})"
        assert [n for n in names if n.startswith(tool + ".") and n.endswith(".met")], names
    by_id = {c.id: c for c in report.checks}
    for cid in ("secrets", "dependencies", "insecure-patterns", "error-handling"):
        assert by_id[cid].status is Status.ERROR, (cid, by_id[cid].summary)
    assert not report.ready


def _normalised(report) -> dict:
    doc = json.loads(get_renderer("json").render(report, RenderOptions()))

    def strip(node):
        if isinstance(node, dict):
            return {k: strip(v) for k, v in node.items() if k not in ("duration_s", "generated_at")}
        if isinstance(node, list):
            return [strip(v) for v in node]
        return node

    return strip(doc)


@pytest.fixture
def osv():
    with OsvServer.from_directory() as server:
        yield server


def test_two_runs_give_the_same_report(tmp_path: Path, osv) -> None:
    # No vulnerable pin here: the order of an advisory's aliases follows pip-audit's own output,
    # which is not stable between runs (reported to the dependencies check's owner).
    repo = write_tree(tmp_path, {
        **REPO,
        "requirements.txt": "attrs==23.1.0\n",
        "svc/db.py": 'import hashlib\n\ndef h(p):\n    try:\n        return hashlib.md5(p).hexdigest()\n'
                     '    except Exception:\n        pass\n',
        "svc/keys.py": 'AWS = "AKIAZ3MSJV7WNBQRXQ4T"\nGH = "ghp_' + "Ab3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dF3hJ5" + '"\n',
        "conf/settings.py": 'DEBUG = True\nPASSWORD = "hunter2hunter2"\n',
    })
    options = RunOptions(today=TODAY, osv_url=osv.base_url)
    first, second = run_all(repo, options=options), run_all(repo, options=options)
    a, b = _normalised(first), _normalised(second)
    assert a == b
    ran = [c for c in first.checks if c.status is not Status.SKIPPED]
    assert len(ran) >= 10, [c.id for c in ran]
    assert sum(len(c.findings) for c in first.checks) >= 3, "the comparison must cover real findings"
    # Report order: gates in GATES order, checks in registry order within each gate.
    order = list(check_ids())
    for g, gate in zip(first.gates, GATES):
        assert g.id == gate.id
        ids = [c.id for c in g.checks]
        assert ids == sorted(ids, key=order.index)
