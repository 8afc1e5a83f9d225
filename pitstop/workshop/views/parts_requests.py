"""The warehouse's queue of parts asked for by technicians: issue against the work order or
refuse with a reason; and the parts of jobs that were not in stock, marked ordered (with the
expected date) and arrived, so the board and the technician see where each part is."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from pitstop.core.exceptions import ApplicationError
from pitstop.core.money import plain
from pitstop.core.scoping import get_scoped_or_404, has_perm_in_store, require_perm_somewhere
from pitstop.parts.models import Warehouse
from pitstop.service.models import OrderPart

from .. import parts_flow
from ..models import PartsRequest

ISSUE = parts_flow.ISSUE


def _store(request: HttpRequest):
    require_perm_somewhere(request.user, ISSUE)
    if request.store is None or not has_perm_in_store(request.user, ISSUE, request.store.pk):
        raise PermissionDenied
    return request.store


@login_required
def parts_requests(request: HttpRequest) -> HttpResponse:
    """The store's open requests, oldest first, with the stock in each warehouse; the parts of
    jobs to order, ordered and arrived; what was handled today. A fixed number of queries."""
    store = _store(request)
    start = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    context = {
        "requests": parts_flow.open_requests(user=request.user, store=store),
        "warehouses": list(Warehouse.objects.filter(store=store, is_active=True).order_by("code")),
        "to_supply": list(parts_flow.lines_to_supply(user=request.user, store=store)[:200]),
        "handled": list(
            PartsRequest.objects.filter(order__store=store, handled_at__gte=start)
            .exclude(status=PartsRequest.Status.OPEN)
            .select_related("order", "part", "requested_by", "handled_by")
            .order_by("-handled_at")[:20]
        ),
        "today": timezone.localdate(),
        "Supply": OrderPart.Supply,
    }
    return render(request, "workshop/parts_requests/list.html", context)


def _request(request: HttpRequest, pk: int) -> PartsRequest:
    return get_scoped_or_404(
        PartsRequest.objects.select_related("order", "part"),
        request.user,
        ISSUE,
        store_field="order__store_id",
        pk=pk,
    )


def _back() -> HttpResponse:
    return redirect(reverse("workshop:parts_requests"))


@login_required
@require_POST
def parts_request_issue(request: HttpRequest, pk: int) -> HttpResponse:
    asked = _request(request, pk)
    warehouse = None
    if (request.POST.get("warehouse") or "").isdigit():
        warehouse = Warehouse.objects.filter(
            pk=request.POST["warehouse"], store_id=asked.order.store_id
        ).first()
        if warehouse is None:
            messages.error(request, _("Choose one of the store's warehouses."))
            return _back()
    try:
        parts_flow.parts_request_issue(actor=request.user, request=asked, warehouse=warehouse)
    except ApplicationError as error:
        messages.error(request, f"{asked.order.number} · {asked.part}: {error.message}")
    else:
        messages.success(
            request,
            _("Issued %(qty)s × %(part)s to %(number)s.")
            % {"qty": plain(asked.quantity), "part": asked.part, "number": asked.order.number},
        )
    return _back()


@login_required
@require_POST
def parts_request_refuse(request: HttpRequest, pk: int) -> HttpResponse:
    asked = _request(request, pk)
    try:
        parts_flow.parts_request_refuse(
            actor=request.user, request=asked, reason=request.POST.get("reason", "")
        )
    except ApplicationError as error:
        messages.error(request, f"{asked.order.number} · {asked.part}: {error.message}")
    else:
        messages.success(request, _("Request refused."))
    return _back()


@login_required
@require_POST
def part_supply(request: HttpRequest, pk: int) -> HttpResponse:
    """A job's part: ordered (with the expected date), arrived, or back to "to order"."""
    line = get_scoped_or_404(
        OrderPart.objects.select_related("order"), request.user, ISSUE, store_field="order__store_id", pk=pk
    )
    expected = None
    if request.POST.get("expected_on"):
        try:
            expected = datetime.date.fromisoformat(request.POST["expected_on"])
        except ValueError:
            messages.error(request, _("Give the date the part is expected."))
            return _back()
    try:
        parts_flow.part_supply_set(
            actor=request.user, line=line, supply=request.POST.get("supply", ""), expected_on=expected
        )
    except ApplicationError as error:
        messages.error(request, f"{line.order.number} · {line.name}: {error.message}")
    else:
        messages.success(
            request, _("%(part)s on %(number)s updated.") % {"part": line.name, "number": line.order.number}
        )
    return _back()


urlpatterns = [
    path("workshop/parts-requests/", parts_requests, name="parts_requests"),
    path("workshop/parts-requests/<int:pk>/issue/", parts_request_issue, name="parts_request_issue"),
    path("workshop/parts-requests/<int:pk>/refuse/", parts_request_refuse, name="parts_request_refuse"),
    path("workshop/part-lines/<int:pk>/supply/", part_supply, name="part_supply"),
]
