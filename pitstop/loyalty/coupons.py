"""Coupons (优惠券): issued singly or in batches, checked against a bill (minimum spend, line
kinds, validity) and redeemed once — the coupon row is locked (select_for_update) and its
status checked, so a second redeem, even at the same moment, is refused."""

import datetime
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pitstop.accounts.models import Store, User
from pitstop.core.exceptions import ApplicationError
from pitstop.core.money import percent_of, to_money
from pitstop.core.numbering import next_code
from pitstop.customers.models import Customer

from .common import NO_REFERENCE, Reference, by, today
from .models import ZERO, Coupon, CouponType, LineKind

ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read out over the phone
CODE_LENGTH = 10
MAX_BATCH = 5000


@dataclass(frozen=True)
class CouponQuote:
    coupon: Coupon
    eligible: Decimal  # the part of the bill the coupon applies to
    discount: Decimal


def _new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _i in range(CODE_LENGTH))


def _expiry(coupon_type: CouponType, day: datetime.date) -> datetime.date | None:
    ends = [d for d in (coupon_type.valid_until,) if d]
    if coupon_type.valid_days:
        ends.append(day + datetime.timedelta(days=coupon_type.valid_days))
    return min(ends) if ends else None


@transaction.atomic
def coupons_issue(
    *,
    actor: User | None,
    coupon_type: CouponType,
    count: int | None = None,
    customers: Iterable[Customer] | None = None,
    on: datetime.date | None = None,
) -> list[Coupon]:
    """Issue `count` bearer coupons, or one to each of `customers`; one batch number for all."""
    if (count is None) == (customers is None):
        raise ApplicationError(_("Give either a number of coupons or the customers."), field="count")
    if not coupon_type.is_active:
        raise ApplicationError(_("This coupon is no longer issued."), field="coupon_type", code="inactive")
    holders: list[Customer | None]
    if customers is not None:
        holders = list(customers)
        if any(c.store_id != coupon_type.store_id for c in holders):
            raise ApplicationError(
                _("A customer belongs to another store."), field="customers", code="wrong_store"
            )
    else:
        if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= MAX_BATCH:
            raise ApplicationError(
                _("Issue between 1 and %(max)s coupons.") % {"max": MAX_BATCH},
                field="count",
                code="invalid_count",
            )
        holders = [None] * count
    if not holders:
        raise ApplicationError(_("Choose at least one customer."), field="customers", code="invalid_count")
    day = today(on)
    if coupon_type.valid_until and coupon_type.valid_until < day:
        raise ApplicationError(_("This coupon type has expired."), field="coupon_type", code="coupon_expired")
    store = coupon_type.store
    batch = next_code("YHQ", store.code)
    expires = _expiry(coupon_type, day)
    coupons = []
    for holder in holders:
        for _attempt in range(5):
            try:
                with transaction.atomic():
                    coupons.append(
                        Coupon.objects.create(
                            store=store,
                            coupon_type=coupon_type,
                            code=_new_code(),
                            batch_no=batch,
                            customer=holder,
                            valid_from=coupon_type.valid_from,
                            expires_on=expires,
                            issued_by=by(actor),
                        )
                    )
                break
            except IntegrityError:  # the code was taken: draw again
                continue
        else:  # pragma: no cover - 32**10 codes
            raise ApplicationError(_("Could not draw a free coupon code; try again."), code="code_clash")
    return coupons


def _amounts(amount, line_kinds: Iterable[str]) -> tuple[dict[str, Decimal] | None, Decimal, set[str]]:
    if isinstance(amount, Mapping):
        by_kind = {kind: to_money(value) for kind, value in amount.items()}
        return by_kind, sum(by_kind.values(), ZERO), set(by_kind)
    return None, to_money(amount), set(line_kinds)


