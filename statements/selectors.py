"""Read-only queries for conversations, statements and a participant's own answers."""

import random
from dataclasses import dataclass

from django.db.models import Exists, OuterRef
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


def _published_answered(*, conversation: Conversation, participant: Participant | None) -> list[tuple[int, bool]]:
    """(id, answered by the participant) for every published statement: routing and progress in one query."""
    queryset = Statement.objects.published().filter(conversation=conversation)
    if participant is None:
        return [(pk, False) for pk in queryset.values_list("id", flat=True)]
    answered = Exists(Vote.objects.filter(participant=participant, statement=OuterRef("pk")))
    return list(queryset.annotate(answered=answered).values_list("id", "answered"))


def statement_candidates_for(*, conversation: Conversation, participant: Participant | None) -> list[int]:
    """Ids of published statements the participant has not answered yet."""
    return [pk for pk, answered in _published_answered(conversation=conversation, participant=participant)
            if not answered]


def _statement_draw(*, conversation: Conversation, candidates: list[int], rng) -> Statement | None:
    if not candidates:
        return None
    from clustering.selectors import statement_weights_for

    weights = statement_weights_for(conversation=conversation, statement_ids=candidates)
    chosen = (rng or random).choices(candidates, weights=weights, k=1)[0]
    return Statement.objects.get(pk=chosen)


def statement_next_for(
    *, conversation: Conversation, participant: Participant | None, rng: random.Random | None = None
) -> Statement | None:
    """The next statement to show: drawn among published statements not yet answered.

    This is the one place routing lives; opinion-group priorities replace the uniform draw here.
    """
    candidates = statement_candidates_for(conversation=conversation, participant=participant)
    return _statement_draw(conversation=conversation, candidates=candidates, rng=rng)


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


def statement_next_with_progress(
    *, conversation: Conversation, participant: Participant | None, rng: random.Random | None = None
) -> tuple[Statement | None, Progress]:
    """The next statement and the progress, from one read of the published statements (the vote API's path)."""
    rows = _published_answered(conversation=conversation, participant=participant)
    candidates = [pk for pk, answered in rows if not answered]
    progress = Progress(answered=len(rows) - len(candidates), total=len(rows))
    return _statement_draw(conversation=conversation, candidates=candidates, rng=rng), progress


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


def statements_similar_published(*, conversation: Conversation, text: str, limit: int = 3) -> list:
    """Published statements resembling ``text`` (suggestions with ``statement`` and ``score``).

    Only published ones: a resident must never see others' pending or rejected statements.
    """
    from moderation.selectors import similar_statements_for

    if not (text or "").strip():
        return []
    return similar_statements_for(
        conversation=conversation, texts=[text], statuses=[Statement.Status.PUBLISHED], limit=limit
    )[0]
