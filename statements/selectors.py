"""Read-only queries for conversations, statements and a participant's own answers."""

import random
from dataclasses import dataclass

from django.http import Http404
from django.utils import timezone

from statements.models import Conversation, Participant, Statement, Vote


def conversation_get_visible(*, slug: str, user=None) -> Conversation:
    """A published conversation; staff may also preview unpublished ones."""
    queryset = Conversation.objects.all()
    if not (user is not None and user.is_authenticated and user.is_staff):
        queryset = queryset.published()
    conversation = queryset.filter(slug=slug).first()
    if conversation is None:
        raise Http404("No such conversation.")
    return conversation


@dataclass(frozen=True)
class ConversationIndex:
    open: list
    upcoming: list
    closed: list


def conversations_for_index(*, now=None, closed_limit: int = 10) -> ConversationIndex:
    now = now or timezone.now()
    return ConversationIndex(
        open=list(Conversation.objects.open_at(now).order_by("closes_at")),
        upcoming=list(Conversation.objects.upcoming_at(now).order_by("opens_at")),
        closed=list(Conversation.objects.closed_at(now).order_by("-closes_at")[:closed_limit]),
    )


def statement_candidates_for(*, conversation: Conversation, participant: Participant | None) -> list[int]:
    """Ids of published statements the participant has not answered yet."""
    queryset = Statement.objects.published().filter(conversation=conversation)
    if participant is not None:
        queryset = queryset.exclude(votes__participant=participant)
    return list(queryset.values_list("id", flat=True))


def statement_next_for(
    *, conversation: Conversation, participant: Participant | None, rng: random.Random | None = None
) -> Statement | None:
    """The next statement to show: drawn among published statements not yet answered.

    This is the one place routing lives; opinion-group priorities replace the uniform draw here.
    """
    candidates = statement_candidates_for(conversation=conversation, participant=participant)
    if not candidates:
        return None
    from clustering.selectors import statement_weights_for

    weights = statement_weights_for(conversation=conversation, statement_ids=candidates)
    chosen = (rng or random).choices(candidates, weights=weights, k=1)[0]
    return Statement.objects.get(pk=chosen)


@dataclass(frozen=True)
class Progress:
    answered: int
    total: int

    @property
    def remaining(self) -> int:
        return max(self.total - self.answered, 0)

    @property
    def percent(self) -> int:
        return round(100 * self.answered / self.total) if self.total else 0


def participant_progress(*, conversation: Conversation, participant: Participant | None) -> Progress:
    published = Statement.objects.published().filter(conversation=conversation)
    total = published.count()
    answered = (
        Vote.objects.filter(participant=participant, statement__in=published).count() if participant else 0
    )
    return Progress(answered=answered, total=total)


def participant_answers(*, participant: Participant | None) -> list[Vote]:
    """The participant's current answers on published statements, newest first."""
    if participant is None:
        return []
    return list(
        Vote.objects.filter(participant=participant, statement__status=Statement.Status.PUBLISHED)
        .select_related("statement")
        .order_by("-updated_at", "-id")
    )


def participant_statements(*, participant: Participant | None) -> list[Statement]:
    if participant is None:
        return []
    return list(Statement.objects.filter(author=participant).order_by("-submitted_at", "-id"))


def statement_get_published(*, conversation: Conversation, statement_id) -> Statement | None:
    try:
        statement_id = int(statement_id)
    except (TypeError, ValueError):
        return None
    return Statement.objects.published().filter(conversation=conversation, pk=statement_id).first()
