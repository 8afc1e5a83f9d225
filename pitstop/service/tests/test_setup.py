import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from pitstop.core.exceptions import ApplicationError
from pitstop.core.models import AuditEntry
from pitstop.service import setup
from pitstop.service.models import Bay, BayType, TechnicianDuty, WorkshopSettings

from .factories import BayFactory

MONDAY = datetime.date(2026, 3, 2)


def settings_data(**changes):
    data = {
        "opens_at": datetime.time(8, 30),
        "closes_at": datetime.time(18, 0),
        "open_weekdays": "123456",
        "slot_minutes": 30,
        "labour_rate": Decimal("150.00"),
        "reminder_days_before": 1,
        "online_booking": True,
    }
    data.update(changes)
    return data


# ---------------------------------------------------------------- settings


def test_workshop_settings_created_once_with_defaults(store_a):
    first = setup.workshop_settings(store_a)
    again = setup.workshop_settings(store_a)
    assert first.pk == again.pk
    assert first.labour_rate == Decimal("120.00") and first.slot_minutes == 30
    assert WorkshopSettings.objects.filter(store=store_a).count() == 1


def test_settings_update_saves_and_audits(manager, store_a):
    row = setup.workshop_settings_update(actor=manager, store=store_a, **settings_data(open_weekdays="6123"))
    row.refresh_from_db()
    assert row.labour_rate == Decimal("150.00")
    assert row.open_weekdays == "1236"
    entry = AuditEntry.objects.get(object_id=str(row.pk), action="update")
    assert entry.changes["labour_rate"] == ["120.00", "150.00"]
    assert entry.actor == manager


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"closes_at": datetime.time(8, 0)}, "closes_at"),
        ({"closes_at": datetime.time(8, 30)}, "closes_at"),
        ({"slot_minutes": 5}, "slot_minutes"),
        ({"slot_minutes": 300}, "slot_minutes"),
        ({"slot_minutes": 45}, "slot_minutes"),  # 570 minutes are not whole 45-minute slots
        ({"open_weekdays": ""}, "open_weekdays"),
        ({"open_weekdays": "18"}, "open_weekdays"),
    ],
)
def test_settings_refused(manager, store_a, changes, field):
    with pytest.raises(ApplicationError) as refused:
        setup.workshop_settings_update(actor=manager, store=store_a, **settings_data(**changes))
    assert refused.value.field == field
    assert setup.workshop_settings(store_a).labour_rate == Decimal("120.00")


def test_settings_page_saves_for_manager(login, manager, store_a):
    client = login(manager)
    response = client.post(
        reverse("service:settings"),
        {
            "opens_at": "08:00",
            "closes_at": "18:00",
            "open_weekdays": ["1", "2", "3", "4", "5", "6"],
            "slot_minutes": "60",
            "labour_rate": "138.50",
            "reminder_days_before": "2",
            "online_booking": "on",
        },
    )
    assert response.status_code == 302
    row = setup.workshop_settings(store_a)
    assert (row.slot_minutes, row.labour_rate, row.open_weekdays) == (60, Decimal("138.50"), "123456")


def test_settings_page_shows_rule_next_to_field(login, manager, store_a):
    client = login(manager)
    response = client.post(
        reverse("service:settings"),
        {
            "opens_at": "18:00",
            "closes_at": "08:00",
            "open_weekdays": ["1"],
            "slot_minutes": "30",
            "labour_rate": "120",
            "reminder_days_before": "1",
        },
    )
    assert response.status_code == 200
    assert "关门时间必须晚于开门时间。" in response.content.decode()


def test_settings_page_refuses_advisor(login, advisor):
    assert login(advisor).get(reverse("service:settings")).status_code == 403


# ---------------------------------------------------------------- bays


def test_manager_adds_bay_and_sees_counts(login, manager, store_a):
    client = login(manager)
    response = client.post(reverse("service:bays"), {"bay_type": BayType.PAINT, "name": "喷漆房1"})
    assert response.status_code == 302
    bay = Bay.objects.get(store=store_a, name="喷漆房1")
    assert bay.bay_type == BayType.PAINT
    assert AuditEntry.objects.filter(object_id=str(bay.pk), action="create").exists()
    page = client.get(reverse("service:bays"), HTTP_HX_REQUEST="true", HTTP_HX_TARGET="bay-table")
    html = page.content.decode()
    assert "喷漆房1" in html and "<html" not in html


def test_duplicate_bay_name_refused(manager, store_a):
    BayFactory(store=store_a, name="机修工位1", bay_type=BayType.MECHANICAL)
    with pytest.raises(ApplicationError, match="机修工位1"):
        setup.bay_create(actor=manager, store=store_a, bay_type=BayType.MECHANICAL, name="机修工位1")


def test_technician_cannot_add_bay(login, make_staff, store_a):
    tech = make_staff("technician", store_a)
    client = login(tech)
    assert client.get(reverse("service:bays")).status_code == 200
    assert client.post(reverse("service:bays"), {"bay_type": "body", "name": "钣金1"}).status_code == 403
    assert not Bay.objects.exists()


def test_bay_edit_deactivates_and_other_store_is_404(login, manager, store_a, store_b):
    mine = BayFactory(store=store_a, name="快保工位1")
    theirs = BayFactory(store=store_b, name="快保工位1")
    client = login(manager)
    assert client.get(reverse("service:bay_edit", args=[theirs.pk])).status_code == 404
    response = client.post(reverse("service:bay_edit", args=[mine.pk]), {"name": "快保工位A"})
    assert response.status_code == 302
    mine.refresh_from_db()
    assert (mine.name, mine.is_active) == ("快保工位A", False)
    assert setup.capacity_units(store_a, MONDAY, BayType.MAINTENANCE) == 0


