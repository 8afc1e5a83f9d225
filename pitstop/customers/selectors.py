"""Reads of customer and vehicle files, already scoped to what the user may see."""

import datetime
import re

from django.db import connection
from django.db.models import Count, Prefetch, Q, QuerySet

from pitstop.accounts.models import Store
from pitstop.core.scoping import get_scoped_or_404, scoped
from pitstop.core.text import normalise_code, reverse

from .models import Customer, CustomerTier, MileageReading, Vehicle, VehiclePartyChange
from .search_index import contains_q

VIEW_CUSTOMER = "customers.view_customer"
VIEW_VEHICLE = "customers.view_vehicle"
PERSONAL = "customers.view_personal_data"
_HAS_CJK = re.compile(r"[\u3400-\u9fff]")
CUSTOMER_INDEX = "customers_customer_search"
VEHICLE_INDEX = "customers_vehicle_search"


def prefix_q(field: str, prefix: str) -> Q:
    """`field` starts with `prefix`, written so that the (store, field) index serves it on both
    databases: PostgreSQL plans LIKE 'x%' on its pattern-ops index; SQLite only plans a range."""
    if connection.vendor == "sqlite":
        return Q(**{f"{field}__gte": prefix, f"{field}__lt": prefix + "\U0010ffff"})
    return Q(**{f"{field}__startswith": prefix})


def customers_for(user, store: Store | None = None) -> QuerySet[Customer]:
    return scoped(Customer.objects.all(), user, VIEW_CUSTOMER, store=store)


def vehicles_for(user, store: Store | None = None) -> QuerySet[Vehicle]:
    return scoped(Vehicle.objects.all(), user, VIEW_VEHICLE, store=store)


def mobile_probes(user, digits: str) -> list[Q]:
    """Ways to match a mobile by its digits. Where the user sees phones masked (138****5678)
    only what the mask shows may be matched: the first three digits, the last four, or the
    whole number; otherwise guessing digit by digit would reveal the hidden ones."""
    reversed_digits = reverse(digits)
    full_view = Q(store_id__in=sorted(user.store_ids_with(PERSONAL)))
    probes = [
        full_view & prefix_q("mobile", digits),
        full_view & prefix_q("mobile_reversed", reversed_digits),
    ]
    if len(digits) >= 4:
        probes.append(full_view & contains_q(CUSTOMER_INDEX, "mobile", digits))
    if len(digits) <= 3:
        probes.append(prefix_q("mobile", digits))
    if len(digits) <= 4:
        probes.append(prefix_q("mobile_reversed", reversed_digits))
    if len(digits) == 11:
        probes.append(Q(mobile=digits))
    return probes


def search_probes(*, user, query: str) -> tuple[list[Q], list[Q]]:
    """The conditions for one search box (F-1.4): a plate or part of it, the last 4–8
    characters of a VIN, a mobile or part of it, a name, or pinyin initials (张伟 → zw).
    (customer conditions, vehicle conditions); each is served by an index of its own."""
    text = (query or "").strip()
    code = normalise_code(text)
    if len(code) < 2:
        return [], []
    customer_probes: list[Q] = []
    vehicle_probes = [contains_q(VEHICLE_INDEX, "plate", code)]
    if _HAS_CJK.search(text):
        # Two characters are a surname and a given name typed from the start (张伟); three or
        # more may sit anywhere in the name (宏达物流).
        name = text.replace(" ", "")
        customer_probes.append(
            contains_q(CUSTOMER_INDEX, "name", name) if len(name) >= 3 else prefix_q("name", name)
        )
    elif code.isdigit():
        customer_probes += mobile_probes(user, code)
        vehicle_probes.append(prefix_q("vin_reversed", reverse(code)))
    else:
        lower = text.lower().replace(" ", "")
        if lower.isalpha() and lower.isascii():
            customer_probes += [prefix_q("name_initials", lower), prefix_q("name_pinyin", lower)]
            if len(lower) >= 3:  # a Latin company name (ABB, Shell); two letters are initials only
                customer_probes.append(contains_q(CUSTOMER_INDEX, "name", text.strip()))
        if len(code) >= 4:
            vehicle_probes.append(prefix_q("vin_reversed", reverse(code)))
    if len(code) == 17:
        vehicle_probes.append(Q(vin=code))
    return customer_probes, vehicle_probes


