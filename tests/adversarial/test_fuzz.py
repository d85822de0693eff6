"""Property tests with a fixed budget (``docs/threats.md`` rows 8 and 9).

* The configuration loader: any bytes or text — random, YAML-token soup, or schema-shaped
  documents with random values — gives a valid :class:`gate.config.Config` or a
  :class:`gate.config.ConfigError`, never another exception, within :data:`DEADLINE_MS`.
* The markdown escaper and the markdown renderer: for any text placed in any repository-derived
  field of a report, the rendered document (parsed with markdown-it-py, GitHub-like, raw HTML
  on) has no live ``@mention``, no second comment marker, no HTML but the renderer's own
  balanced ``details``/``summary``/``sub``, no link but to the file URL, and the escaped text
  renders back as the literal input.

Every test is ``derandomize=True`` (the same examples on every CI run) with a fixed
``max_examples`` and a per-example ``deadline``.
"""

from __future__ import annotations

import html.parser
import re

import yaml
from hypothesis import HealthCheck, given, settings, strategies as st
from markdown_it import MarkdownIt
from render_fixtures import build_report, check, deferral

from hostile import assert_no_workflow_command_injection

from gate.checks.interface import load_meta
from gate.config import Config, ConfigError, load_config, load_config_text
from gate.model import DeferralState, Finding, Severity, SkippedPath, Status
from gate.render import RenderOptions, get_renderer
from gate.render.escape import ZWJ, escape_html, escape_markdown, strip_control

DEADLINE_MS = 3000
"""Per-example bound, milliseconds: generous for a shared 2-core CI machine; a YAML bomb or a
catastrophic regex would take far longer."""

BUDGET = settings(max_examples=150, deadline=DEADLINE_MS, derandomize=True,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

MARKER = "<!-- readiness-gate:comment -->"
_md = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])

# ------------------------------------------------------------------------------ config loader

SCHEMA_KEYS = ["version", "service", "owners", "approvers", "extends", "exclude", "limits", "diff", "checks",
               "failures", "evidence", "deferrals", "level", "timeout", "paths", "min", "max-file-size",
               "check", "reason", "approved-by", "expires", "ticket", "finding", "secrets", "runbooks",
               "dependencies", "<<"]
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70), st.floats(allow_nan=True),
                    st.text(max_size=20), st.sampled_from(["required", "advisory", "off", "2026-12-31", "@lead",
                                                           "**/*.py", "(a+)+$", "default", "strict"]))
DOCS = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4)
                    | st.dictionaries(st.sampled_from(SCHEMA_KEYS) | st.text(max_size=8), inner, max_size=5),
                    max_leaves=30)
YAML_TOKENS = ["version: 1\n", "checks:\n", "  secrets:\n", "    level: off\n", "&a ", "*a ", "<<: *a\n", "- ",
               ": ", "{", "}", "[", "]", ",", "\n", "  ", "!!python/object:os.system ", "!!binary ", "? ", "|\n",
               ">-\n", "'", '"', "#", "%YAML 1.1\n", "---\n", "...\n", "\t", "\ufeff", "\x00", "2026-02-30",
               "deferrals:\n", "  - check: secrets\n", "1e999", "0x1F", "~", "!!", "&b [*a, *a, *a]\n"]


def _outcome(load) -> None:  # type: ignore[no-untyped-def]
    try:
        config = load()
    except ConfigError as exc:
        assert exc.problems, "a ConfigError must say what is wrong"
        assert all(str(p) for p in exc.problems)
        return
    assert isinstance(config, Config)


@BUDGET
@given(st.text(max_size=400))
def test_config_any_text(text: str) -> None:
    _outcome(lambda: load_config_text(text, "readiness.yml"))


@BUDGET
@given(st.lists(st.sampled_from(YAML_TOKENS), max_size=40).map("".join))
def test_config_yaml_token_soup(text: str) -> None:
    _outcome(lambda: load_config_text(text, "readiness.yml"))


