"""Every write to customer and vehicle files. Views and the API call these and nothing else."""

import datetime
from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from pitstop.accounts.models import Store, User
from pitstop.core.audit import audit_record, snapshot
from pitstop.core.exceptions import ApplicationError
from pitstop.core.numbering import next_code
from pitstop.core.scoping import has_perm_in_store

from .models import Customer, CustomerTier, MileageReading, Tag, Vehicle, VehiclePartyChange

CUSTOMER_FIELDS = [
    "kind",
    "name",
    "gender",
    "customer_type",
    "mobile",
    "home_phone",
    "office_phone",
    "fax",
    "email",
    "address",
    "postcode",
    "employer",
    "job_title",
    "id_number",
    "birthday",
    "birthday_is_lunar",
    "education",
    "hobbies",
    "photo",
    "source",
    "tier",
    "marketing_consent",
    "notes",
]
CUSTOMER_SENSITIVE = frozenset({"mobile", "home_phone", "office_phone", "id_number"})
VEHICLE_FIELDS = [
    "plate",
    "vin",
    "vin_check_confirmed",
    "brand",
    "series",
    "model_name",
    "model_code",
    "category",
    "model_year",
    "engine_no",
    "engine_model",
    "gearbox_model",
    "gearbox_no",
    "transmission",
    "displacement",
    "equipment_code",
    "key_no",
    "body_colour",
    "interior",
    "fuel",
    "production_date",
    "purchase_date",
    "purchase_mileage",
    "use",
    "selling_dealer",
    "insurance_expiry",
    "inspection_due",
    "warranty_start",
    "warranty_end",
    "warranty_km",
    "owner",
    "user",
    "driver",
    "notes",
]
MAX_MILEAGE = 2_000_000  # km; anything above is a typing error (and overflows the column)
TIER_FIELDS = [
    "code",
    "name",
    "rank",
    "price_type",
    "valid_months",
    "fee",
    "points_required",
    "single_spend_threshold",
    "labour_discount_pct",
    "parts_discount_pct",
    "is_default",
]


def _apply(instance, data: dict[str, Any], fields: Iterable[str]) -> None:
    for name in fields:
        if name in data:
            value = data[name]
            if value is False and name == "photo":  # the form's "clear" box
                value = ""
            setattr(
                instance,
                name,
                "" if value is None and name in _TEXT_FIELDS.get(type(instance), ()) else value,
            )


_TEXT_FIELDS = {
    Customer: {f.name for f in Customer._meta.fields if f.get_internal_type() in ("CharField", "TextField")},
    Vehicle: {f.name for f in Vehicle._meta.fields if f.get_internal_type() in ("CharField", "TextField")},
}


# Related records a service receives as objects (and checks with _check_same_store); full_clean
# would otherwise query each of them again to see that it exists.
_HELD = ["store", "tier", "owner", "user", "driver", "created_by"]


def _check_same_store(store: Store, **related) -> None:
    for field, obj in related.items():
        if obj is not None and obj.store_id != store.pk:
            raise ApplicationError(_("This belongs to another store."), field=field)


def _customer_duplicate(customer: Customer) -> None:
    if not customer.mobile:
        return
    existing = (
        Customer.objects.filter(store_id=customer.store_id, mobile=customer.mobile)
        .exclude(pk=customer.pk)
        .first()
    )
    if existing:
        raise ApplicationError(
            _("A customer with mobile %(mobile)s is already on file: %(name)s (%(code)s).")
            % {"mobile": customer.mobile, "name": existing.name, "code": existing.code},
            field="mobile",
            code="duplicate",
            extra={
                "existing_url": reverse("customers:customer_detail", args=[existing.pk]),
                "existing_label": f"{existing.name} {existing.code}",
                "existing_id": existing.pk,
            },
        )


