"""Find the repository's dependency files in the inventory and read them into one :class:`Discovery`.

Files read (anywhere in the tree, minus the check's ``exclude`` globs):

* *pin files*, whose exact pins are what gets installed and audited: ``*requirements*.txt``
  (``requirements-dev.txt``, ``dev-requirements.txt``, ...), ``requirements/*.txt``,
  ``constraints*.txt``, ``poetry.lock``, ``uv.lock``, ``Pipfile.lock``, ``pylock.toml`` and
  ``pylock.<name>.toml``;
* *declaration files*, which state ranges by design: pip-compile inputs (``*requirements*.in``,
  ``requirements/*.in``), ``pyproject.toml``, ``Pipfile``, ``setup.cfg`` (read as data) and
  ``setup.py`` (its syntax tree only; it is never run: :mod:`gate.deps.setuptools_files`).

A declared range (``requests>=2``) is fine when a pin file *in the same directory or above* pins
the package (that pin is what gets audited), and a finding otherwise: ``unpinned-requirement``
for data files, ``unauditable-requirement`` for ``setup.py``. Declarations that are computed
(``dynamic`` dependencies in ``pyproject.toml``, a ``setup.py`` that builds ``install_requires``
when it runs) are acceptable only with a lockfile beside or above, or a requirements file beside
(pip-compile's output), and an ``unauditable-requirement`` otherwise. Poetry's bare ``1.2.3`` is
exact. Only the inventory is read (never the filesystem), so symlinks out of the tree, huge and
binary files are never opened.
"""

from __future__ import annotations

import dataclasses
import posixpath
from dataclasses import dataclass
from typing import Callable, Optional, Sequence

from gate.deps.interface import BAD_FILE, BAD_INCLUDE, UNAUDITABLE, UNPINNED, ParseResult, Pin, Unauditable, find_line
from gate.deps.lockfiles import is_lockfile, parse_lockfile, parse_pipfile, parse_pyproject
from gate.deps.requirements import Unavailable, parse_requirements
from gate.deps.setuptools_files import parse_setup_cfg, parse_setup_py
from gate.inventory import Inventory, InventoryError, match_globs

PIN_PATTERNS = ("*requirements*.txt", "requirements/*.txt", "**/requirements/*.txt", "constraints*.txt",
                "poetry.lock", "uv.lock", "Pipfile.lock", "pylock.toml", "pylock.*.toml")
"""Files whose exact pins are what gets installed (requirements and constraints files, lockfiles)."""

DECLARATION_PATTERNS = ("*requirements*.in", "requirements/*.in", "**/requirements/*.in", "pyproject.toml", "Pipfile",
                        "setup.cfg", "setup.py")
"""Files that declare (usually as ranges) what a pin file beside or above them resolves: pip-compile
inputs (``*.in``), ``pyproject.toml``, ``Pipfile`` and setuptools' files."""

PATTERNS = PIN_PATTERNS + DECLARATION_PATTERNS
"""Glob patterns of dependency files (see :func:`gate.inventory.match_globs`: a pattern without
``/`` matches in any directory)."""

SETUP_FILES = ("setup.py", "setup.cfg")
"""setuptools files, read statically by :mod:`gate.deps.setuptools_files` (``setup.py`` is
never run)."""


@dataclass(frozen=True)
class Discovery:
    """Everything read from the repository's dependency files."""

    files: tuple[str, ...]
    """Dependency files read (including ``-r`` includes), sorted."""
    pins: tuple[Pin, ...]
    """Exact pins, one per (file, line, name, version), sorted by name, version, path."""
    unauditable: tuple[Unauditable, ...]
    """Requirements and files that cannot be audited (each becomes a finding)."""
    skipped: tuple[tuple[str, str], ...]
    """``(what, reason)`` deliberately not audited."""


