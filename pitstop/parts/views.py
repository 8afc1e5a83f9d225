from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import F
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _

from pitstop.core.export import xlsx_response
from pitstop.core.htmx import render_page
from pitstop.core.scoping import require_perm_somewhere

from . import selectors
from .models import Part


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
    return render(request, "parts/part_detail.html", {"part": part, "levels": levels, "movements": movements})
