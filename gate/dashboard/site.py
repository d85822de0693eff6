"""Write the dashboard's files: HTML pages (Jinja2), badges, ``summary.json``, ``history.jsonl``.

Safety of the pages (``docs/org-wide.md``, "Security of the page"):

* Every value from a report reaches HTML through Jinja2 with autoescaping on, after
  :func:`gate.render.escape.strip_control` (no control or bidirectional-override characters), so
  a hostile service name, owner, message or path is text, never markup. Links are built only from
  values we checked (ids we made, ``owner/name`` repositories, hex commits).
* The site is self-contained: no CDN, font, image or script from elsewhere. Each page carries a
  strict Content Security Policy in a ``<meta>`` tag: ``default-src 'none'``, and the one inline
  stylesheet and the one inline script (the index's sorting and filtering) allowed by their
  SHA-256 hashes (CSP Level 3, "hash-source"). Any other script, inline handler or injected
  style would be refused by the browser even if escaping failed. The service pages need no
  script, so their policy allows none. Without JavaScript the index shows every table in full;
  only sorting and filtering need it.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Optional, Sequence

from gate import __version__
from gate.dashboard.chart import Chart, build_chart
from gate.dashboard.history import HISTORY_FILE, HistoryPoint, series_by_key
from gate.dashboard.history import dumps as history_dumps
from gate.dashboard.org import EXPIRY_WINDOW_DAYS, OrgView, ServiceEntry
from gate.model import Status
from gate.render.escape import safe_url, strip_control

GENERATOR = "readiness-gate dashboard"
"""``summary.json``'s ``generator``: marks a directory as a dashboard this command may rewrite."""
SUMMARY_VERSION = 1

MAX_FINDINGS_SHOWN = 200
"""Findings listed per check on a service page; the rest are counted (all are in the report)."""

STATUS_LABELS: Mapping[Optional[str], str] = {
    "pass": "✓ pass", "fail": "✗ fail", "deferred": "◷ deferred", "error": "⚠ error",
    "skipped": "– skipped", None: "n/a",
}
"""What a status cell shows: a symbol and the word, so nothing depends on colour alone."""

BADGE_COLORS = {"ready": "brightgreen", "deferred": "yellowgreen", "not-ready": "red", "unknown": "lightgrey"}
"""shields.io named colours per verdict."""

_ANCHOR_UNSAFE = re.compile(r"[^a-z0-9-]+")
_HEX = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")
_TEMPLATES = Path(__file__).parent / "templates"


class DashboardError(Exception):
    """The site cannot be written (the output is a non-empty directory that holds no dashboard,
    or a file cannot be written); the message says what to do."""


@dataclass(frozen=True)
class SiteResult:
    """What :func:`write_site` wrote: paths relative to the output directory, and warnings."""

    output: Path
    files: tuple[str, ...]
    view: OrgView
    """What the site shows (its services, totals and warnings)."""


def _finalize(value: Any) -> Any:
    """Jinja2 ``finalize``: repository text loses control and bidi characters before escaping."""
    from markupsafe import Markup

    if isinstance(value, str) and not isinstance(value, Markup):
        return strip_control(value)
    return "" if value is None else value


def anchor(value: str) -> str:
    """A fragment id for a gate or check id: ``[a-z0-9-]`` only (ids from a report may hold
    anything), with a short hash when that changed the id, so two ids never share an anchor."""
    clean = _ANCHOR_UNSAFE.sub("-", value.lower()).strip("-")[:80]
    if clean != value:
        clean += "-" + hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    return clean or "x"


@functools.lru_cache(maxsize=1)
def _env() -> Any:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(_TEMPLATES)), autoescape=True, finalize=_finalize,
        undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters["anchor"] = anchor
    env.filters["status_label"] = lambda s: STATUS_LABELS.get(getattr(s, "value", s), str(s))
    env.filters["status_class"] = lambda s: getattr(s, "value", s) or "none"
    env.filters["short_time"] = lambda t: (t or "")[:16].replace("T", " ")
    env.globals.update(STATUS_LABELS=STATUS_LABELS, EXPIRY_WINDOW_DAYS=EXPIRY_WINDOW_DAYS,
                       MAX_FINDINGS_SHOWN=MAX_FINDINGS_SHOWN, version=__version__, Status=Status)
    return env


