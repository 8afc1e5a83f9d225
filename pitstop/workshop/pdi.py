"""PDI of new cars (售前检查 / 交车前PDI检查, F-4.9): before a new car is handed over the
workshop checks it item by item on the PDI sheet (检查单) in the order of seed 002's flow:
exterior, interior, engine bay, then chassis, functions, road test, documents and accessories.
Each item is ok or not, with a note of what was put right; the car passes only when every
item is ok. The inspector signs the printed sheet."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

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
        gettext_lazy("Exterior"),
        [
            ("paint", gettext_lazy("Paint and body panels: no scratches, dents or colour difference")),
            ("glass", gettext_lazy("Glass, mirrors and lamp lenses undamaged")),
            ("gaps", gettext_lazy("Door, bonnet and boot gaps even; all open, close and lock")),
            ("wheels", gettext_lazy("Wheels and tyres undamaged, pressures right (spare included)")),
            ("trim", gettext_lazy("Trim, badges and seals fitted")),
        ],
    ),
    (
        "interior",
        gettext_lazy("Interior"),
        [
            ("seats", gettext_lazy("Seats, seat belts and adjusters")),
            ("trim_clean", gettext_lazy("Interior trim, headlining and carpets clean and undamaged")),
            ("dashboard", gettext_lazy("Instruments work, no warning lamps")),
            ("controls", gettext_lazy("Windows, central locking, mirrors and sunroof")),
            ("climate", gettext_lazy("Air-conditioning and heater")),
            ("audio", gettext_lazy("Audio, navigation and clock set")),
        ],
    ),
    (
        "engine",
        gettext_lazy("Engine bay"),
        [
            ("oil", gettext_lazy("Engine oil level")),
            ("coolant", gettext_lazy("Coolant level")),
            ("brake_fluid", gettext_lazy("Brake and clutch fluid level")),
            ("washer", gettext_lazy("Washer fluid")),
            ("battery", gettext_lazy("Battery terminals tight, battery charged")),
            ("hoses", gettext_lazy("Hoses and belts fitted, no leaks")),
        ],
    ),
    (
        "chassis",
        gettext_lazy("Chassis"),
        [
            ("underbody", gettext_lazy("Underbody undamaged, no leaks")),
            ("suspension", gettext_lazy("Suspension and steering joints")),
            ("brakes", gettext_lazy("Brake lines and parking brake")),
            ("exhaust", gettext_lazy("Exhaust system secure")),
            ("wheel_nuts", gettext_lazy("Wheel nuts tightened to torque")),
        ],
    ),
    (
        "functions",
        gettext_lazy("Functions and electrics"),
        [
            ("lights", gettext_lazy("All exterior lights, indicators and hazard lights")),
            ("horn_wipers", gettext_lazy("Horn, wipers and washers")),
            ("keys", gettext_lazy("Keys, remote and immobiliser")),
            ("transport_mode", gettext_lazy("Transport mode switched off (fuse fitted)")),
            ("fault_codes", gettext_lazy("Fault memory read and cleared")),
        ],
    ),
    (
        "road_test",
        gettext_lazy("Road test"),
        [
            ("start_idle", gettext_lazy("Starting and idle")),
            ("drive", gettext_lazy("Acceleration and gear changes")),
            ("braking", gettext_lazy("Braking and ABS")),
            ("steering", gettext_lazy("Steering straight, no pull")),
            ("noise", gettext_lazy("No abnormal noise or vibration")),
        ],
    ),
    (
        "documents",
        gettext_lazy("Documents and accessories"),
        [
            ("manual", gettext_lazy("Owner's manual and warranty booklet (保修手册)")),
            ("certificate", gettext_lazy("Vehicle certificate (合格证) and purchase documents")),
            ("tools", gettext_lazy("Jack, wheel brace, tools and warning triangle")),
            ("spare", gettext_lazy("Spare wheel or tyre repair kit")),
            ("protection", gettext_lazy("Protective film and covers removed, car washed")),
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
