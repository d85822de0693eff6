"""readiness.yml: finding, parsing, validating and merging it into one typed :class:`Config`.

One loader, in this order (``docs/architecture.md``, after pre-commit's ``clientlib``):

1. **Size cap** before parsing (:data:`MAX_CONFIG_BYTES`).
2. **Safe YAML**: PyYAML's safe composer builds the node graph; we convert nodes ourselves so
   that alias expansion is bounded (:data:`MAX_NODES`; a "billion laughs" file is refused in
   milliseconds, ``docs/threats.md`` row 8), duplicate keys are errors, keys stay strings
   (YAML 1.1 would read ``on:`` as ``True``) and dates stay ``YYYY-MM-DD`` strings. Every
   value's line and column are kept.
3. **JSON Schema** (``policies/readiness.schema.json``, draft 2020-12) validation; every error
   names file, line, column and key path, with a did-you-mean for unknown keys and check ids.
4. **Merge**: ``policies/profiles/default.yml`` <- the profile named by ``extends`` <- the file.
5. A typed, frozen :class:`Config`.

Every problem is a :class:`ConfigError`, which the CLI turns into exit code 2.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import functools
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping, Optional, Sequence

import jsonschema
import yaml
from jsonschema.exceptions import ValidationError, best_match

from gate.inventory import DEFAULT_MAX_FILE_SIZE
from gate.model import Level, Location
from gate.redact import redact
from gate.resources import policy_file

MAX_CONFIG_BYTES = 256 * 1024
"""readiness.yml larger than this (256 KiB) is refused before parsing. A real one is a few KiB."""

MAX_NODES = 50_000
"""Most YAML nodes a file may expand to, counting every alias expansion. Bounds the work and
memory a hostile file can cause (a 9-level billion-laughs file expands to ~10^9 nodes)."""

MAX_DEPTH = 64
"""Deepest nesting accepted; readiness.yml needs about 6."""

CONFIG_NAMES = ("readiness.yml", "readiness.yaml", ".github/readiness.yml", ".github/readiness.yaml")
"""Where :func:`find_config` looks, in order, relative to the repository root."""

PROFILES = ("default", "strict", "minimal")

_TRIVIAL_REASON = re.compile(r"^\s*(?:n/?a|none|tbd|todo|wip|later|temp|temporary|because|\.+|-+)\s*$", re.I)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a configuration file."""

    file: str
    line: Optional[int]
    column: Optional[int]
    key: str
    """Dotted key path, e.g. ``checks.runbooks.min`` or ``deferrals[2].expires``; ``""`` for
    the whole file."""
    message: str
    suggestion: Optional[str] = None
    """A did-you-mean value, when one is close."""

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        key = f" {self.key}:" if self.key else ""
        hint = f" (did you mean {self.suggestion!r}?)" if self.suggestion else ""
        return f"{where}:{key} {self.message}{hint}"


class ConfigError(Exception):
    """readiness.yml (or an option) is invalid. ``problems`` lists each error found.

    ``str(error)`` is one line per problem: ``file:line:column: key: message (did you mean
    ...?)``.
    """

    def __init__(self, problems: Sequence[Problem]) -> None:
        # Messages quote the offending values and keys; a credential pasted into readiness.yml
        # must not reach stderr or a workflow annotation (promise 3), so both are redacted.
        self.problems: tuple[Problem, ...] = tuple(
            dataclasses.replace(p, key=redact(p.key), message=redact(p.message)) for p in problems)
        super().__init__("\n".join(str(p) for p in self.problems))

    @classmethod
    def single(cls, file: str, message: str, *, line: Optional[int] = None,
               column: Optional[int] = None, key: str = "", suggestion: Optional[str] = None) -> "ConfigError":
        """A ConfigError with one problem."""
        return cls([Problem(file, line, column, key, message, suggestion)])


@dataclass(frozen=True)
class CheckSettings:
    """Effective settings of one check after profile merging."""

    level: Level
    options: Mapping[str, Any]
    """The check's options (kebab-case keys, as in readiness.yml), without ``level``."""


