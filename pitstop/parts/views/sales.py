"""Counter sales of parts (F-5.9, 配件销售): the counter drafts and posts a sale, prints the
slip, and the buyer pays at the cash desk (the settlement module calls the hook in
pitstop/parts/sales.py)."""

from decimal import Decimal

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from pitstop.accounts.models import Store
from pitstop.core.exceptions import ApplicationError
from pitstop.core.export import xlsx_response
from pitstop.core.forms import BootstrapMixin
from pitstop.core.htmx import render_page
from pitstop.core.money import plain, to_rate
from pitstop.core.scoping import has_perm_in_store, require_perm_somewhere
from pitstop.core.text import mask_identifier
from pitstop.customers.forms import CustomerLookupField
from pitstop.customers.selectors import PERSONAL, customers_for

from .. import sales, selectors
from ..forms import LineForm
from ..models import CounterSale, Warehouse

Status = CounterSale.Status
HUNDRED = Decimal(100)
SALE_ROWS = 6


# --- forms -----------------------------------------------------------------------------------


class SaleForm(BootstrapMixin, forms.Form):
    warehouse = forms.ModelChoiceField(label=gettext_lazy("Warehouse"), queryset=Warehouse.objects.none())
    customer = CustomerLookupField(
        label=gettext_lazy("Customer"),
        required=False,
        help_text=gettext_lazy("Empty for a walk-in buyer."),
    )
    buyer_name = forms.CharField(label=gettext_lazy("Buyer"), max_length=60, required=False)
    buyer_phone = forms.CharField(label=gettext_lazy("Buyer's phone"), max_length=30, required=False)
    note = forms.CharField(label=gettext_lazy("Note"), max_length=200, required=False)

    def __init__(self, *args, user, store: Store, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["warehouse"].queryset = Warehouse.objects.filter(
            store=store, is_active=True, kind=Warehouse.Kind.MAIN
        ).order_by("code")
        self.fields["customer"].queryset = customers_for(user, store).select_related("tier")


class SaleLineForm(LineForm):
    """A line: part by code or barcode (a scanner types it), quantity, and optionally a lower
    price or a discount; empty means the customer's price and the tier's discount."""

    unit_cost = None
    unit_price = forms.DecimalField(
        label=gettext_lazy("Unit price"),
        max_digits=14,
        decimal_places=2,
        required=False,
        min_value=Decimal(0),
    )
    discount_pct = forms.DecimalField(
        label=gettext_lazy("Discount %"),
        max_digits=6,
        decimal_places=2,
        required=False,
        min_value=Decimal(0),
        max_value=HUNDRED,
    )


SaleLineFormSet = forms.formset_factory(SaleLineForm, extra=0)


def _forms(request: HttpRequest, store: Store, sale: CounterSale | None = None):
    data = request.POST if request.method == "POST" else None
    if sale is None:
        initial, lines_initial = {}, []
    else:
        initial = {
            "warehouse": sale.warehouse_id,
            "customer": sale.customer.code if sale.customer_id else "",
            "buyer_name": sale.buyer_name,
            "buyer_phone": sale.buyer_phone,
            "note": sale.note,
        }
        lines_initial = [
            {
                "part": line.part.code,
                "quantity": plain(line.quantity),
                "unit_price": line.unit_price,
                "discount_pct": plain(line.discount_rate * HUNDRED),
            }
            for line in sale.lines.all()
        ]
    header = SaleForm(data, user=request.user, store=store, initial=initial)
    if sale is None and not header.is_bound:
        header.initial["warehouse"] = header.fields["warehouse"].queryset.first()
    asked = request.GET.get("rows", "")
    rows = min(int(asked), 60) if asked.isdigit() else max(SALE_ROWS, len(lines_initial) + 2)
    lines_initial += [{}] * (rows - len(lines_initial))
    lines = SaleLineFormSet(data, initial=lines_initial, prefix="line")
    return header, lines


def _sale_lines(lines) -> list[sales.SaleLine]:
    result = []
    for form in lines:
        data = form.cleaned_data
        if not data.get("part_obj"):
            continue
        pct = data.get("discount_pct")
        result.append(
            sales.SaleLine(
                part=data["part_obj"],
                quantity=data["quantity"],
                unit_price=data.get("unit_price"),
                discount_rate=None if pct is None else to_rate(pct / HUNDRED),
            )
        )
    return result


def _show_error(header: SaleForm, error: ApplicationError) -> None:
    field = error.field if error.field in ("warehouse", "customer") else None
    header.add_error(field, str(error.message))


def _form_page(request, header, lines, sale=None, status=200) -> HttpResponse:
    return render(
        request, "parts/sales/form.html", {"header": header, "lines": lines, "sale": sale}, status=status
    )


# --- pages -----------------------------------------------------------------------------------


def _require_in_store(user, perm: str, store_id: int | None) -> None:
    if not has_perm_in_store(user, perm, store_id):
        raise PermissionDenied


@login_required
def sale_list(request: HttpRequest) -> HttpResponse:
    """The counter's and the cash desk's list: awaiting payment first."""
    require_perm_somewhere(request.user, sales.VIEW)
    query = request.GET.get("q", "").strip()
    status = request.GET.get("status", "")
    rows = sales.counter_sale_list(user=request.user, store=request.store, status=status, query=query)
    if request.GET.get("format") == "xlsx":
        headers = [
            _("Sale no."),
            _("Date"),
            _("Store"),
            _("Status"),
            _("Buyer"),
            _("Warehouse"),
            _("Subtotal"),
            _("Discount"),
            _("Total"),
            _("Payment reference"),
        ]
        return xlsx_response(
            "counter-sales",
            headers,
            (
                [
                    sale.number,
                    sale.created_at,
                    sale.store.name,
                    sale.get_status_display(),
                    _buyer_name(sale),
                    sale.warehouse.name,
                    sale.subtotal,
                    sale.discount,
                    sale.total,
                    sale.payment_reference,
                ]
                for sale in rows.iterator()
            ),
        )
    context = {
        "page": Paginator(rows, 50).get_page(request.GET.get("page")),
        "q": query,
        "status": status,
        "statuses": Status.choices,
        "may_add": request.store is not None and has_perm_in_store(request.user, sales.ADD, request.store.pk),
    }
    return render_page(request, "parts/sales/list.html", context, partials=("sale-table",))


@login_required
def sale_create(request: HttpRequest) -> HttpResponse:
    store = request.store
    _require_in_store(request.user, sales.ADD, store.pk if store else None)
    header, lines = _forms(request, store)
    if request.method == "POST" and header.is_valid() and lines.is_valid():
        data = header.cleaned_data
        try:
            sale = sales.counter_sale_create(
                actor=request.user,
                store=store,
                warehouse=data["warehouse"],
                customer=data["customer"],
                buyer_name=data["buyer_name"],
                buyer_phone=data["buyer_phone"],
                note=data["note"],
                lines=_sale_lines(lines),
            )
            return redirect("parts:counter_sale_detail", pk=sale.pk)
        except ApplicationError as error:
            _show_error(header, error)
    return _form_page(request, header, lines, status=400 if request.method == "POST" else 200)


@login_required
def sale_edit(request: HttpRequest, pk: int) -> HttpResponse:
    sale = sales.counter_sale_detail(user=request.user, pk=pk)
    _require_in_store(request.user, sales.CHANGE, sale.store_id)
    if sale.status != Status.DRAFT:
        messages.error(
            request, _("A sale that is %(status)s cannot be changed.") % {"status": sale.get_status_display()}
        )
        return redirect("parts:counter_sale_detail", pk=sale.pk)
    header, lines = _forms(request, sale.store, sale)
    if request.method == "POST" and header.is_valid() and lines.is_valid():
        data = header.cleaned_data
        try:
            sales.counter_sale_update(
                actor=request.user,
                sale=sale,
                warehouse=data["warehouse"],
                customer=data["customer"],
                buyer_name=data["buyer_name"],
                buyer_phone=data["buyer_phone"],
                note=data["note"],
                lines=_sale_lines(lines),
            )
            return redirect("parts:counter_sale_detail", pk=sale.pk)
        except ApplicationError as error:
            _show_error(header, error)
    return _form_page(request, header, lines, sale, status=400 if request.method == "POST" else 200)


def _buyer_name(sale: CounterSale) -> str:
    if sale.customer_id:
        return sale.customer.name
    return sale.buyer_name or str(_("Walk-in buyer"))


def _buyer_phone(sale: CounterSale, user) -> str:
    """Phones are personal data: shown in full only to who may see them in that store."""
    phone = sale.buyer_phone or (sale.customer.mobile if sale.customer_id else "")
    return phone if has_perm_in_store(user, PERSONAL, sale.store_id) else mask_identifier(phone)


def _sale_context(request: HttpRequest, sale: CounterSale) -> dict:
    lines = list(sale.lines.all())
    for line in lines:
        line.quantity_shown = plain(line.quantity)
        line.discount_pct = plain(line.discount_rate * HUNDRED)
    return {
        "sale": sale,
        "lines": lines,
        "buyer_name": _buyer_name(sale),
        "buyer_phone": _buyer_phone(sale, request.user),
        # Costs are the warehouse's business, not the cash desk's.
        "show_cost": has_perm_in_store(request.user, selectors.VIEW_MOVEMENTS, sale.store_id),
    }


@login_required
def sale_detail(request: HttpRequest, pk: int) -> HttpResponse:
    sale = sales.counter_sale_detail(user=request.user, pk=pk)
    user, store_id = request.user, sale.store_id
    may_change = has_perm_in_store(user, sales.CHANGE, store_id)
    moves_stock = has_perm_in_store(user, sales.MOVE_STOCK, store_id)
    draft, posted = sale.status == Status.DRAFT, sale.status == Status.POSTED
    context = _sale_context(request, sale)
    context.update(
        {
            "may_edit": draft and may_change,
            "may_post": draft and may_change and moves_stock,
            "may_cancel": may_change and (draft or (posted and moves_stock)),
            "may_print": sale.status in (Status.POSTED, Status.PAID),
            "events": _labelled(sale.events.all()),
        }
    )
    return render(request, "parts/sales/detail.html", context)


def _labelled(events) -> list:
    labels = dict(Status.choices)
    events = list(events)
    for event in events:
        event.from_label = labels.get(event.from_status, event.from_status)
        event.to_label = labels.get(event.to_status, event.to_status)
    return events


def _sale_for_action(request: HttpRequest, pk: int, *perms: str) -> CounterSale:
    sale = sales.counter_sale_detail(user=request.user, pk=pk)
    for perm in perms:
        _require_in_store(request.user, perm, sale.store_id)
    return sale


@login_required
@require_POST
def sale_post(request: HttpRequest, pk: int) -> HttpResponse:
    """Stock out, then to the cash desk."""
    sale = _sale_for_action(request, pk, sales.CHANGE, sales.MOVE_STOCK)
    try:
        sale = sales.counter_sale_post(actor=request.user, sale=sale)
        messages.success(
            request,
            _("Sale %(number)s posted: the buyer pays ¥%(total)s at the cash desk.")
            % {"number": sale.number, "total": sale.total},
        )
    except ApplicationError as error:
        messages.error(request, error.message)
    return redirect("parts:counter_sale_detail", pk=sale.pk)


@login_required
@require_POST
def sale_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    sale = _sale_for_action(request, pk, sales.CHANGE)
    if sale.status == Status.POSTED:  # puts parts back into stock
        _require_in_store(request.user, sales.MOVE_STOCK, sale.store_id)
    try:
        sale = sales.counter_sale_cancel(actor=request.user, sale=sale, reason=request.POST.get("reason", ""))
        messages.success(request, _("Sale %(number)s cancelled.") % {"number": sale.number})
    except ApplicationError as error:
        messages.error(request, error.message)
    return redirect("parts:counter_sale_detail", pk=sale.pk)


@login_required
def sale_slip(request: HttpRequest, pk: int) -> HttpResponse:
    """The printed sales slip (销售单), A4 or half an A4, that the buyer takes to the cash desk."""
    sale = sales.counter_sale_detail(user=request.user, pk=pk)
    if sale.status not in (Status.POSTED, Status.PAID):
        messages.error(request, _("Only a posted sale has a sales slip to print."))
        return redirect("parts:counter_sale_detail", pk=sale.pk)
    return render(request, "parts/sales/slip.html", _sale_context(request, sale))


urlpatterns = [
    path("parts/sales/", sale_list, name="counter_sale_list"),
    path("parts/sales/new/", sale_create, name="counter_sale_create"),
    path("parts/sales/<int:pk>/", sale_detail, name="counter_sale_detail"),
    path("parts/sales/<int:pk>/edit/", sale_edit, name="counter_sale_edit"),
    path("parts/sales/<int:pk>/post/", sale_post, name="counter_sale_post"),
    path("parts/sales/<int:pk>/cancel/", sale_cancel, name="counter_sale_cancel"),
    path("parts/sales/<int:pk>/slip/", sale_slip, name="counter_sale_slip"),
]
