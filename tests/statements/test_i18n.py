"""Finnish by default; ?lang= and the language switch choose sv/en, remembered in a cookie."""

import re

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import pgettext

from statements import services
from tests.conftest import make_conversation, make_seed

pytestmark = pytest.mark.django_db


def conversation_url(conversation):
    return reverse("statements:conversation", kwargs={"slug": conversation.slug})


def html_lang(response):
    return re.search(r'<html lang="(\w+)">', response.content.decode()).group(1)


def test_finnish_is_the_default_for_an_english_browser(client, conversation):
    # Many Finnish-speaking residents browse in English: the city's Finnish link stays Finnish.
    response = client.get(conversation_url(conversation), HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9")
    assert html_lang(response) == "fi"
    assert response["Content-Language"] == "fi"
    assert "Accept-Language" in response["Vary"]


@pytest.mark.parametrize("header", ["sv-FI,sv;q=0.9,fi;q=0.8", "sv", "fi;q=0.5, sv-SE;q=0.9"])
def test_a_browser_whose_first_language_is_swedish_gets_swedish(client, conversation, header):
    response = client.get(conversation_url(conversation), HTTP_ACCEPT_LANGUAGE=header)
    assert html_lang(response) == "sv"
    # A choice made on the page still wins.
    assert html_lang(client.get(conversation_url(conversation) + "?lang=fi", HTTP_ACCEPT_LANGUAGE=header)) == "fi"
    assert html_lang(client.get(conversation_url(conversation), HTTP_ACCEPT_LANGUAGE=header)) == "fi"


def test_lang_parameter_switches_and_the_choice_is_remembered(client, conversation):
    response = client.get(conversation_url(conversation) + "?lang=sv")
    assert html_lang(response) == "sv"
    assert response.cookies["voxit_language"].value == "sv"
    later = client.get("/")
    assert html_lang(later) == "sv"
    assert later["Content-Language"] == "sv"


def test_unknown_language_is_ignored(client, conversation):
    response = client.get(conversation_url(conversation) + "?lang=de")
    assert html_lang(response) == "fi"
    assert "voxit_language" not in response.cookies


def test_language_switch_form_remembers_the_choice_and_returns_to_the_page(client, conversation):
    page = client.get(conversation_url(conversation) + "?lang=en").content.decode()
    next_value = re.search(r'name="next" value="([^"]*)"', page).group(1)
    response = client.post(
        reverse("set_language"), {"language": "sv", "next": next_value}, follow=True
    )
    assert response.redirect_chain[-1][0].startswith(conversation_url(conversation))
    assert html_lang(response) == "sv"
    assert client.cookies["voxit_language"].value == "sv"


def test_conversation_texts_fall_back_to_finnish_when_a_translation_is_empty(client, db):
    conversation = make_conversation(
        title_sv="", question_sv="", title_en="In English", question_en=""
    )
    make_seed(conversation, "Vain suomeksi")
    swedish = client.get(conversation_url(conversation) + "?lang=sv").content.decode()
    assert "Testikeskustelu" in swedish and "Mitä mieltä olet?" in swedish
    assert "Vain suomeksi" in swedish
    english = client.get(conversation_url(conversation) + "?lang=en").content.decode()
    assert "In English" in english and "Mitä mieltä olet?" in english
    # A Finnish fallback is marked Finnish, so a screen reader reads it with a Finnish voice.
    assert '<h1 lang="fi">Testikeskustelu</h1>' in swedish
    assert '<p class="question" lang="fi">Mitä mieltä olet?</p>' in swedish
    assert '<h1 lang="en">In English</h1>' in english
    assert '<p class="question" lang="fi">Mitä mieltä olet?</p>' in english
    listing = client.get("/?lang=sv").content.decode()
    assert 'lang="fi">Testikeskustelu</a>' in listing and 'lang="fi">Mitä mieltä olet?</p>' in listing


def test_statement_is_shown_in_the_chosen_language_when_translated(client, conversation):
    services.statement_seed(
        conversation=conversation,
        text="Lisää puistoja",
        text_sv="Fler parker",
        text_en="More parks",
    )
    assert "Fler parker" in client.get(conversation_url(conversation) + "?lang=sv").content.decode()
    assert "More parks" in client.get(conversation_url(conversation) + "?lang=en").content.decode()
    assert (
        "Lisää puistoja" in client.get(conversation_url(conversation) + "?lang=fi").content.decode()
    )


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
def test_vote_buttons_are_in_the_chosen_language(client, conversation, seeds, language):
    page = client.get(conversation_url(conversation) + f"?lang={language}").content.decode()
    with translation.override(language):
        labels = [pgettext("vote", word) for word in ("Agree", "Disagree", "Pass")]
    for label in labels:
        assert f">{label}<" in page


def test_button_labels_differ_between_languages_once_translated(client, conversation, seeds):
    with translation.override("fi"):
        if pgettext("vote", "Agree") == "Agree":
            pytest.skip("no Finnish translation compiled yet")
    finnish = client.get(conversation_url(conversation) + "?lang=fi").content.decode()
    english = client.get(conversation_url(conversation) + "?lang=en").content.decode()
    assert ">Samaa mieltä<" in finnish and ">Agree<" not in finnish
    assert ">Agree<" in english and ">Samaa mieltä<" not in english


def _po_entries(path):
    """(flags, msgid, msgstr) of each entry of a .po file, obsolete ones and the header left out."""
    entries, flags, fields, current = [], "", {}, None
    for line in path.read_text(encoding="utf-8").splitlines() + [""]:
        if not line.strip():
            if fields.get("msgid"):
                entries.append((flags, fields["msgid"], fields.get("msgstr", fields.get("msgstr[0]", ""))))
            flags, fields, current = "", {}, None
        elif line.startswith("#~"):
            fields, current = {}, None
        elif line.startswith("#,"):
            flags = line
        elif line.startswith("msg"):
            key, _, value = line.partition(" ")
            current, fields[key] = key, value.strip()[1:-1]
        elif line.startswith('"') and current:
            fields[current] += line.strip()[1:-1]
    return entries


@pytest.mark.parametrize("language", ["fi", "sv"])
def test_every_text_is_translated_and_no_translation_is_a_guess(language):
    """makemessages marks a new text "fuzzy" with the translation of a similar old one (a digest
    named "moderator"): such a guess, like a missing translation, must not ship."""
    from pathlib import Path

    from django.conf import settings

    path = Path(settings.BASE_DIR) / "voxit" / "locale" / language / "LC_MESSAGES" / "django.po"
    entries = _po_entries(path)
    assert len(entries) > 300
    assert [msgid for flags, msgid, _ in entries if "fuzzy" in flags] == []
    assert [msgid for _flags, msgid, msgstr in entries if not msgstr] == []


@pytest.mark.parametrize(
    ("language", "written"),
    [("fi", "4.12.2026 15:30"), ("sv", "4.12.2026 15:30"), ("en", "4 Dec 2026 15:30")],
)
def test_dates_are_written_as_the_readers_language_writes_them(client, db, language, written):
    # 4.12. is the 12th of April to many English readers: English spells the month out.
    from datetime import datetime
    from zoneinfo import ZoneInfo

    closes = datetime(2026, 12, 4, 15, 30, tzinfo=ZoneInfo("Europe/Helsinki"))
    conversation = make_conversation(closes_at=closes, opens_at=closes.replace(month=1), allow_submissions=False)
    page = client.get(conversation_url(conversation) + f"?lang={language}").content.decode()
    assert written in page
    if language == "en":
        assert "4.12.2026" not in page


def test_a_deadline_carries_its_weekday_in_the_readers_language():
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from statements.templatetags.voxit_format import day_datetime

    friday = datetime(2026, 12, 4, 13, 0, tzinfo=ZoneInfo("UTC"))  # 15:00 in Helsinki
    with translation.override("fi"):
        assert day_datetime(friday) == "pe 4.12.2026 15:00"
    with translation.override("en"):
        assert day_datetime(friday) == "Fri 4 Dec 2026 15:00"
