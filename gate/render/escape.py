"""Escaping of repository-derived text for terminals, markdown (PR comments) and URLs.

Everything a hostile pull request controls — file names, finding messages built from file
contents, deferral reasons and tickets, scanner output — reaches people through our renderers.
This module is the one place that makes such text inert (``docs/threats.md`` rows 2 and 9):

* **Terminals and CI logs** (:func:`strip_control`): no escape sequences (ESC, CSI), no carriage
  returns that overwrite a line, no newlines that would start a new log line (a line starting
  with ``::`` is a GitHub workflow command), no bidirectional overrides ("Trojan Source",
  CVE-2021-42574) that reorder what is shown; and per whole line (:func:`safe_log_line`) no
  ``::`` command key after leading blanks and no legacy ``##[`` command key anywhere.
* **Markdown** (:func:`escape_markdown`, for the sticky PR comment and the job summary):
  no live ``@mentions`` (a U+200D ZERO WIDTH JOINER after every ``@``, as THREATS row 9 asks),
  no issue cross-references (``#123``, ``GH-123``; they notify other threads), no raw HTML and
  therefore no ``<!--`` comment and no fake hidden marker (``<``, ``>`` and ``&`` become
  entities), no table-cell break-out (``|`` escaped, newlines replaced), no links, images,
  emphasis, strike-through, code spans or math (their punctuation is backslash-escaped; every
  ASCII punctuation character may be backslash-escaped in CommonMark 0.31 §2.4, GitHub
  documents ``\\$`` for math).
* **HTML contexts** inside markdown, such as ``<summary>`` (:func:`escape_html`): markdown is
  not parsed inside an HTML block (CommonMark §4.6), so backslash escapes would show; only
  entities, the joiner and control stripping apply.
* **URLs** (:func:`file_url`, :func:`safe_url`): paths are percent-encoded; only ``http(s)``
  URLs are ever linked; a bare ``https://…`` or ``www.…`` in repository text is broken with
  :data:`ZWJ` (GitHub's autolink extension would otherwise make it a live link).
* **Secrets** (:func:`gate.redact.redact`): every function here that returns repository text
  for people (:func:`one_line`, :func:`escape_markdown`, :func:`escape_html`, the path in
  :func:`file_url`) redacts credential-shaped substrings first, after control characters are
  removed (so a token split by a NUL byte is joined, then masked) and before cutting (so a token
  is never cut in half and shown in part). :func:`redact_id` does the same for identifiers that
  may embed a path but also carry hex digests (fingerprints). ``docs/threats.md``, promise 3.

All functions are pure and total: any ``str`` in, a ``str`` out, never an exception.
"""

from __future__ import annotations

import re
import urllib.parse
from typing import Optional

from gate.redact import redact

ZWJ = "\u200d"
"""U+200D ZERO WIDTH JOINER, inserted after ``@`` (and before digits after ``#``) so GitHub does
not turn the text into a mention or a cross-reference, while people still read the same text."""

ELLIPSIS = "…"
"""Appended by :func:`truncate` to text that was cut."""

# Characters that end or break a line, or move the cursor: replaced by one space so words stay
# apart. U+0085 (NEL), U+2028/U+2029 are line breaks for some renderers and terminals.
_LINE_BREAKS = re.compile("\r\n|[\n\r\t\v\f\x85\u2028\u2029]")
# Remaining C0 controls (ESC starts ANSI sequences, BS and DEL rewrite what is shown), DEL, C1
# controls (U+009B is a one-byte CSI on some terminals), and Unicode bidirectional formatting
# characters (U+202A-U+202E, U+2066-U+2069, U+200E/U+200F, U+061C; Trojan Source).
_CONTROLS = re.compile("[\x00-\x1f\x7f\x80-\x9f\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")

