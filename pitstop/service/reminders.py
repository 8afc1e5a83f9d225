"""Reminders before an appointment (F-2.4): the owner of every confirmed booking gets an SMS
the store's chosen number of days before (the day before by default).

Run once a day: by Celery beat in production (`send-appointment-reminders`, 09:00), or by the
`send_appointment_reminders` command from cron where no worker runs. Running it twice sends
nothing twice: a reminded booking is marked."""

import datetime
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pitstop.accounts.models import Store
from pitstop.core.exceptions import ApplicationError
from pitstop.messaging.services import Reference, message_send, salutation

from .appointments import day_range
from .models import Appointment
from .setup import workshop_settings


@dataclass
class ReminderRun:
    sent: int = 0
    skipped: int = 0
    problems: list[str] | None = None


def _remind(appointment: Appointment) -> str:
    """Queue one reminder and mark the booking; the reason when it could not be made."""
    customer = appointment.customer
    name = (salutation(customer) if customer else "") or appointment.contact_name or _("Dear customer")
    try:
        with transaction.atomic():
            locked = Appointment.objects.select_for_update().get(pk=appointment.pk)
            if locked.reminded_at is not None or locked.status != Appointment.Status.CONFIRMED:
                return "already"
            message_send(
                actor=None,
                store=appointment.store,
                kind="appointment_reminder",
                to=appointment.mobile,
                context={"customer": name, "plate": appointment.plate, "time": appointment.starts_at},
                customer=customer,
                vehicle=appointment.vehicle,
                reference=Reference("appointment", appointment.pk, appointment.number),
            )
            locked.reminded_at = timezone.now()
            locked.save(update_fields=["reminded_at", "updated_at"])
    except ApplicationError as error:
        return f"{appointment.number}: {error.message}"
    return ""


def send_appointment_reminders(*, today: datetime.date | None = None) -> ReminderRun:
    """Remind the owners whose confirmed booking falls the store's reminder days from today."""
    today = today or timezone.localdate()
    run = ReminderRun(problems=[])
    for store in Store.objects.filter(is_active=True).order_by("pk"):
        days = workshop_settings(store).reminder_days_before
        if not days:
            continue
        day = today + datetime.timedelta(days=days)
        since, until = day_range(day, day)
        due = (
            Appointment.objects.filter(
                store=store,
                status=Appointment.Status.CONFIRMED,
                reminded_at__isnull=True,
                starts_at__gte=since,
                starts_at__lt=until,
            )
            .exclude(reminder=Appointment.Reminder.NONE)
            .select_related("store", "customer", "vehicle")
            .order_by("starts_at")
        )
        for appointment in due:
            outcome = _remind(appointment)
            if not outcome:
                run.sent += 1
            elif outcome == "already":
                run.skipped += 1
            else:
                run.problems.append(outcome)
    return run
