"""k-means on 2-D points, weighted, with deterministic starts; and the silhouette.

Written for the shapes Polis uses: up to 10^5 points in the plane against 100
centres (base clusters), and up to 100 weighted points against 2..5 centres
(groups).  Empty clusters are dropped, as Polis does.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree

__all__ = [
    "assign",
    "farthest_first",
    "first_distinct",
    "inertia",
    "kmeans",
    "kmeans_many",
    "kmeans_plus_plus",
    "lloyd_bounded",
    "silhouette",
]

_CHUNK = 16384


def assign(points: np.ndarray, centers: np.ndarray) -> np.ndarray:
    """Index of the nearest centre for each point (ties to the lower index)."""
    n = len(points)
    out = np.empty(n, dtype=np.int64)
    c2 = np.einsum("ij,ij->i", centers, centers)
    for start in range(0, n, _CHUNK):
        block = points[start : start + _CHUNK]
        # ||c||^2 - 2 x.c is enough for the argmin; ||x||^2 is constant per row.
        d = c2[None, :] - 2.0 * (block @ centers.T)
        out[start : start + _CHUNK] = np.argmin(d, axis=1)
    return out


def kmeans(
    points: np.ndarray,
    centers: np.ndarray,
    *,
    weights: np.ndarray | None = None,
    max_iters: int = 100,
    threshold: float = 0.01,
) -> tuple[np.ndarray, np.ndarray]:
    """Lloyd iterations from ``centers`` until no centre moves ``threshold`` or ``max_iters``.

    Returns ``(centers, labels)``; centres that lose all their points are
    dropped and labels renumbered to the surviving centres (order kept).
    """
    points = np.asarray(points, dtype=np.float64)
    centers = np.array(centers, dtype=np.float64, copy=True)
    w = np.ones(len(points)) if weights is None else np.asarray(weights, dtype=np.float64)
    labels = assign(points, centers)
    for _ in range(max_iters):
        k = len(centers)
        mass = np.bincount(labels, weights=w, minlength=k)
        sx = np.bincount(labels, weights=w * points[:, 0], minlength=k)
        sy = np.bincount(labels, weights=w * points[:, 1], minlength=k)
        keep = mass > 0
        new = np.column_stack([sx[keep] / mass[keep], sy[keep] / mass[keep]])
        moved = not keep.all() or np.max(np.abs(new - centers[keep])) >= threshold
        centers = new
        labels = assign(points, centers)
        if not moved:
            break
    # Final tidy-up: drop centres left without points by the last assignment.
    used = np.bincount(labels, minlength=len(centers)) > 0
    if not used.all():
        remap = np.cumsum(used) - 1
        centers, labels = centers[used], remap[labels]
    return centers, labels


def _nearest_two(
    points: np.ndarray, centers: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Nearest centre index, its distance and the distance to the second
    nearest centre (inf when there is one centre), by a k-d tree over the
    centres: O(n log k) rather than O(n k) per pass."""
    if len(centers) == 1:
        diff = points - centers[0]
        d1 = np.sqrt(np.einsum("ij,ij->i", diff, diff))
        return np.zeros(len(points), dtype=np.int64), d1, np.full(len(points), np.inf)
    dist, idx = cKDTree(centers).query(points, k=2)
    return idx[:, 0].astype(np.int64), dist[:, 0], dist[:, 1]


