"""Faults against the real services: Redis down, a Celery worker killed mid-recompute, the
PostgreSQL connection lost, and double submissions. Voting never loses or doubles an answer and no
resident sees a 500.

Redis here is a private redis-server on a free port, started and killed by pid by these tests.
"""

import re
import shutil
import signal
import socket
import subprocess
import threading
import time

import psycopg
import pytest
from django.conf import settings
from django.db import connection
from django.test import Client, override_settings

from clustering.models import ClusteringRun
from clustering.selectors import run_latest_succeeded
from clustering.services import (
    conversation_recluster,
    conversation_recluster_coalesced,
    conversations_recluster_stale,
)
from moderation.services import statement_approve
from statements import services
from statements.models import Participant, Statement, Vote, VoteLog
from tests.conftest import celery_worker_start, make_conversation, postgres_url, require
from tests.reports.conftest import make_voted_conversation
from tests.security.conftest import PASSWORD, api, browser, make_user, post_json
from voxit.celery import app

pytestmark = pytest.mark.postgres


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RedisServer:
    def __init__(self):
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        import redis

        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                if redis.Redis.from_url(self.url, socket_connect_timeout=0.2).ping():
                    return
            except redis.RedisError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)
        self.process = None


def _reset_broker_connections():
    """Drop Celery's pooled broker connections so the next publish uses the current broker_url."""
    if app._pool is not None:
        app.pool.force_close_all()
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def private_redis():
    require(
        shutil.which("redis-server") is not None,
        "needs redis-server on PATH (apt-get install redis-server)",
    )
    server = RedisServer()
    server.start()
    saved = {key: app.conf[key] for key in ("broker_url", "task_always_eager")}
    saved_settings = (settings.CELERY_ENABLED, settings.REDIS_URL)
    app.conf.update(broker_url=server.url, task_always_eager=False)
    _reset_broker_connections()
    settings.CELERY_ENABLED, settings.REDIS_URL = True, server.url
    # Django's cache on the same Redis, as in production (login throttling, rate-limit windows).
    production_cache = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": server.url,
            "KEY_PREFIX": "voxit",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    try:
        with override_settings(CACHES=production_cache):
            yield server
    finally:
        settings.CELERY_ENABLED, settings.REDIS_URL = saved_settings
        app.conf.update(saved)
        _reset_broker_connections()
        server.stop()


def test_redis_down_voting_submission_and_moderation_work_and_the_sweep_catches_up(
    require_postgres, transactional_db, private_redis
):
    conversation = make_conversation("redis-down")
    statements = [
        services.statement_seed(conversation=conversation, text=f"Väite {n}") for n in range(3)
    ]
    conversation_recluster(conversation_id=conversation.pk)
    before = run_latest_succeeded(conversation_id=conversation.pk)
    private_redis.stop()

    resident = Client(raise_request_exception=False, HTTP_HOST="localhost")
    started = time.monotonic()
    votes = [
        post_json(resident, api("votes", conversation), {"statement": s.pk, "choice": "agree"})
        for s in statements
    ]
    assert [response.status_code for response in votes] == [201, 201, 201]
    submitted = post_json(
        resident, api("statements", conversation), {"text": "Uusi ehdotus kun Redis on alhaalla"}
    )
    assert submitted.status_code == 201
    # Reading goes on too: the conversation page and the next statement.
    assert resident.get(f"/c/{conversation.slug}/").status_code == 200
    assert resident.get(api("next", conversation)).status_code == 200
    # A moderator signs in through the throttled login form (its counters live in Redis).
    make_user("mod", moderator=True)
    moderator = Client(raise_request_exception=False, HTTP_HOST="localhost")
    signed_in = moderator.post("/accounts/login/", {"username": "mod", "password": PASSWORD})
    assert signed_in.status_code == 302 and signed_in["Location"] == "/moderation/"
    page = moderator.get("/moderation/queue/")
    assert page.status_code == 200
    decided = moderator.post(
        f"/moderation/s/{submitted.json()['id']}/decide/", {"decision": "approve"}
    )
    assert decided.status_code == 302
    assert Statement.objects.get(pk=submitted.json()["id"]).status == "published"
    assert time.monotonic() - started < 60
    assert (
        Vote.objects.filter(conversation=conversation).count()
        == VoteLog.objects.filter(conversation=conversation).count()
        == 4  # the three votes and the author's agreement with the statement published
    )
    # No recompute could be queued: the latest result is still the one from before.
    assert run_latest_succeeded(conversation_id=conversation.pk).pk == before.pk

    private_redis.start()
    from clustering.models import ReclusterState

    ReclusterState.objects.filter(pk=conversation.pk).update(queued=False)  # a lost enqueue
    assert conversation.pk in conversations_recluster_stale()
    import redis

    assert (
        redis.Redis.from_url(private_redis.url).llen("celery") >= 1
    )  # the sweep queued the recompute
    run = conversation_recluster_coalesced(
        conversation_id=conversation.pk
    )  # what the worker then runs
    assert run is not None and run.status == "succeeded" and run.n_votes == 4  # with the author's agreement


