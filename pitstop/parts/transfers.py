"""Transfers (调拨, F-5.8): parts from a warehouse of one store to a warehouse of the same or
another store of the chain.

draft → in_transit (shipped: out of the source at its average cost) → received (into the
target at that same cost), or draft → cancelled. Between shipping and receiving the parts
belong to no warehouse: they are "in transit", valued at the cost they went out at. Within
one store a transfer may be shipped and received in one step.

Rights: a transfer is seen by whoever may view transfers in the source OR the target store;
the source store ships (and edits, cancels), the target store receives."""

from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from pitstop.accounts.models import Store, User
from pitstop.core.events import record_event
from pitstop.core.exceptions import ApplicationError
from pitstop.core.money import plain, to_money, to_quantity
from pitstop.core.numbering import next_code
from pitstop.core.scoping import has_perm_in_store, permitted_store_ids

from . import services
from .models import ZERO, Part, StockMovement, Transfer, TransferLine, Warehouse

Status = Transfer.Status
Kind = StockMovement.Kind

VIEW = "parts.view_transfer"
ADD = "parts.add_transfer"
CHANGE = "parts.change_transfer"
MOVE_STOCK = "parts.add_stockmovement"
REFERENCE_TYPE = "transfer"
NO_MONEY = Decimal("0.00")


# --- rights -----------------------------------------------------------------------------------


def may_create(user, store: Store | None) -> bool:
    return store is not None and has_perm_in_store(user, ADD, store.pk)


def may_edit(user, transfer: Transfer) -> bool:
    """Edit or cancel a draft: the source store's business."""
    return has_perm_in_store(user, CHANGE, transfer.source_store_id)


def may_ship(user, transfer: Transfer) -> bool:
    return may_edit(user, transfer) and has_perm_in_store(user, MOVE_STOCK, transfer.source_store_id)


def may_receive(user, transfer: Transfer) -> bool:
    return has_perm_in_store(user, CHANGE, transfer.target_store_id) and has_perm_in_store(
        user, MOVE_STOCK, transfer.target_store_id
    )


# --- selectors --------------------------------------------------------------------------------


def transfers_for(user, store: Store | None = None) -> QuerySet[Transfer]:
    """Transfers the user may see: those leaving or reaching a store where they may view
    transfers (narrowed to one store when given)."""
    store_ids = permitted_store_ids(user, VIEW)
    if store is not None:
        store_ids = store_ids & {store.pk}
    ids = sorted(store_ids)
    return Transfer.objects.filter(Q(source_store_id__in=ids) | Q(target_store_id__in=ids)).select_related(
        "source_store", "target_store", "source", "target", "created_by", "shipped_by", "received_by"
    )


def outgoing(user, store: Store) -> QuerySet[Transfer]:
    return transfers_for(user, store).filter(source_store=store)


def incoming(user, store: Store) -> QuerySet[Transfer]:
    """What is coming to the store, or has come: drafts are still the sender's business."""
    return (
        transfers_for(user, store)
        .filter(target_store=store)
        .exclude(status__in=[Status.DRAFT, Status.CANCELLED])
    )


