"""Residents' API, version 1. Same services and the same cookie participant as the HTML pages."""

from django.http import Http404
from django.middleware.csrf import CsrfViewMiddleware
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

from statements import ratelimit, selectors, services
from statements.errors import ConversationClosed, SubmissionsClosed, VoxitError
from statements.participants import ensure_browser_token, participant_for
from statements.serializers import (
    ConversationSerializer,
    ErrorSerializer,
    MyStatementSerializer,
    NextStatementSerializer,
    StatementInputSerializer,
    StatementFateSerializer,
    StatementSerializer,
    VoteInputSerializer,
    VoteResultSerializer,
    VoteSerializer,
)


class RateLimitedSerializer(ErrorSerializer):
    retry_after = serializers.IntegerField(help_text="Seconds until the limit resets.")


class _CsrfCheck(CsrfViewMiddleware):
    def _reject(self, request, reason):
        return reason


class CsrfForEveryone(BasePermission):
    """CSRF protection for anonymous residents too (DRF's session auth checks only logged-in users)."""

    message = "CSRF"

    def has_permission(self, request, view):
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return True
        check = _CsrfCheck(lambda req: None)
        check.process_request(request._request)
        reason = check.process_view(request._request, None, (), {})
        if reason:
            raise exceptions.PermissionDenied(_("The form has expired. Reload the page and try again."))
        return True


def exception_handler(exc, context):
    if isinstance(exc, VoxitError):
        body = {"code": exc.code, "detail": str(exc.message), **exc.extra}
        response = Response(body, status=exc.status_code)
        if getattr(exc, "retry_after", None):
            response["Retry-After"] = str(exc.retry_after)
        return response
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(_("Not found."))
    elif isinstance(exc, exceptions.ParseError):
        exc = exceptions.ParseError(_("The request body is not valid JSON."))
    elif isinstance(exc, exceptions.UnsupportedMediaType):
        exc = exceptions.UnsupportedMediaType(
            exc.detail, detail=_("Send the request as JSON (Content-Type: application/json).")
        )
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(response.data, dict) and "detail" in response.data:
        detail = response.data["detail"]
        response.data = {"code": getattr(detail, "code", "error"), "detail": str(detail)}
    return response


class ResidentAPIView(APIView):
    permission_classes = [CsrfForEveryone]
    authentication_classes = []

    def conversation(self, slug):
        return selectors.conversation_get_visible(slug=slug, user=self.request.user)

    def participant(self, conversation, *, create=False):
        return participant_for(self.request._request, conversation, create=create)


class ConversationListAPI(ResidentAPIView):
    @extend_schema(responses=ConversationSerializer(many=True))
    def get(self, request):
        index = selectors.conversations_for_index()
        return Response(ConversationSerializer(index.open + index.upcoming + index.closed, many=True).data)


class ConversationDetailAPI(ResidentAPIView):
    @extend_schema(responses={200: ConversationSerializer, 404: ErrorSerializer})
    def get(self, request, slug):
        return Response(ConversationSerializer(self.conversation(slug)).data)


class NextStatementAPI(ResidentAPIView):
    @extend_schema(responses={200: NextStatementSerializer, 404: ErrorSerializer})
    def get(self, request, slug):
        conversation = self.conversation(slug)
        ensure_browser_token(request._request)
        participant = self.participant(conversation)
        if conversation.is_open():
            statement, progress = selectors.statement_next_with_progress(
                conversation=conversation, participant=participant
            )
        else:
            statement, progress = None, selectors.participant_progress(conversation=conversation, participant=participant)
        return Response(
            {
                "statement": StatementSerializer(statement).data if statement else None,
                "progress": {"answered": progress.answered, "total": progress.total},
            }
        )


# The vote answer by hand, field for field what VoteSerializer and StatementSerializer give (the
# schema still names them): building a ModelSerializer's fields costs more than the vote itself.
_vote_updated_at = serializers.DateTimeField()


def _statement_data(statement) -> dict:
    return {"id": statement.pk, "text": statement.display_text}


