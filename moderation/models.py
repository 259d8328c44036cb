"""The moderation log: every decision on a resident's statement, append-only.

A statement's current state lives on ``statements.Statement``; this log says who moved it there,
when, why and with what wording. The service layer only ever inserts rows.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Action(models.TextChoices):
    APPROVE = "approve", _("approved")
    APPROVE_EDITED = "approve_edited", _("approved with edited wording")
    REJECT = "reject", _("rejected")
    REVERSE_TO_REJECTED = "reverse_to_rejected", _("publication reversed: rejected")
    REVERSE_TO_PUBLISHED = "reverse_to_published", _("rejection reversed: published")


class Reason(models.TextChoices):
    MENTIONS_PERSON = "person", _("Mentions an individual person (rule 1)")
    INSULTING = "insult", _("Insulting or disrespectful (rule 2)")
    OFF_TOPIC = "off_topic", _("Off topic or obviously false (rule 3)")
    DUPLICATE = "duplicate", _("Duplicates a statement already in the conversation (rule 3)")
    OTHER = "other", _("Other reason")


class ModerationActionQuerySet(models.QuerySet):
    def decisions(self):
        """First decisions (approve / reject), not reversals: what the deadline is measured on."""
        return self.filter(action__in=ModerationAction.FIRST_DECISIONS)

    def for_conversation(self, conversation):
        return self.filter(conversation=conversation)

    def update(self, **kwargs):
        raise TypeError("The moderation log is append-only.")


class ModerationAction(models.Model):
    Action = Action
    Reason = Reason

    FIRST_DECISIONS = (Action.APPROVE, Action.APPROVE_EDITED, Action.REJECT)
    REJECTIONS = (Action.REJECT, Action.REVERSE_TO_REJECTED)
    PUBLICATIONS = (Action.APPROVE, Action.APPROVE_EDITED, Action.REVERSE_TO_PUBLISHED)

    conversation = models.ForeignKey(
        "statements.Conversation", on_delete=models.CASCADE, related_name="moderation_actions"
    )
    statement = models.ForeignKey(
        "statements.Statement", on_delete=models.CASCADE, related_name="moderation_actions"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="moderation_actions",
        verbose_name=_("moderator"),
    )
    # The username as it was, so the log still says who when an account is removed.
    actor_name = models.CharField(_("moderator's username"), max_length=150)
    action = models.CharField(_("action"), max_length=24, choices=Action.choices)
    reason = models.CharField(_("reason"), max_length=12, choices=Reason.choices, blank=True)
    duplicate_of = models.ForeignKey(
        "statements.Statement",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("duplicate of"),
    )
    explanation = models.TextField(_("explanation"), blank=True)
    text_before = models.TextField(_("text before"))
    text_after = models.TextField(_("text after"))
    status_before = models.CharField(_("status before"), max_length=10)
    status_after = models.CharField(_("status after"), max_length=10)
    created_at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)

    objects = ModerationActionQuerySet.as_manager()

    class Meta:
        verbose_name = _("moderation action")
        verbose_name_plural = _("moderation log")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["conversation", "created_at"]),
            models.Index(fields=["statement", "id"]),
        ]
        permissions = [("moderate_statement", _("Can publish and reject residents' statements"))]
        constraints = [
            models.CheckConstraint(
                condition=Q(action__in=Action.values), name="moderation_action_valid"
            ),
            models.CheckConstraint(
                condition=Q(reason__in=["", *Reason.values]), name="moderation_reason_valid"
            ),
            models.CheckConstraint(
                condition=~Q(action__in=["reject", "reverse_to_rejected"]) | ~Q(reason=""),
                name="moderation_rejection_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(action__in=["reject", "reverse_to_rejected"]) | Q(reason=""),
                name="moderation_only_rejection_has_reason",
            ),
            models.CheckConstraint(
                condition=~Q(reason="duplicate") | Q(duplicate_of__isnull=False),
                name="moderation_duplicate_names_statement",
            ),
            models.CheckConstraint(
                condition=Q(reason="duplicate") | Q(duplicate_of__isnull=True),
                name="moderation_duplicate_of_only_for_duplicates",
            ),
            models.CheckConstraint(
                condition=~Q(reason="other") | ~Q(explanation=""),
                name="moderation_other_reason_explained",
            ),
            models.CheckConstraint(
                condition=~Q(action__startswith="reverse_") | ~Q(explanation=""),
                name="moderation_reversal_explained",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} #{self.statement_id} ({self.actor_name})"

    @property
    def is_rejection(self) -> bool:
        return self.action in self.REJECTIONS


class DigestSent(models.Model):
    """One moderators' digest as sent: what it listed, so the next run mails only a change.

    ``items`` holds ``[statement id, "overdue" | "due_soon"]`` pairs, sorted.
    """

    sent_at = models.DateTimeField(_("sent at"), default=timezone.now, db_index=True)
    items = models.JSONField(_("statements listed"), default=list)
    recipients = models.PositiveIntegerField(_("messages sent"), default=0)

    class Meta:
        verbose_name = _("moderators' digest")
        verbose_name_plural = _("moderators' digests")
        ordering = ["-sent_at", "-id"]

    def __str__(self) -> str:
        return f"{self.sent_at:%Y-%m-%d %H:%M} ({len(self.items)})"
