"""The queue's facts and urgency marks, the dashboard figures, the digest and authors' view."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from moderation import selectors, services
from moderation.deadlines import HELSINKI
from moderation.models import ModerationAction
from statements.models import Statement
from tests.conftest import make_participant, make_seed
from tests.moderation.conftest import make_moderator, make_pending

pytestmark = pytest.mark.django_db
Reason = ModerationAction.Reason


def hki(*args):
    from datetime import datetime

    return datetime(*args, tzinfo=HELSINKI)


def test_queue_is_oldest_first_with_author_rejections_and_deadline(conversation, moderator):
    author = make_participant(conversation)
    earlier = make_pending(
        conversation, "Hylätty aiemmin", author=author, submitted_at=hki(2026, 1, 12, 9)
    )
    services.statement_reject(statement_id=earlier.pk, moderator=moderator, reason=Reason.INSULTING)
    newer = make_pending(conversation, "Uusi", author=author, submitted_at=hki(2026, 1, 16, 15))
    older = make_pending(conversation, "Vanha", submitted_at=hki(2026, 1, 15, 8))
    items = selectors.moderation_queue(conversation=conversation, now=hki(2026, 1, 19, 12))
    assert [item.statement for item in items] == [older, newer]
    assert [item.author_rejected_count for item in items] == [0, 1]
    assert items[1].deadline == hki(2026, 1, 19, 15)
    assert items[1].is_due_soon and not items[1].is_overdue and items[1].urgency == "due_soon"
    assert items[0].is_overdue and items[0].urgency == "overdue"
    assert (items[1].hours_left, items[1].minutes_left) == (3, 0)
    # At the deadline itself it is still in time (as the figures count a decision made then).
    at_deadline = selectors.moderation_queue(conversation=conversation, now=hki(2026, 1, 19, 15))
    assert at_deadline[1].statement == newer and not at_deadline[1].is_overdue
    just_after = selectors.moderation_queue(conversation=conversation, now=hki(2026, 1, 19, 15, 0, 1))
    assert just_after[1].is_overdue


def test_queue_page_shows_facts_and_marks_overdue_in_words(client, moderator, conversation):
    statement = make_pending(
        conversation, "Kauan odottanut", submitted_at=timezone.now() - timedelta(days=10)
    )
    client.force_login(moderator)
    client.cookies["voxit_language"] = "en"
    html = client.get(
        reverse("moderation:conversation_queue", kwargs={"slug": conversation.slug})
    ).content.decode()
    assert "Kauan odottanut" in html
    assert f"P{statement.author_id}" in html
    assert "urgency-overdue" in html and '<span class="urgency">Overdue</span>' in html
    assert "<dt>Working time left</dt>" in html and "left</dd>" not in html  # "left" said once
    assert "0 statements rejected earlier" in html
    assert statement.submitted_at.astimezone(HELSINKI).strftime("%H:%M") in html


def test_queue_says_in_finnish_how_much_working_time_is_left(client, moderator, conversation):
    statement = make_pending(conversation, "Juuri saapunut")
    client.force_login(moderator)
    client.cookies["voxit_language"] = "fi"
    html = client.get(
        reverse("moderation:conversation_queue", kwargs={"slug": conversation.slug})
    ).content.decode()
    item = next(i for i in selectors.moderation_queue(conversation=conversation) if i.statement == statement)
    assert not item.is_overdue
    time_left = re.search(
        r'<dt>Työaikaa jäljellä</dt><dd class="time-left">((?:<span[^>]*>[^<]*</span> )?[^<]*)</dd>', html
    )
    assert time_left, "the queue names the working time left"
    assert re.fullmatch(r"(<span class=\"urgency\">Erääntyy pian</span> )?\d+ h \d+ min", time_left.group(1))


def test_queue_of_all_conversations_names_the_conversation(client, moderator, conversation):
    from tests.conftest import make_conversation

    second = make_conversation(title_fi="Toinen keskustelu")
    make_pending(conversation, "Ensimmäisen väite")
    make_pending(second, "Toisen väite")
    client.force_login(moderator)
    html = client.get(reverse("moderation:queue")).content.decode()
    assert "Ensimmäisen väite" in html and "Toisen väite" in html and "Toinen keskustelu" in html


def test_figures_time_to_decision_in_working_and_wall_hours(
    conversation, moderator, other_moderator
):
    a = make_pending(conversation, "A", submitted_at=hki(2026, 1, 16, 15))  # Friday 15:00
    b = make_pending(conversation, "B", submitted_at=hki(2026, 1, 19, 9))  # Monday 09:00
    c = make_pending(conversation, "C", submitted_at=hki(2026, 1, 19, 10))
    make_pending(conversation, "D", submitted_at=hki(2026, 1, 19, 11))
    # a: Monday 16:00 → 25 working h (late), 73 wall h; b: 2 h; c: 4 h (all in time).
    services.statement_approve(statement_id=a.pk, moderator=moderator, now=hki(2026, 1, 19, 16))
    services.statement_approve(statement_id=b.pk, moderator=moderator, now=hki(2026, 1, 19, 11))
    services.statement_reject(
        statement_id=c.pk,
        moderator=other_moderator,
        reason=Reason.OFF_TOPIC,
        now=hki(2026, 1, 19, 14),
    )
    # A reversal is not a decision time.
    services.statement_decision_reverse(
        statement_id=b.pk,
        moderator=other_moderator,
        reason=Reason.INSULTING,
        explanation="x",
        now=hki(2026, 1, 30, 12),
    )
    figures = selectors.moderation_figures(conversation=conversation, now=hki(2026, 1, 20, 8))
    assert figures.pending == 1 and figures.overdue == 0 and figures.due_soon == 1
    assert figures.times.decided == 3
    assert figures.times.median_working_hours == 4.0
    assert figures.times.median_wall_hours == 4.0
    assert figures.times.p90_working_hours == pytest.approx(25 - 0.2 * 21, abs=0.1)
    assert figures.times.p90_wall_hours == pytest.approx(73 - 0.2 * 69, abs=0.1)
    assert figures.times.within_deadline_percent == 67
    by = {row.moderator: row.times for row in figures.by_moderator}
    assert by["moderaattori"].decided == 2 and by["moderaattori"].within_deadline_percent == 50
    assert by["toinen"].decided == 1 and by["toinen"].within_deadline_percent == 100


def test_dashboard_shows_the_figures(client, moderator, conversation, pending):
    client.force_login(moderator)
    html = client.get(reverse("moderation:dashboard")).content.decode()
    assert 'data-figure="pending">1<' in html and 'data-figure="decided">0<' in html
    services.statement_approve(statement_id=pending.pk, moderator=moderator)
    html = client.get(reverse("moderation:dashboard")).content.decode()
    assert 'data-figure="pending">0<' in html and 'data-figure="decided">1<' in html
    assert "moderaattori" in html


def test_digest_lists_due_and_overdue_to_moderators(conversation, settings):
    settings.MODERATION_DIGEST_ENABLED = True
    make_moderator("mod-a", email="a@example.org")
    make_moderator("mod-b", email="b@example.org")
    make_moderator("mod-no-mail")
    make_pending(conversation, "Myöhässä oleva", submitted_at=hki(2026, 1, 12, 9))
    make_pending(conversation, "Pian erääntyvä", submitted_at=hki(2026, 1, 16, 15))
    make_pending(conversation, "Ei vielä", submitted_at=hki(2026, 1, 19, 11))
    sent = services.moderation_digest_send(now=hki(2026, 1, 19, 12))
    assert sent == 2
    assert sorted(message.to[0] for message in mail.outbox) == ["a@example.org", "b@example.org"]
    body = mail.outbox[0].body
    assert "Myöhässä oleva" in body and "Pian erääntyvä" in body and "Ei vielä" not in body
    assert "1" in mail.outbox[0].subject


def test_digest_links_are_absolute_when_the_site_address_is_set(conversation, settings):
    settings.MODERATION_DIGEST_ENABLED = True
    settings.SITE_URL = "https://voxit.example.fi"
    make_moderator("mod-a", email="a@example.org")
    statement = make_pending(conversation, "Myöhässä oleva", submitted_at=hki(2026, 1, 12, 9))
    assert services.moderation_digest_send(now=hki(2026, 1, 19, 12)) == 1
    link = "https://voxit.example.fi" + reverse("moderation:conversation_queue", kwargs={"slug": conversation.slug})
    assert any(
        line.strip().startswith(link) and line.strip().endswith(f"#statement-{statement.pk}")
        for line in mail.outbox[0].body.splitlines()
    ), mail.outbox[0].body


def test_digest_is_silent_when_nothing_is_due_or_it_is_off(conversation, settings):
    make_moderator("mod-a", email="a@example.org")
    make_pending(conversation, "Ei vielä", submitted_at=hki(2026, 1, 19, 11))
    settings.MODERATION_DIGEST_ENABLED = True
    assert services.moderation_digest_send(now=hki(2026, 1, 19, 12)) == 0
    make_pending(conversation, "Myöhässä", submitted_at=hki(2026, 1, 12, 9))
    settings.MODERATION_DIGEST_ENABLED = False
    assert services.moderation_digest_send(now=hki(2026, 1, 19, 12)) == 0
    assert mail.outbox == []


def test_digest_is_not_sent_again_until_there_is_news_or_a_new_working_day(conversation, settings):
    """Beat runs the digest hourly: an unchanged list is not mailed again every hour, through
    nights and weekends; a newly overdue statement is, and Monday morning brings one reminder."""
    settings.MODERATION_DIGEST_ENABLED = True
    make_moderator("mod-a", email="a@example.org")
    make_pending(conversation, "Myöhässä perjantaina", submitted_at=hki(2026, 1, 15, 9))  # Thursday
    friday_evening = hki(2026, 1, 16, 18)
    assert services.moderation_digest_send(now=friday_evening) == 1
    hourly = [friday_evening + timedelta(hours=h) for h in range(1, 62)]  # to Monday 08:00
    assert sum(services.moderation_digest_send(now=moment) for moment in hourly) == 1
    assert len(mail.outbox) == 2  # Friday evening, and Monday's reminder just after midnight
    assert hki(2026, 1, 19, 0) <= timezone.localtime(_last_digest_sent_at()) < hki(2026, 1, 19, 1)
    make_pending(conversation, "Uusi kiireinen", submitted_at=hki(2026, 1, 16, 11))  # due Mon 11:00
    assert services.moderation_digest_send(now=hki(2026, 1, 19, 8)) == 1  # now due soon: news
    assert "Uusi kiireinen" in mail.outbox[-1].body
    assert services.moderation_digest_send(now=hki(2026, 1, 19, 9)) == 0


def _last_digest_sent_at():
    from moderation.models import DigestSent

    return DigestSent.objects.order_by("-sent_at").first().sent_at


def test_digest_reaches_everyone_with_the_permission_once(conversation, settings):
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group, Permission

    settings.MODERATION_DIGEST_ENABLED = True
    city = Group.objects.create(name="Kaupungin moderaattorit")
    city.permissions.add(Permission.objects.get(codename="moderate_statement"))
    member = get_user_model().objects.create_user("city-mod", email="kaisa@hel.fi", password="x" * 12)
    member.groups.add(city)
    make_moderator("matti-1", email="Matti@hel.fi")
    make_moderator("matti-2", email="matti@hel.fi")
    make_pending(conversation, "Myöhässä", submitted_at=hki(2026, 1, 12, 9))
    assert services.moderation_digest_send(now=hki(2026, 1, 19, 12)) == 2
    assert sorted(m.to[0].casefold() for m in mail.outbox) == ["kaisa@hel.fi", "matti@hel.fi"]


def test_digest_task_is_scheduled_and_calls_the_service(monkeypatch):
    from django.conf import settings

    from moderation import tasks

    assert settings.CELERY_BEAT_SCHEDULE["moderation-digest"]["task"] == "moderation.digest"
    monkeypatch.setattr(services, "moderation_digest_send", lambda: 7)
    assert tasks.moderation_digest() == 7


def test_author_sees_each_outcome_in_their_language(client, conversation, moderator):
    client.get(reverse("statements:conversation", kwargs={"slug": conversation.slug}))
    new_url = reverse("statements:statement_new", kwargs={"slug": conversation.slug})
    original = make_seed(conversation, "Puistoihin lisää penkkejä")
    for text in (
        "Uimahalli auki aiemmin",
        "Kirjastoon lisää lehtiä",
        "Penkkejä puistoihin lisää",
        "Odottava väite",
    ):
        assert client.post(new_url, {"text": text, "confirm": "1"}).status_code == 302
    mine = {s.text: s for s in Statement.objects.filter(origin="participant")}
    services.statement_approve(
        statement_id=mine["Uimahalli auki aiemmin"].pk,
        moderator=moderator,
        text="Uimahalli pitää avata aiemmin",
    )
    services.statement_reject(
        statement_id=mine["Kirjastoon lisää lehtiä"].pk,
        moderator=moderator,
        reason=Reason.OTHER,
        explanation="Kirjastot eivät kuulu tähän kyselyyn",
    )
    services.statement_reject(
        statement_id=mine["Penkkejä puistoihin lisää"].pk,
        moderator=moderator,
        reason=Reason.DUPLICATE,
        duplicate_of_id=original.pk,
    )
    client.cookies["voxit_language"] = "en"
    html = client.get(
        reverse("statements:mine", kwargs={"slug": conversation.slug})
    ).content.decode()
    assert (
        "Uimahalli pitää avata aiemmin" in html
        and "You wrote:" in html
        and "Uimahalli auki aiemmin" in html
    )
    assert re.search(r"Reason:\s+Kirjastot eivät kuulu tähän kyselyyn", html)  # not "Reason: Other reason:"
    assert "Other reason" not in html
    assert "It repeats a statement already in the conversation (rule 3)" in html
    assert (
        reverse(
            "statements:statement", kwargs={"slug": conversation.slug, "statement_id": original.pk}
        )
        in html
    )
    assert "a decision is promised by" in html
    client.cookies["voxit_language"] = "fi"
    html_fi = client.get(
        reverse("statements:mine", kwargs={"slug": conversation.slug})
    ).content.decode()
    assert 'lang="fi"' in html_fi


def test_the_queue_refuses_to_reject_what_others_were_rejected_as_duplicates_of(
    client, moderator, conversation
):
    """From the queue: the second look-alike is rejected as a duplicate of the first, then the
    moderator tries to reject the first too. The page says why not and what to do; the first
    stays in the queue, and its page lists the duplicate."""
    first = make_pending(conversation, "Lisää penkkejä puistoihin")
    second = make_pending(conversation, "Puistoihin tarvitaan lisää penkkejä")
    client.force_login(moderator)
    decide = "moderation:decide"
    response = client.post(
        reverse(decide, args=[second.pk]) + "?lang=en", {"reject_duplicate_of": first.pk}
    )
    assert response.status_code == 302
    page = client.post(
        reverse(decide, args=[first.pk]) + "?lang=en",
        {"decision": "reject", "reason": "off_topic"},
        follow=True,
    ).content.decode()
    assert f"Statement #{second.pk} was rejected as a duplicate of #{first.pk}" in page
    first.refresh_from_db()
    assert first.status == Statement.Status.PENDING
    queue = client.get(reverse("moderation:queue") + "?lang=en").content.decode()
    assert f'id="statement-{first.pk}"' in queue
    # The queue says so before the moderator tries: beside the first, a link to the duplicate.
    notice = re.search(rf'id="duplicates-{first.pk}">(.*?)</p>', queue, re.S)
    assert notice and reverse("moderation:statement", args=[second.pk]) in notice.group(1)
    detail = client.get(reverse("moderation:statement", args=[first.pk]) + "?lang=en").content.decode()
    assert "Rejected as its duplicates" in detail
    assert reverse("moderation:statement", args=[second.pk]) in detail


def test_a_long_queue_comes_in_pages_oldest_first(client, moderator, conversation):
    start = timezone.now() - timedelta(hours=3)
    pending = [
        make_pending(conversation, f"Ehdotus numero {n}", submitted_at=start + timedelta(minutes=n))
        for n in range(selectors.QUEUE_PAGE_SIZE + 7)
    ]
    client.force_login(moderator)
    url = reverse("moderation:conversation_queue", args=[conversation.slug])

    def shown(page):
        return [int(pk) for pk in re.findall(r'data-statement="(\d+)"', page)]

    first = client.get(url + "?lang=en").content.decode()
    assert f"{len(pending)} statements awaiting moderation" in first
    assert shown(first) == [s.pk for s in pending[: selectors.QUEUE_PAGE_SIZE]]
    assert "Page 1 of 2" in first and "lang=en&amp;page=2" in first
    second = client.get(url + "?lang=en&page=2").content.decode()
    assert shown(second) == [s.pk for s in pending[selectors.QUEUE_PAGE_SIZE :]]
    for page in ("999", "abc", "-1"):
        response = client.get(url + "?lang=en&page=" + page)
        assert response.status_code == 200
        assert shown(response.content.decode()), page


def test_a_statement_cannot_be_rejected_as_a_duplicate_of_itself(client, moderator, conversation):
    statement = make_pending(conversation, "Lisää penkkejä puistoihin")
    client.force_login(moderator)
    page = client.post(
        reverse("moderation:decide", args=[statement.pk]) + "?lang=en",
        {"decision": "reject", "reason": "duplicate", "duplicate_of": statement.pk},
        follow=True,
    ).content.decode()
    assert "A statement cannot duplicate itself: give the number of the other statement." in page
    assert "is not a published or pending statement" not in page  # it is one
    statement.refresh_from_db()
    assert statement.status == Statement.Status.PENDING


def test_approving_with_the_wording_box_emptied_is_refused_not_published_as_submitted(
    client, moderator, conversation
):
    statement = make_pending(conversation, "Lisää penkkejä puistoihin")
    client.force_login(moderator)
    page = client.post(
        reverse("moderation:decide", args=[statement.pk]) + "?lang=en",
        {"decision": "approve", "text": "   "},
        follow=True,
    ).content.decode()
    assert "The edited wording is empty." in page
    statement.refresh_from_db()
    assert statement.status == Statement.Status.PENDING


def test_a_bulk_refusal_says_its_reason_once_naming_the_statements(client, moderator, conversation):
    first, second = make_pending(conversation, "Ensimmäinen"), make_pending(conversation, "Toinen")
    client.force_login(moderator)
    page = client.post(
        reverse("moderation:bulk") + "?lang=en",
        {"decision": "reject", "statements": [first.pk, second.pk], "reason": "other"},
        follow=True,
    ).content.decode()
    refusals = re.findall(r"Not decided: ([^.]*)\. ([^<]*)<", page)
    assert len(refusals) == 1, refusals
    assert refusals[0][0] == f"#{first.pk}, #{second.pk}"
    assert Statement.objects.filter(status=Statement.Status.PENDING).count() == 2
    # Both stay ticked with the reason chosen, to add the explanation and send again.
    for statement in (first, second):
        assert f'value="{statement.pk}" id="select-{statement.pk}" checked>' in page
    assert re.search(r'id="bulk-reason" name="reason">.*?<option value="other" selected>', page, re.S)
    later = client.get(reverse("moderation:queue") + "?lang=en").content.decode()
    assert " checked>" not in later


def test_a_refused_decision_keeps_what_the_moderator_typed_beside_its_message(
    client, moderator, conversation
):
    statement = make_pending(conversation, "Lisää penkkejä puistoihin")
    client.force_login(moderator)
    queue_url = reverse("moderation:conversation_queue", args=[conversation.slug])
    response = client.post(
        reverse("moderation:decide", args=[statement.pk]) + "?lang=en",
        {
            "decision": "reject",
            "reason": "duplicate",
            "duplicate_of": "999999",
            "text": "Puistoihin tarvitaan lisää penkkejä",
            "explanation": "Sama ajatus kuin toisessa",
            "next": queue_url,
        },
    )
    assert response.status_code == 302
    # The browser lands on the message itself (focusable), inside the statement's card.
    assert response["Location"].endswith(f"#decision-error-{statement.pk}")
    html = client.get(response["Location"].split("#")[0] + "?lang=en").content.decode()
    error = re.search(
        rf'<p class="error-summary" role="alert" id="decision-error-{statement.pk}"[^>]*autofocus>([^<]*)</p>', html
    )
    assert error and "#999999 is not a published or pending statement" in error.group(1)
    typed = rf'id="text-{statement.pk}" name="text" rows="3"[^>]*>Puistoihin tarvitaan lisää penkkejä</textarea>'
    assert re.search(typed, html)
    assert re.search(r'name="explanation" rows="2"[^>]*>Sama ajatus kuin toisessa</textarea>', html)
    # The number given is the field at fault, and the message describes it.
    duplicate = re.search(rf'<input type="number" id="duplicate-{statement.pk}"[^>]*>', html).group(0)
    assert 'aria-invalid="true"' in duplicate and f'aria-describedby="decision-error-{statement.pk}"' in duplicate
    assert '<option value="duplicate" selected>' in html and 'value="999999"' in html
    # Once shown, the queue is as before.
    again = client.get(queue_url + "?lang=en").content.decode()
    assert "decision-error-" not in again and "Sama ajatus kuin toisessa" not in again
    statement.refresh_from_db()
    assert statement.status == Statement.Status.PENDING


def test_an_imported_polis_archives_unmoderated_comments_stay_out_of_the_live_queue_and_digest(
    client, conversation, moderator, settings
):
    # Imported, they topped the oldest-first queue as "Overdue by 48560 h", counted as overdue
    # on the dashboard and were mailed to moderators.
    from clustering.models import PolisSource
    from tests.conftest import make_conversation

    settings.MODERATION_DIGEST_ENABLED = True
    moderator.email = "m@example.org"
    moderator.save()
    archive = make_conversation(opens_delta=timedelta(days=-3000), closes_delta=timedelta(days=-2900))
    PolisSource.objects.create(conversation=archive, name="15-per-hour-seattle")
    old = make_pending(archive, "Vuoden 2018 kommentti", submitted_at=hki(2018, 11, 17, 9))
    live = make_pending(conversation, "Myöhässä oleva", submitted_at=hki(2026, 1, 12, 9))
    now = hki(2026, 1, 19, 12)
    assert [item.statement for item in selectors.moderation_queue(now=now)] == [live]
    assert selectors.moderation_figures(now=now).overdue == 1
    assert services.moderation_digest_send(now=now) == 1
    assert "Vuoden 2018" not in mail.outbox[0].body
    # Its own queue still offers it, with no deadline Voxit never promised.
    (item,) = selectors.moderation_queue(conversation=archive, now=now)
    assert item.statement == old and item.deadline is None and not item.is_overdue
    client.force_login(moderator)
    html = client.get(
        reverse("moderation:conversation_queue", kwargs={"slug": archive.slug}) + "?lang=en"
    ).content.decode()
    assert "Vuoden 2018 kommentti" in html
    assert "None: imported from a Polis export, unmoderated there." in html
    assert "Overdue" not in html


def test_select_all_on_this_page_ticks_every_statement_shown_without_javascript(client, conversation, moderator):
    pending = [make_pending(conversation, f"Valittava {i}") for i in range(3)]
    client.force_login(moderator)
    url = reverse("moderation:queue")
    page = client.get(url + "?lang=en").content.decode()
    assert "Select all 3 statements on this page" in page
    assert page.count('name="statements"') == 3 and 'name="statements" value' in page
    assert " checked>" not in page
    ticked = client.get(url + "?lang=en&select=all").content.decode()
    assert ticked.count(" checked>") == 3
    assert "Clear the selection" in ticked
    # Deciding returns to the page without the selection: what is left is not ticked for them.
    assert 'name="next" value="/moderation/queue/?lang=en"' in ticked
    response = client.post(
        reverse("moderation:bulk"),
        {"decision": "approve", "statements": [p.pk for p in pending], "next": "/moderation/queue/?lang=en"},
    )
    assert response["Location"] == "/moderation/queue/?lang=en"
    assert Statement.objects.filter(status="published").count() == 3
