"""A resident's path through the HTML pages without JavaScript: form posts, redirects, next card."""

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from statements.models import Participant, Statement, Vote, VoteLog
from tests.conftest import make_conversation, make_seed

pytestmark = pytest.mark.django_db


@pytest.fixture
def english(client):
    client.cookies["voxit_language"] = "en"
    return client


def page(client, url, **kwargs):
    response = client.get(url, **kwargs)
    assert response.status_code == 200
    return response.content.decode()


def card_statement_id(html):
    match = re.search(r'name="statement" value="(\d+)"', html)
    return int(match.group(1)) if match else None


def url(name, conversation, **kwargs):
    return reverse(f"statements:{name}", kwargs={"slug": conversation.slug, **kwargs})


def local(moment):
    # As these English pages write a moment: the month as a word (4.12. could be read as April).
    return timezone.localtime(moment).strftime("%-d %b %Y %H:%M")


def test_front_page_lists_open_and_upcoming_conversations_but_not_drafts(english, db):
    make_conversation(title_en="Open talk")
    make_conversation(
        title_en="Coming talk", opens_delta=timedelta(days=3), closes_delta=timedelta(days=9)
    )
    make_conversation(title_en="Secret draft", is_published=False)
    html = page(english, "/")
    assert "Open talk" in html and "Coming talk" in html
    assert "Secret draft" not in html


def test_front_page_says_when_nothing_is_open(english, db):
    assert "No conversation is open right now." in page(english, "/")


def test_conversation_page_shows_question_rules_card_and_progress(english, conversation, seeds):
    conversation.description_en = "Tell us what you think about parks."
    conversation.save()
    html = page(english, url("conversation", conversation))
    assert "What do you think?" in html
    assert "Tell us what you think about parks." in html
    for rule in ("Do not mention individual persons.", "Do not insult others.", "Stay on topic."):
        assert rule in html
    assert card_statement_id(html) in {s.pk for s in seeds}
    assert html.count('name="choice"') == 3
    for label in (">Agree<", ">Disagree<", ">Pass<"):
        assert label in html
    assert "0 / 5 answered" in html
    assert url("answers", conversation) in html
    assert (
        f"New statements are accepted until {local(conversation.closes_at)}; "
        f"voting is open until {local(conversation.closes_at)}." in html
    )


def test_a_newcomers_page_takes_few_queries(english, conversation, seeds, django_assert_max_num_queries):
    """The page every new resident of a rush loads first: the conversation and its routing key
    (statement set version and latest run). The published statements are read once per process
    and change, and there is no lookup for a participant that cannot exist yet."""
    page(english, url("conversation", conversation))
    for name in list(english.cookies):  # another newcomer, in English too
        if name != settings.LANGUAGE_COOKIE_NAME:
            del english.cookies[name]
    with django_assert_max_num_queries(2):
        html = page(english, url("conversation", conversation))
    assert "0 / 5 answered" in html and card_statement_id(html) in {s.pk for s in seeds}
    assert not Participant.objects.filter(conversation=conversation).exists()


def test_finnish_is_the_default_interface_language(client, conversation, seeds):
    html = page(client, url("conversation", conversation))
    assert '<html lang="fi">' in html
    for label in (">Samaa mieltä<", ">Eri mieltä<", ">Ohita<"):
        assert label in html


def test_voting_without_javascript_redirects_to_the_next_unanswered_card(
    english, conversation, seeds
):
    first = card_statement_id(page(english, url("conversation", conversation)))
    response = english.post(url("vote", conversation), {"statement": first, "choice": "agree"})
    assert response.status_code == 302
    assert response["Location"].startswith(url("conversation", conversation))
    html = page(english, response["Location"])
    assert "Your answer was saved." in html
    assert "1 / 5 answered" in html
    assert card_statement_id(html) not in {first, None}


def test_answering_every_statement_ends_with_thanks(english, conversation, seeds):
    html = page(english, url("conversation", conversation))
    for _ in seeds:
        english.post(
            url("vote", conversation), {"statement": card_statement_id(html), "choice": "pass"}
        )
        html = page(english, url("conversation", conversation))
    assert "You have answered every statement" in html
    assert card_statement_id(html) is None
    assert "5 / 5 answered" in html


