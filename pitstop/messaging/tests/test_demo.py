from django.core.management import call_command

from pitstop.messaging.demo import load_messaging_demo
from pitstop.messaging.models import MessageTemplate, OutboundMessage


def test_demo_outbox_loads_once(db, django_capture_on_commit_callbacks, settings):
    settings.SMS_GATEWAY_URL = ""
    with django_capture_on_commit_callbacks(execute=True):
        call_command("load_demo", "--quiet-logins")  # the demo loader brings the outbox in
    assert load_messaging_demo()["messages"] == 0
    # The outbox demo's own messages; the appointments and workshop demos add theirs beside them.
    messages = OutboundMessage.objects.filter(store__code="BJ01").exclude(
        reference_type__in=["appointment", "repair_order"]
    )
    assert messages.count() == 4
    assert all(m.status == OutboundMessage.Status.STORED for m in messages)
    assert all(m.body.startswith("【北京朝阳店】") and m.vehicle.plate in m.body for m in messages)
    assert MessageTemplate.objects.filter(store__code="BJ01", kind="appointment_reminder").exists()
