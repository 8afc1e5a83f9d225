"""The cash desk as the advisor, the cashier and the manager use it: the manual discount that
waits for the manager, the insurer's excess, paying one bill several ways (stored value,
points, a coupon, a package card, WeChat, credit), reversing and redoing with the money carried
over, counter sales, the closed day, and who may do what in which store."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from pitstop.billing import counter, payments
from pitstop.billing.models import CreditAccount, DayClose, Payer, Payment, Receivable, Settlement
from pitstop.billing.settlement import (
    billing_settings,
    settlement_approve,
    settlement_discount,
    settlement_insurance,
    settlement_invoice,
    settlement_line_payer,
    settlement_post,
    settlement_prepare,
    settlement_reverse,
)
from pitstop.core.exceptions import ApplicationError
from pitstop.loyalty import services as loyalty
from pitstop.loyalty.models import (
    Coupon,
    CouponType,
    PackageCardType,
    PackageCardTypeItem,
    PointsEntry,
    PointsRule,
)
from pitstop.parts import sales
from pitstop.parts.tests.factories import PartFactory, WarehouseFactory
from pitstop.service.tests.factories import LabourOperationFactory, OrderLabourFactory

Method = Payment.Method
Status = Settlement.Status


@pytest.fixture
def cashier(make_staff, store_a):
    return make_staff("cashier", store_a)


@pytest.fixture
def bill(job, advisor, cashier):
    """The job's bill, posted: ¥700.70 (labour 162.00 + parts 538.70) owed by the owner."""
    return settlement_post(actor=cashier, settlement=settlement_prepare(actor=advisor, order=job))


def _refresh(settlement):
    settlement.refresh_from_db()
    return settlement


def test_a_manual_discount_above_the_limit_waits_for_the_manager(job, advisor, cashier, manager, store_a):
    row = billing_settings(store_a)
    row.manual_discount_limit = Decimal("5")  # 5% of the owner's ¥700.70 = ¥35.04
    row.save()
    draft = settlement_prepare(actor=advisor, order=job)
    with pytest.raises(ApplicationError) as no_reason:
        settlement_discount(actor=advisor, settlement=draft, amount="50")
    assert no_reason.value.code == "reason"
    draft = settlement_discount(actor=advisor, settlement=draft, amount="50", reason="老客户")
    assert (
        draft.needs_approval and draft.owner_total == Decimal("650.70") and draft.total == Decimal("650.70")
    )
    with pytest.raises(ApplicationError) as refused:
        settlement_post(actor=cashier, settlement=draft)
    assert refused.value.code == "approval"
    with pytest.raises(ApplicationError) as not_manager:
        settlement_approve(actor=cashier, settlement=draft, note="ok")
    assert not_manager.value.code == "permission"
    approved = settlement_approve(actor=manager, settlement=draft, note="老客户，同意")
    assert approved.approved_by == manager and approved.approved_at
    posted = settlement_post(actor=cashier, settlement=approved)
    assert posted.status == Status.POSTED and posted.owner_total == Decimal("650.70")


def test_a_discount_within_the_limit_needs_nobody(job, advisor, store_a):
    row = billing_settings(store_a)
    row.manual_discount_limit = Decimal("10")
    row.save()
    draft = settlement_discount(
        actor=advisor, settlement=settlement_prepare(actor=advisor, order=job), amount="0.70", reason="抹零"
    )
    assert not draft.needs_approval and draft.owner_total == Decimal("700.00")
    # the tax inside the discount comes off in proportion
    lines_tax = sum(line.tax for line in draft.lines.all())
    assert draft.tax < lines_tax


def test_a_part_sold_below_its_cost_needs_the_manager(job, advisor, store_a):
    # the pads were received at ¥20 each; sell them at ¥5
    pads = job.parts.get(name="前刹车片") if hasattr(job, "parts") else None
    from pitstop.service.models import OrderPart

    OrderPart.objects.filter(order=job, part__name="前刹车片").update(unit_price=Decimal("5.00"))
    draft = settlement_prepare(actor=advisor, order=job)
    line = draft.lines.get(name="前刹车片")
    assert line.cost == Decimal("20.00") and line.below_cost
    assert draft.needs_approval
    assert pads is None or pads


