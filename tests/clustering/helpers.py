"""Shared data helpers for the clustering tests (no Django needed)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest


def shared_data() -> Path:
    env = os.environ.get("VOXIT_SHARED_DATA")
    if env:
        return Path(env)
    return (Path(__file__).resolve().parents[2] / ".." / "shared" / "data").resolve()


def require(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"shared data not found at {path} (set VOXIT_SHARED_DATA)")
    return path


FIXTURES = [
    "below-100-ptpts",
    "25ptpt-3gp-no-strict-with-meta",
    "50ptpt-3gp-strict-no-meta",
    "150ptpt-3gp-no-strict-no-meta",
]


def load_fixture(name: str):
    """(participant_ids, statement_ids, choices, math) from a red-dwarf fixture.

    votes.json keys differ: below-100-ptpts uses pid/tid, the others
    participant_id/statement_id; the latest row per pair by ``modified`` wins.
    """
    folder = require(shared_data() / "reddwarf-fixtures" / name)
    votes = json.loads((folder / "votes.json").read_text())
    math = json.loads((folder / "math-pca2.json").read_text())
    latest: dict[tuple[int, int], tuple[float, int]] = {}
    for row in votes:
        p = int(row.get("participant_id", row.get("pid")))
        s = int(row.get("statement_id", row.get("tid")))
        ts = float(row["modified"])
        if (p, s) not in latest or latest[(p, s)][0] <= ts:
            latest[(p, s)] = (ts, int(row["vote"]))
    keys = sorted(latest)
    p = np.array([k[0] for k in keys], dtype=np.int64)
    s = np.array([k[1] for k in keys], dtype=np.int64)
    c = np.array([latest[k][1] for k in keys], dtype=np.int8)
    return p, s, c, math


def partitions_equal(a: dict[int, int], b: dict[int, int]) -> bool:
    """Same partition of the same keys, whatever the label numbering."""
    if set(a) != set(b):
        return False
    pairs = {(a[k], b[k]) for k in a}
    return len(pairs) == len(set(a.values())) == len(set(b.values()))
