"""Quality checks (F-4.5): the order of the stages and who records each, a failing item fails the
check, a failed team or final check is rework (back to in progress, reason, responsible,
penalty, hours lost, rework_count + 1) and the self and team checks are made again, the passed
final moves the job to washing or ready (the ready notice), and for the certified categories
the arrival and during inspections first and the certificate number. Pages: scoping (another
store 404, a role without the stage's permission 403), bad input changing nothing, fixed
query counts on the queue."""

import types
from decimal import Decimal

import pytest
from django.urls import reverse

import pitstop.workshop
from pitstop.core.exceptions import ApplicationError
from pitstop.customers.tests.factories import CustomerFactory, VehicleFactory
from pitstop.service.models import RepairCategory, RepairOrder, RepairOrderEvent
from pitstop.service.tests.factories import OrderLabourFactory, RepairOrderFactory
from pitstop.workshop.checks import CHECKLISTS, check_record, qc_queue, rework_stats
from pitstop.workshop.models import QualityCheck

pytestmark = pytest.mark.django_db
Status = RepairOrder.Status
Stage = QualityCheck.Stage


@pytest.fixture
def people(make_staff, store_a):
    return types.SimpleNamespace(
        store=store_a,
        advisor=make_staff("advisor", store_a, full_name="陈静"),
        tech=make_staff("technician", store_a, full_name="王师傅"),
        lead=make_staff("team_leader", store_a, full_name="李组长"),
        qc=make_staff("qc_inspector", store_a, full_name="赵质检"),
    )


def ready_notices() -> list[int]:
    """The orders whose owner got the ready notice (the outbox)."""
    from pitstop.messaging.models import OutboundMessage

    return list(OutboundMessage.objects.filter(kind="ready_notice").values_list("reference_id", flat=True))


def order_in(people, status=Status.IN_PROGRESS, **fields):
    vehicle = VehicleFactory(owner=CustomerFactory(store=people.store))
    return RepairOrderFactory(advisor=people.advisor, vehicle=vehicle, status=status, **fields)


def to_team(people, order):
    check_record(actor=people.tech, order=order, stage=Stage.SELF, passed=True)
    return check_record(actor=people.lead, order=order, stage=Stage.TEAM, passed=True)


def refused(code, **kwargs):
    with pytest.raises(ApplicationError) as error:
        check_record(**kwargs)
    assert error.value.code == code, error.value.message
    return error.value


# --- the order of the stages -------------------------------------------------------------------


def test_a_passed_self_check_moves_the_job_to_checking_with_the_event(people):
    order = order_in(people)
    check = check_record(actor=people.tech, order=order, stage=Stage.SELF, passed=True, note="完工")
    assert order.status == Status.CHECKING and check.passed and check.checked_by == people.tech
    assert check.results == {code: True for code, _label in CHECKLISTS[Stage.SELF]}
    event = RepairOrderEvent.objects.filter(order=order).latest("id")
    assert (event.from_status, event.to_status, event.actor) == (
        Status.IN_PROGRESS,
        Status.CHECKING,
        people.tech,
    )


def test_a_failed_self_check_keeps_the_job_in_progress(people):
    order = order_in(people)
    check_record(actor=people.tech, order=order, stage=Stage.SELF, passed=False, reason="机油液位偏低")
    order.refresh_from_db()
    assert order.status == Status.IN_PROGRESS and order.rework_count == 0


@pytest.mark.parametrize("status", [Status.DISPATCHED, Status.CHECKING, Status.WAITING_PARTS])
def test_the_self_check_only_while_in_progress(people, status):
    order = order_in(people, status)
    refused("state", actor=people.tech, order=order, stage=Stage.SELF, passed=True)
    assert not QualityCheck.objects.exists()


def test_the_team_check_waits_for_a_passed_self_check(people):
    order = order_in(people, Status.CHECKING)
    refused("order", actor=people.lead, order=order, stage=Stage.TEAM, passed=True)


def test_the_final_waits_for_the_team_check(people):
    order = order_in(people)
    check_record(actor=people.tech, order=order, stage=Stage.SELF, passed=True)
    refused("order", actor=people.qc, order=order, stage=Stage.FINAL, passed=True)
    check_record(actor=people.lead, order=order, stage=Stage.TEAM, passed=True)
    refused("done", actor=people.lead, order=order, stage=Stage.TEAM, passed=True)
    check_record(actor=people.qc, order=order, stage=Stage.FINAL, passed=True)
    assert order.status in (Status.WASHING, Status.READY)


