"""The outbox and template pages: who sees what, masking, filters, HTMX partials."""

import pytest
from django.urls import reverse

from pitstop.core.audit import audit_for
from pitstop.messaging.models import MessageTemplate, OutboundMessage

from .factories import MessageTemplateFactory, OutboundMessageFactory

Status = OutboundMessage.Status
OUTBOX = "/messages/"


@pytest.fixture
def outbox_a(store_a, owner):
    customer, vehicle = owner
    return [
        OutboundMessageFactory(store=store_a, to="13812345678", customer=customer, vehicle=vehicle),
        OutboundMessageFactory(
            store=store_a,
            kind="delay_notice",
            to="13900001111",
            status=Status.FAILED,
            attempts=3,
            error="attempt 3 of 3: timeout after 10 s",
            body="【北京朝阳店】王女士您好，很抱歉，您的爱车京B67890预计完工时间调整为17:30。",
        ),
    ]


def test_the_outbox_lists_the_stores_messages_with_status(login, advisor, outbox_a, store_b):
    OutboundMessageFactory(store=store_b, to="13700000001", body="【上海浦东店】沪A55555")
    body = login(advisor).get(OUTBOX).content.decode()
    assert "13812345678" in body and "京A12345" in body  # an advisor sees numbers in full
    assert "timeout after 10 s" in body and "13700000001" not in body and "沪A55555" not in body


def test_a_role_that_sees_numbers_masked_sees_them_masked(login, care_agent, outbox_a):
    body = login(care_agent).get(OUTBOX).content.decode()
    assert "138****5678" in body and "13812345678" not in body
    detail = login(care_agent).get(reverse("messaging:message_detail", args=[outbox_a[0].pk]))
    assert "138****5678" in detail.content.decode() and "13812345678" not in detail.content.decode()


@pytest.mark.parametrize(
    ("query", "who", "found"),
    [
        ("京A12345", "care_agent", ["13812345678"]),
        ("a123", "care_agent", ["13812345678"]),
        ("京B67890", "advisor", ["13900001111"]),  # a plate in the text, no vehicle on file
        ("5678", "care_agent", ["13812345678"]),
        ("1111", "advisor", ["13900001111"]),
        ("45678", "advisor", ["13812345678"]),
        ("45678", "care_agent", []),  # more than the mask shows: no digit guessing
        ("13812345678", "care_agent", ["13812345678"]),
    ],
)
def test_search_by_plate_or_mobile_tail(login, make_staff, store_a, outbox_a, query, who, found):
    user = make_staff(who, store_a)
    response = login(user).get(OUTBOX, {"q": query})
    shown = {m.to for m in response.context["rows"]}
    assert shown == set(found)


def test_filters_by_status_kind_and_date(login, advisor, outbox_a):
    client = login(advisor)
    assert [m.to for m in client.get(OUTBOX, {"status": "failed"}).context["rows"]] == ["13900001111"]
    assert [m.to for m in client.get(OUTBOX, {"kind": "ready_notice"}).context["rows"]] == ["13812345678"]
    OutboundMessage.objects.filter(pk=outbox_a[0].pk).update(created_at="2026-01-05T02:00:00Z")
    rows = client.get(OUTBOX, {"date_from": "2026-01-05", "date_to": "2026-01-05"}).context["rows"]
    assert [m.to for m in rows] == ["13812345678"]
    assert client.get(OUTBOX, {"date_from": "not a date"}).status_code == 200


def test_the_outbox_table_is_an_htmx_partial_with_a_fixed_number_of_queries(
    login, advisor, store_a, outbox_a, django_assert_max_num_queries
):
    for n in range(20):
        OutboundMessageFactory(store=store_a, to=f"1360000{n:04d}")
    client = login(advisor)
    client.get(OUTBOX)  # warm the user's grants
    with django_assert_max_num_queries(12):
        response = client.get(
            OUTBOX, {"status": "stored"}, headers={"HX-Request": "true", "HX-Target": "outbox-table"}
        )
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="outbox-table">') and "<nav" not in body
    assert "13600000019" in body


def test_without_a_gateway_the_outbox_says_messages_are_only_stored(login, advisor, settings):
    settings.SMS_GATEWAY_URL = ""
    notice = "尚未配置短信网关：短信只在此处记录，不会发送到手机。"
    assert notice in login(advisor).get(OUTBOX).content.decode()
    settings.SMS_GATEWAY_URL = "http://127.0.0.1:9/sms"
    assert notice not in login(advisor).get(OUTBOX).content.decode()


def test_roles_without_the_outbox_get_403(login, make_staff, store_a):
    for role in ("technician", "warehouse", "cashier"):
        assert login(make_staff(role, store_a)).get(OUTBOX).status_code == 403


def test_another_stores_message_is_404(login, advisor_b, outbox_a):
    client = login(advisor_b)
    failed = outbox_a[1]
    assert client.get(reverse("messaging:message_detail", args=[failed.pk])).status_code == 404
    assert client.post(reverse("messaging:message_resend", args=[failed.pk])).status_code == 404
    failed.refresh_from_db()
    assert failed.status == Status.FAILED


