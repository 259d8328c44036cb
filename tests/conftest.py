"""Shared fixtures and factories.

Services that a laptop may lack (PostgreSQL, Redis, Chromium) are probed here. Without them the
tests that need them are skipped with the reason printed; under CI (CI=true) a missing service is
a failure, because CI must run everything.
"""

import os
import secrets
import shutil
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from statements import services
from statements.models import Conversation, Participant

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


def require(available: bool, reason: str) -> None:
    """Skip (on a laptop) or fail (in CI) when a real service a test needs is missing."""
    if available:
        return
    if IN_CI:
        pytest.fail(f"CI must run every test, but: {reason}")
    pytest.skip(reason)


def postgres_url(settings_dict) -> str:
    """A DATABASE_URL for another process on the test database (trust authentication)."""
    host, port = settings_dict["HOST"] or "127.0.0.1", settings_dict["PORT"] or 5432
    return f"postgres://{settings_dict['USER']}@{host}:{port}/{settings_dict['NAME']}"


def celery_worker_start(
    *, broker_url: str, database_url: str, options=(), new_session: bool = False, **environment
) -> subprocess.Popen:
    """A real Celery worker of this project on the given broker and database; the caller stops it
    by its pid. ``environment`` adds settings (``RECLUSTER_WORKER_NICENESS="19"``)."""
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="voxit.settings",
        SECRET_KEY="worker-test-secret",
        CELERY_BROKER_URL=broker_url,
        REDIS_URL=broker_url,
        DATABASE_URL=database_url,
        DATABASE_CONN_MAX_AGE="0",
        LOG_LEVEL="WARNING",
    )
    env.update(environment)
    command = [sys.executable, "-m", "celery", "-A", "voxit", "worker", "--without-gossip", "--without-mingle"]
    return subprocess.Popen(
        [*command, "-l", "WARNING", *options],
        cwd=ROOT,
        env=env,
        start_new_session=new_session,
        stdout=subprocess.DEVNULL,
        stderr=None if IN_CI else subprocess.DEVNULL,
    )


@pytest.fixture(autouse=True)
def _fresh_rate_limit_counts():
    """Each test starts with a fresh process's view of the vote counters (see statements.ratelimit)."""
    from statements.ratelimit import local_counts_reset

    local_counts_reset()
    yield
    local_counts_reset()


@pytest.fixture
def require_postgres():
    require(
        connection.vendor == "postgresql",
        "needs PostgreSQL: set DATABASE_URL=postgres://… (the suite is running on SQLite)",
    )


@pytest.fixture(scope="session")
def chromium_path():
    available = os.path.exists(CHROMIUM) or shutil.which("chromium") is not None
    require(available, f"needs Chromium at {CHROMIUM} (apt-get install chromium)")
    return CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium")


def make_conversation(slug=None, *, opens_delta=timedelta(days=-1), closes_delta=timedelta(days=7), **fields):
    now = timezone.now()
    values = {
        "slug": slug or f"conv-{secrets.token_hex(4)}",
        "title_fi": "Testikeskustelu",
        "title_sv": "Testdiskussion",
        "title_en": "Test conversation",
        "question_fi": "Mitä mieltä olet?",
        "question_sv": "Vad tycker du?",
        "question_en": "What do you think?",
        "opens_at": now + opens_delta,
        "closes_at": now + closes_delta,
        "is_published": True,
    }
    values.update(fields)
    return Conversation.objects.create(**values)


def make_participant(conversation, **fields):
    return Participant.objects.create(conversation=conversation, browser_key=secrets.token_hex(32), **fields)


def make_seed(conversation, text=None, **fields):
    return services.statement_seed(conversation=conversation, text=text or f"Väite {secrets.token_hex(4)}", **fields)


@pytest.fixture
def conversation(db):
    return make_conversation()


@pytest.fixture
def participant(conversation):
    return make_participant(conversation)


@pytest.fixture
def seeds(conversation):
    return [make_seed(conversation, f"Seed statement number {i}") for i in range(5)]


@pytest.fixture
def client(client):
    """Django's test client on an allowed host."""
    client.defaults["HTTP_HOST"] = settings.ALLOWED_HOSTS[0]
    return client
