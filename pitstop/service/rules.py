"""Rules of the trade that reception applies (RULES.md), each as data with the regulation's
figures as its default and a setting to override it:

- the repair-quality guarantee (《机动车维修管理规定》): per vehicle class and repair category,
  a distance and a number of days from completion, whichever comes first
  (`PITSTOP_REPAIR_GUARANTEE`, merged over `REPAIR_GUARANTEE`);
- the 包修期 of 三包 (《家用汽车产品修理更换退货责任规定》): 3 years or 60,000 km from the purchase,
  whichever comes first, used when the vehicle's file has no warranty dates or mileage of its
  own (`PITSTOP_WARRANTY_YEARS`, `PITSTOP_WARRANTY_KM`);
- the work the owner declined on earlier visits, proposed again (F-3.6)."""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from .catalogue import add_months
from .models import CERTIFIED_CATEGORIES, Approval, OrderLabour, OrderPart, RepairCategory, RepairOrder

# ---------------------------------------------------------------- repair-quality guarantee

CAR, MOTORCYCLE, OTHER = "car", "motorcycle", "other"
# Vehicle.Category → the class of the guarantee table (hazardous-goods vehicles count as cars).
VEHICLE_CLASS = {"car": CAR, "motorcycle": MOTORCYCLE, "other": OTHER}

C = RepairCategory
# {vehicle class: {repair category: (km, days)}} — 交通运输部令2021年第18号 (amended 2023).
REPAIR_GUARANTEE: dict[str, dict[str, tuple[int, int]]] = {
    CAR: {
        C.WHOLE_VEHICLE: (20000, 100),
        C.ASSEMBLY: (20000, 100),
        C.LEVEL_2: (5000, 30),
        C.LEVEL_1: (2000, 10),
        C.MINOR: (2000, 10),
        C.SPECIAL: (2000, 10),
    },
    MOTORCYCLE: {
        C.WHOLE_VEHICLE: (7000, 80),
        C.ASSEMBLY: (7000, 80),
        C.LEVEL_2: (800, 10),
        C.LEVEL_1: (800, 10),
        C.MINOR: (800, 10),
        C.SPECIAL: (800, 10),
    },
    OTHER: {
        C.WHOLE_VEHICLE: (6000, 60),
        C.ASSEMBLY: (6000, 60),
        C.LEVEL_2: (700, 7),
        C.LEVEL_1: (700, 7),
        C.MINOR: (700, 7),
        C.SPECIAL: (700, 7),
    },
}


@dataclass(frozen=True)
class Guarantee:
    km: int
    days: int


def guarantee_table() -> dict[str, dict[str, tuple[int, int]]]:
    """The table with `settings.PITSTOP_REPAIR_GUARANTEE` merged over it. A shop may promise
    longer, never shorter: an override below the regulation's figure is ignored."""
    overrides = getattr(settings, "PITSTOP_REPAIR_GUARANTEE", None) or {}
    table = {cls: dict(rows) for cls, rows in REPAIR_GUARANTEE.items()}
    for cls, rows in overrides.items():
        for category, (km, days) in rows.items():
            least_km, least_days = REPAIR_GUARANTEE.get(cls, {}).get(category, (0, 0))
            table.setdefault(cls, {})[category] = (max(int(km), least_km), max(int(days), least_days))
    return table


def vehicle_class(vehicle) -> str:
    return VEHICLE_CLASS.get(getattr(vehicle, "category", "") or CAR, OTHER)


def guarantee_for(vehicle, repair_category: str) -> Guarantee:
    """The repair-quality guarantee for this vehicle's class and the order's repair category:
    km and days from the completion date, whichever comes first."""
    rows = guarantee_table()[vehicle_class(vehicle)]
    km, days = rows.get(repair_category, rows[C.MINOR])
    return Guarantee(km=km, days=days)


def category_help(vehicle) -> dict[str, str]:
    """{category: one line saying what it sets}: the checks, the certificate, the guarantee."""
    lines = {}
    for category in C.values:
        guarantee = guarantee_for(vehicle, category)
        period = _("guarantee %(km)s km or %(days)s days") % {
            "km": f"{guarantee.km:,}",
            "days": guarantee.days,
        }
        if category in CERTIFIED_CATEGORIES:
            lines[category] = _(
                "Checks before, during and on completion signed by the QC inspector; completion "
                "certificate; %(period)s."
            ) % {"period": period}
        else:
            lines[category] = _("Final inspection; no completion certificate; %(period)s.") % {
                "period": period
            }
    return lines


