"""Recompute service: stored runs, failures, coalescing, the sweep and routing weights."""

import random

import numpy as np
import pytest
from django.db import transaction

from clustering import services
from clustering.models import ClusteringRun, ReclusterState
from clustering.selectors import run_latest_succeeded, run_result, statement_weights_for
from statements import services as statement_services
from statements.models import Statement, Vote
from tests.conftest import make_participant
from tests.reports.conftest import make_voted_conversation


def test_run_stores_groups_watermarks_and_timings(db):
    conversation = make_voted_conversation(60)
    run = services.conversation_recluster(conversation_id=conversation.pk)
    assert run.status == ClusteringRun.Status.SUCCEEDED
    assert run.k >= 2
    assert run.n_votes == Vote.objects.filter(conversation=conversation).count()
    assert run.vote_watermark is not None and run.decision_watermark is not None
    assert {"load", "pca", "groups", "total"} <= set(run.timings)
    result = run_result(run)
    assert sum(len(m) for m in result.group_members) == len(result.in_conv_ids)


def test_votes_load_gives_every_current_vote(db):
    conversation = make_voted_conversation(30)
    p, s, c = services.votes_load(conversation_id=conversation.pk)
    expected = sorted(
        Vote.objects.filter(conversation=conversation).values_list(
            "participant_id", "statement_id", "choice"
        )
    )
    assert sorted(zip(p.tolist(), s.tolist(), c.tolist(), strict=True)) == expected


def test_vote_log_load_gives_every_vote_cast_in_order(db):
    """The replay's input: every vote event, changed votes included, in the order they were cast
    (equal times in the order stored), with times in epoch milliseconds."""
    from datetime import UTC, datetime, timedelta

    from statements.models import VoteLog

    conversation = make_voted_conversation(6, 4)
    votes = list(Vote.objects.filter(conversation=conversation).order_by("pk"))
    start = datetime(2026, 5, 4, 9, 30, 0, 123_456, tzinfo=UTC)
    times = [start + timedelta(microseconds=997 * (len(votes) - i)) for i in range(len(votes))]
    times[1] = times[0]  # a tie: the order stored decides
    entries = [
        VoteLog(
            conversation=conversation, participant_id=v.participant_id, statement_id=v.statement_id,
            choice=v.choice, cast_at=at,
        )
        for v, at in zip(votes, times, strict=True)
    ]
    changed = votes[2]  # a changed vote stays in the log twice
    entries.append(
        VoteLog(
            conversation=conversation, participant_id=changed.participant_id,
            statement_id=changed.statement_id, choice=-changed.choice or 1, cast_at=start + timedelta(days=1),
        )
    )
    VoteLog.objects.filter(conversation=conversation).delete()
    VoteLog.objects.bulk_create(entries)
    other = make_voted_conversation(3, 2, slug="other-log")  # not mixed in
    VoteLog.objects.bulk_create(
        [VoteLog(conversation=other, participant_id=v.participant_id, statement_id=v.statement_id, choice=v.choice)
         for v in Vote.objects.filter(conversation=other)]
    )

    stamps, p, s, c = services.vote_log_load(conversation_id=conversation.pk)

    expected = [
        (int(e.cast_at.timestamp() * 1000), e.participant_id, e.statement_id, e.choice)
        for e in VoteLog.objects.filter(conversation=conversation).order_by("cast_at", "pk")
    ]
    assert len(expected) == len(votes) + 1
    got = list(zip(stamps.tolist(), p.tolist(), s.tolist(), c.tolist(), strict=True))
    assert got == expected
    assert got[-1][3] == (-changed.choice or 1)
    assert got[-1][0] == int((start + timedelta(days=1)).timestamp() * 1000) == 1777973400123
    assert [x.dtype for x in (stamps, p, s, c)] == [np.int64, np.int64, np.int64, np.int8]
    from tests.conftest import make_conversation

    empty = make_conversation("no-votes")
    assert all(len(x) == 0 for x in services.vote_log_load(conversation_id=empty.pk))


def test_failed_run_leaves_previous_result(db, monkeypatch):
    conversation = make_voted_conversation(40)
    good = services.conversation_recluster(conversation_id=conversation.pk)

    def explode(*args, **kwargs):
        raise RuntimeError("numerical trouble")

    monkeypatch.setattr("clustering.math.compute_groups", explode)
    bad = services.conversation_recluster(conversation_id=conversation.pk)
    assert bad.status == ClusteringRun.Status.FAILED
    assert "numerical trouble" in bad.error
    assert run_latest_succeeded(conversation_id=conversation.pk).pk == good.pk