def test_the_insurer_pays_its_lines_less_the_excess_which_the_owner_pays(job, advisor, cashier):
    job.business_type = "insurance"
    job.save(update_fields=["business_type"])
    draft = settlement_prepare(actor=advisor, order=job)
    assert draft.owner_total == Decimal("0")
    with pytest.raises(ApplicationError):
        settlement_insurance(actor=advisor, settlement=draft, insurer="", claim_no="X")
    draft = settlement_insurance(
        actor=advisor,
        settlement=draft,
        insurer="平安保险",
        claim_no="PA2026001",
        assessed_amount="700",
        excess="200",
    )
    assert draft.owner_total == Decimal("200.00")
    posted = settlement_post(actor=cashier, settlement=draft)
    owed = Receivable.objects.get(settlement=posted)
    assert owed.debtor == Receivable.Debtor.INSURER and owed.amount == Decimal("500.70")


def test_the_advisor_moves_a_line_to_the_store(job, advisor):
    draft = settlement_prepare(actor=advisor, order=job)
    labour = draft.lines.get(kind="labour")
    draft = settlement_line_payer(actor=advisor, settlement=draft, line_id=labour.pk, payer=Payer.INTERNAL)
    assert draft.owner_total == Decimal("538.70")


def test_one_bill_paid_by_stored_value_points_coupon_card_and_wechat(job, advisor, cashier, store_a):
    owner = job.customer
    loyalty.stored_value_top_up(actor=cashier, store=store_a, customer=owner, amount="200")
    loyalty.points_earn(actor=cashier, store=store_a, customer=owner, points=1000)
    coupon_type = CouponType.objects.create(
        store=store_a, code="M50", name="满500减50", value=Decimal("50"), minimum_spend=Decimal("500")
    )
    (coupon,) = loyalty.coupons_issue(actor=cashier, coupon_type=coupon_type, customers=[owner])
    operation = LabourOperationFactory()
    OrderLabourFactory(
        order=job,
        name="保养工时",
        operation=operation,
        hours=Decimal("1"),
        rate=Decimal("80.00"),
        price=Decimal("80.00"),
    )
    card_type = PackageCardType.objects.create(store=store_a, code="SB", name="首保套餐", price=Decimal("0"))
    PackageCardTypeItem.objects.create(card_type=card_type, labour=operation, count=1)
    card = loyalty.package_card_sell(actor=cashier, card_type=card_type, customer=owner)
    bill = settlement_post(actor=cashier, settlement=settlement_prepare(actor=advisor, order=job))
    owed = bill.owner_total

    by_card = payments.payment_record(
        actor=cashier, settlement=bill, method=Method.PACKAGE_CARD, card_item=card.items.get()
    )
    assert by_card.amount == Decimal("80.00")  # the 保养 labour line it covers
    by_value = payments.payment_record(
        actor=cashier, settlement=bill, method=Method.STORED_VALUE, amount="150"
    )
    by_points = payments.payment_record(actor=cashier, settlement=bill, method=Method.POINTS, points="1000")
    by_coupon = payments.payment_record(
        actor=cashier, settlement=bill, method=Method.COUPON, coupon_code=coupon.code
    )
    assert by_coupon.amount == Decimal("50.00")
    rest = _refresh(bill).outstanding
    wechat = payments.payment_record(
        actor=cashier, settlement=bill, method=Method.WECHAT, amount=rest, reference="4200001234"
    )
    bill = _refresh(bill)
    assert bill.outstanding == Decimal("0.00") and bill.received == owed
    assert sum(p.amount for p in (by_card, by_value, by_points, by_coupon, wechat)) == owed
    assert loyalty.stored_value_balance(store=store_a, customer=owner).balance == Decimal("50.00")
    coupon.refresh_from_db()
    assert coupon.status == Coupon.Status.REDEEMED
    assert card.items.get().remaining == 0
    # spending more stored value than is left is refused, and nothing moves
    with pytest.raises(ApplicationError):
        payments.payment_record(actor=cashier, settlement=bill, method=Method.STORED_VALUE, amount="1")


def test_stored_value_never_pays_more_than_the_balance(bill, cashier, store_a):
    loyalty.stored_value_top_up(actor=cashier, store=store_a, customer=bill.customer, amount="100")
    with pytest.raises(ApplicationError) as refused:
        payments.payment_record(actor=cashier, settlement=bill, method=Method.STORED_VALUE, amount="100.01")
    assert refused.value.code == "insufficient_balance"
    assert _refresh(bill).received == Decimal("0")


