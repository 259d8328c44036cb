"""Replay a Polis vote log through the pipeline, one recompute after each batch of new votes.

Neither Polis nor Voxit computes opinion groups once, from the final votes: both recompute as
votes arrive, and each run starts from the last one (``compute_groups(..., previous=...)``):
once in, always in for the clustered set; a new number of groups adopted only after it has won
``k_smoothing_runs`` runs in a row; base clusters and groups warm-started from the last run.  A
single run on the final votes has none of that history.  :func:`replay` runs the pipeline the app
runs over the life of a conversation: the raw vote log in time order, a run after every
``every`` new votes on the votes cast so far (a later vote replaces an earlier one on the same
statement), each run's result passed to the next, the last run on the whole log.

Cadence.  Voxit recomputes after each burst of votes (``RECLUSTER_DELAY_SECONDS``, 2 s) and
Polis' math worker after each poll of new votes; people vote more slowly than that, so both
amount to about one run per vote: 31,000 runs for ssis.land-bank-farmland, too many to replay.
:data:`REPLAY_EVERY_VOTES` is set by running time alone: the largest openData log (62,000 votes,
austria-climate.5twd2jsnkf) took 22 s of CPU with a run every 200 votes and 10-15 s with one
every 300, against a budget of about 20 s on the 2-core development machine.  On
ssis.land-bank-farmland a run every 50, 100, 200, 300 or 500 votes keeps 2 groups, as Polis
showed (ARI 0.96-1.00); a run a day or every 1,000 votes ends with 3 (ARI 0.73-0.74), as a
single run on the final votes does.

What is known only in its final state is used throughout: moderation (a statement rejected at
the end is treated as rejected from the start) and meta flags.  Statements need no timing of
their own: a statement enters the matrix with its first vote, which comes after its creation.

Polis' older in-conv count (opt-in, ``mod_out_counted_until``).  Polis zeroes a moderated-out
statement's column for every participant (the cells become 0, not missing).  Older versions of its
math (compdemocracy/polis, ``polismath.math.conversation``: ``:user-vote-counts`` computed from the
zeroed ``rating-mat``) counted those zeros as votes when deciding who is clustered, so with 7 or
more moderated-out statements anyone with a single vote was clustered; current versions count on
``raw-rating-mat`` (real votes only), the rule ``compute_groups`` applies.  No dated commit for the
change was found; the exports date it: in football-concussions Polis clustered all 842 participants
with fewer than 7 votes who first voted by 2017-12-20 21:16 UTC and none of the 53 who first voted
from 2018-01-06 12:57 UTC on, so :data:`POLIS_MOD_OUT_COUNTED_UNTIL` is 2018-01-01 (any date in
between replays the same).  With it, the replay reproduces Polis' clustered set exactly on
football-concussions (1,434), scoop-hivemind.affordable-housing (381) and .freshwater (117).  It is
not the default because it was not applied everywhere: canadian-electoral-reform and
15-per-hour-seattle had votes, hence Polis runs, in 2017 (to 2017-12-22), yet Polis clustered none
of their participants with fewer than 7 votes.  A plausible reason, not confirmed: in a
Mongo-era version of Polis' ``conv_man.clj`` the state saved for, and reloaded after, a worker
restart (``prep-main``, ``restructure-mongo-conv``) keeps the in-conv set and
``lastModTimestamp`` but not ``mod-out``, so after a restart the worker may have known none of a
conversation's earlier moderation (the comments these two rejected all date from 2016 or
earlier) and counted real votes only.  Moderation and restart times are not in the exports, so
that cannot be replayed either way.

What does not explain football-concussions (ARI 0.16 by default; the target is 0.8).  Polis
clustered 1,434 of its participants (the older count above reproduces that set exactly) in 2
groups of 1,281 and 153.  On that set the replay still finds 5 groups (ARI 0.33), and 0.60 with
k = 2 forced: Polis' split is not where k-means on our projection settles.  Silhouettes for
k = 2..5 lie within 0.03 of each other in every run, and two different 2-group splits (ARI 0.08
and 0.83 against Polis) take turns as the best, so the outcome is decided by noise.  The Polis
math source of 2017-2019 (``polismath.math.conversation`` before the defaults went to 100
iterations: ``:base-k 100``, ``:base-iters 10``, ``:pca-iters 10``, group k-means warm-started per
k, sparsity-aware projection) gives no better: 10 base iterations, ARI 0.33-0.40.  Only
combinations that no single Polis version ran reach 0.8 (no sparsity scaling with the older count:
0.83 for seeds 0 and 3, 0.37-0.61 for 1 and 2; with ``base_k=50`` as in 2014-2015 sources too:
0.86 for every seed), and they cost biodiversity and ssis their 0.98 and 1.00 (0.87 each).  So the
default stays the current Polis rule.  Nor does a replay that runs the 2014-2015 rule (no scaling,
``base_k=50``, the older count) until a date D and the current rule after it, warm-started across
the switch (seeds 0, 1, 2): ARI 0.65 / 0.65 / 0.38 for D = 2016-01-01, 0.82 for 2017-01-01,
0.65 / 0.53 / 0.85 for 2018-01-01 and 0.87 for 2019-01-01.  The result hangs on D, and no dated
Polis commit for such a switch was found, so picking D would be tuning to this one export.

Checked on 2026-12-07, none reaching 0.8 on football-concussions by default.  On the 593
participants the current rule clusters, Polis' own 2-group split is not a fixed point of k-means on
our projection: started from it, the groups drift to 396 / 197 (ARI 0.84 -> 0.59), and the
silhouette prefers k = 4 (0.35 against 0.30 for Polis' split); on Polis' 1,434 the split is stable
(0.87) and within 0.2 % of the inertia of our own 2-group split, which is why noise decides there.
Polis' warm starts as its source has them (clusters restarted from their previous members, a new
cluster seeded with the farthest point, one warm-started group clustering per k from the first k
base clusters, at most 20 iterations): 0.15-0.16 (seattle falls to 0.44-0.54 when the groups are
warm-started so); with the older count 0.16-0.40.  Projection variants on the final votes, each
choosing k = 4: unmoderated statements taken as moderated out 0.10, moderated-out columns dropped
instead of zeroed 0.17, no sparsity scaling 0.20, pass votes dropped 0.26.  Polis' k choice
(unweighted silhouette over base-cluster centres, four runs before a new k) is what
``compute_groups`` does already, and the top two principal axes are well separated (variances 0.57
/ 0.47 / 0.31), so Polis' power iteration gives the same plane.  Moderation times read off the vote
log do not separate football from canadian-electoral-reform either.  The older count applied to
every conversation gives football 0.41 (k = 5) and costs ssis (0.69) and biodiversity (0.85).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

import numpy as np

from clustering.math import ClusteringResult, compute_groups, in_conv_mask

__all__ = ["POLIS_MOD_OUT_COUNTED_UNTIL", "REPLAY_EVERY_VOTES", "replay", "replay_cuts"]

REPLAY_EVERY_VOTES = 300
POLIS_MOD_OUT_COUNTED_UNTIL = int(datetime(2018, 1, 1, tzinfo=UTC).timestamp() * 1000)


def replay_cuts(
    n_votes: int, every: int = REPLAY_EVERY_VOTES, *, also: Iterable[int] = ()
) -> list[int]:
    """Ends (exclusive) of the vote-log prefixes the replay runs on: every ``every`` votes, any
    extra ends in ``also`` (within the log), and the whole log last."""
    if n_votes <= 0:
        return []
    every = max(int(every), 1)
    cuts = set(range(every, n_votes, every)) | {int(x) for x in also if 0 < int(x) < n_votes}
    return sorted(cuts) + [n_votes]


def _in_conv_counting_mod_out(
    p: np.ndarray,
    s: np.ndarray,
    zeroed_ids: np.ndarray,
    previous_in: np.ndarray | None,
    *,
    min_votes: int,
    min_in_conv: int,
) -> np.ndarray:
    """Polis' older in-conv set: votes on statements not zeroed, plus one for every zeroed
    statement in the matrix (one with a vote), for everyone; once in, always in."""
    sids, s_idx = np.unique(s, return_inverse=True)
    pids, p_idx = np.unique(p, return_inverse=True)
    _, first = np.unique(p_idx.astype(np.int64) * len(sids) + s_idx, return_index=True)
    p_idx, s = p_idx[first], s[first]
    on_zeroed = np.isin(s, zeroed_ids)
    n_zeroed = int(np.isin(sids, zeroed_ids).sum())
    counts = np.bincount(p_idx[~on_zeroed], minlength=len(pids)) + n_zeroed
    always = np.isin(pids, previous_in) if previous_in is not None else None
    mask = in_conv_mask(
        counts, len(sids), min_votes=min_votes, min_in_conv=min_in_conv, always_in=always
    )
    return pids[mask]


def replay(
    timestamps: np.ndarray,
    participant_ids: np.ndarray,
    statement_ids: np.ndarray,
    choices: np.ndarray,
    *,
    every: int = REPLAY_EVERY_VOTES,
    meta_statement_ids: Iterable[int] = (),
    moderated_out_statement_ids: Iterable[int] = (),
    seed: int = 0,
    mod_out_counted_until: int | None = None,
    **kwargs,
) -> tuple[ClusteringResult, int]:
    """Run ``compute_groups`` on growing prefixes of a raw vote log, each run warm-started from
    the last; returns the last run's result and the number of runs.

    The log (one row per vote event, repeats included) is put in time order, ties kept in the
    given order; ``compute_groups`` keeps the last row per (participant, statement) of each
    prefix, so a changed vote replaces the earlier one from its own time on.
    ``mod_out_counted_until`` (epoch ms, e.g. :data:`POLIS_MOD_OUT_COUNTED_UNTIL`): runs on votes
    cast before it choose the clustered set by Polis' older count (see the module docstring), with
    a run at that time.  Other keywords go to every run.
    """
    ts = np.asarray(timestamps, dtype=np.int64).ravel()
    order = np.argsort(ts, kind="stable")
    p = np.asarray(participant_ids, dtype=np.int64).ravel()[order]
    s = np.asarray(statement_ids, dtype=np.int64).ravel()[order]
    c = np.asarray(choices, dtype=np.int8).ravel()[order]
    meta = sorted(int(x) for x in meta_statement_ids)
    moderated_out = sorted(int(x) for x in moderated_out_statement_ids)
    ts = ts[order]
    also = []
    if mod_out_counted_until is not None:
        also.append(int(np.searchsorted(ts, mod_out_counted_until)))
    cuts = replay_cuts(len(ts), every, also=also)
    if not cuts:
        raise ValueError("an empty vote log cannot be replayed")
    zeroed = np.asarray(sorted(set(meta) | set(moderated_out)), dtype=np.int64)
    result = None
    for end in cuts:
        run_kwargs = kwargs
        if mod_out_counted_until is not None and ts[end - 1] < mod_out_counted_until:
            run_kwargs = dict(kwargs)
            run_kwargs["force_in_conv"] = _in_conv_counting_mod_out(
                p[:end],
                s[:end],
                zeroed,
                result.in_conv_ids if result is not None else None,
                min_votes=kwargs.get("min_votes", 7),
                min_in_conv=kwargs.get("min_in_conv", 15),
            )
        result = compute_groups(
            p[:end],
            s[:end],
            c[:end],
            meta_statement_ids=meta,
            moderated_out_statement_ids=moderated_out,
            previous=result,
            seed=seed,
            **run_kwargs,
        )
    return result, len(cuts)