@pytest.mark.parametrize(
    ("who", "stage", "status"),
    [
        ("tech", Stage.TEAM, Status.CHECKING),
        ("tech", Stage.FINAL, Status.CHECKING),
        ("lead", Stage.FINAL, Status.CHECKING),
        ("qc", Stage.SELF, Status.IN_PROGRESS),
        ("advisor", Stage.SELF, Status.IN_PROGRESS),
        ("lead", Stage.ARRIVAL, Status.CONFIRMED),
        ("tech", Stage.DURING, Status.IN_PROGRESS),
    ],
)
def test_each_stage_needs_its_permission(people, who, stage, status):
    order = order_in(people, status, repair_category=RepairCategory.LEVEL_2)
    refused("permission", actor=getattr(people, who), order=order, stage=stage, passed=True)
    assert not QualityCheck.objects.exists()


def test_a_user_of_another_store_cannot_record(people, make_staff, store_b):
    order = order_in(people)
    refused("permission", actor=make_staff("technician", store_b), order=order, stage=Stage.SELF, passed=True)


def test_an_unknown_stage_is_refused(people):
    refused("stage", actor=people.tech, order=order_in(people), stage="coffee", passed=True)


# --- the checklist -------------------------------------------------------------------------------


def test_a_failing_item_requires_the_check_to_fail(people):
    order = order_in(people)
    results = {code: True for code, _label in CHECKLISTS[Stage.SELF]} | {"no_leaks": False}
    refused("checklist", actor=people.tech, order=order, stage=Stage.SELF, passed=True, results=results)
    order.refresh_from_db()
    assert order.status == Status.IN_PROGRESS and not QualityCheck.objects.exists()
    check = check_record(
        actor=people.tech, order=order, stage=Stage.SELF, passed=False, results=results, reason="油底壳渗油"
    )
    assert check.results["no_leaks"] is False and not check.passed


def test_an_item_left_out_of_a_pass_and_an_unknown_item_are_refused(people):
    order = order_in(people)
    refused(
        "checklist",
        actor=people.tech,
        order=order,
        stage=Stage.SELF,
        passed=True,
        results={"work_done": True},
    )
    refused(
        "checklist", actor=people.tech, order=order, stage=Stage.SELF, passed=True, results={"coffee": True}
    )


# --- rework --------------------------------------------------------------------------------------


def test_a_failed_team_check_is_rework_and_the_checks_start_again(people):
    order = order_in(people)
    check_record(actor=people.tech, order=order, stage=Stage.SELF, passed=True)
    failed = check_record(
        actor=people.lead,
        order=order,
        stage=Stage.TEAM,
        passed=False,
        reason="轮胎螺栓未按扭矩紧固",
        responsible=people.tech,
        penalty="50",
        lost_hours="0.5",
    )
    assert order.status == Status.IN_PROGRESS and order.rework_count == 1
    assert (failed.responsible, failed.penalty, failed.lost_hours) == (
        people.tech,
        Decimal("50.00"),
        Decimal("0.500"),
    )
    event = RepairOrderEvent.objects.filter(order=order).latest("id")
    assert (event.to_status, event.note) == (Status.IN_PROGRESS, "轮胎螺栓未按扭矩紧固")
    # Back in progress: the team check waits for a new self-check.
    refused("state", actor=people.lead, order=order, stage=Stage.TEAM, passed=True)
    check_record(actor=people.tech, order=order, stage=Stage.SELF, passed=True)
    refused("order", actor=people.qc, order=order, stage=Stage.FINAL, passed=True)
    check_record(actor=people.lead, order=order, stage=Stage.TEAM, passed=True)
    assert order.status == Status.CHECKING


