"""gate.pysource: repository Python decoded as the interpreter decodes it, parsed without warnings."""

from __future__ import annotations

import warnings

import pytest

from gate.pysource import NEUTRAL_FILENAME, SourceDecodeError, decode_python, parse_python


@pytest.mark.parametrize("data, text", [
    (b"x = 1\n", "x = 1\n"),
    (b"\xef\xbb\xbfx = 1\n", "x = 1\n"),
    (b"# -*- coding: latin-1 -*-\nname = '\xe9t\xe9'\n", "# -*- coding: latin-1 -*-\nname = 'été'\n"),
    (b"#!/usr/bin/env python\n# vim: set fileencoding=cp1252 :\ns = '\x80'\n",
     "#!/usr/bin/env python\n# vim: set fileencoding=cp1252 :\ns = '€'\n"),
    (b"# coding: unicode_escape\nk = '\\x41'\n", "# coding: unicode_escape\nk = 'A'\n"),
])
def test_decoded_as_python_reads_it(data: bytes, text: str) -> None:
    assert decode_python(data) == text


@pytest.mark.parametrize("data, reason", [
    (b"x = 1\ny = '\xe9'\n", "not valid utf-8"),
    (b"# coding: utf-16\nx = 1\n", "Python refuses"),
    (b"# coding: rot13\nx = 1\n", "Python refuses"),
    (b"# coding: no-such-codec\nx = 1\n", "no encoding Python accepts"),
    (b"x = '\xe9'\n", "no encoding Python accepts"),
])
def test_undecodable_python_is_an_error_with_a_reason(data: bytes, reason: str) -> None:
    with pytest.raises(SourceDecodeError, match=reason):
        decode_python(data)


def test_parse_prints_and_raises_no_warning() -> None:
    text = 'import re\nP = re.compile("\\d+")\nif P is 1:\n    pass\n'
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        tree = parse_python(text)
    assert tree.body and seen == []
    with pytest.raises(SyntaxError) as caught:
        parse_python("def (:\n")
    assert caught.value.filename == NEUTRAL_FILENAME


def test_every_parse_of_python_in_gate_goes_through_parse_python() -> None:
    # ast.parse / compile() elsewhere would print warnings naming the file again (docs/threats.md)
    import ast
    from pathlib import Path

    import gate

    root = Path(gate.__file__).parent
    offenders = []
    for path in sorted(root.rglob("*.py")):
        if path.name == "pysource.py" and path.parent == root:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            f = node.func
            if (isinstance(f, ast.Attribute) and f.attr == "parse" and isinstance(f.value, ast.Name)
                    and f.value.id == "ast") or (isinstance(f, ast.Name) and f.id in ("compile", "exec", "eval")):
                offenders.append(f"{path.relative_to(root)}:{node.lineno}")
    assert len(list(root.rglob("*.py"))) > 20
    assert offenders == []
