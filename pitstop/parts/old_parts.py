"""Old parts (旧件, F-5.10): services and selectors.

An old part is one record (JW… number), never stock: it is collected from a job, a warranty
claim or entered by hand, stored in an old-parts warehouse of its store (a bin), and ends up

- returned to the supplier or manufacturer (清退), only by sending the batch it is packed in,
- given back to the vehicle's owner (with who received it), or
- scrapped (with the reason).

    collected → stored → returned (batch sent) / given_back / scrapped
    collected → given_back / scrapped

A return batch (QT… number) is open while it is packed: stored parts of its store that are in
no other batch are added and removed; sending it marks every part in it returned; cancelling
it takes the parts out again, still stored.

Every change writes an OldPartEvent row on the part (adding to or taking out of a batch too,
as stored → stored with a note). Batches have no event table of their own: their creation,
sending and cancelling go to the audit trail (core.audit), and each part's events name the
batch. Each service runs in one transaction: a refusal writes nothing.

Lock order: a batch row first, then old-part rows in primary-key order."""

from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from pitstop.accounts.models import Store, User
from pitstop.core.audit import audit_record, snapshot
from pitstop.core.events import record_event
from pitstop.core.exceptions import ApplicationError
from pitstop.core.numbering import next_code
from pitstop.core.scoping import get_scoped_or_404, has_perm_in_store, scoped
from pitstop.core.text import normalise_code
from pitstop.customers.models import Vehicle
from pitstop.customers.selectors import vehicles_for

from . import services
from .models import ZERO, OldPart, OldPartBatch, OldPartEvent, Part, Supplier, Warehouse
from .services import Reference

Status = OldPart.Status
Source = OldPart.Source
BatchStatus = OldPartBatch.Status
Destination = OldPartBatch.Destination

VIEW = "parts.view_oldpart"
ADD = "parts.add_oldpart"
CHANGE = "parts.change_oldpart"
VIEW_BATCH = "parts.view_oldpartbatch"
ADD_BATCH = "parts.add_oldpartbatch"
CHANGE_BATCH = "parts.change_oldpartbatch"

PLATE_LENGTH = OldPart._meta.get_field("plate").max_length
BATCH_AUDIT_FIELDS = ["destination", "supplier", "recipient", "status", "note"]  # sent_at: the entry's time


# --- selectors --------------------------------------------------------------------------------


def old_parts_for(user, store: Store | None = None) -> QuerySet[OldPart]:
    """Old parts of the stores where the user may view them (one store when given)."""
    return scoped(OldPart.objects.all(), user, VIEW, store=store).select_related(
        "store", "part", "warehouse", "batch", "vehicle"
    )


def old_part_get(user, pk) -> OldPart:
    """One old part, or 404 when it is another store's."""
    return get_scoped_or_404(
        OldPart.objects.select_related("store", "part", "warehouse", "batch", "vehicle", "collected_by"),
        user,
        VIEW,
        pk=pk,
    )


def old_part_events(old_part: OldPart) -> list[OldPartEvent]:
    return list(old_part.events.select_related("actor"))


def batches_for(user, store: Store | None = None) -> QuerySet[OldPartBatch]:
    return scoped(OldPartBatch.objects.all(), user, VIEW_BATCH, store=store).select_related(
        "store", "supplier", "created_by"
    )


def batch_get(user, pk) -> OldPartBatch:
    return get_scoped_or_404(
        OldPartBatch.objects.select_related("store", "supplier", "created_by"), user, VIEW_BATCH, pk=pk
    )


def batch_parts(batch: OldPartBatch) -> list[OldPart]:
    return list(batch.old_parts.select_related("part", "vehicle", "warehouse").order_by("number"))


def batch_candidates(batch: OldPartBatch, limit: int = 200) -> QuerySet[OldPart]:
    """Stored parts of the batch's store that are in no batch: what may be packed."""
    return (
        OldPart.objects.filter(store_id=batch.store_id, status=Status.STORED, batch__isnull=True)
        .select_related("part", "warehouse")
        .order_by("number")[:limit]
    )


