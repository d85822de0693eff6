"""Dependency inputs of a repository, read into exact pins without running anything.

:func:`discover` finds requirements files, ``pyproject.toml`` and lockfiles in the inventory and
returns a :class:`Discovery`: the exact ``name==version`` pins to audit and the requirements that
cannot be audited (unpinned, path/URL/VCS/editable, unreadable files), each with its file and line.
See :mod:`gate.deps.interface` for the values, :mod:`gate.deps.requirements` and
:mod:`gate.deps.lockfiles` for the formats.
"""

from gate.deps.discover import PATTERNS, Discovery, discover
from gate.deps.interface import BAD_FILE, BAD_INCLUDE, UNAUDITABLE, UNPINNED, Pin, Unauditable

__all__ = ["BAD_FILE", "BAD_INCLUDE", "Discovery", "PATTERNS", "Pin", "UNAUDITABLE", "UNPINNED",
           "Unauditable", "discover"]
