"""The Celery application. Settings come from Django's settings under the CELERY_ namespace."""

import os

from celery import Celery
from celery.signals import task_postrun, task_prerun, worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "voxit.settings")

AUTOGROUP = "/proc/self/autogroup"  # Linux: this process's session's scheduling group

app = Celery("voxit")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@task_prerun.connect
@task_postrun.connect
def _check_database_connections(sender=None, **_kwargs):
    """Between tasks, as between requests: a connection that failed, outlived CONN_MAX_AGE or is
    due a health check is closed or checked, and the rest are kept (CELERY_DB_REUSE_MAX stops
    Celery from closing them all). Not for a task run eagerly, inside the caller's request."""
    if sender is None or getattr(sender.request, "is_eager", False):
        return
    from django.db import close_old_connections

    close_old_connections()


@worker_process_init.connect
def _lower_priority(**_kwargs):
    """Recomputes yield the CPU to web requests on a shared host (RECLUSTER_WORKER_NICENESS).

    A vote is a resident waiting; a recompute is background work that is coalesced anyway, so
    on a busy shared machine it should take the cores the web processes leave over.
    """
    from django.conf import settings

    niceness = getattr(settings, "RECLUSTER_WORKER_NICENESS", 0)
    if niceness > 0:
        os.nice(niceness)
        _lower_session_priority(niceness)
    # One thread for NumPy's and SciPy's math libraries: a recompute is one task among the
    # web's processes, not a job entitled to every core at once (their thread pools spin on all
    # cores and took them from votes in bursts).
    threads = getattr(settings, "RECLUSTER_WORKER_THREADS", 0)
    if threads > 0:
        from threadpoolctl import threadpool_limits

        threadpool_limits(limits=threads)


def _lower_session_priority(niceness: int) -> None:
    """The same niceness for the worker's session, where the kernel schedules by session.

    With autogroup scheduling (the default of most Linux kernels), a process's niceness only
    orders it among the processes of its own session: between sessions the CPU is shared
    evenly. A worker started as its own session (a container, a systemd service, ``setsid``)
    would so take a full share from the web processes in bursts, whatever its niceness. When the
    worker's main process leads its session, that session's scheduling group gets the niceness
    too; a worker started from a shell shares the shell's session, which is left as it is.
    """
    if os.getsid(0) != os.getppid():
        return
    try:
        with open(AUTOGROUP, "w") as autogroup:
            autogroup.write(str(niceness))
    except OSError:  # no autogroup scheduling here, or not permitted: niceness alone it is
        pass
