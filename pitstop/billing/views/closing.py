"""The day's close at the cash desk (F-6.6): "my day" for the cashier — today's totals by
method, the payments, the close form, then the closed summary and its print — and the
store's closes for the manager, differences highlighted, with the day's voucher for the
accounting system as .xlsx or .csv.

The cashier needs billing.add_dayclose in the current store; a manager looks at (and closes)
another cashier's day with billing.approve_settlement there; the list and a close's page need
billing.view_dayclose in the close's store (another store's close is a 404); the export needs
billing.export_dayclose in the current store."""

import csv
import datetime
import io

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from pitstop.accounts.models import User
from pitstop.core.audit import audit_record
from pitstop.core.exceptions import ApplicationError
from pitstop.core.export import FORMULA_START, xlsx_response
from pitstop.core.forms import BootstrapMixin
from pitstop.core.htmx import render_page
from pitstop.core.scoping import get_scoped_or_404, has_perm_in_store, require_perm_somewhere, scoped

from .. import closing
from ..models import DayClose

VIEW = "billing.view_dayclose"
EXPORT = "billing.export_dayclose"
PER_PAGE = 30
PAYMENTS_PER_PAGE = 100


class CloseForm(BootstrapMixin, forms.Form):
    day = forms.DateField(widget=forms.HiddenInput)
    cashier = forms.IntegerField(widget=forms.HiddenInput, required=False)
    cash_counted = forms.DecimalField(
        label=gettext_lazy("Cash counted"), max_digits=12, decimal_places=2, min_value=0
    )
    explanation = forms.CharField(
        label=gettext_lazy("Explanation of the difference"),
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("Needed when the cash counted is not the cash expected."),
    )


def _day(value: str | None) -> datetime.date:
    """The day asked for (YYYY-MM-DD), today when missing or unreadable; never a day to come."""
    today = timezone.localdate()
    try:
        day = datetime.date.fromisoformat(value or "")
    except ValueError:
        return today
    return min(day, today)


