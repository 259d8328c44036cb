"""Content-Security-Policy and framing rules.

Django 5.2 has no CSP support of its own. Voxit serves no inline script or style, so a strict
policy costs nothing on our pages. The admin needs inline styles and its own scripts; it gets a
policy that allows inline styles only. Conversation pages may be framed by EMBED_HOSTS, and on
those X-Frame-Options (which cannot name hosts) gives way to CSP frame-ancestors.
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

    def __call__(self, request):
        response = self.get_response(request)
        if request.path.startswith("/admin/"):
            response.headers.setdefault("Content-Security-Policy", self.admin)
        else:
            response.headers.setdefault("Content-Security-Policy", self.strict)
        if self.embeddable and request.path.startswith("/c/"):
            # X-Frame-Options cannot name hosts; CSP frame-ancestors above lists EMBED_HOSTS.
            del response.headers["X-Frame-Options"]
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        return response
