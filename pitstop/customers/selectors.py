"""Reads of customer and vehicle files, already scoped to what the user may see."""

import datetime
import re

from django.db import connection
from django.db.models import Count, Prefetch, Q, QuerySet

from pitstop.accounts.models import Store
from pitstop.core.scoping import get_scoped_or_404, scoped
from pitstop.core.text import normalise_code, reverse

from .models import Customer, CustomerTier, MileageReading, Vehicle, VehiclePartyChange

VIEW_CUSTOMER = "customers.view_customer"
VIEW_VEHICLE = "customers.view_vehicle"
_HAS_CJK = re.compile(r"[\u3400-\u9fff]")


def prefix_q(field: str, prefix: str) -> Q:
    """`field` starts with `prefix`, written so that an ordinary index is used on both databases:
    PostgreSQL (C collation) plans LIKE 'x%' on its index; SQLite only plans a range."""
    if connection.vendor == "sqlite":
        return Q(**{f"{field}__gte": prefix, f"{field}__lt": prefix + "\U0010ffff"})
    return Q(**{f"{field}__startswith": prefix})


def customers_for(user, store: Store | None = None) -> QuerySet[Customer]:
    return scoped(Customer.objects.all(), user, VIEW_CUSTOMER, store=store)


def vehicles_for(user, store: Store | None = None) -> QuerySet[Vehicle]:
    return scoped(Vehicle.objects.all(), user, VIEW_VEHICLE, store=store)


def search_files(*, user, query: str, store: Store | None = None, limit: int = 8) -> dict[str, list]:
    """One box for everything (F-1.4): a plate or part of it, the last 4–8 characters of a VIN,
    a mobile or part of it, a name, or the pinyin initials of a name (张伟 → zw)."""
    text = (query or "").strip()
    code = normalise_code(text)
    if len(code) < 2:
        return {"customers": [], "vehicles": []}

    customer_q = Q(pk__in=[])
    vehicle_q = Q(pk__in=[])
    if _HAS_CJK.search(text):
        customer_q |= Q(name__contains=text)
        vehicle_q |= Q(plate__contains=code)
    elif code.isdigit():
        customer_q |= prefix_q("mobile", code) | prefix_q("mobile_reversed", reverse(code))
        if len(code) >= 4:
            customer_q |= Q(mobile__contains=code)
        vehicle_q |= Q(plate__contains=code) | prefix_q("vin_reversed", reverse(code))
    else:
        lower = text.lower().replace(" ", "")
        if lower.isalpha() and lower.isascii():
            customer_q |= prefix_q("name_initials", lower) | prefix_q("name_pinyin", lower)
        customer_q |= Q(name__icontains=text) if lower.isascii() and len(lower) >= 3 else Q(pk__in=[])
        vehicle_q |= Q(plate__contains=code)
        if len(code) >= 4:
            vehicle_q |= prefix_q("vin_reversed", reverse(code))
    if len(code) == 17:
        vehicle_q |= Q(vin=code)

    customers = list(
        customers_for(user, store).filter(customer_q).select_related("tier").order_by("-id")[:limit]
    )
    vehicles = list(
        vehicles_for(user, store).filter(vehicle_q).select_related("owner").order_by("-id")[:limit]
    )
    return {"customers": customers, "vehicles": vehicles}


def customer_list(
    *,
    user,
    store: Store | None,
    query: str = "",
    tier_id: int | None = None,
    customer_type: str = "",
    tag: str = "",
) -> QuerySet[Customer]:
    qs = (
        customers_for(user, store)
        .select_related("tier", "store")
        .annotate(vehicle_count=Count("owned_vehicles", distinct=True))
    )
    if query:
        found = search_files(user=user, query=query, store=store, limit=500)
        qs = qs.filter(
            Q(pk__in=[c.pk for c in found["customers"]])
            | Q(owned_vehicles__in=[v.pk for v in found["vehicles"]])
        )
    if tier_id:
        qs = qs.filter(tier_id=tier_id)
    if customer_type:
        qs = qs.filter(customer_type=customer_type)
    if tag:
        qs = qs.filter(tags__name=tag)
    return qs.distinct().order_by("-id")


def vehicle_list(*, user, store: Store | None, query: str = "", brand: str = "") -> QuerySet[Vehicle]:
    qs = vehicles_for(user, store).select_related("owner", "store")
    if query:
        found = search_files(user=user, query=query, store=store, limit=500)
        qs = qs.filter(
            Q(pk__in=[v.pk for v in found["vehicles"]]) | Q(owner__in=[c.pk for c in found["customers"]])
        )
    if brand:
        qs = qs.filter(brand=brand)
    return qs.distinct().order_by("-id")


def customer_detail(*, user, pk: int) -> Customer:
    vehicles = Vehicle.objects.select_related("owner", "user", "driver").order_by("-id")
    return get_scoped_or_404(
        Customer.objects.select_related("tier", "store", "created_by").prefetch_related(
            "tags",
            Prefetch("owned_vehicles", queryset=vehicles, to_attr="vehicles_owned"),
            Prefetch("used_vehicles", queryset=vehicles, to_attr="vehicles_used"),
            Prefetch("driven_vehicles", queryset=vehicles, to_attr="vehicles_driven"),
        ),
        user,
        VIEW_CUSTOMER,
        pk=pk,
    )


def vehicle_detail(*, user, pk: int) -> Vehicle:
    return get_scoped_or_404(
        Vehicle.objects.select_related(
            "owner", "owner__tier", "user", "driver", "store", "created_by"
        ).prefetch_related(
            Prefetch(
                "mileage_readings",
                queryset=MileageReading.objects.select_related("recorded_by").order_by("-read_on", "-id"),
                to_attr="readings",
            ),
            Prefetch(
                "party_changes",
                queryset=VehiclePartyChange.objects.select_related("previous", "new", "changed_by").order_by(
                    "-changed_on", "-id"
                ),
                to_attr="changes",
            ),
        ),
        user,
        VIEW_VEHICLE,
        pk=pk,
    )


def tiers_for(user, store: Store | None) -> QuerySet[CustomerTier]:
    return (
        scoped(CustomerTier.objects.all(), user, "customers.view_customertier", store=store)
        .select_related("store")
        .annotate(customer_count=Count("customers"))
    )


def vehicles_due(
    *, user, store: Store | None, today: datetime.date, days: int = 30
) -> dict[str, list[Vehicle]]:
    """Insurance and annual inspection falling due: the care agent's calling list."""
    until = today + datetime.timedelta(days=days)
    base = vehicles_for(user, store).select_related("owner")
    return {
        "insurance": list(
            base.filter(insurance_expiry__range=(today, until)).order_by("insurance_expiry")[:10]
        ),
        "inspection": list(base.filter(inspection_due__range=(today, until)).order_by("inspection_due")[:10]),
    }


def birthdays_this_week(*, user, store: Store | None, today: datetime.date) -> list[Customer]:
    """Solar birthdays in the coming 7 days (lunar ones are converted by the reminder module)."""
    days = [today + datetime.timedelta(days=offset) for offset in range(7)]
    match = Q(pk__in=[])
    for day in days:
        match |= Q(birthday__month=day.month, birthday__day=day.day)
    return list(customers_for(user, store).filter(match, birthday_is_lunar=False).order_by("name")[:10])


def recent_customers(*, user, store: Store | None, limit: int = 8) -> list[Customer]:
    return list(customers_for(user, store).select_related("tier").order_by("-id")[:limit])
