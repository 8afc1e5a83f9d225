"""Stocktake pages (盘点, F-5.7): the list, a new count sheet, the counting page with its scanner
field, the differences, the actions (submit, reopen, cancel, approve and post), the printed count
sheet and the report with its Excel export."""

from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from pitstop.core.exceptions import ApplicationError
from pitstop.core.export import xlsx_response
from pitstop.core.forms import BootstrapMixin
from pitstop.core.htmx import render_page
from pitstop.core.scoping import require_perm_somewhere

from .. import stocktake as svc
from ..models import Stocktake, StocktakeLine, Warehouse

Status = Stocktake.Status
TEMPLATE = "parts/stocktake/count.html"


class StocktakeForm(BootstrapMixin, forms.Form):
    warehouse = forms.ModelChoiceField(label=gettext_lazy("Warehouse"), queryset=Warehouse.objects.none())
    bins = forms.CharField(
        label=gettext_lazy("Bins"),
        max_length=200,
        required=False,
        help_text=gettext_lazy("Bin codes separated by commas, e.g. A-01, A-02. Empty: the whole warehouse."),
    )
    blind = forms.BooleanField(
        label=gettext_lazy("Blind count"),
        required=False,
        help_text=gettext_lazy("Counters do not see the book quantity, on screen or on the printed sheet."),
    )
    note = forms.CharField(label=gettext_lazy("Note"), max_length=200, required=False)

    def __init__(self, *args, store, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["warehouse"].queryset = svc.warehouses_to_count(store)


def _field_error(form: forms.Form, error: ApplicationError) -> None:
    form.add_error(error.field if error.field in form.fields else None, str(error.message))


def _is_htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", None))


# --- the list and a new sheet -----------------------------------------------------------------


@login_required
def stocktake_list(request: HttpRequest) -> HttpResponse:
    """The stocktakes of the current store (every visible one when "all stores" is chosen)."""
    require_perm_somewhere(request.user, svc.VIEW)
    status = request.GET.get("status", "")
    stocktakes = svc.stocktakes_for(request.user, request.store).annotate(
        line_count=Count("lines"),
        counted_count=Count("lines", filter=Q(lines__counted__isnull=False)),
        net_value=Sum("lines__value"),
    )
    if status in Status.values:
        stocktakes = stocktakes.filter(status=status)
    context = {
        "page": Paginator(stocktakes.order_by("-id"), 50).get_page(request.GET.get("page")),
        "status": status,
        "statuses": Status.choices,
        "may_create": svc.may_create(request.user, request.store),
    }
    return render_page(request, "parts/stocktake/list.html", context, partials=("stocktake-table",))


@login_required
def stocktake_create(request: HttpRequest) -> HttpResponse:
    """A new count sheet for a warehouse of the current store, whole or some bins."""
    store = request.store
    if not svc.may_create(request.user, store):
        raise PermissionDenied
    warehouses = svc.warehouses_to_count(store)
    form = StocktakeForm(request.POST or None, store=store, initial={"warehouse": warehouses.first()})
    if request.method == "POST" and form.is_valid():
        try:
            stocktake = svc.stocktake_create(actor=request.user, **form.cleaned_data)
            messages.success(
                request,
                _("Count sheet %(number)s made with %(n)s lines.")
                % {"number": stocktake.number, "n": stocktake.lines.count()},
            )
            return redirect("parts:stocktake_detail", pk=stocktake.pk)
        except ApplicationError as error:
            _field_error(form, error)
    bins = svc.bins_in_use(warehouses)
    context = {"form": form, "bins": [(w, bins.get(w.pk, [])) for w in warehouses]}
    return render(request, "parts/stocktake/form.html", context, status=400 if form.errors else 200)


# --- counting ---------------------------------------------------------------------------------


def _count_context(request: HttpRequest, stocktake: Stocktake, **extra) -> dict:
    counted, total = svc.progress(stocktake)
    return {
        "stocktake": stocktake,
        "hide_book": svc.hides_book(stocktake),
        "may_change": svc.may_change(request.user, stocktake),
        "counted": counted,
        "total": total,
        **extra,
    }


@login_required
def stocktake_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """While counting: the scanner page. Afterwards: the differences, or the report once posted."""
    stocktake = svc.stocktake_get(request.user, pk)
    if stocktake.status == Status.POSTED:
        return redirect("parts:stocktake_report", pk=stocktake.pk)
    if stocktake.status != Status.COUNTING:
        return redirect("parts:stocktake_differences", pk=stocktake.pk)
    lines = svc.with_differences(svc.stocktake_lines(stocktake))
    last = request.GET.get("last", "")
    last_line = next((line for line in lines if str(line.pk) == last), None)
    context = _count_context(
        request, stocktake, lines=lines, last=last_line, added=bool(request.GET.get("added"))
    )
    return render(request, TEMPLATE, context)


def _counting(request: HttpRequest, pk: int) -> Stocktake:
    stocktake = svc.stocktake_get(request.user, pk)
    if not svc.may_change(request.user, stocktake):
        raise PermissionDenied
    return stocktake


@login_required
@require_POST
def stocktake_scan(request: HttpRequest, pk: int) -> HttpResponse:
    """One scan: the code (and a quantity, 1 when empty). HTMX gets the last-scan panel back with
    the line's row and the progress swapped out of band; a plain form is redirected."""
    stocktake = _counting(request, pk)
    code = request.POST.get("code", "")
    try:
        scan = svc.stocktake_scan(
            actor=request.user, stocktake=stocktake, code=code, quantity=request.POST.get("quantity", "")
        )
    except ApplicationError as error:
        if _is_htmx(request):  # htmx does not swap a 4xx: the error is the panel's content
            return render(request, f"{TEMPLATE}#last-scan", _count_context(request, stocktake, error=error))
        messages.error(request, error.message)
        return redirect("parts:stocktake_detail", pk=stocktake.pk)
    if _is_htmx(request):
        svc.with_differences([scan.line])
        context = _count_context(
            request, stocktake, last=scan.line, added=scan.added, scanned=scan.quantity, oob=True
        )
        return render(request, f"{TEMPLATE}#last-scan", context)
    query = {"last": scan.line.pk, **({"added": 1} if scan.added else {})}
    return redirect(f"{reverse('parts:stocktake_detail', args=[stocktake.pk])}?{urlencode(query)}")


@login_required
@require_POST
def stocktake_count(request: HttpRequest, pk: int, line: int) -> HttpResponse:
    """A typed count for one line (replaces what was scanned; empty: not counted again)."""
    stocktake = _counting(request, pk)
    error = None
    try:
        counted = svc.stocktake_set_count(
            actor=request.user, stocktake=stocktake, line_id=line, counted=request.POST.get("counted", "")
        )
    except ApplicationError as exc:
        error = exc
        counted = (
            StocktakeLine.objects.select_related("part", "counted_by")
            .filter(stocktake=stocktake, pk=line)
            .first()
        )
    if _is_htmx(request) and counted is not None:
        svc.with_differences([counted])
        context = _count_context(request, stocktake, line=counted, row_error=error, oob_progress=True)
        return render(request, f"{TEMPLATE}#count-row", context)
    if error is not None:
        messages.error(request, error.message)
        return redirect("parts:stocktake_detail", pk=stocktake.pk)
    return redirect(f"{reverse('parts:stocktake_detail', args=[stocktake.pk])}?last={counted.pk}")


# --- differences and actions ------------------------------------------------------------------

SHOW = {
    "diff": gettext_lazy("Differences and not counted"),
    "all": gettext_lazy("All lines"),
}


def _events(stocktake: Stocktake) -> list[tuple]:
    labels = dict(Status.choices)
    return [
        (event, labels.get(event.from_status, ""), labels.get(event.to_status, event.to_status))
        for event in stocktake.events.select_related("actor").order_by("id")
    ]


@login_required
def stocktake_differences(request: HttpRequest, pk: int) -> HttpResponse:
    """What the count found against the book, valued at average cost, before it is posted; lines
    nobody counted are listed as not counted (they will not be posted). A blind count shows
    nothing here until it is submitted."""
    stocktake = svc.stocktake_get(request.user, pk)
    show = request.GET.get("show", "diff")
    show = show if show in SHOW else "diff"
    rows = [] if svc.hides_book(stocktake) else svc.difference_rows(stocktake)
    shown = rows if show == "all" else [row for row in rows if row.difference != 0]
    context = {
        "stocktake": stocktake,
        "hide_book": svc.hides_book(stocktake),
        "rows": shown,
        "summary": svc.summarise(rows),
        "show": show,
        "shows": SHOW,
        "may_change": svc.may_change(request.user, stocktake),
        "may_post": svc.may_post(request.user, stocktake),
        "events": _events(stocktake),
    }
    return render_page(request, "parts/stocktake/differences.html", context, partials=("difference-table",))


def _act(request: HttpRequest, pk: int, action) -> HttpResponse:
    stocktake = svc.stocktake_get(request.user, pk)
    try:
        action(stocktake)
    except ApplicationError as error:
        if error.code == "permission":
            raise PermissionDenied from None
        messages.error(request, error.message)
    return redirect("parts:stocktake_detail", pk=stocktake.pk)


@login_required
@require_POST
def stocktake_submit(request: HttpRequest, pk: int) -> HttpResponse:
    def submit(stocktake):
        svc.stocktake_transition(actor=request.user, stocktake=stocktake, to=Status.SUBMITTED)
        messages.success(request, _("Submitted for approval."))

    return _act(request, pk, submit)


@login_required
@require_POST
def stocktake_reopen(request: HttpRequest, pk: int) -> HttpResponse:
    def reopen(stocktake):
        svc.stocktake_transition(
            actor=request.user, stocktake=stocktake, to=Status.COUNTING, note=request.POST.get("note", "")
        )

    return _act(request, pk, reopen)


@login_required
@require_POST
def stocktake_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    def cancel(stocktake):
        svc.stocktake_transition(
            actor=request.user, stocktake=stocktake, to=Status.CANCELLED, note=request.POST.get("note", "")
        )

    return _act(request, pk, cancel)


@login_required
@require_POST
def stocktake_post(request: HttpRequest, pk: int) -> HttpResponse:
    def post(stocktake):
        svc.stocktake_post(actor=request.user, stocktake=stocktake, note=request.POST.get("note", ""))
        messages.success(request, _("Stocktake %(number)s posted.") % {"number": stocktake.number})

    return _act(request, pk, post)


# --- printed sheet and report -----------------------------------------------------------------


@login_required
def stocktake_sheet(request: HttpRequest, pk: int) -> HttpResponse:
    """The count sheet on A4, to count on paper: no book quantity on a blind count."""
    stocktake = svc.stocktake_get(request.user, pk)
    context = {
        "stocktake": stocktake,
        "lines": svc.stocktake_lines(stocktake),
        "show_book": not stocktake.blind,
    }
    return render(request, "parts/stocktake/sheet.html", context)


@login_required
def stocktake_report(request: HttpRequest, pk: int) -> HttpResponse:
    """After posting: each line's book, count, difference and its value; gains and losses in
    money. Printable on A4, or to Excel with ?format=xlsx."""
    stocktake = svc.stocktake_get(request.user, pk)
    if stocktake.status != Status.POSTED:
        messages.info(request, _("The report is ready once the stocktake is posted."))
        return redirect("parts:stocktake_differences", pk=stocktake.pk)
    rows = svc.difference_rows(stocktake)
    summary = svc.summarise(rows)
    if request.GET.get("format") == "xlsx":
        return _report_xlsx(stocktake, rows, summary)
    context = {"stocktake": stocktake, "rows": rows, "summary": summary, "events": _events(stocktake)}
    return render(request, "parts/stocktake/report.html", context)


def _report_xlsx(stocktake: Stocktake, rows, summary) -> HttpResponse:
    headers = [
        _("Bin"),
        _("Part code"),
        _("Part name"),
        _("Unit"),
        _("Book quantity"),
        _("Book at count"),
        _("Counted"),
        _("Difference"),
        _("Unit cost"),
        _("Value of the difference"),
        _("Counted by"),
        _("Counted at"),
    ]
    body = [
        [
            row.line.bin,
            row.line.part.code,
            row.line.part.name,
            row.line.part.unit,
            row.line.expected,
            row.line.book_at_count,
            row.line.counted if row.counted else _("not counted"),
            row.difference,
            row.unit_cost,
            row.value,
            str(row.line.counted_by or ""),
            row.line.counted_at,
        ]
        for row in rows
    ]
    blank = [""] * 8
    totals = [
        [*blank, _("Gains"), summary.gains],
        [*blank, _("Losses"), summary.losses],
        [*blank, _("Net"), summary.net],
    ]
    return xlsx_response(f"stocktake-{stocktake.number}", headers, [*body, *totals])


urlpatterns = [
    path("parts/stocktakes/", stocktake_list, name="stocktake_list"),
    path("parts/stocktakes/new/", stocktake_create, name="stocktake_create"),
    path("parts/stocktakes/<int:pk>/", stocktake_detail, name="stocktake_detail"),
    path("parts/stocktakes/<int:pk>/scan/", stocktake_scan, name="stocktake_scan"),
    path("parts/stocktakes/<int:pk>/lines/<int:line>/count/", stocktake_count, name="stocktake_count"),
    path("parts/stocktakes/<int:pk>/differences/", stocktake_differences, name="stocktake_differences"),
    path("parts/stocktakes/<int:pk>/submit/", stocktake_submit, name="stocktake_submit"),
    path("parts/stocktakes/<int:pk>/reopen/", stocktake_reopen, name="stocktake_reopen"),
    path("parts/stocktakes/<int:pk>/cancel/", stocktake_cancel, name="stocktake_cancel"),
    path("parts/stocktakes/<int:pk>/post/", stocktake_post, name="stocktake_post"),
    path("parts/stocktakes/<int:pk>/sheet/", stocktake_sheet, name="stocktake_sheet"),
    path("parts/stocktakes/<int:pk>/report/", stocktake_report, name="stocktake_report"),
]