@dataclass(frozen=True)
class Deferral:
    """A deferral as written in readiness.yml (see the schema for each field)."""

    check: str
    finding: Optional[str]
    reason: str
    approved_by: str
    """Normalised to start with ``@``."""
    expires: dt.date
    ticket: str
    location: Optional[Location] = None

    def canonical(self) -> tuple[str, str, str, str, str, str]:
        """The fields that must be identical for a base-branch deferral to be trusted as-is."""
        return (self.check, self.finding or "", " ".join(self.reason.split()),
                self.approved_by.lower(), self.expires.isoformat(), self.ticket)


@dataclass(frozen=True)
class FailureMode:
    """A likely failure that needs a runbook (readiness.yml ``failures``)."""

    name: str
    runbook: Optional[str] = None
    location: Optional[Location] = None


@dataclass(frozen=True)
class Config:
    """The effective configuration of one run."""

    source: Optional[str]
    """Display path of the file read, or None when none was found (built-in default profile)."""
    profile: str
    checks: Mapping[str, CheckSettings]
    """Every check id of the merged profile -> its effective settings."""
    service: Optional[str] = None
    tier: Optional[str] = None
    """``service.tier`` (display only)."""
    owners: tuple[str, ...] = ()
    approvers: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    max_file_size: int = DEFAULT_MAX_FILE_SIZE
    failures: tuple[FailureMode, ...] = ()
    evidence: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    deferrals: tuple[Deferral, ...] = ()
    positions: Mapping[str, Location] = field(default_factory=lambda: MappingProxyType({}))
    """Dotted key path -> where it was written (only for keys present in the file)."""
    diff_pre_existing: str = "report"
    """``diff.pre-existing``: ``report`` (pre-existing findings of diff-aware checks are shown but
    do not block in diff mode) or ``block`` (they block like new ones)."""

    @property
    def display_source(self) -> str:
        """``source`` or ``built-in default profile``."""
        return self.source or "built-in default profile"

    def location_of(self, key: str) -> Optional[Location]:
        """Where ``key`` (dotted path, e.g. ``owners`` or ``evidence.restore-tested``) was written."""
        return self.positions.get(key)

    def settings(self, check_id: str) -> CheckSettings:
        """Effective settings of ``check_id``; unknown ids get ``required`` with no options."""
        return self.checks.get(check_id) or CheckSettings(Level.REQUIRED, MappingProxyType({}))


# --------------------------------------------------------------------------- YAML


