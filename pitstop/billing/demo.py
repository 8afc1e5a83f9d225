"""Demo data of the cash desk: the store's billing settings (a 5% manual discount without
approval) and a company customer with a credit account, so that paying on account can be
tried. The ready car of the workshop demo waits at the cash desk for its bill."""

from decimal import Decimal

from django.db import transaction

from pitstop.accounts.models import Store
from pitstop.customers.models import Customer

from .models import BillingSettings, CreditAccount


@transaction.atomic
def load_billing_demo() -> dict:
    created = False
    for store in Store.objects.filter(code__in=["BJ01", "SH01"]):
        _row, made = BillingSettings.objects.get_or_create(
            store=store, defaults={"manual_discount_limit": Decimal("5")}
        )
        created = created or made
        company = Customer.objects.filter(store=store, kind=Customer.Kind.COMPANY).order_by("id").first()
        if company is not None:
            _account, made = CreditAccount.objects.get_or_create(
                store=store,
                customer=company,
                defaults={"limit": Decimal("50000.00"), "terms_days": 30, "note": "月结客户"},
            )
            created = created or made
    return {"created": created}
