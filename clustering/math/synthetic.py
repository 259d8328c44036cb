"""Planted opinion groups for tests and benchmarks.

Each group has a stance per statement (agree probability drawn around a
group-specific +/- direction); each participant votes on a random subset of
statements.  ``planted`` returns the true group of every participant.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["PlantedConversation", "planted_conversation"]


@dataclass(frozen=True)
class PlantedConversation:
    participant_ids: np.ndarray  # (V,) int64
    statement_ids: np.ndarray  # (V,) int64
    choices: np.ndarray  # (V,) int8
    planted_ids: np.ndarray  # (P,) participant ids
    planted_groups: np.ndarray  # (P,) true group index


def planted_conversation(
    n_participants: int,
    n_statements: int,
    *,
    n_groups: int = 3,
    votes_per_participant: float = 40,
    polarisation: float = 0.8,
    pass_rate: float = 0.1,
    group_weights: np.ndarray | None = None,
    seed: int = 0,
) -> PlantedConversation:
    """A conversation whose groups are known.

    ``polarisation`` in (0, 1]: how strongly a group's members follow its
    stance (1 = always).  Votes per participant are Poisson around
    ``votes_per_participant`` (at least 1, at most ``n_statements``).  Ids are
    shuffled, non-contiguous integers, like database ids.
    """
    rng = np.random.default_rng(seed)
    w = np.ones(n_groups) if group_weights is None else np.asarray(group_weights, float)
    groups = rng.choice(n_groups, size=n_participants, p=w / w.sum())
    stance = rng.choice([-1.0, 1.0], size=(n_groups, n_statements))
    # Some statements everyone agrees on, so consensus is not empty.
    shared = rng.random(n_statements) < 0.1
    stance[:, shared] = 1.0
    p_agree = 0.5 + 0.5 * polarisation * stance  # (G, S)
    counts = np.clip(rng.poisson(votes_per_participant, n_participants), 1, n_statements)
    total = int(counts.sum())
    rows = np.repeat(np.arange(n_participants), counts)
    # Statements per participant without replacement: random keys, sorted per row.
    if n_statements <= 2000:
        cols = (
            np.concatenate([rng.choice(n_statements, c, replace=False) for c in counts])
            if n_participants < 5000
            else None
        )
    else:
        cols = None
    if cols is None:
        cols = rng.integers(0, n_statements, total)
        # Resolve the (rare) repeats by keeping the first of each pair.
        key = rows.astype(np.int64) * n_statements + cols
        _, first = np.unique(key, return_index=True)
        first.sort()
        rows, cols = rows[first], cols[first]
    u = rng.random(len(rows))
    agree = u < p_agree[groups[rows], cols]
    choice = np.where(agree, 1, -1).astype(np.int8)
    choice[rng.random(len(rows)) < pass_rate] = 0
    pid_pool = rng.permutation(n_participants * 3)[:n_participants].astype(np.int64) + 1000
    sid_pool = rng.permutation(n_statements * 2)[:n_statements].astype(np.int64) + 1
    return PlantedConversation(
        participant_ids=pid_pool[rows],
        statement_ids=sid_pool[cols],
        choices=choice,
        planted_ids=pid_pool,
        planted_groups=groups,
    )