@dataclass(frozen=True)
class Totals:
    count: int
    quantity: Decimal


def totals(old_parts) -> Totals:
    old_parts = list(old_parts)
    return Totals(len(old_parts), sum((item.quantity for item in old_parts), ZERO))


def old_part_warehouses(store_id: int) -> QuerySet[Warehouse]:
    """Where a store keeps its old parts."""
    return Warehouse.objects.filter(
        store_id=store_id, kind=Warehouse.Kind.OLD_PARTS, is_active=True
    ).order_by("code")


def vehicle_for_plate(user, store: Store, plate: str) -> Vehicle | None:
    """The store's vehicle with this plate, if the user may see it."""
    plate = normalise_code(plate)
    if not plate or user is None:
        return None
    return vehicles_for(user, store).filter(plate=plate).order_by("-id").first()


def status_label(status: str) -> str:
    return Status(status).label if status in Status.values else status


def batch_status_label(status: str) -> str:
    return BatchStatus(status).label if status in BatchStatus.values else status


def may_change(user, old_part: OldPart) -> bool:
    return has_perm_in_store(user, CHANGE, old_part.store_id)


def may_change_batch(user, batch: OldPartBatch) -> bool:
    return has_perm_in_store(user, CHANGE_BATCH, batch.store_id)


# --- old parts --------------------------------------------------------------------------------


def _actor(actor: User | None) -> User | None:
    return actor if actor is not None and actor.pk else None


def _refuse_move(old_part: OldPart, to: str) -> None:
    if to not in OldPart.ALLOWED.get(old_part.status, set()):
        raise ApplicationError(
            _("An old part that is %(from)s cannot become %(to)s.")
            % {"from": status_label(old_part.status), "to": status_label(to)},
            field="status",
            code="transition",
        )


def _locked(old_part: OldPart) -> OldPart:
    return OldPart.objects.select_for_update(of=("self",)).select_related("batch").get(pk=old_part.pk)


def _not_in_batch(old_part: OldPart) -> None:
    if old_part.batch_id is not None:
        raise ApplicationError(
            _("Old part %(number)s is packed in return batch %(batch)s; take it out of the batch first.")
            % {"number": old_part.number, "batch": old_part.batch.number},
            field="batch",
            code="in_batch",
        )


def _move(old_part: OldPart, actor: User | None, to: str, note: str, fields: dict) -> OldPart:
    previous = old_part.status
    old_part.status = to
    for name, value in fields.items():
        setattr(old_part, name, value)
    old_part.save(update_fields=["status", *fields, "updated_at"])
    record_event(old_part, actor, previous, to, note)
    return old_part


