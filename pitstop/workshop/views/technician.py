"""The technician's tablet: my jobs, clock on and off, findings, parts requests (F-4.3, F-4.8).

Technicians and team leaders work (service.work_repairorder); the advisor and everyone else who
may see the order reads the job page without its buttons. Another store's order answers 404."""

import datetime
from decimal import Decimal, InvalidOperation

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from pitstop.core.exceptions import ApplicationError
from pitstop.core.forms import BootstrapMixin
from pitstop.core.htmx import render_page
from pitstop.core.money import plain, to_quantity
from pitstop.core.scoping import has_perm_in_store, require_perm_somewhere
from pitstop.parts.models import Part
from pitstop.service.catalogue import normalise_code, operations_matching
from pitstop.service.models import Approval, LabourOperation, OrderLabour, OrderPart, RepairOrder
from pitstop.service.orders import VIEW, WORK, order_detail

from .. import parts_flow
from .. import technician as services
from ..models import PartsRequest

Status = RepairOrder.Status
STATUS_CSS = {
    Status.DISPATCHED: "text-bg-info",
    Status.IN_PROGRESS: "text-bg-primary",
    Status.WAITING_PARTS: "text-bg-warning",
    Status.WAITING_APPROVAL: "text-bg-warning",
    Status.CHECKING: "text-bg-success",
}
SUPPLY_CSS = {
    OrderPart.Supply.RESERVED: "text-bg-success",
    OrderPart.Supply.TO_ORDER: "text-bg-danger",
    OrderPart.Supply.ORDERED: "text-bg-warning",
    OrderPart.Supply.ARRIVED: "text-bg-info",
    OrderPart.Supply.ISSUED: "text-bg-secondary",
    OrderPart.Supply.CUSTOMER: "text-bg-light border",
}
PROPOSAL_ROWS = 3


def _store(request: HttpRequest, perm: str):
    require_perm_somewhere(request.user, perm)
    if request.store is None or not has_perm_in_store(request.user, perm, request.store.pk):
        raise PermissionDenied
    return request.store


def _order(request: HttpRequest, pk: int, *, work: bool = False) -> RepairOrder:
    """The order if the user may see it (404 otherwise); 403 for work without the right."""
    order = order_detail(user=request.user, pk=pk, perm=VIEW)
    if work and not has_perm_in_store(request.user, WORK, order.store_id):
        raise PermissionDenied
    return order


def _back(request: HttpRequest, order: RepairOrder | None = None) -> HttpResponse:
    target = request.POST.get("next", "")
    if (
        target
        and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()})
        and target.startswith("/")
    ):
        return redirect(target)
    if order is not None:
        return redirect("workshop:job", pk=order.pk)
    return redirect("workshop:my_jobs")


# --- my jobs -------------------------------------------------------------------------------


@login_required
def my_jobs(request: HttpRequest) -> HttpResponse:
    """The technician's jobs as big cards: plate, model, state, bay, planned end, parts
    waiting, the clock. Four queries whatever the count."""
    store = _store(request, WORK)
    jobs = list(services.my_jobs(user=request.user, store=store)[:60])
    waiting: dict[int, int] = {}
    for order_id, supply in OrderPart.objects.filter(
        order__in=[job.pk for job in jobs], approval=Approval.APPROVED, customer_supplied=False
    ).values_list("order_id", "supply"):
        if supply not in parts_flow.AT_HAND:
            waiting[order_id] = waiting.get(order_id, 0) + 1
    clock = services.open_clock(request.user)
    for job in jobs:
        assignments = list(job.assignments.all())
        job.bays = [a.bay.name for a in assignments if a.bay_id]
        job.planned_end = max((a.planned_end for a in assignments), default=None)
        job.parts_waiting = waiting.get(job.pk, 0)
        job.clock_here = clock is not None and clock.order_id == job.pk
        job.clockable = job.status in services.CLOCKABLE
    context = {"jobs": jobs, "clock": clock, "status_css": STATUS_CSS, "now": timezone.now()}
    return render_page(request, "workshop/technician/my_jobs.html", context, partials=("my-jobs",))


@login_required
@require_POST
def job_clock_on(request: HttpRequest, pk: int) -> HttpResponse:
    order = _order(request, pk, work=True)
    try:
        services.clock_on(actor=request.user, order=order)
        messages.success(request, _("Clocked on %(number)s.") % {"number": order.number})
    except ApplicationError as error:
        messages.error(request, error.message)
    return _back(request, order)