class _Converter:
    """Node graph -> plain Python values, bounded, with positions."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.count = 0
        self.positions: dict[str, Location] = {}
        self._scalars = yaml.constructor.SafeConstructor()

    def fail(self, node: yaml.Node, message: str, key: str = "") -> ConfigError:
        return ConfigError.single(self.file, message, line=node.start_mark.line + 1,
                                  column=node.start_mark.column + 1, key=key)

    def convert(self, node: yaml.Node, path: str, depth: int, active: set[int]) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise self.fail(node, f"too many values after expanding aliases (more than {MAX_NODES}); "
                                  "refusing a possible YAML alias bomb", path)
        if depth > MAX_DEPTH:
            raise self.fail(node, f"nested deeper than {MAX_DEPTH} levels", path)
        if path and path not in self.positions:
            self.positions[path] = Location(self.file, node.start_mark.line + 1, node.start_mark.column + 1)
        if id(node) in active:
            raise self.fail(node, "recursive alias", path)
        if isinstance(node, yaml.ScalarNode):
            if node.tag in ("tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:binary"):
                return node.value
            return self._scalars.construct_object(node, deep=True)
        active.add(id(node))
        try:
            if isinstance(node, yaml.SequenceNode):
                return [self.convert(n, f"{path}[{i}]", depth + 1, active) for i, n in enumerate(node.value)]
            assert isinstance(node, yaml.MappingNode)
            out: dict[str, Any] = {}
            for key_node, value_node in self._flatten_merges(node):
                if not isinstance(key_node, yaml.ScalarNode):
                    raise self.fail(key_node, "keys must be plain strings", path)
                key = str(key_node.value)
                child = f"{path}.{key}" if path else key
                if key in out:
                    raise self.fail(key_node, f"duplicate key {key!r}", child)
                self.positions.setdefault(child, Location(self.file, key_node.start_mark.line + 1,
                                                          key_node.start_mark.column + 1))
                out[key] = self.convert(value_node, child, depth + 1, active)
            return out
        finally:
            active.discard(id(node))

    def _flatten_merges(self, node: yaml.MappingNode) -> list[tuple[yaml.Node, yaml.Node]]:
        """Expand YAML merge keys (``<<: *anchor``); explicit keys win over merged ones."""
        explicit = [(k, v) for k, v in node.value if k.tag != "tag:yaml.org,2002:merge"]
        merged: list[tuple[yaml.Node, yaml.Node]] = []
        for k, v in node.value:
            if k.tag != "tag:yaml.org,2002:merge":
                continue
            sources = v.value if isinstance(v, yaml.SequenceNode) else [v]
            for src in sources:
                if not isinstance(src, yaml.MappingNode):
                    raise self.fail(src, "a merge key (<<) must name a mapping")
                self.count += len(src.value)
                if self.count > MAX_NODES:
                    raise self.fail(src, f"too many values after expanding aliases (more than {MAX_NODES})")
                merged.extend(src.value)
        names = {k.value for k, _ in explicit if isinstance(k, yaml.ScalarNode)}
        seen: set[str] = set()
        out = list(explicit)
        for k, v in merged:
            name = getattr(k, "value", None)
            if name in names or name in seen:
                continue
            seen.add(name)
            out.append((k, v))
        return out


def parse_yaml(text: str, file: str) -> tuple[Any, dict[str, Location]]:
    """Parse one YAML document safely.

    Returns ``(data, positions)`` where ``positions`` maps dotted key paths to locations.

    Raises:
        ConfigError: syntax error (with line and column), several documents, alias bomb,
            recursive alias, duplicate key, non-string key, or excessive nesting.
    """
    loader_cls = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        node = yaml.compose(text, Loader=loader_cls)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        msg = " ".join(str(x) for x in (exc.context, exc.problem) if x) or "invalid YAML"
        raise ConfigError.single(file, f"invalid YAML: {msg}",
                                 line=mark.line + 1 if mark else None,
                                 column=mark.column + 1 if mark else None) from None
    except (yaml.YAMLError, RecursionError, ValueError) as exc:
        raise ConfigError.single(file, f"invalid YAML: {exc.__class__.__name__}") from None
    if node is None:
        return None, {}
    conv = _Converter(file)
    try:
        data = conv.convert(node, "", 0, set())
    except RecursionError:
        raise ConfigError.single(file, "nested too deeply") from None
    except (yaml.YAMLError, ValueError, TypeError, OverflowError) as exc:
        raise ConfigError.single(file, f"invalid value: {exc.__class__.__name__}: {str(exc)[:200]}") from None
    return data, conv.positions


# --------------------------------------------------------------------------- schema


@functools.lru_cache(maxsize=1)
def schema() -> dict[str, Any]:
    """The readiness.yml JSON Schema (``policies/readiness.schema.json``)."""
    return json.loads(policy_file("readiness.schema.json").read_text(encoding="utf-8"))


@functools.lru_cache(maxsize=1)
def _validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(schema(), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


def _dotted(path: Sequence[Any]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _locate(positions: Mapping[str, Location], path: Sequence[Any]) -> Optional[Location]:
    parts = list(path)
    while True:
        loc = positions.get(_dotted(parts))
        if loc is not None or not parts:
            return loc
        parts.pop()


def _suggest(word: str, choices: Sequence[str]) -> Optional[str]:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return close[0] if close else None


def _problems_for(err: ValidationError, file: str, positions: Mapping[str, Location]) -> list[Problem]:
    if err.validator in ("oneOf", "anyOf") and err.context:
        err = best_match(err.context)
    path = list(err.absolute_path)
    if err.validator == "additionalProperties" and isinstance(err.instance, dict):
        allowed = list((err.schema.get("properties") or {}).keys())
        out = []
        for key in err.instance:
            if key in allowed:
                continue
            loc = _locate(positions, [*path, key])
            is_check = path == ["checks"]
            what = "unknown check id" if is_check else "unknown key"
            out.append(Problem(file, loc.line if loc else None, loc.column if loc else None,
                               _dotted([*path, key]), f"{what} {key!r}", _suggest(str(key), allowed)))
        return out
    loc = _locate(positions, path)
    suggestion = None
    message = err.message
    if err.validator == "enum" and isinstance(err.instance, str):
        suggestion = _suggest(err.instance, [str(x) for x in err.validator_value])
        what = "unknown check id" if path and path[-1] == "check" else "unknown value"
        message = f"{what} {err.instance!r}; expected one of: {', '.join(map(str, err.validator_value))}"
    elif err.validator == "required":
        message = err.message.replace("is a required property", "is required")
    elif err.validator == "format" or (err.validator == "pattern" and "date" in str(err.schema.get("format", ""))):
        message = f"{err.instance!r} is not a valid date (YYYY-MM-DD)"
    elif err.validator == "type":
        message = f"expected {err.validator_value}, got {type(err.instance).__name__} {_short(err.instance)}"
    return [Problem(file, loc.line if loc else None, loc.column if loc else None, _dotted(path), message, suggestion)]


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def validate_data(data: Any, file: str, positions: Mapping[str, Location]) -> None:
    """Validate parsed readiness.yml data against the schema plus semantic rules.

    Raises:
        ConfigError: listing every problem found, sorted by line.
    """
    if not isinstance(data, dict):
        raise ConfigError.single(file, "readiness.yml must be a mapping (key: value) at the top level", line=1)
    problems: list[Problem] = []
    for err in _validator().iter_errors(data):
        problems.extend(_problems_for(err, file, positions))
    if not problems:
        for i, d in enumerate(data.get("deferrals") or []):
            if _TRIVIAL_REASON.match(d["reason"]) or len(set(d["reason"].split())) < 4:
                loc = positions.get(f"deferrals[{i}].reason")
                problems.append(Problem(file, loc.line if loc else None, loc.column if loc else None,
                                        f"deferrals[{i}].reason",
                                        "a deferral's reason must say why the gap is acceptable and what the plan is"))
    if problems:
        problems.sort(key=lambda p: (p.line or 0, p.column or 0, p.key))
        raise ConfigError(problems)


# --------------------------------------------------------------------------- merge and build


def _deep_merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in over.items():
        if isinstance(v, Mapping) and isinstance(out.get(k), Mapping):
            out[k] = _deep_merge(out[k], v)
        else:
            out[k] = v
    return out


@functools.lru_cache(maxsize=None)
def _profile(name: str) -> Mapping[str, Any]:
    path = policy_file("profiles", f"{name}.yml")
    data, positions = parse_yaml(path.read_text(encoding="utf-8"), f"<profile {name}>")
    validate_data(data, f"<profile {name}>", positions)
    return data


def _frozen(value: Any) -> Any:
    if isinstance(value, Mapping):
        return MappingProxyType({k: _frozen(v) for k, v in value.items()})
    if isinstance(value, list):
        return tuple(_frozen(v) for v in value)
    return value


def build_config(data: Optional[Mapping[str, Any]], source: Optional[str],
                 positions: Optional[Mapping[str, Location]] = None) -> Config:
    """Merge validated ``data`` over its profile and the defaults into a :class:`Config`.

    ``data`` None means no readiness.yml: the built-in default profile.
    Every check of the merged profile gets its settings (the schema rejects unknown check ids,
    and the default profile names every check: a test keeps it so).
    """
    data = data or {}
    positions = positions or {}
    profile = data.get("extends", "default")
    merged = _deep_merge(_profile("default"), _profile(profile)) if profile != "default" else dict(_profile("default"))
    merged = _deep_merge(merged, data)
    checks: dict[str, CheckSettings] = {}
    for cid, options in (merged.get("checks") or {}).items():
        raw = dict(options or {})
        level = Level(raw.pop("level", "required"))
        checks[cid] = CheckSettings(level, _frozen(raw))
    deferrals = []
    for i, d in enumerate(data.get("deferrals") or []):
        approver = d["approved-by"]
        deferrals.append(Deferral(
            check=d["check"], finding=d.get("finding"), reason=" ".join(d["reason"].split()),
            approved_by=approver if approver.startswith("@") else "@" + approver,
            expires=dt.date.fromisoformat(d["expires"]), ticket=d["ticket"],
            location=positions.get(f"deferrals[{i}]")))
    failures = []
    for i, f in enumerate(data.get("failures") or []):
        loc = positions.get(f"failures[{i}]")
        if isinstance(f, str):
            failures.append(FailureMode(f, None, loc))
        else:
            failures.append(FailureMode(f["name"], f.get("runbook"), loc))
    service = data.get("service") or {}
    return Config(
        source=source,
        profile=profile,
        checks=MappingProxyType(checks),
        service=redact(service["name"]) if service.get("name") else None,  # display only; promise 3
        tier=redact(service["tier"]) if service.get("tier") else None,  # display only
        owners=tuple(data.get("owners") or ()),
        approvers=tuple(data.get("approvers") or ()),
        exclude=tuple(data.get("exclude") or ()),
        max_file_size=int((data.get("limits") or {}).get("max-file-size", DEFAULT_MAX_FILE_SIZE)),
        failures=tuple(failures),
        evidence=_frozen(data.get("evidence") or {}),
        deferrals=tuple(deferrals),
        positions=MappingProxyType(dict(positions)),
        diff_pre_existing=str((merged.get("diff") or {}).get("pre-existing", "report")),
    )


def load_config_text(text: str, file: str) -> Config:
    """Parse, validate and build a Config from readiness.yml ``text`` (``file`` names it in errors).

    Raises:
        ConfigError: see :func:`parse_yaml` and :func:`validate_data`.
    """
    if len(text.encode("utf-8", "surrogateescape")) > MAX_CONFIG_BYTES:
        raise ConfigError.single(file, f"file is larger than {MAX_CONFIG_BYTES} bytes; refusing to parse it")
    data, positions = parse_yaml(text, file)
    if data is None:
        raise ConfigError.single(file, "file is empty; it needs at least `version: 1`", line=1)
    validate_data(data, file, positions)
    return build_config(data, file, positions)


def read_config_file(path: Path, display: Optional[str] = None) -> str:
    """Read a config file's text with the size cap applied before reading it whole.

    Raises:
        ConfigError: missing, not a regular file, too large, not UTF-8 or unreadable.
    """
    name = display or str(path)
    try:
        st = path.stat()
    except OSError as exc:
        raise ConfigError.single(name, f"cannot read: {exc.strerror or exc}") from None
    if not path.is_file():
        raise ConfigError.single(name, "not a regular file")
    if st.st_size > MAX_CONFIG_BYTES:
        raise ConfigError.single(name, f"file is {st.st_size} bytes, larger than the {MAX_CONFIG_BYTES}-byte "
                                       "limit; refusing to parse it")
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_CONFIG_BYTES + 1)
    except OSError as exc:
        raise ConfigError.single(name, f"cannot read: {exc.strerror or exc}") from None
    if len(raw) > MAX_CONFIG_BYTES:
        raise ConfigError.single(name, f"file is larger than the {MAX_CONFIG_BYTES}-byte limit")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError.single(name, f"not valid UTF-8 (byte {exc.start})") from None


def find_config(root: Path) -> Optional[Path]:
    """The first of :data:`CONFIG_NAMES` present under ``root``, or None.

    Raises:
        ConfigError: the file found is a symlink that leaves the repository (it is never read).
    """
    root_resolved = root.resolve()
    for name in CONFIG_NAMES:
        candidate = root / name
        if not os.path.lexists(candidate):
            continue
        try:
            real = candidate.resolve(strict=True)
            real.relative_to(root_resolved)
        except (OSError, RuntimeError, ValueError):
            raise ConfigError.single(name, "is a symlink that leaves the repository (or is broken); "
                                           "refusing to read it") from None
        return candidate
    return None


def load_config(root: Path, config_path: Optional[Path] = None) -> Config:
    """Find and load the configuration for the repository at ``root``.

    ``config_path`` (``--config``) wins; otherwise :func:`find_config`. No file at all gives
    the built-in default profile (``Config.source`` is None and the report says so).

    Raises:
        ConfigError: the file is invalid in any way.
    """
    if config_path is None:
        found = find_config(root)
        if found is None:
            return build_config(None, None)
        display = found.relative_to(root).as_posix() if not found.is_absolute() or root in found.parents else str(found)
        return load_config_text(read_config_file(found, display), display)
    return load_config_text(read_config_file(config_path, str(config_path)), str(config_path))
