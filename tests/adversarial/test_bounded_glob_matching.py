"""Glob matching takes bounded time (``gate/globs.py``; ``docs/threats.md``, "Attacks on the verdict").

A glob compiled to a backtracking regular expression takes time exponential in its stars:
``exclude: ["*a*a*a*a*a*a*a*a*b"]`` and one file with a 60-character name of ``a`` never finished,
so the gate could be stopped by its own timeout at best. The run happens in a child process
with a generous limit: a hang fails the test instead of hanging the suite.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from helpers import write_tree

HOSTILE_GLOBS = ["*a*a*a*a*a*a*a*a*b", "**/a/**/a/**/a/**/a/**/b", "*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b/**"]


def test_pathological_globs_finish_and_still_match(tmp_path: Path) -> None:
    deep = "/".join(["a"] * 150)
    write_tree(tmp_path, {"a" * 60: "x\n", "a" * 59 + "b": "y\n", f"{deep}/a.txt": "z\n", "keep.txt": "k\n"})
    (tmp_path / "readiness.yml").write_text("version: 1\nexclude:\n" + "".join(f"  - {json.dumps(g)}\n"
                                                                            for g in HOSTILE_GLOBS), encoding="utf-8")
    code = (
        "import json, sys\n"
        "from gate.config import load_config\n"
        "from gate.inventory import build_inventory\n"
        "from pathlib import Path\n"
        "root = Path(sys.argv[1])\n"
        "cfg = load_config(root, None)\n"
        "inv = build_inventory(root, exclude=cfg.exclude)\n"
        "print(json.dumps({'files': [f.path for f in inv.files],\n"
        "                  'excluded': [s.path for s in inv.skipped if s.reason == 'excluded by configuration']}))\n"
    )
    run = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, timeout=120,
                         check=False)
    assert run.returncode == 0, run.stderr[-2000:]
    doc = json.loads(run.stdout)
    assert "a" * 60 in doc["files"], "the name that almost matches is kept"
    assert "a" * 59 + "b" in doc["excluded"], "the name that matches is excluded"
    assert "keep.txt" in doc["files"] and f"{deep}/a.txt" in doc["files"]
