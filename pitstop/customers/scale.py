"""Scale data for benchmarks: hundreds of thousands of customers and vehicles in bulk.

Bypasses the services on purpose (one audit row per record would measure the audit, not the
search) but computes every derived column the services would: codes, pinyin, reversed keys."""

import datetime
import time

from django.db import transaction

from pitstop.accounts.models import Store
from pitstop.core.models import DocumentSequence
from pitstop.core.text import pinyin_full, pinyin_initials, reverse

from .fakes import Faker
from .models import Customer, Vehicle

BATCH = 5000


def generate(*, customers: int, seed: int = 1, store_code: str = "BENCH", log=print) -> dict:
    store, _ = Store.objects.get_or_create(code=store_code, defaults={"name": f"压测门店 {store_code}"})
    already = Customer.objects.filter(store=store).count()
    if already >= customers:
        log(f"{store_code}: {already} customers already there")
        return {"store": store, "customers": already, "vehicles": Vehicle.objects.filter(store=store).count()}
    faker = Faker(seed + already)
    mobiles = set(Customer.objects.filter(store=store).values_list("mobile", flat=True))
    vins = set(Vehicle.objects.filter(store=store).values_list("vin", flat=True))
    pinyin_cache: dict[str, tuple[str, str]] = {}
    started = time.monotonic()
    number = already
    vehicle_number = Vehicle.objects.filter(store=store).count()
    province = "京"
    while number < customers:
        batch_size = min(BATCH, customers - number)
        people = []
        for _ in range(batch_size):
            number += 1
            name = faker.person_name() if number % 15 else faker.company_name(province)
            if name not in pinyin_cache:
                pinyin_cache[name] = (pinyin_initials(name), pinyin_full(name))
            mobile = faker.mobile()
            while mobile in mobiles:
                mobile = faker.mobile()
            mobiles.add(mobile)
            people.append(
                Customer(
                    store=store,
                    code=f"KH{store_code}{number:07d}",
                    name=name,
                    name_initials=pinyin_cache[name][0],
                    name_pinyin=pinyin_cache[name][1],
                    mobile=mobile,
                    mobile_reversed=reverse(mobile),
                    kind="company" if number % 15 == 0 else "person",
                    address=faker.address(province),
                )
            )
        with transaction.atomic():
            people = Customer.objects.bulk_create(people)
            cars = []
            for person in people:
                # 1.5 vehicles per customer on average.
                for _ in range(2 if faker.rng.random() < 0.5 else 1):
                    make = faker.make()
                    year = faker.rng.randint(2016, 2025)
                    vin = faker.vin(make, year)
                    while vin in vins:
                        vin = faker.vin(make, year)
                    vins.add(vin)
                    vehicle_number += 1
                    plate = faker.plate(province, make.fuel == "bev")
                    cars.append(
                        Vehicle(
                            store=store,
                            file_no=f"CL{store_code}{vehicle_number:07d}",
                            owner=person,
                            vin=vin,
                            vin_reversed=reverse(vin),
                            plate=plate,
                            brand=make.brand,
                            series=faker.rng.choice(make.series),
                            model_year=year,
                            purchase_date=datetime.date(
                                year, faker.rng.randint(1, 12), faker.rng.randint(1, 28)
                            ),
                        )
                    )
            Vehicle.objects.bulk_create(cars)
        log(
            f"{store_code}: {number}/{customers} customers, {vehicle_number} vehicles "
            f"({time.monotonic() - started:.0f} s)"
        )
    for prefix, last in (("KH", number), ("CL", vehicle_number)):
        DocumentSequence.objects.update_or_create(
            key=f"{prefix}:{store_code}", defaults={"last_number": last}
        )
    return {"store": store, "customers": number, "vehicles": vehicle_number}
