"""Write a conversation as a Polis export folder."""

from django.core.management.base import BaseCommand, CommandError

from clustering.polis import conversation_export_polis_dir
from statements.models import Conversation


class Command(BaseCommand):
    help = (
        "Write summary.csv, comments.csv, votes.csv, participants-votes.csv and comment-groups.csv."
    )

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("directory")

    def handle(self, *args, slug, directory, **options):
        conversation = Conversation.objects.filter(slug=slug).first()
        if conversation is None:
            raise CommandError(f"No conversation with the address {slug!r}.")
        try:
            written = conversation_export_polis_dir(conversation=conversation, directory=directory)
        except (FileExistsError, NotADirectoryError, PermissionError) as error:
            raise CommandError(f"Cannot write the export into {directory!r}: {error.strerror}.") from None
        for path in written:
            self.stdout.write(str(path))
