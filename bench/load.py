"""Load benchmark: many residents voting at once on gunicorn + PostgreSQL, and nothing lost.

    python -m bench.load [--residents 64] [--seconds 30] [--warmup 2] [--json]

Starts Voxit on gunicorn (a free loopback port, production settings) against ``DATABASE_URL``
(default: a ``voxit_bench`` database on the local PostgreSQL server, created and migrated if
missing), creates a fresh benchmark conversation, and drives N simulated residents for a fixed
time. Each resident opens the conversation page once (which gives it its cookies), then casts a
vote through the API and gets the next statement, again and again; a resident who has answered
everything is replaced by a new one. Votes per second and latencies are measured after a short
warm-up (``--warmup``, 2 s: the server was just started and its threads open their database
connections on their first requests; a running server has done that long before a rush). Then it
checks the database: every acknowledged vote (a 201 answer, warm-up included) must be stored,
once, with its log entry. Finally it measures PostgreSQL's own rate for an equivalent single-row
upsert with pgbench on the same database, and prints our rate as a share of it.

This is a benchmark that prints figures, not a test: the load generator shares the CPU with the
server it measures, so figures on a small machine are a floor, not a ceiling.
"""

from __future__ import annotations

import argparse
import asyncio
import glob
import json
import os
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/voxit_bench"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/14"
SLUG_PREFIX = "bench-"
STATEMENT_ID = re.compile(rb'name="statement" value="(\d+)"')
CHOICES = (b"agree", b"disagree", b"pass")


# --------------------------------------------------------------------------------------------
# Database and server
# --------------------------------------------------------------------------------------------


def ensure_database(url: str) -> None:
    """Create the benchmark database when it does not exist (needs rights on the server)."""
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [name]
        ).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{name}"')


def server_environment(database_url: str, port: int, args) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "voxit.settings",
            "DEBUG": "false",
            "SECRET_KEY": env.get("SECRET_KEY") or secrets.token_urlsafe(40),
            "ALLOWED_HOSTS": "127.0.0.1",
            "DATABASE_URL": database_url,
            "HTTPS": "false",
            "LOG_LEVEL": "WARNING",
            "GUNICORN_BIND": f"127.0.0.1:{port}",
            "GUNICORN_ACCESSLOG": "",
            # All simulated residents come from one address: the per-address limit would be the
            # first thing measured. The per-participant limit stays as configured.
            "RATE_LIMIT_IP_VOTES_PER_MINUTE": env.get(
                "RATE_LIMIT_IP_VOTES_PER_MINUTE", "100000000"
            ),
            # A simulated resident answers far faster than a person; the limiter still counts.
            "RATE_LIMIT_VOTES_PER_MINUTE": env.get("RATE_LIMIT_VOTES_PER_MINUTE", "100000"),
        }
    )
    if args.redis_url:
        env["REDIS_URL"] = env["CELERY_BROKER_URL"] = args.redis_url
    else:
        env.pop("REDIS_URL", None)
        env.pop("CELERY_BROKER_URL", None)
    if args.workers:
        env["GUNICORN_WORKERS"] = str(args.workers)
    if args.threads:
        env["GUNICORN_THREADS"] = str(args.threads)
    return env


def redis_reachable(url: str) -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except Exception:  # noqa: BLE001
        return False


def start_worker(env: dict[str, str]) -> subprocess.Popen:
    """The production set-up's Celery worker: recomputes run beside the voting, as they would."""
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "voxit",
        "worker",
        "--concurrency",
        "1",
        "--loglevel",
        "WARNING",
    ]
    return subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)


