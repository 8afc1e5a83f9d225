"""Repair order pages: list, detail, estimate lines, signature, printed forms (F-3.4, F-3.5).

The detail page is the order's hub: its header and state buttons, the estimate with labour
from the catalogue, canned jobs and parts with stock shown (HTMX partials `estimate-lines`,
`labour-results`, `part-results`), the promised time, links to the other pieces' pages and
the history. Reading needs `view_repairorder` in the order's store; every change needs
`change_repairorder` there (403 otherwise) and goes through `pitstop.service.estimates`."""

import datetime
from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from pitstop.core.exceptions import ApplicationError
from pitstop.core.htmx import render_page
from pitstop.core.scoping import has_perm_in_store, require_perm_somewhere

from .. import estimates
from ..catalogue import canned_jobs_for, operations_matching, store_rates
from ..models import Approval, BayType, LabourOperation, OrderPart, RepairOrder
from ..orders import CHANGE, VIEW, next_states, order_detail, order_transition

Status = RepairOrder.Status
PER_PAGE = 25
SEARCH_LIMIT = 12
STATUS_CSS = {
    Status.DRAFT: "text-bg-secondary",
    Status.CONFIRMED: "text-bg-primary",
    Status.DISPATCHED: "text-bg-info",
    Status.IN_PROGRESS: "text-bg-warning",
    Status.WAITING_PARTS: "text-bg-danger",
    Status.WAITING_APPROVAL: "text-bg-danger",
    Status.CHECKING: "text-bg-info",
    Status.WASHING: "text-bg-info",
    Status.READY: "text-bg-success",
    Status.DELIVERED: "text-bg-dark",
    Status.CANCELLED: "text-bg-light border",
}
SUPPLY_CSS = {
    OrderPart.Supply.RESERVED: "text-bg-success",
    OrderPart.Supply.TO_ORDER: "text-bg-danger",
    OrderPart.Supply.ORDERED: "text-bg-warning",
    OrderPart.Supply.ARRIVED: "text-bg-info",
    OrderPart.Supply.ISSUED: "text-bg-secondary",
    OrderPart.Supply.CUSTOMER: "text-bg-light border",
}
# Moves made here with a plain button; the others belong to their step's page (signing,
# dispatch, the technician, the checks), which checks its own preconditions first.
PLAIN_MOVES = {Status.WAITING_PARTS, Status.CANCELLED}
STEP_PAGES = {
    Status.CONFIRMED: ("service:order_sign", "btn-primary"),
    Status.DISPATCHED: ("workshop:dispatch", "btn-primary"),
    Status.CHECKING: ("workshop:order_checks", "btn-outline-primary"),
    Status.WASHING: ("workshop:order_checks", "btn-outline-primary"),
    Status.READY: ("workshop:order_checks", "btn-outline-primary"),
    # Handing the car back needs the settlement (or credit) and the checklist: billing's page.
    Status.DELIVERED: ("billing:delivery", "btn-success"),
}


def _label(status: str) -> str:
    return Status(status).label if status in Status.values else status


def _may_change(request: HttpRequest, order: RepairOrder) -> bool:
    return has_perm_in_store(request.user, CHANGE, order.store_id)


def _order_for_change(request: HttpRequest, pk: int) -> RepairOrder:
    """The order (404 in another store) for a write: 403 without the change permission."""
    order = order_detail(user=request.user, pk=pk)
    if not _may_change(request, order):
        raise PermissionDenied
    return order


def _reverse_or_none(name: str, *args) -> str | None:
    from django.urls import NoReverseMatch

    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


def _promise(order: RepairOrder):
    """The time promised: as set, else (while a draft) the workshop's estimate."""
    if order.promised_at:
        return order.promised_at
    return estimates.promised_time(order) if order.status == Status.DRAFT else None


def _decimal(value: str | None) -> Decimal | None:
    value = (value or "").strip().replace(",", ".")
    if not value:
        return None
    try:
        return Decimal(value)
    except InvalidOperation:
        raise ApplicationError(_("Enter a number."), code="number") from None


# --- list ----------------------------------------------------------------------------------


