"""Fuzz the residents' API from its own OpenAPI schema: no 5xx, and every answer matches the schema.

In-process through the WSGI app, bounded in examples and in time: MAX_EXAMPLES cases per operation
(``FUZZ_MAX_EXAMPLES``, 20) and FUZZ_SECONDS for the whole module (``FUZZ_SECONDS``, 180; on the
development machine it takes about 5 s): an operation reached after that is skipped, with the
reason in pytest's summary, rather than left to stretch CI. No per-case deadline (a shared CI machine
is slow). Path slugs point at a real open conversation with statements, and requests
carry a CSRF token, so generated bodies reach the services instead of stopping at 404 or 403.
"""

import os
import time

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import make_conversation, make_seed
from voxit.wsgi import application

MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", 20))
FUZZ_SECONDS = float(os.environ.get("FUZZ_SECONDS", 180))
STARTED: list[float] = []
CSRF = "fuzzfuzzfuzzfuzzfuzzfuzzfuzzfuzz"  # a well-formed 32-character CSRF secret
SLUG = "fuzz-conversation"
CASES = {"run": 0, "failed": 0}

schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)


@pytest.fixture
def fuzz_conversation(db):
    conversation = make_conversation(SLUG)
    for number in range(3):
        make_seed(conversation, f"Fuzzing statement {number}")
    return conversation


@pytest.fixture(autouse=True)
def keep_test_connection():
    """As Django's test client does: a request ending must not close the test's connection (which
    holds the test transaction). Schemathesis calls the WSGI app directly."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture(scope="module", autouse=True)
def report_figures():
    yield
    print(f"\nAPI fuzzing: {CASES['run']} cases, {CASES['failed']} failures")


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
    derandomize=True,
)
@pytest.mark.django_db
def test_api_answers_every_generated_request_without_server_error_and_as_documented(
    case, fuzz_conversation
):
    if not STARTED:
        STARTED.append(time.monotonic())
    if time.monotonic() - STARTED[0] > FUZZ_SECONDS:
        pytest.skip(f"API fuzzing's time budget ({FUZZ_SECONDS:g} s, FUZZ_SECONDS) is spent")
    if "slug" in (case.path_parameters or {}):
        case.path_parameters["slug"] = SLUG
    CASES["run"] += 1
    try:
        case.call_and_validate(
            headers={"Host": "localhost", "X-CSRFToken": CSRF},
            cookies={"csrftoken": CSRF},
            checks=[
                not_a_server_error,
                response_schema_conformance,
                status_code_conformance,
                content_type_conformance,
            ],
        )
    except Exception:
        CASES["failed"] += 1
        raise
