"""The renderer interface: every output format reads the same :class:`~gate.model.Report`."""

from __future__ import annotations

import abc
from dataclasses import dataclass
from typing import Optional

from gate.model import Report

GITHUB_COMMENT_LIMIT = 65_536
"""Maximum characters in a GitHub issue/PR comment body; the API answers 422 beyond it
(``body is too long (maximum is 65536 characters)``)."""


@dataclass(frozen=True)
class RenderOptions:
    """Presentation options that are not part of the report."""

    color: bool = False
    """Use ANSI colour (text renderer; the CLI sets it when stdout is a TTY)."""
    verbose: bool = False
    """Text renderer: list every location and every non-blocking finding (``check --verbose``)."""
    file_url: Optional[str] = None
    """Base URL for links to files at the scanned commit, e.g.
    ``https://github.com/o/r/blob/<sha>``; a finding links to ``{file_url}/{path}#L{line}``."""
    run_url: Optional[str] = None
    """URL of the CI run that produced the report (linked from the PR comment)."""
    full_report_hint: str = "the job summary or the JSON report artifact"
    """Where the untruncated report can be found, named when markdown output is truncated."""
    max_chars: int = GITHUB_COMMENT_LIMIT
    """Markdown output is truncated to at most this many characters."""
    marker: str = "<!-- readiness-gate:comment -->"
    """Hidden marker that identifies the gate's sticky PR comment (markdown renderer prepends it)."""
    path_prefix: str = ""
    """The scanned directory relative to the repository root ("" for the root): SARIF puts it in
    front of every path, because code scanning resolves URIs from the repository root."""


class Renderer(abc.ABC):
    """One output format."""

    name: str
    """Format name used on the command line (``--format``)."""
    media_type: str
    """IANA media type of the output."""

    @abc.abstractmethod
    def render(self, report: Report, options: RenderOptions = RenderOptions()) -> str:
        """Return the whole output as text. Must be deterministic for a given report."""
