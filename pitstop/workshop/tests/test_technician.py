"""The technician's tablet (F-4.3, F-4.8): clocking on and off (the first clock starts the job,
one open clock per technician, waiting jobs refused), hours clocked against hours charged,
waiting for parts or approval and resuming, labour done, findings with photos as pending add-on
work; the pages with their permissions (a role without the right 403, another store 404)."""

import datetime
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from pitstop.core.exceptions import ApplicationError
from pitstop.customers.tests.factories import CustomerFactory, VehicleFactory
from pitstop.parts.tests.factories import PartFactory
from pitstop.service.models import (
    Approval,
    BayType,
    Finding,
    OrderLabour,
    OrderPart,
    OrderPhoto,
    RepairOrder,
    RepairOrderEvent,
)
from pitstop.service.tests.factories import (
    LabourOperationFactory,
    OrderLabourFactory,
    OrderPartFactory,
    RepairOrderFactory,
    StoreWorkshopFactory,
)
from pitstop.workshop import technician as services
from pitstop.workshop.models import TimeEntry

from .factories import AssignmentFactory, TimeEntryFactory

pytestmark = pytest.mark.django_db
Status = RepairOrder.Status


def make_order(store, advisor, status=Status.DISPATCHED, technicians=(), plate=None, **fields) -> RepairOrder:
    vehicle_fields = {"plate": plate} if plate else {}
    vehicle = VehicleFactory(owner=CustomerFactory(store=store), **vehicle_fields)
    order = RepairOrderFactory(vehicle=vehicle, advisor=advisor, status=status, **fields)
    if technicians:
        AssignmentFactory(order=order, technicians=list(technicians))
    return order


