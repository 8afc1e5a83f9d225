"""Receivables: each payer other than the owner owes its share of a posted bill (the insurer
less the excess), a company pays on account only within its limit and while its account is
active, a reversed bill reverses its receivables (never one with money collected on it),
collections stop at what is open, and the ageing sorts what is open by days past due."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from pitstop.billing import receivables
from pitstop.billing.models import CreditAccount, Payer, Payment, Receivable, Settlement
from pitstop.billing.payments import payment_record
from pitstop.billing.settlement import (
    settlement_insurance,
    settlement_line_payer,
    settlement_post,
    settlement_prepare,
    settlement_reverse,
)
from pitstop.core.exceptions import ApplicationError
from pitstop.core.export import XLSX_TYPE
from pitstop.customers.tests.factories import CustomerFactory, VehicleFactory
from pitstop.service.tests.factories import RepairOrderFactory

Debtor = Receivable.Debtor
Method = Payment.Method
D = Decimal
TODAY = timezone.localdate


@pytest.fixture
def cashier(make_staff, store_a):
    return make_staff("cashier", store_a)


@pytest.fixture
def cashier_b(make_staff, store_b):
    return make_staff("cashier", store_b)


def _bill(advisor, cashier, store, lines, *, brand="大众", owner=None, insurer="", excess=None):
    """A posted bill of fee lines: `lines` is [(amount, payer)], billed through the real
    services (prepare, who pays each line, the insurer's claim, post)."""
    owner = owner or CustomerFactory(store=store)
    order = RepairOrderFactory(
        vehicle=VehicleFactory(owner=owner, brand=brand), advisor=advisor, status="ready"
    )
    settlement = settlement_prepare(
        actor=advisor,
        order=order,
        fees=[{"kind": "other", "name": f"费用{n}", "amount": amount} for n, (amount, _) in enumerate(lines)],
    )
    for line, (_, payer) in zip(settlement.lines.order_by("position"), lines, strict=True):
        if payer != Payer.OWNER:
            settlement_line_payer(actor=advisor, settlement=settlement, line_id=line.pk, payer=payer)
    if insurer:
        settlement_insurance(
            actor=advisor, settlement=settlement, insurer=insurer, claim_no="PDAA2024110000123", excess=excess
        )
    return settlement_post(actor=cashier, settlement=settlement)


@pytest.fixture
def mixed_bill(advisor, cashier, store_a):
    """Insurer ¥1,000 less an excess of ¥300, manufacturer ¥150, the store ¥50, owner ¥200."""
    return _bill(
        advisor,
        cashier,
        store_a,
        [("1000", Payer.INSURER), ("150", Payer.WARRANTY), ("50", Payer.INTERNAL), ("200", Payer.OWNER)],
        insurer="中国人保财险",
        excess="300",
    )


def _by_debtor(settlement):
    return {r.debtor: r for r in Receivable.objects.filter(settlement=settlement)}


# --- posting ---------------------------------------------------------------------------------


def test_each_payer_but_the_owner_gets_a_receivable_and_the_insurer_owes_less_the_excess(mixed_bill, store_a):
    rows = _by_debtor(mixed_bill)
    assert set(rows) == {Debtor.INSURER, Debtor.WARRANTY, Debtor.INTERNAL}
    insurer, warranty, internal = rows[Debtor.INSURER], rows[Debtor.WARRANTY], rows[Debtor.INTERNAL]
    assert (insurer.debtor_name, insurer.amount) == ("中国人保财险", D("700.00"))
    assert (warranty.debtor_name, warranty.amount) == ("大众", D("150.00"))
    assert (internal.debtor_name, internal.amount) == (store_a.name, D("50.00"))
    assert insurer.due_on == warranty.due_on == TODAY() + datetime.timedelta(days=30)
    assert internal.due_on == TODAY()
    # The owner pays his line and the excess; nobody is billed twice.
    assert mixed_bill.owner_total == D("500.00")
    assert mixed_bill.owner_total + sum(r.amount for r in rows.values()) == mixed_bill.total


def test_an_owner_only_bill_has_no_receivables_and_an_unknown_brand_is_the_manufacturer(
    advisor, cashier, store_a
):
    owner_only = _bill(advisor, cashier, store_a, [("300", Payer.OWNER)])
    assert not Receivable.objects.filter(settlement=owner_only).exists()
    warranty = _bill(advisor, cashier, store_a, [("80", Payer.WARRANTY)], brand="")
    (row,) = Receivable.objects.filter(settlement=warranty)
    assert row.debtor_name == gettext("manufacturer") and row.amount == D("80.00")


def test_an_excess_as_large_as_the_insurers_share_leaves_the_insurer_nothing(advisor, cashier, store_a):
    bill = _bill(advisor, cashier, store_a, [("400", Payer.INSURER)], insurer="平安产险", excess="400")
    assert not Receivable.objects.filter(settlement=bill).exists()
    assert bill.owner_total == D("400.00")


# --- credit ----------------------------------------------------------------------------------


@pytest.fixture
def fleet(store_a):
    return CustomerFactory(store=store_a, name="顺达物流有限公司")


@pytest.fixture
def account(fleet, store_a):
    return CreditAccount.objects.create(store=store_a, customer=fleet, limit=D("1000.00"), terms_days=45)


def test_a_company_pays_on_account_within_its_limit(advisor, cashier, store_a, fleet, account):
    bill = _bill(advisor, cashier, store_a, [("1500", Payer.OWNER)], owner=fleet)
    payment_record(actor=cashier, settlement=bill, method=Method.CREDIT, amount="600")
    (row,) = Receivable.objects.filter(settlement=bill)
    assert (row.debtor, row.debtor_name, row.credit_account, row.amount) == (
        Debtor.CREDIT,
        "顺达物流有限公司",
        account,
        D("600.00"),
    )
    assert row.due_on == TODAY() + datetime.timedelta(days=45)
    assert receivables.credit_available(account) == D("400.00")
    with pytest.raises(ApplicationError) as refused:
        payment_record(actor=cashier, settlement=bill, method=Method.CREDIT, amount="400.01")
    assert refused.value.code == "credit_limit"
    # Nothing of the refused charge is left behind.
    assert Payment.objects.filter(settlement=bill).count() == 1
    assert Receivable.objects.filter(settlement=bill).count() == 1
    bill.refresh_from_db()
    assert bill.received == D("600.00")


def test_an_inactive_account_or_another_stores_account_takes_no_charges(
    advisor, cashier, store_a, store_b, fleet, account
):
    bill = _bill(advisor, cashier, store_a, [("500", Payer.OWNER)], owner=fleet)
    account.is_active = False
    account.save()
    with pytest.raises(ApplicationError) as refused:
        payment_record(actor=cashier, settlement=bill, method=Method.CREDIT, amount="100")
    assert refused.value.code == "credit_inactive"
    elsewhere = CreditAccount.objects.create(
        store=store_b, customer=CustomerFactory(store=store_b), limit=D("9999")
    )
    payment = Payment(store=store_a, settlement=bill, method=Method.CREDIT, amount=D("100"))
    with pytest.raises(ApplicationError) as other_store:
        receivables.receivable_for_credit(payment=payment, account=elsewhere)
    assert other_store.value.code == "credit_inactive"
    assert not Receivable.objects.exists()


def test_collecting_frees_the_credit_again(advisor, cashier, store_a, fleet, account):
    bill = _bill(advisor, cashier, store_a, [("1000", Payer.OWNER)], owner=fleet)
    payment_record(actor=cashier, settlement=bill, method=Method.CREDIT, amount="1000")
    assert receivables.credit_available(account) == D("0.00")
    receivables.receivable_collect(
        actor=cashier,
        receivable=Receivable.objects.get(),
        method=Method.TRANSFER,
        amount="250",
        reference="TX1",
    )
    assert receivables.credit_available(account) == D("250.00")


# --- reversal --------------------------------------------------------------------------------


def test_a_reversed_bill_reverses_its_receivables_and_nothing_stays_open(mixed_bill, manager, cashier):
    originals = _by_debtor(mixed_bill)
    reversal = settlement_reverse(actor=manager, settlement=mixed_bill, reason="理赔金额更正")
    negatives = _by_debtor(reversal)
    assert set(negatives) == set(originals)
    for debtor, original in originals.items():
        negative = negatives[debtor]
        assert negative.reverses == original and negative.amount == -original.amount
        assert negative.due_on == original.due_on and negative.debtor_name == original.debtor_name
    assert sum(r.amount - r.collected for r in Receivable.objects.all()) == 0
    assert receivables.ageing(user=manager).rows == []
    assert not receivables.receivables_for(manager, open_only=True).exists()
    with pytest.raises(ApplicationError) as refused:
        receivables.receivable_collect(
            actor=cashier,
            receivable=originals[Debtor.INSURER],
            method=Method.TRANSFER,
            amount="1",
            reference="X",
        )
    assert refused.value.code == "receivable_reversed"


def test_a_receivable_with_money_collected_blocks_the_reversal(mixed_bill, manager, cashier):
    insurer = _by_debtor(mixed_bill)[Debtor.INSURER]
    receivables.receivable_collect(
        actor=cashier, receivable=insurer, method=Method.TRANSFER, amount="100", reference="TX2"
    )
    with pytest.raises(ApplicationError) as refused:
        settlement_reverse(actor=manager, settlement=mixed_bill, reason="更正")
    assert refused.value.code == "receivable_collected"
    mixed_bill.refresh_from_db()
    assert mixed_bill.status == Settlement.Status.POSTED
    assert not Receivable.objects.filter(reverses__isnull=False).exists()


def test_a_reversed_credit_charge_gives_the_credit_back(advisor, cashier, manager, store_a, fleet, account):
    bill = _bill(advisor, cashier, store_a, [("800", Payer.OWNER)], owner=fleet)
    payment_record(actor=cashier, settlement=bill, method=Method.CREDIT, amount="800")
    settlement_reverse(actor=manager, settlement=bill, reason="重开")
    assert receivables.credit_available(account) == D("1000.00")


# --- collections -----------------------------------------------------------------------------


def test_collections_stop_at_what_is_open_and_a_retry_never_collects_twice(mixed_bill, cashier):
    insurer = _by_debtor(mixed_bill)[Debtor.INSURER]
    first = receivables.receivable_collect(
        actor=cashier,
        receivable=insurer,
        method=Method.TRANSFER,
        amount="300",
        reference="TX300",
        idempotency_key="k-1",
    )
    again = receivables.receivable_collect(
        actor=cashier,
        receivable=insurer,
        method=Method.TRANSFER,
        amount="300",
        reference="TX300",
        idempotency_key="k-1",
    )
    assert again.pk == first.pk
    assert (first.purpose, first.receivable, first.settlement, first.amount) == (
        Payment.Purpose.RECEIVABLE,
        insurer,
        None,
        D("300.00"),
    )
    insurer.refresh_from_db()
    assert insurer.collected == D("300.00") and insurer.open_amount == D("400.00")
    with pytest.raises(ApplicationError) as refused:
        receivables.receivable_collect(actor=cashier, receivable=insurer, method=Method.CASH, amount="400.01")
    assert refused.value.code == "overpaid"
    cash = receivables.receivable_collect(
        actor=cashier, receivable=insurer, method=Method.CASH, amount="400", tendered="500"
    )
    assert cash.change == D("100.00")
    insurer.refresh_from_db()
    assert insurer.open_amount == D("0.00")
    with pytest.raises(ApplicationError):
        receivables.receivable_collect(actor=cashier, receivable=insurer, method=Method.CASH, amount="0.01")


def test_a_collection_refunded_is_owed_again(mixed_bill, cashier):
    insurer = _by_debtor(mixed_bill)[Debtor.INSURER]
    payment = receivables.receivable_collect(
        actor=cashier, receivable=insurer, method=Method.TRANSFER, amount="200", reference="TX4"
    )
    receivables.receivable_refunded(payment=payment, amount=D("200.00"))
    insurer.refresh_from_db()
    assert insurer.collected == D("0.00") and insurer.open_amount == D("700.00")


# --- ageing ----------------------------------------------------------------------------------

ON = datetime.date(2025, 6, 30)


def _receivable(settlement, debtor, name, amount, due_on, collected="0"):
    return Receivable.objects.create(
        store_id=settlement.store_id,
        settlement=settlement,
        debtor=debtor,
        debtor_name=name,
        amount=D(amount),
        collected=D(collected),
        due_on=due_on,
    )


@pytest.fixture
def aged(advisor, cashier, store_a, store_b, make_staff):
    """Receivables due on fixed days before and after ON, in store A; one in store B."""
    bill = _bill(advisor, cashier, store_a, [("10", Payer.OWNER)])
    day = datetime.timedelta(days=1)
    _receivable(bill, Debtor.INSURER, "人保", "100", ON)  # due today: not overdue
    _receivable(bill, Debtor.INSURER, "人保", "200", ON - day)  # 1 day
    _receivable(bill, Debtor.INSURER, "人保", "300", ON - 30 * day, collected="50")  # 30 days
    _receivable(bill, Debtor.INSURER, "人保", "400", ON - 31 * day)  # 31
    _receivable(bill, Debtor.WARRANTY, "大众", "500", ON - 60 * day)  # 60
    _receivable(bill, Debtor.WARRANTY, "大众", "600", ON - 61 * day)  # 61
    _receivable(bill, Debtor.WARRANTY, "大众", "700", ON - 90 * day)  # 90
    _receivable(bill, Debtor.WARRANTY, "大众", "800", ON - 91 * day)  # over 90
    _receivable(bill, Debtor.WARRANTY, "大众", "900", ON + day)  # not yet due
    _receivable(bill, Debtor.WARRANTY, "大众", "999", ON - 10 * day, collected="999")  # collected
    original = _receivable(bill, Debtor.INTERNAL, "北京朝阳店", "50", ON - 100 * day)
    reversal = _receivable(bill, Debtor.INTERNAL, "北京朝阳店", "-50", ON - 100 * day)
    Receivable.objects.filter(pk=reversal.pk).update(reverses=original)
    other = _bill(
        make_staff("advisor", store_b), make_staff("cashier", store_b), store_b, [("10", Payer.OWNER)]
    )
    _receivable(other, Debtor.INSURER, "人保", "7777", ON - 5 * day)
    return bill


def test_the_ageing_sorts_open_amounts_by_days_past_due(aged, manager):
    table = receivables.ageing(user=manager, on=ON)
    rows = {row.debtor_name: row for row in table.rows}
    assert set(rows) == {"人保", "大众"}  # the reversed pair and store B are not there
    assert rows["人保"].buckets() == [D("100.00"), D("450.00"), D("400.00"), D("0.00"), D("0.00")]
    assert rows["大众"].buckets() == [D("900.00"), D("0.00"), D("500.00"), D("1300.00"), D("800.00")]
    assert rows["人保"].count == 4 and rows["大众"].count == 5
    assert table.totals.buckets() == [D("1000.00"), D("450.00"), D("900.00"), D("1300.00"), D("800.00")]
    assert table.totals.total == D("4450.00")
    only_insurers = receivables.ageing(user=manager, on=ON, debtor=Debtor.INSURER)
    assert [row.debtor_name for row in only_insurers.rows] == ["人保"]


def test_the_ageing_is_one_query(aged, manager):
    with CaptureQueriesContext(connection) as queries:
        receivables.ageing(user=manager, on=ON)
    assert len([q for q in queries if "billing_receivable" in q["sql"]]) == 1


# --- pages -----------------------------------------------------------------------------------


def test_the_list_shows_the_ageing_filters_and_answers_htmx(aged, login, cashier):
    client = login(cashier)
    page = client.get(reverse("billing:receivable_list"), {"on": ON.isoformat()}).content.decode()
    assert "4450.00" in page and "7777" not in page and "999.00" not in page
    everything = client.get(
        reverse("billing:receivable_list"), {"on": ON.isoformat(), "show": "all"}
    ).content.decode()
    assert "999.00" in everything
    partial = client.get(
        reverse("billing:receivable_list"),
        {"debtor": Debtor.WARRANTY, "on": ON.isoformat()},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="receivable-table",
    ).content.decode()
    assert "<html" not in partial and "900.00" in partial and "400.00" not in partial


def test_the_ageing_exports_to_excel(aged, login, cashier):
    import io

    from openpyxl import load_workbook

    response = login(cashier).get(reverse("billing:receivable_ageing_export"), {"on": ON.isoformat()})
    assert response.status_code == 200 and response["Content-Type"] == XLSX_TYPE
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert [row[1] for row in rows[1:3]] == ["人保", "大众"]
    assert rows[-1][3:] == (1000, 450, 900, 1300, 800, 4450)


def test_an_overdue_receivable_shows_its_days_and_a_reversed_one_takes_no_money(aged, login, cashier):
    client = login(cashier)
    overdue = Receivable.objects.get(amount=D("800"))
    page = client.get(reverse("billing:receivable_detail", args=[overdue.pk])).content.decode()
    assert "800.00" in page and 'action="' + reverse("billing:receivable_collect", args=[overdue.pk]) in page
    reversed_one = Receivable.objects.get(amount=D("50"))
    page = client.get(reverse("billing:receivable_detail", args=[reversed_one.pk])).content.decode()
    assert reverse("billing:receivable_collect", args=[reversed_one.pk]) not in page


def test_the_list_queries_do_not_grow_with_rows(aged, login, cashier, django_assert_max_num_queries):
    client = login(cashier)
    url = reverse("billing:receivable_list") + "?show=all"
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    for n in range(20):
        _receivable(aged, Debtor.CREDIT, f"公司{n}", "10", ON)
    with django_assert_max_num_queries(len(few)):
        assert client.get(url).status_code == 200


def test_pages_need_the_permission_and_hide_other_stores(mixed_bill, login, make_staff, store_a, cashier_b):
    insurer = _by_debtor(mixed_bill)[Debtor.INSURER]
    technician = login(make_staff("technician", store_a))
    assert technician.get(reverse("billing:receivable_list")).status_code == 403
    other = login(cashier_b)
    assert other.get(reverse("billing:receivable_detail", args=[insurer.pk])).status_code == 404
    assert (
        other.post(
            reverse("billing:receivable_collect", args=[insurer.pk]), {"method": "cash", "amount": "1"}
        ).status_code
        == 404
    )
    advisor = login(make_staff("advisor", store_a))
    assert advisor.get(reverse("billing:receivable_detail", args=[insurer.pk])).status_code == 200
    response = advisor.post(
        reverse("billing:receivable_collect", args=[insurer.pk]), {"method": "cash", "amount": "1"}
    )
    assert response.status_code == 403
    insurer.refresh_from_db()
    assert insurer.collected == 0


def test_the_cashier_collects_on_the_receivables_page(mixed_bill, login, cashier):
    insurer = _by_debtor(mixed_bill)[Debtor.INSURER]
    client = login(cashier)
    url = reverse("billing:receivable_detail", args=[insurer.pk])
    assert "700.00" in client.get(url).content.decode()
    collect = reverse("billing:receivable_collect", args=[insurer.pk])
    too_much = client.post(collect, {"method": "transfer", "amount": "700.01", "reference": "TX"})
    no_reference = client.post(collect, {"method": "wechat", "amount": "100"})
    assert too_much.status_code == no_reference.status_code == 400
    response = client.post(collect, {"method": "cash", "amount": "200", "tendered": "300"})
    assert response.status_code == 302 and response["Location"] == url
    insurer.refresh_from_db()
    assert insurer.collected == D("200.00")
    assert Payment.objects.get(receivable=insurer).change == D("100.00")
    assert "200.00" in client.get(url).content.decode()


def test_the_manager_opens_and_changes_a_credit_account(login, manager, cashier, store_a, fleet):
    client = login(manager)
    data = {"customer": fleet.code, "limit": "5000", "terms_days": "60", "is_active": "on", "note": "月结"}
    assert login(cashier).get(reverse("billing:credit_account_create")).status_code == 403
    client = login(manager)
    response = client.post(reverse("billing:credit_account_create"), data)
    assert response.status_code == 302
    account = CreditAccount.objects.get(customer=fleet)
    assert (account.limit, account.terms_days, account.is_active) == (D("5000.00"), 60, True)
    assert client.post(reverse("billing:credit_account_create"), data).status_code == 400  # one per company
    edit = reverse("billing:credit_account_edit", args=[account.pk])
    response = client.post(edit, {**data, "limit": "3000", "is_active": ""})
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.limit == D("3000.00") and not account.is_active
    page = client.get(reverse("billing:credit_account_detail", args=[account.pk])).content.decode()
    assert "3000.00" in page
    assert "3000.00" in client.get(reverse("billing:credit_account_list")).content.decode()


def test_credit_account_pages_hide_other_stores_and_show_what_is_left(
    advisor, cashier, store_a, fleet, account, login, cashier_b, make_staff, store_b
):
    bill = _bill(advisor, cashier, store_a, [("700", Payer.OWNER)], owner=fleet)
    payment_record(actor=cashier, settlement=bill, method=Method.CREDIT, amount="650")
    page = login(cashier).get(reverse("billing:credit_account_detail", args=[account.pk])).content.decode()
    assert "650.00" in page and "350.00" in page
    other = login(make_staff("store_manager", store_b))
    assert other.get(reverse("billing:credit_account_detail", args=[account.pk])).status_code == 404
    assert other.get(reverse("billing:credit_account_edit", args=[account.pk])).status_code == 404
    assert login(cashier).get(reverse("billing:credit_account_edit", args=[account.pk])).status_code == 403
