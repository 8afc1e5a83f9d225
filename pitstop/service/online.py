"""Owners book online (F-2.3, B-4): a public page per store where an owner leaves the plate, the
mobile, what the car needs and one of the free times; the request lands in the advisor's list
to confirm (`appointments.to_confirm`), and the owner gets the confirmation SMS when the
advisor confirms it.

Abuse is held off in three ways, each of which works with several gunicorn workers:
- per mobile and per plate, counted in the database on Appointment rows, under the store's
  workshop lock that every booking takes (so two workers cannot both let the fourth request in);
- per client address, counted in Django's cache (shared when the cache is Redis; the
  default in-process cache only limits per worker);
- a honeypot field a person never sees; a request that fills it is dropped silently.

Limits are settings with defaults: ONLINE_BOOKING_PER_MOBILE_PER_DAY (3),
ONLINE_BOOKING_OPEN_PER_PLATE (2), ONLINE_BOOKING_PER_IP_PER_HOUR (10),
ONLINE_BOOKING_DAYS_AHEAD (14), ONLINE_BOOKING_LEAD_MINUTES (120)."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, Sum
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from pitstop.accounts.models import Store
from pitstop.core.exceptions import ApplicationError
from pitstop.core.identifiers import clean_mobile, clean_plate
from pitstop.core.money import to_quantity
from pitstop.customers.models import Vehicle

from . import capacity
from .appointments import MAX_HOURS, _lock_workshop, appointment_book
from .models import Appointment, BayType, CannedJob, CannedJobLine
from .setup import bays_for, workshop_settings

Status = Appointment.Status
RATE_LIMITED = "rate_limited"
OTHER = "other"
DEFAULT_HOURS = Decimal("1")


def limit(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


# ---------------------------------------------------------------- selectors


def booking_store(code: str) -> Store:
    """The active store with this code (404 otherwise: the address tells nothing more)."""
    store = Store.objects.filter(code=(code or "").strip().upper(), is_active=True).first()
    if store is None or store.is_headquarters:
        raise Http404
    return store


def accepts_online(store: Store) -> bool:
    return workshop_settings(store).online_booking


@dataclass(frozen=True)
class Service:
    """One choice of the wanted-service list: a canned job (its labour hours and bay type), or
    "other" (free text, one hour, the bay type the owner picks)."""

    key: str
    name: str
    hours: Decimal
    bay_type: str


def booking_services(store: Store) -> list[Service]:
    """The store's and the chain's active canned jobs: hours from their labour lines, the bay type
    of the labour with the most hours. Two queries."""
    jobs = list(
        CannedJob.objects.filter(Q(store__isnull=True) | Q(store=store), is_active=True).order_by(
            "code", "id"
        )
    )
    by_job: dict[int, dict[str, Decimal]] = {}
    rows = (
        CannedJobLine.objects.filter(job__in=jobs, labour__isnull=False)
        .values("job_id", "labour__bay_type")
        .annotate(hours=Sum("quantity"))
    )
    for row in rows:
        by_job.setdefault(row["job_id"], {})[row["labour__bay_type"]] = row["hours"]
    services = []
    for job in jobs:
        hours_by_type = by_job.get(job.pk, {})
        total = to_quantity(sum(hours_by_type.values(), Decimal(0)))
        bay_type = max(hours_by_type, key=hours_by_type.get) if hours_by_type else BayType.MAINTENANCE
        hours = total if Decimal(0) < total <= MAX_HOURS else DEFAULT_HOURS
        services.append(Service(f"job-{job.pk}", job.name, hours, bay_type))
    return services


def store_bay_types(store: Store) -> list[tuple[str, str]]:
    """The kinds of work the store has active bays for (the choices for "something else")."""
    have = set(bays_for(store, active_only=True).values_list("bay_type", flat=True))
    return [(value, label) for value, label in BayType.choices if value in have]


def default_bay_type(bay_types: list[tuple[str, str]]) -> str:
    values = [value for value, _label in bay_types]
    return BayType.MECHANICAL if BayType.MECHANICAL in values or not values else values[0]


def service_for(services: list[Service], key: str, bay_type: str = "") -> Service | None:
    """The chosen service; "other" takes the owner's bay type (mechanical repair if none)."""
    if key == OTHER:
        return Service(
            OTHER, "", DEFAULT_HOURS, bay_type if bay_type in BayType.values else BayType.MECHANICAL
        )
    return next((service for service in services if service.key == key), None)


def booking_days(store: Store, *, today: datetime.date | None = None) -> list[datetime.date]:
    """The open days an owner may choose: from today, ONLINE_BOOKING_DAYS_AHEAD days on."""
    ws = workshop_settings(store)
    today = today or timezone.localdate()
    ahead = limit("ONLINE_BOOKING_DAYS_AHEAD", 14)
    days = [today + datetime.timedelta(days=n) for n in range(ahead + 1)]
    return [day for day in days if capacity.is_open_on(ws, day)]


