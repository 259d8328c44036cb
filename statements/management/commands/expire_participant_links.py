"""Apply the retention rule now: unlink browsers from participants of long-closed conversations."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from statements.privacy import participant_links_expire


class Command(BaseCommand):
    help = "Clear the cookie-to-participant link PARTICIPANT_LINK_RETENTION_DAYS after a conversation closes."

    def add_arguments(self, parser):
        parser.add_argument(
            "--days", type=int, default=None, help="override PARTICIPANT_LINK_RETENTION_DAYS"
        )

    def handle(self, *args, days, **options):
        days = settings.PARTICIPANT_LINK_RETENTION_DAYS if days is None else days
        if days < 0:
            raise CommandError("--days cannot be negative: it counts days since a conversation closed.")
        count = participant_links_expire(days=days)
        self.stdout.write(
            f"Unlinked {count} participants from their browsers (conversations closed over {days} days ago)."
        )
