"""Dispatch (F-4.1): assignments to bay type, bay, team and technicians with planned times; the
first one moves the order confirmed → dispatched; refusals (state, another store's bay, team or
technician, a bay already planned, bad times); taking an assignment back; priority; teams; the
pages with their permissions (a role without dispatch 403, another store 404)."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from pitstop.core.exceptions import ApplicationError
from pitstop.core.models import AuditEntry
from pitstop.customers.tests.factories import CustomerFactory, VehicleFactory
from pitstop.service.models import BayType, RepairOrder, RepairOrderEvent
from pitstop.service.tests.factories import (
    BayFactory,
    OrderLabourFactory,
    RepairOrderFactory,
    StoreWorkshopFactory,
)
from pitstop.workshop import dispatch as services
from pitstop.workshop.models import Assignment, Team

from .factories import AssignmentFactory, TeamFactory, TimeEntryFactory

pytestmark = pytest.mark.django_db
Status = RepairOrder.Status


def soon(hours: float = 1) -> datetime.datetime:
    return timezone.now().replace(second=0, microsecond=0) + datetime.timedelta(minutes=int(hours * 60))


def make_order(store, advisor, status=Status.CONFIRMED, **fields) -> RepairOrder:
    vehicle = VehicleFactory(owner=CustomerFactory(store=store))
    return RepairOrderFactory(vehicle=vehicle, advisor=advisor, status=status, **fields)


@pytest.fixture
def dispatcher(make_staff, store_a):
    return make_staff("dispatcher", store_a)


@pytest.fixture
def tech(make_staff, store_a):
    return make_staff("technician", store_a, full_name="王师傅")


@pytest.fixture
def bay(store_a):
    StoreWorkshopFactory(store=store_a)
    return BayFactory(store=store_a, bay_type=BayType.MAINTENANCE, name="快保1")


@pytest.fixture
def order(store_a, advisor):
    order = make_order(store_a, advisor)
    OrderLabourFactory(order=order, bay_type=BayType.MAINTENANCE, hours=Decimal("1.5"))
    OrderLabourFactory(order=order, bay_type=BayType.PAINT, hours=Decimal("4"))
    return order


def dispatch(actor, order, **changes):
    fields = {
        "bay_type": BayType.MAINTENANCE,
        "planned_start": soon(1),
        "planned_end": soon(2.5),
    }
    fields.update(changes)
    return services.assignment_create(actor=actor, order=order, **fields)


# --- services ---------------------------------------------------------------------------------


def test_the_first_assignment_dispatches_the_order_with_its_event(dispatcher, order, bay, tech, store_a):
    team = TeamFactory(store=store_a, members=[tech])
    assignment = dispatch(dispatcher, order, bay=bay, team=team, technicians=[tech])
    order.refresh_from_db()
    assert order.status == Status.DISPATCHED
    assert assignment.hours == Decimal("1.500")  # the maintenance labour hours
    assert list(assignment.technicians.all()) == [tech]
    assert (assignment.bay, assignment.team, assignment.dispatched_by) == (bay, team, dispatcher)
    event = RepairOrderEvent.objects.get(order=order, to_status=Status.DISPATCHED)
    assert (event.from_status, event.actor) == (Status.CONFIRMED, dispatcher)
    assert AuditEntry.objects.filter(object_id=str(assignment.pk), action="create").exists()


def test_more_assignments_while_dispatched_or_in_progress(dispatcher, order, bay, store_a):
    dispatch(dispatcher, order, bay=bay)
    paint = BayFactory(store=store_a, bay_type=BayType.PAINT, name="烤漆房")
    second = dispatch(
        dispatcher, order, bay_type=BayType.PAINT, bay=paint, planned_start=soon(3), planned_end=soon(7)
    )
    assert second.hours == Decimal("4.000")
    RepairOrder.objects.filter(pk=order.pk).update(status=Status.IN_PROGRESS)
    dispatch(dispatcher, order, bay_type=BayType.BODY, planned_start=soon(8), planned_end=soon(9), hours="1")
    order.refresh_from_db()
    assert order.status == Status.IN_PROGRESS and order.assignments.count() == 3
    assert RepairOrderEvent.objects.filter(order=order, to_status=Status.DISPATCHED).count() == 1


@pytest.mark.parametrize("status", [Status.DRAFT, Status.CHECKING, Status.READY, Status.CANCELLED])
def test_an_order_not_confirmed_dispatched_or_in_progress_is_refused(dispatcher, store_a, advisor, status):
    order = make_order(store_a, advisor, status=status)
    with pytest.raises(ApplicationError) as error:
        dispatch(dispatcher, order)
    assert error.value.code == "status"
    assert not Assignment.objects.exists()


def test_another_stores_bay_team_or_technician_is_refused(dispatcher, order, bay, store_b, make_staff):
    other_bay = BayFactory(store=store_b, name="外店工位")
    other_team = TeamFactory(store=store_b)
    other_tech = make_staff("technician", store_b)
    for changes, code in (
        ({"bay": other_bay}, "store"),
        ({"team": other_team}, "store"),
        ({"technicians": [other_tech]}, "technician"),
    ):
        with pytest.raises(ApplicationError) as error:
            dispatch(dispatcher, order, **changes)
        assert error.value.code == code
    order.refresh_from_db()
    assert order.status == Status.CONFIRMED and not Assignment.objects.exists()


def test_a_store_user_who_is_not_a_technician_is_refused(dispatcher, order, advisor):
    with pytest.raises(ApplicationError) as error:
        dispatch(dispatcher, order, technicians=[advisor])
    assert error.value.code == "technician"


def test_a_bay_of_another_type_is_refused(dispatcher, order, bay):
    with pytest.raises(ApplicationError) as error:
        dispatch(dispatcher, order, bay_type=BayType.PAINT, bay=bay)
    assert error.value.code == "bay_type"


def test_a_bay_planned_for_an_overlapping_time_is_refused_naming_the_order(
    dispatcher, order, bay, store_a, advisor
):
    other = make_order(store_a, advisor, number="WXBJ01000777")
    dispatch(dispatcher, other, bay=bay, planned_start=soon(1), planned_end=soon(3))
    with pytest.raises(ApplicationError) as error:
        dispatch(dispatcher, order, bay=bay, planned_start=soon(2), planned_end=soon(4))
    assert error.value.code == "bay_taken" and "WXBJ01000777" in str(error.value.message)
    order.refresh_from_db()
    assert order.status == Status.CONFIRMED and not order.assignments.exists()
    # Back to back is fine; so is a bay whose earlier car is ready.
    dispatch(dispatcher, order, bay=bay, planned_start=soon(3), planned_end=soon(4))
    RepairOrder.objects.filter(pk=other.pk).update(status=Status.READY)
    third = make_order(store_a, advisor)
    dispatch(dispatcher, third, bay=bay, planned_start=soon(1), planned_end=soon(2))


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        (2, 1, "planned_end"),
        (2, 2, "planned_end"),
        (-24, -23, "planned_start"),
        (1, 24 * 40, "planned_end"),
    ],
)
def test_bad_times_are_refused(dispatcher, order, start, end, field):
    with pytest.raises(ApplicationError) as error:
        dispatch(dispatcher, order, planned_start=soon(start), planned_end=soon(end))
    assert error.value.field == field
    assert not Assignment.objects.exists()


def test_negative_hours_are_refused(dispatcher, order):
    with pytest.raises(ApplicationError) as error:
        dispatch(dispatcher, order, hours="-1")
    assert error.value.code == "hours"


def test_a_role_without_dispatch_is_refused(order, tech):
    with pytest.raises(ApplicationError) as error:
        dispatch(tech, order)
    assert error.value.code == "permission"


def test_store_technicians_are_technicians_and_team_leaders_of_the_store(
    store_a, store_b, make_staff, tech, advisor
):
    leader = make_staff("team_leader", store_a)
    make_staff("technician", store_b)
    assert set(services.store_technicians(store_a)) == {tech, leader}


def test_taking_back_the_only_assignment_returns_the_order_to_confirmed(dispatcher, order, bay):
    assignment = dispatch(dispatcher, order, bay=bay)
    services.assignment_remove(actor=dispatcher, assignment=assignment)
    order.refresh_from_db()
    assert order.status == Status.CONFIRMED and not order.assignments.exists()
    assert RepairOrderEvent.objects.filter(order=order, from_status=Status.DISPATCHED).exists()


def test_a_started_assignment_cannot_be_taken_back(dispatcher, order, tech):
    assignment = dispatch(dispatcher, order, technicians=[tech])
    TimeEntryFactory(order=order, technician=tech)
    with pytest.raises(ApplicationError) as error:
        services.assignment_remove(actor=dispatcher, assignment=assignment)
    assert error.value.code == "started"
    assert Assignment.objects.filter(pk=assignment.pk).exists()


def test_priority_set_and_refused(dispatcher, order, tech):
    services.order_priority_set(actor=dispatcher, order=order, priority="2")
    order.refresh_from_db()
    assert order.priority == RepairOrder.Priority.WAITING
    for actor, value, code in (
        (dispatcher, "9", "priority"),
        (dispatcher, "x", "priority"),
        (tech, "1", "permission"),
    ):
        with pytest.raises(ApplicationError) as error:
            services.order_priority_set(actor=actor, order=order, priority=value)
        assert error.value.code == code
    order.refresh_from_db()
    assert order.priority == RepairOrder.Priority.WAITING


def test_team_save_creates_and_changes_teams(dispatcher, store_a, tech, make_staff, advisor):
    leader = make_staff("team_leader", store_a)
    team = services.team_save(
        actor=dispatcher, store=store_a, name=" 机修一组 ", leader=leader, members=[tech]
    )
    assert team.name == "机修一组" and set(team.members.all()) == {leader, tech}
    with pytest.raises(ApplicationError) as error:
        services.team_save(actor=dispatcher, store=store_a, name="机修一组")
    assert error.value.code == "duplicate"
    with pytest.raises(ApplicationError) as error:
        services.team_save(actor=dispatcher, store=store_a, name="二组", members=[advisor])
    assert error.value.code == "technician"
    services.team_save(
        actor=dispatcher, store=store_a, team=team, name="机修一组", members=[tech], is_active=False
    )
    team.refresh_from_db()
    assert team.leader is None and not team.is_active and list(team.members.all()) == [tech]
    assert Team.objects.count() == 1


# --- pages ------------------------------------------------------------------------------------


def form_data(**changes) -> dict:
    data = {
        "bay_type": BayType.MAINTENANCE,
        "planned_start": timezone.localtime(soon(1)).strftime("%Y-%m-%dT%H:%M"),
        "hours": "1.5",
        "planned_end": "",
    }
    data.update(changes)
    return data


def test_the_dispatcher_dispatches_through_the_page(dispatcher, order, bay, tech, login):
    client = login(dispatcher)
    url = reverse("workshop:dispatch", args=[order.pk])
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="dispatch-form"' in html and f'value="{bay.pk}" selected' in html  # the free bay proposed
    response = client.post(url, form_data(bay=bay.pk, technicians=[tech.pk]))
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == Status.DISPATCHED
    assignment = order.assignments.get()
    assert assignment.bay == bay and list(assignment.technicians.all()) == [tech]
    assert assignment.planned_end - assignment.planned_start == datetime.timedelta(minutes=90)


def test_bad_input_on_the_page_changes_nothing(dispatcher, order, bay, store_b, login):
    client = login(dispatcher)
    url = reverse("workshop:dispatch", args=[order.pk])
    start = timezone.localtime(soon(3)).strftime("%Y-%m-%dT%H:%M")
    before = timezone.localtime(soon(2)).strftime("%Y-%m-%dT%H:%M")
    other_bay = BayFactory(store=store_b, name="外店工位")
    for data in (
        form_data(planned_start=start, planned_end=before),
        form_data(bay=other_bay.pk),
        form_data(planned_start="tomorrow"),
        form_data(bay_type="rocket"),
    ):
        response = client.post(url, data)
        assert response.status_code == 400
    order.refresh_from_db()
    assert order.status == Status.CONFIRMED and not Assignment.objects.exists()


def test_a_taken_bay_is_shown_and_refused_on_the_page(dispatcher, order, bay, store_a, advisor, login):
    other = make_order(store_a, advisor, number="WXBJ01000888")
    AssignmentFactory(order=other, bay=bay, planned_start=soon(0.5), planned_end=soon(3))
    RepairOrder.objects.filter(pk=other.pk).update(status=Status.DISPATCHED)
    client = login(dispatcher)
    url = reverse("workshop:dispatch", args=[order.pk])
    partial = client.get(
        url,
        form_data(),
        headers={"HX-Request": "true", "HX-Target": "bay-choices"},
    ).content.decode()
    assert partial.lstrip().startswith('<div id="bay-choices"') and "WXBJ01000888" in partial
    assert 'data-free="0"' in partial
    response = client.post(url, form_data(bay=bay.pk))
    assert response.status_code == 400 and "WXBJ01000888" in response.content.decode()
    assert not order.assignments.exists()


def test_dispatch_pages_need_the_dispatch_permission(order, bay, tech, login):
    client = login(tech)
    assert client.get(reverse("workshop:dispatch_list")).status_code == 403
    assert client.get(reverse("workshop:dispatch", args=[order.pk])).status_code == 403
    assert client.post(reverse("workshop:dispatch", args=[order.pk]), form_data()).status_code == 403
    assert (
        client.post(reverse("workshop:order_priority", args=[order.pk]), {"priority": "2"}).status_code == 403
    )
    assert client.get(reverse("workshop:teams")).status_code == 403
    order.refresh_from_db()
    assert order.status == Status.CONFIRMED and order.priority == 0


def test_another_stores_dispatcher_gets_404(dispatcher, order, bay, store_a, store_b, make_staff, login):
    assignment = dispatch(dispatcher, order, bay=bay)
    team = TeamFactory(store=store_a)
    client = login(make_staff("dispatcher", store_b))
    assert client.get(reverse("workshop:dispatch", args=[order.pk])).status_code == 404
    assert client.post(reverse("workshop:dispatch", args=[order.pk]), form_data()).status_code == 404
    assert client.post(reverse("workshop:assignment_remove", args=[assignment.pk])).status_code == 404
    assert (
        client.post(reverse("workshop:order_priority", args=[order.pk]), {"priority": "2"}).status_code == 404
    )
    assert client.get(reverse("workshop:team_edit", args=[team.pk])).status_code == 404
    assert Assignment.objects.filter(pk=assignment.pk).exists()


def test_remove_and_priority_through_the_pages(dispatcher, order, bay, login):
    assignment = dispatch(dispatcher, order, bay=bay)
    client = login(dispatcher)
    assert client.get(reverse("workshop:assignment_remove", args=[assignment.pk])).status_code == 405
    response = client.post(reverse("workshop:assignment_remove", args=[assignment.pk]))
    assert response.status_code == 302 and not Assignment.objects.exists()
    response = client.post(
        reverse("workshop:order_priority", args=[order.pk]), {"priority": "1", "next": "list"}
    )
    assert response.status_code == 302 and response.url == reverse("workshop:dispatch_list")
    order.refresh_from_db()
    assert order.status == Status.CONFIRMED and order.priority == 1


def test_the_dispatch_list_in_fixed_queries(
    dispatcher, store_a, advisor, bay, login, django_assert_num_queries
):
    def add_orders(n: int, offset: int) -> None:
        for i in range(n):
            waiting = make_order(store_a, advisor, number=f"WXW{offset + i:05d}")
            OrderLabourFactory(order=waiting, bay_type=BayType.BODY, hours=Decimal("2"))
            dispatched = make_order(store_a, advisor, number=f"WXD{offset + i:05d}")
            dispatch(dispatcher, dispatched, planned_start=soon(1 + i), planned_end=soon(1.5 + i))

    client = login(dispatcher)
    url = reverse("workshop:dispatch_list")
    add_orders(2, 0)
    client.get(url)

    def count() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    few = count()
    add_orders(10, 100)
    with django_assert_num_queries(few):
        page = client.get(url).content.decode()
    assert 'data-order="WXW00109"' in page and 'data-order="WXD00109"' in page
    assert page.count("data-dispatch-link") == 12


def test_the_teams_page_creates_and_edits(dispatcher, store_a, tech, login):
    client = login(dispatcher)
    response = client.post(
        reverse("workshop:teams"), {"name": "钣金组", "members": [tech.pk], "is_active": "on"}
    )
    assert response.status_code == 302
    team = Team.objects.get(store=store_a)
    assert list(team.members.all()) == [tech]
    assert client.post(reverse("workshop:teams"), {"name": ""}).status_code == 400
    assert client.post(reverse("workshop:teams"), {"name": "钣金组"}).status_code == 400
    response = client.post(
        reverse("workshop:team_edit", args=[team.pk]), {"name": "钣喷组", "leader": tech.pk}
    )
    assert response.status_code == 302
    team.refresh_from_db()
    assert team.name == "钣喷组" and team.leader == tech and not team.is_active
    assert "钣喷组" in client.get(reverse("workshop:teams")).content.decode()
