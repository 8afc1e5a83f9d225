"""Dispatch of repair orders to bays, teams and technicians (F-4.1): the orders waiting for
dispatch and today's dispatched ones, the dispatch form of one order with the free bays at the
suggested time, the order's priority, and the workshop's teams."""

import datetime
import math
from decimal import Decimal

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from pitstop.core.exceptions import ApplicationError
from pitstop.core.forms import BootstrapMixin
from pitstop.core.htmx import render_page
from pitstop.core.scoping import get_scoped_or_404, has_perm_in_store, require_perm_somewhere
from pitstop.service.capacity import is_open_on, local
from pitstop.service.models import Bay, BayType, OrderLabour, RepairOrder
from pitstop.service.orders import DISPATCH, VIEW, order_detail, orders_for
from pitstop.service.setup import workshop_settings

from .. import dispatch as services
from ..models import Assignment, Team

Status = RepairOrder.Status
DATETIME_FORMAT = "%Y-%m-%dT%H:%M"
PRIORITY_CSS = {0: "text-bg-light border", 1: "text-bg-warning", 2: "text-bg-danger"}


def _store(request: HttpRequest, perm: str = DISPATCH):
    """The current store where the user holds `perm`; 403 without one."""
    require_perm_somewhere(request.user, perm)
    if request.store is None or not has_perm_in_store(request.user, perm, request.store.pk):
        raise PermissionDenied
    return request.store


def _dispatchable_order(request: HttpRequest, pk: int) -> RepairOrder:
    """The order if the user sees it (404 for another store's), 403 without the dispatcher's
    permission in its store."""
    order = order_detail(user=request.user, pk=pk, perm=VIEW)
    if not has_perm_in_store(request.user, DISPATCH, order.store_id):
        raise PermissionDenied
    return order


def _labour_prefetch() -> Prefetch:
    return Prefetch("labour_lines", queryset=OrderLabour.objects.order_by("position", "id"))


def _assignment_prefetch() -> Prefetch:
    return Prefetch(
        "assignments",
        queryset=Assignment.objects.select_related("bay", "team").prefetch_related("technicians"),
    )


# --- the list ------------------------------------------------------------------------------


@login_required
def dispatch_list(request: HttpRequest) -> HttpResponse:
    """Confirmed orders waiting for dispatch (urgent first, then by promised time), and the
    orders dispatched for today, each with its hours per bay type."""
    store = _store(request)
    today = timezone.localdate()
    start = datetime.datetime.combine(today, datetime.time.min, tzinfo=timezone.get_current_timezone())
    end = start + datetime.timedelta(days=1)
    orders = orders_for(request.user, store, perm=DISPATCH).prefetch_related(
        _labour_prefetch(), _assignment_prefetch()
    )
    waiting = list(orders.filter(status=Status.CONFIRMED).order_by("-priority", "promised_at", "id")[:200])
    planned_today = Assignment.objects.filter(
        order=OuterRef("pk"), planned_start__lt=end, planned_end__gte=start
    )
    dispatched = list(
        orders.filter(status=Status.DISPATCHED)
        .filter(
            Exists(planned_today)
            | Exists(Assignment.objects.filter(order=OuterRef("pk"), created_at__gte=start))
        )
        .order_by("-priority", "id")[:200]
    )
    for order in waiting + dispatched:
        order.bay_hours = [
            (BayType(value).label, hours)
            for value, hours in services.hours_by_bay_type(order.labour_lines.all()).items()
        ]
    context = {
        "waiting": waiting,
        "dispatched": dispatched,
        "today": today,
        "priority_css": PRIORITY_CSS,
        "priorities": RepairOrder.Priority.choices,
    }
    return render_page(request, "workshop/dispatch/list.html", context, partials=("dispatch-lists",))


# --- one order -----------------------------------------------------------------------------