def test_the_owner_earns_points_on_what_he_pays_and_loses_them_on_reversal(
    job, advisor, cashier, manager, store_a
):
    PointsRule.objects.create(store=store_a, line_kind="labour", points_per_yuan=Decimal("1"))
    PointsRule.objects.create(store=store_a, line_kind="parts", points_per_yuan=Decimal("0.5"))
    bill = settlement_post(actor=cashier, settlement=settlement_prepare(actor=advisor, order=job))
    earned = PointsEntry.objects.get(reference_type="settlement", reference_id=bill.pk, kind="earn")
    assert earned.points == 162 + 269  # ¥162 labour × 1 + ¥538.70 parts × 0.5, rounded down
    settlement_reverse(actor=manager, settlement=bill, reason="录错")
    assert PointsEntry.objects.filter(reversal_of=earned).exists()


def test_a_company_pays_on_account_within_its_limit(bill, cashier, store_a):
    with pytest.raises(ApplicationError) as none:
        payments.payment_record(actor=cashier, settlement=bill, method=Method.CREDIT, amount="100")
    assert none.value.code == "no_credit_account"
    CreditAccount.objects.create(store=store_a, customer=bill.customer, limit=Decimal("500"))
    with pytest.raises(ApplicationError) as over:
        payments.payment_record(actor=cashier, settlement=bill, method=Method.CREDIT, amount="600")
    assert over.value.code == "credit_limit"
    assert _refresh(bill).received == Decimal("0")
    payments.payment_record(actor=cashier, settlement=bill, method=Method.CREDIT, amount="500")
    owed = Receivable.objects.get(settlement=bill, debtor=Receivable.Debtor.CREDIT)
    assert owed.amount == Decimal("500.00") and _refresh(bill).outstanding == Decimal("200.70")


def test_a_reversed_bill_carries_its_money_to_the_bill_made_again(bill, job, advisor, cashier, manager):
    payments.payment_record(actor=cashier, settlement=bill, method=Method.CASH, amount="300", tendered="300")
    reversal = settlement_reverse(actor=manager, settlement=bill, reason="少算工时")
    assert _refresh(bill).received == Decimal("0") and reversal.total == -bill.total
    redo = settlement_post(actor=cashier, settlement=settlement_prepare(actor=advisor, order=job))
    assert redo.received == Decimal("300.00") and redo.outstanding == Decimal("400.70")
    # the carried money is not money in the drawer: the cash taken is counted once
    cash = Payment.objects.filter(method=Method.CASH).values_list("amount", flat=True)
    assert list(cash) == [Decimal("300.00")]
    assert job.settlements.count() == 3


def test_an_invoice_is_recorded_once_and_a_reversal_needs_the_red_letter_one(bill, cashier, manager):
    settlement_invoice(actor=cashier, settlement=bill, invoice_no="2" * 20)
    with pytest.raises(ApplicationError) as again:
        settlement_invoice(actor=cashier, settlement=bill, invoice_no="3" * 20)
    assert again.value.code == "invoice_set"
    with pytest.raises(ApplicationError) as red:
        settlement_reverse(actor=manager, settlement=bill, reason="开错票")
    assert red.value.code == "red_invoice"
    reversal = settlement_reverse(actor=manager, settlement=bill, reason="开错票", red_invoice_no="9" * 20)
    assert reversal.invoice_no == "9" * 20


def test_a_counter_sale_is_paid_at_the_cash_desk(store_a, manager, cashier):
    warehouse = WarehouseFactory(store=store_a)
    part = PartFactory(sale_price=Decimal("58.00"))
    from pitstop.parts.services import stock_receive

    stock_receive(actor=manager, warehouse=warehouse, lines=[(part, "5", "30")])
    sale = sales.counter_sale_create(
        actor=manager, store=store_a, warehouse=warehouse, lines=[sales.SaleLine(part, "2")]
    )
    sale = sales.counter_sale_post(actor=manager, sale=sale)
    bill = counter.counter_sale_bill(actor=cashier, sale=sale)
    assert bill.status == Status.POSTED and bill.owner_total == Decimal("116.00")
    assert counter.counter_sale_bill(actor=cashier, sale=sale).pk == bill.pk
    payments.payment_record(
        actor=cashier, settlement=bill, method=Method.ALIPAY, amount="116", reference="2088"
    )
    sale.refresh_from_db()
    assert sale.status == "paid"


def test_a_closed_day_takes_no_more_money(bill, cashier, store_a):
    DayClose.objects.create(store=store_a, cashier=cashier, business_date=datetime.date.today())
    with pytest.raises(ApplicationError) as refused:
        payments.payment_record(actor=cashier, settlement=bill, method=Method.CASH, amount="10")
    assert refused.value.code == "day_closed"


# ---------------------------------------------------------------- pages


