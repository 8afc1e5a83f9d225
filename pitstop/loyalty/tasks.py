"""Nightly jobs of the loyalty ledgers (Celery beat at 01:30; without a worker, cron runs
`manage.py expire_loyalty`)."""

from celery import shared_task

from .cards import package_cards_expire
from .points import points_expire


@shared_task
def expire_loyalty() -> dict:
    """Points past their date (first in, first out) and package cards past theirs."""
    return {"points": points_expire(), "card_uses": package_cards_expire()}
