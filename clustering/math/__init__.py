"""Polis-style opinion-group mathematics: pure NumPy/SciPy, no Django.

Entry point: :func:`compute_groups` -> :class:`ClusteringResult`.
"""

from .pipeline import compute_groups, in_conv_mask
from .result import ClusteringResult, ConsensusStatement, KSmoothingState, RepStatement

__all__ = [
    "ClusteringResult",
    "ConsensusStatement",
    "KSmoothingState",
    "RepStatement",
    "compute_groups",
    "in_conv_mask",
]
