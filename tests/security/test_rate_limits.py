"""Rate limits per participant and per address on voting and submission; login throttling."""

import pytest
from django.test import override_settings
from django.utils import translation

from statements.models import Statement, Vote
from tests.conftest import make_seed
from tests.security.conftest import PASSWORD, api, browser, logged_in, make_user, post_json

pytestmark = pytest.mark.django_db


def vote(client, conversation, statement, **extra):
    return post_json(
        client, api("votes", conversation), {"statement": statement.pk, "choice": "agree"}, **extra
    )


@override_settings(RATE_LIMIT_VOTES_PER_MINUTE=3, RATE_LIMIT_IP_VOTES_PER_MINUTE=0)
def test_a_participant_past_the_vote_limit_gets_a_429_with_a_message_and_the_vote_is_not_stored(
    conversation,
):
    statements = [make_seed(conversation, f"Statement {i}") for i in range(5)]
    resident = browser()
    assert [vote(resident, conversation, s).status_code for s in statements[:3]] == [201, 201, 201]
    refused = vote(resident, conversation, statements[3])
    assert refused.status_code == 429
    assert refused.json()["code"] == "rate_limited"
    assert refused.json()["detail"]
    assert int(refused["Retry-After"]) > 0
    assert Vote.objects.count() == 3
    # Another resident is not affected by the first one's limit.
    assert vote(browser(), conversation, statements[3]).status_code == 201


@override_settings(RATE_LIMIT_VOTES_PER_MINUTE=0, RATE_LIMIT_IP_VOTES_PER_MINUTE=2)
def test_the_address_limit_counts_every_browser_from_that_address(conversation):
    statement = make_seed(conversation)
    assert vote(browser(), conversation, statement).status_code == 201
    assert vote(browser(), conversation, statement).status_code == 201
    assert vote(browser(), conversation, statement).status_code == 429
    assert vote(browser(REMOTE_ADDR="10.1.2.3"), conversation, statement).status_code == 201


@override_settings(RATE_LIMIT_VOTES_PER_MINUTE=1, RATE_LIMIT_IP_VOTES_PER_MINUTE=0)
def test_the_html_vote_form_answers_429_with_a_page_in_the_residents_language(conversation):
    statements = [make_seed(conversation, f"Statement {i}") for i in range(2)]
    resident = browser()
    url = f"/c/{conversation.slug}/vote/"
    assert resident.post(url, {"statement": statements[0].pk, "choice": "agree"}).status_code == 302
    page = resident.post(url + "?lang=sv", {"statement": statements[1].pk, "choice": "agree"})
    assert page.status_code == 429
    assert page["Content-Language"] == "sv"
    with translation.override("sv"):
        from statements.ratelimit import RateLimited

        assert str(RateLimited().message) in page.content.decode()
    assert Vote.objects.count() == 1


@override_settings(RATE_LIMIT_STATEMENTS_PER_HOUR=2, RATE_LIMIT_IP_STATEMENTS_PER_HOUR=0)
def test_submission_limit_per_participant_in_api_and_form(conversation):
    resident = browser()
    for number in range(2):
        assert (
            post_json(
                resident, api("statements", conversation), {"text": f"My idea number {number}"}
            ).status_code
            == 201
        )
    assert (
        post_json(resident, api("statements", conversation), {"text": "A third idea"}).status_code
        == 429
    )
    page = resident.post(f"/c/{conversation.slug}/statements/new/", {"text": "A fourth idea"})
    assert page.status_code == 429
    assert Statement.objects.pending().count() == 2


@override_settings(RATE_LIMIT_VOTES_PER_MINUTE=1, RATE_LIMIT_IP_VOTES_PER_MINUTE=1)
def test_moderators_and_staff_are_not_limited(conversation):
    statements = [make_seed(conversation, f"Statement {i}") for i in range(3)]
    for user in (make_user("mod", moderator=True), make_user("staff", staff=True)):
        client = logged_in(user)
        for statement in statements:
            assert (
                client.post(
                    f"/c/{conversation.slug}/vote/", {"statement": statement.pk, "choice": "pass"}
                ).status_code
                == 302
            )
    assert Vote.objects.count() == 6


@override_settings(RATE_LIMIT_VOTES_PER_MINUTE=1, RATE_LIMIT_IP_VOTES_PER_MINUTE=1)
def test_moderators_and_staff_are_not_limited_in_the_api_either(conversation):
    statements = [make_seed(conversation, f"Statement {i}") for i in range(3)]
    for user in (make_user("mod", moderator=True), make_user("staff", staff=True)):
        client = logged_in(user)
        for statement in statements:
            assert vote(client, conversation, statement).status_code == 201  # the direct path
            assert vote(client, conversation, statement, HTTP_ACCEPT="application/json, */*;q=0.1").status_code == 201
    assert Vote.objects.count() == 6
    # A resident from the same address is limited as before.
    refused = [vote(browser(), conversation, s).status_code for s in statements[:2]]
    assert 429 in refused


