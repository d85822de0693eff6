"""Repository policy files: ``security-policy`` (SECURITY.md) and ``dependency-updates``
(Dependabot / Renovate configuration). Both read only the inventory."""

from __future__ import annotations

import re
from dataclasses import dataclass

from gate.checks.interface import Check, CheckContext, NoSettings, option, strings
from gate.inventory import InventoryError
from gate.model import CheckResult, Finding, Severity

@dataclass(frozen=True)
class SecurityPolicySettings:
    """``checks.security-policy`` options (defaults: ``policies/profiles/default.yml``)."""

    paths: tuple[str, ...] = option("paths", strings)
    """Files accepted as the security policy, first found wins. The profile's: where GitHub
    looks for one (root, ``.github/``, ``docs/``; GitHub docs, "Adding a security policy to your
    repository")."""

_REPORTING_ROUTE = re.compile(
    r"[\w.+-]+@[\w-]+\.[\w.-]+"                                    # an e-mail address
    r"|https?://\S+"                                             # a form or page
    r"|security/advisories|private vulnerability report|report a vulnerability"
    r"|security advisor(?:y|ies)",
    re.IGNORECASE)
"""What counts as a reporting route: an address, a link, or GitHub private vulnerability
reporting."""

DEPENDABOT_PATHS = (".github/dependabot.yml", ".github/dependabot.yaml")
RENOVATE_PATHS = ("renovate.json", "renovate.json5", ".github/renovate.json", ".github/renovate.json5",
                  ".gitlab/renovate.json", ".gitlab/renovate.json5", ".renovaterc", ".renovaterc.json",
                  ".renovaterc.json5")
"""Renovate's documented configuration file names (docs.renovatebot.com, "Configuration options")."""


class SecurityPolicyCheck(Check[SecurityPolicySettings]):
    """``security-policy``: SECURITY.md present with a reporting route."""

    id = "security-policy"
    settings_type = SecurityPolicySettings

    def run(self, context: CheckContext[SecurityPolicySettings]) -> CheckResult:
        inv = context.inventory
        paths = context.settings.paths
        present = [p for p in paths if inv.get(p) is not None and not inv.get(p).is_binary]  # type: ignore[union-attr]
        if not present:
            skipped = [p for p in paths if inv.was_skipped(p)]
            why = f" ({', '.join(skipped)} exists but was skipped: see skipped paths)" if skipped else ""
            return CheckResult.from_findings(
                [Finding("missing-security-policy", f"No security policy file{why}.",
                         severity=Severity.MEDIUM, remediation=self.remediation("missing-security-policy"))],
                pass_summary="", fail_summary="no SECURITY.md")
        path = present[0]
        try:
            text = inv.read_text(path)
        except InventoryError as exc:
            return CheckResult.errored(str(exc))
        if not text.strip():
            finding = Finding("empty-security-policy", f"{path} is empty.", path=path, line=1,
                              severity=Severity.MEDIUM, remediation=self.remediation("empty-security-policy"))
            return CheckResult.from_findings([finding], pass_summary="", fail_summary=f"{path} is empty")
        if not _REPORTING_ROUTE.search(text):
            finding = Finding("no-reporting-route", f"{path} does not say how to report a vulnerability.",
                              path=path, line=1, severity=Severity.LOW,
                              remediation=self.remediation("no-reporting-route"))
            return CheckResult.from_findings([finding], pass_summary="", fail_summary="no reporting route")
        return CheckResult.from_findings([], pass_summary=f"{path} gives a reporting route",
                                         evidence=(path,))


class DependencyUpdatesCheck(Check[NoSettings]):
    """``dependency-updates``: Dependabot or Renovate configured."""

    id = "dependency-updates"

    def run(self, context: CheckContext[NoSettings]) -> CheckResult:
        inv = context.inventory
        for path in DEPENDABOT_PATHS:
            entry = inv.get(path)
            if entry is None or entry.is_binary:
                continue
            text = inv.read_text(entry)
            if re.search(r"^\s*updates\s*:", text, re.MULTILINE) and "package-ecosystem" in text:
                return CheckResult.from_findings([], pass_summary=f"Dependabot configured ({path})",
                                                 evidence=(path,))
            return CheckResult.from_findings(
                [Finding("empty-dependabot-config", f"{path} has no `updates:` entry with a package-ecosystem.",
                         path=path, line=1, severity=Severity.LOW,
                         remediation=self.remediation("empty-dependabot-config"))],
                pass_summary="", fail_summary="Dependabot config has no updates")
        for path in RENOVATE_PATHS:
            entry = inv.get(path)
            if entry is not None and not entry.is_binary and inv.read_text(entry).strip():
                return CheckResult.from_findings([], pass_summary=f"Renovate configured ({path})", evidence=(path,))
        pkg = inv.get("package.json")
        if pkg is not None and not pkg.is_binary and re.search(r'"renovate"\s*:', inv.read_text(pkg)):
            return CheckResult.from_findings([], pass_summary="Renovate configured (package.json)",
                                             evidence=("package.json",))
        return CheckResult.from_findings(
            [Finding("no-dependency-updates", "Neither Dependabot nor Renovate is configured.",
                     severity=Severity.LOW, remediation=self.remediation("no-dependency-updates"))],
            pass_summary="", fail_summary="no Dependabot or Renovate configuration")
