"""The frozen result of one clustering run, and its JSON form.

A result carries everything the next run needs (in-conv set, base-cluster and
group centres, group labels, k-smoothing state), so a run can be warm-started
from a result read back from the database.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np

__all__ = ["ClusteringResult", "ConsensusStatement", "KSmoothingState", "RepStatement"]


@dataclass(frozen=True)
class RepStatement:
    """A statement that represents an opinion group (Polis "repness").

    ``direction`` is ``"agree"`` or ``"disagree"``; ``n_success`` counts the
    group's votes in that direction out of ``n_trials`` it saw.  ``p_success``
    and ``p_test`` are the smoothed proportion and its z-score against 1/2;
    ``repness`` and ``repness_test`` the ratio to the rest of the conversation
    and the two-proportion z-score.
    """

    statement_id: int
    direction: str
    n_success: int
    n_trials: int
    p_success: float
    p_test: float
    repness: float
    repness_test: float
    best_agree: bool = False


@dataclass(frozen=True)
class ConsensusStatement:
    """A statement most participants agree (or disagree) with."""

    statement_id: int
    n_success: int
    n_trials: int
    p_success: float
    p_test: float


@dataclass(frozen=True)
class KSmoothingState:
    """Polis adopts a new number of groups only after it wins several runs in a row.

    ``k`` is the adopted number of groups, ``candidate_k`` the challenger and
    ``candidate_runs`` how many consecutive runs it has won so far.
    """

    k: int
    candidate_k: int
    candidate_runs: int


_INT_ARRAYS = {
    "participant_ids",
    "participant_n_votes",
    "in_conv_ids",
    "statement_ids",
    "meta_statement_ids",
    "base_cluster_ids",
    "base_cluster_group",
    "group_labels",
    "group_agree",
    "group_disagree",
    "group_seen",
}
_FLOAT_ARRAYS = {
    "pca_center",
    "pca_components",
    "pca_explained_variance",
    "projections",
    "statement_projections",
    "statement_extremity",
    "base_cluster_centers",
    "group_centers",
    "group_informed_consensus",
    "group_informed_consensus_product",
    "priority",
}
_ARRAY_TUPLES = {"base_cluster_members", "group_members"}


@dataclass(frozen=True, eq=False)
class ClusteringResult:
    """Opinion groups and statement statistics for one conversation.

    Shapes: P participants who voted (``participant_ids``, sorted), S statements
    with at least one counted vote (``statement_ids``, sorted), B base clusters,
    G opinion groups.  Arrays indexed by statement follow ``statement_ids``;
    arrays indexed by participant follow ``participant_ids``.

    - ``pca_center`` (S,), ``pca_components`` (2, S): column means and the two
      principal axes (agree = +1).  Meta statements have 0 in both.
    - ``projections`` (P, 2): every participant's position, sparsity-scaled.
    - ``statement_projections`` (S, 2), ``statement_extremity`` (S,): where a
      participant who agreed with only that statement would stand.
    - ``base_cluster_*``: k-means (k = 100) on in-conv participants; members are
      participant ids; ``base_cluster_group`` is each one's group label.
    - ``group_labels`` (G,): stable integer labels; ``group_members`` participant
      ids per group; ``group_centers`` (G, 2).
    - ``group_agree``/``group_disagree``/``group_seen`` (G, S): votes of each
      group's members (``seen`` counts passes too).
    - ``repness``: per group (aligned with ``group_labels``) the representative
      statements; ``consensus_agree``/``consensus_disagree`` over all participants.
    - ``group_informed_consensus`` (S,): the geometric mean over groups of
      (A + 1) / (S + 2), named by ``group_informed_consensus_measure``;
      ``group_informed_consensus_product`` is Polis' product (it shrinks as
      groups are added).
    - ``priority`` (S,): routing weight (meta statements 49).
    """

    participant_ids: np.ndarray
    participant_n_votes: np.ndarray
    in_conv_ids: np.ndarray
    statement_ids: np.ndarray
    meta_statement_ids: np.ndarray
    pca_center: np.ndarray
    pca_components: np.ndarray
    pca_explained_variance: np.ndarray
    projections: np.ndarray
    statement_projections: np.ndarray
    statement_extremity: np.ndarray
    base_cluster_ids: np.ndarray
    base_cluster_centers: np.ndarray
    base_cluster_members: tuple[np.ndarray, ...]
    base_cluster_group: np.ndarray
    group_labels: np.ndarray
    group_members: tuple[np.ndarray, ...]
    group_centers: np.ndarray
    k: int
    k_state: KSmoothingState
    silhouettes: dict[int, float]
    group_agree: np.ndarray
    group_disagree: np.ndarray
    group_seen: np.ndarray
    repness: tuple[tuple[RepStatement, ...], ...]
    consensus_agree: tuple[ConsensusStatement, ...]
    consensus_disagree: tuple[ConsensusStatement, ...]
    group_informed_consensus: np.ndarray
    group_informed_consensus_product: np.ndarray
    priority: np.ndarray
    group_informed_consensus_measure: str = "geometric_mean"
    timings: dict[str, float] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)
    seed: int = 0

    # -- accessors ---------------------------------------------------------

    def group_of(self, participant_id: int) -> int | None:
        """The opinion-group label of a participant, or None if not clustered."""
        for label, members in zip(self.group_labels, self.group_members, strict=True):
            i = np.searchsorted(members, participant_id)
            if i < len(members) and members[i] == participant_id:
                return int(label)
        return None

    def group_map(self) -> dict[int, int]:
        """Participant id -> group label for every clustered participant."""
        return {
            int(p): int(label)
            for label, members in zip(self.group_labels, self.group_members, strict=True)
            for p in members
        }

    def priority_map(self) -> dict[int, float]:
        """Statement id -> routing priority."""
        return dict(zip(self.statement_ids.tolist(), self.priority.tolist(), strict=True))

    def projection_map(self) -> dict[int, tuple[float, float]]:
        """Participant id -> (x, y)."""
        return {
            int(p): (float(x), float(y))
            for p, (x, y) in zip(self.participant_ids, self.projections, strict=True)
        }

    def repness_map(self) -> dict[int, tuple[RepStatement, ...]]:
        """Group label -> its representative statements."""
        return dict(zip(self.group_labels.tolist(), self.repness, strict=True))

    @property
    def group_sizes(self) -> dict[int, int]:
        return {int(g): len(m) for g, m in zip(self.group_labels, self.group_members, strict=True)}

    # -- serialisation -----------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-serialisable types; floats survive the round trip exactly."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in _INT_ARRAYS or f.name in _FLOAT_ARRAYS:
                out[f.name] = value.tolist()
            elif f.name in _ARRAY_TUPLES:
                out[f.name] = [m.tolist() for m in value]
            elif f.name == "k_state":
                out[f.name] = vars(value).copy()
            elif f.name == "silhouettes":
                out[f.name] = {str(k): v for k, v in value.items()}
            elif f.name == "repness":
                out[f.name] = [[vars(r).copy() for r in group] for group in value]
            elif f.name in ("consensus_agree", "consensus_disagree"):
                out[f.name] = [vars(c).copy() for c in value]
            else:
                out[f.name] = value
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ClusteringResult:
        kwargs: dict[str, Any] = {}
        for f in fields(cls):
            if f.name not in data:
                continue
            value = data[f.name]
            if f.name in _INT_ARRAYS:
                kwargs[f.name] = np.asarray(value, dtype=np.int64)
            elif f.name in _FLOAT_ARRAYS:
                kwargs[f.name] = np.asarray(value, dtype=np.float64)
            elif f.name in _ARRAY_TUPLES:
                kwargs[f.name] = tuple(np.asarray(m, dtype=np.int64) for m in value)
            elif f.name == "k_state":
                kwargs[f.name] = KSmoothingState(**value)
            elif f.name == "silhouettes":
                kwargs[f.name] = {int(k): float(v) for k, v in value.items()}
            elif f.name == "repness":
                kwargs[f.name] = tuple(tuple(RepStatement(**r) for r in g) for g in value)
            elif f.name in ("consensus_agree", "consensus_disagree"):
                kwargs[f.name] = tuple(ConsensusStatement(**c) for c in value)
            else:
                kwargs[f.name] = value
        # Empty 2-D arrays lose their trailing dimension in JSON.
        for name, width in (
            ("pca_components", len(kwargs["statement_ids"])),
            ("projections", 2),
            ("statement_projections", 2),
            ("base_cluster_centers", 2),
            ("group_centers", 2),
        ):
            arr = kwargs[name]
            if arr.size == 0:
                shape = (2, width) if name == "pca_components" else (0, width)
                kwargs[name] = arr.reshape(shape)
        for name in ("group_agree", "group_disagree", "group_seen"):
            if kwargs[name].size == 0:
                kwargs[name] = kwargs[name].reshape(
                    len(kwargs["group_labels"]), len(kwargs["statement_ids"])
                )
        return cls(**kwargs)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> ClusteringResult:
        return cls.from_dict(json.loads(text))
