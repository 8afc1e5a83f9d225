"""Messages to owners: rendering, the rules of sending, delivery through the gateways."""

import datetime
import zoneinfo

import pytest
from django.db import transaction
from hypothesis import given
from hypothesis import strategies as st

from pitstop.core.audit import audit_for
from pitstop.core.exceptions import ApplicationError
from pitstop.messaging import services
from pitstop.messaging.kinds import KINDS, get_kind
from pitstop.messaging.models import MessageTemplate, OutboundMessage
from pitstop.messaging.services import Reference, message_send

from .factories import MessageTemplateFactory

Status = OutboundMessage.Status
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
WHEN = datetime.datetime(2026, 6, 18, 9, 30, tzinfo=SHANGHAI)


def send(actor, store, *, kind="appointment_reminder", to="138 1234 5678", context=None, **extra):
    context = {"customer": "张先生", "plate": "京A12345", "time": WHEN} if context is None else context
    return message_send(actor=actor, store=store, kind=kind, to=to, context=context, **extra)


# --- defaults and templates --------------------------------------------------------------------


def test_a_fresh_shop_has_a_chain_default_for_every_kind(db):
    defaults = MessageTemplate.objects.filter(store__isnull=True)
    assert sorted(defaults.values_list("kind", flat=True)) == sorted(KINDS)
    assert services.ensure_default_templates() == 0  # run again by every migrate: nothing new


def test_a_changed_default_is_not_overwritten_by_migrate(db, make_staff, store_a):
    default = MessageTemplate.objects.get(store__isnull=True, kind="ready_notice")
    services.template_save(
        actor=None, store=None, kind="ready_notice", body="{customer}，{plate}已完工。", template=default
    )
    default.delete()
    assert services.ensure_default_templates() == 1  # only a missing one is made again
    MessageTemplate.objects.filter(store__isnull=True, kind="ready_notice").update(body="改过的")
    services.ensure_default_templates()
    assert MessageTemplate.objects.get(store__isnull=True, kind="ready_notice").body == "改过的"


def test_the_store_template_wins_and_falls_back_to_the_chain_default(
    db, manager, store_a, store_b, django_capture_on_commit_callbacks
):
    MessageTemplateFactory(store=store_a, body="{customer}，{plate}明天{time}见。")
    with django_capture_on_commit_callbacks(execute=True):
        own = send(manager, store_a)
        chain = send(manager, store_b)
    assert own.body == "【北京朝阳店】张先生，京A12345明天6月18日 09:30见。"
    assert chain.body.startswith(
        "【上海浦东店】张先生您好，温馨提醒：您的爱车京A12345预约于6月18日 09:30到上海浦东店"
    )


def test_an_inactive_store_template_falls_back_and_no_template_at_all_is_refused(db, manager, store_a):
    MessageTemplateFactory(store=store_a, body="自己的{plate}", is_active=False)
    assert send(manager, store_a).body.startswith("【北京朝阳店】张先生您好，温馨提醒")
    MessageTemplate.objects.filter(store__isnull=True, kind="appointment_reminder").update(is_active=False)
    with pytest.raises(ApplicationError) as error:
        send(manager, store_a)
    assert error.value.code == "no_template"
    assert str(error.value.message) == "“预约提醒”没有启用的模板；请经理在“短信模板”中设置。"
    assert OutboundMessage.objects.count() == 1


def test_a_placeholder_missing_from_the_context_is_refused_by_name(db, manager, store_a):
    with pytest.raises(ApplicationError) as error:
        send(manager, store_a, context={"customer": "张先生", "plate": "京A12345"})
    assert error.value.code == "missing_placeholder"
    assert "{time}" in str(error.value.message)
    with pytest.raises(ApplicationError, match=r"\{plate\}"):
        send(manager, store_a, context={"customer": "张先生", "plate": " ", "time": WHEN})
    assert not OutboundMessage.objects.exists()


def test_store_values_fill_themselves_in(db, manager, store_a):
    store_a.phone, store_a.address = "010-65001234", "北京市朝阳区建国路88号"
    store_a.save()
    MessageTemplateFactory(
        store=store_a, kind="ready_notice", body="{plate}已完工，地址{address}，电话{phone}"
    )
    message = send(manager, store_a, kind="ready_notice", context={"plate": "京A12345"})
    assert message.body == "【北京朝阳店】京A12345已完工，地址北京市朝阳区建国路88号，电话010-65001234"


def test_a_value_that_looks_like_a_placeholder_is_not_filled_in_again(db, manager, store_a):
    message = send(manager, store_a, context={"customer": "{plate}", "plate": "京A12345", "time": "明天"})
    assert message.body.startswith("【北京朝阳店】{plate}您好")


