"""Appointment analysis: bookings, arrival and no-show rates over the bookings whose day has
come, sources, busiest hours; one store only."""

import datetime
from decimal import Decimal

from django.urls import reverse

from pitstop.service.analysis import analyse
from pitstop.service.capacity import local_zone
from pitstop.service.models import Appointment

DAY = datetime.date(2030, 1, 7)


def _at(hour: int) -> datetime.datetime:
    return datetime.datetime.combine(DAY, datetime.time(hour), tzinfo=local_zone())


def test_rates_count_only_bookings_whose_day_has_come():
    rows = [
        ("arrived", "desk", _at(9)),
        ("arrived", "online", _at(9)),
        ("no_show", "phone", _at(10)),
        ("cancelled", "phone", _at(9)),
        ("confirmed", "online", _at(14)),
    ]
    result = analyse(rows)
    assert (result.bookings, result.arrived, result.no_shows, result.cancelled, result.open) == (
        5,
        2,
        1,
        1,
        1,
    )
    assert result.arrival_rate == Decimal("66.7") and result.no_show_rate == Decimal("33.3")
    assert result.by_hour[0] == (9, 3)  # the busiest hour first
    assert result.by_source == {"phone": 2, "online": 2, "desk": 1}
    assert analyse([]).arrival_rate is None  # nothing decided: no rate, not 0%


def test_the_page_shows_this_stores_period(client, store_a, store_b, make_staff):
    for store, number, status in [
        (store_a, "YYA", "arrived"),
        (store_a, "YYB", "no_show"),
        (store_b, "YYC", "arrived"),
    ]:
        Appointment.objects.create(
            store=store,
            number=number,
            status=status,
            mobile="13911112222",
            content="保养",
            starts_at=_at(10),
            ends_at=_at(11),
        )
    client.force_login(make_staff("advisor", store_a))
    page = client.get(reverse("service:appointment_analysis"), {"from": "2030-01-01", "to": "2030-01-31"})
    body = page.content.decode()
    assert page.status_code == 200
    assert 'data-figure="bookings">2<' in body and 'data-figure="arrival-rate">50.0%<' in body
    assert 'data-hour="10"' in body
