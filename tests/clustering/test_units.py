"""Hand-checkable behaviour of the pipeline's pieces."""

from __future__ import annotations

import numpy as np
import pytest

from clustering.math import ClusteringResult, compute_groups
from clustering.math.groups import match_labels, smooth_k
from clustering.math.pipeline import in_conv_mask
from clustering.math.result import KSmoothingState
from clustering.math.stats import (
    consensus,
    group_informed_consensus,
    prop_test,
    repness,
    routing_priority,
    two_prop_test,
)
from clustering.math.synthetic import planted_conversation

from .helpers import partitions_equal


def test_prop_test_of_nine_agrees_out_of_ten():
    # 2 * sqrt(11) * (10/11 - 1/2)
    assert prop_test(9, 10) == pytest.approx(2 * np.sqrt(11) * (10 / 11 - 0.5))


def test_two_prop_test_is_zero_when_everyone_agrees():
    assert two_prop_test(0, 0, 0, 0) == pytest.approx(0.0)
    assert two_prop_test(5, 5, 1, 10) > 1.2816


def test_repness_picks_the_statement_a_group_alone_agrees_with():
    # Two groups of 10; statement 0: group 0 all agree, group 1 all disagree;
    # statement 1: everyone agrees (not distinctive).
    agree = np.array([[10, 10], [0, 10]])
    disagree = np.array([[0, 0], [10, 0]])
    seen = np.array([[10, 10], [10, 10]])
    rep = repness(agree, disagree, seen, np.array([100, 200]))
    first = rep[0][0]
    assert (first.statement_id, first.direction, first.best_agree) == (100, "agree", True)
    assert first.p_success == pytest.approx(11 / 12)
    assert first.repness == pytest.approx((11 / 12) / (1 / 12))
    assert [(r.statement_id, r.direction) for r in rep[1] if not r.best_agree][0] == (100, "disagree")


def test_repness_ignores_meta_statements():
    agree = np.array([[10, 10], [0, 10]])
    disagree = np.array([[0, 0], [10, 0]])
    seen = np.array([[10, 10], [10, 10]])
    rep = repness(agree, disagree, seen, np.array([100, 200]), eligible=np.array([False, True]))
    assert all(r.statement_id != 100 for group in rep for r in group)


def test_consensus_lists_statements_most_agree_or_disagree_with():
    agree = np.array([18, 2, 10])
    disagree = np.array([1, 17, 10])
    seen = np.array([20, 20, 20])
    cons_agree, cons_disagree = consensus(agree, disagree, seen, np.array([1, 2, 3]))
    assert [c.statement_id for c in cons_agree] == [1]
    assert [c.statement_id for c in cons_disagree] == [2]
    assert cons_agree[0].p_success == pytest.approx(19 / 22)


def test_group_informed_consensus_product_shrinks_but_geometric_mean_does_not():
    agree = np.array([[8], [8], [8]])
    seen = np.array([[8], [8], [8]])
    geometric, product = group_informed_consensus(agree, seen)
    assert product[0] == pytest.approx(0.9**3)
    assert geometric[0] == pytest.approx(0.9)


def test_priority_boosts_new_statements_and_pins_meta_at_49():
    pri = routing_priority(
        np.array([0, 20, 0]),
        np.array([0, 20, 0]),
        np.array([0, 50, 0]),
        np.array([1.0, 1.0, 1.0]),
        meta=np.array([False, False, True]),
    )
    # Unseen: importance (1 - 1/2) * 2 * 1/2 = 0.5, boost 9 -> 4.5^2.
    assert pri[0] == pytest.approx(20.25)
    assert pri[1] < pri[0]
    assert pri[2] == 49


def test_in_conv_needs_seven_votes_or_all_statements():
    n_votes = np.array([7, 6, 3, 0] + [10] * 20)
    assert in_conv_mask(n_votes, 40).tolist()[:4] == [True, False, False, False]
    # Three statements only: three votes suffice.
    assert in_conv_mask(np.array([3, 2] + [3] * 20), 3).tolist()[:2] == [True, False]


def test_in_conv_tops_up_to_fifteen_most_active_voters():
    n_votes = np.array([1, 2, 3, 4, 5, 6] * 3)
    mask = in_conv_mask(n_votes, 40)
    assert mask.sum() == 15
    assert not mask[n_votes == 1].any()


