"""Demo loyalty for the two demo stores: top-up bonuses (充1000送100, 充2000送300), points (1
point per yuan, 100 points pay ¥1, two years), a 首保 package and a 10-wash count card, a coupon
type (满500减50), and for three customers of each store a membership, stored value, points, a
package card and a coupon — all made through the loyalty services, so every balance has its
ledger.

Loaded after the service catalogue demo (the 首保 canned job); a second call adds nothing.
The fees and top-ups are not cash-desk payments: the demo's money history starts with the
billing demo, so no cashier's day holds takings nobody took."""

from decimal import Decimal

from django.db import transaction

from pitstop.accounts.models import Store, User
from pitstop.customers.models import Customer, CustomerTier
from pitstop.service.catalogue import labour_operation_save
from pitstop.service.models import CannedJob, LabourOperation

from . import services
from .models import (
    CouponType,
    LineKind,
    Membership,
    PackageCardType,
    PackageCardTypeItem,
    PointsRule,
    PointsSettings,
    TopUpRule,
)

TOP_UPS = [("充1000送100", "1000", "100"), ("充2000送300", "2000", "300")]
WASH_CODE = "XC-001"
# per demo customer: tier code, top-up, points, package card code
MEMBERS = [("02", "1000", 1500, "XC10"), ("03", "2000", 6200, "SB"), ("02", "1000", 800, "XC10")]


def _user(username: str) -> User | None:
    return User.objects.filter(username=username).first()


def _wash_operation() -> LabourOperation:
    operation = LabourOperation.objects.filter(code=WASH_CODE).first()
    if operation is None:
        operation = labour_operation_save(
            actor=None,
            code=WASH_CODE,
            name="精致洗车",
            system="美容",
            basis="item",
            bay_type="maintenance",
            standard_hours=Decimal("0.3"),
            fixed_price=Decimal("30.00"),
        )
    return operation


def _rules(store: Store) -> dict[str, PackageCardType]:
    for name, pay, bonus in TOP_UPS:
        TopUpRule.objects.get_or_create(
            store=store, pay_at_least=Decimal(pay), defaults={"name": name, "bonus": Decimal(bonus)}
        )
    for kind in LineKind.values:
        PointsRule.objects.get_or_create(
            store=store, line_kind=kind, defaults={"points_per_yuan": Decimal(1)}
        )
    PointsSettings.objects.get_or_create(store=store, defaults={"points_per_yuan": 100, "expiry_months": 24})
    cards = {}
    wash, _new = PackageCardType.objects.get_or_create(
        store=store,
        code="XC10",
        defaults={
            "name": "洗车10次卡",
            "kind": PackageCardType.Kind.COUNT,
            "price": Decimal("200.00"),
            "valid_months": 12,
        },
    )
    if not wash.items.exists():
        PackageCardTypeItem.objects.create(card_type=wash, labour=_wash_operation(), count=10)
    cards["XC10"] = wash
    first_service = CannedJob.objects.filter(store__isnull=True, code="SB").first()
    if first_service is not None:
        package, _new = PackageCardType.objects.get_or_create(
            store=store,
            code="SB",
            defaults={
                "name": "首保套餐",
                "kind": PackageCardType.Kind.MAINTENANCE,
                "price": Decimal("399.00"),
                "valid_months": 12,
            },
        )
        if not package.items.exists():
            PackageCardTypeItem.objects.create(card_type=package, canned_job=first_service, count=1)
        cards["SB"] = package
    CouponType.objects.get_or_create(
        store=store,
        code="MJ50",
        defaults={
            "name": "满500减50",
            "kind": CouponType.Kind.AMOUNT,
            "value": Decimal("50.00"),
            "minimum_spend": Decimal("500.00"),
            "valid_days": 90,
        },
    )
    return cards


def _members(store: Store, cards: dict[str, PackageCardType], actor: User | None) -> int:
    if Membership.objects.filter(store=store).exists():
        return 0
    tiers = {tier.code: tier for tier in CustomerTier.objects.filter(store=store)}
    customers = list(
        Customer.objects.filter(store=store, kind=Customer.Kind.PERSON, owned_vehicles__isnull=False)
        .distinct()
        .order_by("pk")[: len(MEMBERS)]
    )
    coupon_type = CouponType.objects.get(store=store, code="MJ50")
    made = 0
    for customer, (tier_code, top_up, points, card_code) in zip(customers, MEMBERS, strict=False):
        tier = tiers.get(tier_code)
        if tier is None:
            continue
        services.membership_join(actor=actor, customer=customer, tier=tier)
        services.stored_value_top_up(actor=actor, store=store, customer=customer, amount=Decimal(top_up))
        services.points_earn(actor=actor, store=store, customer=customer, points=points, note="开卡赠送")
        card_type = cards.get(card_code) or cards["XC10"]
        vehicle = customer.owned_vehicles.order_by("pk").first()
        services.package_card_sell(actor=actor, card_type=card_type, customer=customer, vehicle=vehicle)
        services.coupons_issue(actor=actor, coupon_type=coupon_type, customers=[customer])
        made += 1
    return made


@transaction.atomic
def load_loyalty_demo() -> dict:
    stores = list(Store.objects.filter(code__in=["BJ01", "SH01"]).order_by("code"))
    if not stores:
        return {"created": False}
    members = 0
    for store in stores:
        actor = _user("cashier" if store.code == "BJ01" else "advisor2") or _user("manager")
        cards = _rules(store)
        members += _members(store, cards, actor)
    return {"created": members > 0, "members": members}
