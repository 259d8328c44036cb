"""Similar statements on a small fi/sv/en set: the right duplicate comes first."""

import pytest
from django.urls import reverse

from moderation.similarity import SimilarityIndex, similar_statements
from statements.models import Statement
from tests.conftest import make_seed
from tests.moderation.conftest import make_pending

EXISTING = [
    (1, "Kirjastojen aukioloaikoja pitää pidentää iltaisin"),
    (2, "Pyöräteiden talvikunnossapitoa on parannettava"),
    (3, "Bibliotekens öppettider bör förlängas på kvällarna"),
    (4, "Libraries should stay open longer in the evenings"),
    (5, "Kaupungin pitäisi kuunnella asukkaita enemmän"),
    (6, "Staden borde lyssna mer på invånarna"),
    (7, "Cycle paths must be cleared of snow in winter"),
    (8, "Bussiliikennettä pitää lisätä lähiöissä"),
    (9, "Cykelvägarna ska plogas bättre på vintern"),
]


@pytest.mark.parametrize(
    "text,expected",
    [
        # Finnish inflection: different case endings and word forms.
        ("Kirjastot pitäisi pitää auki pidempään iltaisin", 1),
        ("Pyöräteitä pitää kunnossapitää talvella paremmin", 2),
        ("Kaupungin tulee kuunnella asukkaitaan", 5),
        ("Lähiöihin lisää bussiliikennettä", 8),
        # Swedish definite forms.
        ("Biblioteken borde ha längre öppettider på kvällen", 3),
        ("Staden ska lyssna på invånare", 6),
        ("Plogningen av cykelvägar på vintern måste bli bättre", 9),
        # English plurals and word order.
        ("The library should be open longer in the evening", 4),
        ("Snow should be cleared from cycle paths in the winter", 7),
    ],
)
def test_the_right_duplicate_comes_first(text, expected):
    matches = similar_statements(EXISTING, text)
    assert matches, text
    assert matches[0].statement_id == expected
    assert 0 < matches[0].score <= 1


def test_unrelated_text_gets_no_suggestion():
    assert similar_statements(EXISTING, "Uimahallien saunat ovat liian kuumia") == []


@pytest.mark.parametrize(
    "existing,text",
    [
        ([(1, "Pyöräteitä pitää lisätä keskustaan")], "Kirjastojen aukioloaikoja pitää pidentää"),
        (
            [(1, "Pyöräteitä pitää lisätä keskustaan"), (2, "Bussilippujen hinnat ovat liian korkeat")],
            "Kirjastojen aukioloaikoja pitää pidentää sunnuntaisin",
        ),
        ([(1, "Staden borde bygga fler cykelvägar")], "Biblioteken borde vara öppna på söndagar"),
    ],
)
def test_a_new_conversations_few_statements_are_not_suggested_for_unrelated_text(existing, text):
    # With one or two statements, the n-grams the text shares with them (endings, "pitää",
    # "borde") were all that was left of it, and they scored 0.45-0.49.
    assert similar_statements(existing, text) == []


def test_a_new_conversations_only_statement_is_still_suggested_for_its_duplicate():
    existing = [(1, "Pyöräteitä pitää lisätä keskustaan")]
    assert [match.statement_id for match in similar_statements(existing, "Keskustaan lisää pyöräteitä")] == [1]


def test_a_statement_is_never_suggested_to_itself():
    index = SimilarityIndex(EXISTING)
    rows = index.similar_to_ids([1, 3], [EXISTING[0][1], EXISTING[2][1]], min_score=0)
    assert all(match.statement_id != 1 for match in rows[0])
    assert all(match.statement_id != 3 for match in rows[1])


def test_scores_are_sorted_and_limited():
    matches = similar_statements(EXISTING, "kirjasto bibliotek library", limit=2, min_score=0)
    assert len(matches) == 2
    assert matches[0].score >= matches[1].score


def test_empty_conversation_has_no_suggestions():
    assert similar_statements([], "Mitä tahansa") == []
    assert SimilarityIndex([]).similar_to_texts(["x", "y"]) == [[], []]


def test_thousands_of_statements_are_indexed_and_queried_in_one_pass():
    import random

    rng = random.Random(3)
    words = "kirjasto puisto bussi pyörätie koulu päiväkoti asukas kaupunki talvi ilta".split()
    corpus = [(i, " ".join(rng.choices(words, k=8))) for i in range(5000)]
    index = SimilarityIndex(corpus)
    rows = index.similar_to_texts(
        [text for _i, text in corpus[:600]], exclude_ids=[i for i, _t in corpus[:600]]
    )
    assert len(rows) == 600


@pytest.mark.django_db
def test_queue_shows_the_duplicate_first_with_its_score(client, moderator, conversation):
    seeds = {text: make_seed(conversation, text) for _i, text in EXISTING}
    pending = make_pending(conversation, "Kirjastot pitäisi pitää auki pidempään iltaisin")
    bus = make_pending(conversation, "Lähiöihin lisää bussiliikennettä")
    bus_again = make_pending(conversation, "Lisää bussiliikennettä lähiöihin, kiitos")
    client.force_login(moderator)
    html = client.get(
        reverse("moderation:conversation_queue", kwargs={"slug": conversation.slug})
    ).content.decode()

    def suggestions_of(statement, following):
        block = html[html.index(f'id="statement-{statement.pk}"') :]
        if following is not None:
            block = block[: block.index(f'id="statement-{following.pk}"')]
        return [int(part.split('"')[0]) for part in block.split('data-similar="')[1:]]

    assert suggestions_of(pending, bus)[0] == seeds[EXISTING[0][1]].pk
    assert "\u00a0%</span>" in html  # the score, as Finnish writes a share
    # Moderators see pending statements among the suggestions too.
    assert bus.pk in suggestions_of(bus_again, None)
    assert seeds[EXISTING[7][1]].pk in suggestions_of(bus, bus_again)


