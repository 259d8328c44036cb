"""compute_groups: one full Polis-style recompute over the current votes."""

from __future__ import annotations

import time
from collections.abc import Iterable

import numpy as np
import scipy.sparse as sp

from .groups import base_clusters, choose_groups, match_labels, smooth_k
from .pca import project_participants, project_statements, sparse_pca
from .result import ClusteringResult
from .stats import consensus, group_informed_consensus, repness, routing_priority

__all__ = ["compute_groups", "in_conv_mask"]


def in_conv_mask(
    n_votes: np.ndarray,
    n_statements: int,
    *,
    min_votes: int = 7,
    min_in_conv: int = 15,
    always_in: np.ndarray | None = None,
) -> np.ndarray:
    """Who is clustered: at least min(min_votes, n_statements) votes (passes count),
    anyone in before (``always_in``, bool), topped up with the most active voters
    (ties to the earlier participant) until ``min_in_conv``."""
    mask = n_votes >= min(min_votes, n_statements)
    mask &= n_votes > 0
    if always_in is not None:
        mask |= always_in
    short = min(min_in_conv, int(np.count_nonzero(n_votes > 0))) - int(mask.sum())
    if short > 0:
        rest = np.flatnonzero(~mask & (n_votes > 0))
        rest = rest[np.argsort(-n_votes[rest], kind="stable")]
        mask[rest[:short]] = True
    return mask


