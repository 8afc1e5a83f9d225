"""Demo data for the workshop set-up and the labour catalogue: settings and bays for BJ01 and
SH01, a labour catalogue, canned jobs built on the parts demo, plans for 大众 and 丰田."""

import datetime
from decimal import Decimal

from django.db import transaction

from pitstop.accounts.models import Store
from pitstop.core.text import pinyin_initials

from .models import (
    Bay,
    BayType,
    CannedJob,
    CannedJobLine,
    LabourOperation,
    LabourRate,
    MaintenancePlan,
    MaintenancePlanItem,
    WorkshopSettings,
)

# code, name, system, symptom, basis, bay type, standard hours, fixed price
OPERATIONS = [
    ("BY-001", "更换机油机滤", "发动机", "", "item", "maintenance", "0.5", None),
    ("BY-002", "更换空气滤清器", "发动机", "", "item", "maintenance", "0.2", None),
    ("BY-003", "更换空调滤清器", "空调", "", "item", "maintenance", "0.3", None),
    ("BY-004", "更换火花塞", "发动机", "怠速抖动", "item", "maintenance", "0.8", None),
    ("BY-005", "更换制动液", "制动", "", "item", "maintenance", "0.6", None),
    ("BY-006", "更换雨刮片", "车身附件", "", "item", "maintenance", "0.1", None),
    ("BY-007", "常规保养检查（28项）", "整车", "", "system", "maintenance", "0.5", None),
    ("ZD-001", "更换前刹车片", "制动", "刹车异响", "item", "mechanical", "1.0", None),
    ("ZD-002", "更换前刹车盘", "制动", "刹车抖动", "item", "mechanical", "1.5", None),
    ("DP-001", "四轮定位", "底盘", "跑偏", "item", "mechanical", "1.0", None),
    ("DP-002", "轮胎动平衡（四轮）", "底盘", "方向盘抖动", "item", "mechanical", "0.8", None),
    ("KT-001", "空调系统检查", "空调", "空调不凉", "symptom", "mechanical", "0.5", "80.00"),
    ("DQ-001", "更换蓄电池", "电气", "无法启动", "item", "mechanical", "0.3", None),
    ("BJ-001", "前保险杠钣金修复", "车身", "", "item", "body", "3.0", None),
    ("PQ-001", "喷漆（单面）", "车身", "", "system", "paint", "0", "600.00"),
    ("PQ-002", "喷漆（前保险杠）", "车身", "", "system", "paint", "0", "800.00"),
]

# code, name, description, lines: (labour code | part code, quantity)
JOBS = [
    (
        "SB",
        "首保",
        "新车首次保养：机油机滤与常规检查",
        [("BY-001", "0.5"), ("BY-007", "0.5"), ("06A115561B", "1"), ("G 052 195 M4", "1")],
    ),
    (
        "BY-10K",
        "常规保养（1万公里）",
        "大众：机油机滤、空气滤清器",
        [
            ("BY-001", "0.5"),
            ("BY-002", "0.2"),
            ("06A115561B", "1"),
            ("G 052 195 M4", "1"),
            ("1K0129620D", "1"),
        ],
    ),
    (
        "BY-40K",
        "4万公里保养",
        "大众：机油三滤、火花塞、制动液",
        [
            ("BY-001", "0.5"),
            ("BY-002", "0.2"),
            ("BY-003", "0.3"),
            ("BY-004", "0.8"),
            ("BY-005", "0.6"),
            ("06A115561B", "1"),
            ("G 052 195 M4", "1"),
            ("1K0129620D", "1"),
            ("5Q0819653", "1"),
            ("101905601F", "4"),
            ("G 055 025 A2", "1"),
        ],
    ),
    ("SCP-F", "更换前刹车片", "副厂博世刹车片", [("ZD-001", "1.0"), ("0986AB1234", "1")]),
    (
        "TY-10K",
        "丰田常规保养（1万公里）",
        "丰田：机油机滤、空气滤清器",
        [
            ("BY-001", "0.5"),
            ("BY-002", "0.2"),
            ("90915-YZZD2", "1"),
            ("08880-83718", "1"),
            ("17801-21050", "1"),
        ],
    ),
    ("DW", "四轮定位检查", "轮胎换位与四轮定位", [("DP-001", "1.0"), ("DP-002", "0.8")]),
]

# brand, name, items: (job code, every km, every months)
PLANS = [
    ("大众", "大众保养计划", [("BY-10K", 10000, 12), ("BY-40K", 40000, 48), ("DW", 20000, 24)]),
    ("丰田", "丰田保养计划", [("TY-10K", 10000, 12), ("DW", 20000, 24)]),
]

BAYS = [
    (BayType.MAINTENANCE, "快保工位1"),
    (BayType.MAINTENANCE, "快保工位2"),
    (BayType.MECHANICAL, "机修工位1"),
    (BayType.MECHANICAL, "机修工位2"),
    (BayType.BODY, "钣金工位1"),
    (BayType.PAINT, "喷漆房1"),
]


