"""What reading dependency files produces: exact pins to audit, and requirements that cannot be.

Every parser in :mod:`gate.deps` (requirements files, ``pyproject.toml``, lockfiles) turns one
file's text into a :class:`ParseResult`. Parsers never touch the filesystem (text comes from the
repository inventory) and never execute anything: a requirement whose version can only be known
by resolving or building it is an :class:`Unauditable` (``docs/threats.md`` row 6).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Optional

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from gate.redact import redact

UNPINNED = "unpinned-requirement"
"""Rule id: a requirement with a version range (``requests>=2``) or no version at all."""
UNAUDITABLE = "unauditable-requirement"
"""Rule id: a path, URL, VCS or editable requirement, a lock entry from such a source, or a
version that is not PEP 440: nothing an advisory database can be asked about."""
BAD_FILE = "unreadable-dependency-file"
"""Rule id: a dependency file that cannot be parsed (malformed TOML/JSON, undecodable)."""
BAD_INCLUDE = "unauditable-include"
"""Rule id: a ``-r``/``-c`` include that leaves the repository, is missing, or was skipped."""

_NAME = re.compile(r"^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$", re.IGNORECASE)
"""A valid distribution name (PEP 508 "names")."""
_SAFE_VERSION = re.compile(r"^[A-Za-z0-9.+!_-]+$")


@dataclass(frozen=True)
class Pin:
    """One exactly pinned distribution, and where the pin was written."""

    name: str
    """PEP 503-normalised distribution name (``pyyaml``)."""
    version: str
    """PEP 440-normalised version (``2.19.1``)."""
    path: str
    """Repository-relative POSIX path of the file that pins it."""
    line: Optional[int] = None
    """1-based line of the pin, when known."""
    source: str = ""
    """Kind of file: ``requirements``, ``pyproject``, ``poetry.lock``, ``uv.lock``,
    ``Pipfile.lock``, ``pylock``."""

    @property
    def key(self) -> tuple[str, str]:
        """``(name, version)``: what the advisory database is asked about."""
        return (self.name, self.version)


@dataclass(frozen=True)
class Unauditable:
    """A requirement (or a whole file or include) that cannot be audited, as a finding."""

    rule: str
    """:data:`UNPINNED`, :data:`UNAUDITABLE`, :data:`BAD_FILE` or :data:`BAD_INCLUDE`."""
    spec: str
    """The requirement as written (trimmed, at most 200 characters) or the file/include path."""
    reason: str
    """Why it cannot be audited, for a person."""
    path: str
    line: Optional[int] = None
    name: Optional[str] = None
    """Normalised distribution name, when one could be read (used to match lockfile pins)."""


@dataclass
class ParseResult:
    """What one parser found in one file (mutable while parsing)."""

    pins: list[Pin] = field(default_factory=list)
    unauditable: list[Unauditable] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    """``(what, reason)`` of entries deliberately not audited (the project itself, an include
    loop, an excluded include), reported as skips (promise 5)."""
    files: list[str] = field(default_factory=list)
    """Repository-relative paths read."""
    locked_names: set[str] = field(default_factory=set)
    """Normalised names of every package a lockfile lists, whatever its source (used to decide
    whether a ``pyproject.toml`` range is resolved by a lockfile)."""

    def extend(self, other: "ParseResult") -> None:
        """Append ``other``'s contents to this result."""
        self.pins.extend(other.pins)
        self.unauditable.extend(other.unauditable)
        self.skipped.extend(other.skipped)
        self.files.extend(other.files)
        self.locked_names |= other.locked_names


_USERINFO = re.compile(r"(?P<scheme>://)[^/@\s]+@")


def shorten(text: str, limit: int = 200) -> str:
    """``text`` made safe to show: credentials removed, one line, at most ``limit`` characters.

    Requirement lines can carry credentials (``pkg @ https://user:token@host/pkg.whl``,
    ``git+https://<token>@github.com/...``): URL user-info is replaced by ``***`` and the rest
    goes through :func:`gate.redact.redact`, so no finding message or skip reason repeats a
    secret (promise 3). Hostile-long lines are cut.
    """
    flat = redact(_USERINFO.sub(r"\g<scheme>***@", " ".join(text.split())))
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def make_pin(name: str, version: str, path: str, line: Optional[int], source: str) -> Pin | Unauditable:
    """A :class:`Pin` when ``name`` and ``version`` are valid, else an :class:`Unauditable`.

    Validation matters beyond correctness: only validated, normalised names and versions are
    ever written into the temporary requirements file pip-audit reads, so a hostile lockfile
    cannot smuggle options (``--index-url``) or extra lines into it.
    """
    spec = shorten(f"{name}=={version}")
    if not isinstance(name, str) or not _NAME.match(name):
        return Unauditable(UNAUDITABLE, spec, "not a valid package name", path, line)
    canon = canonicalize_name(name)
    try:
        normal = str(Version(version))
    except (InvalidVersion, TypeError):
        return Unauditable(UNAUDITABLE, spec, f"version {shorten(str(version), 60)!r} is not a PEP 440 version, "
                           "so no advisory database can match it", path, line, canon)
    if not _SAFE_VERSION.match(normal):  # pragma: no cover - Version() output is always safe
        return Unauditable(UNAUDITABLE, spec, "unexpected characters in version", path, line, canon)
    return Pin(canon, normal, path, line, source)


def find_line(text: str, *needles: str, after: int = 0) -> Optional[int]:
    """1-based number of the first line (from line ``after`` + 1) containing every needle."""
    for i, line in enumerate(text.splitlines()[after:], start=after + 1):
        if all(n in line for n in needles):
            return i
    return None
