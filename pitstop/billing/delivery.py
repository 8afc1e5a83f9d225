"""Delivery (交车, F-6.4): the car handed back to its owner.

A car leaves only when it is ready, its bill is settled (or put on a company's account — a
credit payment counts as received), and, for the repair categories that need one, the QC
inspector's completion certificate is issued (RULES.md: no such car is handed over without
it). `delivery_blockers` says in words why a car may not leave yet; the delivery page shows
the same sentences that `order_deliver` refuses with.

At the handover the keys, the documents the shop held and the items ticked on the reception
checklist (随车物品, valuables) are handed back one by one: every one held must be ticked as
returned. The old parts go as the work order said (the owner takes them, leaves them to the
shop, or they are kept for the warranty claim). The delivery gives the exit pass number
(出门证) that the gate checks, and moves the work order to delivered through the order's one
transition service, which writes its event row.

The key tag needs no write: a tag is held only by the store's orders still in the workshop,
so the move to delivered frees it."""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from pitstop.accounts.models import User
from pitstop.core.exceptions import ApplicationError
from pitstop.core.numbering import next_code
from pitstop.core.scoping import has_perm_in_store
from pitstop.service.models import BusinessType, RepairOrder
from pitstop.service.orders import lock_order, order_transition
from pitstop.service.reception import DOCUMENTS, ITEMS_IN_VEHICLE

from .models import ZERO, Delivery, Payer, Payment, Settlement
from .settlement import live_settlement, open_settlement

ADD = "billing.add_delivery"
VIEW = "billing.view_delivery"
Status = RepairOrder.Status
OldParts = Delivery.OldParts
# The pseudo item for the valuables written down at reception (a free text, not a code).
VALUABLES = "valuables"
# What the work order agreed about the old parts → what happens to them at the handover.
OLD_PARTS_DEFAULT = {
    RepairOrder.OldParts.TAKE: OldParts.HANDED,
    RepairOrder.OldParts.LEAVE: OldParts.KEPT,
    RepairOrder.OldParts.CLAIM: OldParts.KEPT,
}


# ---------------------------------------------------------------- selectors


def draft_settlement_of(order: RepairOrder) -> Settlement | None:
    """The pre-settlement being prepared, when no bill is posted."""
    current = open_settlement(order)
    return current if current is not None and current.status == Settlement.Status.DRAFT else None


def non_owner_bill(order: RepairOrder, draft: Settlement | None = None) -> bool:
    """Nothing of the bill is the owner's: the store's own car (an internal job), or a
    pre-settlement whose every line is paid by an insurer, the manufacturer or the store.
    Such a car may leave before the bill is posted (the claim is settled afterwards)."""
    if order.business_type == BusinessType.INTERNAL:
        return True
    draft = draft if draft is not None else draft_settlement_of(order)
    if draft is None or draft.owner_total != ZERO:
        return False
    lines = list(draft.lines.values_list("payer", flat=True))
    return bool(lines) and all(payer != Payer.OWNER for payer in lines)


def credit_charged(settlement: Settlement | None) -> Decimal:
    """What of the bill was put on a company's account (挂账)."""
    if settlement is None:
        return ZERO
    total = settlement.payments.filter(method=Payment.Method.CREDIT).aggregate(total=Sum("amount"))["total"]
    return total or ZERO


@dataclass
class Readiness:
    """Whether the car may leave, and what the delivery page shows about it."""

    blockers: list[str] = field(default_factory=list)
    # Things to know that do not stop the car (a claim bill still to post).
    warnings: list[str] = field(default_factory=list)
    settlement: Settlement | None = None
    draft: Settlement | None = None
    on_credit: bool = False
    # Which fix each blocker points to: "settlement", "checks" (QC), "order".
    fixes: set[str] = field(default_factory=set)

    @property
    def ok(self) -> bool:
        return not self.blockers


def delivery_readiness(order: RepairOrder, settlement: Settlement | None = None) -> Readiness:
    """Why the car may not leave yet (translated sentences), with the bill that counts. Pass
    `settlement` when it is already read (and locked) by the caller."""
    found = Readiness()
    if order.status == Status.DELIVERED:
        found.blockers.append(_("The car was already handed over."))
        found.fixes.add("order")
        return found
    if order.status != Status.READY:
        found.blockers.append(
            _("The work order is %(status)s; only a car that is ready can be handed over.")
            % {"status": Status(order.status).label}
        )
        found.fixes.add("order")
    settlement = settlement if settlement is not None else live_settlement(order)
    found.settlement = settlement
    if settlement is None:
        found.draft = draft_settlement_of(order)
        if non_owner_bill(order, found.draft):
            if order.business_type != BusinessType.INTERNAL:
                found.warnings.append(
                    _(
                        "The bill for the insurer or the manufacturer is not posted yet; "
                        "post it so the claim is on record."
                    )
                )
        else:
            found.blockers.append(_("The work order is not settled yet."))
            found.fixes.add("settlement")
    else:
        credit = credit_charged(settlement)
        found.on_credit = credit > ZERO
        if settlement.outstanding > ZERO:
            found.blockers.append(
                _("¥%(outstanding)s is still outstanding on settlement %(number)s.")
                % {"outstanding": settlement.outstanding, "number": settlement.number}
            )
            found.fixes.add("settlement")
    if order.needs_certificate and not order.certificate_no:
        found.blockers.append(
            _(
                "A %(category)s needs the completion certificate signed by the QC inspector; "
                "it is not issued yet."
            )
            % {"category": order.get_repair_category_display()}
        )
        found.fixes.add("checks")
    return found


