"""Headless Chromium (Debian's `chromium` and `chromium-driver`) driven by Selenium, for the console's
browser tests and `make screenshots`. One browser per test session."""

from __future__ import annotations

import os
import shutil

CHROMIUM = os.environ.get("ONCALL_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("ONCALL_CHROMEDRIVER", "/usr/bin/chromedriver")


def available() -> bool:
    return bool(shutil.which(CHROMIUM) and shutil.which(CHROMEDRIVER))


def start(width: int = 1280, height: int = 900):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--no-first-run",
        "--disable-extensions",
        f"--window-size={width},{height}",
    ):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(20)
    return driver
