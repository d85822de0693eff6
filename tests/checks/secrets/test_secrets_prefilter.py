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
    assert sorted(p["name"] for p in engine.expected_plugins()) == sorted(names)


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
    anchors = prefilter.anchors_for(engine.expected_plugins())
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
    anchors = prefilter.anchors_for(engine.expected_plugins())
    # An INI interpolation bomb: configparser would expand 10**9 references.
    bomb = "[s]\n" + "".join(f"a{i} = " + f"%(a{i + 1})s" * 10 + "\n" for i in range(9)) + "a9 = x\n"
    start = time.monotonic()
    assert prefilter.plan_file("bomb.ini", bomb.encode(), bomb, anchors).kind == "whole"
    assert prefilter.plan_file("c.yaml", b"a: &x [1]\n", "a: &x [1]\n", anchors).kind == "whole"
    assert time.monotonic() - start < 1
