"""Every messaging URL walked by the manager of another store (as tests/test_isolation.py
does for the whole project, with the records messaging needs)."""

from django.urls import get_resolver, reverse

from pitstop.messaging.models import OutboundMessage

from .factories import MessageTemplateFactory, OutboundMessageFactory

MARKERS = ["13700000001", "京A9Z9Z9", "甲店专用措辞"]


def test_every_messaging_url_refuses_another_stores_records(client, store_a, store_b, make_staff, owner):
    customer, vehicle = owner
    message = OutboundMessageFactory(
        store=store_a,
        to=MARKERS[0],
        vehicle=vehicle,
        customer=customer,
        status=OutboundMessage.Status.FAILED,
        body=f"【北京朝阳店】{MARKERS[1]}",
    )
    template = MessageTemplateFactory(store=store_a, body=f"{MARKERS[2]}{{plate}}")
    records = {"message_detail": message, "message_resend": message, "template_edit": template}
    client.force_login(make_staff("store_manager", store_b))
    (resolver,) = [r for r in get_resolver().url_patterns if getattr(r, "namespace", None) == "messaging"]
    walked = 0
    for pattern in resolver.url_patterns:
        record = records.get(pattern.name)
        url = reverse(f"messaging:{pattern.name}", kwargs={"pk": record.pk} if record else {})
        for method in ("get", "post"):
            response = getattr(client, method)(url, {"q": "9Z9"} if method == "get" else {})
            body = response.content.decode()
            if record:
                assert response.status_code in (403, 404, 405), (method, url, response.status_code)
            else:
                assert response.status_code < 500, (method, url)
            assert not any(marker in body for marker in MARKERS), (method, url)
            walked += 1
    assert walked == 12
    message.refresh_from_db()
    assert message.status == OutboundMessage.Status.FAILED
