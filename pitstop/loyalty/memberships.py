"""Memberships (会员卡): join, renew, change of tier, leave, replace a lost card.

The tier is the customers app's CustomerTier (fee, validity months, points required,
single-spend threshold, discounts); the customer's tier is set through
customers.services.customer_update, so the discounts at settlement follow the membership.

Tier rules (read from CustomerTier): a tier is met when the customer's points earned in the
store reach its `points_required`, or one visit's spend reaches its `single_spend_threshold`
(a tier asking for neither is met by everyone). An upgrade to a named tier must be met; a
downgrade to a named tier is a staff decision and always allowed (recorded). Without a named
tier the highest tier met is taken — upgrades only, unless `allow_downgrade` (at renewal).

A lost card: the old card is blocked and points to a new card with the same tier and dates.
Stored value, points and package cards belong to the customer, not the card number, so they
move to the new card as they are; the blocked card number is refused by `membership_by_card`."""

import datetime
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from pitstop.accounts.models import Store, User
from pitstop.core.exceptions import ApplicationError
from pitstop.core.numbering import next_code
from pitstop.customers import services as customer_services
from pitstop.customers.models import Customer, CustomerTier

from .common import add_months, by, clean_amount, today
from .models import ZERO, Membership, MembershipEvent
from .points import points_earned_total

Status = MembershipEvent.Kind
ACTIVE = Membership.Status.ACTIVE


def _event(membership, actor, kind, *, from_status="", from_tier=None, to_tier=None, amount=ZERO, note=""):
    membership.events.create(
        actor=by(actor),
        kind=kind,
        from_status=from_status or membership.status,
        to_status=membership.status,
        from_tier=from_tier,
        to_tier=to_tier,
        amount=amount,
        note=(note or "")[:200],
    )


def _set_customer_tier(actor, customer: Customer, tier: CustomerTier | None) -> None:
    if customer.tier_id != (tier.pk if tier else None):
        customer_services.customer_update(actor=actor, customer=customer, data={"tier": tier})


def _locked(membership: Membership) -> Membership:
    return Membership.objects.select_for_update().select_related("tier", "customer").get(pk=membership.pk)


def _fee(value, tier: CustomerTier) -> Decimal:
    return tier.fee if value is None else clean_amount(value, "fee", allow_zero=True)


def _ends(start: datetime.date, tier: CustomerTier) -> datetime.date | None:
    return add_months(start, tier.valid_months) if tier.valid_months else None


def tier_met(tier: CustomerTier, *, points: int, single_spend: Decimal) -> bool:
    if not tier.points_required and not tier.single_spend_threshold:
        return True
    return bool(
        (tier.points_required and points >= tier.points_required)
        or (tier.single_spend_threshold and single_spend >= tier.single_spend_threshold)
    )


def membership_by_card(*, store: Store, card_no: str) -> Membership:
    """The active membership of a card number; a blocked (lost) or left card is refused."""
    membership = (
        Membership.objects.select_related("tier", "customer", "replaced_by")
        .filter(store=store, card_no=(card_no or "").strip())
        .first()
    )
    if membership is None:
        raise ApplicationError(_("No such card."), field="card_no", code="not_found")
    if membership.status == Membership.Status.BLOCKED:
        raise ApplicationError(
            _("This card is blocked."),
            field="card_no",
            code="card_blocked",
            extra={"replaced_by": membership.replaced_by.card_no if membership.replaced_by else ""},
        )
    if membership.status != ACTIVE:
        raise ApplicationError(_("This membership has ended."), field="card_no", code="membership_ended")
    return membership


@transaction.atomic
def membership_join(
    *,
    actor: User | None,
    customer: Customer,
    tier: CustomerTier,
    fee=None,
    card_no: str = "",
    on: datetime.date | None = None,
) -> Membership:
    """入会: a new card at `tier` (fee: the tier's unless given); the customer takes the tier."""
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    if tier.store_id != customer.store_id:
        raise ApplicationError(_("This tier belongs to another store."), field="tier", code="wrong_store")
    if Membership.objects.filter(customer=customer, status=ACTIVE).exists():
        raise ApplicationError(
            _("This customer is already a member."), field="customer", code="already_member"
        )
    fee = _fee(fee, tier)
    day = today(on)
    card_no = (card_no or "").strip() or next_code("HY", customer.store.code)
    if Membership.objects.filter(store_id=customer.store_id, card_no=card_no).exists():
        raise ApplicationError(
            _("Card number %(no)s is taken.") % {"no": card_no}, field="card_no", code="card_taken"
        )
    try:
        with transaction.atomic():  # two desks giving out the same card no. at once
            membership = Membership.objects.create(
                store_id=customer.store_id,
                customer=customer,
                card_no=card_no,
                tier=tier,
                joined_on=day,
                expires_on=_ends(day, tier),
                fee_paid=fee,
                created_by=by(actor),
            )
    except IntegrityError:
        raise ApplicationError(
            _("Card number %(no)s is taken.") % {"no": card_no}, field="card_no", code="card_taken"
        ) from None
    _event(membership, actor, Status.JOIN, from_status="-", to_tier=tier, amount=fee)
    _set_customer_tier(actor, customer, tier)
    return membership


