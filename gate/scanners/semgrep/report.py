"""semgrep report validation: the exit status, the JSON report's shape and every ``errors[]``
entry, checked fail-closed (``docs/threats.md`` row 11).

A problem with one target file (syntax error, partial parse, per-file timeout or memory limit)
becomes a named skip (:class:`FileProblem`); ``info`` entries and semgrep's own warnings about
``nosem`` ids are ignored; anything else (rule errors, fatal errors, unknown kinds, a target
dropped without a word) is a :class:`~gate.scanners.process.ToolError`. Messages never quote
scanned code: errors about a file's code name only the file.
"""

from __future__ import annotations

import json
import posixpath
from dataclasses import dataclass
from typing import Any, Mapping, Optional

from gate.redact import redact
from gate.scanners.process import ToolError
from gate.scanners.semgrep.rules import TOOL

EXIT_MEANINGS = {
    1: "findings reported with --error",
    2: "fatal error",
    3: "invalid syntax in a target file",
    4: "invalid pattern in a rule",
    5: "unparseable rule YAML",
    6: "a rule needs arbitrary code execution",
    7: "rule configuration not found",
    8: "invalid language in a rule",
    9: "match timeout",
    10: "match memory limit",
    11: "lexical error in a target file",
    12: "too many matches",
    13: "invalid API key",
    14: "scan failed",
}
"""semgrep's exit statuses (semgrep docs, "CLI reference", exit codes), for error messages."""

_PARSE_ERRORS = {"Syntax error", "Lexical error", "Other syntax error", "AST builder error"}
_LIMIT_ERRORS = {"Timeout": "timed out", "Out of memory": "ran out of memory",
                 "Stack overflow": "overflowed its stack", "Fixpoint timeout": "timed out",
                 "Too many matches": "stopped after too many matches"}
"""``errors[].type`` values (semgrep ``Error.ml`` ``string_of_error_type``) that concern one
target file: the file is reported as skipped (not, or not fully, examined)."""

HINT = ("Run semgrep locally on the named files to see the full error "
        "(semgrep scan --metrics=off --config <readiness-gate>/policies/semgrep <file>), "
        "fix or exclude the file (checks.<id>.exclude), or report a bug if a shipped rule fails")


@dataclass(frozen=True)
class FileProblem:
    """A target semgrep could not (fully) examine: a named skip, never silently dropped."""

    path: str
    """Repository-relative POSIX path."""
    reason: str
    """Why, without any scanned code (``semgrep could not parse it (syntax error); not scanned``)."""
    rule: Optional[str] = None
    """The rule that hit a limit on this file (its other rules ran), or None when the whole
    file is concerned (a parse error)."""
    blocking: bool = False
    """True when the file's content is hidden from the scan, not merely hard for semgrep (a
    Python file that does not decode as Python decodes it): the check must not pass over it."""


def _load_json(stdout: str, stderr: str) -> dict[str, Any]:
    if not stdout.strip():
        raise ToolError(TOOL, "printed no output (expected a JSON report)", hint=HINT, stderr=stderr)
    try:
        data = json.loads(stdout)
    except ValueError as exc:
        raise ToolError(TOOL, f"printed output that is not JSON ({exc.msg} at line {exc.lineno})",
                        hint=HINT, stderr=stderr) from None
    if not isinstance(data, dict):
        raise ToolError(TOOL, "printed JSON that is not an object (expected a report)", hint=HINT, stderr=stderr)
    return data


def _errors_summary(data: Mapping[str, Any]) -> str:
    """``"semgrep reported: <first errors>. "`` from ``errors[]``, redacted and shortened."""
    errors = data.get("errors")
    if not isinstance(errors, list) or not errors:
        return ""
    parts = [_describe(e) for e in errors[:3] if isinstance(e, dict)]
    more = f" (+{len(errors) - 3} more)" if len(errors) > 3 else ""
    return "semgrep reported: " + "; ".join(parts) + more + ". "


def _short(text: Any, limit: int = 240) -> str:
    flat = " ".join(str(text or "").split())
    flat = redact(flat)
    return flat if len(flat) <= limit else flat[:limit] + "…"


def _describe(error: Mapping[str, Any]) -> str:
    """``"<kind>: <message>"`` for an ``errors[]`` entry. Messages about a target file's code
    quote that code (``` `x = $$$` was unexpected ```), so for those only the path is given."""
    kind = _kind(error.get("type"))
    if kind == "PartialParsing" or kind in _PARSE_ERRORS:
        return f"{kind} in {_short(error.get('path') or 'a file')}"
    return f"{kind}: {_short(error.get('message'))}"


