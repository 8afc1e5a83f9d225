"""Package and count cards (次卡/月卡/年卡/套餐, 首保/二保 packages).

A card type lists its items (a labour operation or a canned job, so many times). A sold card
copies the items into balance rows (PackageCardItem.remaining) and writes a `sell` entry for
each; each use writes a `use` entry under select_for_update of the item, refused when the card
is cancelled, expired or the item exhausted. `package_cards_expire` writes off what is left on
expired cards. Entries are only ever inserted; remaining == Σ entries, never below zero."""

import datetime

from django.db import transaction
from django.utils.translation import gettext as _

from pitstop.accounts.models import User
from pitstop.core.exceptions import ApplicationError
from pitstop.core.numbering import next_code
from pitstop.customers.models import Customer, Vehicle

from .common import NO_REFERENCE, Reference, add_months, by, clean_amount, today
from .models import PackageCard, PackageCardEntry, PackageCardItem, PackageCardType

Kind = PackageCardEntry.Kind


def _entry(
    item: PackageCardItem, *, kind, count, actor, reference, reversal_of=None, note=""
) -> PackageCardEntry:
    remaining = item.remaining + count
    if remaining < 0:
        raise ApplicationError(
            _("Only %(left)s left on this card.") % {"left": item.remaining},
            field="count",
            code="card_exhausted",
        )
    item.remaining = remaining
    item.save(update_fields=["remaining"])
    return PackageCardEntry.objects.create(
        store_id=item.card.store_id,
        card_id=item.card_id,
        item=item,
        kind=kind,
        count=count,
        remaining_after=remaining,
        reversal_of=reversal_of,
        reference_type=reference.type,
        reference_id=reference.id,
        reference_no=reference.no,
        created_by=by(actor),
        note=(note or "")[:200],
    )


@transaction.atomic
def package_card_sell(
    *,
    actor: User | None,
    card_type: PackageCardType,
    customer: Customer,
    vehicle: Vehicle | None = None,
    price=None,
    reference: Reference = NO_REFERENCE,
    on: datetime.date | None = None,
) -> PackageCard:
    """Sell a card (at the type's price unless another is given); its items start full."""
    if not card_type.is_active:
        raise ApplicationError(_("This card is no longer sold."), field="card_type", code="not_on_sale")
    if customer.store_id != card_type.store_id:
        raise ApplicationError(
            _("This customer belongs to another store."), field="customer", code="wrong_store"
        )
    if vehicle is not None and vehicle.store_id != card_type.store_id:
        raise ApplicationError(
            _("This vehicle belongs to another store."), field="vehicle", code="wrong_store"
        )
    type_items = list(card_type.items.all())
    if not type_items:
        raise ApplicationError(_("This card type has no items."), field="card_type", code="no_items")
    price = card_type.price if price is None else clean_amount(price, "price", allow_zero=True)
    day = today(on)
    store = card_type.store
    card = PackageCard.objects.create(
        store=store,
        card_type=card_type,
        card_no=next_code("TC", store.code),
        customer=customer,
        vehicle=vehicle,
        sold_on=day,
        expires_on=add_months(day, card_type.valid_months) if card_type.valid_months else None,
        price_paid=price,
        reference_type=reference.type,
        reference_id=reference.id,
        reference_no=reference.no,
        created_by=by(actor),
    )
    for type_item in type_items:
        item = PackageCardItem.objects.create(
            card=card,
            labour_id=type_item.labour_id,
            canned_job_id=type_item.canned_job_id,
            count=type_item.count,
            remaining=0,
        )
        item.card = card
        _entry(item, kind=Kind.SELL, count=type_item.count, actor=actor, reference=reference)
    return card


def card_item_for(card: PackageCard, *, labour=None, canned_job=None) -> PackageCardItem | None:
    """The item of a card that covers this labour operation or canned job, if any."""
    items = card.items.all()
    if labour is not None:
        return items.filter(labour=labour).first()
    if canned_job is not None:
        return items.filter(canned_job=canned_job).first()
    return None


@transaction.atomic
def package_card_use(
    *,
    actor: User | None,
    item: PackageCardItem,
    count: int = 1,
    reference: Reference = NO_REFERENCE,
    vehicle: Vehicle | None = None,
    on: datetime.date | None = None,
) -> PackageCardEntry:
    """Use an item `count` times at a settlement. Refused (by code): card_cancelled,
    card_expired, card_exhausted, wrong_vehicle, invalid_count."""
    if not isinstance(count, int) or isinstance(count, bool) or count <= 0:
        raise ApplicationError(_("Use at least once."), field="count", code="invalid_count")
    item = PackageCardItem.objects.select_for_update().select_related("card").get(pk=item.pk)
    card = item.card
    if card.status != PackageCard.Status.ACTIVE:
        raise ApplicationError(_("This card is cancelled."), field="card", code="card_cancelled")
    if card.expires_on is not None and card.expires_on < today(on):
        raise ApplicationError(
            _("This card expired on %(day)s.") % {"day": card.expires_on}, field="card", code="card_expired"
        )
    if vehicle is not None and card.vehicle_id is not None and card.vehicle_id != vehicle.pk:
        raise ApplicationError(_("This card is for another vehicle."), field="vehicle", code="wrong_vehicle")
    return _entry(item, kind=Kind.USE, count=-count, actor=actor, reference=reference)


@transaction.atomic
def package_card_reverse(*, actor: User | None, entry: PackageCardEntry, reason: str) -> PackageCardEntry:
    """Undo a use (a reversed settlement) with an entry of the opposite sign."""
    if not (reason or "").strip():
        raise ApplicationError(_("Say why the entry is reversed."), field="reason", code="reason_required")
    item = PackageCardItem.objects.select_for_update().select_related("card").get(pk=entry.item_id)
    if entry.kind != Kind.USE or PackageCardEntry.objects.filter(reversal_of=entry).exists():
        raise ApplicationError(_("Only a use can be reversed, and only once."), code="already_reversed")
    return _entry(
        item,
        kind=Kind.REVERSAL,
        count=-entry.count,
        actor=actor,
        reference=Reference(entry.reference_type, entry.reference_id, entry.reference_no),
        reversal_of=entry,
        note=reason,
    )


def package_cards_expire(*, now: datetime.date | datetime.datetime | None = None) -> int:
    """The job: write off what is left on cards past their date; returns the times written off.
    One card per transaction, items locked in primary-key order."""
    day = today(now)
    card_ids = (
        PackageCardItem.objects.filter(remaining__gt=0, card__expires_on__lt=day)
        .values_list("card_id", flat=True)
        .distinct()
    )
    total = 0
    for card_id in sorted(set(card_ids)):
        with transaction.atomic():
            items = (
                PackageCardItem.objects.select_for_update()
                .select_related("card")
                .filter(card_id=card_id, remaining__gt=0)
                .order_by("pk")
            )
            for item in items:
                total += item.remaining
                _entry(item, kind=Kind.EXPIRE, count=-item.remaining, actor=None, reference=NO_REFERENCE)
    return total
