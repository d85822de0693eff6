"""Markdown to HTML the way GitHub renders a comment or job summary, for tests.

Two parsers:

* :func:`render_github` — markdown-it-py's ``gfm-like`` preset (CommonMark plus GitHub's tables,
  strike-through, and ``http(s)://`` autolinks through linkify-it-py), with raw HTML allowed so
  any live HTML our escaping let through would show. This is the HTML the browser tests load.
  linkify-it's "fuzzy" links are off: GitHub does not link a bare ``README.md`` or ``docs.io``.
* :func:`render_cmark_gfm` — GitHub's own parser, cmark-gfm (through ``cmarkgfm``), with its
  autolink extension: the reference for what GitHub turns into a link (``www.`` included).

GitHub then sanitizes the HTML (it keeps ``<details>``, ``<summary>``, ``<sub>``); nothing here
relies on that.
"""

from __future__ import annotations

from markdown_it import MarkdownIt


def github_markdown() -> MarkdownIt:
    """A new markdown-it-py parser configured as the module docstring says."""
    md = MarkdownIt("gfm-like", {"html": True, "linkify": True})
    md.linkify.set({"fuzzy_link": False, "fuzzy_email": False})
    return md


def render_github(markdown: str) -> str:
    """``markdown`` rendered to an HTML fragment (see :func:`github_markdown`)."""
    return github_markdown().render(markdown)


def render_cmark_gfm(markdown: str) -> str:
    """``markdown`` rendered by cmark-gfm with GitHub's extensions and raw HTML kept."""
    import cmarkgfm
    from cmarkgfm.cmark import Options

    return cmarkgfm.github_flavored_markdown_to_html(markdown, options=Options.CMARK_OPT_UNSAFE)
