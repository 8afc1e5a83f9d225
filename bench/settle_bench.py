"""Settling a 40-line work order (issue #5): 20 labour lines and 20 parts issued to the job.

    .venv/bin/python bench/settle_bench.py                 # SQLite in a temporary file
    .venv/bin/python bench/settle_bench.py --runs 10       # a quicker look
    DATABASE_URL=postgres://... .venv/bin/python bench/settle_bench.py   # that database instead

Data: one store (a new one per run of the script, so a kept database is never in the way),
a warehouse with 20 parts in stock, and --runs work orders that are ready, each with 20
approved labour lines (hours × rate, some with a tier discount), 20 parts on the estimate and
the same 20 issued to the job through the stock ledger (one of them partly returned), so the
bill nets the ledger as it does in the shop.

Measured (server time, no network): `settlement.settlement_prepare` (the pre-settlement from
the order and the ledger, with a management fee) and `settlement.settlement_post` (the bill
posted: receivables, carried money, events), each and together: median, p95 and max over the
runs, wall clock and this thread's CPU time, and the queries of one run. Target: prepare +
post under 300 ms. Nothing is asserted: these are figures to read."""

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
LABOUR = ["更换机油机滤", "更换前刹车片", "四轮定位", "更换火花塞", "清洗节气门", "更换空调滤芯", "检查底盘"]
PARTS = ["机油滤清器", "空气滤清器", "前刹车片", "火花塞", "雨刮片", "刹车油", "防冻液", "空调滤清器"]


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def setup(tag: str):
    from django.db import transaction

    from pitstop.accounts.models import Membership, Role, Store, User
    from pitstop.parts.services import stock_receive
    from pitstop.parts.tests.factories import PartFactory, WarehouseFactory

    with transaction.atomic():
        store = Store.objects.create(code=f"BS{tag}", name="基准结算店")

        def person(role: str, name: str) -> User:
            user = User.objects.create_user(username=f"bench-{role}-{tag}", password="bench", full_name=name)
            Membership.objects.create(user=user, store=store, role=Role.objects.get(code=role))
            return User.objects.get(pk=user.pk)

        manager, advisor, cashier = (
            person("store_manager", "王经理"),
            person("advisor", "李顾问"),
            person("cashier", "张收银"),
        )
        warehouse = WarehouseFactory(store=store)
        rng = random.Random(5)
        parts = [
            PartFactory(
                code=f"BSP{tag}{n:02d}",
                name=PARTS[n % len(PARTS)],
                sale_price=Decimal(rng.randint(3000, 90000)) / 100,
            )
            for n in range(20)
        ]
        stock_receive(actor=manager, warehouse=warehouse, lines=[(part, "10000", "20") for part in parts])
    return store, warehouse, parts, manager, advisor, cashier


def make_order(n: int, tag: str, store, warehouse, parts, manager, advisor):
    """A ready work order with 20 labour lines and 20 parts issued to it."""
    from django.db import transaction

    from pitstop.customers.tests.factories import CustomerFactory, VehicleFactory
    from pitstop.parts.services import Reference, stock_issue, stock_return
    from pitstop.service.models import OrderLabour, OrderPart
    from pitstop.service.tests.factories import RepairOrderFactory

    rng = random.Random(n)
    with transaction.atomic():
        owner = CustomerFactory(store=store)
        vehicle = VehicleFactory(owner=owner, plate=f"京B{tag[-2:]}{n:03d}")
        order = RepairOrderFactory(
            vehicle=vehicle, advisor=advisor, number=f"WXB{tag}{n:04d}", status="in_progress"
        )
        labour = []
        for position in range(20):
            hours = Decimal(rng.choice(["0.5", "1", "1.5", "2", "3.2"]))
            rate = Decimal("120.00")
            price = (hours * rate).quantize(Decimal("0.01"))
            discount = Decimal(rng.choice(["0", "0", "10"]))
            labour.append(
                OrderLabour(
                    order=order,
                    position=position,
                    code=f"L{position:03d}",
                    name=LABOUR[position % len(LABOUR)],
                    hours=hours,
                    rate=rate,
                    price=price,
                    discount_pct=discount,
                    amount=(price * (100 - discount) / 100).quantize(Decimal("0.01")),
                )
            )
        OrderLabour.objects.bulk_create(labour)
        OrderPart.objects.bulk_create(
            OrderPart(
                order=order,
                position=position,
                part=part,
                code=part.code,
                name=part.name,
                quantity=Decimal("2"),
                unit_price=part.sale_price,
                amount=part.sale_price * 2,
                supply=OrderPart.Supply.ISSUED,
                issued=Decimal("2"),
            )
            for position, part in enumerate(parts)
        )
        reference = Reference("repair_order", order.pk, order.number)
        stock_issue(
            actor=manager, warehouse=warehouse, lines=[(part, "2") for part in parts], reference=reference
        )
        stock_return(actor=manager, warehouse=warehouse, part=parts[0], quantity="1", reference=reference)
        order.status = "ready"
        order.save(update_fields=["status"])
    return order


