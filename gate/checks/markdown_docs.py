"""Shared helpers for checks that read markdown documents (runbooks, README, docs/).

Three jobs, each done one way for every check that needs it:

* :func:`parse_headings` — the headings of a markdown document, parsed with markdown-it-py's
  CommonMark parser, so ATX (``## Symptoms``) and setext (``Symptoms`` over ``---``) headings
  count and a ``# comment`` inside a fenced or indented code block does not.
* :func:`front_matter` — the YAML front matter block (``---`` ... ``---`` at the very top, the
  Jekyll / GitHub Pages convention), parsed safely and bounded, never raising: a broken block
  is reported through :attr:`FrontMatter.error` so a check can turn it into a finding.
* :func:`heading_matches` / :func:`first_match` — does a heading mention one of a list of
  synonyms, as case-insensitive whole words (``"On-call"`` matches ``on-call`` and ``on call``;
  ``"Symptomatic"`` does not match ``symptom``).

Nothing here reads files: callers pass text they read through the inventory.
:func:`skipped_matching` lists the inventory's skipped paths a document check was interested in.
"""

from __future__ import annotations

import bisect
import re
import threading
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator, Mapping, Optional, Sequence

from markdown_it import MarkdownIt

from gate.config import ConfigError, parse_yaml
from gate.inventory import Inventory
from gate.model import SkippedPath

MAX_FRONT_MATTER_BYTES = 64 * 1024
"""Largest front matter block parsed (64 KiB). A real one is a few lines; a larger block is
reported as an error instead of being parsed (bounds work on a hostile file; alias expansion is
bounded separately by :func:`gate.config.parse_yaml`)."""

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
"""A word: a run of letters or digits (Unicode). Hyphens, underscores and punctuation split
words, so ``on-call`` is the words ``on call``."""

_FENCE = re.compile(r"^(?:---|\.\.\.)[ \t]*$")
"""A front matter delimiter line: ``---`` opens and closes; ``...`` (YAML's document end) also
closes, as Jekyll and Hugo accept."""

MAX_MARKDOWN_LINES = 10_000
"""Most lines of one markdown document that :func:`parse_sections` is asked to parse; checks
skip (and list) longer documents, see :func:`too_long`. markdown-it-py is linear but costs
roughly 0.1 ms per block token (measured: 20,000 lines of ``- a`` took 2.3 s, 2 MiB of them
about a minute), so 10,000 lines cost at most about a second. Real runbooks and docs pages are
a few hundred lines."""

LINE_BUDGET = 100_000
"""Most markdown lines one check parses in a run (:class:`LineBudget`); documents past it are
skipped and listed, so a pull request adding many huge documents cannot stall the gate."""

MAX_HEADING_INLINE = 1_000
"""Longest heading content (characters) given to the inline parser; a longer (setext) heading
keeps its raw text. Bounds inline parsing, which we run on headings only."""

_local = threading.local()


def _parser() -> MarkdownIt:
    """A per-thread CommonMark block parser (checks run in threads; we do not share one
    instance's mutable state across threads).

    The core ``inline`` rule is disabled: we need inline markup only inside headings, and
    parsing it for every paragraph is where adversarial input (``[[[[``, ``*a*a``) costs most.
    Heading contents are inline-parsed one by one in :func:`_heading_text`.
    """
    md = getattr(_local, "md", None)
    if md is None:
        md = _local.md = MarkdownIt("commonmark").disable("inline")
    return md


def too_long(text: str) -> Optional[str]:
    """A skip reason when ``text`` has more than :data:`MAX_MARKDOWN_LINES` lines, else None."""
    lines = text.count("\n") + 1
    if lines > MAX_MARKDOWN_LINES:
        return f"markdown with {lines} lines (more than {MAX_MARKDOWN_LINES}) not parsed"
    return None


class LineBudget:
    """Counts the markdown lines a check parses against :data:`LINE_BUDGET`.

    ``take(text)`` returns None and charges the budget when ``text`` may be parsed, or a skip
    reason when the document is too long (:func:`too_long`) or the budget is spent.
    """

    def __init__(self, limit: int = LINE_BUDGET) -> None:
        self.left = limit

    def take(self, text: str) -> Optional[str]:
        reason = too_long(text)
        if reason is not None:
            return reason
        lines = text.count("\n") + 1
        if lines > self.left:
            return f"markdown line budget of {LINE_BUDGET} lines per check spent; not parsed"
        self.left -= lines
        return None


