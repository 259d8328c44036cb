"""The Celery application. Settings come from Django's settings under the CELERY_ namespace."""

import os

from celery import Celery
from celery.signals import worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "voxit.settings")

app = Celery("voxit")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


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
    # One thread for NumPy's and SciPy's math libraries: a recompute is one task among the
    # web's processes, not a job entitled to every core at once (their thread pools spin on all
    # cores and took them from votes in bursts).
    threads = getattr(settings, "RECLUSTER_WORKER_THREADS", 0)
    if threads > 0:
        from threadpoolctl import threadpool_limits

        threadpool_limits(limits=threads)
