"""PDI of new cars (售前检查 / 交车前PDI检查, F-4.9): before a new car is handed over the
workshop checks it item by item on the PDI sheet (检查单) in the order of seed 002's flow:
exterior, interior, engine bay, then chassis, functions, road test, documents and accessories.
Each item is ok or not, with a note of what was put right; the car passes only when every
item is ok. The inspector signs the printed sheet."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as L

from pitstop.accounts.models import Store, User
from pitstop.core.exceptions import ApplicationError
from pitstop.core.identifiers import clean_vin
from pitstop.core.numbering import next_code
from pitstop.core.scoping import has_perm_in_store, scoped
from pitstop.customers.selectors import vehicles_for

from .models import PdiCheck

VIEW = "workshop.view_pdicheck"
ADD = "workshop.add_pdicheck"
MAX_MILEAGE = 100000

# The PDI sheet: groups of (code, label), each item answered ok / not ok with a note.
PDI_CHECKLIST: list[tuple[str, object, list[tuple[str, object]]]] = [
    (
        "exterior",
        L("Exterior"),
        [
            ("paint", L("Paint and body panels: no scratches, dents or colour difference")),
            ("glass", L("Glass, mirrors and lamp lenses undamaged")),
            ("gaps", L("Door, bonnet and boot gaps even; all open, close and lock")),
            ("wheels", L("Wheels and tyres undamaged, pressures right (spare included)")),
            ("trim", L("Trim, badges and seals fitted")),
        ],
    ),
    (
        "interior",
        L("Interior"),
        [
            ("seats", L("Seats, seat belts and adjusters")),
            ("trim_clean", L("Interior trim, headlining and carpets clean and undamaged")),
            ("dashboard", L("Instruments work, no warning lamps")),
            ("controls", L("Windows, central locking, mirrors and sunroof")),
            ("climate", L("Air-conditioning and heater")),
            ("audio", L("Audio, navigation and clock set")),
        ],
    ),
    (
        "engine",
        L("Engine bay"),
        [
            ("oil", L("Engine oil level")),
            ("coolant", L("Coolant level")),
            ("brake_fluid", L("Brake and clutch fluid level")),
            ("washer", L("Washer fluid")),
            ("battery", L("Battery terminals tight, battery charged")),
            ("hoses", L("Hoses and belts fitted, no leaks")),
        ],
    ),
    (
        "chassis",
        L("Chassis"),
        [
            ("underbody", L("Underbody undamaged, no leaks")),
            ("suspension", L("Suspension and steering joints")),
            ("brakes", L("Brake lines and parking brake")),
            ("exhaust", L("Exhaust system secure")),
            ("wheel_nuts", L("Wheel nuts tightened to torque")),
        ],
    ),
    (
        "functions",
        L("Functions and electrics"),
        [
            ("lights", L("All exterior lights, indicators and hazard lights")),
            ("horn_wipers", L("Horn, wipers and washers")),
            ("keys", L("Keys, remote and immobiliser")),
            ("transport_mode", L("Transport mode switched off (fuse fitted)")),
            ("fault_codes", L("Fault memory read and cleared")),
        ],
    ),
    (
        "road_test",
        L("Road test"),
        [
            ("start_idle", L("Starting and idle")),
            ("drive", L("Acceleration and gear changes")),
            ("braking", L("Braking and ABS")),
            ("steering", L("Steering straight, no pull")),
            ("noise", L("No abnormal noise or vibration")),
        ],
    ),
    (
        "documents",
        L("Documents and accessories"),
        [
            ("manual", L("Owner's manual and warranty booklet (保修手册)")),
            ("certificate", L("Vehicle certificate (合格证) and purchase documents")),
            ("tools", L("Jack, wheel brace, tools and warning triangle")),
            ("spare", L("Spare wheel or tyre repair kit")),
            ("protection", L("Protective film and covers removed, car washed")),
        ],
    ),
]
PDI_ITEMS: dict[str, object] = {code: label for _g, _l, items in PDI_CHECKLIST for code, label in items}


def pdis_for(user, store: Store | None = None) -> QuerySet[PdiCheck]:
    return scoped(PdiCheck.objects.all(), user, VIEW, store=store).select_related("checked_by", "vehicle")


def pdi_groups(results: dict) -> list[dict]:
    """The checklist with the answers, for the detail page and the printed sheet."""
    groups = []
    for code, label, items in PDI_CHECKLIST:
        rows = []
        for item, item_label in items:
            answer = results.get(item) or {}
            rows.append(
                {"code": item, "label": item_label, "ok": answer.get("ok"), "note": answer.get("note", "")}
            )
        groups.append({"code": code, "label": label, "items": rows, "ok": all(row["ok"] for row in rows)})
    return groups


@transaction.atomic
def pdi_create(
    *,
    actor: User,
    store: Store,
    vin: str,
    model_name: str = "",
    mileage: int | str = 0,
    results: dict,
    note: str = "",
    vin_confirmed: bool = False,
) -> PdiCheck:
    """Record a new car's PDI: the VIN checked (GB 16735; an imported VIN without a check digit
    once confirmed), every item answered ok or not ok, a not-ok item with its note. Passed only
    when all are ok. Numbered PDI<store><n>; linked to the vehicle file when one has this VIN."""
    if not has_perm_in_store(actor, ADD, store.pk):
        raise ApplicationError(_("Your role cannot do this."), code="permission")
    try:
        vin = clean_vin(vin or "", check_digit_confirmed=vin_confirmed)
    except ValidationError as error:
        raise ApplicationError(" ".join(error.messages), field="vin", code=error.code or "vin") from None
    try:
        mileage = int(mileage or 0)
    except (TypeError, ValueError):
        raise ApplicationError(_("Enter the mileage in km."), field="mileage", code="mileage") from None
    if not 0 <= mileage <= MAX_MILEAGE:
        raise ApplicationError(_("Enter the mileage in km."), field="mileage", code="mileage")
    if not isinstance(results, dict):
        raise ApplicationError(_("The checklist is not valid."), field="results", code="checklist")
    unknown = set(results) - set(PDI_ITEMS)
    if unknown:
        raise ApplicationError(
            _("Not on this checklist: %(items)s.") % {"items": ", ".join(sorted(unknown))},
            field="results",
            code="checklist",
        )
    cleaned: dict[str, dict] = {}
    missing = []
    for code, label in PDI_ITEMS.items():
        answer = results.get(code)
        if not isinstance(answer, dict) or answer.get("ok") is None:
            missing.append(str(label))
            continue
        ok = bool(answer["ok"])
        item_note = str(answer.get("note") or "").strip()[:200]
        if not ok and not item_note:
            raise ApplicationError(
                _("Say what is wrong with “%(item)s”.") % {"item": label}, field="results", code="note"
            )
        cleaned[code] = {"ok": ok, "note": item_note}
    if missing:
        raise ApplicationError(
            _("Answer every item: %(items)s.") % {"items": "; ".join(missing[:5])},
            field="results",
            code="checklist",
        )
    vehicle = vehicles_for(actor, store).filter(vin=vin).first()
    return PdiCheck.objects.create(
        store=store,
        number=next_code("PDI", store.code),
        vehicle=vehicle,
        vin=vin,
        model_name=(model_name or "").strip()[:80] or (vehicle.model_name if vehicle else ""),
        mileage=mileage,
        results=cleaned,
        passed=all(answer["ok"] for answer in cleaned.values()),
        checked_by=actor,
        note=(note or "").strip()[:300],
    )