@transaction.atomic
def old_part_collect(
    *,
    actor: User | None,
    store: Store,
    source: str,
    part: Part | None = None,
    description: str = "",
    quantity=1,
    reference: Reference | None = None,
    vehicle: Vehicle | None = None,
    plate: str = "",
    note: str = "",
) -> OldPart:
    """Record an old part as collected (JW… number) and return it.

    This is the hook for the work-order and warranty modules: when a job replaces a part,
    call it with source=OldPart.Source.JOB, the part taken off (or a description when it is
    not in the catalogue), the quantity, reference=Reference("work_order", id, number) and the
    job's vehicle; a claim passes source=CLAIM and its claim as the reference. Old parts have
    no stock value: nothing is posted to the ledger. Run inside the caller's transaction, a
    refusal (ApplicationError) rolls the caller back too.

    By hand (source=MANUAL) the document is optional. With a plate and no vehicle, the store's
    vehicle with that plate is linked when the actor may see it; otherwise the plate is kept
    as typed."""
    if source not in Source.values:
        raise ApplicationError(_("Say where the old part comes from."), field="source")
    description = (description or "").strip()
    if part is None and not description:
        raise ApplicationError(_("Give the part's code or describe the old part."), field="part")
    if part is not None and not part.is_active:
        raise ApplicationError(_("Part %(code)s is no longer in use.") % {"code": part.code}, field="part")
    if len(description) > OldPart._meta.get_field("description").max_length:
        raise ApplicationError(_("The description is too long."), field="description")
    quantity = services.clean_quantity(quantity)
    reference = reference or services.NO_REFERENCE
    if source != Source.MANUAL and not (reference.no or reference.id):
        raise ApplicationError(
            _("An old part from a job or a claim names its document."), field="reference_no"
        )
    if vehicle is not None and vehicle.store_id != store.pk:
        raise ApplicationError(_("The vehicle belongs to another store."), field="vehicle")
    plate = normalise_code(plate)
    if len(plate) > PLATE_LENGTH:
        raise ApplicationError(_("The plate is too long."), field="plate")
    if vehicle is None and plate:
        vehicle = vehicle_for_plate(actor, store, plate)
    if vehicle is not None and not plate:
        plate = vehicle.plate
    old_part = OldPart.objects.create(
        store=store,
        number=next_code("JW", store.code),
        source=source,
        part=part,
        description=description or (part.name if part else ""),
        quantity=quantity,
        reference_type=reference.type[:30],
        reference_id=reference.id,
        reference_no=reference.no[:40],
        vehicle=vehicle,
        plate=plate,
        note=(note or "").strip()[:200],
        collected_by=_actor(actor),
    )
    record_event(old_part, actor, "", Status.COLLECTED, note or "")
    return old_part


@transaction.atomic
def old_part_store(
    *, actor: User | None, old_part: OldPart, warehouse: Warehouse, bin: str = "", note: str = ""
) -> OldPart:
    """Put a collected old part into an old-parts warehouse of its store, in a bin."""
    old_part = _locked(old_part)
    _refuse_move(old_part, Status.STORED)
    if warehouse.store_id != old_part.store_id:
        raise ApplicationError(_("The warehouse belongs to another store."), field="warehouse")
    if warehouse.kind != Warehouse.Kind.OLD_PARTS or not warehouse.is_active:
        raise ApplicationError(_("Old parts are kept in an old-parts warehouse."), field="warehouse")
    bin = normalise_code(bin)
    if len(bin) > OldPart._meta.get_field("bin").max_length:
        raise ApplicationError(_("The bin code is too long."), field="bin")
    where = f"{warehouse.name} {bin}".strip()
    return _move(
        old_part,
        actor,
        Status.STORED,
        f"{where} · {note.strip()}" if note.strip() else where,
        {"warehouse": warehouse, "bin": bin},
    )


@transaction.atomic
def old_part_give_back(*, actor: User | None, old_part: OldPart, received_by: str, note: str = "") -> OldPart:
    """Hand the old part to the vehicle's owner (some owners ask for theirs); who took it is
    written in the event."""
    old_part = _locked(old_part)
    _refuse_move(old_part, Status.GIVEN_BACK)
    _not_in_batch(old_part)
    received_by = (received_by or "").strip()
    if not received_by:
        raise ApplicationError(_("Say who received the old part."), field="received_by")
    text = _("Received by %(name)s") % {"name": received_by}
    if note.strip():
        text = f"{text} · {note.strip()}"
    return _move(old_part, actor, Status.GIVEN_BACK, text, {})


@transaction.atomic
def old_part_scrap(*, actor: User | None, old_part: OldPart, reason: str) -> OldPart:
    old_part = _locked(old_part)
    _refuse_move(old_part, Status.SCRAPPED)
    _not_in_batch(old_part)
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError(_("Say why the old part is scrapped."), field="reason")
    return _move(old_part, actor, Status.SCRAPPED, reason, {})


# --- return batches ---------------------------------------------------------------------------


def _locked_batch(batch: OldPartBatch) -> OldPartBatch:
    return OldPartBatch.objects.select_for_update().get(pk=batch.pk)


