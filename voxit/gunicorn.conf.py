"""gunicorn settings; the values read below can be set with GUNICORN_* environment variables
(or in the .env file beside manage.py, as every other setting)."""

import math
import os
from pathlib import Path

import environ

from voxit import gunicorn_worker

# The settings read .env only when the app loads, after this file: read it here too, so that
# GUNICORN_* there count (a variable set in the environment still wins).
_env_file = Path(__file__).resolve().parent.parent / ".env"
if _env_file.exists():
    environ.Env.read_env(str(_env_file))


def _cores() -> int:
    """Cores this process may use: its CPU affinity, and a container's CPU limit (cgroup v2
    cpu.max) when one is set; multiprocessing.cpu_count() counts the host's."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    try:
        quota, period = Path("/sys/fs/cgroup/cpu.max").read_text().split()[:2]
        if quota != "max":
            cores = min(cores, max(1, math.ceil(int(quota) / int(period))))
    except (OSError, ValueError):
        pass
    return max(1, cores)


bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
# One process per core with a few threads each: measured with `python -m bench.load` on 2 cores,
# 2 × 4 carried the most votes with the shortest tail; more threads per process mostly wait for
# each other's GIL, more processes mostly compete for the same cores.
# Each thread holds a PostgreSQL connection: workers x threads must stay below max_connections.
workers = int(os.environ.get("GUNICORN_WORKERS") or _cores())
threads = int(os.environ.get("GUNICORN_THREADS") or 4)
# gthread's threads, without its two hand-overs per request (voxit/gunicorn_worker.py): measured
# with `python -m bench.load`, 7-10 % less CPU per vote. Linux only; gthread elsewhere.
worker_class = os.environ.get("GUNICORN_WORKER_CLASS") or (
    "voxit.gunicorn_worker.EpollThreadWorker" if gunicorn_worker.available() else "gthread"
)
# A kept-alive connection stays with its worker, and residents on a crowded worker wait longer for
# every vote. Voxit's worker class shares one listening socket between the workers and takes each
# new connection into the worker holding the fewest (voxit/gunicorn_worker.py). Otherwise each
# worker listens on its own socket (SO_REUSEPORT) and the kernel splits connections by a hash, as
# unevenly as chance makes it (28 / 36 of the load benchmark's 64): with one shared socket and
# gthread, the first workers to wake would take most.
_reuse_port = "false" if worker_class == "voxit.gunicorn_worker.EpollThreadWorker" else "true"
reuse_port = os.environ.get("GUNICORN_REUSE_PORT", _reuse_port).lower() not in ("0", "false", "no")
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 30))
graceful_timeout = 20
keepalive = 5
# The app (URLs, views, templates, translations) is loaded and warmed once in the master and
# shared by the forked workers: a new or recycled worker answers at once instead of spending its
# first seconds importing while residents wait. No database connection is opened before the fork.
preload_app = os.environ.get("GUNICORN_PRELOAD", "true").lower() not in ("0", "false", "no")
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", 20000))
# A wide jitter keeps the workers, which serve equal shares, from being recycled at the same
# moment: a recycled worker hands its share to the others at once (voxit/gunicorn_worker.py),
# which needs others that are not stopping too.
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", 5000))
# An empty GUNICORN_ACCESSLOG turns the access log off (the load benchmark does).
accesslog = os.environ.get("GUNICORN_ACCESSLOG", "-") or None
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def worker_exit(server, worker):
    # Recompute requests a worker held back during a burst of votes are counted before it goes.
    try:
        from clustering.services import recluster_requests_flush

        recluster_requests_flush()
    except Exception:  # noqa: BLE001 - the periodic sweep catches anything left
        server.log.exception("Could not flush pending recompute requests")


def when_ready(server):
    if not preload_app:
        return
    try:
        from django.db import connections
        from django.template.loader import get_template
        from django.urls import get_resolver
        from django.utils import translation

        _patterns = get_resolver().url_patterns  # imports every view module, DRF and the API
        for language in ("fi", "sv", "en"):
            with translation.override(language):
                translation.gettext("Agree")
        for name in (
            "statements/conversation_list.html",
            "statements/conversation_detail.html",
            "statements/statement_detail.html",
            "errors/404.html",
            "errors/429.html",
        ):
            get_template(name)
        connections.close_all()
    except Exception:  # noqa: BLE001 - a cold worker is slower, not broken
        server.log.exception("Warming the app before forking workers failed")
    # Everything loaded so far lives as long as the process: out of the collector's sight, a full
    # collection no longer walks it (a pause every worker's requests would wait for), and the
    # forked workers keep sharing those pages instead of copying them when the collector marks them.
    import gc

    gc.collect()
    gc.freeze()


def post_fork(server, worker):
    # A full collection walks every object the worker made since the last one froze them: under a
    # stream of votes that came every 4-5 s and held all of the worker's threads for 10-40 ms,
    # a pause the votes in flight waited out (measured with gc.callbacks during the load
    # benchmark). What survives a full collection is the worker's long-lived state (connections,
    # caches), so it is frozen there and then, and later full collections walk only what is new:
    # 1-2 ms. The price: an object frozen while alive that later dies in a reference cycle (a
    # request in flight at that moment, a database connection replaced later) is not freed until
    # the worker is recycled (max_requests): a few requests' worth per full collection, which is
    # why max_requests should stay on.
    import gc

    def freeze_after_full_collection(phase, info):
        if phase == "stop" and info["generation"] == 2:
            gc.freeze()

    gc.callbacks.append(freeze_after_full_collection)