@login_required
@require_POST
def clock_off(request: HttpRequest) -> HttpResponse:
    require_perm_somewhere(request.user, WORK)
    entry = services.clock_off(actor=request.user)
    if entry is not None:
        messages.success(
            request,
            _("Clocked off %(number)s: %(hours)s h.") % {"number": entry.order.number, "hours": entry.hours},
        )
        return _back(request, entry.order)
    return _back(request)


# --- the job -------------------------------------------------------------------------------


def _job_context(request: HttpRequest, order: RepairOrder) -> dict:
    may_work = has_perm_in_store(request.user, WORK, order.store_id)
    labour = list(OrderLabour.objects.filter(order=order).select_related("operation"))
    parts = parts_flow.job_part_lines(order)
    findings = list(order.findings.select_related("reported_by").prefetch_related("photos"))
    for finding in findings:
        finding.labour = [line for line in labour if line.finding_id == finding.pk]
        finding.parts = [line for line in parts if line.finding_id == finding.pk]
    pending = sum(1 for line in labour + parts if line.is_addon and line.approval == Approval.PENDING)
    clock = services.open_clock(request.user) if may_work else None
    requests = list(
        PartsRequest.objects.filter(order=order)
        .select_related("part", "requested_by", "handled_by")
        .order_by("-id")[:30]
    )
    status = order.status
    return {
        "order": order,
        "status_css": STATUS_CSS,
        "supply_css": SUPPLY_CSS,
        "may_work": may_work,
        "clock": clock,
        "clock_here": clock is not None and clock.order_id == order.pk,
        "clockable": status in services.CLOCKABLE,
        "approved_labour": [line for line in labour if line.approval == Approval.APPROVED],
        "part_lines": parts,
        "findings": findings,
        "pending": pending,
        "requests": requests,
        "summary": services.time_summary(order),
        "assignments": list(order.assignments.select_related("bay", "team").prefetch_related("technicians")),
        "working": status in services.WORKING,
        "may_wait_parts": status == Status.IN_PROGRESS,
        "may_wait_approval": status == Status.IN_PROGRESS and pending > 0,
        "may_resume": status == Status.WAITING_PARTS or (status == Status.WAITING_APPROVAL and not pending),
        "parts_ready_hint": status == Status.WAITING_PARTS and parts_flow.parts_ready(parts),
        "may_request": status in parts_flow.REQUESTABLE,
    }


@login_required
def job(request: HttpRequest, pk: int) -> HttpResponse:
    """One job on the tablet: the work to do, where each part is, findings, the clock."""
    order = _order(request, pk)
    return render_page(
        request, "workshop/technician/job.html", _job_context(request, order), partials=("job-parts",)
    )


@login_required
@require_POST
def job_labour_done(request: HttpRequest, pk: int, line_id: int) -> HttpResponse:
    order = _order(request, pk, work=True)
    try:
        services.labour_line_done(
            actor=request.user, order=order, line_id=line_id, done=request.POST.get("done") != "0"
        )
    except ApplicationError as error:
        messages.error(request, error.message)
    return redirect(reverse("workshop:job", args=[order.pk]) + "#job-labour")


@login_required
@require_POST
def job_status(request: HttpRequest, pk: int) -> HttpResponse:
    """Waiting for parts, waiting for the owner's approval, resume."""
    order = _order(request, pk, work=True)
    to = request.POST.get("to", "")
    try:
        if to == Status.WAITING_PARTS:
            services.job_wait_for_parts(actor=request.user, order=order, note=request.POST.get("note", ""))
        elif to == Status.WAITING_APPROVAL:
            services.job_wait_for_approval(actor=request.user, order=order)
        elif to == Status.IN_PROGRESS:
            services.job_resume(actor=request.user, order=order)
        else:
            raise ApplicationError(_("Choose what the job does next."), field="status")
        messages.success(
            request,
            _("Work order %(number)s is now %(status)s.")
            % {"number": order.number, "status": Status(to).label},
        )
    except ApplicationError as error:
        messages.error(request, error.message)
    return redirect("workshop:job", pk=order.pk)


# --- finding -------------------------------------------------------------------------------


class FindingForm(BootstrapMixin, forms.Form):
    description = forms.CharField(
        label=gettext_lazy("What did you find?"), max_length=300, widget=forms.Textarea(attrs={"rows": 3})
    )
    extra_hours = forms.DecimalField(
        label=gettext_lazy("Extra time (hours)"),
        max_digits=6,
        decimal_places=2,
        min_value=Decimal(0),
        required=False,
    )
    wait_for_approval = forms.BooleanField(
        label=gettext_lazy("Stop the job until the owner decides"), required=False, initial=True
    )


