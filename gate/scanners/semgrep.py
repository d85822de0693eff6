"""semgrep adapter: one scan of explicit files with our local rules, parsed and checked fail-closed.

semgrep always runs with ``--metrics=off --disable-version-check`` (plus
``SEMGREP_ENABLE_VERSION_CHECK=0`` and ``SEMGREP_SEND_METRICS=off`` in its environment), only the
rules shipped in ``policies/semgrep`` (a local directory: nothing is fetched from the registry)
and ``--json`` output. It is handed *explicit target files* from the repository inventory, never a
directory, so files the inventory skipped (symlinks leaving the tree, FIFOs, files above the size
cap) are never scanned, and neither a repository's ``.semgrepignore``/``.gitignore`` nor
semgrep's own target discovery decides what is examined (``--no-git-ignore``; explicit targets
bypass ``.semgrepignore``, which a test pins). Targets are passed as ``./<path>`` so a file named
``-rf.py`` is never read as an option, and in chunks that keep argv far below the kernel limit
(:data:`ARGV_BUDGET_BYTES`); normally that is a single run.

``--disable-nosem``: every match is reported, and :func:`nosem_suppressed` decides, with the same
rules semgrep uses (``src/reporting/Nosemgrep.ml``), which ones a ``nosemgrep`` comment *would*
hide. The checks then honour that only when readiness.yml allows inline suppressions
(``docs/threats.md`` row 12: a PR must not silence its own findings).

Fail closed (``docs/threats.md`` row 11): semgrep's documented exit codes are 0 (scan done),
1 (findings, only with ``--error``, which we do not pass), 2 (fatal error) and 3-14 (specific
failures: invalid target syntax under ``--strict``, invalid pattern, unparseable YAML, missing
config, ...; semgrep docs, "CLI reference: exit codes"). Only 0 is accepted. Even then the output
must be a JSON object with a ``results`` list, an ``errors`` list, ``paths.scanned`` and no
``skipped_rules``; every entry of ``errors[]`` is classified: a problem with one target file
(syntax error, partial parse, per-file timeout or memory limit) makes that file a named skip;
``info`` entries and semgrep's own warnings about ``nosem`` ids are ignored; anything else
(rule errors, fatal errors, unknown kinds) makes the scan fail with :class:`ToolError`. So does
a target missing from ``paths.scanned`` that no error explains (a silently dropped file).

Nothing from the scanned code reaches our output: semgrep's ``extra.lines`` is never read,
findings carry the rule's own message, and the fingerprint is a hash of the matched line.
"""

from __future__ import annotations

import concurrent.futures as cf
import functools
import hashlib
import io
import json
import posixpath
import re
import time
import tokenize
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Optional, Sequence

import yaml

from gate.model import Severity
from gate.redact import redact
from gate.scanners.process import ToolError, run_tool

TOOL = "semgrep"

ENV = {"SEMGREP_ENABLE_VERSION_CHECK": "0", "SEMGREP_SEND_METRICS": "off"}
"""Environment for every semgrep run: no version check, no metrics (the CLI flags say the same)."""

RULE_TIMEOUT_S = 30
"""semgrep's limit per rule per file, seconds (its default, 5 s, is hit by the taint rule on
5,000-line files on a busy 2-CPU runner). A file where a rule hits it is a named skip for the
rule's check; the whole scan stays bounded by the checks' ``timeout``."""

BASE_ARGS = ("scan", "--experimental", "--project-root=.", "--metrics=off", "--disable-version-check", "--json", "--disable-nosem",
             "--oss-only", "--no-git-ignore", "--max-target-bytes=0", "--scan-unknown-extensions",
             f"--timeout={RULE_TIMEOUT_S}")
