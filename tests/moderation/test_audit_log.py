"""Every action appears in the log exactly once; the log page filters it and the CSV carries it."""

import csv
import io

import pytest
from django.urls import reverse

from moderation import services
from moderation.models import ModerationAction
from tests.conftest import make_seed
from tests.moderation.conftest import make_pending

pytestmark = pytest.mark.django_db
Reason = ModerationAction.Reason


@pytest.fixture
def history(conversation, moderator, other_moderator):
    """One of every action, by two moderators."""
    original = make_seed(conversation, "Puistoihin lisää penkkejä")
    a, b, c, d, e = (make_pending(conversation, f"Väite {letter}") for letter in "abcde")
    services.statement_approve(statement_id=a.pk, moderator=moderator)
    services.statement_approve(statement_id=b.pk, moderator=moderator, text="Väite B muokattuna")
    services.statement_reject(
        statement_id=c.pk,
        moderator=other_moderator,
        reason=Reason.DUPLICATE,
        duplicate_of_id=original.pk,
    )
    services.statement_reject(
        statement_id=d.pk,
        moderator=other_moderator,
        reason=Reason.OTHER,
        explanation='=HYPERLINK("x")',
    )
    services.statement_decision_reverse(
        statement_id=a.pk,
        moderator=other_moderator,
        reason=Reason.INSULTING,
        explanation="Loukkaava sittenkin",
    )
    services.statement_decision_reverse(
        statement_id=a.pk, moderator=moderator, explanation="Ei loukkaava"
    )
    services.statements_reject_bulk(
        statement_ids=[e.pk, c.pk], moderator=moderator, reason=Reason.OFF_TOPIC
    )
    return {"a": a, "b": b, "c": c, "d": d, "e": e, "original": original}


def test_every_action_appears_exactly_once(history):
    rows = list(
        ModerationAction.objects.order_by("id").values_list("statement_id", "action", "actor_name")
    )
    h = history
    assert rows == [
        (h["a"].pk, "approve", "moderaattori"),
        (h["b"].pk, "approve_edited", "moderaattori"),
        (h["c"].pk, "reject", "toinen"),
        (h["d"].pk, "reject", "toinen"),
        (h["a"].pk, "reverse_to_rejected", "toinen"),
        (h["a"].pk, "reverse_to_published", "moderaattori"),
        (h["e"].pk, "reject", "moderaattori"),
        # c was already decided: the bulk refusal adds nothing.
    ]
    edited = ModerationAction.objects.get(statement=h["b"])
    assert (edited.text_before, edited.text_after) == ("Väite b", "Väite B muokattuna")


def test_log_page_lists_and_filters(client, moderator, history):
    client.force_login(moderator)
    html = client.get(reverse("moderation:log")).content.decode()
    assert html.count('data-action="') == 7
    html = client.get(reverse("moderation:log"), {"moderator": "toinen"}).content.decode()
    assert html.count('data-action="') == 3
    html = client.get(reverse("moderation:log"), {"action": "approve_edited"}).content.decode()
    assert html.count('data-action="') == 1 and "Väite B muokattuna" in html
    html = client.get(reverse("moderation:log"), {"statement": history["a"].pk}).content.decode()
    assert html.count('data-action="') == 3
    html = client.get(reverse("moderation:log"), {"reason": "duplicate"}).content.decode()
    assert f'href="/moderation/s/{history["original"].pk}/"' in html


def test_a_filter_that_cannot_be_read_lists_nothing_rather_than_everything(client, moderator, history):
    client.force_login(moderator)
    query = {"moderator": "toinen", "statement": "#1", "lang": "en"}  # a typo in one field
    html = client.get(reverse("moderation:log"), query).content.decode()
    assert html.count('data-action="') == 0
    assert "Enter a whole number." in html
    csv_file = client.get(reverse("moderation:log_csv"), query)
    assert csv_file.status_code == 400
    assert csv_file.content.decode().startswith("The filters could not be read:")
    gone = client.get(reverse("moderation:log_csv"), {"conversation": "no-such-conversation"})
    assert gone.status_code == 400


