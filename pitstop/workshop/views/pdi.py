"""PDI checks of new cars (F-4.9): the list, a new check on the tablet (every item ok or not,
with a note), the check, and the printed PDI sheet (PDI检查表)."""

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
from pitstop.core.scoping import get_scoped_or_404, has_perm_in_store, require_perm_somewhere

from .. import pdi as services
from ..models import PdiCheck


def _store(request: HttpRequest, perm: str):
    require_perm_somewhere(request.user, perm)
    if request.store is None or not has_perm_in_store(request.user, perm, request.store.pk):
        raise PermissionDenied
    return request.store


@login_required
def pdi_list(request: HttpRequest) -> HttpResponse:
    store = _store(request, services.VIEW)
    checks = services.pdis_for(request.user, store)
    query = request.GET.get("q", "").strip().upper()
    if query:
        checks = checks.filter(vin__contains=query) | checks.filter(number__contains=query)
    context = {
        "checks": list(checks.order_by("-id")[:200]),
        "q": request.GET.get("q", ""),
        "may_add": has_perm_in_store(request.user, services.ADD, store.pk),
    }
    return render(request, "workshop/pdi/list.html", context)


class PdiForm(BootstrapMixin, forms.Form):
    vin = forms.CharField(label=gettext_lazy("VIN"), max_length=20)
    vin_confirmed = forms.BooleanField(
        label=gettext_lazy("Imported vehicle: the VIN has no check digit"), required=False
    )
    model_name = forms.CharField(label=gettext_lazy("Model"), max_length=80, required=False)
    mileage = forms.IntegerField(label=gettext_lazy("Mileage (km)"), min_value=0, initial=0)
    note = forms.CharField(label=gettext_lazy("Notes"), max_length=300, required=False)


def _answers(data) -> dict:
    results = {}
    for code in services.PDI_ITEMS:
        answer = data.get(f"ok_{code}", "")
        if answer not in ("ok", "not_ok"):
            continue
        results[code] = {"ok": answer == "ok", "note": data.get(f"note_{code}", "")}
    return results


def _groups(results: dict) -> list[dict]:
    groups = services.pdi_groups(results)
    for group in groups:
        for item in group["items"]:
            item["answered"] = item["code"] in results
    return groups


@login_required
def pdi_new(request: HttpRequest) -> HttpResponse:
    """A new car's PDI: VIN, model, mileage and every item of the sheet."""
    store = _store(request, services.ADD)
    data = request.POST if request.method == "POST" else None
    form = PdiForm(data)
    results = _answers(data) if data is not None else {}
    checklist_error = ""
    if data is not None and form.is_valid():
        cd = form.cleaned_data
        try:
            check = services.pdi_create(
                actor=request.user,
                store=store,
                vin=cd["vin"],
                model_name=cd["model_name"],
                mileage=cd["mileage"],
                results=results,
                note=cd["note"],
                vin_confirmed=cd["vin_confirmed"],
            )
        except ApplicationError as error:
            if error.field in form.fields:
                form.add_error(error.field, str(error.message))
            else:
                checklist_error = str(error.message)
        else:
            if check.passed:
                messages.success(request, _("PDI %(number)s passed.") % {"number": check.number})
            else:
                messages.warning(
                    request,
                    _("PDI %(number)s recorded: not every item is ok.") % {"number": check.number},
                )
            return redirect("workshop:pdi_detail", pk=check.pk)
    context = {"form": form, "groups": _groups(results), "checklist_error": checklist_error}
    return render(request, "workshop/pdi/form.html", context, status=400 if data is not None else 200)


def _check(request: HttpRequest, pk: int) -> PdiCheck:
    return get_scoped_or_404(
        PdiCheck.objects.select_related("store", "checked_by", "vehicle"), request.user, services.VIEW, pk=pk
    )


@login_required
def pdi_detail(request: HttpRequest, pk: int) -> HttpResponse:
    check = _check(request, pk)
    return render(
        request, "workshop/pdi/detail.html", {"check": check, "groups": services.pdi_groups(check.results)}
    )


@login_required
def pdi_print(request: HttpRequest, pk: int) -> HttpResponse:
    """PDI检查表: the sheet the inspector and the customer sign, A4."""
    check = _check(request, pk)
    return render(
        request, "workshop/pdi/print.html", {"check": check, "groups": services.pdi_groups(check.results)}
    )


urlpatterns = [
    path("workshop/pdi/", pdi_list, name="pdi_list"),
    path("workshop/pdi/new/", pdi_new, name="pdi_new"),
    path("workshop/pdi/<int:pk>/", pdi_detail, name="pdi_detail"),
    path("workshop/pdi/<int:pk>/print/", pdi_print, name="pdi_print"),
]