@functools.lru_cache(maxsize=None)
def _asset(name: str) -> str:
    text = (_TEMPLATES / name).read_text(encoding="utf-8")
    if "</" in text:  # the asset is inlined; it must not be able to close its own element
        raise ValueError(f"{name} must not contain '</'")
    return text


def source_hash(text: str) -> str:
    """The CSP hash-source of an inline ``<script>``/``<style>`` whose content is ``text``."""
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


def content_security_policy(style: str, script: Optional[str]) -> str:
    """The page's policy: nothing from anywhere, except these exact inline blocks."""
    return "; ".join([
        "default-src 'none'",
        f"style-src {source_hash(style)}",
        f"script-src {source_hash(script)}" if script is not None else "script-src 'none'",
        "img-src 'none'", "base-uri 'none'", "form-action 'none'",
    ])


def badge(entry: ServiceEntry) -> dict:
    """The shields.io endpoint badge (``https://shields.io/badges/endpoint-badge``) of ``entry``:
    ``ready`` (brightgreen), ``ready, N deferred`` (yellowgreen), ``not ready`` (red), or
    ``unknown`` (lightgrey, ``isError``) when there is no valid report."""
    if entry.verdict == "unknown":
        return {"schemaVersion": 1, "label": "readiness", "message": "unknown",
                "color": BADGE_COLORS["unknown"], "isError": True}
    if entry.verdict == "ready" and entry.deferred_checks:
        return {"schemaVersion": 1, "label": "readiness", "message": f"ready, {entry.deferred_checks} deferred",
                "color": BADGE_COLORS["deferred"]}
    message = "ready" if entry.verdict == "ready" else "not ready"
    return {"schemaVersion": 1, "label": "readiness", "message": message, "color": BADGE_COLORS[entry.verdict]}


def _service_summary(e: ServiceEntry) -> dict:
    r = e.report
    return {
        "id": e.id, "key": e.key, "service": r.service if r else None, "name": e.name,
        "repository": e.repository, "root": r.root if r else None, "commit": r.commit if r else None,
        "generated_at": r.generated_at if r else None, "verdict": e.verdict, "ready": r.ready if r else None,
        "score": e.score, "owners": list(e.owners), "tier": e.tier,
        "gates": {g.id: g.status.value for g in r.gates} if r else {},
        "blocking": [c.id for c in r.blocking_checks] if r else [],
        "source": e.source, "error": e.error,
        "page": f"services/{e.id}.html", "badge": f"badges/{e.id}.json",
    }


def summary(view: OrgView) -> dict:
    """``summary.json`` (``policies/dashboard-summary.schema.json``): the index for machines."""
    return {
        "schema_version": SUMMARY_VERSION, "generator": GENERATOR, "version": __version__,
        "generated_at": view.generated_at, "today": view.today.isoformat(),
        "totals": {"services": len(view.services), "ready": view.count("ready"),
                   "not_ready": view.count("not-ready"), "unknown": view.count("unknown")},
        "gates": [{"id": gid, "title": title,
                   "statuses": {s.value: sum(1 for e in view.services if e.gate_status(gid) is s) for s in Status}}
                  for gid, title in view.gates],
        "services": [_service_summary(e) for e in view.services],
        "top_failing_checks": [{"check": f.check, "gate": f.gate, "title": f.title, "errors": f.errors,
                                "services": [e.id for e in f.services]} for f in view.failing_checks],
        "expiring_deferrals": [{"service": u.service.id, "check": u.record.check, "finding": u.record.finding,
                                "ticket": u.record.ticket, "expires": u.record.expires.isoformat(),
                                "days_left": u.days_left, "state": u.record.state.value,
                                "approved_by": u.record.approved_by, "reason": u.record.reason}
                               for u in view.expiring_deferrals],
        "warnings": list(view.warnings),
    }


