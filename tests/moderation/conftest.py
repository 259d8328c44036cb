import secrets
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from moderation.permissions import moderators_group_ensure
from statements.models import Statement
from statements.services import statement_text_key
from tests.conftest import make_conversation, make_participant


def make_moderator(username=None, **fields):
    user = get_user_model().objects.create_user(
        username=username or f"mod-{secrets.token_hex(3)}", password="secret-pass-123", **fields
    )
    user.groups.add(moderators_group_ensure())
    return user


def make_pending(conversation, text=None, *, author=None, submitted_at=None):
    """A resident's pending statement, at any submission time (the service insists on 'now')."""
    text = text or f"Ehdotus {secrets.token_hex(4)}"
    return Statement.objects.create(
        conversation=conversation,
        text=text,
        original_text=text,
        text_key=statement_text_key(text),
        origin=Statement.Origin.PARTICIPANT,
        status=Statement.Status.PENDING,
        author=author or make_participant(conversation),
        submitted_at=submitted_at or timezone.now() - timedelta(minutes=5),
    )


@pytest.fixture
def moderator(db):
    return make_moderator("moderaattori")


@pytest.fixture
def other_moderator(db):
    return make_moderator("toinen")


@pytest.fixture
def staff_user(db):
    return get_user_model().objects.create_user(
        username="staff", password="secret-pass-123", is_staff=True
    )


@pytest.fixture
def plain_user(db):
    return get_user_model().objects.create_user(username="plain", password="secret-pass-123")


@pytest.fixture
def conversation(db):
    return make_conversation(opens_delta=timedelta(days=-30))


@pytest.fixture
def pending(conversation):
    return make_pending(conversation, "Kirjastojen aukioloaikoja pitää pidentää iltaisin")


@pytest.fixture
def recluster_calls(monkeypatch):
    """Every conversation_recluster_request the moderation services make."""
    calls = []
    monkeypatch.setattr(
        "moderation.services.conversation_recluster_request",
        lambda *, conversation_id: calls.append(conversation_id),
    )
    return calls