def test_csv_download_has_every_action_and_defuses_formulas(client, moderator, history):
    client.force_login(moderator)
    response = client.get(reverse("moderation:log_csv"))
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows) == 7
    assert {row["action"] for row in rows} == set(ModerationAction.Action.values)
    other = next(row for row in rows if row["reason"] == "other")
    assert other["explanation"].startswith("'=")
    duplicate = next(row for row in rows if row["reason"] == "duplicate")
    assert duplicate["duplicate_of"] == str(history["original"].pk)
    filtered = client.get(reverse("moderation:log_csv"), {"moderator": "toinen"})
    assert len(list(csv.DictReader(io.StringIO(filtered.content.decode("utf-8-sig"))))) == 3


def test_the_excel_csv_splits_at_semicolons_and_names_actions_in_the_readers_language(client, moderator, history):
    # Finnish Excel put every row of the comma file in column A, and showed codes (off_topic).
    client.force_login(moderator)
    page = client.get(reverse("moderation:log") + "?moderator=toinen").content.decode()
    assert "?moderator=toinen&amp;excel=1" in page
    response = client.get(reverse("moderation:log_csv") + "?excel=1&lang=fi")
    content = response.content.decode("utf-8")
    assert content.startswith("\ufeffid;created_at;")
    rows = list(csv.DictReader(io.StringIO(content.lstrip("\ufeff")), delimiter=";"))
    assert len(rows) == 7
    duplicate = next(row for row in rows if row["reason"] == "duplicate")
    from django.utils import translation

    with translation.override("fi"):
        assert duplicate["action_label"] == str(ModerationAction.Action.REJECT.label)
        assert duplicate["reason_label"] == str(Reason.DUPLICATE.label)


@pytest.mark.parametrize(
    "query",
    ["until=9999-12-31", "since=0001-01-01", "until=not-a-date", "statement=99999999999999999999999"],
)
def test_log_filter_with_an_absurd_date_never_errors(
    client, moderator, history, query
):
    client.force_login(moderator)
    for name in ("moderation:log", "moderation:log_csv"):
        response = client.get(reverse(name) + "?" + query)
        assert response.status_code in (200, 400)


def test_two_moderators_reversing_the_same_publication_make_one_reversal(
    conversation, moderator, other_moderator
):
    """Both open the statement while it is published and press "Reject instead": the second is
    told it was already reversed, and the statement stays rejected (it was re-published before)."""
    from django.test import Client

    statement = make_pending(conversation, "Kaupunginjohtaja on idiootti")
    services.statement_approve(statement_id=statement.pk, moderator=moderator)
    clients = []
    for user in (moderator, other_moderator):
        client = Client()
        client.force_login(user)
        page = client.get(reverse("moderation:statement", args=[statement.pk]) + "?lang=en")
        assert 'name="expected_status" value="published"' in page.content.decode()
        clients.append(client)
    form = {
        "reason": Reason.INSULTING,
        "explanation": "Loukkaa henkilöä",
        "expected_status": "published",
    }
    url = reverse("moderation:reverse", args=[statement.pk]) + "?lang=en"
    assert clients[0].post(url, form).status_code == 302
    statement.refresh_from_db()
    assert statement.status == "rejected"
    second = clients[1].post(url, form, follow=True).content.decode()
    assert "was already" in second and "Your decision was not saved." in second
    statement.refresh_from_db()
    assert statement.status == "rejected"
    assert list(
        ModerationAction.objects.filter(statement=statement).order_by("id").values_list("action", flat=True)
    ) == ["approve", "reverse_to_rejected"]


def test_a_refused_reversal_comes_back_with_the_explanation_written(client, conversation, moderator):
    statement = make_pending(conversation, "Väite, joka julkaistiin")
    services.statement_approve(statement_id=statement.pk, moderator=moderator)
    client.force_login(moderator)
    url = reverse("moderation:reverse", args=[statement.pk]) + "?lang=en"
    explanation = "Pitkä perustelu, jonka moderaattori kirjoitti huolella"
    form = {"reason": "", "duplicate_of": "12", "explanation": explanation, "expected_status": "published"}
    page = client.post(url, form, follow=True).content.decode()
    assert f"{explanation}</textarea>" in page  # the box was empty
    assert 'name="duplicate_of" min="1" inputmode="numeric" value="12"' in page
    statement.refresh_from_db()
    assert statement.status == "published"
    # Once: the page opened again later is empty.
    again = client.get(reverse("moderation:statement", args=[statement.pk])).content.decode()
    assert explanation not in again
