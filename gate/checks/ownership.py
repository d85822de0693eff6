"""``ownership``: someone owns production — owners in readiness.yml and a CODEOWNERS file that
covers the whole repository.

Source: ``docs/checks.md`` gate 7. CODEOWNERS rules follow GitHub's
documentation ("About code owners"):

* GitHub reads the first of ``.github/CODEOWNERS``, ``CODEOWNERS``, ``docs/CODEOWNERS`` that
  exists (that order) and ignores the others;
* each line is a pattern followed by owners; ``#`` starts a comment; the last matching rule
  wins, and a rule with no owners leaves its paths unowned;
* owners are ``@user``, ``@org/team`` or an e-mail address;
* gitignore features that do not work in CODEOWNERS: ``\\#`` escaping, ``!`` negation and
  ``[ ]`` character ranges; "if any line in your CODEOWNERS file contains invalid syntax,
  that line will be skipped" — so an invalid catch-all line covers nothing.

Findings: ``no-owners`` (readiness.yml absent or ``owners`` empty), ``invalid-owner`` (an
owners entry that is not a login, team or e-mail), ``missing-codeowners``,
``codeowners-syntax`` (one per invalid line, with the line), ``codeowners-partial-coverage``
(no rule with owners covers the whole repository).

Not verifiable offline (left to GitHub's own CODEOWNERS error view): whether the users and
teams exist and have write access.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Optional

from gate.checks.interface import Check, CheckContext, NoSettings
from gate.config import Config
from gate.inventory import InventoryError
from gate.model import CheckResult, Finding, Severity, SkippedPath

CODEOWNERS_PATHS = (".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS")
"""GitHub's search order; the first one found is the one GitHub uses."""

CATCH_ALL_PATTERNS = frozenset({"*", "**", "/", "/**", "**/*", "/**/*"})
"""Patterns that match every file of the repository (GitHub: ``*`` "default owners for
everything in the repo"; ``/`` and ``/**`` are the root directory and all below it).
``/*`` is not here: like ``docs/*`` it matches only files directly in that directory."""

_USER = r"@[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}"
_TEAM = r"@[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}/[A-Za-z0-9][A-Za-z0-9._-]{0,99}"
_EMAIL = r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)+"
OWNER = re.compile(rf"(?:{_TEAM}|{_USER}|{_EMAIL})")
"""A valid owner: GitHub login (alphanumerics and single inner hyphens, at most 39 characters),
``@org/team-slug``, or an e-mail address."""

MAX_SYNTAX_FINDINGS = 20
"""CODEOWNERS syntax findings reported; the last says how many more lines are invalid."""


@dataclass(frozen=True)
class Rule:
    """One valid CODEOWNERS rule."""

    pattern: str
    owners: tuple[str, ...]
    line: int


@dataclass(frozen=True)
class SyntaxProblem:
    """One invalid CODEOWNERS line (GitHub skips it)."""

    line: int
    message: str


def _split(line: str) -> list[str]:
    """Split a CODEOWNERS line on unescaped whitespace, dropping a trailing ``# comment``."""
    tokens: list[str] = []
    cur = ""
    i = 0
    while i < len(line):
        ch = line[i]
        if ch == "\\" and i + 1 < len(line):
            cur += line[i:i + 2]
            i += 2
            continue
        if ch.isspace():
            if cur:
                tokens.append(cur)
                cur = ""
        elif ch == "#" and not cur:
            break  # a comment starts at a token boundary
        else:
            cur += ch
        i += 1
    if cur:
        tokens.append(cur)
    return tokens


def parse_codeowners(text: str) -> tuple[list[Rule], list[SyntaxProblem]]:
    """Parse CODEOWNERS ``text`` into valid rules and invalid lines (1-based line numbers).

    Owners on a line are validated with :data:`OWNER`; one invalid owner makes the whole line
    invalid, as on GitHub. Never raises.
    """
    rules: list[Rule] = []
    problems: list[SyntaxProblem] = []
    for lineno, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        tokens = _split(stripped)
        if not tokens:
            continue
        pattern, owners = tokens[0], tuple(tokens[1:])
        if pattern.startswith("\\#"):
            problems.append(SyntaxProblem(lineno, "escaping a leading `#` with `\\` is not supported by GitHub"))
            continue
        if pattern.startswith("!"):
            problems.append(SyntaxProblem(lineno, "`!` negation is not supported in CODEOWNERS"))
            continue
        if re.search(r"(?<!\\)\[", pattern):
            problems.append(SyntaxProblem(lineno, "`[ ]` character ranges are not supported in CODEOWNERS"))
            continue
        bad = [o for o in owners if not OWNER.fullmatch(o)]
        if bad:
            shown = bad[0] if len(bad[0]) <= 60 else bad[0][:57] + "..."
            problems.append(SyntaxProblem(
                lineno, f"invalid owner `{shown}` (owners are @user, @org/team or an e-mail address)"))
            continue
        rules.append(Rule(pattern, owners, lineno))
    return rules, problems


