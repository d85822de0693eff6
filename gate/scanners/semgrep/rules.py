"""semgrep rules and run planning: which rule files run on which targets, in argv-sized chunks.

The rules are ours, shipped in ``policies/semgrep`` (never read from the scanned repository).
A rule may declare a prefilter (:data:`PREFILTER_KEY`): conditions a file's text must meet for
the rule to be able to match, so an expensive rule is handed only the files it could match
(:func:`plan_runs`). A rule file may declare that its results depend on more than one file
(:data:`CROSS_FILE_KEY`); it then runs on every target, in a run of its own, so the result
cache (:mod:`gate.scanners.semgrep.cache`) can key it on the whole target set. Target paths are split so argv stays far below the kernel's limit
(:func:`chunk_targets`).
"""

from __future__ import annotations

import functools
import io
import re
import tokenize
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Optional, Sequence

import yaml

from gate.scanners.process import ToolError

TOOL = "semgrep"


ARGV_BUDGET_BYTES = 256 * 1024
"""Bytes of target paths per semgrep invocation. Linux allows 2 MiB for argv plus environment
(``getconf ARG_MAX``); a quarter-megabyte leaves room for a large CI environment. A repository
with more paths than that is scanned in several runs whose results are merged."""


TextReader = Callable[[str], Optional[str]]
"""Returns the text of a repository-relative path (read through the inventory), or None when it
cannot be read. The adapter splits it into lines on ``\\n`` only, as semgrep counts them."""


def chunk_targets(paths: Sequence[str], budget: int = ARGV_BUDGET_BYTES) -> list[list[str]]:
    """Split ``paths`` into lists whose encoded ``./path`` arguments stay within ``budget`` bytes.

    A single path longer than the budget still gets a chunk of its own (the kernel's limit per
    argument is 128 KiB, far above any real path).
    """
    chunks: list[list[str]] = []
    current: list[str] = []
    used = 0
    for p in paths:
        size = len(p.encode("utf-8")) + 3  # "./" and the NUL terminator
        if current and used + size > budget:
            chunks.append(current)
            current, used = [], 0
        current.append(p)
        used += size
    if current:
        chunks.append(current)
    return chunks


PREFILTER_KEY = "readiness-prefilter"
"""Rule ``metadata`` key: a list of conditions that must ALL hold for a file's text for the rule
to be able to match in it (:class:`Condition`). Written only where it is provably implied by
the rule's patterns (the rule file explains why); it lets the gate hand an expensive rule only
the files it could match. A rule without it is given every target."""

CROSS_FILE_KEY = "readiness-cross-file"
"""Rule ``metadata`` key: ``true`` when the rule's result in one file may depend on other files
(a cross-file rule; :mod:`gate.scanners.semgrep.cache` says why per-file results are otherwise
exact). Any such rule makes its whole rule file cross-file."""

_DECORATOR_LINE = re.compile(r"(?:\A|(?<=[\r\n]))[ \t\f]*@[^\r\n]*")
"""A physical line starting (after indentation) with ``@``. Python ends lines at ``\r\n``,
``\r`` or ``\n`` and indents with spaces, tabs and form feeds, nothing else."""

MAX_TOKENIZED_LINES = 2000
"""Decorator lines tokenized per file before :meth:`Condition.holds` gives up and says "may hold"
(the file is scanned): a hostile file of a million one-line decorators costs milliseconds, not
minutes; real files have a few hundred at most."""

_MAY_CONTINUE = re.compile(r"[(\[{'\"\\]")
"""A physical line without any of these characters cannot continue onto the next one: Python
joins lines only inside brackets, inside a triple-quoted string, or after a backslash."""


def _continues(line: str) -> bool:
    """True unless ``line``, read as the start of a logical line, provably ends on itself
    (:data:`_MAY_CONTINUE`, then :func:`_tokenizes_open`)."""
    return bool(_MAY_CONTINUE.search(line)) and _tokenizes_open(line)


def _tokenizes_open(line: str) -> bool:
    """Python's own ``tokenize`` on ``line`` alone: an open bracket, an unterminated
    triple-quoted string or a trailing backslash raise ``TokenError`` (EOF in a multi-line
    statement or string). An error token, or any other exception, also counts as open (a broken
    line is left to semgrep)."""
    try:
        for tok in tokenize.generate_tokens(io.StringIO(line.lstrip(" \t\f") + "\n").readline):
            if tok.type == tokenize.ERRORTOKEN:
                return True
    except Exception:  # noqa: BLE001 - TokenError, SyntaxError, anything: fail towards scanning
        return True
    return False


