"""Reception (F-3.1, F-3.2, F-3.3, F-3.6): the car arrives (from its appointment or found by
plate), the walk-around check with the owner (接车检查: mileage, fuel, body marks on the car
diagram, interior, valuables, 随车物品, documents held, the key tag, photos), the owner's
description and the diagnosis (检测诊断报告单), the business type, the repair category and the
warranty, and the work due or declined before, proposed for the estimate.

Selectors and data first, then services (each locks the order, validates before writing and
leaves an audit row)."""

import datetime
import unicodedata
import uuid
from dataclasses import dataclass

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pitstop.accounts.models import Store, User
from pitstop.core.audit import audit_record, snapshot
from pitstop.core.exceptions import ApplicationError
from pitstop.core.scoping import has_perm_in_store

from .models import (
    Appointment,
    Approval,
    BusinessType,
    CannedJob,
    Finding,
    OrderLabour,
    OrderPart,
    OrderPhoto,
    RepairCategory,
    RepairOrder,
)
from .orders import VIEW, lock_order, order_open
from .rules import recommended_work, warranty_status

Status = RepairOrder.Status
# The walk-around and the diagnosis may be written until work starts on the car.
RECEPTION_STATES = (Status.DRAFT, Status.CONFIRMED)
MAX_MILEAGE = 2_000_000
MAX_PHOTO_BYTES = 10 * 1024 * 1024
MAX_PHOTOS = 60
PHOTO_FORMATS = {"JPEG": "jpg", "MPO": "jpg", "PNG": "png", "WEBP": "webp", "GIF": "gif"}
MAX_MARKS = 60

# ---------------------------------------------------------------- data: the car diagram


@dataclass(frozen=True)
class Zone:
    code: str
    label: str
    d: str  # the SVG path of the zone on the top view (viewBox 0 0 320 530, front at the top)
    cx: int  # where its mark count is drawn
    cy: int


def _rect(x: int, y: int, w: int, h: int, r: int = 4) -> str:
    return (
        f"M{x + r},{y} H{x + w - r} Q{x + w},{y} {x + w},{y + r} V{y + h - r} "
        f"Q{x + w},{y + h} {x + w - r},{y + h} H{x + r} Q{x},{y + h} {x},{y + h - r} "
        f"V{y + r} Q{x},{y} {x + r},{y} Z"
    )


# Left and right as the driver sits: in the top view with the front up, left is on the left.
BODY_ZONES: list[Zone] = [
    Zone("front_bumper", gettext_lazy("front bumper"), "M80,46 Q80,20 110,20 H210 Q240,20 240,46 Z", 160, 36),
    Zone("bonnet", gettext_lazy("bonnet"), "M106,50 H214 L214,150 H106 Z", 160, 100),
    Zone("windscreen", gettext_lazy("windscreen"), "M106,154 H214 L206,196 H114 Z", 160, 176),
    Zone("roof", gettext_lazy("roof"), _rect(112, 200, 96, 128, 8), 160, 264),
    Zone("rear_window", gettext_lazy("rear window"), "M114,332 H206 L214,366 H106 Z", 160, 350),
    Zone("boot", gettext_lazy("boot lid"), "M106,370 H214 L214,470 H106 Z", 160, 420),
    Zone(
        "rear_bumper",
        gettext_lazy("rear bumper"),
        "M80,474 H240 Q240,500 210,500 H110 Q80,500 80,474 Z",
        160,
        488,
    ),
    Zone("front_left_wing", gettext_lazy("front left wing"), "M74,60 Q78,50 102,50 V150 H74 Z", 88, 100),
    Zone(
        "front_right_wing", gettext_lazy("front right wing"), "M246,60 Q242,50 218,50 V150 H246 Z", 232, 100
    ),
    Zone("front_left_door", gettext_lazy("front left door"), _rect(74, 154, 28, 104, 3), 88, 206),
    Zone("front_right_door", gettext_lazy("front right door"), _rect(218, 154, 28, 104, 3), 232, 206),
    Zone("rear_left_door", gettext_lazy("rear left door"), _rect(74, 262, 28, 104, 3), 88, 314),
    Zone("rear_right_door", gettext_lazy("rear right door"), _rect(218, 262, 28, 104, 3), 232, 314),
    Zone("rear_left_wing", gettext_lazy("rear left wing"), "M74,370 H102 V470 Q78,470 74,460 Z", 88, 420),
    Zone(
        "rear_right_wing", gettext_lazy("rear right wing"), "M246,370 H218 V470 Q242,470 246,460 Z", 232, 420
    ),
    Zone("front_left_wheel", gettext_lazy("front left wheel"), _rect(50, 72, 20, 60, 6), 60, 102),
    Zone("front_right_wheel", gettext_lazy("front right wheel"), _rect(250, 72, 20, 60, 6), 260, 102),
    Zone("rear_left_wheel", gettext_lazy("rear left wheel"), _rect(50, 390, 20, 60, 6), 60, 420),
    Zone("rear_right_wheel", gettext_lazy("rear right wheel"), _rect(250, 390, 20, 60, 6), 260, 420),
    Zone("left_mirror", gettext_lazy("left mirror"), _rect(56, 160, 16, 14, 4), 64, 167),
    Zone("right_mirror", gettext_lazy("right mirror"), _rect(248, 160, 16, 14, 4), 256, 167),
]
ZONES = {zone.code: zone for zone in BODY_ZONES}

