from django.urls import reverse
from rest_framework import serializers

from statements.models import Conversation, Statement, Vote


class ConversationSerializer(serializers.ModelSerializer):
    title = serializers.CharField(read_only=True)
    question = serializers.CharField(read_only=True)
    description = serializers.CharField(read_only=True)
    is_open = serializers.SerializerMethodField()
    accepts_statements = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()

    class Meta:
        model = Conversation
        fields = [
            "slug", "title", "question", "description", "opens_at", "closes_at", "submissions_close_at",
            "max_statement_length", "allow_submissions", "show_results", "is_open", "accepts_statements", "url",
        ]

    def get_is_open(self, obj) -> bool:
        return obj.is_open()

    def get_accepts_statements(self, obj) -> bool:
        return obj.accepts_statements()

    def get_url(self, obj) -> str:
        return reverse("statements:conversation", kwargs={"slug": obj.slug})


class StatementSerializer(serializers.ModelSerializer):
    text = serializers.CharField(source="display_text", read_only=True)
    lang = serializers.CharField(
        source="display_language",
        read_only=True,
        help_text='Language of the text shown (fi, sv, en), or "" when not known.',
    )

    class Meta:
        model = Statement
        fields = ["id", "text", "lang"]


class ProgressSerializer(serializers.Serializer):
    answered = serializers.IntegerField()
    total = serializers.IntegerField()


class NextStatementSerializer(serializers.Serializer):
    statement = StatementSerializer(allow_null=True)
    progress = ProgressSerializer()


class VoteInputSerializer(serializers.Serializer):
    statement = serializers.JSONField(help_text="Statement id.")
    choice = serializers.JSONField(help_text='"agree", "disagree" or "pass" (or 1, -1, 0).')


class VoteSerializer(serializers.ModelSerializer):
    statement = StatementSerializer(read_only=True)
    choice_name = serializers.SerializerMethodField()

    class Meta:
        model = Vote
        fields = ["statement", "choice", "choice_name", "updated_at"]

    def get_choice_name(self, obj) -> str:
        return {1: "agree", -1: "disagree", 0: "pass"}[obj.choice]


class VoteResultSerializer(serializers.Serializer):
    vote = VoteSerializer()
    next = StatementSerializer(allow_null=True)
    progress = ProgressSerializer()


class StatementInputSerializer(serializers.Serializer):
    text = serializers.JSONField(help_text="The statement's text.")


class MyStatementSerializer(serializers.ModelSerializer):
    status_label = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = Statement
        fields = ["id", "text", "status", "status_label", "submitted_at", "published_at"]


class StatementFateSerializer(serializers.Serializer):
    """A resident's own statement with what became of it (the API twin of "my statements")."""

    id = serializers.IntegerField(source="statement.pk")
    text = serializers.CharField(source="statement.text", help_text="The published wording.")
    status = serializers.CharField(source="statement.status")
    status_label = serializers.CharField(source="statement.get_status_display")
    submitted_at = serializers.DateTimeField(source="statement.submitted_at")
    published_at = serializers.DateTimeField(source="statement.published_at", allow_null=True)
    deadline = serializers.DateTimeField(allow_null=True, help_text="Moderation promised by (pending only).")
    submitted_text = serializers.SerializerMethodField(help_text="What the resident wrote, when a moderator edited it.")
    reason = serializers.SerializerMethodField(help_text="Rejection reason code (rejected only).")
    reason_label = serializers.SerializerMethodField()
    duplicate_of = serializers.SerializerMethodField(help_text="The published statement this one repeats.")

    def _rejection(self, fate):
        action = fate.last_action
        if fate.statement.status != "rejected" or action is None:
            return None
        return action

    def get_submitted_text(self, fate) -> str | None:
        return fate.statement.original_text if fate.was_edited else None

    def get_reason(self, fate) -> str | None:
        action = self._rejection(fate)
        return (action.reason or None) if action else None

    def get_reason_label(self, fate) -> str | None:
        action = self._rejection(fate)
        return str(action.get_reason_display()) if action and action.reason else None

    def get_duplicate_of(self, fate) -> int | None:
        action = self._rejection(fate)
        duplicate = action.duplicate_of if action else None
        return duplicate.pk if duplicate is not None and duplicate.status == "published" else None


class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField()
    detail = serializers.CharField()
