"""Replaying a vote log: the pipeline run as votes come in, each run warm-started from the last."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from clustering.evaluate import evaluate, main
from clustering.math import compute_groups
from clustering.math.synthetic import planted_conversation
from clustering.polis_io import PolisExportError, read_polis_export
from clustering.replay import replay, replay_cuts

from .helpers import partitions_equal, require, shared_data

ROW_KEYS = {
    "dataset",
    "participants",
    "in_conv",
    "statements",
    "votes",
    "k",
    "group_sizes",
    "ari",
    "seconds",
}


def _log(seed=3):
    """A planted conversation as a vote log in random time order, with some votes changed."""
    c = planted_conversation(300, 40, n_groups=2, votes_per_participant=15, seed=seed)
    rng = np.random.default_rng(seed)
    n = len(c.participant_ids)
    changed = rng.choice(n, size=n // 10, replace=False)
    p = np.concatenate([c.participant_ids, c.participant_ids[changed]])
    s = np.concatenate([c.statement_ids, c.statement_ids[changed]])
    x = np.concatenate([c.choices, -c.choices[changed]])
    ts = np.concatenate([rng.permutation(n) * 10, 10 * n + np.arange(len(changed))])
    return ts, p, s, x


def test_cuts_every_n_votes_and_the_whole_log_last():
    assert replay_cuts(0, 100) == []
    assert replay_cuts(50, 100) == [50]
    assert replay_cuts(250, 100) == [100, 200, 250]
    assert replay_cuts(200, 100) == [100, 200]
    assert replay_cuts(250, 100, also=[150, 0, 250, 999]) == [100, 150, 200, 250]


def test_one_run_replay_is_the_single_run_on_the_latest_votes():
    ts, p, s, x = _log()
    result, runs = replay(ts, p, s, x, every=len(ts))
    assert runs == 1
    order = np.argsort(ts, kind="stable")
    single = compute_groups(p[order], s[order], x[order])
    assert partitions_equal(result.group_map(), single.group_map())
    assert np.array_equal(result.group_agree, single.group_agree)


def test_a_changed_vote_replaces_the_earlier_one_from_its_own_time():
    ts, p, s, x = _log()
    result, runs = replay(ts, p, s, x, every=500)
    assert runs == -(-len(ts) // 500)
    # The changed votes are the log's last rows: they are the ones that count at the end.
    latest: dict[tuple[int, int], int] = {}
    for i in np.argsort(ts, kind="stable"):
        latest[int(p[i]), int(s[i])] = int(x[i])
    assert int(result.participant_n_votes.sum()) == len(latest)
    for j, sid in enumerate(result.statement_ids.tolist()):
        votes = [v for (_, b), v in latest.items() if b == sid]
        assert result.pca_center[j] == pytest.approx(np.mean(votes))


def test_replay_puts_the_log_in_time_order():
    ts, p, s, x = _log()
    a, _ = replay(ts, p, s, x, every=400, seed=5)
    perm = np.random.default_rng(0).permutation(len(ts))
    b, _ = replay(ts[perm], p[perm], s[perm], x[perm], every=400, seed=5)
    assert partitions_equal(a.group_map(), b.group_map())
    assert np.array_equal(np.sort(a.in_conv_ids), np.sort(b.in_conv_ids))


def test_once_in_always_in_over_the_replay():
    ts, p, s, x = _log()
    result, _ = replay(ts, p, s, x, every=300)
    single = compute_groups(p, s, x)
    assert set(single.in_conv_ids.tolist()) <= set(result.in_conv_ids.tolist())


def test_evaluate_replays_a_vote_log_and_snapshots_on_request():
    export = read_polis_export(require(shared_data() / "polis-open" / "london.youth.policing"))
    assert export.has_vote_log
    replayed = evaluate(export)
    single = evaluate(export, snapshot=True)
    assert set(replayed) == set(single) == ROW_KEYS
    assert replayed["votes"] == single["votes"] == len(export.votes)
    assert replayed["participants"] == single["participants"]


def test_evaluate_without_a_vote_log_makes_a_single_run(tmp_path):
    source = require(shared_data() / "polis-open" / "london.youth.policing")
    for name in ("comments.csv", "participants-votes.csv"):
        shutil.copy(source / name, tmp_path / name)
    export = read_polis_export(tmp_path)
    assert not export.has_vote_log
    row = evaluate(export)
    assert row == {**evaluate(export, snapshot=True), "seconds": row["seconds"]}
    with pytest.raises(PolisExportError, match="no votes.csv"):
        evaluate(export, snapshot=False)


def test_cli_snapshot_flag_keeps_the_row_format(capsys):
    good = require(shared_data() / "polis-open" / "london.youth.policing")
    assert main([str(good), "--json", "--snapshot"]) == 0
    assert main([str(good), "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(rows) == 2
    assert all(set(r) == ROW_KEYS for r in rows)
