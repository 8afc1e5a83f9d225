"""Receivables and company accounts (F-6.2, F-6.3): who owes the store what, how long it has
been owed (账龄), money collected against it (回款), and the companies allowed to pay on
account (挂账) up to a limit."""

import datetime
from decimal import Decimal

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from pitstop.core.audit import audit_for, labelled_changes
from pitstop.core.exceptions import ApplicationError
from pitstop.core.export import xlsx_response
from pitstop.core.forms import BootstrapMixin
from pitstop.core.htmx import render_page
from pitstop.core.scoping import get_scoped_or_404, has_perm_in_store, require_perm_somewhere
from pitstop.customers.forms import CustomerLookupField
from pitstop.customers.selectors import customers_for

from .. import receivables as service
from ..models import CreditAccount, Payment, Receivable

VIEW = service.VIEW_PERM
COLLECT = "billing.change_receivable"
VIEW_ACCOUNT = "billing.view_creditaccount"
ADD_ACCOUNT = "billing.add_creditaccount"
CHANGE_ACCOUNT = "billing.change_creditaccount"
Method = Payment.Method


# --- forms -----------------------------------------------------------------------------------


class CollectForm(BootstrapMixin, forms.Form):
    method = forms.ChoiceField(
        label=gettext_lazy("Method"),
        choices=[(m.value, m.label) for m in Method if m in Payment.MONEY_METHODS],
    )
    amount = forms.DecimalField(
        label=gettext_lazy("Amount"), max_digits=12, decimal_places=2, min_value=Decimal("0.01")
    )
    reference = forms.CharField(
        label=gettext_lazy("Reference no."),
        max_length=64,
        required=False,
        help_text=gettext_lazy("The terminal's or the platform's number; needed for all but cash."),
    )
    tendered = forms.DecimalField(
        label=gettext_lazy("Cash tendered"),
        max_digits=12,
        decimal_places=2,
        required=False,
        min_value=Decimal("0.01"),
    )


