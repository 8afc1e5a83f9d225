"""Search over 200,000 customers and 300,000 vehicles on SQLite and PostgreSQL (issue #2).

    .venv/bin/python bench/search_bench.py               # both databases
    .venv/bin/python bench/search_bench.py --db sqlite   # one of them
    .venv/bin/python bench/search_bench.py --customers 20000 --samples 50   # a quick look

Prints median and p95 of the server time of one search, for a plate fragment, a VIN tail, a
mobile fragment and pinyin initials: the selector alone, and the whole request (middleware,
view, template) through Django's test client. Data is generated once per database and kept
(var/bench/ for SQLite, database pitstop_bench on PostgreSQL)."""

import argparse
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PG_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/pitstop_bench")


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def run_one(customers: int, samples: int) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from pitstop.accounts.models import Membership, Role, User
    from pitstop.customers.models import Customer, Vehicle
    from pitstop.customers.scale import generate
    from pitstop.customers.selectors import search_files

    call_command("migrate", verbosity=0)
    result = generate(customers=customers, seed=1, store_code="BENCH", log=lambda line: None)
    store = result["store"]
    user, _ = User.objects.get_or_create(username="bench-advisor")
    Membership.objects.get_or_create(
        user=user, store=store, defaults={"role": Role.objects.get(code="advisor")}
    )
    user = User.objects.get(pk=user.pk)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE customers_customer; ANALYZE customers_vehicle;")

    rng = random.Random(42)
    max_vehicle = Vehicle.objects.filter(store=store).order_by("-id").values_list("id", flat=True).first()
    max_customer = Customer.objects.filter(store=store).order_by("-id").values_list("id", flat=True).first()
    vehicles = list(
        Vehicle.objects.filter(
            store=store, id__in=[rng.randint(1, max_vehicle) for _ in range(samples * 3)]
        ).values_list("plate", "vin")[:samples]
    )
    people = list(
        Customer.objects.filter(
            store=store, id__in=[rng.randint(1, max_customer) for _ in range(samples * 3)]
        ).values_list("mobile", "name_initials")[:samples]
    )
    kinds = {
        "plate fragment (3 chars)": [plate[2:5] for plate, _vin in vehicles],
        "VIN tail (6 chars)": [vin[-6:] for _plate, vin in vehicles],
        "mobile tail (4 digits)": [mobile[-4:] for mobile, _i in people],
        "mobile middle (4 digits)": [mobile[3:7] for mobile, _i in people],
        "pinyin initials": [initials[:3] for _m, initials in people],
    }
    client = Client()
    client.force_login(user)
    session = client.session
    session["pitstop_store_id"] = store.pk
    session.save()
    print(
        f"\n== {connection.vendor}: {Customer.objects.filter(store=store).count():,} customers, "
        f"{Vehicle.objects.filter(store=store).count():,} vehicles =="
    )
    print(f"{'query':<28}{'selector median':>16}{'p95':>9}{'request median':>17}{'p95':>9}   hits")
    for label, queries in kinds.items():
        for query in queries[:10]:  # warm caches and plans
            search_files(user=user, query=query, store=store)
        selector_ms, request_ms, hits = [], [], 0
        for query in queries:
            started = time.perf_counter()
            found = search_files(user=user, query=query, store=store)
            selector_ms.append((time.perf_counter() - started) * 1000)
            hits += bool(found["customers"] or found["vehicles"])
            started = time.perf_counter()
            response = client.get(
                "/search/", {"q": query}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="search-results"
            )
            request_ms.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200
        selector = f"{statistics.median(selector_ms):>13.1f} ms{percentile(selector_ms, 0.95):>6.1f} ms"
        request = f"{statistics.median(request_ms):>14.1f} ms{percentile(request_ms, 0.95):>6.1f} ms"
        print(f"{label:<28}{selector}{request}   {hits}/{len(queries)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "all"], default="all")
    parser.add_argument("--customers", type=int, default=200000)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run_one(args.customers, args.samples)
        return
    targets = ["sqlite", "postgres"] if args.db == "all" else [args.db]
    for target in targets:
        env = {**os.environ, "PITSTOP_VAR_DIR": str(ROOT / "var" / "bench")}
        env.pop("DATABASE_URL", None)
        if target == "postgres":
            env["DATABASE_URL"] = PG_URL
            _ensure_pg_database(PG_URL)
        subprocess.run(
            [
                sys.executable,
                __file__,
                "--child",
                "--customers",
                str(args.customers),
                "--samples",
                str(args.samples),
            ],
            env=env,
            check=True,
        )


def _ensure_pg_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


if __name__ == "__main__":
    main()
