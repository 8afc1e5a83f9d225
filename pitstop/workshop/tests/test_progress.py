"""The advisor's follow-up (F-4.4, F-4.6): progress checks at a share of the planned time, late
jobs, confirming a delay (SMS, new promised time, task closed, history), the washing queue and
the ready notice 1 or 4 hours ahead (times frozen by passing `now=`), once per order; the pages
with their permissions and query counts."""

import datetime
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from pitstop.core.exceptions import ApplicationError
from pitstop.customers.tests.factories import CustomerFactory, VehicleFactory
from pitstop.messaging.models import OutboundMessage
from pitstop.service.models import BayType, RepairOrder, RepairOrderEvent
from pitstop.service.tests.factories import RepairOrderFactory
from pitstop.workshop import progress
from pitstop.workshop.models import AdvisorTask, Assignment

pytestmark = pytest.mark.django_db
Status = RepairOrder.Status
Kind = AdvisorTask.Kind
_plates = iter(f"京A{n:05d}" for n in range(10000, 99999))


def at(hour: int, minute: int = 0, days: int = 0) -> datetime.datetime:
    """A time tomorrow (plus `days`), local, so times never collide with 'now'."""
    day = timezone.localdate() + datetime.timedelta(days=1 + days)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def make_order(
    store, advisor, *, status=Status.IN_PROGRESS, received=None, promised=None, mobile="13812345678"
):
    owner = CustomerFactory(store=store, name="王芳", gender="female")
    vehicle = VehicleFactory(owner=owner, plate=next(_plates), model_name="速腾")
    return RepairOrderFactory(
        vehicle=vehicle,
        advisor=advisor,
        status=status,
        mobile=mobile,
        received_at=received or at(8),
        promised_at=promised,
    )


def dispatch(order, start, end) -> Assignment:
    return Assignment.objects.create(
        order=order, bay_type=BayType.MAINTENANCE, planned_start=start, planned_end=end, hours=Decimal("2")
    )


# --- progress checks -------------------------------------------------------------------------


def test_a_progress_task_is_raised_at_three_quarters_of_the_planned_time_once(store_a, advisor):
    order = make_order(store_a, advisor, promised=at(17))
    dispatch(order, at(8), at(10))
    dispatch(order, at(10), at(12))  # 8:00–12:00, 75% at 11:00
    assert progress.raise_progress_tasks(now=at(10, 59)) == 0
    assert progress.raise_progress_tasks(now=at(11)) == 1
    task = AdvisorTask.objects.get(order=order)
    assert task.kind == Kind.PROGRESS and task.due_at == at(11) and task.done_at is None
    assert progress.raise_progress_tasks(now=at(11, 30)) == 0
    assert AdvisorTask.objects.filter(order=order).count() == 1


def test_the_share_is_a_setting(store_a, advisor, settings):
    settings.PROGRESS_CHECK_AT = 0.5  # even as a float in settings
    order = make_order(store_a, advisor, promised=at(17))
    dispatch(order, at(8), at(12))
    assert progress.raise_progress_tasks(now=at(10)) == 1
    assert AdvisorTask.objects.get(order=order).due_at == at(10)


@pytest.mark.parametrize("status", [Status.DRAFT, Status.CONFIRMED, Status.CHECKING, Status.READY])
def test_no_progress_check_outside_the_work(store_a, advisor, status):
    order = make_order(store_a, advisor, status=status, promised=at(20))
    dispatch(order, at(8), at(12))
    progress.raise_progress_tasks(now=at(11, 30))
    assert not AdvisorTask.objects.filter(order=order, kind=Kind.PROGRESS).exists()


def test_a_dispatched_job_not_started_gets_its_check_too(store_a, advisor):
    order = make_order(store_a, advisor, status=Status.DISPATCHED, promised=at(20))
    dispatch(order, at(8), at(12))
    assert progress.raise_progress_tasks(now=at(11)) == 1


