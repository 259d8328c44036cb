"""Rate limits on voting and submission, login throttling, and the request-body size guard.

Counters are fixed windows in Django's cache (Redis in production, so every gunicorn worker shares
them). A limit protects the service, not the count of votes: if the cache is down, requests pass
(fail open) rather than residents losing their answers to an error page.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import re
import threading
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.core.cache.backends.locmem import LocMemCache
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from statements.errors import VoxitError

logger = logging.getLogger(__name__)


class RateLimited(VoxitError):
    status_code = 429
    code = "rate_limited"
    default_message = gettext_lazy(
        "You are going faster than we can take in. Wait a moment and try again."
    )

    def __init__(self, message=None, *, retry_after: int = 60):
        self.retry_after = retry_after
        super().__init__(message, extra={"retry_after": retry_after})


@dataclass(frozen=True)
class Limit:
    setting: str
    window: int  # seconds

    @property
    def allowed(self) -> int:
        return int(getattr(settings, self.setting, 0) or 0)


LIMITS = {
    "vote": (Limit("RATE_LIMIT_VOTES_PER_MINUTE", 60), Limit("RATE_LIMIT_IP_VOTES_PER_MINUTE", 60)),
    "statement": (
        Limit("RATE_LIMIT_STATEMENTS_PER_HOUR", 3600),
        Limit("RATE_LIMIT_IP_STATEMENTS_PER_HOUR", 3600),
    ),
}


def client_address(request) -> str:
    """The client's address; behind TRUSTED_PROXY_COUNT proxies, the one the outermost proxy saw."""
    proxies = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    if proxies:
        forwarded = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR", "") or "unknown"


@functools.lru_cache(maxsize=16384)  # the same resident and address with every vote
def _digest(value: str) -> str:
    return hashlib.blake2s(value.encode(), digest_size=12).hexdigest()


_redis_clients: dict[str, object] = {}


def _redis():
    """One shared client per process: Django's cache builds a new client object for every call,
    which on the vote path costs more than the counting itself."""
    url = getattr(settings, "REDIS_URL", "")
    if not url:
        return None
    client = _redis_clients.get(url)
    if client is None:
        import redis

        client = _redis_clients[url] = redis.Redis.from_url(
            url, socket_connect_timeout=0.5, socket_timeout=0.5
        )
    return client


# Both counters of a check in one command: INCR each key, give a new key its expiry. One round
# trip and one small reply instead of a pipeline of four commands.
_COUNT_SCRIPT = """
local counts = {}
for index, key in ipairs(KEYS) do
    local count = redis.call('INCR', key)
    if count == 1 then
        redis.call('EXPIRE', key, ARGV[index])
    end
    counts[index] = count
end
return counts
"""
_count_scripts: dict[str, object] = {}  # per Redis URL, like the clients

# Takes back one count, only from a counter still there (a window that has ended is not revived).
_REFUND_SCRIPT = """
if redis.call('EXISTS', KEYS[1]) == 1 then
    return redis.call('DECR', KEYS[1])
end
return 0
"""
_refund_scripts: dict[str, object] = {}

# A batch of counts from one process: INCRBY each key by its count, give a new key its expiry.
_ADD_SCRIPT = """
local totals = {}
local n = #KEYS
for index, key in ipairs(KEYS) do
    local added = tonumber(ARGV[index])
    local total = redis.call('INCRBY', key, added)
    if total == added then
        redis.call('EXPIRE', key, ARGV[n + index])
    end
    totals[index] = total
end
return totals
"""


def _script(client, source: str, cache: dict):
    url = settings.REDIS_URL
    script = cache.get(url)
    if script is None:
        script = cache[url] = client.register_script(source)
    return script


