"""Step outputs, the job summary, log lines and workflow-command annotations.

Three channels a hostile repository would like to write into (``docs/threats.md`` row 2):

* ``GITHUB_OUTPUT`` (:func:`write_outputs`): ``name=value`` lines, or for values with a line
  break the heredoc form ``name<<DELIMITER`` / value / ``DELIMITER`` (GitHub docs, "Workflow
  commands: Multiline strings"). The delimiter is random and checked not to occur in the value,
  so no value can end the block early and add keys. Keys are ours, fixed; values never carry
  ``\\r``.
* stdout, which the runner scans for workflow commands (lines starting ``::``):
  :func:`log` prints one line of our own text; repo-derived parts are put on one line by
  :func:`gate.render.escape.one_line` and the line always starts with our own text, so a file
  named ``a\\n::error::x`` cannot start a command.
* annotations (:func:`annotation`): ``::error file=F,line=L,title=T::MESSAGE`` with the runner's
  escaping (``actions/toolkit`` ``packages/core/src/command.ts``): in data ``%`` -> ``%25``,
  ``\\r`` -> ``%0D``, ``\\n`` -> ``%0A``; in properties additionally ``:`` -> ``%3A`` and ``,`` ->
  ``%2C``.

The job summary (``GITHUB_STEP_SUMMARY``) is limited to 1 MiB per step (GitHub docs, "Adding a
job summary"); :data:`SUMMARY_LIMIT_BYTES`.
"""

from __future__ import annotations

import secrets
import sys
from dataclasses import dataclass, field
from typing import Callable, Iterable, Mapping, Optional, TextIO

from gate.model import CheckReport, Report, Severity, Status
from gate.redact import redact
from gate.render.escape import one_line, safe_log_line

SUMMARY_LIMIT_BYTES = 1024 * 1024
"""GitHub's job summary limit per step: 1 MiB; larger summaries are rejected."""

MAX_ANNOTATIONS = 50
"""Annotations printed per run. GitHub shows at most 10 errors and 10 warnings per step and 50
per job; more only cost log lines. The rest are counted in one notice."""

OUTPUT_KEYS = ("ready", "failing-checks", "report-file", "sarif-file", "comment-url")
"""The step outputs declared in ``action.yml``; exactly these are written."""

_LEVELS = {"error": "error", "warning": "warning", "note": "notice"}


