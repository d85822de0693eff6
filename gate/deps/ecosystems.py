"""Dependency manifests of ecosystems the gate does not audit (yet): found, so they are never silently green.

The ``dependencies`` check audits Python (PyPI) pins with pip-audit. A repository whose
dependencies live in ``package-lock.json`` or ``go.mod`` used to get ``dependencies: skipped``
and a green security gate. Each directory holding one of :data:`MANIFESTS` now gives one
:class:`ForeignManifest` (all of that ecosystem's files in that directory, and the tool that
would audit them), which the check reports as an ``unaudited-ecosystem`` finding when the
ecosystem is among ``checks.dependencies.ecosystems`` (the ecosystems this gate is responsible
for), and as a named skip otherwise. Ecosystem names are OSV's (OSV schema, "Affected
package", ``ecosystem``), lower-cased: auditing these through OSV is the next step.

Only the inventory is read (file names; never contents, never the filesystem).
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from typing import Mapping, Sequence

from gate.inventory import Inventory, match_globs

UNAUDITED_ECOSYSTEM = "unaudited-ecosystem"
"""Rule id: manifests of an ecosystem this gate is responsible for but cannot audit (its words:
``policies/checks/dependencies.yml``)."""

ECOSYSTEMS: Mapping[str, str] = {
    "pypi": "PyPI",
    "npm": "npm",
    "go": "Go",
    "crates.io": "crates.io",
    "rubygems": "RubyGems",
    "packagist": "Packagist",
    "maven": "Maven",
}
"""Configuration name (``checks.dependencies.ecosystems``) -> OSV ecosystem name."""

MANIFESTS: Mapping[str, tuple[str, str]] = {
    "package-lock.json": ("npm", "npm audit (or osv-scanner)"),
    "npm-shrinkwrap.json": ("npm", "npm audit (or osv-scanner)"),
    "yarn.lock": ("npm", "yarn npm audit / yarn audit (or osv-scanner)"),
    "pnpm-lock.yaml": ("npm", "pnpm audit (or osv-scanner)"),
    "go.mod": ("go", "govulncheck (or osv-scanner)"),
    "go.sum": ("go", "govulncheck (or osv-scanner)"),
    "Cargo.lock": ("crates.io", "cargo audit (or osv-scanner)"),
    "Gemfile.lock": ("rubygems", "bundler-audit (or osv-scanner)"),
    "composer.lock": ("packagist", "composer audit (or osv-scanner)"),
    "pom.xml": ("maven", "OWASP dependency-check (or osv-scanner)"),
    "build.gradle": ("maven", "OWASP dependency-check (or osv-scanner)"),
    "build.gradle.kts": ("maven", "OWASP dependency-check (or osv-scanner)"),
    "gradle.lockfile": ("maven", "OWASP dependency-check (or osv-scanner)"),
}
"""File name -> (ecosystem, the tool that would audit it). Lockfiles and the manifests the
ecosystem's own audit tool reads; ``package.json`` alone is left out (many Python repositories
carry one for formatting tools, with nothing deployed from it)."""

ALWAYS_EXCLUDED = ("node_modules",)
"""Directory names whose manifests belong to installed dependencies, not to the repository."""


@dataclass(frozen=True)
class ForeignManifest:
    """The manifests of one ecosystem in one directory."""

    ecosystem: str
    """Configuration name (a key of :data:`ECOSYSTEMS`)."""
    directory: str
    """Repository-relative directory (``""`` for the root)."""
    files: tuple[str, ...]
    """Repository-relative paths, sorted."""
    tool: str
    """What would audit them."""

    @property
    def title(self) -> str:
        """OSV's name of the ecosystem (``Go``, ``crates.io``)."""
        return ECOSYSTEMS[self.ecosystem]


def find_foreign_manifests(inventory: Inventory, exclude: Sequence[str] = ()) -> list[ForeignManifest]:
    """Every directory's manifests of ecosystems other than PyPI, sorted by directory then ecosystem.

    ``exclude``: globs of dependency files left out (``checks.dependencies.exclude``, matched as
    :func:`gate.inventory.match_globs` does). Files the inventory skipped count too (a 5 MB
    ``package-lock.json`` over the size cap is still a manifest nobody audited), except those the
    configuration excluded. Manifests under ``node_modules/`` are installed packages' own, not
    the repository's, and are left out.
    """
    found: dict[tuple[str, str], list[str]] = {}
    tools: dict[tuple[str, str], str] = {}
    paths = [e.path for e in inventory.files]
    paths += [s.path for s in inventory.skipped if s.reason != "excluded by configuration"]
    for path in paths:
        name = posixpath.basename(path)
        if name not in MANIFESTS or (exclude and match_globs(path, exclude)):
            continue
        if any(part in ALWAYS_EXCLUDED for part in path.split("/")[:-1]):
            continue
        ecosystem, tool = MANIFESTS[name]
        key = (posixpath.dirname(path), ecosystem)
        found.setdefault(key, []).append(path)
        tools[key] = tool
    return [ForeignManifest(eco, d, tuple(sorted(paths)), tools[(d, eco)])
            for (d, eco), paths in sorted(found.items())]


__all__ = ["ECOSYSTEMS", "MANIFESTS", "UNAUDITED_ECOSYSTEM", "ForeignManifest", "find_foreign_manifests"]