def _window_key(key: str, window: int, now: float) -> tuple[str, float]:
    start = int(now // window) * window
    return f"voxit:rl:{key}:{start}", start + window


def _count_many(keys: list[tuple[str, int]], *, now: float | None = None) -> list[tuple[int, int]]:
    """Add one to each (key, window) counter; (count, seconds left in its window) for each."""
    now = time.time() if now is None else now
    windows = [_window_key(key, window, now) for key, window in keys]
    client = _redis()
    if client is None:
        return [_count(key, window, now) for key, window in keys]
    try:
        replies = _script(client, _COUNT_SCRIPT, _count_scripts)(
            keys=[name for name, _ends in windows], args=[window + 5 for _key, window in keys]
        )
    except Exception:  # noqa: BLE001 - the cache being down must not stop a resident
        logger.warning("Rate-limit store unavailable; letting the request through", exc_info=True)
        return [(0, 0)] * len(keys)
    return [(int(reply), max(int(ends - now), 1)) for reply, (_name, ends) in zip(replies, windows, strict=True)]


_add_scripts: dict[str, object] = {}
SYNC_SECONDS = 0.2


class _SharedCounts:
    """Vote counters of this process, added to Redis in the background every ``SYNC_SECONDS``.

    A vote is the busiest request, and a Redis round trip per vote cost a fifth of its CPU in
    the web process. So the first hit on a counter in a window is counted in Redis at once (its
    reply is the total of every process so far, so a limit already reached elsewhere holds
    from the first request); later hits are counted here, and a background thread adds them to
    Redis in one command per batch and brings back the totals. The count a request is judged
    by is the last known total plus what this process counted since. Other processes' hits
    reach it within a batch, so a limit may be passed by what other processes admitted in the
    last ``SYNC_SECONDS`` - a resident's keep-alive connection stays with one process anyway.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._pid = None
        # Redis key -> [window end, pending, in flight, last total from Redis, window seconds]
        self._entries: dict[str, list] = {}
        self._thread = None

    def reset(self) -> None:
        with self._lock:
            self._entries.clear()

    def count(self, keys: list[tuple[str, int]]) -> list[tuple[int, int]]:
        now = time.time()
        named = [(*_window_key(key, window, now), window) for key, window in keys]
        with self._lock:
            if self._pid != os.getpid():  # a new process (gunicorn forks): its own counts and thread
                self._pid, self._entries, self._thread = os.getpid(), {}, None
            entries = [self._entries.get(name) for name, _ends, _window in named]
            if all(entry is not None for entry in entries):
                for entry in entries:
                    entry[1] += 1
                return [
                    (entry[1] + entry[2] + entry[3], max(int(ends - now), 1))
                    for entry, (_name, ends, _window) in zip(entries, named, strict=True)
                ]
        # A counter new to this process in this window: counted in Redis now.
        counted = _count_many(keys, now=now)
        with self._lock:
            for (name, ends, window), (total, _left) in zip(named, counted, strict=True):
                if total <= 0:  # the store is down: let it through, uncounted, as before
                    continue
                entry = self._entries.get(name)
                if entry is None:
                    self._entries[name] = [ends, 0, 0, total, window]
                else:  # another thread of this process made it meanwhile: ours is in the total
                    entry[3] = max(entry[3], total)
            self._start_thread()
        return counted

    def _start_thread(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._run, name="voxit-ratelimit-sync", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while self._pid == os.getpid():
            time.sleep(SYNC_SECONDS)
            self.sync()

    def sync(self) -> None:
        """Add this process's pending counts to Redis and bring back the totals (one command)."""
        now = time.time()
        with self._lock:
            batch = [(name, entry[1], entry[4]) for name, entry in self._entries.items() if entry[1]]
            for name, pending, _window in batch:
                entry = self._entries[name]
                entry[1], entry[2] = 0, entry[2] + pending
            # A window that has ended is forgotten here, after its last counts joined the batch
            # (dropped with it, they never reached Redis: the test of this sync failed whenever a
            # minute ended between the votes and the sync).
            for name in [name for name, entry in self._entries.items() if entry[0] <= now]:
                del self._entries[name]
        if not batch:
            return
        client = _redis()
        try:
            totals = _script(client, _ADD_SCRIPT, _add_scripts)(
                keys=[name for name, _pending, _window in batch],
                args=[pending for _name, pending, _window in batch]
                + [window + 5 for _name, _pending, window in batch],
            )
        except Exception:  # noqa: BLE001 - kept here and tried again with the next batch
            logger.warning("Rate-limit store unavailable; counts kept in this process", exc_info=True)
            totals = None
        with self._lock:
            for index, (name, pending, _window) in enumerate(batch):
                entry = self._entries.get(name)
                if entry is None:
                    continue
                entry[2] -= pending
                if totals is None:
                    entry[1] += pending
                else:
                    entry[3] = max(entry[3], int(totals[index]))


_shared_counts = _SharedCounts()


def local_counts_reset() -> None:
    """Forget this process's counters (tests: each starts with a fresh process's view)."""
    _shared_counts.reset()
    _login_fallback.clear()


def _count(key: str, window: int, now: float) -> tuple[int, int]:
    start = int(now // window) * window
    key = f"rl:{key}:{start}"
    try:
        try:
            count = cache.incr(key)
        except ValueError:  # first hit in this window
            if cache.add(key, 1, timeout=window + 5):
                count = 1
            else:
                count = cache.incr(key)
    except Exception:  # noqa: BLE001 - the cache being down must not stop a resident
        logger.warning("Rate-limit cache unavailable; letting the request through", exc_info=True)
        return 0, 0
    return count, max(int(start + window - now), 1)


def is_exempt(user) -> bool:
    """Moderators and staff are never limited (they seed and moderate in bulk)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    from moderation.permissions import user_can_moderate

    return user.is_superuser or user_can_moderate(user)


def check(request, action: str, *, participant_key: str | None = None) -> None:
    """Count one ``action`` ("vote" or "statement"); raise RateLimited when a limit is passed.

    ``participant_key`` identifies the resident's browser in the conversation; the address limit
    applies to everyone.
    """
    per_participant, per_address = LIMITS[action]
    checks = [(per_address, f"{action}:ip:{_digest(client_address(request))}")]
    if participant_key:
        checks.insert(0, (per_participant, f"{action}:p:{_digest(participant_key)}"))
    checks = [(limit, key) for limit, key in checks if limit.allowed > 0]
    if not checks:
        return
    # The resident API treats everyone as anonymous (DRF replaces request.user); the signed-in
    # user, kept by the API before that, still decides who is exempt. Without a session cookie
    # no one is signed in, and the user is not looked up (most votes).
    if settings.SESSION_COOKIE_NAME in request.COOKIES:
        user = getattr(request, "voxit_session_user", None) or getattr(request, "user", None)
        if is_exempt(user):
            return
    keys = [(key, limit.window) for limit, key in checks]
    # Votes: counted in the process and shared through Redis in batches (see _SharedCounts).
    if action == "vote" and _redis() is not None:
        counts = _shared_counts.count(keys)
    else:
        now = time.time()
        counts = _count_many(keys, now=now)
        mine = [(key, limit.window) for limit, key in checks if limit is per_participant]
        if mine:  # what refund_refused takes back if the statement is refused (never the address's)
            request.voxit_counted = (*mine[0], now)
    for (limit, _key), (count, retry_after) in zip(checks, counts, strict=True):
        if count > limit.allowed:
            if action == "statement":  # an hour's limit: "wait a moment" would not be true
                if limit is per_participant:
                    message = _("You have sent as many statements as can be sent in an hour.")
                else:
                    message = _(
                        "So many statements have been sent from this network in the last hour "
                        "that more cannot be taken now."
                    )
                raise RateLimited(message, retry_after=retry_after)
            raise RateLimited(retry_after=retry_after)


def refund_refused(request) -> None:
    """Take back the resident's count of a statement that was refused and not stored (a
    duplicate, too long, unreadable): a resident told to reword should not lose a statement of
    their hour for it. The per-address count stays, so refused posts still count against a flood."""
    counted = getattr(request, "voxit_counted", None)
    if counted is None:
        return
    request.voxit_counted = None
    key, window, now = counted
    client = _redis()
    try:
        if client is not None:
            _script(client, _REFUND_SCRIPT, _refund_scripts)(keys=[_window_key(key, window, now)[0]])
        else:
            cache.decr(f"rl:{key}:{int(now // window) * window}")
    except ValueError:  # the window has ended since: nothing to take back
        pass
    except Exception:  # noqa: BLE001 - the cache being down must not stop a resident
        logger.warning("Rate-limit store unavailable; a refused statement stays counted", exc_info=True)


def participant_key_for(request, conversation) -> str | None:
    from statements.participants import ensure_browser_token

    # A first contribution makes the browser's token now; the participant is created with it.
    return f"{conversation.pk}:{ensure_browser_token(request)}"


def limited_response(request, error: RateLimited, *, as_json: bool):
    """The 429 answer: JSON for the API and scripts, the error page for browsers."""
    if as_json:
        response = JsonResponse(
            {"code": error.code, "detail": str(error.message), "retry_after": error.retry_after}
        )
        response.status_code = 429
    else:
        match = getattr(request, "resolver_match", None)
        text = request.POST.get("text", "") if request.method == "POST" else ""
        response = render(
            request,
            "errors/429.html",
            {
                "message": error.message,
                "retry_after": error.retry_after,
                "retry_minutes": -(-error.retry_after // 60),  # rounded up: never "0 minutes"
                "slug": match.kwargs.get("slug") if match else None,
                "text": text[:10_000],  # what the resident wrote, to keep: it was not sent
            },
            status=429,
        )
    response["Retry-After"] = str(error.retry_after)
    return response


def wants_json(request) -> bool:
    accept = request.headers.get("Accept", "")
    return (
        request.path.startswith("/api/")
        or ("application/json" in accept and "text/html" not in accept)
        or request.content_type == "application/json"
    )


_PREVIEW_SALT = "voxit.statement-preview"
_PREVIEW_MAX_AGE = 3600


def _preview_payload(request, conversation, text: str) -> list[str]:
    from statements.text import statement_text_key

    # A digest of the browser's key, not the key: the ticket is written into the page.
    return [_digest(participant_key_for(request, conversation)), statement_text_key(text)]


def statement_preview_ticket(request, conversation, text: str) -> str:
    """A signed ticket for the statement form's "similar statements" step.

    That step was a POST and counted as a submission; the resident's "Send anyway" with the same
    text and this ticket is the same submission, so it is not counted against their limit again
    (the per-address limit still counts every POST). Bound to the browser and the text, for an hour.
    """
    from django.core import signing

    return signing.dumps(_preview_payload(request, conversation, text), salt=_PREVIEW_SALT)


def statement_counted_by_preview(request, conversation) -> bool:
    from django.core import signing

    if request.POST.get("confirm") != "1":
        return False
    try:
        payload = signing.loads(
            request.POST.get("ticket", ""), salt=_PREVIEW_SALT, max_age=_PREVIEW_MAX_AGE
        )
    except signing.BadSignature:
        return False
    return payload == _preview_payload(request, conversation, request.POST.get("text", ""))


def statement_not_counted(request, conversation) -> bool:
    """A statement form post the resident's limit does not count: the "Send anyway" of a
    previewed text (counted at the preview), or an empty box (refused with "write the statement
    first" and nothing stored; twenty of those locked a resident out for the hour). The
    per-address limit still counts every post."""
    from statements.text import clean_statement_text

    return not clean_statement_text(request.POST.get("text", "")) or statement_counted_by_preview(
        request, conversation
    )


def rate_limited(action: str, *, counted_already=None, refund_on_400=False):
    """Decorator for the HTML views that take a vote or a statement (the API calls ``check``).

    ``counted_already(request, conversation)``: true when this POST continues one already counted
    for the participant (only the per-address limit counts it then). ``refund_on_400``: a POST the
    view refuses (400, nothing stored) is taken back from the participant's count.
    """

    def decorator(view):
        from functools import wraps

        @wraps(view)
        def wrapper(request, *args, slug=None, **kwargs):
            if request.method == "POST":
                from statements import selectors

                conversation = selectors.conversation_get_visible(slug=slug, user=request.user)
                key = participant_key_for(request, conversation)
                if counted_already is not None and counted_already(request, conversation):
                    key = None
                try:
                    check(request, action, participant_key=key)
                except RateLimited as error:
                    return limited_response(request, error, as_json=wants_json(request))
            response = view(request, *args, slug=slug, **kwargs)
            if refund_on_400 and request.method == "POST" and response.status_code == 400:
                refund_refused(request)
            return response

        return wrapper

    return decorator


# -- login throttling ----------------------------------------------------------------------------


def _login_keys(request, username: str) -> tuple[str, str]:
    address = client_address(request)
    return (
        f"login:u:{_digest((username or '').strip().casefold() + '|' + address)}",
        f"login:ip:{_digest(address)}",
    )


# While the shared cache (Redis) is down, failed logins are counted in the process instead: a
# lockout then takes up to (processes x limit) attempts, but it still comes.
_login_fallback = LocMemCache("voxit-login-fallback", {"MAX_ENTRIES": 100_000})


def _login_cache_call(method: str, *args, **kwargs):
    try:
        return getattr(cache, method)(*args, **kwargs)
    except Exception:  # noqa: BLE001 - the cache being down must not open the door
        logger.warning("Login-throttle cache unavailable; counting in this process", exc_info=True)
        return getattr(_login_fallback, method)(*args, **kwargs)


def login_locked_out(request, username: str) -> bool:
    limit = settings.LOGIN_FAILURES_LIMIT
    if limit <= 0:
        return False
    user_key, address_key = _login_keys(request, username)
    values = _login_cache_call("get_many", [user_key, address_key])
    if not values:  # the shared cache may have come back: what was counted meanwhile counts
        values = _login_fallback.get_many([user_key, address_key])
    return values.get(user_key, 0) >= limit or values.get(address_key, 0) >= limit * 10


def _login_count(key: str, timeout: int) -> None:
    try:
        if not cache.add(key, 1, timeout=timeout):
            cache.incr(key)
    except Exception:  # noqa: BLE001
        logger.warning("Login-throttle cache unavailable; counting in this process", exc_info=True)
        if not _login_fallback.add(key, 1, timeout=timeout):
            _login_fallback.incr(key)


def login_failed(request, username: str) -> None:
    timeout = settings.LOGIN_LOCKOUT_MINUTES * 60
    for key in _login_keys(request, username):
        _login_count(key, timeout)


def login_succeeded(request, username: str) -> None:
    key = _login_keys(request, username)[0]
    _login_fallback.delete(key)
    _login_cache_call("delete", key)


def login_lockout_message() -> str:
    return _("Too many failed login attempts. Try again in %(minutes)d minutes.") % {
        "minutes": settings.LOGIN_LOCKOUT_MINUTES
    }


# -- request size ------------------------------------------------------------------------------


class RequestBodyLimitMiddleware:
    """Refuse an oversized body (by its Content-Length) with a 413 before anything reads it.

    Django enforces DATA_UPLOAD_MAX_MEMORY_SIZE only when ``request.body`` or ``request.POST`` is
    read; DRF's parsers read the stream and would take a 10 MB JSON body whole. File uploads
    (multipart) to the admin, where staff upload seed statement files, are exempt here and checked
    by their forms; anywhere else a multipart body is held to the same limit (read whole, it would
    go to a temporary file before CSRF or anything else could refuse it).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        upload = request.content_type.startswith("multipart/") and request.path.startswith("/admin/")
        if limit and length > limit and not upload:
            message = _(
                "The request is too large. A statement is at most a few hundred characters."
            )
            if wants_json(request):
                response = JsonResponse({"code": "too_large", "detail": message}, status=413)
            else:
                # Back to the conversation the resident was in (the URL is not resolved yet here).
                found = re.match(r"^/c/([-a-zA-Z0-9_]+)/", request.path)
                context = {"message": message, "slug": found.group(1) if found else None}
                response = render(request, "errors/413.html", context, status=413)
            if not request.META.get("SERVER_SOFTWARE", "").startswith("WSGIServer/"):
                # gunicorn then closes the connection instead of reading the refused body to
                # its end. Django's development server (``make run``) reads it itself and, as
                # WSGI requires, refuses a hop-by-hop header from the application: a 500.
                response["Connection"] = "close"
            return response
        return self.get_response(request)