class _Reader:
    """Reads repository files through the inventory, turning every refusal into :class:`Unavailable`."""

    def __init__(self, inventory: Inventory) -> None:
        self._inv = inventory
        self._skip_reasons = {s.path: s.reason for s in inventory.skipped}

    def __call__(self, path: str) -> str:
        entry = self._inv.get(path)
        if entry is None:
            reason = self._skip_reasons.get(path)
            raise Unavailable(f"skipped by the inventory ({reason})" if reason else "no such file in the repository")
        if entry.is_binary:
            raise Unavailable("binary file")
        try:
            text = self._inv.read_text(entry)
        except InventoryError as exc:
            raise Unavailable(str(exc)) from None
        # Editors on Windows write a UTF-8 byte order mark; pip, tomllib users and json do not want it.
        return text[1:] if text.startswith("\ufeff") else text


def discover(inventory: Inventory, exclude: Sequence[str] = ()) -> Discovery:
    """Find and read every dependency file of ``inventory`` not matching ``exclude`` globs.

    Two passes: pin files (requirements, constraints, lockfiles) first, which fill the *scope*
    (directory -> names pinned there); then declaration files (``*.in``, ``pyproject.toml``,
    ``Pipfile``, ``setup.cfg``, ``setup.py``), whose ranges are excused by a pin of the same name
    in their directory or above, and are findings otherwise. Never raises for repository
    content: unreadable or malformed files become :class:`Unauditable` entries.
    """
    read = _Reader(inventory)

    def excluded(path: str) -> bool:
        return bool(exclude) and match_globs(path, exclude)

    found = [e.path for e in inventory.glob(*PATTERNS) if not excluded(e.path)]
    total = ParseResult()
    for skip in inventory.skipped:
        # A dependency file the inventory refused (symlink out of the tree, over the size cap)
        # hides its dependencies: that blocks, unless the configuration excluded it on purpose.
        if match_globs(skip.path, PATTERNS) and not excluded(skip.path) and skip.reason != "excluded by configuration":
            total.unauditable.append(Unauditable(BAD_FILE, skip.path,
                                                 f"was not read ({skip.reason})", skip.path))
    declarations: list[tuple[str, str]] = []  # (path, text), read in the second pass
    scope: dict[str, set[str]] = {}  # directory -> names pinned/locked there
    lock_dirs: set[str] = set()  # directories holding a lockfile
    for path in found:
        directory = posixpath.dirname(path)
        try:
            text = read(path)
        except Unavailable as exc:
            total.unauditable.append(Unauditable(BAD_FILE, path,
                                                 f"cannot be read ({exc})", path))
            continue
        if not match_globs(path, PIN_PATTERNS):
            declarations.append((path, text))
            continue
        if is_lockfile(path):
            result = parse_lockfile(path, text)
            scope.setdefault(directory, set()).update(result.locked_names)
            lock_dirs.add(directory)
        else:
            result = _requirements(path, read, excluded)
            scope.setdefault(directory, set()).update(p.name for p in result.pins)
        total.extend(result)

    dynamic_dirs: set[str] = set()
    for path, text in sorted(declarations, key=lambda d: posixpath.basename(d[0]) == "setup.py"):
        here = posixpath.dirname(path)
        name = posixpath.basename(path)
        resolved = _has_scope(here, scope, lock_dirs)
        if name == "setup.py":
            decl = parse_setup_py(path, text)
            result = decl.result
            if decl.computed and here not in dynamic_dirs:
                result.unauditable.extend(_computed(path, text, decl.computed, resolved, result))
        elif name == "setup.cfg":
            decl = parse_setup_cfg(path, text)
            result = decl.result
            for include in decl.includes:
                if inventory.get(include) is None:
                    result.unauditable.append(Unauditable(BAD_INCLUDE, include, "(a file: directive of setup.cfg) is "
                                                          "not a file in the repository", path))
                elif not excluded(include):
                    result.extend(_requirements(include, read, excluded))
        elif name == "pyproject.toml":
            result, dynamic = parse_pyproject(path, text)
            if dynamic:
                dynamic_dirs.add(here)
                result.unauditable.extend(_computed(
                    path, text, "declares its dependencies as dynamic (computed by the build backend, e.g. setup.py)", resolved,
                    result, spec='dynamic = ["dependencies"]', needle="dynamic"))
        elif name == "Pipfile":
            result = parse_pipfile(path, text)
        else:  # a pip-compile input (*.in): ranges by design, resolved by the compiled file
            result = _requirements(path, read, excluded)
        locked = _names_in_scope(here, scope)
        if locked is not None:
            # Ranges a pin in scope resolves are audited through that pin.
            result.unauditable = [u for u in result.unauditable if not (u.name and u.name in locked)]
        if name == "setup.py":
            result.unauditable = [_undeclared_pin(u) if u.rule == UNPINNED else u for u in result.unauditable]
        total.extend(result)

    pins = {(p.path, p.line, p.name, p.version): p for p in total.pins}
    unaud = {(u.rule, u.path, u.line, u.spec): u for u in total.unauditable}
    skipped = dict.fromkeys(total.skipped)
    return Discovery(
        files=tuple(sorted(set(total.files))),
        pins=tuple(sorted(pins.values(), key=lambda p: (p.name, p.version, p.path, p.line or 0))),
        unauditable=tuple(sorted(unaud.values(), key=lambda u: (u.path, u.line or 0, u.spec))),
        skipped=tuple(skipped),
    )