def _links(e: ServiceEntry, server_url: Optional[str]) -> dict:
    base = safe_url(server_url)
    repo = e.repository_url_part
    commit = e.report.commit if e.report else None
    out = {"repository": None, "commit": None}
    if base and repo:
        out["repository"] = f"{base.rstrip('/')}/{repo}"
        if commit and _HEX.fullmatch(commit):
            out["commit"] = f"{out['repository']}/commit/{commit}"
    return out


def _prepare_output(output: Path) -> None:
    """Create ``output``, or clear the pages and badges a previous dashboard wrote there."""
    if output.exists() and not output.is_dir():
        raise DashboardError(f"--output {output}: not a directory")
    if output.is_dir() and any(output.iterdir()):
        marker = output / "summary.json"
        try:
            previous = json.loads(marker.read_text(encoding="utf-8")) if marker.is_file() else None
        except (OSError, ValueError):
            previous = None
        if not isinstance(previous, dict) or previous.get("generator") != GENERATOR:
            raise DashboardError(f"--output {output}: the directory is not empty and holds no dashboard; "
                                 "give an empty or new directory")
        for sub, suffix in (("services", ".html"), ("badges", ".json")):
            folder = output / sub
            if folder.is_dir() and not folder.is_symlink():
                for f in folder.iterdir():
                    if f.suffix == suffix and f.is_file() and not f.is_symlink():
                        f.unlink()
    for sub in ("", "services", "badges"):
        (output / sub).mkdir(parents=True, exist_ok=True)


def _page(template: str, *, script: Optional[str], **context: Any) -> str:
    style = _asset("dashboard.css")
    return _env().get_template(template).render(
        csp=content_security_policy(style, script), style=_markup(style),
        script=_markup(script) if script is not None else None, **context)


def _markup(text: str) -> Any:
    from markupsafe import Markup

    return Markup(text)  # our own asset file, checked by _asset; never repository text


def write_site(view: OrgView, output: Path, *, history: Sequence[HistoryPoint] = (), charts: bool = False,
               server_url: Optional[str] = "https://github.com") -> SiteResult:
    """Write the dashboard of ``view`` into ``output``.

    ``history`` is written to ``history.jsonl`` (the old lines plus this run's points, or this
    run's alone, so that the next run can start from it); ``charts`` draws each service's
    readiness over time from it (``--history`` was given). ``server_url`` is the GitHub (or
    GitHub Enterprise Server) base for repository and commit links; None: no links.

    Raises:
        DashboardError: see :class:`DashboardError`.
    """
    _prepare_output(output)
    series = series_by_key(history)
    drawn: dict[str, tuple[Optional[Chart], Optional[Chart]]] = {}
    if charts:
        for e in view.services:
            points = series.get(e.key, [])
            drawn[e.id] = (build_chart(points, width=120, height=28, labels=False), build_chart(points))
    links = {e.id: _links(e, server_url) for e in view.services}
    files: dict[str, str] = {}
    files["index.html"] = _page("index.html.j2", script=_asset("dashboard.js"), view=view, links=links,
                                charts=drawn, show_history=charts)
    for e in view.services:
        files[f"services/{e.id}.html"] = _page("service.html.j2", script=None, view=view, e=e, link=links[e.id],
                                               chart=drawn.get(e.id, (None, None))[1],
                                               show_history=charts, badge=badge(e))
        files[f"badges/{e.id}.json"] = json.dumps(badge(e), ensure_ascii=True) + "\n"
    files["summary.json"] = json.dumps(summary(view), indent=2, ensure_ascii=True) + "\n"
    files[HISTORY_FILE] = history_dumps(history)
    try:
        for rel, text in files.items():
            (output / rel).write_text(text, encoding="utf-8", newline="\n")
    except OSError as exc:
        raise DashboardError(f"cannot write the dashboard into {output}: {exc.strerror or exc}") from None
    return SiteResult(output, tuple(files), view)