def test_once_in_conv_always_in_conv():
    n_votes = np.array([2] + [10] * 20)
    always = np.zeros(21, dtype=bool)
    always[0] = True
    assert in_conv_mask(n_votes, 40, always_in=always)[0]


def test_new_k_is_adopted_only_after_four_consecutive_wins():
    state = smooth_k(2, None, {2, 3})
    assert state.k == 2
    for _ in range(3):
        state = smooth_k(3, state, {2, 3})
        assert state.k == 2
    state = smooth_k(3, state, {2, 3})
    assert state.k == 3


def test_interrupted_streak_starts_again():
    state = KSmoothingState(k=2, candidate_k=3, candidate_runs=3)
    state = smooth_k(4, state, {2, 3, 4})
    assert (state.k, state.candidate_k, state.candidate_runs) == (2, 4, 1)


def test_groups_keep_labels_of_the_previous_groups_they_overlap_most():
    prev_labels = np.array([0, 1])
    prev_members = (np.array([1, 2, 3, 4]), np.array([5, 6, 7]))
    new_members = [np.array([5, 6, 7, 8, 9]), np.array([1, 2, 3]), np.array([10, 11])]
    centers = np.zeros((3, 2))
    labels = match_labels(new_members, centers, prev_labels, prev_members)
    assert labels.tolist() == [1, 0, 2]


def _planted(n=600, s=60, seed=3):
    c = planted_conversation(n, s, votes_per_participant=25, polarisation=0.7, seed=seed)
    return c.participant_ids, c.statement_ids, c.choices


def test_result_survives_json_round_trip_and_warm_starts_identically():
    p, s, c = _planted()
    first = compute_groups(p, s, c, seed=1)
    back = ClusteringResult.from_json(first.to_json())
    a = {k: v for k, v in back.to_dict().items() if k != "timings"}
    b = {k: v for k, v in first.to_dict().items() if k != "timings"}
    assert a == b
    nxt1 = compute_groups(p, s, c, seed=2, previous=first).to_dict()
    nxt2 = compute_groups(p, s, c, seed=2, previous=back).to_dict()
    nxt1.pop("timings"), nxt2.pop("timings")
    assert nxt1 == nxt2


def test_rerun_on_same_votes_keeps_group_labels():
    p, s, c = _planted()
    first = compute_groups(p, s, c)
    extra = np.arange(len(p)) % 7 != 0  # drop some votes, as if earlier
    second = compute_groups(p[extra], s[extra], c[extra], previous=first)
    shared = set(first.group_map()) & set(second.group_map())
    agree = sum(first.group_of(x) == second.group_of(x) for x in shared)
    assert agree / len(shared) > 0.9


def test_group_of_unknown_participant_is_none():
    p, s, c = _planted()
    result = compute_groups(p, s, c)
    assert result.group_of(-5) is None
    assert set(result.priority_map()) == set(result.statement_ids.tolist())


def test_repeated_vote_pairs_keep_the_last_entry():
    p, s, c = _planted()
    doubled = compute_groups(
        np.concatenate([p, p]), np.concatenate([s, s]), np.concatenate([-c, c])
    )
    plain = compute_groups(p, s, c)
    assert partitions_equal(doubled.group_map(), plain.group_map())
    np.testing.assert_array_equal(doubled.group_seen, plain.group_seen)


def test_no_votes_gives_an_empty_result():
    result = compute_groups(np.array([], int), np.array([], int), np.array([], int))
    assert result.k == 0 and len(result.group_members) == 0
    ClusteringResult.from_json(result.to_json())


def test_two_camps_voting_exactly_opposite_are_two_groups():
    # 8 participants agree with all six statements, 6 disagree with all: two distinct points, so
    # two base clusters, which made one group ("A (14) 100 %", divisiveness 0 everywhere).
    pids, sids, choices = [], [], []
    for participant in range(14):
        for statement in range(6):
            pids.append(participant)
            sids.append(statement)
            choices.append(1 if participant < 8 else -1)
    result = compute_groups(pids, sids, choices, seed=0)
    assert result.k == 2
    groups = sorted(sorted(int(p) for p in members) for members in result.group_members)
    assert groups == [list(range(8)), list(range(8, 14))]