def test_a_failed_final_sends_the_job_back_and_the_team_checks_again(people):
    order = order_in(people)
    to_team(people, order)
    check_record(
        actor=people.qc,
        order=order,
        stage=Stage.FINAL,
        passed=False,
        reason="路试制动跑偏",
        responsible=people.tech,
        penalty=Decimal("100"),
        lost_hours=Decimal("1.5"),
    )
    assert order.status == Status.IN_PROGRESS and order.rework_count == 1
    check_record(actor=people.tech, order=order, stage=Stage.SELF, passed=True)
    refused("order", actor=people.qc, order=order, stage=Stage.FINAL, passed=True)
    check_record(actor=people.lead, order=order, stage=Stage.TEAM, passed=True)
    check_record(actor=people.qc, order=order, stage=Stage.FINAL, passed=True)
    order.refresh_from_db()
    assert order.status == Status.WASHING and order.rework_count == 1


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"reason": " "}, "reason"),
        ({"responsible": None}, "responsible"),
        ({"penalty": "-5"}, "penalty"),
        ({"penalty": "abc"}, "penalty"),
        ({"lost_hours": "-1"}, "lost_hours"),
    ],
)
def test_a_rework_needs_reason_responsible_and_sane_figures(people, changes, code):
    order = order_in(people)
    to_team(people, order)
    fields = {"reason": "漏油", "responsible": people.tech, "penalty": "20", "lost_hours": "1"} | changes
    refused(code, actor=people.qc, order=order, stage=Stage.FINAL, passed=False, **fields)
    order.refresh_from_db()
    assert order.status == Status.CHECKING and order.rework_count == 0
    assert not QualityCheck.objects.filter(stage=Stage.FINAL).exists()


def test_the_responsible_person_must_work_in_the_store(people, make_staff, store_b):
    order = order_in(people)
    to_team(people, order)
    elsewhere = make_staff("technician", store_b)
    refused(
        "responsible",
        actor=people.qc,
        order=order,
        stage=Stage.FINAL,
        passed=False,
        reason="x",
        responsible=elsewhere,
    )


# --- the passed final ---------------------------------------------------------------------------


def test_a_passed_final_goes_to_washing_for_a_free_wash_without_a_certificate(people):
    order = order_in(people, free_wash=True, repair_category=RepairCategory.MINOR)
    to_team(people, order)
    check_record(actor=people.qc, order=order, stage=Stage.FINAL, passed=True)
    order.refresh_from_db()
    assert order.status == Status.WASHING and order.certificate_no == ""
    assert ready_notices() == []


def test_a_passed_final_without_wash_is_ready_and_the_owner_told(people):
    order = order_in(people, free_wash=False, repair_category=RepairCategory.LEVEL_1)
    to_team(people, order)
    check_record(actor=people.qc, order=order, stage=Stage.FINAL, passed=True)
    order.refresh_from_db()
    assert order.status == Status.READY and order.ready_at is not None and order.certificate_no == ""
    assert ready_notices() == [order.pk]


@pytest.mark.parametrize(
    "category", [RepairCategory.LEVEL_2, RepairCategory.ASSEMBLY, RepairCategory.WHOLE_VEHICLE]
)
def test_certified_categories_need_arrival_and_during_then_get_the_certificate(people, category):
    order = order_in(people, Status.CONFIRMED, repair_category=category)
    refused("state", actor=people.qc, order=order, stage=Stage.DURING, passed=True)
    check_record(actor=people.qc, order=order, stage=Stage.ARRIVAL, passed=True)
    refused("done", actor=people.qc, order=order, stage=Stage.ARRIVAL, passed=True)
    RepairOrder.objects.filter(pk=order.pk).update(status=Status.IN_PROGRESS)
    order.refresh_from_db()
    to_team(people, order)
    # A failed final needs no inspections; a pass does.
    error = refused("inspections", actor=people.qc, order=order, stage=Stage.FINAL, passed=True)
    assert error.field == "stage"
    check_record(actor=people.qc, order=order, stage=Stage.DURING, passed=True)
    check_record(actor=people.qc, order=order, stage=Stage.FINAL, passed=True)
    order.refresh_from_db()
    assert order.certificate_no == "HGBJ01000001"
    assert order.status == (Status.WASHING if order.free_wash else Status.READY)


