"""A resident reaches neither the admin nor anyone else's data, nor anything unpublished."""

import json

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from statements import services
from statements.models import Statement
from tests.conftest import make_conversation, make_seed
from tests.statements.conftest import resident_client

pytestmark = pytest.mark.django_db


def html(name, conversation, **kwargs):
    return reverse(f"statements:{name}", kwargs={"slug": conversation.slug, **kwargs})


def api(name, conversation):
    return reverse(f"api:{name}", kwargs={"slug": conversation.slug})


@pytest.mark.parametrize(
    "path",
    [
        "/admin/",
        "/admin/statements/vote/",
        "/admin/statements/participant/",
        "/admin/statements/statement/",
    ],
)
def test_resident_is_sent_to_the_login_from_admin(client, db, path):
    response = client.get(path)
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_logged_in_non_staff_user_cannot_use_the_admin(client, db):
    client.force_login(User.objects.create_user("resident"))
    assert client.get("/admin/statements/vote/").status_code == 302


def test_another_browser_sees_none_of_my_answers_or_statements(
    client, other_browser, conversation, seeds
):
    client.get(html("conversation", conversation))
    client.post(html("vote", conversation), {"statement": seeds[0].pk, "choice": "agree"})
    client.post(html("statement_new", conversation), {"text": "My private pending thought"})
    answers = other_browser.get(html("answers", conversation)).content.decode()
    assert seeds[0].text not in answers
    mine = other_browser.get(html("mine", conversation)).content.decode()
    assert "My private pending thought" not in mine
    assert other_browser.get(api("my_votes", conversation)).json() == []
    assert other_browser.get(api("my_statements", conversation)).json() == []


def test_pending_statement_is_never_shown_to_other_residents(other_browser, participant):
    pending = services.statement_submit(participant=participant, text="Unmoderated words")
    conversation = participant.conversation
    for _ in range(10):
        assert (
            "Unmoderated words"
            not in other_browser.get(html("conversation", conversation)).content.decode()
        )
        body = other_browser.get(api("next", conversation)).json()
        assert body["statement"] is None or body["statement"]["id"] != pending.pk


@pytest.mark.parametrize("status", ["pending", "rejected"])
def test_unpublished_statement_by_id_is_404(client, participant, status):
    statement = services.statement_submit(participant=participant, text="Hidden by id")
    Statement.objects.filter(pk=statement.pk).update(status=status)
    conversation = participant.conversation
    response = client.get(html("statement", conversation, statement_id=statement.pk))
    assert response.status_code == 404
    assert "Hidden by id" not in response.content.decode()
    response = client.post(
        api("votes", conversation),
        json.dumps({"statement": statement.pk, "choice": "agree"}),
        content_type="application/json",
    )
    assert response.status_code == 404
    assert "Hidden by id" not in response.content.decode()


def test_statement_of_another_conversation_is_404_under_this_one(client, conversation, seeds):
    foreign = make_seed(make_conversation(), "Belongs elsewhere")
    assert client.get(html("statement", conversation, statement_id=foreign.pk)).status_code == 404


def test_huge_statement_id_in_the_address_is_404(client, conversation):
    assert client.get(f"/c/{conversation.slug}/s/{'9' * 30}/").status_code == 404


@pytest.fixture
def draft(db):
    conversation = make_conversation("draft-talk", is_published=False, title_en="Draft title")
    make_seed(conversation, "Draft statement")
    return conversation


@pytest.mark.parametrize("name", ["conversation", "answers", "statement_new", "mine"])
def test_unpublished_conversation_is_404_for_residents(client, draft, name):
    response = client.get(html(name, draft))
    assert response.status_code == 404
    assert "Draft statement" not in response.content.decode()


def test_unpublished_conversation_refuses_posts_and_api_calls(client, draft):
    statement = Statement.objects.get()
    assert (
        client.post(html("vote", draft), {"statement": statement.pk, "choice": "agree"}).status_code
        == 404
    )
    assert client.post(html("statement_new", draft), {"text": "Hello"}).status_code == 404
    for name in ("conversation", "next", "my_votes", "my_statements"):
        assert client.get(api(name, draft)).status_code == 404
    body = json.dumps({"statement": statement.pk, "choice": "agree"})
    assert (
        client.post(api("votes", draft), body, content_type="application/json").status_code == 404
    )
    assert (
        client.post(
            api("statements", draft), '{"text": "x"}', content_type="application/json"
        ).status_code
        == 404
    )
    assert not statement.votes.exists()
    assert "draft-talk" not in client.get("/").content.decode()


def test_staff_can_preview_an_unpublished_conversation(client, draft):
    client.force_login(User.objects.create_user("staff", is_staff=True))
    response = client.get(html("conversation", draft) + "?lang=en")
    assert response.status_code == 200
    assert "Draft title" in response.content.decode()


def test_error_pages_do_not_leak_a_stack_trace(db):
    browser = resident_client()
    response = browser.get("/c/no-such-conversation/")
    assert response.status_code == 404
    assert "Traceback" not in response.content.decode()