def _vote_data(vote) -> dict:
    return {
        "statement": _statement_data(vote.statement),
        "choice": vote.choice,
        "choice_name": {1: "agree", -1: "disagree", 0: "pass"}[vote.choice],
        "updated_at": _vote_updated_at.to_representation(vote.updated_at),
    }


class VotesAPI(ResidentAPIView):
    @extend_schema(
        request=VoteInputSerializer,
        responses={
            201: VoteResultSerializer,
            400: ErrorSerializer,
            403: ErrorSerializer,
            404: ErrorSerializer,
            429: RateLimitedSerializer,
        },
    )
    def post(self, request, slug):
        # The busiest endpoint: an open conversation may come from the process's recent copy,
        # since the vote statement checks again in the database that it is published and open.
        conversation, recent = selectors.conversation_get_open_recent(slug=slug)
        ratelimit.check(request._request, "vote", participant_key=ratelimit.participant_key_for(request._request, conversation))
        data = request.data if isinstance(request.data, dict) else {}
        if not conversation.is_open():
            raise ConversationClosed()
        vote_input = {
            "browser_token": ensure_browser_token(request._request),
            "statement_id": data.get("statement"),
            "choice": data.get("choice"),
        }
        try:
            receipt = services.vote_cast_by_browser(conversation=conversation, **vote_input)
        except ConversationClosed:
            if not recent:
                raise
            selectors.conversation_forget_recent(slug=slug)
            conversation = self.conversation(slug)  # closed, unpublished or gone since: as a fresh read says
            if not conversation.is_open():
                raise
            receipt = services.vote_cast_by_browser(conversation=conversation, **vote_input)
        vote = receipt.vote
        following, progress = selectors.statement_next_with_progress(
            conversation=conversation, participant=receipt.participant, receipt=receipt
        )
        return Response(
            {
                "vote": _vote_data(vote),
                "next": _statement_data(following) if following else None,
                "progress": {"answered": progress.answered, "total": progress.total},
            },
            status=status.HTTP_201_CREATED,
        )


class MyVotesAPI(ResidentAPIView):
    @extend_schema(responses=VoteSerializer(many=True))
    def get(self, request, slug):
        conversation = self.conversation(slug)
        participant = self.participant(conversation)
        return Response(VoteSerializer(selectors.participant_answers(participant=participant), many=True).data)


class StatementsAPI(ResidentAPIView):
    @extend_schema(
        request=StatementInputSerializer,
        responses={
            201: MyStatementSerializer,
            400: ErrorSerializer,
            403: ErrorSerializer,
            409: ErrorSerializer,
            429: RateLimitedSerializer,
        },
    )
    def post(self, request, slug):
        conversation = self.conversation(slug)
        ratelimit.check(
            request._request, "statement", participant_key=ratelimit.participant_key_for(request._request, conversation)
        )
        data = request.data if isinstance(request.data, dict) else {}
        text = data.get("text")
        if not isinstance(text, str):
            raise VoxitError(_("Write the statement before sending it."), code="empty")
        if not conversation.accepts_statements():
            raise SubmissionsClosed()
        participant = self.participant(conversation, create=True)
        statement = services.statement_submit(participant=participant, text=text)
        # Published statements like it, so a client can suggest voting on them (never others' pending ones).
        similar = selectors.statements_similar_published(conversation=conversation, text=statement.text)
        body = dict(MyStatementSerializer(statement).data)
        body["similar"] = [
            {**StatementSerializer(suggestion.statement).data, "score": suggestion.score} for suggestion in similar
        ]
        return Response(body, status=status.HTTP_201_CREATED)


class MyStatementsAPI(ResidentAPIView):
    @extend_schema(responses=StatementFateSerializer(many=True))
    def get(self, request, slug):
        from moderation.selectors import statement_fates

        conversation = self.conversation(slug)
        participant = self.participant(conversation)
        return Response(StatementFateSerializer(statement_fates(participant=participant), many=True).data)
