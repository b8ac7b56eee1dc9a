"""The dashboard in a real browser: ``streamlit run`` on a free port, driven by headless Debian
Chromium through Selenium (system ``chromedriver``; nothing downloads a browser).

Skipped when Chromium or chromedriver is missing, except under ``CI=true`` where that fails:
``scripts/ensure-browser.sh`` installs them. Screenshots go to ``artifacts/dashboard/``.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from cli.dashboard_commands import streamlit_command
from tests.dashboard.conftest import PASSWORD, REPO, seed_service_db

ARTIFACTS = REPO / "artifacts" / "dashboard"
START_TIMEOUT_S = 60
WAIT_S = 90

pytestmark = pytest.mark.slow


def _browser() -> tuple[str, str]:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if chromium and driver:
        return chromium, driver
    message = "no chromium/chromedriver: run scripts/ensure-browser.sh"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_healthy(url: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"streamlit exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"streamlit did not answer within {START_TIMEOUT_S} s")


@pytest.fixture
def dashboard_url(tmp_path: Path, packs_copy: Path) -> Iterator[str]:
    db = tmp_path / "service.db"
    seed_service_db(f"sqlite:///{db}")
    port = _free_port()
    env = {
        **os.environ,
        "TRUFFLES_DASHBOARD_PASSWORD": PASSWORD,
        "TRUFFLES_PACKS_DIR": str(packs_copy),
        "TRUFFLES_EVAL_RUNS_DIR": str(tmp_path / "eval-runs"),
        "TRUFFLES_DATABASE_URL": f"sqlite:///{db}",
        "TRUFFLES_DASHBOARD_USER": "browser-test",
    }
    env.pop("TRUFFLES_API_URL", None)
    log = (tmp_path / "streamlit.log").open("wb")
    proc = subprocess.Popen(
        streamlit_command(port, "127.0.0.1"), cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_healthy(url, proc)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        log.close()


@pytest.fixture
def driver() -> Iterator[object]:
    chromium, chromedriver = _browser()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    profile = tempfile.mkdtemp(prefix="truffles-chromium-")
    for arg in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-dev-shm-usage",
        f"--user-data-dir={profile}",
        "--window-size=1440,1800",
    ):
        options.add_argument(arg)
    browser = webdriver.Chrome(options=options, service=Service(executable_path=chromedriver))
    browser.set_page_load_timeout(WAIT_S)
    try:
        yield browser
    finally:
        browser.quit()
        shutil.rmtree(profile, ignore_errors=True)


def test_dashboard_in_a_real_browser(dashboard_url: str, driver: object) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.remote.webdriver import WebDriver
    from selenium.webdriver.support.ui import WebDriverWait

    assert isinstance(driver, WebDriver)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    wait = WebDriverWait(driver, WAIT_S)

    def until_text(text: str) -> None:
        wait.until(lambda d: text in d.find_element(By.TAG_NAME, "body").text, f"waiting for {text!r}")

    def idle() -> None:  # no "Running…" status widget: the script run finished
        time.sleep(0.5)
        wait.until(lambda d: not d.find_elements(By.CSS_SELECTOR, '[data-testid="stStatusWidget"]'))

    def click_button(label: str) -> None:
        xpath = f"//button[normalize-space(.)='{label}']"
        wait.until(lambda d: d.find_elements(By.XPATH, xpath))[0].click()

    def go(title: str) -> None:
        link = f"//a[@data-testid='stSidebarNavLink'][.//span[normalize-space(.)='{title}']]"
        wait.until(lambda d: d.find_elements(By.XPATH, link))[0].click()
        until_text(title)
        idle()

    def metrics() -> list[str]:
        return [e.text for e in driver.find_elements(By.CSS_SELECTOR, '[data-testid="stMetricValue"]')]

    def shot(name: str) -> None:
        idle()
        frames = '[data-testid="stDataFrame"]'
        wait.until(
            lambda d: all(
                f.find_elements(By.TAG_NAME, "canvas") for f in d.find_elements(By.CSS_SELECTOR, frames)
            )
        )
        time.sleep(1.5)  # let the grids and charts paint
        driver.save_screenshot(str(ARTIFACTS / f"{name}.png"))

    driver.get(dashboard_url)
    until_text("Password")
    assert "Batteries" not in driver.find_element(By.TAG_NAME, "body").text
    driver.find_element(By.CSS_SELECTOR, "input[type='password']").send_keys(PASSWORD, Keys.ENTER)
    until_text("Press Run")
    click_button("Run")
    until_text("Per category")
    shot("batteries")

    go("Calibration")
    until_text("Re-scored")
    before = metrics()
    value = '[data-testid="stSlider"] [data-testid="stSliderThumbValue"]'
    thumb = driver.find_elements(By.CSS_SELECTOR, value)[0].find_element(By.XPATH, "..")
    ActionChains(driver).click(thumb).perform()
    driver.switch_to.active_element.send_keys(*([Keys.ARROW_RIGHT] * 15))
    wait.until(lambda _d: metrics() != before and len(metrics()) == len(before), "numbers to change")
    idle()
    assert metrics() != before
    shot("calibration")

    go("Try it")
    box = wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, '[data-testid="stChatInputTextArea"]'))[0]
    box.send_keys("Сколько стоит замена масла и где вы находитесь?", Keys.ENTER)
    until_text("Trace of turn 1")
    shot("try_it")

    go("Isolation")
    click_button("Run the contracts")
    until_text("leak(s)")
    shot("isolation")

    go("Service health")
    until_text("Outbox backlog")
    shot("service_health")
    for name in ("batteries", "calibration", "try_it", "isolation", "service_health"):
        assert (ARTIFACTS / f"{name}.png").stat().st_size > 10_000