"""Arguments before ``--config``. ``--experimental`` runs osemgrep, the OCaml implementation of
the CLI that ships in the same wheel (``semgrep-core`` started as ``osemgrep``), instead of the
Python one: the same engine and the same results on the same rules (the benchmark compares
them on 1,645 files), but 0.25 s of start-up instead of ~3.8 s, and ~20% less CPU on a large
tree; a diff-mode run scans a handful of files, so start-up is most of its cost. osemgrep
rejects YAML anchors/aliases in rule files, so ``policies/semgrep`` has none (a test pins it).
``--project-root=.`` (semgrep runs in the repository root): outside a git work tree osemgrep
otherwise matches a rule's ``paths:`` globs (``**/settings/*.py``) against paths relative to
each target's own directory, and ``django-debug-enabled`` never fires.
Then: JSON, no network, every match reported, the open-source engine
only (the same results whether or not the runner is logged in to Semgrep), no file filtering by
semgrep (the inventory already applied the size cap and skips; ``--max-target-bytes=0`` disables
semgrep's own 1 MB cap so it cannot silently drop a file the inventory kept;
``--scan-unknown-extensions`` makes semgrep scan the extensionless ``#!python`` scripts we hand
it, which it otherwise drops without a word)."""

SINGLE_JOB_BYTES = 1024 * 1024
"""A run whose targets add up to fewer bytes than this gets ``--jobs=1``. semgrep's default is
one job per CPU; on a diff-mode run's 20 files (430 KB) a second job took the same wall time
(1.10 s vs 1.15 s) for 30 % more CPU, which the gate's other checks, running at the same time,
need. Larger runs keep semgrep's default."""

ARGV_BUDGET_BYTES = 256 * 1024
"""Bytes of target paths per semgrep invocation. Linux allows 2 MiB for argv plus environment
(``getconf ARG_MAX``); a quarter-megabyte leaves room for a large CI environment. A repository
with more paths than that is scanned in several runs whose results are merged."""

SEVERITY = {
    "ERROR": Severity.HIGH,
    "WARNING": Severity.MEDIUM,
    "INFO": Severity.LOW,
    "CRITICAL": Severity.CRITICAL,
    "HIGH": Severity.HIGH,
    "MEDIUM": Severity.MEDIUM,
    "LOW": Severity.LOW,
}
"""semgrep rule severity -> ours (ERROR/WARNING/INFO are the classic levels; semgrep 1.x also
accepts CRITICAL/HIGH/MEDIUM/LOW). Anything else maps to ``unknown``, which ranks as critical."""

EXIT_MEANINGS = {
    1: "findings reported with --error",
    2: "fatal error",
    3: "invalid syntax in a target file",
    4: "invalid pattern in a rule",
    5: "unparseable rule YAML",
    6: "a rule needs arbitrary code execution",
    7: "rule configuration not found",
    8: "invalid language in a rule",
    9: "match timeout",
    10: "match memory limit",
    11: "lexical error in a target file",
    12: "too many matches",
    13: "invalid API key",
    14: "scan failed",
}
"""semgrep's exit statuses (semgrep docs, "CLI reference", exit codes), for error messages."""

_PARSE_ERRORS = {"Syntax error", "Lexical error", "Other syntax error", "AST builder error"}
_LIMIT_ERRORS = {"Timeout": "timed out", "Out of memory": "ran out of memory",
                 "Stack overflow": "overflowed its stack", "Fixpoint timeout": "timed out",
                 "Too many matches": "stopped after too many matches"}
"""``errors[].type`` values (semgrep ``Error.ml`` ``string_of_error_type``) that concern one
target file: the file is reported as skipped (not, or not fully, examined)."""

HINT = ("Run semgrep locally on the named files to see the full error "
        "(semgrep scan --metrics=off --config <readiness-gate>/policies/semgrep <file>), "
        "fix or exclude the file (checks.<id>.exclude), or report a bug if a shipped rule fails")

TIMEOUT_HINT = ("Raise checks.insecure-patterns.timeout / checks.error-handling.timeout in readiness.yml "
                "(the scan they share gets the larger one), or exclude generated code (checks.<id>.exclude)")


