"""Staff configure conversations and seed statements in the Django admin."""

import re

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from statements import services
from statements.models import Conversation, Statement
from tests.conftest import make_participant

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client, db):
    client.force_login(User.objects.create_superuser("staff", password="x"))
    client.cookies["voxit_language"] = "en"
    return client


def conversation_form(**overrides):
    data = {
        "slug": "parks-2026",
        "is_published": "on",
        "title_fi": "Puistot",
        "question_fi": "Mitä puistoihin?",
        "description_fi": "Kuvaus",
        "title_sv": "Parker",
        "question_sv": "Vad i parkerna?",
        "description_sv": "",
        "title_en": "Parks",
        "question_en": "What in the parks?",
        "description_en": "",
        "opens_at": "2026-01-19T09:00",
        "closes_at": "2026-02-01T23:59",
        "submissions_close_at": "2026-01-25T23:59",
        "allow_submissions": "on",
        "max_statement_length": "140",
    }
    data.update(overrides)
    return data


def test_staff_creates_a_conversation_with_three_languages_and_a_window(staff):
    response = staff.post(reverse("admin:statements_conversation_add"), conversation_form())
    assert response.status_code == 302, response.content.decode()[:2000]
    conversation = Conversation.objects.get(slug="parks-2026")
    assert (conversation.title_fi, conversation.title_sv, conversation.title_en) == (
        "Puistot",
        "Parker",
        "Parks",
    )
    assert conversation.submissions_close_at < conversation.closes_at
    assert conversation.is_published and not conversation.show_results