@dataclass(frozen=True)
class Heading:
    """One heading of a markdown document."""

    level: int
    """1 for ``#`` / ``===`` setext, 2 for ``##`` / ``---`` setext, ... up to 6."""
    text: str
    """Plain text of the heading: emphasis, links and code spans reduced to their text,
    whitespace collapsed."""
    line: int
    """1-based line of the heading in the text given to :func:`parse_headings` (plus its
    ``line_offset``)."""


def _heading_text(content: str) -> str:
    """Plain text of a heading's raw inline ``content`` (emphasis, links, code spans reduced to
    their text)."""
    if len(content) > MAX_HEADING_INLINE:
        return " ".join(content.split())
    tokens = _local_inline().parseInline(content)
    children = tokens[0].children if tokens else None
    return _inline_text(children, content)


def _local_inline() -> MarkdownIt:
    """A per-thread full CommonMark parser, used for heading contents only."""
    md = getattr(_local, "inline_md", None)
    if md is None:
        md = _local.inline_md = MarkdownIt("commonmark")
    return md


def _inline_text(children: Optional[Sequence[Any]], fallback: str) -> str:
    """Plain text of an inline token's children (text, code spans, line breaks)."""
    if not children:
        return " ".join(fallback.split())
    parts: list[str] = []
    for child in children:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif child.type == "image":
            parts.append(child.content)  # alt text
    return " ".join("".join(parts).split())


def parse_headings(text: str, *, line_offset: int = 0) -> list[Heading]:
    """Headings of markdown ``text``, in document order.

    Args:
        text: the markdown (without front matter, or with it: a front matter block's closing
            ``---`` would read as a setext underline, so callers with front matter pass the
            body from :func:`front_matter` and its ``body_start_line - 1`` as ``line_offset``).
        line_offset: added to every heading's line, so lines refer to the whole file.

    Returns:
        ``list[Heading]``; headings in code blocks, HTML blocks and block quotes' code are not
        headings (CommonMark, https://spec.commonmark.org/ §4.2 ATX, §4.3 setext headings).
        Headings inside block quotes and list items are headings (CommonMark says so).
    """
    return [section.heading for section in parse_sections(text, line_offset=line_offset)]


_CONTENT_TOKENS = frozenset({
    "paragraph_open", "fence", "code_block", "bullet_list_open", "ordered_list_open",
    "blockquote_open", "html_block",
})
"""Block tokens that are content under a heading (text, lists, code, quotes, raw HTML)."""


@dataclass(frozen=True)
class Section:
    """A heading and whether anything but headings follows it in its section."""

    heading: Heading
    has_content: bool
    """True when a paragraph, list, code block, quote or HTML block appears after the heading
    and before the next heading of the same or a higher level (sub-sections' content counts)."""


def parse_sections(text: str, *, line_offset: int = 0) -> list[Section]:
    """Headings of markdown ``text`` with whether each one's section has content.

    Same parsing and line numbering as :func:`parse_headings`. Used to tell a real section from
    a bare heading (``## Mitigation`` followed directly by ``## Escalation``).
    """
    tokens = _parser().parse(text)
    heads: list[tuple[int, Heading]] = []
    content_at: list[int] = []
    for i, tok in enumerate(tokens):
        if tok.type == "heading_open":
            inline = tokens[i + 1] if i + 1 < len(tokens) else None
            content = _heading_text(getattr(inline, "content", "") or "")
            line = (tok.map[0] + 1) if tok.map else 1
            heads.append((i, Heading(level=int(tok.tag[1:]), text=content, line=line + line_offset)))
        elif tok.type in _CONTENT_TOKENS:
            content_at.append(i)
    # Where each section ends: at the next heading of the same or a higher level. One pass with
    # a stack (linear: a hostile file may hold a million headings within the size cap).
    ends = [len(tokens)] * len(heads)
    open_sections: list[int] = []
    for n, (idx, head) in enumerate(heads):
        while open_sections and heads[open_sections[-1]][1].level >= head.level:
            ends[open_sections.pop()] = idx
        open_sections.append(n)
    out: list[Section] = []
    for n, (idx, head) in enumerate(heads):
        pos = bisect.bisect_right(content_at, idx)
        out.append(Section(head, pos < len(content_at) and content_at[pos] < ends[n]))
    return out