def _dense_ids(ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct ids and each entry's index into them (np.unique, but
    O(n) by counting when the id range is not much larger than n)."""
    if len(ids) == 0:
        return ids.copy(), np.empty(0, dtype=np.int64)
    lo, hi = int(ids.min()), int(ids.max())
    if hi - lo > 4 * len(ids) + 1_000_000:
        return np.unique(ids, return_inverse=True)
    present = np.zeros(hi - lo + 1, dtype=bool)
    present[ids - lo] = True
    rank = np.cumsum(present) - 1
    return np.flatnonzero(present).astype(np.int64) + lo, rank[ids - lo]


def _latest_votes(p: np.ndarray, s: np.ndarray, c: np.ndarray, n_p: int, n_s: int):
    """Keep the last occurrence of each (participant, statement) pair."""
    counts = sp.coo_matrix((np.ones(len(p), dtype=np.int32), (p, s)), shape=(n_p, n_s)).tocsr()
    if counts.nnz == len(p):
        return p, s, c
    key = p.astype(np.int64) * n_s + s
    _, idx = np.unique(key[::-1], return_index=True)
    keep = np.sort(len(key) - 1 - idx)
    return p[keep], s[keep], c[keep]


def compute_groups(
    participant_ids: Iterable[int] | np.ndarray,
    statement_ids: Iterable[int] | np.ndarray,
    choices: Iterable[int] | np.ndarray,
    *,
    excluded_statement_ids: Iterable[int] = (),
    meta_statement_ids: Iterable[int] = (),
    moderated_out_statement_ids: Iterable[int] = (),
    previous: ClusteringResult | None = None,
    seed: int = 0,
    min_votes: int = 7,
    min_in_conv: int = 15,
    base_k: int = 100,
    max_k: int = 5,
    group_k_step: int = 12,
    k_smoothing_runs: int = 4,
    base_max_iters: int = 100,
    base_threshold: float = 0.01,
    base_init: str = "farthest",
    group_init: str = "best",
    sparsity_scaling: bool = True,
    group_n_init: int = 50,
    max_rep_statements: int = 5,
    max_consensus_statements: int = 5,
    z_threshold: float = 1.2816,
    meta_priority: float = 49.0,
    force_k: int | None = None,
    force_in_conv: Iterable[int] | None = None,
) -> ClusteringResult:
    """Opinion groups and statement statistics from the current votes.

    ``participant_ids``, ``statement_ids`` (int64) and ``choices`` (int8: +1
    agree, -1 disagree, 0 pass) hold one entry per current vote; should a pair
    repeat, its last entry counts.  Ids are arbitrary database ids.

    - ``excluded_statement_ids``: unpublished or moderated-out statements; their
      votes are dropped first, so the result is the same as if they had never
      been cast.
    - ``meta_statement_ids``: kept in the vote counts (and so in the in-conv
      rule), zeroed out of PCA and counted as voted by everyone in the
      projection scaling, left out of repness and consensus, routing priority
      ``meta_priority`` (Polis' treatment).
    - ``moderated_out_statement_ids``: Polis' "mod-out" statements that are not
      meta (rejected after votes were cast), treated as Polis treats them: like
      meta statements but with an ordinary routing priority.  Voxit itself passes
      rejected statements in ``excluded_statement_ids``; this is for reproducing
      Polis runs on Polis exports (clustering.evaluate).
    - ``previous``: the last result, for once-in-always-in, warm starts, k
      smoothing and stable group labels.
    - ``seed``: all randomness (ARPACK start, k-means++ starts) comes from
      ``np.random.default_rng(seed)``.
    - ``base_init``: ``"farthest"`` (default; order-free, so relabelling ids
      cannot change the groups) or ``"first"`` (Polis: first distinct points in
      participant-id order).
    - ``force_k`` / ``force_in_conv``: reproduce a known Polis run (fixtures).

    - ``group_n_init``: k-means++ starts per k in the group step, besides a
      farthest-first start (Polis uses one start per k, warm-started from its
      last run).  The lowest weighted inertia wins.  Base-cluster centres are
      few, so 50 starts cost milliseconds and make the groups independent of
      the seed on real conversations; with 10, canadian-electoral-reform's
      2-group split still changed with the seed (ARI against Polis 0.90-1.00).

    Other keywords are Polis' tunables with Polis' defaults.
    """
    params = {
        k: v
        for k, v in locals().items()
        if k
        not in ("participant_ids", "statement_ids", "choices", "previous", "seed")
    }
    params["excluded_statement_ids"] = sorted(int(x) for x in excluded_statement_ids)
    params["meta_statement_ids"] = sorted(int(x) for x in meta_statement_ids)
    params["moderated_out_statement_ids"] = sorted(int(x) for x in moderated_out_statement_ids)
    if force_in_conv is not None:
        params["force_in_conv"] = sorted(int(x) for x in force_in_conv)
    timings: dict[str, float] = {}
    t_start = t = time.perf_counter()
    rng = np.random.default_rng(seed)

    def lap(name: str) -> None:
        nonlocal t
        now = time.perf_counter()
        timings[name] = now - t
        t = now

    # -- 1. votes -> sparse matrix -----------------------------------------
    p_raw = np.asarray(participant_ids, dtype=np.int64).ravel()
    s_raw = np.asarray(statement_ids, dtype=np.int64).ravel()
    c_raw = np.asarray(choices, dtype=np.int8).ravel()
    if not (len(p_raw) == len(s_raw) == len(c_raw)):
        raise ValueError("participant_ids, statement_ids and choices must have the same length")
    if params["excluded_statement_ids"]:
        keep = ~np.isin(s_raw, np.asarray(params["excluded_statement_ids"], dtype=np.int64))
        p_raw, s_raw, c_raw = p_raw[keep], s_raw[keep], c_raw[keep]
    pids, p_idx = _dense_ids(p_raw)
    sids, s_idx = _dense_ids(s_raw)
    n_p, n_s = len(pids), len(sids)
    if len(p_idx):
        p_idx, s_idx, c_raw = _latest_votes(p_idx, s_idx, c_raw, n_p, n_s)
    meta = np.isin(sids, np.asarray(params["meta_statement_ids"], dtype=np.int64))
    # Polis' "mod-out": meta and moderated-out statements, zeroed in the matrix.
    zeroed = meta | np.isin(sids, np.asarray(params["moderated_out_statement_ids"], dtype=np.int64))
    votes = c_raw.astype(np.float64)
    n_votes = np.bincount(p_idx, minlength=n_p)
    col_count = np.bincount(s_idx, minlength=n_s)
    col_sum = np.bincount(s_idx, weights=votes, minlength=n_s)
    center = np.where(zeroed, 0.0, col_sum / np.maximum(col_count, 1))
    centred_vals = np.where(zeroed[s_idx], 0.0, votes - center[s_idx])
    # Polis zeroes a mod-out column for *every* participant (the cells become 0,
    # not missing), so its sparsity scaling counts each mod-out statement as
    # voted by everyone: sqrt(S / (votes on other statements + number zeroed)).
    # Reproduces Polis' base-cluster centres exactly on the red-dwarf fixture
    # below-100-ptpts, where few participants voted on the mod-out statements.
    n_zeroed = int(zeroed.sum())
    n_scaling_votes = n_votes
    if n_zeroed:
        n_scaling_votes = n_votes - np.bincount(p_idx[zeroed[s_idx]], minlength=n_p) + n_zeroed
    # Votes arrive grouped by participant more often than not; CSR from COO is O(nnz).
    centred = sp.coo_matrix((centred_vals, (p_idx, s_idx)), shape=(n_p, n_s)).tocsr()
    lap("matrix")

    # -- 2. in-conv ----------------------------------------------------------
    if force_in_conv is not None:
        in_conv = np.isin(pids, np.asarray(params["force_in_conv"], dtype=np.int64))
    else:
        always = None
        if previous is not None and len(previous.in_conv_ids):
            always = np.isin(pids, previous.in_conv_ids)
        in_conv = in_conv_mask(
            n_votes, n_s, min_votes=min_votes, min_in_conv=min_in_conv, always_in=always
        )
    lap("in_conv")

    # -- 3-5. PCA and projections -------------------------------------------
    warm = None
    if previous is not None and previous.pca_components.size:
        warm = np.zeros(n_s)
        pos = np.searchsorted(previous.statement_ids, sids)
        pos = np.clip(pos, 0, max(len(previous.statement_ids) - 1, 0))
        hit = previous.statement_ids[pos] == sids if len(previous.statement_ids) else np.zeros(n_s, bool)
        warm[hit] = previous.pca_components[0, pos[hit]]
    pca = sparse_pca(centred, center, seed=int(rng.integers(2**31)), warm_start=warm)
    lap("pca")
    proj = project_participants(
        centred, pca.components, n_scaling_votes if sparsity_scaling else np.full(n_p, n_s)
    )
    stmt_proj, extremity = project_statements(center, pca.components)
    lap("projection")

    # -- 6. base clusters ----------------------------------------------------
    ic_idx = np.flatnonzero(in_conv)
    prev_base = previous.base_cluster_centers if previous is not None else None
    b_centers, b_labels = base_clusters(
        proj[ic_idx],
        base_k=base_k,
        previous_centers=prev_base,
        init=base_init,
        max_iters=base_max_iters,
        threshold=base_threshold,
    )
    n_base = len(b_centers)
    b_sizes = np.bincount(b_labels, minlength=n_base)
    lap("base_clusters")

    # -- 7. groups, k smoothing, labels ---------------------------------------
    prev_state = previous.k_state if previous is not None else None
    prev_group_centers = previous.group_centers if previous is not None else None
    choice = choose_groups(
        b_centers,
        b_sizes,
        max_k=max_k,
        group_k_step=group_k_step,
        n_init=group_n_init,
        rng=rng,
        previous_centers=prev_group_centers,
        force_k=force_k,
        init=group_init,
    )
    if force_k is not None:
        state = smooth_k(choice.best_k, None, set(choice.labels_by_k))
    else:
        state = smooth_k(
            choice.best_k, prev_state, set(choice.labels_by_k), runs=k_smoothing_runs
        )
    k = state.k
    base_group = choice.labels_by_k.get(k, np.empty(0, dtype=np.int64))
    g_centers = choice.centers_by_k.get(k, np.empty((0, 2)))
    ptpt_group = np.full(n_p, -1, dtype=np.int64)
    if n_base:
        ptpt_group[ic_idx] = base_group[b_labels]
    members = [pids[ptpt_group == g] for g in range(len(g_centers))]
    labels = match_labels(
        members,
        g_centers,
        previous.group_labels if previous is not None else None,
        previous.group_members if previous is not None else None,
    )
    order = np.argsort(labels)
    relabel = np.empty(len(labels), dtype=np.int64)
    relabel[order] = np.arange(len(labels))
    labels, g_centers = labels[order], g_centers[order]
    members = [members[i] for i in order]
    if n_base:
        base_group = relabel[base_group]
        ptpt_group[ic_idx] = base_group[b_labels]
    # Base clusters listed with ids 0..B-1 and their members as participant ids.
    b_order = np.argsort(b_labels, kind="stable")
    b_bounds = np.cumsum(b_sizes)[:-1] if n_base else []
    b_members = tuple(np.sort(m) for m in np.split(pids[ic_idx][b_order], b_bounds)) if n_base else ()
    lap("groups")

    # -- 8-12. statistics ------------------------------------------------------
    n_g = len(labels)
    grouped = ptpt_group[p_idx] >= 0
    gi = ptpt_group[p_idx][grouped]
    si = s_idx[grouped]
    ci = c_raw[grouped]
    flat = gi * n_s + si
    size = n_g * n_s
    g_agree = np.bincount(flat[ci == 1], minlength=size).reshape(n_g, n_s)
    g_disagree = np.bincount(flat[ci == -1], minlength=size).reshape(n_g, n_s)
    g_seen = np.bincount(flat, minlength=size).reshape(n_g, n_s)
    eligible = ~zeroed
    rep = repness(
        g_agree,
        g_disagree,
        g_seen,
        sids,
        eligible=eligible,
        max_per_group=max_rep_statements,
        z_threshold=z_threshold,
    )
    all_agree = np.bincount(s_idx[c_raw == 1], minlength=n_s)
    all_disagree = np.bincount(s_idx[c_raw == -1], minlength=n_s)
    cons_agree, cons_disagree = consensus(
        all_agree,
        all_disagree,
        col_count,
        sids,
        eligible=eligible,
        max_statements=max_consensus_statements,
        z_threshold=z_threshold,
    )
    gic_geo, gic_prod = group_informed_consensus(g_agree, g_seen)
    priority = routing_priority(
        g_agree.sum(0),
        g_disagree.sum(0),
        g_seen.sum(0),
        extremity,
        meta=meta,
        meta_priority=meta_priority,
    )
    lap("statistics")
    timings["total"] = time.perf_counter() - t_start

    return ClusteringResult(
        participant_ids=pids,
        participant_n_votes=n_votes.astype(np.int64),
        in_conv_ids=pids[in_conv],
        statement_ids=sids,
        meta_statement_ids=sids[meta],
        pca_center=pca.center,
        pca_components=pca.components,
        pca_explained_variance=pca.explained_variance,
        projections=proj,
        statement_projections=stmt_proj,
        statement_extremity=extremity,
        base_cluster_ids=np.arange(n_base, dtype=np.int64),
        base_cluster_centers=b_centers,
        base_cluster_members=b_members,
        base_cluster_group=base_group.astype(np.int64),
        group_labels=labels,
        group_members=tuple(members),
        group_centers=g_centers,
        k=int(len(labels)),
        k_state=state,
        silhouettes={int(kk): float(v) for kk, v in choice.silhouettes.items()},
        group_agree=g_agree.astype(np.int64),
        group_disagree=g_disagree.astype(np.int64),
        group_seen=g_seen.astype(np.int64),
        repness=rep,
        consensus_agree=cons_agree,
        consensus_disagree=cons_disagree,
        group_informed_consensus=gic_geo,
        group_informed_consensus_product=gic_prod,
        priority=priority,
        timings=timings,
        params=params,
        seed=int(seed),
    )