def _decimal(value: str) -> Decimal | None:
    try:
        return to_quantity(value.strip()) if value and value.strip() else None
    except (InvalidOperation, ArithmeticError, ValueError):
        return None


def _proposals(data) -> tuple[list[dict], list[dict], list[dict], list[str]]:
    """The labour and part rows typed on the finding form: (labour for labour_line_add, parts for
    part_line_add, the rows as typed, errors). A labour row names a catalogue operation by its
    code, or is free text with hours; a part row names a catalogue part by its code or barcode
    (or is free text) with a quantity."""
    labour, parts, rows, errors = [], [], [], []
    for n in range(PROPOSAL_ROWS):
        row = {
            "n": n,
            "labour": data.get(f"labour_{n}", "").strip(),
            "labour_hours": data.get(f"labour_hours_{n}", "").strip(),
            "part": data.get(f"part_{n}", "").strip(),
            "part_qty": data.get(f"part_qty_{n}", "").strip(),
        }
        rows.append(row)
        if row["labour"]:
            hours = _decimal(row["labour_hours"])
            if row["labour_hours"] and (hours is None or hours <= 0):
                errors.append(_("Labour line %(n)s: the hours must be a number above zero.") % {"n": n + 1})
            operation = LabourOperation.objects.filter(
                code=normalise_code(row["labour"]), is_active=True
            ).first()
            if operation is not None:
                labour.append({"operation": operation, **({"hours": hours} if hours else {})})
            elif not hours:
                errors.append(
                    _("Labour line %(n)s: give the hours for work not in the catalogue.") % {"n": n + 1}
                )
            else:
                labour.append({"name": row["labour"][:100], "hours": hours})
        if row["part"]:
            quantity = _decimal(row["part_qty"] or "1")
            if quantity is None or quantity <= 0:
                errors.append(_("Part line %(n)s: the quantity must be a number above zero.") % {"n": n + 1})
                continue
            code = normalise_code(row["part"])
            part = (
                Part.objects.filter(code=code, is_active=True).first()
                or Part.objects.filter(barcode=row["part"], is_active=True).first()
            )
            if part is None:
                errors.append(
                    _("Part line %(n)s: pick a catalogue part; describe anything else in the finding.")
                    % {"n": n + 1}
                )
                continue
            parts.append({"part": part, "quantity": quantity})
    return labour, parts, rows, errors


@login_required
def job_finding(request: HttpRequest, pk: int) -> HttpResponse:
    """Report a finding: what, extra time, proposed labour and parts, photos from the tablet's
    camera. The add-on lines wait for the owner; the job can stop until the owner decides."""
    order = _order(request, pk, work=True)
    form = FindingForm(request.POST or None, initial={"wait_for_approval": True})
    rows = [{"n": n} for n in range(PROPOSAL_ROWS)]
    status = 200
    if request.method == "POST":
        status = 400
        labour, parts, rows, errors = _proposals(request.POST)
        if form.is_valid() and not errors:
            cd = form.cleaned_data
            try:
                finding = services.finding_report(
                    actor=request.user,
                    order=order,
                    description=cd["description"],
                    extra_hours=cd["extra_hours"] or 0,
                    labour=labour,
                    parts=parts,
                    photos=request.FILES.getlist("photos"),
                    wait_for_approval=cd["wait_for_approval"],
                )
            except ApplicationError as error:
                field = error.field if error.field in form.fields else None
                form.add_error(field, str(error.message))
            else:
                messages.success(
                    request,
                    _("Finding reported on %(number)s: %(text)s")
                    % {"number": order.number, "text": finding.description},
                )
                return redirect("workshop:job", pk=order.pk)
        for error in errors:
            form.add_error(None, error)
    context = {"order": order, "form": form, "rows": rows, "status_css": STATUS_CSS}
    return render(request, "workshop/technician/finding.html", context, status=status)


@login_required
def job_lookup(request: HttpRequest, pk: int) -> HttpResponse:
    """Suggestions under a labour or part field of the finding or parts form (HTMX): a click
    fills the field with the code (app.js data-fill-target)."""
    order = _order(request, pk)
    kind = request.GET.get("kind", "")
    target = request.GET.get("target", "")
    query = request.GET.get(target, "") if target else ""
    query = query or request.GET.get("q", "")
    items: list[tuple[str, str, str]] = []
    if query.strip() and kind == "labour":
        for operation in operations_matching(query, active_only=True).order_by("code")[:12]:
            items.append(
                (operation.code, f"{operation.code} {operation.name}", f"{plain(operation.standard_hours)} h")
            )
    elif query.strip() and kind == "part":
        for part, available in parts_flow.parts_search(store=order.store, query=query, limit=12):
            items.append(
                (part.code, f"{part.code} {part.name}", _("%(n)s available") % {"n": plain(available)})
            )
    return render(request, "workshop/technician/_suggestions.html", {"items": items, "target": target})