# ASCII punctuation with a meaning in GitHub-flavoured markdown when it appears inside a line:
# escapes, code spans, emphasis, links/images/footnotes, table cells, strike-through, math.
# Line-initial syntax (headings, lists, block quotes) cannot occur because repo-derived text is
# never placed at the start of a line and never contains a newline after escaping.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]|~$])")
# GitHub autolinked references that notify another thread: "#123", "GH-123", "owner/repo#123".
_ISSUE_REF = re.compile(r"(#)(?=\d)|(?i:\b(gh)-(?=\d))")
# GitHub's autolink extension (GFM spec 0.29, "Autolinks (extension)"): "www." and "http://",
# "https://" (GitHub also links "ftp://") after a line start, whitespace or one of "*_~(". Every
# occurrence is broken, wherever it starts: a joiner after the first character of the scheme or
# of "www" leaves no valid scheme or "www." for the autolinker to find.
_AUTOLINK = re.compile(r"(?i)(h)(?=ttps?://)|(f)(?=tp://)|(w)(?=ww\.)")


def clean(text: Optional[str]) -> str:
    """:func:`strip_control` then :func:`gate.redact.redact`: one line, no credential shapes."""
    return redact(strip_control(text or ""))


def redact_id(value: Optional[str]) -> str:
    """An identifier (a fingerprint ``rule:path:spec``, a hashed secret) with credential shapes
    masked, except in ``:``-separated parts that are hex digests (SHA-1, SHA-256), which the
    broad "long run" patterns of :func:`gate.redact.redact` would otherwise hide."""
    if not value:
        return value or ""
    return ":".join(p if _DIGEST.fullmatch(p) else redact(p) for p in value.split(":"))


_DIGEST = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")


def break_autolinks(text: str) -> str:
    """Insert :data:`ZWJ` into ``https://``, ``http://``, ``ftp://`` and ``www.`` so GitHub does
    not turn repository text into a live link (people still read the same characters)."""
    return _AUTOLINK.sub(lambda m: (m.group(1) or m.group(2) or m.group(3)) + ZWJ, text)


def strip_control(text: str) -> str:
    """Return ``text`` safe to print on a terminal or in a CI log, on one line.

    Line breaks and tabs (``\\n``, ``\\r``, ``\\t``, U+2028, ...) become one space each; other C0
    and C1 control characters, DEL and bidirectional formatting characters are removed. So an
    ANSI sequence ``\\x1b[2J`` prints as the harmless text ``[2J`` and a file named
    ``a\\n::error::x`` prints as ``a ::error::x`` (no line of output can start with ``::``).
    """
    if not text:
        return ""
    return _CONTROLS.sub("", _LINE_BREAKS.sub(" ", text))


def safe_log_line(line: str) -> str:
    """Return ``line`` (one whole output line) such that no CI runner takes it as a command.

    The GitHub Actions runner parses every line a step prints, on stdout and stderr
    (``actions/runner`` ``ActionCommand``): ``TryParseV2`` takes a line as a ``::name::``
    workflow command *after trimming leading whitespace*, and the legacy ``TryParse`` finds
    ``##[name]`` *anywhere* in a line. So a file named ``::error::x`` printed indented, or a
    message containing ``##[error]``, would raise annotations or masks. A U+200D ZERO WIDTH JOINER
    breaks both keys (``:<ZWJ>:``, ``#<ZWJ>#[``) while people read the same text. Callers pass
    lines already made one-line by :func:`strip_control`.
    """
    line = line.replace("##[", "#" + ZWJ + "#[")
    body = line.lstrip()
    if body.startswith("::"):
        start = len(line) - len(body)
        line = line[: start + 1] + ZWJ + line[start + 1:]
    return line


def truncate(text: str, limit: Optional[int]) -> str:
    """Cut ``text`` to at most ``limit`` characters, ending with ``…`` when cut.

    ``None`` means no limit; a ``limit`` below 1 gives ``""``.
    """
    if limit is None or len(text) <= limit:
        return text
    if limit < 1:
        return ""
    return text[: limit - 1] + ELLIPSIS


def one_line(text: Optional[str], limit: Optional[int] = None) -> str:
    """:func:`clean` (control characters, secrets) then :func:`truncate`; ``None`` gives ``""``.
    For terminals and logs."""
    return truncate(clean(text), limit)


def _neutralize_references(text: str) -> str:
    """Insert :data:`ZWJ` so that ``@name`` and ``#123`` do not notify anyone."""
    text = text.replace("@", "@" + ZWJ)
    return _ISSUE_REF.sub(lambda m: (m.group(1) or m.group(2) + "-") + ZWJ, text)


