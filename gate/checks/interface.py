"""The check interface: what every check implements and what it receives.

A check is pure: it reads the shared :class:`~gate.inventory.Inventory` and its settings from a
:class:`CheckContext`, and returns a :class:`~gate.model.CheckResult`. It never walks the tree,
never writes files, never talks to GitHub. A check that raises is turned into an ``error``
result by the runner (the run goes on).

Checks are listed explicitly in :mod:`gate.checks.registry`; importing a module registers
nothing. A check's facts live in one place each (``docs/architecture.md``, "Where each fact
lives"): its words (title, rationale, remediation, sources, and each finding rule's title and
remediation under ``rules:``) in ``policies/checks/<id>.yml`` (:func:`load_meta`); its option
defaults in ``policies/profiles/default.yml`` only, read into a typed settings dataclass
(:attr:`Check.settings_type`, :func:`option`); its scheduling facts as class attributes
(:attr:`Check.waits_on_scanner`, :attr:`Check.diff_aware`); the words it asks the run's text
index about from :meth:`Check.index_words`.
"""

from __future__ import annotations

import abc
import dataclasses
import datetime as dt
import functools
import threading
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Generic, Hashable, Iterable, Mapping, Optional, \
    Sequence, TypeVar

import yaml

from gate.checks.workflows import WorkflowSet, load_workflows
from gate.config import Config
from gate.inventory import Inventory
from gate.model import CheckMeta, CheckResult, RuleMeta
from gate.resources import policy_file
from gate.textindex import LiteralIndex

if TYPE_CHECKING:
    from gate.scanners.semgrep import SemgrepScan

T = TypeVar("T")
K = TypeVar("K", bound=Hashable)
S = TypeVar("S")


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
    changed_lines: Optional[Mapping[str, frozenset[int]]] = None
    """Path -> new-side line numbers changed since ``changed_since`` (:func:`gate.diff.changed_lines`;
    untracked files: every line), or None. In diff mode the runner computes it when not given,
    and marks findings of the diff-aware checks new or pre-existing from it."""
    cache_dir: Optional[str] = None
    """Directory of the result cache (:mod:`gate.cache`; ``--cache-dir``, the Action's
    ``cache-dir``), or None for no cache."""
    osv_db_digest: Optional[str] = None
    """Content digest of the offline OSV database served at ``osv_url`` (``--osv-db``), set by
    :func:`gate.osv_mirror.osv_options`; None when ``osv_url`` is a service."""
    advisory_max_age_s: float = 24 * 3600.0
    """Seconds a cached pip-audit verdict from a vulnerability service is believed
    (``--advisory-max-age``, in hours; 0: never)."""
    jobs: int = 0
    """Worker count for CPU-bound work; 0 means the number of CPUs."""
    today: Optional[dt.date] = None
    """The date used for expiry and staleness; None means today (tests pin it)."""


class Once(Generic[T]):
    """A value computed at most once per run, by whichever caller asks first.

    ``get(fn)`` runs ``fn`` the first time and hands every caller the same value (or re-raises
    the same exception). Thread-safe: concurrent callers wait for the first. Every caller must
    pass a function that computes the same value (each field of :class:`SharedWork` says how).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._done: Optional[threading.Event] = None
        self._value: tuple[bool, Any] = (False, None)

    def get(self, fn: Callable[[], T]) -> T:
        """The value, computed with ``fn`` if nobody has computed it yet."""
        with self._lock:
            owner = self._done is None
            if owner:
                self._done = threading.Event()
            done = self._done
        assert done is not None
        if owner:
            try:
                self._value = (True, fn())
            except BaseException as exc:  # noqa: BLE001 - re-raised to every caller
                self._value = (False, exc)
            finally:
                done.set()
        else:
            done.wait()
        ok, value = self._value
        if ok:
            return value  # type: ignore[no-any-return]
        raise value


class OnceMap(Generic[K, T]):
    """:class:`Once` per key: ``get(key, fn)`` computes each key's value at most once."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cells: dict[K, Once[T]] = {}

    def get(self, key: K, fn: Callable[[], T]) -> T:
        """The value for ``key``, computed with ``fn`` if nobody has computed it yet."""
        with self._lock:
            cell = self._cells.setdefault(key, Once())
        return cell.get(fn)


