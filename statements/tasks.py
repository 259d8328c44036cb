"""Background work of the statements app: the daily retention rule for participants' browser links."""

from celery import shared_task

from statements.privacy import participant_links_expire


@shared_task(name="statements.participant_links_expire", ignore_result=True)
def participant_links_expire_task() -> int:
    return participant_links_expire()
