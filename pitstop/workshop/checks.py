"""Quality checks, rework and the completion certificate (F-4.5, RULES.md).

A job is checked three times on completion: the technician's self-check (自检) moves it from in
progress to checking, the team leader's check (互检) follows, then the QC inspector's final
inspection (竣工检验). A failed team or final check sends the job back to in progress with the
reason, the person responsible, a penalty and the hours lost (返工); the technician then
self-checks again and the team leader checks again. For 二级维护, 总成修理 and 整车修理 the
inspector also checks the car on arrival (进厂检验) and during the work (过程检验) before the
final can pass, and the passed final issues the completion certificate
(机动车维修竣工出厂合格证) number.

Checklists are data (`CHECKLISTS`); a ticked-off item that is not right fails the check."""

from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pitstop.accounts.models import Store, User
from pitstop.core.exceptions import ApplicationError
from pitstop.core.money import to_money, to_quantity
from pitstop.core.numbering import next_code
from pitstop.core.scoping import has_perm_in_store, scoped
from pitstop.service.models import RepairOrder
from pitstop.service.orders import INSPECT, LEAD, WORK, lock_order, order_transition

from .models import QualityCheck
from .progress import ready_notice_send
from .technician import order_clocks_stop

Stage = QualityCheck.Stage
Status = RepairOrder.Status
VIEW = "workshop.view_qualitycheck"
ZERO = Decimal("0")

# Who records each stage (in the order's store).
STAGE_PERMISSIONS: dict[str, str] = {
    Stage.SELF: WORK,
    Stage.TEAM: LEAD,
    Stage.FINAL: INSPECT,
    Stage.ARRIVAL: INSPECT,
    Stage.DURING: INSPECT,
}
# The order of the stages on a page and on the printed sheet.
STAGE_ORDER = (Stage.ARRIVAL, Stage.DURING, Stage.SELF, Stage.TEAM, Stage.FINAL)
# A failed check of these stages is rework: the job goes back, with responsible and penalty.
REWORK_STAGES = (Stage.TEAM, Stage.FINAL)
# The inspections the certified categories need before the final can pass.
CERTIFIED_INSPECTIONS = (Stage.ARRIVAL, Stage.DURING)

# When each stage may be recorded (the order's state).
STAGE_STATES: dict[str, tuple[str, ...]] = {
    Stage.SELF: (Status.IN_PROGRESS,),
    Stage.TEAM: (Status.CHECKING,),
    Stage.FINAL: (Status.CHECKING,),
    Stage.ARRIVAL: (
        Status.CONFIRMED,
        Status.DISPATCHED,
        Status.IN_PROGRESS,
        Status.WAITING_PARTS,
        Status.WAITING_APPROVAL,
        Status.CHECKING,
    ),
    Stage.DURING: (Status.IN_PROGRESS, Status.WAITING_PARTS, Status.WAITING_APPROVAL, Status.CHECKING),
}

# Labels are lazy so they follow the user's language.

