"""A moderator in a real browser: log in, approve one statement with an edit, reject one as a
duplicate, see the figures change; the author sees both outcomes."""

import os
import re
import threading
from contextlib import contextmanager

import pytest
from django.contrib.auth import get_user_model
from django.db import connections

from moderation.permissions import moderators_group_ensure
from statements.models import Statement
from tests.conftest import make_conversation, make_seed

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def _in_own_thread(scenario):
    """Run a Playwright scenario in a thread of its own.

    Playwright's sync API refuses to start where an event loop already runs, and another suite's
    session-wide Playwright may be running in the main thread; a fresh thread has no loop.
    """
    errors = []

    def run():
        try:
            scenario()
        except BaseException as error:  # noqa: BLE001 - re-raised in the test's thread
            errors.append(error)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]


@contextmanager
def _browser(chromium_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


def _english_page(browser, live_server):
    context = browser.new_context()
    context.add_cookies([{"name": "voxit_language", "value": "en", "url": live_server.url}])
    page = context.new_page()
    page.set_default_timeout(15000)
    return page


def test_moderator_approves_with_edit_and_rejects_duplicate_and_author_sees_both(
    chromium_path, live_server
):
    from datetime import timedelta

    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

    conversation = make_conversation("puistot", opens_delta=timedelta(days=-2))
    seed = make_seed(conversation, "Puistoihin tarvitaan lisää penkkejä")
    moderator = get_user_model().objects.create_user(
        username="moderaattori", password="oikea-salasana-42"
    )
    moderator.groups.add(moderators_group_ensure())

    def scenario():
        with _browser(chromium_path) as browser:
            _moderate_and_check(browser, live_server, seed)

    _in_own_thread(scenario)


def _moderate_and_check(browser, live_server, seed):
    # The resident sends two statements; the second resembles the seed and is sent anyway.
    author = _english_page(browser, live_server)
    author.goto(f"{live_server.url}/c/puistot/statements/new/")
    author.get_by_label("Your statement").fill("Uimahalli auki jo kuudelta")
    author.get_by_role("button", name="Send for moderation").click()
    author.wait_for_url(re.compile(r"/statements/mine/#messages$"))
    author.goto(f"{live_server.url}/c/puistot/statements/new/")
    author.get_by_label("Your statement").fill("Puistoihin lisää penkkejä")
    author.get_by_role("button", name="Send for moderation").click()
    assert author.get_by_text("These statements already exist").is_visible()
    assert author.get_by_role("link", name="Puistoihin tarvitaan lisää penkkejä").is_visible()
    author.get_by_role("button", name="Send anyway").click()
    author.wait_for_url(re.compile(r"/statements/mine/#messages$"))
    assert author.get_by_text("Awaiting moderation").count() == 2
    swim = Statement.objects.get(text="Uimahalli auki jo kuudelta")
    benches = Statement.objects.get(text="Puistoihin lisää penkkejä")

    # The moderator logs in and lands on the dashboard.
    page = _english_page(browser, live_server)
    page.goto(f"{live_server.url}/moderation/")
    page.get_by_label("Username").fill("moderaattori")
    page.get_by_label("Password").fill("oikea-salasana-42")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/moderation/$"))
    figures = page.locator('table[data-conversation="puistot"]')
    assert page.locator('[data-figure="pending"]').inner_text() == "2"
    assert page.locator('[data-figure="decided"]').inner_text() == "0"
    # On a wide screen the header and footer line up with the wide page, and the footer speaks of
    # residents, not of the logged-in moderator reading it.
    page.set_viewport_size({"width": 1280, "height": 900})
    columns = (".site-header .wrap", "main", ".site-footer .wrap")
    lefts = [page.locator(selector).bounding_box()["x"] for selector in columns]
    assert lefts[0] == lefts[1] == lefts[2], lefts
    footer = page.locator(".site-footer").inner_text()
    assert "residents take part anonymously" in footer
    assert "this browser" not in footer

    page.get_by_role("link", name=re.compile("Moderate 2 pending")).click()
    item = page.locator(f"#statement-{benches.pk}")
    assert item.locator(f'[data-similar="{seed.pk}"]').is_visible()
    item = page.locator(f"#statement-{swim.pk}")
    item.get_by_label(re.compile("Wording to publish")).fill(
        "Uimahallin pitää aueta jo kello kuusi"
    )
    item.get_by_role("button", name="Approve", exact=True).click()
    assert page.get_by_text(f"Statement #{swim.pk}: approved with edited wording.").is_visible()

    page.locator(f"#statement-{benches.pk}").get_by_role(
        "button", name=f"Reject as duplicate of #{seed.pk}"
    ).click()
    assert page.get_by_text(f"Statement #{benches.pk}: rejected.").is_visible()
    assert page.get_by_text("Nothing awaits moderation.").is_visible()

    page.get_by_role("link", name="Moderation dashboard").click()
    assert page.locator('[data-figure="pending"]').inner_text() == "0"
    assert page.locator('[data-figure="decided"]').inner_text() == "2"
    assert figures.get_by_role("rowheader", name="moderaattori").is_visible()
    assert "100%" in figures.inner_text()  # an English page: no space before the sign

    # The author sees both outcomes.
    author.reload()
    assert author.get_by_text("Uimahallin pitää aueta jo kello kuusi").is_visible()
    assert author.get_by_text("A moderator edited the wording").is_visible()
    assert author.get_by_text(
        "It repeats a statement already in the conversation (rule 3)"
    ).is_visible()
    author.get_by_role("link", name="“Puistoihin tarvitaan lisää penkkejä”").click()
    author.wait_for_url(re.compile(rf"/s/{seed.pk}/$"))