def _quote(coupon: Coupon, *, store: Store, amount, line_kinds, customer, day) -> CouponQuote:
    kind = coupon.coupon_type
    if coupon.store_id != store.pk:
        raise ApplicationError(_("No such coupon."), field="code", code="not_found")
    if coupon.status == Coupon.Status.REDEEMED:
        raise ApplicationError(_("This coupon has already been used."), field="code", code="coupon_used")
    if coupon.status == Coupon.Status.VOIDED:
        raise ApplicationError(_("This coupon is void."), field="code", code="coupon_void")
    if coupon.valid_from and day < coupon.valid_from:
        raise ApplicationError(
            _("This coupon is valid from %(day)s.") % {"day": coupon.valid_from},
            field="code",
            code="not_yet_valid",
        )
    if coupon.expires_on and day > coupon.expires_on:
        raise ApplicationError(
            _("This coupon expired on %(day)s.") % {"day": coupon.expires_on},
            field="code",
            code="coupon_expired",
        )
    if coupon.customer_id and (customer is None or customer.pk != coupon.customer_id):
        raise ApplicationError(
            _("This coupon belongs to another customer."), field="code", code="wrong_customer"
        )
    by_kind, total, kinds = _amounts(amount, line_kinds)
    unknown = kinds - set(LineKind.values)
    if unknown:
        raise ApplicationError(
            _("Unknown line kind %(kind)s.") % {"kind": ", ".join(sorted(unknown))},
            field="line_kinds",
            code="invalid_line_kind",
        )
    wanted = set(kind.line_kinds or LineKind.values)
    if not wanted & kinds:
        raise ApplicationError(
            _("This coupon does not apply to these items."), field="code", code="wrong_line_kinds"
        )
    eligible = total if by_kind is None else sum((v for k, v in by_kind.items() if k in wanted), ZERO)
    if eligible <= 0 or eligible < kind.minimum_spend:
        raise ApplicationError(
            _("This coupon needs a spend of at least %(min)s.") % {"min": kind.minimum_spend},
            field="code",
            code="below_minimum_spend",
        )
    if kind.kind == CouponType.Kind.PERCENT:
        discount = percent_of(eligible, kind.value)
        if kind.max_discount is not None:
            discount = min(discount, kind.max_discount)
    else:
        discount = kind.value
    return CouponQuote(coupon=coupon, eligible=eligible, discount=min(discount, eligible))


def coupon_check(
    *,
    store: Store,
    code: str,
    amount,
    line_kinds: Iterable[str] = (),
    customer: Customer | None = None,
    on: datetime.date | None = None,
) -> CouponQuote:
    """Would this coupon apply, and for how much? `amount` is the bill's amount on the lines of
    `line_kinds`, or a mapping line kind → amount (then only the coupon's kinds count).
    Refused by code: not_found, coupon_used, coupon_void, not_yet_valid, coupon_expired,
    wrong_customer, wrong_line_kinds, below_minimum_spend."""
    coupon = (
        Coupon.objects.select_related("coupon_type")
        .filter(code=(code or "").strip().upper(), store=store)
        .first()
    )
    if coupon is None:
        raise ApplicationError(_("No such coupon."), field="code", code="not_found")
    return _quote(coupon, store=store, amount=amount, line_kinds=line_kinds, customer=customer, day=today(on))


@transaction.atomic
def coupon_redeem(
    *,
    actor: User | None,
    store: Store,
    code: str,
    amount,
    line_kinds: Iterable[str] = (),
    reference: Reference = NO_REFERENCE,
    customer: Customer | None = None,
    on: datetime.date | None = None,
) -> CouponQuote:
    """Use a coupon once: locked, checked again, marked used with the discount and reference."""
    coupon = Coupon.objects.select_for_update().filter(code=(code or "").strip().upper(), store=store).first()
    if coupon is None:
        raise ApplicationError(_("No such coupon."), field="code", code="not_found")
    quote = _quote(
        coupon, store=store, amount=amount, line_kinds=line_kinds, customer=customer, day=today(on)
    )
    coupon.status = Coupon.Status.REDEEMED
    coupon.redeemed_at = timezone.now()
    coupon.redeemed_by = by(actor)
    coupon.discount = quote.discount
    coupon.reference_type, coupon.reference_id, coupon.reference_no = (
        reference.type,
        reference.id,
        reference.no,
    )
    if coupon.customer_id is None and customer is not None:
        coupon.customer = customer
    coupon.save(
        update_fields=[
            "status",
            "redeemed_at",
            "redeemed_by",
            "discount",
            "reference_type",
            "reference_id",
            "reference_no",
            "customer",
            "updated_at",
        ]
    )
    return quote


@transaction.atomic
def coupon_reinstate(*, actor: User | None, coupon: Coupon) -> Coupon:
    """A reversed settlement gives its coupon back (when still within its validity)."""
    coupon = Coupon.objects.select_for_update().get(pk=coupon.pk)
    if coupon.status != Coupon.Status.REDEEMED:
        raise ApplicationError(_("This coupon has not been used."), field="code", code="not_used")
    coupon.status = Coupon.Status.ISSUED
    coupon.redeemed_at = None
    coupon.discount = None
    coupon.reference_type, coupon.reference_id, coupon.reference_no = "", None, ""
    coupon.save(
        update_fields=[
            "status",
            "redeemed_at",
            "discount",
            "reference_type",
            "reference_id",
            "reference_no",
            "updated_at",
        ]
    )
    return coupon


@transaction.atomic
def coupon_void(*, actor: User | None, coupon: Coupon) -> Coupon:
    coupon = Coupon.objects.select_for_update().get(pk=coupon.pk)
    if coupon.status != Coupon.Status.ISSUED:
        raise ApplicationError(_("Only an unused coupon can be voided."), field="code", code="coupon_used")
    coupon.status = Coupon.Status.VOIDED
    coupon.save(update_fields=["status", "updated_at"])
    return coupon
