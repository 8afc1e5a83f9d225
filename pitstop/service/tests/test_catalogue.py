import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pitstop.accounts.tests.factories import StoreFactory
from pitstop.core.exceptions import ApplicationError
from pitstop.core.export import XLSX_TYPE
from pitstop.core.models import AuditEntry
from pitstop.customers.tests.factories import VehicleFactory
from pitstop.parts.models import PartPrice
from pitstop.parts.tests.factories import PartFactory
from pitstop.service import catalogue
from pitstop.service.models import BayType, CannedJob, LabourOperation, LabourRate, MaintenancePlan

from .factories import (
    CannedJobFactory,
    CannedJobLineFactory,
    LabourOperationFactory,
    LabourRateFactory,
    MaintenancePlanFactory,
    MaintenancePlanItemFactory,
    StoreWorkshopFactory,
)


@pytest.fixture
def admin(make_staff, hq_store):
    return make_staff("admin", hq_store)


# ---------------------------------------------------------------- labour price


def test_price_uses_store_rate_for_bay_type(store_a, store_b):
    StoreWorkshopFactory(store=store_a, labour_rate=Decimal("120.00"))
    LabourRateFactory(store=store_a, bay_type=BayType.MECHANICAL, rate=Decimal("180.00"))
    brakes = LabourOperationFactory(standard_hours=Decimal("1.000"), bay_type=BayType.MECHANICAL)
    oil = LabourOperationFactory(standard_hours=Decimal("0.500"), bay_type=BayType.MAINTENANCE)
    assert catalogue.labour_price(store=store_a, operation=brakes) == Decimal("180.00")
    assert catalogue.labour_price(store=store_a, operation=oil) == Decimal("60.00")  # workshop rate
    # SH01 has no rates of its own: the default 120.00 applies.
    assert catalogue.labour_price(store=store_b, operation=brakes) == Decimal("120.00")


def test_price_hours_given_and_half_up(store_a):
    StoreWorkshopFactory(store=store_a, labour_rate=Decimal("100.05"))
    operation = LabourOperationFactory(standard_hours=Decimal("1.000"))
    price = catalogue.labour_price(store=store_a, operation=operation, hours=Decimal("0.333"))
    assert price == Decimal("33.32")  # 33.31665 rounds half-up
    assert isinstance(price, Decimal) and price.as_tuple().exponent == -2
    assert catalogue.labour_price(store=store_a, operation=operation, hours=Decimal("0.1")) == Decimal(
        "10.01"
    )


def test_fixed_price_wins(store_a):
    LabourRateFactory(store=store_a, bay_type=BayType.PAINT, rate=Decimal("300.00"))
    paint = LabourOperationFactory(
        standard_hours=Decimal("4.000"), bay_type=BayType.PAINT, fixed_price=Decimal("600.00")
    )
    assert catalogue.labour_price(store=store_a, operation=paint) == Decimal("600.00")
    assert catalogue.labour_price(store=store_a, operation=paint, hours=Decimal("9")) == Decimal("600.00")


# ---------------------------------------------------------------- labour operations


def test_operation_save_sets_initials_and_audits(admin):
    operation = catalogue.labour_operation_save(
        actor=admin, code="by-001", name="更换机油机滤", system="发动机", standard_hours=Decimal("0.5")
    )
    assert operation.code == "BY-001" and operation.name_initials == "ghjyjl"
    entry = AuditEntry.objects.get(object_id=str(operation.pk), action="create")
    assert entry.changes["standard_hours"] == [None, "0.500"]
    with pytest.raises(ApplicationError, match="BY-001"):
        catalogue.labour_operation_save(
            actor=admin, code="BY-001", name="另一个", standard_hours=Decimal("1")
        )


def test_operation_needs_hours_or_price(admin):
    with pytest.raises(ApplicationError) as refused:
        catalogue.labour_operation_save(actor=admin, code="X1", name="空调系统检查")
    assert refused.value.field == "standard_hours"
    assert not LabourOperation.objects.exists()


def test_catalogue_search_by_initials_system_symptom(db):
    oil = LabourOperationFactory(name="更换机油机滤", name_initials="ghjyjl", system="发动机")
    pads = LabourOperationFactory(
        name="更换前刹车片", name_initials="ghqscp", system="制动", symptom="刹车异响"
    )
    assert list(catalogue.operations_matching("ghjy")) == [oil]
    assert list(catalogue.operations_matching("制动")) == [pads]
    assert list(catalogue.operations_matching("异响")) == [pads]
    assert list(catalogue.operations_matching(oil.code.lower())) == [oil]


