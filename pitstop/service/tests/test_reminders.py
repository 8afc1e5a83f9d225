"""Reminders before an appointment: sent once, the store's chosen days ahead, only for
confirmed bookings that asked for one."""

import datetime

from django.core.management import call_command

from pitstop.messaging.models import OutboundMessage
from pitstop.service.capacity import local_zone
from pitstop.service.models import Appointment
from pitstop.service.reminders import send_appointment_reminders

from .factories import StoreWorkshopFactory

TODAY = datetime.date(2030, 1, 7)


def _booking(store, number, day, status="confirmed", reminder="sms"):
    starts = datetime.datetime.combine(day, datetime.time(10), tzinfo=local_zone())
    return Appointment.objects.create(
        store=store,
        number=number,
        status=status,
        reminder=reminder,
        mobile="13911112222",
        plate="京A12345",
        contact_name="王先生",
        content="保养",
        starts_at=starts,
        ends_at=starts + datetime.timedelta(hours=1),
    )


def test_tomorrows_confirmed_bookings_are_reminded_once(db, store_a, django_capture_on_commit_callbacks):
    StoreWorkshopFactory(store=store_a, reminder_days_before=1)
    tomorrow = TODAY + datetime.timedelta(days=1)
    due = _booking(store_a, "YY1", tomorrow)
    _booking(store_a, "YY2", tomorrow, status="requested")  # not confirmed yet
    _booking(store_a, "YY3", tomorrow, reminder="none")  # the owner asked for no reminder
    _booking(store_a, "YY4", TODAY + datetime.timedelta(days=2))  # not yet

    with django_capture_on_commit_callbacks(execute=True):
        first = send_appointment_reminders(today=TODAY)
    again = send_appointment_reminders(today=TODAY)

    assert (first.sent, again.sent) == (1, 0)
    reminder = OutboundMessage.objects.get(kind="appointment_reminder")
    assert reminder.reference_no == "YY1" and "京A12345" in reminder.body
    due.refresh_from_db()
    assert due.reminded_at is not None


def test_a_store_reminding_two_days_ahead_and_the_command(db, store_a, store_b, capsys):
    StoreWorkshopFactory(store=store_a, reminder_days_before=2)
    StoreWorkshopFactory(store=store_b, reminder_days_before=0)  # this store does not remind
    _booking(store_a, "YYA", TODAY + datetime.timedelta(days=2))
    _booking(store_b, "YYB", TODAY + datetime.timedelta(days=1))

    assert send_appointment_reminders(today=TODAY).sent == 1
    assert list(OutboundMessage.objects.values_list("reference_no", flat=True)) == ["YYA"]
    call_command("send_appointment_reminders")
    assert "reminders sent: 0" in capsys.readouterr().out