MARK_KINDS = [
    ("scratch", gettext_lazy("scratch")),
    ("dent", gettext_lazy("dent")),
    ("crack", gettext_lazy("crack")),
    ("paint", gettext_lazy("paint damage")),
    ("missing", gettext_lazy("missing")),
]
KINDS = dict(MARK_KINDS)

# 随车物品清单: what may be in the car, ticked at reception and counted again at handover.
ITEMS_IN_VEHICLE = [
    ("spare_wheel", gettext_lazy("spare wheel")),
    ("jack", gettext_lazy("jack")),
    ("tools", gettext_lazy("tool kit")),
    ("tyre_repair_kit", gettext_lazy("tyre repair kit")),
    ("warning_triangle", gettext_lazy("warning triangle")),
    ("fire_extinguisher", gettext_lazy("fire extinguisher")),
    ("floor_mats", gettext_lazy("floor mats")),
    ("charging_cable", gettext_lazy("charging cable")),
    ("dashcam", gettext_lazy("dashcam")),
    ("child_seat", gettext_lazy("child seat")),
    ("first_aid_kit", gettext_lazy("first-aid kit")),
    ("parcel_shelf", gettext_lazy("parcel shelf")),
    ("cigarette_lighter", gettext_lazy("cigarette lighter")),
    ("wheel_lock_key", gettext_lazy("wheel lock key")),
]
ITEM_CODES = [code for code, _label in ITEMS_IN_VEHICLE]

# 暂留证件: documents the shop holds while it has the car.
DOCUMENTS = [
    ("driving_licence", gettext_lazy("vehicle licence (行驶证)")),
    ("service_book", gettext_lazy("service book (保养手册)")),
    ("insurance_policy", gettext_lazy("insurance policy (保险单)")),
    ("registration", gettext_lazy("registration certificate (登记证书)")),
    ("warranty_card", gettext_lazy("warranty card (保修卡)")),
    ("owner_manual", gettext_lazy("owner's manual")),
    ("spare_key", gettext_lazy("spare key")),
]
DOCUMENT_CODES = [code for code, _label in DOCUMENTS]

WALKAROUND_FIELDS = [
    "mileage",
    "mileage_note",
    "fuel_level",
    "body_marks",
    "interior_notes",
    "valuables",
    "items_in_vehicle",
    "documents_held",
    "key_tag",
]
DIAGNOSIS_FIELDS = [
    "owner_description",
    "diagnosis",
    "diagnosed_by",
    "business_type",
    "repair_category",
    "warranty_eligible",
    "warranty_note",
]


# ---------------------------------------------------------------- selectors


def open_order_of(vehicle, *, exclude: RepairOrder | None = None) -> RepairOrder | None:
    orders = RepairOrder.objects.filter(vehicle=vehicle, status__in=RepairOrder.OPEN)
    if exclude is not None:
        orders = orders.exclude(pk=exclude.pk)
    return orders.order_by("-id").first()


