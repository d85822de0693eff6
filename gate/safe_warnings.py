"""Python warnings from the gate's process reach stderr only as escaped, redacted lines.

Python prints a warning as ``<file>:<line>: <Category>: <message>`` (plus the source line) on
stderr. Whatever raised it, its text may carry repository names or content, and the GitHub
Actions runner reads every printed line: a line starting ``::`` (after whitespace) or holding
``##[`` is a workflow command (``docs/threats.md`` row 2 and "Attacks on the verdict"). The CLI
entry calls :func:`install` once, before anything else runs; from then on every warning is one
line, control characters removed, secrets redacted, workflow-command keys broken
(:func:`gate.render.escape.safe_log_line`). Repository Python is parsed without warnings at all
(:func:`gate.pysource.parse_python`); this is the net under everything else.
"""

from __future__ import annotations

import sys
import warnings
from typing import Any, Optional, TextIO

from gate.redact import redact
from gate.render.escape import safe_log_line, strip_control, truncate

MAX_WARNING_CHARS = 1000
"""Longest warning line printed (the rest is cut with ``…``)."""


def format_warning(message: Any, category: type[Warning], filename: str, lineno: int) -> str:
    """One safe line for a warning: ``<Category>: <message> (<file name>:<line>)``."""
    where = filename.replace("\\", "/").rsplit("/", 1)[-1]
    text = f"{category.__name__}: {message} ({where}:{lineno})"
    return safe_log_line(truncate(strip_control(redact(text)), MAX_WARNING_CHARS))


def _show(message: Any, category: type[Warning], filename: str, lineno: int,
          file: Optional[TextIO] = None, line: Optional[str] = None) -> None:
    out = file if file is not None else sys.stderr
    if out is None:  # pythonw, or stderr closed
        return
    try:
        out.write(format_warning(message, category, filename, lineno) + "\n")
    except (OSError, ValueError):
        pass  # a warning must never break the run


def install() -> None:
    """Route every warning of this process through :func:`format_warning` (idempotent)."""
    warnings.showwarning = _show