@pytest.mark.django_db
def test_resident_is_offered_existing_statements_before_sending(client, conversation):
    published = make_seed(conversation, "Kirjastojen aukioloaikoja pitää pidentää iltaisin")
    secret = make_pending(conversation, "Kirjastojen aukioloajat pitää pidentää viikonloppuisin")
    rejected = make_pending(conversation, "Kirjastojen aukioloaikoja pitää pidentää aamuisin")
    Statement.objects.filter(pk=rejected.pk).update(status="rejected")
    url = reverse("statements:statement_new", kwargs={"slug": conversation.slug})
    client.get(reverse("statements:conversation", kwargs={"slug": conversation.slug}))
    response = client.post(url, {"text": "Kirjastot pitäisi pitää auki pidempään iltaisin"})
    html = response.content.decode()
    assert response.status_code == 200
    assert (
        reverse(
            "statements:statement", kwargs={"slug": conversation.slug, "statement_id": published.pk}
        )
        in html
    )
    assert secret.text not in html and rejected.text not in html
    # The page comes back at its top: the notice takes the focus and names itself in the title.
    assert '<h3 id="similar-heading" tabindex="-1" autofocus>' in html
    assert "<title>Samankaltaisia väitteitä löytyi – " in html
    assert 'name="confirm" value="1"' in html
    assert Statement.objects.filter(origin="participant", status="pending").count() == 1
    # The resident may still send it.
    response = client.post(
        url, {"text": "Kirjastot pitäisi pitää auki pidempään iltaisin", "confirm": "1"}
    )
    assert response.status_code == 302
    assert Statement.objects.filter(text="Kirjastot pitäisi pitää auki pidempään iltaisin").exists()


@pytest.mark.django_db
def test_resident_without_similar_statements_submits_at_once(client, conversation):
    make_seed(conversation, "Pyöräteiden talvikunnossapitoa on parannettava")
    url = reverse("statements:statement_new", kwargs={"slug": conversation.slug})
    response = client.post(url, {"text": "Uimahallien saunat ovat liian kuumia"})
    assert response.status_code == 302
    assert Statement.objects.filter(
        text="Uimahallien saunat ovat liian kuumia", status="pending"
    ).exists()


@pytest.mark.django_db
def test_api_returns_only_published_similar_statements(client, conversation):
    published = make_seed(conversation, "Kirjastojen aukioloaikoja pitää pidentää iltaisin")
    make_pending(conversation, "Kirjastojen aukioloajat pitää pidentää viikonloppuisin")
    client.get(reverse("statements:conversation", kwargs={"slug": conversation.slug}))
    csrf = client.get(reverse("statements:statement_new", kwargs={"slug": conversation.slug}))
    token = client.cookies["csrftoken"].value if "csrftoken" in client.cookies else ""
    response = client.post(
        f"/api/v1/conversations/{conversation.slug}/statements/",
        {"text": "Kirjastot pitäisi pitää auki pidempään iltaisin"},
        content_type="application/json",
        HTTP_X_CSRFTOKEN=token,
    )
    assert csrf.status_code == 200
    assert response.status_code == 201, response.content
    similar = response.json()["similar"]
    assert [item["id"] for item in similar] == [published.pk]


def test_a_statement_scores_its_best_language_and_is_suggested_once():
    index = SimilarityIndex(
        [
            (1, "Kirjastojen pitäisi olla auki sunnuntaisin"),
            (1, "Biblioteken borde vara öppna på söndagar"),
            (1, "Libraries should open on Sundays"),
            (2, "Pyöräteiden talvikunnossapitoa on parannettava"),
        ]
    )
    assert len(index) == 2
    (swedish,) = index.similar_to_texts(["Biblioteken borde vara öppna på söndagarna"], limit=3, min_score=0)
    assert [match.statement_id for match in swedish] == [1, 2]
    assert swedish[0].score > 0.8
    (excluded,) = index.similar_to_texts(["Libraries should open on Sundays"], exclude_ids=[1], min_score=0)
    assert [match.statement_id for match in excluded] == [2]  # every language of 1 left out


@pytest.mark.django_db
def test_resident_writing_in_swedish_is_offered_the_statement_given_in_swedish(client, conversation):
    published = make_seed(
        conversation,
        "Kirjastojen aukioloaikoja pitää pidentää iltaisin",
        text_sv="Bibliotekens öppettider bör förlängas på kvällarna",
    )
    client.cookies["voxit_language"] = "sv"
    url = reverse("statements:statement_new", kwargs={"slug": conversation.slug})
    client.get(reverse("statements:conversation", kwargs={"slug": conversation.slug}))
    response = client.post(url, {"text": "Bibliotekens öppettider borde förlängas på kvällen"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Bibliotekens öppettider bör förlängas på kvällarna" in html
    link = reverse("statements:statement", kwargs={"slug": conversation.slug, "statement_id": published.pk})
    assert link in html
    assert not Statement.objects.filter(origin="participant").exists()
