"""The embedded default (a SQLite file, recomputes in a background thread of the web process)
under what moderators and staff do in bulk: one decision or seed after another while the
recompute each one asked for is writing."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = """
import json, django
django.setup()
from django.contrib.auth.models import User
from django.core.management import call_command
from moderation.services import statements_approve_bulk
from statements import services
from statements.models import Conversation, Participant, Statement

call_command("migrate", verbosity=0)
call_command("seed_demo", verbosity=0)
conversation = Conversation.objects.get(slug="osallistumismalli-2026")
moderator = User.objects.create_superuser("bulk-moderator", "", "a-long-password-1234")
people = list(Participant.objects.filter(conversation=conversation)[:20])
ids = [
    services.statement_submit(participant=person, text=f"Uusi väite {n}: puistoja ja kirjastoja {n * 7}").pk
    for n, person in enumerate(people)
]
outcome = statements_approve_bulk(statement_ids=ids, moderator=moderator)
services.statements_seed_bulk(
    conversation=conversation, rows=[(f"Kaupungin lisäväite {n} {n * 13}", "", "") for n in range(40)]
)
print(json.dumps({
    "decided": len(outcome.decided),
    "refused": outcome.refused,
    "published": Statement.objects.filter(pk__in=ids, status="published").count(),
    "seeded": Statement.objects.filter(text__startswith="Kaupungin lisäväite").count(),
}))
"""


def test_bulk_approval_and_bulk_seeding_on_the_embedded_default_decide_everything(tmp_path):
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"SECRET_KEY", "DATABASE_URL", "CELERY_BROKER_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(
        DEBUG="true",
        DJANGO_SETTINGS_MODULE="voxit.settings",
        DATABASE_URL=f"sqlite:///{tmp_path / 'voxit.sqlite3'}",
    )
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    # Before SQLite transactions began IMMEDIATE this ended in "database is locked" a few in.
    assert result.returncode == 0, result.stderr[-3000:]
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    assert figures == {"decided": 20, "refused": [], "published": 20, "seeded": 40}
