"""Statement statistics per opinion group: repness, consensus, group-informed
consensus and routing priority (polis-math.md steps 8-12).

All functions take count matrices: ``agree``, ``disagree``, ``seen`` of shape
(G, S) for G groups and S statements (``seen`` includes passes).
"""

from __future__ import annotations

import numpy as np

from .result import ConsensusStatement, RepStatement

__all__ = [
    "consensus",
    "group_informed_consensus",
    "prop_test",
    "repness",
    "routing_priority",
    "two_prop_test",
]

Z_90 = 1.2816  # one-sided 90 %


def prop_test(success, n):
    """z-score of (success + 1) / (n + 1) against 1/2 (Polis' one-proportion test)."""
    success = np.asarray(success, dtype=np.float64)
    n = np.asarray(n, dtype=np.float64)
    return 2.0 * np.sqrt(n + 1.0) * ((success + 1.0) / (n + 1.0) - 0.5)


def two_prop_test(success1, n1, success2, n2):
    """Two-proportion z-score with one added to every count; 0 when the pooled rate is 1."""
    s1, m1, s2, m2 = (np.asarray(x, dtype=np.float64) + 1.0 for x in (success1, n1, success2, n2))
    p1, p2 = s1 / m1, s2 / m2
    pooled = (s1 + s2) / (m1 + m2)
    var = pooled * (1.0 - pooled) * (1.0 / m1 + 1.0 / m2)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (p1 - p2) / np.sqrt(var)
    return np.where((pooled >= 1.0) | (var <= 0), 0.0, z)


def repness(
    agree: np.ndarray,
    disagree: np.ndarray,
    seen: np.ndarray,
    statement_ids: np.ndarray,
    *,
    eligible: np.ndarray | None = None,
    max_per_group: int = 5,
    z_threshold: float = Z_90,
) -> tuple[tuple[RepStatement, ...], ...]:
    """Representative statements of each group, Polis' way.

    A statement represents group g in a direction when both its ratio to the
    rest of the conversation (two-proportion z) and its probability (z against
    1/2) are significant.  Each statement takes the direction with the larger
    ratio z; candidates are ranked by ``r * r_z * p * p_z``, agrees before
    disagrees, and Polis' "best agree" statement (see ``_best_agree``) goes
    first even when it is not significant; at most ``max_per_group`` are kept.
    ``eligible`` (S,) bool masks statements out (meta statements).
    """
    na, nd, ns = (np.asarray(x, dtype=np.float64) for x in (agree, disagree, seen))
    G, S = ns.shape
    if eligible is None:
        eligible = np.ones(S, dtype=bool)
    oa, od, os_ = na.sum(0) - na, nd.sum(0) - nd, ns.sum(0) - ns
    pa, pd = (na + 1) / (ns + 2), (nd + 1) / (ns + 2)
    pat, pdt = prop_test(na, ns), prop_test(nd, ns)
    ra = pa / ((oa + 1) / (os_ + 2))
    rd = pd / ((od + 1) / (os_ + 2))
    rat, rdt = two_prop_test(na, ns, oa, os_), two_prop_test(nd, ns, od, os_)
    use_agree = rat > rdt
    metric = np.where(use_agree, ra * rat * pa * pat, rd * rdt * pd * pdt)
    significant = np.where(
        use_agree, (rat > z_threshold) & (pat > z_threshold), (rdt > z_threshold) & (pdt > z_threshold)
    )
    significant &= eligible[None, :] & (ns > 0)

    def make(g: int, j: int, agree_dir: bool, best: bool = False) -> RepStatement:
        if agree_dir:
            vals = (na, pa, pat, ra, rat)
        else:
            vals = (nd, pd, pdt, rd, rdt)
        n_s, p, pt, r, rt = (float(v[g, j]) for v in vals)
        return RepStatement(
            statement_id=int(statement_ids[j]),
            direction="agree" if agree_dir else "disagree",
            n_success=int(n_s),
            n_trials=int(ns[g, j]),
            p_success=p,
            p_test=pt,
            repness=r,
            repness_test=rt,
            best_agree=best,
        )

    out = []
    for g in range(G):
        cand = np.flatnonzero(significant[g])
        # Stable sort by metric, ties by statement order, so results are reproducible.
        cand = cand[np.argsort(-metric[g, cand], kind="stable")][:max_per_group]
        best = _best_agree(na[g], pa[g], pat[g], ra[g], rat[g], eligible)
        rest = [int(j) for j in cand if j != best]
        ordered = [j for j in rest if use_agree[g, j]] + [j for j in rest if not use_agree[g, j]]
        items = [make(g, j, bool(use_agree[g, j])) for j in ordered]
        if best is not None:
            items.insert(0, make(g, best, bool(use_agree[g, best]), True))
        out.append(tuple(items[:max_per_group]))
    return tuple(out)


