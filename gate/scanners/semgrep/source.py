"""The text semgrep must see for each target: Python's own decoding (PEP 263), not raw bytes.

semgrep reads a target's bytes as UTF-8. Python reads a source file in the encoding its
``coding:`` declaration names (PEP 263, :func:`gate.pysource.decode_python`): a ``latin-1``
module is valid Python that semgrep would read with stray bytes, and ``# coding: unicode_escape``
makes the interpreter run ``verify\\x3dFalse`` as ``verify=False`` while semgrep sees an escape
sequence. So every target whose text may differ (a coding declaration that is not UTF-8, or
bytes that are not UTF-8) is decoded as Python decodes it:

* when that text differs from the UTF-8 reading, semgrep scans a UTF-8 copy of it in a
  temporary directory (same relative path, so path-scoped rules still apply), and the adapter
  reads the same text for nosemgrep and fingerprints;
* when it does not decode at all (not UTF-8 and no declaration, an unknown or refused codec),
  the file is a *blocking* :class:`~gate.scanners.semgrep.report.FileProblem`: its content is
  hidden from every rule, so the check must not pass over it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Optional, Sequence

from gate.pysource import SourceDecodeError, decode_python, declares_other_encoding
from gate.scanners.semgrep.cache import ByteReader
from gate.scanners.semgrep.report import FileProblem
from gate.scanners.semgrep.rules import TextReader


def _may_differ(text: str) -> bool:
    """True when Python may read this (UTF-8-with-replacements) text differently from semgrep."""
    return "\ufffd" in text or declares_other_encoding(text)


@dataclass(frozen=True)
class DecodePlan:
    """Targets that need Python's decoding: the text to scan instead, or why there is none."""

    decoded: Mapping[str, str]
    """Path -> the text Python reads (it differs from the UTF-8 reading)."""
    problems: tuple[FileProblem, ...]
    """Blocking problems: targets that do not decode as Python source."""

    @property
    def paths(self) -> frozenset[str]:
        """Every target whose semgrep results come from this plan, not from the plain scan."""
        return frozenset(self.decoded) | {p.path for p in self.problems}


def plan_decoding(targets: Sequence[str], read_text: TextReader, read_bytes: ByteReader) -> DecodePlan:
    """Which ``targets`` semgrep must not read as plain UTF-8 (see the module docstring)."""
    decoded: dict[str, str] = {}
    problems: list[FileProblem] = []
    for path in targets:
        text = read_text(path)
        if text is None or not _may_differ(text):
            continue
        data = read_bytes(path)
        if data is None:
            continue
        try:
            real = decode_python(data)
        except SourceDecodeError as exc:
            problems.append(FileProblem(path, f"not decodable as Python source: it {exc}",
                                        blocking=True))
            continue
        try:
            plain: Optional[str] = data.decode("utf-8")
        except UnicodeDecodeError:
            plain = None
        if real != plain:
            decoded[path] = real
    return DecodePlan(decoded, tuple(problems))


def write_copies(directory: Path, decoded: Mapping[str, str]) -> None:
    """Write each decoded text as UTF-8 under ``directory``, at its relative path.

    Raises:
        OSError: the directory cannot be written.
    """
    for path, text in decoded.items():
        target = directory / path
        target.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(text.encode("utf-8", "surrogatepass"))
