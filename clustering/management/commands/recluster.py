"""Recompute a conversation's opinion groups now, in this process, and print what came out."""

from django.core.management.base import BaseCommand, CommandError

from clustering.models import ClusteringRun
from clustering.selectors import run_result
from clustering.services import conversation_recluster
from statements.models import Conversation


def run_report(run: ClusteringRun) -> list[str]:
    lines = [f"run #{run.pk}: {run.status} ({run.trigger})"]
    if (run.parameters or {}).get("replayed_runs"):
        lines[0] += f", replayed from the vote log in {run.parameters['replayed_runs']} runs"
    if run.status == ClusteringRun.Status.FAILED:
        return lines + [run.error.strip().splitlines()[-1] if run.error else "failed"]
    result = run_result(run)
    sizes = ", ".join(f"{label}: {size}" for label, size in result.group_sizes.items())
    lines += [
        f"participants {run.n_participants}, in groups {len(result.in_conv_ids)}, statements {run.n_statements}, "
        f"votes {run.n_votes}",
        f"k = {run.k}; group sizes {{{sizes}}}",
        "timings (s): " + ", ".join(f"{name} {value:.3f}" for name, value in run.timings.items()),
    ]
    return lines


class Command(BaseCommand):
    help = "Recompute the opinion groups of a conversation synchronously and print k, group sizes and timings."

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("--seed", type=int, default=None)
        parser.add_argument(
            "--replay",
            action="store_true",
            help="recompute from the vote log as the recompute loop would have while votes came in "
            "(a run every few hundred votes, each warm-started from the last), not once on the final votes",
        )

    def handle(self, *args, slug, seed, replay, **options):
        conversation = Conversation.objects.filter(slug=slug).first()
        if conversation is None:
            raise CommandError(f"No conversation with the address {slug!r}.")
        run = conversation_recluster(
            conversation_id=conversation.pk,
            trigger=ClusteringRun.Trigger.COMMAND,
            seed=seed,
            replay_log=replay,
        )
        for line in run_report(run):
            self.stdout.write(line)
        if run.status == ClusteringRun.Status.FAILED:
            raise CommandError("The recompute failed; the previous result stays in place.")
