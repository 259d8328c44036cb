"""Rate limits per participant and per address on voting and submission; login throttling."""

import re

import pytest
from django.test import override_settings

from statements.models import Statement, Vote
from tests.conftest import make_seed
from tests.security.conftest import PASSWORD, api, browser, logged_in, make_user, post_json

pytestmark = pytest.mark.django_db

# The 429 message and page title as the translators wrote them (voxit/locale/*/LC_MESSAGES/django.po):
# a missing translation shows another language (Finnish or the English source) and fails the tests.
SLOW_DOWN = {
    "fi": "Etenet nopeammin kuin ehdimme ottaa vastaan. Odota hetki ja yritä uudelleen.",
    "sv": "Du går fortare än vi hinner ta emot. Vänta en stund och försök igen.",
}
HOURS_STATEMENTS = {
    "fi": "Olet lähettänyt tunnin aikana niin monta väitettä kuin voi lähettää.",
    "sv": "Du har skickat så många påståenden som kan skickas på en timme.",
}
NETWORKS_STATEMENTS = {
    "fi": "Tästä verkosta on lähetetty tunnin aikana niin monta väitettä, ettei enempää voida nyt ottaa vastaan.",
}
TOO_MANY_REQUESTS = {"fi": "Liian monta pyyntöä", "sv": "För många begäranden"}
TRY_AGAIN_IN_MINUTES = {
    "fi": r"Voit yrittää uudelleen (\d+) minuutin kuluttua\.",
    "sv": r"Du kan försöka igen om (\d+) minuter?\.",
}


def vote(client, conversation, statement, **extra):
    return post_json(
        client, api("votes", conversation), {"statement": statement.pk, "choice": "agree"}, **extra
    )


def submit(client, conversation, text, **extra):
    return post_json(client, api("statements", conversation), {"text": text}, **extra)


def submit_form(client, conversation, text):
    # confirm=1: sent past the "similar statements" step, as after the resident's second click.
    return client.post(f"/c/{conversation.slug}/statements/new/", {"text": text, "confirm": "1"})


def choose_language(client, conversation, language):
    """The resident picks a language on the conversation page; the choice is kept in a cookie."""
    assert client.get(f"/c/{conversation.slug}/?lang={language}").status_code == 200


def stored_texts(conversation):
    return sorted(Statement.objects.filter(conversation=conversation).values_list("text", flat=True))


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


@pytest.mark.parametrize("language", ["sv", "fi"])
@override_settings(RATE_LIMIT_VOTES_PER_MINUTE=1, RATE_LIMIT_IP_VOTES_PER_MINUTE=0)
def test_the_html_vote_form_answers_429_with_a_page_in_the_residents_language(
    conversation, language
):
    statements = [make_seed(conversation, f"Statement {i}") for i in range(2)]
    resident = browser()
    url = f"/c/{conversation.slug}/vote/"
    assert resident.post(url, {"statement": statements[0].pk, "choice": "agree"}).status_code == 302
    page = resident.post(
        url + f"?lang={language}", {"statement": statements[1].pk, "choice": "agree"}
    )
    assert page.status_code == 429
    assert page["Content-Language"] == language
    html = page.content.decode()
    assert SLOW_DOWN[language] in html
    assert TOO_MANY_REQUESTS[language] in html
    assert int(page["Retry-After"]) > 0
    assert Vote.objects.count() == 1


@pytest.mark.parametrize("language", ["sv", "fi"])
@override_settings(RATE_LIMIT_VOTES_PER_MINUTE=1, RATE_LIMIT_IP_VOTES_PER_MINUTE=0)
def test_the_api_vote_answers_429_with_the_message_in_the_residents_language(
    conversation, language
):
    statements = [make_seed(conversation, f"Statement {i}") for i in range(2)]
    resident = browser()
    choose_language(resident, conversation, language)
    assert vote(resident, conversation, statements[0]).status_code == 201
    refused = vote(resident, conversation, statements[1])
    assert refused.status_code == 429
    assert refused.json()["code"] == "rate_limited"
    assert refused.json()["detail"] == SLOW_DOWN[language]
    assert Vote.objects.count() == 1


