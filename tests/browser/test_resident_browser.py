"""A resident in a real Chromium: voting with and without JavaScript, changing an answer, switching
language, adding a statement; and an automatic accessibility check of every resident page."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone, translation
from django.utils.translation import pgettext
from playwright.sync_api import expect

from statements.models import Statement, Vote
from tests.browser.axe import serious_violations
from tests.conftest import make_conversation, make_seed

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SLUG = "puistot"


@pytest.fixture
def conversation(transactional_db):
    conversation = make_conversation(SLUG, description_fi="Kerro mielipiteesi puistoista.")
    for number in range(5):
        make_seed(conversation, f"Puistoväite numero {number}")
    return conversation


def submit_statement(page, text):
    """Write and send a statement; if similar published ones are suggested, send it anyway."""
    page.locator("#id_text").fill(text)
    with page.expect_navigation():
        page.locator("form.statement-form button[type=submit]").click()
    if page.locator("#similar-statements").count():
        with page.expect_navigation():
            page.locator("form.statement-form button[type=submit]").click()


def vote_label(language, word="Agree"):
    with translation.override(language):
        return pgettext("vote", word)


def test_resident_votes_without_reload_changes_an_answer_switches_language_and_adds_a_statement(
    live_server, resident, conversation
):
    page = resident
    response = page.goto(f"{live_server.url}/c/{SLUG}/")
    assert response.headers["content-language"] == "fi"
    assert page.locator("html").get_attribute("lang") == "fi"
    finnish_agree = page.locator("button.vote-agree").inner_text()
    assert finnish_agree == vote_label("fi")
    page.evaluate("window.__noReload = 'still here'")

    seen = set()
    for answered in (1, 2, 3):
        text = page.locator("#statement-text").inner_text()
        assert text not in seen
        seen.add(text)
        page.get_by_role("button", name=vote_label("fi")).click()
        expect(page.locator("#progress-text")).to_contain_text(f"{answered} / 5")
    assert page.evaluate("window.__noReload") == "still here"
    assert page.locator("#statement-text").inner_text() not in seen
    assert Vote.objects.filter(choice=1).count() == 3

    # Change one earlier answer on the answers page (a plain form post back to that page).
    page.locator(".conversation-nav a").nth(1).click()
    page.wait_for_url(re.compile(r"/answers/"))
    first = page.locator("li.answer").first
    changed_text = first.locator(".statement-text").inner_text()
    first.get_by_role("button", name=vote_label("fi", "Disagree")).click()
    page.wait_for_load_state()
    changed = page.locator("li.answer", has_text=changed_text)
    assert changed.locator("button.vote-disagree").get_attribute("aria-pressed") == "true"
    assert Vote.objects.get(statement__text=changed_text).choice == -1

    # Switch to English with the language switch; the choice is remembered on the next page.
    with page.expect_navigation():
        page.locator(".language-switch button[value=en]").click()
    assert page.locator("html").get_attribute("lang") == "en"
    assert {c["name"]: c["value"] for c in page.context.cookies()}["voxit_language"] == "en"
    response = page.goto(f"{live_server.url}/c/{SLUG}/")
    assert response.headers["content-language"] == "en"
    english_agree = page.locator("button.vote-agree").inner_text()
    assert english_agree == vote_label("en") == "Agree"
    if vote_label("fi") != "Agree":  # Finnish translations compiled: the interface really changed.
        assert english_agree != finnish_agree

    # Add a statement; it shows as awaiting moderation in "my statements".
    page.goto(f"{live_server.url}/c/{SLUG}/statements/new/")
    submit_statement(page, "Puistoihin lisää penkkejä ja varjoa")
    # The page opens at the thanks, which has the focus (a screen reader reads it first).
    assert page.url.endswith(f"/c/{SLUG}/statements/mine/#messages")
    assert page.evaluate("document.activeElement.id") == "messages"
    mine = page.locator(".my-statement", has_text="Puistoihin lisää penkkejä ja varjoa")
    assert "Awaiting moderation" in mine.inner_text()
    assert Statement.objects.get(text="Puistoihin lisää penkkejä ja varjoa").status == "pending"


def test_a_statement_being_written_survives_a_language_switch_and_is_dropped_once_sent(
    live_server, resident, conversation
):
    page = resident
    new = f"{live_server.url}/c/{SLUG}/statements/new/"
    page.goto(new)
    page.locator("#id_text").press_sequentially("Puistoihin lisää roska-astioita")
    with page.expect_navigation():
        page.locator(".language-switch button[value=sv]").click()
    assert page.locator("html").get_attribute("lang") == "sv"
    expect(page.locator("#id_text")).to_have_value("Puistoihin lisää roska-astioita")
    # Away to the conversation and back: still there.
    page.goto(f"{live_server.url}/c/{SLUG}/")
    page.goto(new)
    expect(page.locator("#id_text")).to_have_value("Puistoihin lisää roska-astioita")
    submit_statement(page, "Puistoihin lisää roska-astioita")
    assert Statement.objects.filter(text="Puistoihin lisää roska-astioita", status="pending").exists()
    page.goto(new)
    expect(page.locator("#id_text")).to_have_value("")  # sent: not offered again


def test_resident_without_javascript_votes_by_plain_form_posts(
    live_server, resident_without_js, conversation
):
    page = resident_without_js
    page.set_viewport_size({"width": 390, "height": 640})  # a phone
    page.goto(f"{live_server.url}/c/{SLUG}/?lang=en")
    seen = set()
    for answered in (1, 2, 3):
        seen.add(page.locator("#statement-text").inner_text())
        with page.expect_navigation():
            page.get_by_role("button", name="Pass").click()
        assert f"{answered} / 5 answered" in page.locator("#progress-text").inner_text()
        # Said in the card, where the page opens (it was printed above the fold).
        saved = page.locator("#statement-card .message-success")
        expect(saved).to_have_text("Your answer was saved.")
        expect(saved).to_be_in_viewport()
        expect(page.locator("#statement-text")).to_be_in_viewport()
    assert page.locator("#statement-text").inner_text() not in seen
    assert Vote.objects.filter(choice=0).count() == 3


def test_keyboard_voting_reads_out_the_next_statement_and_an_error_keeps_the_focus(
    live_server, resident, conversation
):
    """With the keyboard (and so a screen reader): after an answer the focus is on the next
    statement, which carries its language; after a refused answer it stays on the button."""
    page = resident
    page.goto(f"{live_server.url}/c/{SLUG}/?lang=en")
    statement = page.locator("#statement-text")
    assert statement.get_attribute("lang") == "fi"  # a Finnish statement on an English page
    first_text = statement.inner_text()
    page.locator("button.vote-agree").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#progress-text")).to_contain_text("1 / 5")
    assert statement.inner_text() != first_text
    assert page.evaluate("document.activeElement.id") == "statement-text"
    assert statement.get_attribute("lang") == "fi"

    conversation.closes_at = timezone.now() - timedelta(minutes=1)
    conversation.save(update_fields=["closes_at"])
    page.locator("button.vote-pass").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#vote-error")).to_be_visible()
    assert page.evaluate("document.activeElement.classList.contains('vote-pass')")


def test_a_statement_withdrawn_while_on_screen_gives_way_to_the_next_one(live_server, resident, conversation):
    # Every answer was refused with "does not exist" while the same statement stayed on the card.
    page = resident
    page.goto(f"{live_server.url}/c/{SLUG}/?lang=en")
    shown = int(page.locator("input[name=statement]").input_value())
    Statement.objects.filter(pk=shown).update(status=Statement.Status.REJECTED)
    page.locator("button.vote-agree").click()
    expect(page.locator("#vote-error")).to_contain_text("the moderators withdrew it")
    expect(page.locator("input[name=statement]")).not_to_have_value(str(shown))
    assert page.evaluate("document.activeElement.id") == "statement-text"
    expect(page.locator("#progress-text")).to_contain_text("0 / 4")
    page.locator("button.vote-agree").click()
    expect(page.locator("#progress-text")).to_contain_text("1 / 4")
    expect(page.locator("#vote-error")).to_be_hidden()
    assert Vote.objects.count() == 1 and not Vote.objects.filter(statement_id=shown).exists()


def test_resident_pages_have_no_serious_accessibility_problems(live_server, resident, conversation):
    closed = make_conversation(
        "suljettu", opens_delta=timedelta(days=-9), closes_delta=timedelta(days=1)
    )
    make_seed(closed, "Suljetun keskustelun väite")
    page = resident
    base = live_server.url
    page.goto(f"{base}/c/{SLUG}/")
    page.get_by_role("button", name=vote_label("fi")).click()
    expect(page.locator("#progress-text")).to_contain_text("1 / 5")
    page.goto(f"{base}/c/{SLUG}/statements/new/")
    submit_statement(page, "Saavutettavuus kuuluu kaikille")
    page.goto(f"{base}/c/suljettu/")
    page.get_by_role("button", name=vote_label("fi")).click()
    expect(page.locator("#progress-text")).to_contain_text("1 / 1")
    closed.closes_at = timezone.now() - timedelta(minutes=1)
    closed.save()

    problems = {}
    for path in (
        "/",
        f"/c/{SLUG}/",
        f"/c/{SLUG}/answers/",
        f"/c/{SLUG}/statements/new/",
        f"/c/{SLUG}/statements/mine/",
        "/c/suljettu/",
        "/c/suljettu/answers/",
        f"/c/{SLUG}/?lang=sv",
    ):
        page.goto(base + path)
        found = serious_violations(page)
        if found:
            problems[path] = [
                (v["id"], v["impact"], v["help"], [node["target"] for node in v["nodes"]][:5])
                for v in found
            ]
    # The check itself works under the site's Content-Security-Policy: a planted problem is found.
    page.evaluate("document.querySelector('main').appendChild(document.createElement('img'))")
    assert "image-alt" in {v["id"] for v in serious_violations(page)}
    for path, found in problems.items():
        print(path)
        for violation in found:
            print("   ", violation)
    assert not problems


def test_a_very_long_word_does_not_make_resident_pages_scroll_sideways(
    live_server, resident, conversation
):
    """On a phone, a statement with one 100-character word (a pasted address, a compound) wraps on
    every page that shows it: the similar-statements step, my statements, the statement page and
    the results."""
    word = "Pääkaupunkiseudunjoukkoliikennelautakunnan" * 2 + "kokouspöytäkirjaliitteet"
    assert len(word) >= 99
    published = make_seed(conversation, f"Lue lisää {word}")
    conversation.show_results = True
    conversation.save(update_fields=["show_results"])
    page = resident
    base = live_server.url
    page.goto(f"{base}/c/{SLUG}/statements/new/")
    page.locator("#id_text").fill(f"Lue lisää {word} ja kommentoi")
    with page.expect_navigation():
        page.locator("form.statement-form button[type=submit]").click()
    assert page.locator("#similar-statements").count() == 1  # the long published one is offered
    wide = {}

    def measure(name):
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        if overflow > 0:
            wide[name] = overflow

    measure("similar-statements step")
    with page.expect_navigation():
        page.locator("form.statement-form button[type=submit]").click()  # send anyway
    assert page.url.endswith("/statements/mine/#messages")
    measure("my statements")
    for path in (f"/c/{SLUG}/s/{published.pk}/", f"/c/{SLUG}/results/"):
        page.goto(base + path)
        measure(path)
    assert wide == {}
