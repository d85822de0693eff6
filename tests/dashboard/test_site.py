"""The files ``readiness-gate dashboard`` writes, read as files: pages, badges, summary, history.

What a browser shows is asserted in ``test_browser.py``; here: that every file is there with the
right content, that the Content Security Policy allows exactly the inline blocks the page holds,
that nothing is loaded from elsewhere, and that hostile or broken reports cannot inject markup or
read as ready.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import jsonschema
import pytest
from helpers import TODAY
from org_fixtures import ORDERS_EXPIRY, Org, cli

from gate.dashboard.history import MAX_LINE_BYTES, read_history
from gate.render.json_report import load_report, report_to_dict
from gate.resources import policy_file


class _Page(HTMLParser):
    """Collects the CSP meta, inline <script>/<style> bodies, and every URL-bearing attribute."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.csp: list[str] = []
        self.blocks: dict[str, list[str]] = {"script": [], "style": []}
        self.urls: list[tuple[str, str, str]] = []
        self.inline_handlers: list[str] = []
        self._in: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "meta" and (a.get("http-equiv") or "").lower() == "content-security-policy":
            self.csp.append(a.get("content") or "")
        if tag in self.blocks:
            assert "src" not in a, f"external {tag}"
            self._in = tag
            self.blocks[tag].append("")
        for k, v in attrs:
            if k in ("href", "src", "action", "srcset", "xlink:href", "data", "poster"):
                self.urls.append((tag, k, v or ""))
            if k.startswith("on") or k == "style":
                self.inline_handlers.append(f"{tag} {k}")

    def handle_endtag(self, tag: str) -> None:
        if tag == self._in:
            self._in = None

    def handle_data(self, data: str) -> None:
        if self._in:
            self.blocks[self._in][-1] += data


def _page(path: Path) -> _Page:
    p = _Page()
    p.feed(path.read_text(encoding="utf-8"))
    return p


def _hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def _summary(site: Path) -> dict:
    return json.loads((site / "summary.json").read_text(encoding="utf-8"))


def test_every_service_has_a_page_a_badge_and_a_row(org: Org) -> None:
    s = _summary(org.site2)
    jsonschema.Draft202012Validator(json.loads(policy_file("dashboard-summary.schema.json").read_text())).validate(s)
    by_repo = {x["repository"]: x for x in s["services"]}
    assert set(by_repo) == {"example-org/ready-service", "example-org/mvp-service", "example-org/orders"}
    assert s["totals"] == {"services": 3, "ready": 2, "not_ready": 1, "unknown": 0}
    # Two repositories call themselves payments-api: both are kept, with distinct ids.
    assert len({x["id"] for x in s["services"]}) == 3
    assert {by_repo["example-org/ready-service"]["name"], by_repo["example-org/mvp-service"]["name"]} == {"payments-api"}
    assert by_repo["example-org/orders"]["id"] == "orders-api"
    index = (org.site2 / "index.html").read_text(encoding="utf-8")
    for x in s["services"]:
        assert (org.site2 / x["page"]).is_file() and f'href="{x["page"]}"' in index
        assert x["gates"] and all(v in ("pass", "fail", "deferred", "error", "skipped") for v in x["gates"].values())
    assert "warning: 2 services share the name 'payments-api'" in org.stderr2


def test_badges_use_the_shields_endpoint_format(org: Org) -> None:
    def badge(sid: str) -> dict:
        return json.loads((org.site2 / "badges" / f"{sid}.json").read_text(encoding="utf-8"))

    ids = {x["repository"]: x["id"] for x in _summary(org.site2)["services"]}
    assert badge(ids["example-org/ready-service"]) == {"schemaVersion": 1, "label": "readiness",
                                                        "message": "ready", "color": "brightgreen"}
    assert badge(ids["example-org/mvp-service"]) == {"schemaVersion": 1, "label": "readiness",
                                                      "message": "not ready", "color": "red"}
    assert badge("orders-api") == {"schemaVersion": 1, "label": "readiness", "message": "ready, 1 deferred",
                                   "color": "yellowgreen"}
    assert sorted(p.name for p in (org.site2 / "badges").iterdir()) == sorted(f"{i}.json" for i in ids.values())