class SharedWork:
    """Work several checks need once per run, as named, typed fields.

    * :attr:`text_index`: which of the run's index words each file holds (built by the runner
      from every scheduled check's :meth:`Check.index_words`, before any check runs);
    * :attr:`semgrep_scan`: the one semgrep run that serves ``insecure-patterns`` and
      ``error-handling`` (:func:`gate.checks.patterns.run_shared_scan`);
    * :attr:`workflows`: the parsed GitHub workflows per tuple of globs
      (:meth:`CheckContext.workflows`).
    """

    def __init__(self, inventory: Inventory, index_words: Iterable[str] = ()) -> None:
        self.text_index: LiteralIndex = LiteralIndex(inventory, index_words)
        """Lazy per file: a file's bytes are read and scanned the first time a check asks."""
        self.semgrep_scan: "Once[SemgrepScan]" = Once()
        """Computed by whichever semgrep check asks first; both plan the same scan from the
        whole configuration, so the value does not depend on which one."""
        self.workflows: OnceMap[tuple[str, ...], WorkflowSet] = OnceMap()
        """Glob tuple -> the workflows those globs match, parsed once."""


@dataclass(frozen=True)
class CheckContext(Generic[S]):
    """Everything a check may read."""

    inventory: Inventory
    """The repository's files, walked once."""
    config: Config
    """The whole effective configuration (owners, failures, evidence, ...)."""
    settings: S
    """This check's typed settings (:meth:`Check.parse_settings` of ``checks.<id>``, profile
    defaults merged in), parsed once per run."""
    options: RunOptions
    shared: SharedWork

    @property
    def today(self) -> dt.date:
        """The date against which ages and expiries are computed."""
        return self.options.today or dt.date.today()

    @property
    def text_index(self) -> LiteralIndex:
        """The run's :class:`~gate.textindex.LiteralIndex` (``shared.text_index``)."""
        return self.shared.text_index

    def workflows(self, globs: Sequence[str]) -> WorkflowSet:
        """Every GitHub workflow matched by ``globs``, parsed once per run per glob tuple."""
        key = tuple(globs)
        return self.shared.workflows.get(key, lambda: load_workflows(self.inventory, key))


# --------------------------------------------------------------------------- typed settings

_REQUIRED: Any = object()


def option(key: str, parse: Callable[[Any], Any] = lambda v: v, *, absent: Any = _REQUIRED) -> Any:
    """A field of a check's settings dataclass: option ``key`` (kebab-case, as in readiness.yml).

    ``parse`` turns the merged value into the field's type (values arrive frozen: lists as
    tuples, mappings read-only). ``absent`` is the field's value when the option is not set at
    all; without it the option must come from the profile (``policies/profiles/default.yml`` is
    the only source of option defaults: ``docs/architecture.md``), and a missing one is a
    :class:`KeyError`.
    """
    return field(metadata={"key": key, "parse": parse, "absent": absent})


def strings(value: Any) -> tuple[str, ...]:
    """A list option as a tuple of strings."""
    return tuple(str(v) for v in value)


def word_lists(value: Any) -> Mapping[str, tuple[str, ...]]:
    """A ``name -> [words]`` option, without the names whose list is empty (an empty list drops
    an entry the profile gives: profiles merge key by key)."""
    return MappingProxyType({str(k): strings(v) for k, v in value.items() if v})


@dataclass(frozen=True)
class NoSettings:
    """Settings of a check that has no options."""


def parse_options(settings_type: type, check_id: str, options: Mapping[str, Any]) -> Any:
    """``settings_type`` (a dataclass of :func:`option` fields) built from ``options``.

    Raises:
        KeyError: an option without ``absent`` has no value (the profile lacks it).
        TypeError, ValueError: a value has the wrong shape (the schema normally rejects it).
    """
    values = {}
    for f in dataclasses.fields(settings_type):
        key, parse, absent = f.metadata["key"], f.metadata["parse"], f.metadata["absent"]
        raw = options.get(key)
        if raw is None:
            if absent is _REQUIRED:
                raise KeyError(f"checks.{check_id}.{key} has no value (policies/profiles/default.yml gives "
                               "every option's default)")
            values[f.name] = absent
        else:
            values[f.name] = parse(raw)
    return settings_type(**values)


