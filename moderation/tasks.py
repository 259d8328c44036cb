from celery import shared_task

from moderation import services


@shared_task(name="moderation.digest")
def moderation_digest() -> int:
    """Thin shell: the digest of statements due soon or overdue."""
    return services.moderation_digest_send()