def _refuse_batch_move(batch: OldPartBatch, to: str) -> None:
    if to not in OldPartBatch.ALLOWED.get(batch.status, set()):
        raise ApplicationError(
            _("A return batch that is %(from)s cannot become %(to)s.")
            % {"from": batch_status_label(batch.status), "to": batch_status_label(to)},
            field="status",
            code="transition",
        )


def _open(batch: OldPartBatch) -> None:
    if batch.status != BatchStatus.OPEN:
        raise ApplicationError(
            _("Return batch %(number)s is %(status)s: its parts can no longer be changed.")
            % {"number": batch.number, "status": batch_status_label(batch.status)},
            field="status",
            code="transition",
        )


def _audit_batch(actor: User | None, batch: OldPartBatch, action: str, before=None, note: str = "") -> None:
    audit_record(
        actor=actor,
        instance=batch,
        action=action,
        before=before,
        after=snapshot(batch, BATCH_AUDIT_FIELDS),
        note=note,
    )


@transaction.atomic
def batch_create(
    *,
    actor: User | None,
    store: Store,
    destination: str,
    supplier: Supplier | None = None,
    recipient: str = "",
    note: str = "",
) -> OldPartBatch:
    """An open return batch to a supplier (who must be named) or to the manufacturer (a
    supplier acting for it or a recipient, e.g. 一汽-大众旧件中心)."""
    if destination not in Destination.values:
        raise ApplicationError(_("Say where the batch goes."), field="destination")
    recipient = (recipient or "").strip()
    if destination == Destination.SUPPLIER and supplier is None:
        raise ApplicationError(_("Choose the supplier the old parts go back to."), field="supplier")
    if supplier is None and not recipient:
        raise ApplicationError(_("Name the supplier or the recipient."), field="recipient")
    if supplier is not None and not supplier.is_active:
        raise ApplicationError(_("This supplier is no longer active."), field="supplier")
    if len(recipient) > OldPartBatch._meta.get_field("recipient").max_length:
        raise ApplicationError(_("The recipient's name is too long."), field="recipient")
    batch = OldPartBatch.objects.create(
        store=store,
        number=next_code("QT", store.code),
        destination=destination,
        supplier=supplier,
        recipient=recipient,
        note=(note or "").strip()[:200],
        created_by=_actor(actor),
    )
    _audit_batch(actor, batch, "create")
    return batch


@transaction.atomic
def batch_add(*, actor: User | None, batch: OldPartBatch, old_parts: list[OldPart]) -> list[OldPart]:
    """Pack stored old parts of the batch's store into the open batch; all or none."""
    batch = _locked_batch(batch)
    _open(batch)
    if not old_parts:
        raise ApplicationError(_("Choose the old parts to pack."), field="number")
    ids = sorted({item.pk for item in old_parts})
    locked = list(
        OldPart.objects.select_for_update(of=("self",))
        .filter(pk__in=ids)
        .select_related("batch")
        .order_by("pk")
    )
    for item in locked:
        if item.store_id != batch.store_id:
            raise ApplicationError(
                _("Old part %(number)s belongs to another store.") % {"number": item.number}, field="number"
            )
        if item.batch_id == batch.pk:
            raise ApplicationError(
                _("Old part %(number)s is already in this batch.") % {"number": item.number}, field="number"
            )
        if item.batch_id is not None:
            raise ApplicationError(
                _("Old part %(number)s is already in return batch %(batch)s.")
                % {"number": item.number, "batch": item.batch.number},
                field="number",
            )
        if item.status != Status.STORED:
            raise ApplicationError(
                _("Old part %(number)s is %(status)s; only stored old parts are packed.")
                % {"number": item.number, "status": status_label(item.status)},
                field="number",
            )
    for item in locked:
        item.batch = batch
        item.save(update_fields=["batch", "updated_at"])
        record_event(
            item,
            actor,
            item.status,
            item.status,
            _("Packed in return batch %(batch)s") % {"batch": batch.number},
        )
    return locked