def wait_for_worker(worker: subprocess.Popen, env: dict[str, str], seconds: float = 60) -> None:
    """Wait until the Celery worker answers a ping: its start-up would otherwise take CPU from
    the first seconds of the measurement."""
    from celery import Celery

    app = Celery(broker=env["CELERY_BROKER_URL"])
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline and worker.poll() is None:
            if app.control.ping(timeout=0.5):
                return
    finally:
        app.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def setup_django(env: dict[str, str]) -> None:
    for key in (
        "DJANGO_SETTINGS_MODULE",
        "DEBUG",
        "SECRET_KEY",
        "ALLOWED_HOSTS",
        "DATABASE_URL",
        "LOG_LEVEL",
    ):
        os.environ[key] = env[key]
    # Requests for a recompute made here (seeding the statements) go where the server's go: to
    # the broker, for the worker. Without one, the seeding's run is made at once, before the
    # residents start: a background recompute thread here would go on recomputing, at full
    # priority, for every vote counted while the residents vote.
    for key in ("REDIS_URL", "CELERY_BROKER_URL"):
        if key in env:
            os.environ[key] = env[key]
        else:
            os.environ.pop(key, None)
    if "CELERY_BROKER_URL" not in env:
        os.environ["RECLUSTER_IN_PROCESS"] = "inline"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def create_conversation(statements: int) -> str:
    """A fresh, open benchmark conversation; earlier benchmark conversations are removed."""
    from datetime import timedelta

    from django.core.management import call_command
    from django.utils import timezone

    from statements import services
    from statements.models import Conversation

    call_command("migrate", verbosity=0, interactive=False)
    Conversation.objects.filter(slug__startswith=SLUG_PREFIX).delete()
    now = timezone.now()
    slug = f"{SLUG_PREFIX}{secrets.token_hex(4)}"
    conversation = Conversation.objects.create(
        slug=slug,
        title_fi="Kuormitustesti",
        question_fi="Kestääkö Voxit uutiskirjeen jälkeisen ryntäyksen?",
        opens_at=now - timedelta(hours=1),
        closes_at=now + timedelta(days=1),
        is_published=True,
    )
    rows = [
        (f"Kuormitustestin väite numero {number}", "", "") for number in range(1, statements + 1)
    ]
    services.statements_seed_bulk(conversation=conversation, rows=rows)
    return slug


def stored_counts(slug: str) -> tuple[int, int]:
    from statements.models import Conversation, Vote, VoteLog

    conversation = Conversation.objects.get(slug=slug)
    return (
        Vote.objects.filter(conversation=conversation).count(),
        VoteLog.objects.filter(conversation=conversation).count(),
    )


