"""The sending task.

With a broker (CELERY_BROKER_URL) a worker runs it and, when the gateway failed in a way worth
retrying, tries again after 1 and then 2 minutes (3 attempts in all). Without one (the
embedded default) it runs in the web process right after the commit, and the attempts follow
one another at once: nobody waits minutes for a page."""

from celery import shared_task

from . import services

RETRY_BASE_SECONDS = 60


def backoff(retries: int) -> int:
    return RETRY_BASE_SECONDS * 2**retries


@shared_task(bind=True, max_retries=services.MAX_ATTEMPTS, acks_late=True)
def deliver_message(self, message_id: int) -> str:
    outcome = services.message_deliver(message_id=message_id)
    if self.request.is_eager:
        while outcome == "retry":  # ends: message_deliver counts the attempts
            outcome = services.message_deliver(message_id=message_id)
    elif outcome == "retry":
        raise self.retry(countdown=backoff(self.request.retries))
    return outcome
