"""The manager's workshop set-up: hours and slots, bays, the technicians' duty roster."""

import datetime

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pitstop.core.exceptions import ApplicationError
from pitstop.core.forms import BootstrapMixin
from pitstop.core.htmx import render_page
from pitstop.core.scoping import get_scoped_or_404, has_perm_in_store, require_perm_somewhere

from .. import setup
from ..models import Bay, BayType

WEEKDAYS = [
    ("1", gettext_lazy("Mon")),
    ("2", gettext_lazy("Tue")),
    ("3", gettext_lazy("Wed")),
    ("4", gettext_lazy("Thu")),
    ("5", gettext_lazy("Fri")),
    ("6", gettext_lazy("Sat")),
    ("7", gettext_lazy("Sun")),
]


def apply_error(form: forms.Form, error: ApplicationError) -> None:
    form.add_error(error.field if error.field in form.fields else None, str(error.message))


def store_or_refuse(request: HttpRequest, perm: str):
    """The current store, where the user must hold `perm`: 403 otherwise. None when "all
    stores" is chosen (the page then asks to choose one)."""
    require_perm_somewhere(request.user, perm)
    store = request.store
    if store is not None and not has_perm_in_store(request.user, perm, store.pk):
        raise PermissionDenied
    return store


def choose_store(request: HttpRequest, title: str) -> HttpResponse:
    return render(request, "service/setup/choose_store.html", {"title": title})


class SettingsForm(BootstrapMixin, forms.Form):
    opens_at = forms.TimeField(label=gettext_lazy("Opens at"), widget=forms.TimeInput(attrs={"type": "time"}))
    closes_at = forms.TimeField(
        label=gettext_lazy("Closes at"), widget=forms.TimeInput(attrs={"type": "time"})
    )
    open_weekdays = forms.MultipleChoiceField(
        label=gettext_lazy("Open on"), choices=WEEKDAYS, widget=forms.CheckboxSelectMultiple
    )
    slot_minutes = forms.IntegerField(
        label=gettext_lazy("Slot length (minutes)"),
        min_value=setup.MIN_SLOT,
        max_value=setup.MAX_SLOT,
        help_text=gettext_lazy("The working day must divide into whole slots."),
    )
    labour_rate = forms.DecimalField(
        label=gettext_lazy("Labour rate per hour (¥)"), max_digits=12, decimal_places=2, min_value=0
    )
    reminder_days_before = forms.IntegerField(
        label=gettext_lazy("Remind customers days before"), min_value=0, max_value=30
    )
    online_booking = forms.BooleanField(label=gettext_lazy("Owners may book online"), required=False)


@login_required
def settings_edit(request: HttpRequest) -> HttpResponse:
    store = store_or_refuse(request, "service.change_workshopsettings")
    if store is None:
        return choose_store(request, _("Workshop settings"))
    row = setup.workshop_settings(store)
    initial = {name: getattr(row, name) for name in setup.SETTINGS_FIELDS}
    initial["open_weekdays"] = list(row.open_weekdays)
    form = SettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data["open_weekdays"] = "".join(data["open_weekdays"])
        try:
            setup.workshop_settings_update(actor=request.user, store=store, **data)
        except ApplicationError as error:
            apply_error(form, error)
        else:
            messages.success(request, _("Workshop settings saved."))
            return redirect("service:settings")
    return render(request, "service/setup/settings.html", {"form": form, "store": store})


class BayForm(BootstrapMixin, forms.Form):
    bay_type = forms.ChoiceField(label=gettext_lazy("Bay type"), choices=BayType.choices)
    name = forms.CharField(label=gettext_lazy("Name"), max_length=30)


class BayEditForm(BootstrapMixin, forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=30)
    is_active = forms.BooleanField(label=gettext_lazy("Active"), required=False)