def test_top_failing_checks_and_expiring_deferrals(org: Org) -> None:
    s1, s2 = _summary(org.site1), _summary(org.site2)
    top1 = {f["check"]: f["services"] for f in s1["top_failing_checks"]}
    # In the first run security-policy blocks two services (the MVP and orders without SECURITY.md).
    assert s1["top_failing_checks"][0]["check"] == "security-policy" and len(top1["security-policy"]) == 2
    assert all(len(f["services"]) == 1 for f in s2["top_failing_checks"])
    # Only orders' deferral expires within 30 days; the MVP's (2030) and its expired one (January) do not.
    assert s2["expiring_deferrals"] == [{
        "service": "orders-api", "check": "runbooks", "finding": None, "ticket": "ORD-12",
        "expires": ORDERS_EXPIRY.isoformat(), "days_left": 12, "state": "expiring",
        "approved_by": "@example-org/payments-leads",
        "reason": "The runbooks move to the shared on-call wiki; the old ones were removed first."}]


def test_history_keeps_each_run_once_and_draws_it(org: Org) -> None:
    points, warnings = read_history(org.site2)
    assert warnings == []
    per_key: dict[str, list] = {}
    for p in points:
        per_key.setdefault(p.key, []).append(p)
    orders = per_key["example-org/orders#orders-api"]
    # Same report files in both runs are one point; the two orders commits are two.
    assert [(p.ready, p.score) for p in orders] == [(False, 90), (True, 100)]
    assert len(per_key) == 3 and all(len(v) == 1 for k, v in per_key.items() if "orders" not in k)
    page = (org.site2 / "services" / "orders-api.html").read_text(encoding="utf-8")
    chart = page[page.index('<section id="history">'):page.index("</section>", page.index('<section id="history">'))]
    assert chart.count("<circle") == 2 and "<polyline" in chart
    assert "90 %, not ready" in chart and "100 %, ready" in chart


def test_pages_are_self_contained_under_a_strict_csp(org: Org) -> None:
    pages = [org.site2 / "index.html", *sorted((org.site2 / "services").glob("*.html"))]
    assert len(pages) == 4
    for path in pages:
        p = _page(path)
        assert len(p.csp) == 1, path
        policy = dict(d.strip().split(" ", 1) for d in p.csp[0].split(";"))
        assert policy["default-src"] == "'none'" and policy["img-src"] == "'none'"
        assert policy["base-uri"] == "'none'" and policy["form-action"] == "'none'"
        assert [policy["style-src"]] == [_hash(b) for b in p.blocks["style"]]
        assert [policy["script-src"]] == ([_hash(b) for b in p.blocks["script"]] or ["'none'"])
        assert p.inline_handlers == []
        for tag, attr, url in p.urls:
            # Only navigation links: our own relative pages, or the repository and commit on GitHub.
            assert tag == "a" and attr == "href", (path, tag, attr, url)
            assert not url.startswith(("//", "javascript:", "data:")), url
            assert url.startswith(("https://github.com/example-org/", "#", "services/", "../", "summary.json")) or \
                re.fullmatch(r"[a-z0-9._-]+\.html(#[a-z0-9-]+)?|#[a-z0-9-]+", url), url
    assert len(_page(org.site2 / "index.html").blocks["script"]) == 1


def _hostile_report(tmp: Path, source: Path) -> Path:
    doc = report_to_dict(load_report(source.read_text(encoding="utf-8")))
    doc["service"] = "<script>alert(1)</script>\u202eevil"
    doc["repository"] = "javascript:alert(1)//"
    doc["owners"] = ["\"'><img src=x onerror=alert(2)>"]
    doc["tier"] = "</td><script>alert(3)</script>"
    doc["gates"][0]["id"] = "x\" onmouseover=\"alert(4)"
    doc["gates"][0]["checks"][0]["summary"] = "<iframe src=//evil>\x1b[2J"
    out = tmp / "hostile.json"
    out.write_text(json.dumps(doc), encoding="utf-8")
    load_report(out.read_text(encoding="utf-8"))  # the schema accepts it: escaping is what protects
    return out


def test_a_hostile_report_cannot_inject(org: Org, tmp_path: Path) -> None:
    hostile = _hostile_report(tmp_path, org.mvp)
    site = tmp_path / "site"
    code, _, err = cli(["dashboard", str(hostile), "--output", str(site), "--today", TODAY.isoformat()])
    assert code == 0, err
    texts = [p.read_text(encoding="utf-8") for p in [site / "index.html", *(site / "services").glob("*.html")]]
    for text in texts:
        assert "<script>alert" not in text and "<img" not in text and "<iframe" not in text
        assert "\u202e" not in text and "\x1b" not in text
        p = _page_from(text)
        assert p.inline_handlers == []  # no on*= or style= attribute came through
        assert all(u.startswith(("services/", "../", "#", "summary.json")) or re.fullmatch(r"[a-z0-9._-]+\.html(#[a-z0-9-]+)?", u)
                   for _, _, u in p.urls), p.urls  # the hostile "repository" is text, not a link
        assert len(p.blocks["script"]) <= 1 and all("alert" not in b for b in p.blocks["script"])
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in texts[0]
    sid = _summary(site)["services"][0]["id"]
    assert re.fullmatch(r"[a-z0-9._-]+", sid) and (site / "badges" / f"{sid}.json").is_file()


