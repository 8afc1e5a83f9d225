"""Reception pages (F-3.1, F-3.2, F-3.6): receive a car (today's appointments, or a search by
plate / VIN tail / owner), the walk-around check on a tablet with the car diagram and photos,
the diagnosis with the business type, repair category, warranty and the work due, and the
printed 检测诊断报告单 and 接车检查单 / 随车物品清单. Photos of work orders are served here too."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from pitstop.core.exceptions import ApplicationError
from pitstop.core.forms import BootstrapMixin
from pitstop.core.htmx import render_page
from pitstop.core.scoping import get_scoped_or_404, has_perm_in_store, require_perm_somewhere
from pitstop.customers.models import Vehicle
from pitstop.customers.selectors import VIEW_VEHICLE, vehicle_list, vehicles_for

from .. import reception as services
from .. import rules
from ..appointments import appointments_between
from ..catalogue import canned_jobs_for
from ..models import (
    Appointment,
    BusinessType,
    OrderLabour,
    OrderPart,
    OrderPhoto,
    RepairCategory,
    RepairOrder,
)
from ..orders import ADD, CHANGE, VIEW, order_detail, orders_for

Status = RepairOrder.Status
VIEW_APPOINTMENT = "service.view_appointment"


def _store(request: HttpRequest, perm: str):
    require_perm_somewhere(request.user, perm)
    if request.store is None or not has_perm_in_store(request.user, perm, request.store.pk):
        raise PermissionDenied
    return request.store


def _order(request: HttpRequest, pk: int, *, write: bool = False) -> RepairOrder:
    """The order if the user sees it (another store's: 404); writing needs the change
    permission in its store (403)."""
    order = order_detail(user=request.user, pk=pk)
    if write and not has_perm_in_store(request.user, CHANGE, order.store_id):
        raise PermissionDenied
    return order


def _may_change(request: HttpRequest, order: RepairOrder) -> bool:
    return (
        has_perm_in_store(request.user, CHANGE, order.store_id) and order.status in services.RECEPTION_STATES
    )


# --- receiving a car ------------------------------------------------------------------------


def _arrivals(request: HttpRequest, store) -> list[Appointment]:
    """Today's confirmed and arrived appointments, each with `order` (opened from it) and
    `vehicle_found` (its vehicle, or the store's vehicle with its plate). Fixed queries."""
    today = timezone.localdate()
    rows = list(
        appointments_between(user=request.user, store=store, first=today, last=today).filter(
            status__in=(Appointment.Status.CONFIRMED, Appointment.Status.ARRIVED)
        )
    )
    orders = {
        order.appointment_id: order
        for order in RepairOrder.objects.filter(appointment__in=[a.pk for a in rows]).exclude(
            status=Status.CANCELLED
        )
    }
    plates = [a.plate for a in rows if a.vehicle_id is None and a.plate]
    by_plate = (
        {v.plate: v for v in vehicles_for(request.user, store).filter(plate__in=plates)} if plates else {}
    )
    for appointment in rows:
        appointment.order = orders.get(appointment.pk)
        appointment.vehicle_found = appointment.vehicle or by_plate.get(appointment.plate)
    return rows


def _start_context(request: HttpRequest, store, **extra) -> dict:
    query = (request.GET.get("q") or "").strip()
    vehicles = list(vehicle_list(user=request.user, store=store, query=query)[:12]) if len(query) >= 2 else []
    open_orders = services.open_orders_by_vehicle(v.pk for v in vehicles)
    for vehicle in vehicles:
        vehicle.open_order = open_orders.get(vehicle.pk)
    context = {
        "query": query,
        "vehicles": vehicles,
        "arrivals": _arrivals(request, store),
        "in_reception": list(
            orders_for(request.user, store).filter(status=Status.DRAFT).order_by("-id")[:20]
        ),
        "today": timezone.localdate(),
    }
    context.update(extra)
    return context


@login_required
def reception_start(request: HttpRequest) -> HttpResponse:
    """GET: the search box, today's appointments to receive and the cars in reception.
    POST (appointment or vehicle): open the draft work order, then the walk-around."""
    store = _store(request, ADD)
    if request.method != "POST":
        return render_page(
            request,
            "service/reception/start.html",
            _start_context(request, store),
            partials=("vehicle-results",),
        )
    appointment = vehicle = None
    if request.POST.get("appointment"):
        appointment = get_scoped_or_404(
            Appointment.objects.select_related("vehicle"),
            request.user,
            VIEW_APPOINTMENT,
            pk=request.POST["appointment"],
        )
        vehicle = appointment.vehicle
        if vehicle is None and appointment.plate:
            vehicle = vehicles_for(request.user, store).filter(plate=appointment.plate).first()
    elif request.POST.get("vehicle"):
        vehicle = get_scoped_or_404(
            Vehicle.objects.all(), request.user, VIEW_VEHICLE, pk=request.POST["vehicle"]
        )
    error = existing = None
    if vehicle is None:
        error = _("No vehicle file for %(plate)s yet: create it first, then receive the car.") % {
            "plate": getattr(appointment, "plate", "") or "—"
        }
    else:
        try:
            order = services.reception_start(
                actor=request.user, store=store, vehicle=vehicle, appointment=appointment
            )
        except ApplicationError as refused:
            error = refused.message
            if refused.code == "open_order":
                existing = RepairOrder.objects.filter(pk=refused.extra["order"]).first()
        else:
            messages.success(
                request,
                _("Work order %(number)s opened for %(plate)s.")
                % {"number": order.number, "plate": vehicle.plate},
            )
            return redirect("service:reception_walkaround", pk=order.pk)
    context = _start_context(
        request,
        store,
        error=error,
        existing=existing,
        missing_plate=vehicle is None and appointment is not None,
    )
    if appointment is not None and vehicle is None:
        context["new_vehicle_plate"] = appointment.plate
    return render(request, "service/reception/start.html", context, status=400)


# --- the walk-around check ------------------------------------------------------------------


class WalkaroundForm(BootstrapMixin, forms.Form):
    mileage = forms.IntegerField(
        label=gettext_lazy("Mileage (km)"), min_value=0, max_value=services.MAX_MILEAGE
    )
    mileage_note = forms.CharField(
        label=gettext_lazy("Reason for a lower mileage"),
        max_length=200,
        required=False,
        help_text=gettext_lazy("Only when the odometer shows less than the last reading (e.g. replaced)."),
    )
    fuel_level = forms.ChoiceField(
        label=gettext_lazy("Fuel"), choices=RepairOrder.Fuel.choices, required=False, widget=forms.RadioSelect
    )
    interior_notes = forms.CharField(label=gettext_lazy("Interior"), max_length=300, required=False)
    valuables = forms.CharField(label=gettext_lazy("Valuables in the car"), max_length=300, required=False)
    items = forms.MultipleChoiceField(
        label=gettext_lazy("Items in the vehicle"),
        choices=services.ITEMS_IN_VEHICLE,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    documents = forms.MultipleChoiceField(
        label=gettext_lazy("Documents held"),
        choices=services.DOCUMENTS,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    key_tag = forms.CharField(label=gettext_lazy("Key tag"), max_length=20, required=False)


FORM_FIELD = {"items_in_vehicle": "items", "documents_held": "documents"}


def _posted_marks(data) -> list[dict]:
    """The marks as sent: one row per kept mark (mark_zone / mark_kind / mark_note; a ticked
    mark_remove drops its row), and the select-based row new_zone / new_kind / new_note."""
    zones, kinds, notes = data.getlist("mark_zone"), data.getlist("mark_kind"), data.getlist("mark_note")
    if not len(zones) == len(kinds) == len(notes):
        raise ApplicationError(_("The marks were not sent completely; try again."), field="body_marks")
    removed = set(data.getlist("mark_remove"))
    marks = [
        {"zone": zone, "kind": kind, "note": note}
        for n, (zone, kind, note) in enumerate(zip(zones, kinds, notes, strict=True))
        if str(n) not in removed
    ]
    if data.get("new_zone") or data.get("new_kind"):
        marks.append(
            {
                "zone": data.get("new_zone", ""),
                "kind": data.get("new_kind", ""),
                "note": data.get("new_note", ""),
            }
        )
    return marks


BASE_FILL = {"wheel": "#6c757d", "glass": "#cfe2ff"}


def _base_fill(code: str) -> str:
    if code.endswith("_wheel"):
        return BASE_FILL["wheel"]
    if code in ("windscreen", "rear_window"):
        return BASE_FILL["glass"]
    return "#eef2f7"


def diagram(marks: list[dict]) -> list[dict]:
    """The zones of the car diagram with the number of marks on each."""
    counts = services.marks_by_zone(marks)
    return [
        {
            "code": z.code,
            "label": z.label,
            "d": z.d,
            "cx": z.cx,
            "cy": z.cy,
            "count": counts.get(z.code, 0),
            "base": _base_fill(z.code),
        }
        for z in services.BODY_ZONES
    ]


def labelled_marks(marks: list[dict]) -> list[dict]:
    return [
        {
            **mark,
            "zone_label": services.ZONES[mark["zone"]].label
            if mark.get("zone") in services.ZONES
            else mark.get("zone"),
            "kind_label": services.KINDS.get(mark.get("kind"), mark.get("kind")),
        }
        for mark in marks
        if isinstance(mark, dict)
    ]


def _walkaround_context(request, order: RepairOrder, form, marks: list[dict], **extra) -> dict:
    photos = list(order.photos.filter(kind=OrderPhoto.Kind.WALKAROUND))
    ticked = form["items"].value() or []
    held = form["documents"].value() or []
    context = {
        "order": order,
        "form": form,
        "marks": labelled_marks(marks),
        "zones": diagram(marks),
        "zone_choices": [(z.code, z.label) for z in services.BODY_ZONES],
        "kinds": services.MARK_KINDS,
        "items": [(code, label, code in ticked) for code, label in services.ITEMS_IN_VEHICLE],
        "documents": [(code, label, code in held) for code, label in services.DOCUMENTS],
        "fuel_choices": RepairOrder.Fuel.choices,
        "fuel_value": form["fuel_level"].value() or "",
        "photos": photos,
        "may_change": _may_change(request, order),
        "step": "walkaround",
    }
    context.update(extra)
    return context


@login_required
def reception_walkaround(request: HttpRequest, pk: int) -> HttpResponse:
    """接车检查 on a tablet. POST saves the check and the photos chosen in one go (a refused
    photo or mileage changes nothing)."""
    order = _order(request, pk, write=request.method == "POST")
    if request.method != "POST":
        initial = {
            "mileage": order.mileage,
            "mileage_note": order.mileage_note,
            "fuel_level": order.fuel_level,
            "interior_notes": order.interior_notes,
            "valuables": order.valuables,
            "items": [code for code, ticked in (order.items_in_vehicle or {}).items() if ticked],
            "documents": list(order.documents_held or []),
            "key_tag": order.key_tag,
        }
        form = WalkaroundForm(initial=initial)
        return render(
            request,
            "service/reception/walkaround.html",
            _walkaround_context(request, order, form, order.body_marks),
        )
    form = WalkaroundForm(request.POST)
    marks: list[dict] = []
    marks_error = photo_error = None
    try:
        marks = _posted_marks(request.POST)
    except ApplicationError as error:
        marks_error = error.message
    if form.is_valid() and marks_error is None:
        cd = form.cleaned_data
        try:
            with transaction.atomic():
                services.walkaround_save(
                    actor=request.user,
                    order=order,
                    mileage=cd["mileage"],
                    mileage_note=cd["mileage_note"],
                    fuel_level=cd["fuel_level"],
                    body_marks=marks,
                    interior_notes=cd["interior_notes"],
                    valuables=cd["valuables"],
                    items_in_vehicle=cd["items"],
                    documents_held=cd["documents"],
                    key_tag=cd["key_tag"],
                )
                for image in request.FILES.getlist("photos"):
                    services.photo_add(
                        actor=request.user, order=order, image=image, kind=OrderPhoto.Kind.WALKAROUND
                    )
        except ApplicationError as error:
            if error.field == "body_marks":
                marks_error = error.message
            elif error.field == "image":
                photo_error = error.message
            else:
                field = FORM_FIELD.get(error.field or "", error.field)
                form.add_error(field if field in form.fields else None, str(error.message))
        else:
            messages.success(request, _("Walk-around check of %(number)s saved.") % {"number": order.number})
            if request.POST.get("next") == "diagnosis":
                return redirect("service:reception_diagnosis", pk=order.pk)
            return redirect("service:reception_walkaround", pk=order.pk)
    context = _walkaround_context(
        request, order, form, _shown(marks), marks_error=marks_error, photo_error=photo_error
    )
    return render(request, "service/reception/walkaround.html", context, status=400)


def _shown(marks: list[dict]) -> list[dict]:
    """Marks sent back after a refusal: the ones that can be drawn."""
    return [
        mark for mark in marks if mark.get("zone") in services.ZONES and mark.get("kind") in services.KINDS
    ]


# --- the diagnosis --------------------------------------------------------------------------


class DiagnosisForm(BootstrapMixin, forms.Form):
    owner_description = forms.CharField(
        label=gettext_lazy("Owner's description"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    diagnosis = forms.CharField(
        label=gettext_lazy("Diagnosis report"),
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    diagnosed_by = forms.ModelChoiceField(label=gettext_lazy("Diagnosed by"), queryset=None, required=False)
    business_type = forms.ChoiceField(label=gettext_lazy("Business type"), choices=BusinessType.choices)
    repair_category = forms.ChoiceField(
        label=gettext_lazy("Repair category"), choices=RepairCategory.choices, widget=forms.RadioSelect
    )
    warranty_note = forms.CharField(
        label=gettext_lazy("Warranty note"),
        max_length=200,
        required=False,
        help_text=gettext_lazy("Needed for a warranty job on a car that is not covered."),
    )

    def __init__(self, *args, store, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["diagnosed_by"].queryset = services.store_staff(store)


def _estimate_lines(order: RepairOrder) -> tuple[list, list]:
    return (
        list(OrderLabour.objects.filter(order=order).order_by("position", "id")),
        list(OrderPart.objects.filter(order=order).order_by("position", "id")),
    )


def _diagnosis_context(request, order: RepairOrder, form, **extra) -> dict:
    vehicle = order.vehicle
    labour, parts = _estimate_lines(order)
    on_order = {line.canned_job_id for line in labour + parts if line.canned_job_id}
    may_change = _may_change(request, order)
    visible_jobs = set(canned_jobs_for(request.user, order.store).values_list("pk", flat=True))
    due = [
        (item, item.job.pk in on_order)
        for item in services.items_due_for(order)
        if item.job.pk in visible_jobs
    ]
    declined = rules.recommended_work(vehicle, exclude_order=order)
    category_value = form["repair_category"].value() or order.repair_category
    context = {
        "order": order,
        "vehicle": vehicle,
        "form": form,
        "warranty": rules.warranty_status(vehicle, mileage=order.mileage),
        "categories": [
            (value, label, help_line, value == category_value)
            for (value, label), help_line in zip(
                RepairCategory.choices, rules.category_help(vehicle).values(), strict=True
            )
        ],
        "guarantee": rules.guarantee_for(vehicle, order.repair_category),
        "due": due,
        "declined": [(("labour" if isinstance(line, OrderLabour) else "part"), line) for line in declined],
        "labour_lines": labour,
        "part_lines": parts,
        "may_change": may_change,
        "may_add_lines": may_change and order.status == Status.DRAFT,
        "step": "diagnosis",
    }
    context.update(extra)
    return context


@login_required
def reception_diagnosis(request: HttpRequest, pk: int) -> HttpResponse:
    """报修陈述, 检测诊断报告单, business type, repair category, the warranty with its reason,
    the maintenance items due and the declined work of earlier visits (each one click onto
    the estimate)."""
    order = _order(request, pk, write=request.method == "POST")
    if request.method != "POST":
        form = DiagnosisForm(
            store=order.store,
            initial={
                "owner_description": order.owner_description,
                "diagnosis": order.diagnosis,
                "diagnosed_by": order.diagnosed_by_id or (request.user.pk if not order.diagnosis else None),
                "business_type": order.business_type,
                "repair_category": order.repair_category,
                "warranty_note": order.warranty_note if order.business_type == BusinessType.WARRANTY else "",
            },
        )
        return render_page(
            request,
            "service/reception/diagnosis.html",
            _diagnosis_context(request, order, form),
            partials=("estimate-lines",),
        )
    form = DiagnosisForm(request.POST, store=order.store)
    if form.is_valid():
        cd = form.cleaned_data
        try:
            services.diagnosis_save(
                actor=request.user,
                order=order,
                owner_description=cd["owner_description"],
                diagnosis=cd["diagnosis"],
                diagnosed_by=cd["diagnosed_by"],
                business_type=cd["business_type"],
                repair_category=cd["repair_category"],
                warranty_note=cd["warranty_note"],
            )
        except ApplicationError as error:
            form.add_error(error.field if error.field in form.fields else None, str(error.message))
        else:
            messages.success(request, _("Diagnosis of %(number)s saved.") % {"number": order.number})
            if request.POST.get("next") == "estimate":
                try:
                    return redirect("service:order_detail", pk=order.pk)
                except NoReverseMatch:  # the estimate pages are not there
                    pass
            return redirect("service:reception_diagnosis", pk=order.pk)
    return render(
        request, "service/reception/diagnosis.html", _diagnosis_context(request, order, form), status=400
    )


def _back_to_diagnosis(order: RepairOrder, anchor: str) -> HttpResponse:
    return redirect(reverse("service:reception_diagnosis", args=[order.pk]) + f"#{anchor}")


@login_required
@require_POST
def reception_add_job(request: HttpRequest, pk: int) -> HttpResponse:
    """A maintenance item due onto the estimate (its canned job)."""
    order = _order(request, pk, write=True)
    job = canned_jobs_for(request.user, order.store).filter(pk=request.POST.get("job") or 0).first()
    if job is None:
        raise Http404
    try:
        services.due_job_add(actor=request.user, order=order, job=job)
        messages.success(request, _("%(job)s added to the estimate.") % {"job": job.name})
    except ApplicationError as error:
        messages.error(request, error.message)
    return _back_to_diagnosis(order, "items-due")


@login_required
@require_POST
def reception_add_declined(request: HttpRequest, pk: int) -> HttpResponse:
    """Work declined on an earlier visit onto this estimate again."""
    order = _order(request, pk, write=True)
    line_id = request.POST.get("line") or ""
    if not line_id.isdigit():
        raise Http404
    try:
        line = services.recommended_add(
            actor=request.user, order=order, kind=request.POST.get("kind", ""), line_id=int(line_id)
        )
        messages.success(request, _("%(name)s added to the estimate.") % {"name": line.name})
    except ApplicationError as error:
        if error.code == "not_found":
            raise Http404 from None
        messages.error(request, error.message)
    return _back_to_diagnosis(order, "declined-work")


# --- printed forms --------------------------------------------------------------------------


@login_required
def diagnosis_print(request: HttpRequest, pk: int) -> HttpResponse:
    """汽车检测诊断报告单, A4."""
    order = _order(request, pk)
    context = {
        "order": order,
        "vehicle": order.vehicle,
        "warranty": rules.warranty_status(order.vehicle, mileage=order.mileage),
        "guarantee": rules.guarantee_for(order.vehicle, order.repair_category),
        "printed_at": timezone.localtime(),
    }
    return render(request, "service/reception/diagnosis_print.html", context)


@login_required
def checklist_print(request: HttpRequest, pk: int) -> HttpResponse:
    """接车检查单 / 随车物品清单, A4: the car diagram with its marks, fuel, items, documents,
    key tag, photo thumbnails and the signature lines."""
    order = _order(request, pk)
    marks = order.body_marks or []
    items = order.items_in_vehicle or {}
    context = {
        "order": order,
        "vehicle": order.vehicle,
        "zones": diagram(marks),
        "marks": labelled_marks(marks),
        "items": [(code, label, bool(items.get(code))) for code, label in services.ITEMS_IN_VEHICLE],
        "documents": [
            (code, label, code in (order.documents_held or [])) for code, label in services.DOCUMENTS
        ],
        "fuel_choices": RepairOrder.Fuel.choices,
        "photos": list(order.photos.filter(kind=OrderPhoto.Kind.WALKAROUND)),
        "printed_at": timezone.localtime(),
    }
    return render(request, "service/reception/checklist_print.html", context)


# --- photos ---------------------------------------------------------------------------------


@login_required
def order_photo(request: HttpRequest, pk: int) -> HttpResponse:
    """A work order's photo, only for someone who may see the order in its store (uploads are
    not public files)."""
    photo = get_scoped_or_404(
        OrderPhoto.objects.select_related("order"), request.user, VIEW, store_field="order__store_id", pk=pk
    )
    try:
        handle = photo.image.open("rb")
    except (FileNotFoundError, ValueError):
        raise Http404 from None
    response = FileResponse(handle)
    response["Cache-Control"] = "private, max-age=3600"
    return response


urlpatterns = [
    path("reception/", reception_start, name="reception_start"),
    path("reception/<int:pk>/walkaround/", reception_walkaround, name="reception_walkaround"),
    path("reception/<int:pk>/diagnosis/", reception_diagnosis, name="reception_diagnosis"),
    path("reception/<int:pk>/add-job/", reception_add_job, name="reception_add_job"),
    path("reception/<int:pk>/add-declined/", reception_add_declined, name="reception_add_declined"),
    path("reception/<int:pk>/diagnosis/print/", diagnosis_print, name="diagnosis_print"),
    path("reception/<int:pk>/checklist/print/", checklist_print, name="checklist_print"),
    path("order-photos/<int:pk>/", order_photo, name="order_photo"),
]