def _vehicle_duplicate(vehicle: Vehicle) -> None:
    existing = (
        Vehicle.objects.filter(store_id=vehicle.store_id, vin=vehicle.vin).exclude(pk=vehicle.pk).first()
    )
    if existing:
        raise ApplicationError(
            _("A vehicle with VIN %(vin)s is already on file: %(vehicle)s.")
            % {"vin": vehicle.vin, "vehicle": existing},
            field="vin",
            code="duplicate",
            extra={
                "existing_url": reverse("customers:vehicle_detail", args=[existing.pk]),
                "existing_label": str(existing),
                "existing_id": existing.pk,
            },
        )


def _save_unique(instance, duplicate_check) -> None:
    """Save; a unique constraint hit by a concurrent save reads like the ordinary duplicate."""
    try:
        with transaction.atomic():
            instance.save()
    except IntegrityError:
        duplicate_check(instance)
        raise


def _set_tags(customer: Customer, tag_names: Iterable[str] | None) -> None:
    if tag_names is None:
        return
    names = sorted({name.strip()[:20] for name in tag_names if name and name.strip()})
    tags = [Tag.objects.get_or_create(store_id=customer.store_id, name=name)[0] for name in names]
    customer.tags.set(tags)


def _audit_snapshot(customer: Customer) -> dict:
    return snapshot(customer, CUSTOMER_FIELDS + ["tags"], sensitive=CUSTOMER_SENSITIVE)


@transaction.atomic
def customer_create(
    *, actor: User | None, store: Store, data: dict[str, Any], tag_names: Iterable[str] | None = None
) -> Customer:
    customer = Customer(store=store, created_by=actor if actor and actor.pk else None)
    _apply(customer, data, CUSTOMER_FIELDS)
    if customer.tier is None:
        customer.tier = CustomerTier.objects.filter(store=store, is_default=True).first()
    _check_same_store(store, tier=customer.tier)
    customer.full_clean(exclude=["code", *_HELD], validate_constraints=False)
    _customer_duplicate(customer)
    if customer.marketing_consent:
        customer.marketing_consent_at = timezone.now()
    customer.code = next_code("KH", store.code)
    _save_unique(customer, _customer_duplicate)
    _set_tags(customer, tag_names)
    audit_record(actor=actor, instance=customer, action="create", after=_audit_snapshot(customer))
    return customer


@transaction.atomic
def customer_update(
    *, actor: User | None, customer: Customer, data: dict[str, Any], tag_names: Iterable[str] | None = None
) -> Customer:
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    before = _audit_snapshot(customer)
    had_consent = customer.marketing_consent
    _apply(customer, data, CUSTOMER_FIELDS)
    _check_same_store(customer.store, tier=customer.tier)
    customer.full_clean(exclude=_HELD, validate_constraints=False)
    _customer_duplicate(customer)
    if customer.marketing_consent and not had_consent:
        customer.marketing_consent_at = timezone.now()
    elif not customer.marketing_consent:
        customer.marketing_consent_at = None
    _save_unique(customer, _customer_duplicate)
    _set_tags(customer, tag_names)
    after = _audit_snapshot(customer)
    if before != after:
        audit_record(actor=actor, instance=customer, action="update", before=before, after=after)
    return customer


def customer_reveal(*, actor: User, customer: Customer, field: str) -> str:
    """The full phone or ID number, for a role allowed to see it; every reveal is recorded."""
    if field not in CUSTOMER_SENSITIVE:
        raise ApplicationError(_("Nothing to reveal there."), field="field")
    if not has_perm_in_store(actor, "customers.view_personal_data", customer.store_id):
        raise ApplicationError(_("Your role may not see full phone and ID numbers."), code="forbidden")
    audit_record(actor=actor, instance=customer, action="reveal", note=field)
    return getattr(customer, field)


def _vehicle_snapshot(vehicle: Vehicle) -> dict:
    return snapshot(vehicle, VEHICLE_FIELDS)


