"""The workshop's set-up (F-2.2 configuration): opening hours and slot length, bays, and who is
on duty on which day. Selectors first, then services (every write audited)."""

import datetime
from collections import defaultdict
from decimal import Decimal

from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from pitstop.accounts.models import Store, User
from pitstop.core.audit import audit_record, snapshot
from pitstop.core.exceptions import ApplicationError
from pitstop.core.money import to_money

from .models import Bay, BayType, TechnicianDuty, WorkshopSettings

SETTINGS_FIELDS = [
    "opens_at",
    "closes_at",
    "open_weekdays",
    "slot_minutes",
    "labour_rate",
    "reminder_days_before",
    "online_booking",
]
DUTY_ROLES = ("technician", "team_leader")
MIN_SLOT, MAX_SLOT = 10, 240


# ---------------------------------------------------------------- selectors


def workshop_settings(store: Store) -> WorkshopSettings:
    """The store's workshop settings, created with the defaults on first use."""
    row, created = WorkshopSettings.objects.get_or_create(store=store)
    if created:
        row.refresh_from_db()  # the model's defaults are text ("08:30"); read them back as times
    return row


def bays_for(store: Store, *, active_only: bool = False) -> QuerySet[Bay]:
    bays = Bay.objects.filter(store=store)
    return bays.filter(is_active=True) if active_only else bays


def bay_counts(store: Store) -> list[dict]:
    """Per bay type: its label, the active and inactive bays."""
    by_type: dict[str, list[Bay]] = defaultdict(list)
    for bay in bays_for(store).order_by("name"):
        by_type[bay.bay_type].append(bay)
    return [
        {
            "type": value,
            "label": label,
            "bays": by_type[value],
            "active": sum(1 for bay in by_type[value] if bay.is_active),
        }
        for value, label in BayType.choices
    ]


def technicians_of(store: Store) -> QuerySet[User]:
    """The people who can be put on duty: technicians and team leaders of the store."""
    return (
        User.objects.filter(is_active=True, memberships__store=store, memberships__role__code__in=DUTY_ROLES)
        .distinct()
        .order_by("full_name", "username")
    )


def week_start(day: datetime.date) -> datetime.date:
    return day - datetime.timedelta(days=day.weekday())


def duty_week(store: Store, monday: datetime.date) -> dict[tuple[int, datetime.date], str]:
    """{(technician id, day): bay type} for the seven days from monday."""
    rows = TechnicianDuty.objects.filter(
        store=store, day__gte=monday, day__lt=monday + datetime.timedelta(days=7)
    ).values_list("technician_id", "day", "bay_type")
    return {(tech, day): bay_type for tech, day, bay_type in rows}


def capacity_units(store: Store, day: datetime.date, bay_type: str) -> int:
    """How many cars of this bay type the store can work on at once on that day: its active
    bays of the type, and, when anyone is on the duty roster that day (any type), no more than
    the technicians on duty for that type. Opening days and hours are not looked at here (see
    WorkshopSettings.open_weekdays, opens_at, closes_at)."""
    bays = Bay.objects.filter(store=store, bay_type=bay_type, is_active=True).count()
    duty = TechnicianDuty.objects.filter(store=store, day=day)
    if not duty.exists():
        return bays
    return min(bays, duty.filter(bay_type=bay_type).count())


