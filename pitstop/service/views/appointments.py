"""Appointment pages (F-2.1, F-2.2, F-2.4): the day by bay type and slot, the week, booking
at the desk with the free times of the day, the appointment with its moves, the online
requests to confirm, tomorrow's bookings for the workshop, and the printed slip (预约单)."""

import datetime
from decimal import Decimal

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from pitstop.core.exceptions import ApplicationError
from pitstop.core.forms import BootstrapMixin
from pitstop.core.htmx import render_page
from pitstop.core.money import plain
from pitstop.core.scoping import has_perm_in_store, require_perm_somewhere
from pitstop.core.text import mask_identifier, normalise_code
from pitstop.customers.forms import CustomerLookupField
from pitstop.customers.selectors import customers_for, vehicles_for

from .. import appointments as services
from .. import capacity
from ..models import Appointment, BayType
from ..setup import workshop_settings

Status = Appointment.Status
VIEW, ADD, CHANGE = services.VIEW, services.ADD, services.CHANGE
PERSONAL = "customers.view_personal_data"

# The buttons of the appointment page: (to, label, css, needs a reason).
MOVES = [
    (Status.CONFIRMED, gettext_lazy("Confirm"), "btn-primary", False),
    (Status.ARRIVED, gettext_lazy("Arrived"), "btn-success", False),
    (Status.NO_SHOW, gettext_lazy("No-show"), "btn-outline-warning", False),
    (Status.CANCELLED, gettext_lazy("Cancel"), "btn-outline-danger", True),
]
STATUS_CSS = {
    Status.REQUESTED: "text-bg-warning",
    Status.CONFIRMED: "text-bg-primary",
    Status.ARRIVED: "text-bg-success",
    Status.NO_SHOW: "text-bg-secondary",
    Status.CANCELLED: "text-bg-light border",
}


def _today() -> datetime.date:
    return timezone.localdate()


def _day_from(request: HttpRequest, default: datetime.date | None = None, key: str = "date") -> datetime.date:
    try:
        return datetime.date.fromisoformat(request.GET.get(key, ""))
    except ValueError:
        return default or _today()


def _store(request: HttpRequest, perm: str = VIEW):
    """The current store where the user holds `perm`; 403 without one (“all stores” chosen
    or no such role here). Booking pages are always about one workshop."""
    require_perm_somewhere(request.user, perm)
    if request.store is None or not has_perm_in_store(request.user, perm, request.store.pk):
        raise PermissionDenied
    return request.store


def _may(request: HttpRequest, perm: str, store_id: int) -> bool:
    return has_perm_in_store(request.user, perm, store_id)


def _phones(request: HttpRequest, store_id: int, appointments):
    """`phone` on each appointment: the mobile, masked (138****5678) for a role that does not
    see personal data (F-1.7), e.g. customer care, the workshop."""
    show = has_perm_in_store(request.user, PERSONAL, store_id)
    for appointment in appointments:
        appointment.phone = appointment.mobile if show else mask_identifier(appointment.mobile)
    return appointments


# --- day and week --------------------------------------------------------------------------


def _board(store, day: datetime.date, bookings: list[Appointment]) -> list[dict]:
    """Per bay type with capacity or bookings that day: rows of (slot, bookings starting in it,
    bookings running on through it)."""
    loads = capacity.day_load(store, day)
    ws = workshop_settings(store)
    step = datetime.timedelta(minutes=ws.slot_minutes)
    board = []
    for bay_type, label in BayType.choices:
        slots = loads[bay_type]
        mine = [a for a in bookings if a.bay_type == bay_type]
        if not mine and not any(slot.capacity for slot in slots):
            continue
        rows = []
        for slot in slots:
            starting = [a for a in mine if slot.start <= capacity.local(a.starts_at) < slot.start + step]
            running = [
                a
                for a in mine
                if a.status in capacity.ACTIVE
                and capacity.local(a.starts_at) < slot.start
                and capacity.local(a.ends_at) > slot.start
            ]
            rows.append({"slot": slot, "starting": starting, "running": running})
        placed = {a.pk for row in rows for a in row["starting"]}
        outside = [a for a in mine if a.pk not in placed]
        board.append({"type": bay_type, "label": label, "rows": rows, "outside": outside})
    return board


