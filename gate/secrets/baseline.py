"""Reading a detect-secrets baseline (``.secrets.baseline``) to honour audited false positives.

The baseline format is detect-secrets' own (``detect-secrets scan > .secrets.baseline`` then
``detect-secrets audit .secrets.baseline``): a JSON object whose ``results`` maps file names to
lists of ``{"type", "filename", "hashed_secret", "line_number", "is_secret"?, ...}``.

Only entries audited as false positives (``"is_secret": false``) suppress a finding, matched on
(file name, hashed secret, type) — not on the line, so an audited value stays audited when lines
move. Entries never audited (no ``is_secret``) or audited as real (``true``) suppress nothing: a
secret does not become acceptable by being written into a baseline (README, "secrets").

The baseline's ``plugins_used`` / ``filters_used`` are ignored: the policy (readiness.yml), not
the repository under review, decides which detectors run.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

MAX_BASELINE_BYTES = 16 * 1024 * 1024
"""Baselines larger than this are refused (malformed); real ones are a few hundred KiB."""

_SHA1 = re.compile(r"[0-9a-f]{40}")


class BaselineError(ValueError):
    """The baseline is not a detect-secrets baseline; the message says what is wrong (no content)."""


@dataclass(frozen=True)
class Baseline:
    """The audited false positives of one baseline."""

    false_positives: frozenset[tuple[str, str, str]]
    """(file name, hashed secret, detect-secrets type name) audited ``is_secret: false``."""

    def is_false_positive(self, filename: str, hashed_secret: str, type_name: str) -> bool:
        """True when (filename, hashed_secret, type_name) was audited as not a secret."""
        return (filename, hashed_secret, type_name) in self.false_positives


def parse_baseline(text: str) -> Baseline:
    """Parse baseline JSON ``text``.

    Raises:
        BaselineError: not JSON, not an object, ``results`` missing or of the wrong shape, or an
            entry without a string ``type``/40-hex ``hashed_secret`` or with a non-boolean
            ``is_secret``. The message names the problem and never echoes file content.
    """
    if len(text) > MAX_BASELINE_BYTES:
        raise BaselineError(f"larger than {MAX_BASELINE_BYTES} bytes")
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:
        where = f" (line {exc.lineno})" if isinstance(exc, json.JSONDecodeError) else ""
        raise BaselineError(f"not valid JSON{where}") from None
    if not isinstance(data, dict):
        raise BaselineError("not a JSON object")
    results = data.get("results")
    if not isinstance(results, dict):
        raise BaselineError("no 'results' object")
    audited: set[tuple[str, str, str]] = set()
    for filename, entries in results.items():
        if not isinstance(entries, list):
            raise BaselineError("'results' values must be lists of secrets")
        for entry in entries:
            if not isinstance(entry, dict):
                raise BaselineError("a 'results' entry is not an object")
            type_name = entry.get("type")
            hashed = entry.get("hashed_secret")
            is_secret = entry.get("is_secret")
            if not isinstance(type_name, str) or not isinstance(hashed, str) or not _SHA1.fullmatch(hashed):
                raise BaselineError("a 'results' entry lacks a string 'type' or a SHA-1 'hashed_secret'")
            if is_secret is not None and not isinstance(is_secret, bool):
                raise BaselineError("'is_secret' must be true or false")
            if is_secret is False:
                audited.add((str(entry.get("filename", filename)), hashed, type_name))
    return Baseline(frozenset(audited))
