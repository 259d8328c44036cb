"""Against real services: Celery worker processes on the Redis broker, PostgreSQL, the test client.

Each worker is a separate `celery worker` process pointed at pytest's test database; tests use
transactional_db so the workers see committed rows.
"""

import os
import subprocess
import time

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from clustering.models import ClusteringRun, ReclusterState
from clustering.services import conversation_recluster_request
from clustering.tasks import conversation_recluster_task, recluster_sweep_task
from statements.models import Statement, Vote
from tests.conftest import celery_worker_start, make_participant, postgres_url, require
from tests.reports.conftest import make_voted_conversation
from voxit.celery import app

pytestmark = [pytest.mark.celery_worker, pytest.mark.postgres]
REDIS_URL = os.environ.get("TEST_REDIS_URL", "")


def _redis_up() -> bool:
    if not REDIS_URL:
        return False
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def _wait(predicate, timeout=40.0, step=0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return False


@pytest.fixture(scope="module")
def workers(django_db_setup, django_db_blocker):
    """Two worker processes on the test broker and the test database, killed by pid afterwards."""
    require(
        REDIS_URL != "" and _redis_up(), "needs Redis: set TEST_REDIS_URL=redis://127.0.0.1:6379/15"
    )
    with django_db_blocker.unblock():
        require(
            connection.vendor == "postgresql", "needs PostgreSQL: set DATABASE_URL=postgres://…"
        )
        database_url = postgres_url(connection.settings_dict)
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    processes = [
        celery_worker_start(
            broker_url=REDIS_URL,
            database_url=database_url,
            options=["-P", "solo", "--concurrency", "1", "-n", f"w{i}@%h"],
        )
        for i in (1, 2)
    ]
    saved = {key: app.conf[key] for key in ("broker_url", "task_always_eager")}
    app.conf.update(broker_url=REDIS_URL, task_always_eager=False)
    app.pool.force_close_all() if app._pool is not None else None
    app._pool = None
    old_enabled = settings.CELERY_ENABLED
    settings.CELERY_ENABLED = True
    try:
        ready = _wait(lambda: len(app.control.ping(timeout=1.0) or []) >= 2, timeout=60)
        assert ready, "the Celery workers did not come up"
        yield processes
    finally:
        settings.CELERY_ENABLED = old_enabled
        app.conf.update(saved)
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()


def _settled(conversation) -> bool:
    state = ReclusterState.objects.filter(pk=conversation.pk).first()
    running = ClusteringRun.objects.filter(
        conversation=conversation, status=ClusteringRun.Status.RUNNING
    ).exists()
    return (
        state is not None and state.handled >= state.requested and not state.queued and not running
    )


def test_votes_over_http_produce_exactly_one_run_and_the_report_updates(
    workers, transactional_db, client
):
    from django.contrib.auth.models import User

    conversation = make_voted_conversation(40, 10)
    page = reverse("statements:conversation", kwargs={"slug": conversation.slug})
    client.get(page)
    statements = list(
        Statement.objects.filter(conversation=conversation).values_list("pk", flat=True)
    )
    for pk in statements[:8]:  # a burst shorter than the debounce
        response = client.post(
            reverse("statements:vote", kwargs={"slug": conversation.slug}),
            {"statement": pk, "choice": "agree"},
        )
        assert response.status_code == 302
    assert _wait(lambda: ClusteringRun.objects.filter(conversation=conversation).exists())
    assert _wait(lambda: _settled(conversation))
    time.sleep(2 * settings.RECLUSTER_DELAY_SECONDS)
    runs = list(ClusteringRun.objects.filter(conversation=conversation))
    assert len(runs) == 1 and runs[0].status == ClusteringRun.Status.SUCCEEDED
    assert runs[0].n_votes == Vote.objects.filter(conversation=conversation).count()

    staff = User.objects.create_user("staff-w", password="x", is_staff=True)
    client.force_login(staff)
    html = client.get(
        reverse("reports:report", kwargs={"slug": conversation.slug})
    ).content.decode()
    computed_at = html.split('id="computed-at"', 1)[1].split("</p>", 1)[0]
    assert str(runs[0].n_votes) in computed_at


def test_moderation_decision_triggers_a_run(workers, transactional_db):
    conversation = make_voted_conversation(40, 10)
    rejected = Statement.objects.filter(conversation=conversation).first()
    now = timezone.now()
    with (
        transaction.atomic()
    ):  # what a moderation service does: change the state, ask for a recompute
        Statement.objects.filter(pk=rejected.pk).update(
            status=Statement.Status.REJECTED, published_at=None, decided_at=now
        )
        conversation_recluster_request(conversation_id=conversation.pk)
    assert _wait(
        lambda: ClusteringRun.objects.filter(conversation=conversation, status="succeeded").exists()
    )
    run = ClusteringRun.objects.get(conversation=conversation)
    assert run.decision_watermark == now
    assert str(rejected.pk) not in run.priorities


def test_lock_holds_with_two_workers(workers, transactional_db):
    conversation = make_voted_conversation(300, 30)
    ReclusterState.objects.create(conversation=conversation, requested=1)
    for _ in range(8):  # both workers receive tasks for the same conversation at once
        conversation_recluster_task.delay(conversation.pk)
    assert _wait(lambda: ClusteringRun.objects.filter(conversation=conversation).exists())
    assert _wait(lambda: _settled(conversation))
    time.sleep(2)
    runs = list(ClusteringRun.objects.filter(conversation=conversation).order_by("started_at"))
    assert len(runs) == 1
    for a, b in zip(runs, runs[1:], strict=False):
        assert a.finished_at <= b.started_at


def test_beat_sweep_catches_a_lost_trigger(workers, transactional_db):
    conversation = make_voted_conversation(
        40, 10
    )  # written in bulk: no trigger was sent (as if Redis was down)
    assert not ClusteringRun.objects.filter(conversation=conversation).exists()
    recluster_sweep_task.delay()  # what celery beat sends every RECLUSTER_SWEEP_MINUTES
    assert _wait(
        lambda: ClusteringRun.objects.filter(conversation=conversation, status="succeeded").exists()
    )
    first = ClusteringRun.objects.get(conversation=conversation)
    participant = make_participant(conversation)
    statement = Statement.objects.filter(conversation=conversation).first()
    Vote.objects.create(
        conversation=conversation, participant=participant, statement=statement, choice=1
    )
    recluster_sweep_task.delay()
    assert _wait(
        lambda: (
            ClusteringRun.objects.filter(conversation=conversation, status="succeeded").count() == 2
        )
    )
    assert (
        ClusteringRun.objects.exclude(pk=first.pk).get(conversation=conversation).vote_watermark
        > first.vote_watermark
    )


KEEP_WORKER_APPLICATION = "voxit-test-keep-connection"


def _keep_worker_backends() -> set[tuple[int, object]]:
    """(pid, start) of the PostgreSQL backends the keep-connection worker opened (it names its
    connections through libpq's PGAPPNAME): the module's other workers and this process's own
    threads may hold connections to the test database at any moment."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid, backend_start FROM pg_stat_activity"
            " WHERE datname = current_database() AND application_name = %s",
            [KEEP_WORKER_APPLICATION],
        )
        return set(cursor.fetchall())


def test_a_worker_keeps_its_database_connection_from_task_to_task(workers, transactional_db):
    """Celery's Django fix-up would close the connection after every task, so every recompute
    made PostgreSQL start a new backend (a process fork and a cold cache, one every debounce
    under a rush). With production's CONN_MAX_AGE the worker keeps one connection."""
    database_url = postgres_url(connection.settings_dict)
    worker = celery_worker_start(
        broker_url=REDIS_URL,
        database_url=database_url,
        options=["-P", "solo", "--concurrency", "1", "-n", "keep@%h", "-Q", "keep-connection"],
        DATABASE_CONN_MAX_AGE="60",
        PGAPPNAME=KEEP_WORKER_APPLICATION,
    )
    try:
        assert _wait(lambda: any("keep@" in name for reply in app.control.ping(timeout=1.0) or [] for name in reply))
        conversation = make_voted_conversation(40, 10)
        seen = []
        for number in range(3):
            ReclusterState.objects.update_or_create(
                conversation=conversation, defaults={"requested": number + 1, "handled": number}
            )
            conversation_recluster_task.apply_async((conversation.pk,), queue="keep-connection")
            assert _wait(lambda n=number: ClusteringRun.objects.filter(conversation=conversation).count() == n + 1)
            assert _wait(lambda: _settled(conversation))
            seen.append(_keep_worker_backends())
        assert len(seen[0]) == 1, seen  # the worker's connection, left open between tasks
        assert seen[0] == seen[1] == seen[2], seen  # one backend served all three
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=15)
        except subprocess.TimeoutExpired:
            worker.kill()
