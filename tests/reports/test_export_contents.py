"""What the Polis export carries: ids staff can match with the report, the same group names in
every file, no statement no resident saw, seeds and meta statements marked; BOM-saved files read."""

import csv
import shutil

import pytest
from django.utils import timezone

from clustering.math import ClusteringResult
from clustering.models import ClusteringRun, PolisSource
from clustering.polis import conversation_export_polis_dir, conversation_import_polis
from clustering.polis_io import read_polis_export
from clustering.report import conversation_report, group_letter
from clustering.services import conversation_recluster
from moderation.services import statement_approve, statement_decision_reverse, statement_reject
from statements import services
from statements.models import Participant, Statement, Vote, VoteLog
from statements.privacy import participant_forget
from tests.conftest import make_conversation, make_participant, make_seed, require
from tests.reports.conftest import POLIS_OPEN, make_voted_conversation


def _rows(folder, name):
    with (folder / name).open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _export(conversation, folder):
    if folder.exists():
        shutil.rmtree(folder)
    conversation_export_polis_dir(conversation=conversation, directory=folder)
    return folder


def test_summary_gives_the_conversations_address_where_voxit_knows_it(db, tmp_path, settings):
    settings.SITE_URL = "https://voxit.example.fi"
    conversation = make_conversation("address")
    folder = _export(conversation, tmp_path / "export")
    summary = dict(csv.reader((folder / "summary.csv").open(encoding="utf-8")))
    assert summary["url"] == "https://voxit.example.fi/c/address/"


def test_ids_are_the_reports_numbers_and_do_not_shift_when_a_participant_is_erased(db, tmp_path):
    conversation = make_conversation("ids")
    seeds = [make_seed(conversation, text=f"Statement number {i}") for i in range(3)]
    people = [make_participant(conversation) for _ in range(3)]
    for person in people:
        for seed in seeds:
            services.vote_cast(participant=person, statement_id=seed.pk, choice=1)
    first = _export(conversation, tmp_path / "first")
    assert [int(r["comment-id"]) for r in _rows(first, "comments.csv")] == [s.pk for s in seeds]
    assert [int(r["participant"]) for r in _rows(first, "participants-votes.csv")] == [p.pk for p in people]
    assert {int(r["voter-id"]) for r in _rows(first, "votes.csv")} == {p.pk for p in people}

    participant_forget(participant=people[0])
    again = _export(conversation, tmp_path / "again")
    assert [int(r["participant"]) for r in _rows(again, "participants-votes.csv")] == [p.pk for p in people[1:]]
    assert [int(r["comment-id"]) for r in _rows(again, "comments.csv")] == [s.pk for s in seeds]


def test_group_ids_and_letters_name_the_same_groups_as_the_report(db, tmp_path):
    conversation = make_voted_conversation(60, 10, slug="letters")
    run = conversation_recluster(conversation_id=conversation.pk)
    # Labels as a conversation's later runs leave them (groups keep theirs from run to run, so
    # an archive may have groups 2 and 3 only): the letters must follow the labels, not the order.
    data = ClusteringResult.from_json(run.result_json).to_dict()
    assert len(data["group_labels"]) == 2
    data["group_labels"] = [2, 3]
    ClusteringRun.objects.filter(pk=run.pk).update(
        result_json=ClusteringResult.from_dict(data).to_json(), finished_at=timezone.now()
    )
    result = conversation_report(conversation=conversation).result
    assert sorted(result.group_labels.tolist()) == [2, 3]
    labels = sorted(int(label) for label in result.group_labels)
    folder = _export(conversation, tmp_path / "export")
    group_ids = {int(r["group-id"]) for r in _rows(folder, "participants-votes.csv") if r["group-id"]}
    assert group_ids == set(labels)
    header = next(csv.reader((folder / "comment-groups.csv").open()))
    letters = sorted({h.split("-")[1] for h in header if h.startswith("group-")})
    assert letters == sorted(group_letter(label).lower() for label in labels)
    report_letters = sorted(g.letter for g in conversation_report(conversation=conversation).groups)
    assert [letter.upper() for letter in letters] == report_letters
    # Each group's counts are its members' votes, under the letter of its group-id.
    members = {}
    for r in _rows(folder, "participants-votes.csv"):
        if r["group-id"]:
            members.setdefault(int(r["group-id"]), []).append(r)
    some = _rows(folder, "comment-groups.csv")[0]
    cid = some["comment-id"]
    for label, rows in members.items():
        letter = group_letter(label).lower()
        assert int(some[f"group-{letter}-agrees"]) == sum(1 for r in rows if r[cid] == "1")


