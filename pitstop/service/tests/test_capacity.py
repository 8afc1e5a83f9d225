"""Booking capacity: slots, full slots refused with the nearest free times, the duty roster,
closed days and hours, and a Hypothesis run that never overbooks."""

import datetime
from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pitstop.core.exceptions import ApplicationError
from pitstop.service import capacity
from pitstop.service.models import Appointment, BayType, TechnicianDuty
from pitstop.service.setup import workshop_settings

from .booking import at, book, day, workshop

pytestmark = pytest.mark.django_db


def test_the_day_is_cut_into_slots_between_opening_and_closing(store_a):
    workshop(store_a, maintenance=2)
    slots = capacity.slot_load(store_a, day(), BayType.MAINTENANCE)
    assert len(slots) == 19  # 08:30 … 17:30
    assert slots[0].start == at(8, 30) and slots[-1].start == at(17, 30)
    assert {(slot.used, slot.capacity) for slot in slots} == {(0, 2)}


def test_a_booking_uses_every_slot_it_overlaps(store_a, advisor):
    workshop(store_a, maintenance=2)
    book(advisor, store_a, at(9), hours="1.25")  # 09:00–10:15: three slots
    used = {slot.start: slot.used for slot in capacity.slot_load(store_a, day(), BayType.MAINTENANCE)}
    assert [used[at(9)], used[at(9, 30)], used[at(10)], used[at(10, 30)]] == [1, 1, 1, 0]
    assert used[at(8, 30)] == 0


def test_a_full_slot_is_refused_with_the_nearest_free_times(store_a, advisor):
    workshop(store_a, maintenance=1)
    book(advisor, store_a, at(10), hours="1")
    assert not capacity.is_free(store_a, at(10, 30), BayType.MAINTENANCE, "1")
    assert capacity.is_free(store_a, at(11), BayType.MAINTENANCE, "1")
    with pytest.raises(ApplicationError) as refused:
        book(advisor, store_a, at(10), hours="1", plate="京B67890")
    assert refused.value.code == "slot_full"
    # The free starts closest to 10:00 for one hour: 09:00 (ends at 10:00), 11:00, 11:30.
    nearest = [at(9), at(11), at(11, 30)]
    assert refused.value.extra["free"] == [value.isoformat() for value in nearest]
    assert "11:00" in str(refused.value.message) and "09:00" in str(refused.value.message)
    assert Appointment.objects.count() == 1


def test_another_bay_type_and_a_cancelled_booking_do_not_count(store_a, advisor):
    workshop(store_a, maintenance=1, body=1)
    first = book(advisor, store_a, at(10))
    assert capacity.is_free(store_a, at(10), BayType.BODY, "1")
    assert not capacity.is_free(store_a, at(10), BayType.MAINTENANCE, "1")
    first.status = Appointment.Status.CANCELLED
    first.save()
    assert capacity.is_free(store_a, at(10), BayType.MAINTENANCE, "1")


def test_the_duty_roster_limits_the_bays(store_a, advisor, make_staff):
    workshop(store_a, maintenance=3)
    technician = make_staff("technician", store_a)
    TechnicianDuty.objects.create(
        store=store_a, day=day(), technician=technician, bay_type=BayType.MAINTENANCE
    )
    assert {slot.capacity for slot in capacity.slot_load(store_a, day(), BayType.MAINTENANCE)} == {1}
    book(advisor, store_a, at(9))
    with pytest.raises(ApplicationError, match="11:00") as refused:
        book(advisor, store_a, at(9, 30), plate="京B67890", hours="1.5")
    assert refused.value.code == "slot_full"
    # The next day has no roster: all three bays count.
    assert capacity.is_free(store_a, at(9, 30, offset=11), BayType.MAINTENANCE, "1")


def test_closed_days_and_hours_are_refused(store_a, advisor):
    closed = str(day().isoweekday())
    workshop(store_a, maintenance=2, weekdays="".join(d for d in "1234567" if d != closed))
    assert capacity.slot_load(store_a, day(), BayType.MAINTENANCE) == []
    with pytest.raises(ApplicationError) as refused:
        book(advisor, store_a, at(10))
    assert refused.value.code == "closed"
    cases = [
        (at(8, offset=11), "1"),
        (at(10, 15, offset=11), "1"),
        (at(17, 30, offset=11), "1"),
        (at(18, offset=11), "1"),
    ]
    for starts_at, hours in cases:
        assert not capacity.is_free(store_a, starts_at, BayType.MAINTENANCE, hours)
        with pytest.raises(ApplicationError) as refused:
            book(advisor, store_a, starts_at, hours=hours)
        assert refused.value.code == "outside_hours", starts_at
    assert not Appointment.objects.exists()


