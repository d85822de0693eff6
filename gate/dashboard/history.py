"""The dashboard's history: one JSON line per service per run (``history.jsonl``).

Each dashboard run writes ``history.jsonl`` into its output: the lines it read from
``--history`` plus one line per service of this run. The next run reads it back, so the file is
the only state the fan-out workflow keeps (in a cache or a commit: ``docs/org-wide.md``).
A line follows ``policies/dashboard-history.schema.json``::

    {"v": 1, "key": "org/payments#payments-api", "service": "payments-api",
     "repository": "org/payments", "commit": "0123…", "generated_at": "2026-11-21T12:00:00+00:00",
     "ready": false, "score": 83, "gates": {"security": "pass", "on-call": "fail"}}

The file comes back from a cache any workflow of the repository can write, so it is read like
any other untrusted input: bounded (:data:`MAX_HISTORY_BYTES`, :data:`MAX_LINE_BYTES`), every
line validated, and a bad line skipped and counted in a warning rather than trusted or fatal.
History only draws the chart; it never changes a verdict.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping, Optional, Sequence

from gate.dashboard.org import ServiceEntry
from gate.resources import policy_file

HISTORY_FILE = "history.jsonl"
"""Name of the history file in ``--history DIR`` and in the output."""
HISTORY_VERSION = 1

MAX_HISTORY_BYTES = 64 * 1024 * 1024
"""Only the first 64 MiB of a history file are read (about 200,000 lines of a typical size)."""
MAX_LINE_BYTES = 64 * 1024
"""A longer line is skipped (a real line is a few hundred bytes)."""
MAX_POINTS_PER_SERVICE = 400
"""Newest points kept per service: more than a year of daily runs."""
MAX_SERVICES = 5_000
"""Services kept in the file (those with the newest points); bounds a file fed by a hostile cache."""


class HistoryError(ValueError):
    """The history path exists but cannot be read as a history (a directory without
    read permission, a file that is not UTF-8 text)."""


@dataclass(frozen=True)
class HistoryPoint:
    """One service's outcome in one run."""

    key: str
    """:attr:`gate.dashboard.org.ServiceEntry.key` of the service."""
    service: Optional[str]
    repository: Optional[str]
    commit: Optional[str]
    generated_at: str
    """ISO 8601 time of the report (not of the dashboard run)."""
    ready: bool
    score: Optional[int]
    """:func:`gate.dashboard.org.readiness_score`, 0-100."""
    gates: Mapping[str, str]

    @property
    def identity(self) -> tuple[str, str, str]:
        """Two points with the same identity are the same run of the same service."""
        return (self.key, self.generated_at, self.commit or "")

    def to_json(self) -> str:
        """The point as one line of ``history.jsonl`` (ASCII, sorted gate ids, no newline)."""
        return json.dumps({
            "v": HISTORY_VERSION, "key": self.key, "service": self.service, "repository": self.repository,
            "commit": self.commit, "generated_at": self.generated_at, "ready": self.ready,
            "score": self.score, "gates": dict(sorted(self.gates.items())),
        }, ensure_ascii=True, separators=(",", ":"))


@functools.lru_cache(maxsize=1)
def _validator() -> Any:
    import jsonschema

    schema = json.loads(policy_file("dashboard-history.schema.json").read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def parse_time(text: str) -> Optional[dt.datetime]:
    """An aware datetime from an ISO 8601 string (``Z`` accepted on Python 3.10), else None;
    a time without an offset is taken as UTC."""
    try:
        value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (ValueError, TypeError):
        return None
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


def point_from_entry(entry: ServiceEntry) -> Optional[HistoryPoint]:
    """The history point of this run for ``entry``; None when it has no report."""
    r = entry.report
    if r is None or parse_time(r.generated_at) is None:
        return None
    return HistoryPoint(key=entry.key, service=r.service, repository=r.repository, commit=r.commit,
                        generated_at=r.generated_at, ready=r.ready, score=entry.score,
                        gates={g.id: g.status.value for g in r.gates})


def _point_from(data: Mapping[str, Any]) -> HistoryPoint:
    return HistoryPoint(key=data["key"], service=data.get("service"), repository=data.get("repository"),
                        commit=data.get("commit"), generated_at=data["generated_at"], ready=data["ready"],
                        score=data.get("score"), gates=dict(data.get("gates") or {}))


def history_path(given: Path) -> Path:
    """``given`` itself when it is a file, else ``given / history.jsonl``."""
    return given if given.is_file() else given / HISTORY_FILE


def read_history(given: Path) -> tuple[list[HistoryPoint], list[str]]:
    """Points from ``--history`` (a directory holding ``history.jsonl``, or the file itself).

    Returns ``(points, warnings)``. A missing file is an empty history with a warning (a first
    run, or a cache that was evicted). Lines that are not valid JSON, do not follow the schema or
    are longer than :data:`MAX_LINE_BYTES` are skipped and counted in one warning.

    Raises:
        HistoryError: the file exists but cannot be read.
    """
    path = history_path(given)
    if not path.exists():
        return [], [f"no history at {path}: the chart starts with this run"]
    try:
        with path.open("rb") as fh:
            data = fh.read(MAX_HISTORY_BYTES + 1)
    except OSError as exc:
        raise HistoryError(f"{path}: {exc.strerror or exc}") from None
    warnings = []
    if len(data) > MAX_HISTORY_BYTES:
        data = data[:MAX_HISTORY_BYTES].rsplit(b"\n", 1)[0]
        warnings.append(f"{path}: only the first {MAX_HISTORY_BYTES} bytes were read")
    points, bad = [], 0
    for raw in data.split(b"\n"):
        if not raw.strip():
            continue
        try:
            if len(raw) > MAX_LINE_BYTES:
                raise ValueError("line too long")
            doc = json.loads(raw.decode("utf-8"))
            if not _validator().is_valid(doc):
                raise ValueError("not a history line")
            points.append(_point_from(doc))
        except (ValueError, RecursionError):
            bad += 1
    if bad:
        warnings.append(f"{path}: {bad} line(s) that are not valid history lines were skipped")
    return points, warnings


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)


def _time_key(p: HistoryPoint) -> tuple[dt.datetime, str]:
    return (parse_time(p.generated_at) or _EPOCH, p.commit or "")


def merge(old: Iterable[HistoryPoint], new: Iterable[HistoryPoint]) -> list[HistoryPoint]:
    """``old`` plus ``new`` without repeats (a point of ``new`` replaces an identical run), the
    newest :data:`MAX_POINTS_PER_SERVICE` per service and :data:`MAX_SERVICES` services kept,
    sorted by key then time."""
    by_id = {p.identity: p for p in old}
    by_id.update((p.identity, p) for p in new)
    series: dict[str, list[HistoryPoint]] = {}
    for p in by_id.values():
        series.setdefault(p.key, []).append(p)
    for points in series.values():
        points.sort(key=_time_key)
        del points[:-MAX_POINTS_PER_SERVICE]
    keep = sorted(series, key=lambda k: _time_key(series[k][-1]), reverse=True)[:MAX_SERVICES]
    return [p for k in sorted(keep) for p in series[k]]


def series_by_key(points: Sequence[HistoryPoint]) -> dict[str, list[HistoryPoint]]:
    """Points grouped by service key, each list in time order (``points`` as :func:`merge` gives)."""
    out: dict[str, list[HistoryPoint]] = {}
    for p in points:
        out.setdefault(p.key, []).append(p)
    return out


def dumps(points: Sequence[HistoryPoint]) -> str:
    """The text of ``history.jsonl``: one line per point, newline-terminated."""
    return "".join(p.to_json() + "\n" for p in points)