def _start_worker(private_redis):
    process = celery_worker_start(
        broker_url=private_redis.url, database_url=postgres_url(connection.settings_dict), options=["-P", "solo"]
    )
    deadline = time.monotonic() + 60
    while not (app.control.ping(timeout=1.0) or []):
        assert time.monotonic() < deadline, "the Celery worker did not come up"
    return process


@pytest.fixture
def workers(private_redis, transactional_db):
    """Start Celery workers on the private Redis; every one is ended at the end of the test."""
    started = []

    def start():
        started.append(_start_worker(private_redis))
        return started[-1]

    try:
        yield start
    finally:
        for process in started:
            if process.poll() is None:
                process.kill()
            process.wait(timeout=15)


def _recompute_lock_held(conversation_id: int) -> bool:
    """The conversation's recompute lock, in this database (a two-key advisory lock)."""
    from clustering.services import ADVISORY_LOCK_CLASS

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"
            " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
            " AND classid = %s AND objid = %s AND objsubid = 2",
            [ADVISORY_LOCK_CLASS, conversation_id],
        )
        return cursor.fetchone()[0] > 0


def test_worker_killed_mid_recompute_keeps_previous_result_and_the_next_run_succeeds(
    require_postgres, private_redis, workers
):
    from clustering.models import ReclusterState
    from clustering.tasks import conversation_recluster_task

    conversation = make_voted_conversation(2000, 30, slug="killed-worker")
    previous = conversation_recluster(conversation_id=conversation.pk)
    assert previous.status == "succeeded"
    assert not _recompute_lock_held(conversation.pk)
    worker = workers()
    ReclusterState.objects.update_or_create(
        conversation_id=conversation.pk, defaults={"requested": 1, "handled": 0}
    )
    conversation_recluster_task.delay(conversation.pk)
    deadline = time.monotonic() + 60
    while not ClusteringRun.objects.filter(conversation=conversation, status="running").exists():
        assert time.monotonic() < deadline, "the worker never started the recompute"
        time.sleep(0.01)
    assert _recompute_lock_held(conversation.pk), "the running recompute holds no lock"
    worker.send_signal(signal.SIGKILL)
    worker.wait(timeout=15)

    assert run_latest_succeeded(conversation_id=conversation.pk).pk == previous.pk  # still served
    deadline = time.monotonic() + 20
    while _recompute_lock_held(conversation.pk):  # the dead worker's session ends; PostgreSQL frees it
        assert time.monotonic() < deadline, "the recompute lock stayed held after the worker died"
        time.sleep(0.1)
    # A new worker (as the service manager would start) takes the next request and succeeds.
    workers()
    ReclusterState.objects.filter(pk=conversation.pk).update(requested=2)
    conversation_recluster_task.delay(conversation.pk)
    deadline = time.monotonic() + 90
    while run_latest_succeeded(conversation_id=conversation.pk).pk == previous.pk:
        assert time.monotonic() < deadline, "the next recompute did not succeed"
        time.sleep(0.1)
    following = run_latest_succeeded(conversation_id=conversation.pk)
    assert following.status == "succeeded" and following.n_votes == previous.n_votes


def _kill_connection(pid: int) -> None:
    params = connection.get_connection_params()
    keep = {
        key: params[key]
        for key in ("dbname", "user", "host", "port", "password")
        if params.get(key)
    }
    with psycopg.connect(**keep, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])


def end_of_request():
    """What request_finished does in production (the test client switches that handler off):
    a connection that failed is closed, so the next request opens a new one."""
    from django.db import close_old_connections

    close_old_connections()


