"""The database itself refuses data that breaks the model's rules, whatever code writes it."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from statements.models import Conversation, Participant, Statement, Vote
from statements.text import statement_text_key
from tests.conftest import make_conversation, make_participant, make_seed

pytestmark = pytest.mark.django_db


def refused(create):
    with pytest.raises(IntegrityError), transaction.atomic():
        create()


def test_conversation_must_close_after_it_opens():
    now = timezone.now()
    refused(
        lambda: make_conversation(opens_delta=timedelta(days=1), closes_delta=timedelta(days=-1))
    )
    refused(lambda: make_conversation(opens_at=now, closes_at=now))


def test_submission_deadline_may_equal_the_close_but_not_pass_it():
    now = timezone.now()
    closes = now + timedelta(days=7)
    ok = make_conversation(closes_at=closes, submissions_close_at=closes)
    assert ok.submissions_deadline == closes
    refused(
        lambda: make_conversation(
            closes_at=closes, submissions_close_at=closes + timedelta(seconds=1)
        )
    )


def test_submission_deadline_cannot_precede_opening():
    now = timezone.now()
    refused(lambda: make_conversation(opens_at=now, submissions_close_at=now - timedelta(hours=1)))


def test_empty_submission_deadline_means_until_close():
    conversation = make_conversation()
    assert conversation.submissions_close_at is None
    assert conversation.submissions_deadline == conversation.closes_at


def test_default_statement_length_limit_is_140():
    assert make_conversation().max_statement_length == 140


@pytest.mark.parametrize("length", [0, 5, 5000])
def test_absurd_statement_length_limits_are_refused(length):
    refused(lambda: make_conversation(max_statement_length=length))


def test_new_conversation_is_unpublished_by_default():
    now = timezone.now()
    conversation = Conversation.objects.create(
        slug="draft",
        title_fi="Luonnos",
        question_fi="?",
        opens_at=now,
        closes_at=now + timedelta(days=1),
    )
    assert conversation.is_published is False
    assert conversation.allow_submissions is True
    assert conversation.show_results is False


def test_slug_is_unique():
    make_conversation("same")
    refused(lambda: make_conversation("same"))


def test_same_text_folded_for_case_and_whitespace_is_refused_by_the_database(conversation):
    make_seed(conversation, "Parks need more benches")
    refused(
        lambda: Statement.objects.create(
            conversation=conversation,
            text="PARKS  need more   benches ",
            text_key=statement_text_key("PARKS  need more   benches "),
            origin="participant",
        )
    )


def test_same_text_is_allowed_in_another_conversation(conversation):
    make_seed(conversation, "Parks need more benches")
    assert make_seed(make_conversation(), "Parks need more benches").pk


def test_a_rejected_statement_does_not_block_its_text(conversation):
    Statement.objects.create(
        conversation=conversation,
        text="Rejected once",
        text_key=statement_text_key("Rejected once"),
        origin="participant",
        status="rejected",
    )
    assert make_seed(conversation, "Rejected once").status == "published"


def test_published_statement_needs_a_publication_time(conversation):
    refused(
        lambda: Statement.objects.create(
            conversation=conversation, text="x", text_key="x", origin="seed", status="published"
        )
    )


@pytest.mark.parametrize("field,value", [("status", "approved"), ("origin", "robot")])
def test_unknown_status_or_origin_is_refused(conversation, field, value):
    fields = {
        "conversation": conversation,
        "text": "y",
        "text_key": "y",
        "origin": "seed",
        "status": "pending",
    }
    fields[field] = value
    refused(lambda: Statement.objects.create(**fields))


def test_one_participant_per_browser_per_conversation(conversation):
    Participant.objects.create(conversation=conversation, browser_key="k" * 64)
    refused(lambda: Participant.objects.create(conversation=conversation, browser_key="k" * 64))
    assert Participant.objects.create(conversation=make_conversation(), browser_key="k" * 64).pk


def test_participants_without_browser_key_do_not_collide(conversation):
    Participant.objects.create(conversation=conversation)
    Participant.objects.create(conversation=conversation)
    assert conversation.participants.count() == 2


def test_xid_is_unique_per_conversation_only(conversation):
    make_participant(conversation, xid="resident-1")
    refused(lambda: make_participant(conversation, xid="resident-1"))
    assert make_participant(make_conversation(), xid="resident-1").pk


@pytest.mark.parametrize("choice", [2, -2, 5])
def test_vote_choice_outside_agree_disagree_pass_is_refused(participant, seeds, choice):
    refused(
        lambda: Vote.objects.create(
            conversation=participant.conversation,
            participant=participant,
            statement=seeds[0],
            choice=choice,
        )
    )
