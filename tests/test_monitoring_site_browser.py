"""The monitoring site in a real browser: headless Chromium (Debian's chromium + chromium-driver, driven
by Selenium) opens pages from file://, with no console error, no request leaving the machine, and
every chart's canvas drawn. Screenshots of the home, a plan and a target page are kept in the test's
temporary folder (named in the failure message). In CI (CI=true) a missing browser fails the test."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.site_support import BuiltSite, build_sample_site

pytestmark = pytest.mark.slow
CHROMIUM, DRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"

# Pixels of a chart's canvas that are not transparent: a drawn chart has thousands.
CANVAS_INK = """
const canvases = Array.from(document.querySelectorAll('[data-chart] canvas'));
return canvases.map(c => {
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let ink = 0; for (let i = 3; i < d.length; i += 4) { if (d[i] > 0) ink++; }
  return ink;
});
"""
OUTSIDE_REQUESTS = """
return performance.getEntriesByType('resource').map(e => e.name).filter(u => !u.startsWith('file://'));
"""


def _browser_available() -> bool:
    return Path(CHROMIUM).exists() and Path(DRIVER).exists()


@pytest.fixture(scope="module")
def driver() -> Iterator[object]:
    if not _browser_available():
        packages = "chromium chromium-driver fonts-noto-cjk"
        message = f"需要 {CHROMIUM} 与 {DRIVER}：apt-get install {packages}（make test 自动安装）"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,1600"):
        options.add_argument(argument)
    options.binary_location = CHROMIUM
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    browser = webdriver.Chrome(service=Service(DRIVER), options=options)
    yield browser
    browser.quit()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> BuiltSite:
    return build_sample_site(tmp_path_factory)


def _open(driver, page: Path) -> list[dict]:
    driver.get(page.as_uri())
    driver.execute_script("return document.readyState")
    return [e for e in driver.get_log("browser") if e.get("level") in ("SEVERE", "WARNING")]


def test_target_page_draws_its_charts_from_disk_without_errors(driver, site: BuiltSite, tmp_path: Path) -> None:
    target = site.mart(
        "select target_code from marts.fct_target_progress where plan_code = 'fz_14th' "
        "and indicator_code = 'invention_patents_per_10k'"
    )[0][0]
    page = site.folder / "targets" / f"{target}.html"
    problems = _open(driver, page)
    shot = tmp_path / "target.png"
    driver.save_screenshot(str(shot))
    assert not problems, f"console: {problems} (screenshot {shot})"
    charts = driver.execute_script("return document.querySelectorAll('[data-chart]').length")
    drawn = driver.execute_script("return document.querySelectorAll('[data-chart][data-drawn]').length")
    ink = driver.execute_script(CANVAS_INK)
    assert charts >= 2 and drawn == charts, f"{drawn}/{charts} charts drawn (screenshot {shot})"
    assert len(ink) == charts and min(ink) > 1000, f"canvas ink {ink} (screenshot {shot})"
    assert driver.execute_script(OUTSIDE_REQUESTS) == [], "nothing is fetched from outside the site"


def test_every_page_loads_from_disk_without_console_errors(driver, site: BuiltSite, tmp_path: Path) -> None:
    pages = sorted(site.folder.rglob("*.html"))
    failures = {}
    for page in pages:
        problems = _open(driver, page)
        outside = driver.execute_script(OUTSIDE_REQUESTS)
        charts = driver.execute_script("return document.querySelectorAll('[data-chart]').length")
        ink = driver.execute_script(CANVAS_INK) if charts else []
        if problems or outside or (charts and (len(ink) != charts or min(ink) == 0)):
            failures[str(page.relative_to(site.folder))] = {"console": problems, "outside": outside, "ink": ink}
    for name, path in (("home", "index.html"), ("plan", "plans/fz_14th.html"), ("quality", "quality.html")):
        _open(driver, site.folder / path)
        driver.save_screenshot(str(tmp_path / f"{name}.png"))
    assert len(pages) > 80
    assert not failures, f"{failures} (screenshots in {tmp_path})"


def test_pages_print_on_a4(driver, site: BuiltSite, tmp_path: Path) -> None:
    import base64

    _open(driver, site.folder / "plans" / "fz_14th.html")
    pdf = base64.b64decode(driver.execute_cdp_cmd("Page.printToPDF", {"preferCSSPageSize": True})["data"])
    (tmp_path / "plan.pdf").write_bytes(pdf)
    # A4 is 595 × 842 points; the print CSS asks for it with @page (preferCSSPageSize).
    boxes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([0-9.]+) ([0-9.]+)\s*\]", pdf)
    assert boxes, "the PDF has pages"
    assert all(abs(float(w) - 595.3) < 1 and abs(float(h) - 841.9) < 1 for w, h in boxes), boxes
