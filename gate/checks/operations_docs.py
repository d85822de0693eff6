"""``operations-docs``: the README and docs/ tell an operator how to run the service.

Source: ``docs/checks.md`` gate 7's list: how to deploy, how to configure,
where logs live, what it depends on, how backups work, how it usually fails. Each is a *topic*
(``topics``: topic -> heading synonyms; an empty list drops a topic). A topic is covered when a
heading in one of the documentation files (the root README, always, plus ``paths``: globs,
default ``docs/**`` without blog posts and changelogs) mentions one of its synonyms as whole
words (:func:`gate.checks.markdown_docs.first_match`), is short (at most
:data:`MAX_TOPIC_HEADING_WORDS` words) and, in markdown, has content under it — an empty
``## Backups`` heading is a promise, not documentation. "Logging in" is about signing in, not
logs (:data:`NOT_TOPIC_PHRASES`).

This is a heuristic over headings: it finds *that* a README has a "Deployment" section, not
that the section is right; the check is advisory in the default profile for that reason.

Markdown is parsed with markdown-it-py (headings in code blocks do not count); ``.rst`` files
by their section titles (:func:`gate.checks.markdown_docs.parse_rst_headings`, no content
test); ``.txt`` and extensionless READMEs are read as markdown.

Findings: ``missing-readme`` (no README at the root) and ``missing-topic`` (one per topic no
heading covers). Documents are read only through the inventory: a README symlinked out of the
repository, or over the size cap, is skipped and listed, never read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Mapping, Optional

from gate.checks.interface import Check, CheckContext, option, strings, word_lists
from gate.checks.markdown_docs import (LineBudget, first_match, front_matter, parse_rst_headings,
                                       parse_sections, skipped_matching, words)
from gate.inventory import FileEntry, InventoryError, match_globs
from gate.model import CheckResult, Finding, Severity, SkippedPath

README_NAMES = ("README.md", "README.markdown", "README.rst", "README.txt", "README")
"""Root README names, in the order GitHub prefers when several exist."""

MAX_HEADING_SHOWN = 60
"""Characters of a heading quoted in evidence."""

MAX_TOPIC_HEADING_WORDS = 6
"""Longest heading (in words) that can cover a topic. Sections about a topic have short titles
("Deployment", "Where logs live", "Backups and restore"); a long heading that merely mentions
the word ("9. IP download logs of any Python Package Index package", from a blog post found in
a real docs tree) is not documentation of it."""


def _headings(entry: FileEntry, text: str) -> list[tuple[str, int]]:
    """``(heading text, line)`` of the headings that count in one document."""
    if entry.suffix == ".rst":
        return [(h.text, h.line) for h in parse_rst_headings(text)]
    fm = front_matter(text)
    return [(s.heading.text, s.heading.line)
            for s in parse_sections(fm.body, line_offset=fm.body_start_line - 1) if s.has_content]


NOT_TOPIC_PHRASES = re.compile(r"\b(?:log(?:ging|ged)?[ \t-]+in(?:to)?|log(?:ging)?[ \t-]?out)\b",
                               re.IGNORECASE)
"""Phrases removed from a heading before matching: signing in and out is not about logs."""


@dataclass(frozen=True)
class OperationsDocsSettings:
    """``checks.operations-docs`` options (defaults: ``policies/profiles/default.yml``)."""

    paths: tuple[str, ...] = option("paths", strings)
    """Globs of documentation examined besides the root README (blog posts and changelogs left out)."""
    topics: Mapping[str, tuple[str, ...]] = option("topics", word_lists)
    """Topic -> heading words (an empty list drops a topic the profile requires: profiles merge
    key by key)."""


class OperationsDocsCheck(Check[OperationsDocsSettings]):
    """``operations-docs``: README and docs/ headings cover every operations topic."""

    id = "operations-docs"
    settings_type = OperationsDocsSettings

    def run(self, context: CheckContext[OperationsDocsSettings]) -> CheckResult:
        inv = context.inventory
        paths = context.settings.paths
        topics = context.settings.topics

        readme: Optional[str] = next((n for n in README_NAMES if inv.get(n) is not None), None)
        # The root README always counts; ``paths`` globs add documentation beside it. (A bare
        # ``README.md`` glob would also match every vendored package's README in the tree.)
        readme_entry = inv.get(readme) if readme else None
        docs = [readme_entry] if readme_entry is not None and not readme_entry.is_binary else []
        docs += [e for e in inv.glob(*paths) if not e.is_binary and e.path != readme]
        covered: dict[str, str] = {}
        budget = LineBudget()
        unparsed: list[SkippedPath] = []
        for entry in docs:
            if len(covered) == len(topics):
                break  # every topic found: no need to read more documents
            try:
                text = inv.read_text(entry)
            except InventoryError as exc:
                return CheckResult.errored(f"could not read {exc}; check the file's permissions")
            reason = None if entry.suffix == ".rst" else budget.take(text)
            if reason is not None:
                unparsed.append(SkippedPath(entry.path, reason))
                continue
            for heading, line in _headings(entry, text):
                if len(words(heading)) > MAX_TOPIC_HEADING_WORDS:
                    continue
                probe = NOT_TOPIC_PHRASES.sub(" ", heading)
                for topic, synonyms in topics.items():
                    if topic in covered:
                        continue
                    if first_match(probe, [topic, *synonyms]):
                        shown = (heading if len(heading) <= MAX_HEADING_SHOWN
                                 else heading[:MAX_HEADING_SHOWN - 3] + "...")
                        covered[topic] = f"{topic}: {entry.path}:{line} \"{shown}\""

        findings: list[Finding] = []
        if readme is None:
            findings.append(Finding(
                "missing-readme", "There is no README at the repository root.",
                severity=Severity.MEDIUM, fingerprint="missing-readme", remediation=self.remediation("missing-readme")))
        where = readme or (docs[0].path if docs else None)
        for topic, synonyms in topics.items():
            if topic in covered:
                continue
            accepted = list(dict.fromkeys([topic, *synonyms]))
            findings.append(Finding(
                "missing-topic",
                f"No heading with content in the documentation ({len(docs)} file{'s' if len(docs) != 1 else ''}: "
                f"README, docs/) covers `{topic}` (looked for: {', '.join(accepted[:6])}).",
                path=where, severity=Severity.LOW, fingerprint=f"missing-topic:{topic}", aliases=(topic,),
                remediation=self.remediation("missing-topic", heading=topic.replace("-", " ").capitalize())))

        skipped: tuple[SkippedPath, ...] = skipped_matching(
            inv, lambda p: p in README_NAMES or match_globs(p, paths))
        skipped += tuple(SkippedPath(e.path, "binary file (not read as documentation)")
                         for e in inv.files if e.is_binary and (e.path in README_NAMES or match_globs(e.path, paths)))
        skipped += tuple(unparsed)
        evidence = tuple(covered[t] for t in topics if t in covered)
        return CheckResult.from_findings(
            findings, pass_summary=f"README/docs cover all {len(topics)} operations topics",
            fail_summary=(f"{sum(f.rule == 'missing-topic' for f in findings)} of {len(topics)} topics not covered"
                          + ("; no README" if readme is None else "")),
            evidence=evidence, skipped=skipped)