@login_required
def order_list(request: HttpRequest) -> HttpResponse:
    """Work orders of the current store (or all the user's stores), by plate or number, by
    state; newest first, 25 a page, a fixed number of queries."""
    require_perm_somewhere(request.user, VIEW)
    query = request.GET.get("q", "").strip()
    status = request.GET.get("status", "")
    rows = estimates.order_search(user=request.user, store=request.store, query=query, status=status)
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "q": query,
        "status": status,
        "statuses": Status.choices,
        "status_css": STATUS_CSS,
        "may_start": any(
            has_perm_in_store(request.user, "service.add_repairorder", store_id)
            for store_id in ([request.store.pk] if request.store else [])
        ),
    }
    return render_page(request, "service/orders/list.html", context, partials=("order-table",))


# --- the hub -------------------------------------------------------------------------------


def _moves(request: HttpRequest, order: RepairOrder) -> list[dict]:
    """The buttons for the moves this user may make: a plain post for the simple ones, a link
    to the step's page for those with preconditions."""
    buttons = []
    for to in sorted(next_states(request.user, order), key=lambda s: list(Status.values).index(s)):
        if to == Status.CANCELLED:
            continue  # its own form with the reason
        if to == Status.DRAFT and order.status == Status.CONFIRMED:
            buttons.append({"to": to, "kind": "reopen", "label": _("Reopen the estimate")})
        elif to in PLAIN_MOVES or (to == Status.IN_PROGRESS and order.status == Status.WAITING_PARTS):
            buttons.append({"to": to, "kind": "post", "label": _label(to)})
        elif to in STEP_PAGES:
            name, css = STEP_PAGES[to]
            url = _reverse_or_none(name, order.pk)
            if url:
                buttons.append({"to": to, "kind": "link", "url": url, "css": css, "label": _label(to)})
    return buttons


def _estimate_context(request: HttpRequest, order: RepairOrder) -> dict:
    labour, parts = estimates.order_lines(order)
    stock = estimates.stock_available(order.store, [line.part_id for line in parts if line.part_id])
    for line in labour + parts:
        line.editable = estimates.line_editable(order, line)
    for line in parts:
        line.available = stock.get(line.part_id) if line.part_id else None
        line.supply_css = SUPPLY_CSS.get(line.supply, "text-bg-light")
    may_change = _may_change(request, order)
    return {
        "order": order,
        "labour": labour,
        "parts": parts,
        "may_edit": may_change and order.status == Status.DRAFT,
        "may_change": may_change,
        "pending": any(line.approval == Approval.PENDING for line in labour + parts),
        "declined": any(line.approval == Approval.DECLINED for line in labour + parts),
        "has_customer_parts": any(line.customer_supplied for line in parts),
        "bay_types": BayType.choices,
    }


def _labour_results(request: HttpRequest, order: RepairOrder, query: str) -> list:
    if not query:
        return []
    rates = store_rates(order.store)
    from ..catalogue import operation_price

    found = list(operations_matching(query, active_only=True)[:SEARCH_LIMIT])
    for operation in found:
        operation.store_price = operation_price(operation, None, rates)
    return found


def _part_results(request: HttpRequest, order: RepairOrder, query: str) -> list:
    if not query:
        return []
    from pitstop.parts.selectors import parts_matching, sale_prices

    found = list(parts_matching(query)[:SEARCH_LIMIT])
    prices = sale_prices(found, estimates.customer_price_type(order))
    stock = estimates.stock_available(order.store, found)
    for part in found:
        part.customer_price = prices[part.pk]
        part.available = stock[part.pk]
    return found


@login_required
def order_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    order = order_detail(user=request.user, pk=pk)
    context = _estimate_context(request, order)
    labour_q = request.GET.get("lq", "").strip()
    part_q = request.GET.get("pq", "").strip()
    context.update(
        {
            "status_css": STATUS_CSS,
            "lq": labour_q,
            "pq": part_q,
            "labour_results": _labour_results(request, order, labour_q),
            "part_results": _part_results(request, order, part_q),
        }
    )
    target = getattr(request, "htmx", None) and request.htmx.target
    if target in ("labour-results", "part-results"):
        return render_page(request, "service/orders/detail.html", context, partials=(target,))
    may_edit = context["may_edit"]
    context.update(
        {
            "moves": _moves(request, order),
            "may_cancel": Status.CANCELLED in next_states(request.user, order),
            "jobs": list(canned_jobs_for(request.user, order.store).filter(is_active=True))
            if may_edit
            else [],
            "takeover": estimates.appointment_takeover(order) if may_edit else {"items": [], "parts": []},
            "promise": _promise(order),
            "events": [
                (event, _label(event.from_status), _label(event.to_status))
                for event in order.events.select_related("actor").order_by("-at", "-id")
            ],
        }
    )
    return render_page(request, "service/orders/detail.html", context, partials=("estimate-lines",))


