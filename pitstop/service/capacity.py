"""The workshop's booking capacity (F-2.2, B-4): how many cars of a bay type fit in each slot.

The day is cut into slots of `WorkshopSettings.slot_minutes` from opening to closing time on
open weekdays, in the project's local time (settings.TIME_ZONE, Asia/Shanghai). A booking of
bay type T from `starts_at` for `hours` occupies every slot it overlaps; a slot of type T is
full when the overlapping active appointments (to confirm, confirmed, arrived) reach
`setup.capacity_units(store, day, T)`: the bays of that type, or fewer when the duty roster
has fewer technicians on that type that day.

Rules a booking keeps, kept simple on purpose:
- it starts on a slot boundary, inside opening hours, on an open day;
- it ends by closing time. A job longer than the working day (body or paint work over
  several days) must start at opening time and holds its bay for that whole first day; the
  later days are planned by the workshop's dispatch, not by booking capacity.

Each call reads the workshop settings once and the appointments of the period once; the bay
count per day is asked of setup.capacity_units once per day looked at.
"""

import datetime
import math
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings as django_settings
from django.utils import timezone
from django.utils.translation import gettext as _

from pitstop.accounts.models import Store
from pitstop.core.exceptions import ApplicationError
from pitstop.core.money import plain

from .models import Appointment, BayType, WorkshopSettings
from .setup import capacity_days, capacity_units, workshop_settings

Status = Appointment.Status
# Appointments that hold their place in the workshop.
ACTIVE = (Status.REQUESTED, Status.CONFIRMED, Status.ARRIVED)
SEARCH_DAYS = 14


def local_zone() -> ZoneInfo:
    return ZoneInfo(django_settings.TIME_ZONE)


def local(value: datetime.datetime) -> datetime.datetime:
    """An aware time in the shop's zone (a naive one is taken as shop time)."""
    zone = local_zone()
    if timezone.is_naive(value):
        return value.replace(tzinfo=zone)
    return value.astimezone(zone)


@dataclass(frozen=True)
class Slot:
    start: datetime.datetime
    used: int
    capacity: int

    @property
    def free(self) -> int:
        return max(self.capacity - self.used, 0)

    @property
    def full(self) -> bool:
        return self.used >= self.capacity


def is_open_on(ws: WorkshopSettings, day: datetime.date) -> bool:
    return str(day.isoweekday()) in (ws.open_weekdays or "")


def slot_starts(ws: WorkshopSettings, day: datetime.date) -> list[datetime.datetime]:
    """The starts of the day's slots; none on a closed day. The last slot ends by closing."""
    if not is_open_on(ws, day) or not ws.slot_minutes:
        return []
    zone = local_zone()
    step = datetime.timedelta(minutes=ws.slot_minutes)
    start = datetime.datetime.combine(day, ws.opens_at, tzinfo=zone)
    close = datetime.datetime.combine(day, ws.closes_at, tzinfo=zone)
    starts = []
    while start + step <= close:
        starts.append(start)
        start += step
    return starts


def slots_needed(ws: WorkshopSettings, hours: Decimal | int | str) -> int:
    minutes = Decimal(str(hours)) * 60
    return max(1, math.ceil(minutes / ws.slot_minutes))


def booking_end(ws: WorkshopSettings, starts_at: datetime.datetime, hours) -> datetime.datetime:
    """Until when a booking holds its bay: `hours` later, or closing time for a job longer than
    the working day (see the module's note)."""
    start = local(starts_at)
    end = start + datetime.timedelta(minutes=int(math.ceil(Decimal(str(hours)) * 60)))
    close = datetime.datetime.combine(start.date(), ws.closes_at, tzinfo=local_zone())
    return min(end, close) if _longer_than_day(ws, start.date(), hours) else end


def _longer_than_day(ws: WorkshopSettings, day: datetime.date, hours) -> bool:
    starts = slot_starts(ws, day)
    return bool(starts) and slots_needed(ws, hours) > len(starts)


