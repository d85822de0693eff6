"""pip requirements files (``requirements*.txt``) into exact pins, following in-tree includes.

The format is pip's ("Requirements File Format", pip documentation): one requirement per logical
line, ``\\`` continues a line, ``#`` after whitespace starts a comment, ``-r``/``--requirement``
includes another requirements file and ``-c``/``--constraint`` a constraints file, both relative
to the including file. This parser is deliberately stricter than pip, because the gate must not
resolve anything:

* only ``name==version`` (or ``===``) is a pin; a range or a bare name is :data:`UNPINNED`
  unless a constraints file of the same include tree pins that name exactly;
* a path, URL, VCS or editable requirement (``./localpkg``, ``-e .``, ``git+https://...``,
  ``name @ https://...``) is :data:`UNAUDITABLE`: pip would build it, running its ``setup.py``;
* ``${VAR}`` is not expanded (pip expands it from the installing machine's environment, which the
  gate does not know): such a line is unauditable;
* environment markers are kept out of the audit decision: a pin is audited whatever its marker,
  because the gate's interpreter is not the one the service runs on;
* an include that leaves the repository, points at a URL, is missing or was skipped by the
  inventory is a :data:`BAD_INCLUDE` finding; an include loop and an include excluded by
  configuration are skips with a reason. Nothing outside the inventory is ever read.
"""

from __future__ import annotations

import posixpath
import re
from typing import Callable

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from gate.deps.interface import (
    BAD_INCLUDE,
    UNAUDITABLE,
    UNPINNED,
    ParseResult,
    Pin,
    Unauditable,
    make_pin,
    shorten,
)

MAX_INCLUDE_DEPTH = 20
"""Deepest ``-r`` chain followed; deeper includes are reported (a hostile tree could nest
thousands of files)."""

_COMMENT = re.compile(r"(^|\s+)#.*$")
"""pip's comment rule (``pip._internal.req.req_file.COMMENT_RE``)."""
_INCLUDE_OPTS = {"-r": "requirement", "--requirement": "requirement",
                 "-c": "constraint", "--constraint": "constraint"}
_EDITABLE_OPTS = ("-e", "--editable")
_PATHLIKE = re.compile(r"^(\.{1,2}([/\\]|$)|[/\\~]|[A-Za-z]:[/\\])|://|^(git|hg|svn|bzr)\+|\.(whl|zip|tar\.gz|tgz|tar\.bz2|tar)$",
                       re.IGNORECASE)


class Unavailable(Exception):
    """Raised by a reader when a repository file cannot be read; ``str()`` is the reason."""


Reader = Callable[[str], str]
"""Reads a repository-relative path's text; raises :class:`Unavailable` when it cannot."""


def logical_lines(text: str) -> list[tuple[int, str]]:
    """``(first line number, content)`` of each logical line: continuations joined, comments
    removed, blank lines dropped (pip's ``join_lines`` then ``ignore_comments``)."""
    out: list[tuple[int, str]] = []
    buf: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        if not buf:
            start = number
        # A comment line ends a continuation, as in pip.
        if raw.endswith("\\") and not _COMMENT.match(raw):
            buf.append(raw[:-1])
            continue
        buf.append(raw)
        line = _COMMENT.sub("", " ".join(buf)).strip()
        buf = []
        if line:
            out.append((start, line))
    if buf:
        line = _COMMENT.sub("", " ".join(buf)).strip()
        if line:
            out.append((start, line))
    return out


def _option(line: str) -> tuple[str, str] | None:
    """``(option, argument)`` for an include/editable line, else None."""
    for opt in (*_INCLUDE_OPTS, *_EDITABLE_OPTS):
        if line == opt:
            return opt, ""
        if line.startswith(opt + "=") or line.startswith(opt + " ") or line.startswith(opt + "\t"):
            return opt, line[len(opt):].lstrip("= \t").strip()
        if len(opt) == 2 and line.startswith(opt) and not line.startswith("--"):
            return opt, line[2:].strip()  # -rfile.txt
    return None


def classify(spec: str, path: str, line: int, source: str = "requirements") -> Pin | Unauditable:
    """One requirement string (no options) as a pin or an unauditable requirement."""
    shown = shorten(spec)
    if "${" in spec:
        return Unauditable(UNAUDITABLE, shown, "uses an environment variable that pip expands at install "
                           "time; the gate cannot know its value", path, line)
    # pip reads a path or archive name as a local project even when it also parses as a
    # name (``pkg.tar.gz``), so the path test comes first (``name @ url`` is handled below).
    if _PATHLIKE.search(spec) and "@" not in spec.split("://", 1)[0]:
        return Unauditable(UNAUDITABLE, shown, "is a local path or URL: installing it builds it (running "
                           "its setup code) and its version is unknown", path, line)
    try:
        req = Requirement(spec)
    except InvalidRequirement:
        return Unauditable(UNAUDITABLE, shown, "is not a valid requirement", path, line)
    name = canonicalize_name(req.name)
    if req.url:
        return Unauditable(UNAUDITABLE, shown, "is a direct URL reference: its version is unknown until it is "
                           "downloaded and built", path, line, name)
    exact = [s for s in req.specifier if s.operator in ("==", "===") and not s.version.endswith(".*")]
    if not exact:
        what = "has no version" if not str(req.specifier) else "is a version range"
        return Unauditable(UNPINNED, shown, what, path, line, name)
    return make_pin(req.name, exact[0].version, path, line, source)