def open_orders_by_vehicle(vehicle_ids) -> dict[int, RepairOrder]:
    """{vehicle id: its open order} for a list of vehicles, in one query."""
    rows = RepairOrder.objects.filter(vehicle_id__in=list(vehicle_ids), status__in=RepairOrder.OPEN)
    return {order.vehicle_id: order for order in rows.order_by("id")}


def store_staff(store: Store) -> QuerySet[User]:
    """The people of the store (who may have diagnosed the car)."""
    return (
        User.objects.filter(memberships__store=store, is_active=True)
        .distinct()
        .order_by("full_name", "username")
    )


def marks_by_zone(marks: list[dict]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for mark in marks or []:
        counts[mark.get("zone", "")] = counts.get(mark.get("zone", ""), 0) + 1
    return counts


def vehicle_history(vehicle, *, exclude_order: RepairOrder | None = None) -> dict[int, tuple]:
    """{canned job id: (date, km)} of the last time each canned job was on an approved labour
    line of the vehicle's earlier work orders: what `catalogue.items_due` counts from."""
    lines = (
        OrderLabour.objects.filter(
            order__vehicle=vehicle, canned_job__isnull=False, approval=Approval.APPROVED
        )
        .exclude(order__status=Status.CANCELLED)
        .values_list("canned_job_id", "order__received_at", "order__created_at", "order__mileage")
    )
    if exclude_order is not None:
        lines = lines.exclude(order=exclude_order)
    last: dict[int, tuple] = {}
    for job_id, received_at, created_at, km in lines:
        when = timezone.localtime(received_at or created_at).date()
        known = last.get(job_id)
        if known is None or (when, km or 0) > (known[0], known[1] or 0):
            last[job_id] = (when, km)
    return last


def items_due_for(order: RepairOrder, *, today: datetime.date | None = None) -> list:
    """The maintenance items due for the order's vehicle at its mileage (F-3.6), counted from
    the vehicle's work-order history."""
    from .catalogue import items_due

    vehicle = order.vehicle
    mileage = order.mileage if order.mileage is not None else vehicle.current_mileage
    return items_due(
        vehicle=vehicle,
        today=today or timezone.localdate(),
        mileage=mileage,
        last_done=vehicle_history(vehicle, exclude_order=order),
    )


# ---------------------------------------------------------------- services


def _check_reception_state(order: RepairOrder) -> None:
    if order.status not in RECEPTION_STATES:
        raise ApplicationError(
            _("The reception of a work order that is %(status)s cannot be changed any more.")
            % {"status": Status(order.status).label},
            code="state",
        )


@transaction.atomic
def reception_start(
    *, actor: User, store: Store, vehicle, appointment: Appointment | None = None
) -> RepairOrder:
    """Open the draft work order of a car arriving, from its appointment (confirmed → arrived)
    or found by plate. A car with an open work order already is refused (code "open_order",
    extra {"order": its id, "number": its number})."""
    from pitstop.customers.models import Vehicle

    from .appointments import appointment_transition

    if vehicle is None:
        raise ApplicationError(_("Pick the vehicle."), field="vehicle")
    if vehicle.store_id != store.pk:
        raise ApplicationError(_("This vehicle belongs to another store."), field="vehicle", code="store")
    vehicle = Vehicle.objects.select_for_update().get(pk=vehicle.pk)  # one reception at a time per car
    existing = open_order_of(vehicle)
    if existing is not None:
        raise ApplicationError(
            _("%(plate)s already has an open work order, %(number)s.")
            % {"plate": vehicle.plate or vehicle.vin, "number": existing.number},
            field="vehicle",
            code="open_order",
            extra={"order": existing.pk, "number": existing.number},
        )
    if appointment is not None:
        appointment = Appointment.objects.select_for_update(of=("self",)).get(pk=appointment.pk)
        if appointment.store_id != store.pk:
            raise ApplicationError(_("This appointment belongs to another store."), field="appointment")
        if appointment.vehicle_id not in (None, vehicle.pk):
            raise ApplicationError(
                _("The appointment is for another vehicle."), field="appointment", code="vehicle"
            )
        if appointment.repair_orders.exclude(status=Status.CANCELLED).exists():
            raise ApplicationError(
                _("A work order was already opened from appointment %(number)s.")
                % {"number": appointment.number},
                field="appointment",
                code="taken",
            )
        if appointment.status == Appointment.Status.CONFIRMED:
            appointment_transition(actor=actor, appointment=appointment, to=Appointment.Status.ARRIVED)
        elif appointment.status != Appointment.Status.ARRIVED:
            raise ApplicationError(
                _("Appointment %(number)s is %(status)s; only a confirmed appointment can be received.")
                % {"number": appointment.number, "status": Appointment.Status(appointment.status).label},
                field="appointment",
                code="appointment_status",
            )
    return order_open(actor=actor, store=store, vehicle=vehicle, appointment=appointment)


def _clean_text(value, limit: int) -> str:
    return " ".join(str(value or "").split())[:limit]


def clean_marks(marks) -> list[dict]:
    cleaned = []
    for mark in marks or []:
        zone, kind = (mark.get("zone") or "").strip(), (mark.get("kind") or "").strip()
        if zone not in ZONES:
            raise ApplicationError(
                _("Choose a place on the car for each mark."), field="body_marks", code="zone"
            )
        if kind not in KINDS:
            raise ApplicationError(_("Choose what each mark is."), field="body_marks", code="kind")
        cleaned.append({"zone": zone, "kind": kind, "note": _clean_text(mark.get("note"), 100)})
    if len(cleaned) > MAX_MARKS:
        raise ApplicationError(_("Too many marks."), field="body_marks")
    return cleaned


def clean_key_tag(value: str) -> str:
    return unicodedata.normalize("NFKC", value or "").strip().upper()


@transaction.atomic
def walkaround_save(
    *,
    actor: User | None,
    order: RepairOrder,
    mileage: int | None,
    mileage_note: str = "",
    fuel_level: str = "",
    body_marks=(),
    interior_notes: str = "",
    valuables: str = "",
    items_in_vehicle=(),
    documents_held=(),
    key_tag: str = "",
) -> RepairOrder:
    """The walk-around check (接车检查). The mileage goes into the vehicle's readings (source
    visit, the order's number as reference): lower than the last reading is refused unless a
    reason is given. `items_in_vehicle` are the codes ticked (stored for every item, ticked or
    not); a key tag held by another open order of the store is refused."""
    from pitstop.customers.models import MileageReading
    from pitstop.customers.services import vehicle_record_mileage

    caller = order
    order = lock_order(order)
    _check_reception_state(order)
    if mileage in (None, ""):
        raise ApplicationError(_("Read the mileage."), field="mileage", code="required")
    try:
        mileage = int(mileage)
    except (TypeError, ValueError):
        raise ApplicationError(_("Enter the mileage in km."), field="mileage") from None
    if not 0 <= mileage <= MAX_MILEAGE:
        raise ApplicationError(_("Mileage must be between 0 and 2,000,000 km."), field="mileage")
    if fuel_level not in ("", *RepairOrder.Fuel.values):
        raise ApplicationError(_("Choose the fuel level."), field="fuel_level")
    marks = clean_marks(body_marks)
    ticked = set(items_in_vehicle or ())
    if ticked - set(ITEM_CODES):
        raise ApplicationError(_("Unknown item in the vehicle."), field="items_in_vehicle")
    documents = [code for code in DOCUMENT_CODES if code in set(documents_held or ())]
    if set(documents_held or ()) - set(DOCUMENT_CODES):
        raise ApplicationError(_("Unknown document."), field="documents_held")
    key_tag = clean_key_tag(key_tag)
    if len(key_tag) > 20:
        raise ApplicationError(_("A key tag has at most 20 characters."), field="key_tag")
    if key_tag:
        # A tag hangs on the key board until the owner collects the car (delivered).
        holder = (
            RepairOrder.objects.filter(
                store=order.store, key_tag=key_tag, status__in=(*RepairOrder.OPEN, RepairOrder.Status.READY)
            )
            .exclude(pk=order.pk)
            .first()
        )
        if holder is not None:
            raise ApplicationError(
                _("Key tag %(tag)s is on work order %(number)s, still open.")
                % {"tag": key_tag, "number": holder.number},
                field="key_tag",
                code="key_tag",
            )
    mileage_note = _clean_text(mileage_note, 200)
    before = snapshot(order, WALKAROUND_FIELDS)
    if order.walkaround_done_at is None or mileage != order.mileage:
        vehicle_record_mileage(
            actor=actor,
            vehicle=order.vehicle,
            mileage=mileage,
            read_on=timezone.localdate(),
            source=MileageReading.Source.VISIT,
            reference=order.number,
            reason=mileage_note,
        )
    order.mileage = mileage
    order.mileage_note = mileage_note
    order.fuel_level = fuel_level
    order.body_marks = marks
    order.interior_notes = _clean_text(interior_notes, 300)
    order.valuables = _clean_text(valuables, 300)
    order.items_in_vehicle = {code: code in ticked for code in ITEM_CODES}
    order.documents_held = documents
    order.key_tag = key_tag
    order.walkaround_done_at = timezone.now()
    order.save(update_fields=[*WALKAROUND_FIELDS, "walkaround_done_at", "updated_at"])
    audit_record(
        actor=actor,
        instance=order,
        action="update",
        before=before,
        after=snapshot(order, WALKAROUND_FIELDS),
        store=order.store,
        note=_("walk-around check"),
    )
    _copy(order, caller, [*WALKAROUND_FIELDS, "walkaround_done_at", "updated_at"])
    return caller


def _copy(source: RepairOrder, target: RepairOrder, fields: list[str]) -> None:
    if target is not source:
        for name in fields:
            setattr(target, name, getattr(source, name))


@transaction.atomic
def diagnosis_save(
    *,
    actor: User | None,
    order: RepairOrder,
    owner_description: str,
    diagnosis: str = "",
    diagnosed_by: User | None = None,
    business_type: str,
    repair_category: str,
    warranty_note: str = "",
) -> RepairOrder:
    """The owner's description (报修陈述), the diagnosis (检测诊断报告单), the business type
    (F-3.3) and the repair category (it sets the checks, the certificate and the guarantee).
    Warranty eligibility is computed from the vehicle's warranty at the order's mileage; a
    warranty job on a car that is not covered needs a note saying why (code "warranty")."""
    caller = order
    order = lock_order(order)
    _check_reception_state(order)
    owner_description = (owner_description or "").strip()
    diagnosis = (diagnosis or "").strip()
    if not owner_description:
        raise ApplicationError(
            _("Write down what the owner says."), field="owner_description", code="required"
        )
    if len(owner_description) > 2000 or len(diagnosis) > 4000:
        raise ApplicationError(_("The text is too long."), field="diagnosis")
    if business_type not in BusinessType.values:
        raise ApplicationError(_("Choose the business type."), field="business_type")
    if repair_category not in RepairCategory.values:
        raise ApplicationError(_("Choose the repair category."), field="repair_category")
    if diagnosed_by is not None and not has_perm_in_store(diagnosed_by, VIEW, order.store_id):
        raise ApplicationError(_("Choose someone of this store."), field="diagnosed_by")
    if diagnosis and diagnosed_by is None and actor is not None and actor.pk:
        diagnosed_by = actor
    status = warranty_status(order.vehicle, mileage=order.mileage)
    warranty_note = _clean_text(warranty_note, 200)
    if business_type == BusinessType.WARRANTY and not status.eligible and not warranty_note:
        raise ApplicationError(
            _("This car is not covered by the warranty: %(reason)s Give a note to open a warranty job.")
            % {"reason": status.reason},
            field="warranty_note",
            code="warranty",
        )
    before = snapshot(order, DIAGNOSIS_FIELDS)
    order.owner_description = owner_description
    order.diagnosis = diagnosis
    order.diagnosed_by = diagnosed_by if diagnosis else None
    order.business_type = business_type
    order.repair_category = repair_category
    order.warranty_eligible = status.eligible
    order.warranty_note = warranty_note or status.reason[:200]
    order.save(update_fields=[*DIAGNOSIS_FIELDS, "updated_at"])
    audit_record(
        actor=actor,
        instance=order,
        action="update",
        before=before,
        after=snapshot(order, DIAGNOSIS_FIELDS),
        store=order.store,
        note=_("diagnosis"),
    )
    _copy(order, caller, [*DIAGNOSIS_FIELDS, "updated_at"])
    return caller


def check_image(image) -> str:
    """The file's extension if it is an image Pillow reads (JPEG, PNG, WebP, GIF) of at most
    10 MB; refused otherwise (codes "too_large", "not_image")."""
    from PIL import Image, UnidentifiedImageError

    if image is None:
        raise ApplicationError(_("Choose a photo."), field="image", code="required")
    size = getattr(image, "size", None)
    if size is not None and size > MAX_PHOTO_BYTES:
        raise ApplicationError(_("A photo may be at most 10 MB."), field="image", code="too_large")
    try:
        image.seek(0)
        with Image.open(image) as picture:
            picture.verify()
            kind = picture.format
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        raise ApplicationError(_("This file is not a photo."), field="image", code="not_image") from None
    finally:
        image.seek(0)
    if kind not in PHOTO_FORMATS:
        raise ApplicationError(_("This file is not a photo."), field="image", code="not_image")
    return PHOTO_FORMATS[kind]


@transaction.atomic
def photo_add(
    *,
    actor: User | None,
    order: RepairOrder,
    image,
    kind: str,
    caption: str = "",
    finding: Finding | None = None,
) -> OrderPhoto:
    """A photo of the order (walk-around, finding, check), validated as an image of at most
    10 MB, stored under a generated name. Not on a cancelled order."""
    order = lock_order(order)
    if order.status == Status.CANCELLED:
        raise ApplicationError(_("The work order is cancelled."), code="state")
    if kind not in OrderPhoto.Kind.values:
        raise ApplicationError(_("Choose what the photo is of."), field="kind")
    if finding is not None and finding.order_id != order.pk:
        raise ApplicationError(_("This finding is of another work order."), field="finding")
    extension = check_image(image)
    if OrderPhoto.objects.filter(order=order).count() >= MAX_PHOTOS:
        raise ApplicationError(_("This work order has too many photos."), field="image", code="too_many")
    photo = OrderPhoto(
        order=order,
        kind=kind,
        finding=finding,
        caption=_clean_text(caption, 100),
        taken_by=actor if actor and actor.pk else None,
    )
    photo.image.save(f"{order.number}-{uuid.uuid4().hex[:12]}.{extension}", image, save=False)
    photo.save()
    audit_record(
        actor=actor,
        instance=order,
        action="update",
        after={"photo": photo.image.name},
        store=order.store,
        note=_("photo added"),
    )
    return photo


@transaction.atomic
def due_job_add(*, actor: User | None, order: RepairOrder, job: CannedJob) -> list:
    """A maintenance item due, put on the estimate as its canned job."""
    from .estimates import canned_job_add

    return canned_job_add(actor=actor, order=order, job=job)


@transaction.atomic
def recommended_add(*, actor: User | None, order: RepairOrder, kind: str, line_id: int):
    """Work the owner declined on an earlier visit, put on this estimate again at today's
    price (the catalogue's, else the old line's hours or price)."""
    from .estimates import labour_line_add, part_line_add

    declined = {
        (("labour" if isinstance(line, OrderLabour) else "part"), line.pk): line
        for line in recommended_work(order.vehicle, exclude_order=order)
    }
    line = declined.get((kind, int(line_id)))
    if line is None:
        raise ApplicationError(_("No such declined work for this vehicle."), field="line", code="not_found")
    if isinstance(line, OrderLabour):
        if line.operation_id and line.operation.is_active:
            return labour_line_add(actor=actor, order=order, operation=line.operation, hours=line.hours)
        return labour_line_add(
            actor=actor,
            order=order,
            name=line.name,
            hours=line.hours,
            bay_type=line.bay_type,
            price=None if line.hours else line.price,
        )
    assert isinstance(line, OrderPart)
    if line.part_id and line.part.is_active:
        return part_line_add(
            actor=actor, order=order, part=line.part, quantity=line.quantity, genuine=line.genuine
        )
    return part_line_add(
        actor=actor,
        order=order,
        name=line.name,
        quantity=line.quantity,
        unit_price=line.unit_price,
        genuine=line.genuine,
    )
