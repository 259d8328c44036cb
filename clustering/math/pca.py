"""Sparse PCA of the vote matrix and the sparsity-aware projections (steps 3-5).

After imputing each missing cell with its statement's mean and centring by
the same means, every missing cell is exactly 0; so the centred matrix has the
sparsity pattern of the votes and is built as a ``scipy.sparse`` matrix with
values ``vote - mean``.  Its two leading right singular vectors are the Polis
components; the dense participants x statements matrix is never formed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.linalg
import scipy.sparse as sp
from scipy.sparse.linalg import LinearOperator, eigsh

__all__ = ["PCA", "sparse_pca", "project_participants", "project_statements"]

# Below this many statements the S x S Gram matrix is formed and diagonalised
# exactly (LAPACK); above it, ARPACK works on the implicit Gram operator.  A
# dense eigh costs O(S^3) and, with multi-threaded OpenBLAS on a busy 2-core
# machine, took 6-11 s at S = 1039 where ARPACK takes milliseconds.
_GRAM_LIMIT = 200


@dataclass(frozen=True)
class PCA:
    center: np.ndarray  # (S,) statement means, 0 on meta statements
    components: np.ndarray  # (2, S) unit rows, 0 on meta statements
    explained_variance: np.ndarray  # (2,)


def _orient(components: np.ndarray) -> np.ndarray:
    """Fix each axis' arbitrary sign: the largest loading is made positive.

    Depends only on the loadings, not on statement order (up to exact ties).
    """
    out = components.copy()
    for i, row in enumerate(out):
        if row.size and row[np.argmax(np.abs(row))] < 0:
            out[i] = -row
    return out


def sparse_pca(
    centred: sp.csr_matrix,
    center: np.ndarray,
    *,
    n_components: int = 2,
    seed: int = 0,
    warm_start: np.ndarray | None = None,
) -> PCA:
    """Leading principal axes of the implicitly mean-imputed, centred vote matrix.

    ``centred`` (P, S) holds ``vote - mean`` at voted cells (0 on meta columns).
    Polis finds the axes by power iteration; any exact method gives the same
    axes up to sign.  ``warm_start`` (S,) seeds ARPACK, as Polis warm-starts its
    power iteration from the previous run.
    """
    n_rows, n_cols = centred.shape
    comps = np.zeros((n_components, n_cols))
    var = np.zeros(n_components)
    if n_cols == 0 or n_rows == 0 or centred.nnz == 0:
        return PCA(center, comps, var)
    active = np.flatnonzero(np.bincount(centred.indices, minlength=n_cols) > 0)
    sub = centred[:, active] if len(active) < n_cols else centred
    m = sub.shape[1]
    k = min(n_components, m)
    if m <= _GRAM_LIMIT or m <= k + 1:
        gram = (sub.T @ sub).toarray()
        # Only the top k eigenpairs: LAPACK's subset driver skips the rest of
        # the spectrum (several times faster than a full eigh at S ~ 1000).
        vals, vecs = scipy.linalg.eigh(gram, subset_by_index=[m - k, m - 1])
        order = np.argsort(vals)[::-1]
        vals, vecs = vals[order], vecs[:, order]
    else:
        sub_t = sub.T.tocsr()

        def matvec(x):
            return sub_t @ (sub @ x)

        op = LinearOperator((m, m), matvec=matvec, dtype=np.float64)
        if warm_start is not None and np.any(warm_start[active]):
            v0 = warm_start[active].astype(np.float64)
        else:
            v0 = np.random.default_rng(seed).standard_normal(m)
        vals, vecs = eigsh(op, k=k, which="LA", v0=v0, tol=1e-10)
        order = np.argsort(vals)[::-1]
        vals, vecs = vals[order], vecs[:, order]
    comps[:k, active] = vecs.T
    var[:k] = np.maximum(vals, 0.0) / max(n_rows - 1, 1)
    return PCA(center, _orient(comps), var)


def project_participants(
    centred: sp.csr_matrix, components: np.ndarray, n_voted: np.ndarray
) -> np.ndarray:
    """(P, 2) positions: projection over voted statements only, times
    sqrt(n_statements / max(n_voted, 1)) so sparse voters are not pulled to the centre."""
    proj = np.asarray(centred @ components.T)
    n_statements = centred.shape[1]
    scale = np.sqrt(n_statements / np.maximum(n_voted, 1))
    return proj * scale[:, None]


def project_statements(center: np.ndarray, components: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(S, 2) position of a participant who agreed with only that statement, and its norm."""
    n_statements = len(center)
    pos = (components * (1.0 - center)[None, :] * np.sqrt(n_statements)).T
    return pos, np.sqrt(np.einsum("ij,ij->i", pos, pos))