_RST_ADORNMENT = re.compile(r"^([!-/:-@\[-`{-~])\1{2,}[ \t]*$")
"""A reStructuredText section adornment line: one punctuation character repeated (at least 3
times, to keep ``--`` prose lines out), starting in column 1 (docutils, "Sections")."""


def parse_rst_headings(text: str, *, line_offset: int = 0) -> list[Heading]:
    """Section titles of reStructuredText ``text`` (README.rst), in document order.

    A title is a non-indented text line underlined (and optionally overlined) by an adornment
    line at least as long as the title. Levels follow docutils: each new adornment style (the
    character, with or without overline) gets the next level in order of first appearance.
    Indented lines (literal blocks, block quotes) are never titles. Good enough for finding
    topics; not a full reStructuredText parser.
    """
    lines = text.splitlines()
    styles: list[tuple[str, bool]] = []
    out: list[Heading] = []
    for i in range(len(lines) - 1):
        title = lines[i].rstrip()
        under = _RST_ADORNMENT.match(lines[i + 1])
        if not title or title[0].isspace() or under is None or _RST_ADORNMENT.match(title):
            continue
        if len(lines[i + 1].rstrip()) < len(title):
            continue
        over = i > 0 and lines[i - 1].rstrip() == lines[i + 1].rstrip()
        style = (under.group(1), over)
        if style not in styles:
            styles.append(style)
        out.append(Heading(level=min(styles.index(style) + 1, 6), text=" ".join(title.split()),
                           line=i + 1 + line_offset))
    return out


@dataclass(frozen=True)
class FrontMatter:
    """The result of :func:`front_matter`.

    Unpacks as ``data, body, body_start_line = front_matter(text)``; a check that reports bad
    front matter also reads :attr:`error` and :attr:`error_line`.
    """

    data: Mapping[str, Any]
    """The parsed mapping (keys as strings; YAML dates stay ``YYYY-MM-DD`` strings, see
    :func:`gate.config.parse_yaml`); empty when absent or invalid."""
    body: str
    """The text after the closing delimiter (the whole text when there is no front matter)."""
    body_start_line: int
    """1-based line of the file where :attr:`body` starts (1 without front matter)."""
    present: bool = False
    """True when the text starts with a delimited front matter block (valid or not)."""
    error: Optional[str] = None
    """Why the block could not be used (YAML syntax error, not a mapping, too large), or None.
    Never contains the file's text beyond a YAML parser's short problem description."""
    error_line: Optional[int] = None
    """1-based line of the file where the problem is, when known."""

    def __iter__(self) -> Iterator[Any]:
        return iter((self.data, self.body, self.body_start_line))

    @property
    def ok(self) -> bool:
        """True when there is no error (absent front matter is ok)."""
        return self.error is None


