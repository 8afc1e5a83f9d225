from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import F
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pitstop.core.exceptions import ApplicationError
from pitstop.core.export import xlsx_response
from pitstop.core.htmx import render_page
from pitstop.core.money import to_money
from pitstop.core.numbering import next_code
from pitstop.core.scoping import has_perm_in_store, require_perm_somewhere

from .. import purchasing, selectors, services
from ..api import ISSUE
from ..forms import IssueForm, LineFormSet, ReceiveForm
from ..models import Part, Supplier, Warehouse


@login_required
def stock_list(request: HttpRequest) -> HttpResponse:
    """The warehouse keeper's list: every part in the current store's warehouses."""
    require_perm_somewhere(request.user, selectors.VIEW_STOCK)
    query = request.GET.get("q", "").strip()
    warehouse = request.GET.get("warehouse", "")
    levels = selectors.levels_for(request.user, request.store).select_related("warehouse__store")
    if query:
        levels = levels.filter(part__in=selectors.parts_matching(query))
    if warehouse.isdigit():
        levels = levels.filter(warehouse_id=int(warehouse))
    if request.GET.get("low"):
        levels = levels.filter(on_hand__lt=F("min_level"))
    levels = levels.order_by("warehouse__code", "part__code")
    if request.GET.get("format") == "xlsx":
        require_perm_somewhere(request.user, selectors.VIEW_MOVEMENTS)
        headers = [
            _("Warehouse"),
            _("Part code"),
            _("Part name"),
            _("Bin"),
            _("On hand"),
            _("Reserved"),
            _("Available"),
            _("Average cost"),
            _("Stock value"),
        ]
        rows = (
            [
                lv.warehouse.name,
                lv.part.code,
                lv.part.name,
                lv.bin,
                lv.on_hand,
                lv.reserved,
                lv.available,
                lv.average_cost,
                lv.value,
            ]
            for lv in levels.iterator()
        )
        return xlsx_response("stock", headers, rows)
    context = {
        "page": Paginator(levels, 50).get_page(request.GET.get("page")),
        "q": query,
        "warehouse": warehouse,
        "low": bool(request.GET.get("low")),
        "warehouses": selectors.warehouses_for(request.user, request.store),
    }
    return render_page(request, "parts/stock_list.html", context, partials=("stock-table",))