def search_files(*, user, query: str, store: Store | None = None, limit: int = 8) -> dict[str, list]:
    """The type-ahead: the newest `limit` customers and vehicles matching the box."""
    customer_probes, vehicle_probes = search_probes(user=user, query=query)
    customer_ids = _probe(customers_for(user, store), customer_probes, limit)
    vehicle_ids = _probe(vehicles_for(user, store), vehicle_probes, limit)
    customers = Customer.objects.filter(pk__in=customer_ids).select_related("tier").prefetch_related("tags")
    vehicles = Vehicle.objects.filter(pk__in=vehicle_ids).select_related("owner")
    return {
        "customers": list(customers.order_by("-id")) if customer_ids else [],
        "vehicles": list(vehicles.order_by("-id")) if vehicle_ids else [],
    }


def _probe(queryset: QuerySet, probes: list[Q], limit: int) -> list[int]:
    """The newest `limit` ids matching any probe. One query per probe, not one query with OR:
    each probe is answered from its own index, where an OR makes the planners walk the store."""
    ids: set[int] = set()
    for probe in probes:
        ids.update(queryset.filter(probe).order_by("-id").values_list("pk", flat=True)[:limit])
    return sorted(ids, reverse=True)[:limit]


def _any(probes: list[Q]) -> Q:
    combined = Q(pk__in=[])
    for probe in probes:
        combined |= probe
    return combined


def customers_matching(*, user, query: str) -> Q:
    """Every customer the box matches, directly or through a vehicle: for lists, no cap."""
    customer_probes, vehicle_probes = search_probes(user=user, query=query)
    through_vehicles = vehicles_for(user).filter(_any(vehicle_probes)).values("owner_id")
    return Q(pk__in=customers_for(user).filter(_any(customer_probes)).values("pk")) | Q(
        pk__in=through_vehicles
    )


def vehicles_matching(*, user, query: str) -> Q:
    customer_probes, vehicle_probes = search_probes(user=user, query=query)
    owners = customers_for(user).filter(_any(customer_probes)).values("pk")
    return Q(pk__in=vehicles_for(user).filter(_any(vehicle_probes)).values("pk")) | Q(owner_id__in=owners)


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
        qs = qs.filter(customers_matching(user=user, query=query))
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
        qs = qs.filter(vehicles_matching(user=user, query=query))
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


def network_overview(*, user, today: datetime.date) -> list[dict]:
    """Per store the user oversees: customers, vehicles, new customers this month (HQ home)."""
    store_ids = sorted(user.store_ids_with(VIEW_CUSTOMER))
    month_start = today.replace(day=1)

    def counted(queryset) -> dict[int, int]:
        return dict(
            queryset.filter(store_id__in=store_ids).values_list("store_id").annotate(n=Count("id")).order_by()
        )

    customers = counted(Customer.objects.all())
    new_customers = counted(Customer.objects.filter(created_at__date__gte=month_start))
    vehicles = counted(Vehicle.objects.all())
    return [
        {
            "store": store,
            "customers": customers.get(store.pk, 0),
            "vehicles": vehicles.get(store.pk, 0),
            "new_customers": new_customers.get(store.pk, 0),
        }
        for store in Store.objects.filter(pk__in=store_ids, is_headquarters=False).order_by("code")
    ]


def recent_customers(*, user, store: Store | None, limit: int = 8) -> list[Customer]:
    return list(customers_for(user, store).select_related("tier").order_by("-id")[:limit])
