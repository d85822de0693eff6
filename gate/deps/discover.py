"""Find the repository's dependency files in the inventory and read them into one :class:`Discovery`.

Files read (anywhere in the tree, minus the check's ``exclude`` globs): ``requirements*.txt``,
``requirements/*.txt``, ``pyproject.toml``, ``Pipfile``, ``poetry.lock``, ``uv.lock``, ``Pipfile.lock``,
``pylock.toml`` and ``pylock.<name>.toml``. Only the inventory is read (never the filesystem),
so symlinks out of the tree, huge and binary files are never opened.

A ``pyproject.toml`` declares ranges by design (``requests>=2``); they are fine when a lockfile
or requirements file *in the same directory or above* pins the package (that pin is what gets
audited), and a finding otherwise. The same holds for ``dynamic`` dependencies (computed by the
build backend): acceptable only with such a lockfile beside or above. A ``Pipfile`` or Poetry's
``[tool.poetry.dependencies]`` without its lockfile is read the same way (Poetry's bare ``1.2.3``
is exact). A ``setup.py``/``setup.cfg`` with no dependency file beside or above it is a finding:
its ``install_requires`` is only known by running it.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from typing import Sequence

from gate.deps.interface import BAD_FILE, UNAUDITABLE, ParseResult, Pin, Unauditable, find_line
from gate.deps.lockfiles import is_lockfile, parse_lockfile, parse_pipfile, parse_pyproject
from gate.deps.requirements import Unavailable, parse_requirements
from gate.inventory import Inventory, InventoryError, match_globs

PATTERNS = ("requirements*.txt", "requirements/*.txt", "**/requirements/*.txt", "pyproject.toml", "Pipfile",
            "poetry.lock", "uv.lock", "Pipfile.lock", "pylock.toml", "pylock.*.toml")
"""Glob patterns of dependency files (see :func:`gate.inventory.match_globs`: a pattern without
``/`` matches in any directory)."""

SETUP_FILES = ("setup.py", "setup.cfg")
"""setuptools files whose dependencies (``install_requires``) are not read: ``setup.py`` is code
the gate never runs. One without a pyproject.toml, lockfile or requirements file beside or above
it is a finding, so a setup.py-only project is not silently unaudited."""


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

    Never raises for repository content: unreadable or malformed files become
    :class:`Unauditable` entries.
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
    pyprojects: list[tuple[str, ParseResult, bool, str]] = []
    scope: dict[str, set[str]] = {}  # directory -> names pinned/locked there
    lock_dirs: set[str] = set()  # directories holding a lockfile
    for path in found:
        name = posixpath.basename(path)
        directory = posixpath.dirname(path)
        try:
            text = read(path)
        except Unavailable as exc:
            total.unauditable.append(Unauditable(BAD_FILE, path,
                                                 f"cannot be read ({exc})", path))
            continue
        if name == "pyproject.toml":
            result, dynamic = parse_pyproject(path, text)
            pyprojects.append((path, result, dynamic, text))
            continue
        if name == "Pipfile":
            pyprojects.append((path, parse_pipfile(path, text), False, text))
            continue
        if is_lockfile(path):
            result = parse_lockfile(path, text)
            scope.setdefault(directory, set()).update(result.locked_names)
            lock_dirs.add(directory)
        else:
            try:
                result = parse_requirements(path, read, excluded=excluded)
            except Unavailable as exc:  # pragma: no cover - read() just succeeded
                total.unauditable.append(Unauditable(BAD_FILE, path, str(exc), path))
                continue
            scope.setdefault(directory, set()).update(p.name for p in result.pins)
        total.extend(result)

    for path, result, dynamic, text in pyprojects:
        locked = _names_in_scope(posixpath.dirname(path), scope)
        if locked is not None:
            # Ranges the lockfile resolves are audited through the lockfile's pins.
            result.unauditable = [u for u in result.unauditable if not (u.name and u.name in locked)]
        if dynamic:
            # Dynamic dependencies are resolved by a lockfile here or above, or by a requirements
            # file beside the pyproject.toml (pip-compile's output); not by an unrelated one above.
            here = posixpath.dirname(path)
            if here in scope or _has_ancestor(here, lock_dirs):
                result.skipped.append((path, "dependencies are dynamic; audited from the lockfile or requirements "
                                             "file that resolves them"))
            else:
                result.unauditable.append(Unauditable(
                    UNAUDITABLE, "dynamic = [\"dependencies\"]", "dependencies are computed by the build backend "
                    "(e.g. setup.py), which the gate never runs; add a lockfile or pinned requirements file",
                    path, find_line(text, "dynamic") or 1))
        total.extend(result)

    manifest_dirs = {posixpath.dirname(p) for p, *_ in pyprojects} | set(scope)
    for entry in inventory.glob(*SETUP_FILES):
        here = posixpath.dirname(entry.path)
        if excluded(entry.path) or _has_ancestor(here, manifest_dirs):
            continue
        total.files.append(entry.path)
        total.unauditable.append(Unauditable(
            UNAUDITABLE, entry.name, "declares dependencies (install_requires) that only running it would reveal, "
            "which the gate never does; add a lockfile or a pinned requirements file beside it",
            entry.path, None))

    pins = {(p.path, p.line, p.name, p.version): p for p in total.pins}
    unaud = {(u.rule, u.path, u.line, u.spec): u for u in total.unauditable}
    skipped = dict.fromkeys(total.skipped)
    return Discovery(
        files=tuple(sorted(set(total.files))),
        pins=tuple(sorted(pins.values(), key=lambda p: (p.name, p.version, p.path, p.line or 0))),
        unauditable=tuple(sorted(unaud.values(), key=lambda u: (u.path, u.line or 0, u.spec))),
        skipped=tuple(skipped),
    )


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
