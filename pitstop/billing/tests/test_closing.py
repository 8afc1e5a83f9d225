"""The cashier's day close: totals by method with money apart from the rest, refunds, the cash
expected (what stays after the change), by purpose; only the cashier (or a manager) closes, a
difference needs an explanation, a day closes once and takes no more money afterwards; the
day's voucher balances for any day, with the store's own account codes; the pages."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.db import transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from pitstop.billing import closing
from pitstop.billing.models import (
    BillingSettings,
    DayClose,
    LineKind,
    Payer,
    Payment,
    Settlement,
    SettlementLine,
)
from pitstop.billing.payments import payment_record, payment_refund, payment_take
from pitstop.core.exceptions import ApplicationError
from pitstop.core.models import AuditEntry
from pitstop.customers.tests.factories import CustomerFactory, VehicleFactory
from pitstop.service.tests.factories import RepairOrderFactory

Method = Payment.Method
Purpose = Payment.Purpose
D = Decimal


def _bill(store, advisor, lines=(("labour", "113.00", "13.00"),), status=Settlement.Status.POSTED, **extra):
    """A posted bill with its lines (kind, amount, tax), paid by the owner unless said."""
    order = RepairOrderFactory(vehicle=VehicleFactory(owner__store=store), advisor=advisor, status="ready")
    total = sum((D(amount) for _kind, amount, _tax, *_payer in lines), D("0"))
    bill = Settlement.objects.create(
        store=store,
        number=f"JS{order.pk:06d}",
        status=status,
        order=order,
        customer=order.customer,
        prepared_by=advisor,
        total=total,
        owner_total=total,
        posted_at=timezone.now(),
        **extra,
    )
    SettlementLine.objects.bulk_create(
        SettlementLine(
            settlement=bill,
            position=n,
            kind=kind,
            name=kind,
            amount_due=D(amount),
            amount=D(amount),
            tax=D(tax),
            payer=payer[0] if payer else Payer.OWNER,
        )
        for n, (kind, amount, tax, *payer) in enumerate(lines)
    )
    return bill


def _paid(store, cashier, method, amount, day=None, purpose=Purpose.SETTLEMENT, **extra):
    """A payment row written directly (another day, a method without its ledger)."""
    return Payment.objects.create(
        store=store,
        purpose=purpose,
        method=method,
        amount=D(amount),
        business_date=day or timezone.localdate(),
        cashier=cashier,
        **extra,
    )


@pytest.fixture
def cashier(make_staff, store_a):
    return make_staff("cashier", store_a)


@pytest.fixture
def bill(store_a, advisor):
    return _bill(store_a, advisor, lines=[("labour", "600.00", "69.03"), ("part", "400.00", "46.02")])


@pytest.fixture
def busy_day(store_a, advisor, cashier, bill):
    """Cash 300 (500 tendered), WeChat 400, card 300 of which 100 refunded, a cash top-up of
    1,000, stored value 50 and credit 20 on another bill; someone else's and yesterday's
    money beside."""
    payment_record(actor=cashier, settlement=bill, method=Method.CASH, amount="300", tendered="500")
    payment_record(actor=cashier, settlement=bill, method=Method.WECHAT, amount="400", reference="4200001")
    card = payment_record(actor=cashier, settlement=bill, method=Method.CARD, amount="300", reference="POS1")
    payment_refund(actor=cashier, payment=card, amount="100", reason="多收")
    payment_take(actor=cashier, store=store_a, purpose=Purpose.TOP_UP, method=Method.CASH, amount="1000")
    other = _bill(store_a, advisor)
    _paid(store_a, cashier, Method.STORED_VALUE, "50", settlement=other)
    _paid(store_a, cashier, Method.CREDIT, "20", settlement=other)
    _paid(store_a, advisor, Method.CASH, "999", settlement=other)
    _paid(store_a, cashier, Method.CASH, "777", day=timezone.localdate() - datetime.timedelta(days=1))
    return bill


def _by_method(rows):
    return {row.method: row for row in rows}


def test_the_day_adds_up_by_method_with_money_apart_and_the_cash_expected(store_a, cashier, busy_day):
    summary = closing.day_summary(store=store_a, cashier=cashier, day=timezone.localdate())
    money, other = _by_method(summary.money), _by_method(summary.other)
    assert list(money) == list(Payment.MONEY_METHODS)  # every money method, even at zero
    assert money["cash"].amount == D("1300.00") and money["cash"].count == 2
    assert money["wechat"].amount == D("400.00")
    assert money["card"].amount == D("200.00") and money["card"].refunded == D("100.00")
    assert money["alipay"].amount == D("0")
    assert set(other) == {"stored_value", "credit"} and other["stored_value"].amount == D("50.00")
    assert summary.money_total == D("1900.00") and summary.other_total == D("70.00")
    # The change was handed back: the drawer holds what the payments kept.
    assert summary.cash_expected == D("1300.00") and summary.change_given == D("200.00")
    assert summary.payments_count == 6 and summary.refunds_count == 1 and summary.refunds_total == D("100.00")
    purposes = {row.purpose: row for row in summary.purposes}
    assert purposes["settlement"].money == D("900.00") and purposes["settlement"].amount == D("970.00")
    assert purposes["settlement"].cash == D("300.00")
    assert purposes["top_up"].cash == D("1000.00") and not summary.closed


def test_closing_keeps_the_totals_and_a_difference_needs_an_explanation(store_a, cashier, busy_day):
    today = timezone.localdate()
    with pytest.raises(ApplicationError) as refused:
        closing.day_close(actor=cashier, store=store_a, day=today, cash_counted="1290")
    assert refused.value.field == "explanation" and not DayClose.objects.exists()
    close = closing.day_close(
        actor=cashier, store=store_a, day=today, cash_counted="1290.00", explanation="找零多给十元"
    )
    assert close.cash_expected == D("1300.00") and close.difference == D("-10.00")
    assert close.totals["cash"] == "1300.00" and close.totals["card"] == "200.00"
    assert close.totals["stored_value"] == "50.00" and close.payments_count == 6
    assert AuditEntry.objects.filter(object_id=str(close.pk), actor=cashier).exists()
    with pytest.raises(ApplicationError) as again:
        closing.day_close(actor=cashier, store=store_a, day=today, cash_counted="1300")
    assert again.value.code == "already_closed" and DayClose.objects.count() == 1


def test_a_closed_day_takes_no_more_money(store_a, advisor, cashier, busy_day):
    closing.day_close(actor=cashier, store=store_a, day=timezone.localdate(), cash_counted="1300")
    received = Settlement.objects.get(pk=busy_day.pk).received
    with pytest.raises(ApplicationError) as refused:
        payment_record(actor=cashier, settlement=busy_day, method=Method.CASH, amount="1")
    assert refused.value.code == "day_closed"
    with pytest.raises(ApplicationError):
        payment_take(actor=cashier, store=store_a, purpose=Purpose.TOP_UP, method=Method.CASH, amount="10")
    assert Settlement.objects.get(pk=busy_day.pk).received == received
    summary = closing.day_summary(store=store_a, cashier=cashier, day=timezone.localdate())
    assert summary.closed and summary.cash_expected == D("1300.00")


def test_only_the_cashier_or_a_manager_closes_a_day(store_a, store_b, make_staff, cashier, manager, advisor):
    today = timezone.localdate()
    colleague = make_staff("cashier", store_a)
    with pytest.raises(ApplicationError) as own_only:
        closing.day_close(actor=colleague, store=store_a, day=today, cash_counted="0", cashier=cashier)
    assert own_only.value.code == "permission"
    with pytest.raises(ApplicationError) as advisor_refused:
        closing.day_close(actor=advisor, store=store_a, day=today, cash_counted="0")
    assert advisor_refused.value.code == "permission"
    with pytest.raises(ApplicationError) as elsewhere:  # a manager of another store
        closing.day_close(
            actor=make_staff("store_manager", store_b),
            store=store_a,
            day=today,
            cash_counted="0",
            cashier=cashier,
        )
    assert elsewhere.value.code == "permission"
    close = closing.day_close(actor=manager, store=store_a, day=today, cash_counted="0", cashier=cashier)
    assert close.cashier == cashier
    with pytest.raises(ApplicationError) as future:
        closing.day_close(
            actor=manager, store=store_a, day=today + datetime.timedelta(days=1), cash_counted="0"
        )
    assert future.value.code == "future"
    with pytest.raises(ApplicationError) as negative:
        closing.day_close(actor=manager, store=store_a, day=today, cash_counted="-1")
    assert negative.value.field == "cash_counted"


def test_the_store_day_shows_every_cashier_and_who_is_still_open(store_a, advisor, cashier, busy_day):
    today = timezone.localdate()
    closing.day_close(actor=cashier, store=store_a, day=today, cash_counted="1300")
    day = closing.store_day(store=store_a, day=today)
    by_cashier = {summary.cashier: summary for summary in day.cashiers}
    assert set(by_cashier) == {cashier, advisor}
    assert by_cashier[cashier].closed and not by_cashier[advisor].closed
    assert day.open_cashiers == [advisor] and not day.all_closed
    assert day.totals.cash_expected == D("2299.00") and day.cash_counted == D("1300.00")


# ---------------------------------------------------------------- the voucher


def _lines(store, day=None):
    return {
        (line.account, line.memo): (line.debit, line.credit)
        for line in closing.day_voucher_lines(store=store, day=day or timezone.localdate())
    }


def test_the_voucher_debits_the_money_and_credits_revenue_net_of_vat(store_a, advisor, cashier):
    bill = _bill(
        store_a,
        advisor,
        lines=[("labour", "113.00", "13.00"), ("part", "226.00", "26.00"), ("management", "11.30", "1.30")],
    )
    payment_record(actor=cashier, settlement=bill, method=Method.CASH, amount="200.30", tendered="300")
    payment_record(actor=cashier, settlement=bill, method=Method.WECHAT, amount="150", reference="wx1")
    payment_take(
        actor=cashier,
        store=store_a,
        purpose=Purpose.TOP_UP,
        method=Method.ALIPAY,
        amount="1000",
        reference="a1",
    )
    payment_take(actor=cashier, store=store_a, purpose=Purpose.MEMBERSHIP, method=Method.CASH, amount="113")
    lines = closing.day_voucher_lines(store=store_a, day=timezone.localdate())
    debit, credit = closing.voucher_totals(lines)
    assert debit == credit == D("350.30") + D("350.30") + D("1000") + D("113")
    by_account: dict[str, list] = {}
    for line in lines:
        by_account.setdefault(line.account, [D("0"), D("0")])
        by_account[line.account][0] += line.debit
        by_account[line.account][1] += line.credit
    assert by_account["1001"] == [D("313.30"), D("0")]  # cash: 200.30 for the bill, 113 the fee
    assert by_account["1012.01"] == [D("150.00"), D("0")]
    assert by_account["1012.02"] == [D("1000.00"), D("0")]
    assert by_account["6001.01"] == [D("0"), D("100.00")]
    assert by_account["6001.02"] == [D("0"), D("200.00")]
    assert by_account["6001.03"] == [D("0"), D("10.00")]
    assert by_account["2221.01.01"] == [D("0"), D("40.30") + D("13.00")]  # the fee's VAT at 13 %
    assert by_account["6051"] == [D("0"), D("100.00")]
    assert by_account["2203"] == [D("0"), D("1000.00")]
    # The bill is owed when posted and paid the same day: 1122 debited and credited.
    assert by_account["1122"] == [D("350.30"), D("350.30")]
    assert all(line.date == timezone.localdate() for line in lines)
    assert [line.debit > 0 for line in lines] == sorted((line.debit > 0 for line in lines), reverse=True)


def test_a_reversal_counts_negative_and_credit_and_insurers_owe_through_1122(store_a, advisor, cashier):
    original = _bill(
        store_a, advisor, lines=[("labour", "226.00", "26.00")], status=Settlement.Status.REVERSED
    )
    _bill(store_a, advisor, lines=[("labour", "-226.00", "-26.00")], reverses=original)
    insured = _bill(
        store_a, advisor, lines=[("part", "1130.00", "130.00", Payer.INSURER), ("labour", "113.00", "13.00")]
    )
    _paid(store_a, cashier, Method.CREDIT, "113", settlement=insured)
    lines = closing.day_voucher_lines(store=store_a, day=timezone.localdate())
    debit, credit = closing.voucher_totals(lines)
    assert debit == credit == D("1130.00") + D("113.00") + D("113.00")
    revenue = sum((line.credit for line in lines if line.account.startswith("6001")), D("0"))
    assert revenue == D("1100.00")  # the reversed bill and its reversal cancel out


def test_stored_value_spends_its_bonus_apart(store_a, advisor, cashier):
    from pitstop.loyalty.models import TopUpRule
    from pitstop.loyalty.services import stored_value_top_up

    customer = CustomerFactory(store=store_a)
    TopUpRule.objects.create(store=store_a, name="充1000送100", pay_at_least=D("1000"), bonus=D("100"))
    stored_value_top_up(actor=cashier, store=store_a, customer=customer, amount="1000")
    bill = _bill(store_a, advisor, lines=[("labour", "550.00", "63.27")])
    bill.customer = customer
    bill.save(update_fields=["customer"])
    payment_record(actor=cashier, settlement=bill, method=Method.STORED_VALUE, amount="550")
    lines = _lines(store_a)
    bonus = sum(
        (debit for (account, _memo), (debit, _credit) in lines.items() if account == "6601.03"), D("0")
    )
    spent = sum((debit for (account, _memo), (debit, _credit) in lines.items() if account == "2203"), D("0"))
    assert bonus == D("50.00") and spent == D("500.00")  # 1,100 balance: 1/11 of a spend is bonus
    assert closing.voucher_totals(closing.day_voucher_lines(store=store_a, day=timezone.localdate()))[0] == D(
        "1100.00"
    )


def test_account_codes_come_from_settings_then_from_the_store(store_a, advisor, cashier, settings):
    settings.BILLING_ACCOUNTS = {"cash": "1001.09", "wechat": "1012.09"}
    BillingSettings.objects.create(store=store_a, accounts={"wechat": "1012.88", "revenue_labour": ""})
    bill = _bill(store_a, advisor)
    payment_record(actor=cashier, settlement=bill, method=Method.CASH, amount="13")
    payment_record(actor=cashier, settlement=bill, method=Method.WECHAT, amount="100", reference="w")
    accounts = {line.account for line in closing.day_voucher_lines(store=store_a, day=timezone.localdate())}
    assert {"1001.09", "1012.88", "6001.01"} <= accounts and not {"1001", "1012.01", "1012.09"} & accounts


kinds = st.sampled_from(LineKind.values)
cents = st.integers(min_value=-50000, max_value=500000).map(lambda n: D(n) / 100)
line_strategy = st.tuples(
    kinds, cents, st.sampled_from([D("0"), D("6"), D("9"), D("13")]), st.sampled_from(Payer.values)
)
payment_strategy = st.tuples(
    st.sampled_from(Method.values),
    st.sampled_from(Purpose.values),
    st.integers(min_value=-20000, max_value=300000).map(lambda n: D(n) / 100),
)


@pytest.mark.django_db
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    bills=st.lists(st.lists(line_strategy, min_size=1, max_size=6), max_size=5),
    payments=st.lists(payment_strategy, max_size=15),
    vat_fees=st.sampled_from([D("0"), D("6"), D("13")]),
)
def test_any_day_balances_debits_against_credits(store_a, advisor, cashier, bills, payments, vat_fees):
    with transaction.atomic():
        BillingSettings.objects.update_or_create(store=store_a, defaults={"vat_fees": vat_fees})
        for lines in bills:
            rows = []
            for kind, amount, rate, payer in lines:
                tax = (amount * rate / (100 + rate)).quantize(D("0.01"))
                rows.append((kind, str(amount), str(tax), payer))
            _bill(store_a, advisor, lines=rows)
        for method, purpose, amount in payments:
            _paid(store_a, cashier, method, amount, purpose=purpose)
        lines = closing.day_voucher_lines(store=store_a, day=timezone.localdate())
        debit, credit = closing.voucher_totals(lines)
        assert debit == credit
        assert all((line.debit == 0) != (line.credit == 0) for line in lines)
        transaction.set_rollback(True)


# ---------------------------------------------------------------- the pages


def test_my_day_shows_the_totals_and_closes_the_day(client, store_a, cashier, busy_day):
    client.force_login(cashier)
    page = client.get(reverse("billing:closing_day"))
    assert page.status_code == 200
    body = page.content.decode()
    assert "¥1300.00" in body and "4200001" in body and busy_day.number in body
    refused = client.post(
        reverse("billing:closing_close"),
        {"day": timezone.localdate().isoformat(), "cash_counted": "1250", "explanation": ""},
    )
    assert refused.status_code == 400 and not DayClose.objects.exists()
    done = client.post(
        reverse("billing:closing_close"),
        {"day": timezone.localdate().isoformat(), "cash_counted": "1250", "explanation": "少五十"},
    )
    assert done.status_code == 302
    close = DayClose.objects.get()
    assert close.cashier == cashier and close.difference == D("-50.00")
    after = client.get(done["Location"]).content.decode()
    assert reverse("billing:closing_print", args=[close.pk]) in after and "¥-50.00" in after
    printed = client.get(reverse("billing:closing_print", args=[close.pk]))
    assert printed.status_code == 200 and "¥1250.00" in printed.content.decode()


def test_a_manager_closes_a_cashiers_day_and_a_cashier_may_not(client, store_a, make_staff, cashier, manager):
    colleague = make_staff("cashier", store_a)
    client.force_login(colleague)
    assert client.get(reverse("billing:closing_day"), {"cashier": cashier.pk}).status_code == 403
    client.force_login(manager)
    assert client.get(reverse("billing:closing_day"), {"cashier": cashier.pk}).status_code == 200
    response = client.post(
        reverse("billing:closing_close"),
        {"day": timezone.localdate().isoformat(), "cashier": cashier.pk, "cash_counted": "0"},
    )
    assert response.status_code == 302 and DayClose.objects.get().cashier == cashier


def test_a_role_without_the_cash_desk_has_no_day_to_close(client, advisor):
    client.force_login(advisor)
    assert client.get(reverse("billing:closing_day")).status_code == 403


def test_my_day_reads_a_fixed_number_of_queries(client, store_a, advisor, cashier, bill):
    from django.db import connection

    client.force_login(cashier)
    url = reverse("billing:closing_day")
    client.get(url)
    counts = []
    for extra in (2, 10):
        for _ in range(extra):
            _paid(store_a, cashier, Method.CASH, "1", settlement=bill, customer=bill.customer)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_the_managers_list_highlights_differences_and_exports_the_day(
    client, store_a, cashier, manager, busy_day
):
    today = timezone.localdate()
    close = closing.day_close(
        actor=cashier, store=store_a, day=today, cash_counted="1200", explanation="短款"
    )
    client.force_login(manager)
    body = client.get(reverse("billing:closing_list")).content.decode()
    assert f'data-close="{close.pk}" class="table-danger"' in body and "¥-100.00" in body
    assert reverse("billing:closing_export") in body
    as_csv = client.get(reverse("billing:closing_export"), {"day": today.isoformat(), "format": "csv"})
    assert as_csv.status_code == 200 and as_csv.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(as_csv.content.decode("utf-8-sig"))))
    assert len(rows) > 4 and all(row[0] == today.isoformat() for row in rows[1:])
    debit = sum((D(row[2]) for row in rows[1:]), D("0"))
    assert debit == sum((D(row[3]) for row in rows[1:]), D("0")) and debit > 0
    as_xlsx = client.get(reverse("billing:closing_export"), {"day": today.isoformat()})
    sheet = load_workbook(io.BytesIO(as_xlsx.content)).active
    assert sheet.max_row == len(rows) and sheet.cell(row=2, column=2).value == rows[1][1]
    assert AuditEntry.objects.filter(action="export", actor=manager).exists()


def test_the_export_needs_its_permission_and_a_close_stays_in_its_store(
    client, store_a, store_b, make_staff, cashier, busy_day
):
    close = closing.day_close(actor=cashier, store=store_a, day=timezone.localdate(), cash_counted="1300")
    client.force_login(cashier)
    assert client.get(reverse("billing:closing_export")).status_code == 403
    assert client.get(reverse("billing:closing_detail", args=[close.pk])).status_code == 200
    client.force_login(make_staff("store_manager", store_b))
    for name in ("billing:closing_detail", "billing:closing_print"):
        assert client.get(reverse(name, args=[close.pk])).status_code == 404
    assert f'data-close="{close.pk}"' not in client.get(reverse("billing:closing_list")).content.decode()


def test_htmx_asks_for_the_payments_or_the_closes_alone(client, store_a, cashier, manager, busy_day):
    client.force_login(cashier)
    partial = client.get(
        reverse("billing:closing_day"), headers={"HX-Request": "true", "HX-Target": "day-payments"}
    ).content.decode()
    assert partial.lstrip().startswith('<div id="day-payments"') and "4200001" in partial
    closing.day_close(actor=cashier, store=store_a, day=timezone.localdate(), cash_counted="1300")
    client.force_login(manager)
    table = client.get(
        reverse("billing:closing_list"), headers={"HX-Request": "true", "HX-Target": "close-table"}
    ).content.decode()
    assert table.lstrip().startswith('<div id="close-table"') and "<html" not in table
