"""pip-audit adapter: audit exact ``name==version`` pins, never anything from the repository.

pip-audit is only ever handed a requirements file that this module writes itself, in a fresh
temporary directory outside the scanned repository, holding validated ``name==version`` lines
(names and versions normalised by :func:`gate.deps.interface.make_pin`), and run with
``--no-deps --disable-pip``: pip-audit then neither resolves nor installs anything, so no
``setup.py`` can run (``docs/threats.md`` row 6; pip-audit README, "--no-deps" and
"--disable-pip"). Hashes are not passed: they protect installs, and nothing is installed.

``--strict`` is *not* used: it turns the first skipped dependency into a fatal error without a
report. Strictness is enforced here instead: every dependency pip-audit reports with a
``skip_reason`` is returned as such, and the check makes it a finding.

Exit codes (pip-audit ``_cli.py``): 0 = no vulnerabilities; 1 = vulnerabilities found *or* a
fatal error (``_fatal``) *or* an uncaught exception (connection refused, HTTP 5xx from the
service). So exit 1 counts as "findings" only when stdout is a well-formed JSON report that lists
at least one vulnerability; anything else is a :class:`~gate.scanners.process.ToolError`
(``docs/threats.md`` row 11). The report must also list exactly the pins that were asked
about: a dependency silently dropped is an error, not a pass.

pip pins one version per name per install, and pip-audit rejects a requirements file naming a
package twice with different versions; pins are therefore split into batches with unique names
(usually one), one pip-audit run per batch.

OSV endpoint: pip-audit 2.10's ``--osv-url`` takes the full *query* URL (default
``https://api.osv.dev/v1/query``, ``pip_audit/_service/osv.py``); :func:`osv_query_url` builds
it from an OSV API base URL.

Result cache (:mod:`gate.cache`): with ``--no-deps`` each pin is audited on its own, so a pin's
verdict is a function of (pip-audit's version, the adapter, the advisory source, the pin). Entries
are kept per pin; only the pins without an entry are handed to pip-audit. Advisories appear
without any change in the repository, so a verdict from a vulnerability *service* (OSV's API, a
mirror, PyPI) expires after ``max_age_s`` (default :data:`DEFAULT_MAX_AGE_S`); a verdict from an
offline database (``--osv-db``) is keyed by the database's content digest and does not expire.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional, Sequence

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from gate import cache as result_cache
from gate.scanners.process import ToolError, installed_version, run_tool, tool_version

TOOL = "pip-audit"
DEFAULT_OSV_BASE = "https://api.osv.dev"
"""The public OSV API (https://google.github.io/osv.dev/api/)."""
SOCKET_TIMEOUT_S = 15
"""pip-audit's per-request socket timeout (its own default, matching pip's)."""
SERVICES = ("osv", "pypi")
DEFAULT_MAX_AGE_S = 24 * 3600.0
"""How long a cached verdict from a vulnerability service is believed (24 h): new advisories
are published every day, and a full scan a day apart should see them."""


@dataclass(frozen=True)
class Vulnerability:
    """One advisory pip-audit reported for a dependency."""

    id: str
    """Advisory id as the service returns it (``PYSEC-2018-28``, ``GHSA-...``)."""
    aliases: tuple[str, ...]
    """Other ids of the same advisory (``CVE-...``, ``GHSA-...``)."""
    fix_versions: tuple[str, ...]
    """Versions that fix it, ascending (may be empty)."""


@dataclass(frozen=True)
class AuditedDependency:
    """pip-audit's verdict on one pin."""

    name: str
    """PEP 503-normalised name."""
    version: str
    """The pinned version as asked (normalised)."""
    vulns: tuple[Vulnerability, ...] = ()
    skip_reason: Optional[str] = None
    """Set when pip-audit could not audit this dependency (e.g. not found on PyPI)."""


@dataclass(frozen=True)
class AuditResult:
    """Every pin's verdict, plus provenance."""

    dependencies: tuple[AuditedDependency, ...]
    version: str
    """pip-audit's ``--version`` line (``pip-audit 2.10.1``) or ``unknown``."""
    runs: int
    """How many pip-audit processes ran (batches)."""
    duration_s: float
    cached: int = 0
    """Pins answered by the result cache (not handed to pip-audit)."""


def osv_base_url(url: Optional[str]) -> str:
    """The OSV API base from a configured URL: ``https://host[/prefix]``.

    Accepts a base (``https://osv.internal``), a base ending in ``/v1``, or a full query URL
    (``.../v1/query``, what pip-audit's ``--osv-url`` takes). None gives the public OSV API.
    """
    if not url:
        return DEFAULT_OSV_BASE
    base = url.strip().rstrip("/")
    for suffix in ("/v1/query", "/v1/querybatch", "/v1"):
        if base.endswith(suffix):
            return base[: -len(suffix)]
    return base


def osv_query_url(base: str) -> str:
    """pip-audit's ``--osv-url`` value for OSV API ``base``."""
    return base.rstrip("/") + "/v1/query"


def batches(pins: Sequence[tuple[str, str]]) -> list[list[tuple[str, str]]]:
    """Split ``(name, version)`` pins into groups with unique names, preserving order."""
    out: list[list[tuple[str, str]]] = []
    names: list[set[str]] = []
    for pin in dict.fromkeys(pins):
        for group, seen in zip(out, names):
            if pin[0] not in seen:
                group.append(pin)
                seen.add(pin[0])
                break
        else:
            out.append([pin])
            names.append({pin[0]})
    return out


def audit_pins(pins: Sequence[tuple[str, str]], *, service: str = "osv", osv_base: Optional[str] = None,
               timeout: float = 600.0, cache: Optional[result_cache.ResultCache] = None,
               osv_db_digest: Optional[str] = None, max_age_s: float = DEFAULT_MAX_AGE_S) -> AuditResult:
    """Audit exact pins with pip-audit.

    Args:
        pins: ``(normalised name, normalised version)`` pairs, already validated.
        service: ``osv`` or ``pypi`` (pip-audit's ``--vulnerability-service``).
        osv_base: OSV API base URL (``osv`` service only); None for the public API.
        timeout: seconds for all pip-audit runs together.
        cache: the result cache, or None (see the module docstring).
        osv_db_digest: content digest of the offline OSV database ``osv_base`` serves
            (``--osv-db``), or None when ``osv_base`` is a service.
        max_age_s: seconds a cached verdict from a service is believed; 0 or less: none is.

    Raises:
        ToolError: pip-audit missing, failed, timed out, or its report is malformed or does not
            match the pins asked about.
        ValueError: an unknown service.
    """
    if service not in SERVICES:
        raise ValueError(f"unknown vulnerability service {service!r}")
    start = time.monotonic()
    deadline = start + timeout
    store = _PinStore(cache, service, osv_base, osv_db_digest, max_age_s) if cache is not None else None
    order = [pin for group in batches(pins) for pin in group]
    known = store.lookup(order) if store is not None else {}
    results: dict[tuple[str, str], AuditedDependency] = dict(known)
    groups = batches([pin for pin in order if pin not in known])
    for group in groups:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise ToolError(TOOL, f"timed out after {timeout:g} s and was stopped",
                            hint="Raise checks.dependencies.timeout in readiness.yml")
        fresh = _run_batch(group, service, osv_base, remaining, timeout)
        for pin, dep in zip(group, fresh):
            results[pin] = dep
        if store is not None:
            store.save(group, fresh)
    version = tool_version(TOOL) if order else "unknown"
    return AuditResult(tuple(results[pin] for pin in order), version, len(groups), time.monotonic() - start,
                       cached=len(known))


class _PinStore:
    """The result cache's part in one :func:`audit_pins`: one entry per pin."""

    def __init__(self, cache: result_cache.ResultCache, service: str, osv_base: Optional[str],
                 osv_db_digest: Optional[str], max_age_s: float) -> None:
        if service == "pypi":
            source, self.max_age = "pypi", max_age_s
        elif osv_db_digest:
            source, self.max_age = f"osv-db:{osv_db_digest}", None
        else:
            source, self.max_age = f"osv:{osv_base or DEFAULT_OSV_BASE}", max_age_s
        self.cache = cache
        self.enabled = cache.usable and (self.max_age is None or self.max_age > 0)
        self.version = tool_version(TOOL) if self.enabled else "unknown"
        self.enabled = self.enabled and self.version != "unknown"
        self.scope = cache.scope(TOOL, {"pip-audit": self.version, "source": source,
                                        "adapter": result_cache.source_digest(sys.modules[__name__],
                                                                              result_cache)})

    def lookup(self, pins: Sequence[tuple[str, str]]) -> dict[tuple[str, str], AuditedDependency]:
        if not self.enabled:
            return {}
        out = {}
        for name, version in pins:
            got = self.scope.get(self.scope.key("pin", name, version), _dependency_parser(name, version),
                                 max_age_s=self.max_age)
            if got is not None:
                out[(name, version)] = got
        return out

    def save(self, pins: Sequence[tuple[str, str]], deps: Sequence[AuditedDependency]) -> None:
        if not self.enabled:
            return
        for (name, version), dep in zip(pins, deps):
            self.scope.put(self.scope.key("pin", name, version), {
                "name": dep.name, "version": dep.version, "skip_reason": dep.skip_reason,
                "vulns": [{"id": v.id, "aliases": list(v.aliases), "fix_versions": list(v.fix_versions)}
                          for v in dep.vulns]})
        self.cache.settle()


def _dependency_parser(name: str, version: str) -> Any:
    def parse(value: Any) -> AuditedDependency:
        if (not isinstance(value, dict) or set(value) != {"name", "version", "skip_reason", "vulns"}
                or value["name"] != name or value["version"] != version
                or not (value["skip_reason"] is None or isinstance(value["skip_reason"], str))
                or not isinstance(value["vulns"], list)):
            raise ValueError("not this pin's verdict")
        vulns = []
        for v in value["vulns"]:
            if not isinstance(v, dict) or set(v) != {"id", "aliases", "fix_versions"}:
                raise ValueError("not a vulnerability")
            vuln = _vuln(v, name)
            if list(vuln.aliases) != v["aliases"]:
                raise ValueError("aliases not as stored")
            vulns.append(vuln)
        return AuditedDependency(name, version, tuple(vulns), value["skip_reason"])

    return parse


def pip_version_answer(tmp: str) -> dict[str, str]:
    """Environment that answers pip-audit's start-up question about pip without starting pip.

    pip-audit imports ``pip_api``, which runs ``<python> -m pip --version`` at import time
    (``pip_api/_version.py``; ~0.2 s of CPU, a quarter of pip-audit's start-up), with
    ``<python>`` taken from ``PIPAPI_PYTHON_LOCATION`` when set. With ``--disable-pip`` and a
    requirements file pip-audit needs nothing else from pip (it reads the version only to
    locate pip's cache, and ``--cache-dir`` is always given). When pip-audit is this
    environment's own console script, its pip is this environment's pip, so a two-line shell
    script in ``tmp`` that prints ``pip <that version> from ...`` gives pip_api the answer pip
    would. Returns ``{}`` (pip_api asks pip itself) when that cannot be known or the script
    cannot run (no ``/bin/sh``, a ``noexec`` temporary directory), or when the variable is
    already set.
    """
    if os.name != "posix" or os.environ.get("PIPAPI_PYTHON_LOCATION") or installed_version(TOOL) is None:
        return {}
    try:
        pip_version = importlib.metadata.version("pip")
    except importlib.metadata.PackageNotFoundError:
        return {}
    if not re.fullmatch(r"[0-9A-Za-z.+!-]+", pip_version):
        return {}
    stub = Path(tmp) / "pip-version"
    stub.write_text(f'#!/bin/sh\necho "pip {pip_version} from readiness-gate (pip_api answer)"\n', encoding="utf-8")
    stub.chmod(0o700)
    try:
        out = subprocess.run([str(stub), "-m", "pip", "--version"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return {}
    if out.returncode != 0 or out.stdout.split(" ")[1:2] != [pip_version]:
        return {}
    return {"PIPAPI_PYTHON_LOCATION": str(stub)}


def _run_batch(group: list[tuple[str, str]], service: str, osv_base: Optional[str],
               timeout: float, configured_timeout: float) -> list[AuditedDependency]:
    with tempfile.TemporaryDirectory(prefix="readiness-gate-pip-audit-") as tmp:
        req = Path(tmp) / "requirements.txt"
        req.write_text("".join(f"{n}=={v}\n" for n, v in group), encoding="utf-8")
        args = ["--requirement", str(req), "--no-deps", "--disable-pip",
                "--format", "json", "--output", "-", "--progress-spinner", "off",
                "--aliases", "on", "--desc", "off",
                "--cache-dir", str(Path(tmp) / "cache"), "--timeout", str(SOCKET_TIMEOUT_S),
                "--vulnerability-service", service]
        if service == "osv":
            args += ["--osv-url", osv_query_url(osv_base or DEFAULT_OSV_BASE)]
        where = osv_query_url(osv_base or DEFAULT_OSV_BASE) if service == "osv" else "PyPI's JSON API"
        hint = (f"pip-audit could not complete the audit against {where}. If this runner has no network "
                "access, point checks.dependencies.osv-url (or --osv-url / READINESS_GATE_OSV_URL) at an OSV "
                "mirror and use vulnerability-service: osv, or pass --osv-db with an offline OSV export "
                "(OSV's PyPI all.zip)")
        # Run in the temporary directory: pip-audit never sees the repository at all.
        try:
            run = run_tool(TOOL, args, timeout=timeout, ok_codes=(0, 1), cwd=tmp,
                           env={"PIP_AUDIT_PROGRESS_SPINNER": "off", "PIP_NO_INPUT": "1", **pip_version_answer(tmp)})
        except ToolError as exc:
            if exc.returncode is None and "timed out" not in exc.problem:
                raise  # missing or could not start: run_tool's message says how to install it
            # Exit 2 is an argparse usage error (an incompatible pip-audit); a signal is a crash.
            why = hint if exc.returncode in (None, 1) else (
                "Check that pip-audit >= 2.7 is installed in the same environment as readiness-gate")
            problem = exc.problem
            if exc.returncode is None:  # timed out: report the configured budget, not what was left
                problem = f"timed out after {configured_timeout:g} s (checks.dependencies.timeout) and was stopped"
                why = hint.replace("If this runner", "Raise the timeout if the service is slow; if this runner")
            raise ToolError(TOOL, problem, hint=why, argv=exc.argv, returncode=exc.returncode,
                            stderr=last_line(exc.stderr_tail)) from None
        try:
            deps = parse_report(run.stdout, group)
        except ValueError as exc:
            problem = (f"exited with status {run.returncode} without a usable report ({exc})"
                       if run.returncode else f"printed a malformed report ({exc})")
            raise ToolError(TOOL, problem, hint=hint if run.returncode else "Check the pip-audit installation",
                            argv=run.argv, returncode=run.returncode, stderr=last_line(run.stderr)) from None
        found = sum(len(d.vulns) for d in deps)
        if run.returncode == 1 and found == 0:
            raise ToolError(TOOL, "exited with status 1 but reported no vulnerability", hint=hint,
                            argv=run.argv, returncode=1, stderr=last_line(run.stderr))
        if run.returncode == 0 and found:
            raise ToolError(TOOL, "exited with status 0 but reported vulnerabilities (inconsistent output)",
                            argv=run.argv, returncode=0, stderr=run.stderr)
        return deps


def last_line(stderr: str) -> str:
    """The part of pip-audit's stderr worth showing: its last non-empty line.

    That is the exception of a traceback (``requests.exceptions.ConnectionError: ...``) or
    pip-audit's own ``ERROR:pip_audit._cli:...`` line; the rest is call stack noise.
    """
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
    if len(lines) <= 1:
        # Already flattened (ToolError.stderr_tail): keep the text after the last "File ..." frame.
        flat = lines[0] if lines else ""
        marker = flat.rfind("^ ")
        return flat[marker + 2:] if marker >= 0 else flat
    return lines[-1]


def parse_report(stdout: str, asked: Sequence[tuple[str, str]]) -> list[AuditedDependency]:
    """Validate pip-audit's JSON report (``--format json``) against the pins ``asked``.

    Shape (pip-audit ``_format/json.py``)::

        {"dependencies": [{"name": str, "version": str, "vulns": [{"id": str, "fix_versions": [str],
                           "aliases": [str], "description"?: str}]}
                          | {"name": str, "skip_reason": str}],
         "fixes": [...]}

    Raises:
        ValueError: not JSON, wrong shape, or dependencies that differ from ``asked``.
    """
    text = stdout.strip()
    if not text:
        raise ValueError("empty output")
    try:
        data = json.loads(text)
    except ValueError:
        raise ValueError("output is not JSON") from None
    if not isinstance(data, dict) or not isinstance(data.get("dependencies"), list):
        raise ValueError("no 'dependencies' list")
    if not isinstance(data.get("fixes", []), list):
        raise ValueError("'fixes' is not a list")
    wanted = {(n, _vkey(v)): (n, v) for n, v in asked}
    wanted_names = {n: v for n, v in asked}
    out: dict[tuple[str, Any], AuditedDependency] = {}
    for item in data["dependencies"]:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            raise ValueError("a dependency without a name")
        name = canonicalize_name(item["name"])
        if "skip_reason" in item:
            reason = item["skip_reason"]
            if not isinstance(reason, str) or name not in wanted_names:
                raise ValueError(f"unexpected skipped dependency {name!r}")
            version = wanted_names[name]
            out[(name, _vkey(version))] = AuditedDependency(name, version, (), reason)
            continue
        version_raw, vulns = item.get("version"), item.get("vulns")
        if not isinstance(version_raw, str) or not isinstance(vulns, list):
            raise ValueError(f"dependency {name!r} lacks 'version' or 'vulns'")
        key = (name, _vkey(version_raw))
        if key not in wanted:
            raise ValueError(f"reported {name}=={version_raw}, which was not asked about")
        out[key] = AuditedDependency(name, wanted[key][1], tuple(_vuln(v, name) for v in vulns))
    missing = [f"{n}=={v}" for (n, k), (_, v) in wanted.items() if (n, k) not in out]
    if missing:
        raise ValueError(f"no result for {', '.join(sorted(missing)[:5])}")
    return [out[(n, _vkey(v))] for n, v in asked]


def _vuln(v: Any, name: str) -> Vulnerability:
    if not isinstance(v, dict) or not isinstance(v.get("id"), str) or not v["id"]:
        raise ValueError(f"a vulnerability of {name!r} has no id")
    fixes, aliases = v.get("fix_versions", []), v.get("aliases", [])
    if not isinstance(fixes, list) or not all(isinstance(f, str) for f in fixes):
        raise ValueError(f"{v['id']}: 'fix_versions' is not a list of strings")
    if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
        raise ValueError(f"{v['id']}: 'aliases' is not a list of strings")
    # Sorted: pip-audit's alias order varies between runs, and reports must be deterministic.
    return Vulnerability(v["id"], tuple(sorted(set(aliases))), tuple(fixes))


def _vkey(version: str) -> Any:
    try:
        return Version(version)
    except InvalidVersion:
        return version
