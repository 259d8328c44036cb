"""Each participant's answer count, kept by the database, and the vote that trusts what a process
saw of a resident's answers only while that count, the participant and the statement set say it
is still true: whatever happened elsewhere, the next card is never one already answered and the
progress counts every answer."""

import json

import pytest
from django.db import connection
from django.urls import reverse

from moderation import services as moderation
from statements import selectors, services
from statements.models import AnswerCount, Participant, Vote
from tests.conftest import make_participant, make_seed
from tests.moderation.conftest import make_moderator

pytestmark = pytest.mark.django_db


def answers_of(participant) -> int | None:
    return AnswerCount.objects.filter(participant_id=participant.pk).values_list("answers", flat=True).first()


def votes_of(participant) -> int:
    return Vote.objects.filter(participant=participant).count()


def test_the_database_counts_new_answers_not_changed_ones(participant, seeds):
    assert answers_of(participant) is None
    services.vote_cast(participant=participant, statement_id=seeds[0].pk, choice="agree")
    services.vote_cast(participant=participant, statement_id=seeds[1].pk, choice="pass")
    assert answers_of(participant) == 2
    services.vote_cast(participant=participant, statement_id=seeds[0].pk, choice="disagree")  # changed
    assert answers_of(participant) == votes_of(participant) == 2


def test_bulk_inserts_deletions_and_moves_keep_the_count(conversation, seeds):
    first, second = make_participant(conversation), make_participant(conversation)
    Vote.objects.bulk_create(
        [
            Vote(conversation=conversation, participant=person, statement=seed, choice=1)
            for person in (first, second)
            for seed in seeds
        ]
    )
    assert (answers_of(first), answers_of(second)) == (5, 5)
    seeds[0].delete()  # its votes go with it
    assert (answers_of(first), answers_of(second)) == (4, 4)
    third = make_participant(conversation)
    Vote.objects.filter(participant=first, statement=seeds[1]).update(participant=third)
    assert (answers_of(first), answers_of(third)) == (3, 1)
    for person in (first, second, third):
        assert answers_of(person) == votes_of(person)
    second_pk = second.pk
    second.delete()
    assert not AnswerCount.objects.filter(participant_id=second_pk).exists()


def test_an_imported_conversation_counts_every_participants_answers(db, tmp_path):
    from clustering.polis import conversation_import_polis
    from tests.conftest import require
    from tests.reports.conftest import POLIS_OPEN

    folder = POLIS_OPEN / "london.youth.policing"
    require(folder.is_dir(), f"needs the openData folder {folder} (set VOXIT_SHARED_DATA)")
    conversation = conversation_import_polis(folder=folder, slug="counted")
    people = Participant.objects.filter(conversation=conversation)
    assert people.exists()
    for person in people:
        assert (answers_of(person) or 0) == votes_of(person)


# -- the vote API, as a resident's browser uses it ------------------------------------------------