def _after_change(
    request: HttpRequest, order: RepairOrder, error: ApplicationError | None = None
) -> HttpResponse:
    """HTMX: the estimate partial again (with the error next to it, 400); otherwise back to
    the hub with a message."""
    if getattr(request, "htmx", None) and request.htmx.target == "estimate-lines":
        order.refresh_from_db()
        from django.template.loader import render_to_string

        context = _estimate_context(request, order)
        context["error"] = error.message if error else ""
        context["promise"] = _promise(order)
        context["oob"] = True
        html = render_to_string("service/orders/detail.html#estimate-lines", context, request=request)
        html += render_to_string("service/orders/detail.html#promise-card", context, request=request)
        return HttpResponse(html, status=400 if error else 200)
    if error:
        messages.error(request, error.message)
    return redirect("service:order_detail", pk=order.pk)


@login_required
@require_POST
def order_labour_add(request: HttpRequest, pk: int) -> HttpResponse:
    """A labour line: `operation` (an id from the catalogue search) or a free-text `name`, with
    optional hours, bay type and price."""
    order = _order_for_change(request, pk)
    data = request.POST
    try:
        operation = None
        if data.get("operation"):
            operation = (
                LabourOperation.objects.filter(pk=data["operation"]).first()
                if data["operation"].isdigit()
                else None
            )
            if operation is None:
                raise ApplicationError(_("This labour operation is not in the catalogue."), field="operation")
        estimates.labour_line_add(
            actor=request.user,
            order=order,
            operation=operation,
            name=data.get("name", ""),
            hours=_decimal(data.get("hours")),
            bay_type=data.get("bay_type", ""),
            price=_decimal(data.get("price")),
        )
    except ApplicationError as error:
        return _after_change(request, order, error)
    return _after_change(request, order)


@login_required
@require_POST
def order_part_add(request: HttpRequest, pk: int) -> HttpResponse:
    """A part line: `part` (an id from the catalogue search) or a free-text `name` with a price;
    quantity; aftermarket; customer-supplied."""
    from pitstop.parts.models import Part

    order = _order_for_change(request, pk)
    data = request.POST
    try:
        part = None
        if data.get("part"):
            part = Part.objects.filter(pk=data["part"]).first() if data["part"].isdigit() else None
            if part is None:
                raise ApplicationError(_("This part is not in the catalogue."), field="part")
        quality = data.get("quality", "")
        estimates.part_line_add(
            actor=request.user,
            order=order,
            part=part,
            name=data.get("name", ""),
            quantity=_decimal(data.get("quantity")) or Decimal("1"),
            unit_price=_decimal(data.get("unit_price")),
            genuine={"genuine": True, "aftermarket": False}.get(quality),
            customer_supplied=bool(data.get("customer_supplied")),
        )
    except ApplicationError as error:
        return _after_change(request, order, error)
    return _after_change(request, order)


@login_required
@require_POST
def order_job_add(request: HttpRequest, pk: int) -> HttpResponse:
    """A canned job's labour and parts in one click."""
    order = _order_for_change(request, pk)
    job_id = request.POST.get("job", "")
    job = canned_jobs_for(request.user, order.store).filter(pk=job_id).first() if job_id.isdigit() else None
    try:
        if job is None:
            raise ApplicationError(_("Choose a canned job."), field="job")
        estimates.canned_job_add(actor=request.user, order=order, job=job)
    except ApplicationError as error:
        return _after_change(request, order, error)
    return _after_change(request, order)


