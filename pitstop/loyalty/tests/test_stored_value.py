import datetime
from decimal import Decimal

import pytest

from pitstop.core.exceptions import ApplicationError
from pitstop.customers.tests.factories import CustomerFactory
from pitstop.loyalty import services
from pitstop.loyalty.models import StoredValueAccount, StoredValueEntry, TopUpRule

pytestmark = pytest.mark.django_db
D = Decimal
JOB = services.Reference("settlement", 7, "JS0007")


@pytest.fixture
def rules(store_a):
    return [
        TopUpRule.objects.create(store=store_a, pay_at_least=D("1000"), bonus=D("100")),
        TopUpRule.objects.create(store=store_a, pay_at_least=D("3000"), bonus=D("500")),
        TopUpRule.objects.create(
            store=store_a, pay_at_least=D("500"), bonus=D("80"), valid_until=datetime.date(2020, 1, 1)
        ),
    ]


def _account(customer):
    return StoredValueAccount.objects.get(customer=customer)


def test_top_up_takes_the_best_rule_met(rules, store_a, customer, cashier):
    entry = services.stored_value_top_up(actor=cashier, store=store_a, customer=customer, amount="1500")
    assert (entry.principal, entry.bonus, entry.rule) == (D("1500.00"), D("100.00"), rules[0])
    entry = services.stored_value_top_up(actor=cashier, store=store_a, customer=customer, amount="3000")
    assert entry.bonus == D("500.00")
    entry = services.stored_value_top_up(actor=cashier, store=store_a, customer=customer, amount="600")
    assert entry.bonus == D("0.00") and entry.rule is None  # the ¥500 rule has lapsed
    account = _account(customer)
    assert (account.principal, account.bonus) == (D("5100.00"), D("600.00"))
    assert entry.created_by == cashier and entry.kind == StoredValueEntry.Kind.TOP_UP


def test_spend_is_proportional_and_records_the_reference(rules, store_a, customer, cashier):
    services.stored_value_top_up(actor=cashier, store=store_a, customer=customer, amount="1000")
    entry = services.stored_value_spend(
        actor=cashier, store=store_a, customer=customer, amount="550", reference=JOB
    )
    # 1,000 + 100: ¥550 is half the balance, so half of each.
    assert (entry.principal, entry.bonus) == (D("-500.00"), D("-50.00"))
    assert (entry.reference_type, entry.reference_id, entry.reference_no) == ("settlement", 7, "JS0007")
    entry = services.stored_value_spend(actor=cashier, store=store_a, customer=customer, amount="550")
    assert (entry.principal_after, entry.bonus_after) == (D("0.00"), D("0.00"))


def test_overdraw_is_refused_and_changes_nothing(store_a, customer, cashier):
    services.stored_value_top_up(actor=cashier, store=store_a, customer=customer, amount="100")
    with pytest.raises(ApplicationError) as error:
        services.stored_value_spend(actor=cashier, store=store_a, customer=customer, amount="100.01")
    assert error.value.code == "insufficient_balance" and error.value.field == "amount"
    assert _account(customer).principal == D("100.00")
    assert StoredValueEntry.objects.count() == 1


@pytest.mark.parametrize("amount", ["0", "-5", "abc", None])
def test_bad_amounts_are_refused(store_a, customer, cashier, amount):
    with pytest.raises(ApplicationError) as error:
        services.stored_value_top_up(actor=cashier, store=store_a, customer=customer, amount=amount)
    assert error.value.code == "invalid_amount"
    assert not StoredValueEntry.objects.exists()


def test_float_amount_is_refused(store_a, customer, cashier):
    with pytest.raises(ApplicationError):
        services.stored_value_top_up(actor=cashier, store=store_a, customer=customer, amount=10.5)


def test_customer_of_another_store_is_refused(store_a, store_b, cashier):
    other = CustomerFactory(store=store_b)
    with pytest.raises(ApplicationError) as error:
        services.stored_value_top_up(actor=cashier, store=store_a, customer=other, amount="10")
    assert error.value.code == "wrong_store"