def _kind(type_: Any) -> str:
    """The error kind: ``"Syntax error"``, or the first element of ``["PartialParsing", ...]``."""
    if isinstance(type_, list) and type_:
        return str(type_[0])
    return str(type_ or "unknown")


def _norm(path: str) -> str:
    p = posixpath.normpath(path.replace("\\", "/"))
    return p[2:] if p.startswith("./") else p


def _validate(data: Mapping[str, Any], chunk: set[str]) -> tuple[list[dict[str, Any]], list[FileProblem]]:
    """Check the report's shape and classify ``errors[]``; return results and per-file skips."""
    results = data.get("results")
    if not isinstance(results, list):
        raise ToolError(TOOL, "report has no 'results' list", hint=HINT)
    errors = data.get("errors")
    if not isinstance(errors, list):
        raise ToolError(TOOL, "report has no 'errors' list", hint=HINT)
    skipped_rules = data.get("skipped_rules") or []
    if skipped_rules:
        ids = sorted({str(r.get("rule_id", "?")) for r in skipped_rules if isinstance(r, dict)})
        raise ToolError(TOOL, f"skipped rules {', '.join(ids) or '(unnamed)'}, so the scan is incomplete",
                        hint="This semgrep version cannot run a shipped rule; install the semgrep "
                             "version readiness-gate requires")
    per_file: list[FileProblem] = []
    fatal: list[str] = []
    for e in errors:
        if not isinstance(e, dict):
            fatal.append("malformed error entry")
            continue
        kind = _kind(e.get("type"))
        level = str(e.get("level", "error")).lower()
        path = _norm(str(e["path"])) if isinstance(e.get("path"), str) else None
        if level == "info":
            continue
        if kind == "SemgrepWarning" and "nosem" in str(e.get("message", "")):
            continue  # a nosemgrep comment naming another rule: irrelevant with --disable-nosem
        if path is not None and path in chunk:
            if kind == "PartialParsing":
                per_file.append(FileProblem(path, _partial_reason(e)))
                continue
            if kind in _PARSE_ERRORS:
                per_file.append(FileProblem(path, "semgrep could not parse it (syntax error); not scanned"))
                continue
            if kind in _LIMIT_ERRORS:
                rule = _rule_id(str(e.get("rule_id") or "")) or None
                per_file.append(FileProblem(path, f"semgrep {_LIMIT_ERRORS[kind]} on it", rule))
                continue
        fatal.append(_describe(e))
    if fatal:
        more = f" (+{len(fatal) - 3} more)" if len(fatal) > 3 else ""
        raise ToolError(TOOL, "reported errors: " + "; ".join(fatal[:3]) + more, hint=HINT)
    paths = data.get("paths")
    scanned = paths.get("scanned") if isinstance(paths, dict) else None
    if not isinstance(scanned, list):
        raise ToolError(TOOL, "report has no 'paths.scanned' list, so what was scanned is unknown", hint=HINT)
    done = {_norm(str(p)) for p in scanned}
    # A file handed over explicitly and neither scanned nor named in errors[] was dropped
    # silently: that is semgrep deciding what we examine, so the scan is not trustworthy.
    silent = sorted(chunk - done - {f.path for f in per_file})
    if silent:
        more = f" and {len(silent) - 3} more" if len(silent) > 3 else ""
        raise ToolError(TOOL, f"did not scan {len(silent)} of the files it was given ({', '.join(silent[:3])}{more}) "
                              "and did not say why", hint=HINT)
    return results, per_file


def _partial_reason(error: Mapping[str, Any]) -> str:
    spans = error.get("spans") if isinstance(error.get("spans"), list) else []
    lines = []
    for s in spans:
        try:
            a, b = int(s["start"]["line"]), int(s["end"]["line"])
        except (KeyError, TypeError, ValueError):
            continue
        lines.append(f"{a}" if a == b else f"{a}-{b}")
    where = f"lines {', '.join(lines[:5])}" if lines else "some lines"
    return f"semgrep could not parse {where} (syntax error); the rest was scanned"


def _rule_id(check_id: str) -> str:
    """Our rule id from semgrep's ``check_id``: semgrep prefixes the config path
    (``policies.semgrep.silent-except``); our ids are kebab-case without dots."""
    return check_id.rsplit(".", 1)[-1]