def escape_data(text: str) -> str:
    """Escape a workflow command's message (toolkit ``escapeData``)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a workflow command property value (toolkit ``escapeProperty``)."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(name: str, message: str, **properties: Optional[object]) -> str:
    """One workflow command line ``::name k=v,...::message``, fully escaped.

    ``name`` must be one of ours (a constant); properties with value None are left out.
    """
    if name not in ("error", "warning", "notice", "debug", "group", "endgroup", "add-mask"):
        raise ValueError(f"not a workflow command this module emits: {name!r}")
    props = ",".join(f"{k}={escape_property(str(v))}" for k, v in properties.items() if v is not None)
    return f"::{name}{' ' + props if props else ''}::{escape_data(message)}"


def log(text: str, stream: Optional[TextIO] = None) -> None:
    """Print ``text`` (our own words, possibly with repo-derived parts) as one safe log line."""
    line = safe_log_line(one_line(redact(text)))  # also breaks a legacy ``##[`` key mid-line
    if line.lstrip().startswith(("::", "##[")):
        line = "> " + line
    print(line, file=stream or sys.stdout, flush=True)


def annotation(level: str, message: str, *, file: Optional[str] = None, line: Optional[int] = None,
               title: Optional[str] = None) -> str:
    """An ``error``/``warning``/``notice`` annotation command; repo text is redacted and escaped."""
    return command(level, redact(message)[:4000], file=file, line=line if file else None,
                   title=title[:200] if title else None)


def _finding_level(check: CheckReport, blocking: bool, severity: Severity) -> str:
    if check.blocking and blocking:
        return "error"
    return _LEVELS.get(severity.sarif_level, "warning") if check.status is not Status.PASS else "notice"


def annotations_for(report: Report, path_prefix: str = "", limit: int = MAX_ANNOTATIONS) -> list[str]:
    """Annotation lines for findings that point at a file and line (at most ``limit``).

    ``path_prefix`` is the scanned directory relative to the workspace (the ``path`` input),
    so GitHub resolves files from the repository root. Blocking findings of blocking checks
    come first, as errors.
    """
    items = []
    for check in report.checks:
        if check.status is Status.SKIPPED:
            continue
        for f in check.findings:
            if not f.path or not f.line:
                continue
            blocking = f.blocking and f.deferred_by is None
            level = _finding_level(check, blocking, f.severity)
            rank = {"error": 0, "warning": 1, "notice": 2}[level]
            path = repo_path(path_prefix, f.path)
            items.append((rank, path, f.line, level, f"{check.title}: {f.rule}", f.message))
    items.sort(key=lambda x: (x[0], x[1], x[2]))
    out = [annotation(level, msg, file=path, line=line, title=title)
           for _, path, line, level, title, msg in items[:limit]]
    if len(items) > limit:
        out.append(command("notice", f"{len(items) - limit} more findings are not annotated; "
                                     "see the job summary or the JSON report."))
    return out


def repo_path(prefix: str, path: str) -> str:
    """``path`` (relative to the scanned directory) relative to the repository root, with any
    credential shape in it redacted (a file named after a token must not reach the log)."""
    path = redact(path)
    return f"{prefix.rstrip('/')}/{path}" if prefix not in ("", ".") else path


def _delimiter(value: str) -> str:
    while True:
        token = f"ghadelimiter_{secrets.token_hex(16)}"
        if token not in value:
            return token


def format_outputs(values: Mapping[str, str]) -> str:
    """The text appended to ``GITHUB_OUTPUT`` for ``values`` (keys must be our own names).

    Single-line values use ``key=value``; a value with a line break uses the heredoc form with a
    random delimiter absent from the value. ``\\r`` is dropped from values.
    """
    out = []
    for key, raw in values.items():
        if key not in OUTPUT_KEYS:
            raise ValueError(f"undeclared output {key!r}")
        value = raw.replace("\r", "")
        if "\n" in value:
            delim = _delimiter(value)
            out.append(f"{key}<<{delim}\n{value}\n{delim}\n")
        else:
            out.append(f"{key}={value}\n")
    return "".join(out)


def write_outputs(path: Optional[str], values: Mapping[str, str]) -> None:
    """Append ``values`` to the ``GITHUB_OUTPUT`` file (nothing when ``path`` is None)."""
    if not path:
        return
    with open(path, "a", encoding="utf-8", newline="\n") as fh:
        fh.write(format_outputs(values))


def fit_summary(render: Callable[[int], str]) -> str:
    """Render the summary within :data:`SUMMARY_LIMIT_BYTES` of UTF-8.

    ``render(max_chars)`` renders markdown of at most ``max_chars`` characters. A first try
    allows 1,000,000 characters; if that encodes to more than 1 MiB, the second allows a quarter
    of the limit (4 bytes per character at worst), which always fits.
    """
    text = render(1_000_000)
    if len(text.encode("utf-8")) <= SUMMARY_LIMIT_BYTES:
        return text
    text = render(SUMMARY_LIMIT_BYTES // 4 - 64)
    data = text.encode("utf-8")[:SUMMARY_LIMIT_BYTES]
    return data.decode("utf-8", "ignore")


def append_summary(path: Optional[str], markdown: str) -> None:
    """Append ``markdown`` to the job summary file (nothing when ``path`` is None)."""
    if not path:
        return
    with open(path, "a", encoding="utf-8", newline="\n") as fh:
        fh.write(markdown if markdown.endswith("\n") else markdown + "\n")


def failing_checks(report: Report) -> str:
    """Comma-separated ids of the checks that block the report (check ids are ours)."""
    return ",".join(c.id for c in report.blocking_checks)


def emit(lines: Iterable[str], stream: Optional[TextIO] = None) -> None:
    """Print pre-built command lines (from :func:`annotation` / :func:`command`)."""
    for line in lines:
        print(line, file=stream or sys.stdout, flush=True)


@dataclass
class Log:
    """The step's log: log lines and workflow commands go to ``stream``; warnings are kept.

    Attributes:
        stream: stdout in production (the runner reads workflow commands from it).
        warnings: every message passed to :meth:`warn`, in order.
    """

    stream: TextIO = field(default_factory=lambda: sys.stdout)
    warnings: list[str] = field(default_factory=list)

    def warn(self, message: str) -> None:
        """A ``::warning::`` command with ``message`` (redacted and escaped)."""
        self.warnings.append(message)
        emit([command("warning", redact(message))], self.stream)

    def error(self, message: str) -> None:
        """An ``::error::`` command with ``message`` (our words; escaped)."""
        emit([command("error", message)], self.stream)

    def info(self, text: str) -> None:
        """One plain log line (see :func:`log`)."""
        log(text, self.stream)

    def emit(self, lines: Iterable[str]) -> None:
        """Pre-built command lines (see :func:`emit`)."""
        emit(lines, self.stream)

