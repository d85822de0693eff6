"""Advisory severity: fetch OSV records (``GET /v1/vulns/{id}``) and rate them.

pip-audit's JSON report carries no severity, so the ``dependencies`` check asks the same OSV API
it audits against for each advisory's record and rates it from, in order:

1. ``severity[]`` CVSS vectors: ``CVSS_V3`` (3.0 and 3.1 base score, FIRST "CVSS v3.1
   Specification", section 7 and Appendix A ``Roundup``) and ``CVSS_V2`` (FIRST "CVSS v2
   Complete Guide", section 3.2.1); ``CVSS_V4`` vectors are not scored here (their scoring needs
   the specification's macro-vector tables) and fall through to the next source;
2. ``database_specific.severity`` of the record, then of each ``affected[]`` entry (and its
   ``ecosystem_specific.severity``): GitHub's ``LOW``/``MODERATE``/``HIGH``/``CRITICAL``.

When the record has none (many PYSEC records), its GHSA alias (then other aliases, at most
:data:`MAX_ALIAS_LOOKUPS`) is tried. Scores map to ratings as the CVSS specification's
qualitative scale says (v3: 0.1-3.9 low, 4.0-6.9 medium, 7.0-8.9 high, 9.0-10.0 critical; v2
per NVD: below 4 low, below 7 medium, else high). No severity found, or a lookup that fails, is
:attr:`Severity.UNKNOWN`, which ranks as critical: never silently below a threshold.
"""

from __future__ import annotations

import json
import math
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Optional

from gate.model import Severity
from gate.redact import redact

MAX_RECORD_BYTES = 5 * 1024 * 1024
"""Largest OSV record read (real records are a few KiB; a hostile mirror could stream forever)."""
MAX_ALIAS_LOOKUPS = 2
"""Aliases tried when an advisory's own record carries no severity."""
REQUEST_TIMEOUT_S = 15.0
"""Per-request socket timeout (pip-audit's and pip's default)."""
WORKERS = 4
"""Concurrent lookups: enough to hide latency, few enough to be polite to a mirror."""


class AdvisoryLookupError(Exception):
    """An OSV record could not be fetched or was not a record; ``str()`` is safe to show."""


@dataclass(frozen=True)
class Rating:
    """An advisory's severity and where it came from."""

    severity: Severity
    source: str
    """``CVSS 3.1 8.1 from PYSEC-2023-192``, ``stated severity MODERATE in GHSA-...``, or why unknown."""


_V3 = {
    "AV": {"N": 0.85, "A": 0.62, "L": 0.55, "P": 0.2},
    "AC": {"L": 0.77, "H": 0.44},
    "UI": {"N": 0.85, "R": 0.62},
    "C": {"H": 0.56, "L": 0.22, "N": 0.0},
}
_V3_PR = {"U": {"N": 0.85, "L": 0.62, "H": 0.27}, "C": {"N": 0.85, "L": 0.68, "H": 0.5}}
_V2 = {
    "AV": {"L": 0.395, "A": 0.646, "N": 1.0},
    "AC": {"H": 0.35, "M": 0.61, "L": 0.71},
    "Au": {"M": 0.45, "S": 0.56, "N": 0.704},
    "C": {"N": 0.0, "P": 0.275, "C": 0.660},
}
_TEXT = {"LOW": Severity.LOW, "MODERATE": Severity.MEDIUM, "MEDIUM": Severity.MEDIUM,
         "HIGH": Severity.HIGH, "CRITICAL": Severity.CRITICAL}


def _metrics(vector: str) -> dict[str, str]:
    parts = [p.split(":", 1) for p in vector.strip().split("/") if ":" in p]
    return {k: v for k, v in parts}


def _roundup(x: float) -> float:
    """CVSS v3.1 Appendix A ``Roundup``: smallest one-decimal number >= x, float-safe."""
    i = round(x * 100000)
    return i / 100000.0 if i % 10000 == 0 else (math.floor(i / 10000) + 1) / 10.0


def cvss3_score(vector: str) -> float:
    """Base score of a CVSS 3.0/3.1 vector (``CVSS:3.1/AV:N/AC:L/...``).

    Raises:
        ValueError: not a complete v3 base vector.
    """
    m = _metrics(vector)
    if not vector.startswith("CVSS:3."):
        raise ValueError("not a CVSS v3 vector")
    try:
        scope = m["S"]
        iss = 1 - (1 - _V3["C"][m["C"]]) * (1 - _V3["C"][m["I"]]) * (1 - _V3["C"][m["A"]])
        expl = 8.22 * _V3["AV"][m["AV"]] * _V3["AC"][m["AC"]] * _V3_PR[scope][m["PR"]] * _V3["UI"][m["UI"]]
    except KeyError:
        raise ValueError("incomplete CVSS v3 base vector") from None
    if scope == "U":
        impact = 6.42 * iss
    else:
        impact = 7.52 * (iss - 0.029) - 3.25 * (iss - 0.02) ** 15
    if impact <= 0:
        return 0.0
    total = impact + expl if scope == "U" else 1.08 * (impact + expl)
    return _roundup(min(total, 10.0))


def cvss2_score(vector: str) -> float:
    """Base score of a CVSS v2 vector (``AV:N/AC:L/Au:N/C:P/I:P/A:P``).

    Raises:
        ValueError: not a complete v2 base vector.
    """
    m = _metrics(vector.removeprefix("(").removesuffix(")"))
    try:
        impact = 10.41 * (1 - (1 - _V2["C"][m["C"]]) * (1 - _V2["C"][m["I"]]) * (1 - _V2["C"][m["A"]]))
        expl = 20 * _V2["AV"][m["AV"]] * _V2["AC"][m["AC"]] * _V2["Au"][m["Au"]]
    except KeyError:
        raise ValueError("incomplete CVSS v2 base vector") from None
    f = 0.0 if impact == 0 else 1.176
    return round(((0.6 * impact) + (0.4 * expl) - 1.5) * f, 1)


