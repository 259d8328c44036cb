"""Conversations, statements, anonymous participants and their votes.

Integrity lives here as database constraints; the logic that changes state lives in services.py.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

LANGUAGE_CODES = ("fi", "sv", "en")


def localized(obj, field: str, language: str | None = None) -> str:
    """The ``field_<lang>`` value in the active language, falling back to Finnish."""
    return getattr(obj, f"{field}_{localized_language(obj, field, language)}")


def localized_language(obj, field: str, language: str | None = None) -> str:
    """The language :func:`localized` shows, for the text's ``lang`` attribute: the active one
    when the text has it, else Finnish (read out with a Finnish voice, not the page's)."""
    language = (language or translation.get_language() or "fi")[:2]
    if language in LANGUAGE_CODES and getattr(obj, f"{field}_{language}", ""):
        return language
    return "fi"


def statement_shown(text: str, text_fi: str, text_sv: str, text_en: str) -> tuple[str, str]:
    """A statement's wording in the reader's language, and the language of that wording for its
    ``lang`` attribute: the reader's when the statement has that translation, Finnish when the
    wording shown is its Finnish text, and "" (unknown, as HTML has it) for a resident's own
    wording in a language not recorded. Takes the texts, so that the vote's answer can show a
    statement from the row it read without building a model instance."""
    language = (translation.get_language() or "fi")[:2]
    translated = text_fi if language == "fi" else text_sv if language == "sv" else text_en if language == "en" else ""
    if translated:
        return translated, language
    return text, "fi" if text_fi and text_fi == text else ""


class ConversationQuerySet(models.QuerySet):
    def published(self):
        return self.filter(is_published=True)

    def open_at(self, when):
        return self.published().filter(opens_at__lte=when, closes_at__gt=when)

    def upcoming_at(self, when):
        return self.published().filter(opens_at__gt=when)

    def closed_at(self, when):
        return self.published().filter(closes_at__lte=when)


class Conversation(models.Model):
    slug = models.SlugField(_("address"), max_length=80, unique=True)
    title_fi = models.CharField(_("title (Finnish)"), max_length=200)
    title_sv = models.CharField(_("title (Swedish)"), max_length=200, blank=True)
    title_en = models.CharField(_("title (English)"), max_length=200, blank=True)
    question_fi = models.TextField(_("question (Finnish)"))
    question_sv = models.TextField(_("question (Swedish)"), blank=True)
    question_en = models.TextField(_("question (English)"), blank=True)
    description_fi = models.TextField(_("description (Finnish)"), blank=True)
    description_sv = models.TextField(_("description (Swedish)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    opens_at = models.DateTimeField(_("opens at"))
    closes_at = models.DateTimeField(_("closes at"))
    submissions_close_at = models.DateTimeField(
        _("new statements accepted until"),
        null=True,
        blank=True,
        help_text=_("May be earlier than the close, so late statements still get votes. "
                    "Empty means until the conversation closes."),
    )
    max_statement_length = models.PositiveSmallIntegerField(_("maximum statement length"), default=140)
    allow_submissions = models.BooleanField(_("residents may add statements"), default=True)
    show_results = models.BooleanField(_("residents see the results"), default=False)
    is_published = models.BooleanField(_("published"), default=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    objects = ConversationQuerySet.as_manager()

    class Meta:
        verbose_name = _("conversation")
        verbose_name_plural = _("conversations")
        ordering = ["-opens_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(closes_at__gt=F("opens_at")), name="conversation_closes_after_opening"
            ),
            models.CheckConstraint(
                condition=Q(submissions_close_at__isnull=True)
                | (Q(submissions_close_at__gt=F("opens_at")) & Q(submissions_close_at__lte=F("closes_at"))),
                name="conversation_submissions_close_within_window",
            ),
            models.CheckConstraint(
                condition=Q(max_statement_length__gte=20) & Q(max_statement_length__lte=1000),
                name="conversation_statement_length_sane",
            ),
        ]

    def __str__(self) -> str:
        return self.title_fi

    def clean(self):
        """The schedule and length rules the constraints above hold, said at the field and in words
        (the admin would otherwise name the violated constraint)."""
        super().clean()
        errors = {}
        if self.opens_at and self.closes_at and self.closes_at <= self.opens_at:
            errors["closes_at"] = _("The conversation must close after it opens.")
        elif self.submissions_close_at and self.opens_at and self.closes_at and not (
            self.opens_at < self.submissions_close_at <= self.closes_at
        ):
            errors["submissions_close_at"] = _(
                "New statements must stop being accepted after the conversation opens and no later "
                "than it closes."
            )
        if self.max_statement_length is not None and not 20 <= self.max_statement_length <= 1000:
            errors["max_statement_length"] = _("The maximum statement length must be 20-1000 characters.")
        if errors:
            raise ValidationError(errors)

    @property
    def title(self) -> str:
        return localized(self, "title")

    @property
    def question(self) -> str:
        return localized(self, "question")

    @property
    def description(self) -> str:
        return localized(self, "description")

    @property
    def title_language(self) -> str:
        return localized_language(self, "title")

    @property
    def question_language(self) -> str:
        return localized_language(self, "question")

    @property
    def description_language(self) -> str:
        return localized_language(self, "description")

    @property
    def submissions_deadline(self):
        return self.submissions_close_at or self.closes_at

    def is_open(self, when=None) -> bool:
        when = when or timezone.now()
        return self.is_published and self.opens_at <= when < self.closes_at

    def has_closed(self, when=None) -> bool:
        return (when or timezone.now()) >= self.closes_at

    def has_not_opened(self, when=None) -> bool:
        return (when or timezone.now()) < self.opens_at

    def accepts_statements(self, when=None) -> bool:
        when = when or timezone.now()
        return self.allow_submissions and self.is_open(when) and when < self.submissions_deadline


class Participant(models.Model):
    """An anonymous resident in one conversation. Nothing personal is stored.

    ``browser_key`` is a SHA-256 of the random token in the resident's signed cookie, so a copy of
    the database cannot be turned back into cookies. It is cleared by the retention rule after the
    conversation closes, which unlinks the browser from its answers.
    """

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="participants")
    # NULL, not "": both are unique per conversation only where set (partial unique constraints).
    browser_key = models.CharField(max_length=64, null=True, blank=True, editable=False)  # noqa: DJ001
    xid = models.CharField(_("external id"), max_length=200, null=True, blank=True)  # noqa: DJ001
    is_demo = models.BooleanField(_("simulated demo participant"), default=False)
    created_at = models.DateTimeField(_("joined at"), default=timezone.now)

    class Meta:
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
        constraints = [
            models.UniqueConstraint(
                fields=["conversation", "browser_key"],
                condition=Q(browser_key__isnull=False),
                name="participant_one_per_browser_per_conversation",
            ),
            models.UniqueConstraint(
                fields=["conversation", "xid"],
                condition=Q(xid__isnull=False),
                name="participant_xid_unique_per_conversation",
            ),
        ]

    def __str__(self) -> str:
        return self.pseudonym

    @property
    def pseudonym(self) -> str:
        return f"P{self.pk}"


class StatementQuerySet(models.QuerySet):
    def published(self):
        return self.filter(status=Statement.Status.PUBLISHED)

    def pending(self):
        return self.filter(status=Statement.Status.PENDING)

    def rejected(self):
        return self.filter(status=Statement.Status.REJECTED)

    def in_conversation(self, conversation):
        return self.filter(conversation=conversation)


class Statement(models.Model):
    class Origin(models.TextChoices):
        SEED = "seed", _("seed statement by staff")
        PARTICIPANT = "participant", _("submitted by a participant")

    class Status(models.TextChoices):
        PENDING = "pending", _("awaiting moderation")
        PUBLISHED = "published", _("published")
        REJECTED = "rejected", _("rejected")

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="statements")
    text = models.TextField(_("text"))
    text_fi = models.TextField(_("text (Finnish)"), blank=True)
    text_sv = models.TextField(_("text (Swedish)"), blank=True)
    text_en = models.TextField(_("text (English)"), blank=True)
    # Case- and whitespace-folded text; unique among statements that are not rejected.
    text_key = models.TextField(editable=False)
    original_text = models.TextField(
        _("text as submitted"), blank=True, help_text=_("Kept when a moderator edits the wording.")
    )
    origin = models.CharField(_("origin"), max_length=12, choices=Origin.choices)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    is_meta = models.BooleanField(_("meta statement"), default=False)
    author = models.ForeignKey(
        Participant, null=True, blank=True, on_delete=models.SET_NULL, related_name="statements"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_at = models.DateTimeField(_("submitted at"), default=timezone.now, db_index=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    objects = StatementQuerySet.as_manager()

    class Meta:
        verbose_name = _("statement")
        verbose_name_plural = _("statements")
        ordering = ["submitted_at", "id"]
        indexes = [models.Index(fields=["conversation", "status"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["pending", "published", "rejected"]), name="statement_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(origin__in=["seed", "participant"]), name="statement_origin_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status="published") | Q(published_at__isnull=False),
                name="statement_published_has_time",
            ),
            models.UniqueConstraint(
                fields=["conversation", "text_key"],
                condition=~Q(status="rejected"),
                name="statement_text_unique_in_conversation",
            ),
        ]

    def __str__(self) -> str:
        return self.text

    @property
    def display_text(self) -> str:
        return statement_shown(self.text, self.text_fi, self.text_sv, self.text_en)[0]

    @property
    def display_language(self) -> str:
        """The language of ``display_text``, for its ``lang`` attribute (see ``statement_shown``)."""
        return statement_shown(self.text, self.text_fi, self.text_sv, self.text_en)[1]

    @property
    def text_language(self) -> str:
        """The language of ``text`` (the wording as published, shown to moderators), for its
        ``lang`` attribute; "" (unknown) when it is none of the recorded translations."""
        for language in LANGUAGE_CODES:
            value = getattr(self, f"text_{language}", "")
            if value and value == self.text:
                return language
        return ""


class Vote(models.Model):
    """A participant's current answer to one statement. Earlier answers live in VoteLog."""

    class Choice(models.IntegerChoices):
        AGREE = 1, _("Agree")
        DISAGREE = -1, _("Disagree")
        PASS = 0, _("Pass")

    # Every vote writes each index of this table: the (conversation, updated_at) index and the
    # unique (participant, statement) constraint already serve lookups by conversation and by
    # participant, so those two keys get no index of their own.
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="+", db_index=False)
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="votes", db_index=False)
    statement = models.ForeignKey(Statement, on_delete=models.CASCADE, related_name="votes")
    choice = models.SmallIntegerField(_("answer"), choices=Choice.choices)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("vote")
        verbose_name_plural = _("votes")
        indexes = [models.Index(fields=["conversation", "updated_at"])]
        constraints = [
            models.UniqueConstraint(fields=["participant", "statement"], name="vote_one_per_participant_statement"),
            models.CheckConstraint(condition=Q(choice__in=[-1, 0, 1]), name="vote_choice_valid"),
        ]

    def __str__(self) -> str:  # ids only: no query for a label
        return f"{self.participant_id} → {self.statement_id}: {self.get_choice_display()}"


