"""Loyalty sales that take money: the cash-desk payment and the loyalty change in one
transaction, so a refused payment (a closed day, a missing reference) changes no balance and a
refused loyalty change (a card number taken) takes no money.

Why here and not in the services: the loyalty services know nothing of the cash desk (billing
pays through them, not the other way round); these few functions join the two for the pages.
Each locks the customer's row first, then checks the form's one-time token: a form posted twice
(a double click, the back button) finds its payment already made and is refused, so the money
is never taken twice and the balance never topped up twice."""

from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from pitstop.accounts.models import Store, User
from pitstop.billing import payments
from pitstop.billing.models import Payment
from pitstop.core.exceptions import ApplicationError
from pitstop.customers.models import Customer, CustomerTier, Vehicle

from .. import services
from ..common import Reference
from ..models import Membership, PackageCard, PackageCardType, StoredValueEntry

Purpose = Payment.Purpose


def _guard(store: Store, customer: Customer, pay: dict) -> None:
    Customer.objects.select_for_update().filter(pk=customer.pk).first()
    token = pay.get("token") or ""
    if token and Payment.objects.filter(store=store, idempotency_key=token).exists():
        raise ApplicationError(
            _("This form was already sent and its payment taken; nothing was taken twice."),
            code="duplicate",
        )


def _take(
    *, actor: User, store: Store, purpose: str, amount: Decimal, customer: Customer, pay: dict, note: str
) -> Payment | None:
    """Take the money (nothing when the amount is zero: a free tier or a card given away)."""
    if amount <= 0:
        return None
    return payments.payment_take(
        actor=actor,
        store=store,
        purpose=purpose,
        method=pay.get("method") or "",
        amount=amount,
        customer=customer,
        tendered=pay.get("tendered"),
        reference=pay.get("reference") or "",
        note=note[:200],
        idempotency_key=pay.get("token") or "",
    )


def _reference(payment: Payment | None) -> Reference:
    return Reference("payment", payment.pk, "") if payment else services.NO_REFERENCE


@transaction.atomic
def join_paid(
    *, actor: User, customer: Customer, tier: CustomerTier, fee: Decimal, card_no: str, pay: dict
) -> tuple[Membership, Payment | None]:
    store = customer.store
    _guard(store, customer, pay)
    membership = services.membership_join(actor=actor, customer=customer, tier=tier, fee=fee, card_no=card_no)
    payment = _take(
        actor=actor,
        store=store,
        purpose=Purpose.MEMBERSHIP,
        amount=fee,
        customer=customer,
        pay=pay,
        note=_("Membership %(card)s: %(tier)s") % {"card": membership.card_no, "tier": tier.name},
    )
    return membership, payment


@transaction.atomic
def renew_paid(
    *, actor: User, membership: Membership, fee: Decimal, pay: dict
) -> tuple[Membership, Payment | None]:
    customer = membership.customer
    _guard(membership.store, customer, pay)
    membership = services.membership_renew(actor=actor, membership=membership, fee=fee)
    payment = _take(
        actor=actor,
        store=membership.store,
        purpose=Purpose.MEMBERSHIP,
        amount=fee,
        customer=customer,
        pay=pay,
        note=_("Membership %(card)s renewed to %(day)s")
        % {"card": membership.card_no, "day": membership.expires_on},
    )
    return membership, payment


@transaction.atomic
def replace_paid(
    *, actor: User, membership: Membership, card_no: str, fee: Decimal, reason: str, pay: dict
) -> tuple[Membership, Payment | None]:
    customer = membership.customer
    _guard(membership.store, customer, pay)
    new = services.membership_replace_card(
        actor=actor, membership=membership, card_no=card_no, fee=fee, reason=reason
    )
    payment = _take(
        actor=actor,
        store=membership.store,
        purpose=Purpose.MEMBERSHIP,
        amount=fee,
        customer=customer,
        pay=pay,
        note=_("Card %(old)s replaced by %(new)s") % {"old": membership.card_no, "new": new.card_no},
    )
    return new, payment


@transaction.atomic
def top_up_paid(
    *, actor: User, customer: Customer, amount: Decimal, pay: dict
) -> tuple[StoredValueEntry, Payment | None]:
    store = customer.store
    _guard(store, customer, pay)
    payment = _take(
        actor=actor,
        store=store,
        purpose=Purpose.TOP_UP,
        amount=amount,
        customer=customer,
        pay=pay,
        note=_("Stored-value top-up"),
    )
    entry = services.stored_value_top_up(
        actor=actor, store=store, customer=customer, amount=amount, reference=_reference(payment)
    )
    return entry, payment


@transaction.atomic
def card_sell_paid(
    *,
    actor: User,
    customer: Customer,
    card_type: PackageCardType,
    vehicle: Vehicle | None,
    price: Decimal,
    pay: dict,
) -> tuple[PackageCard, Payment | None]:
    store = customer.store
    _guard(store, customer, pay)
    payment = _take(
        actor=actor,
        store=store,
        purpose=Purpose.PACKAGE_CARD,
        amount=price,
        customer=customer,
        pay=pay,
        note=_("Package card: %(name)s") % {"name": card_type.name},
    )
    card = services.package_card_sell(
        actor=actor,
        card_type=card_type,
        customer=customer,
        vehicle=vehicle,
        price=price,
        reference=_reference(payment),
    )
    return card, payment
