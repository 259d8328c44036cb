"""Language selection: Finnish unless the resident chose otherwise, or their browser asks for Swedish.

A city's own pages link with ``?lang=sv`` or ``?lang=en``; the choice is remembered in a cookie.
Without either, a browser whose first language is Swedish (sv, sv-FI, sv-SE) gets Swedish, the
other national language; any other browser gets Finnish, the language the city publishes in
first. English is not taken from the browser: many Finnish-speaking residents run their browser
in English, and would be sent away from the Finnish they read the city's link in.
"""

from django.conf import settings
from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.messages.storage import default_storage
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.functional import SimpleLazyObject, empty

SUPPORTED = {code for code, _name in settings.LANGUAGES}


class LanguageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        chosen = request.GET.get("lang")
        language = chosen if chosen in SUPPORTED else None
        from_browser = False
        if language is None:
            cookie = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
            language = cookie if cookie in SUPPORTED else None
        if language is None:
            from_browser = True
            language = "sv" if _first_language(request) == "sv" and "sv" in SUPPORTED else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        if from_browser:
            patch_vary_headers(response, ("Accept-Language",))
        if chosen in SUPPORTED:
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                language,
                max_age=settings.LANGUAGE_COOKIE_AGE,
                samesite=settings.LANGUAGE_COOKIE_SAMESITE,
                secure=settings.LANGUAGE_COOKIE_SECURE,
                httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
            )
        translation.deactivate()
        return response


def _first_language(request) -> str:
    """The primary tag of the browser's most preferred language ("sv" for "sv-FI,fi;q=0.8")."""
    header = request.META.get("HTTP_ACCEPT_LANGUAGE", "")
    best, best_q = "", 0.0
    for part in header.split(",")[:20]:
        tag, _sep, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                continue
        if tag and tag != "*" and q > best_q:
            best, best_q = tag, q
    return best.split("-")[0].lower()


class LazyMessageMiddleware(MessageMiddleware):
    """Django's message middleware, with the message store made on first use.

    The stock middleware builds a cookie-and-session store for every request, the votes too,
    which never show a message; here only a request that adds or reads messages pays for it.
    """

    def process_request(self, request):
        request._messages = SimpleLazyObject(lambda: default_storage(request))

    def process_response(self, request, response):
        messages = getattr(request, "_messages", None)
        if isinstance(messages, SimpleLazyObject) and messages._wrapped is empty:
            return response
        return super().process_response(request, response)