def test_the_chain_signature_replaces_the_store_name(db, manager, store_a, settings):
    settings.SMS_SIGNATURE = "途安汽车服务"
    assert send(manager, store_a).body.startswith("【途安汽车服务】")


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ("{customer}您好，{plate}请{name}签字", "unknown_placeholder"),
        ("{customer}您好，点击{link}", "unknown_placeholder"),  # no link in a reminder
        ("{customer}您好 {plate", "braces"),
        ("{customer}您好 }", "braces"),
        ("{customer.__class__}您好", "braces"),
        ("【北京朝阳店】{customer}您好", "signature"),
        ("   ", "required"),
    ],
)
def test_template_text_is_checked(db, manager, store_a, body, code):
    with pytest.raises(ApplicationError) as error:
        services.template_save(actor=manager, store=store_a, kind="appointment_reminder", body=body)
    assert error.value.code == code and error.value.field == "body"
    assert not MessageTemplate.objects.filter(store=store_a).exists()


def test_unknown_placeholder_message_lists_what_may_be_used(db, manager, store_a):
    with pytest.raises(ApplicationError) as error:
        services.template_save(actor=manager, store=store_a, kind="delay_notice", body="{vin}延误")
    text = str(error.value.message)
    assert "{vin}" in text and "{customer}" in text and "{link}" not in text


def test_full_width_braces_typed_with_a_chinese_keyboard_are_understood(db, manager, store_a):
    template = services.template_save(
        actor=manager, store=store_a, kind="ready_notice", body="｛customer｝，｛plate｝已完工"
    )
    assert template.body == "{customer}，{plate}已完工"


def test_a_marketing_template_must_tell_how_to_opt_out(db, manager, store_a):
    with pytest.raises(ApplicationError) as error:
        services.template_save(actor=manager, store=store_a, kind="promotion", body="{customer}，保养八折")
    assert error.value.code == "opt_out"
    services.template_save(
        actor=manager, store=store_a, kind="promotion", body="{customer}，保养八折，回T退订"
    )


def test_template_changes_are_audited(db, manager, store_a):
    template = services.template_save(
        actor=manager, store=store_a, kind="ready_notice", body="{customer}，{plate}已完工"
    )
    services.template_save(
        actor=manager,
        store=store_a,
        kind="ready_notice",
        body="{customer}，{plate}已完工，请取车",
        is_active=False,
        template=template,
    )
    entries = list(audit_for(template))
    assert [e.action for e in entries] == ["update", "create"]
    assert entries[0].actor == manager and entries[0].store == store_a
    assert entries[0].changes == {
        "body": ["{customer}，{plate}已完工", "{customer}，{plate}已完工，请取车"],
        "is_active": [True, False],
    }


def test_a_second_template_of_a_kind_in_one_store_is_refused(db, manager, store_a):
    services.template_save(actor=manager, store=store_a, kind="ready_notice", body="{plate}已完工")
    with pytest.raises(ApplicationError) as error:
        services.template_save(actor=manager, store=store_a, kind="ready_notice", body="{plate}好了")
    assert error.value.code == "duplicate"


PIECES = ["{", "}", "｛", "{customer}", "{plate}", "{link}", "{vin}", "{time", "您好", "x_1", " ", "【店】"]


@given(st.lists(st.sampled_from(PIECES), max_size=8).map("".join))
def test_any_text_is_either_refused_cleanly_or_renders_without_braces(text):
    """Whatever a manager types: a clear refusal, or a text that renders with every
    placeholder filled in and no brace left over."""
    kind = get_kind("approval_link")
    try:
        body = services.clean_template_body(kind, text)
    except ApplicationError:
        return
    from pitstop.accounts.models import Store

    rendered = services.render_body(
        store=Store(name="北京朝阳店"),
        body=body,
        context={
            "customer": "张先生",
            "plate": "京A1",
            "store": "店",
            "link": "https://x.cn/a",
            "time": "9点",
        },
    )
    assert "{" not in rendered and "}" not in rendered


# --- the rules of sending ----------------------------------------------------------------------


@pytest.mark.parametrize("mobile", ["12345", "010-62345678", "2381234567", ""])
def test_a_number_that_is_not_a_mainland_mobile_is_refused(db, manager, store_a, mobile):
    with pytest.raises(ApplicationError) as error:
        send(manager, store_a, to=mobile)
    assert error.value.field == "to" and error.value.code == "mobile"