def _cashier(request: HttpRequest, store, wanted) -> User:
    """The cashier whose day is shown: the user, or — for a manager who may close others'
    days — one of the store's people (404 for anyone else)."""
    user = request.user
    if wanted in (None, "", str(user.pk), user.pk):
        if not has_perm_in_store(user, closing.CLOSE_OWN, store.pk):
            raise PermissionDenied
        return user
    if not has_perm_in_store(user, closing.CLOSE_OTHERS, store.pk):
        raise PermissionDenied
    try:
        return User.objects.filter(memberships__store=store).distinct().get(pk=int(wanted))
    except (User.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def _day_url(day: datetime.date, cashier: User, user: User) -> str:
    query = {"day": day.isoformat()}
    if cashier.pk != user.pk:
        query["cashier"] = cashier.pk
    return f"{reverse('billing:closing_day')}?{urlencode(query)}"


def _day_page(request: HttpRequest, store, cashier: User, day: datetime.date, form=None, status=200):
    summary = closing.day_summary(store=store, cashier=cashier, day=day)
    if form is None:
        form = CloseForm(
            initial={
                "day": day,
                "cashier": cashier.pk if cashier.pk != request.user.pk else None,
                "cash_counted": summary.cash_expected,
            }
        )
    context = {
        "store": store,
        "cashier": cashier,
        "day": day,
        "is_today": day == timezone.localdate(),
        "own": cashier.pk == request.user.pk,
        "summary": summary,
        "close": summary.close,
        "page": Paginator(
            closing.day_payments(store=store, cashier=cashier, day=day), PAYMENTS_PER_PAGE
        ).get_page(request.GET.get("page")),
        "form": form,
        "may_list": has_perm_in_store(request.user, VIEW, store.pk),
    }
    return render_page(
        request, "billing/closing/day.html", context, partials=("day-payments",), status=status
    )


@login_required
@require_GET
def day_view(request: HttpRequest) -> HttpResponse:
    """My day: what I took today (or on ?day=), and the close."""
    store = request.store
    if store is None:
        require_perm_somewhere(request.user, closing.CLOSE_OWN)
        return render(request, "billing/closing/day.html", {"no_store": True})
    cashier = _cashier(request, store, request.GET.get("cashier"))
    return _day_page(request, store, cashier, _day(request.GET.get("day")))


@login_required
@require_POST
def close_view(request: HttpRequest) -> HttpResponse:
    store = request.store
    if store is None:
        raise PermissionDenied
    form = CloseForm(request.POST)
    cashier = _cashier(request, store, request.POST.get("cashier"))
    day = _day(request.POST.get("day"))
    if form.is_valid():
        data = form.cleaned_data
        try:
            close = closing.day_close(
                actor=request.user,
                store=store,
                day=data["day"],
                cash_counted=data["cash_counted"],
                explanation=data["explanation"],
                cashier=cashier,
            )
        except ApplicationError as error:
            if error.code == "permission":
                raise PermissionDenied(str(error.message)) from None
            form.add_error(error.field if error.field in form.fields else None, str(error.message))
        else:
            messages.success(
                request,
                _("%(cashier)s's day %(day)s is closed: ¥%(counted)s counted, ¥%(difference)s difference.")
                % {
                    "day": close.business_date.isoformat(),
                    "cashier": cashier,
                    "counted": close.cash_counted,
                    "difference": close.difference,
                },
            )
            return redirect(_day_url(close.business_date, cashier, request.user))
    return _day_page(request, store, cashier, day, form=form, status=400)


@login_required
@require_GET
def close_list(request: HttpRequest) -> HttpResponse:
    """The store's closes, newest day first; a chosen day (today by default) shows every
    cashier of the current store, closed or not, and that day's export."""
    require_perm_somewhere(request.user, VIEW)
    store = request.store
    day = _day(request.GET.get("day"))
    closes = (
        scoped(DayClose.objects.all(), request.user, VIEW, store=store)
        .select_related("store", "cashier")
        .order_by("-business_date", "store__code", "cashier__full_name", "id")
    )
    context = {
        "day": day,
        "page": Paginator(closes, PER_PAGE).get_page(request.GET.get("page")),
        "store_day": None,
    }
    if store is not None and has_perm_in_store(request.user, VIEW, store.pk):
        context.update(
            {
                "store_day": closing.store_day(store=store, day=day),
                "may_export": has_perm_in_store(request.user, EXPORT, store.pk),
                "may_close_others": has_perm_in_store(request.user, closing.CLOSE_OTHERS, store.pk),
            }
        )
    return render_page(request, "billing/closing/list.html", context, partials=("close-table",))


def _close_context(request: HttpRequest, pk: int) -> dict:
    close = get_scoped_or_404(DayClose.objects.select_related("store", "cashier"), request.user, VIEW, pk=pk)
    summary = closing.day_summary(store=close.store, cashier=close.cashier, day=close.business_date)
    return {
        "close": close,
        "summary": summary,
        "store": close.store,
        "cashier": close.cashier,
        "day": close.business_date,
        "printed_at": timezone.now(),
    }


@login_required
@require_GET
def close_detail(request: HttpRequest, pk: int) -> HttpResponse:
    context = _close_context(request, pk)
    close = context["close"]
    payments = closing.day_payments(store=close.store, cashier=close.cashier, day=close.business_date)
    context["page"] = Paginator(payments, PAYMENTS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "billing/closing/detail.html", context)


@login_required
@require_GET
def close_print(request: HttpRequest, pk: int) -> HttpResponse:
    """The printed day close (收银日结单), signed by the cashier and whoever checks the cash."""
    return render(request, "billing/closing/print.html", _close_context(request, pk))


@login_required
@require_GET
def day_export(request: HttpRequest) -> HttpResponse:
    """The store's day as voucher lines: ?day=YYYY-MM-DD&format=xlsx (default) or csv."""
    store = request.store
    if store is None or not has_perm_in_store(request.user, EXPORT, store.pk):
        raise PermissionDenied
    day = _day(request.GET.get("day"))
    kind = "csv" if request.GET.get("format") == "csv" else "xlsx"
    lines = closing.day_voucher_lines(store=store, day=day)
    audit_record(
        actor=request.user,
        instance=request.user,
        action="export",
        store=store,
        after={"list": "day_voucher", "day": day.isoformat(), "format": kind, "rows": len(lines)},
    )
    headers = [_("Date"), _("Account"), _("Debit"), _("Credit"), _("Memo")]
    filename = f"voucher-{store.code}-{day.isoformat()}"
    if kind == "xlsx":
        return xlsx_response(
            filename,
            headers,
            ([line.date, line.account, line.debit, line.credit, line.memo] for line in lines),
        )
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers)
    writer.writerows(
        [line.date.isoformat(), _text(line.account), line.debit, line.credit, _text(line.memo)]
        for line in lines
    )
    # The byte order mark makes Excel read the file as UTF-8 (the memos are Chinese).
    response = HttpResponse("\ufeff" + out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


def _text(value: str) -> str:
    """A text cell Excel must not run as a formula (the account codes come from settings)."""
    return "'" + value if value.startswith(FORMULA_START) else value


urlpatterns = [
    path("billing/closing/", day_view, name="closing_day"),
    path("billing/closing/close/", close_view, name="closing_close"),
    path("billing/closing/closes/", close_list, name="closing_list"),
    path("billing/closing/closes/<int:pk>/", close_detail, name="closing_detail"),
    path("billing/closing/closes/<int:pk>/print/", close_print, name="closing_print"),
    path("billing/closing/export/", day_export, name="closing_export"),
]
