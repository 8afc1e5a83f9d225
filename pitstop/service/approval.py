"""追加维修项目 (B-2, F-4.3): add-on work a technician found is put to the owner, who approves or
declines each item on a phone page opened from an SMS link (a random token, never the id), or
tells the advisor on the phone or at the desk, who records it (who, how, when).

A decision is made once: a second click on a decided line changes nothing and says so. A
declined line stays on the order as declined: it is the vehicle's recommended work for later
(`pitstop.service.rules.recommended_work` reads declined lines). An approved shop part is
reserved in the store's warehouse like an estimate part. When nothing is pending any more, an
order waiting for the owner goes back to in progress.

Selectors first, then services."""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Prefetch
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from pitstop.accounts.models import User
from pitstop.core.events import record_event
from pitstop.core.exceptions import ApplicationError
from pitstop.core.money import to_money
from pitstop.core.text import mask_identifier
from pitstop.messaging.services import Reference, message_send, salutation

from .models import (
    ZERO,
    Approval,
    ApprovalVia,
    Finding,
    OrderLabour,
    OrderPart,
    OrderPhoto,
    RepairOrder,
)
from .orders import lock_order, order_recalculate, order_transition

Status = RepairOrder.Status
LINE_MODELS = {"labour": OrderLabour, "part": OrderPart}
# How a decision reaches us: the owner's link, or the advisor records a call or a visit.
DECIDED_VIA = (ApprovalVia.LINK, ApprovalVia.PHONE, ApprovalVia.IN_PERSON)
# A phone decision may be recorded a while after the call, never ahead of it.
FUTURE_SLACK = datetime.timedelta(minutes=5)


# ---------------------------------------------------------------- selectors


@dataclass
class AddonGroup:
    """The add-on lines of one finding (or of none), with its photos and extra time."""

    finding: Finding | None
    lines: list = field(default_factory=list)  # (kind, line) pairs, labour first
    photos: list = field(default_factory=list)

    @property
    def extra_hours(self) -> Decimal:
        return self.finding.extra_hours if self.finding else ZERO

    @property
    def amount(self) -> Decimal:
        return to_money(sum((line.amount for _kind, line in self.lines), ZERO))

    @property
    def pending(self) -> bool:
        return any(line.approval == Approval.PENDING for _kind, line in self.lines)


@dataclass
class AddonSummary:
    groups: list[AddonGroup]

    def _lines(self, approval: str | None = None):
        return [
            line for group in self.groups for _kind, line in group.lines if approval in (None, line.approval)
        ]

    @property
    def pending_count(self) -> int:
        return len(self._lines(Approval.PENDING))

    @property
    def count(self) -> int:
        return len(self._lines())

    def total(self, approval: str | None = None) -> Decimal:
        return to_money(sum((line.amount for line in self._lines(approval)), ZERO))

    @property
    def pending_total(self) -> Decimal:
        return self.total(Approval.PENDING)

    @property
    def approved_total(self) -> Decimal:
        return self.total(Approval.APPROVED)

    @property
    def declined_total(self) -> Decimal:
        return self.total(Approval.DECLINED)

    @property
    def extra_hours(self) -> Decimal:
        """Extra time of the findings whose work is pending or approved (declined: no time)."""
        return sum(
            (
                group.extra_hours
                for group in self.groups
                if any(line.approval != Approval.DECLINED for _kind, line in group.lines)
            ),
            ZERO,
        )

    @property
    def approved_hours(self) -> Decimal:
        return sum(
            (
                group.extra_hours
                for group in self.groups
                if any(line.approval == Approval.APPROVED for _kind, line in group.lines)
            ),
            ZERO,
        )


def addon_summary(order: RepairOrder) -> AddonSummary:
    """The order's add-on lines grouped by finding (in the order found), each group with its
    finding's photos. Four queries whatever the number of lines."""
    labour = list(OrderLabour.objects.filter(order=order, is_addon=True).select_related("recorded_by"))
    parts = list(OrderPart.objects.filter(order=order, is_addon=True).select_related("recorded_by"))
    finding_ids = {line.finding_id for line in [*labour, *parts] if line.finding_id}
    findings = {
        finding.pk: finding
        for finding in Finding.objects.filter(order=order, pk__in=finding_ids)
        .select_related("reported_by")
        .prefetch_related(Prefetch("photos", queryset=OrderPhoto.objects.order_by("id")))
    }
    groups: dict[int | None, AddonGroup] = {}
    for kind, line in [*(("labour", line) for line in labour), *(("part", line) for line in parts)]:
        key = line.finding_id if line.finding_id in findings else None
        if key not in groups:
            finding = findings.get(key) if key else None
            groups[key] = AddonGroup(finding=finding, photos=list(finding.photos.all()) if finding else [])
        groups[key].lines.append((kind, line))
    ordered = sorted(
        groups.values(), key=lambda group: (group.finding is None, group.finding.pk if group.finding else 0)
    )
    return AddonSummary(groups=ordered)


