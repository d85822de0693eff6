"""The check interface: what every check implements and what it receives.

A check is pure: it reads the shared :class:`~gate.inventory.Inventory` and its settings from a
:class:`CheckContext`, and returns a :class:`~gate.model.CheckResult`. It never walks the tree,
never writes files, never talks to GitHub. A check that raises is turned into an ``error``
result by the runner (the run goes on).

Checks are listed explicitly in :mod:`gate.checks.registry`; importing a module registers
nothing. A check's words (title, rationale, remediation, sources) live beside it as data in
``policies/checks/<id>.yml`` (:func:`load_meta`).
"""

from __future__ import annotations

import abc
import datetime as dt
import functools
import threading
from dataclasses import dataclass, field
from typing import Any, Callable, ClassVar, Mapping, Optional, TypeVar

import yaml

from gate.config import Config
from gate.inventory import Inventory
from gate.model import CheckMeta, CheckResult
from gate.resources import policy_file

T = TypeVar("T")


@dataclass(frozen=True)
class RunOptions:
    """Options of one run that are not part of readiness.yml (command line, environment)."""

    osv_url: Optional[str] = None
    """OSV API base URL for pip-audit (``--osv-url``, ``READINESS_GATE_OSV_URL``), e.g. an
    internal mirror; None: the check's own setting or pip-audit's default service."""
    changed_since: Optional[str] = None
    """Git ref for diff-aware mode (``--changed-since``); None for a full scan."""
    changed_paths: Optional[frozenset[str]] = None
    """Repository-relative paths changed since ``changed_since`` (diff mode), else None."""
    trusted_files: Optional[Mapping[str, Optional[str]]] = None
    """Repository-relative path -> trusted text (None: absent on the trusted side) for policy
    files that live in the repository, e.g. ``.secrets.baseline``. The GitHub Action fills it
    with the base branch's version when a pull request changed such a file and no lead approved
    the change: checks read these instead of the PR's copy (a PR must not audit its own secret
    as a false positive, ``docs/threats.md`` row 12). None: read the repository."""
    cache_dir: Optional[str] = None
    """Directory for content-addressed scan caches (``--cache-dir``), or None for no cache."""
    jobs: int = 0
    """Worker count for CPU-bound work; 0 means the number of CPUs."""
    today: Optional[dt.date] = None
    """The date used for expiry and staleness; None means today (tests pin it)."""


class SharedWork:
    """Work several checks need once per run (e.g. one semgrep run for two checks).

    ``once(key, fn)`` runs ``fn`` the first time ``key`` is asked for and hands every caller the
    same value (or re-raises the same exception). Thread-safe: concurrent callers wait for the
    first.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._events: dict[str, threading.Event] = {}
        self._values: dict[str, tuple[bool, Any]] = {}

    def once(self, key: str, fn: Callable[[], T]) -> T:
        """Return ``fn()``'s value for ``key``, computing it at most once per run."""
        with self._lock:
            event = self._events.get(key)
            owner = event is None
            if owner:
                event = self._events[key] = threading.Event()
        assert event is not None
        if owner:
            try:
                self._values[key] = (True, fn())
            except BaseException as exc:  # noqa: BLE001 - re-raised to every caller
                self._values[key] = (False, exc)
            finally:
                event.set()
        else:
            event.wait()
        ok, value = self._values[key]
        if ok:
            return value  # type: ignore[no-any-return]
        raise value


@dataclass(frozen=True)
class CheckContext:
    """Everything a check may read."""

    inventory: Inventory
    """The repository's files, walked once."""
    config: Config
    """The whole effective configuration (owners, failures, evidence, ...)."""
    settings: Mapping[str, Any]
    """This check's options (``checks.<id>`` minus ``level``), profile defaults merged in."""
    options: RunOptions = field(default_factory=RunOptions)
    shared: SharedWork = field(default_factory=SharedWork)

    @property
    def today(self) -> dt.date:
        """The date against which ages and expiries are computed."""
        return self.options.today or dt.date.today()

    def setting(self, key: str, default: T) -> T:
        """This check's option ``key`` (kebab-case, as in readiness.yml), or ``default``."""
        value = self.settings.get(key, default)
        return default if value is None else value  # type: ignore[return-value]


class Check(abc.ABC):
    """A readiness check. Subclasses set :attr:`id` and implement :meth:`run`."""

    id: ClassVar[str]
    """Stable kebab-case id, also the key of ``policies/checks/<id>.yml``."""

    @property
    def meta(self) -> CheckMeta:
        """The check's words (title, gate, rationale, remediation, sources)."""
        return load_meta(self.id)

    @abc.abstractmethod
    def run(self, context: CheckContext) -> CheckResult:
        """Examine the repository and return a result.

        Must not raise for problems in the repository (those are findings); may raise for
        bugs, which the runner reports as ``error``. Scanner failures should be returned as
        :meth:`CheckResult.errored` with an actionable message.
        """


@functools.lru_cache(maxsize=None)
def load_meta(check_id: str) -> CheckMeta:
    """Load ``policies/checks/<check_id>.yml``.

    Raises:
        FileNotFoundError: no metadata file for ``check_id``.
        KeyError: a required field (gate, title, rationale, remediation) is missing.
    """
    path = policy_file("checks", f"{check_id}.yml")
    # ours, shipped with the package: libyaml's safe loader when PyYAML has it (faster start-up)
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    return CheckMeta(
        id=check_id,
        gate=data["gate"],
        title=data["title"],
        rationale=" ".join(str(data["rationale"]).split()),
        remediation=" ".join(str(data["remediation"]).split()),
        sources=tuple(data.get("sources") or ()),
        help_uri=data.get("help-uri"),
    )
