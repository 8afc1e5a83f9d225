"""The workshop board with 150 open work orders, and the booking capacity check (issue #4).

    .venv/bin/python bench/board_bench.py                    # SQLite in a temporary file
    .venv/bin/python bench/board_bench.py --requests 50      # a quicker look
    .venv/bin/python bench/board_bench.py --freeze           # start-up heap frozen (gc.freeze)
    DATABASE_URL=postgres://... .venv/bin/python bench/board_bench.py   # that database instead

Data: one store with 13 bays (maintenance, mechanical, body, paint), 12 technicians in three
teams, and 150 open work orders spread over every state of the board, each with labour and
part lines (some parts still to order or ordered, some add-on work waiting for the owner),
assignments with technicians for the dispatched ones (body work followed by paint), quality
checks for those past the work; 400 appointments over the next two weeks for the capacity
check. On SQLite the data lives in a temporary file removed afterwards; with DATABASE_URL it is
generated once in that database (store BENCHB) and kept.

Measured (server time, no network): the board page and its 30-second HTMX refresh, and the
TV view, through Django's test client (median, p95 over --requests requests) with their query
counts; `capacity.is_free` and `capacity.nearest_free` (median, p95). Wall-clock time and the
process's CPU time are both shown: on a busy machine the wall clock measures the neighbours
too. Targets: the board under
150 ms at p95 with a fixed number of queries, a capacity check under 50 ms."""

import argparse
import datetime
import gc
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
STORE_CODE = "BENCHB"
MODELS = [
    ("大众", "朗逸"),
    ("大众", "帕萨特"),
    ("丰田", "凯美瑞"),
    ("本田", "雅阁"),
    ("别克", "君威"),
    ("日产", "轩逸"),
]
LABOUR = [
    ("更换机油机滤", "maintenance"),
    ("更换前刹车片", "mechanical"),
    ("前保险杠钣金", "body"),
    ("前保险杠喷漆", "paint"),
]
# How many of the 150 orders sit in each column (a busy afternoon).
SPREAD = {
    "confirmed": 18,
    "dispatched": 22,
    "in_progress": 45,
    "waiting_parts": 15,
    "waiting_approval": 12,
    "checking": 14,
    "washing": 10,
    "ready": 14,
}


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def row(label: str, timing: tuple[list[float], list[float]], queries: int) -> str:
    wall, cpu = timing
    return (
        f"{label:<32}{statistics.median(wall):>7.1f} ms{percentile(wall, 0.95):>7.1f} ms"
        f"{statistics.median(cpu):>9.1f} ms{percentile(cpu, 0.95):>7.1f} ms{queries:>9}"
    )


HEADER = f"{'median':>10}{'p95':>10}{'CPU median':>12}{'p95':>10}{'queries':>9}"


def timed(function, samples: int) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU time (this thread) of each call, in ms. The CPU time is the server's
    own work; the wall clock adds the database's time and whatever else the machine runs."""
    for _ in range(min(10, samples)):  # warm caches, templates and plans
        function()
    wall, cpu = [], []
    for _ in range(samples):
        started, started_cpu = time.perf_counter(), time.thread_time()
        function()
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.thread_time() - started_cpu) * 1000)
    return wall, cpu


