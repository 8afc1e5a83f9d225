"""Tools and equipment (工具设备管理, F-4.7): the store's list with maintenance due, lent to a
technician (for a work order or not) and returned, damage noted (a damaged tool goes to repair).
Seed 002: 出库时间、入库时间、工具报损、设备维护、工具设备资料."""

import datetime

from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from pitstop.accounts.models import Store, User
from pitstop.core.exceptions import ApplicationError
from pitstop.core.scoping import has_perm_in_store, scoped
from pitstop.service.models import RepairOrder

from .checks import store_staff
from .models import Tool, ToolLoan

VIEW = "workshop.view_tool"
ADD = "workshop.add_tool"
CHANGE = "workshop.change_tool"
LEND = "workshop.add_toolloan"
RETURN = ("workshop.add_toolloan", "workshop.change_toolloan")
Status = Tool.Status
# Maintenance due within this many days is shown as coming up.
DUE_SOON_DAYS = 14


# ---------------------------------------------------------------- selectors


def tools_for(user, store: Store | None = None) -> QuerySet[Tool]:
    open_loans = Prefetch(
        "loans",
        queryset=ToolLoan.objects.filter(returned_at__isnull=True).select_related("borrower", "order"),
        to_attr="open_loans",
    )
    return scoped(Tool.objects.all(), user, VIEW, store=store).prefetch_related(open_loans)


def maintenance_state(tool: Tool, today: datetime.date | None = None) -> str:
    """ "overdue", "soon" or "" for the list's marks."""
    if tool.maintenance_due is None or tool.status == Status.RETIRED:
        return ""
    today = today or timezone.localdate()
    if tool.maintenance_due <= today:
        return "overdue"
    if tool.maintenance_due <= today + datetime.timedelta(days=DUE_SOON_DAYS):
        return "soon"
    return ""


def open_loan(tool: Tool) -> ToolLoan | None:
    loans = getattr(tool, "open_loans", None)
    if loans is not None:
        return loans[0] if loans else None
    return tool.loans.filter(returned_at__isnull=True).select_related("borrower", "order").first()


def lendable_orders(store: Store) -> QuerySet[RepairOrder]:
    return RepairOrder.objects.filter(
        store=store,
        status__in=(
            RepairOrder.Status.DISPATCHED,
            RepairOrder.Status.IN_PROGRESS,
            RepairOrder.Status.WAITING_PARTS,
            RepairOrder.Status.WAITING_APPROVAL,
            RepairOrder.Status.CHECKING,
        ),
    ).select_related("vehicle")


# ---------------------------------------------------------------- services


def _require(actor: User, store_id: int, *perms: str) -> None:
    if not any(has_perm_in_store(actor, perm, store_id) for perm in perms):
        raise ApplicationError(_("Your role cannot do this."), code="permission")


@transaction.atomic
def tool_save(
    *,
    actor: User,
    store: Store,
    tool: Tool | None = None,
    code: str,
    name: str,
    status: str | None = None,
    maintenance_due: datetime.date | None = None,
    note: str = "",
) -> Tool:
    """Add a tool to the store's list, or change one. The status can be set to available, being
    repaired or retired; "lent out" only comes from lending, and a lent tool's status waits for
    its return."""
    if tool is None:
        _require(actor, store.pk, ADD)
    else:
        if tool.store_id != store.pk:
            raise ApplicationError(_("This tool belongs to another store."), code="store")
        _require(actor, store.pk, CHANGE)
        tool = Tool.objects.select_for_update().get(pk=tool.pk)
    code = (code or "").strip().upper()
    name = (name or "").strip()
    if not code:
        raise ApplicationError(_("Give the tool a code."), field="code", code="code")
    if not name:
        raise ApplicationError(_("Give the tool a name."), field="name", code="name")
    duplicate = Tool.objects.filter(store=store, code=code)
    if tool is not None:
        duplicate = duplicate.exclude(pk=tool.pk)
    if duplicate.exists():
        raise ApplicationError(
            _("The code %(code)s is already used in this store.") % {"code": code},
            field="code",
            code="duplicate",
        )
    if status is not None and status not in (Status.AVAILABLE, Status.REPAIR, Status.RETIRED, Status.LENT):
        raise ApplicationError(_("Choose the status."), field="status", code="status")
    current = tool.status if tool is not None else Status.AVAILABLE
    status = status or current
    if status != current and (status == Status.LENT or current == Status.LENT):
        raise ApplicationError(
            _("A tool is lent out and back only through lending and returning it."),
            field="status",
            code="lent",
        )
    if tool is None:
        tool = Tool(store=store)
    tool.code, tool.name, tool.status = code, name, status
    tool.maintenance_due = maintenance_due
    tool.note = (note or "").strip()[:200]
    tool.save()
    return tool


@transaction.atomic
def tool_lend(*, actor: User, tool: Tool, borrower: User, order: RepairOrder | None = None) -> ToolLoan:
    """Lend an available tool to a person of the store (a technician), for one of the store's
    jobs or not; the time is the moment of lending (出库时间)."""
    _require(actor, tool.store_id, LEND)
    tool = Tool.objects.select_for_update().select_related("store").get(pk=tool.pk)
    if tool.status != Status.AVAILABLE:
        raise ApplicationError(
            _("%(tool)s is %(status)s and cannot be lent.")
            % {"tool": tool, "status": Status(tool.status).label},
            field="tool",
            code="not_available",
        )
    if borrower is None or not store_staff(tool.store).filter(pk=borrower.pk).exists():
        raise ApplicationError(
            _("Lend the tool to a person of this store."), field="borrower", code="borrower"
        )
    if order is not None and (order.store_id != tool.store_id or not order.is_open):
        raise ApplicationError(_("Choose an open work order of this store."), field="order", code="order")
    loan = ToolLoan.objects.create(
        tool=tool, borrower=borrower, order=order, lent_at=timezone.now(), lent_by=actor
    )
    tool.status = Status.LENT
    tool.save(update_fields=["status", "updated_at"])
    return loan


@transaction.atomic
def tool_return(*, actor: User, tool: Tool, damage: str = "") -> ToolLoan:
    """Take a lent tool back (入库时间). Damage noted (工具报损) sends it to repair; otherwise it
    is available again."""
    _require(actor, tool.store_id, *RETURN)
    tool = Tool.objects.select_for_update().get(pk=tool.pk)
    loan = ToolLoan.objects.select_for_update().filter(tool=tool, returned_at__isnull=True).first()
    if loan is None or tool.status != Status.LENT:
        raise ApplicationError(_("This tool is not lent out."), field="tool", code="not_lent")
    damage = (damage or "").strip()[:200]
    loan.returned_at = timezone.now()
    loan.damage = damage
    loan.save(update_fields=["returned_at", "damage"])
    tool.status = Status.REPAIR if damage else Status.AVAILABLE
    fields = ["status", "updated_at"]
    if damage:
        tool.note = damage
        fields.append("note")
    tool.save(update_fields=fields)
    return loan