def earliest_start() -> datetime.datetime:
    """An online request gives the shop time to see it: not within the lead time from now."""
    return capacity.local(timezone.now()) + datetime.timedelta(
        minutes=limit("ONLINE_BOOKING_LEAD_MINUTES", 120)
    )


def free_times(store: Store, day: datetime.date, service: Service) -> list[datetime.datetime]:
    """The starts on `day` where the service fits (capacity.free_starts), after the lead time."""
    if day not in booking_days(store):
        return []
    return capacity.free_starts(store, day, service.bay_type, service.hours, not_before=earliest_start())


def matching_vehicle(store: Store, plate: str, mobile: str) -> Vehicle | None:
    """The store's vehicle with this plate whose owner has this mobile, both exactly; None when
    either differs (then the typed values are kept, and nothing tells the visitor whether a
    file exists)."""
    return (
        Vehicle.objects.select_related("owner")
        .filter(store=store, plate=plate, owner__mobile=mobile, owner__store=store)
        .order_by("pk")
        .first()
    )


# ---------------------------------------------------------------- limits


def _cache_key(address: str) -> str:
    return f"online-booking:ip:{address}"


def address_allowed(address: str) -> bool:
    """Whether this client address may send another request this hour (cache counter)."""
    if not address:
        return True
    return int(cache.get(_cache_key(address)) or 0) < limit("ONLINE_BOOKING_PER_IP_PER_HOUR", 10)


def address_count(address: str) -> None:
    """Count one request of this client address; the counter lives one hour from the first."""
    if not address:
        return
    key = _cache_key(address)
    if cache.add(key, 1, timeout=3600):
        return
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=3600)


def too_many() -> ApplicationError:
    return ApplicationError(
        _(
            "We have received several requests from you already. Please wait for the store to call "
            "you back, or phone the store."
        ),
        code=RATE_LIMITED,
    )


def _check_limits(*, plate: str, mobile: str) -> None:
    """At most N requests a day from one mobile, and M open future requests for one plate
    (database counts, so every worker sees the same numbers)."""
    start_of_day = datetime.datetime.combine(
        timezone.localdate(), datetime.time.min, tzinfo=capacity.local_zone()
    )
    online = Appointment.objects.filter(source=Appointment.Source.ONLINE)
    if online.filter(mobile=mobile, created_at__gte=start_of_day).count() >= limit(
        "ONLINE_BOOKING_PER_MOBILE_PER_DAY", 3
    ):
        raise too_many()
    open_for_plate = online.filter(
        plate=plate, status__in=(Status.REQUESTED, Status.CONFIRMED), starts_at__gte=timezone.now()
    ).count()
    if open_for_plate >= limit("ONLINE_BOOKING_OPEN_PER_PLATE", 2):
        raise ApplicationError(
            _(
                "This car already has a booking request with us. The store will confirm it by SMS; "
                "to change it, please phone the store."
            ),
            field="plate",
            code=RATE_LIMITED,
        )


# ---------------------------------------------------------------- services


@transaction.atomic
def online_request(
    *,
    store: Store,
    plate: str,
    mobile: str,
    contact_name: str,
    service: Service,
    wish: str,
    starts_at: datetime.datetime,
) -> Appointment:
    """An owner's request from the public page: checked, counted against the limits under the
    store's workshop lock, matched to the vehicle on file when plate and mobile both match, then
    booked as "to confirm" (appointment_book, source online)."""
    if not accepts_online(store):
        raise ApplicationError(_("This store does not take bookings online."), code="closed")
    try:
        plate = clean_plate(plate)
    except ValidationError as error:
        raise ApplicationError(error.messages[0], field="plate", code="plate") from None
    try:
        mobile = clean_mobile(mobile)
    except ValidationError as error:
        raise ApplicationError(error.messages[0], field="mobile", code="mobile") from None
    wish = (wish or "").strip()
    if service.key == OTHER and not wish:
        raise ApplicationError(_("Tell us what the car needs."), field="wish", code="content")
    content = "; ".join(filter(None, [service.name, wish]))
    if not isinstance(starts_at, datetime.datetime) or capacity.local(starts_at) < earliest_start():
        raise ApplicationError(_("Choose one of the free times shown."), field="starts_at", code="past")
    if capacity.local(starts_at).date() not in booking_days(store):
        raise ApplicationError(_("Choose one of the days shown."), field="starts_at", code="closed")

    _lock_workshop(store)  # every booking of the store waits here: the counts below hold
    _check_limits(plate=plate, mobile=mobile)
    vehicle = matching_vehicle(store, plate, mobile)
    return appointment_book(
        actor=None,
        store=store,
        starts_at=capacity.local(starts_at),
        bay_type=service.bay_type,
        hours=service.hours,
        mobile=mobile,
        content=content,
        source=Appointment.Source.ONLINE,
        customer=vehicle.owner if vehicle else None,
        vehicle=vehicle,
        plate=plate,
        contact_name=(contact_name or "").strip()[:60],
    )
