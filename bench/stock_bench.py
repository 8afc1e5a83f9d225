"""The stock ledger at scale on PostgreSQL (issue #3): 50,000 parts, 2,000,000 movements.

    .venv/bin/python bench/stock_bench.py                  # generate once, then measure
    .venv/bin/python bench/stock_bench.py --samples 100 --seconds 5   # a quicker look
    .venv/bin/python bench/stock_bench.py --explain        # EXPLAIN ANALYZE of the report queries

Data lives in the database pitstop_bench (BENCH_DATABASE_URL) and is generated once: two
stores with two warehouses each, ~125,000 balance rows, and a ledger spread over two years
whose every line agrees with its balance (on hand = the sum of the part's ledger quantities
in that warehouse, value = the sum of the ledger values). It is written with COPY in one
transaction, so an interrupted run leaves nothing half-made and the next run starts over.

Measured (server time, no network):
  - stock level lookup: GET /api/v1/stock-levels/?part=&warehouse= through Django's test
    client, and the selector alone; median and p95 (target p95 < 20 ms);
  - the stock value report (pitstop.parts.reports.stock_value) for all warehouses of all
    stores, by warehouse, main category and sub-category (target < 1 s);
  - receiving a 100-line delivery with services.stock_receive (target < 1 s);
  - issuing under contention: N threads issue 1 unit at a time from a few hot parts for a
    few seconds; issues/s, refusals, and a check that the ledger agrees with the balances."""

import argparse
import os
import random
import statistics
import sys
import threading
import time
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PG_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/pitstop_bench")
STORE_CODES = ("BS01", "BS02")
HOT_CODES = ("BHOT-1", "BHOT-2", "BHOT-3")
CENT, RATE = Decimal("0.01"), Decimal("0.0001")
MAIN_CATEGORIES = ["发动机", "底盘", "电气", "车身", "保养件", "制动系统", "空调", "轮胎轮辋"]
SUB_CATEGORIES = ["滤清器", "密封件", "传感器", "皮带", "轴承", "灯具", "线束"]
PART_NAMES = [
    "机油滤清器",
    "空气滤清器",
    "空调滤清器",
    "燃油滤清器",
    "前刹车片",
    "后刹车片",
    "刹车盘",
    "火花塞",
    "点火线圈",
    "雨刮片",
    "正时皮带",
    "水泵",
    "节温器",
    "氧传感器",
    "前大灯总成",
    "减震器",
    "球头",
    "轮毂轴承",
    "蓄电池",
    "发电机",
]
TAKERS = ["赵磊", "王强", "李明", "张伟", "刘洋", "陈杰"]
# (kind, sign, weight) of the movements after the opening balance.
KINDS = [
    ("issue", -1, 55),
    ("counter_sale", -1, 10),
    ("exchange_out", -1, 3),
    ("scrap", -1, 1),
    ("stocktake_loss", -1, 1),
    ("purchase_receipt", 1, 22),
    ("return", 1, 4),
    ("exchange_in", 1, 3),
    ("stocktake_gain", 1, 1),
]
REFERENCE_TYPES = {"issue": "issue_slip", "purchase_receipt": "receipt", "counter_sale": "counter_sale"}


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:8.1f} ms"


# --- data -------------------------------------------------------------------------------------


