"""How long a shop's 5,000-row import takes: the preview check and the all-or-nothing import.

.venv/bin/python bench/import_bench.py                 # SQLite in var/bench-import/
DATABASE_URL=postgres://postgres@127.0.0.1:5432/pitstop_import .venv/bin/python bench/import_bench.py
"""

import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("PITSTOP_VAR_DIR", str(ROOT / "var" / "bench-import"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from pitstop.accounts.models import Store, User  # noqa: E402
from pitstop.customers import importing  # noqa: E402
from pitstop.customers.fakes import Faker  # noqa: E402
from pitstop.customers.models import Customer, ImportBatch, Vehicle  # noqa: E402

ROWS = int(os.environ.get("ROWS", importing.MAX_ROWS))

call_command("migrate", verbosity=0)
store = Store.objects.get_or_create(code="IMP", defaults={"name": "导入测试店"})[0]
Vehicle.objects.filter(store=store).delete()
Customer.objects.filter(store=store).delete()
ImportBatch.objects.filter(store=store).delete()
user = User.objects.get_or_create(username="import-bench")[0]
faker = Faker(5)
lines = ["姓名,手机,车牌,VIN,品牌,购车日期,购车里程"]
mobiles = set()
while len(lines) <= ROWS:
    make = faker.make()
    mobile = faker.mobile()
    if mobile in mobiles:
        continue
    mobiles.add(mobile)
    lines.append(
        f"{faker.person_name()},{mobile},{faker.plate('京', make.fuel == 'bev')},{faker.vin(make, 2022)},"
        f"{make.brand},2022-05-01,12"
    )
content = "\n".join(lines).encode()

started = time.perf_counter()
batch, preview = importing.import_preview(actor=user, store=store, filename="old.csv", content=content)
checked = time.perf_counter() - started
assert not preview.problems, preview.problems[:3]
started = time.perf_counter()
importing.import_confirm(actor=user, batch=batch)
imported = time.perf_counter() - started
customers, vehicles = (
    Customer.objects.filter(store=store).count(),
    Vehicle.objects.filter(store=store).count(),
)
print(
    f"{connection.vendor}: {ROWS} rows — preview check {checked:.1f} s, import {imported:.1f} s "
    f"({customers} customers, {vehicles} vehicles)"
)