def start_server(env: dict[str, str], port: int) -> subprocess.Popen:
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--config",
        "voxit/gunicorn.conf.py",
        "voxit.wsgi:application",
    ]
    server = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited with status {server.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health/", timeout=2) as answer:
                if answer.status == 200:
                    return server
        except OSError:
            time.sleep(0.2)
    stop_server(server)
    raise SystemExit("gunicorn did not answer /health/ within 60 s")


def stop_server(server: subprocess.Popen) -> None:
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


# --------------------------------------------------------------------------------------------
# Simulated residents: a minimal HTTP/1.1 keep-alive client on asyncio streams
# --------------------------------------------------------------------------------------------


class ConnectionLost(Exception):
    pass


@dataclass
class Tally:
    acknowledged: int = 0
    measured: int = 0  # acknowledged votes sent after the warm-up: the votes per second
    unanswered: int = 0  # sent, but no answer came back: stored or not, the resident cannot know
    residents: int = 0
    latencies: list[float] = field(default_factory=list)
    errors: Counter = field(default_factory=Counter)
    busy_cores: float | None = None  # the whole machine's, over the measured seconds (Linux)


_CONTENT_LENGTH = re.compile(rb"(?im)^content-length:[ \t]*(\d+)")


class _Answers(asyncio.Protocol):
    """One kept-alive connection's bytes, cut into HTTP/1.1 answers for the request in flight
    (answers with a Content-Length, as every Voxit page and vote answer has; not chunked ones).

    A protocol rather than asyncio's streams, a timer per request rather than asyncio.timeout:
    the streams' reader, writer and waits and the timeout's context manager cost the load
    generator about twice its CPU per vote, and on a small machine that CPU is the server's.
    """

    def __init__(self):
        self.transport = None
        self.buffer = bytearray()
        self.waiter: asyncio.Future | None = None
        self.timer: asyncio.TimerHandle | None = None
        self.head: bytes | None = None
        self.length = 0
        self.closed = False

    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data):
        self.buffer += data
        if self.waiter is not None:
            self._deliver()

    def connection_lost(self, exc):
        self.closed = True
        self._fail(ConnectionLost())

    def send(self, data: bytes, timeout: float) -> asyncio.Future:
        """Write a request; the future gives (head, body), or raises ConnectionLost or TimeoutError."""
        loop = asyncio.get_running_loop()
        self.waiter = loop.create_future()
        self.head = None
        if self.closed:
            self._fail(ConnectionLost())
        else:
            self.timer = loop.call_later(timeout, self._timed_out)
            self.transport.write(data)
        return self.waiter

    def _timed_out(self):
        self.timer = None
        self._fail(TimeoutError())
        self.transport.abort()  # a late answer must not be taken for the next request's

    def _fail(self, error: Exception):
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(error)

    def _deliver(self):
        if self.waiter.done():
            return
        if self.head is None:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            self.head = bytes(self.buffer[:end])
            del self.buffer[: end + 4]
            found = _CONTENT_LENGTH.search(self.head)
            self.length = int(found.group(1)) if found else 0
        if len(self.buffer) < self.length:
            return
        body = bytes(self.buffer[: self.length])
        del self.buffer[: self.length]
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        self.waiter.set_result((self.head, body))