def _page_from(text: str) -> _Page:
    p = _Page()
    p.feed(text)
    return p


def test_unreadable_and_missing_reports_are_unknown_never_ready(org: Org, tmp_path: Path) -> None:
    forged = json.loads(org.mvp.read_text(encoding="utf-8"))
    forged["ready"] = True  # a failing report that claims to be ready
    (tmp_path / "forged.json").write_text(json.dumps(forged), encoding="utf-8")
    (tmp_path / "junk.json").write_text("{not json", encoding="utf-8")
    (tmp_path / "expect.txt").write_text("# the org\nexample-org/ready-service\nexample-org/gone\n", encoding="utf-8")
    site = tmp_path / "site"
    code, out, err = cli(["dashboard", str(org.ready), str(tmp_path / "forged.json"), str(tmp_path / "junk.json"),
                          str(tmp_path / "missing.json"), "--expect", str(tmp_path / "expect.txt"),
                          "--output", str(site)])
    assert code == 0, err
    s = _summary(site)
    assert s["totals"] == {"services": 5, "ready": 1, "not_ready": 0, "unknown": 4}
    unknown = {x["source"]: x for x in s["services"] if x["verdict"] == "unknown"}
    assert "inconsistent report" in unknown[str(tmp_path / "forged.json")]["error"]
    assert "not JSON" in unknown[str(tmp_path / "junk.json")]["error"]
    assert unknown[str(tmp_path / "missing.json")]["error"]
    assert unknown["(no report for example-org/gone)"]["repository"] == "example-org/gone"
    for x in unknown.values():
        assert json.loads((site / x["badge"]).read_text())["message"] == "unknown"
        assert x["ready"] is None
    assert "forged.json: inconsistent report" in err and "4 unknown" in out


def test_output_must_be_new_empty_or_a_dashboard(org: Org, tmp_path: Path) -> None:
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "keep.txt").write_text("mine")
    code, _, err = cli(["dashboard", str(org.ready), "--output", str(tmp_path / "other")])
    assert code == 2 and "holds no dashboard" in err and (tmp_path / "other" / "keep.txt").is_file()
    # A previous dashboard is rewritten: pages and badges of services no longer given are removed.
    site = tmp_path / "site"
    assert cli(["dashboard", str(org.ready), str(org.mvp), "--output", str(site)])[0] == 0
    assert cli(["dashboard", str(org.ready), "--output", str(site), "--history", str(site)])[0] == 0
    assert len(list((site / "badges").iterdir())) == 1 and len(list((site / "services").iterdir())) == 1
    assert len(read_history(site)[0]) == 2  # the MVP's point stays in the history


def test_bad_history_lines_are_skipped(org: Org, tmp_path: Path) -> None:
    good = (org.site2 / "history.jsonl").read_text(encoding="utf-8").splitlines()
    forged = json.loads(good[0])
    forged["score"] = 1000
    lines = [good[0], "not json", json.dumps(forged), '{"v": 1}', "x" * (MAX_LINE_BYTES + 1), "[" * 100000]
    (tmp_path / "history.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    points, warnings = read_history(tmp_path)
    assert len(points) == 1 and warnings == [f"{tmp_path / 'history.jsonl'}: 5 line(s) that are not valid history lines were skipped"]


def test_check_records_repository_owners_and_tier(org: Org, tmp_path: Path) -> None:
    doc = json.loads(org.orders_v2.read_text(encoding="utf-8"))
    assert (doc["repository"], doc["owners"], doc["tier"]) == ("example-org/orders", ["@example-org/orders-team"], "tier-2")
    assert re.fullmatch(r"[0-9a-f]{40}", doc["commit"])
    index = (org.site2 / "index.html").read_text(encoding="utf-8")
    assert f'href="https://github.com/example-org/orders/commit/{doc["commit"]}"' in index
    code, _, err = cli(["check", str(tmp_path), "--repository", "not a repo", "--only", "security-policy"])
    assert code == 2 and "--repository" in err


@pytest.mark.parametrize("days, listed", [(-1, False), (0, True), (30, True), (31, False)])
def test_expiry_window_is_30_days(org: Org, tmp_path: Path, days: int, listed: bool) -> None:
    import datetime as dt

    today = ORDERS_EXPIRY - dt.timedelta(days=days)
    site = tmp_path / "site"
    assert cli(["dashboard", str(org.orders_v2), "--output", str(site), "--today", today.isoformat()])[0] == 0
    assert bool(_summary(site)["expiring_deferrals"]) is listed