@pytest.mark.parametrize("language", ["sv", "fi"])
@override_settings(RATE_LIMIT_STATEMENTS_PER_HOUR=1, RATE_LIMIT_IP_STATEMENTS_PER_HOUR=0)
def test_the_statement_form_answers_429_with_a_page_in_the_residents_language(
    conversation, language
):
    resident = browser()
    choose_language(resident, conversation, language)
    assert submit_form(resident, conversation, "More benches in the park").status_code == 302
    page = submit_form(resident, conversation, "A library bus on Sundays")
    assert page.status_code == 429
    assert page["Content-Language"] == language
    html = page.content.decode()
    assert HOURS_STATEMENTS[language] in html
    assert TOO_MANY_REQUESTS[language] in html
    # How long to wait, the unsent text to copy, and the way back to the conversation.
    minutes = re.search(TRY_AGAIN_IN_MINUTES[language], html)
    assert minutes and int(minutes.group(1)) * 60 >= int(page["Retry-After"]) > (int(minutes.group(1)) - 1) * 60
    assert 'readonly>A library bus on Sundays</textarea>' in html
    assert f'href="/c/{conversation.slug}/"' in html
    # The statement API speaks the same language.
    refused = submit(resident, conversation, "Night buses to the islands")
    assert refused.status_code == 429
    assert refused.json()["detail"] == HOURS_STATEMENTS[language]
    assert stored_texts(conversation) == ["More benches in the park"]


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
    page = resident.post(f"/c/{conversation.slug}/statements/new/?lang=en", {"text": "A fourth idea"})
    assert page.status_code == 429
    # An hour's limit: the page says so, not "wait a moment".
    assert "as many statements as can be sent in an hour" in page.content.decode()
    assert "Wait a moment" not in page.content.decode()
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


@pytest.fixture(params=["cache", "redis"])
def counter_store(request):
    """Django's cache, or Redis as in production (the counters of every gunicorn worker)."""
    return request.getfixturevalue("shared_redis") if request.param == "redis" else None


@override_settings(RATE_LIMIT_STATEMENTS_PER_HOUR=0, RATE_LIMIT_IP_STATEMENTS_PER_HOUR=3)
def test_the_address_limit_on_submission_counts_every_browser_from_that_address(
    conversation, counter_store
):
    first = ["Longer opening hours for the pool", "A crossing by the school", "Trees on Main Street"]
    # Three residents behind one address (a library, a school network) - the API and the form.
    assert submit(browser(), conversation, first[0]).status_code == 201
    assert submit(browser(), conversation, first[1]).status_code == 201
    assert submit_form(browser(), conversation, first[2]).status_code == 302
    # A fourth and fifth resident there are refused, with the message (Finnish by default).
    refused = submit(browser(), conversation, "Cheaper tickets for students")
    assert refused.status_code == 429
    assert refused.json()["code"] == "rate_limited"
    assert refused.json()["detail"] == NETWORKS_STATEMENTS["fi"]
    assert int(refused["Retry-After"]) > 0
    page = submit_form(browser(), conversation, "A sauna by the sea")
    assert page.status_code == 429
    assert NETWORKS_STATEMENTS["fi"] in page.content.decode()
    # What the first three sent is kept, and nothing of the refused ones.
    assert stored_texts(conversation) == sorted(first)
    # A resident at another address is not affected.
    assert submit(browser(REMOTE_ADDR="10.1.2.3"), conversation, "A dog park").status_code == 201
    assert stored_texts(conversation) == sorted([*first, "A dog park"])