def _html_entities(text: str) -> str:
    # ``&`` first so the entities we add are not escaped again, and so text such as ``&#64;``
    # (an entity for "@") cannot decode into something the joiner did not see.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def escape_html(text: Optional[str], limit: Optional[int] = None) -> str:
    """Escape ``text`` for an HTML context inside markdown (``<summary>…</summary>``, attributes).

    Control characters are stripped and secrets redacted (:func:`clean`), ``& < > "`` become
    entities, mentions, issue references and autolinks are neutralised with :data:`ZWJ`.
    ``limit`` cuts the *source* text first (:func:`truncate`), so the result is at most about
    ``6 * limit`` characters.
    """
    out = _html_entities(truncate(clean(text), limit)).replace('"', "&quot;")
    return break_autolinks(_neutralize_references(out))


def escape_markdown(text: Optional[str], limit: Optional[int] = None) -> str:
    """Escape ``text`` for inline markdown: a paragraph, a list item or a table cell.

    Safe against everything in this module's docstring: the result renders as the literal
    text, on one line, with no mention, cross-reference, HTML, comment, marker, link (explicit
    or autolinked), image, emphasis, code span, math or credential. ``limit`` cuts the source
    text first (:func:`truncate`).

    Example: ``@org/all <!-- x --> [a](b)`` becomes ``@<ZWJ>org/all &lt;!-- x --&gt; \\[a\\](b)``.
    """
    out = truncate(clean(text), limit)
    out = _MARKDOWN_SPECIAL.sub(r"\\\1", out)
    return break_autolinks(_neutralize_references(_html_entities(out)))


_URL_UNSAFE = re.compile(r"[\x00-\x20\x7f-\x9f\"'<>()\[\]`\\|{}^\u2028\u2029]")


def safe_url(url: Optional[str]) -> Optional[str]:
    """Return ``url`` fit for a markdown link destination, or None when it is not ``http(s)``.

    Characters that could end the destination or the link (spaces, parentheses, brackets,
    quotes, angle brackets, backticks, pipes, controls) are percent-encoded. ``javascript:``,
    ``data:`` and relative URLs give None, so callers render plain text instead of a link.
    """
    if not url:
        return None
    parsed = urllib.parse.urlsplit(url.strip())
    if parsed.scheme.lower() not in ("http", "https") or not parsed.netloc:
        return None
    return _URL_UNSAFE.sub(lambda m: "".join(f"%{b:02X}" for b in m.group(0).encode("utf-8")),
                           url.strip())


def file_url(base: Optional[str], path: str, line: Optional[int] = None) -> Optional[str]:
    """Link to ``path`` (repository-relative) at ``base``: ``{base}/{path}#L{line}``.

    ``path`` is percent-encoded (RFC 3986; ``/`` kept), so ``#``, ``?``, ``%``, spaces, ``@`` and
    parentheses in file names cannot change the URL's meaning. ``#L{line}`` is added for
    ``line >= 1``. None when ``base`` is not an ``http(s)`` URL (see :func:`safe_url`). A
    credential shape in ``path`` is redacted (the link then names no real file, and leaks nothing).
    """
    root = safe_url(base)
    if root is None:
        return None
    url = root.rstrip("/") + "/" + urllib.parse.quote(redact(path).lstrip("/"), safe="/")
    if line is not None and line >= 1:
        url += f"#L{line}"
    return url


def markdown_link(label_markdown: str, url: Optional[str]) -> str:
    """``[label](url)`` when ``url`` is a safe ``http(s)`` URL, else just the label.

    ``label_markdown`` must already be escaped (:func:`escape_markdown`); ``url`` goes through
    :func:`safe_url`.
    """
    target = safe_url(url)
    return f"[{label_markdown}]({target})" if target else label_markdown


__all__ = [
    "ELLIPSIS",
    "ZWJ",
    "break_autolinks",
    "clean",
    "escape_html",
    "escape_markdown",
    "file_url",
    "markdown_link",
    "one_line",
    "redact_id",
    "safe_log_line",
    "safe_url",
    "strip_control",
    "truncate",
]
