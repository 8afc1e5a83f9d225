"""The rules of the trade reception applies: the repair-quality guarantee table, the warranty
(包修期) with its boundaries by date and by km (whichever first), and declined work."""

import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pitstop.customers.models import Vehicle
from pitstop.service import rules
from pitstop.service.catalogue import add_months
from pitstop.service.models import Approval, RepairCategory, RepairOrder

from .factories import OrderLabourFactory, OrderPartFactory, RepairOrderFactory

C = RepairCategory


def car(**fields) -> Vehicle:
    """An unsaved vehicle: the rules only read its fields."""
    return Vehicle(vin="LSVAU2180N2183521", **fields)


# --- repair-quality guarantee ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("category", "vehicle_category", "km", "days"),
    [
        (C.WHOLE_VEHICLE, "car", 20000, 100),
        (C.ASSEMBLY, "car", 20000, 100),
        (C.LEVEL_2, "car", 5000, 30),
        (C.LEVEL_1, "car", 2000, 10),
        (C.MINOR, "car", 2000, 10),
        (C.SPECIAL, "car", 2000, 10),
        (C.WHOLE_VEHICLE, "motorcycle", 7000, 80),
        (C.LEVEL_2, "motorcycle", 800, 10),
        (C.MINOR, "motorcycle", 800, 10),
        (C.ASSEMBLY, "other", 6000, 60),
        (C.LEVEL_2, "other", 700, 7),
        (C.SPECIAL, "other", 700, 7),
    ],
)
def test_the_guarantee_table_of_the_regulation(category, vehicle_category, km, days):
    assert rules.guarantee_for(car(category=vehicle_category), category) == rules.Guarantee(km=km, days=days)


def test_a_shop_may_promise_longer_never_shorter(settings):
    settings.PITSTOP_REPAIR_GUARANTEE = {"car": {C.LEVEL_2: (8000, 60), C.MINOR: (1000, 5)}}
    assert rules.guarantee_for(car(), C.LEVEL_2) == rules.Guarantee(8000, 60)
    assert rules.guarantee_for(car(), C.MINOR) == rules.Guarantee(2000, 10)


def test_category_help_names_the_guarantee_of_each_category():
    lines = rules.category_help(car())
    assert set(lines) == set(C.values)
    assert "20,000" in lines[C.WHOLE_VEHICLE] and "100" in lines[C.WHOLE_VEHICLE]
    assert "5,000" in lines[C.LEVEL_2] and "2,000" in lines[C.MINOR]


# --- warranty ----------------------------------------------------------------------------------

BOUGHT = datetime.date(2022, 1, 10)


def test_the_default_warranty_is_three_years_or_60000_km_from_the_purchase():
    vehicle = car(purchase_date=BOUGHT, purchase_mileage=12)
    last_day = datetime.date(2025, 1, 9)
    status = rules.warranty_status(vehicle, mileage=60012, on=last_day)
    assert status.eligible and status.ends_on == last_day and status.ends_km == 60012
    assert not rules.warranty_status(vehicle, mileage=100, on=last_day + datetime.timedelta(days=1)).eligible
    over = rules.warranty_status(vehicle, mileage=60013, on=BOUGHT)
    assert not over.eligible and "60,012" in over.reason


def test_the_vehicles_own_warranty_wins_and_a_missing_side_is_no_limit():
    vehicle = car(purchase_date=BOUGHT, warranty_end=datetime.date(2027, 1, 9))
    assert rules.warranty_status(vehicle, mileage=500000, on=datetime.date(2026, 6, 1)).eligible
    by_km = car(purchase_date=BOUGHT, warranty_km=100000)
    status = rules.warranty_status(by_km, mileage=99000, on=datetime.date(2040, 1, 1))
    assert status.eligible and status.ends_on is None and status.ends_km == 100000


