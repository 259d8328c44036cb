"""The demo conversation: idempotent, simulated participants in three planted opinion groups."""

from collections import defaultdict
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command

from statements import demo
from statements.models import Conversation, Participant, Statement, Vote

pytestmark = pytest.mark.django_db


def seed(**options):
    out = StringIO()
    call_command("seed_demo", participants=60, stdout=out, **options)
    return out.getvalue()


def test_demo_is_created_once_and_a_second_run_leaves_it_alone():
    seed()
    counts = (
        Conversation.objects.count(),
        Participant.objects.count(),
        Statement.objects.count(),
        Vote.objects.count(),
    )
    assert "already exists" in seed()
    assert counts == (
        Conversation.objects.count(),
        Participant.objects.count(),
        Statement.objects.count(),
        Vote.objects.count(),
    )
    assert counts[:3] == (1, 60, len(demo.STATEMENTS) + len(demo.PENDING_SUBMISSIONS))


def test_demo_is_open_published_and_has_statements_awaiting_moderation():
    seed()
    conversation = Conversation.objects.get(slug=demo.DEMO_SLUG)
    assert (
        conversation.is_open() and conversation.accepts_statements() and conversation.show_results
    )
    assert conversation.statements.published().count() == len(demo.STATEMENTS)
    assert conversation.statements.pending().count() == len(demo.PENDING_SUBMISSIONS)
    assert all(conversation.statements.published().values_list("text_sv", flat=True))


def test_every_demo_participant_is_marked_as_simulated():
    seed()
    assert not Participant.objects.filter(is_demo=False).exists()


def test_demo_votes_fall_into_three_planted_groups():
    seed()
    group_of = {
        pk: position % 3
        for position, pk in enumerate(
            Participant.objects.order_by("id").values_list("pk", flat=True)
        )
    }
    stance_of = {
        Statement.objects.get(text=fi).pk: stances for fi, _sv, _en, stances in demo.STATEMENTS
    }
    totals = defaultdict(list)
    for participant_id, statement_id, choice in Vote.objects.values_list(
        "participant_id", "statement_id", "choice"
    ):
        stance = stance_of[statement_id][group_of[participant_id]]
        if stance:
            totals[(group_of[participant_id], stance)].append(choice)
    for (group, stance), choices in totals.items():
        mean = sum(choices) / len(choices)
        assert mean * stance > 0.5, (group, stance, mean)
    assert {group for group, _stance in totals} == {0, 1, 2}


def test_staff_login_option_creates_demo_logins():
    output = seed(staff_login=True)
    assert "demo-staff /" in output and "demo-moderator /" in output
    assert User.objects.get(username="demo-staff").is_staff
    assert not User.objects.get(username="demo-moderator").is_staff


def test_demo_seeded_by_the_run_command_has_opinion_groups_at_once(tmp_path):
    """`make run` seeds with the embedded defaults (background-thread recompute): groups are there."""
    import os
    import sqlite3
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    database = tmp_path / "demo.sqlite3"
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "RECLUSTER_IN_PROCESS")
    }
    env.update(DJANGO_SETTINGS_MODULE="voxit.settings", DEBUG="true", DATABASE_URL=f"sqlite:///{database}")
    for command in (["migrate", "-v0"], ["seed_demo"]):
        result = subprocess.run(
            [sys.executable, "manage.py", *command], cwd=root, env=env, capture_output=True, text=True, timeout=300
        )
        assert result.returncode == 0, result.stderr[-2000:]
    with sqlite3.connect(database) as db:
        statuses = [row[0] for row in db.execute("SELECT status FROM clustering_clusteringrun")]
        queued = db.execute("SELECT queued FROM clustering_reclusterstate").fetchall()
    assert "succeeded" in statuses and "running" not in statuses
    assert queued == [(0,)]