def _backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def test_lost_database_connection_answers_503_and_later_requests_succeed(
    require_postgres, transactional_db, monkeypatch
):
    conversation = make_conversation("db-lost")
    first, second, third = (
        services.statement_seed(conversation=conversation, text=f"Väite {n}") for n in range(3)
    )
    resident = Client(raise_request_exception=False, HTTP_HOST="localhost")
    resident.get(f"/c/{conversation.slug}/")
    monkeypatch.setitem(connection.settings_dict, "CONN_HEALTH_CHECKS", False)
    try:
        # Killed between requests: the next request fails cleanly, the one after reconnects.
        _kill_connection(_backend_pid())
        failed = post_json(
            resident, api("votes", conversation), {"statement": first.pk, "choice": "agree"}
        )
        assert failed.status_code == 503
        assert failed.json()["code"] == "service_unavailable" and failed.json()["detail"]
        end_of_request()
        assert (
            post_json(
                resident, api("votes", conversation), {"statement": first.pk, "choice": "agree"}
            ).status_code
            == 201
        )

        # Killed in the middle of a request, after the vote: the resident gets a 503, the vote and its
        # log entry are both there (one statement), and nothing is half-written.
        from statements import selectors

        real = selectors.statement_next_values_with_progress

        def dies_midway(**kwargs):
            _kill_connection(_backend_pid())
            return real(**kwargs)

        monkeypatch.setattr(selectors, "statement_next_values_with_progress", dies_midway)
        midway = post_json(
            resident, api("votes", conversation), {"statement": second.pk, "choice": "pass"}
        )
        assert midway.status_code == 503
        end_of_request()
        monkeypatch.setattr(selectors, "statement_next_values_with_progress", real)
        html = Client(raise_request_exception=False, HTTP_HOST="localhost")
        _kill_connection(_backend_pid())
        page = html.get(f"/c/{conversation.slug}/")
        assert page.status_code == 503
        assert "<h1>" in page.content.decode() and page["Retry-After"]
        end_of_request()
        assert (
            post_json(
                resident, api("votes", conversation), {"statement": third.pk, "choice": "disagree"}
            ).status_code
            == 201
        )
        assert Vote.objects.count() == VoteLog.objects.count() == 3
    finally:
        connection.close()


def test_health_check_notices_a_connection_the_server_ended_and_the_vote_succeeds(
    require_postgres, transactional_db, monkeypatch
):
    """With health checks on (the default), a connection the server ended between requests is
    noticed from its socket and replaced before the vote: the resident sees nothing. A live
    connection is not asked anything (no SELECT 1 round trip per request)."""
    from django.db.backends.postgresql.base import DatabaseWrapper as DjangoWrapper

    conversation = make_conversation("db-ended")
    statement = services.statement_seed(conversation=conversation, text="Väite")
    resident = Client(raise_request_exception=False, HTTP_HOST="localhost")
    resident.get(f"/c/{conversation.slug}/")
    monkeypatch.setitem(connection.settings_dict, "CONN_HEALTH_CHECKS", True)
    asked = []
    real_is_usable = DjangoWrapper.is_usable

    def counting_is_usable(self):
        asked.append(1)
        return real_is_usable(self)

    monkeypatch.setattr(DjangoWrapper, "is_usable", counting_is_usable)
    try:
        connection.ensure_connection()
        assert connection.is_usable() and asked == []  # live and idle: no query was sent

        _kill_connection(_backend_pid())
        deadline = time.monotonic() + 5
        while connection.is_usable() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert asked, "the ended connection was never noticed"
        end_of_request()
        connection.health_check_done = False  # what the start of the next request does
        answer = post_json(
            resident, api("votes", conversation), {"statement": statement.pk, "choice": "agree"}
        )
        assert answer.status_code == 201, answer.content
        assert Vote.objects.count() == VoteLog.objects.count() == 1
    finally:
        connection.close()


def _concurrently(count, action):
    barrier = threading.Barrier(count)
    results = [None] * count

    def run(index):
        barrier.wait()
        try:
            results[index] = action()
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_double_submissions_leave_one_vote_one_participant_and_one_statement(
    require_postgres, transactional_db
):
    conversation = make_conversation("double")
    statement = services.statement_seed(conversation=conversation, text="Tuplaklikattu väite")
    resident = browser()
    resident.get(f"/c/{conversation.slug}/")  # the browser gets its cookie; no participant yet
    cookies = resident.cookies

    def vote():
        client = browser()
        client.cookies = cookies
        return post_json(
            client, api("votes", conversation), {"statement": statement.pk, "choice": "agree"}
        ).status_code

    assert _concurrently(4, vote) == [201] * 4
    assert Participant.objects.filter(conversation=conversation).count() == 1
    assert Vote.objects.filter(statement=statement).count() == 1

    def submit():
        client = browser()
        client.cookies = cookies
        return post_json(
            client, api("statements", conversation), {"text": "Sama ehdotus kahdesti"}
        ).status_code

    statuses = _concurrently(4, submit)
    assert sorted(statuses) == [201, 409, 409, 409]
    assert Statement.objects.filter(conversation=conversation, origin="participant").count() == 1
    moderator = make_user("mod", moderator=True)
    pending = Statement.objects.get(conversation=conversation, origin="participant")
    statement_approve(statement_id=pending.pk, moderator=moderator)

    # Once approved, the statement is there once: one published row, and a new resident going
    # through the conversation is asked it once; its author sees it once among their statements.
    assert (
        Statement.objects.filter(
            conversation=conversation, status="published", text="Sama ehdotus kahdesti"
        ).count()
        == 1
    )
    assert _texts_a_new_resident_is_asked(conversation) == sorted(
        ["Tuplaklikattu väite", "Sama ehdotus kahdesti"]
    )
    mine = resident.get(f"/c/{conversation.slug}/statements/mine/")
    assert mine.status_code == 200
    assert mine.content.decode().count("Sama ehdotus kahdesti") == 1