# The checklists of each stage: (code, label). Codes are stored in QualityCheck.results.
CHECKLISTS: dict[str, list[tuple[str, object]]] = {
    Stage.ARRIVAL: [
        ("identity", gettext_lazy("VIN, plate and engine no. match the vehicle licence")),
        ("fault_confirmed", gettext_lazy("Owner's complaint confirmed and diagnosed")),
        ("appearance", gettext_lazy("Body, glass and interior condition recorded")),
        ("fluids", gettext_lazy("Fluid levels and leaks recorded")),
        ("warning_lamps", gettext_lazy("Instruments and warning lamps checked")),
        ("engine", gettext_lazy("Engine starts, idles and sounds normal (or fault noted)")),
        ("chassis", gettext_lazy("Tyres, brakes, steering and suspension looked over")),
    ],
    Stage.DURING: [
        ("procedure", gettext_lazy("Work follows the repair manual and the process card")),
        ("parts_match", gettext_lazy("Parts fitted match the order (genuine / specification), traceable")),
        ("measurements", gettext_lazy("Clearances and measurements within specification, recorded")),
        ("torque", gettext_lazy("Key fasteners tightened to the specified torque")),
        ("hidden_work", gettext_lazy("Work hidden by reassembly checked before closing up")),
        ("clean_work", gettext_lazy("Parts and work area clean, no contamination")),
    ],
    Stage.SELF: [
        ("work_done", gettext_lazy("Every item of the work order done")),
        ("parts_fitted", gettext_lazy("Parts fitted as ordered")),
        ("fasteners", gettext_lazy("Fasteners tightened to torque")),
        ("fluids", gettext_lazy("Oil, coolant, brake and washer fluid at the right levels")),
        ("no_leaks", gettext_lazy("No oil, water or air leaks")),
        ("lights", gettext_lazy("Lights, horn and wipers work")),
        ("warning_lamps", gettext_lazy("No warning lamps on, fault codes cleared")),
        ("tools_removed", gettext_lazy("No tools or rags left in the car")),
        ("cleanliness", gettext_lazy("Seat, wheel and floor covers removed, car clean")),
    ],
    Stage.TEAM: [
        ("work_done", gettext_lazy("Every item of the work order done")),
        ("fasteners", gettext_lazy("Fasteners tightened to torque (spot check)")),
        ("fluids", gettext_lazy("Fluid levels right")),
        ("no_leaks", gettext_lazy("No leaks")),
        ("function_test", gettext_lazy("The repaired system works as intended")),
        ("warning_lamps", gettext_lazy("No warning lamps on")),
        ("cleanliness", gettext_lazy("Car clean, covers removed")),
    ],
    Stage.FINAL: [
        ("work_done", gettext_lazy("Every item of the work order done, nothing extra")),
        ("fault_cleared", gettext_lazy("The owner's complaint is put right")),
        ("fluids", gettext_lazy("Fluid levels right")),
        ("no_leaks", gettext_lazy("No leaks")),
        ("lights", gettext_lazy("Lights, horn, wipers and electrics work")),
        ("warning_lamps", gettext_lazy("No warning lamps on")),
        ("road_test", gettext_lazy("Road test: brakes, steering, noises normal")),
        ("cleanliness", gettext_lazy("Car clean inside and out")),
        ("old_parts", gettext_lazy("Old parts in the boot or handled as agreed")),
        ("records", gettext_lazy("Service records and next-service label filled in")),
    ],
}


def stage_label(stage: str) -> str:
    return str(Stage(stage).label) if stage in Stage.values else stage


# ---------------------------------------------------------------- where a job stands


@dataclass
class CheckProgress:
    """Where the checks of an order stand. `round` is the checks since the last rework."""

    checks: list
    round: list = field(default_factory=list)
    needs_inspections: bool = False

    def _passed(self, stage: str, checks: list | None = None) -> bool:
        return any(c.stage == stage and c.passed for c in (self.round if checks is None else checks))

    @property
    def self_ok(self) -> bool:
        return self._passed(Stage.SELF)

    @property
    def team_ok(self) -> bool:
        return self._passed(Stage.TEAM)

    @property
    def final_ok(self) -> bool:
        return self._passed(Stage.FINAL)

    @property
    def arrival_ok(self) -> bool:
        return self._passed(Stage.ARRIVAL, self.checks)

    @property
    def during_ok(self) -> bool:
        return self._passed(Stage.DURING, self.checks)

    @property
    def missing_inspections(self) -> list[str]:
        if not self.needs_inspections:
            return []
        return [stage for stage in CERTIFIED_INSPECTIONS if not self._passed(stage, self.checks)]

    @property
    def reworks(self) -> int:
        return sum(1 for c in self.checks if c.stage in REWORK_STAGES and not c.passed)

    def stage_done(self, stage: str) -> bool:
        return {
            Stage.SELF: self.self_ok,
            Stage.TEAM: self.team_ok,
            Stage.FINAL: self.final_ok,
            Stage.ARRIVAL: self.arrival_ok,
            Stage.DURING: self.during_ok,
        }[stage]


def check_progress(order: RepairOrder, checks=None) -> CheckProgress:
    """The checks of the order (oldest first) and where they stand. Pass the checks when they
    are already loaded (a prefetched list) to keep a list page's queries fixed."""
    if checks is None:
        checks = list(order.checks.all())
    checks = sorted(checks, key=lambda c: c.pk)
    last_rework = max(
        (i for i, c in enumerate(checks) if c.stage in REWORK_STAGES and not c.passed), default=-1
    )
    return CheckProgress(
        checks=checks, round=checks[last_rework + 1 :], needs_inspections=order.needs_certificate
    )


