import random
from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser, User
from django.http import Http404

from statements import selectors, services
from tests.conftest import make_conversation, make_participant, make_seed

pytestmark = pytest.mark.django_db


def test_next_statement_is_never_one_already_answered_or_unpublished(participant, seeds):
    services.statement_submit(participant=participant, text="Pending, never shown")
    for statement in seeds[:3]:
        services.vote_cast(participant=participant, statement_id=statement.pk, choice="pass")
    rng = random.Random(1)
    drawn = {
        selectors.statement_next_with_progress(
            conversation=participant.conversation, participant=participant, rng=rng
        )[0].pk
        for _ in range(50)
    }
    assert drawn == {seeds[3].pk, seeds[4].pk}


def test_next_statement_is_drawn_at_random_among_the_unanswered(participant, seeds):
    rng = random.Random(7)
    drawn = [
        selectors.statement_next_with_progress(
            conversation=participant.conversation, participant=participant, rng=rng
        )[0].pk
        for _ in range(100)
    ]
    assert set(drawn) == {s.pk for s in seeds}


def test_no_next_statement_once_everything_is_answered(participant, seeds):
    for statement in seeds:
        services.vote_cast(participant=participant, statement_id=statement.pk, choice="agree")
    assert (
        selectors.statement_next_with_progress(conversation=participant.conversation, participant=participant)[0]
        is None
    )


def test_next_statement_ignores_other_conversations(participant, seeds):
    other = make_conversation()
    foreign = make_seed(other, "Elsewhere")
    for _ in range(30):
        assert (
            selectors.statement_next_with_progress(
                conversation=participant.conversation, participant=participant
            )[0]
            != foreign
        )


def test_a_new_browser_gets_any_published_statement(conversation, seeds):
    assert selectors.statement_next_with_progress(conversation=conversation, participant=None)[0] in seeds


def test_progress_counts_only_published_statements_answered_in_this_conversation(
    participant, seeds
):
    services.statement_submit(participant=participant, text="Pending, not counted")
    services.vote_cast(participant=participant, statement_id=seeds[0].pk, choice="agree")
    services.vote_cast(participant=participant, statement_id=seeds[0].pk, choice="disagree")
    services.vote_cast(participant=participant, statement_id=seeds[1].pk, choice="pass")
    progress = selectors.participant_progress(
        conversation=participant.conversation, participant=participant
    )
    assert (progress.answered, progress.total, progress.remaining, progress.percent) == (
        2,
        5,
        3,
        40,
    )


def test_progress_of_a_new_browser_is_zero(conversation, seeds):
    progress = selectors.participant_progress(conversation=conversation, participant=None)
    assert (progress.answered, progress.total) == (0, 5)


def test_answers_are_the_current_ones_newest_first(participant, seeds):
    services.vote_cast(participant=participant, statement_id=seeds[0].pk, choice="agree")
    services.vote_cast(participant=participant, statement_id=seeds[1].pk, choice="pass")
    services.vote_cast(participant=participant, statement_id=seeds[0].pk, choice="disagree")
    answers = selectors.participant_answers(participant=participant)
    assert [(vote.statement_id, vote.choice) for vote in answers] == [
        (seeds[0].pk, -1),
        (seeds[1].pk, 0),
    ]


def test_answers_never_include_another_participants(participant, seeds):
    someone = make_participant(participant.conversation)
    services.vote_cast(participant=someone, statement_id=seeds[0].pk, choice="agree")
    assert selectors.participant_answers(participant=participant) == []
    assert selectors.participant_answers(participant=None) == []


def test_my_statements_are_only_mine_in_every_state(participant):
    mine = services.statement_submit(participant=participant, text="Mine")
    services.statement_submit(participant=make_participant(participant.conversation), text="Theirs")
    assert selectors.participant_statements(participant=participant) == [mine]
    assert selectors.participant_statements(participant=None) == []


def test_index_sorts_conversations_into_open_upcoming_and_closed(db):
    open_one = make_conversation("open-one")
    upcoming = make_conversation(
        "upcoming", opens_delta=timedelta(days=2), closes_delta=timedelta(days=9)
    )
    closed = make_conversation(
        "closed", opens_delta=timedelta(days=-9), closes_delta=timedelta(days=-2)
    )
    make_conversation("draft", is_published=False)
    index = selectors.conversations_for_index()
    assert (index.open, index.upcoming, index.closed) == ([open_one], [upcoming], [closed])


def test_unpublished_conversation_is_visible_to_staff_only(db):
    draft = make_conversation("draft", is_published=False)
    with pytest.raises(Http404):
        selectors.conversation_get_visible(slug="draft", user=AnonymousUser())
    with pytest.raises(Http404):
        selectors.conversation_get_visible(slug="draft", user=User.objects.create_user("plain"))
    staff = User.objects.create_user("staff", is_staff=True)
    assert selectors.conversation_get_visible(slug="draft", user=staff) == draft


@pytest.mark.parametrize("statement_id", ["abc", None, 10**30, -1])
def test_published_statement_lookup_tolerates_bad_ids(conversation, statement_id):
    assert (
        selectors.statement_get_published(conversation=conversation, statement_id=statement_id)
        is None
    )


def test_published_statement_lookup_refuses_pending_and_foreign(participant):
    pending = services.statement_submit(participant=participant, text="Pending")
    foreign = make_seed(make_conversation(), "Foreign")
    for statement in (pending, foreign):
        assert (
            selectors.statement_get_published(
                conversation=participant.conversation, statement_id=statement.pk
            )
            is None
        )