# --- late jobs -------------------------------------------------------------------------------


def test_a_job_past_its_planned_end_is_late(store_a, advisor):
    order = make_order(store_a, advisor, promised=at(17))
    dispatch(order, at(8), at(12))
    progress.raise_progress_tasks(now=at(11, 59))
    assert not AdvisorTask.objects.filter(order=order, kind=Kind.LATE).exists()
    progress.raise_progress_tasks(now=at(12, 1))
    assert AdvisorTask.objects.get(order=order, kind=Kind.LATE).due_at == at(12)


def test_a_job_past_its_promised_time_is_late(store_a, advisor):
    order = make_order(store_a, advisor, status=Status.WAITING_PARTS, promised=at(10))
    progress.raise_progress_tasks(now=at(10, 5))
    assert AdvisorTask.objects.get(order=order, kind=Kind.LATE).due_at == at(10)


@pytest.mark.parametrize("status", [Status.CHECKING, Status.WASHING, Status.READY, Status.CANCELLED])
def test_a_job_in_the_checks_or_later_is_not_late(store_a, advisor, status):
    order = make_order(store_a, advisor, status=status, promised=at(10))
    dispatch(order, at(8), at(9))
    progress.raise_progress_tasks(now=at(12))
    assert not AdvisorTask.objects.filter(order=order, kind=Kind.LATE).exists()


def test_open_tasks_of_a_job_that_moved_on_are_closed(store_a, advisor):
    order = make_order(store_a, advisor, promised=at(10))
    progress.raise_progress_tasks(now=at(11))
    RepairOrder.objects.filter(pk=order.pk).update(status=Status.CHECKING)
    progress.raise_progress_tasks(now=at(11, 10))
    assert AdvisorTask.objects.get(order=order).done_at == at(11, 10)


# --- confirming a delay ----------------------------------------------------------------------


@pytest.fixture
def late_task(store_a, advisor):
    order = make_order(store_a, advisor, promised=timezone.now() - datetime.timedelta(minutes=10))
    progress.raise_progress_tasks()
    return AdvisorTask.objects.get(order=order, kind=Kind.LATE)


def test_confirming_a_delay_tells_the_owner_and_closes_the_task(late_task, advisor):
    new_time = at(16, 30)
    progress.delay_confirm(actor=advisor, task=late_task, new_time=new_time, note="等配件")
    late_task.refresh_from_db()
    order = late_task.order
    order.refresh_from_db()
    assert order.promised_at == new_time
    assert late_task.done_at is not None and late_task.done_by == advisor and "等配件" in late_task.outcome
    sms = OutboundMessage.objects.get(kind="delay_notice", reference_id=order.pk)
    local = timezone.localtime(new_time)
    assert (
        sms.to == "13812345678" and f"{local.month}月{local.day}日 16:30" in sms.body and "王女士" in sms.body
    )
    assert RepairOrderEvent.objects.filter(order=order, note__contains="等配件").exists()


def test_a_late_task_comes_back_when_the_new_time_passes_too(late_task, advisor):
    new_time = timezone.now() + datetime.timedelta(hours=2)
    progress.delay_confirm(actor=advisor, task=late_task, new_time=new_time)
    assert progress.raise_progress_tasks(now=new_time - datetime.timedelta(minutes=1)) == 0
    assert progress.raise_progress_tasks(now=new_time + datetime.timedelta(minutes=1)) == 1
    late_task.refresh_from_db()
    assert late_task.done_at is None and late_task.due_at == new_time


@pytest.mark.parametrize("when", ["past", "naive"])
def test_a_delay_to_a_bad_time_is_refused_and_changes_nothing(late_task, advisor, when):
    new_time = timezone.now() - datetime.timedelta(hours=1)
    if when == "naive":
        new_time = datetime.datetime(2031, 1, 1, 9, 0)
    before = late_task.order.promised_at
    with pytest.raises(ApplicationError) as refused:
        progress.delay_confirm(actor=advisor, task=late_task, new_time=new_time)
    assert refused.value.field == "new_time"
    late_task.refresh_from_db()
    assert late_task.done_at is None and late_task.order.promised_at == before
    assert not OutboundMessage.objects.exists()