def png(name: str = "wear.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


@pytest.fixture
def tech(make_staff, store_a):
    return make_staff("technician", store_a, full_name="王师傅")


@pytest.fixture
def tech2(make_staff, store_a):
    return make_staff("technician", store_a, full_name="李师傅")


@pytest.fixture
def order(store_a, advisor, tech):
    StoreWorkshopFactory(store=store_a)
    order = make_order(store_a, advisor, technicians=[tech], plate="京A10001")
    OrderLabourFactory(order=order, hours=Decimal("2.000"))
    return order


# ---------------------------------------------------------------- clock


def test_first_clock_on_starts_the_job_and_writes_the_event(order, tech):
    entry = services.clock_on(actor=tech, order=order)
    order.refresh_from_db()
    assert order.status == Status.IN_PROGRESS and order.started_at is not None
    assert entry.ended_at is None and entry.technician == tech
    event = RepairOrderEvent.objects.get(order=order, to_status=Status.IN_PROGRESS)
    assert event.from_status == Status.DISPATCHED and event.actor == tech


def test_clocking_on_another_job_clocks_off_the_open_one(order, tech, store_a, advisor):
    other = make_order(store_a, advisor, status=Status.IN_PROGRESS, technicians=[tech])
    start = timezone.now() - datetime.timedelta(minutes=90)
    first = services.clock_on(actor=tech, order=order, now=start)
    second = services.clock_on(actor=tech, order=other, now=start + datetime.timedelta(minutes=45))
    first.refresh_from_db()
    assert first.ended_at == start + datetime.timedelta(minutes=45)
    assert first.hours == Decimal("0.750")
    assert TimeEntry.objects.filter(technician=tech, ended_at__isnull=True).get() == second


def test_a_second_tap_keeps_the_running_clock(order, tech):
    first = services.clock_on(actor=tech, order=order)
    assert services.clock_on(actor=tech, order=order) == first
    assert TimeEntry.objects.count() == 1


def test_two_technicians_clock_on_the_same_job(order, tech, tech2):
    services.clock_on(actor=tech, order=order)
    services.clock_on(actor=tech2, order=order)
    assert TimeEntry.objects.filter(order=order, ended_at__isnull=True).count() == 2


@pytest.mark.parametrize(
    "status", [Status.WAITING_PARTS, Status.WAITING_APPROVAL, Status.CONFIRMED, Status.CHECKING]
)
def test_clock_on_is_refused_while_the_job_cannot_be_worked(order, tech, status):
    RepairOrder.objects.filter(pk=order.pk).update(status=status)
    order.refresh_from_db()
    with pytest.raises(ApplicationError) as error:
        services.clock_on(actor=tech, order=order)
    assert error.value.code == "state" and order.number in str(error.value.message)
    assert not TimeEntry.objects.exists()


def test_clock_on_needs_the_work_right_in_the_orders_store(order, advisor, make_staff, store_b):
    for user in (advisor, make_staff("technician", store_b)):
        with pytest.raises(ApplicationError) as error:
            services.clock_on(actor=user, order=order)
        assert error.value.code == "permission"
    order.refresh_from_db()
    assert order.status == Status.DISPATCHED and not TimeEntry.objects.exists()


def test_clock_off_stores_the_hours_with_three_places(order, tech):
    start = timezone.now() - datetime.timedelta(minutes=100)
    services.clock_on(actor=tech, order=order, now=start)
    entry = services.clock_off(actor=tech, now=start + datetime.timedelta(minutes=100))
    assert entry.hours == Decimal("1.667") and entry.ended_at is not None
    assert services.clock_off(actor=tech) is None


# ---------------------------------------------------------------- hours clocked against charged


def test_time_summary_shares_the_charged_hours_by_the_time_clocked(order, tech, tech2):
    OrderLabourFactory(order=order, hours=Decimal("1.000"), is_addon=True, approval=Approval.PENDING)
    now = timezone.now()
    TimeEntryFactory(order=order, technician=tech, hours=Decimal("1.000"))
    TimeEntryFactory(order=order, technician=tech2, hours=Decimal("3.000"))
    summary = services.time_summary(order, now=now)
    assert summary.charged == Decimal("2.000")  # the pending add-on does not count
    assert summary.clocked == Decimal("4.000") and summary.efficiency == Decimal("50")
    rows = {row.technician: row for row in summary.rows}
    assert rows[tech].charged == Decimal("0.500") and rows[tech2].charged == Decimal("1.500")


def test_a_running_clock_counts_to_now(order, tech):
    now = timezone.now()
    TimeEntryFactory(
        order=order, technician=tech, started_at=now - datetime.timedelta(minutes=30), ended_at=None
    )
    summary = services.time_summary(order, now=now)
    assert summary.clocked == Decimal("0.500") and summary.rows[0].running


def test_time_report_per_technician_in_the_period(order, tech, tech2, store_a, advisor, manager):
    now = timezone.now()
    TimeEntryFactory(order=order, technician=tech, hours=Decimal("1.000"))
    TimeEntryFactory(order=order, technician=tech2, hours=Decimal("1.000"))
    old = make_order(store_a, advisor, status=Status.READY, hours_total=Decimal("5.000"))
    TimeEntryFactory(
        order=old,
        technician=tech,
        started_at=now - datetime.timedelta(days=40),
        ended_at=now - datetime.timedelta(days=40) + datetime.timedelta(hours=2),
        hours=Decimal("2.000"),
    )
    RepairOrder.objects.filter(pk=order.pk).update(hours_total=Decimal("2.000"))
    today = timezone.localdate()
    report = services.time_report(user=manager, store=store_a, first=today, last=today)
    rows = {row.technician: row for row in report.rows}
    assert rows[tech].clocked == Decimal("1.000") and rows[tech].charged == Decimal("1.000")
    assert rows[tech].efficiency == Decimal("100")
    assert report.clocked == Decimal("2.000") and report.charged == Decimal("2.000")


# ---------------------------------------------------------------- waiting and resuming


def test_waiting_for_parts_stops_the_clocks_and_resume_goes_back(order, tech, tech2):
    services.clock_on(actor=tech, order=order)
    services.clock_on(actor=tech2, order=order)
    services.job_wait_for_parts(actor=tech, order=order, note="等刹车片")
    order.refresh_from_db()
    assert order.status == Status.WAITING_PARTS
    assert not TimeEntry.objects.filter(order=order, ended_at__isnull=True).exists()
    services.job_resume(actor=tech, order=order)
    order.refresh_from_db()
    assert order.status == Status.IN_PROGRESS


def test_waiting_for_approval_needs_pending_add_on_work(order, tech):
    services.clock_on(actor=tech, order=order)
    with pytest.raises(ApplicationError) as error:
        services.job_wait_for_approval(actor=tech, order=order)
    assert error.value.code == "nothing_pending"
    OrderPartFactory(order=order, is_addon=True, approval=Approval.PENDING)
    services.job_wait_for_approval(actor=tech, order=order)
    order.refresh_from_db()
    assert order.status == Status.WAITING_APPROVAL
    with pytest.raises(ApplicationError) as error:
        services.job_resume(actor=tech, order=order)
    assert error.value.code == "pending"


def test_a_move_the_state_does_not_allow_is_refused(order, tech):
    with pytest.raises(ApplicationError) as error:
        services.job_wait_for_parts(actor=tech, order=order)  # still dispatched
    assert error.value.code == "transition"


def test_labour_done_only_on_approved_lines_of_a_job_being_worked(order, tech):
    line = order.labour_lines.get()
    with pytest.raises(ApplicationError) as error:
        services.labour_line_done(actor=tech, order=order, line_id=line.pk)
    assert error.value.code == "state"
    services.clock_on(actor=tech, order=order)
    services.labour_line_done(actor=tech, order=order, line_id=line.pk)
    line.refresh_from_db()
    assert line.done
    pending = OrderLabourFactory(order=order, is_addon=True, approval=Approval.PENDING)
    with pytest.raises(ApplicationError) as error:
        services.labour_line_done(actor=tech, order=order, line_id=pending.pk)
    assert error.value.code == "not_approved"


# ---------------------------------------------------------------- findings


@pytest.fixture
def working(order, tech):
    services.clock_on(actor=tech, order=order)
    order.refresh_from_db()
    return order


def test_a_finding_proposes_pending_add_on_lines_with_photos(working, tech):
    operation = LabourOperationFactory(
        name="更换前刹车片", standard_hours=Decimal("1.200"), bay_type=BayType.MAINTENANCE
    )
    part = PartFactory(name="前刹车片", sale_price=Decimal("380.00"))
    finding = services.finding_report(
        actor=tech,
        order=working,
        description="前刹车片剩余2mm",
        extra_hours="1.5",
        labour=[{"operation": operation}, {"name": "清洁制动卡钳", "hours": Decimal("0.5")}],
        parts=[{"part": part, "quantity": Decimal("1")}],
        photos=[png()],
        wait_for_approval=True,
    )
    assert finding.extra_hours == Decimal("1.500") and finding.reported_by == tech
    labour = OrderLabour.objects.filter(finding=finding)
    assert labour.count() == 2 and all(line.is_addon and line.approval == Approval.PENDING for line in labour)
    line = OrderPart.objects.get(finding=finding)
    assert line.is_addon and line.approval == Approval.PENDING and line.part == part
    photo = OrderPhoto.objects.get(finding=finding)
    assert photo.kind == OrderPhoto.Kind.FINDING and photo.order == working
    working.refresh_from_db()
    assert working.status == Status.WAITING_APPROVAL
    assert working.hours_total == Decimal("2.000")  # pending add-ons are not charged yet


def test_a_finding_without_waiting_keeps_the_job_going(working, tech):
    services.finding_report(
        actor=tech,
        order=working,
        description="右后轮胎纹深3mm",
        labour=[{"name": "轮胎换位", "hours": "0.3"}],
    )
    working.refresh_from_db()
    assert working.status == Status.IN_PROGRESS


@pytest.mark.parametrize(
    "kwargs, code",
    [
        ({"description": "  "}, "required"),
        ({"description": "漏油", "photos": [SimpleUploadedFile("x.jpg", b"not a picture")]}, "photo"),
        ({"description": "漏油", "extra_hours": "-1"}, "invalid"),
    ],
)
def test_a_bad_finding_changes_nothing(working, tech, kwargs, code):
    with pytest.raises(ApplicationError) as error:
        services.finding_report(actor=tech, order=working, labour=[{"name": "检查", "hours": "1"}], **kwargs)
    assert error.value.code == code
    assert not Finding.objects.exists() and not OrderLabour.objects.filter(is_addon=True).exists()
    assert not OrderPhoto.objects.exists()


def test_a_finding_only_while_the_job_is_worked(order, tech, advisor):
    with pytest.raises(ApplicationError) as error:
        services.finding_report(actor=tech, order=order, description="漏油")  # dispatched
    assert error.value.code == "state"
    with pytest.raises(ApplicationError) as error:
        services.finding_report(actor=advisor, order=order, description="漏油")
    assert error.value.code == "permission"
    assert not Finding.objects.exists()


# ---------------------------------------------------------------- pages


def test_my_jobs_shows_my_assigned_jobs_in_fixed_queries(
    login, tech, tech2, store_a, advisor, order, django_assert_max_num_queries
):
    for n in range(8):
        make_order(store_a, advisor, technicians=[tech], plate=f"京B2000{n}")
    make_order(store_a, advisor, technicians=[tech2], plate="京C30000")
    make_order(store_a, advisor, status=Status.READY, technicians=[tech], plate="京D40000")
    client = login(tech)
    client.get(reverse("workshop:my_jobs"))
    with django_assert_max_num_queries(14):
        response = client.get(reverse("workshop:my_jobs"))
    content = response.content.decode()
    assert response.status_code == 200
    assert "京A10001" in content and "京B20007" in content
    assert "京C30000" not in content and "京D40000" not in content
    assert content.count("data-clock-on=") == 9


def test_my_jobs_needs_the_work_right(login, advisor):
    assert login(advisor).get(reverse("workshop:my_jobs")).status_code == 403


def test_clock_on_and_off_from_the_tablet(login, tech, order):
    client = login(tech)
    assert client.get(reverse("workshop:job_clock_on", args=[order.pk])).status_code == 405
    response = client.post(
        reverse("workshop:job_clock_on", args=[order.pk]), {"next": reverse("workshop:my_jobs")}
    )
    assert response.status_code == 302 and response["Location"] == reverse("workshop:my_jobs")
    order.refresh_from_db()
    assert order.status == Status.IN_PROGRESS
    page = client.get(reverse("workshop:my_jobs")).content.decode()
    assert 'id="running-clock"' in page and "data-clock-since" in page
    client.post(reverse("workshop:clock_off"))
    assert TimeEntry.objects.get().ended_at is not None


def test_a_refused_clock_on_shows_the_message_and_changes_nothing(login, tech, order):
    RepairOrder.objects.filter(pk=order.pk).update(status=Status.WAITING_PARTS)
    response = login(tech).post(reverse("workshop:job_clock_on", args=[order.pk]), follow=True)
    assert response.status_code == 200 and b"alert-danger" in response.content
    assert not TimeEntry.objects.exists()


def test_another_stores_job_is_404(login, make_staff, store_b, order):
    client = login(make_staff("technician", store_b))
    assert client.get(reverse("workshop:job", args=[order.pk])).status_code == 404
    assert client.post(reverse("workshop:job_clock_on", args=[order.pk])).status_code == 404
    assert (
        client.post(reverse("workshop:job_finding", args=[order.pk]), {"description": "x"}).status_code == 404
    )
    assert (
        client.post(reverse("workshop:job_status", args=[order.pk]), {"to": "waiting_parts"}).status_code
        == 404
    )
    assert not TimeEntry.objects.exists()


def test_the_advisor_reads_the_job_without_its_buttons(login, advisor, order, django_assert_max_num_queries):
    client = login(advisor)
    with django_assert_max_num_queries(20):
        response = client.get(reverse("workshop:job", args=[order.pk]))
    assert response.status_code == 200
    assert b'id="clock-on"' not in response.content and b"data-labour=" in response.content
    assert client.post(reverse("workshop:job_clock_on", args=[order.pk])).status_code == 403


def test_the_job_page_offers_the_clock_and_the_finding(login, tech, order):
    client = login(tech)
    content = client.get(reverse("workshop:job", args=[order.pk])).content.decode()
    assert 'id="clock-on"' in content and 'id="report-finding"' not in content
    client.post(reverse("workshop:job_clock_on", args=[order.pk]))
    content = client.get(reverse("workshop:job", args=[order.pk])).content.decode()
    assert 'id="clock-off"' in content and 'id="report-finding"' in content and 'id="wait-parts"' in content


def test_job_status_buttons(login, tech, order):
    client = login(tech)
    client.post(reverse("workshop:job_clock_on", args=[order.pk]))
    client.post(reverse("workshop:job_status", args=[order.pk]), {"to": "waiting_parts"})
    order.refresh_from_db()
    assert order.status == Status.WAITING_PARTS
    client.post(reverse("workshop:job_status", args=[order.pk]), {"to": "checking"})  # not offered here
    order.refresh_from_db()
    assert order.status == Status.WAITING_PARTS
    client.post(reverse("workshop:job_status", args=[order.pk]), {"to": "in_progress"})
    order.refresh_from_db()
    assert order.status == Status.IN_PROGRESS


def test_report_a_finding_from_the_tablet(login, tech, working):
    operation = LabourOperationFactory(code="BRK01", name="更换前刹车片", standard_hours=Decimal("1.000"))
    part = PartFactory(code="BP-380", name="前刹车片")
    client = login(tech)
    assert client.get(reverse("workshop:job_finding", args=[working.pk])).status_code == 200
    response = client.post(
        reverse("workshop:job_finding", args=[working.pk]),
        {
            "description": "前刹车片磨损到极限",
            "extra_hours": "1",
            "labour_0": "brk01",
            "part_0": "BP-380",
            "part_qty_0": "2",
            "wait_for_approval": "on",
            "photos": [png("a.png"), png("b.png")],
        },
    )
    assert response.status_code == 302
    finding = Finding.objects.get()
    assert OrderLabour.objects.get(finding=finding).operation == operation
    assert OrderPart.objects.get(finding=finding).quantity == Decimal("2.000")
    assert OrderPart.objects.get(finding=finding).part == part
    assert OrderPhoto.objects.filter(finding=finding).count() == 2
    working.refresh_from_db()
    assert working.status == Status.WAITING_APPROVAL
    content = client.get(reverse("workshop:job", args=[working.pk])).content.decode()
    assert f'data-finding="{finding.pk}"' in content and "data-photo=" in content


def test_a_bad_finding_form_shows_the_errors_and_saves_nothing(login, tech, working):
    response = login(tech).post(
        reverse("workshop:job_finding", args=[working.pk]),
        {"description": "异响", "labour_0": "不在目录里的工作", "part_0": "NO-SUCH-PART"},
    )
    assert response.status_code == 400 and b"alert-danger" in response.content
    assert not Finding.objects.exists()


def test_lookup_suggests_catalogue_labour_and_parts(login, tech, order):
    LabourOperationFactory(code="BRK01", name="更换前刹车片")
    PartFactory(code="BP-380", name="前刹车片")
    client = login(tech)
    url = reverse("workshop:job_lookup", args=[order.pk])
    labour = client.get(url, {"kind": "labour", "target": "labour_0", "labour_0": "刹车"}).content.decode()
    assert 'data-fill-value="BRK01"' in labour and 'data-fill-target="labour_0"' in labour
    part = client.get(url, {"kind": "part", "target": "part_0", "part_0": "BP"}).content.decode()
    assert 'data-fill-value="BP-380"' in part


def test_time_report_page(login, manager, make_staff, store_a, order, tech):
    TimeEntryFactory(order=order, technician=tech, hours=Decimal("1.000"))
    response = login(manager).get(reverse("workshop:time_report"))
    assert response.status_code == 200 and f'data-technician="{tech.pk}"'.encode() in response.content
    assert login(make_staff("cashier", store_a)).get(reverse("workshop:time_report")).status_code == 403


def test_no_efficiency_before_a_tenth_of_an_hour(order, tech):
    TimeEntryFactory(order=order, technician=tech, hours=Decimal("0.050"))
    assert services.time_summary(order).efficiency is None


def test_who_may_stop_the_job_is_the_transition_services_rule(order, tech, make_staff, store_a):
    services.clock_on(actor=tech, order=order)
    with pytest.raises(ApplicationError) as error:
        services.job_wait_for_parts(actor=make_staff("cashier", store_a), order=order)
    assert error.value.code == "permission"
    services.job_wait_for_parts(actor=make_staff("dispatcher", store_a), order=order)
    order.refresh_from_db()
    assert order.status == Status.WAITING_PARTS
    assert not TimeEntry.objects.filter(ended_at__isnull=True).exists()