def test_no_dates_and_not_started_are_not_covered():
    assert not rules.warranty_status(car(), mileage=10).eligible
    early = car(warranty_start=datetime.date(2030, 1, 1), warranty_end=datetime.date(2033, 1, 1))
    assert not rules.warranty_status(early, mileage=0, on=datetime.date(2029, 12, 31)).eligible


def test_without_a_mileage_the_last_reading_counts_and_else_the_date_alone():
    vehicle = car(purchase_date=BOUGHT, current_mileage=70000)
    assert not rules.warranty_status(vehicle, on=datetime.date(2023, 1, 1)).eligible
    unknown = car(purchase_date=BOUGHT)
    assert rules.warranty_status(unknown, on=datetime.date(2023, 1, 1)).eligible


def test_the_default_period_is_a_setting(settings):
    settings.PITSTOP_WARRANTY_YEARS = 4
    settings.PITSTOP_WARRANTY_KM = 100000
    status = rules.warranty_status(car(purchase_date=BOUGHT), mileage=99000, on=datetime.date(2025, 6, 1))
    assert status.eligible and status.ends_on == datetime.date(2026, 1, 9) and status.ends_km == 100000


@settings(max_examples=300, deadline=None)
@given(
    bought=st.dates(min_value=datetime.date(2000, 1, 1), max_value=datetime.date(2030, 12, 31)),
    start_km=st.integers(min_value=0, max_value=50000),
    days=st.integers(min_value=0, max_value=4 * 366),
    driven=st.integers(min_value=0, max_value=120000),
)
def test_warranty_ends_with_whichever_comes_first(bought, start_km, days, driven):
    vehicle = car(purchase_date=bought, purchase_mileage=start_km)
    on = bought + datetime.timedelta(days=days)
    status = rules.warranty_status(vehicle, mileage=start_km + driven, on=on)
    within_date = on < add_months(bought, 36)
    within_km = driven <= 60000
    assert status.eligible == (within_date and within_km)
    assert status.ends_on == add_months(bought, 36) - datetime.timedelta(days=1)
    assert status.ends_km == start_km + 60000


@settings(max_examples=200, deadline=None)
@given(
    end=st.dates(min_value=datetime.date(2020, 1, 1), max_value=datetime.date(2035, 12, 31)),
    limit=st.integers(min_value=1, max_value=300000),
    days=st.integers(min_value=-50, max_value=50),
    km=st.integers(min_value=0, max_value=300000),
)
def test_the_vehicles_own_end_date_and_km_are_both_covered_to_the_last(end, limit, days, km):
    vehicle = car(warranty_start=datetime.date(2019, 1, 1), warranty_end=end, warranty_km=limit)
    on = end + datetime.timedelta(days=days)
    status = rules.warranty_status(vehicle, mileage=km, on=on)
    assert status.eligible == (on <= end and km <= limit)


# --- declined work -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_recommended_work_is_the_declined_lines_of_earlier_orders(store_a, make_staff):
    advisor = make_staff("advisor", store_a)
    earlier = RepairOrderFactory(advisor=advisor, status=RepairOrder.Status.READY)
    vehicle = earlier.vehicle
    brakes = OrderLabourFactory(order=earlier, name="更换前刹车片", approval=Approval.DECLINED)
    OrderLabourFactory(order=earlier, name="更换机油机滤", approval=Approval.APPROVED)
    wipers = OrderPartFactory(order=earlier, name="雨刮片", approval=Approval.DECLINED)
    current = RepairOrderFactory(advisor=advisor, vehicle=vehicle)
    OrderLabourFactory(order=current, name="四轮定位", approval=Approval.DECLINED)
    other = RepairOrderFactory(advisor=advisor, store=vehicle.store)
    OrderLabourFactory(order=other, approval=Approval.DECLINED)
    found = rules.recommended_work(vehicle, exclude_order=current)
    assert {(type(line).__name__, line.pk) for line in found} == {
        ("OrderLabour", brakes.pk),
        ("OrderPart", wipers.pk),
    }
    assert all(line.order == earlier for line in found)
