"""The demo shop: HQ and two stores, one login per role, ~200 customers and ~300 vehicles."""

import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from pitstop.accounts.models import Store
from pitstop.accounts.services import staff_create, store_create, store_grant

from .fakes import Faker
from .models import Customer
from .services import customer_create, tier_save, vehicle_create, vehicle_record_mileage

DEMO_PASSWORD = "pitstop-demo"
STORES = [
    ("HQ", "Pitstop 售后总部", True, "京"),
    ("BJ01", "北京朝阳店", False, "京"),
    ("SH01", "上海浦东店", False, "沪"),
]
# (username, role, store code, full name)
STAFF = [
    ("advisor", "advisor", "BJ01", "李明（服务顾问）"),
    ("dispatcher", "dispatcher", "BJ01", "王强（车间调度）"),
    ("technician", "technician", "BJ01", "赵磊（维修技师）"),
    ("teamleader", "team_leader", "BJ01", "孙涛（班组长）"),
    ("inspector", "qc_inspector", "BJ01", "周杰（质检员）"),
    ("warehouse", "warehouse", "BJ01", "吴敏（仓库管理员）"),
    ("cashier", "cashier", "BJ01", "郑丽（收银员）"),
    ("care", "care_agent", "BJ01", "陈静（客服专员）"),
    ("manager", "store_manager", "BJ01", "刘洋（服务经理）"),
    ("advisor2", "advisor", "SH01", "黄伟（服务顾问·上海）"),
    ("hq", "hq", "HQ", "杨帆（厂家售后）"),
    ("admin", "admin", "HQ", "系统管理员"),
]
TIERS = [  # code, name, rank, price type, months, fee, points, single spend, labour %, parts %, default
    ("01", "一般客户", 0, "retail", None, "0", 0, "0", "0", "0", True),
    ("02", "白金会员", 1, "member", 12, "200", 2000, "3000", "5", "3", False),
    ("03", "钻石会员", 2, "member", 12, "500", 5000, "8000", "10", "5", False),
    ("04", "VIP尊贵会员", 3, "vip", 24, "1000", 10000, "20000", "15", "8", False),
]


def demo_present() -> bool:
    return Store.objects.filter(code="BJ01").exists()


@transaction.atomic
def load_demo(*, customers_per_store: int = 100, seed: int = 2026) -> dict:
    if demo_present():
        return {"created": False}
    stores = {code: store_create(code=code, name=name, is_headquarters=hq) for code, name, hq, _p in STORES}
    for username, role, store_code, full_name in STAFF:
        staff_create(
            username=username,
            password=DEMO_PASSWORD,
            store=stores[store_code],
            role_code=role,
            full_name=full_name,
        )
    # The store manager of Beijing also looks after Shanghai: a grant across stores.
    from pitstop.accounts.models import User

    store_grant(user=User.objects.get(username="manager"), store=stores["SH01"], role_code="store_manager")
    faker = Faker(seed)
    today = timezone.localdate()
    counts = {"customers": 0, "vehicles": 0}
    for code, _name, hq, province in STORES:
        if hq:
            continue
        store = stores[code]
        tiers = [
            tier_save(
                actor=None,
                store=store,
                data={
                    "code": t[0],
                    "name": t[1],
                    "rank": t[2],
                    "price_type": t[3],
                    "valid_months": t[4],
                    "fee": Decimal(t[5]),
                    "points_required": t[6],
                    "single_spend_threshold": Decimal(t[7]),
                    "labour_discount_pct": Decimal(t[8]),
                    "parts_discount_pct": Decimal(t[9]),
                    "is_default": t[10],
                },
            )
            for t in TIERS
        ]
        for index in range(customers_per_store):
            company = index % 12 == 11
            name = faker.company_name(province) if company else faker.person_name()
            customer = customer_create(
                actor=None,
                store=store,
                data={
                    "kind": Customer.Kind.COMPANY if company else Customer.Kind.PERSON,
                    "customer_type": Customer.CustomerType.COMPANY
                    if company
                    else Customer.CustomerType.PRIVATE,
                    "name": name,
                    "mobile": _unique_mobile(faker, store),
                    "gender": "" if company else faker.rng.choice(["male", "female"]),
                    "address": faker.address(province),
                    "birthday": None if company else faker.birthday(),
                    "source": faker.rng.choice(list(Customer.Source.values)[:7]),
                    "tier": faker.rng.choices(tiers, weights=[70, 15, 10, 5])[0],
                    "marketing_consent": faker.rng.random() < 0.6,
                },
                tag_names=faker.rng.sample(
                    ["老客户", "车队", "网约车", "保险续保", "价格敏感"], k=faker.rng.randint(0, 2)
                ),
            )
            counts["customers"] += 1
            for _ in range(3 if company else faker.rng.choice([1, 1, 1, 2, 2])):
                _demo_vehicle(faker, store, customer, province, today)
                counts["vehicles"] += 1
    return {"created": True, **counts}


def _unique_mobile(faker: Faker, store: Store) -> str:
    while True:
        mobile = faker.mobile()
        if not Customer.objects.filter(store=store, mobile=mobile).exists():
            return mobile


def _demo_vehicle(faker: Faker, store: Store, owner: Customer, province: str, today: datetime.date) -> None:
    make = faker.make()
    year = faker.rng.randint(2016, 2025)
    purchase = faker.date_between(datetime.date(year, 1, 1), min(today, datetime.date(year, 12, 28)))
    electric = make.fuel == "bev"
    vehicle = vehicle_create(
        actor=None,
        store=store,
        data={
            "plate": faker.plate(province, electric),
            "vin": faker.vin(make, year),
            "brand": make.brand,
            "series": faker.rng.choice(make.series),
            "model_year": year,
            "fuel": make.fuel,
            "transmission": make.transmission,
            "displacement": Decimal(make.displacement) if make.displacement else None,
            "body_colour": faker.rng.choice(["白色", "黑色", "银色", "灰色", "蓝色", "红色"]),
            "engine_no": f"{faker.rng.randrange(10**7):07d}",
            "purchase_date": purchase,
            "purchase_mileage": 10,
            "production_date": purchase - datetime.timedelta(days=faker.rng.randint(20, 120)),
            "insurance_expiry": faker.date_between(
                today - datetime.timedelta(days=20), today + datetime.timedelta(days=340)
            ),
            "inspection_due": faker.date_between(today, today + datetime.timedelta(days=700)),
            "warranty_start": purchase,
            "warranty_end": purchase.replace(year=purchase.year + 3)
            if purchase.month != 2 or purchase.day != 29
            else purchase + datetime.timedelta(days=1095),
            "warranty_km": 100000,
            "owner": owner,
            "selling_dealer": store.name,
        },
    )
    # A few visits' worth of odometer readings, about 35 km a day.
    days = (today - purchase).days
    km_per_day = faker.rng.uniform(20, 50)
    for visit in range(1, min(4, days // 180) + 1):
        read_on = purchase + datetime.timedelta(days=visit * days // 4)
        vehicle_record_mileage(
            actor=None,
            vehicle=vehicle,
            mileage=10 + int((read_on - purchase).days * km_per_day),
            read_on=read_on,
            source="visit",
        )
