"""setuptools' ``setup.cfg`` and ``setup.py``: the requirements they declare, read without running them.

* ``setup.cfg`` is data (an INI file): ``[options] install_requires`` and each key of
  ``[options.extras_require]`` are read with :mod:`configparser` the way setuptools reads them
  (setuptools documentation, "Configuring setuptools using setup.cfg files": a value with a
  newline is a "dangling list", one item per line; otherwise items are separated by ``;``; lines
  starting with ``#`` are dropped). A ``file:`` directive names requirements files relative to
  ``setup.cfg`` (setuptools 62.6+); they are returned for the caller to read as requirements
  files. Each requirement string is classified like a requirements-file line
  (:func:`gate.deps.requirements.classify`).
* ``setup.py`` is code the gate never runs (``docs/threats.md``, promise 2). Its syntax tree is
  read (:func:`ast.parse`, warnings captured, a neutral file name: nothing the repository names
  reaches stderr) for ``setup(install_requires=[...], extras_require={...})`` given as literals,
  or as names bound once at module level to literals. Anything else (a call, a comprehension,
  ``**kwargs``, a file that is not Python 3) means the declarations are *computed*: only running
  the file would reveal them.

Neither function raises for repository content.
"""

from __future__ import annotations

import ast
import configparser
import posixpath
import warnings
from dataclasses import dataclass, field
from typing import Any, Optional

from gate.deps.interface import BAD_FILE, ParseResult, Unauditable, find_line
from gate.deps.requirements import classify

MAX_AST_NODES = 200_000
"""Syntax-tree nodes walked in one ``setup.py`` (a real one has a few thousand); past it the
declarations count as computed."""


@dataclass
class SetupDeclarations:
    """What one ``setup.cfg`` or ``setup.py`` declares.

    ``result`` holds the requirements read (exact pins as pins, everything else as
    :class:`Unauditable` carrying the distribution name, to be excused by a lockfile in scope);
    ``computed`` is a reason when some declarations could not be read statically (``None``
    when everything declared was read); ``includes`` are repository-relative paths named by
    ``file:`` directives.
    """

    result: ParseResult
    computed: Optional[str] = None
    includes: list[str] = field(default_factory=list)


def parse_setup_cfg(path: str, text: str) -> SetupDeclarations:
    """Requirements of a ``setup.cfg`` (see module docstring). Malformed INI is a :data:`BAD_FILE`."""
    result = ParseResult(files=[path])
    out = SetupDeclarations(result)
    parser = configparser.ConfigParser(interpolation=None, strict=False, delimiters=("=", ":"))
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # setuptools keeps key case
    try:
        parser.read_string(text, source="setup.cfg")
    except configparser.Error as exc:
        result.unauditable.append(Unauditable(BAD_FILE, path, f"is not a valid setup.cfg ({type(exc).__name__})", path))
        return out
    values: list[tuple[str, str]] = []
    if parser.has_option("options", "install_requires"):
        values.append(("install_requires", parser.get("options", "install_requires")))
    if parser.has_section("options.extras_require"):
        values.extend(parser.items("options.extras_require"))
    directory = posixpath.dirname(path)
    for key, value in values:
        key_line = find_line(text, key) or 1
        stripped = value.strip()
        if stripped.startswith("file:"):
            for name in (n.strip() for n in stripped[len("file:"):].split(",")):
                if name:
                    out.includes.append(posixpath.normpath(posixpath.join(directory, name)))
            continue
        items = value.splitlines() if "\n" in value else value.split(";")
        for item in (i.strip() for i in items):
            if not item or item.startswith("#"):
                continue
            line = find_line(text, item, after=key_line - 1) or key_line
            classified = classify(item, path, line, "setup.cfg")
            (result.pins if not isinstance(classified, Unauditable) else result.unauditable).append(classified)  # type: ignore[arg-type]
    return out


_KEYS = ("install_requires", "extras_require")


def parse_setup_py(path: str, text: str) -> SetupDeclarations:
    """Requirements a ``setup.py`` declares as literals (see module docstring); never runs it."""
    result = ParseResult(files=[path])
    out = SetupDeclarations(result)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SyntaxWarning text would quote the file
            tree = ast.parse(text, filename="<setup.py>")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        out.computed = "is not valid Python 3, so what it declares is unknown without running it"
        return out
    nodes = 0
    calls: list[ast.Call] = []
    bindings: dict[str, list[ast.AST]] = {}
    for node in ast.walk(tree):
        nodes += 1
        if nodes > MAX_AST_NODES:
            out.computed = "is too large to read without running it"
            return out
        if isinstance(node, ast.Call) and _is_setup(node.func):
            calls.append(node)
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for t in targets:
                if isinstance(t, ast.Name):
                    bindings.setdefault(t.id, []).append(node)
    if not calls:
        out.computed = "calls no setup() the gate can see, so what it declares is unknown without running it"
        return out
    for call in calls:
        if any(kw.arg is None for kw in call.keywords) or any(isinstance(a, ast.Starred) for a in call.args):
            out.computed = "passes setup() arguments through **kwargs, computed when it runs"
        for kw in call.keywords:
            if kw.arg not in _KEYS:
                continue
            value = _literal(kw.value, bindings)
            if value is _COMPUTED:
                out.computed = f"computes {kw.arg} when it runs"
                continue
            specs: list[tuple[str, int]] = []
            if kw.arg == "install_requires":
                specs = _strings(value, kw.value.lineno)
            elif isinstance(value, dict):
                for v in value.values():
                    specs.extend(_strings(v, kw.value.lineno))
            for spec, line in specs:
                if spec == _COMPUTED:
                    out.computed = f"computes {kw.arg} when it runs"
                    continue
                classified = classify(spec, path, find_line(text, spec) or line, "setup.py")
                (result.pins if not isinstance(classified, Unauditable) else result.unauditable).append(classified)  # type: ignore[arg-type]
    return out


_COMPUTED: Any = object()


def _is_setup(func: ast.AST) -> bool:
    """``setup(...)``, ``setuptools.setup(...)`` or ``distutils.core.setup(...)``."""
    return (isinstance(func, ast.Name) and func.id == "setup") or (isinstance(func, ast.Attribute) and func.attr == "setup")


def _literal(node: ast.AST, bindings: dict[str, list[ast.AST]]) -> Any:
    """The literal value of ``node``, following a name bound exactly once to a literal."""
    if isinstance(node, ast.Name):
        bound = bindings.get(node.id, [])
        if len(bound) != 1 or not isinstance(bound[0], ast.Assign):
            return _COMPUTED
        node = bound[0].value
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, RecursionError, MemoryError):
        return _COMPUTED


def _strings(value: Any, line: int) -> list[tuple[str, int]]:
    """Requirement strings of a literal list/tuple/string (``"a\\nb"`` is two lines, as setuptools reads it)."""
    if isinstance(value, str):
        return [(s.strip(), line) for s in value.splitlines() if s.strip() and not s.strip().startswith("#")]
    if isinstance(value, (list, tuple)):
        out: list[tuple[str, int]] = []
        for v in value:
            out.extend(_strings(v, line) if isinstance(v, str) else [(_COMPUTED, line)])
        return out
    return [(_COMPUTED, line)]


__all__ = ["SetupDeclarations", "parse_setup_cfg", "parse_setup_py"]
