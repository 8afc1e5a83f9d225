"""Reads for the loyalty pages, already scoped to what the user may see (F-7.1 to F-7.5).

Every list is narrowed to the stores where the user holds the view permission (and to the
current store when one is chosen); a record of another store is a 404. The customer page reads
each balance and a bounded slice of its ledger with a fixed number of queries."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import (
    DecimalField,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from pitstop.accounts.models import Store
from pitstop.core.scoping import get_scoped_or_404, scoped
from pitstop.customers.models import Customer, CustomerTier, Vehicle
from pitstop.customers.selectors import customers_matching

from .memberships import tier_met
from .models import (
    ZERO,
    Coupon,
    CouponType,
    Membership,
    MembershipEvent,
    PackageCard,
    PackageCardEntry,
    PackageCardItem,
    PackageCardType,
    PackageCardTypeItem,
    PointsAccount,
    PointsEntry,
    PointsRule,
    PointsSettings,
    StoredValueAccount,
    StoredValueEntry,
    TopUpRule,
)
from .points import open_lots, points_earned_total, points_terms

# What each page asks for (roles.py: _READ_LOYALTY, _SELL_LOYALTY, _RULE_LOYALTY).
VIEW_MEMBERSHIP = "loyalty.view_membership"
VIEW_STORED_VALUE = "loyalty.view_storedvalueaccount"
VIEW_POINTS = "loyalty.view_pointsaccount"
VIEW_CARD = "loyalty.view_packagecard"
VIEW_CARD_TYPE = "loyalty.view_packagecardtype"
VIEW_COUPON = "loyalty.view_coupon"
VIEW_COUPON_TYPE = "loyalty.view_coupontype"
VIEW_TOP_UP_RULE = "loyalty.view_topuprule"
VIEW_POINTS_RULE = "loyalty.view_pointsrule"
ADD_MEMBERSHIP = "loyalty.add_membership"
CHANGE_MEMBERSHIP = "loyalty.change_membership"
ADD_STORED_VALUE = "loyalty.add_storedvalueentry"
REFUND_STORED_VALUE = "loyalty.change_storedvalueaccount"  # money paid out: the manager's
ADD_CARD = "loyalty.add_packagecard"
ADD_COUPON = "loyalty.add_coupon"
VOID_COUPON = "loyalty.change_coupon"
ADD_CARD_TYPE = "loyalty.add_packagecardtype"
CHANGE_CARD_TYPE = "loyalty.change_packagecardtype"
ADD_COUPON_TYPE = "loyalty.add_coupontype"
CHANGE_COUPON_TYPE = "loyalty.change_coupontype"
ADD_TOP_UP_RULE = "loyalty.add_topuprule"
CHANGE_TOP_UP_RULE = "loyalty.change_topuprule"
CHANGE_POINTS_RULE = "loyalty.change_pointsrule"
CHANGE_POINTS_SETTINGS = "loyalty.change_pointssettings"

LEDGER_ROWS = 20  # the customer page shows the newest entries; "all" shows the whole ledger
EXPIRED = "expired"  # a coupon filter: issued, past its date (not a stored status)


# --- members (the entry point) ---------------------------------------------------------------


def member_list(
    *, user, store: Store | None, query: str = "", status: str = Membership.Status.ACTIVE
) -> QuerySet[Membership]:
    """The store's cards with each holder's stored value and points, newest first. The box
    finds a card number, or a customer by name, mobile or plate (the customers' search)."""
    balances = StoredValueAccount.objects.filter(
        store_id=OuterRef("store_id"), customer_id=OuterRef("customer_id")
    )
    points = PointsAccount.objects.filter(store_id=OuterRef("store_id"), customer_id=OuterRef("customer_id"))
    money = DecimalField(max_digits=12, decimal_places=2)
    qs = (
        scoped(Membership.objects.all(), user, VIEW_MEMBERSHIP, store=store)
        .select_related("customer", "tier", "store")
        .prefetch_related(
            Prefetch("customer__owned_vehicles", queryset=Vehicle.objects.only("pk", "plate", "owner_id"))
        )
        .annotate(
            stored_value=Coalesce(
                Subquery(balances.annotate(total=F("principal") + F("bonus")).values("total")[:1]),
                Value(ZERO),
                output_field=money,
            ),
            points=Coalesce(Subquery(points.values("balance")[:1]), Value(0), output_field=IntegerField()),
        )
    )
    if status:
        qs = qs.filter(status=status)
    text = (query or "").strip()
    if text:
        card = text.upper()
        holders = Customer.objects.filter(customers_matching(user=user, query=text)).values("pk")
        qs = qs.filter(Q(card_no__icontains=card) | Q(customer_id__in=holders))
    return qs.order_by("-id")


def customers_without_card(*, user, store: Store | None, query: str, limit: int = 10) -> list[Customer]:
    """Customers the box finds who hold no active card: the desk opens their page to join."""
    if len((query or "").strip()) < 2:
        return []
    active = Membership.objects.filter(status=Membership.Status.ACTIVE).values("customer_id")
    return list(
        scoped(Customer.objects.all(), user, VIEW_MEMBERSHIP, store=store)
        .filter(customers_matching(user=user, query=query))
        .exclude(pk__in=active)
        .select_related("tier", "store")
        .order_by("-id")[:limit]
    )


# --- one customer's page ---------------------------------------------------------------------


def loyalty_customer(*, user, pk: int) -> Customer:
    """The customer, if the user may see loyalty records in the customer's store; 404 if not."""
    return get_scoped_or_404(Customer.objects.select_related("tier", "store"), user, VIEW_MEMBERSHIP, pk=pk)


@dataclass
class PointsExpiry:
    day: datetime.date
    points: int


@dataclass
class CustomerLoyalty:
    """Everything the customer's loyalty page shows; ledgers are newest first."""

    membership: Membership | None
    past_cards: list[Membership]
    events: list[MembershipEvent]
    stored_value: StoredValueAccount | None
    stored_entries: list[StoredValueEntry]
    stored_count: int
    points: PointsAccount | None
    points_entries: list[PointsEntry]
    points_count: int
    points_earned: int
    points_rate: int
    next_expiry: PointsExpiry | None
    cards: list[PackageCard]
    coupons: list[Coupon]


def _items_with_names() -> QuerySet[PackageCardItem]:
    return PackageCardItem.objects.select_related("labour", "canned_job").order_by("id")


def next_points_expiry(account: PointsAccount, *, on: datetime.date | None = None) -> PointsExpiry | None:
    """The first date on which points that are still held expire, and how many."""
    due: dict[datetime.date, int] = {}
    for lot, remaining in open_lots(account):
        if remaining > 0 and lot.expires_on is not None and (on is None or lot.expires_on >= on):
            due[lot.expires_on] = due.get(lot.expires_on, 0) + remaining
    if not due:
        return None
    day = min(due)
    return PointsExpiry(day=day, points=due[day])


def customer_loyalty(
    *, customer: Customer, full: str = "", today: datetime.date | None = None
) -> CustomerLoyalty:
    """The customer's card, balances and ledgers in the customer's store. `full` names the one
    ledger to show whole ("stored_value", "points", "cards"); the others show LEDGER_ROWS."""
    store_id = customer.store_id
    cards_all = list(
        Membership.objects.filter(store_id=store_id, customer=customer)
        .select_related("tier", "replaced_by")
        .order_by("-id")
    )
    active = next((m for m in cards_all if m.status == Membership.Status.ACTIVE), None)
    events = list(
        MembershipEvent.objects.filter(membership__in=[m.pk for m in cards_all])
        .select_related("membership", "from_tier", "to_tier", "actor")
        .order_by("-at", "-id")[:LEDGER_ROWS]
    )
    account = StoredValueAccount.objects.filter(store_id=store_id, customer=customer).first()
    stored_entries, stored_count = [], 0
    if account is not None:
        rows = account.entries.select_related("rule", "created_by").order_by("-id")
        stored_count = rows.count()
        stored_entries = list(rows if full == "stored_value" else rows[:LEDGER_ROWS])
        for entry in stored_entries:
            entry.balance_after = entry.principal_after + entry.bonus_after
    points = PointsAccount.objects.filter(store_id=store_id, customer=customer).first()
    points_entries, points_count, expiry = [], 0, None
    if points is not None:
        rows = points.entries.select_related("created_by").order_by("-id")
        points_count = rows.count()
        points_entries = list(rows if full == "points" else rows[:LEDGER_ROWS])
        expiry = next_points_expiry(points, on=today)
    entries = PackageCardEntry.objects.select_related(
        "item__labour", "item__canned_job", "created_by"
    ).order_by("-id")
    cards = list(
        PackageCard.objects.filter(store_id=store_id, customer=customer)
        .select_related("card_type", "vehicle")
        .prefetch_related(
            Prefetch("items", queryset=_items_with_names()),
            Prefetch("entries", queryset=entries, to_attr="ledger"),
        )
        .order_by("-id")
    )
    for card in cards:
        card.ledger_count = len(card.ledger)
        if full != "cards":
            card.ledger = card.ledger[:LEDGER_ROWS]
        card.is_expired = bool(card.expires_on and today and card.expires_on < today)
    coupons = list(
        Coupon.objects.filter(store_id=store_id, customer=customer)
        .select_related("coupon_type")
        .order_by("-id")[:50]
    )
    return CustomerLoyalty(
        membership=active,
        past_cards=[m for m in cards_all if m is not active],
        events=events,
        stored_value=account,
        stored_entries=stored_entries,
        stored_count=stored_count,
        points=points,
        points_entries=points_entries,
        points_count=points_count,
        points_earned=points_earned_total(store=customer.store, customer=customer),
        points_rate=points_terms(customer.store).points_per_yuan,
        next_expiry=expiry,
        cards=cards,
        coupons=coupons,
    )


def membership_for(*, user, pk: int, perm: str = VIEW_MEMBERSHIP) -> Membership:
    return get_scoped_or_404(
        Membership.objects.select_related("customer", "customer__store", "tier", "store"), user, perm, pk=pk
    )


@dataclass
class TierOption:
    tier: CustomerTier
    met: bool
    current: bool


def tier_options(membership: Membership, *, points: int, single_spend: Decimal = ZERO) -> list[TierOption]:
    """Each tier of the store and whether its rule (points or one visit's spend) is met."""
    return [
        TierOption(
            tier=tier,
            met=tier_met(tier, points=points, single_spend=single_spend),
            current=tier.pk == membership.tier_id,
        )
        for tier in CustomerTier.objects.filter(store_id=membership.store_id).order_by("rank", "code")
    ]


def package_card_for(*, user, pk: int) -> PackageCard:
    return get_scoped_or_404(
        PackageCard.objects.select_related("card_type", "customer", "vehicle", "store").prefetch_related(
            Prefetch("items", queryset=_items_with_names()),
            Prefetch(
                "entries",
                queryset=PackageCardEntry.objects.select_related(
                    "item__labour", "item__canned_job", "created_by"
                ).order_by("-id"),
                to_attr="ledger",
            ),
        ),
        user,
        VIEW_CARD,
        pk=pk,
    )


# --- coupons ---------------------------------------------------------------------------------


def coupon_list(
    *,
    user,
    store: Store | None,
    status: str = "",
    query: str = "",
    batch: str = "",
    coupon_type: int | None = None,
    today: datetime.date | None = None,
) -> QuerySet[Coupon]:
    qs = scoped(Coupon.objects.all(), user, VIEW_COUPON, store=store).select_related(
        "coupon_type", "customer", "store"
    )
    if status == EXPIRED:
        qs = qs.filter(status=Coupon.Status.ISSUED, expires_on__lt=today or timezone.localdate())
    elif status:
        qs = qs.filter(status=status)
    text = (query or "").strip().upper()
    if text:
        qs = qs.filter(
            Q(code__startswith=text) | Q(batch_no=text) | Q(customer__name__contains=query.strip())
        )
    if batch:
        qs = qs.filter(batch_no=batch.strip())
    if coupon_type:
        qs = qs.filter(coupon_type_id=coupon_type)
    return qs.order_by("-id")


def coupon_for(*, user, pk: int) -> Coupon:
    return get_scoped_or_404(
        Coupon.objects.select_related("coupon_type", "customer"), user, VIEW_COUPON, pk=pk
    )


# --- rules -----------------------------------------------------------------------------------


def top_up_rules(*, user, store: Store | None) -> QuerySet[TopUpRule]:
    return (
        scoped(TopUpRule.objects.all(), user, VIEW_TOP_UP_RULE, store=store)
        .select_related("store")
        .order_by("store__code", "-is_active", "-pay_at_least", "id")
    )


def active_top_up_rules(store: Store, on: datetime.date) -> list[TopUpRule]:
    """The rules a top-up today may earn, best first: shown next to the top-up form."""
    return list(
        TopUpRule.objects.filter(store=store, is_active=True)
        .filter(Q(valid_from__isnull=True) | Q(valid_from__lte=on))
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=on))
        .order_by("-pay_at_least", "-bonus", "id")
    )