@dataclass(frozen=True)
class SemgrepMatch:
    """One semgrep result, reduced to what a check may show (never the matched text)."""

    rule: str
    """Rule id without the prefix semgrep derives from the config path (``silent-except``)."""
    check: str
    """``metadata.readiness-check`` of the rule: the check the finding belongs to."""
    message: str
    """The rule's message (written by us, never contains scanned code)."""
    path: str
    """Repository-relative POSIX path."""
    line: int
    """1-based first line of the match."""
    severity: Severity
    fingerprint: str
    """sha256 of rule, path, the whitespace-normalised first matched line and the occurrence
    index of that triple, first 32 hex digits: stable when unrelated lines move."""
    suppressed: bool
    """True when a ``nosemgrep`` comment would hide this match (see :func:`nosem_suppressed`)."""


@dataclass(frozen=True)
class FileProblem:
    """A target semgrep could not (fully) examine: a named skip, never silently dropped."""

    path: str
    """Repository-relative POSIX path."""
    reason: str
    """Why, without any scanned code (``semgrep could not parse it (syntax error); not scanned``)."""
    rule: Optional[str] = None
    """The rule that hit a limit on this file (its other rules ran), or None when the whole
    file is concerned (a parse error)."""


@dataclass(frozen=True)
class SemgrepScan:
    """The outcome of one (possibly chunked) semgrep scan."""

    matches: tuple[SemgrepMatch, ...]
    problems: tuple[FileProblem, ...]
    """Targets semgrep could not (fully) examine, with the reason (and rule, for limits)."""
    targets: frozenset[str]
    """Repository-relative paths that were handed to semgrep."""
    version: str
    """semgrep's version as it reports it in its JSON (``1.182.0``) or ``unknown``."""
    runs: int
    """How many semgrep processes ran: one per rule group of :func:`plan_runs` that had targets,
    more when argv had to be chunked."""


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
            for rule in data.get("rules") or ():
                wanted = (rule.get("metadata") or {}).get(PREFILTER_KEY)
                if wanted is None:
                    per_rule = []
                    break
                if not isinstance(wanted, list) or not wanted:
                    raise TypeError(f"{PREFILTER_KEY} must be a list of conditions")
                per_rule.append(tuple(Condition.parse(w) for w in wanted))
        except (KeyError, TypeError, AttributeError, re.error) as exc:
            raise ToolError(TOOL, f"cannot read rule file {f.name} ({type(exc).__name__})",
                            hint="Reinstall readiness-gate") from None
        out.append(RuleFile(f, tuple(per_rule) if per_rule else None))
    return out


Run = tuple[tuple[str, ...], list[str]]
"""One semgrep process's ``(config arguments, sorted targets)``."""


def plan_runs(config: Path, targets: Sequence[str], read_text: TextReader) -> list[Run]:
    """Which rules run on which targets: ``[(config args, sorted targets), ...]``, empty runs left out.

    When no rule has a prefilter that is one run of ``config`` on every target. Otherwise the
    rule files without prefilters share one run on every target, and each prefiltered rule file
    gets a run of its own on the targets its rules could match (:class:`RuleFile`). Files in
    two runs are parsed twice; the point is that the expensive rules skip the rest.

    Raises:
        ToolError: see :func:`rule_files`.
    """
    ordered = sorted(set(targets))
    files = rule_files(config)
    return _plain_runs(config, files, ordered) + _prefiltered_runs(files, ordered, read_text)


def _plain_runs(config: Path, files: Sequence[RuleFile], ordered: list[str]) -> list[Run]:
    if not ordered:
        return []
    if all(f.prefilters is None for f in files):
        return [((str(config),), ordered)]
    plain = tuple(str(f.path) for f in files if f.prefilters is None)
    return [(plain, ordered)] if plain else []


def _prefiltered_runs(files: Sequence[RuleFile], ordered: list[str], read_text: TextReader) -> list[Run]:
    text_of = functools.lru_cache(maxsize=None)(read_text)  # each target read once for all rule files
    runs: list[Run] = []
    for f in files:
        if f.prefilters is not None:
            wanted = [p for p in ordered if f.wants(text_of(p))]
            if wanted:
                runs.append(((str(f.path),), wanted))
    return runs


