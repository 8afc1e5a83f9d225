"""The chain's parts catalogue (F-5.1): find a part by code, barcode, name, pinyin or model;
add and change parts with their prices by customer price type."""

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pitstop.core.exceptions import ApplicationError
from pitstop.core.export import xlsx_response
from pitstop.core.forms import BootstrapMixin
from pitstop.core.htmx import render_page
from pitstop.core.scoping import require_perm_somewhere
from pitstop.customers.models import CustomerTier

from .. import catalogue, selectors
from ..models import Part, PartCategory, PartPrice
from ..services import PART_FIELDS


class PartForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        model = Part
        fields = PART_FIELDS
        widgets = {"fits_models": forms.TextInput()}

    def __init__(self, *args, price_types=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = PartCategory.objects.select_related("parent")
        self.price_types = list(price_types)
        current = dict(self.instance.prices.values_list("price_type", "price")) if self.instance.pk else {}
        for price_type in self.price_types:
            self.fields[f"price:{price_type}"] = forms.DecimalField(
                label=gettext_lazy("Price for “%(type)s”") % {"type": price_type},
                max_digits=14,
                decimal_places=2,
                min_value=0,
                required=False,
                initial=current.get(price_type),
                widget=forms.NumberInput(attrs={"class": "form-control", "step": "0.01"}),
                help_text=gettext_lazy("Empty: the sale price applies."),
            )

    def validate_unique(self):
        pass  # the service checks codes and barcodes case-insensitively and names the clash

    def prices(self) -> dict:
        return {t: self.cleaned_data.get(f"price:{t}") for t in self.price_types}

    def part_fields(self):
        return [self[name] for name in PART_FIELDS]

    def price_fields(self):
        return [self[f"price:{t}"] for t in self.price_types]


def _price_types() -> list[str]:
    """Every price type the chain uses other than retail (retail is the part's sale price)."""
    found = set(CustomerTier.objects.values_list("price_type", flat=True))
    found |= set(PartPrice.objects.values_list("price_type", flat=True).distinct())
    return sorted(t for t in found if t and t != "retail")


@login_required
def catalogue_list(request: HttpRequest) -> HttpResponse:
    require_perm_somewhere(request.user, "parts.view_part")
    query = request.GET.get("q", "").strip()
    category = request.GET.get("category", "")
    parts = selectors.parts_matching(query).select_related("category__parent").order_by("code")
    if category.isdigit():
        parts = parts.filter(Q(category_id=int(category)) | Q(category__parent_id=int(category)))
    # What the user's stores hold, so the counter can answer "do we have it?" from the list.
    store_ids = sorted(request.user.store_ids_with(selectors.VIEW_STOCK))
    if request.store is not None:
        store_ids = [pk for pk in store_ids if pk == request.store.pk]
    mine = Q(levels__warehouse__store_id__in=store_ids)
    parts = parts.annotate(
        in_stock=Sum("levels__on_hand", filter=mine),
        available=Sum("levels__on_hand", filter=mine) - Sum("levels__reserved", filter=mine),
    )
    if request.GET.get("format") == "xlsx":
        headers = [
            _("Part code"),
            _("Part name"),
            _("Brand"),
            _("Category"),
            _("Genuine or aftermarket"),
            _("Fits models"),
            _("Unit"),
            _("Barcode"),
            _("Sale price"),
            _("On hand"),
        ]
        rows = (
            [
                p.code,
                p.name,
                p.brand,
                str(p.category or ""),
                p.get_quality_display(),
                p.fits_models,
                p.unit,
                p.barcode,
                p.sale_price,
                p.in_stock or 0,
            ]
            for p in parts
        )
        return xlsx_response("parts-catalogue", headers, rows)
    context = {
        "page": Paginator(parts, 50).get_page(request.GET.get("page")),
        "q": query,
        "category": category,
        "categories": PartCategory.objects.filter(parent__isnull=True).order_by("code"),
        "may_add": bool(request.user.store_ids_with("parts.add_part")),
    }
    return render_page(request, "parts/catalogue/list.html", context, partials=("catalogue-table",))


def _save(request: HttpRequest, part: Part | None) -> HttpResponse:
    form = PartForm(request.POST or None, instance=part, price_types=_price_types())
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in PART_FIELDS}
        try:
            saved = catalogue.part_save(actor=request.user, part=part, data=data, prices=form.prices())
            return redirect("parts:part_detail", pk=saved.pk)
        except ApplicationError as error:
            target = error.field if error.field in form.fields else None
            form.add_error(target, str(error.message))
    status = 400 if request.method == "POST" else 200
    return render(request, "parts/catalogue/form.html", {"form": form, "part": part}, status=status)


@login_required
def part_new(request: HttpRequest) -> HttpResponse:
    require_perm_somewhere(request.user, "parts.add_part")
    return _save(request, None)


@login_required
def part_edit(request: HttpRequest, pk: int) -> HttpResponse:
    require_perm_somewhere(request.user, "parts.change_part")
    return _save(request, get_object_or_404(Part, pk=pk))


urlpatterns = [
    path("parts/catalogue/", catalogue_list, name="catalogue"),
    path("parts/catalogue/new/", part_new, name="part_new"),
    path("parts/<int:pk>/edit/", part_edit, name="part_edit"),
]
