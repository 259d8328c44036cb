"""Residents' API, version 1. Same services and the same cookie participant as the HTML pages."""

import json

from django.contrib.auth.models import AnonymousUser
from django.http import Http404, HttpResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

from statements import ratelimit, selectors, services
from statements.errors import ConversationClosed, StatementNotVotable, SubmissionsClosed, VoxitError
from statements.models import statement_shown
from statements.participants import ensure_browser_token, participant_for
from statements.serializers import (
    ConversationSerializer,
    ErrorSerializer,
    MyStatementSerializer,
    NextStatementSerializer,
    StatementFateSerializer,
    StatementInputSerializer,
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


_csrf_check = _CsrfCheck(lambda req: None)


def _csrf_refused(request) -> bool:
    """Django's CSRF check on a plain Django request, for anonymous residents too."""
    if "CSRF_COOKIE" not in request.META:  # read by CsrfViewMiddleware already where it has run
        _csrf_check.process_request(request)
    return bool(_csrf_check.process_view(request, None, (), {}))


class CsrfForEveryone(BasePermission):
    """CSRF protection for anonymous residents too (DRF's session auth checks only logged-in users)."""

    message = "CSRF"

    def has_permission(self, request, view):
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return True
        if _csrf_refused(request._request):
            raise exceptions.PermissionDenied(_("The form has expired. Reload the page and try again."))
        return True


def _refusal(exc: VoxitError) -> tuple[int, dict, dict]:
    """Status, body and headers of a refusal, the same on the DRF and the direct vote path."""
    headers = {"Retry-After": str(exc.retry_after)} if getattr(exc, "retry_after", None) else {}
    return exc.status_code, {"code": exc.code, "detail": str(exc.message), **exc.extra}, headers


def _not_found() -> exceptions.NotFound:
    return exceptions.NotFound(_("Not found."))


def exception_handler(exc, context):
    if isinstance(exc, VoxitError):
        status_code, body, headers = _refusal(exc)
        return Response(body, status=status_code, headers=headers)
    if isinstance(exc, Http404):
        exc = _not_found()
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

    def initialize_request(self, request, *args, **kwargs):
        # DRF will set request.user to AnonymousUser (no authentication here); moderators and
        # staff signed in through the session stay exempt from rate limits all the same.
        request.voxit_session_user = getattr(request, "user", None)
        return super().initialize_request(request, *args, **kwargs)

    def conversation(self, slug):
        # Staff signed in may preview an unpublished conversation, as on the pages.
        user = getattr(self.request._request, "voxit_session_user", None)
        return selectors.conversation_get_visible(slug=slug, user=user)

    def participant(self, conversation):
        return participant_for(self.request._request, conversation)


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
            statement = None
            progress = selectors.participant_progress(conversation=conversation, participant=participant)
        return Response(
            {
                "statement": StatementSerializer(statement).data if statement else None,
                "progress": {"answered": progress.answered, "total": progress.total},
            }
        )


# The vote answer by hand, field for field what VoteSerializer and StatementSerializer give (the
# schema still names them): building a ModelSerializer's fields costs more than the vote itself,
# and so do the model instances they would read.


def _statement_data(values) -> dict:
    """A statement from its row (id, conversation_id, text, text_fi, text_sv, text_en, ...)."""
    text, language = statement_shown(*values[2:6])
    return {"id": values[0], "text": text, "lang": language}


def _datetime_data(value) -> str:
    # DRF's DateTimeField in ISO 8601: in the default time zone (Voxit activates no other), and
    # "Z" for UTC. DRF looks up the current time zone through two context-local reads per call.
    text = value.astimezone(timezone.get_default_timezone()).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _vote_data(receipt) -> dict:
    return {
        "statement": _statement_data(receipt.statement_values),
        "choice": receipt.choice,
        "choice_name": {1: "agree", -1: "disagree", 0: "pass"}[receipt.choice],
        "updated_at": _datetime_data(receipt.updated_at),
    }


def _vote(request, slug: str, data) -> dict:
    """Cast the resident's vote from a parsed request body; the 201 answer's body. Raises the
    refusals (``VoxitError``, ``Http404``) for the caller to answer."""
    # The busiest endpoint: an open conversation may come from the process's recent copy,
    # since the vote statement checks again in the database that it is published and open.
    conversation, recent = selectors.conversation_get_open_recent(slug=slug)
    ratelimit.check(request, "vote", participant_key=ratelimit.participant_key_for(request, conversation))
    data = data if isinstance(data, dict) else {}
    if not conversation.is_open():
        raise ConversationClosed()
    token = ensure_browser_token(request)
    vote_input = {"browser_token": token, "statement_id": data.get("statement"), "choice": data.get("choice")}
    try:
        receipt = services.vote_cast_by_browser(
            conversation=conversation, known=selectors.answers_known(conversation=conversation, browser_token=token),
            **vote_input,
        )
    except (ConversationClosed, StatementNotVotable):
        # The remembered copy may be of a conversation since closed, or deleted and made again
        # under the same address (another id: its statements are not the remembered one's).
        if not recent:
            raise
        selectors.conversation_forget_recent(slug=slug)
        conversation = selectors.conversation_get_visible(slug=slug)  # closed or gone since?
        if not conversation.is_open():
            raise
        receipt = services.vote_cast_by_browser(conversation=conversation, **vote_input)
    selectors.answers_remember(conversation=conversation, browser_token=token, receipt=receipt)
    following, progress = selectors.statement_next_values_with_progress(
        conversation=conversation, participant=None, receipt=receipt
    )
    return {
        "vote": _vote_data(receipt),
        "next": _statement_data(following) if following else None,
        "progress": {"answered": progress.answered, "total": progress.total},
    }


def _reject_constant(name):
    raise ValueError(name)


def _direct_vote_body(request):
    """The parsed body when the direct vote path can answer this request exactly as DRF would,
    else None: a JSON object in UTF-8 sent as application/json, asking for JSON (or anything),
    with a valid CSRF token. Everything else - other media types, bad JSON, a refused CSRF
    check - goes through DRF, which answers it (nothing has been done yet)."""
    if request.content_type != "application/json":
        return None
    charset = request.content_params.get("charset")
    if charset and charset.lower().replace("_", "-") not in ("utf-8", "utf8"):
        return None
    if request.META.get("HTTP_ACCEPT", "*/*").strip() not in ("*/*", "application/json", ""):
        return None
    try:
        # As DRF's JSONParser with STRICT_JSON: UTF-8, no NaN or Infinity.
        data = json.loads(request.body.decode("utf-8"), parse_constant=_reject_constant)
    except (ValueError, RecursionError):  # RecursionError: nested thousands deep
        return None
    if not isinstance(data, dict):
        return None
    if _csrf_refused(request):
        return None
    return data


def _json_response(status_code: int, body: dict, headers: dict) -> HttpResponse:
    # DRF's JSONRenderer output: compact, UTF-8, no ASCII escaping; DRF's headers for this view.
    content = json.dumps(body, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    response = HttpResponse(content.encode(), status=status_code, content_type="application/json")
    for name, value in headers.items():
        response[name] = value
    return response


class VotesAPI(ResidentAPIView):
    """POST a vote. The common case - a JSON vote with a valid CSRF token - is answered without
    DRF's request wrapping, negotiation and rendering (a measured fifth of the vote's CPU in the
    web process), with the same body, status and headers; every other request goes through DRF."""

    def dispatch(self, request, *args, **kwargs):
        data = _direct_vote_body(request) if request.method == "POST" else None
        if data is None:
            return super().dispatch(request, *args, **kwargs)
        self.args, self.kwargs, self.request = args, kwargs, request
        request.voxit_session_user = getattr(request, "user", None)
        request.user = AnonymousUser()  # as DRF sets it for this API, which has no authentication
        headers = {"Allow": ", ".join(self.allowed_methods)}
        try:
            body = _vote(request, kwargs["slug"], data)
        except VoxitError as error:
            status_code, body, extra = _refusal(error)
            return _json_response(status_code, body, {**headers, **extra})
        except Http404:
            detail = _not_found().detail
            return _json_response(404, {"code": detail.code, "detail": str(detail)}, headers)
        return _json_response(status.HTTP_201_CREATED, body, headers)

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
        return Response(_vote(request._request, slug, request.data), status=status.HTTP_201_CREATED)


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
        try:
            if not isinstance(text, str):
                raise VoxitError(_("Write the statement before sending it."), code="empty")
            if not conversation.accepts_statements():
                raise SubmissionsClosed()
            statement = services.statement_submit_by_browser(
                conversation=conversation, browser_token=ensure_browser_token(request._request), text=text
            )
        except VoxitError:
            ratelimit.refund_refused(request._request)  # refused, nothing stored: not one of their hour's
            raise
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
