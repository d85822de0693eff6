"""Lockfiles and ``pyproject.toml`` into exact pins, with ``tomllib``/``json`` only.

Formats and their sources:

* ``poetry.lock`` (Poetry): ``[[package]]`` tables with ``name``, ``version`` and an optional
  ``[package.source]`` whose ``type`` is ``git``, ``url``, ``file``, ``directory`` or ``legacy``
  (a private index). Poetry documentation, "The lock file" / poetry-core ``Package.source_type``.
* ``uv.lock`` (uv): ``[[package]]`` with ``name``, ``version`` and ``source`` =
  ``{registry|git|url|path|directory|editable|virtual = ...}``. uv documentation, "The lockfile".
* ``Pipfile.lock`` (Pipenv): JSON; every top-level key but ``_meta`` is a category (``default``,
  ``develop``, custom) mapping names to ``{"version": "==1.0", "hashes": [...], ...}``, or to
  ``git``/``file``/``path`` entries. Pipenv documentation, "Pipfile.lock".
* ``pylock.toml`` / ``pylock.<name>.toml`` (PEP 751): ``[[packages]]`` with ``name``, optional
  ``version`` and one of ``vcs``, ``directory``, ``archive``, ``sdist``/``wheels``.
* ``pyproject.toml`` (PEP 621 ``[project].dependencies`` and ``optional-dependencies``, and
  PEP 735 ``[dependency-groups]``): requirement strings, classified like requirements-file
  lines; and Poetry's ``[tool.poetry.*dependencies]`` tables;
* ``Pipfile`` (Pipenv): ``[packages]`` and ``[dev-packages]``.

Entries installed from a local directory inside the repository (the project itself, a workspace
member, a path dependency) are the repository's own code, not third-party packages; their
dependencies are locked alongside, so they are reported as skips. Entries from git, a URL or an
archive are third-party code outside any advisory database's version space: unauditable.
Hashes are not needed: the audit asks about ``name==version``, it never installs anything.
"""

from __future__ import annotations

import json
import posixpath
import re
import sys
from typing import Any, Optional

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

from packaging.utils import canonicalize_name

from gate.deps.interface import (
    BAD_FILE,
    UNAUDITABLE,
    UNPINNED,
    ParseResult,
    Pin,
    Unauditable,
    find_line,
    make_pin,
    shorten,
)
from gate.deps.requirements import classify

LOCKFILE_NAMES = ("poetry.lock", "uv.lock", "Pipfile.lock", "pylock.toml")
"""File names of the lockfiles read (plus ``pylock.<name>.toml``, PEP 751)."""


def is_lockfile(path: str) -> bool:
    """True when ``path``'s file name is a lockfile this module reads."""
    name = posixpath.basename(path)
    return name in LOCKFILE_NAMES or (name.startswith("pylock.") and name.endswith(".toml"))


def parse_lockfile(path: str, text: str) -> ParseResult:
    """Dispatch on ``path``'s file name; never raises for bad content (it becomes a finding)."""
    name = posixpath.basename(path)
    result = ParseResult(files=[path])
    try:
        if name == "Pipfile.lock":
            _pipfile_lock(path, text, result)
        else:
            data = tomllib.loads(text)
            if name == "poetry.lock":
                _poetry(path, text, data, result)
            elif name == "uv.lock":
                _uv(path, text, data, result)
            else:
                _pylock(path, text, data, result)
    except (ValueError, tomllib.TOMLDecodeError) as exc:  # json.JSONDecodeError is a ValueError
        result.unauditable.append(_bad_file(path, exc))
    except (TypeError, KeyError, AttributeError):
        result.unauditable.append(Unauditable(BAD_FILE, path, "does not have the expected structure", path))
    result.locked_names |= {p.name for p in result.pins} | {u.name for u in result.unauditable if u.name}
    return result


def parse_pyproject(path: str, text: str) -> tuple[ParseResult, bool]:
    """PEP 621 / PEP 735 requirements of ``pyproject.toml``.

    Returns:
        The result, and whether the file declares ``dependencies`` as ``dynamic`` (computed by
        the build backend, e.g. from ``setup.py``: unknowable without running it).
    """
    result = ParseResult(files=[path])
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        result.unauditable.append(_bad_file(path, exc))
        return result, False
    project = data.get("project")
    groups: list[tuple[str, Any]] = []
    dynamic = False
    if isinstance(project, dict):
        groups.append(("dependencies", project.get("dependencies")))
        optional = project.get("optional-dependencies")
        if isinstance(optional, dict):
            groups.extend((f"optional-dependencies.{k}", v) for k, v in optional.items())
        dyn = project.get("dynamic")
        dynamic = isinstance(dyn, list) and ("dependencies" in dyn or "optional-dependencies" in dyn)
    dependency_groups = data.get("dependency-groups")
    if isinstance(dependency_groups, dict):
        groups.extend((f"dependency-groups.{k}", v) for k, v in dependency_groups.items())
    for _group, items in groups:
        if not isinstance(items, list):
            continue
        for spec in items:
            if not isinstance(spec, str):
                continue  # PEP 735 {include-group = "..."}: its strings are read with its own group
            line = find_line(text, f'"{spec}"') or find_line(text, f"'{spec}'")
            item = classify(spec, path, line or 1, "pyproject")
            (result.pins if isinstance(item, Pin) else result.unauditable).append(item)  # type: ignore[arg-type]
    # Poetry's own tables ([tool.poetry.dependencies], [tool.poetry.group.<g>.dependencies],
    # legacy dev-dependencies): without a poetry.lock they are the only statement of them.
    poetry = (data.get("tool") or {}).get("poetry") if isinstance(data.get("tool"), dict) else None
    if isinstance(poetry, dict):
        tables = [poetry.get("dependencies"), poetry.get("dev-dependencies")]
        group_tables = poetry.get("group")
        if isinstance(group_tables, dict):
            tables.extend(g.get("dependencies") for g in group_tables.values() if isinstance(g, dict))
        for table in tables:
            if isinstance(table, dict):
                tool_table(path, text, table, "poetry", result)
    return result, dynamic