@login_required
@require_POST
def order_line_update(request: HttpRequest, pk: int, kind: str, line_id: int) -> HttpResponse:
    order = _order_for_change(request, pk)
    data = request.POST
    try:
        if kind == "labour":
            estimates.line_update(
                actor=request.user,
                order=order,
                kind=kind,
                line_id=line_id,
                name=data.get("name") or None,
                hours=_decimal(data.get("hours")),
                price=_decimal(data.get("price")),
                discount_pct=_decimal(data.get("discount_pct")),
            )
        else:
            quality = data.get("quality", "")
            estimates.line_update(
                actor=request.user,
                order=order,
                kind=kind,
                line_id=line_id,
                name=data.get("name") or None,
                quantity=_decimal(data.get("quantity")),
                unit_price=_decimal(data.get("unit_price")),
                discount_pct=_decimal(data.get("discount_pct")),
                genuine={"genuine": True, "aftermarket": False}.get(quality),
                customer_supplied=(bool(data.get("customer_supplied")) if "supplied_shown" in data else None),
            )
    except ApplicationError as error:
        return _after_change(request, order, error)
    return _after_change(request, order)


@login_required
@require_POST
def order_line_remove(request: HttpRequest, pk: int, kind: str, line_id: int) -> HttpResponse:
    order = _order_for_change(request, pk)
    try:
        estimates.line_remove(actor=request.user, order=order, kind=kind, line_id=line_id)
    except ApplicationError as error:
        return _after_change(request, order, error)
    return _after_change(request, order)


@login_required
@require_POST
def order_appointment_items(request: HttpRequest, pk: int) -> HttpResponse:
    """Take over the appointment's items and reserved parts."""
    order = _order_for_change(request, pk)
    try:
        lines = estimates.appointment_items_add(actor=request.user, order=order)
        messages.success(
            request, _("%(count)s lines taken over from the appointment.") % {"count": len(lines)}
        )
    except ApplicationError as error:
        messages.error(request, error.message)
    return redirect("service:order_detail", pk=order.pk)


def _parse_local(value: str) -> datetime.datetime:
    from ..capacity import local_zone

    try:
        moment = datetime.datetime.fromisoformat((value or "").strip())
    except ValueError:
        raise ApplicationError(_("Enter a date and time."), field="promised_at") from None
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=local_zone())
    return moment


@login_required
@require_POST
def order_promised(request: HttpRequest, pk: int) -> HttpResponse:
    """Change the promised completion time before signing."""
    order = _order_for_change(request, pk)
    try:
        estimates.promised_at_set(
            actor=request.user, order=order, promised_at=_parse_local(request.POST.get("promised_at", ""))
        )
        messages.success(request, _("Promised time saved."))
    except ApplicationError as error:
        messages.error(request, error.message)
    return redirect("service:order_detail", pk=order.pk)


@login_required
@require_POST
def order_status(request: HttpRequest, pk: int) -> HttpResponse:
    """The plain moves: cancel (with the reason), waiting for parts and back, reopen the
    estimate (with the reason). The order's rules and the role are checked by the service."""
    order = order_detail(user=request.user, pk=pk)
    to = request.POST.get("to", "")
    note = request.POST.get("note", "")
    if to not in Status.values:
        messages.error(request, _("Unknown state."))
        return redirect("service:order_detail", pk=order.pk)
    try:
        if to == Status.DRAFT:
            estimates.order_reopen(actor=request.user, order=order, reason=note)
        elif to in PLAIN_MOVES or (to == Status.IN_PROGRESS and order.status == Status.WAITING_PARTS):
            order_transition(actor=request.user, order=order, to=to, note=note)
        else:
            raise ApplicationError(_("Use the step's own page for this move."), code="transition")
        messages.success(
            request,
            _("Work order %(number)s is now %(status)s.") % {"number": order.number, "status": _label(to)},
        )
    except ApplicationError as error:
        if error.code == "permission":
            raise PermissionDenied from None
        messages.error(request, error.message)
    return redirect("service:order_detail", pk=order.pk)


# --- signing -------------------------------------------------------------------------------