def test_the_mobile_is_kept_as_eleven_digits(db, manager, store_a):
    assert send(manager, store_a, to="+86 138-1234-5678").to == "13812345678"


def test_a_customer_or_vehicle_of_another_store_is_refused(db, manager, store_b, owner):
    customer, vehicle = owner
    with pytest.raises(ApplicationError) as error:
        send(manager, store_b, customer=customer)
    assert error.value.field == "customer"
    with pytest.raises(ApplicationError):
        send(manager, store_b, vehicle=vehicle)


def test_marketing_needs_consent_service_notices_do_not(db, manager, store_a, owner):
    customer, vehicle = owner
    context = {"customer": "张先生", "plate": "京A12345", "time": WHEN}
    assert not customer.marketing_consent
    notice = send(manager, store_a, kind="ready_notice", context=context, customer=customer, vehicle=vehicle)
    assert notice.status == Status.QUEUED
    with pytest.raises(ApplicationError) as error:
        send(manager, store_a, kind="promotion", context={"customer": "张先生"}, customer=customer)
    assert error.value.code == "no_marketing_consent"
    with pytest.raises(ApplicationError):  # a number without a customer has agreed to nothing
        send(manager, store_a, kind="promotion", context={"customer": "张先生"})
    customer.marketing_consent = True
    customer.save()
    promotion = send(manager, store_a, kind="promotion", context={"customer": "张先生"}, customer=customer)
    assert promotion.body.endswith("拒收请回复R")


def test_an_unknown_kind_is_refused(db, manager, store_a):
    with pytest.raises(ApplicationError) as error:
        send(manager, store_a, kind="birthday_wish")
    assert error.value.code == "kind"


def test_what_the_message_is_about_is_recorded(db, manager, store_a, owner):
    customer, vehicle = owner
    message = send(
        manager,
        store_a,
        customer=customer,
        vehicle=vehicle,
        reference=Reference("appointment", 12, "YYBJ01000012"),
    )
    message.refresh_from_db()
    assert (message.reference_type, message.reference_id, message.reference_no) == (
        "appointment",
        12,
        "YYBJ01000012",
    )
    assert message.customer == customer and message.vehicle == vehicle and message.created_by == manager
    assert message.events.get().to_status == Status.QUEUED