@login_required
def part_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A catalogue entry (shared by the chain) with the stock and movements the user may see."""
    require_perm_somewhere(request.user, "parts.view_part")
    part = get_object_or_404(Part.objects.select_related("category__parent"), pk=pk)
    levels = selectors.levels_for(request.user).filter(part=part).select_related("warehouse__store")
    movements = []
    if request.user.store_ids_with(selectors.VIEW_MOVEMENTS):
        movements = list(selectors.movements_for(request.user).filter(part=part).order_by("-id")[:100])
    context = {
        "part": part,
        "levels": levels,
        "movements": movements,
        "prices": part.prices.order_by("price_type"),
        "may_edit": bool(request.user.store_ids_with("parts.change_part")),
        "keeper_store_ids": request.user.store_ids_with(ISSUE),
    }
    return render(request, "parts/part_detail.html", context)


# --- receiving and issuing with a printed slip ----------------------------------------------

SLIP_ROWS = 8
# Titles stay lazy: this runs at import, before anyone's language is known.
SLIP_TYPES = {
    "receipt": ("RK", gettext_lazy("Receiving note")),
    "issue_slip": ("LL", gettext_lazy("Issue slip")),
}


def _slip_forms(request: HttpRequest, header_class, warehouses):
    asked = request.GET.get("rows", "")
    rows = min(int(asked), 60) if asked.isdigit() else SLIP_ROWS
    header = header_class(
        request.POST or None, warehouses=warehouses, initial={"warehouse": warehouses.first()}
    )
    lines = LineFormSet(request.POST or None, initial=[{}] * rows, prefix="line")
    return header, lines


def _lines(lines) -> list[dict]:
    return [form.cleaned_data for form in lines if form.cleaned_data.get("part_obj")]


def _slip_page(request, template, header, lines, status=200):
    return render(request, template, {"header": header, "lines": lines}, status=status)


@login_required
def receive(request: HttpRequest) -> HttpResponse:
    """Parts in without a purchase order (delivery note in hand), priced by the delivery."""
    warehouses = _slip_warehouses(request)
    header, lines = _slip_forms(request, ReceiveForm, warehouses)
    if request.method == "POST" and header.is_valid() and lines.is_valid():
        rows = _lines(lines)
        if any(row.get("unit_cost") is None for row in rows):
            header.add_error(None, _("Give the unit cost of every line from the delivery note."))
        else:
            warehouse = header.cleaned_data["warehouse"]
            number = next_code("RK", warehouse.store.code)
            try:
                services.stock_receive(
                    actor=request.user,
                    warehouse=warehouse,
                    note=header.cleaned_data["supplier"],
                    reference=services.Reference("receipt", None, number),
                    lines=[(row["part_obj"], row["quantity"], row["unit_cost"]) for row in rows],
                )
                return redirect("parts:slip", number=number)
            except ApplicationError as error:
                header.add_error(None, str(error.message))
    status = 400 if request.method == "POST" else 200
    return _slip_page(request, "parts/receive.html", header, lines, status)


@login_required
def issue(request: HttpRequest) -> HttpResponse:
    """Parts out to a job (领料), the person who took them named."""
    warehouses = _slip_warehouses(request)
    header, lines = _slip_forms(request, IssueForm, warehouses)
    if request.method == "POST" and header.is_valid() and lines.is_valid():
        warehouse = header.cleaned_data["warehouse"]
        number = next_code("LL", warehouse.store.code)
        work_order = header.cleaned_data["work_order"]
        try:
            services.stock_issue(
                actor=request.user,
                warehouse=warehouse,
                kind=header.cleaned_data["purpose"],
                taken_by=header.cleaned_data["taken_by"],
                reference=services.Reference("issue_slip", None, number),
                note=" ".join(
                    filter(
                        None,
                        [
                            work_order and _("Work order %(number)s") % {"number": work_order},
                            header.cleaned_data["note"],
                        ],
                    )
                ),
                lines=[(row["part_obj"], row["quantity"]) for row in _lines(lines)],
            )
            return redirect("parts:slip", number=number)
        except ApplicationError as error:
            header.add_error(None, str(error.message))
    status = 400 if request.method == "POST" else 200
    return _slip_page(request, "parts/issue.html", header, lines, status)


def _slip_warehouses(request: HttpRequest):
    store_ids = request.user.store_ids_with(ISSUE)
    if request.store is None or request.store.pk not in store_ids:
        raise PermissionDenied
    return Warehouse.objects.filter(store=request.store, is_active=True, kind=Warehouse.Kind.MAIN).order_by(
        "code"
    )


@login_required
def slip(request: HttpRequest, number: str) -> HttpResponse:
    """A receiving note or issue slip, A4, to print and sign."""
    movements = list(
        selectors.movements_for(request.user)
        .filter(reference_no=number, reference_type__in=SLIP_TYPES)
        .select_related("warehouse__store")
        .order_by("id")
    )
    if not movements:
        # A delivery against a purchase order has its own note, which names the order.
        order_id = (
            selectors.movements_for(request.user)
            .filter(reference_no=number, reference_type=purchasing.RECEIPT_TYPE)
            .values_list("reference_id", flat=True)
            .first()
        )
        if order_id is None:
            raise Http404
        return redirect("parts:purchase_receipt", pk=order_id, number=number)
    first = movements[0]
    is_receipt = first.reference_type == "receipt"
    # In the slip's own direction: an issue slip counts parts out, so a part returned or
    # exchanged back against it counts negative. A line is rounded, then lines are summed.
    direction = 1 if is_receipt else -1
    lines = [(m, to_money(direction * m.quantity * m.unit_cost)) for m in movements]
    context = {
        "number": number,
        "title": SLIP_TYPES[first.reference_type][1],
        "first": first,
        "lines": lines,
        "total": sum((amount for _m, amount in lines), Decimal(0)),
        "is_receipt": is_receipt,
        "mixed": len({m.kind for m in movements}) > 1,
    }
    return render(request, "parts/slip.html", context)


@login_required
def suggestions(request: HttpRequest) -> HttpResponse:
    """Low stock and what to order; ticked lines become a draft purchase order in one click."""
    if request.store is None or not has_perm_in_store(request.user, ISSUE, request.store.pk):
        raise PermissionDenied
    rows = selectors.purchase_suggestions(user=request.user, store=request.store)
    if request.method == "POST":
        if not has_perm_in_store(request.user, "parts.add_purchaseorder", request.store.pk):
            raise PermissionDenied
        chosen = {int(pk) for pk in request.POST.getlist("level") if pk.isdigit()}
        supplier = Supplier.objects.filter(pk=request.POST.get("supplier") or 0, is_active=True).first()
        picked = [row for row in rows if row.level.pk in chosen]
        warehouses = {row.level.warehouse_id for row in picked}
        if supplier is None or not picked:
            messages.error(request, _("Choose a supplier and at least one line."))
        elif len(warehouses) > 1:
            messages.error(request, _("One order delivers to one warehouse: choose lines of one warehouse."))
        else:
            try:
                order = purchasing.purchase_order_create(
                    actor=request.user,
                    store=request.store,
                    supplier=supplier,
                    warehouse=picked[0].level.warehouse,
                    lines=[(row.level.part, row.quantity, row.level.part.cost_price) for row in picked],
                )
                messages.success(
                    request, _("Draft purchase order %(number)s created.") % {"number": order.number}
                )
                return redirect("parts:suggestions")
            except ApplicationError as error:
                messages.error(request, error.message)
    suppliers = Supplier.objects.filter(is_active=True).order_by("code")
    return render(request, "parts/suggestions.html", {"rows": rows, "suppliers": suppliers})