@BUDGET
@given(DOCS)
def test_config_schema_shaped_documents(doc: object) -> None:
    text = yaml.safe_dump(doc, allow_unicode=True) if not isinstance(doc, str) else doc
    _outcome(lambda: load_config_text(text, "readiness.yml"))
    _outcome(lambda: load_config_text("version: 1\n" + text if isinstance(doc, dict) else text, "readiness.yml"))


@BUDGET
@given(st.binary(max_size=400))
def test_config_any_bytes_from_a_file(tmp_path_factory, data: bytes) -> None:  # type: ignore[no-untyped-def]
    root = tmp_path_factory.mktemp("cfg")
    (root / "readiness.yml").write_bytes(data)
    _outcome(lambda: load_config(root))


def test_alias_bomb_and_redos_pattern_are_refused_quickly() -> None:
    """THREATS row 8, the two named inputs, as plain examples next to the properties."""
    import time

    levels = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        levels.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]")
    bomb = "version: 1\n" + "\n".join(levels) + "\n"
    redos = "version: 1\nexclude: ['(a+)+$']\nchecks:\n  runbooks:\n    paths: ['" + "a" * 5000 + "!']\n"
    for text in (bomb, redos):
        started = time.monotonic()
        _outcome(lambda: load_config_text(text, "readiness.yml"))  # noqa: B023
        assert time.monotonic() - started < 1.0
    try:
        load_config_text(bomb, "readiness.yml")
    except ConfigError as exc:
        assert "alias" in str(exc)
    else:
        raise AssertionError("the alias bomb was accepted")


# ------------------------------------------------------------------------------ markdown

HOSTILE_PIECES = list("ab @#1<>!-&;|`*_[]()~$\\/:'\"=\n\t\r\u200d\u202e") + [
    MARKER, "@org/all", "<!--", "-->", "GH-1", "&#64;", "&amp;", "<details>", "</summary>", "[x](https://evil.example)",
    "![i](x)", "<img src=x onerror=alert(1)>", "::error::", "##[error]", ":", "\x1b[2J", "1. ", "# "]
HOSTILE_TEXT = st.one_of(
    st.text(max_size=60),
    st.lists(st.sampled_from(HOSTILE_PIECES), max_size=20).map("".join),
)
"""Any text, and text assembled from the pieces that have a meaning in markdown, HTML, GitHub."""


def _inline_children(markdown: str) -> list:
    tokens = _md.parse(markdown)
    assert [t.type for t in tokens] == ["paragraph_open", "inline", "paragraph_close"], [t.type for t in tokens]
    return tokens[1].children or []


@BUDGET
@given(HOSTILE_TEXT)
def test_escaped_text_is_inert_and_literal(text: str) -> None:
    """Rendered, escaped text is one paragraph of plain text tokens that reads as the input."""
    children = _inline_children("x " + escape_markdown(text) + " y\n")
    kinds = {c.type for c in children}
    assert kinds <= {"text", "text_special"}, kinds
    rendered = "".join(c.content for c in children)
    assert re.search(r"@(?!\u200d)", rendered) is None, "a live mention"
    assert re.search(r"#\d", rendered) is None, "a live issue reference"
    assert "<!--" not in _md.render("x " + escape_markdown(text) + "\n")
    # Literal: the text people read is the input (controls stripped, joiners added).
    expected = strip_control(text).replace(ZWJ, "")
    assert rendered.replace(ZWJ, "") == f"x {expected} y"


@BUDGET
@given(HOSTILE_TEXT)
def test_escaped_html_context_stays_balanced(text: str) -> None:
    doc = f"<details>\n<summary>{escape_html(text)}</summary>\n\nbody\n</details>\n"
    _assert_balanced_and_ours(_md.render(doc))


_VOID = {"br", "hr", "img", "input", "meta", "link"}
_OURS = {"details", "summary", "sub"}
_MARKDOWN_TAGS = {"p", "ul", "ol", "li", "strong", "em", "code", "h1", "h2", "h3", "h4", "table", "thead", "tbody",
                  "tr", "th", "td", "a", "blockquote", "pre", "br", "hr"}