def transfer_get(user, pk) -> Transfer:
    """The transfer, if the user may see it; 404 otherwise (another store's transfer does not
    even reveal that it exists)."""
    try:
        return transfers_for(user).get(pk=pk)
    except (Transfer.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def transfer_lines(transfer: Transfer) -> list[TransferLine]:
    return list(transfer.lines.select_related("part"))


def line_amount(line: TransferLine, quantity: Decimal | None = None) -> Decimal | None:
    """A line's value at the cost it went out at, rounded (lines are rounded, then summed)."""
    if line.unit_cost is None:
        return None
    return to_money((line.quantity if quantity is None else quantity) * line.unit_cost)


def values_by_transfer(transfer_ids) -> dict[int, tuple[int, Decimal]]:
    """{transfer id: (number of lines, value at cost)} in one query, for lists."""
    result: dict[int, tuple[int, Decimal]] = {}
    for line in TransferLine.objects.filter(transfer_id__in=list(transfer_ids)).only(
        "transfer_id", "quantity", "unit_cost"
    ):
        count, value = result.get(line.transfer_id, (0, NO_MONEY))
        result[line.transfer_id] = (count + 1, value + (line_amount(line) or ZERO))
    return result


@dataclass(frozen=True)
class InTransit:
    store: Store
    outgoing_count: int  # transfers shipped by the store, not yet received
    outgoing_value: Decimal
    incoming_count: int  # transfers on their way to the store
    incoming_value: Decimal


def in_transit_by_store(user, store: Store | None = None) -> list[InTransit]:
    """Stock in transit belongs to no warehouse: its value per store, both what the store has
    sent and not yet seen received, and what is on its way to it. Lines rounded, then summed."""
    store_ids = permitted_store_ids(user, VIEW)
    if store is not None:
        store_ids = store_ids & {store.pk}
    lines = TransferLine.objects.filter(transfer__status=Status.IN_TRANSIT).filter(
        Q(transfer__source_store_id__in=sorted(store_ids))
        | Q(transfer__target_store_id__in=sorted(store_ids))
    )
    sums: dict[int, list] = {}
    for transfer_id, source_id, target_id, quantity, unit_cost in lines.values_list(
        "transfer_id", "transfer__source_store_id", "transfer__target_store_id", "quantity", "unit_cost"
    ):
        amount = to_money(quantity * (unit_cost or ZERO))
        for store_id, side in ((source_id, 0), (target_id, 1)):
            if store_id in store_ids:
                row = sums.setdefault(store_id, [set(), NO_MONEY, set(), NO_MONEY])
                row[side * 2].add(transfer_id)
                row[side * 2 + 1] += amount
    stores = Store.objects.in_bulk(list(sums))
    return [
        InTransit(stores[store_id], len(row[0]), row[1], len(row[2]), row[3])
        for store_id, row in sorted(sums.items(), key=lambda item: stores[item[0]].code)
    ]


def source_warehouses(store: Store) -> QuerySet[Warehouse]:
    """Where parts may leave from: the store's active parts warehouses."""
    return (
        Warehouse.objects.filter(store=store, is_active=True)
        .exclude(kind=Warehouse.Kind.OLD_PARTS)
        .select_related("store")
        .order_by("code")
    )


def target_stores() -> QuerySet[Store]:
    """Stores of the chain that have a warehouse parts can be sent to."""
    return Store.objects.filter(pk__in=target_warehouses().values("store_id")).order_by("code")


def target_warehouses() -> QuerySet[Warehouse]:
    """Where parts may go: any active parts warehouse of an active store of the chain. The
    sender needs no rights in the target store to send there."""
    return (
        Warehouse.objects.filter(is_active=True, store__is_active=True)
        .exclude(kind=Warehouse.Kind.OLD_PARTS)
        .select_related("store")
        .order_by("store__code", "name")
    )


# --- services ---------------------------------------------------------------------------------


def status_label(status: str) -> str:
    return str(Status(status).label) if status in Status.values else status


def _check_move(transfer: Transfer, to: str) -> None:
    if to not in Transfer.ALLOWED.get(transfer.status, set()):
        raise ApplicationError(
            _("A transfer that is %(from)s cannot become %(to)s.")
            % {"from": status_label(transfer.status), "to": status_label(to)},
            field="status",
            code="transition",
        )


def _locked(transfer: Transfer) -> Transfer:
    return (
        Transfer.objects.select_for_update()
        .select_related("source", "target", "source_store", "target_store")
        .get(pk=transfer.pk)
    )


def _check_route(source: Warehouse, target: Warehouse) -> None:
    if source.pk == target.pk:
        raise ApplicationError(_("Choose two different warehouses."), field="target")
    for warehouse, field in ((source, "source"), (target, "target")):
        if not warehouse.is_active or warehouse.kind == Warehouse.Kind.OLD_PARTS:
            raise ApplicationError(
                _("Parts cannot be transferred to or from %(name)s.") % {"name": warehouse.name},
                field=field,
            )
    if not target.store.is_active:
        raise ApplicationError(
            _("The store %(name)s is closed.") % {"name": target.store.name}, field="target"
        )


def _check_lines(lines) -> list[tuple[Part, Decimal]]:
    if not lines:
        raise ApplicationError(_("Add at least one line."), field="lines")
    checked = [(part, services.clean_quantity(qty)) for part, qty in lines]
    if len({part.pk for part, _q in checked}) != len(checked):
        raise ApplicationError(_("Each part once per transfer; add the quantities up."), field="lines")
    return checked


@transaction.atomic
def transfer_create(
    *,
    actor: User | None,
    source: Warehouse,
    target: Warehouse,
    lines: list[tuple[Part, object]],
    note: str = "",
) -> Transfer:
    """A draft: nothing moves until it is shipped. Numbered in the sending store."""
    _check_route(source, target)
    checked = _check_lines(lines)
    transfer = Transfer.objects.create(
        number=next_code("DB", source.store.code),
        source_store_id=source.store_id,
        target_store_id=target.store_id,
        source=source,
        target=target,
        note=note[:200],
        created_by=actor if actor and actor.pk else None,
    )
    TransferLine.objects.bulk_create(
        [TransferLine(transfer=transfer, part=part, quantity=qty) for part, qty in checked]
    )
    record_event(transfer, actor, "", Status.DRAFT)
    return transfer


@transaction.atomic
def transfer_update(
    *,
    actor: User | None,
    transfer: Transfer,
    source: Warehouse,
    target: Warehouse,
    lines: list[tuple[Part, object]],
    note: str = "",
) -> Transfer:
    """Change a draft: route, lines, note. The sending store stays the one it was made in."""
    transfer = _locked(transfer)
    if transfer.status != Status.DRAFT:
        raise ApplicationError(
            _("A transfer that is %(status)s cannot be changed.") % {"status": status_label(transfer.status)},
            field="status",
            code="transition",
        )
    if source.store_id != transfer.source_store_id:
        raise ApplicationError(_("The warehouse belongs to another store."), field="source")
    _check_route(source, target)
    checked = _check_lines(lines)
    transfer.source, transfer.target = source, target
    transfer.target_store_id = target.store_id
    transfer.note = note[:200]
    transfer.save(update_fields=["source", "target", "target_store", "note", "updated_at"])
    transfer.lines.all().delete()
    TransferLine.objects.bulk_create(
        [TransferLine(transfer=transfer, part=part, quantity=qty) for part, qty in checked]
    )
    return transfer


@transaction.atomic
def transfer_cancel(*, actor: User | None, transfer: Transfer, note: str = "") -> Transfer:
    """Only a draft is cancelled: nothing has moved yet, so nothing is reversed."""
    transfer = _locked(transfer)
    _check_move(transfer, Status.CANCELLED)
    previous = transfer.status
    transfer.status = Status.CANCELLED
    transfer.save(update_fields=["status", "updated_at"])
    record_event(transfer, actor, previous, Status.CANCELLED, note)
    return transfer


@transaction.atomic
def transfer_ship(*, actor: User | None, transfer: Transfer, receive: bool = False) -> Transfer:
    """The parts leave the source at its average cost, which each line keeps (the cost they
    will arrive at). Within one store `receive=True` also puts them into the target at once."""
    transfer = _locked(transfer)
    _check_move(transfer, Status.IN_TRANSIT)
    if receive and transfer.source_store_id != transfer.target_store_id:
        raise ApplicationError(
            _(
                "Only a transfer within one store is received when it is shipped; "
                "the other store receives it."
            ),
            field="status",
        )
    _check_route(transfer.source, transfer.target)
    lines = list(transfer.lines.select_related("part").order_by("id"))
    checked = _check_lines([(line.part, line.quantity) for line in lines])
    reference = services.Reference(REFERENCE_TYPE, transfer.pk, transfer.number)
    if receive:
        # Both sides at once, the balance rows locked in one go (no deadlock with a transfer
        # going the other way).
        moved = services.stock_transfer(
            actor=actor, source=transfer.source, target=transfer.target, lines=checked, reference=reference
        )
        out = moved[: len(lines)]
    else:
        out = services.stock_issue(
            actor=actor,
            warehouse=transfer.source,
            lines=checked,
            kind=Kind.TRANSFER_OUT,
            reference=reference,
        )
    for line, movement in zip(lines, out, strict=True):
        line.unit_cost = movement.unit_cost
        if receive:
            line.received = line.quantity
    TransferLine.objects.bulk_update(lines, ["unit_cost", "received"])
    now = timezone.now()
    transfer.status = Status.IN_TRANSIT
    transfer.shipped_at, transfer.shipped_by = now, actor if actor and actor.pk else None
    fields = ["status", "shipped_at", "shipped_by", "updated_at"]
    record_event(transfer, actor, Status.DRAFT, Status.IN_TRANSIT)
    if receive:
        transfer.status = Status.RECEIVED
        transfer.received_at, transfer.received_by = now, transfer.shipped_by
        fields += ["received_at", "received_by"]
        record_event(
            transfer, actor, Status.IN_TRANSIT, Status.RECEIVED, _("Shipped and received in one step.")
        )
    transfer.save(update_fields=fields)
    return transfer


@transaction.atomic
def transfer_receive(
    *, actor: User | None, transfer: Transfer, received: dict[int, object] | None = None, reason: str = ""
) -> Transfer:
    """The parts arrive at the target at the cost they left at. `received` maps line id to the
    quantity that arrived (a line not named arrived in full). Less than shipped only with a
    reason: the shortage stays on the line and in the event; nothing moves for what is missing.
    Never more than shipped."""
    transfer = _locked(transfer)
    _check_move(transfer, Status.RECEIVED)
    received = dict(received or {})
    lines = list(transfer.lines.select_related("part").order_by("id"))
    unknown = set(received) - {line.pk for line in lines}
    if unknown:
        raise ApplicationError(_("That line is not on this transfer."), field="lines")
    reason = reason.strip()
    shortages = []
    for line in lines:
        try:
            quantity = to_quantity(received.get(line.pk, line.quantity))
        except (TypeError, ArithmeticError, ValueError):
            raise ApplicationError(_("The quantity must be a number."), field="received") from None
        if quantity < 0:
            raise ApplicationError(_("A received quantity cannot be negative."), field="received")
        if quantity > line.quantity:
            raise ApplicationError(
                _("%(part)s: %(shipped)s shipped; %(received)s cannot be received.")
                % {"part": line.part, "shipped": plain(line.quantity), "received": plain(quantity)},
                field="received",
                code="over_receipt",
            )
        if quantity < line.quantity:
            if not reason:
                raise ApplicationError(
                    _("%(part)s: %(shipped)s shipped, %(received)s received. Give a reason for the shortage.")
                    % {"part": line.part, "shipped": plain(line.quantity), "received": plain(quantity)},
                    field="reason",
                    code="shortage",
                )
            shortages.append(
                _("%(part)s short %(missing)s")
                % {"part": line.part.name, "missing": plain(line.quantity - quantity)}
            )
        line.received = quantity
    arrived = [(line.part, line.received, line.unit_cost) for line in lines if line.received > 0]
    if arrived:
        services.stock_receive(
            actor=actor,
            warehouse=transfer.target,
            lines=arrived,
            kind=Kind.TRANSFER_IN,
            reference=services.Reference(REFERENCE_TYPE, transfer.pk, transfer.number),
            note=reason,
        )
    TransferLine.objects.bulk_update(lines, ["received"])
    transfer.status = Status.RECEIVED
    transfer.received_at = timezone.now()
    transfer.received_by = actor if actor and actor.pk else None
    transfer.save(update_fields=["status", "received_at", "received_by", "updated_at"])
    note = "; ".join(filter(None, [reason, ", ".join(shortages)]))
    record_event(transfer, actor, Status.IN_TRANSIT, Status.RECEIVED, note)
    return transfer