def scan(root: Path, targets: Sequence[str], *, config: Path, timeout: float,
         read_text: TextReader, argv_budget: int = ARGV_BUDGET_BYTES) -> SemgrepScan:
    """Run semgrep with the rules in ``config`` on ``targets`` (paths relative to ``root``).

    Rules with a :data:`PREFILTER_KEY` only see the targets they could match
    (:func:`plan_runs`); every other rule sees every target.

    Args:
        root: repository root; semgrep runs there and reports paths relative to it.
        targets: repository-relative POSIX paths of regular files to scan (never symlinks).
        config: directory (or file) of semgrep rules.
        timeout: seconds for the whole scan, all chunks together.
        read_text: how to read a target's text (through the inventory), for the rule prefilters,
            nosemgrep and fingerprints.
        argv_budget: bytes of target paths per semgrep process (:func:`chunk_targets`).

    Raises:
        ToolError: semgrep missing, killed, timed out, exited non-zero, printed no or malformed
            JSON, skipped a rule, or reported an error that is not about one target file.
    """
    ordered = sorted(set(targets))
    deadline = time.monotonic() + timeout
    raw_results: list[dict[str, Any]] = []
    problems: list[FileProblem] = []
    version = "unknown"
    files = rule_files(config)
    runs = 0
    # The prefilters read every target (~0.5 s for 1,600 files): done on a second thread while
    # the first semgrep process runs, whose wait releases the interpreter lock.
    with cf.ThreadPoolExecutor(max_workers=1, thread_name_prefix="semgrep-prefilter") as pool:
        later = pool.submit(_prefiltered_runs, files, ordered, read_text)
        first = _plain_runs(config, files, ordered)
        for batch in (lambda: first, later.result):
            for configs, run_targets in batch():
                for chunk in chunk_targets(run_targets, argv_budget):
                    runs += 1
                    data = _run_once(root, configs, chunk, deadline, timeout)
                    results, found = _validate(data, set(chunk))
                    raw_results.extend(results)
                    problems.extend(found)
                    if isinstance(data.get("version"), str) and data["version"].strip():
                        version = data["version"].strip()
    matches = _matches(raw_results, set(ordered), read_text)
    return SemgrepScan(
        matches=tuple(matches),
        problems=tuple(sorted(set(problems), key=lambda f: (f.path, f.rule or "", f.reason))),
        targets=frozenset(ordered),
        version=version,
        runs=runs,
    )


def _run_once(root: Path, configs: Sequence[str], chunk: Sequence[str], deadline: float,
              timeout: float) -> dict[str, Any]:
    """One semgrep process on ``chunk`` with the rule files ``configs``; its parsed JSON report.

    Raises:
        ToolError: see :func:`scan`.
    """
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise ToolError(TOOL, f"timed out after {timeout:g} s and was stopped", hint=TIMEOUT_HINT)
    jobs = ("--jobs=1",) if _total_bytes(root, chunk) < SINGLE_JOB_BYTES else ()
    args = [*BASE_ARGS, *jobs, *(a for c in configs for a in ("--config", c)), *("./" + p for p in chunk)]
    try:
        run = run_tool(TOOL, args, timeout=remaining, ok_codes=tuple(range(0, 128)), cwd=str(root), env=ENV)
    except ToolError as exc:
        if exc.returncode is None and exc.problem.startswith("timed out"):
            # report the configured budget, not what was left of it for this chunk
            raise ToolError(TOOL, f"timed out after {timeout:g} s and was stopped", hint=TIMEOUT_HINT,
                            argv=exc.argv) from None
        raise
    if run.returncode != 0:
        try:
            details = _errors_summary(_load_json(run.stdout, ""))
        except ToolError:
            details = ""
        meaning = EXIT_MEANINGS.get(run.returncode, "unexpected status")
        raise ToolError(TOOL, f"exited with status {run.returncode} ({meaning})",
                        hint=details + HINT, returncode=run.returncode, stderr=run.stderr)
    return _load_json(run.stdout, run.stderr)


