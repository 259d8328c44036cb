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
