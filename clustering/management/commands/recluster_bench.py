"""Load a synthetic conversation with planted opinion groups into the database, fast, and recluster it.

    python manage.py recluster_bench --participants 100000 --statements 300 --votes-per-participant 60

Votes go in with COPY on PostgreSQL (bulk_create elsewhere), then one recompute runs and its
timings are printed. Prints figures; it is a benchmark, not a test.
"""

import argparse
import io
import time

import numpy as np
from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.utils import timezone

from clustering.management.commands.recluster import run_report
from clustering.math.synthetic import planted_conversation
from clustering.models import ClusteringRun
from clustering.services import conversation_recluster
from statements.models import Conversation, Participant, Statement, Vote


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return number


class Command(BaseCommand):
    help = "Load a synthetic conversation (planted groups) and time one recompute."

    def add_arguments(self, parser):
        parser.add_argument("--participants", type=_positive, default=100_000)
        parser.add_argument("--statements", type=_positive, default=300)
        parser.add_argument("--votes-per-participant", type=float, default=60)
        parser.add_argument("--groups", type=int, default=3)
        parser.add_argument("--slug", default=None)
        parser.add_argument(
            "--runs", type=int, default=2, help="recomputes (the second is warm-started)"
        )

    def handle(
        self, *args, participants, statements, votes_per_participant, groups, slug, runs, **options
    ):
        slug = slug or f"bench-{participants}"
        started = time.perf_counter()
        planted = planted_conversation(
            participants,
            statements,
            n_groups=groups,
            votes_per_participant=votes_per_participant,
            seed=1,
        )
        self.stdout.write(
            f"generated {len(planted.choices)} votes in {time.perf_counter() - started:.1f} s"
        )
        started = time.perf_counter()
        now = timezone.now()
        with transaction.atomic():
            Conversation.objects.filter(slug=slug).delete()
            conversation = Conversation.objects.create(
                slug=slug,
                title_fi=f"Benchmark {participants}",
                question_fi="Benchmark",
                opens_at=now - timezone.timedelta(days=10),
                closes_at=now + timezone.timedelta(days=10),
            )
            created = Statement.objects.bulk_create(
                [
                    Statement(
                        conversation=conversation,
                        text=f"S{i}",
                        text_key=f"s{i}",
                        origin="seed",
                        status="published",
                        submitted_at=now,
                        published_at=now,
                        decided_at=now,
                    )
                    for i in range(statements)
                ]
            )
            people = Participant.objects.bulk_create(
                [
                    Participant(conversation=conversation, created_at=now)
                    for _ in range(participants)
                ],
                batch_size=10_000,
            )
            p_map = np.zeros(int(planted.planted_ids.max()) + 1, dtype=np.int64)
            p_map[planted.planted_ids] = [p.pk for p in people]
            s_sorted = np.unique(planted.statement_ids)
            s_pks = np.asarray([s.pk for s in created[: len(s_sorted)]], dtype=np.int64)
            pids = p_map[planted.participant_ids]
            sids = s_pks[np.searchsorted(s_sorted, planted.statement_ids)]
            stamp = now.isoformat()
            if connection.vendor == "postgresql":
                text = io.StringIO()
                block = np.column_stack([pids, sids, planted.choices.astype(np.int64)])
                np.savetxt(text, block, fmt="%d", delimiter="\t")
                payload = "\n".join(
                    f"{conversation.pk}\t{line}\t{stamp}\t{stamp}"
                    for line in text.getvalue().splitlines()
                )
                with (
                    connection.cursor() as cursor,
                    cursor.copy(
                        "COPY statements_vote (conversation_id, participant_id, statement_id, choice, created_at, "
                        "updated_at) FROM STDIN"
                    ) as copy,
                ):
                    copy.write(payload)
            else:
                Vote.objects.bulk_create(
                    [
                        Vote(
                            conversation=conversation,
                            participant_id=p,
                            statement_id=s,
                            choice=c,
                            created_at=now,
                            updated_at=now,
                        )
                        for p, s, c in zip(
                            pids.tolist(), sids.tolist(), planted.choices.tolist(), strict=True
                        )
                    ],
                    batch_size=10_000,
                )
        self.stdout.write(f"loaded into the database in {time.perf_counter() - started:.1f} s")
        for _ in range(runs):
            run = conversation_recluster(
                conversation_id=conversation.pk, trigger=ClusteringRun.Trigger.COMMAND
            )
            for line in run_report(run):
                self.stdout.write(line)
