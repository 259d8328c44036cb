"""Compare Voxit's opinion groups with Polis' on exported conversations.

    python -m clustering.evaluate DIR [DIR ...] [--json] [--seed N] [--snapshot]

Replay (the default when the folder has votes.csv, the timed vote log): Polis
did not cluster a conversation once, from its final votes; its math ran again
and again as votes came in, each run carrying state to the next (once in, always
in; a new number of groups only after it has won 4 runs in a row; warm starts),
and so does Voxit's own recompute loop.  ``clustering.replay`` runs Voxit's
pipeline that way over the vote log, one run per ``REPLAY_EVERY_VOTES`` new
votes, each warm-started from the last; the groups compared are the last run's.
See clustering/replay.py for the cadence and what is taken in its final state.
``--snapshot``, or a folder with participants-votes.csv only: a single run on
the final votes.  ``seconds`` is the time of all runs.

Comments moderated out (moderated == -1) are passed as
``moderated_out_statement_ids`` and ``is-meta`` comments as meta: Polis' math
puts both in its "mod-out" set, whose columns it zeroes for every participant
(out of PCA, but counted as voted in the projection's sparsity scaling; the
in-conv rule counts real votes only, as current Polis does).  Voxit's own
service excludes rejected statements instead; here the point is to reproduce
what Polis computed.  Unmoderated comments (moderated == 0) are *included*:
these openData conversations were not strictly moderated, so Polis itself
clustered with them, and including them is the faithful comparison.  The
adjusted Rand index is taken over participants that both Polis and Voxit
clustered.

Polis' history, modelled but not applied by default: until about the turn of
2017/2018 Polis' in-conv count also counted every zeroed (mod-out) column as a
vote, so in conversations it ran with 7 or more mod-out statements anyone with
one vote was clustered, and once in, always in kept them there.  ``evaluate(...,
mod_out_counted_until=clustering.replay.POLIS_MOD_OUT_COUNTED_UNTIL)`` replays
that (2018-01-01, dated from football-concussions' own vote log) and reproduces
Polis' clustered set exactly on football-concussions and the two 2017
scoop-hivemind conversations; but canadian-electoral-reform and
15-per-hour-seattle, which had votes (so Polis runs) in late 2017, show no trace of
it (perhaps because Polis' worker forgot the mod-out set on restart), so a
date alone does not say where it applied.  The evidence is in clustering/replay.py.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from clustering.math import compute_groups
from clustering.polis_io import PolisExport, PolisExportError, read_polis_export
from clustering.replay import REPLAY_EVERY_VOTES, replay


def adjusted_rand(a, b) -> float:
    from sklearn.metrics import adjusted_rand_score

    return float(adjusted_rand_score(a, b))


def evaluate(
    export: PolisExport,
    *,
    seed: int = 0,
    snapshot: bool | None = None,
    replay_every: int = REPLAY_EVERY_VOTES,
    **kwargs,
) -> dict:
    """One row of the table.  ``snapshot``: None replays when the export has a
    vote log, True makes a single run on the final votes.  ``replay_every`` and
    ``mod_out_counted_until`` (replay only) go to :func:`clustering.replay.replay`;
    other keywords to every ``compute_groups`` run."""
    meta = export.comment_ids[export.comment_is_meta]
    moderated_out = export.comment_ids[(export.comment_moderated == -1) & ~export.comment_is_meta]
    if snapshot is None:
        snapshot = not export.has_vote_log
    if not snapshot and not export.has_vote_log:
        raise PolisExportError(f"{export.name}: no votes.csv, so no vote log to replay")
    start = time.perf_counter()
    if snapshot:
        result = compute_groups(
            export.voter_ids,
            export.comment_ids_voted,
            export.votes,
            meta_statement_ids=meta,
            moderated_out_statement_ids=moderated_out,
            seed=seed,
            **kwargs,
        )
    else:
        result, _ = replay(
            export.log_timestamps,
            export.log_voter_ids,
            export.log_comment_ids,
            export.log_votes,
            every=replay_every,
            meta_statement_ids=meta,
            moderated_out_statement_ids=moderated_out,
            seed=seed,
            **kwargs,
        )
    seconds = time.perf_counter() - start
    ari = None
    if export.has_polis_groups:
        ours = result.group_map()
        polis = dict(zip(export.group_participant_ids.tolist(), export.group_ids.tolist(), strict=True))
        both = sorted(set(ours) & set(polis))
        if both:
            ari = adjusted_rand([polis[p] for p in both], [ours[p] for p in both])
    return {
        "dataset": export.name,
        "participants": int(len(result.participant_ids)),
        "in_conv": int(len(result.in_conv_ids)),
        "statements": int(len(result.statement_ids)),
        "votes": int(result.participant_n_votes.sum()),
        "k": int(result.k),
        "group_sizes": [len(m) for m in result.group_members],
        "ari": ari,
        "seconds": round(seconds, 3),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m clustering.evaluate", description=__doc__.split("\n")[0])
    parser.add_argument("dirs", nargs="+", metavar="DIR", help="Polis export folder")
    parser.add_argument("--json", action="store_true", help="one JSON object per folder per line")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--snapshot",
        action="store_true",
        help="a single run on the final votes instead of replaying the vote log",
    )
    args = parser.parse_args(argv)
    failed = False
    if not args.json:
        print(
            f"{'dataset':44} {'ptpts':>6} {'in-conv':>7} {'stmts':>5} {'votes':>8} {'k':>2} "
            f"{'ARI':>6} {'sec':>6}  groups"
        )
    for d in args.dirs:
        try:
            snapshot = True if args.snapshot else None
            row = evaluate(read_polis_export(d), seed=args.seed, snapshot=snapshot)
        except PolisExportError as exc:
            print(f"error: {exc}", file=sys.stderr)
            failed = True
            continue
        except Exception as exc:  # report and go on with the other folders
            print(f"error: {d}: {type(exc).__name__}: {exc}", file=sys.stderr)
            failed = True
            continue
        if args.json:
            print(json.dumps(row), flush=True)
        else:
            ari = "-" if row["ari"] is None else f"{row['ari']:.3f}"
            print(
                f"{row['dataset'][:44]:44} {row['participants']:>6} {row['in_conv']:>7} "
                f"{row['statements']:>5} {row['votes']:>8} {row['k']:>2} {ari:>6} "
                f"{row['seconds']:>6.2f}  {row['group_sizes']}",
                flush=True,
            )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