# --------------------------------------------------------------------------- checks


class Check(abc.ABC, Generic[S]):
    """A readiness check. Subclasses set :attr:`id` (and their facts below) and implement :meth:`run`."""

    id: ClassVar[str]
    """Stable kebab-case id, also the key of ``policies/checks/<id>.yml``."""
    settings_type: ClassVar[type] = NoSettings
    """The dataclass of this check's options (fields made with :func:`option`)."""
    waits_on_scanner: ClassVar[bool] = False
    """True for checks that spend their time waiting on an external scanner (semgrep,
    pip-audit, detect-secrets): the runner gives each its own thread so the scanners overlap.
    Every other check is pure Python over the inventory and runs on one shared thread (CPU-bound
    threads only fight over the GIL)."""
    diff_aware: ClassVar[bool] = False
    """True for checks whose findings the runner splits into new and pre-existing in diff mode
    (README "Diff-aware mode"); every other check looks at the whole tree in any mode."""

    @property
    def meta(self) -> CheckMeta:
        """The check's words (title, gate, rationale, remediation, rules, sources)."""
        return load_meta(self.id)

    def parse_settings(self, options: Mapping[str, Any]) -> S:
        """This check's typed settings from its merged options (``checks.<id>`` minus ``level``).

        Raises:
            KeyError, TypeError, ValueError: see :func:`parse_options`.
        """
        return parse_options(self.settings_type, self.id, options)  # type: ignore[no-any-return]

    def index_words(self, settings: S) -> frozenset[str]:
        """Lower-case ASCII words this check asks the run's text index about (none by default)."""
        return frozenset()

    def remediation(self, rule: str, variant: str = "", **values: object) -> str:
        """Rule ``rule``'s remediation from ``policies/checks/<id>.yml`` (``rules:``), with
        ``{name}`` placeholders filled from ``values``.

        Raises:
            KeyError: the rule (or the variant, or a placeholder's value) is missing.
        """
        return self.meta.rule(rule).remediation_text(variant, **values)

    @abc.abstractmethod
    def run(self, context: CheckContext[S]) -> CheckResult:
        """Examine the repository and return a result.

        Must not raise for problems in the repository (those are findings); may raise for
        bugs, which the runner reports as ``error``. Scanner failures should be returned as
        :meth:`CheckResult.errored` with an actionable message.
        """


def check_context(check: Check[S], inventory: Inventory, config: Config, *,
                  options: Optional[RunOptions] = None, shared: Optional[SharedWork] = None) -> CheckContext[S]:
    """The context ``check`` runs in: its settings parsed from ``config``, and ``shared`` (a new
    :class:`SharedWork` indexing just this check's words when None, for running one check alone).

    Raises:
        KeyError, TypeError, ValueError: the check's options do not parse (:meth:`Check.parse_settings`).
    """
    settings = check.parse_settings(config.settings(check.id).options)
    if shared is None:
        shared = SharedWork(inventory, check.index_words(settings))
    return CheckContext(inventory=inventory, config=config, settings=settings,
                        options=options or RunOptions(), shared=shared)


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
        rules=tuple(_rule(check_id, rid, spec) for rid, spec in (data.get("rules") or {}).items()),
    )


def _words(value: Any) -> str:
    """YAML folded text as one line (runs of whitespace become one space)."""
    return " ".join(str(value).split())


def _rule(check_id: str, rule_id: str, spec: Mapping[str, Any]) -> RuleMeta:
    """One ``rules:`` entry of ``policies/checks/<check_id>.yml``."""
    if not isinstance(spec, Mapping) or "title" not in spec or "remediation" not in spec:
        raise KeyError(f"policies/checks/{check_id}.yml: rule {rule_id!r} needs a title and a remediation")
    variants = spec.get("variants") or {}
    return RuleMeta(id=str(rule_id), title=_words(spec["title"]), remediation=_words(spec["remediation"]),
                    variants=tuple((str(k), _words(v)) for k, v in variants.items()))