def _config_path(config: Config) -> Optional[str]:
    """readiness.yml's repository path for findings, or None when it lives outside the repo."""
    if config.source is None:
        return "readiness.yml"
    return None if PurePosixPath(config.source).is_absolute() else config.source


class OwnershipCheck(Check[NoSettings]):
    """``ownership``: owners named and a CODEOWNERS file covering the repository."""

    id = "ownership"

    def run(self, context: CheckContext[NoSettings]) -> CheckResult:
        findings: list[Finding] = []
        evidence: list[str] = []
        self._owners(context.config, findings, evidence)

        inv = context.inventory
        skipped: list[SkippedPath] = [s for s in inv.skipped if s.path in CODEOWNERS_PATHS]
        chosen = next((p for p in CODEOWNERS_PATHS if inv.get(p) is not None and not inv.get(p).is_binary),  # type: ignore[union-attr]
                      None)
        if chosen is None:
            why = ""
            if skipped:
                why = f" ({skipped[0].path} exists but was skipped: {skipped[0].reason})"
            findings.append(Finding(
                "missing-codeowners", f"No CODEOWNERS file in .github/, the root or docs/{why}.",
                severity=Severity.MEDIUM, fingerprint="missing-codeowners",
                remediation=self.remediation("missing-codeowners")))
        else:
            try:
                text = inv.read_text(chosen)
            except InventoryError as exc:
                return CheckResult.errored(f"could not read {exc}; check the file's permissions")
            self._codeowners(chosen, text, findings, evidence)
            ignored = [p for p in CODEOWNERS_PATHS if p != chosen and inv.get(p) is not None]
            if ignored:
                evidence.append(f"{', '.join(ignored)} ignored: GitHub uses {chosen}")
        return CheckResult.from_findings(
            findings, pass_summary="owners named and CODEOWNERS covers the repository",
            fail_summary=", ".join(sorted({f.rule for f in findings})),
            evidence=tuple(evidence), skipped=tuple(skipped))

    def _owners(self, config: Config, findings: list[Finding], evidence: list[str]) -> None:
        path = _config_path(config)
        if config.source is None or not config.owners:
            what = "There is no readiness.yml" if config.source is None else f"{config.source} names no `owners`"
            loc = config.location_of("owners")
            findings.append(Finding(
                "no-owners", f"{what}, so nobody is named as owning the service in production.",
                path=path, line=loc.line if loc else None, severity=Severity.HIGH, fingerprint="no-owners",
                remediation=self.remediation("no-owners")))
            return
        good = []
        for i, owner in enumerate(config.owners):
            if OWNER.fullmatch(owner):
                good.append(owner)
                continue
            loc = config.location_of(f"owners[{i}]")
            shown = owner if len(owner) <= 60 else owner[:57] + "..."
            findings.append(Finding(
                "invalid-owner", f"Owner `{shown}` is not a GitHub login, team or e-mail address.",
                path=path, line=loc.line if loc else None, severity=Severity.LOW,
                fingerprint=f"invalid-owner:{i}",
                remediation=self.remediation("invalid-owner")))
        if good:
            evidence.append(f"owners: {', '.join(good[:5])}{' ...' if len(good) > 5 else ''}")

    def _codeowners(self, path: str, text: str, findings: list[Finding], evidence: list[str]) -> None:
        rules, problems = parse_codeowners(text)
        for n, problem in enumerate(problems[:MAX_SYNTAX_FINDINGS]):
            more = len(problems) - MAX_SYNTAX_FINDINGS
            extra = f" ({more} more invalid lines)" if n == MAX_SYNTAX_FINDINGS - 1 and more > 0 else ""
            findings.append(Finding(
                "codeowners-syntax", f"{path}:{problem.line}: {problem.message}; GitHub skips this line{extra}.",
                path=path, line=problem.line, severity=Severity.MEDIUM,
                fingerprint=f"codeowners-syntax:{path}:{problem.line}",
                remediation=self.remediation("codeowners-syntax")))
        catch_all = [r for r in rules if r.pattern in CATCH_ALL_PATTERNS]
        # Last match wins: the last catch-all decides the default owner of every file.
        if catch_all and catch_all[-1].owners:
            rule = catch_all[-1]
            evidence.append(f"{path}:{rule.line} `{rule.pattern}` -> {' '.join(rule.owners[:3])}")
            return
        if catch_all:
            message = (f"{path}:{catch_all[-1].line}: the catch-all rule `{catch_all[-1].pattern}` has no owners, "
                       "so files no other rule matches are unowned.")
            line: Optional[int] = catch_all[-1].line
        else:
            owned = [r.pattern for r in rules if r.owners]
            listed = ", ".join(f"`{p}`" for p in owned[:5]) + (" ..." if len(owned) > 5 else "")
            message = (f"{path} has no rule for the whole repository; only {listed} are owned." if owned
                       else f"{path} has no valid rule with an owner.")
            line = None
        findings.append(Finding(
            "codeowners-partial-coverage", message, path=path, line=line, severity=Severity.MEDIUM,
            fingerprint=f"codeowners-partial-coverage:{path}",
            remediation=self.remediation("codeowners-partial-coverage")))