def test_statements_no_resident_saw_are_left_out_of_the_export(db, tmp_path, django_user_model):
    conversation = make_conversation("unseen")
    moderator = django_user_model.objects.create_superuser("mod", "mod@example.org", "pw-123-long")
    voted = make_seed(conversation, text="Statement with votes")
    later_rejected = make_seed(conversation, text="Published, voted on, then rejected")
    pending = services.statement_submit_by_browser(
        conversation=conversation, browser_token="p" * 32, text="Matti Meikäläinen should resign"
    )
    refused = services.statement_submit_by_browser(
        conversation=conversation, browser_token="q" * 32, text="An insulting statement never shown"
    )
    statement_reject(moderator=moderator, statement_id=refused.pk, reason="insult")
    person = make_participant(conversation)
    services.vote_cast(participant=person, statement_id=voted.pk, choice=1)
    services.vote_cast(participant=person, statement_id=later_rejected.pk, choice=-1)
    statement_decision_reverse(
        moderator=moderator, statement_id=later_rejected.pk, reason="off_topic", explanation="Off topic after all"
    )

    folder = _export(conversation, tmp_path / "export")
    comments = {int(r["comment-id"]): r for r in _rows(folder, "comments.csv")}
    assert set(comments) == {voted.pk, later_rejected.pk}
    assert comments[later_rejected.pk]["moderated"] == "-1"
    everything = "".join(p.read_text(encoding="utf-8") for p in folder.glob("*.csv"))
    assert "Meikäläinen" not in everything
    assert "insulting" not in everything
    assert pending.status == Statement.Status.PENDING


def test_seeds_and_meta_statements_come_back_as_such_after_a_round_trip(db, tmp_path, django_user_model):
    conversation = make_conversation("flags")
    moderator = django_user_model.objects.create_superuser("mod3", "mod3@example.org", "pw-123-long")
    seed = make_seed(conversation, text="A seed by staff")
    meta = make_seed(conversation, text="This conversation is useful", is_meta=True)
    resident = services.statement_submit_by_browser(
        conversation=conversation, browser_token="r" * 32, text="A resident's own statement"
    )
    statement_approve(moderator=moderator, statement_id=resident.pk)
    person = make_participant(conversation)
    for statement in (seed, meta, resident):
        services.vote_cast(participant=person, statement_id=statement.pk, choice=1)
    folder = _export(conversation, tmp_path / "export")
    comments = {int(r["comment-id"]): r for r in _rows(folder, "comments.csv")}
    assert (comments[seed.pk]["is-seed"], comments[seed.pk]["is-meta"]) == ("true", "false")
    assert (comments[meta.pk]["is-seed"], comments[meta.pk]["is-meta"]) == ("true", "true")
    assert (comments[resident.pk]["is-seed"], comments[resident.pk]["is-meta"]) == ("false", "false")

    copy = conversation_import_polis(folder=folder, slug="flags-again")
    source = PolisSource.objects.get(conversation=copy)
    back = dict(zip(source.comment_ids, source.statement_pks, strict=True))
    imported = {s.pk: s for s in Statement.objects.filter(conversation=copy)}
    assert imported[back[seed.pk]].origin == Statement.Origin.SEED
    assert imported[back[seed.pk]].author_id is None
    assert imported[back[meta.pk]].is_meta
    assert imported[back[resident.pk]].origin == Statement.Origin.PARTICIPANT
    assert imported[back[resident.pk]].author_id is not None


def test_what_is_added_to_an_imported_conversation_gets_ids_of_its_own(db, tmp_path):
    folder = POLIS_OPEN / "london.youth.policing"
    require(folder.is_dir(), f"needs the openData folder {folder} (set VOXIT_SHARED_DATA)")
    conversation = conversation_import_polis(folder=folder, slug="added")
    original = read_polis_export(folder)
    statement = Statement.objects.filter(conversation=conversation, status=Statement.Status.PUBLISHED).first()
    # A participant added later (the archive is closed to voting, so written directly).
    newcomer = make_participant(conversation)
    now = timezone.now()
    Vote.objects.create(
        conversation=conversation, participant=newcomer, statement=statement, choice=1, created_at=now, updated_at=now
    )
    VoteLog.objects.create(conversation=conversation, participant=newcomer, statement=statement, choice=1, cast_at=now)
    out = _export(conversation, tmp_path / "export")
    ids = [int(r["participant"]) for r in _rows(out, "participants-votes.csv")]
    assert len(ids) == len(set(ids)) == Vote.objects.filter(conversation=conversation).values(
        "participant_id"
    ).distinct().count()
    assert set(original.voter_ids.tolist()) < set(ids)