def test_a_failed_during_inspection_does_not_count(people):
    order = order_in(people, repair_category=RepairCategory.LEVEL_2)
    check_record(actor=people.qc, order=order, stage=Stage.ARRIVAL, passed=True)
    refused("reason", actor=people.qc, order=order, stage=Stage.DURING, passed=False)
    check_record(actor=people.qc, order=order, stage=Stage.DURING, passed=False, reason="制动管路未排气")
    order.refresh_from_db()
    assert order.status == Status.IN_PROGRESS and order.rework_count == 0
    to_team(people, order)
    refused("inspections", actor=people.qc, order=order, stage=Stage.FINAL, passed=True)


def test_non_certified_categories_need_no_inspections(people):
    order = order_in(people, repair_category=RepairCategory.SPECIAL)
    to_team(people, order)
    check_record(actor=people.qc, order=order, stage=Stage.FINAL, passed=True)
    assert order.certificate_no == ""


def test_without_the_progress_module_the_final_still_passes(people, monkeypatch):
    monkeypatch.setitem(__import__("sys").modules, "pitstop.workshop.progress", None)
    monkeypatch.delattr(pitstop.workshop, "progress", raising=False)
    order = order_in(people, free_wash=False)
    to_team(people, order)
    check_record(actor=people.qc, order=order, stage=Stage.FINAL, passed=True)
    assert order.status == Status.READY


# --- selectors -----------------------------------------------------------------------------------


def test_the_queue_shows_the_stage_due(people, store_a):
    waiting_team = order_in(people)
    check_record(actor=people.tech, order=waiting_team, stage=Stage.SELF, passed=True)
    waiting_final = order_in(people)
    to_team(people, waiting_final)
    needs_arrival = order_in(people, Status.DISPATCHED, repair_category=RepairCategory.LEVEL_2)
    order_in(people, Status.DISPATCHED)  # nothing due
    due = {order.pk: stage for order, _progress, stage in qc_queue(user=people.qc, store=store_a)}
    assert due == {
        waiting_team.pk: Stage.TEAM,
        waiting_final.pk: Stage.FINAL,
        needs_arrival.pk: Stage.ARRIVAL,
    }


def test_rework_statistics(people, store_a):
    import datetime

    from django.utils import timezone

    first_time = order_in(people)
    to_team(people, first_time)
    check_record(actor=people.qc, order=first_time, stage=Stage.FINAL, passed=True)
    reworked = order_in(people)
    to_team(people, reworked)
    check_record(
        actor=people.qc,
        order=reworked,
        stage=Stage.FINAL,
        passed=False,
        reason="异响",
        responsible=people.lead,
        penalty="80",
        lost_hours="2",
    )
    to_team(people, reworked)
    check_record(actor=people.qc, order=reworked, stage=Stage.FINAL, passed=True)
    today = timezone.localdate()
    stats = rework_stats(user=people.qc, store=store_a, first=today - datetime.timedelta(days=1), last=today)
    assert (
        len(stats.failed) == 1 and stats.penalty == Decimal("80.00") and stats.lost_hours == Decimal("2.000")
    )
    assert [(r.person, r.reworks) for r in stats.by_responsible] == [(people.lead, 1)]
    assert [(r.person, r.reworks) for r in stats.by_technician] == [(people.tech, 1)]
    assert (stats.finals_passed, stats.first_time, stats.first_time_rate) == (2, 1, Decimal("50.0"))


# --- pages ---------------------------------------------------------------------------------------


def test_the_order_checks_page(people, login, make_staff, store_b):
    order = order_in(people)
    to_team(people, order)
    response = login(people.qc).get(reverse("workshop:order_checks", args=[order.pk]))
    assert response.status_code == 200
    assert b'data-record="final"' in response.content and response.content.count(b"data-check=") == 2
    assert (
        login(make_staff("qc_inspector", store_b))
        .get(reverse("workshop:order_checks", args=[order.pk]))
        .status_code
        == 404
    )


def test_the_check_form_per_stage_permission(people, login, make_staff, store_b):
    order = order_in(people, Status.CHECKING)
    url = reverse("workshop:check_form", args=[order.pk, "final"])
    assert login(people.tech).get(url).status_code == 403
    assert login(make_staff("qc_inspector", store_b)).get(url).status_code == 404
    assert login(people.qc).get(reverse("workshop:check_form", args=[order.pk, "coffee"])).status_code == 404
    page = login(people.qc).get(url)
    assert page.status_code == 200 and b'id="stage-refused"' in page.content  # the team check is missing