def lloyd_bounded(
    points: np.ndarray,
    centers: np.ndarray,
    *,
    max_iters: int = 100,
    threshold: float = 0.01,
) -> tuple[np.ndarray, np.ndarray]:
    """Unweighted :func:`kmeans` (same iterations, same stopping rule, same
    dropping of empty centres) for many points, using Hamerly's bounds.

    Each point keeps an upper bound on the distance to its own centre and a
    lower bound on the distance to any other; when centres move by delta, the
    bounds loosen by delta, and only points whose bounds cross are measured
    again.  Late Lloyd iterations move centres by little, so most points are
    skipped: base clustering of 10^5 participants costs a few full passes
    instead of one per iteration.  Labels are exact (up to exact ties).
    """
    points = np.ascontiguousarray(points, dtype=np.float64)
    centers = np.array(centers, dtype=np.float64, copy=True)
    labels, upper, lower = _nearest_two(points, centers)
    px, py = points[:, 0], points[:, 1]
    for _ in range(max_iters):
        k = len(centers)
        mass = np.bincount(labels, minlength=k).astype(np.float64)
        sx = np.bincount(labels, weights=px, minlength=k)
        sy = np.bincount(labels, weights=py, minlength=k)
        keep = mass > 0
        new = np.column_stack([sx[keep] / mass[keep], sy[keep] / mass[keep]])
        moved = not keep.all() or np.max(np.abs(new - centers[keep])) >= threshold
        delta = np.sqrt(((new - centers[keep]) ** 2).sum(1))
        if not keep.all():
            # Dropping a centre can only raise the second-nearest distance, so
            # the lower bounds stay valid.
            labels = (np.cumsum(keep) - 1)[labels]
        centers = new
        upper += delta[labels]
        if len(delta) > 1:
            # Hamerly: the other centres moved at most the largest delta, or the
            # second largest for points of the centre that moved most.
            top = int(np.argmax(delta))
            second = np.partition(delta, -2)[-2]
            lower -= np.where(labels == top, second, delta[top])
        # Hamerly's second test: a point within half the distance from its
        # centre to that centre's nearest neighbour centre cannot change.
        cc = np.sqrt(((centers[:, None, :] - centers[None, :, :]) ** 2).sum(-1))
        np.fill_diagonal(cc, np.inf)
        half = 0.5 * cc.min(axis=1)
        bound = np.maximum(lower, half[labels])
        check = np.flatnonzero(upper > bound)
        if len(check):
            diff = points[check] - centers[labels[check]]
            upper[check] = np.sqrt(np.einsum("ij,ij->i", diff, diff))
            check = check[upper[check] > bound[check]]
        if len(check):
            i, d1, d2 = _nearest_two(points[check], centers)
            labels[check], upper[check], lower[check] = i, d1, d2
        if not moved:
            break
    used = np.bincount(labels, minlength=len(centers)) > 0
    if not used.all():
        remap = np.cumsum(used) - 1
        centers, labels = centers[used], remap[labels]
    return centers, labels


