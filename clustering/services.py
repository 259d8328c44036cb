"""Opinion-group recomputation services (Django side of clustering/)."""

from django.db import transaction


def conversation_recluster_request(*, conversation_id: int) -> None:
    """Ask for the conversation's opinion groups to be recomputed after the current commit.

    The single place that votes, seed statements and moderation decisions call. Recomputation
    itself (coalesced Celery runs) is wired in by the opinion-groups work; until a run model and
    task exist there is nothing to queue, so the request is recorded nowhere.
    """
    transaction.on_commit(lambda: None)
