"""Base clusters, opinion groups, k smoothing and stable labels (steps 6-7)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment

from .kmeans import (
    farthest_first,
    first_distinct,
    kmeans_many,
    kmeans_plus_plus,
    lloyd_bounded,
    silhouette,
)
from .result import KSmoothingState

__all__ = ["GroupChoice", "base_clusters", "choose_groups", "match_labels", "smooth_k"]


def base_clusters(
    points: np.ndarray,
    *,
    base_k: int = 100,
    previous_centers: np.ndarray | None = None,
    init: str = "farthest",
    max_iters: int = 100,
    threshold: float = 0.01,
) -> tuple[np.ndarray, np.ndarray]:
    """k-means with k = ``base_k`` on in-conv positions (N, 2).

    First run starts from ``init``: ``"farthest"`` (farthest-first traversal,
    independent of participant order) or ``"first"`` (Polis: the first distinct
    points in the given order).  Later runs start from the previous centres,
    topped up by farthest-first when there are more distinct points than them.
    Returns ``(centers (B, 2), labels (N,))``.
    """
    if len(points) == 0:
        return np.empty((0, 2)), np.empty(0, dtype=np.int64)
    if previous_centers is not None and len(previous_centers):
        start = farthest_first(points, base_k, start=previous_centers)
    elif init == "first":
        start = first_distinct(points, base_k)
    else:
        start = farthest_first(points, base_k)
    return lloyd_bounded(points, start, max_iters=max_iters, threshold=threshold)


@dataclass(frozen=True)
class GroupChoice:
    best_k: int
    silhouettes: dict[int, float]
    labels_by_k: dict[int, np.ndarray]  # base-cluster -> group index, per k
    centers_by_k: dict[int, np.ndarray]


def choose_groups(
    centers: np.ndarray,
    sizes: np.ndarray,
    *,
    max_k: int = 5,
    group_k_step: int = 12,
    n_init: int = 10,
    rng: np.random.Generator,
    previous_centers: np.ndarray | None = None,
    force_k: int | None = None,
    init: str = "best",
) -> GroupChoice:
    """Weighted k-means of the base-cluster centres for k = 2..min(max_k, 2 + B // 12).

    Each k keeps the lowest weighted inertia among a farthest-first start, the
    previous groups' centres (when they number k) and ``n_init`` k-means++
    starts drawn from ``rng``; the silhouette over base-cluster centres picks
    k, ties to the larger k.  Two base clusters are two groups, as k >= 2 is chosen
    whenever the data allow it (the silhouette of two points cannot compare k); one base
    cluster is one group.
    """
    n_base = len(centers)
    if n_base < 3:
        k = n_base
        labels = np.arange(n_base, dtype=np.int64)
        cen = np.asarray(centers, dtype=np.float64).reshape(n_base, -1) if n_base else np.empty((0, 2))
        return GroupChoice(k, {}, {k: labels}, {k: cen})
    upper = min(max_k, 2 + n_base // group_k_step, n_base - 1)
    ks = list(range(2, upper + 1))
    if force_k is not None:
        ks = sorted(set(ks) | {min(max(int(force_k), 1), n_base)})
    w = np.asarray(sizes, dtype=np.float64)
    sil: dict[int, float] = {}
    labels_by_k: dict[int, np.ndarray] = {}
    centers_by_k: dict[int, np.ndarray] = {}
    for k in ks:
        if init == "first":
            starts = [first_distinct(centers, k)]
        else:
            starts = [farthest_first(centers, k, weights=w)]
            starts += [kmeans_plus_plus(centers, k, rng, weights=w) for _ in range(n_init)]
        if previous_centers is not None and len(previous_centers) == k:
            starts.append(np.asarray(previous_centers, dtype=np.float64))
        starts = [s for s in starts if len(s) == k]
        if not starts:
            continue
        # All starts run together (vectorised); the first lowest inertia wins.
        cens, labs, scores = kmeans_many(centers, np.stack(starts), weights=w)
        if not np.isfinite(scores).any():
            continue
        i = int(np.flatnonzero(scores <= scores.min() + 1e-12)[0])
        labels_by_k[k], centers_by_k[k] = labs[i].astype(np.int64), cens[i]
        sil[k] = silhouette(centers, labels_by_k[k]) if k > 1 else 0.0
    if force_k is not None and int(force_k) in labels_by_k:
        best_k = int(force_k)
    else:
        candidates = [k for k in sil if k >= 2] or list(labels_by_k)
        best_k = candidates[0]
        for k in candidates:
            if sil[k] >= sil[best_k] - 1e-12:
                best_k = k
    return GroupChoice(best_k, sil, labels_by_k, centers_by_k)


def smooth_k(
    best_k: int, previous: KSmoothingState | None, available: set[int], *, runs: int = 4
) -> KSmoothingState:
    """Adopt a new number of groups only after it wins ``runs`` consecutive runs.

    The first run adopts its best k at once.  If the adopted k is no longer
    feasible (too few base clusters), the best k is adopted.
    """
    if previous is None or previous.k not in available:
        return KSmoothingState(k=best_k, candidate_k=best_k, candidate_runs=0)
    if best_k == previous.k:
        return KSmoothingState(k=previous.k, candidate_k=best_k, candidate_runs=0)
    streak = previous.candidate_runs + 1 if best_k == previous.candidate_k else 1
    if streak >= runs:
        return KSmoothingState(k=best_k, candidate_k=best_k, candidate_runs=0)
    return KSmoothingState(k=previous.k, candidate_k=best_k, candidate_runs=streak)


def match_labels(
    members: list[np.ndarray],
    centers: np.ndarray,
    previous_labels: np.ndarray | None = None,
    previous_members: tuple[np.ndarray, ...] | None = None,
) -> np.ndarray:
    """Stable integer labels for new groups (members are participant ids).

    With a previous result, groups are matched to previous groups by shared
    members (Hungarian assignment maximising overlap) and inherit their labels;
    the rest take the smallest unused labels.  Without one, labels go by size
    (largest 0), then by centre position.
    """
    n = len(members)
    order = sorted(
        range(n), key=lambda g: (-len(members[g]), float(centers[g, 0]), float(centers[g, 1]))
    )
    labels = np.full(n, -1, dtype=np.int64)
    if previous_labels is not None and previous_members is not None and len(previous_labels):
        overlap = np.array(
            [[len(np.intersect1d(m, pm, assume_unique=True)) for pm in previous_members] for m in members]
        ).reshape(n, len(previous_labels))
        rows, cols = linear_sum_assignment(-overlap)
        for r, c in zip(rows, cols, strict=True):
            if overlap[r, c] > 0:
                labels[r] = previous_labels[c]
    used = set(labels[labels >= 0].tolist())
    nxt = 0
    for g in order:
        if labels[g] < 0:
            while nxt in used:
                nxt += 1
            labels[g] = nxt
            used.add(nxt)
    return labels