def test_a_done_task_cannot_be_done_again(late_task, advisor):
    progress.task_done(actor=advisor, task=late_task)
    with pytest.raises(ApplicationError) as refused:
        progress.delay_confirm(actor=advisor, task=late_task, new_time=at(18))
    assert refused.value.code == "done"


def test_checked_on_time_closes_a_progress_task(store_a, advisor):
    order = make_order(store_a, advisor, promised=at(17))
    dispatch(order, at(8), at(12))
    progress.raise_progress_tasks(now=at(11))
    task = AdvisorTask.objects.get(order=order)
    progress.task_done(actor=advisor, task=task, outcome="车间答复：11:45完工")
    task.refresh_from_db()
    assert task.done_at and task.done_by == advisor and task.outcome == "车间答复：11:45完工"
    assert not OutboundMessage.objects.exists()


# --- washing and the ready notice ------------------------------------------------------------


def test_washed_makes_the_order_ready_and_tells_the_owner_now(store_a, advisor):
    order = make_order(store_a, advisor, status=Status.WASHING, promised=at(17))
    done = progress.washing_done(actor=advisor, order=order)
    assert done.status == Status.READY and done.ready_at and done.ready_notice_at
    sms = OutboundMessage.objects.get(kind="ready_notice", reference_id=order.pk)
    assert timezone.localtime(done.ready_notice_at).strftime("%H:%M") in sms.body
    assert RepairOrderEvent.objects.filter(
        order=order, from_status=Status.WASHING, to_status=Status.READY
    ).exists()


def test_washed_does_not_repeat_a_notice_already_sent(store_a, advisor):
    order = make_order(store_a, advisor, status=Status.WASHING, promised=at(17))
    progress.ready_notice_send(actor=None, order=order)
    progress.washing_done(actor=advisor, order=order)
    assert OutboundMessage.objects.filter(kind="ready_notice").count() == 1


def test_washed_without_a_mobile_still_makes_the_car_ready(store_a, advisor):
    order = make_order(store_a, advisor, status=Status.WASHING, mobile="")
    done = progress.washing_done(actor=advisor, order=order)
    assert done.status == Status.READY and done.ready_notice_at is None
    assert (
        RepairOrderEvent.objects.filter(order=order, note__isnull=False, to_status=Status.READY).count() >= 2
    )


@pytest.mark.parametrize("status", [Status.IN_PROGRESS, Status.CHECKING, Status.READY])
def test_only_a_car_in_washing_can_be_washed(store_a, advisor, status):
    order = make_order(store_a, advisor, status=status)
    with pytest.raises(ApplicationError) as refused:
        progress.washing_done(actor=advisor, order=order)
    assert refused.value.code == "status"
    order.refresh_from_db()
    assert order.status == status


def test_a_role_that_may_not_make_the_order_ready_cannot_mark_it_washed(store_a, advisor, make_staff):
    technician = make_staff("technician", store_a)
    order = make_order(store_a, advisor, status=Status.WASHING)
    with pytest.raises(ApplicationError) as refused:
        progress.washing_done(actor=technician, order=order)
    assert refused.value.code == "permission"
    assert RepairOrder.objects.get(pk=order.pk).status == Status.WASHING


def test_a_short_job_is_announced_one_hour_ahead(store_a, advisor):
    order = make_order(store_a, advisor, status=Status.CHECKING, received=at(8), promised=at(17))
    assert progress.ready_notices_due(now=at(15, 59)) == 0
    assert progress.ready_notices_due(now=at(16)) == 1
    sms = OutboundMessage.objects.get(kind="ready_notice", reference_id=order.pk)
    assert "17:00" in sms.body
    assert progress.ready_notices_due(now=at(16, 30)) == 0  # once per order


