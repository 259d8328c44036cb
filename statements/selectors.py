"""Read-only queries for conversations, statements and a participant's own answers."""

import random
import threading
import time
from bisect import bisect_right
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import accumulate

from django.db import connection
from django.http import Http404
from django.utils import timezone

from statements.models import Conversation, Participant, Statement, StatementSetVersion, Vote

_RECENT_SECONDS = 2.0
_recent_conversations: dict[str, tuple[float, Conversation]] = {}


def conversation_get_open_recent(*, slug: str) -> tuple[Conversation, bool]:
    """A published conversation for the vote path, and whether it came from this process's cache.

    An open conversation is remembered for a couple of seconds: the vote itself checks in the
    database that it is still published and open, so only the rate-limit key and the early
    checks use the remembered copy. Anything not open is read afresh.
    """
    now = time.monotonic()
    recent = _recent_conversations.get(slug)
    if recent is not None and recent[0] > now and recent[1].is_open():
        return recent[1], True
    conversation = conversation_get_visible(slug=slug)
    if conversation.is_open():
        _recent_conversations[slug] = (now + _RECENT_SECONDS, conversation)
    else:
        _recent_conversations.pop(slug, None)
    return conversation, False


def conversation_forget_recent(*, slug: str) -> None:
    _recent_conversations.pop(slug, None)


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


# Routing, per process and conversation: the published statements in routing order,
# their texts and their weights by the latest run, with the running sum of the weights. Kept until
# the conversation's StatementSetVersion (which the database changes with any statement: a
# publication, a rejection, a corrected wording) or its latest run differs from what was read with
# the request, so a stale list is never used and neither a vote nor a page reads every statement.
# In the model's field order, as Model.from_db takes them.
_PUBLISHED_FIELDS = ("id", "conversation_id", "text", "text_fi", "text_sv", "text_en", "status")
# Draws by weight among all published statements before the unanswered ones are listed: each draw
# that lands on an unanswered statement is a draw by weight among the unanswered ones, so the
# outcome is distributed exactly as drawing among those alone; only a participant who has answered
# most of the heavy statements goes on to the full list.
_DRAWS_BEFORE_LISTING = 8


@dataclass(frozen=True)
class _Routing:
    version: int
    run: tuple | None
    ids: tuple[int, ...]
    published: frozenset[int]
    values: dict[int, tuple]
    weights: tuple[float, ...]
    cumulative: tuple[float, ...]


_routing_cache: OrderedDict[int, _Routing] = OrderedDict()
_routing_lock = threading.Lock()


def _routing(*, conversation: Conversation, version: int, run: tuple | None) -> _Routing:
    cached = _routing_cache.get(conversation.pk)
    if cached is not None and cached.version == version and cached.run == run:
        return cached
    from clustering.selectors import statement_weights_for

    if cached is not None and cached.version == version:
        ids, values = cached.ids, cached.values
    else:
        rows = Statement.objects.published().filter(conversation=conversation).values_list(*_PUBLISHED_FIELDS)
        values = {row[0]: row for row in rows}
        ids = tuple(values)
    weights = tuple(statement_weights_for(conversation=conversation, statement_ids=ids, latest_run=run))
    routing = _Routing(
        version=version,
        run=run,
        ids=ids,
        published=frozenset(ids),
        values=values,
        weights=weights,
        cumulative=tuple(accumulate(weights)),
    )
    with _routing_lock:
        _routing_cache[conversation.pk] = routing
        _routing_cache.move_to_end(conversation.pk)
        while len(_routing_cache) > 64:
            _routing_cache.popitem(last=False)
    return routing


def _draw_unanswered(routing: _Routing, answered: frozenset[int], rng) -> int | None:
    rng = rng or random
    ids, cumulative = routing.ids, routing.cumulative
    if not ids:
        return None
    total, last = cumulative[-1], len(ids) - 1
    for _ in range(_DRAWS_BEFORE_LISTING):
        chosen = ids[bisect_right(cumulative, rng.random() * total, 0, last)]
        if chosen not in answered:
            return chosen
    candidates = [(pk, weight) for pk, weight in zip(ids, routing.weights, strict=True) if pk not in answered]
    if not candidates:
        return None
    return rng.choices([pk for pk, _ in candidates], weights=[weight for _, weight in candidates], k=1)[0]


def _routing_key_sql() -> str:
    from clustering.models import ClusteringRun

    return f"""
SELECT (SELECT version FROM {StatementSetVersion._meta.db_table} WHERE conversation_id = %s), run.id, run.finished_at
FROM (SELECT 1) AS one LEFT JOIN (
    SELECT id, finished_at FROM {ClusteringRun._meta.db_table}
    WHERE conversation_id = %s AND status = %s ORDER BY id DESC LIMIT 1
) AS run ON 1 = 1
"""


_routing_key_query: list[str] = []


