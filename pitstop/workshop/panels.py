"""The workshop's box on the home page: today's work for the person looking, by role. Counts
only (one grouped query over the store's open orders, plus one per role-specific list), so
the home page stays fast however busy the workshop is."""

from django.db.models import Count
from django.utils import timezone

from pitstop.core.scoping import has_perm_in_store, scoped
from pitstop.service.models import Approval, OrderLabour, OrderPart, RepairOrder

from .models import AdvisorTask, PartsRequest, TimeEntry

Status = RepairOrder.Status


def workshop_today(*, user, store) -> dict | None:
    if store is None or not has_perm_in_store(user, "service.view_repairorder", store.pk):
        return None
    orders = scoped(RepairOrder.objects.all(), user, "service.view_repairorder", store=store)
    by_state = dict(
        orders.filter(status__in=RepairOrder.ON_BOARD + (Status.DRAFT,))
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    now = timezone.now()
    panel = {
        "by_state": by_state,
        "drafts": by_state.get(Status.DRAFT, 0),
        "to_dispatch": by_state.get(Status.CONFIRMED, 0),
        "checking": by_state.get(Status.CHECKING, 0),
        "washing": by_state.get(Status.WASHING, 0),
        "ready": by_state.get(Status.READY, 0),
        "late": orders.filter(status__in=RepairOrder.OPEN, promised_at__lt=now).count(),
        "can_receive": has_perm_in_store(user, "service.add_repairorder", store.pk),
        "can_dispatch": has_perm_in_store(user, "service.dispatch_repairorder", store.pk),
        "can_inspect": has_perm_in_store(user, "service.inspect_repairorder", store.pk),
        "can_work": has_perm_in_store(user, "service.work_repairorder", store.pk),
        "can_issue": has_perm_in_store(user, "workshop.change_partsrequest", store.pk),
    }
    if panel["can_receive"]:
        pending = {"order__store": store, "order__status__in": RepairOrder.OPEN, "approval": Approval.PENDING}
        panel["awaiting_owner"] = len(
            set(OrderLabour.objects.filter(**pending).values_list("order_id", flat=True))
            | set(OrderPart.objects.filter(**pending).values_list("order_id", flat=True))
        )
        panel["tasks"] = AdvisorTask.objects.filter(
            order__store=store, order__status__in=RepairOrder.OPEN, done_at__isnull=True
        ).count()
    if panel["can_work"]:
        panel["clock"] = (
            TimeEntry.objects.filter(technician=user, ended_at__isnull=True).select_related("order").first()
        )
        panel["my_jobs"] = (
            orders.filter(
                status__in=(
                    Status.DISPATCHED,
                    Status.IN_PROGRESS,
                    Status.WAITING_PARTS,
                    Status.WAITING_APPROVAL,
                ),
                assignments__technicians=user,
            )
            .distinct()
            .count()
        )
    if panel["can_issue"]:
        panel["requests"] = PartsRequest.objects.filter(
            order__store=store, status=PartsRequest.Status.OPEN
        ).count()
    return panel