def delivery_blockers(order: RepairOrder) -> list[str]:
    """Why the car may not leave yet, as sentences for the page and the refusal; empty when
    it may."""
    return delivery_readiness(order).blockers


@dataclass(frozen=True)
class CheckItem:
    """One thing held at reception that must go back to the owner."""

    code: str
    label: str


def items_held(order: RepairOrder) -> list[CheckItem]:
    """The 随车物品 ticked at reception, and the valuables written down, in checklist order."""
    ticked = order.items_in_vehicle or {}
    held = [CheckItem(code, str(label)) for code, label in ITEMS_IN_VEHICLE if ticked.get(code)]
    if (order.valuables or "").strip():
        held.append(CheckItem(VALUABLES, _("valuables: %(what)s") % {"what": order.valuables.strip()}))
    return held


def documents_held(order: RepairOrder) -> list[CheckItem]:
    held = set(order.documents_held or ())
    return [CheckItem(code, str(label)) for code, label in DOCUMENTS if code in held]


def default_old_parts(order: RepairOrder, settlement: Settlement | None = None) -> str:
    """What the work order said about the old parts, or none when no part was replaced (parts
    the customer brought are not the shop's old parts either)."""
    if settlement is not None:
        replaced = settlement.lines.filter(kind="part", customer_supplied=False).exists()
    else:
        replaced = order.part_lines.filter(
            approval="approved", customer_supplied=False, issued__gt=0
        ).exists()
    if not replaced:
        return OldParts.NONE
    return OLD_PARTS_DEFAULT.get(order.old_parts, OldParts.HANDED)


# ---------------------------------------------------------------- services


def _codes(values) -> list[str]:
    return [str(value).strip() for value in (values or ()) if str(value).strip()]


def _check_returned(
    held: list[CheckItem], returned: list[str], *, field_name: str, unknown: str
) -> list[str]:
    codes = {item.code for item in held}
    if set(returned) - codes:
        raise ApplicationError(unknown, field=field_name, code="unknown")
    missing = [item.label for item in held if item.code not in set(returned)]
    if missing:
        message = (
            _("Not handed back yet: %(items)s.")
            if field_name == "items_returned"
            else _("Documents not handed back yet: %(items)s.")
        )
        raise ApplicationError(
            message % {"items": "、".join(missing)},
            field=field_name,
            code="not_returned",
            extra={"missing": missing},
        )
    return [item.code for item in held if item.code in set(returned)]


@transaction.atomic
def order_deliver(
    *,
    actor: User,
    order: RepairOrder,
    keys_returned: bool,
    items_returned=(),
    documents_returned=(),
    old_parts: str | None = None,
    received_by: str = "",
    note: str = "",
) -> Delivery:
    """Hand the car back: lock the order (then its bill), refuse while a blocker stands or
    anything held is not handed back, record the delivery with its exit pass number and move
    the order to delivered. `old_parts` empty means as the work order said."""
    order = lock_order(order)
    if not has_perm_in_store(actor, ADD, order.store_id):
        raise ApplicationError(_("Your role cannot hand cars over."), code="permission")
    settlement = live_settlement(order)
    if settlement is not None:  # a reversal or a payment waits until the car is out
        settlement = Settlement.objects.select_for_update(of=("self",)).get(pk=settlement.pk)
    readiness = delivery_readiness(order, settlement)
    if not readiness.ok:
        raise ApplicationError(
            " ".join(readiness.blockers), code="blocked", extra={"blockers": readiness.blockers}
        )
    if not keys_returned:
        raise ApplicationError(
            _("Tick that the keys were handed back."), field="keys_returned", code="not_returned"
        )
    items = _check_returned(
        items_held(order),
        _codes(items_returned),
        field_name="items_returned",
        unknown=_("Unknown item in the vehicle."),
    )
    documents = _check_returned(
        documents_held(order),
        _codes(documents_returned),
        field_name="documents_returned",
        unknown=_("Unknown document."),
    )
    agreed = default_old_parts(order, settlement)
    old_parts = (old_parts or "").strip() or agreed
    if old_parts not in OldParts.values:
        raise ApplicationError(_("Say what happens to the old parts."), field="old_parts", code="old_parts")
    if agreed == OldParts.NONE and old_parts != OldParts.NONE:
        raise ApplicationError(
            _("No part was replaced on this work order."), field="old_parts", code="old_parts"
        )
    if order.old_parts == RepairOrder.OldParts.CLAIM and old_parts == OldParts.HANDED:
        raise ApplicationError(
            _("The old parts are kept for the warranty claim; they cannot be handed to the owner."),
            field="old_parts",
            code="old_parts",
        )
    received_by = " ".join((received_by or "").split())[:60] or order.contact_name or order.customer.name
    delivery = Delivery.objects.create(
        store_id=order.store_id,
        order=order,
        settlement=settlement,
        on_credit=readiness.on_credit,
        keys_returned=True,
        items_returned=items,
        documents_returned=documents,
        old_parts=old_parts,
        exit_pass_no=next_code("CM", order.store.code),
        received_by=received_by[:60],
        delivered_by=actor,
        note=" ".join((note or "").split())[:300],
    )
    # The permission to hand over was checked above (billing.add_delivery: advisor, cashier,
    # manager); the cashier holds no service.change_repairorder.
    order_transition(
        actor=actor, order=order, to=Status.DELIVERED, note=delivery.exit_pass_no, check_permission=False
    )
    return delivery


