"""Every moderation URL: anonymous and resident → login; plain user → 403; moderator, staff → in."""

import re

import pytest
from django.urls import reverse

from tests.moderation.conftest import make_pending

pytestmark = pytest.mark.django_db


def _urls(conversation, statement):
    return [
        ("get", reverse("moderation:dashboard")),
        ("get", reverse("moderation:queue")),
        ("get", reverse("moderation:conversation_queue", kwargs={"slug": conversation.slug})),
        ("get", reverse("moderation:statement", kwargs={"statement_id": statement.pk})),
        ("get", reverse("moderation:log")),
        ("get", reverse("moderation:log_csv")),
        ("post", reverse("moderation:decide", kwargs={"statement_id": statement.pk})),
        ("post", reverse("moderation:reverse", kwargs={"statement_id": statement.pk})),
        ("post", reverse("moderation:bulk")),
    ]


@pytest.fixture
def statement(conversation):
    return make_pending(conversation, "Väite jota kukaan ei saa päättää")


def test_anonymous_gets_the_login_page(client, conversation, statement):
    for method, url in _urls(conversation, statement):
        response = getattr(client, method)(
            url, {"decision": "approve"} if method == "post" else None
        )
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login")), url
    assert statement.__class__.objects.get(pk=statement.pk).status == "pending"


def test_resident_with_a_participant_cookie_gets_the_login_page(client, conversation, statement):
    client.get(reverse("statements:conversation", kwargs={"slug": conversation.slug}))
    client.post(
        reverse("statements:statement_new", kwargs={"slug": conversation.slug}),
        {"text": "Asukkaan oma väite", "confirm": "1"},
    )
    assert "voxit_participant" in client.cookies
    for method, url in _urls(conversation, statement):
        response = getattr(client, method)(
            url, {"decision": "approve"} if method == "post" else None
        )
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login")), url
    statement.refresh_from_db()
    assert statement.status == "pending"


def test_logged_in_non_moderator_gets_403(client, plain_user, conversation, statement):
    client.force_login(plain_user)
    for method, url in _urls(conversation, statement):
        response = getattr(client, method)(
            url, {"decision": "approve"} if method == "post" else None
        )
        assert response.status_code == 403, url
    statement.refresh_from_db()
    assert statement.status == "pending"


@pytest.mark.parametrize("who", ["moderator", "staff_user"])
def test_moderators_and_staff_get_in(client, conversation, statement, request, who):
    client.force_login(request.getfixturevalue(who))
    for method, url in _urls(conversation, statement):
        if method == "get":
            assert client.get(url).status_code == 200, url
    response = client.post(
        reverse("moderation:decide", kwargs={"statement_id": statement.pk}), {"decision": "approve"}
    )
    assert response.status_code == 302
    statement.refresh_from_db()
    assert statement.status == "published"


def test_moderators_group_is_made_by_the_migration(db):
    from django.contrib.auth.models import Group

    group = Group.objects.get(name="Moderators")
    codenames = set(group.permissions.values_list("codename", flat=True))
    assert {"moderate_statement", "view_moderationaction"} <= codenames


def test_moderation_link_is_in_the_header_for_moderators_only(client, moderator, plain_user):
    client.force_login(moderator)
    assert reverse("moderation:dashboard") in client.get("/").content.decode()
    client.force_login(plain_user)
    assert reverse("moderation:dashboard") not in client.get("/").content.decode()


def test_login_leads_a_moderator_to_the_dashboard(client, moderator):
    response = client.post(
        reverse("login"), {"username": "moderaattori", "password": "secret-pass-123"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("moderation:dashboard")


def test_a_wrong_password_is_told_at_the_fields_and_the_username_is_kept(client, moderator):
    response = client.post(reverse("login"), {"username": "moderaattori", "password": "wrong"})
    assert response.status_code == 200
    page = response.content.decode()
    assert 'role="alert" id="login-error"' in page
    username = re.search(r'<input type="text" name="username"[^>]*>', page).group(0)
    password = re.search(r'<input type="password" name="password"[^>]*>', page).group(0)
    for field in (username, password):
        assert 'aria-invalid="true"' in field and 'aria-describedby="login-error"' in field
    # The username stays as typed; the cursor starts in the password, the field to fix.
    assert 'value="moderaattori"' in username
    assert "autofocus" in password and "autofocus" not in username


def test_the_login_page_marks_no_field_before_a_try(client, db):
    page = client.get(reverse("login")).content.decode()
    assert "aria-invalid" not in page and "login-error" not in page
    assert re.search(r'<input type="text" name="username"[^>]*autofocus', page)
