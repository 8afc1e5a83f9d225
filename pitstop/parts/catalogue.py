"""Writes to the chain's parts catalogue (F-5.1): a part's fields and its prices by customer
price type. Every change is recorded in the audit trail, from the page, the API or the admin."""

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from pitstop.accounts.models import User
from pitstop.core.audit import audit_record, snapshot
from pitstop.core.exceptions import ApplicationError
from pitstop.core.money import to_money
from pitstop.core.text import pinyin_initials

from .models import Part, PartPrice
from .services import PART_FIELDS

PRICE_PREFIX = "price:"


def _audit_snapshot(part: Part) -> dict:
    values = snapshot(part, PART_FIELDS)
    for price in part.prices.all() if part.pk else []:
        values[f"{PRICE_PREFIX}{price.price_type}"] = str(price.price)
    return values


def _first_error(error: ValidationError) -> ApplicationError:
    if hasattr(error, "error_dict"):
        field, errors = next(iter(error.error_dict.items()))
        return ApplicationError(" ".join(e.messages[0] for e in errors[:1]), field=field)
    return ApplicationError(error.messages[0])


@transaction.atomic
def part_save(
    *,
    actor: User | None,
    data: dict[str, Any],
    part: Part | None = None,
    prices: dict[str, Any] | None = None,
) -> Part:
    """Create a part (part=None) or change one. `prices` maps a price type to its price; an
    empty price removes that type's price, so the part sells at its own sale price again."""
    creating = part is None
    part = Part() if creating else Part.objects.select_for_update().get(pk=part.pk)
    before = {} if creating else _audit_snapshot(part)
    for name in PART_FIELDS:
        if name in data:
            setattr(part, name, data[name])
    part.code = (part.code or "").strip().upper()
    part.name = (part.name or "").strip()
    part.name_initials = pinyin_initials(part.name)
    if Part.objects.filter(code__iexact=part.code).exclude(pk=part.pk).exists():
        raise ApplicationError(
            _("Part code %(code)s is already in the catalogue.") % {"code": part.code}, field="code"
        )
    if part.barcode and Part.objects.filter(barcode=part.barcode).exclude(pk=part.pk).exists():
        raise ApplicationError(
            _("Barcode %(code)s already belongs to another part.") % {"code": part.barcode}, field="barcode"
        )
    try:
        part.full_clean(exclude=["name_initials"], validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        raise _first_error(error) from None
    part.save()
    for price_type, value in (prices or {}).items():
        price_type = price_type.strip()
        if not price_type:
            continue
        if value in (None, ""):
            PartPrice.objects.filter(part=part, price_type=price_type).delete()
            continue
        amount = to_money(Decimal(str(value)))
        if amount < 0:
            raise ApplicationError(_("A price cannot be negative."), field=f"{PRICE_PREFIX}{price_type}")
        PartPrice.objects.update_or_create(part=part, price_type=price_type, defaults={"price": amount})
    after = _audit_snapshot(part)
    if creating:
        audit_record(actor=actor, instance=part, action="create", after=after)
    elif before != after:
        audit_record(actor=actor, instance=part, action="update", before=before, after=after)
    return part