def _requirements(path: str, read: _Reader, excluded: Callable[[str], bool]) -> ParseResult:
    """A requirements/constraints file and its in-tree includes; an unreadable one is a finding."""
    try:
        return parse_requirements(path, read, excluded=excluded)
    except Unavailable as exc:
        return ParseResult(unauditable=[Unauditable(BAD_FILE, path, f"cannot be read ({exc})", path)])


def _undeclared_pin(u: Unauditable) -> Unauditable:
    """A ``setup.py`` range: unauditable (the file is code), excused only by a pin in scope."""
    return dataclasses.replace(u, rule=UNAUDITABLE, reason=(
        f"{u.reason} in setup.py's install_requires, and no lockfile or requirements file beside or above "
        "setup.py pins it"))


def _computed(path: str, text: str, why: str, resolved: bool, result: ParseResult, *,
              spec: Optional[str] = None, needle: str = "setup(") -> list[Unauditable]:
    """Declarations computed at build time: a skip when a pin file resolves them, else a finding."""
    if resolved:
        result.skipped.append((path, f"{why}; audited from the lockfile or requirements file that resolves them"))
        return []
    return [Unauditable(
        UNAUDITABLE, spec or posixpath.basename(path), f"{why}, which the gate never runs; add a lockfile or a "
        "pinned requirements file beside it", path, find_line(text, needle) or 1)]


def _has_scope(here: str, scope: dict[str, set[str]], lock_dirs: set[str]) -> bool:
    """True when a lockfile in ``here`` or above, or a requirements file in ``here``, resolves
    computed declarations of ``here`` (pip-compile writes beside its input; an unrelated
    requirements file above does not)."""
    return here in scope or _has_ancestor(here, lock_dirs)


def _names_in_scope(directory: str, scope: dict[str, set[str]]) -> set[str] | None:
    """Names pinned by lockfiles/requirements in ``directory`` or its ancestors; None if none."""
    names: set[str] = set()
    seen = False
    d = directory
    while True:
        if d in scope:
            seen = True
            names |= scope[d]
        if not d:
            break
        d = posixpath.dirname(d)
    return names if seen else None


def _has_ancestor(directory: str, dirs: set[str]) -> bool:
    """True when ``directory`` or one of its ancestors is in ``dirs``."""
    d = directory
    while True:
        if d in dirs:
            return True
        if not d:
            return False
        d = posixpath.dirname(d)