@login_required
def bay_list(request: HttpRequest) -> HttpResponse:
    store = store_or_refuse(request, "service.view_bay")
    if store is None:
        return choose_store(request, _("Bays"))
    may_add = has_perm_in_store(request.user, "service.add_bay", store.pk)
    form = BayForm(request.POST or None)
    if request.method == "POST":
        if not may_add:
            raise PermissionDenied
        if form.is_valid():
            try:
                bay = setup.bay_create(actor=request.user, store=store, **form.cleaned_data)
            except ApplicationError as error:
                apply_error(form, error)
            else:
                messages.success(request, _("Bay %(name)s added.") % {"name": bay.name})
                return redirect("service:bays")
    context = {
        "store": store,
        "groups": setup.bay_counts(store),
        "form": form,
        "may_add": may_add,
        "may_change": has_perm_in_store(request.user, "service.change_bay", store.pk),
    }
    return render_page(request, "service/setup/bays.html", context, partials=("bay-table",))


@login_required
def bay_edit(request: HttpRequest, pk: int) -> HttpResponse:
    bay = get_scoped_or_404(Bay.objects.select_related("store"), request.user, "service.view_bay", pk=pk)
    if not has_perm_in_store(request.user, "service.change_bay", bay.store_id):
        raise PermissionDenied
    form = BayEditForm(request.POST or None, initial={"name": bay.name, "is_active": bay.is_active})
    if request.method == "POST" and form.is_valid():
        try:
            setup.bay_update(actor=request.user, bay=bay, **form.cleaned_data)
        except ApplicationError as error:
            apply_error(form, error)
        else:
            messages.success(request, _("Bay saved."))
            return redirect("service:bays")
    return render(request, "service/setup/bay_edit.html", {"bay": bay, "form": form})


def _week(request: HttpRequest) -> datetime.date:
    asked = request.GET.get("week") or request.POST.get("week") or ""
    try:
        day = datetime.date.fromisoformat(asked)
    except ValueError:
        day = datetime.date.today()
    return setup.week_start(day)


@login_required
def duty_roster(request: HttpRequest) -> HttpResponse:
    store = store_or_refuse(request, "service.view_technicianduty")
    if store is None:
        return choose_store(request, _("Duty roster"))
    monday = _week(request)
    days = [monday + datetime.timedelta(days=n) for n in range(7)]
    technicians = list(setup.technicians_of(store))
    may_change = has_perm_in_store(request.user, "service.change_technicianduty", store.pk)
    error = None
    if request.method == "POST":
        if not may_change:
            raise PermissionDenied
        assignments = {}
        for tech in technicians:
            for day in days:
                value = request.POST.get(f"d_{tech.pk}_{day:%Y%m%d}", "")
                if value:
                    assignments[(tech.pk, day)] = value
        try:
            count = setup.duty_week_set(
                actor=request.user, store=store, monday=monday, assignments=assignments
            )
        except ApplicationError as exc:
            error = exc.message
        else:
            messages.success(request, _("Duty roster saved: %(count)s shifts.") % {"count": count})
            return redirect(f"{request.path}?week={monday.isoformat()}")
    duty = setup.duty_week(store, monday)
    rows = [
        {
            "tech": tech,
            "cells": [
                {"name": f"d_{tech.pk}_{day:%Y%m%d}", "value": duty.get((tech.pk, day), ""), "day": day}
                for day in days
            ],
        }
        for tech in technicians
    ]
    units = setup.capacity_days(store, days)
    capacity = [{"label": label, "units": units[value]} for value, label in BayType.choices]
    context = {
        "store": store,
        "monday": monday,
        "days": days,
        "rows": rows,
        "capacity": capacity,
        "bay_types": BayType.choices,
        "previous": monday - datetime.timedelta(days=7),
        "next": monday + datetime.timedelta(days=7),
        "may_change": may_change,
        "error": error,
    }
    return render(request, "service/setup/duty.html", context)


urlpatterns = [
    path("service/settings/", settings_edit, name="settings"),
    path("service/bays/", bay_list, name="bays"),
    path("service/bays/<int:pk>/", bay_edit, name="bay_edit"),
    path("service/duty/", duty_roster, name="duty"),
]
