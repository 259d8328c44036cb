"""Content-Security-Policy and framing rules.

Django 5.2 has no CSP support of its own. Voxit serves no inline script or style, so a strict
policy costs nothing on our pages. The admin needs inline styles and its own scripts; it gets a
policy that allows inline styles only. Every page forbids framing (frame-ancestors 'none' and
X-Frame-Options DENY) except the conversation pages (/c/...), which EMBED_HOSTS may frame: there
X-Frame-Options (which cannot name hosts) gives way to CSP frame-ancestors listing those hosts.
Browsers that know frame-ancestors ignore X-Frame-Options, so the hosts must not be listed in the
policy of any other page (login, moderation, reports, admin).
"""

from django.conf import settings


def _policy(overrides: dict[str, str] | None = None) -> str:
    directives = {**settings.CONTENT_SECURITY_POLICY, **(overrides or {})}
    return "; ".join(f"{name} {value}" for name, value in directives.items())


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.strict = _policy()
        self.admin = _policy({"style-src": "'self' 'unsafe-inline'"})
        self.embeddable = bool(settings.EMBED_HOSTS)
        self.conversation = (
            _policy({"frame-ancestors": " ".join(settings.EMBED_HOSTS)}) if self.embeddable else self.strict
        )

    def __call__(self, request):
        response = self.get_response(request)
        if request.path.startswith("/admin/"):
            response.headers.setdefault("Content-Security-Policy", self.admin)
        elif self.embeddable and request.path.startswith("/c/"):
            response.headers.setdefault("Content-Security-Policy", self.conversation)
            # X-Frame-Options cannot name hosts; CSP frame-ancestors lists EMBED_HOSTS.
            del response.headers["X-Frame-Options"]
        else:
            response.headers.setdefault("Content-Security-Policy", self.strict)
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        return response