def _total_bytes(root: Path, paths: Sequence[str]) -> int:
    """Sum of the sizes of ``paths`` under ``root``; a file that cannot be stat'ed counts as
    :data:`SINGLE_JOB_BYTES` (semgrep's default parallelism then)."""
    total = 0
    for p in paths:
        try:
            total += (root / p).stat().st_size
        except OSError:
            total += SINGLE_JOB_BYTES
        if total >= SINGLE_JOB_BYTES:
            break
    return total


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


def _load_json(stdout: str, stderr: str) -> dict[str, Any]:
    if not stdout.strip():
        raise ToolError(TOOL, "printed no output (expected a JSON report)", hint=HINT, stderr=stderr)
    try:
        data = json.loads(stdout)
    except ValueError as exc:
        raise ToolError(TOOL, f"printed output that is not JSON ({exc.msg} at line {exc.lineno})",
                        hint=HINT, stderr=stderr) from None
    if not isinstance(data, dict):
        raise ToolError(TOOL, "printed JSON that is not an object (expected a report)", hint=HINT, stderr=stderr)
    return data


def _errors_summary(data: Mapping[str, Any]) -> str:
    """``"semgrep reported: <first errors>. "`` from ``errors[]``, redacted and shortened."""
    errors = data.get("errors")
    if not isinstance(errors, list) or not errors:
        return ""
    parts = [_describe(e) for e in errors[:3] if isinstance(e, dict)]
    more = f" (+{len(errors) - 3} more)" if len(errors) > 3 else ""
    return "semgrep reported: " + "; ".join(parts) + more + ". "


def _short(text: Any, limit: int = 240) -> str:
    flat = " ".join(str(text or "").split())
    flat = redact(flat)
    return flat if len(flat) <= limit else flat[:limit] + "…"


def _describe(error: Mapping[str, Any]) -> str:
    """``"<kind>: <message>"`` for an ``errors[]`` entry. Messages about a target file's code
    quote that code (``` `x = $$$` was unexpected ```), so for those only the path is given."""
    kind = _kind(error.get("type"))
    if kind == "PartialParsing" or kind in _PARSE_ERRORS:
        return f"{kind} in {_short(error.get('path') or 'a file')}"
    return f"{kind}: {_short(error.get('message'))}"


def _kind(type_: Any) -> str:
    """The error kind: ``"Syntax error"``, or the first element of ``["PartialParsing", ...]``."""
    if isinstance(type_, list) and type_:
        return str(type_[0])
    return str(type_ or "unknown")


def _norm(path: str) -> str:
    p = posixpath.normpath(path.replace("\\", "/"))
    return p[2:] if p.startswith("./") else p


