"""Approve, edit, reject, reverse, bulk and concurrent decisions."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import translation

from moderation import services
from moderation.errors import AlreadyDecided, InvalidDecision, NotAModerator
from moderation.models import ModerationAction
from statements.models import Statement
from tests.conftest import make_seed
from tests.moderation.conftest import make_moderator, make_pending

pytestmark = pytest.mark.django_db
Reason = ModerationAction.Reason


def hold_inside(monkeypatch, name, *, thread=None):
    """Make ``services.<name>`` stop after it returns, until released, in the named thread (any
    thread when None): the decision then holds its locks while another one is tried. Returns the
    events (inside: it got there; release: let it go on)."""
    inside, release = threading.Event(), threading.Event()
    original = getattr(services, name)

    def then_wait(*args, **kwargs):
        result = original(*args, **kwargs)
        if thread is None or threading.current_thread().name == thread:
            inside.set()
            release.wait(10)
        return result

    monkeypatch.setattr(services, name, then_wait)
    return inside, release


def test_approve_publishes_and_logs(moderator, pending, recluster_calls):
    action = services.statement_approve(statement_id=pending.pk, moderator=moderator)
    pending.refresh_from_db()
    assert pending.status == Statement.Status.PUBLISHED
    assert pending.published_at is not None and pending.decided_at is not None
    assert action.action == ModerationAction.Action.APPROVE
    assert action.actor == moderator and action.actor_name == "moderaattori"
    assert recluster_calls == [pending.conversation_id]


def test_approve_with_edit_publishes_the_edit_and_keeps_the_original(moderator, pending):
    original = pending.text
    action = services.statement_approve(
        statement_id=pending.pk, moderator=moderator, text="  Kirjastot  auki iltaisin pidempään "
    )
    pending.refresh_from_db()
    assert pending.text == "Kirjastot auki iltaisin pidempään"
    assert pending.original_text == original
    assert pending.text_key == "kirjastot auki iltaisin pidempään"
    assert action.action == ModerationAction.Action.APPROVE_EDITED
    assert (action.text_before, action.text_after) == (original, pending.text)


def test_approve_with_unchanged_text_is_a_plain_approval(moderator, pending):
    action = services.statement_approve(
        statement_id=pending.pk, moderator=moderator, text=pending.text
    )
    assert action.action == ModerationAction.Action.APPROVE


def test_edit_to_wording_that_exists_is_refused_with_its_number(moderator, conversation, pending):
    seed = make_seed(conversation, "Kirjastot auki")
    with pytest.raises(InvalidDecision) as caught:
        services.statement_approve(
            statement_id=pending.pk, moderator=moderator, text="kirjastot AUKI"
        )
    assert f"#{seed.pk}" in str(caught.value.message)
    pending.refresh_from_db()
    assert pending.status == Statement.Status.PENDING
    assert not ModerationAction.objects.exists()


def test_edit_longer_than_the_limit_is_refused(moderator, pending):
    with pytest.raises(InvalidDecision):
        services.statement_approve(statement_id=pending.pk, moderator=moderator, text="x" * 500)


@pytest.mark.parametrize("reason", [Reason.MENTIONS_PERSON, Reason.INSULTING, Reason.OFF_TOPIC])
def test_reject_with_a_rule_reason(moderator, pending, recluster_calls, reason):
    action = services.statement_reject(statement_id=pending.pk, moderator=moderator, reason=reason)
    pending.refresh_from_db()
    assert pending.status == Statement.Status.REJECTED
    assert action.reason == reason
    assert recluster_calls == [pending.conversation_id]


def test_reject_as_duplicate_names_the_statement(moderator, conversation, pending):
    original = make_seed(conversation, "Kirjastot auki pidempään")
    action = services.statement_reject(
        statement_id=pending.pk,
        moderator=moderator,
        reason=Reason.DUPLICATE,
        duplicate_of_id=original.pk,
    )
    assert action.duplicate_of == original


def test_duplicate_without_a_statement_is_refused(moderator, pending):
    with pytest.raises(InvalidDecision):
        services.statement_reject(
            statement_id=pending.pk, moderator=moderator, reason=Reason.DUPLICATE
        )


def test_duplicate_of_another_conversations_statement_is_refused(moderator, pending):
    from tests.conftest import make_conversation

    elsewhere = make_seed(make_conversation())
    with pytest.raises(InvalidDecision):
        services.statement_reject(
            statement_id=pending.pk,
            moderator=moderator,
            reason=Reason.DUPLICATE,
            duplicate_of_id=elsewhere.pk,
        )


@pytest.mark.parametrize("number", ["", "  ", "#", "seitsemän", "-5", str(2**63), "99999999999999999999999"])
def test_duplicate_of_a_number_no_statement_has_is_refused_with_a_message(moderator, pending, number):
    """Malformed, negative and out-of-range numbers (beyond PostgreSQL's bigint) are each told
    apart from a database error: the moderator reads what to fix, and nothing is saved."""
    with pytest.raises(InvalidDecision) as refused:
        services.statement_reject(
            statement_id=pending.pk, moderator=moderator, reason=Reason.DUPLICATE, duplicate_of_id=number
        )
    assert refused.value.code in ("duplicate_of_missing", "duplicate_of_invalid")
    pending.refresh_from_db()
    assert pending.status == Statement.Status.PENDING
    assert not ModerationAction.objects.exists()


@pytest.mark.parametrize("number", ["0", "-3", str(2**63), "99999999999999999999999"])
def test_deciding_a_statement_number_no_statement_has_is_refused_with_a_message(moderator, pending, number):
    """Bulk decisions and edited forms can name any number: the moderator is told that statement
    does not exist, whatever the database can store."""
    for decide in (
        lambda: services.statement_approve(statement_id=number, moderator=moderator),
        lambda: services.statement_reject(
            statement_id=number, moderator=moderator, reason=Reason.DUPLICATE, duplicate_of_id=pending.pk
        ),
    ):
        with pytest.raises(InvalidDecision) as refused:
            decide()
        assert refused.value.code == "statement_not_found"
    assert not ModerationAction.objects.exists()


def test_duplicate_of_itself_is_refused(moderator, pending):
    with pytest.raises(InvalidDecision):
        services.statement_reject(
            statement_id=pending.pk,
            moderator=moderator,
            reason=Reason.DUPLICATE,
            duplicate_of_id=pending.pk,
        )


def test_rejecting_the_statement_others_duplicate_is_refused_until_one_is_published(
    moderator, conversation
):
    # Two residents make the same point; the moderator rejects the second as a duplicate of the
    # first while both wait. Rejecting the first as well would leave the point nowhere.
    first = make_pending(conversation, "Kirjastot auki sunnuntaisin")
    second = make_pending(conversation, "Kirjastot pitäisi pitää auki myös sunnuntaina")
    services.statement_reject(
        statement_id=second.pk, moderator=moderator, reason=Reason.DUPLICATE, duplicate_of_id=first.pk
    )
    with pytest.raises(InvalidDecision) as caught:
        services.statement_reject(statement_id=first.pk, moderator=moderator, reason=Reason.OFF_TOPIC)
    assert caught.value.code == "duplicates_rest_on_it"
    assert f"#{second.pk}" in str(caught.value.message)
    first.refresh_from_db()
    assert first.status == Statement.Status.PENDING
    assert not ModerationAction.objects.filter(statement=first).exists()

    # The way the message gives: publish the duplicate, then reject the first as its duplicate.
    services.statement_decision_reverse(
        statement_id=second.pk, moderator=moderator, explanation="Alkuperäinen ei käy"
    )
    services.statement_reject(
        statement_id=first.pk, moderator=moderator, reason=Reason.DUPLICATE, duplicate_of_id=second.pk
    )
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == (Statement.Status.REJECTED, Statement.Status.PUBLISHED)


def test_reversing_a_publication_others_duplicate_is_refused(moderator, conversation):
    original = make_pending(conversation, "Pyöräteitä lisää keskustaan")
    services.statement_approve(statement_id=original.pk, moderator=moderator)
    copy = make_pending(conversation, "Lisää pyöräteitä keskustaan")
    services.statement_reject(
        statement_id=copy.pk, moderator=moderator, reason=Reason.DUPLICATE, duplicate_of_id=original.pk
    )
    with pytest.raises(InvalidDecision) as caught:
        services.statement_decision_reverse(
            statement_id=original.pk,
            moderator=moderator,
            reason=Reason.INSULTING,
            explanation="Loukkaava sävy",
        )
    assert f"#{copy.pk}" in str(caught.value.message)
    original.refresh_from_db()
    assert original.status == Statement.Status.PUBLISHED


def test_a_duplicate_rejection_since_reversed_or_replaced_does_not_hold_the_original(
    moderator, conversation
):
    original = make_pending(conversation, "Uimahalli auki aamuisin")
    reversed_copy = make_pending(conversation, "Uimahallin aamuvuorot takaisin")
    rejected_again = make_pending(conversation, "Uimahalli aamuisin auki, kiitos")
    for statement in (reversed_copy, rejected_again):
        services.statement_reject(
            statement_id=statement.pk,
            moderator=moderator,
            reason=Reason.DUPLICATE,
            duplicate_of_id=original.pk,
        )
    # One is published after all; the other is published and then rejected for its own reason.
    for statement in (reversed_copy, rejected_again):
        services.statement_decision_reverse(
            statement_id=statement.pk, moderator=moderator, explanation="Oma näkökulma"
        )
    services.statement_decision_reverse(
        statement_id=rejected_again.pk,
        moderator=moderator,
        reason=Reason.MENTIONS_PERSON,
        explanation="Nimeää uimavalvojan",
    )
    services.statement_reject(statement_id=original.pk, moderator=moderator, reason=Reason.OFF_TOPIC)
    original.refresh_from_db()
    assert original.status == Statement.Status.REJECTED


def test_other_reason_needs_an_explanation(moderator, pending):
    with pytest.raises(InvalidDecision):
        services.statement_reject(statement_id=pending.pk, moderator=moderator, reason=Reason.OTHER)
    action = services.statement_reject(
        statement_id=pending.pk, moderator=moderator, reason=Reason.OTHER, explanation="Mainos"
    )
    assert action.explanation == "Mainos"


def test_reject_without_reason_is_refused(moderator, pending):
    with pytest.raises(InvalidDecision):
        services.statement_reject(statement_id=pending.pk, moderator=moderator, reason="")


def test_database_refuses_a_duplicate_rejection_without_a_statement(moderator, pending):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        ModerationAction.objects.create(
            conversation=pending.conversation,
            statement=pending,
            actor=moderator,
            actor_name="x",
            action="reject",
            reason="duplicate",
            text_before="a",
            text_after="a",
            status_before="pending",
            status_after="rejected",
        )


def test_the_log_cannot_be_updated_in_bulk(moderator, pending):
    services.statement_approve(statement_id=pending.pk, moderator=moderator)
    with pytest.raises(TypeError):
        ModerationAction.objects.update(actor_name="someone else")


def test_residents_and_plain_users_cannot_decide(plain_user, pending):
    from django.contrib.auth.models import AnonymousUser

    for user in (plain_user, AnonymousUser(), None):
        with pytest.raises(NotAModerator):
            services.statement_approve(statement_id=pending.pk, moderator=user)


def test_staff_may_decide(staff_user, pending):
    services.statement_approve(statement_id=pending.pk, moderator=staff_user)
    pending.refresh_from_db()
    assert pending.status == Statement.Status.PUBLISHED


def test_second_decision_says_who_decided_and_when(moderator, other_moderator, pending):
    services.statement_approve(statement_id=pending.pk, moderator=moderator)
    with pytest.raises(AlreadyDecided) as caught:
        services.statement_reject(
            statement_id=pending.pk, moderator=other_moderator, reason=Reason.INSULTING
        )
    message = str(caught.value.message)
    assert "moderaattori" in message
    pending.refresh_from_db()
    assert pending.status == Statement.Status.PUBLISHED
    assert ModerationAction.objects.count() == 1


def test_conditional_update_refuses_a_stale_decision(
    moderator, other_moderator, pending, monkeypatch
):
    """Even when the row read is stale (no lock helped), the UPDATE ... WHERE status decides."""
    stale = Statement.objects.get(pk=pending.pk)
    services.statement_approve(statement_id=pending.pk, moderator=moderator)
    monkeypatch.setattr(services, "_locked_statement", lambda statement_id, **kwargs: stale)
    with pytest.raises(AlreadyDecided) as caught:
        services.statement_reject(
            statement_id=pending.pk, moderator=other_moderator, reason=Reason.INSULTING
        )
    assert "moderaattori" in str(caught.value.message)
    pending.refresh_from_db()
    assert pending.status == Statement.Status.PUBLISHED
    assert list(ModerationAction.objects.values_list("actor_name", flat=True)) == ["moderaattori"]


@pytest.mark.django_db(transaction=True)
def test_two_moderators_at_once_one_wins(require_postgres, conversation):
    pending = make_pending(conversation, "Samaan aikaan päätetty väite")
    first, second = make_moderator("eka"), make_moderator("toka")
    barrier = threading.Barrier(2)
    outcomes = {}

    def decide(name, call):
        try:
            barrier.wait()
            call()
            outcomes[name] = "won"
        except AlreadyDecided as error:
            outcomes[name] = str(error.message)
        finally:
            connection.close()

    threads = [
        threading.Thread(
            target=decide,
            args=(
                "eka",
                lambda: services.statement_approve(statement_id=pending.pk, moderator=first),
            ),
        ),
        threading.Thread(
            target=decide,
            args=(
                "toka",
                lambda: services.statement_reject(
                    statement_id=pending.pk, moderator=second, reason=Reason.OFF_TOPIC
                ),
            ),
        ),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes.values()).count("won") == 1
    loser = next(name for name, outcome in outcomes.items() if outcome != "won")
    winner = "eka" if loser == "toka" else "toka"
    assert winner in outcomes[loser]
    assert ModerationAction.objects.filter(statement=pending).count() == 1


def test_reverse_publication_to_rejection_and_back(
    moderator, other_moderator, pending, recluster_calls
):
    services.statement_approve(statement_id=pending.pk, moderator=moderator)
    services.statement_decision_reverse(
        statement_id=pending.pk,
        moderator=other_moderator,
        reason=Reason.MENTIONS_PERSON,
        explanation="Nimeää henkilön epäsuorasti",
    )
    pending.refresh_from_db()
    assert pending.status == Statement.Status.REJECTED
    services.statement_decision_reverse(
        statement_id=pending.pk, moderator=moderator, explanation="Ei sittenkään tunnistettava"
    )
    pending.refresh_from_db()
    assert pending.status == Statement.Status.PUBLISHED
    actions = list(ModerationAction.objects.order_by("id").values_list("action", flat=True))
    assert actions == ["approve", "reverse_to_rejected", "reverse_to_published"]
    assert len(recluster_calls) == 3


def test_reversal_needs_a_reason_and_an_explanation(moderator, pending):
    services.statement_approve(statement_id=pending.pk, moderator=moderator)
    with pytest.raises(InvalidDecision):
        services.statement_decision_reverse(
            statement_id=pending.pk, moderator=moderator, explanation=""
        )
    with pytest.raises(InvalidDecision):
        services.statement_decision_reverse(
            statement_id=pending.pk, moderator=moderator, explanation="Miksi", reason=""
        )


def test_reversal_of_a_pending_statement_is_refused(moderator, pending):
    with pytest.raises(InvalidDecision):
        services.statement_decision_reverse(
            statement_id=pending.pk, moderator=moderator, explanation="x"
        )


def test_reversing_a_rejection_when_the_wording_now_exists_says_so(
    moderator, conversation, pending
):
    services.statement_reject(statement_id=pending.pk, moderator=moderator, reason=Reason.OFF_TOPIC)
    same = make_pending(conversation, pending.text.upper())
    services.statement_approve(statement_id=same.pk, moderator=moderator)
    with pytest.raises(InvalidDecision) as caught:
        services.statement_decision_reverse(
            statement_id=pending.pk, moderator=moderator, explanation="Virhe"
        )
    assert f"#{same.pk}" in str(caught.value.message)
    pending.refresh_from_db()
    assert pending.status == Statement.Status.REJECTED
    assert ModerationAction.objects.filter(statement=pending).count() == 1


def test_bulk_approve_decides_each_and_reports_the_ones_taken(
    moderator, other_moderator, conversation
):
    statements = [make_pending(conversation, f"Väite numero {i}") for i in range(4)]
    services.statement_reject(
        statement_id=statements[1].pk, moderator=other_moderator, reason=Reason.INSULTING
    )
    outcome = services.statements_approve_bulk(
        statement_ids=[s.pk for s in statements] + [999999], moderator=moderator
    )
    assert len(outcome.decided) == 3
    assert {pk for pk, _message in outcome.refused} == {statements[1].pk, 999999}
    assert "toinen" in dict(outcome.refused)[statements[1].pk]
    assert Statement.objects.published().filter(pk__in=[s.pk for s in statements]).count() == 3


def test_bulk_reject_uses_one_reason_for_all(moderator, conversation, recluster_calls):
    statements = [make_pending(conversation, f"Asiaton väite {i}") for i in range(3)]
    outcome = services.statements_reject_bulk(
        statement_ids=[s.pk for s in statements], moderator=moderator, reason=Reason.OFF_TOPIC
    )
    assert len(outcome.decided) == 3 and not outcome.refused
    assert set(ModerationAction.objects.values_list("reason", flat=True)) == {"off_topic"}
    assert len(recluster_calls) == 3


def test_bulk_reject_without_explanation_for_other_refuses_each(moderator, conversation):
    statements = [make_pending(conversation, f"Muu {i}") for i in range(2)]
    outcome = services.statements_reject_bulk(
        statement_ids=[s.pk for s in statements], moderator=moderator, reason=Reason.OTHER
    )
    assert not outcome.decided and len(outcome.refused) == 2
    assert Statement.objects.pending().count() == 2


def test_seed_statements_are_published_without_moderation(conversation):
    seed = make_seed(conversation, "Kaupungin pitää kuunnella asukkaita")
    assert seed.status == Statement.Status.PUBLISHED
    assert not ModerationAction.objects.exists()


def test_recompute_hook_is_the_clustering_one():
    import clustering.services

    assert (
        services.conversation_recluster_request
        is clustering.services.conversation_recluster_request
    )


def test_an_edited_wording_replaces_translations_of_the_submitted_one(moderator, conversation):
    """A statement can carry its text per language (a Polis import sets the Finnish one): after an
    edit, residents in every language read the edited wording, not the submitted one."""
    from django.test import Client

    statement = make_pending(conversation, "Kaupunginjohtaja Virtanen on idiootti, bussit myöhässä")
    Statement.objects.filter(pk=statement.pk).update(text_fi=statement.text, text_sv="Virtanen är en idiot")
    services.statement_approve(
        statement_id=statement.pk, moderator=moderator, text="Bussit ovat usein myöhässä"
    )
    page = f"/c/{conversation.slug}/s/{statement.pk}/"
    for language in ("fi", "sv", "en"):
        html = Client().get(page + f"?lang={language}").content.decode()
        assert "Bussit ovat usein myöhässä" in html, language
        assert "idiot" not in html, language


def test_rejecting_a_statement_while_another_moderator_rejects_its_duplicate_saves_only_one(
    require_postgres, transactional_db, monkeypatch
):
    """Moderator 1 rejects the first statement while moderator 2 rejects the second as its
    duplicate, at the same moment. Both cannot be saved (the point would leave the conversation):
    the second decision waits for the first and is then refused."""
    from tests.conftest import make_conversation

    conversation = make_conversation(opens_delta=timedelta(days=-30))
    first = make_pending(conversation, "Kirjastoihin lisää iltavuoroja")
    second = make_pending(conversation, "Iltavuoroja lisää kirjastoihin")
    moderators = make_moderator("eka"), make_moderator("toka")
    # Moderator 1 holds the first statement's lock once its decision is logged.
    inside, release = hold_inside(monkeypatch, "_log", thread="moderator-1")
    outcomes = {}

    def decide(name, call):
        try:
            call()
            outcomes[name] = "saved"
        except InvalidDecision as error:
            outcomes[name] = str(error.message)
        finally:
            connection.close()

    one = threading.Thread(
        name="moderator-1",
        target=decide,
        args=("1", lambda: services.statement_reject(
            statement_id=first.pk, moderator=moderators[0], reason=Reason.OFF_TOPIC
        )),
    )
    two = threading.Thread(
        name="moderator-2",
        target=decide,
        args=("2", lambda: services.statement_reject(
            statement_id=second.pk, moderator=moderators[1], reason=Reason.DUPLICATE,
            duplicate_of_id=first.pk,
        )),
    )
    one.start()
    assert inside.wait(10)
    two.start()
    two.join(2)  # waits on the first statement's lock (before the fix it was saved at once)
    release.set()
    one.join(10)
    two.join(10)
    assert outcomes["1"] == "saved"
    assert f"#{first.pk}" in outcomes["2"] and outcomes["2"] != "saved"
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == (Statement.Status.REJECTED, Statement.Status.PENDING)


def test_two_moderators_rejecting_two_statements_as_duplicates_of_each_other_at_once(
    require_postgres, transactional_db, monkeypatch
):
    """Moderator 1 rejects the first statement as a duplicate of the second while moderator 2
    rejects the second as a duplicate of the first. One is saved; the other is told that the
    statement it named is rejected now - not a deadlock, which PostgreSQL ends by failing one of
    them with an error the moderator can only retry."""
    from tests.conftest import make_conversation

    conversation = make_conversation(opens_delta=timedelta(days=-30))
    first = make_pending(conversation, "Puistoihin lisää penkkejä")
    second = make_pending(conversation, "Lisää penkkejä puistoihin")
    moderators = make_moderator("eka"), make_moderator("toka")
    # Moderator 1 holds its statement's lock (and, after the fix, the other's) here.
    inside, release = hold_inside(monkeypatch, "_locked_statement", thread="moderator-1")
    outcomes = {}

    def decide(name, statement, duplicate_of, moderator):
        try:
            with translation.override("en"):
                services.statement_reject(
                    statement_id=statement.pk, moderator=moderator, reason=Reason.DUPLICATE,
                    duplicate_of_id=duplicate_of.pk,
                )
            outcomes[name] = "saved"
        except InvalidDecision as error:
            outcomes[name] = str(error.message)
        except Exception as error:  # a deadlock reaches here as a database error
            outcomes[name] = repr(error)
        finally:
            connection.close()

    one = threading.Thread(name="moderator-1", target=decide, args=("1", first, second, moderators[0]))
    two = threading.Thread(name="moderator-2", target=decide, args=("2", second, first, moderators[1]))
    one.start()
    assert inside.wait(10)
    two.start()
    two.join(2)  # moderator 2 waits for moderator 1
    release.set()
    one.join(15)
    two.join(15)
    assert outcomes["1"] == "saved", outcomes
    assert f"#{first.pk} is not a published or pending" in outcomes["2"], outcomes
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == (Statement.Status.REJECTED, Statement.Status.PENDING)
    assert ModerationAction.objects.get(statement=first).duplicate_of_id == second.pk


def test_a_vote_on_a_published_statement_is_not_held_up_by_a_moderator_deciding_on_it(
    require_postgres, transactional_db, monkeypatch
):
    """While a moderator's reversal of a published statement is being saved, a resident voting
    on it is answered at once (the moderator's lock on the statement does not block the vote's
    reference to it); the reversal is then saved as well."""
    from statements.services import vote_cast
    from tests.conftest import make_conversation, make_participant

    conversation = make_conversation(opens_delta=timedelta(days=-30))
    statement = make_seed(conversation, "Kirjastot auki sunnuntaisin")
    participant = make_participant(conversation)
    moderator = make_moderator("eka")
    inside, release = hold_inside(monkeypatch, "_log")  # the moderator holds the statement's lock
    outcomes = {}

    def reverse():
        try:
            services.statement_decision_reverse(
                statement_id=statement.pk, moderator=moderator, reason=Reason.OFF_TOPIC,
                explanation="Ei kuulu tähän keskusteluun",
            )
            outcomes["moderator"] = "saved"
        finally:
            connection.close()

    def vote():
        try:
            vote_cast(participant=participant, statement_id=statement.pk, choice="agree")
            outcomes["vote"] = "saved"
        finally:
            connection.close()

    moderating = threading.Thread(target=reverse)
    moderating.start()
    assert inside.wait(10)
    voting = threading.Thread(target=vote)
    voting.start()
    voting.join(5)
    answered_while_deciding = not voting.is_alive()
    release.set()
    moderating.join(10)
    voting.join(10)
    assert answered_while_deciding
    assert outcomes == {"vote": "saved", "moderator": "saved"}
    statement.refresh_from_db()
    assert statement.status == Statement.Status.REJECTED


def test_an_author_agrees_with_their_statement_once_published_as_written(moderator, conversation):
    # As Polis counts it; the author was asked to vote on their own statement (0 / 32 left).
    from statements import selectors as statement_selectors
    from statements.models import Vote, VoteLog
    from tests.conftest import make_participant

    author = make_participant(conversation)
    as_written = make_pending(conversation, "Puistoihin lisää penkkejä", author=author)
    edited = make_pending(conversation, "Kirjastot auki sunnuntaisin!!!", author=author)
    services.statement_approve(statement_id=as_written.pk, moderator=moderator)
    services.statement_approve(statement_id=edited.pk, moderator=moderator, text="Kirjastot auki sunnuntaisin")
    assert list(Vote.objects.filter(participant=author).values_list("statement_id", "choice")) == [
        (as_written.pk, 1)
    ]
    assert VoteLog.objects.filter(participant=author, statement=as_written, choice=1).count() == 1
    # So it is not asked of them; the edited wording (the moderator's) still is.
    following, _progress = statement_selectors.statement_next_with_progress(
        conversation=conversation, participant=author
    )
    assert following.pk == edited.pk
    # Published again after a reversal, an answer they gave stands.
    Vote.objects.filter(participant=author, statement=as_written).update(choice=-1)
    services.statement_decision_reverse(
        statement_id=as_written.pk, moderator=moderator, reason=Reason.OFF_TOPIC, explanation="Ei aiheessa"
    )
    services.statement_decision_reverse(statement_id=as_written.pk, moderator=moderator, explanation="Sittenkin")
    assert Vote.objects.get(participant=author, statement=as_written).choice == -1
