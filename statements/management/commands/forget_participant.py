"""Erase one participant's data on request (GDPR), then ask for a recompute of the opinion groups."""

from django.core.management.base import BaseCommand, CommandError

from statements.models import Conversation, Participant
from statements.privacy import participant_find, participant_forget


class Command(BaseCommand):
    help = (
        "Delete a participant's votes, vote log and unpublished statements; published statements stay "
        "without an author. PARTICIPANT is the pseudonym (P123), the id or the external id (xid:... for "
        "the external id alone)."
    )

    def add_arguments(self, parser):
        parser.add_argument("conversation", help="the conversation's address (slug)")
        parser.add_argument("participant", help="pseudonym (P123), id, or external id (xid:...)")

    def handle(self, *args, conversation, participant, **options):
        found = Conversation.objects.filter(slug=conversation).first()
        if found is None:
            raise CommandError(f"No conversation {conversation!r}.")
        try:
            target = participant_find(conversation=found, reference=participant)
        except (Participant.DoesNotExist, Participant.MultipleObjectsReturned) as error:
            raise CommandError(str(error)) from None
        outcome = participant_forget(participant=target)
        self.stdout.write(
            f"Forgot {outcome.pseudonym} in {found.slug}: {outcome.votes} votes, {outcome.vote_log} vote-log "
            f"entries and {outcome.statements_deleted} unpublished statements deleted; "
            f"{outcome.statements_unlinked} published statements kept without an author. A recompute was requested."
        )