# ---------------------------------------------------------------- duty and capacity


def test_capacity_without_roster_counts_active_bays(store_a, store_b):
    BayFactory.create_batch(2, store=store_a, bay_type=BayType.MAINTENANCE)
    BayFactory(store=store_a, bay_type=BayType.MAINTENANCE, is_active=False)
    BayFactory(store=store_b, bay_type=BayType.MAINTENANCE)
    assert setup.capacity_units(store_a, MONDAY, BayType.MAINTENANCE) == 2
    assert setup.capacity_units(store_a, MONDAY, BayType.PAINT) == 0


def test_capacity_limited_by_technicians_on_duty(make_staff, manager, store_a):
    BayFactory.create_batch(3, store=store_a, bay_type=BayType.MAINTENANCE)
    BayFactory(store=store_a, bay_type=BayType.MECHANICAL)
    tech = make_staff("technician", store_a)
    leader = make_staff("team_leader", store_a)
    setup.duty_week_set(
        actor=manager,
        store=store_a,
        monday=MONDAY,
        assignments={(tech.pk, MONDAY): BayType.MAINTENANCE, (leader.pk, MONDAY): BayType.MAINTENANCE},
    )
    assert setup.capacity_units(store_a, MONDAY, BayType.MAINTENANCE) == 2  # 3 bays, 2 people
    # Someone is on the roster that day, nobody for mechanical: no mechanical capacity.
    assert setup.capacity_units(store_a, MONDAY, BayType.MECHANICAL) == 0
    # Tuesday has no roster at all: every bay counts.
    tuesday = MONDAY + datetime.timedelta(days=1)
    assert setup.capacity_units(store_a, tuesday, BayType.MAINTENANCE) == 3


def test_duty_refuses_people_not_technicians_of_the_store(make_staff, manager, store_a, store_b):
    other = make_staff("technician", store_b)
    with pytest.raises(ApplicationError) as refused:
        setup.duty_week_set(
            actor=manager, store=store_a, monday=MONDAY, assignments={(other.pk, MONDAY): BayType.BODY}
        )
    assert refused.value.code == "not_technician"
    with pytest.raises(ApplicationError):
        setup.duty_week_set(
            actor=manager, store=store_a, monday=MONDAY, assignments={(manager.pk, MONDAY): BayType.BODY}
        )
    assert not TechnicianDuty.objects.exists()


def test_duty_page_ticks_and_replaces_the_week(login, make_staff, manager, store_a):
    tech = make_staff("technician", store_a, full_name="王师傅")
    TechnicianDuty.objects.create(store=store_a, day=MONDAY, technician=tech, bay_type=BayType.PAINT)
    client = login(manager)
    url = reverse("service:duty")
    page = client.get(url, {"week": "2026-03-04"})
    assert "王师傅" in page.content.decode()
    wednesday = MONDAY + datetime.timedelta(days=2)
    response = client.post(url, {"week": "2026-03-02", f"d_{tech.pk}_{wednesday:%Y%m%d}": BayType.MECHANICAL})
    assert response.status_code == 302
    rows = list(TechnicianDuty.objects.values_list("day", "bay_type"))
    assert rows == [(wednesday, BayType.MECHANICAL)]  # Monday's paint shift was unticked


def test_duty_page_read_only_for_technician(login, make_staff, store_a):
    tech = make_staff("technician", store_a)
    client = login(tech)
    assert client.get(reverse("service:duty")).status_code == 200
    response = client.post(reverse("service:duty"), {"week": "2026-03-02", f"d_{tech.pk}_20260302": "body"})
    assert response.status_code == 403
    assert not TechnicianDuty.objects.exists()


def test_duty_page_refused_to_cashier(login, make_staff, store_a):
    assert login(make_staff("cashier", store_a)).get(reverse("service:duty")).status_code == 403


def test_capacity_days_matches_capacity_units(make_staff, manager, store_a):
    BayFactory.create_batch(2, store=store_a, bay_type=BayType.MAINTENANCE)
    BayFactory(store=store_a, bay_type=BayType.PAINT)
    techs = [make_staff("technician", store_a) for _n in range(3)]
    tuesday = MONDAY + datetime.timedelta(days=1)
    setup.duty_week_set(
        actor=manager,
        store=store_a,
        monday=MONDAY,
        assignments={
            (techs[0].pk, MONDAY): BayType.MAINTENANCE,
            (techs[1].pk, MONDAY): BayType.MAINTENANCE,
            (techs[2].pk, MONDAY): BayType.MAINTENANCE,
            (techs[0].pk, tuesday): BayType.PAINT,
        },
    )
    days = [MONDAY + datetime.timedelta(days=n) for n in range(7)]
    week = setup.capacity_days(store_a, days)
    for bay_type in BayType.values:
        assert week[bay_type] == [setup.capacity_units(store_a, day, bay_type) for day in days]
    assert week[BayType.MAINTENANCE][:3] == [2, 0, 2]


def test_duty_page_query_count(login, make_staff, manager, store_a, django_assert_max_num_queries):
    for _n in range(6):
        make_staff("technician", store_a)
    client = login(manager)
    client.get(reverse("service:duty"))
    with django_assert_max_num_queries(14):
        assert client.get(reverse("service:duty")).status_code == 200