def test_next_run_is_warm_started_with_stable_labels(db):
    conversation = make_voted_conversation(80)
    first = run_result(services.conversation_recluster(conversation_id=conversation.pk))
    second = run_result(services.conversation_recluster(conversation_id=conversation.pk))
    before, after = first.group_map(), second.group_map()
    kept = sum(before[p] == after.get(p) for p in before) / len(before)
    assert kept >= 0.8  # the same votes keep (almost) everyone in the group of the same label


def test_unpublished_statements_stay_out_of_the_math(db):
    conversation = make_voted_conversation(40)
    rejected = Statement.objects.filter(conversation=conversation).first()
    Statement.objects.filter(pk=rejected.pk).update(
        status=Statement.Status.REJECTED, published_at=None
    )
    result = run_result(services.conversation_recluster(conversation_id=conversation.pk))
    assert rejected.pk not in result.statement_ids.tolist()


def test_vote_runs_recompute_in_process_after_commit(
    db, django_capture_on_commit_callbacks, seeds, participant
):
    with django_capture_on_commit_callbacks(execute=True):
        statement_services.vote_cast(
            participant=participant, statement_id=seeds[0].pk, choice="agree"
        )
    run = ClusteringRun.objects.get(conversation=participant.conversation)
    assert run.status == ClusteringRun.Status.SUCCEEDED
    assert ReclusterState.objects.get(pk=participant.conversation_id).queued is False


def test_recompute_failure_never_breaks_the_vote(
    db, django_capture_on_commit_callbacks, seeds, participant, monkeypatch
):
    monkeypatch.setattr(services, "conversation_recluster_coalesced", lambda **kw: 1 / 0)
    with django_capture_on_commit_callbacks(execute=True):
        vote = statement_services.vote_cast(
            participant=participant, statement_id=seeds[0].pk, choice="agree"
        )
    assert vote.choice == 1


def _votes_arrive_during_first_run(monkeypatch, conversation, n=5) -> tuple[list, list]:
    """Make ``n`` votes land while the first run computes; returns (the generations each run
    started from, what each of those votes' requests returned: True when it queued a task)."""
    real = services.conversation_recluster
    calls, queued = [], []

    def run_with_votes_arriving(**kwargs):
        calls.append(kwargs["generation"])
        if len(calls) == 1:
            queued.extend(
                services.recluster_state_mark_requested(conversation_id=conversation.pk) for _ in range(n)
            )
        return real(**kwargs)

    monkeypatch.setattr(services, "conversation_recluster", run_with_votes_arriving)
    return calls, queued


def test_request_during_a_run_causes_exactly_one_more_run(db, monkeypatch):
    conversation = make_voted_conversation(30)
    calls, _queued = _votes_arrive_during_first_run(monkeypatch, conversation)
    services.recluster_state_mark_requested(conversation_id=conversation.pk)
    services.conversation_recluster_coalesced(conversation_id=conversation.pk)
    assert len(calls) == 2
    assert ClusteringRun.objects.filter(conversation=conversation).count() == 2


def test_with_a_broker_votes_during_a_run_go_to_the_task_they_queued(db, monkeypatch, settings):
    """Under a steady stream of votes, a run is not followed at once by another for the few
    votes that came in meanwhile: the task those votes queued (debounced) computes them."""
    settings.CELERY_ENABLED = True
    conversation = make_voted_conversation(30)
    calls, queued = _votes_arrive_during_first_run(monkeypatch, conversation)
    services.recluster_state_mark_requested(conversation_id=conversation.pk)
    services.conversation_recluster_coalesced(conversation_id=conversation.pk)
    assert queued == [True] + [False] * 4  # the first of them queued the next task
    assert len(calls) == 1
    state = ReclusterState.objects.get(pk=conversation.pk)
    assert state.queued and state.handled < state.requested  # left to the queued task

    services.conversation_recluster_coalesced(conversation_id=conversation.pk)  # that task runs
    assert len(calls) == 2
    state.refresh_from_db()
    assert state.handled == state.requested and not state.queued
    assert ClusteringRun.objects.filter(conversation=conversation).count() == 2


def test_burst_of_requests_enqueues_one_task(db):
    conversation = make_voted_conversation(5)
    enqueued = [
        services.recluster_state_mark_requested(conversation_id=conversation.pk) for _ in range(10)
    ]
    assert enqueued == [True] + [False] * 9
    assert ReclusterState.objects.get(pk=conversation.pk).requested == 10