def test_a_final_failed_through_the_page(people, login):
    order = order_in(people)
    to_team(people, order)
    url = reverse("workshop:check_form", args=[order.pk, "final"])
    items = [code for code, _label in CHECKLISTS[Stage.FINAL] if code != "road_test"]
    data = {
        "result": "fail",
        "item": items,
        "reason": "路试制动跑偏",
        "responsible": people.tech.pk,
        "penalty": "100",
        "lost_hours": "1.5",
    }
    client = login(people.qc)
    # Bad input: no reason. Nothing changes.
    response = client.post(url, data | {"reason": ""})
    assert response.status_code == 400
    order.refresh_from_db()
    assert order.status == Status.CHECKING and not QualityCheck.objects.filter(stage="final").exists()
    # A pass with an item unticked is refused too.
    assert client.post(url, data | {"result": "pass"}).status_code == 400
    response = client.post(url, data)
    assert response.status_code == 302
    order.refresh_from_db()
    check = QualityCheck.objects.get(stage="final")
    assert order.status == Status.IN_PROGRESS and order.rework_count == 1
    assert check.results["road_test"] is False and check.penalty == Decimal("100.00")
    assert check.responsible == people.tech and check.lost_hours == Decimal("1.500")


def test_a_self_check_passed_through_the_page(people, login):
    order = order_in(people)
    items = [code for code, _label in CHECKLISTS[Stage.SELF]]
    response = login(people.tech).post(
        reverse("workshop:check_form", args=[order.pk, "self"]), {"result": "pass", "item": items}
    )
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == Status.CHECKING


def test_the_queue_page_has_a_fixed_number_of_queries(people, login, store_a, django_assert_max_num_queries):
    for _n in range(6):
        order = order_in(people, repair_category=RepairCategory.LEVEL_2)
        to_team(people, order)
    client = login(people.qc)
    client.get(reverse("workshop:qc_queue"))  # warm the session and permissions
    with django_assert_max_num_queries(12):
        response = client.get(reverse("workshop:qc_queue"))
    assert response.content.count(b"data-order=") == 6
    partial = client.get(
        reverse("workshop:qc_queue"), headers={"HX-Request": "true", "HX-Target": "qc-queue"}
    )
    assert partial.status_code == 200 and b"<html" not in partial.content


def test_the_queue_and_report_need_the_permission(people, login, make_staff, store_a):
    cashier = make_staff("cashier", store_a)
    assert login(cashier).get(reverse("workshop:qc_queue")).status_code == 403
    assert login(cashier).get(reverse("workshop:rework_report")).status_code == 403
    response = login(people.qc).get(reverse("workshop:rework_report"), {"from": "2024-01-01", "to": "bad"})
    assert response.status_code == 200


def test_sheet_and_certificate(people, login, make_staff, store_b):
    order = order_in(people, repair_category=RepairCategory.LEVEL_2, free_wash=False, mileage=45678)
    OrderLabourFactory(order=order, name="二级维护")
    client = login(people.qc)
    assert client.get(reverse("workshop:certificate_print", args=[order.pk])).status_code == 404
    check_record(actor=people.qc, order=order, stage=Stage.ARRIVAL, passed=True)
    check_record(actor=people.qc, order=order, stage=Stage.DURING, passed=True)
    to_team(people, order)
    check_record(actor=people.qc, order=order, stage=Stage.FINAL, passed=True)
    sheet = client.get(reverse("workshop:qc_print", args=[order.pk]))
    assert sheet.status_code == 200 and sheet.content.count(b"data-section=") == 5
    certificate = client.get(reverse("workshop:certificate_print", args=[order.pk]))
    content = certificate.content.decode()
    assert certificate.status_code == 200
    assert "HGBJ01000001" in content and order.vehicle.plate in content and order.vehicle.vin in content
    assert "二级维护" in content and "45678" in content and 'data-guarantee-km="5000"' in content
    assert "赵质检" in content
    other = login(make_staff("qc_inspector", store_b))
    assert other.get(reverse("workshop:certificate_print", args=[order.pk])).status_code == 404
    assert other.get(reverse("workshop:qc_print", args=[order.pk])).status_code == 404
