"""``runbooks``: written runbooks for the likely failures, with real content.

Source: ``docs/checks.md`` gate 7: "the three most likely failures"
each need a runbook saying how the failure shows, how to confirm it, how to mitigate it and whom
to call. The check reads markdown through the inventory (never the filesystem), so a runbook
symlinked out of the repository (``/etc/passwd``) is neither read nor counted, and a file over
the size cap is listed as skipped.

What is a runbook: a ``.md`` / ``.markdown`` file below one of the ``paths`` folders (default
``docs/runbooks``, ``runbooks``), except templates (file name starting with ``_``, which is
what ``readiness-gate init`` writes) and folder indexes (``README.md``, ``index.md``); plus any
file a ``failures:`` entry names with ``runbook:``. An in-tree symlink to another runbook is the
same runbook (counted once).

Findings (rule ids are stable):

* ``too-few-runbooks`` — fewer than ``min`` runbooks;
* ``missing-section`` — no heading mentions a required section (``sections``: name ->
  synonyms; the name itself is always a synonym; an empty list drops the section), one
  finding per runbook and section;
* ``empty-section`` — the section's heading is there but nothing follows it;
* ``placeholder`` — placeholder text (``placeholders``) on a line: a placeholder written in
  capitals (``TODO``, ``TBD``, ``FIXME``, ``XXX``) matches only in capitals, as a whole word,
  because that is how markers are written and "a todo list" in prose is not one; any other
  (``lorem ipsum``) matches case-insensitively as whole words. Code blocks are not exempt: a
  ``TODO`` in a command is as unfinished as one in prose. At most
  :data:`MAX_PLACEHOLDER_FINDINGS` per runbook;
* ``failure-without-runbook`` — a ``failures:`` entry has no runbook (its ``runbook:`` path is
  missing or skipped, or no runbook's file name or title has the failure's words);
* ``stale-runbook`` — front matter ``last-reviewed`` older than ``max-age-days``;
* ``invalid-last-reviewed`` — ``last-reviewed`` is not a date, or lies in the future;
* ``invalid-front-matter`` — the front matter block does not parse.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any, Iterable, Mapping, Optional, Sequence

from gate.checks.interface import Check, CheckContext, option, strings, word_lists
from gate.checks.markdown_docs import (LineBudget, Section, contains_words, first_match, front_matter,
                                       parse_sections, skipped_matching, words)
from gate.config import FailureMode
from gate.inventory import FileEntry, Inventory, InventoryError
from gate.model import CheckResult, Finding, Severity, SkippedPath
from gate.redact import redact

MARKDOWN_SUFFIXES = (".md", ".markdown")
"""File extensions read as runbooks."""

INDEX_NAMES = frozenset({"readme.md", "readme.markdown", "index.md", "index.markdown"})
"""Folder index pages, which describe the runbooks rather than being one."""

MAX_PLACEHOLDER_FINDINGS = 10
"""Placeholder findings reported per runbook; the last one says how many more lines have one."""

REVIEW_KEYS = ("last-reviewed", "last_reviewed", "lastReviewed")
"""Front matter keys read as the review date (kebab-case is documented; the others are the
spellings people write)."""

@dataclass(frozen=True)
class RunbooksSettings:
    """``checks.runbooks`` options (defaults: ``policies/profiles/default.yml``)."""

    paths: tuple[str, ...] = option("paths", strings)
    """Folders holding runbooks."""
    min: int = option("min", int)
    """Fewest runbooks accepted."""
    max_age_days: int = option("max-age-days", int)
    """Days after which a runbook's ``last-reviewed`` is stale."""
    sections: Mapping[str, tuple[str, ...]] = option("sections", word_lists)
    """Required section -> heading words (an empty list drops a section the profile requires:
    profiles merge key by key)."""
    placeholders: tuple[str, ...] = option("placeholders", strings)
    """Words that mark unfinished text."""


@dataclass
class _Runbook:
    """What the check learned about one runbook file."""

    entry: FileEntry
    titles: list[str] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)
    covered: int = 0