def timed(call):
    started, started_cpu = time.perf_counter(), time.thread_time()
    result = call()
    return result, (time.perf_counter() - started) * 1000, (time.thread_time() - started_cpu) * 1000


def line(label: str, wall: list[float], cpu: list[float], queries: int) -> str:
    return (
        f"  {label:<22}{statistics.median(wall):>8.1f} ms{percentile(wall, 0.95):>8.1f} ms"
        f"{max(wall):>8.1f} ms{statistics.median(cpu):>10.1f} ms{queries:>9}"
    )


def run(args) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from pitstop.billing.models import Settlement
    from pitstop.billing.settlement import settlement_post, settlement_prepare

    call_command("migrate", verbosity=0)
    tag = f"{int(time.time()) % 100000:05d}"
    started = time.perf_counter()
    store, warehouse, parts, manager, advisor, cashier = setup(tag)
    warm = 3
    orders = [make_order(n, tag, store, warehouse, parts, manager, advisor) for n in range(args.runs + warm)]
    print(f"data ready in {time.perf_counter() - started:.1f} s: {len(orders)} ready work orders of 40 lines")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")

    fees = [{"kind": "management", "amount": "50.00", "name": "管理费"}]
    timings = {"prepare": ([], []), "post": ([], []), "prepare + post": ([], [])}
    queries = {}
    for n, order in enumerate(orders):
        with CaptureQueriesContext(connection) as prepared_queries:
            bill, prepare_wall, prepare_cpu = timed(
                lambda order=order: settlement_prepare(actor=advisor, order=order, fees=fees)
            )
        with CaptureQueriesContext(connection) as posted_queries:
            bill, post_wall, post_cpu = timed(
                lambda bill=bill: settlement_post(actor=cashier, settlement=bill)
            )
        if n < warm:  # the first ones warm caches and plans
            continue
        queries = {"prepare": len(prepared_queries), "post": len(posted_queries)}
        queries["prepare + post"] = queries["prepare"] + queries["post"]
        for key, (wall, cpu) in (
            ("prepare", (prepare_wall, prepare_cpu)),
            ("post", (post_wall, post_cpu)),
            ("prepare + post", (prepare_wall + post_wall, prepare_cpu + post_cpu)),
        ):
            timings[key][0].append(wall)
            timings[key][1].append(cpu)
    bill = Settlement.objects.filter(store=store, status="posted").order_by("-id").first()
    print(
        f"\n== {connection.vendor}: settling a work order of {bill.lines.count()} bill lines "
        f"(total ¥{bill.total}), {args.runs} runs =="
    )
    print(f"  {'':<22}{'median':>11}{'p95':>11}{'max':>11}{'CPU median':>13}{'queries':>9}")
    for label, (wall, cpu) in timings.items():
        print(line(label, wall, cpu, queries[label]))
    p95 = percentile(timings["prepare + post"][0], 0.95)
    print(f"  target: prepare + post under 300 ms — p95 {p95:.1f} ms {'ok' if p95 < 300 else 'MISSED'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    temporary = None
    if not os.environ.get("DATABASE_URL"):
        temporary = tempfile.mkdtemp(prefix="pitstop-settle-bench-")
        os.environ["PITSTOP_VAR_DIR"] = temporary  # settings put the SQLite file there
    try:
        run(args)
    finally:
        if temporary:
            shutil.rmtree(temporary, ignore_errors=True)


if __name__ == "__main__":
    main()
