"""Project-level pages: health for operators, and error pages in the user's language."""

import logging
import sys
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib.auth.views import LoginView
from django.db import InterfaceError, OperationalError, connection
from django.http import HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from statements import ratelimit

logger = logging.getLogger(__name__)


_migrated = False


def _unapplied_migrations() -> int:
    """How many migrations the database lacks (0 once found complete: then not asked again)."""
    global _migrated
    if _migrated:
        return 0
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    missing = len(executor.migration_plan(executor.loader.graph.leaf_nodes()))
    _migrated = missing == 0
    return missing


@never_cache
@require_GET
def health(request):
    """200 when the database answers (and the broker, when one is configured); 503 otherwise.

    The answer is public (load balancers ask it unauthenticated), so it says which part failed,
    not how: the exception goes to the operator's log."""
    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        # A database that answers but was never migrated (or is behind this release) serves
        # nothing but errors: not healthy.
        missing = _unapplied_migrations()
        if missing:
            logger.warning("Health check: %d migrations are not applied (run manage.py migrate)", missing)
        checks["database"] = "not migrated" if missing else "ok"
    except Exception as error:  # noqa: BLE001 - any failure means unhealthy
        logger.warning("Health check: the database did not answer: %r", error)
        checks["database"] = "error"
    if settings.CELERY_ENABLED:
        try:
            import redis

            redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_timeout=2).ping()
            checks["broker"] = "ok"
        except Exception as error:  # noqa: BLE001
            logger.warning("Health check: the broker did not answer: %r", error)
            checks["broker"] = "error"
    else:
        checks["broker"] = "in-process"
    healthy = all(value in ("ok", "in-process") for value in checks.values())
    return JsonResponse({"status": "ok" if healthy else "error", "checks": checks}, status=200 if healthy else 503)


def _error(request, template, status):
    return render(request, template, status=status)


def bad_request(request, exception=None):
    return _error(request, "errors/400.html", 400)


def permission_denied(request, exception=None):
    return _error(request, "errors/403.html", 403)


def csrf_failure(request, reason=""):
    """A form refused by the CSRF check (CSRF_FAILURE_VIEW): the page had expired, or the browser
    did not send its cookie (cleared, blocked inside an embedding page). Said in the resident's
    language, with the way back; Django's own page is English and unstyled under our CSP."""
    from statements.ratelimit import wants_json

    message = _(
        "The form could not be sent: the page had expired or your browser did not send its "
        "cookie. Reload the page and try again."
    )
    if wants_json(request):
        return JsonResponse({"code": "csrf_failed", "detail": message}, status=403)
    back = None
    parts = request.path.split("/")
    if len(parts) > 3 and parts[1] == "c" and parts[2]:
        back = f"/c/{parts[2]}/"
    return render(request, "errors/csrf.html", {"message": message, "back": back}, status=403)


def page_not_found(request, exception=None):
    return _error(request, "errors/404.html", 404)


def server_error(request):
    # Django calls this inside its except block: a lost database connection (server restarted,
    # connection killed) is a temporary outage, answered 503 with a page that needs no database.
    error = sys.exc_info()[1]
    if isinstance(error, InterfaceError | OperationalError):
        return database_unavailable(request)
    return _error(request, "errors/500.html", 500)


def database_unavailable(request):
    if request.path.startswith("/api/") or "application/json" in request.headers.get("Accept", ""):
        detail = _("The service could not reach its database. Please try again in a moment.")
        response = JsonResponse({"code": "service_unavailable", "detail": detail}, status=503)
    else:
        language = getattr(request, "LANGUAGE_CODE", settings.LANGUAGE_CODE)
        with translation.override(language):
            html = render_to_string("errors/503.html", {"LANGUAGE_CODE": language})
        response = HttpResponse(html, status=503)
    response["Retry-After"] = "5"
    return response


def _signed_in_but_refused(user, target: str) -> bool:
    """Whether a logged-in user was sent here from a page their account may not open: the admin
    (staff only), moderation or reports. Pressing Back to the login page after logging in, with
    a page they may open, says nothing."""
    if not user.is_authenticated or not target.startswith("/"):
        return False
    from clustering.views import can_view_reports
    from moderation.permissions import user_can_moderate

    path = urlsplit(target).path
    if path.startswith("/admin/"):
        return not (user.is_active and user.is_staff)
    if path.startswith("/moderation/"):
        return not user_can_moderate(user)
    if path.startswith("/reports/"):
        return not can_view_reports(user)
    return False


class ThrottledLoginView(LoginView):
    """The moderators' and staff's login, with a temporary lockout after repeated failures."""

    def post(self, request, *args, **kwargs):
        username = request.POST.get("username", "")
        if ratelimit.login_locked_out(request, username):
            # For the operator: which account is being guessed at, and from where.
            logger.warning(
                "Login refused: too many failed attempts for %r from %s",
                username[:150],
                ratelimit.client_address(request),
            )
            context = {"message": ratelimit.login_lockout_message()}
            response = render(request, "errors/429.html", context, status=429)
            response["Retry-After"] = str(settings.LOGIN_LOCKOUT_MINUTES * 60)
            return response
        return super().post(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["not_allowed_there"] = _signed_in_but_refused(self.request.user, context.get("next") or "")
        return context

    def form_valid(self, form):
        ratelimit.login_succeeded(self.request, form.get_user().get_username())
        return super().form_valid(form)

    def form_invalid(self, form):
        ratelimit.login_failed(self.request, self.request.POST.get("username", ""))
        return super().form_invalid(form)


def admin_login(request):
    """The admin signs in through the throttled login page too."""
    target = request.GET.get("next") or reverse("admin:index")
    return HttpResponseRedirect(f"{reverse('login')}?{urlencode({'next': target})}")