class _Period:
    """The workshop settings, the active appointments of one bay type over a period (one
    query) and each day's capacity (asked once per day)."""

    def __init__(
        self,
        store: Store,
        bay_type: str,
        first: datetime.date,
        last: datetime.date,
        *,
        ws: WorkshopSettings | None = None,
        exclude: int | None = None,
        bookings: Iterable[tuple[datetime.datetime, datetime.datetime]] | None = None,
        capacities: dict[datetime.date, int] | None = None,
    ):
        self.store = store
        self.bay_type = bay_type
        self.ws = ws or workshop_settings(store)
        self._capacity: dict[datetime.date, int] = {
            day: units if is_open_on(self.ws, day) else 0 for day, units in (capacities or {}).items()
        }
        if bookings is None:
            zone = local_zone()
            since = datetime.datetime.combine(first, datetime.time.min, tzinfo=zone)
            until = datetime.datetime.combine(
                last + datetime.timedelta(days=1), datetime.time.min, tzinfo=zone
            )
            rows = Appointment.objects.filter(
                store=store, bay_type=bay_type, status__in=ACTIVE, starts_at__lt=until, ends_at__gt=since
            )
            if exclude:
                rows = rows.exclude(pk=exclude)
            bookings = rows.values_list("starts_at", "ends_at")
        self.by_day: dict[datetime.date, list[tuple[datetime.datetime, datetime.datetime]]] = {}
        for start, end in bookings:
            start, end = local(start), local(end)
            day = start.date()
            while day <= end.date():
                self.by_day.setdefault(day, []).append((start, end))
                day += datetime.timedelta(days=1)

    def capacity(self, day: datetime.date) -> int:
        if day not in self._capacity:
            self._capacity[day] = (
                capacity_units(self.store, day, self.bay_type) if is_open_on(self.ws, day) else 0
            )
        return self._capacity[day]

    def slots(self, day: datetime.date) -> list[Slot]:
        starts = slot_starts(self.ws, day)
        if not starts:
            return []
        capacity = self.capacity(day)
        step = datetime.timedelta(minutes=self.ws.slot_minutes)
        bookings = self.by_day.get(day, [])
        return [
            Slot(
                start,
                sum(1 for b_start, b_end in bookings if b_start < start + step and b_end > start),
                capacity,
            )
            for start in starts
        ]

    def free_starts(self, day: datetime.date, hours) -> list[datetime.datetime]:
        """Every start on `day` where a booking of `hours` fits."""
        slots = self.slots(day)
        if not slots:
            return []
        need = slots_needed(self.ws, hours)
        if need > len(slots):  # longer than the day: from opening, the whole day
            return [slots[0].start] if not any(slot.full for slot in slots) else []
        return [
            slots[i].start
            for i in range(len(slots) - need + 1)
            if not any(slot.full for slot in slots[i : i + need])
        ]


def refusal(ws: WorkshopSettings, starts_at: datetime.datetime, hours) -> ApplicationError | None:
    """Why a booking cannot start then whatever the load (closed, outside hours, off the slot
    grid, running past closing), or None."""
    start = local(starts_at)
    day = start.date()
    starts = slot_starts(ws, day)
    if not is_open_on(ws, day) or not starts:
        return ApplicationError(
            _("The workshop is closed on %(day)s.") % {"day": day.isoformat()},
            field="starts_at",
            code="closed",
        )
    if start not in starts:
        return ApplicationError(
            _("Bookings start on the %(minutes)d-minute slots between %(opens)s and %(closes)s.")
            % {
                "minutes": ws.slot_minutes,
                "opens": ws.opens_at.strftime("%H:%M"),
                "closes": ws.closes_at.strftime("%H:%M"),
            },
            field="starts_at",
            code="outside_hours",
        )
    if Decimal(str(hours)) <= 0:
        return ApplicationError(_("A booking takes some time; enter the hours."), field="hours", code="hours")
    need = slots_needed(ws, hours)
    if need > len(starts):
        if start != starts[0]:
            return ApplicationError(
                _("A job longer than the working day starts at opening time (%(opens)s).")
                % {"opens": ws.opens_at.strftime("%H:%M")},
                field="starts_at",
                code="outside_hours",
            )
    elif starts.index(start) + need > len(starts):
        return ApplicationError(
            _("A job of %(hours)s hours starting at %(time)s runs past closing time (%(closes)s).")
            % {
                "hours": plain(Decimal(str(hours))),
                "time": start.strftime("%H:%M"),
                "closes": ws.closes_at.strftime("%H:%M"),
            },
            field="starts_at",
            code="outside_hours",
        )
    return None