def test_sweep_recomputes_only_stale_conversations(db):
    stale = make_voted_conversation(30)
    fresh = make_voted_conversation(30)
    services.conversation_recluster(conversation_id=fresh.pk)
    assert services.conversations_recluster_stale() == [stale.pk]
    assert list(ClusteringRun.objects.filter(conversation=stale).values_list("trigger", flat=True)) == [
        ClusteringRun.Trigger.SWEEP
    ]
    assert services.conversations_recluster_stale() == []


def test_routing_prefers_high_priority_statements(db, django_assert_max_num_queries):
    conversation = make_voted_conversation(60)
    run = services.conversation_recluster(conversation_id=conversation.pk)
    ids = list(Statement.objects.filter(conversation=conversation).values_list("pk", flat=True))
    new = Statement.objects.create(
        conversation=conversation,
        text="Brand new",
        text_key="brand new",
        origin="seed",
        status="published",
        published_at=run.started_at,
    )
    statement_weights_for(conversation=conversation, statement_ids=ids)  # warm the cache
    with django_assert_max_num_queries(1):
        weights = statement_weights_for(conversation=conversation, statement_ids=ids + [new.pk])
    assert weights[-1] == 1.0
    assert weights[:-1] == pytest.approx([run.priorities[str(pk)] for pk in ids])


def test_next_statement_is_drawn_by_priority(db):
    from statements.selectors import statement_next_with_progress

    conversation = make_voted_conversation(60)
    run = services.conversation_recluster(conversation_id=conversation.pk)
    fresh = make_participant(conversation)
    rng = random.Random(3)
    drawn = [
        statement_next_with_progress(conversation=conversation, participant=fresh, rng=rng)[0].pk
        for _ in range(400)
    ]
    best = max(run.priorities, key=run.priorities.get)
    worst = min(run.priorities, key=run.priorities.get)
    assert drawn.count(int(best)) > drawn.count(int(worst))
    assert np.isfinite(list(run.priorities.values())).all()


def test_manual_recluster_command_prints_k_sizes_and_timings(db):
    from io import StringIO

    from django.core.management import call_command

    conversation = make_voted_conversation(50)
    out = StringIO()
    call_command("recluster", conversation.slug, stdout=out)
    text = out.getvalue()
    assert "k = " in text and "group sizes" in text and "timings" in text


def test_recompute_request_inside_rolled_back_transaction_does_nothing(
    db, django_capture_on_commit_callbacks
):
    conversation = make_voted_conversation(5)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                services.conversation_recluster_request(conversation_id=conversation.pk)
                raise ValueError
        except ValueError:
            pass
    assert callbacks == []
    assert not ClusteringRun.objects.filter(conversation=conversation).exists()


def test_without_a_broker_the_vote_answers_first_and_a_background_thread_recomputes(
    transactional_db, settings
):
    import threading
    import time

    settings.RECLUSTER_IN_PROCESS = "thread"
    conversation = make_voted_conversation(40)
    statement = Statement.objects.filter(conversation=conversation).first()
    before = ClusteringRun.objects.filter(conversation=conversation).count()
    statement_services.vote_cast(
        participant=make_participant(conversation), statement_id=statement.pk, choice="agree"
    )
    # Wait for the background threads themselves, not by reading the database meanwhile: on the
    # in-memory SQLite test database (shared cache) a read during the thread's write fails it
    # with "table is locked", which no busy timeout covers.
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        running = [t for t in threading.enumerate() if t.name == "voxit-recluster"]
        if not running:
            break
        for thread in running:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))
    succeeded = ClusteringRun.objects.filter(conversation=conversation, status=ClusteringRun.Status.SUCCEEDED)
    assert succeeded.count() > before
    state = ReclusterState.objects.get(pk=conversation.pk)
    assert state.handled >= state.requested
    run = run_latest_succeeded(conversation_id=conversation.pk)
    assert run is not None and run.vote_watermark is not None
    assert run_result(run).k >= 2


def test_a_recompute_request_with_the_database_gone_is_logged_not_raised(monkeypatch, caplog):
    """The request runs after the vote's commit: if the database goes away just then, the
    resident's vote is saved and must not be answered with an error; the beat sweep catches up."""
    from django.db import OperationalError

    def gone(*args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    class GoneManager:
        filter = staticmethod(gone)

    class GoneState:
        objects = GoneManager()

    monkeypatch.setattr(services, "recluster_state_mark_requested", gone)
    monkeypatch.setattr(services, "ReclusterState", GoneState)
    services._request_after_commit(12345)  # raised OperationalError from its fallback before
    assert "Could not request a recompute of conversation 12345" in caplog.text
    assert "Could not mark conversation 12345 for the sweep" in caplog.text
