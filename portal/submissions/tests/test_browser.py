"""End to end in a real browser (Debian's chromium, driven through chromium-driver by Selenium).

A submitter logs in and changes the first password, downloads a template, fills the online form
with an error and sees it on the field, fixes it, meets a warning and explains it, submits and sees
the receipt; also uploads a file. Another department cannot see it. The analyst returns it with a
reason, the submitter sees the reason and sends a correction, the analyst approves it. A screenshot
of every step is kept under var/screenshots/portal/ when the test fails.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.settings import REPO_ROOT
from portal.conftest import FORM, GULOU, PASSWORD, PERIOD, TAIJIANG, filled_form
from tests.form_files import CREATION_VALUES

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
SCREENSHOTS = REPO_ROOT / "var" / "screenshots" / "portal"


@pytest.fixture
def browser(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[object]:
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    if missing:  # never a silent skip: make test installs these (Makefile `browser` target)
        pytest.fail(
            f"浏览器测试需要 Debian 软件包 chromium 与 chromium-driver（缺少 {', '.join(missing)}）："
            "apt-get install -y chromium chromium-driver fonts-noto-cjk"
        )
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1366,900", "--lang=zh-CN"):
        options.add_argument(flag)
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    options.add_experimental_option("prefs", {"download.default_directory": str(downloads)})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.implicitly_wait(5)
    driver.downloads = downloads  # type: ignore[attr-defined]
    driver.shots = tmp_path / "screenshots"  # type: ignore[attr-defined]
    driver.shots.mkdir()  # type: ignore[attr-defined]
    yield driver
    driver.quit()
    report = getattr(request.node, "rep_call", None)  # set by portal/conftest.py
    if report is None or report.failed:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for shot in driver.shots.glob("*.png"):  # type: ignore[attr-defined]
            shutil.copy(shot, SCREENSHOTS / shot.name)


def _shot(driver, name: str) -> None:  # type: ignore[no-untyped-def]
    driver.save_screenshot(str(driver.shots / f"{len(list(driver.shots.iterdir())):02d}_{name}.png"))


def _log_in(driver, base: str, username: str, password: str) -> None:  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.by import By

    driver.delete_all_cookies()
    driver.get(f"{base}/login/")
    driver.find_element(By.ID, "id_username").send_keys(username)
    driver.find_element(By.ID, "id_password").send_keys(password)
    _click(driver, driver.find_element(By.CSS_SELECTOR, "form button[type=submit]"))


def _click(driver, element) -> None:  # type: ignore[no-untyped-def]
    """Click something that loads a new page, and wait until the new page has replaced the old one."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    old = driver.find_element(By.TAG_NAME, "html")
    element.click()
    WebDriverWait(driver, 15).until(expected_conditions.staleness_of(old))


def _text(driver) -> str:  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.by import By

    return driver.find_element(By.TAG_NAME, "body").text