# ---------------------------------------------------------------- what the prints show


def exit_pass_refusals(order: RepairOrder) -> list[str]:
    """Why the exit pass (出门证) may not be printed: the gate lets a car out only when it was
    handed over, and its bill is settled or on a company's account (or is not the owner's)."""
    delivery = Delivery.objects.filter(order_id=order.pk).first()
    if delivery is None:
        return [_("The car has not been handed over yet; the exit pass is given at the handover.")]
    settlement = live_settlement(order)
    if settlement is None:
        if non_owner_bill(order):
            return []
        return [_("The settlement was reversed and is not settled again yet.")]
    if settlement.outstanding > ZERO and not credit_charged(settlement) > ZERO:
        return [
            _("¥%(outstanding)s is still outstanding on settlement %(number)s.")
            % {"outstanding": settlement.outstanding, "number": settlement.number}
        ]
    return []


@dataclass(frozen=True)
class GuaranteeCard:
    km: int
    days: int
    starts_on: datetime.date
    # The last day covered: a period in days starts counting the day after (民法典第二百零一条).
    ends_on: datetime.date
    until_km: int | None  # the odometer reading it ends at, when the mileage was read


def guarantee_card(order: RepairOrder) -> GuaranteeCard:
    """The repair-quality guarantee (质量保证期) of the order's repair category and vehicle
    class, from the handover (today when the car is not handed over yet), whichever of the
    distance or the days comes first."""
    from pitstop.service.rules import guarantee_for

    guarantee = guarantee_for(order.vehicle, order.repair_category)
    starts_on = timezone.localdate(order.delivered_at) if order.delivered_at else timezone.localdate()
    return GuaranteeCard(
        km=guarantee.km,
        days=guarantee.days,
        starts_on=starts_on,
        ends_on=starts_on + datetime.timedelta(days=guarantee.days),
        until_km=order.mileage + guarantee.km if order.mileage is not None else None,
    )


@dataclass(frozen=True)
class NextService:
    km: int | None
    on: datetime.date | None
    jobs: list[str]


def next_service(order: RepairOrder) -> NextService | None:
    """When the car is next due for service by its brand's maintenance plan, counted from the
    last time each item was done (this visit included): the nearest mileage and the nearest
    date, whichever comes first. None without a plan."""
    from pitstop.service.catalogue import add_months, plan_for
    from pitstop.service.reception import vehicle_history

    vehicle = order.vehicle
    plan = plan_for(vehicle)
    if plan is None:
        return None
    history = vehicle_history(vehicle)
    mileage = order.mileage if order.mileage is not None else vehicle.current_mileage
    today = timezone.localdate()
    start = (vehicle.purchase_date, vehicle.purchase_mileage or 0)
    due: list[tuple[int | None, datetime.date | None, str]] = []
    for item in plan.items.select_related("job").order_by("every_km", "pk"):
        last_date, last_km = history.get(item.job_id) or start
        due_km = (last_km or 0) + item.every_km if item.every_km else None
        while due_km is not None and mileage is not None and due_km <= mileage:
            due_km += item.every_km  # an item overdue or done today: its next time
        due_on = add_months(last_date, item.every_months) if item.every_months and last_date else None
        while due_on is not None and due_on <= today:
            due_on = add_months(due_on, item.every_months)
        due.append((due_km, due_on, item.job.name))
    kms = [km for km, _on, _name in due if km is not None]
    dates = [on for _km, on, _name in due if on is not None]
    next_km, next_on = (min(kms) if kms else None), (min(dates) if dates else None)
    jobs = [
        name
        for km, on, name in due
        if (km is not None and km == next_km) or (on is not None and on == next_on)
    ]
    if next_km is None and next_on is None:
        return None
    return NextService(km=next_km, on=next_on, jobs=list(dict.fromkeys(jobs)))
