"""Participants' data on request (GDPR erasure) and the retention rule for the browser link.

Erasure (``participant_forget``) removes everything that belongs to one participant:
- their current votes and the whole vote log;
- statements they wrote that were never published (pending, or rejected without ever being
  published) and that nobody voted on, with the moderation log entries about them;
- statements of theirs that *were* published stay, whatever their status now (a statement
  published and later reversed to rejected has other residents' votes, which the opinion groups
  rested on, and a moderation history that may be reversed again), but they lose their author and
  their original wording;
- the participant row itself, and so the browser link.
Then a recompute is requested, so the opinion groups no longer count them.

Retention (``participant_links_expire``): PARTICIPANT_LINK_RETENTION_DAYS after a conversation
closes, every participant's ``browser_key`` is cleared. Their answers stay, pseudonymous, and no
cookie can be matched to them any more.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, OuterRef, ProtectedError
from django.utils import timezone

from clustering.services import conversation_recluster_request
from statements.models import Conversation, Participant, Statement, Vote, VoteLog


@dataclass(frozen=True)
class ForgetOutcome:
    pseudonym: str
    votes: int
    vote_log: int
    statements_deleted: int
    statements_unlinked: int


def participant_find(*, conversation: Conversation, reference: str) -> Participant:
    """A participant by pseudonym (``P123``), id (``123``) or external id (xid; ``xid:...`` for
    that alone). A reference that names one participant by id and another by external id is
    refused (MultipleObjectsReturned), so an erasure request never takes the wrong person."""
    reference = reference.strip()
    queryset = Participant.objects.filter(conversation=conversation)
    if reference.startswith("xid:"):
        by_id, xid = None, reference[4:]
    else:
        digits = reference[1:] if reference[:1] in ("P", "p") else reference
        by_id = (
            queryset.filter(pk=int(digits)).first() if digits.isascii() and digits.isdigit() else None
        )
        xid = reference
    by_xid = queryset.filter(xid=xid).first() if xid else None
    if by_id is not None and by_xid is not None and by_id.pk != by_xid.pk:
        raise Participant.MultipleObjectsReturned(
            f"{reference!r} is {by_id.pseudonym} by id and {by_xid.pseudonym} by external id; "
            f"give {by_id.pseudonym} or xid:{xid}."
        )
    found = by_id or by_xid
    if found is None:
        raise Participant.DoesNotExist(
            f"No participant {reference!r} in conversation {conversation.slug!r}."
        )
    return found


def participant_forget(*, participant: Participant) -> ForgetOutcome:
    """Erase one participant's data (see the module docstring for what stays and why)."""
    conversation_id = participant.conversation_id
    pseudonym = participant.pseudonym
    with transaction.atomic():
        votes = Vote.objects.filter(participant=participant).delete()[0]
        vote_log = VoteLog.objects.filter(participant=participant).delete()[0]
        deleted = 0
        others_voted = VoteLog.objects.filter(statement=OuterRef("pk"))
        # Never published: a published statement always has published_at (a constraint), and
        # one reversed to rejected keeps it.
        for statement in Statement.objects.filter(
            author=participant, published_at__isnull=True
        ).exclude(Exists(others_voted)):
            try:
                with transaction.atomic():
                    statement.delete()  # moderation log entries about it go with it (cascade)
                deleted += 1
            except ProtectedError:
                # Another decision points at it as the duplicate; keep the text, drop the author.
                pass
        unlinked = Statement.objects.filter(author=participant).update(
            author=None, original_text=F("text")
        )
        participant.delete()
        conversation_recluster_request(conversation_id=conversation_id)
    return ForgetOutcome(pseudonym, votes, vote_log, deleted, unlinked)


def participant_links_expire(*, now=None, days: int | None = None) -> int:
    """Clear the browser link of participants in conversations closed more than ``days`` ago."""
    now = now or timezone.now()
    days = settings.PARTICIPANT_LINK_RETENTION_DAYS if days is None else days
    if days < 0:
        return 0
    return Participant.objects.filter(
        conversation__closes_at__lte=now - timedelta(days=days), browser_key__isnull=False
    ).update(browser_key=None)
