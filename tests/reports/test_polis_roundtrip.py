"""Import a Polis export folder, export it again: same votes, same moderation, ARI as evaluate reports."""

import csv
from pathlib import Path

import numpy as np
import pytest
from django.db import connection

from clustering.evaluate import evaluate
from clustering.models import ClusteringRun
from clustering.polis import (
    PolisImportError,
    conversation_export_polis_dir,
    conversation_import_polis,
)
from clustering.polis_io import read_polis_export
from clustering.services import conversation_recluster
from statements.models import Conversation
from tests.conftest import require
from tests.reports.conftest import POLIS_OPEN

SMALL = ["15-per-hour-seattle", "london.youth.policing", "scoop-hivemind.freshwater"]
LARGER = ["canadian-electoral-reform", "bg2050-volunteers", "austria-climate.7z7ejpbmv5.2022-08-08"]


def _folders(names):
    return [pytest.param(name, id=name) for name in names]


def _current_votes(export):
    return {
        (int(p), int(c)): int(v)
        for p, c, v in zip(export.voter_ids, export.comment_ids_voted, export.votes, strict=True)
    }


def _roundtrip(name, tmp_path):
    folder = POLIS_OPEN / name
    require(folder.is_dir(), f"needs the openData folder {folder} (set VOXIT_SHARED_DATA)")
    conversation = conversation_import_polis(folder=folder, slug="rt")
    # One run on the final votes (the first run of an import replays its log unless told not to).
    run = conversation_recluster(conversation_id=conversation.pk, replay_log=False)
    assert run.status == ClusteringRun.Status.SUCCEEDED
    conversation_export_polis_dir(conversation=conversation, directory=tmp_path)
    original, again = read_polis_export(folder), read_polis_export(tmp_path)
    assert _current_votes(again) == _current_votes(original)
    # Every comment a participant saw comes back with its moderation; those no one saw (rejected
    # or unmoderated, with no votes) are left out of the export.
    seen = set(original.log_comment_ids.tolist()) | set(original.comment_ids_voted.tolist())
    assert dict(
        zip(again.comment_ids.tolist(), again.comment_moderated.tolist(), strict=True)
    ) == {
        c: m
        for c, m in zip(original.comment_ids.tolist(), original.comment_moderated.tolist(), strict=True)
        if m == 1 or c in seen
    }
    # A recompute on the final votes: evaluate's single run, not its replay.
    expected = evaluate(original, snapshot=True)
    if original.has_polis_groups:
        ours = dict(
            zip(again.group_participant_ids.tolist(), again.group_ids.tolist(), strict=True)
        )
        polis = dict(
            zip(original.group_participant_ids.tolist(), original.group_ids.tolist(), strict=True)
        )
        both = sorted(set(ours) & set(polis))
        from sklearn.metrics import adjusted_rand_score

        ari = adjusted_rand_score([polis[p] for p in both], [ours[p] for p in both])
        assert ari == pytest.approx(expected["ari"], abs=1e-9)
    return again


@pytest.mark.parametrize("name", _folders(SMALL))
def test_roundtrip_small_folders(db, tmp_path, name):
    _roundtrip(name, tmp_path)


@pytest.mark.slow
@pytest.mark.parametrize("name", _folders(LARGER))
def test_roundtrip_larger_folders_on_postgres(db, tmp_path, name, require_postgres):
    _roundtrip(name, tmp_path)


def test_exported_files_have_polis_headers(db, tmp_path):
    _roundtrip("15-per-hour-seattle", tmp_path)
    heads = {p.name: next(csv.reader(p.open())) for p in Path(tmp_path).glob("*.csv")}
    assert heads["comments.csv"] == [
        "timestamp",
        "datetime",
        "comment-id",
        "author-id",
        "agrees",
        "disagrees",
        "moderated",
        "is-meta",
        "is-seed",
        "comment-body",
    ]
    assert heads["votes.csv"] == ["timestamp", "datetime", "comment-id", "voter-id", "vote"]
    assert heads["comment-groups.csv"][:10] == [
        "comment-id",
        "comment",
        "total-votes",
        "total-agrees",
        "total-disagrees",
        "total-passes",
        "group-a-votes",
        "group-a-agrees",
        "group-a-disagrees",
        "group-a-passes",
    ]
    assert [row[0] for row in csv.reader((Path(tmp_path) / "summary.csv").open())] == [
        "topic",
        "url",
        "views",
        "voters",
        "voters-in-conv",
        "commenters",
        "comments",
        "groups",
        "conversation-description",
    ]


def test_vote_log_timestamps_are_kept(db, tmp_path):
    again = _roundtrip("london.youth.policing", tmp_path)
    original = read_polis_export(POLIS_OPEN / "london.youth.policing")
    assert np.array_equal(np.sort(again.log_timestamps), np.sort(original.log_timestamps))