def capacity_days(store: Store, days: list[datetime.date]) -> dict[str, list[int]]:
    """{bay type: [capacity_units for each day]} in two queries, for the roster page."""
    bays = defaultdict(int)
    for bay_type in Bay.objects.filter(store=store, is_active=True).values_list("bay_type", flat=True):
        bays[bay_type] += 1
    on_duty: dict[datetime.date, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for day, bay_type in TechnicianDuty.objects.filter(store=store, day__in=days).values_list(
        "day", "bay_type"
    ):
        on_duty[day][bay_type] += 1
    return {
        value: [min(bays[value], on_duty[day][value]) if day in on_duty else bays[value] for day in days]
        for value in BayType.values
    }


# ---------------------------------------------------------------- services


def _check_hours(opens: datetime.time, closes: datetime.time, slot: int) -> None:
    if closes <= opens:
        raise ApplicationError(_("The workshop must close after it opens."), field="closes_at")
    if not MIN_SLOT <= slot <= MAX_SLOT:
        raise ApplicationError(
            _("A slot is between %(low)s and %(high)s minutes.") % {"low": MIN_SLOT, "high": MAX_SLOT},
            field="slot_minutes",
        )
    minutes = (closes.hour * 60 + closes.minute) - (opens.hour * 60 + opens.minute)
    if slot > minutes:
        raise ApplicationError(_("A slot cannot be longer than the working day."), field="slot_minutes")
    if minutes % slot:
        raise ApplicationError(
            _("The working day (%(minutes)s minutes) must divide into whole slots of %(slot)s minutes.")
            % {"minutes": minutes, "slot": slot},
            field="slot_minutes",
        )


def _clean_weekdays(value: str) -> str:
    days = sorted(set(value or ""))
    if not days or any(day not in "1234567" for day in days):
        raise ApplicationError(_("Choose at least one day the workshop is open."), field="open_weekdays")
    return "".join(days)


@transaction.atomic
def workshop_settings_update(
    *,
    actor,
    store: Store,
    opens_at: datetime.time,
    closes_at: datetime.time,
    open_weekdays: str,
    slot_minutes: int,
    labour_rate: Decimal,
    reminder_days_before: int,
    online_booking: bool,
) -> WorkshopSettings:
    _check_hours(opens_at, closes_at, slot_minutes)
    weekdays = _clean_weekdays(open_weekdays)
    if labour_rate < 0:
        raise ApplicationError(_("The labour rate cannot be negative."), field="labour_rate")
    if not 0 <= reminder_days_before <= 30:
        raise ApplicationError(_("Remind between 0 and 30 days before."), field="reminder_days_before")
    workshop_settings(store)
    row = WorkshopSettings.objects.select_for_update().get(store=store)
    before = snapshot(row, SETTINGS_FIELDS)
    row.opens_at, row.closes_at, row.open_weekdays = opens_at, closes_at, weekdays
    row.slot_minutes, row.labour_rate = slot_minutes, to_money(labour_rate)
    row.reminder_days_before, row.online_booking = reminder_days_before, online_booking
    row.save(update_fields=[*SETTINGS_FIELDS, "updated_at"])
    audit_record(
        actor=actor, instance=row, action="update", before=before, after=snapshot(row, SETTINGS_FIELDS)
    )
    return row


def _clean_bay_name(store: Store, name: str, *, exclude: int | None = None) -> str:
    name = (name or "").strip()
    if not name:
        raise ApplicationError(_("Give the bay a name."), field="name")
    taken = Bay.objects.filter(store=store, name=name).exclude(pk=exclude).exists()
    if taken:
        raise ApplicationError(
            _("The store already has a bay named “%(name)s”.") % {"name": name}, field="name"
        )
    return name


@transaction.atomic
def bay_create(*, actor, store: Store, bay_type: str, name: str) -> Bay:
    if bay_type not in BayType.values:
        raise ApplicationError(_("Choose a bay type."), field="bay_type")
    bay = Bay.objects.create(store=store, bay_type=bay_type, name=_clean_bay_name(store, name))
    audit_record(actor=actor, instance=bay, action="create", after=snapshot(bay, ["bay_type", "name"]))
    return bay


@transaction.atomic
def bay_update(*, actor, bay: Bay, name: str, is_active: bool) -> Bay:
    bay = Bay.objects.select_for_update().get(pk=bay.pk)
    before = snapshot(bay, ["name", "is_active"])
    bay.name = _clean_bay_name(bay.store, name, exclude=bay.pk)
    bay.is_active = is_active
    bay.save(update_fields=["name", "is_active", "updated_at"])
    audit_record(
        actor=actor, instance=bay, action="update", before=before, after=snapshot(bay, ["name", "is_active"])
    )
    return bay


@transaction.atomic
def duty_week_set(
    *, actor, store: Store, monday: datetime.date, assignments: dict[tuple[int, datetime.date], str]
) -> int:
    """Replace the roster of the week from monday with `assignments` {(technician id, day):
    bay type}. Only the store's technicians and days of that week are accepted. Returns the
    number of duty rows now in the week."""
    monday = week_start(monday)
    days = {monday + datetime.timedelta(days=n) for n in range(7)}
    allowed = set(technicians_of(store).values_list("pk", flat=True))
    for (tech_id, day), bay_type in assignments.items():
        if tech_id not in allowed:
            raise ApplicationError(
                _("Only the store's technicians can be put on duty."), code="not_technician"
            )
        if day not in days:
            raise ApplicationError(_("A day outside the week was given."))
        if bay_type not in BayType.values:
            raise ApplicationError(_("Choose a bay type."), field="bay_type")
    before = duty_week(store, monday)
    TechnicianDuty.objects.filter(store=store, day__in=days).delete()
    TechnicianDuty.objects.bulk_create(
        TechnicianDuty(store=store, day=day, technician_id=tech_id, bay_type=bay_type)
        for (tech_id, day), bay_type in sorted(assignments.items())
    )
    if before != assignments:
        settings_row = workshop_settings(store)
        audit_record(
            actor=actor,
            instance=settings_row,
            action="update",
            before={"duty": sorted(f"{d} {t} {b}" for (t, d), b in before.items())},
            after={"duty": sorted(f"{d} {t} {b}" for (t, d), b in assignments.items())},
            note=_("Duty roster of the week from %(day)s") % {"day": monday.isoformat()},
        )
    return len(assignments)
