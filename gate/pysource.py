"""Python source from the scanned repository: decoded as Python decodes it, parsed without side
effects.

Two jobs every reader of repository Python needs, in one leaf module:

* :func:`decode_python`: bytes -> text the way the interpreter reads a source file (PEP 263: a
  ``coding:`` declaration on line 1 or 2, else UTF-8; a UTF-8 byte-order mark). A file declaring
  ``latin-1`` is read as latin-1, so scanners see its real text instead of replacement
  characters; a file that does not decode is a :class:`SourceDecodeError` naming the reason.
* :func:`parse_python`: ``ast.parse`` with every Python warning swallowed and a neutral file
  name. ``ast.parse(text, filename=path)`` prints a ``SyntaxWarning`` (an invalid escape
  sequence, ``is`` with a literal) to stderr as ``<path>:<line>: SyntaxWarning: ...``: a file
  named ``::error title=Forged::all checks passed.py`` then starts a line with ``::``, which the
  GitHub Actions runner reads as a workflow command (``docs/threats.md``, "Attacks on the
  verdict"). Nothing is executed: ``ast.parse`` only compiles to a tree.

Every ``ast.parse``/``compile`` of repository text in ``gate/`` goes through :func:`parse_python`
(``tests/core/test_pysource.py`` keeps it so).
"""

from __future__ import annotations

import ast
import codecs
import io
import re
import threading
import tokenize
import warnings

NEUTRAL_FILENAME = "<repository file>"
"""The file name compiled code is given: never a repository path (it would appear in warnings
and tracebacks)."""

_WARNINGS_LOCK = threading.Lock()
"""``warnings.catch_warnings`` swaps process-wide state; parses in several threads take turns so
each restores what it found."""


_PROBE = "# coding=x\n"
"""ASCII text every source encoding must read back unchanged."""


_COOKIE = re.compile(r"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)")
"""PEP 263's declaration (the interpreter looks on lines 1 and 2 only)."""

_UTF8_NAMES = frozenset({"utf-8", "utf8", "utf_8"})

_LINE_BREAK = re.compile(r"\r\n|\r|\n")
"""What ends a line for the interpreter's tokenizer: ``\\r`` alone too (``\\r# coding: x`` puts the
declaration on line 2), never a form feed (whitespace before a declaration)."""


def declares_other_encoding(text: str) -> bool:
    """True when one of the first two lines of ``text`` (a file read as UTF-8) has a PEP 263
    declaration naming anything but UTF-8: Python then reads different text than a UTF-8
    reader sees. A cheap test that may say True too often, never too rarely (the interpreter
    honours a line-2 declaration only after a comment or blank line 1)."""
    for line in _LINE_BREAK.split(text.removeprefix("\ufeff"), 2)[:2]:
        m = _COOKIE.match(line)
        if m:
            name = m.group(1).lower()
            return not (name in _UTF8_NAMES or name.startswith(("utf-8-", "utf_8_")))
    return False


class SourceDecodeError(ValueError):
    """A Python file whose bytes are not text in the encoding it declares (or UTF-8).

    ``str(error)`` names the encoding and the reason, never the file's content.
    """


def declared_encoding(data: bytes) -> str:
    """The encoding Python reads ``data`` with: PEP 263's ``coding:`` on line 1 or 2, ``utf-8-sig``
    for a UTF-8 byte-order mark, else ``utf-8`` (:func:`tokenize.detect_encoding`).

    Raises:
        SourceDecodeError: an unknown declared encoding, or a BOM that contradicts the
            declaration.
    """
    # The interpreter ends a line at a lone CR too; tokenize's readline would not.
    head = data[:4096].replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    lines = iter(io.BytesIO(head).readline, b"")
    try:
        encoding, _ = tokenize.detect_encoding(lambda: next(lines, b""))
    except SyntaxError as exc:
        raise SourceDecodeError(f"has no encoding Python accepts ({exc.msg})") from None
    return encoding


def decode_python(data: bytes) -> str:
    """``data`` decoded as the Python interpreter would decode the file (see
    :func:`declared_encoding`); a BOM is dropped.

    Raises:
        SourceDecodeError: unknown declared encoding, or bytes that are not valid in it.
    """
    encoding = declared_encoding(data)
    try:
        info = codecs.lookup(encoding)
    except LookupError:
        raise SourceDecodeError(f"declares an unknown encoding {encoding!r}") from None
    # The interpreter refuses codecs that are not text encodings (rot13) or not ASCII-compatible
    # (utf-16): "SyntaxError: encoding problem".
    if not getattr(info, "_is_text_encoding", True) or _PROBE.encode("ascii").decode(encoding, "replace") != _PROBE:
        raise SourceDecodeError(f"declares {encoding!r}, which Python refuses for source files")
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise SourceDecodeError(f"is not valid {encoding} (byte {exc.start})") from None


def parse_python(text: str) -> ast.Module:
    """``ast.parse(text)`` with a neutral file name and no warning printed or raised.

    Raises:
        SyntaxError: ``text`` is not Python (its ``filename`` is :data:`NEUTRAL_FILENAME`).
        ValueError: ``text`` holds a NUL character.
        RecursionError, MemoryError: a pathologically nested file (callers bound sizes).
    """
    with _WARNINGS_LOCK, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ast.parse(text, filename=NEUTRAL_FILENAME)