def points_rules(store: Store) -> dict[str, PointsRule]:
    return {rule.line_kind: rule for rule in PointsRule.objects.filter(store=store)}


def points_settings(store: Store) -> PointsSettings | None:
    return PointsSettings.objects.filter(store=store).first()


def card_types(*, user, store: Store | None, on_sale_only: bool = False) -> QuerySet[PackageCardType]:
    qs = (
        scoped(PackageCardType.objects.all(), user, VIEW_CARD_TYPE, store=store)
        .select_related("store")
        .prefetch_related(
            Prefetch(
                "items",
                queryset=PackageCardTypeItem.objects.select_related("labour", "canned_job").order_by("id"),
            )
        )
    )
    if on_sale_only:
        qs = qs.filter(is_active=True)
    return qs.order_by("store__code", "-is_active", "code")


def card_type_for(*, user, pk: int) -> PackageCardType:
    return get_scoped_or_404(PackageCardType.objects.select_related("store"), user, VIEW_CARD_TYPE, pk=pk)


def coupon_types(*, user, store: Store | None, active_only: bool = False) -> QuerySet[CouponType]:
    qs = scoped(CouponType.objects.all(), user, VIEW_COUPON_TYPE, store=store).select_related("store")
    if active_only:
        qs = qs.filter(is_active=True)
    return qs.order_by("store__code", "-is_active", "code")


def coupon_type_for(*, user, pk: int) -> CouponType:
    return get_scoped_or_404(CouponType.objects.select_related("store"), user, VIEW_COUPON_TYPE, pk=pk)


def top_up_rule_for_edit(*, user, pk: int) -> TopUpRule:
    return get_scoped_or_404(TopUpRule.objects.select_related("store"), user, VIEW_TOP_UP_RULE, pk=pk)