def test_folder_without_votes_is_refused_and_nothing_is_imported(db):
    folder = POLIS_OPEN / "austria-climate.5tzfrp5eaa.2022-07-07"
    require(folder.is_dir(), "needs openData")
    with pytest.raises(PolisImportError, match="neither votes.csv nor participants-votes.csv"):
        conversation_import_polis(folder=folder)
    assert not Conversation.objects.exists()


def test_malformed_votes_abort_the_whole_import(db, tmp_path):
    source = POLIS_OPEN / "london.youth.policing"
    require(source.is_dir(), "needs openData")
    for name in ("comments.csv", "votes.csv"):
        (tmp_path / name).write_text((source / name).read_text())
    with (tmp_path / "votes.csv").open("a") as f:
        f.write("1651744336822,x,99999,1,1\n")  # a vote on a comment that does not exist
    with pytest.raises(PolisImportError, match="missing from comments.csv"):
        conversation_import_polis(folder=tmp_path)
    assert not Conversation.objects.exists()


def test_import_command_refuses_with_a_clear_message(db, tmp_path):
    from django.core.management import CommandError, call_command

    (tmp_path / "comments.csv").write_text("nonsense\n1\n")
    (tmp_path / "votes.csv").write_text("a,b\n")
    with pytest.raises(CommandError, match="Not imported"):
        call_command("import_polis", str(tmp_path), "--quiet-progress")
    assert not Conversation.objects.exists()
    assert connection.vendor in ("sqlite", "postgresql")


@pytest.mark.slow
def test_import_command_replays_the_vote_log_as_evaluate_does(db):
    """ssis.land-bank-farmland: once on the final votes the math finds 3 groups; replayed over
    its vote log, as Polis recomputed while votes came in, it keeps the 2 groups Polis showed.
    The imported conversation's groups are evaluate's (same ARI against Polis' groups)."""
    from io import StringIO

    from django.core.management import call_command
    from sklearn.metrics import adjusted_rand_score

    from clustering.models import PolisSource
    from clustering.selectors import run_result

    folder = POLIS_OPEN / "ssis.land-bank-farmland.2rumnecbeh.2021-08-01"
    require(folder.is_dir(), f"needs the openData folder {folder} (set VOXIT_SHARED_DATA)")
    out = StringIO()
    call_command("import_polis", str(folder), "--slug", "ssis", "--quiet-progress", stdout=out)
    assert "replayed from the vote log" in out.getvalue()
    conversation = Conversation.objects.get(slug="ssis")
    run = ClusteringRun.objects.get(conversation=conversation)
    assert run.status == ClusteringRun.Status.SUCCEEDED
    source = PolisSource.objects.get(conversation=conversation)
    polis_pid = dict(zip(source.participant_pks, source.polis_pids, strict=True))
    ours = {polis_pid[pk]: group for pk, group in run_result(run).group_map().items()}
    original = read_polis_export(folder)
    polis = dict(zip(original.group_participant_ids.tolist(), original.group_ids.tolist(), strict=True))
    both = sorted(set(ours) & set(polis))
    ari = adjusted_rand_score([polis[p] for p in both], [ours[p] for p in both])
    replayed, single = evaluate(original), evaluate(original, snapshot=True)
    assert run.k == replayed["k"] == 2 != single["k"]
    assert ari == pytest.approx(replayed["ari"], abs=1e-9)
    assert ari > single["ari"] + 0.1


def test_recluster_command_replays_on_request(db):
    """``recluster --replay`` recomputes from the vote log (logged votes, each one, in time order)."""
    from io import StringIO

    from django.core.management import call_command

    from clustering.selectors import run_result
    from statements import services as statement_services
    from tests.conftest import make_conversation, make_seed

    conversation = make_conversation("replayed")
    statements = [make_seed(conversation) for _ in range(8)]
    rng = np.random.default_rng(3)
    planted = {}
    for p in range(40):
        participant = statement_services.participant_get_or_create(
            conversation=conversation, browser_token=f"browser-{p}"
        )
        stance = 1 if p % 2 else -1
        planted[participant.pk] = p % 2
        for s in statements:
            choice = stance if rng.random() < 0.85 else -stance
            statement_services.vote_cast(participant=participant, statement_id=s.pk, choice=choice)
    out = StringIO()
    call_command("recluster", "replayed", "--replay", stdout=out)
    assert "replayed from the vote log in 2 runs" in out.getvalue()  # after 300 votes, and all 320
    run = ClusteringRun.objects.filter(conversation=conversation).latest("pk")
    assert run.status == ClusteringRun.Status.SUCCEEDED and run.n_votes == 320
    assert run.k == 2
    groups = run_result(run).group_map()
    assert {(planted[pk], group) for pk, group in groups.items()} in (
        {(0, 0), (1, 1)},
        {(0, 1), (1, 0)},
    )