def _routing_key(conversation: Conversation) -> tuple[int, tuple | None]:
    """The conversation's StatementSetVersion and latest succeeded run (id, finish), in one query
    (plain SQL: building it with the ORM cost a newcomer's page a third of its CPU)."""
    from clustering.models import ClusteringRun

    if not _routing_key_query:
        _routing_key_query.append(_routing_key_sql())
    with connection.cursor() as cursor:
        cursor.execute(
            _routing_key_query[0], [conversation.pk, conversation.pk, ClusteringRun.Status.SUCCEEDED.value]
        )
        version, run_id, run_finished = cursor.fetchone()
    if isinstance(run_finished, datetime) and timezone.is_naive(run_finished):  # SQLite keeps UTC, naive
        run_finished = run_finished.replace(tzinfo=UTC)
    return version or 0, (run_id, run_finished) if run_id is not None else None


def statement_next_with_progress(
    *,
    conversation: Conversation,
    participant: Participant | None,
    rng: random.Random | None = None,
    receipt=None,
) -> tuple[Statement | None, Progress]:
    """The next statement to show, drawn among the published statements not yet answered (by the
    latest run's routing priorities), and the progress. The one place routing lives: the
    conversation page, the next-statement API and the vote's answer. Its cost grows with the
    participant's answers, not with the conversation's statements.

    After a vote, ``receipt`` (a ``VoteReceipt``) carries what the vote statement read already;
    otherwise one query reads the routing key and one the participant's answers (none for a
    browser that has not taken part).
    """
    values, progress = statement_next_values_with_progress(
        conversation=conversation, participant=participant, rng=rng, receipt=receipt
    )
    if values is None:
        return None, progress
    statement = Statement.from_db(Statement.objects.db, _PUBLISHED_FIELDS, values)
    statement.conversation = conversation
    return statement, progress


def statement_next_values_with_progress(
    *,
    conversation: Conversation,
    participant: Participant | None,
    rng: random.Random | None = None,
    receipt=None,
) -> tuple[tuple | None, Progress]:
    """As :func:`statement_next_with_progress`, the statement as its row of ``_PUBLISHED_FIELDS``
    (id, conversation_id, text, text_fi, text_sv, text_en, status): the vote's answer shows it
    (``models.statement_shown``) without building a model instance."""
    if receipt is not None and receipt.answered_ids is not None:
        version, run, answered = receipt.statements_version, receipt.latest_run, receipt.answered_ids
    else:
        version, run = _routing_key(conversation)
        participant_id = receipt.participant_id if receipt is not None else participant and participant.pk
        answered = frozenset(
            Vote.objects.filter(participant_id=participant_id).values_list("statement_id", flat=True)
            if participant_id is not None
            else ()
        )
    routing = _routing(conversation=conversation, version=version, run=run)
    progress = Progress(answered=len(routing.published & answered), total=len(routing.ids))
    chosen = _draw_unanswered(routing, answered, rng) if progress.remaining else None
    return (routing.values[chosen] if chosen is not None else None), progress


@dataclass(frozen=True)
class KnownAnswers:
    """A participant's answers as this process last saw them, and under which statement set."""

    participant_id: int
    statements_version: int
    answered_ids: frozenset[int]


# Residents' answers as this process saw them after their last vote here, by conversation and
# browser: the next vote from the same browser gives them to the vote statement, which reads the
# answers again only if they may have changed since (see ``services.vote_cast_by_browser``). A
# resident's votes mostly come over one kept-alive connection, so to one process. Bounded by its
# size, oldest first out: a statement id held costs about 50 bytes, an entry's own objects
# (key, token, record, set) about as much as a dozen ids; 200,000 of those units make about 10 MB.
_known_answers: OrderedDict[tuple[int, str], KnownAnswers] = OrderedDict()
_known_answers_lock = threading.Lock()
_known_answers_units = [0]
_KNOWN_ANSWERS_UNITS_KEPT = 200_000
_ENTRY_UNITS = 12


def _units(known: KnownAnswers) -> int:
    return len(known.answered_ids) + _ENTRY_UNITS


def answers_known(*, conversation: Conversation, browser_token: str) -> KnownAnswers | None:
    return _known_answers.get((conversation.pk, browser_token))


def answers_remember(*, conversation: Conversation, browser_token: str, receipt) -> None:
    """Keep what a vote's receipt says of the participant's answers, for their next vote; an
    earlier copy is forgotten when the receipt's may not be kept."""
    key = (conversation.pk, browser_token)
    known = (
        KnownAnswers(receipt.participant_id, receipt.statements_version, receipt.answered_ids)
        if receipt.answers_to_keep
        else None
    )
    if known is None and key not in _known_answers:
        return
    with _known_answers_lock:
        replaced = _known_answers.pop(key, None)
        if replaced is not None:
            _known_answers_units[0] -= _units(replaced)
        if known is None:
            return
        _known_answers[key] = known
        _known_answers_units[0] += _units(known)
        while _known_answers_units[0] > _KNOWN_ANSWERS_UNITS_KEPT and len(_known_answers) > 1:
            _key, oldest = _known_answers.popitem(last=False)
            _known_answers_units[0] -= _units(oldest)


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
