"""Production settings: `check --deploy` clean, security headers, cookie flags, embedding hosts."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import override_settings

from tests.security.conftest import browser

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DJANGO_SETTINGS_MODULE": "voxit.settings",
    "DEBUG": "false",
    "SECRET_KEY": "k3y-" + "production-grade-secret-0123456789-abcdefghijklmnopqrstuvwxyz",
    "ALLOWED_HOSTS": "voxit.example.fi",
    "CSRF_TRUSTED_ORIGINS": "https://voxit.example.fi",
    "HTTPS": "true",
    "EMBED_HOSTS": "https://www.hel.fi",
    "DATABASE_URL": "sqlite:////tmp/voxit-deploy-check.sqlite3",
}


def run_production(*args):
    # Not production: DJANGO_ALLOW_ASYNC_UNSAFE is set by the browser tests for their live server.
    dropped = ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "DJANGO_ALLOW_ASYNC_UNSAFE")
    env = {key: value for key, value in os.environ.items() if key not in dropped}
    env.update(PRODUCTION)
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_production_settings_pass_check_deploy_without_warnings():
    result = run_production("manage.py", "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


PROBE = """
import django, json
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from django.test import Client
from statements.models import Conversation
from django.utils import timezone
from datetime import timedelta
now = timezone.now()
Conversation.objects.get_or_create(slug="embed", defaults=dict(title_fi="t", question_fi="q",
    opens_at=now - timedelta(days=1), closes_at=now + timedelta(days=1), is_published=True))
client = Client(HTTP_HOST="voxit.example.fi", HTTP_X_FORWARDED_PROTO="https")
out = {}
def record(key, response):
    out[key] = {"status": response.status_code, "headers": dict(response.headers),
                "cookies": {name: dict(morsel.items()) for name, morsel in response.cookies.items()}}
for path in ("/c/embed/", "/c/embed/statements/new/", "/", "/accounts/login/", "/moderation/",
             "/reports/", "/admin/login/", "/c/embed/?lang=sv"):
    record(path, client.get(path))
record("setlang", client.post("/i18n/setlang/", {"language": "en", "next": "/c/embed/"}))
out["plain-http"] = Client(HTTP_HOST="voxit.example.fi").get("/").status_code
out["health-plain-http"] = Client(HTTP_HOST="voxit.example.fi").get("/health/").status_code
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def production_pages():
    import json

    result = run_production("-c", PROBE)
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_https_headers_behind_the_tls_proxy(production_pages):
    page = production_pages["/"]
    assert page["status"] == 200
    headers = page["headers"]
    assert headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert "includeSubDomains" in headers["Strict-Transport-Security"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["X-Frame-Options"] == "DENY"
    csp = headers["Content-Security-Policy"]
    for directive in (
        "default-src 'self'",
        "script-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
    ):
        assert directive in csp
    assert "unsafe-inline" not in csp
    assert production_pages["plain-http"] == 301  # plain HTTP is redirected to HTTPS
    assert production_pages["health-plain-http"] in (
        200,
        503,
    )  # the load balancer's probe is exempt


def frame_ancestors(headers):
    directives = dict(
        part.strip().split(" ", 1) for part in headers["Content-Security-Policy"].split(";")
    )
    return directives["frame-ancestors"]


def test_only_configured_hosts_may_embed_conversations(production_pages):
    for path in ("/c/embed/", "/c/embed/statements/new/"):
        conversation = production_pages[path]["headers"]
        assert "X-Frame-Options" not in conversation
        assert frame_ancestors(conversation) == "https://www.hel.fi"
    # Browsers that know CSP ignore X-Frame-Options when frame-ancestors is present, so the
    # embedding host must not be listed on any other page: login, moderation, reports, admin.
    for path in ("/", "/accounts/login/", "/moderation/", "/reports/", "/admin/login/"):
        other = production_pages[path]["headers"]
        assert other["X-Frame-Options"] == "DENY", path
        assert frame_ancestors(other) == "'none'", path


def test_cookies_are_secure_httponly_and_samesite_in_production(production_pages):
    cookies = {
        **production_pages["/c/embed/"]["cookies"],
        **production_pages["/accounts/login/"]["cookies"],
    }
    participant = cookies["voxit_participant"]
    # With embedding hosts (EMBED_HOSTS in PRODUCTION) a browser sends the residents' cookies inside
    # the city's iframe only when they are SameSite=None, which in turn must be Secure.
    assert participant["secure"] and participant["httponly"] and participant["samesite"] == "None"
    csrf = cookies["csrftoken"]
    assert csrf["secure"] and csrf["samesite"] == "None"
    # The language a resident picks inside the iframe (a ?lang= link or the language form) is
    # kept only if its SameSite=None cookie is also Secure.
    for key in ("/c/embed/?lang=sv", "setlang"):
        language = production_pages[key]["cookies"]["voxit_language"]
        assert language["secure"] and language["httponly"] and language["samesite"] == "None", key
    assert production_pages["setlang"]["status"] == 302


def test_without_embedding_hosts_resident_cookies_stay_samesite_lax():
    result = run_production(
        "-c",
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.PARTICIPANT_COOKIE_SAMESITE, s.CSRF_COOKIE_SAMESITE, s.SESSION_COOKIE_SAMESITE)",
    )
    assert result.returncode == 0, result.stderr[-2000:]
    embedded = result.stdout.split()[-3:]
    assert embedded == ["None", "None", "Lax"]  # staff sessions are never sent cross-site
    env_without = dict(PRODUCTION, EMBED_HOSTS="")
    plain = subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); from django.conf import settings as s; "
         "print(s.PARTICIPANT_COOKIE_SAMESITE, s.CSRF_COOKIE_SAMESITE)"],
        cwd=ROOT, env={**os.environ, **env_without}, capture_output=True, text=True, timeout=120,
    )
    assert plain.returncode == 0, plain.stderr[-2000:]
    assert plain.stdout.split()[-2:] == ["Lax", "Lax"]


@override_settings(PARTICIPANT_COOKIE_SECURE=False)
def test_participant_cookie_is_httponly_and_samesite_even_in_development(conversation):
    response = browser().get(f"/c/{conversation.slug}/")
    morsel = response.cookies["voxit_participant"]
    assert morsel["httponly"] and morsel["samesite"] == "Lax"
