"""Settings come from the environment; a missing secret or malformed value stops the start."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROBE = (
    "import django; django.setup(); from django.conf import settings as s; "
    "d = s.DATABASES['default']; print(d['ENGINE'], d['NAME'], d.get('HOST', ''), s.DEBUG, sep='|')"
)


def start(**env):
    clean = {
        k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG", "DATABASE_URL"}
    }
    clean.update({"DJANGO_SETTINGS_MODULE": "voxit.settings", **env})
    return subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_missing_secret_key_outside_debug_refuses_to_start():
    result = start()
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_debug_runs_without_a_secret_key_on_sqlite():
    result = start(DEBUG="true")
    assert result.returncode == 0, result.stderr
    engine, name, _host, debug = result.stdout.strip().split("|")
    assert engine == "django.db.backends.sqlite3"
    assert debug == "True"


def test_database_url_switches_to_postgresql():
    result = start(SECRET_KEY="k", DATABASE_URL="postgres://voxit:pw@db.example:5432/voxit_prod")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().split("|")[:3] == [
        "voxit.postgresql",
        "voxit_prod",
        "db.example",
    ]


def test_malformed_number_fails_loudly():
    result = start(SECRET_KEY="k", DATABASE_CONN_MAX_AGE="sixty")
    assert result.returncode != 0
    assert "sixty" in result.stderr
