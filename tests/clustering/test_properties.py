"""Properties that must hold for any conversation (hypothesis, bounded)."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clustering.math import compute_groups
from clustering.math.synthetic import planted_conversation

from .helpers import partitions_equal

SETTINGS = settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


def conversation(seed, n=80, s=20):
    c = planted_conversation(n, s, votes_per_participant=12, polarisation=0.8, seed=seed)
    return c.participant_ids, c.statement_ids, c.choices


def _stripped(result):
    d = result.to_dict()
    d.pop("timings")
    return d


@SETTINGS
@given(seed=st.integers(0, 10_000), shift=st.integers(1, 10**9))
def test_relabelling_participants_and_statements_does_not_change_the_partition(seed, shift):
    p, s, c = conversation(seed)
    rng = np.random.default_rng(seed)
    # An order-scrambling bijection on ids, and votes given in another order.
    uniq_p = np.unique(p)
    new_p = dict(zip(uniq_p.tolist(), (rng.permutation(len(uniq_p)) * 7 + shift).tolist(), strict=True))
    uniq_s = np.unique(s)
    new_s = dict(zip(uniq_s.tolist(), (rng.permutation(len(uniq_s)) * 3 + shift).tolist(), strict=True))
    order = rng.permutation(len(p))
    p2 = np.array([new_p[x] for x in p[order]])
    s2 = np.array([new_s[x] for x in s[order]])
    a = compute_groups(p, s, c)
    b = compute_groups(p2, s2, c[order])
    mapped = {new_p[k]: v for k, v in a.group_map().items()}
    assert partitions_equal(mapped, b.group_map())


@SETTINGS
@given(seed=st.integers(0, 10_000), run_seed=st.integers(0, 2**31 - 1))
def test_same_input_and_seed_give_identical_output(seed, run_seed):
    p, s, c = conversation(seed)
    assert _stripped(compute_groups(p, s, c, seed=run_seed)) == _stripped(
        compute_groups(p, s, c, seed=run_seed)
    )


@SETTINGS
@given(seed=st.integers(0, 10_000), n_excluded=st.integers(1, 5))
def test_excluded_statements_have_no_effect_on_anything(seed, n_excluded):
    p, s, c = conversation(seed)
    excluded = np.unique(s)[:n_excluded]
    keep = ~np.isin(s, excluded)
    with_excluded = _stripped(compute_groups(p, s, c, excluded_statement_ids=excluded))
    removed = _stripped(compute_groups(p[keep], s[keep], c[keep]))
    with_excluded["params"].pop("excluded_statement_ids")
    removed["params"].pop("excluded_statement_ids")
    assert with_excluded == removed


@SETTINGS
@given(seed=st.integers(0, 10_000))
def test_json_round_trip_is_exact(seed):
    from clustering.math import ClusteringResult

    p, s, c = conversation(seed)
    r = compute_groups(p, s, c, meta_statement_ids=np.unique(s)[:2])
    assert ClusteringResult.from_json(r.to_json()).to_dict() == r.to_dict()
