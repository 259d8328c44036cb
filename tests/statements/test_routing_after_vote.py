"""The next statement in a vote's answer: moderation reaches it at once, the draw follows the
routing weights among the unanswered statements, and a vote does not read every statement."""

import json
import random
from collections import Counter

import pytest
from django.urls import reverse

from moderation import services as moderation
from statements.models import Statement, StatementSetVersion
from statements.selectors import _draw_unanswered, _Routing
from tests.conftest import make_conversation, make_seed
from tests.moderation.conftest import make_moderator, make_pending

pytestmark = pytest.mark.django_db


def vote(client, conversation, statement_id, choice="agree", language=None):
    response = client.post(
        reverse("api:votes", kwargs={"slug": conversation.slug}) + (f"?lang={language}" if language else ""),
        json.dumps({"statement": statement_id, "choice": choice}),
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    return response.json()


def version_of(conversation):
    return StatementSetVersion.objects.filter(conversation_id=conversation.pk).values_list("version", flat=True).first()


def test_the_database_changes_the_version_with_any_statement_change(conversation, participant):
    seen = [version_of(conversation)]

    def changed():
        now = version_of(conversation)
        assert now is not None and now not in seen
        seen.append(now)

    statement = make_seed(conversation, "A first seed statement")
    changed()
    pending = make_pending(conversation, "A resident's proposal")
    changed()
    moderation.statement_approve(statement_id=pending.pk, moderator=make_moderator())
    changed()
    Statement.objects.filter(pk=statement.pk).update(text_en="A corrected English wording")
    changed()
    from statements import services

    services.vote_cast(participant=participant, statement_id=statement.pk, choice="agree")
    assert version_of(conversation) == seen[-1]  # votes are not statement changes
    other = make_conversation()
    make_seed(other, "Elsewhere")
    assert version_of(conversation) == seen[-1]
    statement.delete()
    changed()
    conversation.delete()
    assert not StatementSetVersion.objects.filter(conversation_id=conversation.pk).exists()
    assert StatementSetVersion.objects.filter(conversation_id=other.pk).exists()


def test_a_statement_published_after_a_residents_last_vote_comes_next_at_once(client, conversation, seeds):
    for seed in seeds:
        body = vote(client, conversation, seed.pk)
    assert body["next"] is None and body["progress"] == {"answered": 5, "total": 5}

    pending = make_pending(conversation, "Published while the resident is still here")
    moderation.statement_approve(statement_id=pending.pk, moderator=make_moderator())
    body = vote(client, conversation, seeds[0].pk, "disagree")  # changing an earlier answer
    assert body["next"]["id"] == pending.pk
    assert body["next"]["text"] == "Published while the resident is still here"
    assert body["progress"] == {"answered": 5, "total": 6}


@pytest.mark.parametrize(
    ("language", "texts"),
    [
        ("sv", ("Fler parker", "Färre bilar")),
        ("en", ("More parks", "Fewer cars")),
        ("fi", ("Lisää puistoja", "Vähemmän autoja")),
    ],
)
def test_the_vote_and_the_next_card_are_in_the_residents_language(client, conversation, language, texts):
    from statements import services

    parks = services.statement_seed(
        conversation=conversation, text="Lisää puistoja", text_sv="Fler parker", text_en="More parks"
    )
    services.statement_seed(
        conversation=conversation, text="Vähemmän autoja", text_sv="Färre bilar", text_en="Fewer cars"
    )
    page = client.get(reverse("statements:conversation", kwargs={"slug": conversation.slug}) + f"?lang={language}")
    assert any(text in page.content.decode() for text in texts)
    body = vote(client, conversation, parks.pk, language=language)
    assert (body["vote"]["statement"]["text"], body["next"]["text"]) == texts


def test_a_withdrawn_statement_is_never_next_and_a_corrected_wording_shows_at_once(client, conversation, seeds):
    moderator = make_moderator()
    vote(client, conversation, seeds[0].pk)  # routing is now known to this process
    moderation.statement_decision_reverse(
        statement_id=seeds[1].pk, moderator=moderator, reason="off_topic", explanation="Off topic after all"
    )
    Statement.objects.filter(pk=seeds[2].pk).update(text="A corrected wording", text_fi="A corrected wording")
    shown = {}
    for _ in range(40):
        body = vote(client, conversation, seeds[0].pk, random.choice(["agree", "pass"]))
        shown[body["next"]["id"]] = body["next"]["text"]
        assert body["progress"] == {"answered": 1, "total": 4}
    assert seeds[1].pk not in shown
    assert shown[seeds[2].pk] == "A corrected wording"
    assert set(shown) == {seeds[2].pk, seeds[3].pk, seeds[4].pk}


def test_a_vote_in_a_conversation_of_a_thousand_statements_takes_one_round_trip(client, require_postgres, monkeypatch):
    import psycopg

    conversation = make_conversation()
    from statements import services

    services.statements_seed_bulk(
        conversation=conversation, rows=[(f"Statement number {number}", "", "") for number in range(1, 1001)]
    )
    first = Statement.objects.filter(conversation=conversation).order_by("pk").first()
    following = vote(client, conversation, first.pk)["next"]["id"]  # warms this process's copies
    # The vote statement runs on psycopg's own cursor, out of Django's query log: count both.
    raw = []
    execute = psycopg.Cursor.execute
    monkeypatch.setattr(
        psycopg.Cursor, "execute", lambda self, query, *a, **k: raw.append(query) or execute(self, query, *a, **k)
    )
    body = vote(client, conversation, following)
    assert body["progress"] == {"answered": 2, "total": 1000}
    assert body["next"]["id"] not in {first.pk, following}
    assert len(raw) == 1, [str(query)[:120] for query in raw]
    assert "INSERT INTO statements_vote" in raw[0]


def routing(weights, **fields):
    ids = tuple(range(1, len(weights) + 1))
    cumulative, total = [], 0.0
    for weight in weights:
        total += weight
        cumulative.append(total)
    return _Routing(
        version=1,
        run=None,
        ids=ids,
        published=frozenset(ids),
        values={},
        weights=tuple(weights),
        cumulative=tuple(cumulative),
        **fields,
    )


def test_the_draw_follows_the_weights_among_the_unanswered_statements():
    table = routing([1.0, 2.0, 3.0, 30.0])
    rng = random.Random(5)
    drawn = Counter(_draw_unanswered(table, frozenset({4}), rng) for _ in range(30000))
    assert set(drawn) == {1, 2, 3}
    # Statement 4 carries 30/36 of the weight, so most first draws land on it and are drawn again.
    for pk, share in ((1, 1 / 6), (2, 2 / 6), (3, 3 / 6)):
        assert drawn[pk] / 30000 == pytest.approx(share, abs=0.015)


def test_the_draw_finds_the_last_unanswered_statement_and_none_after_it():
    table = routing([5.0] * 199 + [1e-6])
    answered = frozenset(range(1, 200))
    rng = random.Random(1)
    assert {_draw_unanswered(table, answered, rng) for _ in range(50)} == {200}
    assert _draw_unanswered(table, answered | {200}, rng) is None
    assert _draw_unanswered(routing([]), frozenset(), rng) is None
