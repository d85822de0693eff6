"""The org-wide dashboard: many services' JSON reports in, one static site out.

``readiness-gate dashboard REPORT.json... --output DIR [--history DIR]`` (``docs/org-wide.md``)
reads each report with the validating loader (:func:`gate.render.json_report.load_report`: a
report is an artifact another job uploaded, so it is validated and bounded before use), builds
an :class:`~gate.dashboard.org.OrgView` (pure), and writes the site (:mod:`gate.dashboard.site`):

* ``index.html`` — one row per service, a column per gate, sorting and filtering, the org's top
  failing checks, deferrals expiring in the next 30 days, each service's readiness over time;
* ``services/<id>.html`` — one service's gates, checks, findings and deferrals;
* ``badges/<id>.json`` — shields.io endpoint badges;
* ``summary.json`` — the same facts for machines (``policies/dashboard-summary.schema.json``);
* ``history.jsonl`` — one line per service per run, read back by the next ``--history``.

Modules, one job each: :mod:`~gate.dashboard.org` (aggregation), :mod:`~gate.dashboard.history`
(the JSON-lines history), :mod:`~gate.dashboard.chart` (SVG geometry), :mod:`~gate.dashboard.site`
(files, Jinja2 templates, the Content Security Policy).
"""

from __future__ import annotations

from gate.dashboard.org import OrgView, ServiceEntry, build_org_view, read_reports
from gate.dashboard.site import DashboardError, write_site

__all__ = ["DashboardError", "OrgView", "ServiceEntry", "build_org_view", "read_reports", "write_site"]
