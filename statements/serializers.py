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

    class Meta:
        model = Statement
        fields = ["id", "text"]


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


class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField()
    detail = serializers.CharField()
