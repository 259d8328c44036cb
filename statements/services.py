"""Services that change conversations, statements, participants and votes.

Keyword-only functions; views, the API, commands and tasks call these and nothing else writes.
"""

import functools
import hashlib
import logging
import re
import weakref
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import psycopg
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from clustering.models import ClusteringRun
from clustering.services import conversation_recluster_request
from statements.errors import (
    ConversationClosed,
    DuplicateStatement,
    InvalidStatementText,
    StatementNotVotable,
    SubmissionsClosed,
    VoxitError,
)
from statements.models import (
    AnswerCount,
    Conversation,
    Participant,
    Statement,
    StatementSetVersion,
    Vote,
    VoteLog,
)
from statements.selectors import KnownAnswers
from statements.text import clean_statement_text, statement_text_key  # noqa: F401 (re-exported)

logger = logging.getLogger(__name__)

CHOICE_NAMES = {"agree": Vote.Choice.AGREE, "disagree": Vote.Choice.DISAGREE, "pass": Vote.Choice.PASS}


def choice_parse(value) -> int:
    """Accept ``agree``/``disagree``/``pass`` or 1/-1/0 (as numbers or strings)."""
    if isinstance(value, bool):
        value = None
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in CHOICE_NAMES:
            return int(CHOICE_NAMES[lowered])
        try:
            value = int(lowered)
        except ValueError:
            value = None
    if isinstance(value, int) and value in (-1, 0, 1):
        return value
    raise VoxitError(_("Choose agree, disagree or pass."), code="invalid_choice")