def test_a_file_saved_with_a_byte_order_mark_is_read(db, tmp_path):
    source = POLIS_OPEN / "london.youth.policing"
    require(source.is_dir(), f"needs the openData folder {source} (set VOXIT_SHARED_DATA)")
    folder = tmp_path / "london-bom"
    folder.mkdir()
    for path in source.glob("*.csv"):
        (folder / path.name).write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    export = read_polis_export(folder)
    assert len(export.comment_ids) == len(read_polis_export(source).comment_ids)
    conversation = conversation_import_polis(folder=folder, slug="bom")
    assert Participant.objects.filter(conversation=conversation).exists()


def test_report_counts_only_votes_on_published_statements(db, django_user_model):
    conversation = make_conversation("counts")
    moderator = django_user_model.objects.create_superuser("mod2", "mod2@example.org", "pw-123-long")
    kept, dropped = make_seed(conversation, text="Kept statement"), make_seed(conversation, text="Dropped one")
    people = [make_participant(conversation) for _ in range(3)]
    for person in people:
        services.vote_cast(participant=person, statement_id=kept.pk, choice=1)
    extra = make_participant(conversation)
    services.vote_cast(participant=extra, statement_id=dropped.pk, choice=1)
    assert conversation_report(conversation=conversation).votes == 4
    statement_decision_reverse(
        moderator=moderator, statement_id=dropped.pk, reason="off_topic", explanation="Off topic after all"
    )
    report = conversation_report(conversation=conversation)
    assert (report.votes, report.voters) == (3, 3)
    assert sum(row.total.seen for row in report.rows) == report.votes


@pytest.fixture(autouse=True)
def _no_celery(settings):
    settings.CELERY_ENABLED = False


@pytest.mark.parametrize("slug", ["bad slug!", "ääkkönen", "x" * 81])
def test_an_import_address_that_cannot_be_one_is_refused_before_anything_is_written(db, slug):
    from django.core.management import CommandError, call_command

    folder = POLIS_OPEN / "london.youth.policing"
    require(folder.is_dir(), f"needs the openData folder {folder} (set VOXIT_SHARED_DATA)")
    before = Statement.objects.count()
    with pytest.raises(CommandError, match="cannot be a conversation's address"):
        call_command("import_polis", str(folder), "--slug", slug, "--no-recluster", "--quiet-progress")
    assert Statement.objects.count() == before


def test_a_file_that_is_not_utf8_is_refused_with_a_message(db, tmp_path):
    from clustering.polis import PolisImportError

    source = POLIS_OPEN / "london.youth.policing"
    require(source.is_dir(), f"needs the openData folder {source} (set VOXIT_SHARED_DATA)")
    folder = tmp_path / "utf16"
    shutil.copytree(source, folder)
    (folder / "comments.csv").write_bytes((source / "comments.csv").read_text(encoding="utf-8").encode("utf-16"))
    with pytest.raises(PolisImportError, match="not UTF-8 text"):
        conversation_import_polis(folder=folder, slug="utf16")


def test_export_command_refuses_a_file_as_its_folder(db, tmp_path):
    from django.core.management import CommandError, call_command

    make_conversation("to-a-file")
    target = tmp_path / "a-file"
    target.write_text("not a folder")
    with pytest.raises(CommandError, match="Cannot write the export"):
        call_command("export_polis", "to-a-file", str(target))


def test_retention_command_refuses_negative_days(db):
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match="cannot be negative"):
        call_command("expire_participant_links", "--days", "-5")


def test_the_spreadsheet_export_opens_in_finnish_excel(db, client, staff_user):
    """Semicolons and a byte-order mark: Finnish and Swedish Excel split the columns and show
    ä and ö right when the file is opened by a double click."""
    import io
    import zipfile

    conversation = make_conversation("excel")
    seed = make_seed(conversation, text="Enemmän penkkejä; myös varjoon")
    services.vote_cast(participant=make_participant(conversation), statement_id=seed.pk, choice=1)
    client.force_login(staff_user)
    response = client.get(f"/reports/{conversation.slug}/export.zip?excel=1")
    assert response.status_code == 200
    assert "polis-export-excel.zip" in response["Content-Disposition"]
    with zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))) as archive:
        raw = archive.read(f"{conversation.slug}/comments.csv")
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:3] == ["timestamp", "datetime", "comment-id"]
    assert rows[1][-1] == "Enemmän penkkejä; myös varjoon"
    assert raw.count(b"\r\n") == 2
