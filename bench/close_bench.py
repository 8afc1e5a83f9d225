"""Closing a cashier's day of 1,000 settlements (issue #5), and the day's voucher.

    .venv/bin/python bench/close_bench.py                  # SQLite in a temporary file
    .venv/bin/python bench/close_bench.py --bills 300      # a quicker look
    DATABASE_URL=postgres://... .venv/bin/python bench/close_bench.py   # that database instead

Data (bulk-created rows, as the services would leave them): one store (a new one per run of
the script), one cashier's day of --bills posted settlements of three lines each (labour,
parts, a fee; VAT inside), every one paid in full — cash with change, WeChat Pay, Alipay, bank
card, some split between stored value and cash — a few refunds, and some top-ups and
membership fees; another cashier's day beside it.

Measured (server time): `closing.day_summary`, `closing.day_close` (which sums the day again
under the cashier's lock and writes the close; the close is deleted between runs),
`closing.store_day` and `closing.day_voucher_lines`: median and max over --runs, with their
queries; and the "my day" page through Django's test client (it lists every payment).
Targets: the summary and the close under 1 s. Nothing is asserted: figures to read."""

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CENT = Decimal("0.01")


def setup(tag: str, bills: int):
    from django.db import transaction
    from django.utils import timezone

    from pitstop.accounts.models import Membership, Role, Store, User
    from pitstop.billing.models import Payment, Settlement, SettlementLine

    rng = random.Random(6)
    today = timezone.localdate()
    now = timezone.now()
    with transaction.atomic():
        store = Store.objects.create(code=f"BC{tag}", name="基准日结店")

        def person(role: str, name: str, n: int = 0) -> User:
            user = User.objects.create_user(
                username=f"bench-{role}{n}-{tag}", password="bench", full_name=name
            )
            Membership.objects.create(user=user, store=store, role=Role.objects.get(code=role))
            return User.objects.get(pk=user.pk)

        cashier, other, advisor = (
            person("cashier", "张收银"),
            person("cashier", "李收银", 1),
            person("advisor", "王顾问"),
        )
        settlements = []
        for n in range(bills):
            labour = Decimal(rng.randint(5000, 200000)) / 100
            parts = Decimal(rng.randint(0, 400000)) / 100
            fee = Decimal(rng.choice(["0", "20", "50"]))
            total = labour + parts + fee
            settlements.append(
                Settlement(
                    store=store,
                    number=f"JSB{tag}{n:05d}",
                    status=Settlement.Status.POSTED,
                    prepared_by=advisor,
                    posted_by=cashier,
                    posted_at=now,
                    labour_due=labour,
                    labour_charged=labour,
                    parts_due=parts,
                    parts_charged=parts,
                    fees=fee,
                    total=total,
                    owner_total=total,
                    received=total,
                    tax=sum((tax_of(x) for x in (labour, parts, fee)), Decimal(0)),
                )
            )
        settlements = Settlement.objects.bulk_create(settlements, batch_size=500)
        lines, payments = [], []
        for bill in settlements:
            for position, (kind, amount) in enumerate(
                (("labour", bill.labour_charged), ("part", bill.parts_charged), ("management", bill.fees))
            ):
                lines.append(
                    SettlementLine(
                        settlement=bill,
                        position=position,
                        kind=kind,
                        name=kind,
                        amount_due=amount,
                        amount=amount,
                        tax_rate=Decimal("13"),
                        tax=tax_of(amount),
                    )
                )
            method = rng.choice(["cash", "wechat", "wechat", "alipay", "card", "split"])
            if method == "split":
                stored = (bill.total * Decimal("0.4")).quantize(CENT)
                payments.append(pay(store, cashier, today, bill, "stored_value", stored))
                payments.append(
                    pay(store, cashier, today, bill, "cash", bill.total - stored, change=True, rng=rng)
                )
            else:
                payments.append(
                    pay(store, cashier, today, bill, method, bill.total, change=method == "cash", rng=rng)
                )
        SettlementLine.objects.bulk_create(lines, batch_size=1000)
        payments += [
            pay(store, cashier, today, None, "cash", Decimal("1000"), purpose="top_up") for _ in range(20)
        ]
        payments += [
            pay(store, cashier, today, None, "wechat", Decimal("200"), purpose="membership")
            for _ in range(10)
        ]
        payments += [pay(store, other, today, bill, "cash", Decimal("1")) for bill in settlements[:100]]
        created = Payment.objects.bulk_create(payments, batch_size=1000)
        refunds = [
            Payment(
                store=store,
                settlement_id=p.settlement_id,
                method=p.method,
                amount=-(p.amount / 2).quantize(CENT),
                refund_of=p,
                business_date=today,
                cashier=cashier,
                reference=p.reference,
            )
            for p in created[:2000:97]
            if p.method in ("wechat", "card") and p.settlement_id
        ]
        Payment.objects.bulk_create(refunds)
    return store, cashier, today