def parse_pipfile(path: str, text: str) -> ParseResult:
    """``Pipfile`` (Pipenv, TOML): ``[packages]`` and ``[dev-packages]`` name -> constraint.

    Read so that a Pipfile without its ``Pipfile.lock`` is not silently unaudited; with a lock
    beside it, the lock's pins are what gets audited (see :mod:`gate.deps.discover`).
    """
    result = ParseResult(files=[path])
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        result.unauditable.append(_bad_file(path, exc))
        return result
    for key in ("packages", "dev-packages"):
        if isinstance(data.get(key), dict):
            tool_table(path, text, data[key], "Pipfile", result)
    return result


_EXACT = re.compile(r"^\s*(==)?\s*[0-9][A-Za-z0-9.+!_-]*\s*$")


def tool_table(path: str, text: str, table: dict[str, Any], style: str, result: ParseResult) -> None:
    """Name -> constraint tables of Poetry (``pyproject.toml``) and Pipenv (``Pipfile``).

    A constraint is a string or a table with ``version``, or a ``path``/``git``/``url``/``file``
    source. Exact: ``==1.2.3``, and for Poetry a bare ``1.2.3`` (Poetry documentation,
    "Dependency specification": a bare version is an exact requirement). Everything else (``^``,
    ``~``, ``>=``, ``*``) is a range.
    """
    for name, value in table.items():
        if name.lower() == "python" or not isinstance(name, str):
            continue
        line = find_line(text, f"{name} =") or find_line(text, f'"{name}" =') or find_line(text, name)
        if isinstance(value, list):  # Poetry multiple-constraint dependency: one entry per marker
            value = next((v for v in value if isinstance(v, dict)), {})
        if isinstance(value, dict):
            source = next((k for k in ("path", "git", "url", "file", "hg", "svn") if k in value), None)
            if source is not None:
                result.unauditable.append(Unauditable(
                    UNAUDITABLE, shorten(f"{name} ({source} = {value[source]})"),
                    f"comes from a {source} source: installing it builds it and its version is unknown",
                    path, line, _canon(name)))
                continue
            value = value.get("version", "*")
        constraint = str(value).strip()
        exact = _EXACT.match(constraint) and (style == "poetry" or constraint.startswith("=="))
        if exact:
            _pin(path, line, name, constraint.lstrip("= "), style, result)
        else:
            result.unauditable.append(Unauditable(
                UNPINNED, shorten(f'{name} = "{constraint}"'),
                "has no version" if constraint in ("*", "") else "is a version range", path, line, _canon(name)))


# -- formats -----------------------------------------------------------------------------------

def _poetry(path: str, text: str, data: dict[str, Any], result: ParseResult) -> None:
    for pkg in _tables(data, "package"):
        name, version = pkg.get("name"), pkg.get("version")
        line = _locate(text, name, version)
        source = pkg.get("source") if isinstance(pkg.get("source"), dict) else {}
        kind = source.get("type")
        if kind == "directory":
            _local(path, line, name, str(source.get("url", "")), result)
        elif kind in ("git", "url", "file"):
            result.unauditable.append(_foreign(path, line, name, version, f"{kind} source"))
        else:
            _pin(path, line, name, version, "poetry.lock", result)


def _uv(path: str, text: str, data: dict[str, Any], result: ParseResult) -> None:
    for pkg in _tables(data, "package"):
        name, version = pkg.get("name"), pkg.get("version")
        line = _locate(text, name, version)
        source = pkg.get("source") if isinstance(pkg.get("source"), dict) else {}
        local = next((source[k] for k in ("editable", "virtual", "directory") if k in source), None)
        if local is not None:
            _local(path, line, name, str(local), result)
        elif any(k in source for k in ("git", "url", "path")):
            kind = next(k for k in ("git", "url", "path") if k in source)
            result.unauditable.append(_foreign(path, line, name, version, f"{kind} source"))
        else:
            _pin(path, line, name, version, "uv.lock", result)