@pytest.mark.parametrize(
    "overrides,field,message",
    [
        ({"closes_at": "2026-01-18T23:59"}, "closes_at", "The conversation must close after it opens."),
        (
            {"submissions_close_at": "2026-02-02T23:59"},
            "submissions_close_at",
            "New statements must stop being accepted after the conversation opens",
        ),
        ({"max_statement_length": "5"}, "max_statement_length", "must be 20-1000 characters"),
        ({"title_fi": ""}, "title_fi", "This field is required."),
    ],
)
def test_inconsistent_conversation_is_refused_with_a_form_error_not_a_crash(staff, overrides, field, message):
    response = staff.post(
        reverse("admin:statements_conversation_add"), conversation_form(**overrides)
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "errornote" in html
    # Said in words beside the field, not as the name of a database constraint.
    at_field = re.search(rf'<div class="form-row[^"]*field-{field}[^"]*">(.*?)</div>\s*</div>', html, re.S)
    assert at_field and message in at_field.group(1), html[html.find("errornote") :][:1500]
    assert "Constraint" not in html and "conversation_" not in html.replace('id="conversation_form"', "")
    assert not Conversation.objects.exists()


def test_change_form_links_to_seeding_and_the_public_page(staff, conversation):
    html = staff.get(
        reverse("admin:statements_conversation_change", args=[conversation.pk])
    ).content.decode()
    assert reverse("admin:statements_conversation_seed", args=[conversation.pk]) in html
    assert reverse("statements:conversation", kwargs={"slug": conversation.slug}) in html


def test_the_admin_is_headed_voxit_and_links_to_moderation_and_reports(staff):
    html = staff.get(reverse("admin:index") + "?lang=fi").content.decode()
    assert "Voxitin ylläpito" in html and "Djangon" not in html  # it read "Djangon ylläpito"
    assert f'href="{reverse("moderation:dashboard")}"' in html
    assert f'href="{reverse("reports:index")}"' in html


def seed_url(conversation):
    return reverse("admin:statements_conversation_seed", args=[conversation.pk])


def test_staff_adds_one_seed_statement_published_at_once(staff, conversation):
    response = staff.post(seed_url(conversation), {"lines": "Puistoihin lisää penkkejä"})
    assert response.status_code == 302
    statement = Statement.objects.get()
    assert (statement.text, statement.status, statement.origin) == (
        "Puistoihin lisää penkkejä",
        "published",
        "seed",
    )
    assert statement.created_by.username == "staff"


def test_staff_pastes_many_seed_statements_with_translations(staff, conversation):
    staff.post(seed_url(conversation), {"lines": "Yksi\tEtt\tOne\nKaksi, ja kolme\n\nNeljä"})
    assert list(Statement.objects.order_by("id").values_list("text", "text_sv", "text_en")) == [
        ("Yksi", "Ett", "One"),
        ("Kaksi, ja kolme", "", ""),
        ("Neljä", "", ""),
    ]


def test_staff_uploads_a_text_file(staff, conversation):
    upload = SimpleUploadedFile("seeds.txt", "Ensimmäinen\nToinen\n".encode())
    staff.post(seed_url(conversation), {"file": upload})
    assert set(Statement.objects.values_list("text", flat=True)) == {"Ensimmäinen", "Toinen"}


def test_staff_uploads_a_csv_file_with_language_columns(staff, conversation):
    content = '\ufefffi,sv,en\n"Puistot, torit",Parker,Parks\n'.encode()
    staff.post(seed_url(conversation), {"file": SimpleUploadedFile("seeds.csv", content)})
    statement = Statement.objects.get()
    assert (statement.text, statement.text_sv, statement.text_en) == (
        "Puistot, torit",
        "Parker",
        "Parks",
    )


def test_staff_uploads_a_semicolon_csv_as_finnish_excel_saves_it(staff, conversation):
    content = "fi;sv;en\nPuistoja pitää hoitaa paremmin.;Parker ska skötas bättre.;Parks need care.\n"
    staff.post(seed_url(conversation), {"file": SimpleUploadedFile("seeds.csv", content.encode())})
    # One statement with its translations; not the header, nor the three languages glued together.
    assert list(Statement.objects.values_list("text", "text_sv", "text_en")) == [
        ("Puistoja pitää hoitaa paremmin.", "Parker ska skötas bättre.", "Parks need care.")
    ]


def test_a_csv_that_cannot_be_read_adds_nothing_and_keeps_the_pasted_lines(staff, conversation):
    upload = SimpleUploadedFile("seeds.csv", "Kirjastoja, lisää\nToinen\n".encode())
    response = staff.post(seed_url(conversation), {"lines": "Liitetty rivi", "file": upload})
    html = response.content.decode()
    assert response.status_code == 200
    assert "has no header row" in html
    assert not Statement.objects.exists()  # neither the file's rows nor the pasted line
    assert "Liitetty rivi</textarea>" in html


def test_a_refused_csv_row_is_named_by_its_line_in_the_file(staff, conversation):
    content = "fi,sv,en\n\nEnsimmäinen,Första,First\n\n" + "x" * 300 + ",,\n"
    response = staff.post(seed_url(conversation), {"file": SimpleUploadedFile("seeds.csv", content.encode())})
    html = response.content.decode()
    assert "Line 5" in html and "Line 2" not in html  # blank lines and the header count
    assert Statement.objects.filter(text="Ensimmäinen").exists()


def test_refusals_from_both_the_box_and_the_file_say_which_one_they_came_from(staff, conversation):
    upload = SimpleUploadedFile("seeds.txt", ("Tiedostosta\n" + "y" * 300 + "\n").encode())
    response = staff.post(seed_url(conversation), {"lines": "x" * 300, "file": upload})
    html = response.content.decode()
    # Line 1 of the box and line 2 of the file, not "Line 1" and "Line 2" of nothing in particular.
    assert "Text box, line 1" in html and "File, line 2" in html
    assert Statement.objects.filter(text="Tiedostosta").exists()


def test_seed_lines_that_cannot_be_added_are_listed_and_the_rest_kept(staff, conversation):
    services.statement_seed(conversation=conversation, text="Jo olemassa")
    response = staff.post(seed_url(conversation), {"lines": "Uusi\njo OLEMASSA\n" + "x" * 300})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Line 2" in html and "Line 3" in html
    assert Statement.objects.filter(text="Uusi").exists()
    assert Statement.objects.count() == 2
    # The box keeps only the lines not added, to correct and send again.
    box = re.search(r'<textarea name="lines"[^>]*>(.*?)</textarea>', html, re.S).group(1)
    assert box.strip() == "jo OLEMASSA\n" + "x" * 300


def test_non_utf8_file_is_refused_with_a_message(staff, conversation):
    upload = SimpleUploadedFile("seeds.txt", "Ääkköset".encode("latin-1"))
    response = staff.post(seed_url(conversation), {"file": upload})
    assert "not UTF-8" in response.content.decode()
    assert not Statement.objects.exists()


def test_empty_seed_form_asks_for_input(staff, conversation):
    response = staff.post(seed_url(conversation), {"lines": "   "})
    assert "Paste statements or choose a file." in response.content.decode()


def test_seed_view_needs_staff(client, conversation):
    response = client.get(seed_url(conversation))
    assert response.status_code == 302 and "/login/" in response["Location"]
    client.force_login(User.objects.create_user("plain", is_staff=True))
    assert client.post(seed_url(conversation), {"lines": "Sneaky"}).status_code == 403
    assert not Statement.objects.exists()


def test_staff_lists_statements_participants_and_votes(staff, participant, seeds):
    services.vote_cast(participant=participant, statement_id=seeds[0].pk, choice="agree")
    services.statement_submit(participant=participant, text="Pending one")
    make_participant(participant.conversation, is_demo=True)
    for model in ("statement", "participant", "vote", "conversation"):
        response = staff.get(reverse(f"admin:statements_{model}_changelist"))
        assert response.status_code == 200, model
    assert (
        "Pending one"
        in staff.get(reverse("admin:statements_statement_changelist")).content.decode()
    )
    assert (
        staff.get(
            reverse("admin:statements_statement_changelist") + "?status__exact=pending"
        ).status_code
        == 200
    )


def test_staff_edits_a_statement_translation_but_not_its_moderation_state(staff, conversation):
    statement = services.statement_seed(conversation=conversation, text="Penkit")
    url = reverse("admin:statements_statement_change", args=[statement.pk])
    assert staff.get(url).status_code == 200
    staff.post(
        url, {"text_fi": "Penkit", "text_sv": "Bänkar", "text_en": "Benches", "status": "rejected"}
    )
    statement.refresh_from_db()
    assert (statement.text_sv, statement.status) == ("Bänkar", "published")


def test_a_moderator_sent_to_the_login_by_the_admin_is_told_why(client, db):
    # A logged-in moderator opening /admin/ got the bare login form, as if logged out.
    from tests.moderation.conftest import make_moderator

    moderator = make_moderator("moderaattori")
    client.force_login(moderator)
    page = client.get(reverse("admin:index") + "?lang=en", follow=True).content.decode()
    assert "You are logged in as moderaattori, but that account may not open the page you asked for." in page
    anonymous = client.__class__().get(reverse("login") + "?lang=en").content.decode()
    assert "You are logged in as" not in anonymous
    # Back to the login page from a page the account may open: nothing to say.
    back = client.get(reverse("login") + "?lang=en&next=/moderation/").content.decode()
    assert "You are logged in as" not in back


def test_the_schedule_fields_are_single_labelled_date_and_time_inputs(staff):
    """Each time is one input its label names (the split date and time boxes had no labels)."""
    page = staff.get(reverse("admin:statements_conversation_add")).content.decode()
    for name in ("opens_at", "closes_at", "submissions_close_at"):
        assert re.search(rf'<label[^>]*for="id_{name}"', page), name
        assert re.search(rf'<input type="datetime-local" name="{name}"[^>]*id="id_{name}"', page), name
    staff.post(reverse("admin:statements_conversation_add"), conversation_form())
    conversation = Conversation.objects.get(slug="parks-2026")
    change = staff.get(reverse("admin:statements_conversation_change", args=[conversation.pk])).content.decode()
    assert 'value="2026-01-19T09:00"' in change