def test_resend_a_failed_message_from_the_outbox(
    login, advisor, outbox_a, django_capture_on_commit_callbacks, settings
):
    settings.SMS_GATEWAY_URL = ""
    failed = outbox_a[1]
    with django_capture_on_commit_callbacks(execute=True):
        response = login(advisor).post(
            reverse("messaging:message_resend", args=[failed.pk]), {"next": "/messages/?status=failed"}
        )
    assert response.status_code == 302 and response["Location"] == "/messages/?status=failed"
    failed.refresh_from_db()
    assert failed.status == Status.STORED and failed.attempts == 1
    again = login(advisor).post(reverse("messaging:message_resend", args=[failed.pk]), follow=True)
    # The status it is in now (stored only) is named in the refusal.
    assert "只有发送失败的短信可以重发；该短信为仅存档（未发送）。" in again.content.decode()


def test_resend_needs_the_right_to_send(login, make_staff, store_a, outbox_a):
    hq_like = make_staff("hq", store_a)
    client = login(hq_like)
    assert client.get(OUTBOX).status_code == 200  # head office reads the outbox
    assert client.post(reverse("messaging:message_resend", args=[outbox_a[1].pk])).status_code == 403


def test_resend_never_redirects_off_site(login, advisor, outbox_a):
    response = login(advisor).post(
        reverse("messaging:message_resend", args=[outbox_a[1].pk]), {"next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("messaging:message_detail", args=[outbox_a[1].pk])


# --- templates ---------------------------------------------------------------------------------


def test_the_template_list_shows_which_wording_each_kind_uses(login, manager, store_a):
    MessageTemplateFactory(store=store_a, kind="ready_notice", body="{customer}，{plate}好了，来取车吧")
    response = login(manager).get(reverse("messaging:template_list"))
    body = response.content.decode()
    rows = {row.kind.code: row for row in response.context["rows"]}
    assert rows["ready_notice"].in_use.store == store_a
    assert rows["delay_notice"].in_use.store is None
    assert "好了，来取车吧" in body and "?kind=delay_notice" in body


def test_a_manager_words_a_kind_for_the_store_starting_from_the_default(login, manager, store_a):
    client = login(manager)
    url = reverse("messaging:template_create") + "?kind=delay_notice"
    page = client.get(url)
    default = MessageTemplate.objects.get(store__isnull=True, kind="delay_notice")
    assert page.context["form"].initial["body"] == default.body
    assert "【北京朝阳店】张先生您好" in page.content.decode()  # the preview with sample data
    response = client.post(url, {"body": "{customer}，{plate}要晚一点，预计{time}", "is_active": "on"})
    assert response.status_code == 302
    template = MessageTemplate.objects.get(store=store_a, kind="delay_notice")
    assert template.body == "{customer}，{plate}要晚一点，预计{time}"
    assert audit_for(template)[0].actor == manager
    assert client.get(url).status_code == 302  # the second time: edit the one there is


def test_unknown_placeholders_are_refused_in_the_editor(login, manager, store_a):
    template = MessageTemplateFactory(store=store_a)
    response = login(manager).post(
        reverse("messaging:template_edit", args=[template.pk]),
        {"body": "{customer}，{vin}到店", "is_active": "on"},
    )
    assert response.status_code == 400
    assert "未知的占位符 {vin}。" in response.content.decode()
    template.refresh_from_db()
    assert "{vin}" not in template.body


def test_the_preview_is_an_htmx_partial_and_saves_nothing(login, manager, store_a):
    template = MessageTemplateFactory(store=store_a)
    response = login(manager).post(
        reverse("messaging:template_edit", args=[template.pk]),
        {"body": "{customer}，{plate}明天{time}见", "is_active": "on", "preview": "1"},
        headers={"HX-Request": "true", "HX-Target": "template-preview"},
    )
    body = response.content.decode()
    assert body.lstrip().startswith('<div class="card" id="template-preview"')
    assert "【北京朝阳店】张先生，京A12345明天6月18日 09:30见" in body
    bad = login(manager).post(
        reverse("messaging:template_edit", args=[template.pk]),
        {"body": "{customer}{oops}", "preview": "1"},
        headers={"HX-Request": "true", "HX-Target": "template-preview"},
    )
    assert "未知的占位符 {oops}。" in bad.content.decode()
    template.refresh_from_db()
    assert template.body == "{customer}您好，您的爱车{plate}预约于{time}到店。"


def test_front_desk_reads_templates_but_does_not_change_them(login, advisor, store_a):
    template = MessageTemplateFactory(store=store_a)
    client = login(advisor)
    assert client.get(reverse("messaging:template_list")).status_code == 200
    assert client.get(reverse("messaging:template_edit", args=[template.pk])).status_code == 403
    assert client.get(reverse("messaging:template_create") + "?kind=ready_notice").status_code == 403


def test_the_chain_default_is_the_administrators(login, manager, make_staff, store_a, hq_store):
    default = MessageTemplate.objects.get(store__isnull=True, kind="ready_notice")
    url = reverse("messaging:template_edit", args=[default.pk])
    assert login(manager).get(url).status_code == 403
    admin = make_staff("admin", hq_store)
    client = login(admin)
    assert client.get(url).status_code == 200
    response = client.post(url, {"body": "{customer}，{plate}已完工，{time}可取车。", "is_active": "on"})
    assert response.status_code == 302
    default.refresh_from_db()
    assert default.body == "{customer}，{plate}已完工，{time}可取车。"


def test_another_stores_template_is_404(login, manager, store_b, make_staff):
    template = MessageTemplateFactory(store=store_b)
    assert login(manager).get(reverse("messaging:template_edit", args=[template.pk])).status_code == 404
    assert (
        login(manager).post(reverse("messaging:template_edit", args=[template.pk]), {"body": "x"}).status_code
        == 404
    )