@dataclass(frozen=True)
class Condition:
    """One entry of a rule's :data:`PREFILTER_KEY`: holds when ``regex`` matches the text
    anywhere (``re.search``), or when a decorator names one of ``decorator_words``.

    In the rule file, an entry is either a regex string, or a mapping with
    ``regex`` and/or ``decorator-with`` (a list of words). "A decorator names a word": some
    physical line starts with ``@`` and either contains the word (``\\b`` on both sides) or may
    continue onto the next line (:func:`_continues`), where the word could be.
    """

    regex: Optional[re.Pattern[str]] = None
    decorator_words: Optional[re.Pattern[str]] = None

    def holds(self, text: str) -> bool:
        """True when a file with this text may satisfy the condition."""
        if self.regex is not None and self.regex.search(text):
            return True
        if self.decorator_words is not None:
            tokenized = 0
            for m in _DECORATOR_LINE.finditer(text):
                line = m.group(0)
                if self.decorator_words.search(line):
                    return True
                if _MAY_CONTINUE.search(line):  # else it ends on itself (see _continues)
                    tokenized += 1
                    if tokenized > MAX_TOKENIZED_LINES or _tokenizes_open(line):
                        return True
        return False

    @classmethod
    def parse(cls, entry: Any) -> "Condition":
        """A condition from its YAML form.

        Raises:
            TypeError: neither a string nor a mapping of ``regex``/``decorator-with``.
            re.error: an invalid regex.
        """
        if isinstance(entry, str):
            return cls(regex=re.compile(entry))
        if not isinstance(entry, dict) or not entry or set(entry) - {"regex", "decorator-with"}:
            raise TypeError(f"a {PREFILTER_KEY} entry is a regex or a mapping of regex/decorator-with")
        regex = entry.get("regex")
        words = entry.get("decorator-with")
        if regex is not None and not isinstance(regex, str):
            raise TypeError("regex must be a string")
        if words is not None and (not isinstance(words, list) or not words
                                  or not all(isinstance(w, str) and re.fullmatch(r"\w+", w) for w in words)):
            raise TypeError("decorator-with must be a list of identifiers")
        return cls(regex=re.compile(regex) if regex is not None else None,
                   decorator_words=re.compile(r"\b(?:" + "|".join(words) + r")\b") if words else None)


@dataclass(frozen=True)
class RuleFile:
    """One rule file of the config and which targets its rules need."""

    path: Path
    prefilters: Optional[tuple[tuple[Condition, ...], ...]]
    """None when some rule has no :data:`PREFILTER_KEY` (the file gets every target); else, per
    rule, the conditions that must all hold: a target is given to the file when they all hold
    for at least one of its rules."""

    cross_file: bool = False
    """Some rule of the file is marked :data:`CROSS_FILE_KEY`: the file runs on every target in
    a run of its own."""
    rule_ids: tuple[str, ...] = ()
    """The ids of the file's rules."""

    def wants(self, text: Optional[str]) -> bool:
        """True when this file's rules must see a target with this text (None: unreadable, so
        semgrep decides)."""
        if self.prefilters is None or text is None:
            return True
        return any(all(c.holds(text) for c in rule) for rule in self.prefilters)


