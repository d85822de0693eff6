"""Files a check needed but nobody could examine: blocking findings, not quiet skips.

A skip is honest (it is listed with its reason), but a skipped file's content is hidden from the
check: a key past the size cap, source behind a NUL byte, a Python file that does not decode, a
checked-out submodule. So a skip *blocks* (``docs/threats.md``, "Attacks on the verdict") when

* the change under review touched the file (diff mode: it is in ``changed_paths``), or
* the check needed it (a Python source in a pattern check's scope), or
* it is a checked-out submodule (another repository's files inside the tree), unless the
  configuration's ``exclude`` leaves it out — in a pull request that is the base branch's
  ``readiness.yml`` (a PR's own config change needs a lead's approval).

Each such file becomes one finding of rule :data:`RULE` with the reason; like any finding it can
be deferred by a lead (``deferrals:`` with its fingerprint). Other hidden files (a large data
file nobody changed, in a full scan) stay named, non-blocking skips: blocking on every large
file of every repository would be noise a reviewer does not agree with.

Which files count as hidden is the inventory's decision (:attr:`gate.inventory.Inventory.hidden`);
a check adds what its scanner could not read (``extra``).
"""

from __future__ import annotations

import hashlib
from typing import Callable, Mapping, Optional, Sequence

from gate.inventory import Inventory, display_name, match_globs
from gate.model import Finding, Severity

RULE = "unscanned-file"
"""Rule id of a finding for a file whose content the check could not examine."""

REMEDIATION = ("Make the file scannable (keep it under limits.max-file-size, store binary data in a known "
               "format, declare a Python file's real encoding), exclude it in the base branch's readiness.yml "
               "if it is not part of the service, or ask a lead to defer this finding with a reason.")


def fingerprint(path: str) -> str:
    """Stable fingerprint of the unscanned-file finding of ``path`` (sha256, 32 hex digits): a
    deferral of it stays valid while the file stays unscanned, whatever its size becomes."""
    return hashlib.sha256(f"{RULE}\0{path}".encode("utf-8", "surrogatepass")).hexdigest()[:32]


def _never(path: str) -> bool:
    return False


def unscanned_findings(inventory: Inventory, *, changed: Optional[frozenset[str]] = None,
                       needed: Callable[[str], bool] = _never, extra: Optional[Mapping[str, str]] = None,
                       submodules: bool = False, exclude: Sequence[str] = (),
                       what: str = "this check") -> list[Finding]:
    """Blocking findings for the hidden files (the inventory's, plus ``extra``) that block (see
    the module docstring), in path order.

    Args:
        inventory: the run's inventory (:attr:`~gate.inventory.Inventory.hidden`,
            :attr:`~gate.inventory.Inventory.submodules`).
        changed: the paths the change touched (``RunOptions.changed_paths``), None in a full scan
            or for a check that does not look at every changed file.
        needed: True for a path the check would have examined had it been readable.
        extra: path -> reason for files in the check's scope its scanner could not read.
        submodules: report checked-out submodules (one check of a run should: the one that
            examines every file, ``secrets``).
        exclude: the check's own ``exclude`` globs: a path they match is not the check's concern.
        what: the check's name for the message (``the secret scan``, ``the insecure-patterns rules``).
    """
    hidden = dict(inventory.hidden)
    hidden.update(extra or {})
    touched = {display_name(p) for p in changed} if changed is not None else set()
    out = []
    for path in sorted(hidden):
        reason = hidden[path]
        if exclude and match_globs(path, exclude):
            continue
        if submodules and path in inventory.submodules:
            why = "its files are part of the tree"
        elif path in touched:
            why = "the change touched it"
        elif needed(path):
            why = "it is in the check's scope"
        else:
            continue
        out.append(Finding(
            rule=RULE, path=path, severity=Severity.HIGH, fingerprint=fingerprint(path),
            message=f"Not examined ({reason}): {what} cannot pass over a file it could not read ({why}).",
            remediation=REMEDIATION))
    return out
