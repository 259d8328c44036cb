"""Stored opinion-group runs and the per-conversation recompute state.

A run is kept whether it succeeded or failed: pages read the latest successful one, staff see
failures, and the latest successful one warm-starts the next (labels, k smoothing, centres).
"""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from statements.models import Conversation


class ClusteringRunQuerySet(models.QuerySet):
    def succeeded(self):
        return self.filter(status=ClusteringRun.Status.SUCCEEDED)

    def for_conversation(self, conversation_id: int):
        return self.filter(conversation_id=conversation_id)

    def latest_first(self):
        return self.order_by("-id")


class ClusteringRun(models.Model):
    class Status(models.TextChoices):
        RUNNING = "running", _("running")
        SUCCEEDED = "succeeded", _("succeeded")
        FAILED = "failed", _("failed")

    class Trigger(models.TextChoices):
        CHANGE = "change", _("votes or moderation")
        SWEEP = "sweep", _("periodic check")
        MANUAL = "manual", _("staff request")
        COMMAND = "command", _("command line")

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="clustering_runs"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.RUNNING
    )
    trigger = models.CharField(
        _("trigger"), max_length=10, choices=Trigger.choices, default=Trigger.CHANGE
    )
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    # The newest vote change and moderation decision the run saw; the beat sweep compares them.
    vote_watermark = models.DateTimeField(_("newest vote seen"), null=True, blank=True)
    decision_watermark = models.DateTimeField(_("newest decision seen"), null=True, blank=True)
    request_generation = models.BigIntegerField(_("request generation"), default=0)
    n_votes = models.PositiveIntegerField(_("votes"), default=0)
    n_participants = models.PositiveIntegerField(_("participants"), default=0)
    n_statements = models.PositiveIntegerField(_("statements"), default=0)
    k = models.PositiveSmallIntegerField(_("opinion groups"), default=0)
    seed = models.BigIntegerField(_("seed"), default=0)
    parameters = models.JSONField(_("parameters"), default=dict, blank=True)
    timings = models.JSONField(_("timings (seconds)"), default=dict, blank=True)
    # statement id -> routing priority; small, read on every "next statement".
    priorities = models.JSONField(default=dict, blank=True, editable=False)
    # ClusteringResult.to_json(); kept as text: it is only ever read back whole.
    result_json = models.TextField(blank=True, editable=False)
    error = models.TextField(_("error"), blank=True)

    objects = ClusteringRunQuerySet.as_manager()

    class Meta:
        verbose_name = _("opinion-group run")
        verbose_name_plural = _("opinion-group runs")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["conversation", "status", "-id"], name="run_conv_status_id")
        ]
        permissions = [("view_report", _("Can view opinion-group reports and download exports"))]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=["running", "succeeded", "failed"]),
                name="run_status_valid",
            )
        ]

    def __str__(self) -> str:
        return f"{self.conversation_id}#{self.pk} {self.status}"

    @property
    def duration(self) -> float | None:
        if self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


class ReclusterState(models.Model):
    """Coalescing state, one row per conversation.

    ``requested`` counts recompute requests (votes, decisions); a run records the generation it
    started from, and runs once more if ``requested`` moved on meanwhile. ``queued`` is set by the
    request that enqueues a task, so a burst of votes enqueues one task, not one per vote.
    """

    conversation = models.OneToOneField(
        Conversation, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    requested = models.BigIntegerField(default=0)
    handled = models.BigIntegerField(default=0)
    queued = models.BooleanField(default=False)
    queued_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("recompute state")
        verbose_name_plural = _("recompute states")

    def __str__(self) -> str:
        return f"{self.conversation_id}: {self.handled}/{self.requested}"


class PolisSource(models.Model):
    """Where an imported conversation came from, and the Polis ids of its rows.

    Kept so that exporting an imported conversation gives back the original comment and
    participant ids. ``statement_pks``/``comment_ids`` and ``participant_pks``/``polis_pids`` are
    parallel lists.
    """

    conversation = models.OneToOneField(
        Conversation, on_delete=models.CASCADE, primary_key=True, related_name="polis_source"
    )
    name = models.CharField(_("source"), max_length=300)
    imported_at = models.DateTimeField(_("imported at"), default=timezone.now)
    # Polis without strict moderation shows unmoderated comments and clusters with them.
    unmoderated_visible = models.BooleanField(_("unmoderated statements were shown"), default=True)
    statement_pks = models.JSONField(default=list, editable=False)
    comment_ids = models.JSONField(default=list, editable=False)
    participant_pks = models.JSONField(default=list, editable=False)
    polis_pids = models.JSONField(default=list, editable=False)

    class Meta:
        verbose_name = _("Polis import")
        verbose_name_plural = _("Polis imports")

    def __str__(self) -> str:
        return self.name
