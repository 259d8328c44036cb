"""Real-browser fixtures: one Chromium per test module, a fresh context (a new resident) per test."""

import os

import pytest

# Playwright's sync API runs an event loop in this thread; the tests' ORM calls stay synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="module")
def chromium(chromium_path):
    # Module scope: Playwright's sync API keeps an event loop in this thread while it runs, so a
    # browser left open for the whole session would stop other modules from starting their own.
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def resident(chromium):
    """A resident's browser with JavaScript, on a phone-sized screen."""
    context = chromium.new_context(viewport={"width": 390, "height": 844})
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


@pytest.fixture
def resident_without_js(chromium):
    context = chromium.new_context(
        java_script_enabled=False, viewport={"width": 390, "height": 844}
    )
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()
