"""Moderation decisions: approve, approve with edited wording, reject, reverse, in bulk; the digest.

Every change of a statement's status happens here, inside one transaction that locks the statement
row and moves it with a conditional UPDATE (``WHERE status = <expected>``). When two moderators
decide the same statement at once, exactly one UPDATE matches; the other raises AlreadyDecided
naming the winner, and nothing of it is saved. The log row is written in the same transaction, so
the log and the statement can never disagree.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from clustering.services import conversation_recluster_request
from moderation import selectors
from moderation.errors import AlreadyDecided, InvalidDecision, NotAModerator
from moderation.models import ModerationAction
from moderation.permissions import user_can_moderate
from statements.errors import VoxitError
from statements.models import Statement, Vote
from statements.services import vote_cast
from statements.text import clean_statement_text, statement_text_key

Action = ModerationAction.Action
Reason = ModerationAction.Reason
Status = Statement.Status


def _require_moderator(moderator) -> None:
    if not user_can_moderate(moderator):
        raise NotAModerator()


def _statement_id(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise InvalidDecision(
            _("That statement does not exist."), code="statement_not_found"
        ) from None


BIGINT_LIMIT = 2**63  # statement ids are bigints: a larger number names none (and SQLite can't bind it)


def _locked_statement(statement_id, *, duplicate_of_id=None) -> Statement:
    # FOR NO KEY UPDATE makes a concurrent decision wait for this one and then see its outcome
    # (PostgreSQL), without holding up residents' votes on the statement meanwhile (a vote's
    # reference to it takes a key-share lock, which FOR UPDATE would block); SQLite serialises
    # writers anyway and ignores it.
    pk = _statement_id(statement_id)
    other = _duplicate_pk_or_none(duplicate_of_id)
    wanted = [pk]
    if other is not None and other != pk and 0 < other < BIGINT_LIMIT:
        # A rejection as a duplicate locks the statement it names as well, together with this
        # one and in id order: two moderators rejecting each of two statements as a duplicate
        # of the other at the same moment would otherwise each hold one lock and wait for the
        # other's (a deadlock, which PostgreSQL ends by failing one of them). In order, the
        # second waits for the first, then finds its duplicate rejected and is told.
        wanted.append(other)
    locked = Statement.objects.select_for_update(no_key=True).filter(pk__in=wanted).order_by("pk")
    statement = next((row for row in locked if row.pk == pk), None) if 0 < pk < BIGINT_LIMIT else None
    if statement is None:
        raise InvalidDecision(_("That statement does not exist."), code="statement_not_found")
    return statement


def _duplicate_pk_or_none(value) -> int | None:
    """The statement number a moderator gave as the duplicated one, or None when there is none
    to lock (missing or malformed: :func:`_checked_rejection` refuses it with its message)."""
    try:
        return int(str(value).strip().lstrip("#")) if value not in (None, "") else None
    except ValueError:
        return None


def _last_action(statement: Statement) -> ModerationAction | None:
    return ModerationAction.objects.filter(statement=statement).order_by("-id").first()


def _already_decided(statement: Statement) -> AlreadyDecided:
    fresh = Statement.objects.get(pk=statement.pk)
    return AlreadyDecided(fresh, _last_action(fresh))


def _checked_rejection(*, statement: Statement, reason: str, duplicate_of_id, explanation: str):
    if reason not in Reason.values:
        raise InvalidDecision(_("Choose a reason for the rejection."), code="reason_missing")
    explanation = clean_statement_text(explanation or "")
    duplicate_of = None
    if reason == Reason.DUPLICATE:
        if duplicate_of_id in (None, ""):
            raise InvalidDecision(
                _("Name the statement this one duplicates."), code="duplicate_of_missing"
            )
        duplicate_of_id = _duplicate_pk_or_none(duplicate_of_id)
        if duplicate_of_id is None:
            raise InvalidDecision(
                _("Give the duplicated statement's number."), code="duplicate_of_invalid"
            )
        if duplicate_of_id == statement.pk:
            raise InvalidDecision(
                _("A statement cannot duplicate itself: give the number of the other statement."),
                code="duplicate_of_itself",
            )
        # Locked, so that a moderator rejecting that statement at this moment either waits for this
        # decision (and then finds this duplicate resting on it) or goes first (and this one then
        # finds it rejected): otherwise both could be saved and the point lost with them.
        duplicate_of = (
            Statement.objects.select_for_update(no_key=True)
            .filter(pk=duplicate_of_id, conversation_id=statement.conversation_id)
            .exclude(status=Status.REJECTED)
            .exclude(pk=statement.pk)
            .first()
        )
        if duplicate_of is None:
            raise InvalidDecision(
                _("Statement #%(id)s is not a published or pending statement of this conversation.")
                % {"id": duplicate_of_id},
                code="duplicate_of_invalid",
            )
    if reason == Reason.OTHER and not explanation:
        raise InvalidDecision(
            _("Explain the reason when you choose “Other reason”."), code="explanation_missing"
        )
    return duplicate_of, explanation


def _refuse_if_duplicates_rest_on(statement: Statement) -> None:
    """Rejecting a statement others were rejected as duplicates of would take their point out of
    the conversation with it, unseen by anyone: refused, with the way forward."""
    resting = [duplicate.pk for duplicate in selectors.duplicates_resting_on(statement=statement)]
    if resting:
        raise InvalidDecision(
            ngettext(
                "Statement %(ids)s was rejected as a duplicate of #%(id)s, so rejecting it would "
                "take its point out of the conversation too. Publish it first (reverse its "
                "rejection), then reject #%(id)s as its duplicate or for its own reason.",
                "Statements %(ids)s were rejected as duplicates of #%(id)s, so rejecting it would "
                "take their point out of the conversation too. Publish one of them first "
                "(reverse its rejection), then reject #%(id)s as its duplicate or for its own "
                "reason.",
                len(resting),
            )
            % {"ids": ", ".join(f"#{pk}" for pk in resting), "id": statement.pk},
            code="duplicates_rest_on_it",
        )


def _checked_edit(*, statement: Statement, text: str | None) -> str:
    if text is None:
        return statement.text
    cleaned = clean_statement_text(text)
    if not cleaned:
        raise InvalidDecision(_("The edited wording is empty."), code="empty")
    limit = statement.conversation.max_statement_length
    if len(cleaned) > limit:
        raise InvalidDecision(
            _("The edited wording is %(length)d characters long; the limit is %(limit)d.")
            % {"length": len(cleaned), "limit": limit},
            code="too_long",
        )
    return cleaned


def _same_wording_exists(statement: Statement, key: str) -> InvalidDecision:
    other = (
        Statement.objects.filter(conversation_id=statement.conversation_id, text_key=key)
        .exclude(status=Status.REJECTED)
        .exclude(pk=statement.pk)
        .first()
    )
    number = other.pk if other else "?"
    return InvalidDecision(
        _(
            "Statement #%(id)s already has this wording in the conversation, so this one "
            "cannot be published "
            "with it. Reject this one as its duplicate, or change the wording."
        )
        % {"id": number},
        code="same_wording_exists",
    )


def _move(*, statement: Statement, expected: str, fields: dict, key_changes: bool) -> None:
    """The conditional UPDATE that decides who wins a race."""
    try:
        with transaction.atomic():
            updated = Statement.objects.filter(pk=statement.pk, status=expected).update(**fields)
    except IntegrityError:
        if key_changes:
            raise _same_wording_exists(
                statement, fields.get("text_key", statement.text_key)
            ) from None
        raise
    if updated != 1:
        raise _already_decided(statement)


def _log(
    *,
    statement: Statement,
    moderator,
    action: str,
    status_before: str,
    status_after: str,
    text_before: str,
    text_after: str,
    now: datetime,
    reason: str = "",
    duplicate_of=None,
    explanation: str = "",
) -> ModerationAction:
    return ModerationAction.objects.create(
        conversation_id=statement.conversation_id,
        statement=statement,
        actor=moderator,
        actor_name=moderator.get_username(),
        action=action,
        reason=reason,
        duplicate_of=duplicate_of,
        explanation=explanation,
        text_before=text_before,
        text_after=text_after,
        status_before=status_before,
        status_after=status_after,
        created_at=now,
    )


def _reject(
    *, statement, expected, action, moderator, reason, duplicate_of_id, explanation, now
) -> ModerationAction:
    """Move a locked statement from ``expected`` to rejected and log why (first or reversal)."""
    duplicate_of, explanation = _checked_rejection(
        statement=statement, reason=reason, duplicate_of_id=duplicate_of_id, explanation=explanation
    )
    _refuse_if_duplicates_rest_on(statement)
    _move(
        statement=statement,
        expected=expected,
        fields={"status": Status.REJECTED, "decided_at": now},
        key_changes=False,
    )
    return _log(
        statement=statement,
        moderator=moderator,
        action=action,
        status_before=expected,
        status_after=Status.REJECTED,
        text_before=statement.text,
        text_after=statement.text,
        now=now,
        reason=reason,
        duplicate_of=duplicate_of,
        explanation=explanation,
    )


def _author_agrees(statement: Statement, now: datetime) -> None:
    """The author's own answer to their statement, once it is published as they wrote it: agree.

    As Polis counts it: an author is not asked to vote on their own statement (they were, and
    answering it again told nothing), and their agreement counts in the opinion groups. Not for an
    edited wording (the moderator's, which the author may not agree with), not when the author
    has answered it already (a statement published again after a reversal), and not once voting
    has closed. In the decision's transaction: published and agreed with, or neither.
    """
    if statement.author_id is None or not statement.conversation.is_open(now):
        return
    if Vote.objects.filter(participant_id=statement.author_id, statement=statement).exists():
        return
    # Nobody else can answer it before this commits: until then residents see it pending. The
    # statement is published by now (in this transaction), so it is cast as any vote is.
    vote_cast(participant=statement.author, statement_id=statement.pk, choice=Vote.Choice.AGREE, now=now)


def statement_approve(
    *, statement_id, moderator, text: str | None = None, now: datetime | None = None
) -> ModerationAction:
    """Publish a pending statement, optionally with edited wording (the submitted text is kept)."""
    _require_moderator(moderator)
    now = now or timezone.now()
    with transaction.atomic():
        statement = _locked_statement(statement_id)
        if statement.status != Status.PENDING:
            raise _already_decided(statement)
        new_text = _checked_edit(statement=statement, text=text)
        edited = new_text != statement.text
        key = statement_text_key(new_text)
        _move(
            statement=statement,
            expected=Status.PENDING,
            fields={
                "status": Status.PUBLISHED,
                "text": new_text,
                "text_key": key,
                "published_at": now,
                "decided_at": now,
                "original_text": statement.original_text or statement.text,
                # Translations were of the wording as submitted: after an edit residents would
                # still read that wording in their language. The edited text is shown instead
                # until staff translate it again.
                **({"text_fi": "", "text_sv": "", "text_en": ""} if edited else {}),
            },
            key_changes=key != statement.text_key,
        )
        action = _log(
            statement=statement,
            moderator=moderator,
            action=Action.APPROVE_EDITED if edited else Action.APPROVE,
            status_before=Status.PENDING,
            status_after=Status.PUBLISHED,
            text_before=statement.text,
            text_after=new_text,
            now=now,
        )
        if not edited:
            _author_agrees(statement, now)
        conversation_recluster_request(conversation_id=statement.conversation_id)
    return action


def statement_reject(
    *,
    statement_id,
    moderator,
    reason: str,
    duplicate_of_id=None,
    explanation: str = "",
    now: datetime | None = None,
) -> ModerationAction:
    """Reject a pending statement with one of the rule reasons."""
    _require_moderator(moderator)
    now = now or timezone.now()
    with transaction.atomic():
        statement = _locked_statement(
            statement_id, duplicate_of_id=duplicate_of_id if reason == Reason.DUPLICATE else None
        )
        if statement.status != Status.PENDING:
            raise _already_decided(statement)
        action = _reject(
            statement=statement,
            expected=Status.PENDING,
            action=Action.REJECT,
            moderator=moderator,
            reason=reason,
            duplicate_of_id=duplicate_of_id,
            explanation=explanation,
            now=now,
        )
        conversation_recluster_request(conversation_id=statement.conversation_id)
    return action


def statement_decision_reverse(
    *,
    statement_id,
    moderator,
    explanation: str,
    reason: str = "",
    duplicate_of_id=None,
    expected_status: str | None = None,
    now: datetime | None = None,
) -> ModerationAction:
    """Reverse a decision: published → rejected (with a rule reason) or rejected → published.

    ``explanation`` says why the decision is reversed and is required either way.
    ``expected_status``: the status the moderator saw; when another moderator (or a second click)
    has reversed it since, AlreadyDecided is raised and nothing is saved, instead of reversing it
    back.
    """
    _require_moderator(moderator)
    now = now or timezone.now()
    explanation = clean_statement_text(explanation or "")
    with transaction.atomic():
        statement = _locked_statement(
            statement_id, duplicate_of_id=duplicate_of_id if reason == Reason.DUPLICATE else None
        )
        if expected_status is not None and statement.status != expected_status:
            raise _already_decided(statement)
        if statement.status == Status.PENDING:
            raise InvalidDecision(
                _("This statement has not been decided yet; decide it in the queue."),
                code="not_decided",
            )
        if not explanation:
            raise InvalidDecision(
                _("Explain why the decision is reversed."), code="explanation_missing"
            )
        if statement.status == Status.PUBLISHED:
            action = _reject(
                statement=statement,
                expected=Status.PUBLISHED,
                action=Action.REVERSE_TO_REJECTED,
                moderator=moderator,
                reason=reason,
                duplicate_of_id=duplicate_of_id,
                explanation=explanation,
                now=now,
            )
        else:
            # Becoming non-rejected brings the statement back under the unique-wording rule.
            _move(
                statement=statement,
                expected=Status.REJECTED,
                fields={"status": Status.PUBLISHED, "decided_at": now, "published_at": now},
                key_changes=True,
            )
            action = _log(
                statement=statement,
                moderator=moderator,
                action=Action.REVERSE_TO_PUBLISHED,
                status_before=Status.REJECTED,
                status_after=Status.PUBLISHED,
                text_before=statement.text,
                text_after=statement.text,
                now=now,
                explanation=explanation,
            )
            if not statement.original_text or statement.original_text == statement.text:
                _author_agrees(statement, now)
        conversation_recluster_request(conversation_id=statement.conversation_id)
    return action


@dataclass
class BulkOutcome:
    decided: list[ModerationAction] = field(default_factory=list)
    refused: list[tuple[int, str]] = field(default_factory=list)


def _bulk(statement_ids: Iterable, decide) -> BulkOutcome:
    outcome = BulkOutcome()
    seen = set()
    for raw in statement_ids:
        try:
            statement_id = _statement_id(raw)
        except VoxitError as error:
            outcome.refused.append((raw, str(error.message)))
            continue
        if statement_id in seen:
            continue
        seen.add(statement_id)
        # One transaction per statement: one that another moderator took does not undo the rest.
        try:
            outcome.decided.append(decide(statement_id))
        except VoxitError as error:
            outcome.refused.append((statement_id, str(error.message)))
    return outcome


def statements_approve_bulk(
    *, statement_ids: Iterable, moderator, now: datetime | None = None
) -> BulkOutcome:
    _require_moderator(moderator)
    return _bulk(
        statement_ids, lambda pk: statement_approve(statement_id=pk, moderator=moderator, now=now)
    )


def statements_reject_bulk(
    *,
    statement_ids: Iterable,
    moderator,
    reason: str,
    duplicate_of_id=None,
    explanation: str = "",
    now: datetime | None = None,
) -> BulkOutcome:
    _require_moderator(moderator)
    return _bulk(
        statement_ids,
        lambda pk: statement_reject(
            statement_id=pk,
            moderator=moderator,
            reason=reason,
            duplicate_of_id=duplicate_of_id,
            explanation=explanation,
            now=now,
        ),
    )


def moderation_digest_send(*, now: datetime | None = None) -> int:
    """E-mail moderators what is due within 4 working hours or overdue; returns messages sent.

    Sends nothing when the digest is switched off, nothing is due, or no moderator has an address;
    and nothing when the last digest sent already listed everything due (beat runs this every hour
    or so; a statement decided since is no news): a digest goes out when a statement joins the
    list or turns overdue, and as a reminder once on each working day (Helsinki) that begins with
    statements still waiting.
    """
    from moderation.deadlines import HELSINKI, is_working_day
    from moderation.models import DigestSent

    if not settings.MODERATION_DIGEST_ENABLED:
        return 0
    now = now or timezone.now()
    items = selectors.moderation_queue_needing_attention(now=now)
    if not items:
        return 0
    recipients = selectors.moderator_email_addresses()
    if not recipients:
        return 0
    listed = sorted([item.statement.pk, item.urgency] for item in items)
    last = DigestSent.objects.order_by("-sent_at", "-id").first()
    if last is not None and {tuple(x) for x in listed} <= {tuple(x) for x in last.items}:
        today = now.astimezone(HELSINKI).date()
        if last.sent_at.astimezone(HELSINKI).date() >= today or not is_working_day(today):
            return 0
    with translation.override(settings.LANGUAGE_CODE):
        context = {
            "items": items,
            "overdue": sum(1 for item in items if item.is_overdue),
            "due_soon": sum(1 for item in items if item.is_due_soon),
            "now": now,
            "site_url": settings.SITE_URL,
        }
        subject = render_to_string("moderation/email/digest_subject.txt", context).strip()
        body = render_to_string("moderation/email/digest.txt", context)
    sent = 0
    for address in recipients:
        sent += EmailMessage(subject=subject, body=body, to=[address]).send()
    DigestSent.objects.create(sent_at=now, items=listed, recipients=sent)
    return sent
