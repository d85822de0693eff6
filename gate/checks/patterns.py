"""The two semgrep checks, ``insecure-patterns`` and ``error-handling``: semgrep with the rules in
``policies/semgrep``. This module holds both (they are one scan judged twice), which is why its
name is not a check id.

Both checks share ONE semgrep run per gate run (:attr:`gate.checks.interface.SharedWork.semgrep_scan`):
whichever check runs first scans the union of both checks' files with every rule, and each
check then keeps the matches whose rule says it belongs to it (``metadata.readiness-check``) and
whose file is in its own scope. Both checks compute the same plan from the configuration, so the
shared scan is the same whichever runs first.

Scope of a check: the inventory's Python files (``*.py``, ``*.pyw``, and extensionless scripts
whose first line is a ``python`` shebang), minus the check's ``exclude`` globs (default: tests,
migrations, vendored code; ``policies/profiles/default.yml``), and in diff mode
(``--changed-since``) only the changed files. A check with ``level: off`` adds nothing to the
scan.

A ``nosemgrep`` comment hides a finding only when the check's ``inline-suppressions`` is true;
otherwise the finding is reported with a note that the inline suppression was not honoured
(``docs/threats.md`` row 12: an author must not be able to silence their own PR).

Scanner failures make the check ``error`` with semgrep's problem and what to do
(:mod:`gate.scanners.semgrep`); files semgrep could not parse are listed as skipped.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Optional

from gate.cache import ResultCache
from gate.checks.interface import Check, CheckContext, option, parse_options, strings
from gate.config import Config
from gate.inventory import Inventory, InventoryError, match_globs
from gate.model import CheckResult, Finding, Level, SkippedPath, ToolInfo
from gate.resources import policy_file
from gate.scanners import semgrep
from gate.scanners.process import ToolError

CHECK_IDS = ("insecure-patterns", "error-handling")
"""The two checks served by the shared semgrep scan, in a fixed order."""

PYTHON_SUFFIXES = (".py", ".pyw")
"""File extensions semgrep parses as Python (our rules are Python-only)."""

SHEBANG_SNIFF_BYTES = 128
"""How much of an extensionless file is read to look for a ``#!...python`` line."""


@dataclass(frozen=True)
class PatternSettings:
    """``checks.insecure-patterns`` / ``checks.error-handling`` options (defaults:
    ``policies/profiles/default.yml``)."""

    inline_suppressions: bool = option("inline-suppressions", bool)
    """Honour ``nosemgrep`` comments."""
    timeout: float = option("timeout", float)
    """Seconds the shared scan may run (the larger of the two checks' values)."""
    exclude: tuple[str, ...] = option("exclude", strings)
    """Globs of files not scanned."""


@dataclass(frozen=True)
class ScanPlan:
    """Which files each check covers, and the one scan that serves both."""

    scopes: dict[str, frozenset[str]]
    """Check id -> repository-relative paths in its scope (only enabled checks)."""
    scan_paths: dict[str, str]
    """Path in a scope -> the path semgrep is given (an in-tree symlink's target)."""
    timeout: float
    """Seconds for the whole scan: the largest ``timeout`` of the enabled checks."""

    @property
    def targets(self) -> list[str]:
        """Sorted, de-duplicated files to hand to semgrep."""
        return sorted({self.scan_paths[p] for scope in self.scopes.values() for p in scope})


def python_files(inventory: Inventory) -> list[str]:
    """Paths of the inventory's Python source files (see module docstring), in path order."""
    out = []
    for entry in inventory.files:
        if entry.is_binary:
            continue
        if entry.suffix in PYTHON_SUFFIXES:
            out.append(entry.path)
        elif entry.suffix == "" and entry.size > 2:
            try:
                head = inventory.read_bytes(entry)[:SHEBANG_SNIFF_BYTES]
            except InventoryError:
                continue
            first = head.split(b"\n", 1)[0]
            if first.startswith(b"#!") and b"python" in first:
                out.append(entry.path)
    return out


def plan_scan(inventory: Inventory, config: Config, changed: Optional[frozenset[str]]) -> ScanPlan:
    """The scan both checks share, computed from the whole configuration (same for both)."""
    candidates = python_files(inventory)
    if changed is not None:
        candidates = [p for p in candidates if p in changed]
    scopes: dict[str, frozenset[str]] = {}
    timeouts: list[float] = []
    for cid in CHECK_IDS:
        settings = config.settings(cid)
        if settings.level is Level.OFF:
            continue
        parsed: PatternSettings = parse_options(PatternSettings, cid, settings.options)
        scopes[cid] = frozenset(p for p in candidates if not match_globs(p, parsed.exclude))
        timeouts.append(parsed.timeout)
    scan_paths = {}
    for scope in scopes.values():
        for p in scope:
            entry = inventory.get(p)
            scan_paths[p] = entry.target if entry is not None and entry.target else p
    return ScanPlan(scopes, scan_paths, max(timeouts, default=0.0))


