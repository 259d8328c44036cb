"""What an operator gets from a wrong setting: Voxit refuses to start and names the variable
(never a traceback that does not, never a secret repeated, never a silent 'false')."""

import logging
import sys

import pytest

from tests.security.test_production_settings import run_production


@pytest.mark.parametrize(
    ("variable", "value", "said"),
    [
        ("HTTPS", "ture", "HTTPS='ture' is not a yes/no value"),
        ("DEBUG", "maybe", "DEBUG='maybe' is not a yes/no value"),
        ("HSTS_SECONDS", "abc", "HSTS_SECONDS='abc' is not a number"),
        ("RATE_LIMIT_VOTES_PER_MINUTE", "lots", "RATE_LIMIT_VOTES_PER_MINUTE='lots' is not a number"),
        ("PARTICIPANT_LINK_RETENTION_DAYS", "-5", "cannot be negative"),
        ("LOG_LEVEL", "verbose", "LOG_LEVEL='verbose'"),
        ("REDIS_URL", "127.0.0.1:6379/7", "REDIS_URL is not a Redis URL"),
        ("DATABASE_URL", "garbage", "DATABASE_URL is not a database URL"),
    ],
)
def test_a_malformed_setting_stops_voxit_with_its_name(variable, value, said):
    result = _run(variable, value)
    assert result.returncode != 0
    assert said in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("django.core.exceptions.ImproperlyConfigured")


def _run(variable, value):
    from tests.security import test_production_settings as production

    saved = dict(production.PRODUCTION)
    production.PRODUCTION[variable] = value
    try:
        return run_production("manage.py", "check")
    finally:
        production.PRODUCTION.clear()
        production.PRODUCTION.update(saved)


def test_a_database_password_is_not_repeated_in_the_error():
    result = _run("DATABASE_URL", "postgres://voxit:s3cr@t:w/rd@db:5432/voxit")
    assert result.returncode != 0
    assert "percent-encoded" in result.stderr
    assert "s3cr" not in result.stderr


def test_the_sweep_can_be_turned_off_without_flooding_the_broker():
    probe = (
        "import django; django.setup(); from django.conf import settings; "
        "print(sorted(settings.CELERY_BEAT_SCHEDULE))"
    )
    off = _run_code(probe, RECLUSTER_SWEEP_MINUTES="0")
    assert off.returncode == 0, off.stderr
    assert "recluster-sweep" not in off.stdout
    on = _run_code(probe)
    assert "recluster-sweep" in on.stdout


def _run_code(code, **variables):
    from tests.security import test_production_settings as production

    saved = dict(production.PRODUCTION)
    production.PRODUCTION.update(variables)
    try:
        return run_production("-c", code)
    finally:
        production.PRODUCTION.clear()
        production.PRODUCTION.update(saved)


def test_a_request_for_a_foreign_host_is_logged_in_one_line():
    from voxit.log import BriefFormatter

    try:
        raise ValueError("Invalid HTTP_HOST header: 'scanner.example'.")
    except ValueError:
        record = logging.LogRecord(
            "django.security.DisallowedHost", logging.ERROR, __file__, 1, "%s", ("Invalid HTTP_HOST",), sys.exc_info()
        )
    line = BriefFormatter("%(levelname)s %(name)s: %(message)s").format(record)
    assert line == "ERROR django.security.DisallowedHost: Invalid HTTP_HOST"
    assert "Traceback" not in line
