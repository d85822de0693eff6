"""semgrep findings: results reduced to what a check may show, their fingerprints, and the
``nosemgrep`` comments that would hide them.

``--disable-nosem`` makes semgrep report every match; :func:`nosem_suppressed` decides, with the
rules semgrep itself uses (``src/reporting/Nosemgrep.ml``), which ones a ``nosemgrep`` comment
*would* hide, and the checks honour that only when readiness.yml allows inline suppressions
(``docs/threats.md`` row 12). Nothing from the scanned code reaches a finding: semgrep's
``extra.lines`` is never read, the message is the rule's own, and the fingerprint is a hash of
the matched line.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any, Iterable, Optional, Sequence

from gate.model import Severity
from gate.scanners.process import ToolError
from gate.scanners.semgrep.report import HINT, _norm, _rule_id
from gate.scanners.semgrep.rules import TOOL, TextReader

SEVERITY = {
    "ERROR": Severity.HIGH,
    "WARNING": Severity.MEDIUM,
    "INFO": Severity.LOW,
    "CRITICAL": Severity.CRITICAL,
    "HIGH": Severity.HIGH,
    "MEDIUM": Severity.MEDIUM,
    "LOW": Severity.LOW,
}
"""semgrep rule severity -> ours (ERROR/WARNING/INFO are the classic levels; semgrep 1.x also
accepts CRITICAL/HIGH/MEDIUM/LOW). Anything else maps to ``unknown``, which ranks as critical."""

@dataclass(frozen=True)
class SemgrepMatch:
    """One semgrep result, reduced to what a check may show (never the matched text)."""

    rule: str
    """Rule id without the prefix semgrep derives from the config path (``silent-except``)."""
    check: str
    """``metadata.readiness-check`` of the rule: the check the finding belongs to."""
    message: str
    """The rule's message (written by us, never contains scanned code)."""
    path: str
    """Repository-relative POSIX path."""
    line: int
    """1-based first line of the match."""
    severity: Severity
    fingerprint: str
    """sha256 of rule, path, the whitespace-normalised first matched line and the occurrence
    index of that triple, first 32 hex digits: stable when unrelated lines move."""
    suppressed: bool
    """True when a ``nosemgrep`` comment would hide this match (see :func:`nosem_suppressed`)."""
    end_line: int = 0
    """1-based last line of the match (``end.line``; at least ``line``): diff mode compares the
    whole range, so a change on any of its lines makes the finding new."""


def _matches(results: Iterable[dict[str, Any]], targets: set[str], read_text: TextReader) -> list[SemgrepMatch]:
    out: list[SemgrepMatch] = []
    seen: dict[tuple[str, str, str], int] = {}
    cache: dict[str, Optional[list[str]]] = {}
    parsed = []
    for r in results:
        try:
            check_id = str(r["check_id"])
            path = _norm(str(r["path"]))
            line = int(r["start"]["line"])
            end = r.get("end")
            end_line = max(line, int(end["line"])) if isinstance(end, dict) and "line" in end else line
            extra = r["extra"]
            message = " ".join(str(extra["message"]).split())
            severity_name = str(extra.get("severity", "")).upper()
            metadata = extra.get("metadata") or {}
        except (KeyError, TypeError, ValueError):
            raise ToolError(TOOL, "report has a result without check_id/path/start.line/extra.message",
                            hint=HINT) from None
        if path not in targets:
            # a path we did not hand over (or one semgrep renamed): we cannot tell which file
            # the finding is in, so neither can the report
            raise ToolError(TOOL, f"reported a finding in {path!r}, which it was not asked to scan", hint=HINT)
        rule = _rule_id(check_id)
        check = metadata.get("readiness-check") if isinstance(metadata, dict) else None
        if not isinstance(check, str) or not check:
            raise ToolError(TOOL, f"rule {rule} has no metadata.readiness-check",
                            hint="The shipped rules are broken; reinstall readiness-gate or report a bug")
        parsed.append((path, line, rule, check, message, severity_name, end_line))
    for path, line, rule, check, message, severity_name, end_line in sorted(parsed):
        if path not in cache:
            content = read_text(path)
            cache[path] = None if content is None else content.split("\n")  # as semgrep counts lines
        lines = cache[path]
        text = lines[line - 1] if lines is not None and 0 < line <= len(lines) else ""
        normalised = " ".join(text.split())
        key = (rule, path, normalised)
        n = seen.get(key, 0)
        seen[key] = n + 1
        digest = hashlib.sha256("\0".join((rule, path, normalised, str(n))).encode("utf-8")).hexdigest()[:32]
        out.append(SemgrepMatch(
            rule=rule, check=check, message=message, path=path, line=line,
            severity=SEVERITY.get(severity_name, Severity.UNKNOWN), fingerprint=digest,
            suppressed=nosem_suppressed(lines, line, rule) if lines is not None else False,
            end_line=end_line,
        ))
    return out


# --------------------------------------------------------------------------- nosemgrep


_IDS = r"(?:[:=][\s]?(?P<ids>(?:[^,\s](?:[,\s]+)?)+))?"
_NOSEM_INLINE = re.compile(r" nosem(?:grep)?" + _IDS, re.IGNORECASE)
_NOSEM_PREVIOUS = re.compile(r"^[^a-zA-Z0-9]* *nosem(?:grep)?" + _IDS, re.IGNORECASE)
_VALID_RULE_ID = re.compile(r"^[A-Za-z0-9._-]+$")
MAX_NOSEM_LINE = 4096
"""Only this many characters of a line are searched for a nosemgrep comment (bounded work on
minified or hostile lines; the regexes are linear but lines can be megabytes long)."""


def nosem_suppressed(lines: Sequence[str], line: int, rule: str) -> bool:
    """True when semgrep would hide a match of ``rule`` starting at 1-based ``line``.

    Mirrors semgrep's ``Nosemgrep.rule_match_nosem`` (``src/reporting/Nosemgrep.ml``): a
    `` nosem``/`` nosemgrep`` comment on the match's first line, or alone on the line before it;
    without ids it hides every rule; with ``: id1, id2`` only rules whose id ends with one of
    them (dot-separated suffix, as ``Rule_ID.ends_with``).
    """
    current = lines[line - 1][:MAX_NOSEM_LINE] if 0 < line <= len(lines) else ""
    previous = lines[line - 2][:MAX_NOSEM_LINE] if 1 < line <= len(lines) + 1 else ""
    found: list[Optional[list[str]]] = []
    for m in _NOSEM_INLINE.finditer(current):
        found.append(_ids(m))
    if line > 1:
        m = _NOSEM_PREVIOUS.search(previous)
        if m:
            found.append(_ids(m))
    if not found:
        return False
    ids = [i for group in found if group for i in group]
    if not ids:
        return True
    return any(_id_matches(rule, i) for i in ids)


def _ids(match: re.Match[str]) -> Optional[list[str]]:
    raw = match.group("ids")
    if raw is None:
        return None
    out = []
    for part in raw.split(","):
        token = part.strip(" ").split(" ")[0].strip('"')
        out.append(token)
    return out


def _id_matches(rule: str, given: str) -> bool:
    """``given`` names ``rule``: equal, or a dotted id ending with it (semgrep prefixes ids with
    the config path, ``policies.semgrep.silent-except``, and accepts any dot-suffix of that)."""
    if not given or not _VALID_RULE_ID.match(given):
        return False
    return given == rule or given.endswith("." + rule)