def _best_agree(na, pa, pat, ra, rat, eligible) -> int | None:
    """Polis' "best agree" statement of a group, shown first whether significant or not.

    Scans statements in order: the first with some agrees and either p > 1/2 or
    r > 1 starts; a later one replaces it when it scores higher, by the full
    ``r * r_z * p * p_z`` while the current best is over-represented (r > 1),
    otherwise by ``p * p_z``.  Checked against Polis' output on all four
    red-dwarf fixtures.
    """
    best = None
    for j in np.flatnonzero(eligible & (na > 0)):
        if best is None:
            if pa[j] > 0.5 or ra[j] > 1.0:
                best = j
        elif ra[best] > 1.0:
            if ra[j] * rat[j] * pa[j] * pat[j] > ra[best] * rat[best] * pa[best] * pat[best]:
                best = j
        elif pa[j] * pat[j] > pa[best] * pat[best]:
            best = j
    return None if best is None else int(best)


def consensus(
    agree: np.ndarray,
    disagree: np.ndarray,
    seen: np.ndarray,
    statement_ids: np.ndarray,
    *,
    eligible: np.ndarray | None = None,
    max_statements: int = 5,
    z_threshold: float = Z_90,
) -> tuple[tuple[ConsensusStatement, ...], tuple[ConsensusStatement, ...]]:
    """Statements most of the conversation agrees / disagrees with.

    Counts are over all participants, shape (S,).  A statement qualifies when
    the smoothed proportion exceeds 1/2 with a significant z-score; ranked by
    ``p * z``, at most ``max_statements`` each way.
    """
    a, d, s = (np.asarray(x, dtype=np.float64) for x in (agree, disagree, seen))
    if eligible is None:
        eligible = np.ones(len(s), dtype=bool)
    lists = []
    for n_success in (a, d):
        p = (n_success + 1) / (s + 2)
        z = prop_test(n_success, s)
        ok = np.flatnonzero(eligible & (p > 0.5) & (z > z_threshold))
        ok = ok[np.argsort(-(p[ok] * z[ok]), kind="stable")][:max_statements]
        lists.append(
            tuple(
                ConsensusStatement(
                    statement_id=int(statement_ids[j]),
                    n_success=int(n_success[j]),
                    n_trials=int(s[j]),
                    p_success=float(p[j]),
                    p_test=float(z[j]),
                )
                for j in ok
            )
        )
    return lists[0], lists[1]


def group_informed_consensus(agree: np.ndarray, seen: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(geometric mean, product) over groups of (A_g + 1) / (S_g + 2).

    Polis shows the product, which shrinks as groups are added; the geometric
    mean stays on the 0..1 probability scale whatever the number of groups.
    """
    p = (np.asarray(agree, dtype=np.float64) + 1) / (np.asarray(seen, dtype=np.float64) + 2)
    if p.shape[0] == 0:
        ones = np.ones(p.shape[1])
        return ones * 0.5, ones * 0.5
    product = np.prod(p, axis=0)
    geometric = np.exp(np.log(p).mean(axis=0))
    return geometric, product


def routing_priority(
    agree: np.ndarray,
    disagree: np.ndarray,
    seen: np.ndarray,
    extremity: np.ndarray,
    *,
    meta: np.ndarray | None = None,
    meta_priority: float = 49.0,
    new_boost: float = 8.0,
    boost_half_life: float = 5.0,
) -> np.ndarray:
    """Polis' routing weight per statement, counts summed over groups (S,).

    importance = (1 - (P + 1)/(S + 2)) (E + 1) (A + 1)/(S + 2) with P passes and E
    the extremity; priority = (importance (1 + 8 * 2^(-S/5)))^2; meta statements 49.
    """
    a, d, s = (np.asarray(x, dtype=np.float64) for x in (agree, disagree, seen))
    passes = s - a - d
    importance = (1 - (passes + 1) / (s + 2)) * (extremity + 1) * (a + 1) / (s + 2)
    priority = (importance * (1 + new_boost * 2.0 ** (-s / boost_half_life))) ** 2
    if meta is not None:
        priority = np.where(meta, meta_priority, priority)
    return priority
