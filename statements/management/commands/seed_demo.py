"""Create the demo conversation with simulated participants in three planted opinion groups.

Idempotent: a second run leaves an existing demo conversation as it is.
"""

import random
import secrets
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from statements import demo, services
from statements.models import Conversation, Participant, Statement, Vote, VoteLog


class Command(BaseCommand):
    help = "Create the demo conversation (idempotent) and, with --staff-login, demo staff and moderator logins."

    def add_arguments(self, parser):
        parser.add_argument("--participants", type=int, default=240)
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument(
            "--staff-login",
            action="store_true",
            help="Create or reset the demo staff and moderator logins and print them.",
        )

    def handle(self, *args, participants, seed, staff_login, **options):
        conversation = Conversation.objects.filter(slug=demo.DEMO_SLUG).first()
        if conversation is None:
            conversation = self._create(participants=participants, seed=seed)
            self.stdout.write(self.style.SUCCESS(f"Created demo conversation '{conversation.slug}'."))
        else:
            self.stdout.write(f"Demo conversation '{conversation.slug}' already exists; left as it is.")
        if staff_login:
            self._staff_logins()

    @transaction.atomic
    def _create(self, *, participants: int, seed: int) -> Conversation:
        rng = random.Random(seed)
        now = timezone.now()
        opens = now - timedelta(days=5)
        conversation = Conversation.objects.create(
            slug=demo.DEMO_SLUG,
            opens_at=opens,
            submissions_close_at=opens + timedelta(days=7),
            closes_at=opens + timedelta(days=14),
            show_results=True,
            is_published=True,
            **demo.CONVERSATION,
        )
        statements = [
            services.statement_seed(conversation=conversation, text=fi, text_sv=sv, text_en=en, now=opens)
            for fi, sv, en, _stances in demo.STATEMENTS
        ]
        votes, log = [], []
        for index in range(participants):
            group = index % 3
            joined = opens + timedelta(seconds=rng.uniform(0, (now - opens).total_seconds() * 0.95))
            participant = Participant.objects.create(conversation=conversation, is_demo=True, created_at=joined)
            answered = rng.sample(range(len(statements)), k=rng.randint(12, len(statements)))
            for step, position in enumerate(answered):
                stance = demo.STATEMENTS[position][3][group]
                roll = rng.random()
                if roll < 0.1:
                    choice = 0
                elif stance and roll < 0.85:
                    choice = stance
                else:
                    choice = rng.choice((1, -1))
                when = min(joined + timedelta(seconds=20 * step), now)
                fields = {
                    "conversation": conversation,
                    "participant": participant,
                    "statement": statements[position],
                    "choice": choice,
                }
                votes.append(Vote(created_at=when, updated_at=when, **fields))
                log.append(VoteLog(cast_at=when, **fields))
        Vote.objects.bulk_create(votes, batch_size=2000)
        VoteLog.objects.bulk_create(log, batch_size=2000)
        authors = list(conversation.participants.all()[: len(demo.PENDING_SUBMISSIONS)])
        for hours_ago, (author, text) in enumerate(zip(authors, demo.PENDING_SUBMISSIONS, strict=False), start=1):
            Statement.objects.create(
                conversation=conversation,
                text=text,
                original_text=text,
                text_key=services.statement_text_key(text),
                origin=Statement.Origin.PARTICIPANT,
                status=Statement.Status.PENDING,
                author=author,
                submitted_at=now - timedelta(hours=6 * hours_ago),
            )
        services.conversation_recluster_request(conversation_id=conversation.pk)
        return conversation

    def _staff_logins(self) -> None:
        User = get_user_model()
        staff_password = secrets.token_urlsafe(9)
        staff, _created = User.objects.get_or_create(username="demo-staff")
        staff.is_staff = staff.is_superuser = True
        staff.set_password(staff_password)
        staff.save()
        moderator_password = secrets.token_urlsafe(9)
        moderator, _created = User.objects.get_or_create(username="demo-moderator")
        moderator.set_password(moderator_password)
        moderator.save()
        group = Group.objects.filter(name="Moderators").first()
        if group is not None:
            moderator.groups.add(group)
        self.stdout.write(f"Demo staff login:     demo-staff / {staff_password}")
        self.stdout.write(f"Demo moderator login: demo-moderator / {moderator_password}")