def test_earlier_answer_can_be_seen_and_changed_on_the_answers_page(english, conversation, seeds):
    english.get(url("conversation", conversation))
    english.post(url("vote", conversation), {"statement": seeds[2].pk, "choice": "agree"})
    answers_url = url("answers", conversation)
    html = page(english, answers_url)
    assert seeds[2].text in html
    assert re.search(r"Your answer:\s*<strong>Agree</strong>", html)
    # Each answer's buttons are named by its statement, not only "Change your answer" for all.
    labels = re.search(r'role="group" aria-labelledby="(\S+) (\S+)"><span id="\1" hidden>Change your answer<', html)
    assert re.search(rf'id="{labels.group(2)}"[^>]*>{re.escape(seeds[2].text)}<', html)
    response = english.post(
        url("vote", conversation),
        {
            "statement": seeds[2].pk,
            "choice": "disagree",
            "next": f"{answers_url}#answer-{seeds[2].pk}",
        },
    )
    assert response["Location"] == f"{answers_url}#answer-{seeds[2].pk}"
    assert re.search(r"Your answer:\s*<strong>Disagree</strong>", page(english, answers_url))
    assert list(VoteLog.objects.order_by("id").values_list("choice", flat=True)) == [1, -1]


def test_statement_page_lets_a_resident_vote_on_that_statement(english, conversation, seeds):
    statement_url = url("statement", conversation, statement_id=seeds[4].pk)
    html = page(english, statement_url)
    assert seeds[4].text in html and card_statement_id(html) == seeds[4].pk
    # The form returns to this page at the outcome, said in the card beside the statement.
    assert f'name="next" value="{statement_url}#vote-message"' in html
    response = english.post(
        url("vote", conversation),
        {"statement": seeds[4].pk, "choice": "pass", "next": statement_url + "#vote-message"},
    )
    assert response["Location"] == statement_url + "#vote-message"
    answered = page(english, statement_url)
    in_card = (
        r'<section class="card"[^>]*>\s*<h2[^>]*>[^<]*</h2>\s*'
        r'<p class="message message-success" id="vote-message" tabindex="-1">Your answer was saved.</p>'
    )
    assert re.search(in_card, answered)
    assert re.search(r"Your answer:\s*<strong>Pass</strong>", answered)
    # Answered, the three are toggle buttons for assistive technology: one pressed, two not.
    pressed = dict(re.findall(r'value="(agree|disagree|pass)" class="[^"]*" aria-pressed="(true|false)"', answered))
    assert pressed == {"agree": "false", "disagree": "false", "pass": "true"}
    assert "aria-pressed" not in html  # before answering they are plain buttons


def test_vote_never_redirects_to_another_site(english, conversation, seeds):
    response = english.post(
        url("vote", conversation),
        {"statement": seeds[0].pk, "choice": "agree", "next": "https://evil.example/"},
    )
    assert response["Location"].startswith(url("conversation", conversation))


@pytest.mark.parametrize(
    "data",
    [
        {"statement": "1", "choice": "maybe"},
        {"statement": "abc", "choice": "agree"},
        {"statement": str(10**30), "choice": "agree"},
        {"statement": "-5", "choice": "agree"},
        {"choice": "agree"},
        {},
    ],
)
def test_bad_vote_input_gives_a_message_not_an_error_page(english, conversation, seeds, data):
    response = english.post(url("vote", conversation), data, follow=True)
    assert response.status_code == 200
    assert response.context["messages"]
    assert "Your answer was saved." not in response.content.decode()
    assert not Vote.objects.exists()


def test_the_saved_message_shows_once_after_the_vote_and_votes_through_the_api_set_no_message_cookie(
    english, conversation, seeds
):
    response = english.post(url("vote", conversation), {"statement": seeds[0].pk, "choice": "agree"}, follow=True)
    assert "Your answer was saved." in response.content.decode()
    assert "Your answer was saved." not in page(english, url("conversation", conversation))
    api = english.post(
        f"/api/v1/conversations/{conversation.slug}/votes/",
        {"statement": seeds[1].pk, "choice": "agree"},
        content_type="application/json",
    )
    assert api.status_code == 201
    assert "messages" not in api.cookies


def test_vote_address_takes_votes_by_post_only(english, conversation, seeds):
    assert english.put(url("vote", conversation), {"statement": seeds[0].pk, "choice": "agree"}).status_code == 405
    english.get(url("vote", conversation) + f"?statement={seeds[0].pk}&choice=agree")
    assert not Vote.objects.exists()  # a GET only goes back to the conversation


def test_participant_cookie_is_signed_and_http_only_and_brings_back_the_same_answers(
    english, conversation, seeds
):
    english.get(url("conversation", conversation))
    cookie = english.cookies["voxit_participant"]
    assert cookie["httponly"]
    assert ":" in cookie.value
    english.post(url("vote", conversation), {"statement": seeds[0].pk, "choice": "agree"})
    english.post(url("vote", conversation), {"statement": seeds[1].pk, "choice": "agree"})
    assert Participant.objects.filter(conversation=conversation).count() == 1
    assert "2 / 5 answered" in page(english, url("conversation", conversation))