class _Balance(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.tags: set[str] = set()
        self.comments: list[str] = []
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):  # type: ignore[no-untyped-def]
        self.tags.add(tag)
        self.hrefs += [v or "" for k, v in attrs if k == "href"]
        if tag not in _VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):  # type: ignore[no-untyped-def]
        assert self.stack and self.stack[-1] == tag, f"unbalanced </{tag}> (open: {self.stack[-3:]})"
        self.stack.pop()

    def handle_comment(self, data):  # type: ignore[no-untyped-def]
        self.comments.append(data)


def _assert_balanced_and_ours(rendered_html: str) -> _Balance:
    parser = _Balance()
    parser.feed(rendered_html)
    parser.close()
    assert not parser.stack, f"unclosed {parser.stack}"
    assert parser.tags <= _OURS | _MARKDOWN_TAGS, parser.tags - _OURS - _MARKDOWN_TAGS
    return parser


FILE_URL = "https://github.example/o/r/blob/" + "a" * 40


def _hostile_report(t: list[str]):  # type: ignore[no-untyped-def]
    finding = Finding(rule=t[0] or "r", message=t[1], path=t[2] or None, line=3, severity=Severity.HIGH,
                      fingerprint=t[3])
    d = deferral("secrets", t[4] or "T-1", 30, DeferralState.ACTIVE, reason=t[5], approved_by=t[6] or "@x",
                 note=t[7])
    checks = [check("secrets", "security", "No secrets", Status.FAIL, t[8], findings=[finding], deferrals=[d],
                    skipped=[SkippedPath(t[9] or "p", t[10])], evidence=[t[11]]),
              check("runbooks", "on-call", "Runbooks", Status.ERROR, t[12])]
    return build_report(checks, warnings=[t[13]], service=t[14] or None)


@settings(max_examples=60, deadline=DEADLINE_MS, derandomize=True)
@given(st.lists(HOSTILE_TEXT, min_size=15, max_size=15))
def test_markdown_report_with_hostile_fields(fields: list[str]) -> None:
    """Every repository- or config-derived field of a report at once, through the real renderer."""
    report = _hostile_report(fields)
    text = get_renderer("markdown").render(report, RenderOptions(file_url=FILE_URL, run_url="https://ci.example/1"))
    assert text.startswith(MARKER) and text.count("<!--") == 1, "a second (fake) marker"
    assert re.search(r"@(?!\u200d)", text) is None, "a live mention"
    for token in _md.parse(text):
        for t in [token, *(token.children or [])]:
            if t.type in ("html_block", "html_inline"):
                for tag in re.findall(r"<[^>]*>", t.content):
                    assert tag == MARKER or re.fullmatch(r"</?(details|summary|sub)>", tag), tag
    parser = _assert_balanced_and_ours(_md.render(text))
    docs = {load_meta(c.id).help_uri for c in report.checks}  # each check's documentation: ours too
    assert all(h.startswith((FILE_URL, "https://ci.example/1")) or h in docs for h in parser.hrefs), parser.hrefs
    # Text output: one log line per item, none starting a workflow command, no escape sequence.
    out = get_renderer("text").render(report)
    assert_no_workflow_command_injection(out)
    assert "\x1b" not in out and "\r" not in out




def test_deep_nesting_is_a_config_error_not_a_recursion_error() -> None:
    """Beyond the fuzzer's size budget: 5,000 levels of flow and block nesting (PyYAML's composer
    is recursive; the loader must refuse such a file cleanly, THREATS row 8)."""
    n = 5000
    for text in ("a: " + "[" * n + "]" * n, "a: " + "{a: " * n + "}" * n,
                 "\n".join(" " * i + "k:" for i in range(700))):
        _outcome(lambda: load_config_text(text, "readiness.yml"))  # noqa: B023
