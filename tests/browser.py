"""A real headless Chromium for tests that look at pages the way a person does.

Debian's ``chromium`` and ``chromium-driver`` driven by selenium (``.ci/run`` installs both where
it can). :data:`needs_chromium` skips a test module, saying why, where they are missing;
:func:`chromium` starts a browser with a throw-away profile and nothing that reaches the network.
Shared by the dashboard's and the PR comment's browser tests.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from typing import Iterator

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")

needs_chromium = pytest.mark.skipif(
    not (CHROMIUM and CHROMEDRIVER),
    reason="needs Debian's chromium and chromium-driver (apt-get install -y chromium chromium-driver)")
"""``pytestmark = needs_chromium`` in a browser test module."""


@contextlib.contextmanager
def chromium(width: int = 1500, height: int = 1000) -> Iterator[object]:
    """A selenium ``webdriver.Chrome`` on headless Chromium, quit (and its profile removed) on exit."""
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is a test dependency: pip install -e '.[test]'")
    from selenium.webdriver.chrome.service import Service

    os.environ["SE_OFFLINE"] = "true"  # never let selenium-manager look for a driver online
    profile = tempfile.mkdtemp(prefix="chromium-profile-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
                 f"--user-data-dir={profile}", f"--window-size={width},{height}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.implicitly_wait(0)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
