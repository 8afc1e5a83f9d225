"""Purchasing pages (F-5.2): suppliers, purchase orders (draft, order, receive, close), the
printed order and receiving notes, and returns to the supplier (退货)."""

from decimal import Decimal

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Prefetch, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from pitstop.core.exceptions import ApplicationError
from pitstop.core.export import xlsx_response
from pitstop.core.forms import BootstrapMixin
from pitstop.core.htmx import render_page
from pitstop.core.money import plain, to_money
from pitstop.core.scoping import get_scoped_or_404, has_perm_in_store, require_perm_somewhere

from .. import purchasing
from ..forms import LineFormSet
from ..models import (
    ZERO,
    PurchaseOrder,
    StockMovement,
    Supplier,
    SupplierReturn,
    SupplierReturnLine,
    Warehouse,
)

VIEW_SUPPLIER = "parts.view_supplier"
VIEW_ORDER = purchasing.VIEW_ORDER
ADD_ORDER = "parts.add_purchaseorder"
CHANGE_ORDER = "parts.change_purchaseorder"
VIEW_RETURN = purchasing.VIEW_RETURN
ADD_RETURN = "parts.add_supplierreturn"
MOVE_STOCK = "parts.add_stockmovement"
Status = PurchaseOrder.Status
RECEIVABLE = (Status.ORDERED, Status.PARTLY_RECEIVED)
# Orders parts may be returned against: something may have been received.
RETURNABLE = (Status.PARTLY_RECEIVED, Status.RECEIVED, Status.CLOSED)
BLANK_ROWS = 8


def _may(request: HttpRequest, store_id: int | None, *perms: str) -> bool:
    return all(has_perm_in_store(request.user, perm, store_id) for perm in perms)


def _current_store(request: HttpRequest, *perms: str):
    """The store a new document belongs to: the current one, where the user holds every perm."""
    if request.store is None or not _may(request, request.store.pk, *perms):
        raise PermissionDenied
    return request.store


def _main_warehouses(store_id: int):
    return Warehouse.objects.filter(store_id=store_id, is_active=True, kind=Warehouse.Kind.MAIN).order_by(
        "code"
    )


def _rows(request: HttpRequest, at_least: int = 0) -> int:
    asked = request.GET.get("rows", "")
    rows = min(int(asked), 60) if asked.isdigit() else BLANK_ROWS
    return max(rows, at_least)


# --- suppliers ----------------------------------------------------------------------------------


@login_required
def supplier_list(request: HttpRequest) -> HttpResponse:
    """The chain's suppliers, shared by every store; edited in the administration."""
    require_perm_somewhere(request.user, VIEW_SUPPLIER)
    query = request.GET.get("q", "").strip()
    suppliers = Supplier.objects.order_by("-is_active", "code")
    if query:
        suppliers = suppliers.filter(Q(code__icontains=query) | Q(name__icontains=query))
    context = {"page": Paginator(suppliers, 50).get_page(request.GET.get("page")), "q": query}
    return render_page(request, "parts/purchasing/supplier_list.html", context, partials=("supplier-table",))


@login_required
def supplier_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Contacts and terms, with this store's orders and returns (chain-wide with “all stores”)."""
    require_perm_somewhere(request.user, VIEW_SUPPLIER)
    supplier = get_object_or_404(Supplier, pk=pk)
    orders = (
        purchasing.orders_for(request.user, request.store)
        .filter(supplier=supplier)
        .prefetch_related("lines")
        .order_by("-id")[:50]
    )
    returns = (
        purchasing.returns_for(request.user, request.store)
        .filter(supplier=supplier)
        .prefetch_related("lines")
        .order_by("-id")[:50]
    )
    context = {
        "supplier": supplier,
        "orders": [(order, purchasing.order_total(order.lines.all())) for order in orders],
        "returns": [(ret, sum((line.amount for line in ret.lines.all()), ZERO)) for ret in returns],
        "may_add": request.store is not None and _may(request, request.store.pk, ADD_ORDER),
    }
    return render(request, "parts/purchasing/supplier_detail.html", context)


# --- purchase orders ----------------------------------------------------------------------------


