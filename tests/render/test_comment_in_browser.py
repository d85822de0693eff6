"""The PR comment as a reviewer sees it: markdown rendered to HTML the way GitHub does
(markdown-it-py, ``tests/render/github_markdown.py``), shown in a real headless Chromium
(``tests/browser.py``), for the two shipped examples and the generated noisy repository.

Asserted on screen: the verdict first, the gate table, every blocking check's heading, fix and
first finding visible without a click, the known vulnerabilities' table, everything else
collapsed in ``<details>``, and no link but ours. ``UPDATE_SCREENSHOT=1`` writes the screenshots
the README shows (``docs/images/comment-*.png``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator

import pytest
from browser import chromium, needs_chromium
from github_markdown import render_github
from helpers import TODAY
from noisy_repo import ADVISORIES, noisy_report
from servers.osv import OsvServer

from gate.checks.interface import RunOptions
from gate.config import load_config
from gate.model import Report
from gate.render import RenderOptions
from gate.render.grouping import check_docs
from gate.render.markdown import render_markdown
from gate.runner import run_gate

pytestmark = needs_chromium

ROOT = Path(__file__).resolve().parents[2]
IMAGES = ROOT / "docs" / "images"
COMMIT = "0123456789abcdef0123456789abcdef01234567"
OPTIONS = RenderOptions(file_url=f"https://github.com/example-org/payments/blob/{COMMIT}",
                        run_url="https://github.com/example-org/payments/actions/runs/42",
                        full_report_hint="the job summary of the run")

PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>readiness-gate comment</title><style>
body {{ font: 14px/1.5 -apple-system, "Segoe UI", "Noto Sans", Helvetica, Arial, sans-serif; color: #1f2328;
       background: #fff; margin: 0; }}
.comment {{ max-width: 880px; margin: 16px; border: 1px solid #d1d9e0; border-radius: 6px; }}
.header {{ background: #f6f8fa; border-bottom: 1px solid #d1d9e0; padding: 8px 16px; color: #59636e; }}
.markdown-body {{ padding: 16px; }}
h2 {{ font-size: 1.5em; border-bottom: 1px solid #d1d9e0; padding-bottom: .3em; margin-top: 0; }}
h3 {{ font-size: 1.25em; }} h4 {{ font-size: 1em; }}
table {{ border-collapse: collapse; display: block; overflow: auto; margin: 8px 0; }}
th, td {{ border: 1px solid #d1d9e0; padding: 4px 10px; }}
tr:nth-child(2n) {{ background: #f6f8fa; }}
a {{ color: #0969da; text-decoration: none; }}
code {{ background: #eff1f3; padding: .1em .3em; border-radius: 4px; }}
details {{ margin: 8px 0; }} summary {{ cursor: pointer; }}
sub {{ color: #59636e; }}
</style></head><body><div class="comment"><div class="header"><b>github-actions</b> bot commented</div>
<div class="markdown-body" id="comment">{body}</div></div></body></html>
"""


def _example(name: str, osv: OsvServer) -> Report:
    root = ROOT / "examples" / name
    return run_gate(root, load_config(root, None), options=RunOptions(today=TODAY, osv_url=osv.base_url))


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Report]:
    with OsvServer.from_directory() as osv:
        return {"ready-service": _example("ready-service", osv), "mvp-service": _example("mvp-service", osv),
                "noisy": noisy_report(tmp_path_factory.mktemp("noisy"), osv)}


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with chromium(width=960, height=1200) as driver:
        yield driver


def _show(driver, tmp_path: Path, report: Report):  # type: ignore[no-untyped-def]
    markdown = render_markdown(report, OPTIONS)
    page = tmp_path / "comment.html"
    page.write_text(PAGE.format(body=render_github(markdown)), encoding="utf-8")
    driver.get(page.as_uri())
    return markdown


def _screenshot(driver, name: str) -> None:  # type: ignore[no-untyped-def]
    shot = driver.get_screenshot_as_png()
    assert len(shot) > 10_000
    if os.environ.get("UPDATE_SCREENSHOT") == "1":
        height = driver.execute_script("return document.body.scrollHeight")
        driver.set_window_size(960, min(max(int(height) + 40, 600), 4000))
        IMAGES.mkdir(parents=True, exist_ok=True)
        (IMAGES / f"comment-{name}.png").write_bytes(driver.get_screenshot_as_png())
        driver.set_window_size(960, 1200)


@pytest.mark.parametrize("name", ["ready-service", "mvp-service", "noisy"])
def test_the_comment_on_screen(browser, reports: dict[str, Report], tmp_path: Path, name: str) -> None:  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.by import By

    report = reports[name]
    _show(browser, tmp_path, report)
    body = browser.find_element(By.ID, "comment")
    # The verdict first, then the gate table with one row per gate.
    first = body.find_elements(By.XPATH, "./*")[0]
    assert first.tag_name == "h2" and first.text == ("✅ Ready" if report.ready else
                                                     f"❌ Not ready: {len(report.blocking_checks)} blocking check"
                                                     + ("" if len(report.blocking_checks) == 1 else "s"))
    gate_table = body.find_elements(By.TAG_NAME, "table")[0]
    rows = gate_table.find_elements(By.CSS_SELECTOR, "tbody tr")
    assert [r.find_elements(By.TAG_NAME, "td")[0].text for r in rows] == [g.title for g in report.gates]
    # Every blocking check is in the open: heading, summary, and its first finding's location.
    headings = [h.text for h in body.find_elements(By.TAG_NAME, "h4") if h.is_displayed()]
    assert [h.split()[1] for h in headings] == [c.id for c in report.blocking_checks]
    visible = body.text
    for c in report.blocking_checks:
        first_finding = next((f for f in c.findings if f.path and f.blocking and not f.deferred_by), None)
        if first_finding is not None:
            assert f"{first_finding.path}:{first_finding.line}" in visible or first_finding.path in visible, c.id
    # Known vulnerabilities: one visible table row each.
    cves = [f.advisory for c in report.blocking_checks for f in c.findings if f.advisory is not None]
    for a in cves:
        row = next(r for r in body.find_elements(By.CSS_SELECTOR, "table tr") if a.id in r.text)
        assert row.is_displayed() and a.package in row.text and a.version in row.text
    if name == "noisy":
        assert sorted(a.id for a in cves) == sorted(ADVISORIES)
    # Everything that does not block is collapsed: its summary shows, its content does not.
    for d in body.find_elements(By.TAG_NAME, "details"):
        assert d.get_attribute("open") is None
        assert d.find_element(By.TAG_NAME, "summary").is_displayed()
        inner = [e for e in d.find_elements(By.XPATH, "./*") if e.tag_name != "summary"]
        assert all(not e.is_displayed() for e in inner)
    # No link but ours: the scanned repository's files and run, and each check's documentation.
    docs = {check_docs(c) for c in report.checks} - {None}
    for a in body.find_elements(By.TAG_NAME, "a"):
        href = a.get_attribute("href")
        assert href.startswith("https://github.com/example-org/payments/") or href in docs, href
    _screenshot(browser, name)
