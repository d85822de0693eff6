"""Escaping of repository-derived text (``gate.render.escape``): THREATS rows 2 and 9."""

from __future__ import annotations

from hypothesis import given, settings, strategies as st
from github_markdown import render_cmark_gfm, render_github
from markdown_it import MarkdownIt

from gate.render.escape import (ZWJ, escape_html, escape_markdown, file_url, markdown_link, one_line,
                                safe_url, strip_control, truncate)

MARKER = "<!-- readiness-gate:comment -->"
_md = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
"""A GitHub-like parser with raw HTML allowed, so a leak of live HTML would show."""


def _rendered(markdown: str) -> str:
    return _md.render(markdown)


def test_mention_and_marker_are_neutralised():
    out = escape_markdown(f"@org/all {MARKER} ping @bob")
    assert "@org" not in out and "@bob" not in out
    assert f"@{ZWJ}org/all" in out and f"@{ZWJ}bob" in out
    assert "<!--" not in out and MARKER not in out
    assert "&lt;!-- readiness-gate:comment --&gt;" in out


def test_issue_references_do_not_notify():
    out = escape_markdown("see #123, GH-45 and owner/repo#9 but not C# or #tag")
    assert "#123" not in out and "GH-45" not in out and "repo#9" not in out
    assert f"#{ZWJ}123" in out and f"GH-{ZWJ}45" in out
    assert "C# or #tag" in out


def test_no_html_survives_rendering():
    html = _rendered("x " + escape_markdown('<img src=x onerror=alert(1)> <script>a</script> &#64;u') + "\n")
    assert "<img" not in html and "<script" not in html
    assert "&amp;#" in html and "@" not in html  # the entity is shown, not decoded into "@"


def test_links_images_emphasis_code_are_literal():
    src = "[click](https://evil.example) ![i](https://evil.example/i.png) **b** _i_ `c` ~~s~~ $x$"
    html = _rendered("x " + escape_markdown(src) + "\n")
    assert "<a " not in html and "<img" not in html and "<strong>" not in html
    assert "<em>" not in html and "<code>" not in html and "<s>" not in html and "<del>" not in html
    # The reader still sees the original characters.
    assert "[click](https://evil.example)" in html.replace("\\", "").replace(ZWJ, "")


def test_bare_urls_are_not_autolinked():
    """GitHub's autolink extension links bare ``https://`` and ``www.`` (GFM "Autolinks
    (extension)"); cmark-gfm, GitHub's own parser, is the judge, markdown-it-py the second."""
    src = "see https://evil.example/x, HTTP://e.example, www.evil.example and (www.e.com) or *ftp://e.example*"
    assert render_cmark_gfm(src).count("<a ") == 5  # the plain text would be five live links
    for out in (escape_markdown(src), escape_html(src)):
        assert "<a " not in render_cmark_gfm("x " + out + "\n")
        assert "<a " not in render_github("x " + out + "\n")
        assert out.replace(ZWJ, "").replace("\\", "").replace("&amp;", "&").startswith("see https://evil.example/x")


def test_table_cell_cannot_be_broken():
    cell = escape_markdown("a | b\n| c | d |\r\nnext")
    table = f"| h1 | h2 |\n|---|---|\n| {cell} | ok |\n"
    html = _rendered(table)
    assert html.count("<td>") == 2 and html.count("<tr>") == 2
    assert "\n" not in cell


def test_strip_control_removes_terminal_escapes_and_line_breaks():
    out = strip_control("a\x1b[31mred\x1b[0m\rB\nC\u2028D\u202eE\x9b2J\x07\x00")
    assert out == "a[31mred[0m B C DE2J"
    assert "\x1b" not in out and "\r" not in out and "\n" not in out
    # A file name that tries to start a workflow command line is kept on one line.
    assert not strip_control("a\n::error::x").startswith("::")
    assert "\n::" not in strip_control("a\n::error::x")


def test_truncate_and_one_line():
    assert truncate("abcdef", 4) == "abc…" and len(truncate("abcdef", 4)) == 4
    assert truncate("abc", 3) == "abc" and truncate("abc", None) == "abc" and truncate("abc", 0) == ""
    assert one_line(None) == "" and one_line("a\nb", 10) == "a b"


def test_html_context_escape():
    out = escape_html('x "y" <b>@me</b>')
    assert out == f"x &quot;y&quot; &lt;b&gt;@{ZWJ}me&lt;/b&gt;"


def test_urls():
    assert safe_url("javascript:alert(1)") is None
    assert safe_url("/relative") is None
    assert safe_url(None) is None
    assert safe_url("https://ex.example/a b)c") == "https://ex.example/a%20b%29c"
    url = file_url("https://github.com/o/r/blob/abc/", "dir/a b#(1)@x.py", 3)
    assert url == "https://github.com/o/r/blob/abc/dir/a%20b%23%281%29%40x.py#L3"
    assert file_url("https://g.example/b", "a.py", None) == "https://g.example/b/a.py"
    assert file_url("https://g.example/b", "a.py", 0) == "https://g.example/b/a.py"
    assert file_url("ftp://g.example", "a.py", 1) is None
    assert markdown_link("x", "javascript:1") == "x"
    assert markdown_link("x", "https://e.example/(a)") == "[x](https://e.example/%28a%29)"


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=80) | st.sampled_from(
    [MARKER, "@org/all", "<!--", "a|b", "[x](y)", "`", "\\|", "&lt;!--", "@@", "@\u200d"]))
def test_escaped_text_never_contains_live_syntax(text):
    for out in (escape_markdown(text), escape_html(text)):
        assert "<" not in out and ">" not in out
        assert "\n" not in out and "\r" not in out and "\x1b" not in out
        # Every "@" is followed by the joiner.
        assert out.count("@") == out.count("@" + ZWJ)
    md = escape_markdown(text)
    # Every "|" is escaped, so a table cell cannot be split.
    assert md.count("|") == md.count("\\|")


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab @#1<>!-&;|`*_[]()~$\\/:'\"=\n\t")), max_size=60))
def test_escaped_text_renders_as_one_plain_paragraph(text):
    """Whatever the punctuation, the rendered HTML is one paragraph with no element inside."""
    import re as _re
    html = _rendered("x " + escape_markdown(text) + "\n")
    assert html.startswith("<p>") and html.endswith("</p>\n")
    assert not _re.search(r"<(?!/?p>)", html), html
    cell = _rendered(f"| h |\n|---|\n| {escape_markdown(text)} |\n")
    assert cell.count("<td>") <= 1 and cell.count("<tr>") == 2
