"""What every browser test shares: Debian's Chromium, headless, driven by
Playwright (whose own browsers are never downloaded)."""

import os

import pytest

CHROMIUM = os.environ.get("SANAD_CHROMIUM", "/usr/bin/chromium")


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    # As root (CI) Chromium refuses to start inside its sandbox.
    args = ["--no-sandbox"] if os.geteuid() == 0 else []
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=args)
        yield launched
        launched.close()
