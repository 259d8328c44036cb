"""Recognising an anonymous resident's browser by a signed, HttpOnly cookie."""

import secrets
import threading
from collections import OrderedDict

from django.conf import settings
from django.core import signing

from statements.models import Conversation, Participant
from statements.services import browser_key

_SALT = "voxit.participant"


# Cookies whose signature this process has checked, and the token each holds: a resident sends
# the same cookie with every vote, and checking its HMAC again cost as much as a tenth of the
# vote's CPU in the web process. Keyed by the whole signed value, so only an identical cookie
# is trusted; a new SECRET_KEY means a new process, and so an empty cache.
_verified: OrderedDict[str, str] = OrderedDict()
_verified_lock = threading.Lock()
_VERIFIED_KEPT = 20_000


def browser_token_from(request) -> str | None:
    token = getattr(request, "_voxit_browser_token", None)
    if token:
        return token
    signed = request.COOKIES.get(settings.PARTICIPANT_COOKIE_NAME)
    if not signed:
        return None
    token = _verified.get(signed)
    if token is not None:
        return token
    try:
        token = request.get_signed_cookie(settings.PARTICIPANT_COOKIE_NAME, default=None, salt=_SALT)
    except signing.BadSignature:
        return None
    if token:
        with _verified_lock:
            _verified[signed] = token
            while len(_verified) > _VERIFIED_KEPT:
                _verified.popitem(last=False)
    return token


def ensure_browser_token(request) -> str:
    """The browser's token; a new one is made (and set on the response by the middleware)."""
    token = browser_token_from(request)
    if not token:
        token = secrets.token_urlsafe(24)
        request._voxit_new_browser_token = token
    request._voxit_browser_token = token
    return token


def participant_for(request, conversation: Conversation) -> Participant | None:
    """This browser's participant in the conversation, if it has one (contributing creates it:
    see ``services.vote_cast_by_browser`` and ``services.statement_submit_by_browser``)."""
    token = browser_token_from(request)
    if not token or token == getattr(request, "_voxit_new_browser_token", None):
        return None  # no cookie, or one made for this very request: nothing contributed yet
    participant = Participant.objects.filter(conversation=conversation, browser_key=browser_key(token)).first()
    if participant is not None:
        participant.conversation = conversation  # already loaded: spare the services a query
    return participant


class ParticipantCookieMiddleware:
    """Sets the participant cookie on the response when the request made a new browser token."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        token = getattr(request, "_voxit_new_browser_token", None)
        if token:
            response.set_signed_cookie(
                settings.PARTICIPANT_COOKIE_NAME,
                token,
                salt=_SALT,
                max_age=settings.PARTICIPANT_COOKIE_AGE,
                httponly=True,
                samesite=settings.PARTICIPANT_COOKIE_SAMESITE,
                secure=settings.PARTICIPANT_COOKIE_SECURE,
            )
        return response