@transaction.atomic
def batch_remove(*, actor: User | None, batch: OldPartBatch, old_part: OldPart) -> OldPart:
    """Take an old part out of the open batch; it stays stored."""
    batch = _locked_batch(batch)
    _open(batch)
    item = _locked(old_part)
    if item.batch_id != batch.pk:
        raise ApplicationError(
            _("Old part %(number)s is not in this batch.") % {"number": item.number}, field="number"
        )
    item.batch = None
    item.save(update_fields=["batch", "updated_at"])
    record_event(
        item,
        actor,
        item.status,
        item.status,
        _("Taken out of return batch %(batch)s") % {"batch": batch.number},
    )
    return item


@transaction.atomic
def batch_send(*, actor: User | None, batch: OldPartBatch, note: str = "") -> OldPartBatch:
    """The batch leaves: every part in it becomes returned; the batch is sent (sent_at now)."""
    batch = _locked_batch(batch)
    _refuse_batch_move(batch, BatchStatus.SENT)
    items = list(OldPart.objects.select_for_update().filter(batch=batch).order_by("pk"))
    if not items:
        raise ApplicationError(_("The batch is empty: pack at least one old part."), field="number")
    before = snapshot(batch, BATCH_AUDIT_FIELDS)
    text = _("Returned with batch %(batch)s") % {"batch": batch.number}
    if note.strip():
        text = f"{text} · {note.strip()}"
    for item in items:
        _refuse_move(item, Status.RETURNED)
        _move(item, actor, Status.RETURNED, text, {})
    batch.status = BatchStatus.SENT
    batch.sent_at = timezone.now()
    batch.save(update_fields=["status", "sent_at", "updated_at"])
    _audit_batch(actor, batch, "update", before, note.strip())
    return batch


@transaction.atomic
def batch_cancel(*, actor: User | None, batch: OldPartBatch, note: str = "") -> OldPartBatch:
    """Give up an open batch: its parts come out of it and stay stored."""
    batch = _locked_batch(batch)
    _refuse_batch_move(batch, BatchStatus.CANCELLED)
    before = snapshot(batch, BATCH_AUDIT_FIELDS)
    text = _("Return batch %(batch)s cancelled") % {"batch": batch.number}
    for item in OldPart.objects.select_for_update().filter(batch=batch).order_by("pk"):
        item.batch = None
        item.save(update_fields=["batch", "updated_at"])
        record_event(item, actor, item.status, item.status, text)
    batch.status = BatchStatus.CANCELLED
    batch.save(update_fields=["status", "updated_at"])
    _audit_batch(actor, batch, "update", before, note.strip())
    return batch


def old_part_by_number(store_id: int, number: str) -> OldPart:
    """A scanned or typed old-part number within the store; a refusal when there is none."""
    number = normalise_code(number)
    found = OldPart.objects.filter(store_id=store_id, number=number).first()
    if found is None:
        raise ApplicationError(
            _("No old part numbered “%(number)s” in this store.") % {"number": number}, field="number"
        )
    return found


def old_parts_search(queryset: QuerySet[OldPart], query: str) -> QuerySet[OldPart]:
    """By old-part number, plate, document number, part code or description."""
    text = (query or "").strip()
    if not text:
        return queryset
    code = normalise_code(text)
    return queryset.filter(
        Q(number__icontains=code)
        | Q(plate__icontains=code)
        | Q(reference_no__icontains=text)
        | Q(part__code__istartswith=code)
        | Q(description__icontains=text)
    )


def batch_counts(batch_ids) -> dict[int, Totals]:
    """{batch id: (number of old parts, total quantity)} for a list of batches."""
    rows = (
        OldPart.objects.filter(batch_id__in=list(batch_ids))
        .values("batch_id")
        .annotate(count=Count("id"), quantity=Sum("quantity"))
    )
    return {row["batch_id"]: Totals(row["count"], row["quantity"] or ZERO) for row in rows}
