"""Writing the report files a user asked for (``--output``, ``--sarif``, the action's
``report-file`` / ``sarif-file`` inputs)."""

from __future__ import annotations

import os
import sys
from pathlib import Path


def write_output(path: str, text: str) -> None:
    """Write ``text`` to ``path`` (``-`` for stdout), creating parent folders.

    A final newline is added when missing. Written atomically (a temporary file beside the
    target, then ``os.replace``) so a crash never leaves half a report.

    Raises:
        OSError: the folder cannot be created or the file written.
    """
    if path == "-":
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        return
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    tmp.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
    os.replace(tmp, target)