# ---------------------------------------------------------------- warranty (包修期)

WARRANTY_YEARS = 3
WARRANTY_KM = 60000


@dataclass(frozen=True)
class WarrantyStatus:
    eligible: bool
    reason: str
    ends_on: datetime.date | None  # the last day covered
    ends_km: int | None  # the last odometer reading covered


def warranty_period() -> tuple[int, int]:
    """(years, km) of the 包修期 for a vehicle whose file has no warranty of its own."""
    years = int(getattr(settings, "PITSTOP_WARRANTY_YEARS", WARRANTY_YEARS))
    km = int(getattr(settings, "PITSTOP_WARRANTY_KM", WARRANTY_KM))
    return years, km


def warranty_limits(vehicle) -> tuple[datetime.date | None, datetime.date | None, int | None]:
    """(starts on, last day covered, last km covered).

    The vehicle's own warranty when its file has an end date or a mileage (a missing one is no
    limit on that side); else the 包修期 from the warranty start or the purchase date: the day
    before the anniversary, and the purchase mileage + the km."""
    start = vehicle.warranty_start or vehicle.purchase_date
    if vehicle.warranty_end or vehicle.warranty_km:
        return start, vehicle.warranty_end, vehicle.warranty_km
    if start is None:
        return None, None, None
    years, km = warranty_period()
    ends_on = add_months(start, 12 * years) - datetime.timedelta(days=1)
    return start, ends_on, (vehicle.purchase_mileage or 0) + km


def _day(value: datetime.date) -> str:
    return date_format(value, "Y-m-d")


def warranty_status(
    vehicle, *, mileage: int | None = None, on: datetime.date | None = None
) -> WarrantyStatus:
    """Is the vehicle within its warranty on `on` (today) at `mileage` (its last reading)?
    Whichever of the date and the distance comes first ends it; both ends are covered."""
    on = on or timezone.localdate()
    if mileage is None:
        mileage = vehicle.current_mileage
    start, ends_on, ends_km = warranty_limits(vehicle)
    if ends_on is None and ends_km is None:
        return WarrantyStatus(False, _("No purchase date or warranty on file."), None, None)
    if start is not None and on < start:
        return WarrantyStatus(
            False, _("The warranty starts on %(date)s.") % {"date": _day(start)}, ends_on, ends_km
        )
    if ends_on is not None and on > ends_on:
        return WarrantyStatus(
            False, _("The warranty ended on %(date)s.") % {"date": _day(ends_on)}, ends_on, ends_km
        )
    if ends_km is not None and mileage is not None and mileage > ends_km:
        return WarrantyStatus(
            False,
            _("The warranty ended at %(km)s km; the car has %(mileage)s km.")
            % {"km": f"{ends_km:,}", "mileage": f"{mileage:,}"},
            ends_on,
            ends_km,
        )
    if ends_on is not None and ends_km is not None:
        reason = _("Covered until %(date)s or %(km)s km, whichever comes first.") % {
            "date": _day(ends_on),
            "km": f"{ends_km:,}",
        }
    elif ends_on is not None:
        reason = _("Covered until %(date)s.") % {"date": _day(ends_on)}
    else:
        reason = _("Covered up to %(km)s km.") % {"km": f"{ends_km:,}"}
    if ends_km is not None and mileage is None:
        reason = f"{reason} {_('No mileage on file: check the odometer.')}"
    return WarrantyStatus(True, reason, ends_on, ends_km)


# ---------------------------------------------------------------- declined work (F-3.6)


def recommended_work(vehicle, *, exclude_order: RepairOrder | None = None) -> list:
    """The labour and part lines the owner declined on earlier visits, newest first, each with
    its `order` loaded: work to propose again. Two queries."""
    orders = RepairOrder.objects.filter(vehicle=vehicle).exclude(status=RepairOrder.Status.CANCELLED)
    if exclude_order is not None:
        orders = orders.exclude(pk=exclude_order.pk)
    lines: list = []
    for model, related in ((OrderLabour, ("order", "operation")), (OrderPart, ("order", "part"))):
        lines += list(
            model.objects.filter(order__in=orders, approval=Approval.DECLINED).select_related(*related)
        )
    lines.sort(key=lambda line: (line.decided_at or line.order.created_at, line.pk), reverse=True)
    return lines