class AssignmentForm(BootstrapMixin, forms.Form):
    bay_type = forms.ChoiceField(label=gettext_lazy("Bay type"), choices=BayType.choices)
    bay = forms.ModelChoiceField(
        label=gettext_lazy("Bay"),
        queryset=Bay.objects.none(),
        required=False,
        empty_label=gettext_lazy("— later —"),
    )
    team = forms.ModelChoiceField(
        label=gettext_lazy("Team"),
        queryset=Team.objects.none(),
        required=False,
        empty_label=gettext_lazy("— none —"),
    )
    technicians = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Technicians"),
        queryset=Team.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    planned_start = forms.DateTimeField(
        label=gettext_lazy("Planned start"),
        input_formats=[DATETIME_FORMAT, "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_FORMAT),
    )
    hours = forms.DecimalField(
        label=gettext_lazy("Hours"), max_digits=7, decimal_places=2, min_value=Decimal("0"), required=False
    )
    planned_end = forms.DateTimeField(
        label=gettext_lazy("Planned end"),
        input_formats=[DATETIME_FORMAT, "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_FORMAT),
        required=False,
        help_text=gettext_lazy("Empty: the start plus the hours."),
    )

    def __init__(self, *args, store, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["bay"].queryset = Bay.objects.filter(store=store, is_active=True)
        self.fields["team"].queryset = services.teams_for(store, active_only=True)
        self.fields["technicians"].queryset = services.store_technicians(store)
        self.fields["technicians"].label_from_instance = lambda user: str(user)
        for name in ("bay_type", "planned_start", "hours", "planned_end"):
            self.fields[name].widget.attrs["data-dispatch-refresh"] = ""


def _suggested_start(moment: datetime.datetime, ws) -> datetime.datetime:
    """Now rounded up to the next slot; before opening, the opening time; after the last slot
    of the day (or on a closed day), the next opening."""
    moment = local(moment).replace(second=0, microsecond=0)
    step = max(ws.slot_minutes, 5)
    since_midnight = moment.hour * 60 + moment.minute
    start = moment.replace(hour=0, minute=0) + datetime.timedelta(
        minutes=math.ceil(since_midnight / step) * step
    )
    for _day in range(8):
        day = start.date()
        opens = datetime.datetime.combine(day, ws.opens_at, tzinfo=start.tzinfo)
        closes = datetime.datetime.combine(day, ws.closes_at, tzinfo=start.tzinfo)
        if is_open_on(ws, day) and start + datetime.timedelta(minutes=step) <= closes:
            return max(start, opens)
        start = opens + datetime.timedelta(days=1)
    return local(moment)


def _end_from(start: datetime.datetime, hours: Decimal | None) -> datetime.datetime:
    minutes = int(math.ceil((hours or Decimal(1)) * 60)) or 60
    return start + datetime.timedelta(minutes=minutes)


def _defaults(order: RepairOrder, store) -> dict:
    """Bay type: the first of the order's labour with no assignment yet (else the one with the
    most hours); its hours; the start now rounded up to the next slot; the end from the hours."""
    hours = services.hours_by_bay_type(order.labour_lines.all())
    assigned = {assignment.bay_type for assignment in order.assignments.all()}
    left = [value for value in hours if value not in assigned]
    if left:
        bay_type = left[0]
    elif hours:
        bay_type = max(hours, key=lambda value: hours[value])
    else:
        bay_type = BayType.MAINTENANCE
    start = _suggested_start(timezone.now(), workshop_settings(store))
    type_hours = hours.get(bay_type) or Decimal(1)
    return {
        "bay_type": bay_type,
        "hours": type_hours.normalize(),
        "planned_start": start,
        "planned_end": _end_from(start, type_hours),
    }


def _parse_moment(value: str) -> datetime.datetime | None:
    for fmt in (DATETIME_FORMAT, "%Y-%m-%d %H:%M"):
        try:
            return timezone.make_aware(datetime.datetime.strptime(value, fmt))
        except (ValueError, TypeError):
            continue
    return None


def _bay_context(store, data: dict, defaults: dict) -> dict:
    """The bays of the chosen type with the order holding each at the chosen time, for the bay
    select and the free-bay list."""
    bay_type = data.get("bay_type") if data.get("bay_type") in BayType.values else defaults["bay_type"]
    start = _parse_moment(data.get("planned_start", "")) or defaults["planned_start"]
    try:
        hours = Decimal(data.get("hours") or defaults["hours"])
        if not Decimal(0) <= hours <= services.MAX_HOURS:
            hours = defaults["hours"]
    except ArithmeticError:
        hours = defaults["hours"]
    end = _parse_moment(data.get("planned_end", "")) or _end_from(start, hours)
    if end <= start:
        end = _end_from(start, hours)
    busy = services.busy_bay_ids(store, start, end)
    bays = list(Bay.objects.filter(store=store, bay_type=bay_type, is_active=True).order_by("name"))
    for bay in bays:
        bay.held_by = busy.get(bay.pk, "")
    chosen = str(data.get("bay") or "")
    free = [bay for bay in bays if not bay.held_by]
    held = {str(bay.pk) for bay in bays if bay.held_by}
    if ("bay" not in data and not chosen) or (
        chosen and (chosen in held or chosen not in {str(b.pk) for b in bays})
    ):
        chosen = str(free[0].pk) if free else ""  # the first free bay of the type
    return {
        "bays": bays,
        "free_bays": free,
        "chosen_bay": chosen,
        "slot_start": start,
        "slot_end": end,
    }


@login_required
def dispatch_order(request: HttpRequest, pk: int) -> HttpResponse:
    """The dispatch form of one order: bay type, bay (free ones at the time shown), team,
    technicians, planned start and end; the order's assignments so far with their remove
    buttons; its priority."""
    order = _dispatchable_order(request, pk)
    order = (
        RepairOrder.objects.select_related("store", "vehicle", "customer", "advisor")
        .prefetch_related(_labour_prefetch(), _assignment_prefetch())
        .get(pk=order.pk)
    )
    store = order.store
    defaults = _defaults(order, store)
    data = request.POST.copy() if request.method == "POST" else None
    form = AssignmentForm(data, store=store, initial=defaults)
    status = 200
    if data is not None:
        status = 400
        if form.is_valid():
            cd = form.cleaned_data
            end = cd["planned_end"] or _end_from(cd["planned_start"], cd["hours"])
            try:
                services.assignment_create(
                    actor=request.user,
                    order=order,
                    bay_type=cd["bay_type"],
                    bay=cd["bay"],
                    team=cd["team"],
                    technicians=list(cd["technicians"]),
                    planned_start=cd["planned_start"],
                    planned_end=end,
                    hours=cd["hours"],
                )
            except ApplicationError as error:
                field = error.field if error.field in form.fields else None
                form.add_error(field, str(error.message))
            else:
                messages.success(request, _("Work order %(number)s dispatched.") % {"number": order.number})
                return redirect("workshop:dispatch", pk=order.pk)
    source = data if data is not None else request.GET
    context = {
        "order": order,
        "form": form,
        "bay_hours": [
            (BayType(value).label, hours)
            for value, hours in services.hours_by_bay_type(order.labour_lines.all()).items()
        ],
        "may_dispatch": order.status in services.DISPATCHABLE,
        "priorities": RepairOrder.Priority.choices,
        "priority_css": PRIORITY_CSS,
        **_bay_context(store, source, defaults),
    }
    return render_page(
        request, "workshop/dispatch/order.html", context, partials=("bay-choices",), status=status
    )


@login_required
@require_POST
def assignment_remove(request: HttpRequest, pk: int) -> HttpResponse:
    assignment = get_scoped_or_404(
        Assignment.objects.select_related("order"), request.user, VIEW, store_field="order__store_id", pk=pk
    )
    if not has_perm_in_store(request.user, DISPATCH, assignment.order.store_id):
        raise PermissionDenied
    try:
        services.assignment_remove(actor=request.user, assignment=assignment)
        messages.success(request, _("Assignment taken back."))
    except ApplicationError as error:
        messages.error(request, error.message)
    return redirect("workshop:dispatch", pk=assignment.order_id)


@login_required
@require_POST
def order_priority(request: HttpRequest, pk: int) -> HttpResponse:
    order = _dispatchable_order(request, pk)
    try:
        services.order_priority_set(
            actor=request.user, order=order, priority=request.POST.get("priority", "")
        )
        messages.success(request, _("Priority of %(number)s changed.") % {"number": order.number})
    except ApplicationError as error:
        messages.error(request, error.message)
    if request.POST.get("next") == "list":
        return redirect("workshop:dispatch_list")
    return redirect("workshop:dispatch", pk=order.pk)


# --- teams ---------------------------------------------------------------------------------


class TeamForm(BootstrapMixin, forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=40)
    leader = forms.ModelChoiceField(
        label=gettext_lazy("Team leader"), queryset=Team.objects.none(), required=False
    )
    members = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Members"),
        queryset=Team.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    is_active = forms.BooleanField(label=gettext_lazy("Active"), required=False, initial=True)

    def __init__(self, *args, store, **kwargs):
        super().__init__(*args, **kwargs)
        people = services.store_technicians(store)
        self.fields["leader"].queryset = people
        self.fields["members"].queryset = people


def _team_form_page(request: HttpRequest, store, team: Team | None) -> HttpResponse:
    initial = (
        {
            "name": team.name,
            "leader": team.leader_id,
            "members": list(team.members.all()),
            "is_active": team.is_active,
        }
        if team
        else {"is_active": True}
    )
    data = request.POST if request.method == "POST" else None
    form = TeamForm(data, store=store, initial=initial)
    status = 200
    if data is not None:
        status = 400
        if form.is_valid():
            cd = form.cleaned_data
            try:
                saved = services.team_save(
                    actor=request.user,
                    store=store,
                    team=team,
                    name=cd["name"],
                    leader=cd["leader"],
                    members=list(cd["members"]),
                    is_active=cd["is_active"],
                )
            except ApplicationError as error:
                form.add_error(error.field if error.field in form.fields else None, str(error.message))
            else:
                messages.success(request, _("Team %(name)s saved.") % {"name": saved.name})
                return redirect("workshop:teams")
    context = {"teams": list(services.teams_for(store)), "form": form, "team": team}
    return render_page(request, "workshop/dispatch/teams.html", context, status=status)


@login_required
def teams(request: HttpRequest) -> HttpResponse:
    """The store's teams with their leader and members, and a form for a new one."""
    return _team_form_page(request, _store(request), None)


@login_required
def team_edit(request: HttpRequest, pk: int) -> HttpResponse:
    team = get_scoped_or_404(Team.objects.all(), request.user, "workshop.view_team", pk=pk)
    if not has_perm_in_store(request.user, DISPATCH, team.store_id):
        raise PermissionDenied
    return _team_form_page(request, team.store, team)


urlpatterns = [
    path("workshop/dispatch/", dispatch_list, name="dispatch_list"),
    path("workshop/dispatch/order/<int:pk>/", dispatch_order, name="dispatch"),
    path("workshop/dispatch/order/<int:pk>/priority/", order_priority, name="order_priority"),
    path("workshop/dispatch/assignment/<int:pk>/remove/", assignment_remove, name="assignment_remove"),
    path("workshop/teams/", teams, name="teams"),
    path("workshop/teams/<int:pk>/", team_edit, name="team_edit"),
]