@functools.lru_cache(maxsize=16384)  # a resident's browser sends the same token with every vote
def browser_key(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def participant_get_or_create(*, conversation: Conversation, browser_token: str) -> Participant:
    """The participant this browser is in this conversation, created on first contribution."""
    key = browser_key(browser_token)
    participant = Participant.objects.filter(conversation=conversation, browser_key=key).first()
    if participant is None:
        try:
            with transaction.atomic():
                return Participant.objects.create(conversation=conversation, browser_key=key)
        except IntegrityError:
            # Two first requests from one browser raced; the other one created it.
            participant = Participant.objects.get(conversation=conversation, browser_key=key)
    participant.conversation = conversation  # already loaded: spare the services a query
    return participant


def _statement_pk(statement_id) -> int:
    # Whole numbers only, as a number or as digits: 2.5, true, [2] or "2e3" name no statement.
    if isinstance(statement_id, str) and statement_id.strip().isascii() and statement_id.strip().isdigit():
        statement_id = int(statement_id)
    if isinstance(statement_id, bool) or not isinstance(statement_id, int):
        raise StatementNotVotable()
    if not 0 < statement_id < 2**63:  # a bigint column; anything else cannot name a statement
        raise StatementNotVotable()
    return statement_id


def _votable_statement(*, participant: Participant, statement_id) -> Statement:
    statement = (
        Statement.objects.published()
        .filter(pk=_statement_pk(statement_id), conversation_id=participant.conversation_id)
        .select_related("conversation")
        .first()
    )
    if statement is None:
        raise StatementNotVotable()
    return statement


def vote_cast(*, participant: Participant, statement_id, choice, now=None) -> Vote:
    """Record the participant's answer; a later answer replaces the current one, the log keeps both."""
    now = now or timezone.now()
    choice = choice_parse(choice)
    if connection.vendor == "postgresql":
        return _vote_cast_postgres(
            participant=participant, statement_id=_statement_pk(statement_id), choice=choice, now=now
        )
    statement = _votable_statement(participant=participant, statement_id=statement_id)
    if not statement.conversation.is_open(now):
        raise ConversationClosed()
    with transaction.atomic():
        Vote.objects.bulk_create(
            [
                Vote(
                    conversation_id=statement.conversation_id,
                    participant=participant,
                    statement=statement,
                    choice=choice,
                    created_at=now,
                    updated_at=now,
                )
            ],
            update_conflicts=True,
            unique_fields=["participant", "statement"],
            update_fields=["choice", "updated_at"],
        )
        VoteLog.objects.create(
            conversation_id=statement.conversation_id,
            participant=participant,
            statement=statement,
            choice=choice,
            cast_at=now,
        )
        conversation_recluster_request(conversation_id=statement.conversation_id)
    return Vote.objects.select_related("statement").get(participant=participant, statement=statement)


# The hot path of a busy conversation, in one statement: check that the statement is published in
# the participant's conversation, upsert the vote, append the log entry. One round trip and one
# commit instead of six, and still all-or-nothing: a single statement is atomic.
# In the model's field order: Model.from_db takes the values in that order, whatever the names say.
_STATEMENT_FIELDS = ["id", "conversation_id", "text", "text_fi", "text_sv", "text_en", "status"]
_VOTE_CAST_SQL = f"""
WITH target AS (
    SELECT {", ".join(_STATEMENT_FIELDS)} FROM {Statement._meta.db_table}
    WHERE id = %(statement)s AND conversation_id = %(conversation)s AND status = %(published)s
), upserted AS (
    INSERT INTO {Vote._meta.db_table} AS vote
        (conversation_id, participant_id, statement_id, choice, created_at, updated_at)
    SELECT %(conversation)s, %(participant)s, target.id, %(choice)s, %(now)s, %(now)s FROM target
    ON CONFLICT (participant_id, statement_id)
    DO UPDATE SET choice = EXCLUDED.choice, updated_at = EXCLUDED.updated_at
    RETURNING vote.id, vote.created_at
), logged AS (
    INSERT INTO {VoteLog._meta.db_table} (conversation_id, participant_id, statement_id, choice, cast_at)
    SELECT %(conversation)s, %(participant)s, %(statement)s, %(choice)s, %(now)s FROM upserted
)
SELECT upserted.id, upserted.created_at, {", ".join(f"target.{name}" for name in _STATEMENT_FIELDS)}
FROM upserted, target
"""


def _vote_cast_postgres(*, participant: Participant, statement_id: int, choice: int, now) -> Vote:
    conversation = participant.conversation
    if not conversation.is_open(now):
        raise ConversationClosed()
    with connection.cursor() as cursor:
        cursor.execute(
            _VOTE_CAST_SQL,
            {
                "conversation": conversation.pk,
                "participant": participant.pk,
                "statement": statement_id,
                "choice": choice,
                "now": now,
                "published": Statement.Status.PUBLISHED.value,
            },
        )
        row = cursor.fetchone()
    if row is None:
        raise StatementNotVotable()
    vote_id, created_at, *statement_values = row
    # Fields not read here stay deferred and load on access, as with .only().
    statement = Statement.from_db(connection.alias, _STATEMENT_FIELDS, statement_values)
    statement.conversation = conversation
    conversation_recluster_request(conversation_id=conversation.pk)
    return Vote(
        pk=vote_id,
        conversation=conversation,
        participant=participant,
        statement=statement,
        choice=choice,
        created_at=created_at,
        updated_at=now,
    )


# A resident's vote through the API on PostgreSQL, in one statement and one round trip: check the
# conversation is open, find or create the browser's participant, check the statement is published,
# upsert the vote, append its log entry, and read what routing needs next: the conversation's
# StatementSetVersion and latest run, and the participant's answers. Still all-or-nothing: one
# statement is atomic. Reads in the statement see the snapshot from before it, so the vote itself is
# added in Python.
#
# The answers are read only when the caller does not know them already. Reading them reads every
# vote of the participant, each on a heap page of its own (votes are stored in the order residents
# cast them, so one resident's votes lie scattered): as much work for PostgreSQL as the rest of the vote,
# and growing with every answer. A process that has just answered this browser's previous vote
# knows its answers (``selectors.answers_known``); they are still its answers exactly when the
# participant, their answer count (``AnswerCount``, which only a new vote raises) and the statement
# set's version (which any removal of a statement changes, and with it its votes) are as they were.
# The statement compares those three and reads the answers only if one differs.
@dataclass(frozen=True)
class VoteReceipt:
    participant_id: int
    vote_id: int
    statement_values: tuple  # the statement answered, as (id, conversation_id, text, text_fi, ...)
    choice: int
    updated_at: datetime
    # What the vote statement read for routing (PostgreSQL); None where it was not read.
    statements_version: int | None = None  # the conversation's StatementSetVersion when cast
    latest_run: tuple | None = None
    answered_ids: frozenset[int] | None = None  # every statement answered, this one included
    answers_to_keep: bool = False  # whether answered_ids may be kept for the next vote (PostgreSQL)


def _vote_cast_by_browser_sql() -> str:
    participant_id = "(SELECT id FROM participant LIMIT 1)"
    answers = "(SELECT answers FROM participant LIMIT 1)"
    return f"""
WITH open_conversation AS (
    SELECT conversation.id, coalesce(version.version, 0) AS statements_version
    FROM {Conversation._meta.db_table} AS conversation
    LEFT JOIN {StatementSetVersion._meta.db_table} AS version ON version.conversation_id = conversation.id
    WHERE conversation.id = %(conversation)s AND conversation.is_published
        AND conversation.opens_at <= %(now)s AND conversation.closes_at > %(now)s
), target AS (
    -- Found by its id, then checked: planned for a generic plan, the statement read every
    -- published statement of the conversation through the (conversation, status) index instead.
    SELECT * FROM (
        SELECT {", ".join(_STATEMENT_FIELDS)} FROM {Statement._meta.db_table} WHERE id = %(statement)s OFFSET 0
    ) AS statement
    WHERE conversation_id = %(conversation)s AND status = %(published)s
), known AS (
    SELECT participant.id, coalesce(answer_count.answers, 0) AS answers
    FROM {Participant._meta.db_table} AS participant
    JOIN open_conversation ON participant.conversation_id = open_conversation.id
    LEFT JOIN {AnswerCount._meta.db_table} AS answer_count ON answer_count.participant_id = participant.id
    WHERE participant.browser_key = %(key)s
), created AS (
    INSERT INTO {Participant._meta.db_table} (conversation_id, browser_key, xid, is_demo, created_at)
    SELECT id, %(key)s, NULL, false, %(now)s FROM open_conversation
    -- A participant is made only by a vote that lands: no rows for refused requests.
    WHERE NOT EXISTS (SELECT 1 FROM known) AND EXISTS (SELECT 1 FROM target)
    ON CONFLICT (conversation_id, browser_key) WHERE browser_key IS NOT NULL DO NOTHING
    RETURNING id
), participant AS (
    SELECT id, answers FROM known UNION ALL SELECT id, 0 FROM created
), upserted AS (
    INSERT INTO {Vote._meta.db_table} AS vote
        (conversation_id, participant_id, statement_id, choice, created_at, updated_at)
    SELECT %(conversation)s, participant.id, target.id, %(choice)s, %(now)s, %(now)s FROM participant, target
    ON CONFLICT (participant_id, statement_id)
    DO UPDATE SET choice = EXCLUDED.choice, updated_at = EXCLUDED.updated_at
    RETURNING vote.id
), logged AS (
    INSERT INTO {VoteLog._meta.db_table} (conversation_id, participant_id, statement_id, choice, cast_at)
    SELECT %(conversation)s, participant.id, %(statement)s, %(choice)s, %(now)s FROM upserted, participant
), latest_run AS (
    SELECT id, finished_at FROM {ClusteringRun._meta.db_table}
    WHERE conversation_id = %(conversation)s AND status = %(succeeded)s ORDER BY id DESC LIMIT 1
)
SELECT
    EXISTS (SELECT 1 FROM open_conversation),
    {participant_id},
    {answers},
    -- NULL when the answers were not read; '{{}}' when read and there are none.
    CASE WHEN ({participant_id}, {answers}, (SELECT statements_version FROM open_conversation))
            IS DISTINCT FROM (%(known_participant)s::bigint, %(known_answers)s::integer, %(known_version)s::bigint)
        THEN coalesce(
            (SELECT array_agg(statement_id) FROM {Vote._meta.db_table} WHERE participant_id = {participant_id}),
            '{{}}'
        )
    END,
    (SELECT statements_version FROM open_conversation),
    (SELECT id FROM latest_run), (SELECT finished_at FROM latest_run),
    cast_vote.*
FROM (SELECT 1) AS one LEFT JOIN (
    SELECT upserted.id, {", ".join(f"target.{name}" for name in _STATEMENT_FIELDS)}
    FROM upserted, target
) AS cast_vote ON true
"""


_vote_cast_by_browser_query: list[str] = []
_vote_cursors: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def vote_cast_by_browser(
    *,
    conversation: Conversation,
    browser_token: str,
    statement_id,
    choice,
    now=None,
    known: KnownAnswers | None = None,
) -> VoteReceipt:
    """A resident's vote from their browser: the participant is created on the first one.

    Same outcomes and errors as :func:`participant_get_or_create` followed by :func:`vote_cast`
    (which is what runs off PostgreSQL, on input those would refuse, and when two first votes of
    one browser race); on PostgreSQL's happy path it takes one round trip, and the receipt carries
    the participant's answers, read in it unless ``known`` (what this process saw of them last)
    is still right.
    """
    now = now or timezone.now()
    try:
        parsed_choice = choice_parse(choice)
        statement_pk = _statement_pk(statement_id)
    except VoxitError:
        parsed_choice = statement_pk = None
    if connection.vendor != "postgresql" or parsed_choice is None:
        return _vote_cast_by_browser_plain(
            conversation=conversation, browser_token=browser_token, statement_id=statement_id, choice=choice, now=now
        )
    if not conversation.is_open(now):
        raise ConversationClosed()
    if not _vote_cast_by_browser_query:
        _vote_cast_by_browser_query.append(_vote_cast_by_browser_sql())
    # A server-side prepared statement: planning this statement costs more than running it.
    # One psycopg cursor per connection, kept: a new cursor looks up its result loaders
    # again, which cost more than the rest of the vote's Python. The connection is checked as
    # Django's cursor() checks it (its health check, once per request), without building the
    # Django and psycopg cursors that call would make and this statement would not use.
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    connection.validate_thread_sharing()
    raw = connection.connection
    cursor = _vote_cursors.get(raw)
    if cursor is None or cursor.closed:
        cursor = _vote_cursors[raw] = psycopg.Cursor(raw)
    cursor.execute(
        _vote_cast_by_browser_query[0],
        {
            "conversation": conversation.pk,
            "key": browser_key(browser_token),
            "statement": statement_pk,
            "choice": parsed_choice,
            "now": now,
            "published": Statement.Status.PUBLISHED.value,
            "succeeded": ClusteringRun.Status.SUCCEEDED.value,
            "known_participant": known.participant_id if known else None,
            "known_answers": len(known.answered_ids) if known else None,
            "known_version": known.statements_version if known else None,
        },
        prepare=True,
    )
    row = cursor.fetchone()
    is_open, participant_id, answers, answered, statements_version, run_id, run_finished, vote_id = row[:8]
    if not is_open:
        raise ConversationClosed()
    if participant_id is None:  # two first votes of one browser raced: the other created it
        return _vote_cast_by_browser_plain(
            conversation=conversation, browser_token=browser_token, statement_id=statement_id, choice=choice, now=now
        )
    if vote_id is None:
        raise StatementNotVotable()
    statement_values = row[8:]
    conversation_recluster_request(conversation_id=conversation.pk)
    answers_trusted = True
    if answered is None:  # unchanged since ``known`` was seen: the statement did not read them again
        before = known.answered_ids
    else:
        before = frozenset(answered)
        if len(before) != answers:
            # The count is out of step with the votes (triggers disabled for a repair, a data-only
            # restore without them): these answers are right, but a later count could match a copy
            # that is not. Not kept, so every vote of this resident reads them (see selectors).
            logger.warning(
                "Answer count %s of participant %s differs from their %s votes; recount AnswerCount "
                "from statements_vote",
                answers,
                participant_id,
                len(before),
            )
            answers_trusted = False
    return VoteReceipt(
        participant_id=participant_id,
        vote_id=vote_id,
        statement_values=statement_values,
        choice=parsed_choice,
        updated_at=now,
        statements_version=statements_version,
        latest_run=(run_id, run_finished) if run_id is not None else None,
        answered_ids=before | {statement_values[0]},
        answers_to_keep=answers_trusted,
    )


def _vote_cast_by_browser_plain(*, conversation, browser_token, statement_id, choice, now) -> VoteReceipt:
    # Refusals come before the participant exists, so refused requests leave no participant rows.
    choice_parse(choice)
    if not Statement.objects.published().filter(
        pk=_statement_pk(statement_id), conversation=conversation
    ).exists():
        raise StatementNotVotable()
    participant = participant_get_or_create(conversation=conversation, browser_token=browser_token)
    vote = vote_cast(participant=participant, statement_id=statement_id, choice=choice, now=now)
    return VoteReceipt(
        participant_id=participant.pk,
        vote_id=vote.pk,
        statement_values=tuple(getattr(vote.statement, name) for name in _STATEMENT_FIELDS),
        choice=vote.choice,
        updated_at=vote.updated_at,
    )


def statement_submit_by_browser(*, conversation: Conversation, browser_token: str, text: str, now=None) -> Statement:
    """A resident's statement from their browser; the participant is created with it.

    One transaction: a refused statement (too long, a duplicate, submissions closed) leaves no
    participant row behind for a browser that had not taken part before.
    """
    with transaction.atomic():
        participant = participant_get_or_create(conversation=conversation, browser_token=browser_token)
        return statement_submit(participant=participant, text=text, now=now)


def _checked_text(*, conversation: Conversation, text: str) -> str:
    cleaned = clean_statement_text(text)
    if not cleaned:
        raise InvalidStatementText(_("Write the statement before sending it."), code="empty")
    if "\ufffd" in cleaned:  # what Django makes of form bytes that are not UTF-8: refused, not stored
        raise InvalidStatementText(
            _(
                "Some characters of the statement could not be read: the browser did not send the "
                "text as UTF-8. Check the text and send it again."
            ),
            code="unreadable",
        )
    limit = conversation.max_statement_length
    if len(cleaned) > limit:
        raise InvalidStatementText(
            _("The statement is %(length)d characters long; the limit is %(limit)d.")
            % {"length": len(cleaned), "limit": limit},
            code="too_long",
        )
    return cleaned


def _existing_duplicate(*, conversation: Conversation, key: str) -> Statement | None:
    """A statement not rejected whose text, or its Swedish or English translation, is ``key``'s."""
    statements = Statement.objects.filter(conversation=conversation).exclude(status=Statement.Status.REJECTED)
    same = statements.filter(text_key=key).first()
    if same is not None:
        return same
    translated = statements.exclude(text_sv="", text_en="").values_list("pk", "text_sv", "text_en")
    for pk, *translations in translated.order_by("pk").iterator():
        if any(text and statement_text_key(text) == key for text in translations):
            return statements.get(pk=pk)
    return None


def _create_statement(*, conversation: Conversation, key: str, **fields) -> Statement:
    duplicate = _existing_duplicate(conversation=conversation, key=key)
    if duplicate is not None:
        raise DuplicateStatement(duplicate)
    try:
        with transaction.atomic():
            return Statement.objects.create(conversation=conversation, text_key=key, **fields)
    except IntegrityError:
        duplicate = _existing_duplicate(conversation=conversation, key=key)
        if duplicate is None:
            raise
        raise DuplicateStatement(duplicate) from None


def statement_submit(*, participant: Participant, text: str, now=None) -> Statement:
    """A resident's statement; it waits for moderation before anyone else sees it."""
    now = now or timezone.now()
    conversation = participant.conversation
    if not conversation.accepts_statements(now):
        raise SubmissionsClosed()
    cleaned = _checked_text(conversation=conversation, text=text)
    return _create_statement(
        conversation=conversation,
        key=statement_text_key(cleaned),
        text=cleaned,
        original_text=cleaned,
        origin=Statement.Origin.PARTICIPANT,
        status=Statement.Status.PENDING,
        author=participant,
        submitted_at=now,
    )


def statement_seed(
    *,
    conversation: Conversation,
    text: str,
    text_sv: str = "",
    text_en: str = "",
    created_by=None,
    is_meta: bool = False,
    now=None,
) -> Statement:
    """A staff seed statement, published at once (staff wording needs no moderation)."""
    now = now or timezone.now()
    cleaned = _checked_text(conversation=conversation, text=text)
    with transaction.atomic():
        statement = _create_statement(
            conversation=conversation,
            key=statement_text_key(cleaned),
            text=cleaned,
            text_fi=cleaned,
            text_sv=clean_statement_text(text_sv),
            text_en=clean_statement_text(text_en),
            original_text=cleaned,
            origin=Statement.Origin.SEED,
            status=Statement.Status.PUBLISHED,
            is_meta=is_meta,
            created_by=created_by,
            submitted_at=now,
            published_at=now,
            decided_at=now,
        )
        conversation_recluster_request(conversation_id=conversation.pk)
    return statement


@dataclass(frozen=True)
class SeedOutcome:
    line: int
    text: str
    statement: Statement | None
    error: str


def statements_seed_bulk(
    *, conversation: Conversation, rows: Iterable[tuple[str, str, str]], created_by=None
) -> list[SeedOutcome]:
    """Seed many statements; each row (fi, sv, en) either lands or reports why not."""
    outcomes = []
    for number, row in enumerate(rows, start=1):
        text_fi, text_sv, text_en = row
        number = getattr(row, "line", number)  # parsed rows know the line they came from
        if not clean_statement_text(text_fi):
            continue
        try:
            statement = statement_seed(
                conversation=conversation, text=text_fi, text_sv=text_sv, text_en=text_en, created_by=created_by
            )
        except VoxitError as error:
            outcomes.append(SeedOutcome(number, text_fi, None, str(error.message)))
        else:
            outcomes.append(SeedOutcome(number, text_fi, statement, ""))
    return outcomes


class SeedRow(tuple):
    """(fi, sv, en), equal to that plain tuple, with the ``line`` of the text it came from."""

    line: int

    def __new__(cls, cells, line: int):
        row = super().__new__(cls, cells)
        row.line = line
        return row


# Header names of the three text columns, as staff might write them in a spreadsheet.
_SEED_COLUMNS = {
    "fi": ("fi", "fin", "finnish", "suomi", "suomeksi", "finska", "text", "text_fi", "teksti", "väite"),
    "sv": ("sv", "swe", "swedish", "svenska", "ruotsi", "ruotsiksi", "text_sv", "på svenska"),
    "en": ("en", "eng", "english", "englanti", "englanniksi", "engelska", "text_en", "in english"),
}
_SEED_COLUMN_OF = {name: language for language, names in _SEED_COLUMNS.items() for name in names}
_SEED_ORDER = ("fi", "sv", "en")


class SeedFileUnreadable(VoxitError):
    code = "seed_unreadable"


_SEED_OTHER_COLUMN = re.compile(r"^[\w.()-]{1,30}$")  # one word: "notes", "id"


def _seed_header(line: str, delimiters=(";", "\t", ",")) -> tuple[str | None, list[str | None]] | None:
    """(delimiter, languages in column order) when ``line`` is a header naming the text columns:
    ``fi;sv;en``, ``en,fi,sv``, ``suomi;ruotsi`` or ``fi`` alone (delimiter None: one column).
    Trailing empty cells (as spreadsheets save a row) are dropped; other columns with a short name
    (``notes``) are kept as None and their cells ignored."""
    import csv

    for delimiter in delimiters:
        if delimiter not in line:
            continue
        cells = [cell.strip().lower() for cell in next(csv.reader([line], delimiter=delimiter))]
        while cells and not cells[-1]:
            cells.pop()
        languages = [_SEED_COLUMN_OF.get(cell) for cell in cells]
        named = [language for language in languages if language]
        others = [cell for cell, language in zip(cells, languages, strict=True) if not language]
        if named and len(set(named)) == len(named) and all(_SEED_OTHER_COLUMN.match(cell) for cell in others):
            return delimiter, languages
    single = _SEED_COLUMN_OF.get(line.strip().strip("\"'").lower())
    return (None, [single]) if single else None


def _seed_delimiter(lines: list[str]) -> str | None:
    """The column delimiter of a CSV file without a header: a semicolon or a tab when every line
    has one (as Finnish and Swedish Excel save it), None (one column) when no line has a comma.
    Commas alone are refused: a one-column file's statements have commas in them, and a split
    there would publish halves of statements as translations."""
    for delimiter in (";", "\t"):
        if all(delimiter in line for line in lines):
            return delimiter
    if not any("," in line for line in lines):
        return None
    raise SeedFileUnreadable(
        _(
            "The CSV file has no header row, so the commas in it cannot be told apart: column breaks "
            "or commas inside statements. Add a first row naming the columns, such as fi,sv,en (or fi "
            "alone for one column), or save the statements as a .txt file, one per line."
        )
    )


def seed_rows_parse(content: str, *, is_csv: bool = False) -> list[SeedRow]:
    """Rows of (fi, sv, en) from pasted text or an uploaded file, each with its line number.

    One statement per line. Translations may follow the Finnish text separated by tabs (as pasted
    from a spreadsheet), or, in a CSV file, in columns separated by semicolons, tabs or commas. A
    first row naming the columns (``fi;sv;en``, ``en,fi,sv``, ``suomi;ruotsi;englanti`` or ``fi``
    alone) is read for their order and skipped; without it a file split at commas is refused
    (:func:`_seed_delimiter`). Plain lines are never split at commas: statements contain commas.
    Blank lines are skipped but counted. A row with more columns than named (a statement with the
    delimiter in it, unquoted) is refused with its line: its text would otherwise be cut.

    Raises :class:`SeedFileUnreadable` (nothing is added then).
    """
    import csv
    import io

    content = content.lstrip("\ufeff")
    lines = content.splitlines()
    numbered = [(number, line) for number, line in enumerate(lines, start=1) if line.strip()]
    if not is_csv and not any("\t" in line for _number, line in numbered):
        return [SeedRow((line.strip(), "", ""), number) for number, line in numbered]
    # Pasted from a spreadsheet, the box may start with the header row too (tabs only there).
    header = _seed_header(numbered[0][1], (";", "\t", ",") if is_csv else ("\t",)) if numbered else None
    if header and not is_csv and header[0] is None:
        header = ("\t", list(_SEED_ORDER))  # "fi" alone above tab-separated lines: still split at tabs
    if header:
        delimiter, languages = header
        if "fi" not in languages:
            raise SeedFileUnreadable(_("The file's first row names its columns but none of them is fi (Finnish)."))
        numbered = numbered[1:]
    else:
        delimiter = _seed_delimiter([line for _number, line in numbered]) if is_csv else "\t"
        languages = list(_SEED_ORDER)
    if delimiter is None:  # one column: whole lines, commas and all
        return [SeedRow((line.strip(), "", ""), number) for number, line in numbered]
    rows, too_wide = [], []
    reader = csv.reader(io.StringIO("\n".join(lines)), delimiter=delimiter)
    skip_header = header is not None
    for cells in reader:
        cells = [cell.strip() for cell in cells]
        if not any(cells):
            continue
        if skip_header:
            skip_header = False
            continue
        while len(cells) > len(languages) and not cells[-1]:
            cells.pop()  # trailing empty cells, as spreadsheets save them
        if len(cells) > len(languages):
            too_wide.append(reader.line_num)
            continue
        by_language = {language: cell for language, cell in zip(languages, cells, strict=False) if language}
        # line_num is the line the row ends on; a quoted cell may span lines.
        rows.append(SeedRow(tuple(by_language.get(language, "") for language in _SEED_ORDER), reader.line_num))
    if too_wide:
        raise SeedFileUnreadable(
            ngettext(
                "Line %(lines)s has more columns than these: %(columns)s. A statement may contain the "
                "column separator: put that statement in quotes, or use another separator.",
                "Lines %(lines)s have more columns than these: %(columns)s. A statement may contain the "
                "column separator: put those statements in quotes, or use another separator.",
                len(too_wide),
            )
            % {"lines": ", ".join(map(str, too_wide)), "columns": ", ".join(language or "–" for language in languages)}
        )
    return rows
