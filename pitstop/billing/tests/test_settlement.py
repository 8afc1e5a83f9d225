"""Pre-settlement and settlement: the bill is what was done and what the ledger says went out
to the job; amounts are rounded per line, then summed; tax is the VAT inside the amount; a
posted bill is never edited but reversed, and then prepared again."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pitstop.billing.models import LineKind, Payer, Settlement, SettlementEvent
from pitstop.billing.settlement import (
    price_line,
    settlement_post,
    settlement_prepare,
    settlement_reverse,
    totals_of,
)
from pitstop.core.exceptions import ApplicationError

Status = Settlement.Status
money = st.decimals(min_value=Decimal("0"), max_value=Decimal("99999.99"), places=2)
quantity = st.decimals(min_value=Decimal("0.001"), max_value=Decimal("999.999"), places=3)
percent = st.decimals(min_value=Decimal("0"), max_value=Decimal("100"), places=2)
rate = st.sampled_from([Decimal("0"), Decimal("3"), Decimal("6"), Decimal("13")])


@given(quantity=quantity, unit_price=money, discount_pct=percent, tax_rate=rate)
def test_a_line_is_rounded_to_the_cent_and_its_tax_lies_within_it(
    quantity, unit_price, discount_pct, tax_rate
):
    priced = price_line(
        quantity=quantity, unit_price=unit_price, discount_pct=discount_pct, tax_rate=tax_rate
    )
    for value in (priced.due, priced.discount, priced.amount, priced.tax):
        assert value == value.quantize(Decimal("0.01"))
    assert priced.amount == priced.due - priced.discount
    assert Decimal("0") <= priced.discount <= priced.due
    assert Decimal("0") <= priced.tax <= priced.amount
    # The tax inside an amount at 13% is within a cent of amount × 13 / 113.
    assert abs(priced.tax - priced.amount * tax_rate / (100 + tax_rate)) <= Decimal("0.005")


line = st.builds(
    lambda kind, due, discount_share, payer: _Line(kind, due, due * discount_share, payer),
    kind=st.sampled_from(list(LineKind.values)),
    due=money,
    discount_share=st.sampled_from([Decimal("0"), Decimal("0.1"), Decimal("0.5"), Decimal("1")]),
    payer=st.sampled_from(list(Payer.values)),
)


class _Line:
    def __init__(self, kind, due, discount, payer):
        self.kind, self.payer = kind, payer
        self.amount_due = due
        self.discount = discount.quantize(Decimal("0.01"))
        self.amount = self.amount_due - self.discount
        self.tax = (self.amount * 13 / 113).quantize(Decimal("0.01"))


@given(st.lists(line, max_size=40))
def test_the_total_is_lines_less_discounts_plus_fees_and_the_owner_pays_his_lines(lines):
    totals = totals_of(lines)
    fees = sum((x.amount for x in lines if x.kind not in (LineKind.LABOUR, LineKind.PART)), Decimal("0"))
    assert totals.fees == fees
    due = totals.labour_due + totals.parts_due
    assert totals.total == due - totals.labour_discount - totals.parts_discount + totals.fees
    assert totals.tax == sum((x.tax for x in lines), Decimal("0"))
    assert totals.owner_total == sum((x.amount for x in lines if x.payer == Payer.OWNER), Decimal("0"))
    assert Decimal("0") <= totals.owner_total <= totals.total


def _lines(settlement):
    return {(line.kind, line.name): line for line in settlement.lines.all()}


def test_the_bill_holds_the_work_done_and_the_parts_the_ledger_sent_to_the_job(job, advisor):
    settlement = settlement_prepare(
        actor=advisor,
        order=job,
        fees=[{"kind": "auxiliary", "amount": "15"}, {"kind": "rescue", "amount": "200"}],
    )
    lines = _lines(settlement)
    assert settlement.number.startswith("JSBJ01") and settlement.status == Status.DRAFT
    labour = lines[(LineKind.LABOUR, "更换前刹车片")]
    assert (labour.quantity, labour.unit_price, labour.amount_due, labour.discount, labour.amount) == (
        Decimal("1.5"),
        Decimal("120.00"),
        Decimal("180.00"),
        Decimal("18.00"),
        Decimal("162.00"),
    )
    assert (LineKind.LABOUR, "追加：四轮定位") not in lines  # declined work is not billed
    pads = lines[(LineKind.PART, "前刹车片")]
    # Two issued, one back; at the order's price.
    assert pads.quantity == Decimal("1") and pads.unit_price == Decimal("400.00")
    filter_ = lines[(LineKind.PART, "机油滤清器")]
    # Not on the order: the sale price less the tier's 5%.
    assert filter_.unit_price == Decimal("58.00") and filter_.discount == Decimal("2.90")
    brought = lines[(LineKind.PART, "车主自带机油")]
    assert brought.customer_supplied and brought.amount == Decimal("0")
    assert settlement.labour_charged == Decimal("162.00")
    assert settlement.parts_due == Decimal("546.00") and settlement.parts_charged == Decimal("538.70")
    assert settlement.fees == Decimal("215.00")
    assert settlement.total == Decimal("915.70") == settlement.owner_total
    assert settlement.tax == sum((line.tax for line in lines.values()), Decimal("0"))
    assert labour.tax == Decimal("18.64")  # 162 × 13 / 113


def test_preparing_again_makes_the_bill_anew_not_twice(job, advisor):
    first = settlement_prepare(actor=advisor, order=job)
    again = settlement_prepare(actor=advisor, order=job, fees=[{"kind": "other", "amount": "10"}])
    assert again.pk == first.pk and Settlement.objects.count() == 1
    assert again.total == first.total + Decimal("10.00")


def test_a_warranty_job_is_billed_to_the_manufacturer(job, advisor):
    job.business_type = "warranty"
    job.save(update_fields=["business_type"])
    settlement = settlement_prepare(actor=advisor, order=job)
    assert {line.payer for line in settlement.lines.all()} == {Payer.WARRANTY}
    assert settlement.owner_total == Decimal("0") and settlement.total > 0


@pytest.mark.parametrize(
    "fee",
    [{"kind": "labour", "amount": "5"}, {"kind": "other", "amount": "-5"}, {"kind": "other", "amount": "x"}],
)
def test_a_wrong_fee_is_refused_and_nothing_is_written(job, advisor, fee):
    with pytest.raises(ApplicationError):
        settlement_prepare(actor=advisor, order=job, fees=[fee])
    assert not Settlement.objects.exists()


def test_an_order_not_under_way_is_not_billed(job, advisor):
    job.status = "confirmed"
    job.save(update_fields=["status"])
    with pytest.raises(ApplicationError) as refused:
        settlement_prepare(actor=advisor, order=job)
    assert refused.value.code == "order_status"


def test_posting_needs_the_car_ready_and_a_twenty_digit_invoice_number(job, advisor, make_staff, store_a):
    cashier = make_staff("cashier", store_a)
    settlement = settlement_prepare(actor=advisor, order=job)
    with pytest.raises(ApplicationError) as refused:
        settlement_post(actor=cashier, settlement=settlement, invoice_no="1234")
    assert refused.value.code == "invoice_no"
    posted = settlement_post(actor=cashier, settlement=settlement, invoice_no="2611" + "0" * 16)
    assert posted.status == Status.POSTED and posted.posted_by == cashier and posted.posted_at
    with pytest.raises(ApplicationError) as twice:
        settlement_post(actor=cashier, settlement=settlement)
    assert twice.value.code == "transition"
    with pytest.raises(ApplicationError) as again:
        settlement_prepare(actor=advisor, order=job)
    assert again.value.code == "posted"


def test_a_posted_bill_is_reversed_by_its_negative_and_then_made_again(job, advisor, manager):
    settlement = settlement_post(actor=manager, settlement=settlement_prepare(actor=advisor, order=job))
    with pytest.raises(ApplicationError):
        settlement_reverse(actor=manager, settlement=settlement, reason=" ")
    reversal = settlement_reverse(actor=manager, settlement=settlement, reason="工时录错")
    settlement.refresh_from_db()
    assert settlement.status == Status.REVERSED and reversal.reverses == settlement
    assert reversal.total == -settlement.total and reversal.tax == -settlement.tax
    assert sum(line.amount for line in reversal.lines.all()) == -settlement.total
    assert SettlementEvent.objects.filter(settlement=settlement, to_status=Status.REVERSED).exists()
    with pytest.raises(ApplicationError):
        settlement_reverse(actor=manager, settlement=reversal, reason="再冲")
    redo = settlement_prepare(actor=advisor, order=job)
    assert redo.pk not in (settlement.pk, reversal.pk) and redo.total == settlement.total
    # Every document stays on record: the original, its reversal and the new bill.
    assert job.settlements.count() == 3


def test_the_store_sets_its_tax_rate(job, advisor, store_a):
    from pitstop.billing.settlement import billing_settings

    row = billing_settings(store_a)
    row.vat_labour = Decimal("3")  # a small-scale taxpayer
    row.save()
    settlement = settlement_prepare(actor=advisor, order=job)
    labour = settlement.lines.get(kind=LineKind.LABOUR)
    assert labour.tax_rate == Decimal("3") and labour.tax == Decimal("4.72")  # 162 × 3 / 103
