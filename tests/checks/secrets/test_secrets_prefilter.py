"""Unit behaviour of the prefilter (its exactness is tested end to end in test_secrets_identical)."""

from __future__ import annotations

import subprocess
import time

from gate.scanners.process import find_tool
from gate.secrets import engine, prefilter


def test_every_plugin_detect_secrets_runs_has_an_anchor() -> None:
    out = subprocess.run([find_tool("detect-secrets"), "scan", "--list-all-plugins", *engine.SCAN_FLAGS],
                         capture_output=True, text=True, check=True)
    names = [n.strip() for n in out.stdout.splitlines() if n.strip()]
    assert len(names) >= 30
    plugins = [{"name": n} for n in names]
    assert prefilter.anchors_for(plugins) is not None, [n for n in names if n not in prefilter.ANCHORS]
    assert sorted(p["name"] for p in prefilter.expected_plugins()) == sorted(names)


def test_unknown_plugin_disables_reduction() -> None:
    assert prefilter.anchors_for([{"name": "SomeFutureDetector"}]) is None
    plan = prefilter.plan_file("a.py", b"x = 1\n", "x = 1\n", None)
    assert plan.kind == "whole"


def test_entropy_anchor_length_follows_the_limit() -> None:
    a45 = prefilter.anchors_for([{"name": "Base64HighEntropyString", "limit": 4.5}])[0]
    assert a45.pattern.search('"' + "a" * 22 + '"') and not a45.pattern.search('"' + "a" * 21 + '"')
    a3 = prefilter.anchors_for([{"name": "HexHighEntropyString", "limit": 3.0}])[0]
    assert a3.pattern.search("'deadbeef'") and not a3.pattern.search("'deadbee'")


def test_fold_agrees_with_ignorecase() -> None:
    kelvin, long_s, dotted_i = "\u212a", "\u017f", "\u0130"
    text = f"api_{kelvin}ey {long_s}ecret PASSWORD {dotted_i}"
    folded = prefilter.fold(text)
    assert len(folded) == len(text)
    assert "api_key" in folded and "secret" in folded and "password" in folded and folded.endswith("i")


def test_lines_are_mapped_and_only_candidates_are_kept() -> None:
    anchors = prefilter.anchors_for(prefilter.expected_plugins())
    text = "import os\r\n\r\npassword = 'abcdefgh1234'\r\nx = 2\r\nsecret: 1\n"
    plan = prefilter.plan_file("a.py", text.encode(), text, anchors)
    assert plan.kind == "reduced" and plan.lines == (0, 3, 5)
    assert plan.data == b"x\npassword = 'abcdefgh1234'\nsecret: 1\n"
    # Candidate lines that would parse as INI (JSON's "key": "value") stay reduced: the
    # placeholder first line makes detect-secrets' INI transformers fail as on the original.
    json_text = '{\n  "password": "abcdefgh1234",\n  "b": [1, 2],\n  "c": 3\n}\n'
    plan = prefilter.plan_file("x.json", json_text.encode(), json_text, anchors)
    assert plan.kind == "reduced" and plan.lines == (0, 2)
    assert not prefilter.transformable("x.json", plan.data.decode())
    assert prefilter.plan_file("b.py", b"x = 1\n", "x = 1\n", anchors).kind == "skip"


def test_risky_parses_are_left_to_detect_secrets() -> None:
    anchors = prefilter.anchors_for(prefilter.expected_plugins())
    # An INI interpolation bomb: configparser would expand 10**9 references.
    bomb = "[s]\n" + "".join(f"a{i} = " + f"%(a{i + 1})s" * 10 + "\n" for i in range(9)) + "a9 = x\n"
    start = time.monotonic()
    assert prefilter.plan_file("bomb.ini", bomb.encode(), bomb, anchors).kind == "whole"
    assert prefilter.plan_file("c.yaml", b"a: &x [1]\n", "a: &x [1]\n", anchors).kind == "whole"
    assert time.monotonic() - start < 1


def test_typed_suffixes_agree_with_detect_secrets() -> None:
    """prefilter knows which files detect-secrets types as OTHER without importing it."""
    from detect_secrets.util.filetype import FileType, determine_file_type

    names = [f"f{ext}" for ext in prefilter.TYPED_SUFFIXES]
    names += [f"f{ext.upper()}" for ext in prefilter.TYPED_SUFFIXES]
    names += ["Makefile", ".env", "a.b.py", "a.py.txt", "conf", "x.yaml.bak", ".ini", "dir.py/file",
              "f.json", "f.rb", "f.sh", "f.txt", "f.md", "f.env", "f.jsx", "f.ts", "f.h", "f.hpp", "f.kt"]
    for name in names:
        assert prefilter._is_type_other(name) == (determine_file_type(name) == FileType.OTHER), name


def test_a_small_scan_does_not_import_detect_secrets_into_the_gate(tmp_path) -> None:
    """Below engine.PARALLEL_MIN_BYTES planning runs in the gate's own process, without plugin
    confirmation, so detect-secrets (and requests) are not imported there (~0.25 s of CPU in a
    diff-mode run). The secret is still found, by the detect-secrets process."""
    import json
    import sys

    from helpers import write_tree
    token = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"
    root = write_tree(tmp_path / "repo", {"app.py": f'TOKEN = "{token}"\n', "README.md": "hello\n",
                                          "settings.cfg": "debug = true\n", "notes.txt": "x\n"})
    code = ("import sys, json\nfrom pathlib import Path\nfrom gate.inventory import build_inventory\n"
            "from gate.secrets import engine\n"
            "inv = build_inventory(Path(sys.argv[1]))\n"
            "out = engine.scan(inv, inv.text_files(), timeout=120)\n"
            "print(json.dumps([[s.path, s.line, s.type_name] for s in out.secrets]))\n"
            "print('detect_secrets' in sys.modules)\n")
    run = subprocess.run([sys.executable, "-c", code, str(root)], capture_output=True, text=True, timeout=180)
    assert run.returncode == 0, run.stderr[-2000:]
    found, imported = run.stdout.strip().splitlines()
    assert ["app.py", 1, "GitHub Token"] in json.loads(found)
    assert imported == "False"