@login_required
def order_sign(request: HttpRequest, pk: int) -> HttpResponse:
    """The owner signs the work order on the tablet (a canvas) or on paper, with the payment
    method, the old parts, free wash and the promised time."""
    order = order_detail(user=request.user, pk=pk)
    if not _may_change(request, order):
        raise PermissionDenied
    error = None
    values = {
        "payment_method": order.payment_method,
        "old_parts": order.old_parts,
        "free_wash": order.free_wash,
        "on_paper": False,
    }
    if request.method == "POST":
        data = request.POST
        values.update(
            {
                "payment_method": data.get("payment_method", ""),
                "old_parts": data.get("old_parts", ""),
                "free_wash": bool(data.get("free_wash")),
                "on_paper": bool(data.get("on_paper")),
            }
        )
        try:
            promised = data.get("promised_at", "").strip()
            estimates.order_sign(
                actor=request.user,
                order=order,
                signature=data.get("signature", ""),
                on_paper=values["on_paper"],
                payment_method=values["payment_method"],
                old_parts=values["old_parts"],
                free_wash=values["free_wash"],
                promised_at=_parse_local(promised) if promised else None,
            )
            messages.success(request, _("Work order %(number)s is signed.") % {"number": order.number})
            return redirect("service:order_detail", pk=order.pk)
        except ApplicationError as err:
            error = err
    context = _estimate_context(request, order)
    promise = _promise(order)
    context.update(
        {
            "values": values,
            "error": error,
            "payments": RepairOrder.Payment.choices,
            "old_parts_choices": RepairOrder.OldParts.choices,
            "promise": promise,
            "guarantee": _guarantee(order),
            "promise_input": timezone.localtime(promise).strftime("%Y-%m-%dT%H:%M") if promise else "",
        }
    )
    return render(request, "service/orders/sign.html", context, status=400 if error else 200)


# --- printed forms -------------------------------------------------------------------------


def _guarantee(order: RepairOrder):
    """The repair-quality guarantee of the order's category (rules.py), None if unknown."""
    try:
        from ..rules import guarantee_for

        return guarantee_for(order.vehicle, order.repair_category)
    except (ImportError, KeyError, LookupError, AttributeError):
        return None


def _print_context(request: HttpRequest, pk: int) -> dict:
    order = order_detail(user=request.user, pk=pk)
    labour, parts = estimates.order_lines(order)
    counted_labour = [line for line in labour if line.approval != Approval.DECLINED]
    counted_parts = [line for line in parts if line.approval != Approval.DECLINED]
    return {
        "order": order,
        "labour": counted_labour,
        "parts": counted_parts,
        "has_customer_parts": any(line.customer_supplied for line in counted_parts),
        "has_aftermarket": any(not line.genuine and not line.customer_supplied for line in counted_parts),
        "pending": any(line.approval == Approval.PENDING for line in counted_labour + counted_parts),
        "guarantee": _guarantee(order),
        "printed_at": timezone.now(),
        "promise": _promise(order),
    }


@login_required
def estimate_print(request: HttpRequest, pk: int) -> HttpResponse:
    """维修估价单: the estimate on A4 for the owner to take or sign."""
    context = _print_context(request, pk)
    context["form"] = "estimate"
    return render(request, "service/orders/print.html", context)


@login_required
def order_print(request: HttpRequest, pk: int) -> HttpResponse:
    """任务委托书 / 进厂维修单: the signed work order on A4."""
    context = _print_context(request, pk)
    context["form"] = "order"
    return render(request, "service/orders/print.html", context)


urlpatterns = [
    path("orders/", order_list, name="order_list"),
    path("orders/<int:pk>/", order_detail_view, name="order_detail"),
    path("orders/<int:pk>/status/", order_status, name="order_status"),
    path("orders/<int:pk>/labour/", order_labour_add, name="order_labour_add"),
    path("orders/<int:pk>/parts/", order_part_add, name="order_part_add"),
    path("orders/<int:pk>/jobs/", order_job_add, name="order_job_add"),
    path("orders/<int:pk>/lines/<str:kind>/<int:line_id>/", order_line_update, name="order_line_update"),
    path(
        "orders/<int:pk>/lines/<str:kind>/<int:line_id>/remove/",
        order_line_remove,
        name="order_line_remove",
    ),
    path("orders/<int:pk>/from-appointment/", order_appointment_items, name="order_appointment_items"),
    path("orders/<int:pk>/promised/", order_promised, name="order_promised"),
    path("orders/<int:pk>/sign/", order_sign, name="order_sign"),
    path("orders/<int:pk>/estimate/print/", estimate_print, name="estimate_print"),
    path("orders/<int:pk>/print/", order_print, name="order_print"),
]