def new_promised_time(order: RepairOrder, summary: AddonSummary) -> datetime.datetime | None:
    """The promised time moved on by the extra time of the add-on work not declined: what the
    add-on sheet tells the owner (the advisor confirms a delay on the tasks page)."""
    if order.promised_at is None:
        return None
    return order.promised_at + datetime.timedelta(minutes=int(summary.extra_hours * 60))


def order_by_token(token: str) -> RepairOrder | None:
    """The open order whose owner's link carries `token`; None for an unknown, replaced or
    closed one (the page answers 404)."""
    token = (token or "").strip()
    if len(token) < 20 or len(token) > 64:
        return None
    return (
        RepairOrder.objects.select_related("store", "vehicle", "customer")
        .filter(approval_token=token, status__in=RepairOrder.OPEN)
        .first()
    )


def public_url(order: RepairOrder) -> str:
    return settings.PUBLIC_BASE_URL + reverse("service:approval_public", args=[order.approval_token])


def addressed_as(order: RepairOrder) -> str:
    customer = order.customer
    return (salutation(customer) if customer else "") or order.contact_name or _("Dear customer")


# ---------------------------------------------------------------- services


@transaction.atomic
def approval_link_send(*, actor: User, order: RepairOrder) -> str:
    """A new random token for the order (the old link stops working) and the `approval_link`
    SMS to the order's mobile. Returns the URL sent."""
    order = lock_order(order)
    if not order.is_open:
        raise ApplicationError(
            _("The work order is %(status)s; there is nothing left to ask the owner.")
            % {"status": Status(order.status).label},
            code="closed",
        )
    pending = (
        OrderLabour.objects.filter(order=order, is_addon=True, approval=Approval.PENDING).exists()
        or OrderPart.objects.filter(order=order, is_addon=True, approval=Approval.PENDING).exists()
    )
    if not pending:
        raise ApplicationError(
            _("No add-on work is waiting for the owner's decision."), code="nothing_pending"
        )
    if not order.mobile:
        raise ApplicationError(
            _("The work order has no mobile number to send the link to."), field="mobile", code="mobile"
        )
    order.new_approval_token()
    order.save(update_fields=["approval_token", "updated_at"])
    url = public_url(order)
    message_send(
        actor=actor,
        store=order.store,
        kind="approval_link",
        to=order.mobile,
        context={"customer": addressed_as(order), "plate": order.vehicle.plate, "link": url},
        customer=order.customer,
        vehicle=order.vehicle,
        reference=Reference("repair_order", order.pk, order.number),
    )
    record_event(
        order,
        actor,
        order.status,
        order.status,
        _("Add-on approval link sent to %(mobile)s") % {"mobile": mask_identifier(order.mobile)},
    )
    return url


def _reserve_part(*, actor: User | None, line: OrderPart) -> None:
    """An approved shop part is reserved in the store's parts store when it is in stock (supply
    "reserved"), else it is to be ordered: the estimate's own rule (A2's `part_line_reserve`)."""
    from .estimates import part_line_reserve

    part_line_reserve(actor=actor, line=line)


def _clean_decision(
    order: RepairOrder, via: str, decided_by_name: str, decided_at: datetime.datetime | None
) -> tuple[str, datetime.datetime]:
    if via not in DECIDED_VIA:
        raise ApplicationError(_("Say how the owner decided."), field="via", code="via")
    name = (decided_by_name or "").strip()
    if via == ApprovalVia.LINK:
        name = name or order.contact_name or (order.customer.name if order.customer_id else "")
    elif not name:
        raise ApplicationError(_("Write who decided."), field="decided_by_name", code="name")
    now = timezone.now()
    when = decided_at or now
    if not isinstance(when, datetime.datetime) or timezone.is_naive(when):
        raise ApplicationError(_("Give the time of the decision."), field="decided_at", code="time")
    if when > now + FUTURE_SLACK:
        raise ApplicationError(_("The decision cannot be in the future."), field="decided_at", code="future")
    if order.received_at and when < order.received_at:
        raise ApplicationError(
            _("The decision cannot be before the car was received."), field="decided_at", code="too_early"
        )
    return name[:60], when


def _already_decided(line) -> ApplicationError:
    return ApplicationError(
        _("“%(item)s” was already %(decision)s on %(time)s; nothing was changed.")
        % {
            "item": line.name,
            "decision": Approval(line.approval).label,
            "time": date_format(timezone.localtime(line.decided_at), "Y-m-d H:i") if line.decided_at else "—",
        },
        field="line",
        code="already_decided",
    )


