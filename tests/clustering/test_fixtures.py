"""Exact checks against Polis' own output (red-dwarf fixtures, math-pca2.json).

Polis treats moderated-out and meta statements alike: zeroed out of PCA but
still counted in the projection's sparsity scaling.  Voxit drops excluded
statements entirely, so to reproduce Polis these tests pass Polis' ``mod-out``
list as ``meta_statement_ids``.  Polis' in-conv set carries history (once in,
always in, from runs with fewer statements), so the PCA-and-groups checks use
``force_in_conv`` with Polis' set.

50ptpt-3gp-strict-no-meta: red-dwarf flags data-integrity issues (the votes do
not reproduce Polis' PCA), so only the steps downstream of Polis' own numbers
(group step on Polis' base clusters, repness, consensus, priority) are checked.
below-100-ptpts: few participants voted on its mod-out statements, which is what
shows Polis' scaling rule: a mod-out column is zeroed for every participant, so
it counts as voted by everyone in sqrt(n_statements / n_voted).
"""

from __future__ import annotations

import numpy as np
import pytest

from clustering.math import compute_groups
from clustering.math.groups import choose_groups
from clustering.math.pipeline import in_conv_mask
from clustering.math.stats import group_informed_consensus, repness, routing_priority

from .helpers import FIXTURES, load_fixture, partitions_equal

EXACT_PCA = ["below-100-ptpts", "25ptpt-3gp-no-strict-with-meta", "150ptpt-3gp-no-strict-no-meta"]
EXACT_PROJECTION = EXACT_PCA


def _run(name):
    p, s, c, math = load_fixture(name)
    result = compute_groups(
        p, s, c, meta_statement_ids=math["mod-out"], force_in_conv=math["in-conv"]
    )
    return result, math


def _group_counts(math):
    tids = np.array(math["tids"])
    gv = math["group-votes"]
    ids = [g["id"] for g in math["group-clusters"]]
    counts = [
        np.array([[gv[str(g)]["votes"][str(t)][key] for t in tids] for g in ids])
        for key in ("A", "D", "S")
    ]
    return tids, ids, counts


@pytest.mark.parametrize("name", EXACT_PCA)
def test_pca_components_match_polis_up_to_sign(name):
    result, math = _run(name)
    comps = np.array(math["pca"]["comps"])
    ours = result.pca_components[:, np.searchsorted(result.statement_ids, math["tids"])]
    for i in range(2):
        err = min(np.abs(ours[i] - comps[i]).max(), np.abs(ours[i] + comps[i]).max())
        assert err < 1e-9


@pytest.mark.parametrize("name", EXACT_PCA)
def test_statement_projection_and_extremity_match_polis(name):
    result, math = _run(name)
    idx = np.searchsorted(result.statement_ids, math["tids"])
    theirs = np.array(math["pca"]["comment-projection"]).T
    np.testing.assert_allclose(np.abs(result.statement_projections[idx]), np.abs(theirs), atol=1e-9)
    np.testing.assert_allclose(
        result.statement_extremity[idx], math["pca"]["comment-extremity"], atol=1e-9
    )


@pytest.mark.parametrize("name", EXACT_PROJECTION)
def test_participant_projections_match_polis_base_cluster_centres(name):
    result, math = _run(name)
    pos = result.projection_map()
    bc = math["base-clusters"]
    ours = np.array([np.mean([pos[m] for m in members], axis=0) for members in bc["members"]])
    theirs = np.column_stack([bc["x"], bc["y"]])
    for axis in range(2):
        err = min(
            np.abs(ours[:, axis] - theirs[:, axis]).max(),
            np.abs(ours[:, axis] + theirs[:, axis]).max(),
        )
        assert err < 1e-9


def test_in_conv_rule_matches_polis_where_there_is_no_history():
    p, s, c, math = load_fixture("25ptpt-3gp-no-strict-with-meta")
    result = compute_groups(p, s, c, meta_statement_ids=math["mod-out"])
    assert sorted(result.in_conv_ids.tolist()) == sorted(math["in-conv"])


