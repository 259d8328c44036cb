"""CPU per vote, in one process: what the web app and PostgreSQL spend on a resident's vote.

    python -m bench.vote_cpu [--votes 6000] [--residents 64] [--statements 200] [--json]

The load benchmark (``python -m bench.load``) measures votes per second with the server, the
database and the load generator sharing the machine, and its figures move with whatever else the
host runs. This one calls the WSGI application directly, without a server or sockets, for the
residents in turn (each opens the conversation page, then votes on the statement each answer
gives next), and reads the CPU time it used: the process's own, and, when PostgreSQL runs on
this machine and its processes can be read under /proc, the database's. Those figures change
little from run to run, so they tell whether a change to the vote path made it cheaper.

It uses the same database as the load benchmark (``DATABASE_URL``, default a ``voxit_bench``
database on the local server) and production settings; rate limits are raised as there, and
recomputes are requested but left queued (no worker runs).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import sys
import time
from types import SimpleNamespace
from urllib.parse import urlsplit

from bench import load

STATEMENT_ID = re.compile(rb'name="statement" value="(\d+)"')
CHOICES = (b"agree", b"disagree", b"pass")


def postgres_ticks() -> int | None:
    """Clock ticks the local PostgreSQL server's processes have used, ended backends included
    (they are added to the postmaster's children's times); None where they cannot be read.
    PostgreSQL's processes are those whose program is ``postgres``; the postmaster is the one
    whose parent is not."""
    processes = {}
    try:
        pids = [entry for entry in os.listdir("/proc") if entry.isdigit()]
    except OSError:
        return None
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                text = stat.read()
        except OSError:
            continue
        name = text[text.index("(") + 1 : text.rindex(")")]
        fields = text.rsplit(")", 1)[1].split()
        processes[pid] = (name, fields)
    postgres = {pid: fields for pid, (name, fields) in processes.items() if name == "postgres"}
    postmasters = [fields for fields in postgres.values() if fields[1] not in postgres]
    if len(postmasters) != 1:  # none here, or several servers: not one server's figure
        return None
    total = sum(int(fields[11]) + int(fields[12]) for fields in postgres.values())
    return total + int(postmasters[0][13]) + int(postmasters[0][14])


class Resident:
    """A browser's cookies and the statement it is to answer next."""

    def __init__(self):
        self.cookies: dict[str, str] = {}
        self.statement: int | None = None


def call(app, method: str, path: str, resident: Resident, body: bytes = b"", headers=()):
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "HTTP_HOST": "127.0.0.1",
        "REMOTE_ADDR": "127.0.0.1",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        "wsgi.version": (1, 0),
    }
    if resident.cookies:
        environ["HTTP_COOKIE"] = "; ".join(f"{key}={value}" for key, value in resident.cookies.items())
    environ.update(headers)
    started = []

    def start_response(status, response_headers, exc_info=None):
        started.append((status, response_headers))

    content = b"".join(app(environ, start_response))
    status, response_headers = started[0]
    for name, value in response_headers:
        if name.lower() == "set-cookie":
            key, _, cookie_value = value.split(";", 1)[0].partition("=")
            resident.cookies[key.strip()] = cookie_value.strip()
    return int(status.split()[0]), content


