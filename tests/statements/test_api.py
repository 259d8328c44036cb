"""The residents' API: same services and cookie participant; bad input gets a 4xx and a message."""

import json
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from statements import services
from statements.models import Statement, Vote, VoteLog
from tests.conftest import make_conversation, make_participant, make_seed
from tests.statements.conftest import resident_client

pytestmark = pytest.mark.django_db


def api(name, conversation=None):
    kwargs = {"slug": conversation.slug} if conversation is not None else {}
    return reverse(f"api:{name}", kwargs=kwargs)


def post_json(client, path, body, **extra):
    return client.post(path, json.dumps(body), content_type="application/json", **extra)


def test_conversation_list_has_published_conversations_only(client, db):
    make_conversation("open-one")
    make_conversation("later", opens_delta=timedelta(days=2), closes_delta=timedelta(days=5))
    make_conversation("draft", is_published=False)
    response = client.get(api("conversations"))
    assert response.status_code == 200
    assert {item["slug"] for item in response.json()} == {"open-one", "later"}


def test_conversation_detail_in_the_requested_language(client, conversation):
    body = client.get(api("conversation", conversation) + "?lang=sv").json()
    assert (body["title"], body["question"], body["is_open"], body["accepts_statements"]) == (
        "Testdiskussion",
        "Vad tycker du?",
        True,
        True,
    )
    assert body["max_statement_length"] == 140
    assert body["url"] == reverse("statements:conversation", kwargs={"slug": conversation.slug})


def test_unknown_conversation_is_404_with_a_message(client, db):
    response = client.get("/api/v1/conversations/nope/")
    assert response.status_code == 404
    assert response.json()["detail"]


def test_next_statement_comes_with_progress(client, conversation, seeds):
    body = client.get(api("next", conversation)).json()
    assert body["statement"]["id"] in {s.pk for s in seeds}
    assert body["progress"] == {"answered": 0, "total": 5}


def test_casting_a_vote_returns_the_next_unanswered_statement_and_progress(
    client, conversation, seeds
):
    first = client.get(api("next", conversation)).json()["statement"]["id"]
    response = post_json(
        client, api("votes", conversation), {"statement": first, "choice": "agree"}
    )
    assert response.status_code == 201
    body = response.json()
    assert body["vote"]["statement"]["id"] == first
    assert (body["vote"]["choice"], body["vote"]["choice_name"]) == (1, "agree")
    assert body["next"]["id"] != first
    assert body["progress"] == {"answered": 1, "total": 5}


def test_last_vote_returns_no_next_statement(client, conversation):
    only = make_seed(conversation, "Only one")
    body = post_json(
        client, api("votes", conversation), {"statement": only.pk, "choice": -1}
    ).json()
    assert body["next"] is None
    assert body["progress"] == {"answered": 1, "total": 1}


def test_voting_again_replaces_the_answer_and_the_log_keeps_both(client, conversation, seeds):
    post_json(client, api("votes", conversation), {"statement": seeds[0].pk, "choice": "agree"})
    post_json(client, api("votes", conversation), {"statement": seeds[0].pk, "choice": "pass"})
    mine = client.get(api("my_votes", conversation)).json()
    assert [(vote["statement"]["id"], vote["choice_name"]) for vote in mine] == [
        (seeds[0].pk, "pass")
    ]
    assert VoteLog.objects.count() == 2


def test_api_and_html_share_the_browsers_participant(client, conversation, seeds):
    client.get(reverse("statements:conversation", kwargs={"slug": conversation.slug}))
    client.post(
        reverse("statements:vote", kwargs={"slug": conversation.slug}),
        {"statement": seeds[0].pk, "choice": "agree"},
    )
    post_json(client, api("votes", conversation), {"statement": seeds[1].pk, "choice": "disagree"})
    assert len(client.get(api("my_votes", conversation)).json()) == 2
    assert Vote.objects.values("participant").distinct().count() == 1


