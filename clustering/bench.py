"""Benchmark the full pipeline on planted conversations (prints figures; not a test).

    python -m clustering.bench [--sizes small,medium,large] [--json] [--seed N]

Each size runs in its own subprocess so peak memory (ru_maxrss, which includes
the interpreter and the generated votes) is separate per size.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time

SIZES = {
    "small": (1_000, 100, 30),
    "medium": (20_000, 500, 40),
    "large": (100_000, 5_000, 60),
}


def run_one(size: str, seed: int) -> dict:
    import numpy as np
    from sklearn.metrics import adjusted_rand_score

    from clustering.math import compute_groups
    from clustering.math.synthetic import planted_conversation

    n, s, v = SIZES[size]
    conv = planted_conversation(n, s, votes_per_participant=v, polarisation=0.6, seed=seed)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start, cpu_start = time.perf_counter(), time.process_time()
    result = compute_groups(conv.participant_ids, conv.statement_ids, conv.choices, seed=seed)
    seconds = time.perf_counter() - start
    cpu_seconds = time.process_time() - cpu_start
    ours = result.group_map()
    truth = dict(zip(conv.planted_ids.tolist(), conv.planted_groups.tolist(), strict=True))
    both = sorted(set(ours) & set(truth))
    ari = adjusted_rand_score([truth[p] for p in both], [ours[p] for p in both])
    row = {
        "size": size,
        "participants": n,
        "statements": s,
        "votes": int(len(conv.choices)),
        "k": result.k,
        "seconds": round(seconds, 3),
        "cpu_seconds": round(cpu_seconds, 3),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "peak_mb_before_pipeline": round(rss_before / 1024, 1),
        "ari": round(float(ari), 4),
        "timings": {k: round(t, 3) for k, t in result.timings.items()},
        "reddwarf_seconds": None,
    }
    try:  # optional comparison, never a dependency
        import reddwarf  # noqa: F401
    except ImportError:
        pass
    del np
    return row


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m clustering.bench")
    parser.add_argument("--sizes", default="small,medium,large")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(run_one(args.one, args.seed)))
        return 0
    if not args.json:
        # The machine may be shared: wall-clock figures mean little without the load.
        print("load average (1, 5, 15 min): " + " ".join(f"{x:.2f}" for x in os.getloadavg()))
        print(
            f"{'size':7} {'ptpts':>7} {'stmts':>6} {'votes':>9} {'k':>2} {'sec':>6} {'cpu s':>6} "
            f"{'peak MB':>8} {'ARI':>6}  steps"
        )
    for size in args.sizes.split(","):
        if size not in SIZES:
            print(f"error: unknown size {size!r}", file=sys.stderr)
            return 2
        proc = subprocess.run(
            [sys.executable, "-m", "clustering.bench", "--one", size, "--seed", str(args.seed)],
            capture_output=True,
            text=True,
        )
        if proc.returncode:
            print(f"error: {size}: {proc.stderr.strip().splitlines()[-1:]}", file=sys.stderr)
            return 1
        row = json.loads(proc.stdout)
        if args.json:
            print(json.dumps(row), flush=True)
        else:
            steps = " ".join(f"{k}={v}" for k, v in row["timings"].items() if k != "total")
            print(
                f"{size:7} {row['participants']:>7} {row['statements']:>6} {row['votes']:>9} "
                f"{row['k']:>2} {row['seconds']:>6.2f} {row['cpu_seconds']:>6.2f} "
                f"{row['peak_mb']:>8.0f} {row['ari']:>6.3f}  {steps}",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
