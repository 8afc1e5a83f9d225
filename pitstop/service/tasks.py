from celery import shared_task

from .reminders import send_appointment_reminders


@shared_task
def remind_appointments() -> dict:
    """Daily (Celery beat): the owners of tomorrow's bookings get their reminder."""
    run = send_appointment_reminders()
    return {"sent": run.sent, "skipped": run.skipped, "problems": run.problems}