def test_a_job_of_two_days_or_more_is_announced_four_hours_ahead(store_a, advisor):
    order = make_order(store_a, advisor, status=Status.WASHING, received=at(9), promised=at(17, days=2))
    assert progress.ready_notices_due(now=at(12, 59, days=2)) == 0
    assert progress.ready_notices_due(now=at(13, days=2)) == 1
    assert "17:00" in OutboundMessage.objects.get(reference_id=order.pk).body


def test_the_lead_times_are_settings(store_a, advisor, settings):
    settings.READY_NOTICE_SHORT_HOURS = 2
    make_order(store_a, advisor, status=Status.CHECKING, received=at(8), promised=at(17))
    assert progress.ready_notices_due(now=at(15)) == 1


@pytest.mark.parametrize("status", [Status.IN_PROGRESS, Status.WAITING_PARTS])
def test_no_ready_notice_before_the_checks(store_a, advisor, status):
    make_order(store_a, advisor, status=status, received=at(8), promised=at(17))
    assert progress.ready_notices_due(now=at(16, 30)) == 0


def test_a_car_ready_without_a_notice_is_announced_by_the_periodic_run(store_a, advisor):
    order = make_order(store_a, advisor, status=Status.READY, received=at(8), promised=at(17))
    RepairOrder.objects.filter(pk=order.pk).update(ready_at=at(14))
    assert progress.ready_notices_due(now=at(14, 5)) == 1
    assert RepairOrder.objects.get(pk=order.pk).ready_notice_at is not None


def test_a_confirmed_delay_allows_a_new_ready_notice(store_a, advisor):
    order = make_order(
        store_a, advisor, status=Status.CHECKING, promised=timezone.now() + datetime.timedelta(minutes=30)
    )
    assert progress.ready_notices_due() == 1
    task = AdvisorTask.objects.create(order=order, kind=Kind.LATE, due_at=timezone.now())
    progress.delay_confirm(actor=advisor, task=task, new_time=timezone.now() + datetime.timedelta(minutes=50))
    assert progress.ready_notices_due() == 1
    assert OutboundMessage.objects.filter(kind="ready_notice").count() == 2


def test_the_commands_run(store_a, advisor, capsys):
    make_order(
        store_a, advisor, status=Status.CHECKING, promised=timezone.now() + datetime.timedelta(minutes=30)
    )
    call_command("send_ready_notices")
    call_command("raise_progress_tasks")
    out = capsys.readouterr().out
    assert "1" in out and OutboundMessage.objects.filter(kind="ready_notice").count() == 1


def test_the_celery_tasks_run(store_a, advisor):
    from pitstop.workshop import tasks

    make_order(store_a, advisor, promised=timezone.now() - datetime.timedelta(minutes=5))
    assert tasks.raise_progress_tasks.delay().get() == 1
    assert tasks.send_ready_notices.delay().get() == 0


# --- pages -----------------------------------------------------------------------------------


def test_the_tasks_page_shows_my_tasks_first(
    store_a, advisor, make_staff, login, django_assert_max_num_queries
):
    colleague = make_staff("advisor", store_a)
    theirs = make_order(store_a, colleague, promised=at(9, days=-3))
    mine = make_order(store_a, advisor, promised=at(10, days=-3))
    for _n in range(10):
        make_order(store_a, colleague, promised=at(9, days=-3))
    progress.raise_progress_tasks()
    client = login(advisor)
    with django_assert_max_num_queries(20):
        response = client.get(reverse("workshop:advisor_tasks"))
    assert response.status_code == 200
    html = response.content.decode()
    mine_task = AdvisorTask.objects.get(order=mine)
    theirs_task = AdvisorTask.objects.get(order=theirs)
    assert html.index(f'data-task="{mine_task.pk}"') < html.index(f'data-task="{theirs_task.pk}"')