def test_a_forged_participant_cookie_is_a_new_browser(english, conversation, seeds):
    english.get(url("conversation", conversation))
    english.post(url("vote", conversation), {"statement": seeds[0].pk, "choice": "agree"})
    english.cookies["voxit_participant"] = "forged-token:not-a-signature"
    assert "0 / 5 answered" in page(english, url("conversation", conversation))


def test_a_cookie_altered_after_its_checked_value_was_remembered_is_still_refused(english, conversation, seeds):
    english.get(url("conversation", conversation))
    english.post(url("vote", conversation), {"statement": seeds[0].pk, "choice": "agree"})
    assert "1 / 5 answered" in page(english, url("conversation", conversation))  # checked, remembered
    genuine = english.cookies["voxit_participant"].value
    token, _sep, signature = genuine.partition(":")
    english.cookies["voxit_participant"] = token + "x:" + signature  # same signature, other token
    assert "0 / 5 answered" in page(english, url("conversation", conversation))
    english.cookies["voxit_participant"] = genuine
    assert "1 / 5 answered" in page(english, url("conversation", conversation))


def test_visiting_does_not_create_a_participant(english, conversation, seeds):
    page(english, url("conversation", conversation))
    assert not Participant.objects.exists()


# Adding a statement


def test_add_statement_page_shows_and_enforces_the_length_limit(english, db):
    conversation = make_conversation(max_statement_length=60)
    html = page(english, url("statement_new", conversation))
    assert "At most 60 characters." in html
    assert "maxlength" not in html  # the browser would cut a pasted text short without a word
    response = english.post(url("statement_new", conversation), {"text": "x" * 61})
    assert response.status_code == 400
    assert "The statement is 61 characters long; the limit is 60." in response.content.decode()
    assert ">" + "x" * 61 + "</textarea>" in response.content.decode()  # kept to shorten
    assert "<title>Not sent – Add a statement" in response.content.decode()
    assert not Statement.objects.exists()
    assert not Participant.objects.exists()  # a refused first statement leaves no participant


@pytest.mark.parametrize("text", ["", "     ", "\n\n"])
def test_whitespace_only_statement_is_refused_with_a_message(english, conversation, text):
    response = english.post(url("statement_new", conversation), {"text": text})
    assert response.status_code == 400
    assert "Write the statement before sending it." in response.content.decode()


