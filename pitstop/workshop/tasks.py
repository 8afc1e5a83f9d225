"""Periodic jobs of the workshop (Celery beat; without a worker, cron runs the management
commands of the same names)."""

from celery import shared_task

from . import progress


@shared_task
def raise_progress_tasks() -> int:
    """Every few minutes: the advisor's progress checks and late-job tasks that fell due."""
    return progress.raise_progress_tasks()


@shared_task
def send_ready_notices() -> int:
    """Every few minutes: tell owners their car will be ready (1 or 4 hours ahead)."""
    return progress.ready_notices_due()