def vote_round(app, slug: str, residents: list[Resident], rng, votes: int) -> int:
    """Cast ``votes`` votes, the residents taking turns; a resident with nothing left to answer is
    replaced by a new one. Returns how many were cast."""
    vote_path = f"/api/v1/conversations/{slug}/votes/"
    cast = 0
    while cast < votes:
        for index, resident in enumerate(residents):
            if resident.statement is None:
                resident = residents[index] = Resident()
                status, page = call(app, "GET", f"/c/{slug}/", resident)
                if status != 200:
                    raise SystemExit(f"The conversation page answered {status}")
                found = STATEMENT_ID.search(page)
                resident.statement = int(found.group(1)) if found else None
                if resident.statement is None:
                    continue
            body = b'{"statement": %d, "choice": "%s"}' % (resident.statement, rng.choice(CHOICES))
            headers = {
                "CONTENT_TYPE": "application/json",
                "HTTP_ACCEPT": "application/json",
                "HTTP_X_CSRFTOKEN": resident.cookies.get("csrftoken", ""),
            }
            status, answer = call(app, "POST", vote_path, resident, body, headers)
            if status != 201:
                raise SystemExit(f"A vote was answered {status}: {answer[:300]!r}")
            following = json.loads(answer)["next"]
            resident.statement = following["id"] if following else None
            cast += 1
            if cast >= votes:
                break
    return cast


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.vote_cpu", description=__doc__.split("\n\n")[0])
    parser.add_argument("--votes", type=int, default=6000, help="votes measured (6000)")
    parser.add_argument("--warmup", type=int, default=500, help="votes cast before measuring (500)")
    parser.add_argument("--residents", type=int, default=64, help="residents taking turns (64)")
    parser.add_argument("--statements", type=int, default=200, help="published statements (200)")
    parser.add_argument("--json", action="store_true", help="end with one JSON line of the figures")
    args = parser.parse_args(argv)
    if args.votes < 1 or args.residents < 1 or args.statements < 1 or args.warmup < 0:
        parser.error("--votes, --residents and --statements must be at least 1, --warmup at least 0")

    import random

    database_url = os.environ.get("DATABASE_URL") or load.DEFAULT_DATABASE_URL
    if not database_url.startswith(("postgres://", "postgresql://")):
        raise SystemExit("This benchmark measures the PostgreSQL vote path: set DATABASE_URL=postgres://…")
    load.ensure_database(database_url)
    redis_url = os.environ.get("REDIS_URL") or load.DEFAULT_REDIS_URL
    options = SimpleNamespace(redis_url=redis_url if load.redis_reachable(redis_url) else "", workers=0, threads=0)
    env = load.server_environment(database_url, 8000, options)
    for key in ("RATE_LIMIT_IP_VOTES_PER_MINUTE", "RATE_LIMIT_VOTES_PER_MINUTE", "HTTPS"):
        os.environ[key] = env[key]
    load.setup_django(env)
    slug = load.create_conversation(args.statements)

    from django.core.wsgi import get_wsgi_application

    app = get_wsgi_application()
    rng = random.Random(2026)
    residents = [Resident() for _ in range(args.residents)]
    vote_round(app, slug, residents, rng, args.warmup)
    database_before = postgres_ticks()
    cpu_before, wall_before = time.process_time(), time.perf_counter()
    cast = vote_round(app, slug, residents, rng, args.votes)
    cpu, wall = time.process_time() - cpu_before, time.perf_counter() - wall_before
    database_after = postgres_ticks()
    database_ms = None
    if database_before is not None and database_after is not None:
        database_ms = (database_after - database_before) / os.sysconf("SC_CLK_TCK") * 1000 / cast
    votes, logged = load.stored_counts(slug)

    figures = {
        "votes": cast,
        "app_cpu_ms": round(cpu * 1000 / cast, 3),
        "database_cpu_ms": round(database_ms, 3) if database_ms is not None else None,
        "wall_ms": round(wall * 1000 / cast, 3),
        "stored": votes,
        "logged": logged,
    }
    print(
        f"Voxit CPU per vote, in-process: {cast} votes by {args.residents} residents taking turns, "
        f"{args.statements} statements, database {urlsplit(database_url).path}"
    )
    print(f"  web app (this process)  {figures['app_cpu_ms']} ms of CPU per vote")
    if database_ms is None:
        print("  PostgreSQL              not measured (its processes are not readable here)")
    else:
        print(f"  PostgreSQL              {figures['database_cpu_ms']} ms of CPU per vote (all its processes)")
    print(f"  elapsed                 {figures['wall_ms']} ms per vote, one after another")
    print(f"  stored                  {votes} votes, {logged} log entries (warm-up included)")
    if args.json:
        print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