def test_duplicate_statement_is_refused_with_a_link_to_the_existing_one(english, conversation):
    existing = make_seed(conversation, "Parks need more benches")
    response = english.post(
        url("statement_new", conversation), {"text": "  parks NEED more benches"}
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "This statement already exists in the conversation." in html
    assert url("statement", conversation, statement_id=existing.pk) in html
    assert Statement.objects.count() == 1


def test_duplicate_of_a_pending_statement_says_it_awaits_moderation_without_showing_it(
    english, other_browser, conversation
):
    other_browser.get(url("conversation", conversation))
    other_browser.post(url("statement_new", conversation), {"text": "Secret pending text"})
    response = english.post(url("statement_new", conversation), {"text": "secret pending text"})
    html = response.content.decode()
    assert "already been sent and is awaiting moderation" in html
    pending = Statement.objects.get()
    assert url("statement", conversation, statement_id=pending.pk) not in html


def test_submitted_statement_shows_as_awaiting_moderation_in_my_statements(english, conversation):
    english.get(url("conversation", conversation))
    response = english.post(url("statement_new", conversation), {"text": "More benches by the sea"})
    assert response.status_code == 302
    # It opens at the thanks, which can take the focus.
    assert response["Location"] == url("mine", conversation) + "#messages"
    html = page(english, url("mine", conversation))
    assert '<div class="messages" id="messages" role="status" aria-live="polite" tabindex="-1">' in html
    assert "More benches by the sea" in html
    assert "Awaiting moderation" in html
    assert Statement.objects.get().status == Statement.Status.PENDING


def test_my_statements_is_empty_for_a_new_browser(english, conversation):
    assert "You have not sent any statements in this conversation." in page(
        english, url("mine", conversation)
    )


# Windows


@pytest.fixture
def closed_conversation(db):
    conversation = make_conversation(
        "closed-one", opens_delta=timedelta(days=-10), closes_delta=timedelta(days=1)
    )
    make_seed(conversation, "Voted before closing")
    make_seed(conversation, "Never voted")
    return conversation


def close(conversation):
    conversation.closes_at = timezone.now() - timedelta(minutes=1)
    conversation.save()


def test_closed_conversation_says_so_and_when_and_keeps_earlier_answers(
    english, closed_conversation
):
    statement = Statement.objects.get(text="Voted before closing")
    english.get(url("conversation", closed_conversation))
    english.post(url("vote", closed_conversation), {"statement": statement.pk, "choice": "agree"})
    close(closed_conversation)
    html = page(english, url("conversation", closed_conversation))
    assert f"This conversation closed on {local(closed_conversation.closes_at)}" in html
    assert 'name="choice"' not in html
    nav = html[html.index('class="conversation-nav"') :]
    assert ">Vote</a>" not in nav[: nav.index("</nav>")]  # nothing to vote on: "Conversation"
    answers = page(english, url("answers", closed_conversation))
    assert "Voted before closing" in answers
    assert re.search(r"Your answer:\s*<strong>Agree</strong>", answers)
    assert 'name="choice"' not in answers


def test_closed_conversation_refuses_votes_with_a_message(english, closed_conversation):
    statement = Statement.objects.get(text="Voted before closing")
    english.get(url("conversation", closed_conversation))
    english.post(url("vote", closed_conversation), {"statement": statement.pk, "choice": "agree"})
    close(closed_conversation)
    response = english.post(
        url("vote", closed_conversation),
        {"statement": statement.pk, "choice": "disagree"},
        follow=True,
    )
    assert "This conversation is not open for voting." in response.content.decode()
    assert Vote.objects.get().choice == 1


def test_closed_conversation_refuses_votes_from_a_new_browser_without_creating_it(
    english, closed_conversation
):
    close(closed_conversation)
    statement = Statement.objects.get(text="Never voted")
    response = english.post(
        url("vote", closed_conversation),
        {"statement": statement.pk, "choice": "agree"},
        follow=True,
    )
    assert "This conversation is not open for voting." in response.content.decode()
    assert not Participant.objects.exists()


def test_closed_conversation_refuses_new_statements(english, closed_conversation):
    close(closed_conversation)
    html = page(english, url("statement_new", closed_conversation))
    assert "New statements are no longer accepted in this conversation." in html
    assert "<textarea" not in html
    response = english.post(url("statement_new", closed_conversation), {"text": "Too late now"})
    assert (
        "New statements are no longer accepted in this conversation." in response.content.decode()
    )
    assert not Statement.objects.filter(text="Too late now").exists()


def test_submission_deadline_before_the_close_stops_statements_but_not_votes(english, db):
    conversation = make_conversation(opens_delta=timedelta(days=-5), closes_delta=timedelta(days=5))
    conversation.submissions_close_at = timezone.now() - timedelta(hours=1)
    conversation.save()
    statement = make_seed(conversation, "Still open for votes")
    html = page(english, url("conversation", conversation))
    assert card_statement_id(html) == statement.pk
    assert "Add your own statement" not in html
    # Said, not just a button gone (Helsinki took statements until 25.1 and votes until 1.2).
    assert (
        f"New statements were accepted until {local(conversation.submissions_close_at)}. "
        f"Voting on the statements is open until {local(conversation.closes_at)}." in html
    )
    response = english.post(url("statement_new", conversation), {"text": "After the deadline"})
    assert "New statements are no longer accepted" in response.content.decode()
    english.post(url("vote", conversation), {"statement": statement.pk, "choice": "agree"})
    assert Vote.objects.filter(statement=statement).exists()


def test_a_statement_written_while_submissions_closed_is_shown_back_not_lost(english, db):
    """The similar-statements step is shown, the deadline passes, the resident sends anyway: the
    statement cannot be taken any more, and the page gives their text back to copy."""
    conversation = make_conversation(opens_delta=timedelta(days=-5), closes_delta=timedelta(days=5))
    make_seed(conversation, "More benches in the central park")
    text = "More benches in the central park & by the sea"
    offered = english.post(url("statement_new", conversation), {"text": text})
    assert "Send anyway" in offered.content.decode()
    conversation.submissions_close_at = timezone.now() - timedelta(minutes=1)
    conversation.save()
    response = english.post(url("statement_new", conversation), {"text": text, "confirm": "1"})
    html = response.content.decode()
    assert "New statements are no longer accepted in this conversation." in html
    assert "The statement you wrote was not sent." in html
    assert "More benches in the central park &amp; by the sea" in html
    assert not Statement.objects.filter(text=text).exists()


def test_conversation_before_opening_says_when_it_opens(english, db):
    conversation = make_conversation(opens_delta=timedelta(days=2), closes_delta=timedelta(days=9))
    statement = make_seed(conversation, "Not yet")
    html = page(english, url("conversation", conversation))
    assert f"This conversation opens on {local(conversation.opens_at)}." in html
    assert 'name="choice"' not in html
    english.post(url("vote", conversation), {"statement": statement.pk, "choice": "agree"})
    assert not Vote.objects.exists()
    # Adding a statement is not offered yet, and its page says when it will be (not "no longer").
    assert url("statement_new", conversation) not in html
    new = page(english, url("statement_new", conversation))
    assert f"You can add statements once the conversation opens on {local(conversation.opens_at)}." in new
    assert "no longer accepted" not in new


def test_pages_carry_the_voxit_icon_and_favicon_ico_leads_to_it(english, conversation):
    html = page(english, url("conversation", conversation))
    icon = re.search(r'<link rel="icon" href="([^"]+)" type="image/svg\+xml">', html).group(1)
    served = english.get(icon)
    assert served.status_code == 200 and served["Content-Type"].startswith("image/svg+xml")
    assert b"<svg" in b"".join(served.streaming_content if served.streaming else [served.content])
    redirect = english.get("/favicon.ico")  # asked for by browsers whatever the page links
    assert redirect.status_code == 301 and redirect["Location"] == icon


def test_a_copy_of_a_statements_swedish_wording_is_refused_at_once_not_offered_as_similar(english, db):
    # The similar step compared with the Finnish wording only: a Swedish or English copy was
    # first offered "Send anyway", then refused as a duplicate.
    conversation = make_conversation(opens_delta=timedelta(days=-5), closes_delta=timedelta(days=5))
    original = make_seed(
        conversation, "Kaupunginosien kehittämisestä pitäisi voida äänestää verkossa",
        text_sv="Man borde kunna rösta på nätet om utvecklingen av stadsdelarna.",
    )
    response = english.post(
        url("statement_new", conversation), {"text": "Man borde kunna rösta på nätet om utvecklingen av stadsdelarna."}
    )
    html = response.content.decode()
    assert "Send anyway" not in html
    assert "This statement already exists in the conversation." in html
    assert f"/s/{original.pk}/" in html
    assert Statement.objects.count() == 1


def test_switching_language_on_a_page_answered_at_the_vote_address_goes_back_to_the_conversation(english, db):
    # The expired-form and too-many-votes pages are answered at /vote/; their language switch and
    # a reload come back with a GET, which was a blank 405.
    conversation = make_conversation()
    response = english.get(url("vote", conversation))
    assert response.status_code == 302
    assert response["Location"] == url("conversation", conversation) + "#statement-card"
    switched = english.post("/i18n/setlang/", {"language": "sv", "next": url("vote", conversation)}, follow=True)
    assert switched.status_code == 200
    assert switched.redirect_chain[-1][0].startswith(url("conversation", conversation))
    assert 'lang="sv"' in switched.content.decode()


def test_after_a_plain_form_answer_its_outcome_is_said_where_the_page_opens(english, conversation, seeds):
    # The page opens at #statement-card (or #answer-N): "Your answer was saved." printed above it
    # was off the screen of a phone, and never had the focus.
    first = card_statement_id(page(english, url("conversation", conversation)))
    english.post(url("vote", conversation), {"statement": first, "choice": "agree"})
    html = page(english, url("conversation", conversation))
    card = html[html.index('id="statement-card"') : html.index('id="card-body"')]
    assert '<p class="message message-success" id="vote-message">Your answer was saved.</p>' in card
    assert html.count("Your answer was saved.") == 1
    answers_url = url("answers", conversation)
    english.post(
        url("vote", conversation),
        {"statement": first, "choice": "disagree", "next": f"{answers_url}#answer-{first}"},
    )
    html = page(english, answers_url)
    item = html[html.index(f'id="answer-{first}"') :]
    item = item[: item.index("</li>")]
    assert '<p class="message message-success">Your answer was saved.</p>' in item
    assert html.count("Your answer was saved.") == 1


def test_a_refused_change_of_an_answer_no_longer_listed_is_said_at_the_top(english, conversation, seeds):
    # Withdrawn while the answers page was open: its refusal was kept for a slot no longer shown.
    english.post(url("vote", conversation), {"statement": seeds[0].pk, "choice": "agree"})
    page(english, url("answers", conversation))  # the confirmation, shown and gone
    Statement.objects.filter(pk=seeds[0].pk).update(status=Statement.Status.REJECTED)
    answers_url = url("answers", conversation)
    english.post(
        url("vote", conversation),
        {"statement": seeds[0].pk, "choice": "disagree", "next": f"{answers_url}#answer-{seeds[0].pk}"},
    )
    html = page(english, answers_url)
    assert "That statement does not exist in this conversation." in html