class OrderForm(BootstrapMixin, forms.Form):
    supplier = forms.ModelChoiceField(label=gettext_lazy("Supplier"), queryset=Supplier.objects.none())
    warehouse = forms.ModelChoiceField(label=gettext_lazy("Deliver to"), queryset=Warehouse.objects.none())
    expected_on = forms.DateField(
        label=gettext_lazy("Expected"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    note = forms.CharField(label=gettext_lazy("Note"), max_length=200, required=False)

    def __init__(self, *args, warehouses, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["supplier"].queryset = Supplier.objects.filter(is_active=True).order_by("code")
        self.fields["warehouse"].queryset = warehouses


def _order_lines(lines) -> list[tuple]:
    return [
        (form.cleaned_data["part_obj"], form.cleaned_data["quantity"], form.cleaned_data.get("unit_cost"))
        for form in lines
        if form.cleaned_data.get("part_obj")
    ]


@login_required
def order_list(request: HttpRequest) -> HttpResponse:
    """The current store's purchase orders, by status and supplier; to Excel."""
    require_perm_somewhere(request.user, VIEW_ORDER)
    status = request.GET.get("status", "")
    supplier = request.GET.get("supplier", "")
    query = request.GET.get("q", "").strip()
    orders = purchasing.orders_for(request.user, request.store).prefetch_related("lines").order_by("-id")
    if status in Status.values:
        orders = orders.filter(status=status)
    if supplier.isdigit():
        orders = orders.filter(supplier_id=int(supplier))
    if query:
        orders = orders.filter(number__icontains=query)
    if request.GET.get("format") == "xlsx":
        headers = [
            _("Order no."),
            _("Date"),
            _("Store"),
            _("Supplier"),
            _("Deliver to"),
            _("Status"),
            _("Expected"),
            _("Lines"),
            _("Amount"),
        ]
        rows = (
            [
                order.number,
                order.created_at,
                order.store.name,
                order.supplier.name,
                order.warehouse.name,
                order.get_status_display(),
                order.expected_on,
                len(order.lines.all()),
                purchasing.order_total(order.lines.all()),
            ]
            for order in orders
        )
        return xlsx_response("purchase-orders", headers, rows)
    page = Paginator(orders, 50).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "rows": [(order, purchasing.order_total(order.lines.all())) for order in page],
        "status": status,
        "supplier": supplier,
        "q": query,
        "statuses": Status.choices,
        "suppliers": Supplier.objects.order_by("code"),
        "may_add": request.store is not None and _may(request, request.store.pk, ADD_ORDER),
    }
    return render_page(request, "parts/purchasing/order_list.html", context, partials=("order-table",))


@login_required
def order_create(request: HttpRequest) -> HttpResponse:
    """A draft order of the current store: supplier, warehouse, lines by part code or barcode
    (a line without a cost takes the part's cost price)."""
    store = _current_store(request, ADD_ORDER)
    warehouses = _main_warehouses(store.pk)
    initial = {"warehouse": warehouses.first(), "supplier": request.GET.get("supplier") or None}
    header = OrderForm(request.POST or None, warehouses=warehouses, initial=initial)
    lines = LineFormSet(request.POST or None, initial=[{}] * _rows(request), prefix="line")
    if request.method == "POST" and header.is_valid() and lines.is_valid():
        data = header.cleaned_data
        try:
            order = purchasing.purchase_order_create(
                actor=request.user,
                store=store,
                supplier=data["supplier"],
                warehouse=data["warehouse"],
                expected_on=data["expected_on"],
                note=data["note"],
                lines=_order_lines(lines),
            )
            messages.success(request, _("Draft purchase order %(number)s saved.") % {"number": order.number})
            return redirect("parts:purchase_order", pk=order.pk)
        except ApplicationError as error:
            header.add_error(None, str(error.message))
    context = {"header": header, "lines": lines, "order": None}
    return render(
        request, "parts/purchasing/order_form.html", context, status=400 if request.method == "POST" else 200
    )


def _order(request: HttpRequest, pk: int) -> PurchaseOrder:
    return get_scoped_or_404(
        PurchaseOrder.objects.select_related("supplier", "warehouse", "store", "created_by"),
        request.user,
        VIEW_ORDER,
        pk=pk,
    )


@login_required
def order_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Change a draft's header and lines; an order sent to the supplier is not edited."""
    order = _order(request, pk)
    if not _may(request, order.store_id, CHANGE_ORDER):
        raise PermissionDenied
    if order.status != Status.DRAFT:
        messages.error(
            request,
            _("Only a draft can be changed; this order is %(status)s.")
            % {"status": order.get_status_display()},
        )
        return redirect("parts:purchase_order", pk=order.pk)
    current = [
        {"part": line.part.code, "quantity": plain(line.quantity), "unit_cost": plain(line.unit_cost)}
        for line in order.lines.select_related("part")
    ]
    rows = _rows(request, at_least=len(current) + 3)
    header = OrderForm(
        request.POST or None,
        warehouses=_main_warehouses(order.store_id),
        initial={
            "supplier": order.supplier,
            "warehouse": order.warehouse,
            "expected_on": order.expected_on,
            "note": order.note,
        },
    )
    lines = LineFormSet(request.POST or None, initial=current + [{}] * (rows - len(current)), prefix="line")
    if request.method == "POST" and header.is_valid() and lines.is_valid():
        data = header.cleaned_data
        try:
            purchasing.purchase_order_update(
                actor=request.user,
                order=order,
                supplier=data["supplier"],
                warehouse=data["warehouse"],
                expected_on=data["expected_on"],
                note=data["note"],
                lines=_order_lines(lines),
            )
            messages.success(request, _("Order %(number)s saved.") % {"number": order.number})
            return redirect("parts:purchase_order", pk=order.pk)
        except ApplicationError as error:
            header.add_error(None, str(error.message))
    context = {"header": header, "lines": lines, "order": order}
    return render(
        request, "parts/purchasing/order_form.html", context, status=400 if request.method == "POST" else 200
    )


# The buttons of the order page, in the order they are shown.
MOVES = [
    (Status.ORDERED, gettext_lazy("Place the order"), "btn-primary"),
    (Status.CLOSED, gettext_lazy("Close the order"), "btn-outline-secondary"),
    (Status.CANCELLED, gettext_lazy("Cancel the order"), "btn-outline-danger"),
]


@login_required
def order_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Lines ordered, received and outstanding; deliveries; events; the moves allowed now."""
    order = _order(request, pk)
    lines = list(order.lines.select_related("part"))
    may_change = _may(request, order.store_id, CHANGE_ORDER)
    allowed = PurchaseOrder.ALLOWED.get(order.status, set())
    context = {
        "order": order,
        "lines": [(line, to_money(line.quantity * line.unit_cost)) for line in lines],
        "total": purchasing.order_total(lines),
        "events": [
            (event, _label(event.from_status), _label(event.to_status))
            for event in order.events.select_related("actor")
        ],
        "deliveries": purchasing.deliveries(order),
        "returns": order.returns.all(),
        "moves": [move for move in MOVES if may_change and move[0] in allowed],
        "may_edit": may_change and order.status == Status.DRAFT,
        "may_receive": order.status in RECEIVABLE and _may(request, order.store_id, CHANGE_ORDER, MOVE_STOCK),
        "may_return": order.status in RETURNABLE
        and request.store is not None
        and request.store.pk == order.store_id
        and _may(request, order.store_id, ADD_RETURN, MOVE_STOCK),
    }
    return render(request, "parts/purchasing/order_detail.html", context)


def _label(status: str) -> str:
    return Status(status).label if status in Status.values else status


@login_required
@require_POST
def order_move(request: HttpRequest, pk: int) -> HttpResponse:
    """Place, close or cancel an order; a move its state does not allow shows why."""
    order = _order(request, pk)
    if not _may(request, order.store_id, CHANGE_ORDER):
        raise PermissionDenied
    to = request.POST.get("to", "")
    try:
        purchasing.purchase_order_transition(
            actor=request.user, order=order, to=to, note=request.POST.get("note", "")
        )
        messages.success(
            request,
            _("Order %(number)s is now %(status)s.") % {"number": order.number, "status": Status(to).label},
        )
    except ApplicationError as error:
        messages.error(request, error.message)
    return redirect("parts:purchase_order", pk=order.pk)


class ReceiveLineForm(BootstrapMixin, forms.Form):
    line = forms.IntegerField(widget=forms.HiddenInput)
    quantity = forms.DecimalField(
        label=gettext_lazy("Received now"),
        max_digits=12,
        decimal_places=3,
        required=False,
        min_value=Decimal("0"),
        widget=forms.NumberInput(attrs={"step": "any", "data-enter-next": ""}),
    )
    unit_cost = forms.DecimalField(
        label=gettext_lazy("Unit cost"),
        max_digits=14,
        decimal_places=4,
        required=False,
        min_value=Decimal("0"),
        widget=forms.NumberInput(attrs={"step": "any"}),
    )


ReceiveLineFormSet = forms.formset_factory(ReceiveLineForm, extra=0)


class ReceiveHeaderForm(BootstrapMixin, forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason for receiving more than ordered"),
        max_length=180,
        required=False,
        help_text=gettext_lazy("Only needed when a line brings more than is outstanding."),
    )


@login_required
def order_receive(request: HttpRequest, pk: int) -> HttpResponse:
    """A delivery against the order: outstanding quantities and order costs prefilled; each
    delivery posts its own receiving note."""
    order = _order(request, pk)
    if not _may(request, order.store_id, CHANGE_ORDER, MOVE_STOCK):
        raise PermissionDenied
    if order.status not in RECEIVABLE:
        messages.error(
            request,
            _("An order that is %(status)s cannot be received.") % {"status": order.get_status_display()},
        )
        return redirect("parts:purchase_order", pk=order.pk)
    order_lines = {line.pk: line for line in order.lines.select_related("part")}
    initial = [
        {"line": line.pk, "quantity": plain(line.outstanding), "unit_cost": plain(line.unit_cost)}
        for line in order_lines.values()
    ]
    header = ReceiveHeaderForm(request.POST or None)
    forms_ = ReceiveLineFormSet(request.POST or None, initial=initial, prefix="line")
    if request.method == "POST" and header.is_valid() and forms_.is_valid():
        delivered = []
        for form in forms_:
            line = order_lines.get(form.cleaned_data.get("line"))
            quantity = form.cleaned_data.get("quantity")
            if line is not None and quantity:
                delivered.append((line.part, quantity, form.cleaned_data.get("unit_cost")))
        if not delivered:
            header.add_error(None, _("Enter the quantity delivered on at least one line."))
        else:
            try:
                movements = purchasing.purchase_order_receive(
                    actor=request.user, order=order, lines=delivered, reason=header.cleaned_data["reason"]
                )
                number = movements[0].reference_no
                messages.success(request, _("Receiving note %(number)s posted.") % {"number": number})
                return redirect("parts:purchase_receipt", pk=order.pk, number=number)
            except ApplicationError as error:
                header.add_error(None, str(error.message))
    rows = []
    for form in forms_:
        raw = form["line"].value()
        line = order_lines.get(int(raw)) if str(raw).isdigit() else None
        if line is not None:
            rows.append((form, line))
    context = {"order": order, "header": header, "formset": forms_, "rows": rows}
    return render(
        request,
        "parts/purchasing/order_receive.html",
        context,
        status=400 if request.method == "POST" else 200,
    )


@login_required
def order_print(request: HttpRequest, pk: int) -> HttpResponse:
    """The purchase order on A4, to send to the supplier and sign."""
    order = _order(request, pk)
    lines = list(order.lines.select_related("part"))
    context = {
        "order": order,
        "lines": [(line, to_money(line.quantity * line.unit_cost)) for line in lines],
        "total": purchasing.order_total(lines),
        "quantity": sum((line.quantity for line in lines), ZERO),
    }
    return render(request, "parts/purchasing/order_print.html", context)


@login_required
def receipt_print(request: HttpRequest, pk: int, number: str) -> HttpResponse:
    """The receiving note of one delivery against the order, exactly that delivery's lines."""
    order = _order(request, pk)
    movements = list(
        StockMovement.objects.filter(
            reference_type=purchasing.RECEIPT_TYPE, reference_id=order.pk, reference_no=number
        )
        .select_related("part", "created_by")
        .order_by("id")
    )
    if not movements:
        raise Http404
    ordered = {line.part_id: line for line in order.lines.all()}
    lines = [(m, ordered.get(m.part_id), to_money(m.quantity * m.unit_cost)) for m in movements]
    context = {
        "order": order,
        "number": number,
        "first": movements[0],
        "lines": lines,
        "total": sum((amount for _m, _l, amount in lines), ZERO),
    }
    return render(request, "parts/purchasing/receipt_print.html", context)


# --- returns to the supplier --------------------------------------------------------------------


class ReturnForm(BootstrapMixin, forms.Form):
    supplier = forms.ModelChoiceField(label=gettext_lazy("Supplier"), queryset=Supplier.objects.none())
    warehouse = forms.ModelChoiceField(
        label=gettext_lazy("From warehouse"), queryset=Warehouse.objects.none()
    )
    order = forms.ModelChoiceField(
        label=gettext_lazy("Against purchase order"), queryset=PurchaseOrder.objects.none(), required=False
    )
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=180)

    def __init__(self, *args, store, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["supplier"].queryset = Supplier.objects.filter(is_active=True).order_by("code")
        self.fields["warehouse"].queryset = _main_warehouses(store.pk)
        self.fields["order"].queryset = PurchaseOrder.objects.filter(
            store=store, status__in=RETURNABLE
        ).order_by("-id")


@login_required
def return_list(request: HttpRequest) -> HttpResponse:
    require_perm_somewhere(request.user, VIEW_RETURN)
    supplier = request.GET.get("supplier", "")
    returns = purchasing.returns_for(request.user, request.store).prefetch_related("lines").order_by("-id")
    if supplier.isdigit():
        returns = returns.filter(supplier_id=int(supplier))
    page = Paginator(returns, 50).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "rows": [(ret, sum((line.amount for line in ret.lines.all()), ZERO)) for ret in page],
        "supplier": supplier,
        "suppliers": Supplier.objects.order_by("code"),
        "may_add": request.store is not None and _may(request, request.store.pk, ADD_RETURN, MOVE_STOCK),
    }
    return render_page(request, "parts/purchasing/return_list.html", context, partials=("return-table",))


@login_required
def return_create(request: HttpRequest) -> HttpResponse:
    """Parts back to the supplier, out of the current store's stock at the average cost."""
    store = _current_store(request, ADD_RETURN, MOVE_STOCK)
    initial = {"warehouse": _main_warehouses(store.pk).first()}
    asked = request.GET.get("order", "")
    if asked.isdigit():
        order = PurchaseOrder.objects.filter(store=store, pk=int(asked)).first()
        if order is not None:
            initial.update(order=order, supplier=order.supplier_id, warehouse=order.warehouse_id)
    header = ReturnForm(request.POST or None, store=store, initial=initial)
    lines = LineFormSet(request.POST or None, initial=[{}] * _rows(request), prefix="line")
    if request.method == "POST" and header.is_valid() and lines.is_valid():
        data = header.cleaned_data
        try:
            ret = purchasing.supplier_return_create(
                actor=request.user,
                store=store,
                supplier=data["supplier"],
                warehouse=data["warehouse"],
                order=data["order"],
                reason=data["reason"],
                lines=[
                    (form.cleaned_data["part_obj"], form.cleaned_data["quantity"])
                    for form in lines
                    if form.cleaned_data.get("part_obj")
                ],
            )
            messages.success(request, _("Return %(number)s posted.") % {"number": ret.number})
            return redirect("parts:supplier_return", pk=ret.pk)
        except ApplicationError as error:
            header.add_error(None, str(error.message))
    return render(
        request,
        "parts/purchasing/return_form.html",
        {"header": header, "lines": lines},
        status=400 if request.method == "POST" else 200,
    )


@login_required
def return_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The return note on A4, to go with the parts and be signed by the supplier."""
    lines_with_parts = Prefetch("lines", queryset=SupplierReturnLine.objects.select_related("part"))
    ret = get_scoped_or_404(
        SupplierReturn.objects.select_related(
            "supplier", "warehouse", "store", "order", "created_by"
        ).prefetch_related(lines_with_parts),
        request.user,
        VIEW_RETURN,
        pk=pk,
    )
    lines = list(ret.lines.all())
    context = {"ret": ret, "lines": lines, "total": sum((line.amount for line in lines), ZERO)}
    return render(request, "parts/purchasing/return_print.html", context)


urlpatterns = [
    path("parts/suppliers/", supplier_list, name="supplier_list"),
    path("parts/suppliers/<int:pk>/", supplier_detail, name="supplier_detail"),
    path("parts/purchase-orders/", order_list, name="purchase_order_list"),
    path("parts/purchase-orders/new/", order_create, name="purchase_order_new"),
    path("parts/purchase-orders/<int:pk>/", order_detail, name="purchase_order"),
    path("parts/purchase-orders/<int:pk>/edit/", order_edit, name="purchase_order_edit"),
    path("parts/purchase-orders/<int:pk>/move/", order_move, name="purchase_order_move"),
    path("parts/purchase-orders/<int:pk>/receive/", order_receive, name="purchase_order_receive"),
    path("parts/purchase-orders/<int:pk>/print/", order_print, name="purchase_order_print"),
    path("parts/purchase-orders/<int:pk>/receipts/<str:number>/", receipt_print, name="purchase_receipt"),
    path("parts/supplier-returns/", return_list, name="supplier_return_list"),
    path("parts/supplier-returns/new/", return_create, name="supplier_return_new"),
    path("parts/supplier-returns/<int:pk>/", return_detail, name="supplier_return"),
]
