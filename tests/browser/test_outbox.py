"""In a real browser: a store manager opens the outbox (a reminder stored, a ready notice
that failed at the gateway), filters and sends the failed one again, then words the store's
delay notice in the template editor with a live preview and an unknown placeholder refused."""

import pytest
from playwright.sync_api import expect

from pitstop.customers.tests.factories import CustomerFactory, VehicleFactory
from pitstop.messaging.models import MessageTemplate, OutboundMessage
from pitstop.messaging.services import message_send

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_manager_reads_the_outbox_and_words_a_template(
    page_for, shot, live_server, store_a, make_staff, settings
):
    settings.SMS_GATEWAY_URL = ""
    manager = make_staff("store_manager", store_a, full_name="刘洋")
    zhang = CustomerFactory(store=store_a, name="张伟", gender="male", mobile="13812345678")
    wang = CustomerFactory(store=store_a, name="王芳", gender="female", mobile="13900001111")
    passat = VehicleFactory(owner=zhang, plate="京A12345")
    corolla = VehicleFactory(owner=wang, plate="京B67890")
    message_send(
        actor=manager,
        store=store_a,
        kind="appointment_reminder",
        to=zhang.mobile,
        context={"customer": "张先生", "plate": passat.plate, "time": "明天 09:30"},
        customer=zhang,
        vehicle=passat,
    )
    settings.SMS_GATEWAY_URL = "http://127.0.0.1:9/sms"  # nothing listens: three attempts fail
    failed = message_send(
        actor=manager,
        store=store_a,
        kind="ready_notice",
        to=wang.mobile,
        context={"customer": "王女士", "plate": corolla.plate, "time": "16:00"},
        customer=wang,
        vehicle=corolla,
    )
    failed.refresh_from_db()
    assert failed.status == OutboundMessage.Status.FAILED and failed.attempts == 3
    settings.SMS_GATEWAY_URL = ""  # the gateway is switched off: sending again only stores it

    page = page_for(manager)
    page.goto(f"{live_server.url}/messages/")
    expect(page.locator("#outbox-table tbody tr")).to_have_count(2)
    expect(page.locator("#outbox-table")).to_contain_text("cannot reach the gateway")
    shot(page, "outbox-01-list")

    page.select_option("#id_status", "failed")
    expect(page.locator("#outbox-table tbody tr")).to_have_count(1)
    expect(page).to_have_url(f"{live_server.url}/messages/?q=&status=failed&kind=&date_from=&date_to=")
    page.click("#outbox-table button[type=submit]")
    expect(page.locator(".alert-success")).to_be_visible()
    shot(page, "outbox-02-sent-again")
    failed.refresh_from_db()
    assert failed.status == OutboundMessage.Status.STORED

    page.goto(f"{live_server.url}/messages/?q=A12345")
    expect(page.locator("#outbox-table tbody tr")).to_have_count(1)
    page.click("#outbox-table tbody a")
    expect(page.locator("main")).to_contain_text("【北京朝阳店】张先生您好")
    shot(page, "outbox-03-message")

    page.goto(f"{live_server.url}/messages/templates/")
    shot(page, "outbox-04-templates")
    page.click("a[href$='?kind=delay_notice']")
    body = page.locator("#id_body")
    body.fill("{customer}您好，您的爱车{plate}还需要一些时间，预计{time}完工，{vin}")
    expect(page.locator("#template-preview .alert-danger")).to_contain_text("{vin}")
    shot(page, "outbox-05-unknown-placeholder")
    body.fill("{customer}您好，您的爱车{plate}还需要一些时间，预计{time}完工，给您添麻烦了。")
    expect(page.locator("#template-preview")).to_contain_text(
        "【北京朝阳店】张先生您好，您的爱车京A12345还需要一些时间"
    )
    shot(page, "outbox-06-preview")
    page.click("main button[name=save]")
    expect(page.locator(".alert-success")).to_be_visible()
    shot(page, "outbox-07-saved")
    assert MessageTemplate.objects.get(store=store_a, kind="delay_notice").body.endswith("给您添麻烦了。")