def ensure_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def generate(parts: int, movements: int, seed: int) -> None:
    """Parts, warehouses, balances and a consistent ledger, all in one transaction."""
    from django.db import connection, transaction
    from django.utils import timezone

    from pitstop.accounts.models import Store
    from pitstop.core.text import pinyin_initials
    from pitstop.parts.models import Part, PartCategory, Warehouse

    if Store.objects.filter(code=STORE_CODES[0]).exists():
        return
    rng = random.Random(seed)
    started = time.perf_counter()
    print(f"generating {parts:,} parts and {movements:,} movements (once)…", flush=True)
    with transaction.atomic():
        stores = [
            Store.objects.create(code=STORE_CODES[0], name="基准北京亦庄店"),
            Store.objects.create(code=STORE_CODES[1], name="基准上海闵行店"),
        ]
        warehouses = []
        for store in stores:
            warehouses.append(Warehouse.objects.create(store=store, code="PJ", name=f"{store.name}配件库"))
            warehouses.append(Warehouse.objects.create(store=store, code="PJ2", name=f"{store.name}二号库"))
        subs = []
        for m, main_name in enumerate(MAIN_CATEGORIES, start=1):
            main = PartCategory.objects.create(code=f"B{m:02d}", name=main_name)
            subs.append(main)
            for s, sub_name in enumerate(SUB_CATEGORIES, start=1):
                subs.append(PartCategory.objects.create(code=f"B{m:02d}{s:02d}", name=sub_name, parent=main))
        initials = {name: pinyin_initials(name) for name in PART_NAMES}
        costs = []
        batch = []
        for n in range(1, parts + 1):
            name = rng.choice(PART_NAMES)
            cost = Decimal(rng.randint(500, 200000)) / 100  # ¥5 to ¥2,000
            costs.append(cost)
            category = None if rng.random() < 0.03 else rng.choice(subs)
            batch.append(
                Part(
                    code=f"BP{n:06d}",
                    name=name,
                    name_initials=initials[name],
                    category=category,
                    unit="个",
                    cost_price=cost,
                    sale_price=(cost * Decimal("1.45")).quantize(CENT),
                    default_bin=f"A{rng.randint(1, 40):02d}-{rng.randint(1, 9)}",
                )
            )
        created = []
        for start in range(0, len(batch), 5000):
            created.extend(Part.objects.bulk_create(batch[start : start + 5000]))
        part_ids = [p.pk for p in created]
        print(f"  parts: {time.perf_counter() - started:.0f} s", flush=True)

        # Balance rows: most parts in each store's main warehouse, fewer in the second ones.
        share = (0.9, 0.35, 0.9, 0.35)
        levels = []  # [part index, warehouse index, on hand, average cost, value, last at]
        for index in range(parts):
            for w, chance in enumerate(share):
                if rng.random() < chance:
                    levels.append([index, w, Decimal(0), Decimal(0), Decimal(0), None])
        order = list(range(len(levels)))
        rng.shuffle(order)  # which balances are busy: a few very, most rarely, some never again

        today = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
        first_day = today - timedelta(days=730)
        rest = movements - len(levels)
        per_day = rest // 730
        kinds, weights = zip(*[((k, s), w) for k, s, w in KINDS], strict=True)
        user_ids = []
        counter = 0

        def rows():
            nonlocal counter
            for day in range(731):
                base = first_day + timedelta(days=max(day - 1, 0))
                if day == 0:  # opening balances first, 07:00 to 08:00 of the first day
                    todays = [(base + timedelta(hours=7, seconds=i % 3600), i) for i in range(len(levels))]
                else:
                    count = per_day + (rest - per_day * 730 if day == 730 else 0)
                    todays = sorted(
                        (
                            base + timedelta(seconds=rng.randint(8 * 3600, 19 * 3600)),
                            order[int(len(levels) * rng.random() ** 2.5)],
                        )
                        for _ in range(count)
                    )
                for at, li in todays:
                    counter += 1
                    yield _movement(rng, levels[li], at, day == 0, kinds, weights, costs, counter)

        columns = (
            "at, store_id, warehouse_id, part_id, kind, quantity, unit_cost, value, on_hand_after, "
            "value_after, reference_type, reference_id, reference_no, taken_by, reversal_of_id, "
            "created_by_id, note"
        )
        store_of = [w.store_id for w in warehouses]
        warehouse_ids = [w.pk for w in warehouses]
        del user_ids
        with connection.cursor() as cursor:
            with cursor.cursor.copy(f"COPY parts_stockmovement ({columns}) FROM STDIN") as copy:
                for level, at, kind, qty, unit_cost, value, ref_no, taker in rows():
                    part_index, w = level[0], level[1]
                    copy.write_row(
                        (
                            at,
                            store_of[w],
                            warehouse_ids[w],
                            part_ids[part_index],
                            kind,
                            qty,
                            unit_cost,
                            value,
                            level[2],
                            level[4],
                            REFERENCE_TYPES.get(kind, "bench"),
                            None,
                            ref_no,
                            taker,
                            None,
                            None,
                            "",
                        )
                    )
                    if counter % 250000 == 0:
                        print(f"  {counter:,} movements: {time.perf_counter() - started:.0f} s", flush=True)
            level_columns = (
                "part_id, warehouse_id, bin, on_hand, reserved, average_cost, value, min_level, max_level, "
                "last_movement_at"
            )
            with cursor.cursor.copy(f"COPY parts_stocklevel ({level_columns}) FROM STDIN") as copy:
                for part_index, w, on_hand, average, value, last_at in levels:
                    copy.write_row(
                        (
                            part_ids[part_index],
                            warehouse_ids[w],
                            batch[part_index].default_bin,
                            on_hand,
                            Decimal(0),
                            average,
                            value,
                            Decimal(rng.choice((0, 0, 2, 5))),
                            Decimal(rng.choice((0, 10, 20))),
                            last_at,
                        )
                    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE parts_part; ANALYZE parts_stocklevel; ANALYZE parts_stockmovement;")
    print(
        f"  done: {len(levels):,} balances, {counter:,} movements in {time.perf_counter() - started:.0f} s",
        flush=True,
    )


def _movement(rng, level, at, opening, kinds, weights, costs, counter):
    """The next ledger line of one balance, by the services' own rules (services._post)."""
    on_hand, average, old_value = level[2], level[3], level[4]
    base_cost = costs[level[0]]
    if opening:
        kind, sign = "opening", 1
    else:
        kind, sign = rng.choices(kinds, weights)[0]
        if sign < 0 and on_hand <= 0:
            kind, sign = "purchase_receipt", 1
    if sign > 0:
        qty = Decimal(rng.randint(5, 40) if kind in ("opening", "purchase_receipt") else rng.randint(1, 2))
        if kind in ("opening", "purchase_receipt"):
            unit_cost = (base_cost * Decimal(rng.randint(90, 110)) / 100).quantize(RATE, ROUND_HALF_UP)
        else:
            unit_cost = average or base_cost
        new_on_hand = on_hand + qty
        average = ((old_value + qty * unit_cost) / new_on_hand).quantize(RATE, ROUND_HALF_UP)
    else:
        qty = -min(on_hand, Decimal(rng.randint(1, 4)))
        new_on_hand = on_hand + qty
        unit_cost = average
    value = (new_on_hand * average).quantize(CENT, ROUND_HALF_UP) if new_on_hand else Decimal(0)
    level[2], level[3], level[4], level[5] = new_on_hand, average, value, at
    prefix = {"purchase_receipt": "RK", "opening": "QC", "counter_sale": "XS"}.get(kind, "LL")
    taker = rng.choice(TAKERS) if sign < 0 else ""
    return level, at, kind, qty, unit_cost, value - old_value, f"{prefix}B{counter:08d}", taker


# --- measurements -----------------------------------------------------------------------------


def bench_users():
    from pitstop.accounts.models import Membership, Role, Store, User

    manager, _ = User.objects.get_or_create(username="bench-stock-manager")
    for store in Store.objects.filter(code__in=STORE_CODES):
        Membership.objects.get_or_create(
            user=manager, store=store, defaults={"role": Role.objects.get(code="store_manager")}
        )
    return User.objects.get(pk=manager.pk)


def measure_lookup(user, samples: int, rng) -> None:
    from django.test import Client

    from pitstop.accounts.middleware import ALL_STORES, SESSION_STORE_KEY
    from pitstop.parts import selectors
    from pitstop.parts.api import StockLevelSerializer
    from pitstop.parts.models import StockLevel

    ids = list(
        StockLevel.objects.filter(warehouse__store__code__in=STORE_CODES)
        .order_by("?")
        .values_list("part_id", "warehouse_id")[: samples + 20]
    )
    rng.shuffle(ids)
    client = Client()
    client.force_login(user)
    session = client.session
    session[SESSION_STORE_KEY] = ALL_STORES
    session.save()
    api, selector, selector_serialised = [], [], []
    for i, (part_id, warehouse_id) in enumerate(ids):
        started = time.perf_counter()
        response = client.get("/api/v1/stock-levels/", {"part": part_id, "warehouse": warehouse_id})
        took = time.perf_counter() - started
        assert response.status_code == 200 and response.json()["count"] == 1, response.content[:300]
        started = time.perf_counter()
        level = selectors.levels_for(user).get(part_id=part_id, warehouse_id=warehouse_id)
        raw = time.perf_counter() - started
        StockLevelSerializer(level).data  # noqa: B018
        serialised = time.perf_counter() - started
        if i >= 20:  # the first ones warm connections and caches
            api.append(took)
            selector.append(raw)
            selector_serialised.append(serialised)
    print(f"\nStock level lookup, {len(api)} random (part, warehouse) pairs        median       p95")
    for label, values in (
        ("GET /api/v1/stock-levels/?part=&warehouse=", api),
        ("selector levels_for(user).get(...)", selector),
        ("selector + StockLevelSerializer", selector_serialised),
    ):
        p95 = percentile(values, 0.95)
        verdict = "ok" if p95 < 0.020 else "MISSED (target 20 ms)"
        print(f"  {label:<46}{ms(statistics.median(values))}{ms(p95)}   {verdict}")


def measure_report(user, runs: int = 5) -> None:
    from django.db.models import Count
    from django.utils import timezone

    from pitstop.parts import reports
    from pitstop.parts.models import Part, StockMovement

    print("\nStock value report, all warehouses of all stores (balance rows)   median       max")
    for by in ("warehouse", "category", "subcategory"):
        times = []
        for _ in range(runs + 1):
            started = time.perf_counter()
            report = reports.stock_value(user=user, store=None, by=by)
            times.append(time.perf_counter() - started)
        times = times[1:]
        verdict = "ok" if max(times) < 1 else "MISSED (target 1 s)"
        print(
            f"  by {by:<12} {len(report.rows):>4} rows, ¥{report.total_value:>16,}"
            f"  {ms(statistics.median(times))}{ms(max(times))}   {verdict}"
        )
    times = []
    for _ in range(3):
        started = time.perf_counter()
        page = reports.slow_movers(user=user, store=None, days=90)
        rows = list(page.levels.order_by("-value")[:50])
        times.append(time.perf_counter() - started)
    print(
        f"  slow movers (90 days): {page.count:,} balances, ¥{page.total_value:,} tied up;"
        f" first page {ms(statistics.median(times))}"
    )
    del rows
    today = timezone.localdate()
    for by, days in (("part", 30), ("category", 30), ("part", 365)):
        started = time.perf_counter()
        report = reports.turnover(
            user=user, store=None, by=by, date_from=today - timedelta(days=days - 1), date_to=today
        )
        took = time.perf_counter() - started
        print(
            f"  turnover, last {days} days per {by}: {len(report.rows):,} rows,"
            f" turnover {report.total.ratio}, {ms(took).strip()} (reads the ledger since the start)"
        )
    busiest = StockMovement.objects.values("part_id").annotate(n=Count("id")).order_by("-n").first()
    code = Part.objects.get(pk=busiest["part_id"]).code
    started = time.perf_counter()
    history = reports.movement_history(user=user, store=None, part_code=code)
    count, first_page = history.count(), list(history.select_related("part", "created_by")[:50])
    print(
        f"  movement history of the busiest part ({busiest['n']:,} movements): count + first page"
        f" {ms(time.perf_counter() - started).strip()}"
    )
    del count, first_page


def measure_receive(user, runs: int, rng) -> None:
    from pitstop.parts import services
    from pitstop.parts.models import Part, Warehouse

    warehouse = Warehouse.objects.get(store__code=STORE_CODES[0], code="PJ")
    top = Part.objects.filter(code__startswith="BP").order_by("-id").values_list("id", flat=True).first()
    times = []
    for run in range(runs + 1):
        ids = rng.sample(range(top - 49999, top + 1), 100)
        parts = list(Part.objects.filter(pk__in=ids))
        lines = [(p, Decimal(rng.randint(1, 20)), Decimal(rng.randint(500, 90000)) / 100) for p in parts]
        started = time.perf_counter()
        services.stock_receive(
            actor=user,
            warehouse=warehouse,
            lines=lines,
            reference=services.Reference("receipt", None, f"RKBENCH{run:04d}"),
            note="基准测试",
        )
        if run:
            times.append(time.perf_counter() - started)
    verdict = "ok" if max(times) < 1 else "MISSED (target 1 s)"
    print(
        f"\nReceiving a 100-line delivery (services.stock_receive), {len(times)} runs:"
        f" median {ms(statistics.median(times)).strip()}, max {ms(max(times)).strip()}   {verdict}"
    )


def measure_contention(user, threads: int, seconds: float, stock: int) -> None:
    from django.db import connection
    from django.db.models import Sum

    from pitstop.core.exceptions import ApplicationError
    from pitstop.parts import services
    from pitstop.parts.models import Part, StockLevel, StockMovement, Warehouse

    warehouse = Warehouse.objects.get(store__code=STORE_CODES[0], code="PJ")
    hot = []
    for code in HOT_CODES:
        part, _ = Part.objects.get_or_create(
            code=code, defaults={"name": "机油滤清器(热门)", "name_initials": "jylqq", "cost_price": 30}
        )
        hot.append(part)
    for part in hot:  # bring each hot part to the same stock, so every run starts alike
        level = StockLevel.objects.filter(part=part, warehouse=warehouse).first()
        difference = stock - (int(level.on_hand) if level else 0)
        if difference > 0:
            services.stock_receive(actor=user, warehouse=warehouse, lines=[(part, difference, "30")])
        elif difference < 0:
            services.stock_issue(actor=user, warehouse=warehouse, lines=[(part, -difference)], kind="scrap")
    before = StockMovement.objects.filter(part__in=hot, warehouse=warehouse).order_by("-id").first().pk
    counts = {"issued": 0, "refused": 0, "errors": 0}
    lock = threading.Lock()
    stop_at = time.perf_counter() + seconds

    def worker(number: int) -> None:
        rng = random.Random(number)
        done = {"issued": 0, "refused": 0, "errors": 0}
        try:
            while time.perf_counter() < stop_at:
                part = rng.choice(hot)
                try:
                    services.stock_issue(
                        actor=None, warehouse=warehouse, lines=[(part, 1)], taken_by=TAKERS[number % 6]
                    )
                    done["issued"] += 1
                except ApplicationError as error:
                    done["refused" if error.code == "insufficient_stock" else "errors"] += 1
        finally:
            connection.close()
            with lock:
                for key, value in done.items():
                    counts[key] += value

    started = time.perf_counter()
    workers = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    took = time.perf_counter() - started
    issued_in_ledger = StockMovement.objects.filter(
        part__in=hot, warehouse=warehouse, pk__gt=before, kind="issue"
    ).count()
    agrees = all(
        level.on_hand
        == (
            StockMovement.objects.filter(part=level.part_id, warehouse=warehouse).aggregate(
                s=Sum("quantity")
            )["s"]
        )
        and level.value
        == StockMovement.objects.filter(part=level.part_id, warehouse=warehouse).aggregate(s=Sum("value"))[
            "s"
        ]
        and level.on_hand >= 0
        for level in StockLevel.objects.filter(part__in=hot, warehouse=warehouse)
    )
    print(
        f"\nIssuing under contention: {threads} threads, 1 unit at a time from {len(hot)} hot parts"
        f" ({stock} each on hand), {took:.1f} s"
    )
    print(
        f"  {counts['issued']:,} issued ({counts['issued'] / took:,.0f} issues/s),"
        f" {counts['refused']:,} refused (none left), {counts['errors']} other errors;"
        f" {(counts['issued'] + counts['refused']) / took:,.0f} attempts/s;"
        f" ledger has {issued_in_ledger:,} new issues;"
        f" on hand = Σ ledger quantities and value = Σ ledger values: {'yes' if agrees else 'NO'}"
    )
    emptied = StockLevel.objects.filter(part__in=hot, warehouse=warehouse, on_hand=0).count()
    if counts["refused"]:
        print(f"  refusals came only once a part had run out: {emptied} of {len(hot)} hot parts at 0")
    assert issued_in_ledger == counts["issued"] and agrees and (emptied or not counts["refused"])


def explain() -> None:
    """EXPLAIN ANALYZE of the report and lookup queries, to see where time goes."""
    from django.db import connection

    from pitstop.parts import reports, selectors
    from pitstop.parts.models import StockLevel

    user = bench_users()
    level = StockLevel.objects.filter(warehouse__store__code=STORE_CODES[0]).order_by("pk").first()
    queries = {
        "lookup": selectors.levels_for(user).filter(part_id=level.part_id, warehouse_id=level.warehouse_id),
    }
    for by in ("warehouse", "category", "subcategory"):
        queries[f"value by {by}"] = reports.value_queryset(user=user, store=None, by=by)
    for label, queryset in queries.items():
        sql, params = queryset.query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
            print(f"\n== {label}\n" + "\n".join(row[0] for row in cursor.fetchall()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parts", type=int, default=50000)
    parser.add_argument("--movements", type=int, default=2000000)
    parser.add_argument("--samples", type=int, default=300, help="stock level lookups")
    parser.add_argument("--receipts", type=int, default=10, help="100-line deliveries")
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--hot-stock", type=int, default=800, help="units on hand of each hot part")
    parser.add_argument("--generate-only", action="store_true")
    parser.add_argument("--explain", action="store_true")
    args = parser.parse_args()

    ensure_database(PG_URL)
    os.environ["DATABASE_URL"] = PG_URL
    os.environ.setdefault("PITSTOP_VAR_DIR", str(ROOT / "var" / "bench"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        call_command("migrate", verbosity=0)
    generate(args.parts, args.movements, seed=3)
    if args.generate_only:
        return
    if args.explain:
        explain()
        return
    from pitstop.parts.models import StockLevel, StockMovement

    user = bench_users()
    print(
        f"\n== PostgreSQL {connection.pg_version // 10000}: {StockLevel.objects.count():,} balances,"
        f" ~{StockMovement.objects.order_by('-id').values_list('id', flat=True).first():,} movements =="
    )
    rng = random.Random(7)
    measure_lookup(user, args.samples, rng)
    measure_report(user)
    measure_receive(user, args.receipts, rng)
    measure_contention(user, args.threads, args.seconds, args.hot_stock)


if __name__ == "__main__":
    began = time.perf_counter()
    main()
    print(f"\n(total {time.perf_counter() - began:.0f} s)")