def _first_readings(actor: User | None, vehicle: Vehicle) -> None:
    if vehicle.purchase_mileage is not None:
        MileageReading.objects.create(
            vehicle=vehicle,
            read_on=vehicle.purchase_date or timezone.localdate(),
            mileage=vehicle.purchase_mileage,
            source=MileageReading.Source.PURCHASE,
            recorded_by=actor if actor and actor.pk else None,
        )
        vehicle.current_mileage = vehicle.purchase_mileage
        vehicle.save(update_fields=["current_mileage"])


@transaction.atomic
def vehicle_create(*, actor: User | None, store: Store, data: dict[str, Any]) -> Vehicle:
    vehicle = Vehicle(store=store, created_by=actor if actor and actor.pk else None)
    _apply(vehicle, data, VEHICLE_FIELDS)
    if vehicle.owner_id is None:
        raise ApplicationError(_("A vehicle needs an owner."), field="owner")
    _check_same_store(store, owner=vehicle.owner, user=vehicle.user, driver=vehicle.driver)
    vehicle.full_clean(exclude=["file_no", *_HELD], validate_constraints=False)
    _vehicle_duplicate(vehicle)
    vehicle.file_no = next_code("CL", store.code)
    _save_unique(vehicle, _vehicle_duplicate)
    _first_readings(actor, vehicle)
    audit_record(actor=actor, instance=vehicle, action="create", after=_vehicle_snapshot(vehicle))
    return vehicle


@transaction.atomic
def vehicle_update(
    *, actor: User | None, vehicle: Vehicle, data: dict[str, Any], change_date: datetime.date | None = None
) -> Vehicle:
    """Edit the file. A new owner, user or driver goes through the party history."""
    vehicle = Vehicle.objects.select_for_update().get(pk=vehicle.pk)
    before = _vehicle_snapshot(vehicle)
    old_parties = {role: getattr(vehicle, f"{role}_id") for role in VehiclePartyChange.Role.values}
    _apply(vehicle, data, VEHICLE_FIELDS)
    if vehicle.owner_id is None:
        raise ApplicationError(_("A vehicle needs an owner."), field="owner")
    _check_same_store(vehicle.store, owner=vehicle.owner, user=vehicle.user, driver=vehicle.driver)
    vehicle.full_clean(exclude=_HELD, validate_constraints=False)
    _vehicle_duplicate(vehicle)
    _save_unique(vehicle, _vehicle_duplicate)
    for role, old_id in old_parties.items():
        if getattr(vehicle, f"{role}_id") != old_id:
            VehiclePartyChange.objects.create(
                vehicle=vehicle,
                role=role,
                previous_id=old_id,
                new_id=getattr(vehicle, f"{role}_id"),
                changed_on=change_date or timezone.localdate(),
                changed_by=actor if actor and actor.pk else None,
                mileage=vehicle.current_mileage,
            )
    after = _vehicle_snapshot(vehicle)
    if before != after:
        audit_record(actor=actor, instance=vehicle, action="update", before=before, after=after)
    return vehicle


@transaction.atomic
def vehicle_change_party(
    *,
    actor: User | None,
    vehicle: Vehicle,
    role: str,
    customer: Customer | None,
    changed_on: datetime.date | None = None,
    note: str = "",
) -> Vehicle:
    """A new owner (sale), user or driver. The history keeps who it was before."""
    if role not in VehiclePartyChange.Role.values:
        raise ApplicationError(_("Unknown role."), field="role")
    if role == VehiclePartyChange.Role.OWNER and customer is None:
        raise ApplicationError(_("A vehicle needs an owner."), field="customer")
    locked = Vehicle.objects.select_for_update().get(pk=vehicle.pk)
    if customer is not None:
        _check_same_store(locked.store, customer=customer)
    before = _vehicle_snapshot(locked)
    previous_id = getattr(locked, f"{role}_id")
    if previous_id == (customer.pk if customer else None):
        return locked
    setattr(locked, role, customer)
    locked.save(update_fields=[role, "updated_at"])
    VehiclePartyChange.objects.create(
        vehicle=locked,
        role=role,
        previous_id=previous_id,
        new=customer,
        changed_on=changed_on or timezone.localdate(),
        changed_by=actor if actor and actor.pk else None,
        mileage=locked.current_mileage,
        note=note,
    )
    audit_record(
        actor=actor,
        instance=locked,
        action="update",
        before=before,
        after=_vehicle_snapshot(locked),
        note=note,
    )
    return locked