def stage_refusal(order: RepairOrder, stage: str, progress: CheckProgress) -> ApplicationError | None:
    """Why this stage cannot be recorded now (the order's state, an earlier stage missing), or
    None. The permission is checked separately (`may_record`)."""
    if stage not in Stage.values:
        return ApplicationError(_("Choose the stage of the check."), field="stage", code="stage")
    if order.status not in STAGE_STATES[stage]:
        return ApplicationError(
            _("A work order that is %(status)s cannot get the %(stage)s.")
            % {"status": Status(order.status).label, "stage": stage_label(stage)},
            field="stage",
            code="state",
        )
    if stage == Stage.TEAM and not progress.self_ok:
        return ApplicationError(
            _("The technician's self-check must pass before the team leader's check."),
            field="stage",
            code="order",
        )
    if stage == Stage.FINAL and not progress.team_ok:
        return ApplicationError(
            _("The team leader's check must pass before the final inspection."), field="stage", code="order"
        )
    if stage == Stage.TEAM and progress.team_ok:
        return ApplicationError(_("The team leader's check has passed already."), field="stage", code="done")
    if stage == Stage.ARRIVAL and progress.arrival_ok:
        return ApplicationError(
            _("The inspection on arrival has passed already."), field="stage", code="done"
        )
    return None


def may_record(user, order: RepairOrder, stage: str) -> bool:
    perm = STAGE_PERMISSIONS.get(stage)
    return perm is not None and has_perm_in_store(user, perm, order.store_id)


def stages_due(user, order: RepairOrder, progress: CheckProgress) -> list[str]:
    """The stages this user may record on this order now (buttons); the service decides again."""
    return [
        stage
        for stage in STAGE_ORDER
        if may_record(user, order, stage)
        and stage_refusal(order, stage, progress) is None
        and (stage in (Stage.ARRIVAL, Stage.DURING) or not progress.stage_done(stage))
        and (stage not in CERTIFIED_INSPECTIONS or order.needs_certificate)
    ]


def next_due(order: RepairOrder, progress: CheckProgress) -> str | None:
    """The stage the job waits for (QC queue)."""
    if order.status == Status.IN_PROGRESS:
        return Stage.SELF
    if order.status != Status.CHECKING:
        return None
    if not progress.self_ok:
        return Stage.SELF
    if not progress.team_ok:
        return Stage.TEAM
    if progress.missing_inspections:
        return progress.missing_inspections[0]
    if not progress.final_ok:
        return Stage.FINAL
    return None


# ---------------------------------------------------------------- selectors


def order_checks(order: RepairOrder) -> list[QualityCheck]:
    return list(
        QualityCheck.objects.filter(order=order).select_related("checked_by", "responsible").order_by("id")
    )


def store_staff(store: Store) -> QuerySet[User]:
    """The people of the store (responsible for a rework, borrowers of tools)."""
    return (
        User.objects.filter(memberships__store=store, is_active=True)
        .distinct()
        .order_by("full_name", "username")
    )


def qc_queue(*, user, store: Store) -> list[tuple[RepairOrder, CheckProgress, str | None]]:
    """Orders waiting for a check: in checking (team leader's check, final inspection), and the
    certified categories still missing the inspection on arrival or during the work. With the
    stage due; a fixed number of queries."""
    checks = Prefetch(
        "checks",
        queryset=QualityCheck.objects.select_related("checked_by").order_by("id"),
        to_attr="check_list",
    )
    orders = (
        scoped(RepairOrder.objects.all(), user, VIEW, store=store)
        .filter(status__in=STAGE_STATES[Stage.ARRIVAL])
        .select_related("vehicle", "advisor")
        .prefetch_related(checks)
        .order_by("finished_at", "id")
    )
    queue = []
    for order in orders:
        progress = check_progress(order, order.check_list)
        if order.status == Status.CHECKING or progress.missing_inspections:
            due = next_due(order, progress)
            if order.status != Status.CHECKING and progress.missing_inspections:
                due = progress.missing_inspections[0]
            queue.append((order, progress, due))
    queue.sort(key=lambda row: (row[0].status != Status.CHECKING, row[0].pk))
    return queue


@dataclass
class ReworkRow:
    person: User | None
    reworks: int = 0
    penalty: Decimal = ZERO
    lost_hours: Decimal = ZERO