def test_the_cashier_settles_and_takes_money_on_the_pages(client, job, advisor, cashier):
    client.force_login(advisor)
    response = client.post(
        reverse("billing:order_bill", args=[job.pk]), {"fee-0-kind": "auxiliary", "fee-0-amount": "15"}
    )
    draft = Settlement.objects.get(order=job)
    assert response.status_code == 302 and draft.fees == Decimal("15.00")
    client.force_login(cashier)
    page = client.get(reverse("billing:settlement", args=[draft.pk]))
    assert page.status_code == 200 and job.vehicle.plate in page.content.decode()
    client.post(reverse("billing:settlement_post", args=[draft.pk]), {"invoice_no": ""})
    assert _refresh(draft).status == Status.POSTED
    pay = {"method": "cash", "amount": "100", "tendered": "200", "token": "page-token-1"}
    client.post(reverse("billing:payment_add", args=[draft.pk]), pay)
    client.post(reverse("billing:payment_add", args=[draft.pk]), pay)  # pressed twice
    payment = Payment.objects.get(settlement=draft)
    assert payment.change == Decimal("100.00") and _refresh(draft).received == Decimal("100.00")
    queue = client.get(reverse("billing:desk"))
    assert queue.status_code == 200 and draft.number in queue.content.decode()


def test_a_wrong_payment_on_the_page_changes_nothing(client, bill, cashier):
    client.force_login(cashier)
    response = client.post(
        reverse("billing:payment_add", args=[bill.pk]), {"method": "wechat", "amount": "10"}, follow=True
    )
    assert response.status_code == 200 and not Payment.objects.exists()
    assert "微信" in response.content.decode() or "reference" in response.content.decode().lower()


def test_roles_and_stores_are_checked(client, bill, advisor, cashier, make_staff, store_a, store_b):
    technician = make_staff("technician", store_a)
    client.force_login(technician)
    assert client.post(reverse("billing:order_bill", args=[bill.order_id])).status_code == 403
    assert client.get(reverse("billing:desk")).status_code == 403
    client.force_login(advisor)
    assert (
        client.post(
            reverse("billing:payment_add", args=[bill.pk]), {"method": "cash", "amount": "1"}
        ).status_code
        == 403
    )
    client.force_login(cashier)
    assert (
        client.post(reverse("billing:settlement_approve", args=[bill.pk]), {"note": "x"}).status_code == 403
    )
    other = make_staff("store_manager", store_b)
    client.force_login(other)
    assert client.get(reverse("billing:settlement", args=[bill.pk])).status_code == 404
    assert (
        client.post(
            reverse("billing:payment_add", args=[bill.pk]), {"method": "cash", "amount": "1"}
        ).status_code
        == 404
    )
    assert not Payment.objects.exists()


def test_a_reversed_bill_on_account_carries_only_the_money(bill, job, advisor, cashier, manager, store_a):
    CreditAccount.objects.create(store=store_a, customer=bill.customer, limit=Decimal("5000"))
    payments.payment_record(actor=cashier, settlement=bill, method=Method.CASH, amount="200")
    payments.payment_record(actor=cashier, settlement=bill, method=Method.CREDIT, amount="500.70")
    settlement_reverse(actor=manager, settlement=bill, reason="重开")
    assert _refresh(bill).received == Decimal("0")
    owed = Receivable.objects.filter(debtor=Receivable.Debtor.CREDIT)
    assert sum(r.amount for r in owed) == Decimal("0")  # the charge and its reversal
    redo = settlement_post(actor=cashier, settlement=settlement_prepare(actor=advisor, order=job))
    assert redo.received == Decimal("200.00") and redo.outstanding == Decimal("500.70")


def test_a_discounted_bill_leaves_nothing_owed_in_the_days_voucher(job, advisor, cashier, store_a):
    from pitstop.billing.closing import day_voucher_lines

    row = billing_settings(store_a)
    row.manual_discount_limit = Decimal("50")
    row.save()
    draft = settlement_discount(
        actor=advisor, settlement=settlement_prepare(actor=advisor, order=job), amount="100", reason="老客户"
    )
    bill = settlement_post(actor=cashier, settlement=draft)
    payments.payment_record(actor=cashier, settlement=bill, method=Method.CASH, amount=bill.owner_total)
    lines = day_voucher_lines(store=store_a, day=datetime.date.today())
    owed = sum((line.debit - line.credit for line in lines if line.account == "1122"), Decimal("0"))
    assert owed == Decimal("0")  # the owner paid all he owed
    revenue = sum((line.credit for line in lines if line.account.startswith("6001")), Decimal("0"))
    vat = sum((line.credit for line in lines if line.account == "2221.01.01"), Decimal("0"))
    assert revenue + vat == bill.total == Decimal("600.70")


