"""Demo messages: the chain's default templates, one store's own wording, and a few stored
messages in BJ01's outbox about demo vehicles. Loaded once."""

import datetime

from django.db import transaction
from django.utils import timezone

from pitstop.accounts.models import Store, User

from .models import MessageTemplate, OutboundMessage
from .services import Reference, ensure_default_templates, message_send, salutation, template_save

BJ01_REMINDER = (
    "{customer}您好，温馨提醒：您的爱车{plate}预约于{time}到{store}保养，"
    "请携带行驶证准时到店，我们已为您预留工位。"
)


def messaging_demo_present() -> bool:
    return OutboundMessage.objects.filter(store__code="BJ01").exists()


@transaction.atomic
def load_messaging_demo() -> dict:
    created = ensure_default_templates()
    store = Store.objects.filter(code="BJ01").first()
    if store is None or messaging_demo_present():
        return {"created": bool(created), "templates": created, "messages": 0}
    manager = User.objects.filter(username="manager").first()
    advisor = User.objects.filter(username="advisor").first()
    if not MessageTemplate.objects.filter(store=store, kind="appointment_reminder").exists():
        template_save(actor=manager, store=store, kind="appointment_reminder", body=BJ01_REMINDER)
    from pitstop.customers.models import Vehicle

    vehicles = list(Vehicle.objects.filter(store=store).select_related("owner").exclude(owner__mobile="")[:4])
    tomorrow = timezone.localtime() + datetime.timedelta(days=1)
    sent = 0
    for index, (kind, when) in enumerate(
        [
            ("appointment_confirmed", tomorrow.replace(hour=9, minute=30)),
            ("appointment_reminder", tomorrow.replace(hour=14, minute=0)),
            ("delay_notice", timezone.localtime().replace(hour=17, minute=30)),
            ("ready_notice", timezone.localtime().replace(hour=16, minute=0)),
        ]
    ):
        if index >= len(vehicles):
            break
        vehicle = vehicles[index]
        owner = vehicle.owner
        message_send(
            actor=advisor,
            store=store,
            kind=kind,
            to=owner.mobile,
            context={"customer": salutation(owner), "plate": vehicle.plate, "time": when},
            customer=owner,
            vehicle=vehicle,
            reference=Reference("demo", None, f"DEMO{index + 1:03d}"),
        )
        sent += 1
    return {"created": True, "templates": created, "messages": sent}
