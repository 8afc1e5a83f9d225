"""Bin, minimum and maximum of a part in a warehouse, changed by the keeper of that store."""

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext_lazy as _

from pitstop.core.exceptions import ApplicationError
from pitstop.core.forms import BootstrapMixin
from pitstop.core.money import plain
from pitstop.core.scoping import get_scoped_or_404, has_perm_in_store

from .. import levels, selectors
from ..models import Bin, StockLevel

CHANGE_LEVEL = "parts.add_stockmovement"  # who keeps the store's stock sets where it lies


class LevelForm(BootstrapMixin, forms.Form):
    bin = forms.CharField(label=_("Bin"), max_length=20, required=False)
    min_level = forms.DecimalField(
        label=_("Minimum"), max_digits=12, decimal_places=3, min_value=0, required=False
    )
    max_level = forms.DecimalField(
        label=_("Maximum"), max_digits=12, decimal_places=3, min_value=0, required=False
    )

    def __init__(self, *args, bins=(), **kwargs):
        super().__init__(*args, **kwargs)
        if bins:
            self.fields["bin"].widget.attrs["list"] = "bins"
        self.bins = bins


@login_required
def level_edit(request: HttpRequest, pk: int) -> HttpResponse:
    level = get_scoped_or_404(
        StockLevel.objects.select_related("part", "warehouse__store"),
        request.user,
        selectors.VIEW_STOCK,
        store_field="warehouse__store_id",
        pk=pk,
    )
    if not has_perm_in_store(request.user, CHANGE_LEVEL, level.warehouse.store_id):
        raise PermissionDenied
    bins = list(Bin.objects.filter(warehouse=level.warehouse).values_list("code", flat=True))
    initial = {
        "bin": level.bin,
        "min_level": plain(level.min_level),
        "max_level": plain(level.max_level),
    }
    form = LevelForm(request.POST or None, initial=initial, bins=bins)
    if request.method == "POST" and form.is_valid():
        try:
            levels.level_settings_update(actor=request.user, level=level, **form.cleaned_data)
            return redirect("parts:part_detail", pk=level.part_id)
        except ApplicationError as error:
            form.add_error(error.field if error.field in form.fields else None, str(error.message))
    status = 400 if request.method == "POST" else 200
    return render(request, "parts/level_form.html", {"form": form, "level": level}, status=status)


urlpatterns = [path("parts/levels/<int:pk>/edit/", level_edit, name="level_edit")]
