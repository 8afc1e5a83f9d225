from decimal import Decimal

from django.core.management import call_command

from pitstop.loyalty.demo import load_loyalty_demo
from pitstop.loyalty.models import (
    CouponType,
    Membership,
    PackageCard,
    PackageCardType,
    PointsAccount,
    PointsRule,
    PointsSettings,
    StoredValueAccount,
    StoredValueEntry,
    TopUpRule,
)


def test_demo_stores_get_rules_and_a_few_members_once(db):
    call_command("load_demo", "--quiet-logins")  # loads the loyalty demo after the workshop's
    again = load_loyalty_demo()
    assert again == {"created": False, "members": 0}
    for code in ("BJ01", "SH01"):
        rules = TopUpRule.objects.filter(store__code=code)
        assert sorted((r.pay_at_least, r.bonus) for r in rules) == [
            (Decimal("1000.00"), Decimal("100.00")),
            (Decimal("2000.00"), Decimal("300.00")),
        ]
        assert PointsRule.objects.filter(store__code=code, points_per_yuan=1).count() == 3
        assert PointsSettings.objects.get(store__code=code).points_per_yuan == 100
        assert set(PackageCardType.objects.filter(store__code=code).values_list("code", flat=True)) == {
            "SB",
            "XC10",
        }
        wash = PackageCardType.objects.get(store__code=code, code="XC10")
        assert [(i.labour.code, i.count) for i in wash.items.all()] == [("XC-001", 10)]
        assert CouponType.objects.get(store__code=code, code="MJ50").minimum_spend == Decimal("500.00")
        members = Membership.objects.filter(store__code=code, status="active")
        assert members.count() == 3
        for member in members:
            assert member.customer.tier_id == member.tier_id
            account = StoredValueAccount.objects.get(store=member.store, customer=member.customer)
            assert account.bonus > 0 and account.principal in (Decimal("1000.00"), Decimal("2000.00"))
            assert PointsAccount.objects.get(store=member.store, customer=member.customer).balance > 0
            assert PackageCard.objects.filter(customer=member.customer).count() == 1
            assert member.customer.coupons.count() == 1
    # Every balance agrees with its ledger.
    for account in StoredValueAccount.objects.all():
        entries = StoredValueEntry.objects.filter(account=account)
        assert sum(e.principal for e in entries) == account.principal
        assert sum(e.bonus for e in entries) == account.bonus
