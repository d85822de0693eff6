"""Bare URLs in repository text are not live links in the PR comment (``docs/threats.md``,
"Attacks on the verdict").

The mechanism: the markdown renderer escaped explicit links (``[a](b)``) but not GitHub's
autolink extension, which turns a bare ``https://…`` or ``www.…`` into a link. A deferral
reason, a file name or a finding message could then put a phishing link into the gate's own
comment, where it reads as the gate's advice. :func:`gate.render.escape.break_autolinks` now
breaks every scheme and ``www.`` in repository text; cmark-gfm, GitHub's own parser, is the judge.
"""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

from github_markdown import render_cmark_gfm
from helpers import write_tree

from gate.cli import main
from gate.render.escape import ZWJ

REASON = "see https://evil.example/fix and www.evil.example/login, or HTTP://e.example"


def test_bare_urls_in_repository_text_are_not_linked(tmp_path: Path) -> None:
    repo = write_tree(tmp_path / "repo", {
        "docs/www.evil.example.md": "# x\n",
        "readiness.yml": (
            "version: 1\n"
            "deferrals:\n"
            "  - check: security-policy\n"
            f"    reason: '{REASON}'\n"
            '    approved-by: "@lead"\n'
            '    expires: "2026-12-31"\n'
            "    ticket: https://tickets.example/SEC-1\n"),
    }, dedent=False)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(["check", str(repo), "--format", "markdown", "--only", "security-policy", "--today", "2026-11-21"])
    assert code == 0
    html = render_cmark_gfm(out.getvalue())
    assert re.findall(r"<a [^>]*>", html) == [], "repository text became a live link"
    # Non-vacuous: the reason and the ticket are in the comment, as people read them.
    shown = html.replace(ZWJ, "")
    assert REASON in shown and "https://tickets.example/SEC-1" in shown