def test_refund_pays_back_principal_only_and_forfeits_bonus(rules, store_a, customer, cashier):
    services.stored_value_top_up(actor=cashier, store=store_a, customer=customer, amount="1000")
    services.stored_value_spend(actor=cashier, store=store_a, customer=customer, amount="110")
    # left: 900 principal + 90 bonus
    part = services.stored_value_refund(
        actor=cashier, store=store_a, customer=customer, amount="300", reason="moving away"
    )
    assert (part.principal, part.bonus) == (D("-300.00"), D("-30.00"))
    rest = services.stored_value_refund(actor=cashier, store=store_a, customer=customer, reason="moving away")
    assert (rest.principal, rest.bonus) == (D("-600.00"), D("-60.00"))
    account = _account(customer)
    assert account.balance == D("0.00")
    with pytest.raises(ApplicationError) as error:
        services.stored_value_refund(actor=cashier, store=store_a, customer=customer, reason="again")
    assert error.value.code == "nothing_to_refund"


def test_refund_more_than_principal_or_without_reason_is_refused(rules, store_a, customer, cashier):
    services.stored_value_top_up(actor=cashier, store=store_a, customer=customer, amount="1000")
    with pytest.raises(ApplicationError) as error:
        services.stored_value_refund(
            actor=cashier, store=store_a, customer=customer, amount="1050", reason="x"
        )
    assert error.value.code == "insufficient_balance"
    with pytest.raises(ApplicationError) as error:
        services.stored_value_refund(actor=cashier, store=store_a, customer=customer, reason=" ")
    assert error.value.code == "reason_required"


def test_reversal_undoes_a_spend_once(rules, store_a, customer, cashier):
    services.stored_value_top_up(actor=cashier, store=store_a, customer=customer, amount="1000")
    spend = services.stored_value_spend(actor=cashier, store=store_a, customer=customer, amount="220")
    back = services.stored_value_reverse(actor=cashier, entry=spend, reason="settlement reversed")
    assert (back.principal, back.bonus, back.reversal_of) == (D("200.00"), D("20.00"), spend)
    assert _account(customer).balance == D("1100.00")
    for entry in (spend, back):
        with pytest.raises(ApplicationError) as error:
            services.stored_value_reverse(actor=cashier, entry=entry, reason="again")
        assert error.value.code == "already_reversed"


def test_reversing_a_spent_top_up_is_refused(store_a, customer, cashier):
    top_up = services.stored_value_top_up(actor=cashier, store=store_a, customer=customer, amount="100")
    services.stored_value_spend(actor=cashier, store=store_a, customer=customer, amount="60")
    with pytest.raises(ApplicationError) as error:
        services.stored_value_reverse(actor=cashier, entry=top_up, reason="wrong customer")
    assert error.value.code == "insufficient_balance"
    assert _account(customer).balance == D("40.00")


def test_database_refuses_a_negative_balance(store_a, customer):
    from django.db import IntegrityError, transaction

    account = StoredValueAccount.objects.create(store=store_a, customer=customer)
    with pytest.raises(IntegrityError), transaction.atomic():
        StoredValueAccount.objects.filter(pk=account.pk).update(principal=D("-0.01"))


def test_two_desks_giving_the_same_card_number_at_once_get_a_message(db, store_a):
    """The check before the insert passes for both; the unique index decides, and the loser
    gets a message, not a 500."""
    from unittest import mock

    from django.db.models import QuerySet

    from pitstop.core.exceptions import ApplicationError
    from pitstop.customers.tests.factories import CustomerFactory, TierFactory
    from pitstop.loyalty.memberships import membership_join

    tier = TierFactory(store=store_a)
    membership_join(actor=None, customer=CustomerFactory(store=store_a), tier=tier, card_no="HY-1", fee="0")
    with mock.patch.object(QuerySet, "exists", return_value=False), pytest.raises(ApplicationError) as taken:
        membership_join(
            actor=None, customer=CustomerFactory(store=store_a), tier=tier, card_no="HY-1", fee="0"
        )
    assert taken.value.code == "card_taken"
