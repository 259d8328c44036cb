"""What a keyboard or screen-reader moderator notices: where a decision leaves them, which field
an error belongs to, and texts in their own language."""

import re
from datetime import timedelta

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.conftest import make_seed
from tests.moderation.conftest import make_pending


def _signed_in(user):
    client = Client()
    client.force_login(user)
    return client


def test_after_a_decision_the_queue_opens_at_the_next_statement(moderator, conversation):
    now = timezone.now()
    first = make_pending(conversation, "Ensimmäinen odottava väite", submitted_at=now - timedelta(hours=3))
    second = make_pending(conversation, "Toinen odottava väite", submitted_at=now - timedelta(hours=2))
    client = _signed_in(moderator)
    response = client.post(reverse("moderation:decide", args=[first.pk]), {"decision": "approve"})
    assert response.status_code == 302
    assert response["Location"].endswith(f"#statement-{second.pk}")
    page = client.get(response["Location"].split("#")[0]).content.decode()
    assert f'id="statement-{second.pk}"' in page
    # The last one decided: back to the queue, which says nothing awaits.
    last = client.post(reverse("moderation:decide", args=[second.pk]), {"decision": "approve"})
    assert "#" not in last["Location"]


def test_a_rejection_without_a_reason_marks_the_reason_field(moderator, conversation, pending):
    client = _signed_in(moderator)
    response = client.post(reverse("moderation:decide", args=[pending.pk]), {"decision": "reject"}, follow=True)
    page = response.content.decode()
    field = re.search(rf'<select id="reason-{pending.pk}"[^>]*>', page).group(0)
    assert 'aria-invalid="true"' in field
    assert f'aria-describedby="decision-error-{pending.pk}"' in field
    assert f'id="decision-error-{pending.pk}"' in page
    other = re.search(rf'<textarea id="explanation-{pending.pk}"[^>]*>', page).group(0)
    assert "aria-invalid" not in other


def test_each_similar_statements_region_has_a_name_of_its_own(moderator, conversation):
    a = make_pending(conversation, "Puistoihin lisää penkkejä")
    b = make_pending(conversation, "Kirjastoihin lisää iltavuoroja")
    queue = reverse("moderation:conversation_queue", args=[conversation.slug])
    page = _signed_in(moderator).get(queue).content.decode()
    for statement in (a, b):
        assert f'aria-labelledby="similar-{statement.pk} statement-{statement.pk}-title"' in page


def test_log_filter_errors_are_tied_to_their_field(moderator):
    page = _signed_in(moderator).get(reverse("moderation:log") + "?since=foo").content.decode()
    described = re.search(r'<input[^>]*name="since"[^>]*aria-describedby="([^"]+)"', page).group(1)
    assert re.search(rf'<p class="error-text" id="{described}">', page)


def test_log_filter_names_conversations_in_the_readers_language(moderator, conversation):
    conversation.title_sv = "Parker i Helsingfors"
    conversation.save()
    page = _signed_in(moderator).get(reverse("moderation:log") + "?lang=sv").content.decode()
    assert "Parker i Helsingfors" in page


def test_statement_text_carries_its_language(moderator, conversation, pending):
    seed = make_seed(conversation, text="Parkerna behöver fler bänkar")
    seed.text_fi, seed.text_sv = "", seed.text
    seed.save()
    client = _signed_in(moderator)
    page = client.get(reverse("moderation:conversation_queue", args=[conversation.slug]) + "?lang=sv").content.decode()
    # A resident's own wording: its language is not recorded, so it is marked unknown, not Swedish.
    assert re.search(r'<p class="statement-text" lang="">“Kirjastojen aukioloaikoja', page)
    detail = client.get(reverse("moderation:statement", args=[seed.pk]) + "?lang=en").content.decode()
    assert '<p class="statement-text" lang="sv">“Parkerna behöver fler bänkar”' in detail


def test_the_language_switch_returns_to_the_same_filtered_page(moderator, conversation):
    page = _signed_in(moderator).get(
        reverse("moderation:log") + f"?conversation={conversation.slug}&action=approve&lang=en"
    ).content.decode()
    value = re.search(r'<input type="hidden" name="next" value="([^"]+)">', page).group(1)
    assert value == f"/moderation/log/?conversation={conversation.slug}&amp;action=approve"


def test_a_refused_edit_marks_the_wording_and_nothing_else(moderator, conversation, pending):
    client = _signed_in(moderator)
    response = client.post(
        reverse("moderation:decide", args=[pending.pk]), {"decision": "approve", "text": "x" * 500}, follow=True
    )
    page = response.content.decode()
    wording = re.search(rf'<textarea id="text-{pending.pk}"[^>]*>', page).group(0)
    assert 'aria-invalid="true"' in wording
    reason = re.search(rf'<select id="reason-{pending.pk}"[^>]*>', page).group(0)
    assert "aria-invalid" not in reason