def slot_load(store: Store, day: datetime.date, bay_type: str) -> list[Slot]:
    """Each slot of the day for one bay type: start, used, capacity."""
    return _Period(store, bay_type, day, day).slots(day)


def day_load(store: Store, day: datetime.date) -> dict[str, list[Slot]]:
    """slot_load for every bay type, with one query for the day's appointments."""
    return week_load(store, day, days=1)[day]


def week_load(
    store: Store, first: datetime.date, days: int = 7
) -> dict[datetime.date, dict[str, list[Slot]]]:
    """The slots of every bay type for `days` days from `first`: one query for settings, one
    for the appointments, and the capacity per day and bay type."""
    ws = workshop_settings(store)
    last = first + datetime.timedelta(days=days - 1)
    zone = local_zone()
    rows = Appointment.objects.filter(
        store=store,
        status__in=ACTIVE,
        starts_at__lt=datetime.datetime.combine(
            last + datetime.timedelta(days=1), datetime.time.min, tzinfo=zone
        ),
        ends_at__gt=datetime.datetime.combine(first, datetime.time.min, tzinfo=zone),
    ).values_list("bay_type", "starts_at", "ends_at")
    by_type: dict[str, list] = {bay_type: [] for bay_type in BayType.values}
    for bay_type, start, end in rows:
        by_type.setdefault(bay_type, []).append((start, end))
    dates = [first + datetime.timedelta(days=n) for n in range(days)]
    units = capacity_days(store, dates)  # two queries for the whole period, not two per day and type
    periods = {
        bay_type: _Period(
            store,
            bay_type,
            first,
            last,
            ws=ws,
            bookings=by_type[bay_type],
            capacities=dict(zip(dates, units[bay_type], strict=True)),
        )
        for bay_type in BayType.values
    }
    return {
        first + datetime.timedelta(days=n): {
            bay_type: period.slots(first + datetime.timedelta(days=n)) for bay_type, period in periods.items()
        }
        for n in range(days)
    }


def free_starts(
    store: Store, day: datetime.date, bay_type: str, hours, *, not_before=None
) -> list[datetime.datetime]:
    """The times a booking of `hours` can start on `day` (for the booking form's choices)."""
    starts = _Period(store, bay_type, day, day).free_starts(day, hours)
    if not_before is not None:
        starts = [start for start in starts if start >= not_before]
    return starts


def is_free(store: Store, starts_at: datetime.datetime, bay_type: str, hours, exclude=None) -> bool:
    """Whether a booking fits then: a valid start with room in every slot it overlaps.
    `exclude` is an appointment (or its id) left out of the load, when moving it."""
    ws = workshop_settings(store)
    if refusal(ws, starts_at, hours) is not None:
        return False
    day = local(starts_at).date()
    period = _Period(store, bay_type, day, day, ws=ws, exclude=getattr(exclude, "pk", exclude))
    return local(starts_at) in period.free_starts(day, hours)


def nearest_free(
    store: Store,
    starts_at: datetime.datetime,
    bay_type: str,
    hours,
    count: int = 3,
    *,
    exclude=None,
    not_before: datetime.datetime | None = None,
) -> list[datetime.datetime]:
    """The `count` free starts nearest to the wanted time, before or after it, within
    SEARCH_DAYS days either side and not in the past; in time order."""
    wanted = local(starts_at)
    not_before = local(not_before or timezone.now())
    day = wanted.date()
    span = datetime.timedelta(days=SEARCH_DAYS)
    period = _Period(
        store,
        bay_type,
        max(day - span, not_before.date()),
        day + span,
        exclude=getattr(exclude, "pk", exclude),
    )
    found: list[datetime.datetime] = []
    for offset in range(SEARCH_DAYS + 1):
        for candidate_day in {day - datetime.timedelta(days=offset), day + datetime.timedelta(days=offset)}:
            if candidate_day < not_before.date():
                continue
            found.extend(start for start in period.free_starts(candidate_day, hours) if start >= not_before)
        found.sort(key=lambda start: (abs(start - wanted), start < wanted))  # a tie goes to later
        # A start on a day further out is at least `offset` whole days away.
        if len(found) >= count and abs(found[count - 1] - wanted) <= datetime.timedelta(days=offset):
            break
    return sorted(found[:count])
