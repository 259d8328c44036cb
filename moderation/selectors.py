"""Read-only queries for moderation: queue, suggestions, log, figures and authors' outcomes."""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.db.models import Count, OuterRef, Q, Subquery
from django.http import Http404
from django.utils import timezone

from clustering.models import PolisSource
from moderation.deadlines import DUE_SOON, moderation_deadline, working_time_between
from moderation.models import ModerationAction
from moderation.permissions import MODERATORS_GROUP
from moderation.similarity import SimilarityIndex
from statements.models import Conversation, Participant, Statement

Status = Statement.Status


@dataclass(frozen=True)
class Suggestion:
    statement: Statement
    score: float

    @property
    def percent(self) -> int:
        return round(100 * self.score)


@dataclass(frozen=True)
class QueueItem:
    statement: Statement
    deadline: datetime | None  # None: imported from Polis, where Voxit promised no deadline
    working_time_left: timedelta | None  # negative when overdue
    author_rejected_count: int
    similar: tuple[Suggestion, ...] = ()
    duplicates: tuple[Statement, ...] = ()  # rejected as duplicates of this one (it cannot be rejected)

    @property
    def is_overdue(self) -> bool:
        # At the deadline itself it is still in time, as the figures count a decision made then.
        return self.working_time_left is not None and self.working_time_left < timedelta(0)

    @property
    def is_due_soon(self) -> bool:
        return self.working_time_left is not None and not self.is_overdue and self.working_time_left < DUE_SOON

    @property
    def urgency(self) -> str:
        if self.deadline is None:
            return "no_deadline"
        return "overdue" if self.is_overdue else "due_soon" if self.is_due_soon else "on_time"

    @property
    def working_minutes_left(self) -> int:
        if self.working_time_left is None:
            return 0
        return int(abs(self.working_time_left).total_seconds() // 60)

    @property
    def hours_left(self) -> int:
        return self.working_minutes_left // 60

    @property
    def minutes_left(self) -> int:
        return self.working_minutes_left % 60


def conversation_get_for_moderation(*, slug: str) -> Conversation:
    conversation = Conversation.objects.filter(slug=slug).first()
    if conversation is None:
        raise Http404("No such conversation.")
    return conversation


def statement_get_for_moderation(*, statement_id: int) -> Statement:
    statement = (
        Statement.objects.select_related("conversation", "author").filter(pk=statement_id).first()
    )
    if statement is None:
        raise Http404("No such statement.")
    return statement


def _pending(conversation: Conversation | None):
    queryset = (
        Statement.objects.pending()
        .select_related("conversation", "author")
        .annotate(
            author_rejected_count=Count(
                "author__statements",
                filter=Q(author__statements__status=Status.REJECTED),
                distinct=True,
            )
        )
        .order_by("submitted_at", "id")
    )
    if conversation is not None:
        queryset = queryset.filter(conversation=conversation)
    else:
        # Unmoderated comments of an imported Polis archive wait on nobody: they are decided, if
        # at all, from that conversation's own queue, not mixed into the live one (and its
        # overdue count and the digest) as years-old overdue items.
        queryset = queryset.filter(conversation__polis_source__isnull=True)
    return queryset


def statement_next_pending(*, statement: Statement) -> int | None:
    """The id of the pending statement after ``statement`` in its conversation's queue (oldest
    first), or None."""
    return (
        Statement.objects.pending()
        .filter(conversation_id=statement.conversation_id)
        .filter(
            Q(submitted_at__gt=statement.submitted_at)
            | Q(submitted_at=statement.submitted_at, id__gt=statement.pk)
        )
        .order_by("submitted_at", "id")
        .values_list("id", flat=True)
        .first()
    )


def similar_statements_for(
    *,
    conversation: Conversation,
    texts: Sequence[str],
    exclude_ids: Sequence[int | None] | None = None,
    statuses: Sequence[str] = (Status.PUBLISHED, Status.PENDING),
    limit: int = 3,
    min_score: float | None = None,
) -> list[list[Suggestion]]:
    """For each text, the most similar statements of the conversation with the given statuses.

    Residents are only ever shown PUBLISHED statements; moderators see pending ones too.
    """
    # Every language a statement is given in: a resident may write in Swedish or English.
    rows = [
        (pk, text)
        for pk, *texts in Statement.objects.filter(
            conversation=conversation, status__in=list(statuses)
        ).values_list("id", "text", "text_sv", "text_en")
        for text in dict.fromkeys(texts)
        if text
    ]
    if not rows or not texts:
        return [[] for _text in texts]
    options = {"limit": limit} if min_score is None else {"limit": limit, "min_score": min_score}
    matches = SimilarityIndex(rows).similar_to_texts(
        list(texts), exclude_ids=exclude_ids, **options
    )
    wanted = {match.statement_id for row in matches for match in row}
    by_id = Statement.objects.in_bulk(wanted)
    return [
        [Suggestion(by_id[m.statement_id], m.score) for m in row if m.statement_id in by_id]
        for row in matches
    ]


QUEUE_PAGE_SIZE = 50


def moderation_queue_page(
    *, conversation: Conversation | None = None, page_number=None, now: datetime | None = None
):
    """One page of the queue (oldest first, :data:`QUEUE_PAGE_SIZE` statements) and its items:
    a rush of hundreds of statements still gives a page that loads at once, and look-alikes are
    looked up for the statements shown only (among all of the conversation's)."""
    page = Paginator(_pending(conversation), QUEUE_PAGE_SIZE).get_page(page_number)
    return page, _queue_items(list(page.object_list), now=now or timezone.now(), with_details=True)


def moderation_queue(
    *,
    conversation: Conversation | None = None,
    now: datetime | None = None,
    with_details: bool = True,
) -> list[QueueItem]:
    """Pending statements, oldest first, with deadline and author's rejections; ``with_details``
    adds look-alikes and the statements rejected as duplicates of each (what the queue page shows)."""
    return _queue_items(
        list(_pending(conversation)), now=now or timezone.now(), with_details=with_details
    )


def _queue_items(pending: list[Statement], *, now: datetime, with_details: bool) -> list[QueueItem]:
    similar: dict[int, list[Suggestion]] = {}
    if with_details:
        by_conversation: dict[int, list[Statement]] = defaultdict(list)
        for statement in pending:
            by_conversation[statement.conversation_id].append(statement)
        for statements in by_conversation.values():
            suggestions = similar_statements_for(
                conversation=statements[0].conversation,
                texts=[statement.text for statement in statements],
                exclude_ids=[statement.pk for statement in statements],
            )
            similar.update(
                {statement.pk: row for statement, row in zip(statements, suggestions, strict=True)}
            )
    duplicates = (
        duplicates_resting_on_each(statement_ids=[statement.pk for statement in pending])
        if with_details
        else {}
    )
    items = []
    imported = set(
        PolisSource.objects.filter(conversation__in={statement.conversation_id for statement in pending}).values_list(
            "conversation_id", flat=True
        )
    )
    for statement in pending:
        deadline = None if statement.conversation_id in imported else moderation_deadline(statement.submitted_at)
        items.append(
            QueueItem(
                statement=statement,
                deadline=deadline,
                working_time_left=working_time_between(now, deadline) if deadline else None,
                author_rejected_count=statement.author_rejected_count,
                similar=tuple(similar.get(statement.pk, ())),
                duplicates=tuple(duplicates.get(statement.pk, ())),
            )
        )
    return items


def moderation_queue_needing_attention(*, now: datetime | None = None) -> list[QueueItem]:
    """Pending statements overdue or due within 4 working hours, across conversations."""
    items = moderation_queue(now=now, with_details=False)
    return [item for item in items if item.is_overdue or item.is_due_soon]


def moderator_email_addresses() -> list[str]:
    """Addresses of the active users who hold the moderation permission: through the Moderators
    group, any other group given it, or directly (staff and superusers may moderate too, but get
    the digest only when they hold the permission so). One address once, whatever its case."""
    users = (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(
            Q(groups__name=MODERATORS_GROUP)
            | Q(groups__permissions__codename="moderate_statement")
            | Q(user_permissions__codename="moderate_statement")
        )
        .exclude(email="")
        .values_list("email", flat=True)
        .distinct()
    )
    addresses: dict[str, str] = {}
    for address in sorted(users):
        addresses.setdefault(address.strip().casefold(), address.strip())
    return sorted(addresses.values())


def moderation_log(
    *,
    conversation: Conversation | None = None,
    actor: str = "",
    action: str = "",
    reason: str = "",
    statement_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
):
    queryset = ModerationAction.objects.select_related(
        "statement", "conversation", "duplicate_of"
    ).order_by("-created_at", "-id")
    if conversation is not None:
        queryset = queryset.filter(conversation=conversation)
    if actor:
        queryset = queryset.filter(actor_name=actor)
    if action:
        queryset = queryset.filter(action=action)
    if reason:
        queryset = queryset.filter(reason=reason)
    if statement_id is not None:
        queryset = queryset.filter(statement_id=statement_id)
    if since is not None:
        queryset = queryset.filter(created_at__gte=since)
    if until is not None:
        queryset = queryset.filter(created_at__lt=until)
    return queryset


def moderator_names() -> list[str]:
    return list(
        ModerationAction.objects.values_list("actor_name", flat=True)
        .distinct()
        .order_by("actor_name")
    )


def statement_history(*, statement: Statement) -> list[ModerationAction]:
    return list(
        ModerationAction.objects.filter(statement=statement)
        .select_related("duplicate_of")
        .order_by("id")
    )


def duplicates_resting_on(*, statement: Statement) -> list[Statement]:
    """Rejected statements whose standing rejection (their latest decision) says they duplicate
    ``statement``: their point is in the conversation only through it."""
    return duplicates_resting_on_each(statement_ids=[statement.pk]).get(statement.pk, [])


def duplicates_resting_on_each(*, statement_ids: Sequence[int]) -> dict[int, list[Statement]]:
    """:func:`duplicates_resting_on` for many statements in one query: id -> its duplicates."""
    if not statement_ids:
        return {}
    standing = (
        ModerationAction.objects.filter(statement=OuterRef("pk"))
        .order_by("-id")
        .values("duplicate_of_id")[:1]
    )
    found: dict[int, list[Statement]] = defaultdict(list)
    ever_named = ModerationAction.objects.filter(duplicate_of_id__in=list(statement_ids))
    for duplicate in (
        # Only statements once rejected as a duplicate of one of them (the foreign key's index)
        # have their standing decision looked up.
        Statement.objects.filter(status=Status.REJECTED, pk__in=ever_named.values("statement_id"))
        .annotate(standing_duplicate_of=Subquery(standing))
        .filter(standing_duplicate_of__in=list(statement_ids))
        .order_by("pk")
    ):
        found[duplicate.standing_duplicate_of].append(duplicate)
    return dict(found)


# Figures ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DecisionTimes:
    decided: int
    median_working_hours: float | None
    p90_working_hours: float | None
    median_wall_hours: float | None
    p90_wall_hours: float | None
    within_deadline_share: float | None  # 0..1

    @property
    def within_deadline_percent(self) -> int | None:
        return (
            None if self.within_deadline_share is None else round(100 * self.within_deadline_share)
        )


@dataclass(frozen=True)
class ModeratorFigures:
    moderator: str
    times: DecisionTimes


@dataclass(frozen=True)
class ConversationFigures:
    conversation: Conversation | None
    pending: int
    overdue: int
    due_soon: int
    times: DecisionTimes
    by_moderator: tuple[ModeratorFigures, ...]


def _times(rows: list[tuple[float, float, bool]]) -> DecisionTimes:
    if not rows:
        return DecisionTimes(0, None, None, None, None, None)
    working = np.array([row[0] for row in rows])
    wall = np.array([row[1] for row in rows])
    return DecisionTimes(
        decided=len(rows),
        median_working_hours=round(float(np.median(working)), 1),
        p90_working_hours=round(float(np.percentile(working, 90)), 1),
        median_wall_hours=round(float(np.median(wall)), 1),
        p90_wall_hours=round(float(np.percentile(wall, 90)), 1),
        within_deadline_share=float(np.mean([row[2] for row in rows])),
    )


def moderation_figures(
    *, conversation: Conversation | None = None, now: datetime | None = None
) -> ConversationFigures:
    """Queue and speed figures for one conversation (or all); first decisions only, no reversals."""
    now = now or timezone.now()
    queue = moderation_queue(conversation=conversation, now=now, with_details=False)
    decisions = ModerationAction.objects.decisions().select_related("statement")
    if conversation is not None:
        decisions = decisions.filter(conversation=conversation)
    rows: dict[str, list[tuple[float, float, bool]]] = defaultdict(list)
    every = []
    for action in decisions.only("actor_name", "created_at", "statement__submitted_at"):
        submitted = action.statement.submitted_at
        working = working_time_between(submitted, action.created_at) / timedelta(hours=1)
        wall = (action.created_at - submitted) / timedelta(hours=1)
        row = (working, wall, action.created_at <= moderation_deadline(submitted))
        rows[action.actor_name].append(row)
        every.append(row)
    return ConversationFigures(
        conversation=conversation,
        pending=len(queue),
        overdue=sum(1 for item in queue if item.is_overdue),
        due_soon=sum(1 for item in queue if item.is_due_soon),
        times=_times(every),
        by_moderator=tuple(ModeratorFigures(name, _times(rows[name])) for name in sorted(rows)),
    )


def moderation_dashboard(*, now: datetime | None = None) -> list[ConversationFigures]:
    """Figures for every conversation that has had residents' statements, newest first."""
    now = now or timezone.now()
    conversations = (
        Conversation.objects.filter(statements__origin=Statement.Origin.PARTICIPANT)
        .distinct()
        .order_by("-opens_at")
    )
    return [
        moderation_figures(conversation=conversation, now=now) for conversation in conversations
    ]


# Authors ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StatementFate:
    statement: Statement
    deadline: datetime | None
    last_action: ModerationAction | None

    @property
    def was_edited(self) -> bool:
        return (
            bool(self.statement.original_text)
            and self.statement.original_text != self.statement.text
        )


def statement_fates(*, participant: Participant | None) -> list[StatementFate]:
    """The participant's own statements with what became of each, newest first."""
    if participant is None:
        return []
    statements = list(Statement.objects.filter(author=participant).order_by("-submitted_at", "-id"))
    last: dict[int, ModerationAction] = {}
    for action in (
        ModerationAction.objects.filter(statement__in=statements)
        .select_related("duplicate_of")
        .order_by("id")
    ):
        last[action.statement_id] = action
    return [
        StatementFate(
            statement=statement,
            deadline=moderation_deadline(statement.submitted_at)
            if statement.status == Status.PENDING
            else None,
            last_action=last.get(statement.pk),
        )
        for statement in statements
    ]