@dataclass
class ReworkStats:
    first: date
    last: date
    failed: list
    by_responsible: list
    by_technician: list
    finals_passed: int
    first_time: int
    penalty: Decimal
    lost_hours: Decimal

    @property
    def first_time_rate(self) -> Decimal | None:
        if not self.finals_passed:
            return None
        return (Decimal(self.first_time) * 100 / self.finals_passed).quantize(Decimal("0.1"))


def rework_stats(*, user, store: Store, first: date, last: date) -> ReworkStats:
    """Reworks in the period (failed team and final checks): by the person responsible and by
    the technician whose self-check preceded it, penalties and hours lost summed; the
    first-time pass rate of the jobs whose final inspection passed in the period."""
    zone = timezone.get_current_timezone()
    start = datetime.combine(first, time.min, tzinfo=zone)
    end = datetime.combine(last, time.max, tzinfo=zone)
    in_store = scoped(QualityCheck.objects.all(), user, VIEW, store_field="order__store_id", store=store)
    failed = list(
        in_store.filter(stage__in=REWORK_STAGES, passed=False, created_at__range=(start, end))
        .select_related("order", "order__vehicle", "responsible", "checked_by")
        .order_by("id")
    )
    # The technician of each rework: whoever did the last self-check before it on that order.
    selfs = in_store.filter(stage=Stage.SELF, order_id__in={c.order_id for c in failed}).select_related(
        "checked_by"
    )
    self_checks: dict[int, list[QualityCheck]] = {}
    for check in selfs.order_by("id"):
        self_checks.setdefault(check.order_id, []).append(check)
    by_responsible: dict[int | None, ReworkRow] = {}
    by_technician: dict[int | None, ReworkRow] = {}
    for check in failed:
        technician = None
        for candidate in self_checks.get(check.order_id, []):
            if candidate.pk < check.pk:
                technician = candidate.checked_by
        check.technician = technician
        for table, person in ((by_responsible, check.responsible), (by_technician, technician)):
            row = table.setdefault(person.pk if person else None, ReworkRow(person))
            row.reworks += 1
            row.penalty += check.penalty
            row.lost_hours += check.lost_hours
    finals = list(
        in_store.filter(stage=Stage.FINAL, passed=True, created_at__range=(start, end)).values_list(
            "order_id", flat=True
        )
    )
    reworked = set(
        in_store.filter(order_id__in=finals, stage__in=REWORK_STAGES, passed=False).values_list(
            "order_id", flat=True
        )
    )

    def ranked(table):
        return sorted(table.values(), key=lambda r: (-r.reworks, -r.penalty))

    return ReworkStats(
        first=first,
        last=last,
        failed=failed,
        by_responsible=ranked(by_responsible),
        by_technician=ranked(by_technician),
        finals_passed=len(set(finals)),
        first_time=len(set(finals) - reworked),
        penalty=to_money(sum((c.penalty for c in failed), ZERO)),
        lost_hours=to_quantity(sum((c.lost_hours for c in failed), ZERO)),
    )


# ---------------------------------------------------------------- the service


def _amount(value, *, field: str, convert) -> Decimal:
    if value in (None, ""):
        return convert(0)
    try:
        amount = convert(value)
    except (InvalidOperation, TypeError, ValueError):
        raise ApplicationError(_("Enter a number."), field=field, code=field) from None
    if amount < 0:
        raise ApplicationError(_("It cannot be negative."), field=field, code=field)
    return amount


def _clean_results(stage: str, results, passed: bool) -> dict:
    items = dict(CHECKLISTS[stage])
    if results is None:
        return {code: True for code in items} if passed else {}
    if not isinstance(results, dict):
        raise ApplicationError(_("The checklist is not valid."), field="results", code="checklist")
    unknown = set(results) - set(items)
    if unknown:
        raise ApplicationError(
            _("Not on this checklist: %(items)s.") % {"items": ", ".join(sorted(unknown))},
            field="results",
            code="checklist",
        )
    cleaned = {code: bool(results.get(code, False)) for code in items}
    if passed:
        failing = [str(label) for code, label in CHECKLISTS[stage] if not cleaned[code]]
        if failing:
            raise ApplicationError(
                _("Not every item is right (%(items)s): the check must fail.")
                % {"items": "; ".join(failing)},
                field="results",
                code="checklist",
            )
    return cleaned