def _validate(data: Mapping[str, Any], chunk: set[str]) -> tuple[list[dict[str, Any]], list[FileProblem]]:
    """Check the report's shape and classify ``errors[]``; return results and per-file skips."""
    results = data.get("results")
    if not isinstance(results, list):
        raise ToolError(TOOL, "report has no 'results' list", hint=HINT)
    errors = data.get("errors")
    if not isinstance(errors, list):
        raise ToolError(TOOL, "report has no 'errors' list", hint=HINT)
    skipped_rules = data.get("skipped_rules") or []
    if skipped_rules:
        ids = sorted({str(r.get("rule_id", "?")) for r in skipped_rules if isinstance(r, dict)})
        raise ToolError(TOOL, f"skipped rules {', '.join(ids) or '(unnamed)'}, so the scan is incomplete",
                        hint="This semgrep version cannot run a shipped rule; install the semgrep "
                             "version readiness-gate requires")
    per_file: list[FileProblem] = []
    fatal: list[str] = []
    for e in errors:
        if not isinstance(e, dict):
            fatal.append("malformed error entry")
            continue
        kind = _kind(e.get("type"))
        level = str(e.get("level", "error")).lower()
        path = _norm(str(e["path"])) if isinstance(e.get("path"), str) else None
        if level == "info":
            continue
        if kind == "SemgrepWarning" and "nosem" in str(e.get("message", "")):
            continue  # a nosemgrep comment naming another rule: irrelevant with --disable-nosem
        if path is not None and path in chunk:
            if kind == "PartialParsing":
                per_file.append(FileProblem(path, _partial_reason(e)))
                continue
            if kind in _PARSE_ERRORS:
                per_file.append(FileProblem(path, "semgrep could not parse it (syntax error); not scanned"))
                continue
            if kind in _LIMIT_ERRORS:
                rule = _rule_id(str(e.get("rule_id") or "")) or None
                per_file.append(FileProblem(path, f"semgrep {_LIMIT_ERRORS[kind]} on it", rule))
                continue
        fatal.append(_describe(e))
    if fatal:
        more = f" (+{len(fatal) - 3} more)" if len(fatal) > 3 else ""
        raise ToolError(TOOL, "reported errors: " + "; ".join(fatal[:3]) + more, hint=HINT)
    paths = data.get("paths")
    scanned = paths.get("scanned") if isinstance(paths, dict) else None
    if not isinstance(scanned, list):
        raise ToolError(TOOL, "report has no 'paths.scanned' list, so what was scanned is unknown", hint=HINT)
    done = {_norm(str(p)) for p in scanned}
    # A file handed over explicitly and neither scanned nor named in errors[] was dropped
    # silently: that is semgrep deciding what we examine, so the scan is not trustworthy.
    silent = sorted(chunk - done - {f.path for f in per_file})
    if silent:
        more = f" and {len(silent) - 3} more" if len(silent) > 3 else ""
        raise ToolError(TOOL, f"did not scan {len(silent)} of the files it was given ({', '.join(silent[:3])}{more}) "
                              "and did not say why", hint=HINT)
    return results, per_file


def _partial_reason(error: Mapping[str, Any]) -> str:
    spans = error.get("spans") if isinstance(error.get("spans"), list) else []
    lines = []
    for s in spans:
        try:
            a, b = int(s["start"]["line"]), int(s["end"]["line"])
        except (KeyError, TypeError, ValueError):
            continue
        lines.append(f"{a}" if a == b else f"{a}-{b}")
    where = f"lines {', '.join(lines[:5])}" if lines else "some lines"
    return f"semgrep could not parse {where} (syntax error); the rest was scanned"


def _rule_id(check_id: str) -> str:
    """Our rule id from semgrep's ``check_id``: semgrep prefixes the config path
    (``policies.semgrep.silent-except``); our ids are kebab-case without dots."""
    return check_id.rsplit(".", 1)[-1]


def _matches(results: Iterable[dict[str, Any]], targets: set[str], read_text: TextReader) -> list[SemgrepMatch]:
    out: list[SemgrepMatch] = []
    seen: dict[tuple[str, str, str], int] = {}
    cache: dict[str, Optional[list[str]]] = {}
    parsed = []
    for r in results:
        try:
            check_id = str(r["check_id"])
            path = _norm(str(r["path"]))
            line = int(r["start"]["line"])
            extra = r["extra"]
            message = " ".join(str(extra["message"]).split())
            severity_name = str(extra.get("severity", "")).upper()
            metadata = extra.get("metadata") or {}
        except (KeyError, TypeError, ValueError):
            raise ToolError(TOOL, "report has a result without check_id/path/start.line/extra.message",
                            hint=HINT) from None
        if path not in targets:
            # a path we did not hand over (or one semgrep renamed): we cannot tell which file
            # the finding is in, so neither can the report
            raise ToolError(TOOL, f"reported a finding in {path!r}, which it was not asked to scan", hint=HINT)
        rule = _rule_id(check_id)
        check = metadata.get("readiness-check") if isinstance(metadata, dict) else None
        if not isinstance(check, str) or not check:
            raise ToolError(TOOL, f"rule {rule} has no metadata.readiness-check",
                            hint="The shipped rules are broken; reinstall readiness-gate or report a bug")
        parsed.append((path, line, rule, check, message, severity_name))
    for path, line, rule, check, message, severity_name in sorted(parsed):
        if path not in cache:
            content = read_text(path)
            cache[path] = None if content is None else content.split("\n")  # as semgrep counts lines
        lines = cache[path]
        text = lines[line - 1] if lines is not None and 0 < line <= len(lines) else ""
        normalised = " ".join(text.split())
        key = (rule, path, normalised)
        n = seen.get(key, 0)
        seen[key] = n + 1
        digest = hashlib.sha256("\0".join((rule, path, normalised, str(n))).encode("utf-8")).hexdigest()[:32]
        out.append(SemgrepMatch(
            rule=rule, check=check, message=message, path=path, line=line,
            severity=SEVERITY.get(severity_name, Severity.UNKNOWN), fingerprint=digest,
            suppressed=nosem_suppressed(lines, line, rule) if lines is not None else False,
        ))
    return out