def _pipfile_lock(path: str, text: str, result: ParseResult) -> None:
    data = json.loads(text)
    if not isinstance(data, dict):
        raise TypeError("not an object")
    for category, entries in data.items():
        if category == "_meta" or not isinstance(entries, dict):
            continue
        for name, entry in entries.items():
            if not isinstance(entry, dict):
                continue
            line = find_line(text, f'"{name}":')
            if "path" in entry and not any(k in entry for k in ("git", "file")):
                _local(path, line, name, str(entry["path"]), result)
            elif any(k in entry for k in ("git", "file", "hg", "svn", "bzr")):
                kind = next(k for k in ("git", "file", "hg", "svn", "bzr") if k in entry)
                result.unauditable.append(_foreign(path, line, name, entry.get("version"), f"{kind} source"))
            else:
                version = entry.get("version")
                if isinstance(version, str) and version.startswith("=="):
                    _pin(path, line, name, version[2:].strip(), "Pipfile.lock", result)
                else:
                    result.unauditable.append(Unauditable(
                        UNAUDITABLE, shorten(f"{name} {version or ''}"), "has no exact version in the lockfile",
                        path, line, _canon(name)))


def _pylock(path: str, text: str, data: dict[str, Any], result: ParseResult) -> None:
    for pkg in _tables(data, "packages"):
        name, version = pkg.get("name"), pkg.get("version")
        line = _locate(text, name, version)
        directory = pkg.get("directory")
        if isinstance(directory, dict):
            _local(path, line, name, str(directory.get("path", "")), result)
        elif "vcs" in pkg or "archive" in pkg:
            kind = "vcs" if "vcs" in pkg else "archive"
            result.unauditable.append(_foreign(path, line, name, version, f"{kind} source"))
        elif version is None:
            result.unauditable.append(Unauditable(UNAUDITABLE, shorten(str(name)), "has no version in the lockfile",
                                                  path, line, _canon(name)))
        else:
            _pin(path, line, name, version, "pylock", result)


# -- helpers -----------------------------------------------------------------------------------

def _tables(data: dict[str, Any], key: str) -> list[dict[str, Any]]:
    value = data.get(key, [])
    if not isinstance(value, list):
        raise TypeError(f"{key} is not an array")
    return [t for t in value if isinstance(t, dict)]


def _canon(name: Any) -> Optional[str]:
    return canonicalize_name(name) if isinstance(name, str) else None


def _locate(text: str, name: Any, version: Any) -> Optional[int]:
    """Line of ``name = "<name>"`` followed (within 3 lines) by ``version = "<version>"``."""
    if not isinstance(name, str):
        return None
    first: Optional[int] = None
    after = 0
    while True:
        line = find_line(text, f'name = "{name}"', after=after)
        if line is None:
            return first
        first = first or line
        window = "\n".join(text.splitlines()[line: line + 3])
        if version is None or f'version = "{version}"' in window:
            return line
        after = line


def _pin(path: str, line: Optional[int], name: Any, version: Any, source: str, result: ParseResult) -> None:
    if not isinstance(version, str):
        result.unauditable.append(Unauditable(UNAUDITABLE, shorten(str(name)), "has no version in the lockfile",
                                              path, line, _canon(name)))
        return
    item = make_pin(name, version, path, line, source)
    (result.pins if isinstance(item, Pin) else result.unauditable).append(item)  # type: ignore[arg-type]


def _local(path: str, line: Optional[int], name: Any, where: str, result: ParseResult) -> None:
    """A lock entry built from a local directory: the repository's own code when in the tree."""
    target = posixpath.normpath(posixpath.join(posixpath.dirname(path), where.replace("\\", "/")))
    if where.startswith(("/", "~")) or "://" in where or target == ".." or target.startswith("../"):
        result.unauditable.append(Unauditable(
            UNAUDITABLE, shorten(f"{name} (directory {where})"), "is built from a directory outside the "
            "repository, which the gate cannot see", path, line, _canon(name)))
        return
    if _canon(name):
        result.locked_names.add(_canon(name))  # type: ignore[arg-type]
    result.skipped.append((f"{path}: {shorten(str(name), 100)}",
                           f"local package from directory {shorten(target, 120)!r} (the repository's own code; its "
                           "dependencies are audited from the lockfile)"))


def _foreign(path: str, line: Optional[int], name: Any, version: Any, kind: str) -> Unauditable:
    return Unauditable(UNAUDITABLE, shorten(f"{name} {version or ''}".strip()),
                       f"comes from a {kind}, not a package index: advisory databases cannot match it; "
                       "depend on a released version instead", path, line, _canon(name))


def _bad_file(path: str, exc: Exception) -> Unauditable:
    # The parser's message gives line/column but never file content.
    detail = str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__
    return Unauditable(BAD_FILE, path, f"cannot be parsed ({shorten(detail, 120)}), so its dependencies cannot "
                       "be audited", path, getattr(exc, "lineno", None))