def _ready_notice(actor, order: RepairOrder) -> None:
    """The ready notice SMS; a notice that cannot be sent (no mobile) never undoes the
    inspection: the car is ready and the advisor calls instead."""
    try:
        with transaction.atomic():
            ready_notice_send(actor=actor, order=order)
    except ApplicationError:
        pass


@transaction.atomic
def check_record(
    *,
    actor: User,
    order: RepairOrder,
    stage: str,
    passed: bool,
    results: dict | None = None,
    reason: str = "",
    responsible: User | None = None,
    penalty: Decimal | int | str = 0,
    lost_hours: Decimal | int | str = 0,
    note: str = "",
) -> QualityCheck:
    """Record one check of the order and move the job on.

    - self (technician, in progress): passed → checking;
    - team (team leader, checking, after a passed self-check) and final (QC inspector, after
      the team check): failed → back to in progress with the reason, rework_count + 1, and the
      reason, responsible person, penalty and hours lost recorded;
    - final passed: for the certified categories (the arrival and during inspections passed
      first) the completion certificate number; then washing (free wash) or ready (the ready
      notice sent);
    - arrival / during (QC inspector): recorded, needed before a certified final can pass.
    A failing checklist item requires the check to fail. `results` None: all items ticked for a
    pass, none recorded for a fail."""
    if stage not in Stage.values:
        raise ApplicationError(_("Choose the stage of the check."), field="stage", code="stage")
    if not may_record(actor, order, stage):
        raise ApplicationError(
            _("Your role cannot record the %(stage)s.") % {"stage": stage_label(stage)},
            field="stage",
            code="permission",
        )
    given, order = order, lock_order(order)
    progress = check_progress(order)
    refusal = stage_refusal(order, stage, progress)
    if refusal is not None:
        raise refusal
    passed = bool(passed)
    cleaned = _clean_results(stage, results, passed)
    reason = (reason or "").strip()
    note = (note or "").strip()
    penalty = _amount(penalty, field="penalty", convert=to_money)
    lost_hours = _amount(lost_hours, field="lost_hours", convert=to_quantity)
    rework = not passed and stage in REWORK_STAGES
    if not passed and not reason:
        raise ApplicationError(_("Give the reason the check failed."), field="reason", code="reason")
    if rework:
        if responsible is None:
            raise ApplicationError(_("Name the person responsible."), field="responsible", code="responsible")
        if not store_staff(order.store).filter(pk=responsible.pk).exists():
            raise ApplicationError(
                _("The person responsible must work in this store."), field="responsible", code="responsible"
            )
    else:
        responsible, penalty, lost_hours = None, to_money(0), to_quantity(0)
    if stage == Stage.FINAL and passed and progress.missing_inspections:
        raise ApplicationError(
            _("This repair category needs the %(stages)s passed before the final inspection can pass.")
            % {"stages": ", ".join(stage_label(s) for s in progress.missing_inspections)},
            field="stage",
            code="inspections",
        )

    check = QualityCheck.objects.create(
        order=order,
        stage=stage,
        passed=passed,
        results=cleaned,
        checked_by=actor,
        reason=reason[:300],
        responsible=responsible,
        penalty=penalty,
        lost_hours=lost_hours,
        note=note[:300],
    )

    if stage == Stage.SELF and passed:
        order_clocks_stop(order=order)  # the job is handed to the checks: no clock runs on
        order = order_transition(
            actor=actor, order=order, to=Status.CHECKING, note=note, check_permission=False
        )
    elif rework:
        order = order_transition(
            actor=actor, order=order, to=Status.IN_PROGRESS, note=reason, check_permission=False
        )
        order.rework_count += 1
        order.save(update_fields=["rework_count", "updated_at"])
    elif stage == Stage.FINAL and passed:
        if order.needs_certificate and not order.certificate_no:
            order.certificate_no = next_code("HG", order.store.code)
            order.save(update_fields=["certificate_no", "updated_at"])
        to = Status.WASHING if order.free_wash else Status.READY
        order = order_transition(actor=actor, order=order, to=to, note=note, check_permission=False)
        if to == Status.READY:
            _ready_notice(actor, order)
    check.order = order
    given.refresh_from_db(fields=["status", "rework_count", "certificate_no", "finished_at", "ready_at"])
    return check
