"""Import a Polis export folder into a new conversation, then compute its opinion groups."""

import sys
import time

from django.core.management.base import BaseCommand, CommandError

from clustering.management.commands.recluster import run_report
from clustering.models import ClusteringRun
from clustering.polis import PolisImportError, conversation_import_polis
from clustering.services import conversation_recluster


class ProgressBar:
    def __init__(self, stream, width: int = 30):
        self.stream, self.width, self.last = stream, width, 0.0

    def __call__(self, label: str, done: int, total: int) -> None:
        now = time.monotonic()
        if done < total and now - self.last < 0.2:
            return
        self.last = now
        share = done / total if total else 1.0
        filled = int(share * self.width)
        self.stream.write(
            f"\r{label:>12} [{'#' * filled}{'.' * (self.width - filled)}] {done:>9}/{total}"
        )
        if done >= total:
            self.stream.write("\n")
        self.stream.flush()


class Command(BaseCommand):
    help = "Import a Polis export folder (votes.csv or participants-votes.csv, comments.csv) as a new conversation."

    def add_arguments(self, parser):
        parser.add_argument("directory")
        parser.add_argument(
            "--slug", default=None, help="address of the new conversation (default: folder name)"
        )
        parser.add_argument(
            "--no-recluster", action="store_true", help="do not compute opinion groups now"
        )
        parser.add_argument(
            "--single-run",
            action="store_true",
            help="compute the groups once on the final votes instead of replaying the vote log",
        )
        parser.add_argument("--quiet-progress", action="store_true")

    def handle(self, *args, directory, slug, no_recluster, single_run, quiet_progress, **options):
        started = time.perf_counter()
        progress = None if quiet_progress else ProgressBar(sys.stderr)
        try:
            conversation = conversation_import_polis(folder=directory, slug=slug, progress=progress)
        except PolisImportError as error:
            raise CommandError(f"Not imported: {error}") from None
        self.stdout.write(f"imported {conversation.slug} in {time.perf_counter() - started:.1f} s")
        if not no_recluster:
            # Polis recomputed while the votes came in; replaying its vote log gives the groups
            # that history shaped (what `python -m clustering.evaluate` compares by default).
            run = conversation_recluster(
                conversation_id=conversation.pk,
                trigger=ClusteringRun.Trigger.COMMAND,
                replay_log=not single_run,
            )
            for line in run_report(run):
                self.stdout.write(line)
