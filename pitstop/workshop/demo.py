"""Demo workshop at 北京朝阳店: a team, work orders in every state of the board (made through the
same services a shop uses, so each carries its events, reservations, clocks and checks),
tools and a PDI. Loaded once, after the appointments demo."""

import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from pitstop.accounts.models import Store, User
from pitstop.core.exceptions import ApplicationError
from pitstop.customers.models import Vehicle
from pitstop.service import estimates, reception
from pitstop.service.models import Bay, CannedJob, LabourOperation, RepairCategory, RepairOrder

from . import checks, dispatch, pdi, technician, tools
from .models import Team, Tool

Status = RepairOrder.Status

# plate suffix of the vehicle, what the owner says, the canned job, the category, where it ends.
ORDERS = [
    ("首保，检查轮胎气压", "SB", RepairCategory.LEVEL_1, Status.DRAFT),
    ("常规保养，更换机油机滤", "BY-10K", RepairCategory.LEVEL_1, Status.CONFIRMED),
    ("前刹车异响", "SCP-F", RepairCategory.MINOR, Status.DISPATCHED),
    ("4万公里保养", "BY-40K", RepairCategory.LEVEL_2, Status.IN_PROGRESS),
    ("常规保养，雨刮刮不干净", "BY-10K", RepairCategory.LEVEL_1, Status.WAITING_APPROVAL),
    ("首保", "SB", RepairCategory.LEVEL_1, Status.CHECKING),
    ("常规保养", "BY-10K", RepairCategory.LEVEL_1, Status.WASHING),
    ("更换前刹车片", "SCP-F", RepairCategory.MINOR, Status.READY),
]
TOOLS = [
    ("GJ-001", "扭力扳手 40–200 N·m", 30),
    ("GJ-002", "举升机 1 号", 90),
    ("GJ-003", "四轮定位仪", 180),
    ("GJ-004", "故障诊断仪 VAS 6150", -3),
    ("GJ-005", "空调冷媒回收加注机", 60),
]


def _user(username: str) -> User | None:
    return User.objects.filter(username=username).first()


@transaction.atomic
def load_workshop_demo() -> dict:
    store = Store.objects.filter(code="BJ01").first()
    people = {
        name: _user(name) for name in ("advisor", "dispatcher", "technician", "teamleader", "inspector")
    }
    manager = _user("manager")
    if store is None or None in people.values() or RepairOrder.objects.filter(store=store).exists():
        return {"created": False}
    advisor = people["advisor"]
    team = dispatch.team_save(
        actor=manager,
        store=store,
        name="机修一组",
        leader=people["teamleader"],
        members=[people["technician"], people["teamleader"]],
    )
    jobs = {job.code: job for job in CannedJob.objects.filter(store__isnull=True)}
    bays = list(Bay.objects.filter(store=store, is_active=True).order_by("bay_type", "name"))
    by_type: dict[str, list[Bay]] = {}
    for bay in bays:
        by_type.setdefault(bay.bay_type, []).append(bay)
    # Cars without an appointment tomorrow, so the appointments demo keeps its own.
    vehicles = list(
        Vehicle.objects.filter(store=store, plate__gt="")
        .select_related("owner")
        .order_by("-pk")[: len(ORDERS)]
    )
    now = timezone.now()
    made = []
    for index, ((said, job_code, category, goal), vehicle) in enumerate(zip(ORDERS, vehicles, strict=False)):
        order = reception.reception_start(actor=advisor, store=store, vehicle=vehicle)
        mileage = (vehicle.current_mileage or 20000) + 3200
        reception.walkaround_save(
            actor=advisor,
            order=order,
            mileage=mileage,
            fuel_level="2",
            body_marks=[{"zone": "front_bumper", "kind": "scratch", "note": "轻微划痕"}] if index % 2 else [],
            items_in_vehicle=["spare_wheel", "jack", "warning_triangle"],
            documents_held=["driving_licence"],
            key_tag=f"K{index + 1:02d}",
        )
        reception.diagnosis_save(
            actor=advisor,
            order=order,
            owner_description=said,
            diagnosis="" if goal == Status.DRAFT else "按保养手册进行保养，检查刹车与轮胎",
            business_type="maintenance",
            repair_category=category,
        )
        job = jobs.get(job_code)
        if job is not None:
            estimates.canned_job_add(actor=advisor, order=order, job=job)
        made.append(order)
        if goal == Status.DRAFT:
            continue
        order = estimates.order_sign(
            actor=advisor, order=order, on_paper=True, free_wash=goal != Status.READY
        )
        if goal == Status.CONFIRMED:
            continue
        bay_type = order.labour_lines.values_list("bay_type", flat=True).first() or "maintenance"
        choices = by_type.get(bay_type) or bays
        start = now - datetime.timedelta(hours=2) + datetime.timedelta(minutes=20 * index)
        hours = max(order.hours_total, Decimal("1"))
        for bay in [*(choices[index % len(choices)] for _once in [0] if choices), None]:
            try:  # the bay of this type, or none when it is taken at that time
                with transaction.atomic():
                    dispatch.assignment_create(
                        actor=people["dispatcher"],
                        order=order,
                        bay_type=bay_type,
                        bay=bay,
                        team=team,
                        technicians=[people["technician"] if index % 2 else people["teamleader"]],
                        planned_start=start,
                        planned_end=start + datetime.timedelta(hours=float(hours) + 1),
                        hours=hours,
                    )
                break
            except ApplicationError as error:
                if error.code != "bay_taken":
                    raise
        if goal == Status.DISPATCHED:
            continue
        worker = people["technician"] if index % 2 else people["teamleader"]
        technician.clock_on(actor=worker, order=order, now=start)
        if goal == Status.IN_PROGRESS:
            continue
        if goal == Status.WAITING_APPROVAL:
            wiper = LabourOperation.objects.filter(code="BY-006").first()
            technician.finding_report(
                actor=worker,
                order=order,
                description="前雨刮片老化开裂，刮水不净",
                extra_hours=Decimal("0.1"),
                labour=[{"operation": wiper}] if wiper else [{"name": "更换雨刮片", "hours": Decimal("0.1")}],
                wait_for_approval=True,
            )
            continue
        technician.clock_off(actor=worker, now=start + datetime.timedelta(hours=1))
        order.refresh_from_db()
        checks.check_record(actor=worker, order=order, stage="self", passed=True)
        if goal == Status.CHECKING:
            continue
        order.refresh_from_db()
        checks.check_record(actor=people["teamleader"], order=order, stage="team", passed=True)
        order.refresh_from_db()
        checks.check_record(actor=people["inspector"], order=order, stage="final", passed=True)
    for code, name, due_in in TOOLS:
        tools.tool_save(
            actor=manager,
            store=store,
            code=code,
            name=name,
            maintenance_due=timezone.localdate() + datetime.timedelta(days=due_in),
        )
    lent = Tool.objects.get(store=store, code="GJ-001")
    tools.tool_lend(actor=people["dispatcher"], tool=lent, borrower=people["technician"])
    pdi.pdi_create(
        actor=people["inspector"],
        store=store,
        vin="LSVAU2183N2183475",
        model_name="大众 帕萨特 2025款 330TSI",
        mileage=12,
        results={code: {"ok": True} for code in pdi.PDI_ITEMS},
    )
    return {
        "created": True,
        "orders": len(made),
        "teams": Team.objects.filter(store=store).count(),
        "tools": len(TOOLS),
    }