@override_settings(
    RATE_LIMIT_VOTES_PER_MINUTE=1,
    CACHES={
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:9/0",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    },
)
def test_limits_fail_open_when_the_cache_is_down(conversation):
    statements = [make_seed(conversation, f"Statement {i}") for i in range(3)]
    resident = browser()
    assert [vote(resident, conversation, s).status_code for s in statements] == [201, 201, 201]


@override_settings(RATE_LIMIT_VOTES_PER_MINUTE=1, REDIS_URL="redis://127.0.0.1:9/0")
def test_limits_fail_open_when_redis_is_down(conversation):
    statements = [make_seed(conversation, f"Statement {i}") for i in range(3)]
    resident = browser()
    assert [vote(resident, conversation, s).status_code for s in statements] == [201, 201, 201]


@override_settings(LOGIN_FAILURES_LIMIT=3, LOGIN_LOCKOUT_MINUTES=15)
def test_repeated_failed_logins_lock_the_account_out_for_that_address(db):
    make_user("moderator1", moderator=True)
    client = browser()
    for _attempt in range(3):
        assert (
            client.post(
                "/accounts/login/", {"username": "moderator1", "password": "wrong"}
            ).status_code
            == 200
        )
    locked = client.post(
        "/accounts/login/?lang=en", {"username": "moderator1", "password": PASSWORD}
    )
    assert locked.status_code == 429
    assert "Too many failed login attempts" in locked.content.decode()
    assert "_auth_user_id" not in client.session
    # The same account from another address, and other accounts, still sign in.
    assert (
        browser(REMOTE_ADDR="10.9.9.9")
        .post("/accounts/login/", {"username": "moderator1", "password": PASSWORD})
        .status_code
        == 302
    )
    make_user("staff1", staff=True)
    assert (
        client.post("/accounts/login/", {"username": "staff1", "password": PASSWORD}).status_code
        == 302
    )


def test_admin_login_goes_through_the_throttled_login(client, db):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


@pytest.fixture
def shared_redis():
    """The test Redis as the rate-limit store, emptied before and after (needs TEST_REDIS_URL)."""
    import os

    from statements import ratelimit
    from tests.conftest import require

    url = os.environ.get("TEST_REDIS_URL", "")
    require(bool(url), "needs Redis: set TEST_REDIS_URL=redis://127.0.0.1:6379/15")
    with override_settings(REDIS_URL=url):
        ratelimit._redis().flushdb()
        try:
            yield ratelimit._redis()
        finally:
            ratelimit._redis().flushdb()


@override_settings(RATE_LIMIT_VOTES_PER_MINUTE=2, RATE_LIMIT_IP_VOTES_PER_MINUTE=0)
def test_limits_are_shared_through_redis(conversation, shared_redis):
    statements = [make_seed(conversation, f"Statement {i}") for i in range(3)]
    resident = browser()
    assert [vote(resident, conversation, s).status_code for s in statements] == [201, 201, 429]


@override_settings(RATE_LIMIT_VOTES_PER_MINUTE=0, RATE_LIMIT_IP_VOTES_PER_MINUTE=4)
def test_vote_counts_of_one_process_reach_the_others_through_redis(conversation, shared_redis, monkeypatch):
    from statements import ratelimit

    # The background thread's batch is made here, by hand: on a slow machine it could otherwise
    # land between the votes and the look at Redis.
    sync = ratelimit._SharedCounts.sync
    monkeypatch.setattr(ratelimit._SharedCounts, "sync", lambda self: None)
    statements = [make_seed(conversation, f"Statement {i}") for i in range(6)]
    # This process: the first vote is counted in Redis at once, the next two here.
    assert [vote(browser(), conversation, s).status_code for s in statements[:3]] == [201] * 3
    redis_keys = shared_redis.keys("voxit:rl:vote:ip:*")
    assert len(redis_keys) == 1 and int(shared_redis.get(redis_keys[0])) == 1
    sync(ratelimit._shared_counts)  # what the background thread does every 0.2 s
    assert int(shared_redis.get(redis_keys[0])) == 3
    # Another process (a fresh view of the counters) starts from the shared total.
    ratelimit.local_counts_reset()
    assert vote(browser(), conversation, statements[3]).status_code == 201
    assert vote(browser(), conversation, statements[4]).status_code == 429
    assert Vote.objects.count() == 4


@override_settings(RATE_LIMIT_VOTES_PER_MINUTE=100, RATE_LIMIT_IP_VOTES_PER_MINUTE=0)
def test_vote_counts_are_synced_in_the_background(conversation, shared_redis):
    import time

    statements = [make_seed(conversation, f"Statement {i}") for i in range(3)]
    resident = browser()
    assert [vote(resident, conversation, s).status_code for s in statements] == [201] * 3
    deadline = time.monotonic() + 5
    total = 0
    while time.monotonic() < deadline and total < 3:
        time.sleep(0.05)
        total = sum(int(shared_redis.get(key)) for key in shared_redis.keys("voxit:rl:vote:p:*"))
    assert total == 3