def compile_placeholders(placeholders: Iterable[str]) -> list[tuple[str, re.Pattern[str]]]:
    """One whole-word pattern per placeholder (see the module docstring for the case rule).

    Placeholders come from readiness.yml, so they are escaped: no user regex is ever compiled
    (``docs/threats.md`` row 8). Words inside a placeholder are separated by any run of
    whitespace.
    """
    out = []
    for raw in placeholders:
        text = str(raw).strip()
        if not text:
            continue
        body = r"\s+".join(re.escape(part) for part in text.split())
        flags = 0 if text.isupper() else re.IGNORECASE
        out.append((text, re.compile(r"(?<![^\W_])" + body + r"(?![^\W_])", flags)))
    return out


def _review_date(value: Any) -> Optional[dt.date]:
    """``last-reviewed`` as a date, or None when it is not ``YYYY-MM-DD`` (a time may follow)."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        return None


_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
"""Boundaries inside camelCase / PascalCase names (``etcdNoLeader``, ``HTTPServerDown``)."""


def name_words(text: str) -> tuple[str, ...]:
    """Words of a failure name, file stem or title, splitting camelCase too: ``etcdNoLeader``
    and ``etcd-no-leader`` and "etcd no leader" all give ``("etcd", "no", "leader")``."""
    return words(_CAMEL.sub(" ", text))


def names_match(failure: str, candidate: str) -> bool:
    """True when ``candidate`` (a runbook's file stem or title) is about ``failure``: the
    failure's words appear contiguously in the candidate's words (see :func:`name_words`)."""
    want = name_words(failure)
    return bool(want) and contains_words(name_words(candidate), want)


def _norm_path(path: str) -> str:
    """A readiness.yml path as an inventory key: POSIX, no leading ``./`` or ``/``."""
    p = path.replace("\\", "/").strip()
    while p.startswith("./"):
        p = p[2:]
    p = p.lstrip("/")
    return "" if p == "." else p


class RunbooksCheck(Check[RunbooksSettings]):
    """``runbooks``: enough runbooks, each with the required sections, current and finished."""

    id = "runbooks"
    settings_type = RunbooksSettings

    def run(self, context: CheckContext[RunbooksSettings]) -> CheckResult:
        inv = context.inventory
        folders = [_norm_path(p).rstrip("/") for p in context.settings.paths]
        minimum = context.settings.min
        max_age = context.settings.max_age_days
        sections = context.settings.sections
        placeholders = compile_placeholders(context.settings.placeholders)
        failures: Sequence[FailureMode] = context.config.failures

        runbooks = self._discover(inv, folders)
        explicit: dict[str, Optional[FileEntry]] = {}
        for failure in failures:
            if failure.runbook:
                path = _norm_path(failure.runbook)
                entry = inv.get(path)
                explicit[path] = entry if entry is not None and not entry.is_binary else None
                if explicit[path] is not None:
                    runbooks.setdefault(entry.target or entry.path, entry)  # type: ignore[union-attr]

        findings: list[Finding] = []
        evidence: list[str] = []
        analysed: list[_Runbook] = []
        too_big: list[SkippedPath] = []
        budget = LineBudget()
        for entry in sorted(runbooks.values(), key=lambda e: e.path):
            try:
                text = inv.read_text(entry)
            except InventoryError as exc:
                return CheckResult.errored(f"could not read runbook {exc}; check the file's permissions")
            reason = budget.take(text)
            if reason is not None:
                # Not parsed, so not counted: a runbook nobody can read at 3 a.m. is no runbook.
                too_big.append(SkippedPath(entry.path, reason))
                continue
            book = self._analyse(entry, text, sections, placeholders, max_age, context.today, findings)
            analysed.append(book)
            evidence.append(f"runbook {entry.path} ({book.covered}/{len(sections)} sections)")

        if len(analysed) < minimum:
            where = next((f for f in folders if inv.under(f)), folders[0] if folders else None)
            findings.append(Finding(
                "too-few-runbooks",
                f"{len(analysed)} runbook{'s' if len(analysed) != 1 else ''} found under "
                f"{', '.join(folders) or '(no paths configured)'}; at least {minimum} required.",
                path=where, severity=Severity.HIGH, fingerprint="too-few-runbooks",
                remediation=self.remediation("too-few-runbooks", min=minimum,
                                             folder=folders[0] if folders else "docs/runbooks")))

        for failure in failures:
            self._map_failure(failure, analysed, explicit, inv, context, findings, evidence)

        skipped = skipped_matching(
            inv, lambda p: PurePosixPath(p).suffix.lower() in MARKDOWN_SUFFIXES
            and any(p.startswith(f + "/") for f in folders if f))
        skipped += tuple(SkippedPath(e.path, "binary file (not read as a runbook)") for e in inv.files
                         if e.is_binary and self._is_runbook_name(e.path, folders))
        skipped += tuple(too_big)
        return CheckResult.from_findings(
            findings,
            pass_summary=f"{len(analysed)} runbook{'s' if len(analysed) != 1 else ''} with every required section",
            fail_summary=self._summary(findings),
            evidence=tuple(evidence), skipped=skipped)

    @staticmethod
    def _is_runbook_name(path: str, folders: Sequence[str]) -> bool:
        pure = PurePosixPath(path)
        if pure.suffix.lower() not in MARKDOWN_SUFFIXES:
            return False
        if pure.name.startswith("_") or pure.name.lower() in INDEX_NAMES:
            return False
        return any(f == "" or path.startswith(f + "/") for f in folders)

    def _discover(self, inv: Inventory, folders: Sequence[str]) -> dict[str, FileEntry]:
        """Runbook files keyed by the file they read (an in-tree symlink counts as its target)."""
        found: dict[str, FileEntry] = {}
        for folder in folders:
            for entry in inv.under(folder):
                if entry.is_binary or not self._is_runbook_name(entry.path, folders):
                    continue
                found.setdefault(entry.target or entry.path, entry)
        return found

    def _analyse(self, entry: FileEntry, text: str, sections: Mapping[str, Sequence[str]],
                 placeholders: list[tuple[str, re.Pattern[str]]], max_age: int, today: dt.date,
                 findings: list[Finding]) -> _Runbook:
        path = entry.path
        fm = front_matter(text)
        book = _Runbook(entry)
        if fm.error is not None:
            findings.append(Finding(
                "invalid-front-matter", f"{path}: front matter does not parse ({fm.error}).",
                path=path, line=fm.error_line, severity=Severity.MEDIUM,
                fingerprint=f"invalid-front-matter:{path}",
                remediation=self.remediation("invalid-front-matter")))
        else:
            self._check_review(path, fm.data, max_age, today, findings)
        title = fm.data.get("title") if fm.ok else None
        if isinstance(title, str):
            book.titles.append(title)
        book.sections = parse_sections(fm.body, line_offset=fm.body_start_line - 1)
        if book.sections:
            top = min(s.heading.level for s in book.sections)
            book.titles.extend(s.heading.text for s in book.sections if s.heading.level == top)

        for name, synonyms in sections.items():
            accepted = list(dict.fromkeys([name, *synonyms]))
            hits = [s for s in book.sections if first_match(s.heading.text, accepted)]
            if not hits:
                findings.append(Finding(
                    "missing-section",
                    f"{path} has no `{name}` section (a heading with one of: {', '.join(accepted[:6])}).",
                    path=path, line=1, severity=Severity.MEDIUM, fingerprint=f"missing-section:{path}:{name}",
                    aliases=(f"missing-section:{name}",),
                    remediation=self.remediation("missing-section", heading=name.capitalize())))
            elif not any(s.has_content for s in hits):
                findings.append(Finding(
                    "empty-section", f"{path}: the `{name}` section has a heading but no content.",
                    path=path, line=hits[0].heading.line, severity=Severity.MEDIUM,
                    fingerprint=f"empty-section:{path}:{name}", aliases=(f"empty-section:{name}",),
                    remediation=self.remediation("empty-section", section=name)))
            else:
                book.covered += 1

        self._placeholders(path, text, placeholders, findings)
        return book

    def _check_review(self, path: str, data: Mapping[str, Any], max_age: int, today: dt.date,
                      findings: list[Finding]) -> None:
        key = next((k for k in REVIEW_KEYS if k in data), None)
        if key is None:
            return
        reviewed = _review_date(data[key])
        if reviewed is None or reviewed > today:
            why = "is not a date (YYYY-MM-DD)" if reviewed is None else "is in the future"
            findings.append(Finding(
                "invalid-last-reviewed", f"{path}: front matter `{key}` {why}.", path=path, line=2,
                severity=Severity.LOW, fingerprint=f"invalid-last-reviewed:{path}",
                remediation=self.remediation("invalid-last-reviewed")))
            return
        age = (today - reviewed).days
        if age > max_age:
            findings.append(Finding(
                "stale-runbook",
                f"{path} was last reviewed {reviewed.isoformat()} ({age} days ago; limit {max_age}).",
                path=path, line=2, severity=Severity.LOW, fingerprint=f"stale-runbook:{path}",
                remediation=self.remediation("stale-runbook")))

    def _placeholders(self, path: str, text: str, placeholders: list[tuple[str, re.Pattern[str]]],
                      findings: list[Finding]) -> None:
        if not placeholders:
            return
        hits: list[tuple[int, str]] = []
        for lineno, line in enumerate(text.splitlines(), start=1):
            for word, pattern in placeholders:
                if pattern.search(line):
                    hits.append((lineno, word))
                    break
        for n, (lineno, word) in enumerate(hits[:MAX_PLACEHOLDER_FINDINGS]):
            more = len(hits) - MAX_PLACEHOLDER_FINDINGS
            extra = f" ({more} more line{'s' if more != 1 else ''} with placeholders)" \
                if n == MAX_PLACEHOLDER_FINDINGS - 1 and more > 0 else ""
            findings.append(Finding(
                "placeholder", f"{path}:{lineno} contains the placeholder `{word}`{extra}.",
                path=path, line=lineno, severity=Severity.MEDIUM,
                fingerprint=f"placeholder:{path}:{lineno}", aliases=(f"placeholder:{path}",),
                remediation=self.remediation("placeholder")))

    def _map_failure(self, failure: FailureMode, books: Sequence[_Runbook], explicit: Mapping[str, Optional[FileEntry]],
                     inv: Inventory, context: CheckContext, findings: list[Finding], evidence: list[str]) -> None:
        loc = failure.location
        # Point at readiness.yml when it lives in the repository; a --config file elsewhere has
        # no repository path.
        cfg_path = (loc.path if loc is not None and not PurePosixPath(loc.path).is_absolute()
                    else None if loc is not None else "readiness.yml")
        line = loc.line if loc is not None else None
        # Values typed into readiness.yml are quoted in findings: redact anything
        # credential-shaped a team pasted there (promise 3); matching still uses the raw values.
        name = redact(failure.name)
        if failure.runbook:
            path = _norm_path(failure.runbook)
            if explicit.get(path) is not None:
                evidence.append(f"failure '{name}' -> {redact(path)}")
                return
            why = ("exists but was skipped (see skipped paths)" if inv.was_skipped(path)
                   else "is a binary file" if inv.get(path) is not None else "does not exist")
            findings.append(Finding(
                "failure-without-runbook",
                f"Failure '{name}' names runbook {redact(path)}, which {why}.",
                path=cfg_path, line=line, severity=Severity.HIGH,
                fingerprint=f"failure-without-runbook:{name}", aliases=(name,),
                remediation=self.remediation("failure-without-runbook", "named", path=redact(path))))
            return
        for book in books:
            stem = PurePosixPath(book.entry.path).stem
            if names_match(failure.name, stem) or any(names_match(failure.name, t) for t in book.titles):
                evidence.append(f"failure '{name}' -> {book.entry.path}")
                return
        findings.append(Finding(
            "failure-without-runbook",
            f"No runbook is named or titled after failure '{name}'.",
            path=cfg_path, line=line, severity=Severity.HIGH,
            fingerprint=f"failure-without-runbook:{name}", aliases=(name,),
            remediation=self.remediation("failure-without-runbook")))

    @staticmethod
    def _summary(findings: Sequence[Finding]) -> str:
        counts: dict[str, int] = {}
        for f in findings:
            counts[f.rule] = counts.get(f.rule, 0) + 1
        return ", ".join(f"{n} {rule}" for rule, n in sorted(counts.items()))
