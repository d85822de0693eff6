"""``secrets``: no credentials committed to the repository (detect-secrets).

Scans the inventory's text files (minus ``checks.secrets.exclude`` globs and the baseline file
itself; only the changed files in diff mode) with detect-secrets' own plugins and filters plus
readiness-gate's detectors for current token formats (:mod:`gate.secrets.plugins`).

* A finding carries the secret *type* id, path, line and detect-secrets' SHA-1 ``hashed_secret``
  as fingerprint; never the value (``docs/threats.md`` row 5).
* ``.secrets.baseline`` (``checks.secrets.baseline``): only entries audited as false positives
  (``is_secret: false``) suppress findings (:mod:`gate.secrets.baseline`).
* Inline ``pragma: allowlist secret`` comments are written by the author of the change, so by
  default they do not silence the gate (``docs/threats.md`` row 12): the finding is still
  reported, blocking, at severity low with the note "allowlisted inline".
  ``checks.secrets.inline-allowlist: true`` opts in to honouring them.
* Any scanner failure is ``error`` (:mod:`gate.secrets.engine`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Mapping, Optional, Sequence

from gate.checks.interface import Check, CheckContext, option, strings
from gate.inventory import FileEntry, Inventory, InventoryError, match_globs
from gate.model import CheckResult, Finding, Severity, SkippedPath, ToolInfo
from gate.scanners.process import ToolError
from gate.secrets import engine
from gate.secrets.baseline import Baseline, BaselineError, parse_baseline
from gate.secrets.types import secret_type

@dataclass(frozen=True)
class SecretsSettings:
    """``checks.secrets`` options (defaults: ``policies/profiles/default.yml``)."""

    baseline: str = option("baseline", str)
    """Path of the detect-secrets baseline."""
    inline_allowlist: bool = option("inline-allowlist", bool)
    """Honour ``pragma: allowlist secret`` comments."""
    timeout: float = option("timeout", float)
    """Seconds the scan may run."""
    exclude: tuple[str, ...] = option("exclude", strings, absent=())
    """Globs of files not scanned."""

REMEDIATION = ("Remove the secret from the file, rotate it at its issuer (it stays in git history), "
               "and load it from the environment or a secret manager. If it is not a secret, audit "
               "it as a false positive into .secrets.baseline with `detect-secrets audit`.")


def select_entries(inventory: Inventory, *, exclude: Sequence[str], baseline_path: str,
                   changed_paths: Optional[frozenset[str]]) -> list[FileEntry]:
    """The inventory's text files the check scans, in path order.

    Leaves out binaries, files matching ``exclude`` globs, the baseline file (it holds hashes
    that look like secrets; detect-secrets skips its own baseline the same way) and, when
    ``changed_paths`` is not None (diff mode), every file not in it.
    """
    out = []
    for entry in inventory.text_files():
        if entry.path == baseline_path:
            continue
        if changed_paths is not None and entry.path not in changed_paths:
            continue
        if exclude and match_globs(entry.path, exclude):
            continue
        out.append(entry)
    return out


def load_baseline(inventory: Inventory, path: str,
                  trusted: Optional[Mapping[str, Optional[str]]] = None,
                  ) -> tuple[Optional[Baseline], list[Finding], list[SkippedPath]]:
    """Read the baseline at ``path`` through the inventory.

    When ``trusted`` (:attr:`RunOptions.trusted_files`) holds ``path``, that text is the baseline
    instead of the repository's copy (None: no baseline), and the substitution is listed.

    Returns (baseline or None, findings, skipped). A missing baseline is normal (None, [], []).
    A baseline the inventory skipped (a symlink out of the tree, oversize, binary) is not used
    and is listed as skipped: every secret is then reported, which fails closed. A malformed
    baseline is an ``invalid-baseline`` finding (blocking: the audit record it should hold is
    unusable, so audited false positives would silently come back as findings and a reviewer
    could not tell why) and suppresses nothing.
    """
    if trusted is not None and path in trusted:
        note = [SkippedPath(path, "this change's version of the secrets baseline was not used: the base "
                                  "branch's applies until a lead approves the change")]
        text = trusted[path]
        if text is None:
            return None, [], note
        try:
            return parse_baseline(text), [], note
        except BaselineError:
            return None, [], note + [SkippedPath(path, "the base branch's secrets baseline is unusable; "
                                                       "no finding is suppressed")]
    entry = inventory.get(path)
    if entry is None:
        if inventory.was_skipped(path):
            return None, [], [SkippedPath(path, "secrets baseline not used: the inventory skipped it "
                                                "(see its own entry); no finding is suppressed")]
        return None, [], []
    try:
        text = inventory.read_text(entry)
        return parse_baseline(text), [], []
    except (InventoryError, BaselineError) as exc:
        problem = str(exc) if isinstance(exc, BaselineError) else "cannot be read"
        return None, [Finding(
            "invalid-baseline",
            f"The secrets baseline {path} is not a usable detect-secrets baseline ({problem}); "
            "no finding is suppressed by it.",
            path=path, severity=Severity.MEDIUM,
            remediation="Regenerate it with `detect-secrets scan > .secrets.baseline` and audit it "
                        "with `detect-secrets audit .secrets.baseline`.")], []


class _Lines:
    """Lines of scanned files, read once each, for the inline-allowlist test."""

    def __init__(self, inventory: Inventory) -> None:
        self._inventory = inventory
        self._cache: dict[str, list[str]] = {}

    def get(self, path: str) -> list[str]:
        if path not in self._cache:
            try:
                text = self._inventory.read_text(path)
            except InventoryError:
                text = ""
            # Universal newlines, as detect-secrets reads files (text mode).
            self._cache[path] = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        return self._cache[path]


def is_allowlisted_inline(lines: list[str], path: str, line_number: int) -> bool:
    """True when line ``line_number`` carries detect-secrets' inline allowlist pragma.

    Uses detect-secrets' own test (``pragma: allowlist secret`` on the line, or
    ``pragma: allowlist nextline secret`` on the line before, in the comment syntaxes it knows).
    """
    try:
        from detect_secrets.filters.allowlist import is_line_allowlisted
        from detect_secrets.util.code_snippet import get_code_snippet
    except ImportError:  # detect-secrets only available as an external executable
        return False  # then the finding is reported at full severity: fails closed
    if not 1 <= line_number <= len(lines):
        return False
    snippet = get_code_snippet(lines, line_number)
    return bool(is_line_allowlisted(path, lines[line_number - 1].rstrip(), snippet))


class SecretsCheck(Check[SecretsSettings]):
    """``secrets``: detect-secrets over the repository, fail closed, values never reported."""

    id = "secrets"
    settings_type = SecretsSettings
    waits_on_scanner = True
    diff_aware = True

    def run(self, context: CheckContext[SecretsSettings]) -> CheckResult:
        inventory = context.inventory
        baseline_path = context.settings.baseline
        inline_ok = context.settings.inline_allowlist
        timeout = context.settings.timeout
        exclude = context.settings.exclude
        entries = select_entries(inventory, exclude=exclude, baseline_path=baseline_path,
                                 changed_paths=context.options.changed_paths)
        baseline, findings, skipped = load_baseline(inventory, baseline_path, context.options.trusted_files)
        try:
            outcome = engine.scan(inventory, entries, timeout=timeout, jobs=context.options.jobs,
                                  cache_dir=context.options.cache_dir)
        except ToolError as exc:
            return CheckResult.errored(f"The secret scan could not run: {exc}", skipped=tuple(skipped))
        skipped.extend(outcome.skipped)
        lines = _Lines(inventory)
        audited = allowlisted = 0
        for s in outcome.secrets:
            if baseline is not None and baseline.is_false_positive(s.path, s.hashed_secret, s.type_name):
                audited += 1
                continue
            kind = secret_type(s.type_name)
            inline = is_allowlisted_inline(lines.get(s.path), s.path, s.line)
            if inline and inline_ok:
                allowlisted += 1
                continue
            if inline:
                message = (f"{s.type_name} (allowlisted inline: `pragma: allowlist secret` does not "
                           f"count unless checks.secrets.inline-allowlist is true).")
                severity = Severity.LOW
            else:
                message = f"{s.type_name} committed to the repository."
                severity = kind.severity
            findings.append(Finding(kind.id, message, path=s.path, line=s.line, severity=severity,
                                    fingerprint=s.hashed_secret, remediation=REMEDIATION))
        tools = (ToolInfo(engine.TOOL, outcome.version),)
        notes = [f"{outcome.scanned} file{'s' if outcome.scanned != 1 else ''} scanned"]
        st = outcome.stats
        if st.reduce:
            notes.append(f"prefilter: {st.whole + st.reduced} of {st.files - st.cached} files "
                         f"handed to detect-secrets ({st.lines_staged} of {st.lines_total} lines)")
        if st.cached:
            notes.append(f"{st.cached} file{'s' if st.cached != 1 else ''} from the scan cache")
        if audited:
            notes.append(f"{audited} audited false positive{'s' if audited != 1 else ''} in {baseline_path}")
        if allowlisted:
            notes.append(f"{allowlisted} allowlisted inline (checks.secrets.inline-allowlist: true)")
        scope = " changed" if context.options.changed_paths is not None else ""
        n = sum(1 for f in findings if f.blocking)
        return CheckResult.from_findings(
            findings,
            pass_summary=f"no secrets found in {outcome.scanned}{scope} file{'s' if outcome.scanned != 1 else ''}",
            fail_summary=f"{n} possible secret{'s' if n != 1 else ''} found",
            skipped=tuple(skipped), tools=tools, evidence=tuple(notes),
        )