def rating_from_score(score: float, *, v2: bool = False) -> Severity:
    """Qualitative rating of a CVSS base score (see module docstring for the scales)."""
    if v2:
        return Severity.LOW if score < 4.0 else Severity.MEDIUM if score < 7.0 else Severity.HIGH
    if score == 0:
        return Severity.INFO
    if score < 4.0:
        return Severity.LOW
    if score < 7.0:
        return Severity.MEDIUM
    if score < 9.0:
        return Severity.HIGH
    return Severity.CRITICAL


def rate_record(record: Mapping[str, Any]) -> Optional[Rating]:
    """The severity an OSV record states, or None when it states none we can read.

    Several scores: the highest counts (a conservative reading).
    """
    rid = str(record.get("id", "?"))
    found: list[Rating] = []
    for entry in record.get("severity") or ():
        if not isinstance(entry, dict) or not isinstance(entry.get("score"), str):
            continue
        kind, vector = entry.get("type"), entry["score"]
        try:
            if kind == "CVSS_V3":
                score = cvss3_score(vector)
                found.append(Rating(rating_from_score(score), f"CVSS {vector[5:8]} {score:.1f} from {rid}"))
            elif kind == "CVSS_V2":
                score = cvss2_score(vector)
                found.append(Rating(rating_from_score(score, v2=True), f"CVSS 2.0 {score:.1f} from {rid}"))
        except ValueError:
            continue
    if found:
        return max(found, key=lambda r: r.severity.rank)
    texts: list[Any] = [(record.get("database_specific") or {}).get("severity")]
    for affected in record.get("affected") or ():
        if isinstance(affected, dict):
            for key in ("database_specific", "ecosystem_specific"):
                section = affected.get(key)
                if isinstance(section, dict):
                    texts.append(section.get("severity"))
    ratings = [Rating(_TEXT[t.upper()], f"stated severity {t.upper()} in {rid}") for t in texts
               if isinstance(t, str) and t.upper() in _TEXT]
    return max(ratings, key=lambda r: r.severity.rank) if ratings else None


def fetch_record(base: str, advisory_id: str, timeout: float = REQUEST_TIMEOUT_S) -> dict[str, Any]:
    """``GET {base}/v1/vulns/{id}``: the OSV record.

    Raises:
        AdvisoryLookupError: HTTP error, network error, timeout, oversize or non-record body.
    """
    url = f"{base.rstrip('/')}/v1/vulns/{urllib.parse.quote(advisory_id, safe='')}"
    request = urllib.request.Request(url, headers={"Accept": "application/json",
                                                   "User-Agent": "readiness-gate"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - http(s) URL we built
            body = response.read(MAX_RECORD_BYTES + 1)
    except urllib.error.HTTPError as exc:
        raise AdvisoryLookupError(f"HTTP {exc.code}") from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise AdvisoryLookupError(redact(f"{reason.__class__.__name__}: {reason}")[:200]) from None
    if len(body) > MAX_RECORD_BYTES:
        raise AdvisoryLookupError("record larger than 5 MiB")
    try:
        data = json.loads(body)
    except ValueError:
        raise AdvisoryLookupError("answer is not JSON") from None
    if not isinstance(data, dict) or data.get("id") not in (advisory_id, *(data.get("aliases") or ())):
        raise AdvisoryLookupError("answer is not the requested OSV record")
    return data


def rate_advisory(base: str, advisory_id: str, aliases: Iterable[str] = (),
                  timeout: float = REQUEST_TIMEOUT_S) -> Rating:
    """The rating of ``advisory_id`` from OSV at ``base``, trying aliases when needed.

    Never raises: a failed lookup gives :attr:`Severity.UNKNOWN` with the reason.
    """
    try:
        rating = rate_record(fetch_record(base, advisory_id, timeout))
    except AdvisoryLookupError as exc:
        return Rating(Severity.UNKNOWN, f"severity unknown: OSV lookup of {advisory_id} failed ({exc})")
    if rating is not None:
        return rating
    # GitHub advisories carry severities most often; try them first.
    ordered = sorted(set(aliases) - {advisory_id}, key=lambda a: (not a.startswith("GHSA-"), a))
    for alias in ordered[:MAX_ALIAS_LOOKUPS]:
        try:
            rating = rate_record(fetch_record(base, alias, timeout))
        except AdvisoryLookupError:
            continue
        if rating is not None:
            return rating
    return Rating(Severity.UNKNOWN, f"severity unknown: no CVSS v2/v3 score or severity in the OSV record of "
                  f"{advisory_id} or its aliases")


def rate_advisories(base: str, advisories: Mapping[str, Iterable[str]], *, deadline: Optional[float] = None,
                    ) -> dict[str, Rating]:
    """Rate every advisory id (-> its aliases) concurrently; ids past ``deadline`` are unknown.

    Args:
        base: OSV API base URL.
        advisories: advisory id -> aliases.
        deadline: ``time.monotonic()`` value after which no new lookup starts.
    """

    def one(item: tuple[str, Iterable[str]]) -> tuple[str, Rating]:
        aid, aliases = item
        left = REQUEST_TIMEOUT_S if deadline is None else min(REQUEST_TIMEOUT_S, deadline - time.monotonic())
        if left <= 0:
            return aid, Rating(Severity.UNKNOWN, "severity unknown: the check's time ran out before the lookup")
        return aid, rate_advisory(base, aid, tuple(aliases), timeout=left)

    if not advisories:
        return {}
    with ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="osv-lookup") as pool:
        return dict(pool.map(one, advisories.items()))