def tax_of(amount: Decimal) -> Decimal:
    return (amount * 13 / 113).quantize(CENT)


def pay(store, cashier, day, bill, method, amount, change=False, rng=None, purpose="settlement"):
    from pitstop.billing.models import Payment

    tendered = None
    if change:
        tendered = (amount / 100).to_integral_value(rounding="ROUND_CEILING") * 100 + rng.choice([0, 0, 100])
    return Payment(
        store=store,
        purpose=purpose,
        settlement=bill,
        method=method,
        amount=amount,
        tendered=tendered,
        change=(tendered - amount) if tendered is not None else Decimal(0),
        reference="" if method in ("cash", "stored_value") else f"R{bill.pk if bill else 0}{method}",
        business_date=day,
        cashier=cashier,
    )


def measure(label: str, call, runs: int, after=None) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    call()  # warm
    if after:
        after()
    times = []
    queries = 0
    for _ in range(runs):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            result = call()
            times.append((time.perf_counter() - started) * 1000)
        queries = len(captured)
        if after:
            after()
    print(f"  {label:<42}{statistics.median(times):>8.1f} ms{max(times):>8.1f} ms{queries:>9}")
    return result


def run(args) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import override_settings

    from pitstop.billing import closing
    from pitstop.billing.models import DayClose, Payment

    override_settings(
        STORAGES={
            "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        },
        ALLOWED_HOSTS=["*"],
    ).enable()
    call_command("migrate", verbosity=0)
    tag = f"{int(time.time()) % 100000:05d}"
    started = time.perf_counter()
    store, cashier, day = setup(tag, args.bills)
    mine = Payment.objects.filter(store=store, cashier=cashier, business_date=day).count()
    print(
        f"data ready in {time.perf_counter() - started:.1f} s: {args.bills:,} settlements, {mine:,} payments"
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")

    print(
        f"\n== {connection.vendor}: a cashier's day of {args.bills:,} paid settlements, {args.runs} runs =="
    )
    print(f"  {'':<42}{'median':>11}{'max':>11}{'queries':>9}")
    summary = measure(
        "day_summary", lambda: closing.day_summary(store=store, cashier=cashier, day=day), args.runs
    )

    def close():
        return closing.day_close(
            actor=cashier, store=store, day=day, cash_counted=summary.cash_expected, explanation=""
        )

    measure(
        "day_close (sums the day again, writes)",
        close,
        args.runs,
        after=lambda: DayClose.objects.filter(store=store, business_date=day).delete(),
    )
    measure("store_day (both cashiers)", lambda: closing.store_day(store=store, day=day), args.runs)
    lines = measure(
        "day_voucher_lines (the store's day)",
        lambda: closing.day_voucher_lines(store=store, day=day),
        args.runs,
    )
    debit, credit = closing.voucher_totals(lines)
    print(
        f"  voucher: {len(lines)} lines, debit ¥{debit:,} = credit ¥{credit:,}:"
        f" {'yes' if debit == credit else 'NO'}; cash expected ¥{summary.cash_expected:,},"
        f" money ¥{summary.money_total:,}"
    )

    client = Client()
    client.force_login(cashier)
    session = client.session
    session["pitstop_store_id"] = store.pk
    session.save()

    def page():
        response = client.get("/billing/closing/")
        assert response.status_code == 200, response.status_code

    measure(f"GET /billing/closing/ (my day, {mine:,} payments)", page, args.runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bills", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    temporary = None
    if not os.environ.get("DATABASE_URL"):
        temporary = tempfile.mkdtemp(prefix="pitstop-close-bench-")
        os.environ["PITSTOP_VAR_DIR"] = temporary  # settings put the SQLite file there
    try:
        run(args)
    finally:
        if temporary:
            shutil.rmtree(temporary, ignore_errors=True)


if __name__ == "__main__":
    main()