def vote(client, conversation, statement_id, choice="agree"):
    response = client.post(
        reverse("api:votes", kwargs={"slug": conversation.slug}),
        json.dumps({"statement": statement_id, "choice": choice}),
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    return response.json()


def resident_of(conversation) -> Participant:
    return Participant.objects.get(conversation=conversation)  # the test's only resident


def test_an_answer_given_elsewhere_is_never_shown_again(client, conversation, seeds):
    """A resident answering in another tab served by another process: this process's view of
    their answers is out of date, and the vote finds that out from the count."""
    body = vote(client, conversation, seeds[0].pk)
    resident = resident_of(conversation)
    elsewhere = [seed.pk for seed in seeds[1:4]]
    for pk in elsewhere:  # what another process does for the other tab
        services.vote_cast(participant=resident, statement_id=pk, choice="pass")
    body = vote(client, conversation, seeds[0].pk, "disagree")
    assert body["progress"] == {"answered": 4, "total": 5}
    assert body["next"]["id"] == seeds[4].pk


def test_a_statement_removed_and_another_answered_elsewhere_keeps_the_count_right(client, conversation, seeds):
    """Removing a statement takes an answer away and an answer elsewhere adds one: the count is
    as before, but the statement set changed, so the vote reads the answers again."""
    for seed in seeds[:2]:
        vote(client, conversation, seed.pk)
    resident = resident_of(conversation)
    seeds[1].delete()
    services.vote_cast(participant=resident, statement_id=seeds[2].pk, choice="agree")
    assert answers_of(resident) == 2
    body = vote(client, conversation, seeds[0].pk, "pass")
    assert body["progress"] == {"answered": 2, "total": 4}
    assert body["next"]["id"] in {seeds[3].pk, seeds[4].pk}


def test_a_resident_erased_and_back_starts_afresh(client, conversation, seeds):
    from statements.privacy import participant_forget

    for seed in seeds[:3]:
        vote(client, conversation, seed.pk)
    participant_forget(participant=resident_of(conversation))
    body = vote(client, conversation, seeds[3].pk)
    assert body["progress"] == {"answered": 1, "total": 5}
    assert body["next"]["id"] != seeds[3].pk


def test_a_withdrawn_answer_leaves_the_progress(client, conversation, seeds):
    for seed in seeds[:3]:
        vote(client, conversation, seed.pk)
    moderation.statement_decision_reverse(
        statement_id=seeds[1].pk, moderator=make_moderator(), reason="off_topic", explanation="Off topic after all"
    )
    body = vote(client, conversation, seeds[3].pk)
    assert body["progress"] == {"answered": 3, "total": 4}
    assert body["next"]["id"] == seeds[4].pk


def test_every_vote_of_a_resident_is_counted_once_whichever_process_saw_it(client, conversation):
    statements = [make_seed(conversation, f"Statement {number}") for number in range(30)]
    following = statements[0].pk
    seen = []
    for round_ in range(30):
        if round_ % 7 == 3:  # as if this vote went to another process: it knows nothing yet
            selectors._known_answers.clear()
        body = vote(client, conversation, following)
        seen.append(following)
        assert body["progress"] == {"answered": len(seen), "total": 30}
        if body["next"] is None:
            break
        following = body["next"]["id"]
        assert following not in seen
    assert sorted(seen) == sorted(statement.pk for statement in statements)
    resident = resident_of(conversation)
    assert answers_of(resident) == votes_of(resident) == 30


def test_the_known_answers_are_used_only_when_count_participant_and_statement_set_agree(
    conversation, seeds, require_postgres
):
    """What the vote statement is told is trusted only while the database agrees: told a wrong
    set with the right count, the participant and version it would take it; with anything else
    it reads the answers itself."""
    token = "a-browser-token-for-this-test"
    first = services.vote_cast_by_browser(
        conversation=conversation, browser_token=token, statement_id=seeds[0].pk, choice="agree"
    )
    assert first.answered_ids == {seeds[0].pk}
    right = selectors.KnownAnswers(first.participant_id, first.statements_version, frozenset({seeds[0].pk}))
    again = services.vote_cast_by_browser(
        conversation=conversation, browser_token=token, statement_id=seeds[1].pk, choice="agree", known=right
    )
    assert again.answered_ids == {seeds[0].pk, seeds[1].pk}
    # Right count, participant and version: taken as it is, not read again (a wrong set shows it).
    trusted = selectors.KnownAnswers(again.participant_id, again.statements_version, frozenset({-1, -2}))
    taken = services.vote_cast_by_browser(
        conversation=conversation, browser_token=token, statement_id=seeds[0].pk, choice="pass", known=trusted
    )
    assert taken.answered_ids == {-1, -2, seeds[0].pk}
    # Two answers in the database, one here: the count disagrees, so the statement reads them.
    wrong_count = selectors.KnownAnswers(first.participant_id, first.statements_version, frozenset({seeds[4].pk}))
    told = services.vote_cast_by_browser(
        conversation=conversation, browser_token=token, statement_id=seeds[2].pk, choice="agree", known=wrong_count
    )
    assert told.answered_ids == {seeds[0].pk, seeds[1].pk, seeds[2].pk}
    for stale in (
        selectors.KnownAnswers(first.participant_id + 1, told.statements_version, frozenset({1, 2, 3})),
        selectors.KnownAnswers(first.participant_id, told.statements_version + 1, frozenset({1, 2, 3})),
    ):
        receipt = services.vote_cast_by_browser(
            conversation=conversation, browser_token=token, statement_id=seeds[2].pk, choice="pass", known=stale
        )
        assert receipt.answered_ids == {seeds[0].pk, seeds[1].pk, seeds[2].pk}


def test_a_residents_next_vote_is_told_what_this_process_saw_of_their_answers(
    client, conversation, seeds, monkeypatch
):
    told = []
    real = services.vote_cast_by_browser

    def recording(**kwargs):
        told.append(kwargs.get("known"))
        return real(**kwargs)

    monkeypatch.setattr(services, "vote_cast_by_browser", recording)
    first = vote(client, conversation, seeds[0].pk)["next"]["id"]
    vote(client, conversation, first)
    assert told[0] is None  # nothing seen of this browser yet
    if connection.vendor == "postgresql":  # the one-statement vote, whose answers are kept
        assert told[1] is not None and told[1].answered_ids == {seeds[0].pk}
        assert told[1].participant_id == resident_of(conversation).pk


def test_a_count_out_of_step_with_the_votes_is_not_trusted(client, conversation, seeds, require_postgres, caplog):
    """Counts kept by anything but the triggers (a repair with them disabled, a data-only restore):
    the answers read with a vote are right, and are not kept to be trusted later."""
    vote(client, conversation, seeds[0].pk)
    resident = resident_of(conversation)
    AnswerCount.objects.filter(participant_id=resident.pk).update(answers=5)
    selectors._known_answers.clear()  # the next vote comes to another process
    body = vote(client, conversation, seeds[1].pk)
    assert body["progress"]["answered"] == 2 and body["next"]["id"] not in {seeds[0].pk, seeds[1].pk}
    assert "differs from their 1 votes" in caplog.text
    assert not any(key[0] == conversation.pk for key in selectors._known_answers)
    services.vote_cast(participant=resident, statement_id=seeds[2].pk, choice="pass")  # elsewhere
    body = vote(client, conversation, seeds[3].pk)
    assert body["progress"]["answered"] == 4 and body["next"]["id"] == seeds[4].pk


def test_emptying_the_vote_table_empties_the_counts(transactional_db, require_postgres):
    from tests.conftest import make_conversation

    conversation = make_conversation()
    seeds = [make_seed(conversation, "A statement to answer")]
    person = make_participant(conversation)
    services.vote_cast(participant=person, statement_id=seeds[0].pk, choice="agree")
    assert answers_of(person) == 1
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE statements_vote, statements_votelog")
    assert answers_of(person) is None