@login_required
def appointment_day(request: HttpRequest) -> HttpResponse:
    """The day by bay type: a row per slot with used / capacity and the bookings."""
    store = _store(request)
    day = _day_from(request)
    bookings = list(services.appointments_between(user=request.user, store=store, first=day, last=day))
    context = {
        "day": day,
        "previous": day - datetime.timedelta(days=1),
        "next": day + datetime.timedelta(days=1),
        "today": _today(),
        "open": capacity.is_open_on(workshop_settings(store), day),
        "board": _board(store, day, bookings),
        "status_css": STATUS_CSS,
        "may_add": _may(request, ADD, store.pk),
    }
    return render_page(request, "service/appointments/day.html", context, partials=("day-board",))


@login_required
def appointment_week(request: HttpRequest) -> HttpResponse:
    """Seven days from Monday: per day and bay type the bookings and the hours still free."""
    store = _store(request)
    chosen = _day_from(request)
    monday = chosen - datetime.timedelta(days=chosen.weekday())
    sunday = monday + datetime.timedelta(days=6)
    ws = workshop_settings(store)
    loads = capacity.week_load(store, monday, days=7)
    bookings = list(
        services.appointments_between(
            user=request.user, store=store, first=monday, last=sunday, active_only=True
        )
    )
    days = [monday + datetime.timedelta(days=n) for n in range(7)]
    rows = []
    for bay_type, label in BayType.choices:
        cells = []
        for day in days:
            slots = loads[day][bay_type]
            mine = [
                a for a in bookings if a.bay_type == bay_type and capacity.local(a.starts_at).date() == day
            ]
            free_minutes = Decimal(sum(slot.free for slot in slots) * ws.slot_minutes)
            cells.append(
                {
                    "day": day,
                    "open": bool(slots),
                    "capacity": slots[0].capacity if slots else 0,
                    "bookings": mine,
                    "free_hours": (free_minutes / 60).quantize(Decimal("0.1")),
                    "full": bool(slots) and all(slot.full for slot in slots),
                }
            )
        if any(cell["capacity"] or cell["bookings"] for cell in cells):
            rows.append({"label": label, "cells": cells})
    context = {
        "days": days,
        "rows": rows,
        "previous": monday - datetime.timedelta(days=7),
        "next": monday + datetime.timedelta(days=7),
        "today": _today(),
    }
    return render_page(request, "service/appointments/week.html", context, partials=("week-board",))


# --- booking -------------------------------------------------------------------------------


