from datetime import timedelta

import pytest
from django.db import IntegrityError

from statements import services
from statements.errors import ConversationClosed, StatementNotVotable, VoxitError
from statements.models import Vote, VoteLog
from tests.conftest import make_conversation, make_participant, make_seed

pytestmark = pytest.mark.django_db


def test_first_vote_is_stored_and_logged(participant, seeds):
    vote = services.vote_cast(participant=participant, statement_id=seeds[0].pk, choice="agree")
    assert vote.choice == 1
    assert VoteLog.objects.filter(participant=participant, statement=seeds[0]).count() == 1


def test_second_vote_replaces_first_and_log_keeps_both(participant, seeds):
    services.vote_cast(participant=participant, statement_id=seeds[0].pk, choice="agree")
    services.vote_cast(participant=participant, statement_id=seeds[0].pk, choice="disagree")
    assert list(Vote.objects.filter(participant=participant).values_list("choice", flat=True)) == [-1]
    assert list(
        VoteLog.objects.filter(participant=participant).order_by("id").values_list("choice", flat=True)
    ) == [1, -1]


@pytest.mark.parametrize(
    "value,expected", [("agree", 1), ("disagree", -1), ("pass", 0), (1, 1), (-1, -1), (0, 0), ("-1", -1)]
)
def test_choice_accepts_names_and_numbers(participant, seeds, value, expected):
    assert services.vote_cast(participant=participant, statement_id=seeds[0].pk, choice=value).choice == expected


@pytest.mark.parametrize("value", ["maybe", 2, None, "", True, [1]])
def test_invalid_choice_is_refused_and_nothing_stored(participant, seeds, value):
    with pytest.raises(VoxitError):
        services.vote_cast(participant=participant, statement_id=seeds[0].pk, choice=value)
    assert not Vote.objects.exists()


def test_vote_on_pending_statement_is_refused(participant):
    pending = services.statement_submit(participant=participant, text="A statement awaiting moderation")
    with pytest.raises(StatementNotVotable):
        services.vote_cast(participant=participant, statement_id=pending.pk, choice="agree")


def test_vote_on_statement_of_another_conversation_is_refused(participant, db):
    other = make_conversation()
    foreign = make_seed(other, "Statement elsewhere")
    with pytest.raises(StatementNotVotable):
        services.vote_cast(participant=participant, statement_id=foreign.pk, choice="agree")


def test_vote_in_closed_conversation_is_refused_and_earlier_answer_kept(db):
    conversation = make_conversation(opens_delta=timedelta(days=-10), closes_delta=timedelta(days=1))
    participant = make_participant(conversation)
    statement = make_seed(conversation, "Closed soon")
    services.vote_cast(participant=participant, statement_id=statement.pk, choice="agree")
    later = conversation.closes_at + timedelta(minutes=1)
    with pytest.raises(ConversationClosed):
        services.vote_cast(participant=participant, statement_id=statement.pk, choice="disagree", now=later)
    assert Vote.objects.get(participant=participant).choice == 1


def test_vote_before_opening_is_refused(db):
    conversation = make_conversation(opens_delta=timedelta(days=1), closes_delta=timedelta(days=5))
    participant = make_participant(conversation)
    statement = make_seed(conversation, "Not yet")
    with pytest.raises(ConversationClosed):
        services.vote_cast(participant=participant, statement_id=statement.pk, choice="agree")


def test_database_refuses_a_second_current_vote(participant, seeds):
    services.vote_cast(participant=participant, statement_id=seeds[0].pk, choice="agree")
    with pytest.raises(IntegrityError):
        Vote.objects.create(
            conversation=participant.conversation, participant=participant, statement=seeds[0], choice=1
        )


def test_database_refuses_an_invalid_choice(participant, seeds):
    with pytest.raises(IntegrityError):
        Vote.objects.create(
            conversation=participant.conversation, participant=participant, statement=seeds[0], choice=5
        )


@pytest.mark.parametrize(
    "make_id", [lambda s: s.pk + 0.4, lambda s: float(s.pk), lambda s: True, lambda s: [s.pk]]
)
def test_statement_id_must_be_a_whole_number(participant, seeds, make_id):
    with pytest.raises(StatementNotVotable):
        services.vote_cast(participant=participant, statement_id=make_id(seeds[0]), choice="agree")
    assert not Vote.objects.exists()


def test_statement_id_may_be_given_as_text(participant, seeds):
    statement_id = f" {seeds[0].pk}"
    vote = services.vote_cast(participant=participant, statement_id=statement_id, choice="agree")
    assert vote.choice == 1
