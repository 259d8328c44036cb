"""Privacy: erasure on request, the retention rule for browser links, pseudonymous exports."""

import io
import zipfile
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from clustering.models import ClusteringRun
from clustering.selectors import run_result
from moderation.services import statement_approve, statement_reject
from statements import services
from statements.models import Participant, Statement, Vote, VoteLog
from tests.conftest import make_conversation, make_participant
from tests.reports.conftest import make_voted_conversation
from tests.security.conftest import logged_in, make_user

pytestmark = pytest.mark.django_db


def test_forget_participant_erases_votes_log_and_unpublished_statements_and_the_recompute_reflects_it(
    django_capture_on_commit_callbacks,
):
    conversation = make_voted_conversation(20, 6, slug="forget-me")
    target = (
        Participant.objects.filter(conversation=conversation, votes__isnull=False)
        .distinct()
        .first()
    )
    moderator = make_user("mod", moderator=True)
    published = services.statement_submit(
        participant=target, text="Julkaistava ehdotus, jossa on Matti Meikäläinen"
    )
    statement_approve(statement_id=published.pk, moderator=moderator, text="Julkaistava ehdotus")
    rejected = services.statement_submit(
        participant=target, text="Hylättävä ehdotus aiheen vierestä"
    )
    statement_reject(statement_id=rejected.pk, moderator=moderator, reason="off_topic")
    pending = services.statement_submit(participant=target, text="Odottava ehdotus")
    other_votes = Vote.objects.exclude(participant=target).count()
    assert Vote.objects.filter(participant=target).exists()

    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("forget_participant", conversation.slug, target.pseudonym, stdout=out)
    assert f"Forgot {target.pseudonym}" in out.getvalue()

    assert not Participant.objects.filter(pk=target.pk).exists()
    assert not Vote.objects.filter(participant_id=target.pk).exists()
    assert not VoteLog.objects.filter(participant_id=target.pk).exists()
    assert not Statement.objects.filter(pk__in=[rejected.pk, pending.pk]).exists()
    kept = Statement.objects.get(pk=published.pk)
    assert (kept.author, kept.text, kept.original_text) == (
        None,
        "Julkaistava ehdotus",
        "Julkaistava ehdotus",
    )
    assert Vote.objects.count() == other_votes
    run = (
        ClusteringRun.objects.filter(conversation=conversation, status="succeeded")
        .order_by("-pk")
        .first()
    )
    assert run is not None
    assert target.pk not in run_result(run).participant_ids.tolist()


def test_forget_participant_finds_by_id_and_reports_unknown_ones(conversation):
    participant = make_participant(conversation)
    call_command("forget_participant", conversation.slug, str(participant.pk), stdout=io.StringIO())
    assert not Participant.objects.filter(pk=participant.pk).exists()
    with pytest.raises(CommandError):
        call_command("forget_participant", conversation.slug, "P999999", stdout=io.StringIO())
    with pytest.raises(CommandError):
        call_command("forget_participant", "no-such-conversation", "P1", stdout=io.StringIO())


def test_forget_participant_refuses_a_reference_that_names_two_people(conversation):
    """An embedding site's external id may be a number that is also another participant's id."""
    first, second = make_participant(conversation), make_participant(conversation)
    second.xid = str(first.pk)
    second.save(update_fields=["xid"])
    with pytest.raises(CommandError, match="by external id"):
        call_command("forget_participant", conversation.slug, str(first.pk), stdout=io.StringIO())
    assert Participant.objects.filter(pk__in=[first.pk, second.pk]).count() == 2
    call_command("forget_participant", conversation.slug, f"xid:{first.pk}", stdout=io.StringIO())
    assert list(Participant.objects.values_list("pk", flat=True)) == [first.pk]