def test_submit_return_correct_and_approve_in_a_browser(live_server, browser, gulou, taijiang, analyst, ipwh, tmp_path):  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.by import By

    from portal.accounts.models import Profile

    Profile.objects.filter(user=gulou).update(must_change_password=True)
    driver, base = browser, live_server.url

    # First login: the password must be changed before anything else.
    _log_in(driver, base, "gulou", PASSWORD)
    assert "首次登录，请先修改初始密码" in _text(driver)
    _shot(driver, "first_login")
    new_password = "Gulou-Zhishi-Chanquan-9"
    driver.find_element(By.ID, "id_old_password").send_keys(PASSWORD)
    driver.find_element(By.ID, "id_new_password1").send_keys(new_password)
    driver.find_element(By.ID, "id_new_password2").send_keys(new_password)
    _click(driver, driver.find_element(By.CSS_SELECTOR, "main form button[type=submit]"))
    _click(driver, driver.find_element(By.LINK_TEXT, "进入平台"))
    assert "我的报表" in _text(driver) and "逾期" in _text(driver)
    _shot(driver, "my_forms")

    # The duty page: download the template.
    driver.get(f"{base}/forms/d/{GULOU}/{FORM}/{PERIOD}/")
    driver.find_element(By.LINK_TEXT, "下载 Excel 模板").click()  # an attachment: the page stays
    deadline = time.monotonic() + 10
    while not list(driver.downloads.glob("*.xlsx")) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert list(driver.downloads.glob("*.xlsx")), "the template was not downloaded"

    # Online form: an error first, shown on its field.
    _click(driver, driver.find_element(By.LINK_TEXT, "在网页上填写"))
    for code, value in {**CREATION_VALUES, "patent_grants": "六百五十"}.items():
        driver.find_element(By.ID, f"id_{code}").send_keys(str(value))
    _click(driver, driver.find_element(By.CSS_SELECTOR, "button[value=submit]"))
    row = driver.find_element(By.ID, "id_patent_grants").find_element(By.XPATH, "./ancestor::tr")
    assert "has-error" in row.get_attribute("class") and row.find_element(By.CLASS_NAME, "field-error").text
    _shot(driver, "online_error")

    # Fixed, but now a warning (PCT above all applications): it needs a written explanation.
    field = driver.find_element(By.ID, "id_patent_grants")
    field.clear()
    field.send_keys("650")
    pct = driver.find_element(By.ID, "id_pct_applications")
    pct.clear()
    pct.send_keys("1500")
    _click(driver, driver.find_element(By.CSS_SELECTOR, "button[value=submit]"))
    assert "须填写情况说明" in _text(driver)
    _shot(driver, "online_warning")
    driver.find_element(By.ID, "id_note").send_keys("本月有一批PCT申请集中提交，数据属实")
    _click(driver, driver.find_element(By.CSS_SELECTOR, "button[value=submit]"))
    verdict = driver.find_element(By.ID, "verdict").text
    assert "审核通过，已接收，为第 1 版" in verdict
    _shot(driver, "online_receipt")

    # Another department's submitter cannot see it.
    _log_in(driver, base, "taijiang", PASSWORD)
    driver.get(f"{base}/forms/d/{GULOU}/{FORM}/{PERIOD}/")
    assert "页面不存在" in _text(driver) and "PCT" not in _text(driver)
    driver.get(f"{base}/forms/")
    assert GULOU not in _text(driver) and TAIJIANG in _text(driver)

    # The analyst sees it on the board and returns it with a reason.
    _log_in(driver, base, "analyst", PASSWORD)
    driver.get(f"{base}/review/?period={PERIOD}")
    _shot(driver, "board")
    gulou_row = driver.find_element(By.XPATH, f"//tr[contains(., '（{GULOU}）')]")
    _click(driver, gulou_row.find_element(By.TAG_NAME, "a"))
    assert "本月有一批PCT申请集中提交，数据属实" in _text(driver)
    driver.find_element(By.ID, "id_reason").send_keys("PCT申请量请与国家局数据核对后更正")
    _click(driver, driver.find_element(By.ID, "send-back"))
    assert "已退回" in _text(driver)

    # The submitter sees the reason and uploads a correction.
    _log_in(driver, base, "gulou", new_password)
    driver.get(f"{base}/forms/d/{GULOU}/{FORM}/{PERIOD}/")
    assert "PCT申请量请与国家局数据核对后更正" in _text(driver)
    _shot(driver, "returned")
    corrected = tmp_path / "鼓楼_2026-10_更正.xlsx"
    corrected.write_bytes(filled_form())
    driver.find_element(By.ID, "id_file").send_keys(str(corrected))
    _click(driver, driver.find_element(By.XPATH, "//button[contains(., '上传并审核')]"))
    assert "为第 2 版" in driver.find_element(By.ID, "verdict").text
    _shot(driver, "upload_receipt")

    # The analyst approves the correction.
    _log_in(driver, base, "analyst", PASSWORD)
    driver.get(f"{base}/review/?period={PERIOD}")
    gulou_row = driver.find_element(By.XPATH, f"//tr[contains(., '（{GULOU}）')]")
    _click(driver, gulou_row.find_element(By.TAG_NAME, "a"))
    _click(driver, driver.find_element(By.ID, "approve"))
    assert "已审核通过" in _text(driver) and driver.find_element(By.ID, "status").text == "已审核"
    _shot(driver, "approved")
    driver.get(f"{base}/review/?period={PERIOD}")
    assert "已审核" in driver.find_element(By.XPATH, f"//tr[contains(., '（{GULOU}）')]").text
    _shot(driver, "board_approved")
