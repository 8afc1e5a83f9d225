"""The front desk's appointments box on the home page."""

import re

from django.urls import reverse

from pitstop.service.models import Appointment


def test_the_advisor_sees_online_requests_waiting_and_only_this_stores(client, store_a, store_b, make_staff):
    advisor = make_staff("advisor", store_a)
    for store, number in [(store_a, "YYA"), (store_b, "YYB")]:
        Appointment.objects.create(
            store=store,
            number=number,
            status="requested",
            source="online",
            mobile="13911112222",
            content="空调不制冷",
            starts_at="2030-01-07T02:00:00Z",
            ends_at="2030-01-07T03:00:00Z",
        )
    client.force_login(advisor)
    page = client.get(reverse("accounts:home")).content.decode()
    waiting = re.search(r'data-todo="to-confirm">.*?<span[^>]*>\s*(\d+)</span>', page, re.S)
    assert waiting and waiting.group(1) == "1"