@override_settings(RATE_LIMIT_STATEMENTS_PER_HOUR=1, RATE_LIMIT_IP_STATEMENTS_PER_HOUR=1)
def test_moderators_and_staff_are_not_limited_on_submission(conversation):
    sent = []
    for user in (make_user("mod", moderator=True), make_user("staff", staff=True)):
        client = logged_in(user)
        for number in range(3):
            text = f"Seeded by {user.username} in the API, number {number}"
            assert submit(client, conversation, text).status_code == 201
            sent.append(text)
            text = f"Seeded by {user.username} in the form, number {number}"
            assert submit_form(client, conversation, text).status_code == 302
            sent.append(text)
    assert stored_texts(conversation) == sorted(sent)
    # A resident from the same address is limited as before, from the first statement past it.
    resident = browser()
    assert submit(resident, conversation, "A resident's first idea").status_code == 201
    assert submit(resident, conversation, "A resident's second idea").status_code == 429
    assert stored_texts(conversation) == sorted([*sent, "A resident's first idea"])


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


@override_settings(
    LOGIN_FAILURES_LIMIT=3,
    LOGIN_LOCKOUT_MINUTES=15,
    CACHES={
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:9/0",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    },
)
def test_failed_logins_still_lock_out_while_the_cache_is_down(db, caplog):
    """Password guessing does not get unlimited tries by waiting for Redis to fail."""
    make_user("moderator2", moderator=True)
    client = browser()
    for _attempt in range(3):
        response = client.post("/accounts/login/", {"username": "moderator2", "password": "wrong"})
        assert response.status_code == 200
    with caplog.at_level("WARNING", logger="voxit.views"):
        locked = client.post("/accounts/login/?lang=en", {"username": "moderator2", "password": PASSWORD})
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session
    # The operator's log names the account and the address.
    assert "too many failed attempts for 'moderator2' from 127.0.0.1" in caplog.text


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


def _ticket(page):
    import re

    found = re.search(r'name="ticket" value="([^"]+)"', page.content.decode())
    assert found, "the similar-statements step hands out no ticket"
    return found.group(1)


@override_settings(RATE_LIMIT_STATEMENTS_PER_HOUR=2, RATE_LIMIT_IP_STATEMENTS_PER_HOUR=0)
def test_the_similar_statements_step_and_send_anyway_count_as_one_submission(conversation):
    """Offered similar statements, a resident who sends anyway has made one submission, not two."""
    make_seed(conversation, "More benches in the central park")
    resident = browser()
    url = f"/c/{conversation.slug}/statements/new/"
    text = "More benches in the central park, please"
    offered = resident.post(url, {"text": text})
    assert offered.status_code == 200 and "similar-statements" in offered.content.decode()
    sent = resident.post(url, {"text": text, "confirm": "1", "ticket": _ticket(offered)})
    assert sent.status_code == 302
    # The second statement of the hour is still accepted; the third is over the limit.
    assert submit_form(resident, conversation, "A library bus on Sundays").status_code == 302
    assert submit_form(resident, conversation, "Night buses to the islands").status_code == 429
    assert stored_texts(conversation) == sorted(
        ["More benches in the central park", text, "A library bus on Sundays"]
    )


@override_settings(RATE_LIMIT_STATEMENTS_PER_HOUR=2, RATE_LIMIT_IP_STATEMENTS_PER_HOUR=0)
def test_a_ticket_counts_only_for_its_own_text_and_browser(conversation):
    make_seed(conversation, "More benches in the central park")
    resident, other = browser(), browser()
    url = f"/c/{conversation.slug}/statements/new/"
    offered = resident.post(url, {"text": "More benches in the central park, please"})
    ticket = _ticket(offered)
    # Another text with the ticket is a new submission: counted (1 preview + 1 = 2 of 2).
    changed = {"text": "A library bus on Sundays", "confirm": "1", "ticket": ticket}
    assert resident.post(url, changed).status_code == 302
    assert submit_form(resident, conversation, "Night buses to the islands").status_code == 429
    # Another browser's copy of the ticket, or a forged one, buys nothing either.
    assert submit_form(other, conversation, "Sauna by the sea").status_code == 302
    stolen = {"text": "More benches in the central park, please", "confirm": "1", "ticket": ticket}
    assert other.post(url, stolen).status_code == 302  # counted: its second of 2
    forged = {"text": "Cheaper tickets", "confirm": "1", "ticket": ticket[:-2] + "xx"}
    assert other.post(url, forged).status_code == 429


@override_settings(RATE_LIMIT_STATEMENTS_PER_HOUR=2, RATE_LIMIT_IP_STATEMENTS_PER_HOUR=0)
def test_empty_sends_do_not_use_up_the_residents_statement_limit(conversation):
    resident = browser()
    choose_language(resident, conversation, "en")
    for _ in range(5):  # each refused with "write the statement first"; nothing stored
        assert submit_form(resident, conversation, "   ").status_code == 400
    assert submit_form(resident, conversation, "More benches in the park").status_code == 302
    assert submit_form(resident, conversation, "A library bus on Sundays").status_code == 302
    assert submit_form(resident, conversation, "Night buses to the islands").status_code == 429
    assert stored_texts(conversation) == ["A library bus on Sundays", "More benches in the park"]


def _refused_statements_leave_the_hour_intact(conversation):
    make_seed(conversation, "More benches in the park")
    resident = browser()
    choose_language(resident, conversation, "en")
    for _ in range(4):  # the same wording as a published statement: refused, nothing stored
        refused = submit_form(resident, conversation, "More benches in the park")
        assert refused.status_code == 400 and "already" in refused.content.decode()
        assert submit(resident, conversation, "More benches in the park").status_code == 409
    assert submit_form(resident, conversation, "A library bus on Sundays").status_code == 302
    assert submit(resident, conversation, "Night buses to the islands").status_code == 201
    assert submit_form(resident, conversation, "Sauna by the sea").status_code == 429
    assert stored_texts(conversation) == [
        "A library bus on Sundays",
        "More benches in the park",
        "Night buses to the islands",
    ]


@override_settings(RATE_LIMIT_STATEMENTS_PER_HOUR=2, RATE_LIMIT_IP_STATEMENTS_PER_HOUR=0)
def test_refused_statements_do_not_use_up_the_residents_limit(conversation):
    """A resident told their statement exists already, on the form or through the API, still has
    their hour's statements (the in-process counter, as on the embedded default)."""
    _refused_statements_leave_the_hour_intact(conversation)


@override_settings(RATE_LIMIT_STATEMENTS_PER_HOUR=2, RATE_LIMIT_IP_STATEMENTS_PER_HOUR=0)
def test_refused_statements_do_not_use_up_the_limit_counted_in_redis(conversation, shared_redis):
    _refused_statements_leave_the_hour_intact(conversation)
    assert [int(shared_redis.get(k)) for k in shared_redis.keys("voxit:rl:statement:p:*")] == [3]


@override_settings(RATE_LIMIT_STATEMENTS_PER_HOUR=0, RATE_LIMIT_IP_STATEMENTS_PER_HOUR=3)
def test_refused_statements_still_count_against_the_address(conversation):
    make_seed(conversation, "More benches in the park")
    resident = browser()
    for _ in range(3):
        assert submit_form(resident, conversation, "More benches in the park").status_code == 400
    assert submit_form(resident, conversation, "A library bus on Sundays").status_code == 429


@override_settings(RATE_LIMIT_VOTES_PER_MINUTE=100, RATE_LIMIT_IP_VOTES_PER_MINUTE=0)
def test_counts_made_just_before_a_window_ends_still_reach_redis(conversation, shared_redis, monkeypatch):
    """Votes counted in the process in a window's last moments are added to Redis by the next
    sync, even when that sync comes after the window has ended."""
    from statements import ratelimit

    sync = ratelimit._SharedCounts.sync
    monkeypatch.setattr(ratelimit._SharedCounts, "sync", lambda self: None)  # the batch made by hand
    statements = [make_seed(conversation, f"Statement {i}") for i in range(3)]
    resident = browser()
    assert [vote(resident, conversation, s).status_code for s in statements] == [201] * 3
    real_time = ratelimit.time.time
    monkeypatch.setattr(ratelimit.time, "time", lambda: real_time() + 61)  # the minute is over
    sync(ratelimit._shared_counts)
    keys = shared_redis.keys("voxit:rl:vote:p:*")
    assert sum(int(shared_redis.get(key)) for key in keys) == 3