# --------------------------------------------------------------------------- nosemgrep

_IDS = r"(?:[:=][\s]?(?P<ids>(?:[^,\s](?:[,\s]+)?)+))?"
_NOSEM_INLINE = re.compile(r" nosem(?:grep)?" + _IDS, re.IGNORECASE)
_NOSEM_PREVIOUS = re.compile(r"^[^a-zA-Z0-9]* *nosem(?:grep)?" + _IDS, re.IGNORECASE)
_VALID_RULE_ID = re.compile(r"^[A-Za-z0-9._-]+$")
MAX_NOSEM_LINE = 4096
"""Only this many characters of a line are searched for a nosemgrep comment (bounded work on
minified or hostile lines; the regexes are linear but lines can be megabytes long)."""


def nosem_suppressed(lines: Sequence[str], line: int, rule: str) -> bool:
    """True when semgrep would hide a match of ``rule`` starting at 1-based ``line``.

    Mirrors semgrep's ``Nosemgrep.rule_match_nosem`` (``src/reporting/Nosemgrep.ml``): a
    `` nosem``/`` nosemgrep`` comment on the match's first line, or alone on the line before it;
    without ids it hides every rule; with ``: id1, id2`` only rules whose id ends with one of
    them (dot-separated suffix, as ``Rule_ID.ends_with``).
    """
    current = lines[line - 1][:MAX_NOSEM_LINE] if 0 < line <= len(lines) else ""
    previous = lines[line - 2][:MAX_NOSEM_LINE] if 1 < line <= len(lines) + 1 else ""
    found: list[Optional[list[str]]] = []
    for m in _NOSEM_INLINE.finditer(current):
        found.append(_ids(m))
    if line > 1:
        m = _NOSEM_PREVIOUS.search(previous)
        if m:
            found.append(_ids(m))
    if not found:
        return False
    ids = [i for group in found if group for i in group]
    if not ids:
        return True
    return any(_id_matches(rule, i) for i in ids)


def _ids(match: re.Match[str]) -> Optional[list[str]]:
    raw = match.group("ids")
    if raw is None:
        return None
    out = []
    for part in raw.split(","):
        token = part.strip(" ").split(" ")[0].strip('"')
        out.append(token)
    return out


def _id_matches(rule: str, given: str) -> bool:
    """``given`` names ``rule``: equal, or a dotted id ending with it (semgrep prefixes ids with
    the config path, ``policies.semgrep.silent-except``, and accepts any dot-suffix of that)."""
    if not given or not _VALID_RULE_ID.match(given):
        return False
    return given == rule or given.endswith("." + rule)


__all__ = ["Condition", "FileProblem", "RuleFile", "SemgrepMatch", "SemgrepScan", "plan_runs", "rule_checks", "rule_files", "chunk_targets", "nosem_suppressed", "scan", "TOOL"]