def test_money_taken_for_a_top_up_is_not_refunded_at_the_desk(cashier, store_a):
    from pitstop.customers.tests.factories import CustomerFactory

    paid = payments.payment_take(
        actor=cashier,
        store=store_a,
        purpose=Payment.Purpose.TOP_UP,
        method=Method.CASH,
        amount="1000",
        customer=CustomerFactory(store=store_a),
    )
    with pytest.raises(ApplicationError) as refused:
        payments.payment_refund(actor=cashier, payment=paid, amount="1000", reason="不要了")
    assert refused.value.code == "not_refundable"


def test_a_package_card_pays_a_labour_line_once(job, advisor, cashier, store_a):
    operation = LabourOperationFactory()
    OrderLabourFactory(
        order=job,
        name="保养工时",
        operation=operation,
        hours=Decimal("1"),
        rate=Decimal("80.00"),
        price=Decimal("80.00"),
    )
    card_type = PackageCardType.objects.create(store=store_a, code="BY", name="保养卡", price=Decimal("0"))
    PackageCardTypeItem.objects.create(card_type=card_type, labour=operation, count=5)
    card = loyalty.package_card_sell(actor=cashier, card_type=card_type, customer=job.customer)
    bill = settlement_post(actor=cashier, settlement=settlement_prepare(actor=advisor, order=job))
    item = card.items.get()
    payments.payment_record(actor=cashier, settlement=bill, method=Method.PACKAGE_CARD, card_item=item)
    with pytest.raises(ApplicationError) as twice:
        payments.payment_record(actor=cashier, settlement=bill, method=Method.PACKAGE_CARD, card_item=item)
    assert twice.value.code == "not_covered"
    assert card.items.get().remaining == 4


@pytest.mark.parametrize("field", ["tendered", "amount"])
def test_an_absurd_amount_is_refused_with_a_message(client, bill, cashier, field):
    client.force_login(cashier)
    data = {"method": "cash", "amount": "10", "tendered": "20", field: "1e13"}
    response = client.post(reverse("billing:payment_add", args=[bill.pk]), data, follow=True)
    assert response.status_code == 200 and not Payment.objects.exists()
    crafted = {"method": "package_card", "card_item": "²"}
    assert client.post(reverse("billing:payment_add", args=[bill.pk]), crafted).status_code == 302


def test_a_bill_whose_points_were_spent_is_still_reversed(job, advisor, cashier, manager, store_a):
    PointsRule.objects.create(store=store_a, line_kind="labour", points_per_yuan=Decimal("1"))
    bill = settlement_post(actor=cashier, settlement=settlement_prepare(actor=advisor, order=job))
    loyalty.points_spend(actor=cashier, store=store_a, customer=job.customer, points=100)
    reversal = settlement_reverse(actor=manager, settlement=bill, reason="录错")
    assert reversal.reverses == bill and _refresh(bill).status == Status.REVERSED
    assert bill.events.filter(note__contains="162").exists()


def test_money_the_smaller_redone_bill_did_not_need_is_paid_back(bill, job, advisor, cashier, manager):
    payments.payment_record(actor=cashier, settlement=bill, method=Method.CASH, amount=bill.owner_total)
    settlement_reverse(actor=manager, settlement=bill, reason="工时应由本店承担")
    draft = settlement_prepare(actor=advisor, order=job)
    labour = draft.lines.get(kind="labour")
    draft = settlement_line_payer(actor=advisor, settlement=draft, line_id=labour.pk, payer=Payer.INTERNAL)
    redo = settlement_post(actor=cashier, settlement=draft)
    assert redo.outstanding == Decimal("0") and payments.advance_of(redo) == Decimal("162.00")
    with pytest.raises(ApplicationError) as too_much:
        payments.advance_pay_back(actor=cashier, settlement=redo, method=Method.CASH, amount="162.01")
    assert too_much.value.code == "over_refund"
    payments.advance_pay_back(actor=cashier, settlement=redo, method=Method.CASH, amount="162")
    assert payments.advance_of(redo) == Decimal("0")
    cash = sum(p.amount for p in Payment.objects.filter(method=Method.CASH))
    assert cash == Decimal("538.70")  # what the owner finally paid
    assert _refresh(bill).received == Decimal("0")
