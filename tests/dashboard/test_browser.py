"""The dashboard as a user sees it: real headless Chromium (Debian's ``chromium`` and
``chromium-driver``), driven by selenium, on the site built from three services' real reports.

Asserted on screen (what is displayed, not what the HTML holds): every service and every gate,
the deferral expiring soon, the history chart, sorting, and each filter (gate and status, team,
tier, text) hiding exactly the rows it should; and that the page runs under its Content
Security Policy with no violation logged. ``UPDATE_SCREENSHOT=1`` writes the screenshot the README
shows (``docs/images/dashboard.png``).

Skipped, with the reason, when Chromium or ChromeDriver is not installed (``.ci/run`` installs
both where it can).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Iterator

import pytest
from org_fixtures import ROOT, Org

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")

pytestmark = pytest.mark.skipif(
    not (CHROMIUM and CHROMEDRIVER),
    reason="needs Debian's chromium and chromium-driver (apt-get install -y chromium chromium-driver)")

GATE_TITLES = ["Security", "Error handling", "Observability", "Deploy and rollback", "Data safety",
               "Performance", "On-call"]


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is a test dependency: pip install -e '.[test]'")
    from selenium.webdriver.chrome.service import Service

    os.environ["SE_OFFLINE"] = "true"  # never let selenium-manager look for a driver online
    profile = tempfile.mkdtemp(prefix="chromium-profile-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
                 f"--user-data-dir={profile}", "--window-size=1500,1000"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.implicitly_wait(0)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def _open(driver, path: Path):  # type: ignore[no-untyped-def]
    driver.get(path.as_uri())
    driver.get_log("browser")  # the log of earlier pages is dropped
    driver.get(path.as_uri())
    return driver


def _visible_rows(driver) -> list[str]:  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.by import By

    return [r.find_element(By.CSS_SELECTOR, "th a").text
            + " " + r.find_elements(By.TAG_NAME, "td")[0].text
            for r in driver.find_elements(By.CSS_SELECTOR, "#service-table tbody tr") if r.is_displayed()]


def _select(driver, field: str, label: str) -> None:  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    Select(driver.find_element(By.ID, f"f-{field}")).select_by_visible_text(label)


def _csp_violations(driver) -> list[str]:  # type: ignore[no-untyped-def]
    return [e["message"] for e in driver.get_log("browser")
            if e.get("source") == "security" or "Content Security Policy" in e["message"]]


def test_index_shows_every_service_gate_and_expiring_deferral(browser, org: Org) -> None:  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.by import By

    d = _open(browser, org.site2 / "index.html")
    headers = [h.text for h in d.find_elements(By.CSS_SELECTOR, "#service-table thead th")]
    for title in GATE_TITLES:
        assert title in headers
    rows = _visible_rows(d)
    assert sorted(rows) == ["orders-api example-org/orders", "payments-api example-org/mvp-service",
                            "payments-api example-org/ready-service"]
    assert d.find_element(By.ID, "shown-count").text == "3 of 3 services shown"
    mvp = d.find_element(By.CSS_SELECTOR, "#service-table tbody tr:nth-child(1)")
    cells = [c.text for c in mvp.find_elements(By.TAG_NAME, "td")]
    assert cells[1] == "✗ not ready" and "✗ fail" in cells and "◷ deferred" in cells
    expiring = d.find_element(By.ID, "expiring-table").text
    assert "ORD-12" in expiring and "orders-api" in expiring and "(in 12 days)" in expiring and "runbooks" in expiring
    failing = d.find_element(By.ID, "failing-table").text
    assert "orders-api" not in failing and "security-policy" in failing and "secrets" in failing
    # One trend chart per service; orders' has its two runs.
    orders = d.find_element(By.ID, "svc-orders-api")
    assert len(orders.find_elements(By.CSS_SELECTOR, "svg.chart circle")) == 2
    assert orders.find_element(By.CSS_SELECTOR, "svg.chart").is_displayed()
    assert _csp_violations(d) == []
    shot = d.get_screenshot_as_png()
    assert len(shot) > 10_000
    if os.environ.get("UPDATE_SCREENSHOT") == "1":
        d.set_window_size(1920, 1560)
        (ROOT / "docs" / "images").mkdir(parents=True, exist_ok=True)
        (ROOT / "docs" / "images" / "dashboard.png").write_bytes(d.get_screenshot_as_png())


def test_filters_hide_exactly_the_rows_they_should(browser, org: Org) -> None:  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.by import By

    d = _open(browser, org.site2 / "index.html")
    _select(d, "gate", "Security")
    _select(d, "status", "✗ fail")
    assert _visible_rows(d) == ["payments-api example-org/mvp-service"]
    assert d.find_element(By.ID, "shown-count").text == "1 of 3 services shown"
    assert "gate=0" in d.current_url and "status=fail" in d.current_url  # the filter is a shareable link
    _select(d, "gate", "On-call")
    _select(d, "status", "◷ deferred")
    assert _visible_rows(d) == ["orders-api example-org/orders"]
    d.find_element(By.ID, "f-reset").click()
    assert len(_visible_rows(d)) == 3
    _select(d, "team", "@example-org/payments-team")
    assert _visible_rows(d) == ["payments-api example-org/ready-service"]
    d.find_element(By.ID, "f-reset").click()
    _select(d, "tier", "tier-2")
    assert _visible_rows(d) == ["orders-api example-org/orders"]
    d.find_element(By.ID, "f-reset").click()
    d.find_element(By.ID, "f-text").send_keys("MVP")
    assert _visible_rows(d) == ["payments-api example-org/mvp-service"]
    # A link with a filter opens filtered.
    d.get((org.site2 / "index.html").as_uri() + "#tier=tier-1&status=deferred")
    assert _visible_rows(d) == ["payments-api example-org/mvp-service"]
    assert _csp_violations(d) == []


def test_sorting_by_a_column(browser, org: Org) -> None:  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.by import By

    d = _open(browser, org.site2 / "index.html")
    readiness = d.find_element(By.XPATH, "//thead//button[text()='Readiness']")
    readiness.click()
    assert [r.split()[1] for r in _visible_rows(d)] == ["example-org/mvp-service", "example-org/orders",
                                                        "example-org/ready-service"]
    assert readiness.find_element(By.XPATH, "..").get_attribute("aria-sort") == "ascending"
    readiness.click()
    assert _visible_rows(d)[-1].endswith("example-org/mvp-service")
    d.find_element(By.XPATH, "//thead//button[text()='Repository']").click()
    assert [r.split()[1] for r in _visible_rows(d)] == sorted(r.split()[1] for r in _visible_rows(d))


def test_gate_cell_links_to_the_service_page_with_its_chart(browser, org: Org) -> None:  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.by import By

    d = _open(browser, org.site2 / "index.html")
    d.find_element(By.CSS_SELECTOR, "#svc-orders-api td.status.deferred a").click()
    assert d.current_url.endswith("services/orders-api.html#gate-on-call")
    section = d.find_element(By.ID, "gate-on-call")
    assert "On-call: ◷ deferred" in section.text and "runbooks" in section.text
    chart = d.find_element(By.CSS_SELECTOR, "#history svg.chart")
    assert chart.is_displayed() and len(chart.find_elements(By.TAG_NAME, "circle")) == 2
    assert "ORD-12" in d.find_element(By.ID, "deferrals").text
    assert _csp_violations(d) == []


def test_the_csp_is_enforced(browser, org: Org, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A script the policy does not list would not run: the policy is live, not decoration."""
    from selenium.webdriver.common.by import By

    page = (org.site2 / "index.html").read_text(encoding="utf-8")
    injected = page.replace("</main>", '<script>document.title = "pwned"</script></main>', 1)
    path = tmp_path / "index.html"
    path.write_text(injected, encoding="utf-8")
    d = _open(browser, path)
    assert d.title != "pwned"
    assert any("inline script" in m and "script-src" in m for m in _csp_violations(d))
    # The page's own, hashed script still ran.
    assert d.find_element(By.ID, "filters").is_displayed()