class Browser:
    def __init__(self, host: str, port: int, timeout: float):
        self.host, self.port, self.timeout = host, port, timeout
        self.answers: _Answers | None = None
        self.cookies: dict[str, str] = {}
        self._cookie_line = b""

    def forget_cookies(self):
        self.cookies = {}
        self._cookie_line = b""

    async def connect(self):
        loop = asyncio.get_running_loop()
        async with asyncio.timeout(self.timeout):  # once per connection, not per request
            _transport, self.answers = await loop.create_connection(_Answers, self.host, self.port)

    async def close(self):
        if self.answers is not None:
            self.answers.transport.close()
        self.answers = None

    async def request(self, method: str, path: str, body: bytes = b"", headers: bytes = b""):
        """(status, body) of one request; ``headers`` are extra header lines, each ending in CRLF."""
        if self.answers is None or self.answers.closed:
            await self.connect()
        head = (
            f"{method} {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\nConnection: keep-alive\r\n".encode()
            + self._cookie_line
            + headers
        )
        if body or method == "POST":
            head += b"Content-Length: %d\r\n" % len(body)
        try:
            answer_head, payload = await self.answers.send(head + b"\r\n" + body, self.timeout)
        except (ConnectionLost, TimeoutError):
            await self.close()
            raise
        status = int(answer_head[9:12])
        lowered = answer_head.lower()
        if b"set-cookie" in lowered:
            for line in answer_head.decode("latin-1").split("\r\n")[1:]:
                name, _, value = line.partition(":")
                if name.strip().lower() == "set-cookie":
                    cookie, _, _attributes = value.strip().partition(";")
                    key, _, cookie_value = cookie.partition("=")
                    self.cookies[key.strip()] = cookie_value.strip()
            self._cookie_line = ("Cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items()) + "\r\n").encode()
        if b"connection: close" in lowered:
            await self.close()
        return status, payload


async def resident_loop(
    host, port, slug, measure_from, deadline, tally: Tally, rng: random.Random, timeout: float
):
    browser = Browser(host, port, timeout)
    vote_path = f"/api/v1/conversations/{slug}/votes/"
    try:
        while time.monotonic() < deadline:
            browser.forget_cookies()  # a new resident: a browser with no cookies yet
            tally.residents += 1
            try:
                status, page = await browser.request("GET", f"/c/{slug}/")
            except (ConnectionLost, TimeoutError, OSError):
                tally.errors["page:connection"] += 1
                await browser.close()
                await asyncio.sleep(0.05)
                continue
            if status != 200:
                tally.errors[f"page:{status}"] += 1
                await asyncio.sleep(0.05)
                continue
            found = STATEMENT_ID.search(page)
            statement = int(found.group(1)) if found else None
            vote_headers = (
                "Content-Type: application/json\r\nAccept: application/json\r\n"
                f"X-CSRFToken: {browser.cookies.get('csrftoken', '')}\r\n"
            ).encode()
            while statement is not None and time.monotonic() < deadline:
                body = b'{"statement": %d, "choice": "%s"}' % (statement, rng.choice(CHOICES))
                measured = time.monotonic() >= measure_from
                started = time.perf_counter()
                try:
                    status, answer = await browser.request("POST", vote_path, body, vote_headers)
                except (ConnectionLost, TimeoutError, OSError):
                    tally.unanswered += 1
                    tally.errors["vote:no-answer"] += 1
                    await browser.close()
                    break
                if measured:
                    tally.latencies.append(time.perf_counter() - started)
                if status == 201:
                    tally.acknowledged += 1
                    tally.measured += measured
                    following = json.loads(answer)["next"]
                    statement = following["id"] if following else None
                else:
                    tally.errors[f"vote:{status}"] += 1
                    if status == 429:
                        await asyncio.sleep(1.0)
    finally:
        await browser.close()


def _cpu_times() -> tuple[int, int] | None:
    """(busy, total) clock ticks of the whole machine since boot, from /proc/stat; None elsewhere."""
    try:
        with open("/proc/stat") as stat:
            ticks = [int(value) for value in stat.readline().split()[1:9]]
    except (OSError, ValueError):
        return None
    if len(ticks) < 5:
        return None
    idle = ticks[3] + ticks[4]  # idle and waiting for I/O
    return sum(ticks) - idle, sum(ticks)


async def machine_cpu(measure_from: float, deadline: float, tally: Tally) -> None:
    """How many cores the whole machine kept busy while votes were measured: server, database,
    worker and this load generator together."""
    await asyncio.sleep(max(0.0, measure_from - time.monotonic()))
    start = _cpu_times()
    await asyncio.sleep(max(0.0, deadline - time.monotonic()))
    end = _cpu_times()
    if start and end and end[1] > start[1]:
        tally.busy_cores = (end[0] - start[0]) / (end[1] - start[1]) * (os.cpu_count() or 1)


async def drive(
    port: int, slug: str, residents: int, seconds: float, timeout: float, warmup: float = 0.0
) -> tuple[Tally, float]:
    """Run the residents for ``warmup`` + ``seconds``; the seconds measured come back with the tally."""
    tally = Tally()
    measure_from = time.monotonic() + warmup
    deadline = measure_from + seconds
    master = random.Random(2026)
    await asyncio.gather(
        *(
            resident_loop(
                "127.0.0.1",
                port,
                slug,
                measure_from,
                deadline,
                tally,
                random.Random(master.random()),
                timeout,
            )
            for _ in range(residents)
        ),
        machine_cpu(measure_from, deadline, tally),
    )
    return tally, time.monotonic() - measure_from


def _run(coroutine):
    """Run the residents on uvloop where it is installed (a dev dependency): its event loop takes
    a fraction of the CPU asyncio's own takes per request, and that CPU comes out of the server's."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coroutine)
    return uvloop.run(coroutine)


def percentile(values: list[float], share: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))
    return ordered[index]


# --------------------------------------------------------------------------------------------
# PostgreSQL's own upsert rate
# --------------------------------------------------------------------------------------------

PGBENCH_SCRIPT = """\
\\set participant random(1, 1000000)
\\set statement random(1, 200)
INSERT INTO bench_vote_upsert (participant_id, statement_id, choice, updated_at)
VALUES (:participant, :statement, 1, now())
ON CONFLICT (participant_id, statement_id) DO UPDATE
SET choice = EXCLUDED.choice, updated_at = EXCLUDED.updated_at;
"""


def find_pgbench() -> str | None:
    found = shutil.which("pgbench")
    if found:
        return found
    candidates = glob.glob("/usr/lib/postgresql/*/bin/pgbench")
    return (
        max(candidates, key=lambda path: int(re.search(r"/(\d+)/bin", path).group(1)))
        if candidates
        else None
    )


def pgbench_tps(database_url: str, clients: int, seconds: int) -> tuple[float | None, str]:
    """Transactions per second of a single-row upsert, or None with the reason it was not measured."""
    import psycopg

    binary = find_pgbench()
    if binary is None:
        return None, "pgbench not found (apt-get install postgresql-client)"
    with psycopg.connect(database_url, autocommit=True) as connection:
        connection.execute("DROP TABLE IF EXISTS bench_vote_upsert")
        connection.execute(
            "CREATE TABLE bench_vote_upsert (participant_id bigint, statement_id bigint, "
            "choice smallint NOT NULL, updated_at timestamptz NOT NULL, PRIMARY KEY (participant_id, statement_id))"
        )
    try:
        with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as script:
            script.write(PGBENCH_SCRIPT)
        command = [
            binary,
            "-n",
            "-M",
            "prepared",
            "-c",
            str(clients),
            "-j",
            "2",
            "-T",
            str(seconds),
            "-f",
            script.name,
        ]
        parts = urlsplit(database_url)
        dsn = urlunsplit(parts._replace(scheme="postgresql"))
        result = subprocess.run(
            [*command, dsn], capture_output=True, text=True, timeout=seconds + 60
        )
        found = re.search(r"tps = ([\d.]+)", result.stdout)
        if result.returncode != 0 or not found:
            return None, f"pgbench failed: {(result.stderr or result.stdout).strip()[-300:]}"
        return float(found.group(1)), ""
    finally:
        os.unlink(script.name)
        with psycopg.connect(database_url, autocommit=True) as connection:
            connection.execute("DROP TABLE IF EXISTS bench_vote_upsert")


# --------------------------------------------------------------------------------------------


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.load", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--residents", type=int, default=64, help="concurrent simulated residents (64)"
    )
    parser.add_argument("--seconds", type=float, default=30, help="how long they vote (30)")
    parser.add_argument(
        "--warmup",
        type=float,
        default=2,
        help="seconds of voting before the measurement starts (2): the server was just started, "
        "so its first requests open database connections; their votes are still checked",
    )
    parser.add_argument(
        "--statements", type=int, default=200, help="published statements in the conversation"
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=0,
        help="gunicorn workers (default: GUNICORN_WORKERS or conf)",
    )
    parser.add_argument("--threads", type=int, default=0, help="gunicorn threads per worker")
    parser.add_argument(
        "--pgbench-seconds", type=int, default=10, help="length of the pgbench run (0 skips it)"
    )
    parser.add_argument(
        "--timeout", type=float, default=10, help="seconds before a request counts as unanswered"
    )
    parser.add_argument(
        "--redis-url",
        default=None,
        help=f"broker and cache (REDIS_URL or {DEFAULT_REDIS_URL}; 'none' for in-process)",
    )
    parser.add_argument(
        "--no-worker", dest="worker", action="store_false", help="do not start a Celery worker"
    )
    parser.add_argument("--json", action="store_true", help="end with one JSON line of the figures")
    args = parser.parse_args(argv)

    database_url = os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    if not database_url.startswith(("postgres://", "postgresql://")):
        raise SystemExit("The load benchmark needs PostgreSQL: set DATABASE_URL=postgres://…")
    ensure_database(database_url)
    if args.redis_url is None:
        args.redis_url = os.environ.get("REDIS_URL") or DEFAULT_REDIS_URL
    if args.redis_url == "none" or not redis_reachable(args.redis_url):
        print(
            f"No Redis at {args.redis_url}: recomputes run in-process, inside requests (not production)."
        )
        args.redis_url = ""
    elif args.redis_url == DEFAULT_REDIS_URL:
        import redis

        redis.Redis.from_url(
            args.redis_url
        ).flushdb()  # the benchmark's own database: stale tasks out
    port = free_port()
    env = server_environment(database_url, port, args)
    setup_django(env)
    slug = create_conversation(args.statements)

    from django.db import connections

    connections.close_all()
    worker = start_worker(env) if args.redis_url and args.worker else None
    if worker is not None:
        wait_for_worker(worker, env)
    server = start_server(env, port)
    try:
        tally, elapsed = _run(drive(port, slug, args.residents, args.seconds, args.timeout, args.warmup))
    finally:
        stop_server(server)
        if worker is not None:
            stop_server(worker)

    votes, logged = stored_counts(slug)
    connections.close_all()
    lost = max(tally.acknowledged - votes, 0)
    tps, why_not = (None, "skipped")
    if args.pgbench_seconds > 0:
        tps, why_not = pgbench_tps(database_url, min(args.residents, 64), args.pgbench_seconds)

    votes_per_s = tally.measured / elapsed if elapsed else 0.0
    figures = {
        "votes_per_s": round(votes_per_s, 1),
        "p50_ms": round(percentile(tally.latencies, 0.50) * 1000, 1),
        "p95_ms": round(percentile(tally.latencies, 0.95) * 1000, 1),
        "p99_ms": round(percentile(tally.latencies, 0.99) * 1000, 1),
        "errors": dict(sorted(tally.errors.items())),
        "acknowledged": tally.acknowledged,
        "stored": votes,
        "lost": lost,
        "pgbench_tps": round(tps, 1) if tps else None,
        "share": round(votes_per_s / tps, 3) if tps else None,
    }
    workers = env.get("GUNICORN_WORKERS", "conf default")
    threads = env.get("GUNICORN_THREADS", "conf default")
    print(
        f"Voxit load benchmark: {args.residents} residents for {elapsed:.1f} s "
        f"after a {args.warmup:g} s warm-up on gunicorn "
        f"(workers {workers}, threads {threads}), {args.statements} statements, database {urlsplit(database_url).path}"
    )
    print(f"  residents served       {tally.residents}")
    print(f"  votes per second       {figures['votes_per_s']}")
    print(
        f"  latency p50/p95/p99    {figures['p50_ms']} / {figures['p95_ms']} / {figures['p99_ms']} ms"
    )
    if tally.busy_cores is not None and votes_per_s:
        print(
            f"  machine CPU            {tally.busy_cores:.2f} of {os.cpu_count()} cores busy, "
            f"{1000 * tally.busy_cores / votes_per_s:.2f} ms of CPU per vote (every process)"
        )
    print(f"  errors by status       {figures['errors'] or 'none'}")
    print(f"  acknowledged votes     {tally.acknowledged} (warm-up included)")
    print(
        f"  stored votes           {votes} (vote log entries {logged}; unanswered requests {tally.unanswered})"
    )
    print(f"  lost                   {lost}")
    duplicated = votes - tally.acknowledged
    if duplicated > tally.unanswered or logged != votes:
        print(
            f"  MISMATCH               {duplicated} more stored than acknowledged; log {logged} vs votes {votes}"
        )
    if tps:
        print(
            f"  pgbench upsert tps     {figures['pgbench_tps']} ({min(args.residents, 64)} clients, "
            f"{args.pgbench_seconds} s, prepared)"
        )
        print(f"  share of pgbench       {figures['share']:.1%}")
    else:
        print(f"  pgbench                not measured: {why_not}")
    if args.json:
        print(json.dumps(figures))
    return 0 if lost == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
