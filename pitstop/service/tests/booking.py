"""Helpers shared by the appointment tests: a workshop with bays, times on a future day."""

import datetime
from decimal import Decimal

from pitstop.service import capacity
from pitstop.service.models import Bay, BayType, WorkshopSettings


def workshop(
    store, *, maintenance: int = 2, body: int = 0, slot_minutes: int = 30, weekdays: str = "1234567"
):
    """08:30–18:00, slots of 30 minutes, `maintenance` quick-service bays and `body` body bays."""
    ws, _created = WorkshopSettings.objects.get_or_create(store=store)
    ws.opens_at, ws.closes_at = datetime.time(8, 30), datetime.time(18, 0)
    ws.slot_minutes, ws.open_weekdays = slot_minutes, weekdays
    ws.save()
    for n in range(maintenance):
        Bay.objects.create(store=store, bay_type=BayType.MAINTENANCE, name=f"快保{n + 1}号")
    for n in range(body):
        Bay.objects.create(store=store, bay_type=BayType.BODY, name=f"钣金{n + 1}号")
    return ws


def day(offset: int = 10) -> datetime.date:
    return datetime.date.today() + datetime.timedelta(days=offset)


def at(hh: int, mm: int = 0, offset: int = 10) -> datetime.datetime:
    return datetime.datetime.combine(day(offset), datetime.time(hh, mm), tzinfo=capacity.local_zone())


def book(actor, store, starts_at, *, hours="1", bay_type=BayType.MAINTENANCE, plate="京A12345", **kwargs):
    from pitstop.service.appointments import appointment_book

    kwargs.setdefault("mobile", "13812345678")
    kwargs.setdefault("content", "常规保养，更换机油机滤")
    return appointment_book(
        actor=actor,
        store=store,
        starts_at=starts_at,
        bay_type=bay_type,
        hours=Decimal(hours),
        plate=plate,
        **kwargs,
    )