@pytest.mark.parametrize("name", FIXTURES)
def test_in_conv_rule_admits_only_participants_polis_admitted(name):
    """Polis' set is larger (once in, always in, from earlier runs); ours is inside it."""
    p, s, c, math = load_fixture(name)
    counts = {int(k): v for k, v in math["user-vote-counts"].items()}
    ids = np.array(sorted(counts))
    mask = in_conv_mask(np.array([counts[i] for i in ids]), math["n-cmts"])
    assert set(ids[mask].tolist()) <= set(math["in-conv"])


@pytest.mark.parametrize("name", FIXTURES)
def test_group_step_on_polis_base_clusters_gives_polis_groups(name):
    """With Polis' start (first k distinct base clusters) and Polis' k."""
    _, _, _, math = load_fixture(name)
    bc = math["base-clusters"]
    centers = -np.column_stack([bc["x"], bc["y"]])
    sizes = np.array([len(m) for m in bc["members"]])
    k = len(math["group-clusters"])
    choice = choose_groups(
        centers, sizes, rng=np.random.default_rng(0), force_k=k, init="first"
    )
    ours = dict(zip(bc["id"], choice.labels_by_k[k].tolist(), strict=True))
    theirs = {b: g["id"] for g in math["group-clusters"] for b in g["members"]}
    assert partitions_equal(ours, theirs)


@pytest.mark.parametrize("name", FIXTURES)
def test_representative_statements_match_polis(name):
    _, _, _, math = load_fixture(name)
    tids, ids, (a, d, s) = _group_counts(math)
    rep = repness(a, d, s, tids, eligible=~np.isin(tids, math["mod-out"]))
    for group, ours in zip(ids, rep, strict=True):
        theirs = math["repness"][str(group)]
        assert [(r.statement_id, r.direction) for r in ours] == [
            (t["tid"], t["repful-for"]) for t in theirs
        ]
        for r, t in zip(ours, theirs, strict=True):
            assert r.best_agree == bool(t.get("best-agree", False))
            assert (r.n_success, r.n_trials) == (t["n-success"], t["n-trials"])
            assert r.p_success == pytest.approx(t["p-success"])
            assert r.p_test == pytest.approx(t["p-test"])
            assert r.repness == pytest.approx(t["repness"])
            assert r.repness_test == pytest.approx(t["repness-test"], abs=1e-6)


@pytest.mark.parametrize("name", FIXTURES)
def test_consensus_statements_match_polis(name):
    result, math = _run(name)
    for ours, key in ((result.consensus_agree, "agree"), (result.consensus_disagree, "disagree")):
        theirs = math["consensus"][key]
        assert [c.statement_id for c in ours] == [t["tid"] for t in theirs]
        for c, t in zip(ours, theirs, strict=True):
            assert (c.n_success, c.n_trials) == (t["n-success"], t["n-trials"])
            assert c.p_test == pytest.approx(t["p-test"])


@pytest.mark.parametrize("name", FIXTURES)
def test_group_informed_consensus_product_matches_polis(name):
    _, _, _, math = load_fixture(name)
    tids, _, (a, _, s) = _group_counts(math)
    geometric, product = group_informed_consensus(a, s)
    expected = [math["group-aware-consensus"][str(t)] for t in tids]
    np.testing.assert_allclose(product, expected, rtol=1e-12)
    np.testing.assert_allclose(geometric, product ** (1 / len(a)), rtol=1e-12)


@pytest.mark.parametrize("name", EXACT_PCA)
def test_routing_priority_matches_polis(name):
    _, _, _, math = load_fixture(name)
    tids, _, (a, d, s) = _group_counts(math)
    meta = np.isin(tids, math["meta-tids"])
    pri = routing_priority(
        a.sum(0), d.sum(0), s.sum(0), np.array(math["pca"]["comment-extremity"]), meta=meta
    )
    np.testing.assert_allclose(pri, [math["comment-priorities"][str(t)] for t in tids], rtol=1e-9)