@transaction.atomic
def vehicle_record_mileage(
    *,
    actor: User | None,
    vehicle: Vehicle,
    mileage: int,
    read_on: datetime.date,
    source: str = MileageReading.Source.MANUAL,
    reference: str = "",
    reason: str = "",
) -> MileageReading:
    """A new odometer reading, dated today or earlier. It must fit between the readings before
    and after it in time unless a reason is given (odometer replaced, an earlier typing error);
    the vehicle's last mileage follows the newest reading. Every reading is in the trail."""
    if mileage is None or not 0 <= mileage <= MAX_MILEAGE:
        raise ApplicationError(_("Mileage must be between 0 and 2,000,000 km."), field="mileage")
    if read_on > timezone.localdate():
        raise ApplicationError(_("A reading cannot be dated in the future."), field="read_on")
    locked = Vehicle.objects.select_for_update().get(pk=vehicle.pk)
    readings = locked.mileage_readings.order_by("read_on", "id")
    earlier = readings.filter(read_on__lte=read_on).last()
    later = readings.filter(read_on__gt=read_on).first()
    if not reason.strip():
        if earlier is not None and mileage < earlier.mileage:
            raise ApplicationError(
                _(
                    "%(new)s km is lower than the reading of %(date)s (%(last)s km). "
                    "Give a reason to record it."
                )
                % {"new": mileage, "date": earlier.read_on, "last": earlier.mileage},
                field="mileage",
                code="mileage_lower",
            )
        if later is not None and mileage > later.mileage:
            raise ApplicationError(
                _(
                    "%(new)s km is higher than the later reading of %(date)s (%(next)s km). "
                    "Give a reason to record it."
                )
                % {"new": mileage, "date": later.read_on, "next": later.mileage},
                field="mileage",
                code="mileage_higher",
            )
    reading = MileageReading.objects.create(
        vehicle=locked,
        mileage=mileage,
        read_on=read_on,
        source=source,
        reference=reference[:40],
        recorded_by=actor if actor and actor.pk else None,
        note=reason[:200],
    )
    before = {"current_mileage": locked.current_mileage}
    newest = locked.mileage_readings.order_by("-read_on", "-id").first()
    if locked.current_mileage != newest.mileage:
        locked.current_mileage = newest.mileage
        locked.save(update_fields=["current_mileage", "updated_at"])
    audit_record(
        actor=actor,
        instance=locked,
        action="update",
        before=before,
        after={"current_mileage": locked.current_mileage},
        note=f"{_('mileage reading')} {read_on} {mileage} km {reason}".strip(),
    )
    return reading


@transaction.atomic
def tier_save(
    *, actor: User | None, store: Store, data: dict[str, Any], tier: CustomerTier | None = None
) -> CustomerTier:
    tier = CustomerTier.objects.select_for_update().get(pk=tier.pk) if tier else CustomerTier(store=store)
    before = snapshot(tier, TIER_FIELDS) if tier.pk else {}
    for name in TIER_FIELDS:
        if name in data:
            setattr(tier, name, data[name])
    tier.full_clean(validate_constraints=False)
    if CustomerTier.objects.filter(store=tier.store, code=tier.code).exclude(pk=tier.pk).exists():
        raise ApplicationError(_("Tier number %(code)s is already used.") % {"code": tier.code}, field="code")
    tier.save()
    if tier.is_default:
        CustomerTier.objects.filter(store=tier.store, is_default=True).exclude(pk=tier.pk).update(
            is_default=False
        )
    audit_record(
        actor=actor,
        instance=tier,
        action="update" if before else "create",
        before=before,
        after=snapshot(tier, TIER_FIELDS),
    )
    return tier
