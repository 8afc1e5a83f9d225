"""Stock reports (F-5.11): stock value, slow movers, turnover, movement history. Each page
filters with a plain GET form (HTMX swaps only the table), and `?format=xlsx` exports the
same rows. Scoped to the current store, or every store the user may see under "all stores"."""

import datetime

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pitstop.core.export import xlsx_response
from pitstop.core.forms import BootstrapMixin
from pitstop.core.htmx import render_page
from pitstop.core.scoping import has_perm_in_store, require_perm_somewhere

from .. import reports, selectors
from ..models import StockMovement, Warehouse

PAGE_SIZE = 50
EXPORT_LIMIT = 50000  # movement rows in one workbook; narrow the filter for more
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ReportFilter(BootstrapMixin, forms.Form):
    warehouse = forms.ModelChoiceField(
        label=gettext_lazy("Warehouse"),
        queryset=Warehouse.objects.none(),
        required=False,
        empty_label=gettext_lazy("All warehouses"),
    )

    def __init__(self, *args, warehouses, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["warehouse"].queryset = warehouses


class ValueFilter(ReportFilter):
    by = forms.ChoiceField(
        label=gettext_lazy("Group by"),
        required=False,
        choices=[
            ("warehouse", gettext_lazy("Warehouse")),
            ("category", gettext_lazy("Main category")),
            ("subcategory", gettext_lazy("Sub-category")),
        ],
    )


class SlowFilter(ReportFilter):
    days = forms.IntegerField(
        label=gettext_lazy("No movement for (days)"), required=False, min_value=1, max_value=3650
    )


class PeriodFilter(ReportFilter):
    date_from = forms.DateField(label=gettext_lazy("From"), required=False, widget=DATE)
    date_to = forms.DateField(label=gettext_lazy("To"), required=False, widget=DATE)

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end of the period comes before its start."))
        return data


class TurnoverFilter(PeriodFilter):
    by = forms.ChoiceField(
        label=gettext_lazy("Per"),
        required=False,
        choices=[("part", gettext_lazy("Part")), ("category", gettext_lazy("Main category"))],
    )


class HistoryFilter(PeriodFilter):
    part = forms.CharField(label=gettext_lazy("Part code or barcode"), max_length=40, required=False)
    kind = forms.ChoiceField(
        label=gettext_lazy("Kind"),
        required=False,
        choices=[("", gettext_lazy("All kinds")), *StockMovement.Kind.choices],
    )


def _check(request: HttpRequest, perm: str) -> None:
    """403 unless the user holds `perm` in the current store (or, under "all stores", in one)."""
    if request.store is not None:
        if not has_perm_in_store(request.user, perm, request.store.pk):
            raise PermissionDenied
    else:
        require_perm_somewhere(request.user, perm)


def _filter(request: HttpRequest, form_class, **defaults):
    """The bound GET form, defaults filled in so the form shows what the report used."""
    data = request.GET.copy()
    for key, value in defaults.items():
        if not data.get(key):
            data[key] = value
    warehouses = selectors.warehouses_for(request.user, request.store).order_by("store__code", "code")
    form = form_class(data, warehouses=warehouses)
    form.is_valid()
    return form


def _context(request: HttpRequest, form, **extra) -> dict:
    return {"form": form, "all_stores": request.store is None, "query": request.GET.urlencode(), **extra}


@login_required
def stock_value(request: HttpRequest) -> HttpResponse:
    """Quantity and value on hand by warehouse, main category or sub-category, with totals."""
    _check(request, selectors.VIEW_STOCK)
    form = _filter(request, ValueFilter, by="warehouse")
    report = None
    if form.is_valid():
        by = form.cleaned_data["by"]
        report = reports.stock_value(
            user=request.user, store=request.store, by=by, warehouse=form.cleaned_data["warehouse"]
        )
        if request.GET.get("format") == "xlsx":
            first = {
                "warehouse": [_("Warehouse"), _("Store")],
                "category": [_("Main category")],
                "subcategory": [_("Sub-category"), _("Main category")],
            }[by]
            rows = [
                [row.label, *([row.detail] if len(first) > 1 else []), row.lines, row.quantity, row.value]
                for row in report.rows
            ]
            rows.append(
                [_("Total"), *([""] if len(first) > 1 else []), report.lines, report.quantity, report.value]
            )
            return xlsx_response("stock-value", [*first, _("Lines"), _("Quantity"), _("Stock value")], rows)
    context = _context(request, form, report=report)
    return render_page(request, "parts/reports/value.html", context, partials=("report-table",))


@login_required
def slow_movers(request: HttpRequest) -> HttpResponse:
    """Stock on hand that has not moved for N days, biggest value first."""
    _check(request, selectors.VIEW_STOCK)
    form = _filter(request, SlowFilter, days="90")
    context = _context(request, form)
    if form.is_valid():
        now = timezone.now()
        result = reports.slow_movers(
            user=request.user,
            store=request.store,
            days=form.cleaned_data["days"],
            warehouse=form.cleaned_data["warehouse"],
            now=now,
        )
        if request.GET.get("format") == "xlsx":
            headers = [
                _("Part code"),
                _("Part name"),
                _("Warehouse"),
                _("Bin"),
                _("On hand"),
                _("Unit"),
                _("Average cost"),
                _("Stock value"),
                _("Last movement"),
                _("Days without movement"),
            ]
            rows = (
                [
                    lv.part.code,
                    lv.part.name,
                    lv.warehouse.name,
                    lv.bin,
                    lv.on_hand,
                    lv.part.unit,
                    lv.average_cost,
                    lv.value,
                    lv.last_movement_at,
                    _idle_days(lv, now),
                ]
                for lv in result.levels.iterator()
            )
            return xlsx_response("slow-movers", headers, rows)
        paginator = Paginator(result.levels, PAGE_SIZE)
        paginator.count = result.count  # counted with the totals already
        page = paginator.get_page(request.GET.get("page"))
        for level in page:
            level.idle_days = _idle_days(level, now)
        context.update(result=result, page=page)
    return render_page(request, "parts/reports/slow_movers.html", context, partials=("report-table",))


def _idle_days(level, now) -> int | None:
    return (now - level.last_movement_at).days if level.last_movement_at else None


@login_required
def turnover(request: HttpRequest) -> HttpResponse:
    """Use of stock in a period against the average stock value: ratio and days of stock."""
    _check(request, selectors.VIEW_MOVEMENTS)
    today = timezone.localdate()
    form = _filter(
        request,
        TurnoverFilter,
        by="part",
        date_from=(today - datetime.timedelta(days=29)).isoformat(),
        date_to=today.isoformat(),
    )
    context = _context(request, form)
    if form.is_valid():
        data = form.cleaned_data
        report = reports.turnover(
            user=request.user,
            store=request.store,
            date_from=data["date_from"],
            date_to=data["date_to"],
            by=data["by"],
            warehouse=data["warehouse"],
        )
        if request.GET.get("format") == "xlsx":
            first = (
                [_("Part code"), _("Part name"), _("Unit")]
                if report.by == "part"
                else [_("Code"), _("Main category")]
            )
            headers = [
                *first,
                _("Quantity issued"),
                _("Cost issued"),
                _("Quantity returned"),
                _("Cost returned"),
                _("Net cost used"),
                _("Opening value"),
                _("Closing value"),
                _("Average stock value"),
                _("Turnover"),
                _("Days of stock"),
            ]
            rows = [
                [
                    row.code,
                    row.name,
                    *([row.unit] if report.by == "part" else []),
                    row.issued_quantity,
                    row.issued_cost,
                    row.returned_quantity,
                    row.returned_cost,
                    row.net_cost,
                    row.opening_value,
                    row.closing_value,
                    row.average_value,
                    row.ratio,
                    row.days_of_stock,
                ]
                for row in [*report.rows, report.total]
            ]
            rows[-1][0] = _("Total")
            return xlsx_response("turnover", headers, rows)
        page = Paginator(report.rows, PAGE_SIZE).get_page(request.GET.get("page"))
        context.update(report=report, page=page)
    return render_page(request, "parts/reports/turnover.html", context, partials=("report-table",))


@login_required
def movement_history(request: HttpRequest) -> HttpResponse:
    """The ledger of a part (or of everything), filtered, with the on-hand after each line."""
    _check(request, selectors.VIEW_MOVEMENTS)
    form = _filter(request, HistoryFilter)
    context = _context(request, form)
    if form.is_valid():
        data = form.cleaned_data
        movements = reports.movement_history(
            user=request.user,
            store=request.store,
            part_code=data["part"],
            warehouse=data["warehouse"],
            kind=data["kind"],
            date_from=data["date_from"],
            date_to=data["date_to"],
        ).select_related("part", "created_by")
        if request.GET.get("format") == "xlsx":
            headers = [
                _("Time"),
                _("Part code"),
                _("Part name"),
                _("Warehouse"),
                _("Kind"),
                _("Quantity"),
                _("Unit cost"),
                _("Value"),
                _("On hand after"),
                _("Value after"),
                _("Document no."),
                _("Taken by"),
                _("By"),
                _("Note"),
            ]
            rows = (
                [
                    m.at,
                    m.part.code,
                    m.part.name,
                    m.warehouse.name,
                    m.get_kind_display(),
                    m.quantity,
                    m.unit_cost,
                    m.value,
                    m.on_hand_after,
                    m.value_after,
                    m.reference_no,
                    m.taken_by,
                    m.created_by and str(m.created_by),
                    m.note,
                ]
                for m in movements[:EXPORT_LIMIT].iterator()
            )
            return xlsx_response("movements", headers, rows)
        context["page"] = Paginator(movements, PAGE_SIZE).get_page(request.GET.get("page"))
    return render_page(request, "parts/reports/movements.html", context, partials=("report-table",))


urlpatterns = [
    path("parts/reports/stock-value/", stock_value, name="report_stock_value"),
    path("parts/reports/slow-movers/", slow_movers, name="report_slow_movers"),
    path("parts/reports/turnover/", turnover, name="report_turnover"),
    path("parts/reports/movements/", movement_history, name="report_movements"),
]
