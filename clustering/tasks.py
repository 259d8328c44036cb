"""Celery shells around the recompute services."""

from celery import shared_task

from clustering import services


@shared_task(name="clustering.conversation_recluster", ignore_result=True)
def conversation_recluster_task(conversation_id: int, trigger: str = "change") -> None:
    services.conversation_recluster_coalesced(conversation_id=conversation_id, trigger=trigger)


@shared_task(name="clustering.recluster_sweep", ignore_result=True)
def recluster_sweep_task() -> None:
    services.conversations_recluster_stale()