def _decide_line(*, actor, order, kind, line, approve, via, name, when) -> None:
    line.approval = Approval.APPROVED if approve else Approval.DECLINED
    line.approval_via = via
    line.decided_at = when
    line.decided_by_name = name
    line.recorded_by = actor if actor is not None and actor.pk else None
    line.save(update_fields=["approval", "approval_via", "decided_at", "decided_by_name", "recorded_by"])
    if approve and kind == "part":
        _reserve_part(actor=actor, line=line)


def _after_decisions(*, actor, order: RepairOrder, decided: list, via: str, name: str) -> None:
    """Totals, the event row, and back to in progress when nothing is pending any more."""
    order_recalculate(order)
    approved = [line.name for _kind, line in decided if line.approval == Approval.APPROVED]
    declined = [line.name for _kind, line in decided if line.approval == Approval.DECLINED]
    parts = []
    if approved:
        parts.append(_("approved: %(items)s") % {"items": "、".join(approved)})
    if declined:
        parts.append(_("declined: %(items)s") % {"items": "、".join(declined)})
    note = _("Add-on work %(what)s (%(who)s, %(via)s)") % {
        "what": "; ".join(parts),
        "who": name,
        "via": ApprovalVia(via).label,
    }
    record_event(order, actor, order.status, order.status, note)
    still_pending = (
        OrderLabour.objects.filter(order=order, is_addon=True, approval=Approval.PENDING).exists()
        or OrderPart.objects.filter(order=order, is_addon=True, approval=Approval.PENDING).exists()
    )
    if not still_pending and order.status == Status.WAITING_APPROVAL:
        order_transition(
            actor=actor,
            order=order,
            to=Status.IN_PROGRESS,
            note=_("The owner has decided on all add-on work."),
            check_permission=False,
        )


@transaction.atomic
def approval_decide(
    *,
    order: RepairOrder,
    kind: str,
    line_id: int,
    approve: bool,
    via: str,
    decided_by_name: str = "",
    actor: User | None = None,
    decided_at: datetime.datetime | None = None,
):
    """The owner's decision on one pending add-on line: through the link (actor None, the
    contact's name recorded) or told to the advisor (`actor`, who decided, phone or in person,
    when). A line decided already is refused (code "already_decided") and left as it was.
    Returns the line."""
    order = lock_order(order)
    if not order.is_open:
        raise ApplicationError(
            _("The work order is %(status)s; decisions can no longer be changed.")
            % {"status": Status(order.status).label},
            code="closed",
        )
    model = LINE_MODELS.get(kind)
    if model is None:
        raise ApplicationError(_("Unknown kind of line."), field="kind", code="kind")
    name, when = _clean_decision(order, via, decided_by_name, decided_at)
    try:
        line = model.objects.select_for_update().filter(order=order, is_addon=True, pk=int(line_id)).first()
    except (TypeError, ValueError):
        line = None
    if line is None:
        raise ApplicationError(
            _("There is no such add-on item on this work order."), field="line", code="not_found"
        )
    if line.approval != Approval.PENDING:
        raise _already_decided(line)
    _decide_line(
        actor=actor, order=order, kind=kind, line=line, approve=approve, via=via, name=name, when=when
    )
    _after_decisions(actor=actor, order=order, decided=[(kind, line)], via=via, name=name)
    return line


@transaction.atomic
def approval_decide_all(
    *,
    order: RepairOrder,
    approve: bool,
    via: str,
    decided_by_name: str = "",
    actor: User | None = None,
    decided_at: datetime.datetime | None = None,
) -> int:
    """Every pending add-on line approved (or declined) at once; decided lines are left as they
    are. Returns how many lines were decided (0: nothing was pending, code "nothing_pending")."""
    order = lock_order(order)
    if not order.is_open:
        raise ApplicationError(
            _("The work order is %(status)s; decisions can no longer be changed.")
            % {"status": Status(order.status).label},
            code="closed",
        )
    name, when = _clean_decision(order, via, decided_by_name, decided_at)
    decided = []
    for kind, model in LINE_MODELS.items():
        for line in model.objects.select_for_update().filter(
            order=order, is_addon=True, approval=Approval.PENDING
        ):
            _decide_line(
                actor=actor, order=order, kind=kind, line=line, approve=approve, via=via, name=name, when=when
            )
            decided.append((kind, line))
    if not decided:
        raise ApplicationError(
            _("No add-on work is waiting for the owner's decision."), code="nothing_pending"
        )
    _after_decisions(actor=actor, order=order, decided=decided, via=via, name=name)
    return len(decided)