def kmeans_many(
    points: np.ndarray,
    starts: np.ndarray,
    *,
    weights: np.ndarray | None = None,
    max_iters: int = 300,
    threshold: float = 1e-9,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Weighted Lloyd from R starts at once, for few points (the group step).

    ``starts`` (R, k, 2).  Each run follows :func:`kmeans` (same iterations and
    stopping rule) and is frozen once it has converged.  Returns ``(centers (R,
    k, 2), labels (R, N), inertia (R,))``; a run that loses a centre gets
    inertia ``inf`` (the group step discards it, as Polis would drop the centre).
    """
    pts = np.asarray(points, dtype=np.float64)
    cen = np.array(starts, dtype=np.float64, copy=True)
    n_runs, k, _ = cen.shape
    n = len(pts)
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=np.float64)
    runs = np.arange(n_runs)[:, None]

    def assign_all(c):
        d = ((pts[None, :, None, :] - c[:, None, :, :]) ** 2).sum(-1)  # (R, N, k)
        return np.argmin(d, axis=2)

    labels = assign_all(cen)
    active = np.ones(n_runs, dtype=bool)
    lost = np.zeros(n_runs, dtype=bool)
    flat = (runs * k + labels).ravel()
    for _ in range(max_iters):
        if not active.any():
            break
        flat = (runs * k + labels).ravel()
        ww = np.broadcast_to(w, labels.shape).ravel()
        mass = np.bincount(flat, weights=ww, minlength=n_runs * k).reshape(n_runs, k)
        px = np.broadcast_to(pts[:, 0], labels.shape).ravel()
        py = np.broadcast_to(pts[:, 1], labels.shape).ravel()
        sx = np.bincount(flat, weights=ww * px, minlength=n_runs * k)
        sy = np.bincount(flat, weights=ww * py, minlength=n_runs * k)
        empty = (mass <= 0).any(1)
        lost |= empty & active
        safe = np.maximum(mass, 1e-300)
        new = np.stack([sx.reshape(n_runs, k) / safe, sy.reshape(n_runs, k) / safe], axis=2)
        new = np.where(mass[:, :, None] > 0, new, cen)
        step = active & ~lost
        moved = np.abs(new - cen).max(axis=(1, 2)) >= threshold
        cen[step] = new[step]
        labels[step] = assign_all(cen[step])
        active = step & moved
    diff = pts[None, :, :] - cen[runs, labels]
    score = (w[None, :] * (diff**2).sum(-1)).sum(1)
    used_all = np.array([np.bincount(labels[r], minlength=k).min() > 0 for r in range(n_runs)])
    score = np.where(lost | ~used_all, np.inf, score)
    return cen, labels, score


def farthest_first(
    points: np.ndarray,
    k: int,
    *,
    weights: np.ndarray | None = None,
    start: np.ndarray | None = None,
) -> np.ndarray:
    """k distinct starting centres by farthest-first traversal.

    Starts from the point farthest from the (weighted) mean, then repeatedly
    takes the point farthest from those chosen.  It depends only on the point
    set, not on the order of the points or the sign of the axes (up to exact
    ties), so relabelling participants or statements cannot change it.  With
    ``start`` (warm start), those centres are kept and the traversal continues
    from them until there are k.
    """
    distinct = np.unique(np.asarray(points, dtype=np.float64), axis=0)
    chosen = np.empty((0, 2)) if start is None else np.asarray(start, dtype=np.float64)[:k]
    k = min(k, len(distinct) + len(chosen))
    if len(chosen) >= k or len(distinct) == 0:
        return chosen
    best = np.full(len(distinct), np.inf)
    for c in chosen:
        diff = distinct - c
        best = np.minimum(best, np.einsum("ij,ij->i", diff, diff))
    picks = []
    if not len(chosen):
        mean = np.average(points, axis=0, weights=weights)
        picks.append(int(np.argmax(np.einsum("ij,ij->i", distinct - mean, distinct - mean))))
        diff = distinct - distinct[picks[-1]]
        best = np.einsum("ij,ij->i", diff, diff)
    while len(chosen) + len(picks) < k:
        nxt = int(np.argmax(best))
        if best[nxt] <= 0:
            break
        picks.append(nxt)
        diff = distinct - distinct[nxt]
        best = np.minimum(best, np.einsum("ij,ij->i", diff, diff))
    return np.vstack([chosen, distinct[picks]])


def first_distinct(points: np.ndarray, k: int) -> np.ndarray:
    """Polis' start: the first k distinct points in the given order."""
    _, first = np.unique(np.asarray(points, dtype=np.float64), axis=0, return_index=True)
    return np.asarray(points, dtype=np.float64)[np.sort(first)[:k]]


def kmeans_plus_plus(
    points: np.ndarray, k: int, rng: np.random.Generator, *, weights: np.ndarray | None = None
) -> np.ndarray:
    """Weighted k-means++ starting centres drawn with ``rng``."""
    w = np.ones(len(points)) if weights is None else np.asarray(weights, dtype=np.float64)
    first = rng.choice(len(points), p=w / w.sum())
    chosen = [first]
    d = np.einsum("ij,ij->i", points - points[first], points - points[first])
    for _ in range(1, k):
        p = w * d
        total = p.sum()
        if total <= 0:
            break
        nxt = rng.choice(len(points), p=p / total)
        chosen.append(nxt)
        diff = points - points[nxt]
        d = np.minimum(d, np.einsum("ij,ij->i", diff, diff))
    return points[chosen]


def inertia(points: np.ndarray, centers: np.ndarray, labels: np.ndarray, weights=None) -> float:
    w = np.ones(len(points)) if weights is None else weights
    diff = points - centers[labels]
    return float(np.sum(w * np.einsum("ij,ij->i", diff, diff)))


def silhouette(points: np.ndarray, labels: np.ndarray) -> float:
    """Mean silhouette coefficient (Euclidean, unweighted), for small point sets.

    Points alone in their cluster score 0, as in scikit-learn.
    """
    labels = np.asarray(labels)
    uniq, lab = np.unique(labels, return_inverse=True)
    k = len(uniq)
    n = len(points)
    if k < 2 or k >= n:
        return 0.0
    dist = np.sqrt(((points[:, None, :] - points[None, :, :]) ** 2).sum(-1))
    onehot = np.zeros((n, k))
    onehot[np.arange(n), lab] = 1.0
    sums = dist @ onehot
    sizes = onehot.sum(0)
    own = sizes[lab]
    a = sums[np.arange(n), lab] / np.maximum(own - 1, 1)
    other = sums / sizes[None, :]
    other[np.arange(n), lab] = np.inf
    b = other.min(1)
    s = np.where(own > 1, (b - a) / np.maximum(np.maximum(a, b), 1e-300), 0.0)
    return float(s.mean())
