"""The staff report, the residents' results and the export: content, scale and permissions."""

import io
import zipfile

import pytest
from django.urls import reverse

from clustering import services
from clustering.models import ClusteringRun
from statements.models import Statement
from tests.conftest import make_conversation, make_participant, make_seed
from tests.reports.conftest import make_voted_conversation

EVIL = '<script>alert("x")</script>'


def report_urls(slug):
    return [
        ("get", reverse("reports:index")),
        ("get", reverse("reports:report", kwargs={"slug": slug})),
        ("get", reverse("reports:export", kwargs={"slug": slug})),
        ("post", reverse("reports:recompute", kwargs={"slug": slug})),
    ]


@pytest.fixture
def voted(db):
    conversation = make_voted_conversation(60, show_results=True)
    Statement.objects.filter(conversation=conversation).update(text=EVIL)
    services.conversation_recluster(conversation_id=conversation.pk)
    return conversation


def test_anonymous_visitors_are_sent_to_login(client, voted):
    for method, url in report_urls(voted.slug):
        response = getattr(client, method)(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url


def test_logged_in_users_without_permission_are_refused(client, voted, plain_user):
    client.force_login(plain_user)
    for method, url in report_urls(voted.slug):
        assert getattr(client, method)(url).status_code == 403, url


@pytest.mark.parametrize("who", ["staff_user", "report_viewer"])
def test_staff_and_report_viewers_get_every_report_url(client, voted, who, request):
    client.force_login(request.getfixturevalue(who))
    for method, url in report_urls(voted.slug):
        response = getattr(client, method)(url)
        assert response.status_code in (200, 302), url
        if method == "post":
            assert response["Location"].endswith(
                reverse("reports:report", kwargs={"slug": voted.slug})
            )


def test_report_with_no_votes_says_not_enough_votes(client, staff_user, db):
    conversation = make_conversation()
    make_seed(conversation, "Only a seed")
    client.force_login(staff_user)
    response = client.get(reverse("reports:report", kwargs={"slug": conversation.slug}))
    assert response.status_code == 200
    assert b'id="not-enough"' in response.content
    assert b"<svg" in response.content  # participation charts still render


def test_results_of_a_closed_conversation_without_groups_do_not_ask_to_come_back(client, db):
    from datetime import timedelta

    conversation = make_conversation(
        show_results=True, opens_delta=timedelta(days=-10), closes_delta=timedelta(days=-1)
    )
    make_seed(conversation, "Only a seed")
    client.cookies["voxit_language"] = "en"
    html = client.get(reverse("statements:results", kwargs={"slug": conversation.slug})).content.decode()
    assert "The conversation did not get enough votes to show opinion groups." in html
    assert "Come back later" not in html


def test_report_with_a_few_voters_renders(client, staff_user, db):
    conversation = make_voted_conversation(4)
    services.conversation_recluster(conversation_id=conversation.pk)
    client.force_login(staff_user)
    response = client.get(reverse("reports:report", kwargs={"slug": conversation.slug}))
    assert response.status_code == 200


def test_report_shows_groups_map_and_escapes_statement_text(client, staff_user, voted):
    client.force_login(staff_user)
    response = client.get(
        reverse("reports:report", kwargs={"slug": voted.slug}) + "?statements=1&sort=agree&dir=desc"
    )
    html = response.content.decode()
    assert 'class="opinion-map"' in html and "Group A" in html
    assert EVIL not in html and "&lt;script&gt;" in html
    assert 'id="computed-at"' in html
    assert 'aria-sort="descending"' in html


def test_report_with_thousands_of_participants_draws_aggregated_map(client, staff_user, db):
    conversation = make_voted_conversation(3000, 20)
    services.conversation_recluster(conversation_id=conversation.pk)
    client.force_login(staff_user)
    response = client.get(reverse("reports:report", kwargs={"slug": conversation.slug}))
    html = response.content.decode()
    assert response.status_code == 200
    assert "cluster of similar participants" in html
    assert html.count("fill-opacity") <= 100  # base clusters, not one mark per participant


def test_failed_run_is_visible_to_staff_and_previous_result_stays(client, staff_user, voted):
    ClusteringRun.objects.create(
        conversation=voted, status=ClusteringRun.Status.FAILED, error="Boom: bad data"
    )
    client.force_login(staff_user)
    html = client.get(reverse("reports:report", kwargs={"slug": voted.slug})).content.decode()
    assert "Boom: bad data" in html and 'class="opinion-map"' in html


def test_export_zip_holds_the_five_polis_files(client, staff_user, voted):
    client.force_login(staff_user)
    response = client.get(reverse("reports:export", kwargs={"slug": voted.slug}))
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    names = {name.split("/")[-1] for name in archive.namelist()}
    assert names == {
        "summary.csv",
        "comments.csv",
        "votes.csv",
        "participants-votes.csv",
        "comment-groups.csv",
    }
    header = archive.read(f"{voted.slug}/participants-votes.csv").decode().splitlines()[0]
    assert header.startswith("participant,xid,group-id,n-comments,n-votes,n-agree,n-disagree,")


def test_results_hidden_unless_the_conversation_shows_them(client, db):
    conversation = make_voted_conversation(20, show_results=False)
    assert (
        client.get(reverse("statements:results", kwargs={"slug": conversation.slug})).status_code
        == 404
    )


@pytest.mark.parametrize("n", [0, 5, 2500])
def test_results_page_renders_at_any_size(client, db, n):
    conversation = (
        make_voted_conversation(n, show_results=True) if n else make_conversation(show_results=True)
    )
    if n:
        services.conversation_recluster(conversation_id=conversation.pk)
    response = client.get(reverse("statements:results", kwargs={"slug": conversation.slug}))
    assert response.status_code == 200
    if n < 15:
        assert b'id="not-enough"' in response.content or b'id="my-group"' in response.content


def test_resident_learns_their_group_once_they_have_voted_enough(client, voted):
    from statements.participants import participant_for  # noqa: F401 - cookie flow below

    page = reverse("statements:conversation", kwargs={"slug": voted.slug})
    client.get(page)
    statements = list(Statement.objects.filter(conversation=voted).values_list("pk", flat=True))
    html = client.get(reverse("statements:results", kwargs={"slug": voted.slug})).content.decode()
    assert "more statements" in html
    for pk in statements[:8]:
        client.post(
            reverse("statements:vote", kwargs={"slug": voted.slug}),
            {"statement": pk, "choice": "agree"},
        )
    services.conversation_recluster(conversation_id=voted.pk)
    html = client.get(reverse("statements:results", kwargs={"slug": voted.slug})).content.decode()
    assert "Your answers are closest to" in html
    assert f'href="/c/{voted.slug}/results/"' in client.get(page).content.decode()


def test_results_link_only_when_results_are_shown(client, db):
    hidden = make_conversation(show_results=False)
    html = client.get(
        reverse("statements:conversation", kwargs={"slug": hidden.slug})
    ).content.decode()
    assert "/results/" not in html
    make_participant(hidden)


def test_report_shows_statements_in_the_readers_language(client, staff_user, voted):
    statement = voted.statements.order_by("pk").first()
    type(statement).objects.filter(pk=statement.pk).update(
        text_sv="Planterat påstående på svenska", text_en="Planted statement in English"
    )
    client.force_login(staff_user)
    url = reverse("reports:report", kwargs={"slug": voted.slug})
    assert "Planted statement in English" in client.get(url + "?lang=en").content.decode()
    assert "Planterat påstående på svenska" in client.get(url + "?lang=sv").content.decode()
    finnish = client.get(url + "?lang=fi").content.decode()
    assert "Planted statement in English" not in finnish


def test_report_moderation_figures_count_working_hours_against_the_deadline(client, staff_user, db):
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    from django.contrib.auth.models import Group, User

    from moderation import services as moderation_services
    from statements import services as statement_services

    helsinki = ZoneInfo("Europe/Helsinki")
    conversation = make_conversation(opens_delta=timedelta(days=-30), closes_delta=timedelta(days=30))
    moderator = User.objects.create_user("mod-report", password="pw-mod-123")
    moderator.groups.add(Group.objects.get(name="Moderators"))
    friday = datetime(2026, 11, 13, 15, 0, tzinfo=helsinki)
    statement = statement_services.statement_submit(
        participant=make_participant(conversation), text="Kirjastoihin lisää iltatapahtumia", now=friday
    )
    # Friday 15:00 -> Monday 14:00 is 23 working hours (the weekend does not count), 71 on the clock.
    moderation_services.statement_approve(
        statement_id=statement.pk, moderator=moderator, now=datetime(2026, 11, 16, 14, 0, tzinfo=helsinki)
    )
    client.force_login(staff_user)
    page = client.get(reverse("reports:report", kwargs={"slug": conversation.slug}) + "?lang=en")
    text = page.content.decode()
    assert "23.0 / 71.0" in text
    assert "Decided within the deadline" in text and "100%" in text  # English: no space


def make_pending_statement(conversation, text):
    from statements import services as statement_services

    return statement_services.statement_submit(participant=make_participant(conversation), text=text)


def test_statement_rejected_after_the_last_run_never_shows_in_results_or_report(
    client, staff_user, voted
):
    from clustering.report import conversation_report

    report = conversation_report(conversation=voted)
    shown = {rep.row.pk for group in report.groups for rep in group.representative}
    assert shown, "the planted groups have representative statements"
    rejected_pk = next(iter(shown))
    # Rejected after the run, before the next one: the stored result still lists it.
    Statement.objects.filter(pk=rejected_pk).update(
        status=Statement.Status.REJECTED, text="Nimetty henkilö X on syyllinen", text_key="x"
    )
    assert "Nimetty henkilö X" not in client.get(
        reverse("statements:results", kwargs={"slug": voted.slug})
    ).content.decode()
    client.force_login(staff_user)
    report = conversation_report(conversation=voted)
    assert rejected_pk not in {rep.row.pk for g in report.groups for rep in g.representative}
    # Nor on the staff map with its statements shown.
    html = client.get(
        reverse("reports:report", kwargs={"slug": voted.slug}) + "?statements=1"
    ).content.decode()
    opinion_map = html[html.index("<svg") : html.index("</svg>")]
    assert f"<title>#{rejected_pk}:" not in opinion_map
    assert "statement-mark" in opinion_map  # the published ones are there
    # Nor anywhere else in the report, its table of all statements included (it listed the
    # rejected and pending ones with their status), nor its printed view (the same page).
    make_pending_statement(voted, "Odottava väite henkilöstä Y")
    html = client.get(reverse("reports:report", kwargs={"slug": voted.slug}) + "?lang=en").content.decode()
    assert "Nimetty henkilö X" not in html and "henkilöstä Y" not in html
    assert "Published statements only: the 1 pending and 1 rejected are not part of the report." in html


def test_other_groups_figures_come_from_the_same_run_as_the_groups(client, staff_user, voted):
    """Votes change after a run and before the next: the group and its comparison are both the
    run's, so no share goes below 0 or above 100 (it mixed the run with today's totals)."""
    from clustering.report import conversation_report
    from statements.models import Vote

    report = conversation_report(conversation=voted)
    rep = next(rep for group in report.groups for rep in group.representative)
    Vote.objects.filter(statement_id=rep.row.pk).update(choice=-1)  # everyone now disagrees
    for group in conversation_report(conversation=voted).groups:
        others = [g for g in report.groups if g.label != group.label]
        for shown in group.representative:
            for split in (shown.group, shown.rest):
                assert 0 <= split.agree_pct <= 100 and 0 <= split.disagree_pct <= 100
                assert sum(split.bar) == (100 if split.seen else 0)
            assert shown.rest.seen == sum(
                row_split.seen
                for g, row_split in shown.row.labelled
                if g.label in {o.label for o in others}
            )


def test_groups_keep_their_mark_by_label_and_are_listed_in_letter_order(voted, monkeypatch):
    import dataclasses

    from clustering import report as report_module
    from clustering.report import COLOURS, SHAPES
    from clustering.selectors import run_result

    run = ClusteringRun.objects.filter(conversation=voted).latest("pk")
    result = run_result(run)
    assert len(result.group_labels) >= 2
    # The next run matched groups to the last by members; its first group is the one labelled C.
    relabelled = dataclasses.replace(
        result, group_labels=[2, *range(len(result.group_labels) - 1)][: len(result.group_labels)]
    )
    monkeypatch.setattr(report_module, "run_result", lambda _run: relabelled)
    report = report_module.conversation_report(conversation=voted)
    groups = report.groups
    assert [g.label for g in groups] == sorted(g.label for g in groups)
    for group in groups:
        assert group.shape == SHAPES[group.label % len(SHAPES)]
        assert group.colour == COLOURS[group.label % len(COLOURS)]
    # A and C with no B: the report says why (staff took the gap for an error).
    assert report.letters_skip
    monkeypatch.setattr(report_module, "run_result", lambda _run: result)
    assert not report_module.conversation_report(conversation=voted).letters_skip


def test_report_pages_carry_no_inline_style_the_policy_would_block(client, staff_user, voted):
    client.force_login(staff_user)
    for url in (
        reverse("reports:report", kwargs={"slug": voted.slug}),
        reverse("reports:report", kwargs={"slug": voted.slug}) + "?statements=1",
        reverse("statements:results", kwargs={"slug": voted.slug}),
        reverse("moderation:queue"),
    ):
        html = client.get(url).content.decode()
        assert " style=" not in html, url


def test_sorting_the_table_keeps_the_statements_on_the_map_and_back(client, staff_user, voted):
    client.force_login(staff_user)
    url = reverse("reports:report", kwargs={"slug": voted.slug})
    html = client.get(url, {"statements": "1", "sort": "agree", "dir": "desc"}).content.decode()
    assert 'href="?sort=votes&amp;statements=1#table-heading"' in html
    assert 'href="?sort=agree&amp;dir=desc&amp;statements=0"' in html


def test_recompute_now_makes_a_run_recorded_as_staff_requested(
    client, staff_user, voted, django_capture_on_commit_callbacks
):
    before = set(ClusteringRun.objects.filter(conversation=voted).values_list("pk", flat=True))
    client.force_login(staff_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("reports:recompute", kwargs={"slug": voted.slug}))
    assert response.status_code == 302
    new = ClusteringRun.objects.filter(conversation=voted).exclude(pk__in=before)
    assert list(new.values_list("trigger", "status")) == [
        (ClusteringRun.Trigger.MANUAL, ClusteringRun.Status.SUCCEEDED)
    ]


def split_conversation(per_group=12):
    """Two opinion groups: both agree with two statements and split on four."""
    from statements.models import Participant, Vote

    conversation = make_conversation(show_results=True)
    shared = [make_seed(conversation, f"Yhteinen {i}") for i in range(2)]
    a_side = [make_seed(conversation, f"A:n kanta {i}") for i in range(2)]
    b_side = [make_seed(conversation, f"B:n kanta {i}") for i in range(2)]
    every = shared + a_side + b_side
    votes = []
    for group, theirs in enumerate((b_side, a_side)):
        for i in range(per_group):
            participant = Participant.objects.create(conversation=conversation, browser_key=f"{group}-{i}")
            passed = every[i % len(every)]  # each passes on one statement: patterns differ
            for statement in every:
                choice = 0 if statement == passed else -1 if statement in theirs else 1
                votes.append(
                    Vote(conversation=conversation, participant=participant, statement=statement, choice=choice)
                )
    Vote.objects.bulk_create(votes)
    services.conversation_recluster(conversation_id=conversation.pk)
    return conversation, shared


def test_consensus_lists_only_statements_a_majority_of_every_group_agrees_with(client, staff_user, db):
    from clustering.report import conversation_report

    conversation, shared = split_conversation()
    report = conversation_report(conversation=conversation)
    assert len(report.groups) == 2
    # Ranked by score alone, the top five were listed, the four the groups split on included
    # (shown as consensus and as divisive at once).
    assert {row.pk for row in report.consensus} == {statement.pk for statement in shared}
    client.force_login(staff_user)
    html = client.get(reverse("reports:report", kwargs={"slug": conversation.slug}) + "?lang=en").content.decode()
    section = html[html.index('id="consensus-heading"') : html.index('id="divisive-heading"')]
    assert "Yhteinen 0" in section and "Yhteinen 1" in section and "kanta" not in section


def test_a_single_group_is_not_compared_with_other_groups_that_do_not_exist(client, staff_user, db):
    from statements.models import Participant, Vote

    conversation = make_conversation()
    statements = [make_seed(conversation, f"Kaikki samaa mieltä {i}") for i in range(6)]
    participants = Participant.objects.bulk_create(
        Participant(conversation=conversation, browser_key=f"same-{i}") for i in range(10)
    )
    Vote.objects.bulk_create(
        Vote(conversation=conversation, participant=p, statement=s, choice=1) for p in participants for s in statements
    )
    services.conversation_recluster(conversation_id=conversation.pk)
    client.force_login(staff_user)
    html = client.get(reverse("reports:report", kwargs={"slug": conversation.slug}) + "?lang=en").content.decode()
    assert "Group A" in html
    assert "Other groups" not in html  # it read "Other groups ... (of 0)" and "more often than the others"


def test_shares_are_written_as_each_language_writes_them(client, staff_user, voted):
    # "84 %" in Finnish and Swedish, "84%" in English (English pages read "(84 % agree)").
    import re

    client.force_login(staff_user)
    url = reverse("reports:report", kwargs={"slug": voted.slug})
    english = client.get(url + "?lang=en").content.decode()
    assert re.search(r"\d%", english) and not re.search(r"\d[ \u00a0]%", english)
    finnish = client.get(url + "?lang=fi").content.decode()
    assert re.search(r"\d[ \u00a0]%", finnish) and not re.search(r"\d%", finnish)
    results = client.get(reverse("statements:results", kwargs={"slug": voted.slug}) + "?lang=en").content.decode()
    assert re.search(r"\d%", results) and not re.search(r"\d[ \u00a0]%", results)


def test_participation_over_time_counts_residents_statements_not_the_seeds(db):
    from django.utils import translation

    from clustering.report import participation_series

    conversation = make_conversation()
    for i in range(3):
        make_seed(conversation, f"Siemen {i}")
    make_pending_statement(conversation, "Asukkaan oma väite")
    with translation.override("en"):
        _bucket, series = participation_series(conversation=conversation)
        totals = {str(s.name): s.total for s in series}
    # The three seeds were counted as submitted, while the moderation figures said 0 from residents.
    assert totals["Statements submitted by residents"] == 1