class CreditAccountForm(BootstrapMixin, forms.Form):
    customer = CustomerLookupField(label=gettext_lazy("Company (customer)"))
    limit = forms.DecimalField(
        label=gettext_lazy("Credit limit"), max_digits=12, decimal_places=2, min_value=Decimal("0")
    )
    terms_days = forms.IntegerField(
        label=gettext_lazy("Payment terms (days)"), min_value=0, max_value=365, initial=30
    )
    is_active = forms.BooleanField(
        label=gettext_lazy("Active: may take new charges"), required=False, initial=True
    )
    note = forms.CharField(label=gettext_lazy("Note"), max_length=200, required=False)

    def __init__(self, *args, user, store, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = customers_for(user, store)


# --- helpers ---------------------------------------------------------------------------------


def _require_in_store(user, perm: str, store_id: int | None) -> None:
    if not has_perm_in_store(user, perm, store_id):
        raise PermissionDenied


def _on(request: HttpRequest) -> datetime.date:
    """The date the ageing is read on: ?on=YYYY-MM-DD, today otherwise."""
    try:
        return datetime.date.fromisoformat(request.GET.get("on", ""))
    except ValueError:
        return timezone.localdate()


def _debtor(request: HttpRequest) -> str:
    value = request.GET.get("debtor", "")
    return value if value in Receivable.Debtor.values else ""


def settlement_url(settlement_id: int | None) -> str:
    """The bill's page at the cash desk, when that page exists."""
    if not settlement_id:
        return ""
    try:
        return reverse("billing:settlement", kwargs={"pk": settlement_id})
    except NoReverseMatch:
        return ""


# --- receivables -----------------------------------------------------------------------------


@login_required
def receivable_list(request: HttpRequest) -> HttpResponse:
    """The receivables with their ageing on a day, by debtor kind, open ones only on request."""
    require_perm_somewhere(request.user, VIEW)
    debtor = _debtor(request)
    open_only = request.GET.get("show") != "all"
    on = _on(request)
    rows = service.receivables_for(request.user, request.store, debtor=debtor, open_only=open_only)
    context = {
        "page": Paginator(rows, 50).get_page(request.GET.get("page")),
        "ageing": service.ageing(user=request.user, store=request.store, on=on, debtor=debtor),
        "debtor": debtor,
        "debtors": Receivable.Debtor.choices,
        "open_only": open_only,
        "on": on,
        "query": request.GET.urlencode(),
        "ageing_headers": ageing_headers()[3:8],
    }
    return render_page(request, "billing/receivables/list.html", context, partials=("receivable-table",))


def ageing_headers() -> list[str]:
    return [
        _("Owed by"),
        _("Debtor"),
        _("Receivables"),
        _("Not yet due"),
        _("1–30 days overdue"),
        _("31–60 days overdue"),
        _("61–90 days overdue"),
        _("Over 90 days overdue"),
        _("Total open"),
    ]


@login_required
def ageing_export(request: HttpRequest) -> HttpResponse:
    """The ageing as a workbook, one row per debtor and a totals row."""
    require_perm_somewhere(request.user, VIEW)
    on = _on(request)
    table = service.ageing(user=request.user, store=request.store, on=on, debtor=_debtor(request))
    labels = dict(Receivable.Debtor.choices)
    rows = [
        [labels.get(row.debtor, row.debtor), row.debtor_name, row.count, *row.buckets(), row.total]
        for row in table.rows
    ]
    totals = table.totals
    rows.append([_("Total"), on, totals.count, *totals.buckets(), totals.total])
    return xlsx_response(f"receivables-ageing-{on:%Y%m%d}", ageing_headers(), rows)


def _receivable(request: HttpRequest, pk: int) -> Receivable:
    return get_scoped_or_404(
        Receivable.objects.select_related(
            "store", "settlement__order__vehicle", "credit_account__customer", "reverses", "reversal"
        ),
        request.user,
        VIEW,
        pk=pk,
    )


def _reversal_of(receivable: Receivable) -> Receivable | None:
    try:
        return receivable.reversal
    except Receivable.DoesNotExist:
        return None


def _detail_page(request, receivable: Receivable, form: CollectForm | None = None, status: int = 200):
    reversal = _reversal_of(receivable)
    live = receivable.reverses_id is None and reversal is None
    may_collect = (
        live and receivable.open_amount > 0 and has_perm_in_store(request.user, COLLECT, receivable.store_id)
    )
    if form is None and may_collect:
        form = CollectForm(initial={"amount": receivable.open_amount, "method": Method.TRANSFER})
    context = {
        "receivable": receivable,
        "reversal": reversal,
        "live": live,
        "collections": receivable.collections.select_related("cashier", "refund_of").order_by("id"),
        "form": form if may_collect else None,
        "settlement_url": settlement_url(receivable.settlement_id),
        "overdue_days": max((timezone.localdate() - receivable.due_on).days, 0),
    }
    return render(request, "billing/receivables/detail.html", context, status=status)


@login_required
def receivable_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail_page(request, _receivable(request, pk))


@login_required
@require_POST
def receivable_collect(request: HttpRequest, pk: int) -> HttpResponse:
    """Money received against the receivable, taken like any payment at the cash desk."""
    receivable = _receivable(request, pk)
    _require_in_store(request.user, COLLECT, receivable.store_id)
    form = CollectForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            payment = service.receivable_collect(
                actor=request.user,
                receivable=receivable,
                method=data["method"],
                amount=data["amount"],
                reference=data["reference"],
                tendered=data["tendered"] if data["method"] == Method.CASH else None,
                idempotency_key=request.POST.get("idempotency_key", ""),
            )
            if payment.change:
                messages.success(
                    request,
                    _("¥%(amount)s collected; give ¥%(change)s change.")
                    % {"amount": payment.amount, "change": payment.change},
                )
            else:
                messages.success(request, _("¥%(amount)s collected.") % {"amount": payment.amount})
            return redirect("billing:receivable_detail", pk=receivable.pk)
        except ApplicationError as error:
            form.add_error(error.field if error.field in form.fields else None, str(error.message))
    return _detail_page(request, receivable, form, status=400)


# --- credit accounts -------------------------------------------------------------------------


@login_required
def credit_account_list(request: HttpRequest) -> HttpResponse:
    require_perm_somewhere(request.user, VIEW_ACCOUNT)
    accounts = service.credit_accounts_for(request.user, request.store)
    page = Paginator(accounts, 50).get_page(request.GET.get("page"))
    for account in page:
        account.available = account.limit - account.owed
    store = request.store
    context = {
        "page": page,
        "may_add": store is not None and has_perm_in_store(request.user, ADD_ACCOUNT, store.pk),
    }
    return render(request, "billing/receivables/accounts.html", context)


def _account(request: HttpRequest, pk: int) -> CreditAccount:
    return get_scoped_or_404(
        CreditAccount.objects.select_related("store", "customer"), request.user, VIEW_ACCOUNT, pk=pk
    )


@login_required
def credit_account_detail(request: HttpRequest, pk: int) -> HttpResponse:
    account = _account(request, pk)
    owed = account.limit - service.credit_available(account)
    rows = account.receivables.select_related("settlement", "reverses", "reversal").order_by("-due_on", "-id")
    context = {
        "account": account,
        "owed": owed,
        "available": account.limit - owed,
        "page": Paginator(rows, 50).get_page(request.GET.get("page")),
        "may_change": has_perm_in_store(request.user, CHANGE_ACCOUNT, account.store_id),
        "audit": [
            {"entry": entry, "changes": labelled_changes(entry, CreditAccount)}
            for entry in audit_for(account)
        ],
    }
    return render(request, "billing/receivables/account_detail.html", context)


def _account_form_page(request, form, account=None, status=200) -> HttpResponse:
    return render(
        request, "billing/receivables/account_form.html", {"form": form, "account": account}, status=status
    )


def _save_account(request, form, store, account=None) -> HttpResponse:
    data = form.cleaned_data
    try:
        account = service.credit_account_save(
            actor=request.user,
            store=store,
            customer=data["customer"],
            limit=data["limit"],
            terms_days=data["terms_days"],
            is_active=data["is_active"],
            note=data["note"],
            account=account,
        )
    except ApplicationError as error:
        form.add_error(error.field if error.field in form.fields else None, str(error.message))
        return _account_form_page(request, form, account, status=400)
    messages.success(
        request, _("Credit account of %(customer)s saved.") % {"customer": account.customer.name}
    )
    return redirect("billing:credit_account_detail", pk=account.pk)


@login_required
def credit_account_create(request: HttpRequest) -> HttpResponse:
    store = request.store
    if store is None:
        require_perm_somewhere(request.user, ADD_ACCOUNT)
        messages.error(request, _("Choose a store in the store switcher first."))
        return redirect("billing:credit_account_list")
    _require_in_store(request.user, ADD_ACCOUNT, store.pk)
    form = CreditAccountForm(request.POST or None, user=request.user, store=store)
    if request.method == "POST":
        if form.is_valid():
            return _save_account(request, form, store)
        return _account_form_page(request, form, status=400)
    return _account_form_page(request, form)


@login_required
def credit_account_edit(request: HttpRequest, pk: int) -> HttpResponse:
    account = _account(request, pk)
    _require_in_store(request.user, CHANGE_ACCOUNT, account.store_id)
    initial = {
        "customer": account.customer.code,
        "limit": account.limit,
        "terms_days": account.terms_days,
        "is_active": account.is_active,
        "note": account.note,
    }
    form = CreditAccountForm(request.POST or None, user=request.user, store=account.store, initial=initial)
    if request.method == "POST":
        if form.is_valid():
            return _save_account(request, form, account.store, account)
        return _account_form_page(request, form, account, status=400)
    return _account_form_page(request, form, account)


urlpatterns = [
    path("receivables/", receivable_list, name="receivable_list"),
    path("receivables/ageing.xlsx", ageing_export, name="receivable_ageing_export"),
    path("receivables/<int:pk>/", receivable_detail, name="receivable_detail"),
    path("receivables/<int:pk>/collect/", receivable_collect, name="receivable_collect"),
    path("credit-accounts/", credit_account_list, name="credit_account_list"),
    path("credit-accounts/new/", credit_account_create, name="credit_account_create"),
    path("credit-accounts/<int:pk>/", credit_account_detail, name="credit_account_detail"),
    path("credit-accounts/<int:pk>/edit/", credit_account_edit, name="credit_account_edit"),
]