def service_catalogue_demo_present() -> bool:
    return LabourOperation.objects.exists()


@transaction.atomic
def load_service_catalogue_demo() -> dict:
    """Loads once; a second call changes nothing. Part lines need the parts demo (part codes
    not found are left out)."""
    if service_catalogue_demo_present():
        return {"created": False}
    from pitstop.parts.models import Part

    stores = list(Store.objects.filter(code__in=["BJ01", "SH01"]).order_by("code"))
    for store in stores:
        WorkshopSettings.objects.update_or_create(
            store=store,
            defaults={
                "opens_at": datetime.time(8, 30),
                "closes_at": datetime.time(18, 0),
                "open_weekdays": "1234567",
                "slot_minutes": 30,
                "labour_rate": Decimal("150.00") if store.code == "BJ01" else Decimal("140.00"),
            },
        )
        for bay_type, name in BAYS:
            Bay.objects.get_or_create(store=store, name=name, defaults={"bay_type": bay_type})
        LabourRate.objects.get_or_create(
            store=store, bay_type=BayType.BODY, defaults={"rate": Decimal("180.00")}
        )
        LabourRate.objects.get_or_create(
            store=store, bay_type=BayType.PAINT, defaults={"rate": Decimal("200.00")}
        )
    operations = {}
    for code, name, system, symptom, basis, bay_type, hours, fixed in OPERATIONS:
        operations[code] = LabourOperation.objects.create(
            code=code,
            name=name,
            name_initials=pinyin_initials(name),
            system=system,
            symptom=symptom,
            basis=basis,
            bay_type=bay_type,
            standard_hours=Decimal(hours),
            fixed_price=Decimal(fixed) if fixed else None,
        )
    parts = {part.code: part for part in Part.objects.filter(code__in=[c for j in JOBS for c, _q in j[3]])}
    jobs = {}
    for code, name, description, lines in JOBS:
        job = CannedJob.objects.create(code=code, name=name, description=description)
        rows = []
        for position, (line_code, quantity) in enumerate(lines):
            if line_code in operations:
                rows.append(CannedJobLine(job=job, labour=operations[line_code], quantity=Decimal(quantity)))
            elif line_code in parts:
                rows.append(CannedJobLine(job=job, part=parts[line_code], quantity=Decimal(quantity)))
            else:
                continue
            rows[-1].position = position
        CannedJobLine.objects.bulk_create(rows)
        jobs[code] = job
    for brand, name, items in PLANS:
        plan = MaintenancePlan.objects.create(brand=brand, name=name)
        MaintenancePlanItem.objects.bulk_create(
            MaintenancePlanItem(plan=plan, job=jobs[code], every_km=km, every_months=months)
            for code, km, months in items
        )
    return {
        "created": True,
        "stores": len(stores),
        "operations": len(operations),
        "jobs": len(jobs),
        "plans": len(PLANS),
    }


def load_appointments_demo() -> dict:
    """Tomorrow's bookings at 北京朝阳店, made through the booking service (capacity checked):
    the desk's and the phone's confirmed, one online request waiting for the advisor."""
    import datetime

    from django.utils import timezone

    from pitstop.accounts.models import User
    from pitstop.customers.models import Vehicle

    from .appointments import appointment_book
    from .capacity import local_zone
    from .models import Appointment

    store = Store.objects.filter(code="BJ01").first()
    advisor = User.objects.filter(username="advisor").first()
    if store is None or advisor is None or Appointment.objects.filter(store=store).exists():
        return {"created": False}
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    vehicles = list(Vehicle.objects.filter(store=store).select_related("owner").order_by("pk")[:4])
    plan = [
        ("09:00", "maintenance", "1", "1万公里常规保养", "phone"),
        ("09:00", "maintenance", "1.5", "更换前刹车片，异响", "desk"),
        ("10:30", "mechanical", "2", "发动机故障灯亮", "phone"),
        ("14:00", "maintenance", "1", "首保", "desk"),
    ]
    made = 0
    for vehicle, (at, bay_type, hours, content, source) in zip(vehicles, plan, strict=False):
        starts = datetime.datetime.combine(tomorrow, datetime.time.fromisoformat(at), tzinfo=local_zone())
        appointment_book(
            actor=advisor,
            store=store,
            starts_at=starts,
            bay_type=bay_type,
            hours=hours,
            mobile=vehicle.owner.mobile or "13800000000",
            content=content,
            source=source,
            customer=vehicle.owner,
            vehicle=vehicle,
            plate=vehicle.plate,
            model_name=vehicle.model_name,
            contact_name=vehicle.owner.name,
        )
        made += 1
    appointment_book(
        actor=None,
        store=store,
        starts_at=datetime.datetime.combine(tomorrow, datetime.time(15, 30), tzinfo=local_zone()),
        bay_type="maintenance",
        hours="1",
        mobile="13911112222",
        content="空调不制冷，想检查一下",
        source="online",
        plate="沪B54321",
        contact_name="王芳",
    )
    return {"created": True, "appointments": made + 1}
