"""A real Chromium: staff log in, open the report and download the Polis export."""

import os
import zipfile

import pytest
from django.urls import reverse

from clustering import services
from tests.reports.conftest import make_voted_conversation

pytestmark = pytest.mark.browser
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def test_staff_open_report_and_download_export(live_server, chromium_path, staff_user, tmp_path):
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    conversation = make_voted_conversation(80)
    services.conversation_recluster(conversation_id=conversation.pk)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path, args=ARGS)
        try:
            page = browser.new_page(accept_downloads=True)
            console = []
            page.on("console", lambda message: console.append(message.text))
            page.goto(
                live_server.url + reverse("reports:report", kwargs={"slug": conversation.slug})
            )
            page.fill("#id_username", "staff")
            page.fill("#id_password", "pw-staff-123")
            page.click("form:has(#id_password) button[type=submit]")
            page.wait_for_selector("svg.opinion-map")
            assert page.locator(".group-card").count() >= 2
            # The agree / disagree / pass bars are drawn as wide as their shares (the page's
            # Content-Security-Policy blocks style attributes, so widths come from the style sheet),
            # and the browser blocked nothing on the page under that policy.
            bars = page.eval_on_selector_all(
                ".split-bar",
                "bars => bars.map(bar => [bar.getBoundingClientRect().width, "
                "...[...bar.children].map(part => part.getBoundingClientRect().width)])",
            )
            assert bars, "no agree / disagree / pass bar on the report"
            for whole, *parts in bars:
                assert sum(parts) == pytest.approx(whole, abs=3) or sum(parts) == 0
            assert any(parts[0] > 0 for _whole, *parts in bars)
            assert [m for m in console if "Content Security Policy" in m] == []
            swatches = page.eval_on_selector_all(
                "svg.swatch > *", "marks => marks.map(m => getComputedStyle(m).fill)"
            )
            assert len(set(swatches)) >= 2  # each group's mark in its own colour
            with page.expect_download() as download_info:
                page.click("a[download]")
            path = tmp_path / "export.zip"
            download_info.value.save_as(path)
            names = {n.split("/")[-1] for n in zipfile.ZipFile(path).namelist()}
            assert "participants-votes.csv" in names and "votes.csv" in names
        finally:
            browser.close()


def test_staff_pages_have_no_serious_accessibility_problems(live_server, chromium_path, staff_user):
    """axe-core on every page a moderator or staff member works in: the login page, the
    moderation dashboard, queue, statement page and log, the report list and a report with its
    opinion map - in Finnish and, for the queue and the report, Swedish and English."""
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    from moderation import services as moderation
    from moderation.models import ModerationAction
    from tests.browser.axe import serious_violations
    from tests.moderation.conftest import make_pending

    conversation = make_voted_conversation(80, slug="saavutettava")
    first = make_pending(conversation, "Planted statement 1 again")
    make_pending(conversation, "Kirjastoihin lisää iltavuoroja")
    moderation.statement_reject(
        statement_id=first.pk, moderator=staff_user, reason=ModerationAction.Reason.DUPLICATE,
        duplicate_of_id=conversation.statements.published().first().pk,
    )
    services.conversation_recluster(conversation_id=conversation.pk)
    slug = conversation.slug
    paths = [
        "/moderation/",
        "/moderation/queue/",
        f"/moderation/c/{slug}/?lang=sv",
        f"/moderation/s/{first.pk}/",
        "/moderation/log/",
        "/reports/",
        f"/reports/{slug}/",
        f"/reports/{slug}/?lang=en",
    ]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(live_server.url + "/moderation/")
            problems = {"login": serious_violations(page)}
            page.fill("#id_username", "staff")
            page.fill("#id_password", "pw-staff-123")
            page.click("form:has(#id_password) button[type=submit]")
            page.wait_for_url("**/moderation/")
            for path in paths:
                response = page.goto(live_server.url + path)
                assert response.status == 200, path
                problems[path] = serious_violations(page)
            assert page.locator("svg.opinion-map").count() == 1  # the report's map was checked
            # The check works on these pages under their Content-Security-Policy: a planted
            # problem is found.
            page.evaluate("document.querySelector('main').appendChild(document.createElement('img'))")
            assert "image-alt" in {v["id"] for v in serious_violations(page)}
        finally:
            browser.close()
    found = {
        path: [(v["id"], v["help"], [node["target"] for node in v["nodes"]][:5]) for v in violations]
        for path, violations in problems.items()
        if violations
    }
    assert not found, found


def test_staff_pages_fit_a_phone_and_the_admin_forms_are_labelled(live_server, chromium_path, staff_user):
    """At 360 px the report's agreement bars stay one line of bar and one of text (three columns
    made each hundreds of pixels tall), the moderation dashboard does not scroll sideways, and
    axe finds nothing serious on the conversation form and the import page."""
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    from tests.browser.axe import serious_violations

    staff_user.is_superuser = True  # may add conversations and import exports
    staff_user.save()
    conversation = make_voted_conversation(80, slug="puhelin")
    services.conversation_recluster(conversation_id=conversation.pk)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 360, "height": 740})
            page.goto(live_server.url + "/accounts/login/")
            page.fill("#id_username", "staff")
            page.fill("#id_password", "pw-staff-123")
            page.click("form:has(#id_password) button[type=submit]")
            page.wait_for_url("**/moderation/")
            overflow = "document.scrollingElement.scrollWidth - window.innerWidth"
            assert page.evaluate(overflow) <= 0
            page.goto(live_server.url + f"/reports/{conversation.slug}/")
            heights = page.eval_on_selector_all(".split", "els => els.map(e => e.getBoundingClientRect().height)")
            assert heights and max(heights) < 80, max(heights)
            assert page.evaluate(overflow) <= 0
            # The opinion map keeps a readable size (group labels at 15 of its 640 units: at
            # least 12 px) and scrolls within its own box, which the keyboard can reach.
            label = page.locator(".opinion-map .group-label text").first.bounding_box()
            assert label["height"] >= 12, label
            box = page.locator(".map-scroll")
            assert box.evaluate("e => e.scrollWidth > e.clientWidth")
            assert box.get_attribute("tabindex") == "0"
            problems = {}
            for path in ("/admin/statements/conversation/add/", "/admin/statements/conversation/import-polis/"):
                page.set_viewport_size({"width": 1280, "height": 900})
                assert page.goto(live_server.url + path).status == 200
                problems[path] = [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in serious_violations(page)]
        finally:
            browser.close()
    assert not any(problems.values()), problems