def front_matter(text: str) -> FrontMatter:
    """Split YAML front matter off markdown ``text`` and parse it; never raises.

    Front matter is a block whose first line is exactly ``---`` (a UTF-8 BOM is ignored) and
    which ends at the next line that is ``---`` or ``...`` (Jekyll's convention, also used by
    GitHub's markdown rendering). Without a closing delimiter the text has no front matter
    (the ``---`` is a thematic break) and is returned whole.

    The block is parsed with :func:`gate.config.parse_yaml` (safe loader, alias expansion
    bounded, duplicate keys refused, dates kept as strings). Problems are returned, not raised:

    * the block is larger than :data:`MAX_FRONT_MATTER_BYTES`;
    * the YAML does not parse (``error_line`` is the file line of the problem);
    * it parses to something other than a mapping (an empty block is an empty mapping).

    Returns:
        :class:`FrontMatter` (unpacks as ``(data, body, body_start_line)``).
    """
    src = text[1:] if text.startswith("\ufeff") else text
    lines = src.splitlines(keepends=True)
    if not lines or lines[0].rstrip("\r\n").rstrip() != "---":
        return FrontMatter({}, text, 1)
    size = 0
    close = None
    for idx in range(1, len(lines)):
        if _FENCE.match(lines[idx].rstrip("\r\n")):
            close = idx
            break
        size += len(lines[idx].encode("utf-8", "replace"))
        if size > MAX_FRONT_MATTER_BYTES:
            # Still find where the block ends, cheaply, so the body is right.
            for j in range(idx + 1, len(lines)):
                if _FENCE.match(lines[j].rstrip("\r\n")):
                    close = j
                    break
            if close is None:
                return FrontMatter({}, text, 1)
            body = "".join(lines[close + 1:])
            return FrontMatter({}, body, close + 2, present=True,
                               error=f"front matter larger than {MAX_FRONT_MATTER_BYTES} bytes", error_line=1)
    if close is None:
        return FrontMatter({}, text, 1)
    block = "".join(lines[1:close])
    body = "".join(lines[close + 1:])
    start = close + 2
    try:
        data, _ = parse_yaml(block, "front matter")
    except ConfigError as exc:
        problem = exc.problems[0] if exc.problems else None
        line = (problem.line + 1) if problem is not None and problem.line is not None else 1
        message = problem.message if problem is not None else "invalid YAML"
        return FrontMatter({}, body, start, present=True, error=message[:300], error_line=line)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        return FrontMatter({}, body, start, present=True,
                           error=f"front matter is a {type(data).__name__}, not a mapping of keys", error_line=2)
    return FrontMatter(data, body, start, present=True)


def words(text: str) -> tuple[str, ...]:
    """The lower-cased words of ``text`` (letters and digits; see :data:`_WORD`)."""
    return tuple(w.casefold() for w in _WORD.findall(text))


def contains_words(haystack: Sequence[str], needle: Sequence[str]) -> bool:
    """True when the word sequence ``needle`` occurs contiguously in ``haystack`` (both from
    :func:`words`); an empty ``needle`` never matches."""
    n = len(needle)
    if n == 0 or n > len(haystack):
        return False
    first = needle[0]
    for i in range(len(haystack) - n + 1):
        if haystack[i] == first and tuple(haystack[i:i + n]) == tuple(needle):
            return True
    return False


def first_match(heading_text: str, synonyms: Iterable[str]) -> Optional[str]:
    """The first of ``synonyms`` that ``heading_text`` mentions, or None.

    A synonym matches when its words (see :func:`words`) appear contiguously, as whole words,
    in the heading's words, case-insensitively: ``"failure modes"`` matches "Known failure
    modes", ``"on-call"`` matches "On call rotation", ``"fix"`` does not match "Prefix".
    """
    hay = words(heading_text)
    if not hay:
        return None
    for synonym in synonyms:
        if contains_words(hay, words(str(synonym))):
            return str(synonym)
    return None


def heading_matches(heading_text: str, synonyms: Iterable[str]) -> bool:
    """True when ``heading_text`` mentions one of ``synonyms`` (see :func:`first_match`)."""
    return first_match(heading_text, synonyms) is not None


def skipped_matching(inventory: Inventory, wanted: Callable[[str], bool]) -> tuple[SkippedPath, ...]:
    """The inventory's skipped paths for which ``wanted(path)`` is true.

    A document check lists these in its own result (``CheckResult.skipped``) so its report says
    which candidate documents it could not read: a runbook that is a symlink out of the
    repository, or larger than the size cap (``docs/threats.md`` row 7).
    """
    return tuple(s for s in inventory.skipped if wanted(s.path))


__all__ = [
    "FrontMatter",
    "Heading",
    "LINE_BUDGET",
    "LineBudget",
    "MAX_FRONT_MATTER_BYTES",
    "MAX_MARKDOWN_LINES",
    "Section",
    "contains_words",
    "first_match",
    "front_matter",
    "heading_matches",
    "parse_headings",
    "parse_rst_headings",
    "parse_sections",
    "skipped_matching",
    "too_long",
    "words",
]