_TRUSTED_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's safe loader when PyYAML has it: the rule files are ours (shipped in
``policies/semgrep``), and the pure-Python parser took ~0.1 s of CPU per read of all of them."""


def _rule_documents(config: Path) -> tuple[tuple[Path, dict[str, Any]], ...]:
    """``(file, parsed YAML)`` for every rule file of ``config`` (a directory of
    ``*.yml``/``*.yaml``, or one file), sorted; parsed once per process while the files are
    unchanged (:func:`_parse_rule_files` is cached by path, size and mtime).

    Raises:
        ToolError: a rule file cannot be read or parsed (a broken installation).
    """
    files = sorted([*config.glob("*.yml"), *config.glob("*.yaml")]) if config.is_dir() else [config]
    try:
        stamp = tuple((str(f), f.stat().st_size, f.stat().st_mtime_ns) for f in files)
    except OSError as exc:
        raise ToolError(TOOL, f"cannot read rule file {Path(exc.filename or '?').name} ({type(exc).__name__})",
                        hint="Reinstall readiness-gate") from None
    return _parse_rule_files(stamp)


@functools.lru_cache(maxsize=8)
def _parse_rule_files(stamp: tuple[tuple[str, int, int], ...]) -> tuple[tuple[Path, dict[str, Any]], ...]:
    out = []
    for name, _, _ in stamp:
        f = Path(name)
        try:
            data = yaml.load(f.read_text(encoding="utf-8"), Loader=_TRUSTED_YAML_LOADER) or {}
            if not isinstance(data, dict):
                raise TypeError("not a mapping")
        except (OSError, yaml.YAMLError, TypeError) as exc:
            raise ToolError(TOOL, f"cannot read rule file {f.name} ({type(exc).__name__})",
                            hint="Reinstall readiness-gate") from None
        out.append((f, data))
    return tuple(out)


def rule_files(config: Path) -> list[RuleFile]:
    """The rule files of ``config`` (a directory of ``*.yml``/``*.yaml``, or one file), sorted.

    Raises:
        ToolError: a rule file cannot be read or parsed, or a prefilter is not a list of valid
            regexes (a broken installation: the rules ship with readiness-gate).
    """
    out = []
    for f, data in _rule_documents(config):
        try:
            per_rule: list[tuple[Condition, ...]] = []
            unfiltered = cross_file = False
            ids = []
            for rule in data.get("rules") or ():
                ids.append(str(rule["id"]))
                metadata = rule.get("metadata") or {}
                flag = metadata.get(CROSS_FILE_KEY, False)
                if not isinstance(flag, bool):
                    raise TypeError(f"{CROSS_FILE_KEY} must be true or false")
                cross_file |= flag
                wanted = metadata.get(PREFILTER_KEY)
                if wanted is None:
                    unfiltered = True
                    continue
                if not isinstance(wanted, list) or not wanted:
                    raise TypeError(f"{PREFILTER_KEY} must be a list of conditions")
                per_rule.append(tuple(Condition.parse(w) for w in wanted))
        except (KeyError, TypeError, AttributeError, re.error) as exc:
            raise ToolError(TOOL, f"cannot read rule file {f.name} ({type(exc).__name__})",
                            hint="Reinstall readiness-gate") from None
        out.append(RuleFile(f, tuple(per_rule) if per_rule and not unfiltered else None, cross_file, tuple(ids)))
    return out


Run = tuple[tuple[str, ...], list[str]]
"""One semgrep process's ``(config arguments, sorted targets)``."""


def plan_runs(config: Path, targets: Sequence[str], read_text: TextReader) -> list[Run]:
    """Which rules run on which targets: ``[(config args, sorted targets), ...]``, empty runs left out.

    When no rule has a prefilter and none is cross-file that is one run of ``config`` on every
    target. Otherwise the rule files without prefilters share one run on every target, each
    prefiltered rule file gets a run of its own on the targets its rules could match
    (:class:`RuleFile`), and the cross-file rule files share one run on every target. Files in
    two runs are parsed twice; the point is that the expensive rules skip the rest.

    Raises:
        ToolError: see :func:`rule_files`.
    """
    ordered = sorted(set(targets))
    files = rule_files(config)
    return (_plain_runs(config, files, ordered) + _prefiltered_runs(files, ordered, read_text)
            + _cross_file_runs(files, ordered))


def _plain_runs(config: Path, files: Sequence[RuleFile], ordered: list[str]) -> list[Run]:
    if not ordered:
        return []
    if all(f.prefilters is None and not f.cross_file for f in files):
        return [((str(config),), ordered)]
    plain = tuple(str(f.path) for f in files if f.prefilters is None and not f.cross_file)
    return [(plain, ordered)] if plain else []


def _cross_file_runs(files: Sequence[RuleFile], ordered: list[str]) -> list[Run]:
    cross = tuple(str(f.path) for f in files if f.cross_file)
    return [(cross, ordered)] if cross and ordered else []


def _prefiltered_runs(files: Sequence[RuleFile], ordered: list[str], read_text: TextReader) -> list[Run]:
    text_of = functools.lru_cache(maxsize=None)(read_text)  # each target read once for all rule files
    runs: list[Run] = []
    for f in files:
        if f.prefilters is not None and not f.cross_file:
            wanted = [p for p in ordered if f.wants(text_of(p))]
            if wanted:
                runs.append(((str(f.path),), wanted))
    return runs


def rule_checks(config: Path) -> dict[str, str]:
    """Rule id -> ``metadata.readiness-check`` for the rule files in ``config`` (ours, shipped
    in ``policies/semgrep``: never read from the scanned repository).

    Raises:
        ToolError: a rule file cannot be read or parsed (a broken installation).
    """
    out: dict[str, str] = {}
    for f, data in _rule_documents(config):
        try:
            for rule in data.get("rules") or ():
                out[str(rule["id"])] = str((rule.get("metadata") or {}).get("readiness-check", ""))
        except (KeyError, TypeError, AttributeError) as exc:
            raise ToolError(TOOL, f"cannot read rule file {f.name} ({type(exc).__name__})",
                            hint="Reinstall readiness-gate") from None
    return out