def parse_requirements(path: str, read: Reader, *, excluded: Callable[[str], bool] = lambda p: False) -> ParseResult:
    """Parse requirements file ``path`` and its in-tree includes.

    Args:
        path: repository-relative path of the top-level file.
        read: returns a repository file's text, raises :class:`Unavailable`.
        excluded: True for paths the configuration excludes (their includes are skipped).

    Returns:
        Pins (from requirements and constraints files), unauditable requirements and bad
        includes, skips. An unpinned requirement whose name a constraints file of the same tree
        pins exactly is not reported: the constraint pins what pip installs.

    Raises:
        Unavailable: the top-level file itself cannot be read.
    """
    result = ParseResult()
    constraint_pins: set[str] = set()
    _parse(path, read(path), read, excluded, result, constraint_pins, stack=(path,), constraint=False)
    result.unauditable = [u for u in result.unauditable
                          if not (u.rule == UNPINNED and u.name in constraint_pins)]
    return result


def _parse(path: str, text: str, read: Reader, excluded: Callable[[str], bool], result: ParseResult,
           constraint_pins: set[str], *, stack: tuple[str, ...], constraint: bool) -> None:
    result.files.append(path)
    for number, line in logical_lines(text):
        opt = _option(line)
        if opt is not None and opt[0] in _EDITABLE_OPTS:
            if not constraint:
                result.unauditable.append(Unauditable(
                    UNAUDITABLE, shorten(line), "is an editable install: pip would build it from source "
                    "(running its setup code) and its version is unknown", path, number))
            continue
        if opt is not None:
            _include(path, number, opt, read, excluded, result, constraint_pins, stack, constraint)
            continue
        if line.startswith("-"):
            continue  # a global option (--index-url, --hash on its own, --pre, ...): not a dependency
        # Per-requirement options (--hash=..., --config-settings) follow the requirement.
        spec = re.split(r"\s+-", line, maxsplit=1)[0].strip()
        item = classify(spec, path, number, "constraints" if constraint else "requirements")
        if isinstance(item, Pin):
            result.pins.append(item)
            if constraint:
                constraint_pins.add(item.name)
        elif not constraint:
            # A constraints file installs nothing: its ranges are not requirements.
            result.unauditable.append(item)


def _include(path: str, number: int, opt: tuple[str, str], read: Reader, excluded: Callable[[str], bool],
             result: ParseResult, constraint_pins: set[str], stack: tuple[str, ...], constraint: bool) -> None:
    option, target = opt
    shown = shorten(f"{option} {target}")
    if not target:
        result.unauditable.append(Unauditable(BAD_INCLUDE, shown, "names no file", path, number))
        return
    if "://" in target or target.startswith("file:"):
        result.unauditable.append(Unauditable(BAD_INCLUDE, shown, "includes a file from a URL, which the gate "
                                              "does not download", path, number))
        return
    joined = posixpath.normpath(posixpath.join(posixpath.dirname(path), target.replace("\\", "/")))
    if target.startswith(("/", "~")) or joined == ".." or joined.startswith("../"):
        result.unauditable.append(Unauditable(BAD_INCLUDE, shown, "includes a file outside the repository, "
                                              "which the gate does not read", path, number))
        return
    if joined in stack:
        result.skipped.append((f"{path}:{number} {shown}", "include loop (already being read)"))
        return
    if excluded(joined):
        result.skipped.append((joined, f"included from {path}:{number} but excluded by configuration"))
        return
    if len(stack) >= MAX_INCLUDE_DEPTH:
        result.unauditable.append(Unauditable(BAD_INCLUDE, shown, f"includes nested deeper than "
                                              f"{MAX_INCLUDE_DEPTH} levels", path, number))
        return
    try:
        text = read(joined)
    except Unavailable as exc:
        result.unauditable.append(Unauditable(BAD_INCLUDE, shown, f"cannot be read: {exc}", path, number))
        return
    _parse(joined, text, read, excluded, result, constraint_pins, stack=(*stack, joined),
           # Whatever a constraints file includes is a constraint too.
           constraint=constraint or _INCLUDE_OPTS[option] == "constraint")


__all__ = ["Reader", "Unavailable", "classify", "logical_lines", "parse_requirements", "MAX_INCLUDE_DEPTH"]