class VoteLog(models.Model):
    """Append-only log of every vote cast, including ones later replaced (Polis' votes.csv)."""

    # As for Vote: the (conversation, cast_at) index serves lookups by conversation.
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="+", db_index=False)
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="+")
    statement = models.ForeignKey(Statement, on_delete=models.CASCADE, related_name="+")
    choice = models.SmallIntegerField(choices=Vote.Choice.choices)
    cast_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("vote log entry")
        verbose_name_plural = _("vote log")
        indexes = [models.Index(fields=["conversation", "cast_at"])]
        constraints = [models.CheckConstraint(condition=Q(choice__in=[-1, 0, 1]), name="votelog_choice_valid")]

    def __str__(self) -> str:
        return f"{self.cast_at:%Y-%m-%d %H:%M:%S} {self.participant_id} → {self.statement_id}: " + str(
            self.get_choice_display()
        )


class StatementSetVersion(models.Model):
    """A number the database changes whenever any statement of a conversation is added, changed
    or removed: triggers on the statement table write it (migration 0003), never the app.

    Routing reads it with each vote and page, so each process's copy of a conversation's
    published statements (routing order, texts and weights) is renewed exactly when something
    changed, without reading every statement every time. On PostgreSQL each change draws from
    one sequence, so a number is never reused, not even after a conversation is deleted; on
    SQLite it is a random 64-bit number (see the migration).
    No foreign key: the statements' triggers may write the row while a conversation is being
    deleted, and the conversation's own trigger removes it after.
    """

    conversation_id = models.BigIntegerField(primary_key=True)
    version = models.BigIntegerField()

    class Meta:
        verbose_name = _("statement set version")
        verbose_name_plural = _("statement set versions")

    def __str__(self) -> str:
        return f"{self.conversation_id}: {self.version}"


class AnswerCount(models.Model):
    """How many answers (current votes, one per statement) a participant has: triggers on the
    vote table keep it (migration 0004), never the app.

    Only a new vote raises it, so the vote statement can tell from it whether the answers a
    process saw at the participant's previous vote are still all of them, instead of reading
    every one of them again with each vote (``services.vote_cast_by_browser``). No foreign key,
    as with ``StatementSetVersion``: the votes' triggers may write the row while a participant
    is being deleted, and the participant's own trigger removes it after.
    """

    participant_id = models.BigIntegerField(primary_key=True)
    answers = models.IntegerField()

    class Meta:
        verbose_name = _("answer count")
        verbose_name_plural = _("answer counts")

    def __str__(self) -> str:
        return f"P{self.participant_id}: {self.answers}"