def test_labour_list_hx_partial_and_prices(login, advisor, store_a):
    StoreWorkshopFactory(store=store_a, labour_rate=Decimal("150.00"))
    LabourOperationFactory(name="更换空气滤清器", name_initials="ghkqlqq", standard_hours=Decimal("0.2"))
    LabourOperationFactory(name="四轮定位", name_initials="sldw", standard_hours=Decimal("1.0"))
    client = login(advisor)
    response = client.get(
        reverse("service:labour_list"), {"q": "kqlqq"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="labour-table"
    )
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html
    assert "更换空气滤清器" in html and "四轮定位" not in html
    assert "¥30.00" in html  # 0.2 h × 150.00


def test_labour_list_export(login, advisor):
    LabourOperationFactory(name="四轮定位")
    response = login(advisor).get(reverse("service:labour_list"), {"format": "xlsx"})
    assert response.status_code == 200 and response["Content-Type"] == XLSX_TYPE


def test_only_admin_writes_the_catalogue(login, manager, admin):
    data = {
        "code": "QT-01",
        "name": "四轮定位",
        "basis": "item",
        "bay_type": "mechanical",
        "standard_hours": "1",
    }
    assert login(manager).post(reverse("service:labour_create"), data).status_code == 403
    client = login(admin)
    assert client.post(reverse("service:labour_create"), data).status_code == 302
    operation = LabourOperation.objects.get(code="QT-01")
    data["fixed_price"] = "260"
    assert client.post(reverse("service:labour_edit", args=[operation.pk]), data).status_code == 302
    operation.refresh_from_db()
    assert operation.fixed_price == Decimal("260.00")
    assert AuditEntry.objects.filter(object_id=str(operation.pk), action="update").exists()


def test_catalogue_refused_to_warehouse(login, make_staff, store_a):
    assert login(make_staff("warehouse", store_a)).get(reverse("service:labour_list")).status_code == 403


# ---------------------------------------------------------------- rates


def test_manager_sets_rates(login, manager, store_a):
    client = login(manager)
    response = client.post(reverse("service:rates"), {"paint": "280.00", "body": "200"})
    assert response.status_code == 302
    assert dict(LabourRate.objects.filter(store=store_a).values_list("bay_type", "rate")) == {
        "paint": Decimal("280.00"),
        "body": Decimal("200.00"),
    }
    client.post(reverse("service:rates"), {"paint": "300.00"})  # body emptied: removed
    assert dict(LabourRate.objects.filter(store=store_a).values_list("bay_type", "rate")) == {
        "paint": Decimal("300.00")
    }
    assert AuditEntry.objects.filter(action="delete").count() == 1


def test_rates_refused_to_advisor(login, advisor):
    assert login(advisor).get(reverse("service:rates")).status_code == 403


# ---------------------------------------------------------------- canned jobs


def test_canned_job_priced_for_store(store_a):
    StoreWorkshopFactory(store=store_a, labour_rate=Decimal("150.00"))
    oil = LabourOperationFactory(code="BY01", standard_hours=Decimal("0.5"))
    filter_ = PartFactory(code="LX-001", name="机油滤清器", sale_price=Decimal("58.00"))
    oil_part = PartFactory(code="JY-5W30", name="机油5W-30", sale_price=Decimal("68.00"))
    PartPrice.objects.create(part=oil_part, price_type="retail", price=Decimal("65.50"))
    job = CannedJobFactory(name="常规保养（1万公里）")
    CannedJobLineFactory(job=job, labour=oil, quantity=Decimal("0.5"), position=1)
    CannedJobLineFactory(job=job, labour=None, part=filter_, quantity=Decimal("1"), position=2)
    CannedJobLineFactory(job=job, labour=None, part=oil_part, quantity=Decimal("4.5"), position=3)
    priced = catalogue.canned_job_lines(job, store_a)
    assert [(p.code, p.amount) for p in priced.lines] == [
        ("BY01", Decimal("75.00")),
        ("LX-001", Decimal("58.00")),
        ("JY-5W30", Decimal("294.75")),
    ]
    assert priced.hours == Decimal("0.500")
    assert (priced.labour_total, priced.parts_total, priced.total) == (
        Decimal("75.00"),
        Decimal("352.75"),
        Decimal("427.75"),
    )


def test_canned_job_lines_query_count(store_a, django_assert_max_num_queries):
    job = CannedJobFactory()
    for _n in range(5):
        CannedJobLineFactory(job=job)
        CannedJobLineFactory(job=job, labour=None, part=PartFactory())
    StoreWorkshopFactory(store=store_a)
    with django_assert_max_num_queries(5):
        priced = catalogue.canned_job_lines(job, store_a)
    assert len(priced.lines) == 10


def test_manager_creates_store_job_by_barcode(login, manager, store_a):
    LabourOperationFactory(code="ZD-01", name="更换前刹车片", standard_hours=Decimal("1.0"))
    PartFactory(code="SCP-F01", barcode="6901234567890", name="前刹车片", sale_price=Decimal("320.00"))
    data = {
        "code": "bj-brake",
        "name": "更换前刹车片",
        "is_active": "on",
        "line-TOTAL_FORMS": "3",
        "line-INITIAL_FORMS": "0",
        "line-0-labour_code": "zd-01",
        "line-1-part_code": "6901234567890",
        "line-1-quantity": "1",
    }
    response = login(manager).post(reverse("service:job_create"), data)
    assert response.status_code == 302
    job = CannedJob.objects.get(code="BJ-BRAKE")
    assert job.store == store_a
    assert [(line.labour_id is not None, line.quantity) for line in job.lines.all()] == [
        (True, Decimal("1.000")),  # empty hours: the standard hours
        (False, Decimal("1.000")),
    ]


def test_unknown_part_code_shown(login, manager, store_a):
    data = {
        "code": "X",
        "name": "首保",
        "line-TOTAL_FORMS": "1",
        "line-INITIAL_FORMS": "0",
        "line-0-part_code": "NOPE",
    }
    response = login(manager).post(reverse("service:job_create"), data)
    assert response.status_code == 200
    assert "NOPE" in response.content.decode()
    assert not CannedJob.objects.exists()


def test_store_jobs_are_private_and_chain_jobs_need_admin(login, manager, admin, store_a, store_b):
    theirs = CannedJobFactory(store=store_b, name="上海特惠保养")
    chain = CannedJobFactory(store=None, name="首保")
    CannedJobLineFactory(job=chain)
    client = login(manager)
    assert client.get(reverse("service:job_detail", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("service:job_edit", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("service:job_detail", args=[chain.pk])).status_code == 200
    assert client.get(reverse("service:job_edit", args=[chain.pk])).status_code == 403
    assert client.get(reverse("service:job_create"), {"scope": "chain"}).status_code == 403
    listing = client.get(reverse("service:job_list")).content.decode()
    assert "首保" in listing and "上海特惠保养" not in listing
    assert login(admin).get(reverse("service:job_edit", args=[chain.pk])).status_code == 200


def test_advisor_cannot_create_jobs(login, advisor):
    assert login(advisor).get(reverse("service:job_create")).status_code == 403


# ---------------------------------------------------------------- maintenance plans


def test_add_months_clamps_to_month_end():
    assert catalogue.add_months(datetime.date(2026, 1, 31), 1) == datetime.date(2026, 2, 28)
    assert catalogue.add_months(datetime.date(2026, 11, 15), 3) == datetime.date(2027, 2, 15)


def test_items_due_by_km_or_months(db):
    first = CannedJobFactory(name="首保")
    regular = CannedJobFactory(name="常规保养（1万公里）")
    big = CannedJobFactory(name="4万公里保养")
    plan = MaintenancePlanFactory(brand="大众")
    MaintenancePlanItemFactory(plan=plan, job=first, every_km=5000, every_months=6)
    MaintenancePlanItemFactory(plan=plan, job=regular, every_km=10000, every_months=12)
    MaintenancePlanItemFactory(plan=plan, job=big, every_km=40000, every_months=None)
    vehicle = VehicleFactory(brand="大众", series="帕萨特")
    vehicle.purchase_date, vehicle.purchase_mileage = datetime.date(2024, 1, 10), 12
    due = catalogue.items_due(
        vehicle=vehicle,
        today=datetime.date(2026, 3, 1),
        mileage=41000,
        last_done={
            first.pk: (datetime.date(2025, 12, 1), 39000),  # 2,000 km and 3 months ago: not due
            regular.pk: (datetime.date(2025, 1, 20), 31500),  # 500 km short, but 40 days late
        },
    )
    found = {d.job.pk: d for d in due}
    assert set(found) == {regular.pk, big.pk}
    assert found[regular.pk].km_over == -500 and found[regular.pk].days_over == 40
    assert found[regular.pk].overdue
    assert found[big.pk].due_km == 40012 and found[big.pk].km_over == 988  # never done: from purchase


def test_series_plan_preferred(db):
    MaintenancePlanFactory(brand="丰田", series="")
    camry = MaintenancePlanFactory(brand="丰田", series="凯美瑞")
    assert catalogue.plan_for(VehicleFactory(brand="丰田", series="凯美瑞")) == camry
    assert catalogue.plan_for(VehicleFactory(brand="丰田", series="卡罗拉")).series == ""
    assert catalogue.plan_for(VehicleFactory(brand="本田", series="雅阁")) is None


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(
    every_km=st.one_of(st.none(), st.integers(1000, 60000)),
    every_months=st.one_of(st.none(), st.integers(1, 48)),
    last_km=st.integers(0, 200000),
    driven=st.integers(-5000, 100000),
    last_day=st.dates(datetime.date(2015, 1, 1), datetime.date(2030, 12, 31)),
    days_since=st.integers(-30, 2000),
)
def test_item_due_property(every_km, every_months, last_km, driven, last_day, days_since):
    """Due exactly when the km or the months have run out; by how much is the difference."""
    item = MaintenancePlanItemFactory.build(
        every_km=every_km, every_months=every_months, job=CannedJob(name="保养")
    )
    today = last_day + datetime.timedelta(days=days_since)
    mileage = last_km + driven
    due = catalogue.item_due(item, today=today, mileage=mileage, last=(last_day, last_km), start=(None, 0))
    km_due = every_km is not None and driven >= every_km
    date_due = every_months is not None and today >= catalogue.add_months(last_day, every_months)
    assert (due is not None) == (km_due or date_due)
    if due is not None:
        if every_km:
            assert due.km_over == driven - every_km
        if every_months:
            assert due.due_date == catalogue.add_months(last_day, every_months)
            assert today - datetime.timedelta(days=due.days_over) == due.due_date
        assert due.overdue == ((due.km_over or 0) > 0 or (due.days_over or 0) > 0)


def test_plan_pages(login, manager, admin):
    chain_job = CannedJobFactory(code="SB", name="首保")
    data = {
        "brand": "大众",
        "series": "",
        "name": "大众保养计划",
        "is_active": "on",
        "item-TOTAL_FORMS": "2",
        "item-INITIAL_FORMS": "0",
        "item-0-job_code": "sb",
        "item-0-every_km": "5000",
        "item-0-every_months": "6",
    }
    assert login(manager).get(reverse("service:plan_list")).status_code == 200
    assert login(manager).post(reverse("service:plan_create"), data).status_code == 403
    assert login(admin).post(reverse("service:plan_create"), data).status_code == 302
    plan = MaintenancePlan.objects.get()
    assert list(plan.items.values_list("job_id", "every_km", "every_months")) == [(chain_job.pk, 5000, 6)]
    data["item-0-every_km"] = data["item-0-every_months"] = ""
    response = login(admin).post(reverse("service:plan_edit", args=[plan.pk]), data)
    assert "每个项目须填写间隔里程或间隔月数。" in response.content.decode()


def test_store_factory_unused_store_has_defaults(db):
    store = StoreFactory(code="GZ01")
    assert catalogue.store_rates(store)[BayType.PAINT] == Decimal("120.00")


def test_demo_loads_once_and_prices_first_service(store_a, store_b):
    from pitstop.parts.demo import load_parts_demo
    from pitstop.service.demo import load_service_catalogue_demo

    load_parts_demo()
    result = load_service_catalogue_demo()
    assert result["created"] and result["operations"] >= 15
    assert load_service_catalogue_demo() == {"created": False}
    first = CannedJob.objects.get(code="SB")
    priced = catalogue.canned_job_lines(first, store_a)
    # 1.0 h × 150.00 + 机油滤清器 58.00 + 机油 428.00
    assert priced.total == Decimal("636.00")
    paint = LabourOperation.objects.get(code="PQ-001")
    assert catalogue.labour_price(store=store_b, operation=paint) == Decimal("600.00")
    vw = VehicleFactory(brand="大众", series="迈腾")
    vw.purchase_date = datetime.date(2022, 5, 1)
    due = catalogue.items_due(vehicle=vw, today=datetime.date(2026, 5, 2), mileage=41000, last_done={})
    assert {d.job.code for d in due} == {"BY-10K", "BY-40K", "DW"}


def test_labour_list_query_count_fixed(login, advisor, store_a):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    StoreWorkshopFactory(store=store_a)
    client = login(advisor)
    counts = []
    for batch in (2, 20):
        LabourOperationFactory.create_batch(batch)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("service:labour_list")).status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1] <= 12


def test_the_demo_books_tomorrow_within_capacity_and_the_owner_is_told(db):
    from django.core.management import call_command

    from pitstop.messaging.models import OutboundMessage
    from pitstop.service.models import Appointment

    call_command("load_demo", "--quiet-logins")
    call_command("load_demo", "--quiet-logins")
    booked = Appointment.objects.filter(store__code="BJ01")
    assert set(booked.values_list("status", flat=True)) == {"confirmed", "requested"}
    assert booked.count() == 5
    confirmed = booked.filter(status="confirmed").count()
    told = OutboundMessage.objects.filter(kind="appointment_confirmed", reference_type="appointment")
    assert told.count() == confirmed