class AppointmentForm(BootstrapMixin, forms.Form):
    customer = CustomerLookupField(
        label=gettext_lazy("Customer"), required=False, help_text=gettext_lazy("Empty for a new customer.")
    )
    plate = forms.CharField(label=gettext_lazy("Plate"), max_length=10)
    mobile = forms.CharField(
        label=gettext_lazy("Mobile"),
        max_length=20,
        required=False,
        help_text=gettext_lazy("Empty: the customer's."),
    )
    contact_name = forms.CharField(label=gettext_lazy("Contact"), max_length=60, required=False)
    model_name = forms.CharField(label=gettext_lazy("Model"), max_length=80, required=False)
    bay_type = forms.ChoiceField(label=gettext_lazy("Bay type"), choices=BayType.choices)
    day = forms.DateField(label=gettext_lazy("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    time = forms.CharField(label=gettext_lazy("Time"), max_length=5)
    hours = forms.DecimalField(
        label=gettext_lazy("Hours"),
        max_digits=6,
        decimal_places=2,
        min_value=Decimal("0.25"),
        initial=Decimal("1"),
    )
    content = forms.CharField(label=gettext_lazy("Wanted service"), max_length=300)
    reminder = forms.ChoiceField(label=gettext_lazy("Remind by"), choices=Appointment.Reminder.choices)
    estimate = forms.DecimalField(
        label=gettext_lazy("Estimate"), max_digits=12, decimal_places=2, min_value=Decimal(0), required=False
    )
    parts_expected = forms.CharField(label=gettext_lazy("Parts expected"), max_length=300, required=False)
    deposit = forms.DecimalField(
        label=gettext_lazy("Deposit"),
        max_digits=12,
        decimal_places=2,
        min_value=Decimal(0),
        required=False,
        help_text=gettext_lazy("For high-value parts: at least half their price."),
    )
    deposit_reference = forms.CharField(label=gettext_lazy("Deposit receipt"), max_length=60, required=False)
    note = forms.CharField(label=gettext_lazy("Notes"), max_length=300, required=False)

    def __init__(self, *args, user, store, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = customers_for(user, store)

    def clean_time(self) -> datetime.time:
        try:
            return datetime.time.fromisoformat(self.cleaned_data["time"])
        except ValueError:
            raise forms.ValidationError(_("Choose a time.")) from None


def _slot_context(store, data) -> dict:
    """The free starts of the chosen day and bay type for the time select."""
    try:
        day = datetime.date.fromisoformat(data.get("day") or "")
    except ValueError:
        day = _today() + datetime.timedelta(days=1)
    bay_type = data.get("bay_type") if data.get("bay_type") in BayType.values else BayType.MAINTENANCE
    try:
        hours = Decimal(data.get("hours") or "1")
        if not Decimal(0) < hours <= services.MAX_HOURS:
            hours = Decimal(1)
    except ArithmeticError:
        hours = Decimal(1)
    ws = workshop_settings(store)
    periods = capacity.day_load(store, day)[bay_type]
    free = capacity.free_starts(store, day, bay_type, hours, not_before=timezone.now())
    return {
        "slot_day": day,
        "free_times": [start.strftime("%H:%M") for start in free],
        "chosen_time": data.get("time") or "",
        "closed": not capacity.is_open_on(ws, day),
        "units": max((slot.capacity for slot in periods), default=0),
    }


def _vehicle_for(request: HttpRequest, store, plate: str):
    if not plate:
        return None
    return (
        vehicles_for(request.user, store).select_related("owner").filter(plate=normalise_code(plate)).first()
    )


@login_required
def appointment_create(request: HttpRequest) -> HttpResponse:
    """Book a car at the desk: customer from the files or plate and mobile typed, the bay type,
    the day and one of its free times. A slot taken meanwhile is refused with the nearest free
    times, each a button that books there."""
    store = _store(request, ADD)
    initial = {
        "day": _day_from(request, _today() + datetime.timedelta(days=1)).isoformat(),
        "time": request.GET.get("time", ""),
        "bay_type": request.GET.get("bay_type") or BayType.MAINTENANCE,
        "hours": "1",
        "reminder": Appointment.Reminder.SMS,
    }
    vehicle = None
    if request.GET.get("vehicle", "").isdigit():
        vehicle = (
            vehicles_for(request.user, store)
            .select_related("owner")
            .filter(pk=request.GET["vehicle"])
            .first()
        )
        if vehicle is not None:
            initial.update(
                customer=vehicle.owner.code,
                plate=vehicle.plate,
                model_name=vehicle.model_name,
                contact_name=vehicle.owner.name,
            )
    # "Show free times" without JavaScript sends the form by GET: keep what was typed.
    initial.update({key: value for key, value in request.GET.items() if key in AppointmentForm.base_fields})
    data = request.POST.copy() if request.method == "POST" else None
    picked = data.get("pick", "") if data else ""
    if picked:
        try:
            chosen = capacity.local(datetime.datetime.fromisoformat(picked))
            data["day"], data["time"] = chosen.date().isoformat(), chosen.strftime("%H:%M")
        except ValueError:
            pass
    form = AppointmentForm(data, user=request.user, store=store, initial=initial)
    free: list[str] = []
    status = 200
    if data is not None:
        status = 400
        if form.is_valid():
            cd = form.cleaned_data
            starts_at = datetime.datetime.combine(cd["day"], cd["time"], tzinfo=capacity.local_zone())
            try:
                appointment = services.appointment_book(
                    actor=request.user,
                    store=store,
                    starts_at=starts_at,
                    bay_type=cd["bay_type"],
                    hours=cd["hours"],
                    mobile=cd["mobile"],
                    content=cd["content"],
                    source=Appointment.Source.DESK,
                    customer=cd["customer"],
                    vehicle=_vehicle_for(request, store, cd["plate"]),
                    plate=cd["plate"],
                    model_name=cd["model_name"],
                    contact_name=cd["contact_name"],
                    reminder=cd["reminder"],
                    estimate=cd["estimate"] or 0,
                    parts_expected=cd["parts_expected"],
                    deposit=cd["deposit"] or 0,
                    deposit_reference=cd["deposit_reference"],
                    note=cd["note"],
                )
            except ApplicationError as error:
                field = {"starts_at": "time", "vehicle": "plate"}.get(error.field or "", error.field)
                form.add_error(field if field in form.fields else None, str(error.message))
                free = error.extra.get("free", [])
            else:
                messages.success(
                    request,
                    _("Appointment %(number)s booked for %(time)s.")
                    % {"number": appointment.number, "time": services.format_time(appointment.starts_at)},
                )
                return redirect("service:appointment_detail", pk=appointment.pk)
    source = data if data is not None else {key: str(value) for key, value in initial.items()}
    context = {
        "form": form,
        "free": [(value, capacity.local(datetime.datetime.fromisoformat(value))) for value in free],
        **_slot_context(store, source),
    }
    return render_page(
        request, "service/appointments/form.html", context, partials=("slot-choices",), status=status
    )


# --- one appointment -----------------------------------------------------------------------


def _label(status: str) -> str:
    return Status(status).label if status in Status.values else status


@login_required
def appointment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    appointment = services.appointment_detail(user=request.user, pk=pk)
    _phones(request, appointment.store_id, [appointment])
    may_change = _may(request, CHANGE, appointment.store_id)
    allowed = Appointment.ALLOWED.get(appointment.status, set())
    context = {
        "appointment": appointment,
        "status_css": STATUS_CSS,
        "moves": [move for move in MOVES if may_change and move[0] in allowed],
        "may_move": may_change and appointment.status in (Status.REQUESTED, Status.CONFIRMED),
        # The car is here: reception opens the work order from the appointment (F-3).
        "may_receive": appointment.status in (Status.CONFIRMED, Status.ARRIVED)
        and not appointment.repair_orders.exists()
        and _may(request, "service.add_repairorder", appointment.store_id),
        "orders": list(appointment.repair_orders.all()),
        "events": [
            (event, _label(event.from_status), _label(event.to_status))
            for event in appointment.events.select_related("actor")
        ],
        **_parts_context(appointment, may_change),
    }
    return render_page(request, "service/appointments/detail.html", context, partials=("appointment-parts",))


@login_required
@require_POST
def appointment_status(request: HttpRequest, pk: int) -> HttpResponse:
    """Confirm, arrived, no-show, cancel (with the reason); a move the state does not allow
    is shown with both states."""
    appointment = services.appointment_detail(user=request.user, pk=pk)
    if not _may(request, CHANGE, appointment.store_id):
        raise PermissionDenied
    to = request.POST.get("to", "")
    try:
        services.appointment_transition(
            actor=request.user, appointment=appointment, to=to, note=request.POST.get("note", "")
        )
        messages.success(
            request,
            _("Appointment %(number)s is now %(status)s.")
            % {"number": appointment.number, "status": _label(to)},
        )
    except ApplicationError as error:
        messages.error(request, error.message)
    back = request.POST.get("next", "")
    if not (back.startswith("/appointments/") and "//" not in back):  # only back to our own pages
        back = reverse("service:appointment_detail", args=[appointment.pk])
    return redirect(back)


class MoveForm(BootstrapMixin, forms.Form):
    day = forms.DateField(label=gettext_lazy("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    time = forms.CharField(label=gettext_lazy("Time"), max_length=5)
    hours = forms.DecimalField(
        label=gettext_lazy("Hours"), max_digits=6, decimal_places=2, min_value=Decimal("0.25")
    )

    clean_time = AppointmentForm.clean_time


@login_required
def appointment_move(request: HttpRequest, pk: int) -> HttpResponse:
    """Another time for the booking, with the same capacity check."""
    appointment = services.appointment_detail(user=request.user, pk=pk)
    if not _may(request, CHANGE, appointment.store_id):
        raise PermissionDenied
    start = capacity.local(appointment.starts_at)
    initial = {"day": start.date(), "time": start.strftime("%H:%M"), "hours": appointment.hours}
    data = request.POST.copy() if request.method == "POST" else None
    if data and data.get("pick"):
        try:
            chosen = capacity.local(datetime.datetime.fromisoformat(data["pick"]))
            data["day"], data["time"] = chosen.date().isoformat(), chosen.strftime("%H:%M")
        except ValueError:
            pass
    form = MoveForm(data, initial=initial)
    free: list[str] = []
    if data is not None and form.is_valid():
        cd = form.cleaned_data
        try:
            services.appointment_move(
                actor=request.user,
                appointment=appointment,
                starts_at=datetime.datetime.combine(cd["day"], cd["time"], tzinfo=capacity.local_zone()),
                hours=cd["hours"],
            )
            messages.success(request, _("Appointment %(number)s moved.") % {"number": appointment.number})
            return redirect("service:appointment_detail", pk=appointment.pk)
        except ApplicationError as error:
            form.add_error("time" if error.field == "starts_at" else None, str(error.message))
            free = error.extra.get("free", [])
    context = {
        "appointment": appointment,
        "form": form,
        "free": [(value, capacity.local(datetime.datetime.fromisoformat(value))) for value in free],
    }
    return render(request, "service/appointments/move.html", context, status=400 if data is not None else 200)


@login_required
def appointment_slip(request: HttpRequest, pk: int) -> HttpResponse:
    """预约单: the printed appointment slip, A4."""
    appointment = services.appointment_detail(user=request.user, pk=pk)
    _phones(request, appointment.store_id, [appointment])
    return render(request, "service/appointments/slip.html", {"appointment": appointment})


# --- parts for the appointment (reserved, short, the deposit) --------------------------------


class PartLineForm(BootstrapMixin, forms.Form):
    part = forms.CharField(
        label=gettext_lazy("Part code"), max_length=40, widget=forms.TextInput(attrs={"autocomplete": "off"})
    )
    quantity = forms.DecimalField(
        label=gettext_lazy("Quantity"), max_digits=12, decimal_places=3, min_value=Decimal("0.001"), initial=1
    )

    def clean_part(self):
        from pitstop.parts.models import Part

        code = normalise_code(self.cleaned_data["part"])
        part = Part.objects.filter(is_active=True).filter(Q(code=code) | Q(barcode=code)).first()
        if part is None:
            raise forms.ValidationError(_("No part with this code in the catalogue."))
        return part


class DepositForm(BootstrapMixin, forms.Form):
    deposit = forms.DecimalField(
        label=gettext_lazy("Deposit"), max_digits=12, decimal_places=2, min_value=Decimal(0)
    )
    deposit_reference = forms.CharField(label=gettext_lazy("Deposit receipt"), max_length=60, required=False)


def _parts_context(appointment: Appointment, may_change: bool, **forms_given) -> dict:
    from .. import appointment_parts as parts

    needs = parts.appointment_parts(appointment)
    required = parts.deposit_required(appointment, needs)
    editable = may_change and appointment.status in (Status.REQUESTED, Status.CONFIRMED)
    return {
        "part_needs": needs,
        "deposit_required": required,
        "deposit_short": appointment.deposit < required,
        "any_short": any(need.short > 0 for need in needs),
        "parts_editable": editable,
        "part_form": forms_given.get("part_form") or PartLineForm(),
        "deposit_form": forms_given.get("deposit_form")
        or DepositForm(
            initial={
                "deposit": required or appointment.deposit,
                "deposit_reference": appointment.deposit_reference,
            }
        ),
        "parts_error": forms_given.get("parts_error", ""),
    }


def _parts_answer(request: HttpRequest, appointment: Appointment, **forms_given) -> HttpResponse:
    """The parts section again (HTMX; with the error in it, as 200 because HTMX swaps no 4xx
    answer) or back to the appointment page with the error as a message."""
    if getattr(request, "htmx", False):
        appointment.refresh_from_db()
        context = {"appointment": appointment, **_parts_context(appointment, True, **forms_given)}
        return render(request, "service/appointments/detail.html#appointment-parts", context)
    if forms_given.get("parts_error"):
        messages.error(request, forms_given["parts_error"])
    else:
        for form in (forms_given.get("part_form"), forms_given.get("deposit_form")):
            if form is not None and form.errors:
                messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
    return redirect("service:appointment_detail", pk=appointment.pk)


def _changeable(request: HttpRequest, pk: int) -> Appointment:
    appointment = services.appointment_detail(user=request.user, pk=pk)
    if not _may(request, CHANGE, appointment.store_id):
        raise PermissionDenied
    return appointment


@login_required
@require_POST
def appointment_part_add(request: HttpRequest, pk: int) -> HttpResponse:
    """A part the job will need: reserved when in stock, else recorded as short."""
    from .. import appointment_parts as parts

    appointment = _changeable(request, pk)
    form = PartLineForm(request.POST)
    if not form.is_valid():
        return _parts_answer(request, appointment, part_form=form)
    try:
        line = parts.appointment_part_add(
            actor=request.user,
            appointment=appointment,
            part=form.cleaned_data["part"],
            quantity=form.cleaned_data["quantity"],
        )
    except ApplicationError as error:
        if error.field in form.fields:
            form.add_error(error.field, str(error.message))
            return _parts_answer(request, appointment, part_form=form)
        return _parts_answer(request, appointment, part_form=form, parts_error=str(error.message))
    if not getattr(request, "htmx", False):
        messages.success(request, _("%(part)s added to the appointment.") % {"part": line.part})
    return _parts_answer(request, appointment)


@login_required
@require_POST
def appointment_part_remove(request: HttpRequest, pk: int, line_id: int) -> HttpResponse:
    from .. import appointment_parts as parts

    appointment = _changeable(request, pk)
    try:
        parts.appointment_part_remove(actor=request.user, appointment=appointment, line_id=line_id)
    except ApplicationError as error:
        return _parts_answer(request, appointment, parts_error=str(error.message))
    return _parts_answer(request, appointment)


@login_required
@require_POST
def appointment_parts_reserve(request: HttpRequest, pk: int) -> HttpResponse:
    """Reserve again what is short (stock may have arrived)."""
    from .. import appointment_parts as parts

    appointment = _changeable(request, pk)
    try:
        parts.appointment_parts_reserve(actor=request.user, appointment=appointment)
    except ApplicationError as error:
        return _parts_answer(request, appointment, parts_error=str(error.message))
    return _parts_answer(request, appointment)


@login_required
@require_POST
def appointment_deposit(request: HttpRequest, pk: int) -> HttpResponse:
    """The deposit taken (定金) and its receipt number."""
    from .. import appointment_parts as parts

    appointment = _changeable(request, pk)
    form = DepositForm(request.POST)
    if not form.is_valid():
        return _parts_answer(request, appointment, deposit_form=form)
    try:
        parts.appointment_deposit_record(
            actor=request.user,
            appointment=appointment,
            deposit=form.cleaned_data["deposit"],
            deposit_reference=form.cleaned_data["deposit_reference"],
        )
    except ApplicationError as error:
        form.add_error(error.field if error.field in form.fields else None, str(error.message))
        return _parts_answer(request, appointment, deposit_form=form)
    return _parts_answer(request, appointment)


def _shortage_store(request: HttpRequest):
    from .. import appointment_parts as parts

    if request.store is None or not parts.may_see_shortages(request.user, request.store):
        raise PermissionDenied
    return request.store


def _period(request: HttpRequest, data) -> tuple[datetime.date, datetime.date]:
    def parse(key: str, default: datetime.date) -> datetime.date:
        try:
            return datetime.date.fromisoformat(data.get(key, ""))
        except ValueError:
            return default

    first = parse("from", _today())
    last = parse("to", first + datetime.timedelta(days=7))
    if last < first:
        first, last = last, first
    return first, min(last, first + datetime.timedelta(days=92))


@login_required
def appointment_shortages(request: HttpRequest) -> HttpResponse:
    """Parts short for the coming appointments, per part as purchase suggestions (short less
    free stock and what is on order), and per appointment; a draft purchase order in one step."""
    from pitstop.parts.models import Supplier

    from .. import appointment_parts as parts

    store = _shortage_store(request)
    first, last = _period(request, request.GET)
    shortages = parts.appointment_shortages(user=request.user, store=store, first=first, last=last)
    context = {
        "first": first,
        "last": last,
        "shortages": shortages,
        "totals": parts.shortage_totals(store, shortages),
        "suppliers": list(Supplier.objects.filter(is_active=True).order_by("code")),
        "may_order": _may(request, parts.ADD_ORDER, store.pk),
        "may_reserve": _may(request, CHANGE, store.pk),
        "booking_tabs": _may(request, VIEW, store.pk),  # the warehouse sees only this page
    }
    return render(request, "service/appointments/shortages.html", context)


@login_required
@require_POST
def appointment_shortages_order(request: HttpRequest) -> HttpResponse:
    """A draft purchase order to the chosen supplier for the suggested quantities."""
    from pitstop.parts.models import Supplier

    from .. import appointment_parts as parts

    store = _shortage_store(request)
    if not _may(request, parts.ADD_ORDER, store.pk):
        raise PermissionDenied
    first, last = _period(request, request.POST)
    supplier_id = request.POST.get("supplier", "")
    supplier = Supplier.objects.filter(pk=supplier_id).first() if supplier_id.isdigit() else None
    part_ids = [int(value) for value in request.POST.getlist("part") if value.isdigit()]
    try:
        order = parts.appointment_shortages_order(
            actor=request.user, store=store, supplier=supplier, first=first, last=last, part_ids=part_ids
        )
    except ApplicationError as error:
        messages.error(request, error.message)
        url = reverse("service:appointment_shortages")
        return redirect(f"{url}?from={first.isoformat()}&to={last.isoformat()}")
    messages.success(request, _("Draft purchase order %(number)s made.") % {"number": order.number})
    return redirect("parts:purchase_order", pk=order.pk)


@login_required
@require_POST
def appointment_shortages_reserve(request: HttpRequest) -> HttpResponse:
    """Reserve again, for every appointment of the period that is short, what is now in stock."""
    from .. import appointment_parts as parts

    store = _shortage_store(request)
    if not _may(request, CHANGE, store.pk):
        raise PermissionDenied
    first, last = _period(request, request.POST)
    appointments = {
        shortage.appointment.pk: shortage.appointment
        for shortage in parts.appointment_shortages(user=request.user, store=store, first=first, last=last)
    }
    gained = Decimal(0)
    for appointment in appointments.values():
        gained += parts.appointment_parts_reserve(actor=request.user, appointment=appointment)
    messages.success(request, _("%(qty)s more reserved.") % {"qty": plain(gained)})
    url = reverse("service:appointment_shortages")
    return redirect(f"{url}?from={first.isoformat()}&to={last.isoformat()}")


# --- lists ---------------------------------------------------------------------------------


@login_required
def appointment_to_confirm(request: HttpRequest) -> HttpResponse:
    """Online requests waiting for the advisor first, then the coming confirmed bookings."""
    store = _store(request)
    context = {
        "appointments": _phones(
            request, store.pk, list(services.to_confirm(user=request.user, store=store)[:200])
        ),
        "status_css": STATUS_CSS,
        "may_change": _may(request, CHANGE, store.pk),
    }
    return render(request, "service/appointments/to_confirm.html", context)


@login_required
def appointment_tomorrow(request: HttpRequest) -> HttpResponse:
    """Tomorrow's bookings for the workshop (dispatcher, team leaders): what comes, when, for
    which bay, the parts expected."""
    store = _store(request)
    day = _day_from(request, _today() + datetime.timedelta(days=1))
    context = {
        "day": day,
        "appointments": list(
            services.appointments_between(
                user=request.user, store=store, first=day, last=day, active_only=True
            )
        ),
        "status_css": STATUS_CSS,
    }
    return render(request, "service/appointments/tomorrow.html", context)


@login_required
def appointment_analysis(request: HttpRequest) -> HttpResponse:
    """Bookings, arrival and no-show rates, sources and busiest hours for a period (F-2.6)."""
    from ..analysis import appointment_analysis as analyse

    store = _store(request)
    last = _day_from(request, _today(), key="to")
    first = _day_from(request, last - datetime.timedelta(days=29), key="from")
    if first > last:
        first, last = last, first
    result = analyse(user=request.user, store=store, first=first, last=last)
    sources = dict(Appointment.Source.choices)
    context = {
        "first": first,
        "last": last,
        "result": result,
        "sources": [(sources.get(code, code), count) for code, count in result.by_source.items()],
        "peak": max((count for _hour, count in result.by_hour), default=0),
    }
    return render(request, "service/appointments/analysis.html", context)


urlpatterns = [
    path("appointments/analysis/", appointment_analysis, name="appointment_analysis"),
    path("appointments/", appointment_day, name="appointment_day"),
    path("appointments/week/", appointment_week, name="appointment_week"),
    path("appointments/new/", appointment_create, name="appointment_new"),
    path("appointments/to-confirm/", appointment_to_confirm, name="appointment_to_confirm"),
    path("appointments/tomorrow/", appointment_tomorrow, name="appointment_tomorrow"),
    path("appointments/<int:pk>/", appointment_detail, name="appointment_detail"),
    path("appointments/<int:pk>/status/", appointment_status, name="appointment_status"),
    path("appointments/<int:pk>/move/", appointment_move, name="appointment_move"),
    path("appointments/<int:pk>/slip/", appointment_slip, name="appointment_slip"),
    path("appointments/<int:pk>/parts/add/", appointment_part_add, name="appointment_part_add"),
    path(
        "appointments/<int:pk>/parts/<int:line_id>/remove/",
        appointment_part_remove,
        name="appointment_part_remove",
    ),
    path("appointments/<int:pk>/parts/reserve/", appointment_parts_reserve, name="appointment_parts_reserve"),
    path("appointments/<int:pk>/deposit/", appointment_deposit, name="appointment_deposit"),
    path("appointments/shortages/", appointment_shortages, name="appointment_shortages"),
    path("appointments/shortages/order/", appointment_shortages_order, name="appointment_shortages_order"),
    path(
        "appointments/shortages/reserve/", appointment_shortages_reserve, name="appointment_shortages_reserve"
    ),
]