def generate(orders: int):
    from django.db import transaction
    from django.utils import timezone

    from pitstop.accounts.models import Membership, Role, Store, User
    from pitstop.customers.tests.factories import CustomerFactory, VehicleFactory
    from pitstop.service.models import Appointment, Approval, Bay, BayType, OrderPart, WorkshopSettings
    from pitstop.service.tests.factories import OrderLabourFactory, OrderPartFactory, RepairOrderFactory
    from pitstop.workshop.models import QualityCheck
    from pitstop.workshop.tests.factories import AssignmentFactory, QualityCheckFactory, TeamFactory

    store = Store.objects.filter(code=STORE_CODE).first()
    if store is not None:
        return store, User.objects.get(username="bench-dispatcher")
    rng = random.Random(4)
    now = timezone.now()
    with transaction.atomic():
        store = Store.objects.create(code=STORE_CODE, name="基准测试店")
        ws, _created = WorkshopSettings.objects.get_or_create(store=store)
        ws.opens_at, ws.closes_at, ws.slot_minutes, ws.open_weekdays = (
            datetime.time(8, 30),
            datetime.time(18, 0),
            30,
            "1234567",
        )
        ws.save()

        def person(username: str, role: str, name: str) -> User:
            user = User.objects.create_user(username=username, password="bench", full_name=name)
            Membership.objects.create(user=user, store=store, role=Role.objects.get(code=role))
            return user

        dispatcher = person("bench-dispatcher", "dispatcher", "周调度")
        advisors = [person(f"bench-advisor-{n}", "advisor", f"顾问{n}") for n in range(4)]
        techs = [person(f"bench-tech-{n}", "technician", f"技师{n}") for n in range(12)]
        inspector = person("bench-qc", "qc_inspector", "赵质检")
        for n in range(3):
            TeamFactory(store=store, name=f"{n + 1}组", leader=techs[n * 4], members=techs[n * 4 : n * 4 + 4])
        bays = {
            BayType.MAINTENANCE: [
                Bay(store=store, bay_type=BayType.MAINTENANCE, name=f"快保{n + 1}") for n in range(6)
            ],
            BayType.MECHANICAL: [
                Bay(store=store, bay_type=BayType.MECHANICAL, name=f"机修{n + 1}") for n in range(3)
            ],
            BayType.BODY: [Bay(store=store, bay_type=BayType.BODY, name=f"钣金{n + 1}") for n in range(2)],
            BayType.PAINT: [
                Bay(store=store, bay_type=BayType.PAINT, name=f"烤漆房{n + 1}") for n in range(2)
            ],
        }
        for group in bays.values():
            Bay.objects.bulk_create(group)

        statuses = [status for status, count in SPREAD.items() for _ in range(count)]
        statuses = (statuses * (orders // len(statuses) + 1))[:orders]
        for n, status in enumerate(statuses):
            brand, series = rng.choice(MODELS)
            vehicle = VehicleFactory(
                owner=CustomerFactory(store=store), plate=f"京B{n:05d}", brand=brand, series=series
            )
            start = now + datetime.timedelta(minutes=rng.randint(-300, 120))
            order = RepairOrderFactory(
                vehicle=vehicle,
                advisor=rng.choice(advisors),
                number=f"WXBENCH{n:05d}",
                status=status,
                priority=rng.choice([0, 0, 0, 0, 1, 2]),
                promised_at=start + datetime.timedelta(hours=rng.randint(1, 8)),
                started_at=start if status not in ("confirmed", "dispatched") else None,
                signature="data:image/png;base64," + "A" * 6000,  # signed on the tablet
            )
            kinds = [rng.choice(LABOUR)] if n % 5 else [LABOUR[2], LABOUR[3]]  # every fifth: body, then paint
            for name, bay_type in kinds:
                OrderLabourFactory(
                    order=order, name=name, bay_type=bay_type, hours=Decimal(rng.choice(["1", "1.5", "3"]))
                )
            supply = rng.choice([OrderPart.Supply.RESERVED, OrderPart.Supply.ISSUED])
            if status == "waiting_parts" or n % 7 == 0:
                supply = rng.choice([OrderPart.Supply.TO_ORDER, OrderPart.Supply.ORDERED])
            OrderPartFactory(
                order=order, supply=supply, expected_on=timezone.localdate() + datetime.timedelta(days=2)
            )
            OrderPartFactory(order=order, supply=OrderPart.Supply.RESERVED)
            if status == "waiting_approval":
                OrderLabourFactory(order=order, name="更换雨刮片", is_addon=True, approval=Approval.PENDING)
            if status == "confirmed":
                continue
            begin = start
            for _name, bay_type in kinds:
                end = begin + datetime.timedelta(hours=rng.choice([1, 2, 3]))
                AssignmentFactory(
                    order=order,
                    bay_type=bay_type,
                    bay=rng.choice(bays[bay_type]) if rng.random() < 0.9 else None,
                    technicians=rng.sample(techs, rng.choice([1, 1, 2])),
                    planned_start=begin,
                    planned_end=end,
                    dispatched_by=dispatcher,
                )
                begin = end
            if status in ("checking", "washing", "ready"):
                QualityCheckFactory(order=order, stage=QualityCheck.Stage.SELF, checked_by=techs[0])
                QualityCheckFactory(order=order, stage=QualityCheck.Stage.FINAL, checked_by=inspector)

        # Bookings over the next two weeks, for the capacity check.
        zone = timezone.get_current_timezone()
        appointments = []
        for n in range(400):
            day = timezone.localdate() + datetime.timedelta(days=rng.randint(0, 13))
            starts = datetime.datetime.combine(day, datetime.time(8, 30), tzinfo=zone) + datetime.timedelta(
                minutes=30 * rng.randint(0, 16)
            )
            hours = rng.choice([1, 1, 1.5, 2])
            appointments.append(
                Appointment(
                    store=store,
                    number=f"YYBENCH{n:05d}",
                    mobile="13800000000",
                    content="常规保养",
                    bay_type=rng.choice([BayType.MAINTENANCE] * 3 + [BayType.MECHANICAL]),
                    starts_at=starts,
                    ends_at=starts + datetime.timedelta(minutes=int(hours * 60)),
                    hours=Decimal(str(hours)),
                    plate=f"京C{n:05d}",
                )
            )
        Appointment.objects.bulk_create(appointments)
    return store, dispatcher


def run(args) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, override_settings
    from django.utils import timezone

    from pitstop.service import capacity
    from pitstop.service.models import BayType, RepairOrder

    # Pages through the test client without collectstatic: serve static files by name.
    override_settings(
        STORAGES={
            "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        }
    ).enable()
    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    store, user = generate(args.orders)
    print(f"data ready in {time.perf_counter() - started:.1f} s")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")

    if args.freeze:
        # What a server worker does after start-up (see the note of the bench's output): the
        # objects alive now are never scanned again by the cyclic garbage collector.
        gc.collect()
        gc.freeze()
    client = Client()
    client.force_login(user)
    session = client.session
    session["pitstop_store_id"] = store.pk
    session.save()
    on_board = RepairOrder.objects.filter(store=store, status__in=RepairOrder.ON_BOARD).count()
    note = ", start-up objects frozen (gc.freeze)" if args.freeze else ", default garbage collector"
    print(f"\n== {connection.vendor}: {on_board} work orders on the board{note} ==")

    def page(url, **headers):
        def call():
            response = client.get(url, headers=headers)
            assert response.status_code == 200, response.status_code

        return call

    cases = [
        ("board page", page("/workshop/board/")),
        ("board refresh (HTMX partial)", page("/workshop/board/", HX_Request="true", HX_Target="board-grid")),
        ("board, body bays only", page("/workshop/board/?bay_type=body")),
        ("TV view", page("/workshop/board/tv/")),
    ]
    print(f"{'request':<32}{HEADER}")
    for label, call in cases:
        call()  # the first request also loads the session and the user's roles
        with CaptureQueriesContext(connection) as queries:
            call()
        count = len(queries)  # before the next requests reset the connection's log
        times = timed(call, args.requests)
        print(row(label, times, count))

    rng = random.Random(7)
    zone = timezone.get_current_timezone()
    today = timezone.localdate()

    def wanted():
        day = today + datetime.timedelta(days=rng.randint(1, 13))
        return datetime.datetime.combine(day, datetime.time(8, 30), tzinfo=zone) + datetime.timedelta(
            minutes=30 * rng.randint(0, 16)
        )

    checks = [
        ("capacity.is_free", lambda: capacity.is_free(store, wanted(), BayType.MAINTENANCE, Decimal("1.5"))),
        (
            "capacity.nearest_free (3)",
            lambda: capacity.nearest_free(store, wanted(), BayType.MAINTENANCE, Decimal("1.5")),
        ),
    ]
    print(f"\n{'capacity check':<32}{HEADER}")
    for label, call in checks:
        with CaptureQueriesContext(connection) as queries:
            call()
        count = len(queries)
        times = timed(call, args.capacity)
        print(row(label, times, count))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=150)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--capacity", type=int, default=200)
    parser.add_argument(
        "--freeze",
        action="store_true",
        help="gc.freeze() before measuring, as a worker would after start-up: without it, a full "
        "collection of the start-up heap (Django, the generated data) lands in about 1 request in 20",
    )
    args = parser.parse_args()
    temporary = None
    if not os.environ.get("DATABASE_URL"):
        temporary = tempfile.mkdtemp(prefix="pitstop-board-bench-")
        os.environ["PITSTOP_VAR_DIR"] = temporary  # settings put the SQLite file there
    try:
        run(args)
    finally:
        if temporary:
            shutil.rmtree(temporary, ignore_errors=True)


if __name__ == "__main__":
    main()