def test_the_delay_is_confirmed_on_the_page(late_task, advisor, login):
    client = login(advisor)
    new_time = timezone.localtime(timezone.now() + datetime.timedelta(hours=3)).replace(
        second=0, microsecond=0
    )
    response = client.post(
        reverse("workshop:task_delay", args=[late_task.pk]),
        {f"t{late_task.pk}-new_time": new_time.strftime("%Y-%m-%dT%H:%M"), f"t{late_task.pk}-note": "等配件"},
    )
    assert response.status_code == 302
    assert RepairOrder.objects.get(pk=late_task.order_id).promised_at == new_time
    assert OutboundMessage.objects.filter(kind="delay_notice").count() == 1


def test_a_bad_delay_on_the_page_shows_the_error_and_changes_nothing(late_task, advisor, login):
    client = login(advisor)
    response = client.post(
        reverse("workshop:task_delay", args=[late_task.pk]), {f"t{late_task.pk}-new_time": "2001-01-01T09:00"}
    )
    assert response.status_code == 400 and b"invalid-feedback" in response.content
    late_task.refresh_from_db()
    assert late_task.done_at is None and not OutboundMessage.objects.exists()


def test_checked_on_time_on_the_page(store_a, advisor, login):
    order = make_order(store_a, advisor, promised=at(17))
    dispatch(order, at(8, days=-2), at(9, days=-2))
    task = AdvisorTask.objects.create(order=order, kind=Kind.PROGRESS, due_at=timezone.now())
    assert login(advisor).post(reverse("workshop:task_done", args=[task.pk])).status_code == 302
    assert AdvisorTask.objects.get(pk=task.pk).done_by == advisor


def test_the_washing_queue_is_oldest_first_and_washed_makes_ready(
    store_a, advisor, login, django_assert_max_num_queries
):
    first = make_order(store_a, advisor, status=Status.CHECKING)
    second = make_order(store_a, advisor, status=Status.CHECKING)
    from pitstop.service.orders import order_transition

    for order in (first, second):
        order_transition(actor=None, order=order, to=Status.WASHING, check_permission=False)
    for _n in range(8):
        make_order(store_a, advisor, status=Status.WASHING)
    client = login(advisor)
    with django_assert_max_num_queries(15):
        html = client.get(reverse("workshop:washing")).content.decode()
    assert html.index(f'data-order="{first.pk}"') < html.index(f'data-order="{second.pk}"')
    assert client.post(reverse("workshop:washing_done", args=[first.pk])).status_code == 302
    assert RepairOrder.objects.get(pk=first.pk).status == Status.READY
    assert OutboundMessage.objects.filter(kind="ready_notice", reference_id=first.pk).exists()


def test_roles_without_the_permission_are_refused(store_a, advisor, make_staff, login, late_task):
    technician = make_staff("technician", store_a)
    client = login(technician)
    assert client.get(reverse("workshop:advisor_tasks")).status_code == 403
    assert client.post(reverse("workshop:task_done", args=[late_task.pk])).status_code == 404
    washing = make_order(store_a, advisor, status=Status.WASHING)
    assert client.post(reverse("workshop:washing_done", args=[washing.pk])).status_code == 403
    assert RepairOrder.objects.get(pk=washing.pk).status == Status.WASHING


def test_another_store_gets_404(store_a, advisor, advisor_b, login, late_task):
    washing = make_order(store_a, advisor, status=Status.WASHING)
    client = login(advisor_b)
    assert client.post(reverse("workshop:task_done", args=[late_task.pk])).status_code == 404
    assert client.post(reverse("workshop:task_delay", args=[late_task.pk])).status_code == 404
    assert client.post(reverse("workshop:washing_done", args=[washing.pk])).status_code == 404
    late_task.refresh_from_db()
    assert late_task.done_at is None and RepairOrder.objects.get(pk=washing.pk).status == Status.WASHING
    html = client.get(reverse("workshop:advisor_tasks")).content.decode()
    assert f'data-task="{late_task.pk}"' not in html