def test_nothing_is_sent_when_the_callers_transaction_fails(
    db, manager, store_a, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        send(manager, store_a)
        raise RuntimeError("the work order failed half-way")
    assert callbacks == [] and not OutboundMessage.objects.exists()


# --- delivery ----------------------------------------------------------------------------------


def test_without_a_gateway_the_message_is_stored_by_the_task_run_eagerly(
    db, manager, store_a, settings, django_capture_on_commit_callbacks
):
    settings.SMS_GATEWAY_URL = ""
    assert settings.CELERY_TASK_ALWAYS_EAGER
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        message = send(manager, store_a)
        assert message.status == Status.QUEUED  # nothing happens before the commit
    assert len(callbacks) == 1
    message.refresh_from_db()
    assert message.status == Status.STORED and message.attempts == 1 and message.sent_at is not None
    assert [e.to_status for e in message.events.all()] == ["queued", "sending", "stored"]


def test_the_http_gateway_gets_json_with_the_token_and_its_id_is_kept(
    db, manager, store_a, gateway, django_capture_on_commit_callbacks
):
    gateway.answers = [(200, {"id": "SMS-20260618-0001"}, 0)]
    with django_capture_on_commit_callbacks(execute=True):
        message = send(manager, store_a)
    message.refresh_from_db()
    assert message.status == Status.SENT and message.gateway_id == "SMS-20260618-0001"
    (request,) = gateway.requests
    assert request["json"] == {"to": "13812345678", "text": message.body}
    assert request["headers"]["Authorization"] == "Bearer test-token-123"
    assert request["headers"]["Content-Type"].startswith("application/json")


def test_a_gateway_error_is_retried_and_the_second_attempt_sends(
    db, manager, store_a, gateway, django_capture_on_commit_callbacks
):
    gateway.answers = [(503, {"error": "busy"}, 0), (200, {"message_id": "M2"}, 0)]
    with django_capture_on_commit_callbacks(execute=True):
        message = send(manager, store_a)
    message.refresh_from_db()
    assert message.status == Status.SENT and message.attempts == 2 and message.gateway_id == "M2"
    assert len(gateway.requests) == 2
    notes = [e.note for e in message.events.all() if e.note]
    assert len(notes) == 1 and "503" in notes[0]


def test_three_timeouts_leave_the_message_failed_with_the_error(
    db, manager, store_a, gateway, django_capture_on_commit_callbacks
):
    gateway.answers = [(200, {"id": "late"}, 1.0)] * 3
    with django_capture_on_commit_callbacks(execute=True):
        message = send(manager, store_a)
    message.refresh_from_db()
    assert message.status == Status.FAILED and message.attempts == 3
    assert "timeout" in message.error and message.sent_at is None
    assert len(gateway.requests) == 3


def test_a_refused_message_is_not_retried(db, manager, store_a, gateway, django_capture_on_commit_callbacks):
    gateway.answers = [(400, {"error": "invalid signature"}, 0)]
    with django_capture_on_commit_callbacks(execute=True):
        message = send(manager, store_a)
    message.refresh_from_db()
    assert message.status == Status.FAILED and message.attempts == 1
    assert "400" in message.error and "invalid signature" in message.error


def test_an_unreachable_gateway_fails_after_three_attempts(
    db, manager, store_a, settings, django_capture_on_commit_callbacks
):
    settings.SMS_GATEWAY_URL = "http://127.0.0.1:9/sms"  # the discard port: nothing listens
    with django_capture_on_commit_callbacks(execute=True):
        message = send(manager, store_a)
    message.refresh_from_db()
    assert message.status == Status.FAILED and message.attempts == 3
    assert "cannot reach the gateway" in message.error


def test_a_failed_message_is_sent_again_once(
    db, manager, store_a, gateway, django_capture_on_commit_callbacks
):
    gateway.answers = [(400, {"error": "blacklisted"}, 0)]
    with django_capture_on_commit_callbacks(execute=True):
        message = send(manager, store_a)
    with django_capture_on_commit_callbacks(execute=True):
        services.message_resend(actor=manager, message=message)
    message.refresh_from_db()
    assert message.status == Status.SENT and message.error == ""
    resend = message.events.get(actor=manager, from_status="failed")
    assert (resend.from_status, resend.to_status) == ("failed", "queued")
    with pytest.raises(ApplicationError) as error:
        services.message_resend(actor=manager, message=message)
    assert error.value.code == "status"
    assert str(error.value.message) == "只有发送失败的短信可以重发；该短信为已发送。"


def test_a_message_already_taken_by_a_worker_is_not_sent_twice(db, manager, store_a, gateway):
    message = send(manager, store_a)
    assert services.message_deliver(message_id=message.pk) == "sent"
    assert services.message_deliver(message_id=message.pk) == "skipped"
    assert len(gateway.requests) == 1


def test_a_move_the_status_does_not_allow_names_both_states(db, manager, store_a):
    message = send(manager, store_a)
    with pytest.raises(ApplicationError) as error:
        services._move(message, Status.SENT, actor=manager)
    # Both states are named, as the user sees them: queued → 待发送, sent → 已发送.
    assert str(error.value.message) == "待发送的短信不能改为已发送。"


def test_salutation(db, store_a):
    from pitstop.customers.tests.factories import CustomerFactory

    assert services.salutation(CustomerFactory(store=store_a, name="王芳", gender="female")) == "王女士"
    assert services.salutation(CustomerFactory(store=store_a, name="李娜", gender="")) == "李娜"
    assert services.salutation(CustomerFactory(store=store_a, name="宏达物流", kind="company")) == "宏达物流"


def test_sms_segments():
    assert services.sms_segments("") == 0
    assert services.sms_segments("字" * 70) == 1
    assert services.sms_segments("字" * 71) == 2
    assert services.sms_segments("a" * 160) == 1
    assert services.sms_segments("字" * 135) == 3


def test_with_a_broker_the_task_retries_after_one_then_two_minutes(
    db, manager, store_a, gateway, monkeypatch
):
    from celery.exceptions import Retry

    from pitstop.messaging.tasks import deliver_message

    gateway.answers = [(502, {}, 0), (502, {}, 0)]
    message = send(manager, store_a)
    countdowns = []

    def fake_retry(*, countdown):
        countdowns.append(countdown)
        return Retry("again", when=countdown)

    monkeypatch.setattr(deliver_message, "retry", fake_retry)
    for retries in (0, 1):
        deliver_message.push_request(is_eager=False, retries=retries)
        try:
            with pytest.raises(Retry):
                deliver_message.run(message.pk)
        finally:
            deliver_message.pop_request()
    assert countdowns == [60, 120]
    deliver_message.push_request(is_eager=False, retries=2)
    try:
        assert deliver_message.run(message.pk) == "sent"
    finally:
        deliver_message.pop_request()
    message.refresh_from_db()
    assert message.status == Status.SENT and message.attempts == 3
