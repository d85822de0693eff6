"""Redaction of secret-looking text before it can reach any output.

Findings never carry secret values by construction (checks report type, path, line and a
fingerprint). This module is the second line of defence for free text that comes from outside
(a scanner's stderr, an exception message, a file name): anything shaped like a credential is
replaced by ``[REDACTED]`` before it is logged or rendered (promise 3, ``docs/threats.md``
row 5).

The patterns are token *shapes* (documented prefixes), plus long high-entropy runs; they are
deliberately broad: a redacted non-secret costs a little readability, a leaked secret costs a
rotation.
"""

from __future__ import annotations

import re

REDACTED = "[REDACTED]"

_PATTERNS: tuple[re.Pattern[str], ...] = tuple(
    re.compile(p)
    for p in (
        # PEM private key blocks (whole block when present, else the header line onwards).
        r"-----BEGIN[A-Z ]*PRIVATE KEY-----(?:.|\n){0,8000}?(?:-----END[A-Z ]*PRIVATE KEY-----|$)",
        # Cloud and SaaS token shapes (prefix + body).
        r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z0-9]{16}\b",
        r"\bgh[pousr]_[A-Za-z0-9]{20,255}\b",
        r"\bgithub_pat_[A-Za-z0-9_]{20,255}\b",
        r"\bsk-(?:proj-|ant-|svcacct-|admin-)?[A-Za-z0-9_\-]{16,}\b",
        r"\bxox[abposr]-[A-Za-z0-9\-]{8,}\b",
        r"\b[rs]k_(?:live|test)_[A-Za-z0-9]{16,}\b",
        r"\bAIza[0-9A-Za-z_\-]{35}\b",
        r"\beyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}",
        r"\bglpat-[A-Za-z0-9_\-]{20,}\b",
        # GitLab token family, Slack app-level and rotation tokens (gate/secrets/plugins.py).
        r"\b(?:gldt|glft|glsoat|glrt|glcbt|glimt|glptt|glagent|gloas)-[A-Za-z0-9_\-]{20,}",
        r"\bxapp-\d-[A-Za-z0-9\-]{20,}",
        r"\bxoxe(?:\.xox[bp])?-\d-[A-Za-z0-9]{20,}",
        r"\bnpm_[A-Za-z0-9]{36}\b",
        r"\bSG\.[A-Za-z0-9_\-]{16,}\.[A-Za-z0-9_\-]{16,}\b",
        # user:password@ in URLs.
        r"(?P<keep>://)[^/\s:@]{1,256}:[^/\s@]{1,256}(?=@)",
        # key = value assignments of secret-named keys.
        r"(?i)(?P<keep>(?:password|passwd|pwd|secret|token|api_key|apikey|access_key|private_key)"
        r"[\"']?\s{0,3}[:=]\s{0,3}[\"']?)[^\s\"',;]{4,}",
        # Long unbroken base64/hex runs (likely keys); 32+ chars with letters and digits.
        # Base64 runs with "/" or "+" (AWS secret access keys are 40 of these): upper, lower and a
        # digit all present, 40+ long, so ordinary paths ("-", ".", "_" break them) do not match.
        r"(?<![A-Za-z0-9+/])(?=[A-Za-z0-9+/]*[0-9])(?=[A-Za-z0-9+/]*[a-z])(?=[A-Za-z0-9+/]*[A-Z])"
        r"[A-Za-z0-9+/]{40,}={0,2}",
        # "/" is left out so file paths (site-packages/…/sessions.py) stay readable; a key with
        # "/" in it still has its long runs masked.
        r"\b(?=[A-Za-z0-9+_\-]*\d)(?=[A-Za-z0-9+_\-]*[A-Za-z])[A-Za-z0-9+_\-]{32,}={0,2}",
    )
)


def _replace(match: "re.Match[str]") -> str:
    keep = match.groupdict().get("keep")
    return (keep or "") + REDACTED


def redact(text: str) -> str:
    """Return ``text`` with every credential-shaped substring replaced by ``[REDACTED]``.

    Linear-time in practice: every pattern is anchored on a literal prefix or bounded.
    """
    if not text:
        return text
    for pat in _PATTERNS:
        text = pat.sub(_replace, text)
    return text