def run_shared_scan(context: CheckContext, plan: ScanPlan) -> semgrep.SemgrepScan:
    """The run's one semgrep scan (computed by whichever check asks first)."""
    inventory = context.inventory
    # an in-tree symlink is scanned as its target; read it back through the listed name
    listed = {target: p for p, target in plan.scan_paths.items()}

    def read_text(path: str) -> Optional[str]:
        # through the inventory (never the filesystem directly)
        try:
            return inventory.read_text(listed.get(path, path))
        except InventoryError:
            return None

    def read_bytes(path: str) -> Optional[bytes]:
        try:
            return inventory.read_bytes(listed.get(path, path))
        except InventoryError:
            return None

    def do_scan() -> semgrep.SemgrepScan:
        cache = ResultCache(context.options.cache_dir) if context.options.cache_dir else None
        return semgrep.scan(inventory.root, plan.targets, config=policy_file("semgrep"),
                            timeout=plan.timeout, read_text=read_text, cache=cache, read_bytes=read_bytes)

    return context.shared.semgrep_scan.get(do_scan)


class _SemgrepCheck(Check[PatternSettings]):
    """Shared logic: plan, shared scan, keep this check's matches, honour the settings."""

    settings_type = PatternSettings
    waits_on_scanner = True
    diff_aware = True

    def run(self, context: CheckContext[PatternSettings]) -> CheckResult:
        """Scan (or reuse the run's scan) and judge this check's matches.

        Returns ``error`` when semgrep fails (with its problem and what to do), ``skipped`` when
        the check has no Python file in scope, else pass/fail on the findings.
        """
        plan = plan_scan(context.inventory, context.config, context.options.changed_paths)
        scope = plan.scopes.get(self.id)
        if scope is None:  # level: off (the runner normally does not even call us)
            return CheckResult.not_applicable("disabled in readiness.yml")
        if not scope:
            where = "changed " if context.options.changed_paths is not None else ""
            return CheckResult.not_applicable(
                f"no {where}Python files to scan (after exclude globs)")
        try:
            result = run_shared_scan(context, plan)
        except ToolError as exc:
            return CheckResult.errored(
                f"{exc} The {self.id} check could not run, so it does not pass.")
        honour = context.settings.inline_suppressions
        scanned_for = {plan.scan_paths[p]: p for p in scope}
        findings: list[Finding] = []
        hidden = 0
        for m in result.matches:
            if m.check != self.id or m.path not in scanned_for:
                continue
            if m.suppressed and honour:
                hidden += 1
                continue
            message = m.message
            if m.suppressed:
                message += (f" (Suppressed inline with nosemgrep: not honoured, because "
                            f"checks.{self.id}.inline-suppressions is false in readiness.yml.)")
            findings.append(Finding(rule=m.rule, message=message, path=m.path, line=m.line,
                                    severity=m.severity, fingerprint=m.fingerprint))
        skipped = _skips_for(self.id, result, set(scanned_for), semgrep.rule_checks(policy_file("semgrep")))
        evidence = [f"semgrep scanned {len(scope)} Python file{'s' if len(scope) != 1 else ''} "
                    f"with the {self.id} rules"
                    + (f" ({result.cached} of the scan's {len(result.targets)} files answered by the result cache)"
                       if result.cached else "")]
        if hidden:
            evidence.append(f"{hidden} finding{'s' if hidden != 1 else ''} suppressed inline (nosemgrep), "
                            f"allowed by checks.{self.id}.inline-suppressions")
        counts = Counter(f.rule for f in findings)
        detail = ", ".join(f"{rule} ×{n}" for rule, n in sorted(counts.items()))
        n = len(findings)
        return CheckResult.from_findings(
            findings,
            pass_summary=f"no {self.id} findings in {len(scope)} Python file{'s' if len(scope) != 1 else ''}",
            fail_summary=f"{n} finding{'s' if n != 1 else ''}: {detail}",
            skipped=skipped,
            tools=(ToolInfo(semgrep.TOOL, result.version),),
            evidence=tuple(evidence),
        )


def _skips_for(check_id: str, result: semgrep.SemgrepScan, paths: set[str],
               owners: dict[str, str]) -> tuple[SkippedPath, ...]:
    """This check's named skips: whole-file problems, and limits hit by this check's own rules
    (a rule of the other check timing out on a file does not make this check skip it)."""
    reasons: dict[str, list[str]] = {}
    rules: dict[tuple[str, str], list[str]] = {}
    for p in result.problems:
        if p.path not in paths:
            continue
        if p.rule is None:
            reasons.setdefault(p.path, []).append(p.reason)
        elif owners.get(p.rule, check_id) == check_id:  # an unknown rule counts for both
            rules.setdefault((p.path, p.reason), []).append(p.rule)
    for (path, reason), names in rules.items():
        reasons.setdefault(path, []).append(f"{reason} ({', '.join(sorted(names))}); not fully scanned")
    return tuple(SkippedPath(path, "; ".join(rs)) for path, rs in sorted(reasons.items()))


class InsecurePatternsCheck(_SemgrepCheck):
    """``insecure-patterns``: weak password hashing, TLS verification off, debug mode, SQL built
    from strings, secrets in logs, stack traces in responses, JWTs without expiry, default
    credentials (``policies/semgrep/*.yml`` with ``readiness-check: insecure-patterns``)."""

    id = "insecure-patterns"


class ErrorHandlingCheck(_SemgrepCheck):
    """``error-handling``: HTTP calls without timeout and swallowed exceptions
    (``policies/semgrep/*.yml`` with ``readiness-check: error-handling``)."""

    id = "error-handling"