def test_form_encoded_vote_is_accepted_too(client, conversation, seeds):
    response = client.post(
        api("votes", conversation),
        f"statement={seeds[0].pk}&choice=agree",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 201


BAD_VOTES = [
    ("wrong choice", lambda s: {"statement": s.pk, "choice": "maybe"}, 400),
    ("choice out of range", lambda s: {"statement": s.pk, "choice": 2}, 400),
    ("choice true", lambda s: {"statement": s.pk, "choice": True}, 400),
    ("choice as object", lambda s: {"statement": s.pk, "choice": {"a": 1}}, 400),
    ("unknown statement", lambda s: {"statement": s.pk + 10_000, "choice": "agree"}, 404),
    ("huge id", lambda s: {"statement": 10**30, "choice": "agree"}, 404),
    ("huge id as text", lambda s: {"statement": "9" * 40, "choice": "agree"}, 404),
    ("negative id", lambda s: {"statement": -1, "choice": "agree"}, 404),
    ("fractional id", lambda s: {"statement": s.pk + 0.5, "choice": "agree"}, 404),
    ("id as list", lambda s: {"statement": [s.pk], "choice": "agree"}, 404),
    ("id as object", lambda s: {"statement": {"id": s.pk}, "choice": "agree"}, 404),
    ("missing statement", lambda s: {"choice": "agree"}, 404),
    ("missing choice", lambda s: {"statement": s.pk}, 400),
    ("empty object", lambda s: {}, 400),
]


@pytest.mark.parametrize("case,body,status", BAD_VOTES, ids=[case[0] for case in BAD_VOTES])
def test_bad_vote_is_refused_with_a_message_and_nothing_stored(
    client, conversation, seeds, case, body, status
):
    response = post_json(client, api("votes", conversation), body(seeds[0]))
    assert response.status_code == status
    assert response.json()["detail"]
    assert not Vote.objects.exists()


@pytest.mark.parametrize("body", [[1, 2], "agree", 5, None, True])
def test_json_body_that_is_not_an_object_is_a_400(client, conversation, seeds, body):
    response = post_json(client, api("votes", conversation), body)
    assert response.status_code == 400
    assert response.json()["detail"]
    response = post_json(client, api("statements", conversation), body)
    assert response.status_code == 400
    assert not Statement.objects.exclude(origin="seed").exists()


def test_malformed_json_is_a_400_with_a_message(client, conversation, seeds):
    response = client.post(
        api("votes", conversation) + "?lang=en", '{"statement": 1,', content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["detail"] == "The request body is not valid JSON."


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/xml", "multipart/form-data; boundary=x"]
)
def test_unsupported_content_type_is_a_415_with_a_message(
    client, conversation, seeds, content_type
):
    response = client.post(
        api("votes", conversation), "statement=1&choice=agree", content_type=content_type
    )
    assert response.status_code == 415
    assert "application/json" in response.json()["detail"]


def test_vote_on_pending_statement_is_404(client, participant):
    pending = services.statement_submit(participant=participant, text="Awaiting moderation")
    response = post_json(
        client, api("votes", participant.conversation), {"statement": pending.pk, "choice": "agree"}
    )
    assert response.status_code == 404


def test_vote_on_statement_from_another_conversation_is_404(client, conversation, seeds):
    foreign = make_seed(make_conversation(), "Elsewhere")
    response = post_json(
        client, api("votes", conversation), {"statement": foreign.pk, "choice": "agree"}
    )
    assert response.status_code == 404
    assert response.json()["code"] == "statement_not_found"


def test_vote_in_closed_conversation_is_refused(client, db):
    conversation = make_conversation(
        opens_delta=timedelta(days=-9), closes_delta=timedelta(days=-1)
    )
    statement = make_seed(conversation, "Closed")
    response = post_json(
        client, api("votes", conversation), {"statement": statement.pk, "choice": "agree"}
    )
    assert response.status_code == 403
    assert response.json()["code"] == "conversation_closed"
    assert not Vote.objects.exists()


def test_next_in_a_closed_conversation_has_no_statement(client, db):
    conversation = make_conversation(
        opens_delta=timedelta(days=-9), closes_delta=timedelta(days=-1)
    )
    make_seed(conversation, "Closed")
    assert client.get(api("next", conversation)).json()["statement"] is None


def test_errors_are_in_the_requests_language(client, conversation, seeds):
    for language in ("fi", "sv", "en"):
        response = post_json(
            client,
            api("votes", conversation) + f"?lang={language}",
            {"statement": seeds[0].pk, "choice": "x"},
        )
        with translation.override(language):
            expected = gettext("Choose agree, disagree or pass.")
        assert response.json()["detail"] == expected
        assert response["Content-Language"] == language


def test_swedish_errors_are_actually_swedish(client, conversation, seeds):
    with translation.override("sv"):
        translated = gettext("Choose agree, disagree or pass.") != "Choose agree, disagree or pass."
    if not translated:
        pytest.skip("no Swedish translation compiled yet")
    response = post_json(
        client, api("votes", conversation) + "?lang=sv", {"statement": seeds[0].pk, "choice": "x"}
    )
    assert response.json()["detail"] != "Choose agree, disagree or pass."


# Statements


def test_submitted_statement_is_pending_and_listed_as_mine(client, conversation):
    response = post_json(client, api("statements", conversation), {"text": "  More benches  "})
    assert response.status_code == 201
    assert (response.json()["text"], response.json()["status"]) == ("More benches", "pending")
    assert [item["text"] for item in client.get(api("my_statements", conversation)).json()] == [
        "More benches"
    ]


def test_too_long_statement_is_400(client, conversation):
    response = post_json(client, api("statements", conversation), {"text": "x" * 141})
    assert response.status_code == 400
    assert response.json()["code"] == "too_long"


@pytest.mark.parametrize(
    "body", [{}, {"text": None}, {"text": 5}, {"text": ["a"]}, {"text": "   "}]
)
def test_missing_or_empty_text_is_400(client, conversation, body):
    response = post_json(client, api("statements", conversation), body)
    assert response.status_code == 400
    assert response.json()["detail"]


def test_duplicate_statement_is_409_pointing_to_the_existing_one(client, conversation):
    existing = make_seed(conversation, "Parks need benches")
    response = post_json(client, api("statements", conversation), {"text": "PARKS need benches"})
    assert response.status_code == 409
    assert response.json()["existing_statement"] == existing.pk


@pytest.mark.parametrize(
    "text,status", [("x" * 141, 400), ("PARKS need benches", 409), ("   ", 400)]
)
def test_a_refused_first_statement_leaves_no_participant_behind(client, conversation, text, status):
    from statements.models import Participant

    make_seed(conversation, "Parks need benches")
    response = post_json(client, api("statements", conversation), {"text": text})
    assert response.status_code == status
    assert not Participant.objects.exists()
    accepted = post_json(client, api("statements", conversation), {"text": "Libraries open on Sundays"})
    assert accepted.status_code == 201
    assert Participant.objects.count() == 1


def test_statement_after_submissions_close_is_refused(client, db):
    conversation = make_conversation(opens_delta=timedelta(days=-3), closes_delta=timedelta(days=3))
    conversation.submissions_close_at = timezone.now() - timedelta(minutes=1)
    conversation.save()
    response = post_json(client, api("statements", conversation), {"text": "Late"})
    assert response.status_code == 403
    assert response.json()["code"] == "submissions_closed"


# CSRF


def test_post_without_csrf_token_is_refused_even_for_anonymous_residents(conversation, seeds):
    browser = resident_client(enforce_csrf_checks=True)
    for path, body in (
        (api("votes", conversation), {"statement": seeds[0].pk, "choice": "agree"}),
        (api("statements", conversation), {"text": "Sneaky"}),
    ):
        response = post_json(browser, path, body)
        assert response.status_code == 403
        assert response.json()["detail"]
    assert not Vote.objects.exists()
    assert not Statement.objects.filter(text="Sneaky").exists()


def test_post_with_the_pages_csrf_token_is_accepted(conversation, seeds):
    browser = resident_client(enforce_csrf_checks=True)
    browser.get(reverse("statements:conversation", kwargs={"slug": conversation.slug}))
    token = browser.cookies["csrftoken"].value
    response = post_json(
        browser,
        api("votes", conversation),
        {"statement": seeds[0].pk, "choice": "agree"},
        HTTP_X_CSRFTOKEN=token,
    )
    assert response.status_code == 201


# Schema


def test_openapi_schema_describes_the_resident_api(client, db):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    schema = json.loads(response.content)
    paths = set(schema["paths"])
    for path in (
        "/api/v1/conversations/",
        "/api/v1/conversations/{slug}/next/",
        "/api/v1/conversations/{slug}/votes/",
        "/api/v1/conversations/{slug}/statements/",
        "/api/v1/conversations/{slug}/votes/mine/",
        "/api/v1/conversations/{slug}/statements/mine/",
    ):
        assert path in paths


@pytest.mark.parametrize(
    "body",
    [
        {"statement": 999999, "choice": "agree"},
        {"statement": "pending", "choice": "agree"},
        {"statement": "seed", "choice": "maybe"},
    ],
)
def test_refused_votes_leave_no_participant_behind(client, conversation, body):
    from statements.models import Participant

    seed = make_seed(conversation, "A published statement")
    pending = services.statement_submit(participant=make_participant(conversation), text="Awaiting moderation")
    before = Participant.objects.count()
    body = {**body, "statement": {"pending": pending.pk, "seed": seed.pk}.get(body["statement"], body["statement"])}
    response = post_json(client, api("votes", conversation), body)
    assert response.status_code in (400, 404)
    assert Participant.objects.count() == before


def test_my_statements_in_the_api_tell_the_rejection_rule_and_the_duplicate(client, conversation):
    from moderation import services as moderation_services
    from tests.moderation.conftest import make_moderator

    original = make_seed(conversation, "Parks need benches")
    for text in ("Benches in parks are needed", "Mayor X is useless"):
        assert post_json(client, api("statements", conversation), {"text": text}).status_code == 201
    mine = client.get(api("my_statements", conversation)).json()
    assert {row["status"] for row in mine} == {"pending"} and all(row["deadline"] for row in mine)
    moderator = make_moderator()
    by_text = {row["text"]: row["id"] for row in mine}
    moderation_services.statement_reject(
        statement_id=by_text["Benches in parks are needed"], moderator=moderator, reason="duplicate",
        duplicate_of_id=original.pk,
    )
    moderation_services.statement_reject(
        statement_id=by_text["Mayor X is useless"], moderator=moderator, reason="person"
    )
    with translation.override("en"):
        fates = {row["text"]: row for row in client.get(api("my_statements", conversation) + "?lang=en").json()}
    duplicate = fates["Benches in parks are needed"]
    assert duplicate["status"] == "rejected" and duplicate["reason"] == "duplicate"
    assert duplicate["duplicate_of"] == original.pk
    person = fates["Mayor X is useless"]
    assert person["reason"] == "person" and "rule 1" in person["reason_label"]
    assert person["deadline"] is None


# The vote's direct path (no DRF negotiation and rendering) answers as DRF does.

NEGOTIATED = {"HTTP_ACCEPT": "application/json, text/plain;q=0.5"}  # only DRF takes this one


@pytest.fixture
def drf_calls(monkeypatch):
    from rest_framework.views import APIView

    calls = []
    original = APIView.initial

    def counting(self, request, *args, **kwargs):
        calls.append(type(self).__name__)
        return original(self, request, *args, **kwargs)

    monkeypatch.setattr(APIView, "initial", counting)
    return calls


def _comparable(response):
    return (
        response.status_code,
        response.json(),
        {name: response.get(name) for name in ("Content-Type", "Allow", "Vary", "Retry-After", "Content-Language")},
    )


REFUSALS = [
    ("bad choice", lambda c, s: (c, {"statement": s.pk, "choice": "maybe"})),
    ("unknown statement", lambda c, s: (c, {"statement": s.pk + 10_000, "choice": "agree"})),
    ("empty object", lambda c, s: (c, {})),
]


@pytest.mark.parametrize("case,make", REFUSALS, ids=[case for case, _make in REFUSALS])
@pytest.mark.parametrize("language", ["fi", "sv", "en"])
def test_direct_vote_path_refuses_exactly_as_drf(client, conversation, seeds, drf_calls, case, make, language):
    target, body = make(conversation, seeds[0])
    path = api("votes", target) + f"?lang={language}"
    direct = post_json(client, path, body, HTTP_ACCEPT="application/json")
    assert drf_calls == []
    negotiated = post_json(client, path, body, **NEGOTIATED)
    assert drf_calls == ["VotesAPI"]
    assert _comparable(direct) == _comparable(negotiated)
    assert direct.status_code in (400, 404)
    assert not Vote.objects.exists()


def test_direct_vote_path_answers_unknown_and_closed_conversations_as_drf(client, db, drf_calls):
    closed = make_conversation(opens_delta=timedelta(days=-9), closes_delta=timedelta(days=-1))
    statement = make_seed(closed, "Closed")
    for path in (api("votes", closed), reverse("api:votes", kwargs={"slug": "no-such-thing"})):
        body = {"statement": statement.pk, "choice": "agree"}
        direct = post_json(client, path + "?lang=en", body)
        negotiated = post_json(client, path + "?lang=en", body, **NEGOTIATED)
        assert _comparable(direct) == _comparable(negotiated)
        assert direct.status_code in (403, 404)
    assert drf_calls == ["VotesAPI", "VotesAPI"]


def test_direct_vote_path_casts_the_vote_like_drf(client, conversation, seeds, drf_calls):
    other = resident_client()
    direct = post_json(client, api("votes", conversation), {"statement": seeds[0].pk, "choice": "agree"})
    negotiated = post_json(
        other, api("votes", conversation), {"statement": seeds[0].pk, "choice": "agree"}, **NEGOTIATED
    )
    assert drf_calls == ["VotesAPI"]
    assert direct.status_code == negotiated.status_code == 201
    first, second = direct.json(), negotiated.json()
    assert first.keys() == second.keys() == {"vote", "next", "progress"}
    assert first["vote"].keys() == second["vote"].keys()
    expected = {"id": seeds[0].pk, "text": seeds[0].text, "lang": "fi"}
    assert first["vote"]["statement"] == second["vote"]["statement"] == expected
    assert first["progress"] == second["progress"] == {"answered": 1, "total": len(seeds)}
    assert first["next"]["id"] != seeds[0].pk
    assert _comparable(direct)[2] == _comparable(negotiated)[2]
    assert Vote.objects.count() == 2


def test_direct_vote_path_leaves_rate_limits_and_csrf_in_force(conversation, seeds, settings, drf_calls):
    browser = resident_client(enforce_csrf_checks=True)
    refused = post_json(browser, api("votes", conversation), {"statement": seeds[0].pk, "choice": "agree"})
    assert refused.status_code == 403  # no token: DRF's permission refuses it
    browser.get(reverse("statements:conversation", kwargs={"slug": conversation.slug}))
    token = browser.cookies["csrftoken"].value
    settings.RATE_LIMIT_VOTES_PER_MINUTE = 1
    answers = [
        post_json(
            browser, api("votes", conversation), {"statement": seed.pk, "choice": "agree"}, HTTP_X_CSRFTOKEN=token
        )
        for seed in seeds[:2]
    ]
    assert [answer.status_code for answer in answers] == [201, 429]
    assert answers[1]["Retry-After"] and answers[1].json()["retry_after"] > 0
    assert drf_calls == ["VotesAPI"]  # only the refused request went through DRF
    assert Vote.objects.count() == 1


def test_a_conversation_made_again_under_the_same_address_takes_votes_at_once(db):
    # The vote path remembers an open conversation for a moment by its address; deleted and made
    # again (another id), its statements were refused as "does not exist" until it expired
    # (on SQLite; on PostgreSQL the vote read the old one as closed and looked again).
    resident = resident_client()
    first = make_conversation("sama-osoite")
    statement = make_seed(first)
    assert post_json(resident, api("votes", first), {"statement": statement.pk, "choice": "agree"}).status_code == 201
    first.delete()
    again = make_conversation("sama-osoite")
    fresh = make_seed(again)
    response = post_json(resident, api("votes", again), {"statement": fresh.pk, "choice": "agree"})
    assert response.status_code == 201, response.content
    assert Vote.objects.filter(statement=fresh).count() == 1
