"""semgrep sees what Python runs: a Python file is decoded by its PEP 263 declaration, and one
that does not decode is a *blocking* named skip (``docs/threats.md``, "Attacks on the verdict").

semgrep reads bytes as UTF-8. A valid ``# -*- coding: latin-1 -*-`` module then hides from
whole-file regex prefilters, and ``# coding: unicode_escape`` (or ``utf-7``) makes the interpreter
run ``verify\\x3dFalse`` as ``verify=False`` while semgrep reads an escape sequence. Real semgrep,
real files; nothing is executed.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import run_all, write_tree

from gate.model import CheckReport, Status
from gate.unscanned import RULE

CALL = 'requests.get("https://example.org", {flag}, timeout=5)\n'


def _check(root: Path, files: dict[str, bytes], check: str = "insecure-patterns") -> CheckReport:
    write_tree(root, files, dedent=False)
    return next(c for c in run_all(root, only=[check]).checks if c.id == check)


def _found(check: CheckReport) -> set[tuple[str, str]]:
    return {(f.rule, f.path or "") for f in check.findings}


@pytest.mark.parametrize("name, source", [
    ("latin1", b"# -*- coding: latin-1 -*-\n# caf\xe9\nfrom flask import Flask\napp = Flask(__name__)\n"
               b"app.run(debug=True)\n"),
    ("cp1252", b"# vim: set fileencoding=cp1252 :\nx = '\x93quoted\x94'\nfrom flask import Flask\n"
               b"app = Flask(__name__)\napp.run(debug=True)\n"),
])
def test_a_declared_legacy_encoding_is_scanned_as_its_real_text(tmp_path: Path, name: str, source: bytes) -> None:
    check = _check(tmp_path, {f"{name}.py": source})
    assert ("debug-mode-enabled", f"{name}.py") in _found(check), check.summary
    assert check.status is Status.FAIL


@pytest.mark.parametrize("codec, flag", [
    ("unicode_escape", b"verify\\x3dFalse"),
    ("raw_unicode_escape", b"verify\\u003dFalse"),
    ("utf-7", b"verify+AD0-False"),
])
def test_an_escaping_codec_cannot_disguise_code_from_the_rules(tmp_path: Path, codec: str, flag: bytes) -> None:
    source = f"# coding: {codec}\nimport requests\n".encode() + CALL.encode().replace(b"{flag}", flag)
    check = _check(tmp_path, {"svc.py": source})
    assert ("tls-verify-disabled", "svc.py") in _found(check), check.summary
    assert next(f for f in check.findings if f.rule == "tls-verify-disabled").line == 3


def test_a_line_break_made_by_the_codec_keeps_python_line_numbers(tmp_path: Path) -> None:
    source = (b"# coding: unicode_escape\nimport requests\\x0a\\x0a" + CALL.encode().replace(b"{flag}", b"verify=False"))
    check = _check(tmp_path, {"svc.py": source})
    assert [(f.rule, f.line) for f in check.findings] == [("tls-verify-disabled", 4)]


@pytest.mark.parametrize("source, why", [
    (b"import requests\nx = 'caf\xe9'\n", "not valid utf-8"),
    (b"# coding: no-such-codec\nimport requests\n", "no encoding Python accepts"),
    (b"# coding: rot13\nvzcbeg erdhrfgf\n", "Python refuses"),
    (b"\xef\xbb\xbf# coding: latin-1\nimport requests\n", "no encoding Python accepts"),
])
def test_a_python_file_that_does_not_decode_blocks_with_the_reason(tmp_path: Path, source: bytes, why: str) -> None:
    check = _check(tmp_path, {"ok.py": b"import os\n", "svc.py": source})
    blocking = [f for f in check.findings if f.rule == RULE]
    assert [f.path for f in blocking] == ["svc.py"] and blocking[0].blocking, check.findings
    assert why in blocking[0].message
    assert check.status is Status.FAIL
    assert any(s.path == "svc.py" and why in s.reason for s in check.skipped), "still listed as a named skip"


def test_error_handling_blocks_on_the_same_file(tmp_path: Path) -> None:
    check = _check(tmp_path, {"svc.py": b"x = 'caf\xe9'\n"}, "error-handling")
    assert _found(check) == {(RULE, "svc.py")} and check.status is Status.FAIL


def test_a_utf8_file_is_scanned_unchanged(tmp_path: Path) -> None:
    source = ("# -*- coding: utf-8 -*-\n# café\nimport requests\n" + CALL.replace("{flag}", "verify=False")).encode()
    check = _check(tmp_path, {"svc.py": source})
    assert [(f.rule, f.line) for f in check.findings] == [("tls-verify-disabled", 4)]


def test_a_declaration_after_a_lone_carriage_return_counts(tmp_path: Path) -> None:
    # The interpreter ends line 1 at the lone CR, so the declaration is on line 2 and honoured;
    # tokenize.detect_encoding alone would read one line and miss it.
    source = b"\r# coding: unicode_escape\nimport requests\n" + CALL.encode().replace(b"{flag}", b"verify\\x3dFalse")
    check = _check(tmp_path, {"svc.py": source})
    assert ("tls-verify-disabled", "svc.py") in _found(check), check.summary