def test_browser_links_are_removed_after_the_retention_period_and_answers_stay(db, settings):
    settings.PARTICIPANT_LINK_RETENTION_DAYS = 30
    now = timezone.now()
    old = make_conversation(opens_delta=timedelta(days=-90), closes_delta=timedelta(days=-31))
    recent = make_conversation(opens_delta=timedelta(days=-40), closes_delta=timedelta(days=-29))
    still_open = make_conversation()
    statement = Statement.objects.create(
        conversation=old,
        text="Vanha väite",
        text_key="vanha väite",
        origin="seed",
        status="published",
        published_at=now - timedelta(days=60),
    )
    old_participant = make_participant(old)
    Vote.objects.create(
        conversation=old, participant=old_participant, statement=statement, choice=1
    )
    for conversation in (recent, still_open):
        make_participant(conversation)

    out = io.StringIO()
    call_command("expire_participant_links", stdout=out)
    assert "Unlinked 1 " in out.getvalue()
    old_participant.refresh_from_db()
    assert old_participant.browser_key is None
    assert Vote.objects.filter(participant=old_participant).count() == 1
    assert Participant.objects.filter(browser_key__isnull=False).count() == 2

    # Celery beat runs it: the schedule names the task, and the task of that name does the work.
    from voxit.celery import app

    app.loader.import_default_modules()  # the task modules a worker loads at start
    entry = settings.CELERY_BEAT_SCHEDULE["participant-links-expire"]
    assert entry["schedule"] <= 24 * 3600
    settings.PARTICIPANT_LINK_RETENTION_DAYS = 0
    assert app.tasks[entry["task"]].apply().get() == 1  # the recent one, past a zero-day retention


def test_a_browser_whose_link_expired_no_longer_sees_its_old_answers(conversation):
    from tests.security.conftest import browser

    statement = services.statement_seed(
        conversation=conversation, text="Kirjastot auki myös sunnuntaisin"
    )
    resident = browser()
    resident.post(f"/c/{conversation.slug}/vote/", {"statement": statement.pk, "choice": "agree"})
    assert statement.text in resident.get(f"/c/{conversation.slug}/answers/").content.decode()
    now = timezone.now()
    type(conversation).objects.filter(pk=conversation.pk).update(
        opens_at=now - timedelta(days=60), closes_at=now - timedelta(days=31)
    )
    resident.cookies["voxit_language"] = "en"
    still = "Your earlier answers are still visible."
    assert still in resident.get(f"/c/{conversation.slug}/").content.decode()  # closed, link kept
    call_command("expire_participant_links", stdout=io.StringIO())
    assert statement.text not in resident.get(f"/c/{conversation.slug}/answers/").content.decode()
    assert still not in resident.get(f"/c/{conversation.slug}/").content.decode()  # it would be false
    assert Vote.objects.filter(statement=statement).count() == 1


def test_polis_export_carries_pseudonymous_participant_ids_only(db):
    conversation = make_voted_conversation(12, 5, slug="export-privacy")
    for participant in Participant.objects.filter(conversation=conversation):
        participant.xid = f"person{participant.pk}@example.fi"
        participant.save(update_fields=["xid"])
    first = Participant.objects.filter(conversation=conversation).first()
    staff = logged_in(make_user("staff", staff=True, superuser=True))
    response = staff.get(f"/reports/{conversation.slug}/export.zip")
    assert response.status_code == 200
    content = b"".join(response.streaming_content) if response.streaming else response.content
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        text = "".join(archive.read(name).decode() for name in archive.namelist())
    assert "@example.fi" not in text
    assert first.browser_key not in text


def test_forget_keeps_a_statement_that_was_published_and_later_rejected_with_others_votes():
    """Reversed to rejected after others voted on it, a statement is no longer "never published":
    erasing its author must not take the other residents' votes or the moderation history along."""
    from moderation.services import statement_decision_reverse

    conversation = make_conversation("forget-reversed")
    moderator = make_user("moderator", moderator=True)
    author = make_participant(conversation)
    statement = services.statement_submit(participant=author, text="Lisää penkkejä rantaan")
    statement_approve(statement_id=statement.pk, moderator=moderator)
    voters = [make_participant(conversation) for _ in range(3)]
    for voter in voters:
        services.vote_cast(participant=voter, statement_id=statement.pk, choice=1)
    statement_decision_reverse(
        statement_id=statement.pk, moderator=moderator, explanation="Aiheen ohi", reason="off_topic"
    )
    never_published = services.statement_submit(participant=author, text="Toinen ehdotus")

    outcome = services_forget(author)

    assert outcome.statements_deleted == 1 and outcome.statements_unlinked == 1
    kept = Statement.objects.get(pk=statement.pk)
    assert kept.author is None and kept.status == "rejected"
    assert not Statement.objects.filter(pk=never_published.pk).exists()
    assert Vote.objects.filter(statement=kept).count() == 3
    assert VoteLog.objects.filter(statement=kept).count() == 3
    assert kept.moderation_actions.count() == 2


def services_forget(participant):
    from statements.privacy import participant_forget

    return participant_forget(participant=participant)
