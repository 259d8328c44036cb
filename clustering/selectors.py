"""Reads of opinion-group results used by the rest of the app."""

from collections.abc import Sequence


def statement_weights_for(*, conversation, statement_ids: Sequence[int]) -> list[float]:
    """Routing weight per candidate statement; uniform until opinion groups have been computed."""
    return [1.0] * len(statement_ids)