@transaction.atomic
def membership_renew(
    *, actor: User | None, membership: Membership, fee=None, on: datetime.date | None = None
) -> Membership:
    """续费: the validity runs on from the expiry date (or from today when already lapsed)."""
    membership = _locked(membership)
    if membership.status != ACTIVE:
        raise ApplicationError(_("Only an active membership can be renewed."), code="not_active")
    if not membership.tier.valid_months:
        raise ApplicationError(_("This tier does not expire."), field="tier", code="does_not_expire")
    fee = _fee(fee, membership.tier)
    start = max(membership.expires_on or today(on), today(on))
    membership.expires_on = _ends(start, membership.tier)
    membership.fee_paid += fee
    membership.save(update_fields=["expires_on", "fee_paid", "updated_at"])
    _event(membership, actor, Status.RENEW, amount=fee, note=str(membership.expires_on))
    return membership


@transaction.atomic
def membership_change_tier(
    *,
    actor: User | None,
    membership: Membership,
    tier: CustomerTier | None = None,
    single_spend=None,
    points: int | None = None,
    allow_downgrade: bool = False,
    note: str = "",
) -> Membership:
    """升级/降级 by the tier rules (module docstring). `points` defaults to the points earned
    in the store; `single_spend` is the visit just paid (billing passes it). Without `tier`
    the best tier met is taken, and nothing happens when that is the current one."""
    membership = _locked(membership)
    if membership.status != ACTIVE:
        raise ApplicationError(_("Only an active membership can change tier."), code="not_active")
    current = membership.tier
    if points is None:
        points = points_earned_total(store=membership.store, customer=membership.customer)
    spend = ZERO if single_spend is None else clean_amount(single_spend, "single_spend", allow_zero=True)
    if tier is None:
        met = [
            t
            for t in CustomerTier.objects.filter(store_id=membership.store_id)
            if tier_met(t, points=points, single_spend=spend)
        ]
        candidates = [t for t in met if t.rank > current.rank or (allow_downgrade and t.rank < current.rank)]
        best = max(met, key=lambda t: (t.rank, t.pk), default=None)
        if best is None or best.pk == current.pk or best not in candidates:
            return membership
        tier = best
    else:
        if tier.store_id != membership.store_id:
            raise ApplicationError(_("This tier belongs to another store."), field="tier", code="wrong_store")
        if tier.pk == current.pk:
            raise ApplicationError(_("The member is already at this tier."), field="tier", code="same_tier")
        if tier.rank > current.rank and not tier_met(tier, points=points, single_spend=spend):
            raise ApplicationError(
                _("%(tier)s needs %(points)s points or a single spend of %(spend)s.")
                % {"tier": tier.name, "points": tier.points_required, "spend": tier.single_spend_threshold},
                field="tier",
                code="not_qualified",
            )
    kind = Status.UPGRADE if tier.rank > current.rank else Status.DOWNGRADE
    membership.tier = tier
    membership.save(update_fields=["tier", "updated_at"])
    _event(membership, actor, kind, from_tier=current, to_tier=tier, note=note)
    _set_customer_tier(actor, membership.customer, tier)
    return membership


@transaction.atomic
def membership_leave(
    *, actor: User | None, membership: Membership, reason: str = "", on: datetime.date | None = None
) -> Membership:
    """退会: the membership ends (the fee is not refunded; stored value is refunded on its own,
    see stored_value_refund); the customer falls back to the store's default tier."""
    membership = _locked(membership)
    if membership.status != ACTIVE:
        raise ApplicationError(_("This membership has already ended."), code="not_active")
    membership.status = Membership.Status.LEFT
    membership.left_on = today(on)
    membership.save(update_fields=["status", "left_on", "updated_at"])
    _event(membership, actor, Status.LEAVE, from_status=ACTIVE, from_tier=membership.tier, note=reason)
    default = CustomerTier.objects.filter(store_id=membership.store_id, is_default=True).first()
    _set_customer_tier(actor, membership.customer, default)
    return membership


@transaction.atomic
def membership_replace_card(
    *, actor: User | None, membership: Membership, card_no: str = "", fee=ZERO, reason: str = ""
) -> Membership:
    """补卡: block the lost card and issue a new one with the same tier and dates. Balances
    belong to the customer, so they are on the new card at once (module docstring)."""
    old = _locked(membership)
    if old.status != ACTIVE:
        raise ApplicationError(_("Only an active card can be replaced."), code="not_active")
    fee = clean_amount(fee, "fee", allow_zero=True)
    old.status = Membership.Status.BLOCKED
    old.save(update_fields=["status", "updated_at"])  # frees the one-active-card slot first
    card_no = (card_no or "").strip() or next_code("HY", old.store.code)
    try:
        with transaction.atomic():
            new = Membership.objects.create(
                store_id=old.store_id,
                customer_id=old.customer_id,
                card_no=card_no,
                tier=old.tier,
                joined_on=old.joined_on,
                expires_on=old.expires_on,
                fee_paid=fee,
                created_by=by(actor),
            )
    except IntegrityError:
        raise ApplicationError(
            _("Card number %(no)s is taken.") % {"no": card_no}, field="card_no", code="card_taken"
        ) from None
    old.replaced_by = new
    old.save(update_fields=["replaced_by", "updated_at"])
    _event(old, actor, Status.REPLACE, from_status=ACTIVE, note=f"{card_no} {reason}".strip())
    _event(new, actor, Status.REPLACE, from_status="-", to_tier=new.tier, amount=fee, note=old.card_no)
    return new