def test_a_job_longer_than_the_day_starts_at_opening_and_holds_the_day(store_a, advisor):
    workshop(store_a, maintenance=0, body=1)
    with pytest.raises(ApplicationError, match="08:30"):
        book(advisor, store_a, at(9), hours="16", bay_type=BayType.BODY)
    long_job = book(advisor, store_a, at(8, 30), hours="16", bay_type=BayType.BODY)
    assert capacity.local(long_job.ends_at) == at(18)
    assert all(slot.full for slot in capacity.slot_load(store_a, day(), BayType.BODY))


def test_nearest_free_looks_at_the_following_days_when_the_day_is_full(store_a, advisor):
    workshop(store_a, maintenance=1)
    book(advisor, store_a, at(8, 30), hours="9.5")  # the whole day
    assert capacity.nearest_free(store_a, at(12), BayType.MAINTENANCE, "1", count=2) == [
        at(16, 30, offset=9),
        at(17, offset=9),
    ]
    assert capacity.nearest_free(
        store_a, at(12), BayType.MAINTENANCE, "1", count=2, not_before=at(0, offset=10)
    ) == [
        at(8, 30, offset=11),
        at(9, offset=11),
    ]


def test_a_capacity_check_takes_a_fixed_number_of_queries(store_a, advisor, django_assert_max_num_queries):
    workshop(store_a, maintenance=2)
    for hour in (9, 10, 11, 14):
        book(advisor, store_a, at(hour))
    workshop_settings(store_a)
    with django_assert_max_num_queries(5):
        capacity.slot_load(store_a, day(), BayType.MAINTENANCE)
    with django_assert_max_num_queries(5):
        capacity.is_free(store_a, at(9), BayType.MAINTENANCE, "1")


# One booking: the slot it starts in (may fall outside the day), its length in slots, bay type.
bookings = st.lists(
    st.tuples(st.integers(-2, 21), st.integers(1, 8), st.sampled_from([BayType.MAINTENANCE, BayType.BODY])),
    min_size=1,
    max_size=25,
)


def _brute_force_full(store, starts_at, hours, bay_type, bays: dict) -> bool:
    """Independently of capacity.py: is any 30-minute slot the booking touches at capacity?"""
    end = starts_at + datetime.timedelta(minutes=int(Decimal(hours) * 60))
    rows = Appointment.objects.filter(store=store, bay_type=bay_type, status__in=capacity.ACTIVE)
    t = starts_at
    while t < end:
        overlapping = sum(
            1 for a in rows if a.starts_at < t + datetime.timedelta(minutes=30) and a.ends_at > t
        )
        if overlapping >= bays[bay_type]:
            return True
        t += datetime.timedelta(minutes=30)
    return False


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(bookings)
def test_random_bookings_never_exceed_capacity(store_a, advisor, wanted):
    bays = {BayType.MAINTENANCE: 2, BayType.BODY: 1}
    with transaction.atomic():
        workshop(store_a, maintenance=2, body=1)
        opening = at(8, 30)
        for slot, length, bay_type in wanted:
            starts_at = opening + datetime.timedelta(minutes=30 * slot)
            hours = str(Decimal(length) / 2)
            inside = slot >= 0 and slot + length <= 19
            try:
                book(advisor, store_a, starts_at, hours=hours, bay_type=bay_type)
            except ApplicationError as error:
                if error.code == "slot_full":
                    assert inside and _brute_force_full(store_a, starts_at, hours, bay_type, bays)
                else:
                    assert error.code == "outside_hours" and not inside
            else:
                assert inside
        for bay_type, units in bays.items():
            assert all(slot.used <= units for slot in capacity.slot_load(store_a, day(), bay_type))
        transaction.set_rollback(True)


@pytest.mark.django_db(transaction=True)
def test_ten_advisors_book_the_last_two_units_at_once(store_a, make_staff):
    """The WorkshopSettings row lock: only as many bookings as units get in (PostgreSQL)."""
    import threading

    from django.db import connection, connections

    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks; runs in `make test-postgres`")
    workshop(store_a, maintenance=2)
    advisor = make_staff("advisor", store_a)
    barrier = threading.Barrier(10)
    done, refused, failed = [], [], []

    def take(n: int) -> None:
        try:
            barrier.wait()
            book(advisor, store_a, at(10), plate=f"京A1000{n}")
            done.append(n)
        except ApplicationError as error:
            refused.append(error.code)
        except Exception as error:  # anything else is a bug the test must show
            failed.append(repr(error))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=take, args=(n,)) for n in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failed
    assert len(done) == 2 and set(refused) == {"slot_full"} and len(refused) == 8
    assert max(slot.used for slot in capacity.slot_load(store_a, day(), BayType.MAINTENANCE)) == 2
