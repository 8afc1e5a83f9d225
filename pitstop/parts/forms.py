from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from pitstop.core.forms import BootstrapMixin

from .models import Part, Warehouse


class SlipHeaderForm(BootstrapMixin, forms.Form):
    warehouse = forms.ModelChoiceField(label=_("Warehouse"), queryset=Warehouse.objects.none())
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args, warehouses=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["warehouse"].queryset = warehouses if warehouses is not None else Warehouse.objects.none()


class ReceiveForm(SlipHeaderForm):
    supplier = forms.CharField(label=_("Supplier or source"), max_length=100)


class IssueForm(SlipHeaderForm):
    PURPOSES = [("issue", _("to a job")), ("scrap", _("scrap (damaged, expired)"))]

    purpose = forms.ChoiceField(label=_("Purpose"), choices=PURPOSES, initial="issue", required=False)
    work_order = forms.CharField(label=_("Work order no."), max_length=40, required=False)
    taken_by = forms.CharField(label=_("Taken by"), max_length=60)

    def clean(self):
        data = super().clean()
        data["purpose"] = data.get("purpose") or "issue"
        # Scrapped stock is a loss the manager will ask about: the reason is written down.
        if data.get("purpose") == "scrap" and not (data.get("note") or "").strip():
            self.add_error("note", _("Say why the parts are scrapped."))
        return data


class LineForm(BootstrapMixin, forms.Form):
    """One line of a slip: a part by its code (a scanner types it), a quantity, a cost."""

    part = forms.CharField(
        label=_("Part code"),
        max_length=40,
        required=False,
        widget=forms.TextInput(attrs={"data-enter-next": "", "autocomplete": "off"}),
    )
    quantity = forms.DecimalField(
        label=_("Quantity"), max_digits=12, decimal_places=3, required=False, min_value=Decimal("0.001")
    )
    unit_cost = forms.DecimalField(
        label=_("Unit cost"), max_digits=14, decimal_places=4, required=False, min_value=Decimal("0")
    )

    def clean(self):
        data = super().clean()
        code = (data.get("part") or "").strip()
        if not code:
            return data
        part = (
            Part.objects.filter(code__iexact=code, is_active=True).first()
            or Part.objects.filter(barcode=code, is_active=True).first()
        )
        if part is None:
            self.add_error("part", _("No part with code or barcode “%(code)s”.") % {"code": code})
        elif data.get("quantity") is None:
            self.add_error("quantity", _("How many?"))
        data["part_obj"] = part
        return data


LineFormSet = forms.formset_factory(LineForm, extra=0)
