"""The load benchmark runs end to end (2 residents, 2 seconds): figures printed, nothing lost.

Not a timing test: it only proves the benchmark works and that every acknowledged vote is stored.
"""

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.db import connection

from tests.conftest import require

ROOT = Path(__file__).resolve().parents[2]


def run_bench(module: str, *options: str) -> tuple[subprocess.CompletedProcess, dict]:
    """Run ``python -m <module> <options> --json`` against a smoke database on the test server;
    its output and the figures of its last line."""
    settings_dict = connection.settings_dict
    url = f"postgres://{settings_dict['USER']}@{settings_dict['HOST'] or '127.0.0.1'}:{settings_dict['PORT'] or 5432}/"
    url = urlunsplit(urlsplit(url)._replace(path="/voxit_bench_smoke"))
    result = subprocess.run(
        [sys.executable, "-m", module, *options, "--json"],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": url},
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    return result, json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.postgres
def test_load_benchmark_smoke_run_loses_no_vote(db):
    require(connection.vendor == "postgresql", "needs PostgreSQL: set DATABASE_URL=postgres://…")
    result, figures = run_bench(
        "bench.load",
        *("--residents", "2", "--seconds", "2", "--warmup", "1", "--statements", "20"),
        *("--pgbench-seconds", "1", "--redis-url", "none"),
    )
    assert set(figures) == {
        "votes_per_s",
        "p50_ms",
        "p95_ms",
        "p99_ms",
        "errors",
        "acknowledged",
        "stored",
        "lost",
        "pgbench_tps",
        "share",
    }
    assert figures["acknowledged"] > 0
    assert figures["votes_per_s"] > 0 and figures["p99_ms"] > 0  # measured after the warm-up
    assert figures["lost"] == 0
    assert figures["stored"] == figures["acknowledged"]
    if sys.platform == "linux":  # the whole machine's CPU over the measured seconds, per vote
        busy = re.search(r"machine CPU +([0-9.]+) of (\d+) cores busy, ([0-9.]+) ms of CPU per vote", result.stdout)
        assert busy, result.stdout[-2000:]
        assert 0 < float(busy[1]) <= int(busy[2]) and float(busy[3]) > 0


@pytest.mark.postgres
def test_vote_cpu_benchmark_runs_and_stores_every_vote(db):
    """``python -m bench.vote_cpu`` (CPU per vote in one process): figures printed, every vote
    it cast stored once with its log entry."""
    require(connection.vendor == "postgresql", "needs PostgreSQL: set DATABASE_URL=postgres://…")
    result, figures = run_bench(
        "bench.vote_cpu",
        *("--votes", "60", "--warmup", "10", "--residents", "4", "--statements", "12"),
    )
    assert figures["votes"] == 60
    assert figures["app_cpu_ms"] > 0 and figures["wall_ms"] > 0
    assert figures["stored"] == figures["logged"] == 70  # the warm-up's votes too, each once
    if sys.platform == "linux" and figures["database_cpu_ms"] is not None:
        assert figures["database_cpu_ms"] > 0