# --- asking the warehouse ------------------------------------------------------------------


@login_required
def job_parts(request: HttpRequest, pk: int) -> HttpResponse:
    """Ask the warehouse for parts: the order's parts still to issue, one tap each; or search
    the catalogue (code, name, pinyin initials) with what is in stock."""
    order = _order(request, pk, work=True)
    query = request.GET.get("q", "").strip()
    error = None
    status = 200
    if request.method == "POST":
        part = Part.objects.filter(pk=request.POST.get("part") or 0).first()
        line = None
        if (request.POST.get("line") or "").isdigit():
            line = OrderPart.objects.filter(order=order, pk=request.POST["line"]).first()
        try:
            asked = parts_flow.parts_request_create(
                actor=request.user,
                order=order,
                part=part,
                quantity=request.POST.get("quantity", ""),
                line=line,
                note=request.POST.get("note", ""),
            )
        except ApplicationError as failure:
            error = failure
            status = 400
            query = query or request.POST.get("q", "")
        else:
            messages.success(
                request,
                _("Asked the warehouse for %(qty)s × %(part)s.")
                % {"qty": plain(asked.quantity), "part": asked.part},
            )
            return redirect(reverse("workshop:job", args=[order.pk]) + "#job-parts")
    lines = [line for line in parts_flow.job_part_lines(order) if line.may_request]
    stock = parts_flow.available_in_store(order.store, [line.part_id for line in lines])
    for line in lines:
        line.available = stock.get(line.part_id, Decimal(0))
        line.to_ask = line.outstanding - line.requested
    context = {
        "order": order,
        "lines": lines,
        "query": query,
        "results": parts_flow.parts_search(store=order.store, query=query),
        "error": error,
        "status_css": STATUS_CSS,
    }
    return render_page(
        request, "workshop/technician/parts.html", context, partials=("part-results",), status=status
    )


@login_required
@require_POST
def parts_request_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    from pitstop.core.scoping import get_scoped_or_404

    asked = get_scoped_or_404(
        PartsRequest.objects.select_related("order"), request.user, WORK, store_field="order__store_id", pk=pk
    )
    try:
        parts_flow.parts_request_cancel(actor=request.user, request=asked)
    except ApplicationError as error:
        messages.error(request, error.message)
    return redirect(reverse("workshop:job", args=[asked.order_id]) + "#job-requests")


# --- time ----------------------------------------------------------------------------------


def _day(value: str, default: datetime.date) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        return default


@login_required
def time_report(request: HttpRequest) -> HttpResponse:
    """Hours clocked against hours charged per technician for a period (F-4.8)."""
    store = _store(request, services.VIEW_TIME)
    today = timezone.localdate()
    last = _day(request.GET.get("to", ""), today)
    first = _day(request.GET.get("from", ""), last.replace(day=1))
    if first > last:
        first, last = last, first
    if (last - first).days > 366:
        first = last - datetime.timedelta(days=366)
    summary = services.time_report(user=request.user, store=store, first=first, last=last)
    return render(
        request, "workshop/technician/time_report.html", {"first": first, "last": last, "summary": summary}
    )


urlpatterns = [
    path("workshop/my-jobs/", my_jobs, name="my_jobs"),
    path("workshop/clock-off/", clock_off, name="clock_off"),
    path("workshop/time/", time_report, name="time_report"),
    path("workshop/jobs/<int:pk>/", job, name="job"),
    path("workshop/jobs/<int:pk>/clock-on/", job_clock_on, name="job_clock_on"),
    path("workshop/jobs/<int:pk>/labour/<int:line_id>/done/", job_labour_done, name="job_labour_done"),
    path("workshop/jobs/<int:pk>/status/", job_status, name="job_status"),
    path("workshop/jobs/<int:pk>/finding/", job_finding, name="job_finding"),
    path("workshop/jobs/<int:pk>/parts/", job_parts, name="job_parts"),
    path("workshop/jobs/<int:pk>/lookup/", job_lookup, name="job_lookup"),
    path("workshop/parts-requests/<int:pk>/cancel/", parts_request_cancel, name="parts_request_cancel"),
]