def _texts_a_new_resident_is_asked(conversation) -> list[str]:
    """Every statement text a new resident is shown, voting on each until none is left."""
    client = browser()
    asked = []
    following = client.get(api("next", conversation)).json()["statement"]
    while following is not None and len(asked) < 20:
        asked.append(following["text"])
        answer = post_json(
            client, api("votes", conversation), {"statement": following["id"], "choice": "agree"}
        )
        assert answer.status_code == 201, answer.content
        following = answer.json()["next"]
    return sorted(asked)


def _form_token(page) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())
    assert match, "the page has no form with a CSRF token"
    return match.group(1)


def test_double_submissions_through_the_html_forms_leave_one_vote_and_one_statement(
    require_postgres, transactional_db
):
    """Without JavaScript a double-click or a retried form post sends the same form twice (with
    the same CSRF token): one vote, one statement, and the second answer is a page that says so."""
    conversation = make_conversation("double-form")
    statement = services.statement_seed(
        conversation=conversation, text="Kaivopuistoon lisää penkkejä"
    )
    resident = Client(enforce_csrf_checks=True, raise_request_exception=False, HTTP_HOST="localhost")
    page = resident.get(f"/c/{conversation.slug}/?lang=en")
    assert page.status_code == 200
    vote = {"csrfmiddlewaretoken": _form_token(page), "statement": statement.pk, "choice": "agree"}
    for _attempt in range(2):
        answered = resident.post(f"/c/{conversation.slug}/vote/?lang=en", vote, follow=True)
        assert answered.status_code == 200
        assert "Your answer was saved." in answered.content.decode()
    assert Participant.objects.filter(conversation=conversation).count() == 1
    assert list(Vote.objects.values_list("statement_id", "choice")) == [(statement.pk, 1)]

    url = f"/c/{conversation.slug}/statements/new/?lang=en"
    text = "Kaivopuistoon lisää penkkejä ja roska-astioita"
    form = resident.get(url)
    offered = resident.post(url, {"csrfmiddlewaretoken": _form_token(form), "text": text})
    # The first step offers the similar published statement; "Send anyway" posts it confirmed.
    assert offered.status_code == 200
    assert "Send anyway" in offered.content.decode()
    assert 'name="confirm" value="1"' in offered.content.decode()
    confirmed = {"csrfmiddlewaretoken": _form_token(offered), "text": text, "confirm": "1"}
    first = resident.post(url, confirmed)
    assert first.status_code == 302 and first["Location"].endswith("/statements/mine/#messages")
    again = resident.post(url, confirmed)
    assert again.status_code == 400  # the form again, saying it was already sent
    shown = again.content.decode()
    assert "This statement already exists in the conversation." in shown
    assert "The same statement has already been sent and is awaiting moderation." in shown
    assert Statement.objects.filter(conversation=conversation, origin="participant").count() == 1
    assert Statement.objects.get(origin="participant").text == text
    mine = resident.get(f"/c/{conversation.slug}/statements/mine/?lang=en").content.decode()
    assert mine.count(text) == 1


@pytest.mark.django_db
def test_health_says_which_part_failed_to_anyone_and_how_only_to_the_log(client, caplog):
    """/health/ is public (a load balancer asks it without logging in): a broker that does not
    answer makes it 503 naming the broker, while the exception itself goes to the operator's log."""
    with override_settings(CELERY_ENABLED=True, CELERY_BROKER_URL="redis://127.0.0.1:1/0"):
        with caplog.at_level("WARNING", logger="voxit.views"):
            response = client.get("/health/")
    assert response.status_code == 503
    assert response.json() == {"status": "error", "checks": {"database": "ok", "broker": "error"}}
    assert "Error" not in response.content.decode()
    assert "broker did not answer" in caplog.text and "Error" in caplog.text


def test_health_is_not_ok_on_a_database_that_lacks_migrations(db, client, monkeypatch):
    """An empty database answers SELECT 1 but every page would be a 500: the operator (and the
    load balancer) must see that before residents do."""
    from django.db.migrations.executor import MigrationExecutor

    from voxit import views

    monkeypatch.setattr(views, "_migrated", False)
    real_plan = MigrationExecutor.migration_plan
    monkeypatch.setattr(
        MigrationExecutor, "migration_plan", lambda self, targets, clean_start=False: [("pending", False)]
    )
    response = client.get("/health/")
    assert response.status_code == 503
    assert response.json()["checks"]["database"] == "not migrated"
    monkeypatch.setattr(MigrationExecutor, "migration_plan", real_plan)
    assert client.get("/health/").status_code == 200  # the test database is migrated
