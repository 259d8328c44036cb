"""Factories for opinion-group tests: conversations with many votes, and the three kinds of user."""

import os
from pathlib import Path

import numpy as np
import pytest
from django.contrib.auth.models import Group, User
from django.utils import timezone

from clustering.math.synthetic import planted_conversation
from statements.models import Participant, Statement, Vote, VoteLog
from tests.conftest import make_conversation

SHARED_DATA = Path(
    os.environ.get("VOXIT_SHARED_DATA") or Path(__file__).resolve().parents[3] / "shared" / "data"
)
POLIS_OPEN = SHARED_DATA / "polis-open"


def make_voted_conversation(
    n_participants: int, n_statements: int = 12, *, seed: int = 0, slug=None, **fields
):
    """A published conversation with planted opinion groups, written in bulk (no recompute triggered)."""
    conversation = make_conversation(slug, **fields)
    planted = planted_conversation(
        n_participants,
        n_statements,
        n_groups=2,
        votes_per_participant=min(n_statements, 10),
        seed=seed,
    )
    now = timezone.now()
    statements = Statement.objects.bulk_create(
        [
            Statement(
                conversation=conversation,
                text=f"Planted statement {i}",
                text_fi=f"Planted statement {i}",
                text_key=f"planted statement {i}",
                origin=Statement.Origin.SEED,
                status=Statement.Status.PUBLISHED,
                submitted_at=now,
                published_at=now,
                decided_at=now,
            )
            for i in range(n_statements)
        ]
    )
    participants = Participant.objects.bulk_create(
        [
            Participant(conversation=conversation, browser_key=f"{conversation.pk}-{i}")
            for i in range(n_participants)
        ]
    )
    p_of = dict(zip(planted.planted_ids.tolist(), participants, strict=True))
    s_of = dict(zip(np.unique(planted.statement_ids).tolist(), statements, strict=False))
    votes = [
        Vote(
            conversation=conversation,
            participant=p_of[p],
            statement=s_of[s],
            choice=c,
            created_at=now,
            updated_at=now,
        )
        for p, s, c in zip(
            planted.participant_ids.tolist(),
            planted.statement_ids.tolist(),
            planted.choices.tolist(),
            strict=True,
        )
    ]
    Vote.objects.bulk_create(votes, batch_size=5000)
    VoteLog.objects.bulk_create(
        [
            VoteLog(
                conversation=conversation,
                participant=v.participant,
                statement=v.statement,
                choice=v.choice,
                cast_at=now,
            )
            for v in votes
        ],
        batch_size=5000,
    )
    return conversation


@pytest.fixture
def staff_user(db):
    return User.objects.create_user("staff", password="pw-staff-123", is_staff=True)


@pytest.fixture
def report_viewer(db):
    user = User.objects.create_user("viewer", password="pw-viewer-123")
    user.groups.add(Group.objects.get(name="Report viewers"))
    return user


@pytest.fixture
def plain_user(db):
    return User.objects.create_user("plain", password="pw-plain-123")


@pytest.fixture
def client(client):
    """The report's assertions read English text: ask for the English interface."""
    from django.conf import settings

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client
