"""Parts coming back from a job (退料) and parts swapped on a job (换料), both against the issue
slip they went out on, so no more comes back than went out and it comes back at that cost.
The work order module later sends its own reference instead of a slip number."""

from django import forms
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pitstop.core.exceptions import ApplicationError
from pitstop.core.forms import BootstrapMixin

from .. import services
from ..forms import LineForm, SlipHeaderForm
from ..models import StockMovement
from .stock import _lines, _slip_forms, _slip_warehouses


class ReturnForm(SlipHeaderForm):
    slip = forms.CharField(label=gettext_lazy("Issue slip no."), max_length=40)
    taken_by = forms.CharField(label=gettext_lazy("Returned by"), max_length=60)

    def clean_slip(self):
        return self.cleaned_data["slip"].strip().upper()


class ExchangeForm(ReturnForm):
    taken_by = forms.CharField(label=gettext_lazy("Exchanged by"), max_length=60)


def _issued_on(number: str, warehouse) -> bool:
    return StockMovement.objects.filter(
        reference_type="issue_slip", reference_no=number, warehouse=warehouse
    ).exists()


@login_required
def return_parts(request: HttpRequest) -> HttpResponse:
    warehouses = _slip_warehouses(request)
    header, lines = _slip_forms(request, ReturnForm, warehouses)
    if request.method == "POST" and header.is_valid() and lines.is_valid():
        data = header.cleaned_data
        number, warehouse = data["slip"], data["warehouse"]
        rows = _lines(lines)
        if not _issued_on(number, warehouse):
            header.add_error("slip", _("No issue slip %(number)s from this warehouse.") % {"number": number})
        elif not rows:
            header.add_error(None, _("Add at least one line."))
        else:
            try:
                with transaction.atomic():
                    for row in rows:
                        services.stock_return(
                            actor=request.user,
                            warehouse=warehouse,
                            part=row["part_obj"],
                            quantity=row["quantity"],
                            reference=services.Reference("issue_slip", None, number),
                            taken_by=data["taken_by"],
                            note=data["note"],
                        )
                return redirect("parts:slip", number=number)
            except ApplicationError as error:
                header.add_error(None, str(error.message))
    status = 400 if request.method == "POST" else 200
    return render(request, "parts/return.html", {"header": header, "lines": lines}, status=status)


# A scanner types the code and Enter: Enter moves to the next field instead of submitting.
SCANNED = forms.TextInput(attrs={"data-enter-next": "", "autocomplete": "off"})


class SwapForm(BootstrapMixin, forms.Form):
    back = forms.CharField(label=gettext_lazy("Part coming back"), max_length=40, widget=SCANNED)
    back_quantity = forms.DecimalField(label=gettext_lazy("Quantity back"), max_digits=12, decimal_places=3)
    out = forms.CharField(label=gettext_lazy("Part going out instead"), max_length=40, widget=SCANNED)
    out_quantity = forms.DecimalField(label=gettext_lazy("Quantity out"), max_digits=12, decimal_places=3)

    def clean(self):
        data = super().clean()
        for name in ("back", "out"):
            found = LineForm({"part": data.get(name, ""), "quantity": "1"})
            if not found.is_valid() or not found.cleaned_data.get("part_obj"):
                self.add_error(name, found.errors.get("part", [_("Unknown part.")])[0])
            else:
                data[f"{name}_part"] = found.cleaned_data["part_obj"]
        return data


@login_required
def exchange_parts(request: HttpRequest) -> HttpResponse:
    warehouses = _slip_warehouses(request)
    header = ExchangeForm(
        request.POST or None, warehouses=warehouses, initial={"warehouse": warehouses.first()}
    )
    swap = SwapForm(request.POST or None)
    if request.method == "POST" and header.is_valid() and swap.is_valid():
        data, lines = header.cleaned_data, swap.cleaned_data
        number, warehouse = data["slip"], data["warehouse"]
        if not _issued_on(number, warehouse):
            header.add_error("slip", _("No issue slip %(number)s from this warehouse.") % {"number": number})
        else:
            try:
                services.stock_exchange(
                    actor=request.user,
                    warehouse=warehouse,
                    back=(lines["back_part"], lines["back_quantity"]),
                    out=(lines["out_part"], lines["out_quantity"]),
                    reference=services.Reference("issue_slip", None, number),
                    taken_by=data["taken_by"],
                    note=data["note"],
                )
                return redirect("parts:slip", number=number)
            except ApplicationError as error:
                header.add_error(None, str(error.message))
    status = 400 if request.method == "POST" else 200
    return render(request, "parts/exchange.html", {"header": header, "swap": swap}, status=status)


urlpatterns = [
    path("parts/return/", return_parts, name="return"),
    path("parts/exchange/", exchange_parts, name="exchange"),
]
