"""Stored value (F-7.3), package cards (F-7.4) and coupons (F-7.5) for one customer: top-up
with its bonus shown before the money is taken, refund of unspent principal, selling a card,
issuing a coupon."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from pitstop.billing.models import Payment
from pitstop.billing.payments import payment_pay_out
from pitstop.core.exceptions import ApplicationError
from pitstop.core.htmx import render_page
from pitstop.core.money import to_money
from pitstop.core.scoping import require_perm_somewhere
from pitstop.customers.models import Customer

from .. import selectors as sel
from .. import services
from ..forms import IssueCouponForm, RefundForm, SellCardForm, TopUpForm
from ..models import ZERO
from . import selling
from .common import require_in_store, show_error, status_for


def _customer(request: HttpRequest, pk: int, perm: str) -> Customer:
    require_perm_somewhere(request.user, sel.VIEW_MEMBERSHIP)
    customer = sel.loyalty_customer(user=request.user, pk=pk)
    require_in_store(request.user, perm, customer.store_id)
    return customer


def _back(customer: Customer) -> HttpResponse:
    return redirect("loyalty:customer", pk=customer.pk)


def _change(payment) -> str:
    if payment is not None and payment.change:
        return " " + _("Change to give: ¥%(change)s.") % {"change": payment.change}
    return ""


# --- stored value ----------------------------------------------------------------------------


@login_required
def top_up(request: HttpRequest, pk: int) -> HttpResponse:
    """充值 in two steps without JavaScript: the amount and how it is paid, then a confirmation
    that shows the bonus the store's rule gives and the balance after; only the confirmation
    takes the money. While typing, HTMX shows the bonus at once (#bonus-preview)."""
    customer = _customer(request, pk, sel.ADD_STORED_VALUE)
    store = customer.store
    today = timezone.localdate()
    account = services.stored_value_balance(store=store, customer=customer)
    context = {
        "customer": customer,
        "account": account,
        "rules": sel.active_top_up_rules(store, today),
        "cancel_url": reverse("loyalty:customer", args=[customer.pk]),
    }
    if request.method == "GET" and "amount" in request.GET:  # the HTMX preview of the bonus
        context["preview"] = _preview(store, request.GET.get("amount", ""), account)
        form = _live(TopUpForm(initial={"amount": request.GET.get("amount", "")}), customer)
        return render_page(
            request, "loyalty/top_up.html", {**context, "form": form}, partials=("bonus-preview",)
        )
    form = _live(TopUpForm(request.POST or None), customer)
    if request.method == "POST" and form.is_valid():
        amount = form.cleaned_data["amount"]
        preview = _preview(store, amount, account)
        tendered = form.cleaned_data.get("tendered")
        if form.cleaned_data.get("method") == "cash" and tendered and tendered >= amount:
            preview.update(tendered=tendered, change=tendered - amount)
        shown = request.POST.get("bonus_shown")
        if "confirm" in request.POST and shown == str(preview["bonus"]):
            try:
                entry, payment = selling.top_up_paid(
                    actor=request.user, customer=customer, amount=amount, pay=form.payment()
                )
                messages.success(
                    request,
                    _("Topped up ¥%(amount)s with a bonus of ¥%(bonus)s; balance ¥%(balance)s.")
                    % {
                        "amount": entry.principal,
                        "bonus": entry.bonus,
                        "balance": entry.principal_after + entry.bonus_after,
                    }
                    + _change(payment),
                )
                return _back(customer)
            except ApplicationError as error:
                show_error(form, error)
                return render(request, "loyalty/top_up.html", {**context, "form": form}, status=400)
        if "confirm" in request.POST:  # the rules changed between the two steps
            messages.warning(request, _("The bonus has changed since it was shown; check it again."))
        if "edit" not in request.POST:
            context.update({"confirming": True, "preview": preview})
    return render(
        request,
        "loyalty/top_up.html",
        {**context, "form": form},
        status=400 if form.is_bound and form.errors else 200,
    )


def _live(form: TopUpForm, customer: Customer) -> TopUpForm:
    """The amount asks for the bonus as it is typed (HTMX); without JavaScript the
    confirmation step shows it."""
    form.fields["amount"].widget.attrs.update(
        {
            "hx-get": reverse("loyalty:top_up", args=[customer.pk]),
            "hx-trigger": "input changed delay:300ms",
            "hx-target": "#bonus-preview",
            "hx-swap": "outerHTML",
        }
    )
    return form


def _preview(store, amount, account) -> dict:
    try:
        amount = to_money(str(amount).strip() or "0")
    except (ArithmeticError, ValueError, TypeError):
        amount = ZERO
    rule = services.top_up_rule_for(store=store, amount=amount) if amount > 0 else None
    bonus = rule.bonus if rule else ZERO
    before = account.balance if account else ZERO
    return {
        "amount": amount,
        "rule": rule,
        "bonus": bonus,
        "before": before,
        "after": before + amount + bonus,
    }


@login_required
def refund(request: HttpRequest, pk: int) -> HttpResponse:
    """退款: unspent principal is paid back, the bonus's share forfeited (stored_value.py).
    The loyalty entry and the money paid out of the drawer (a negative payment the day close
    counts) are written together."""
    customer = _customer(request, pk, sel.REFUND_STORED_VALUE)
    store = customer.store
    account = services.stored_value_balance(store=store, customer=customer)
    form = RefundForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                entry = services.stored_value_refund(
                    actor=request.user,
                    store=store,
                    customer=customer,
                    amount=data.get("amount"),
                    reason=data["reason"],
                )
                # The money leaves the drawer: the cashier's day close counts it.
                payment_pay_out(
                    actor=request.user,
                    store=store,
                    purpose=Payment.Purpose.TOP_UP,
                    method=data["method"],
                    amount=-entry.principal,
                    customer=customer,
                    reference=data.get("reference", ""),
                    note=data["reason"],
                )
            messages.success(
                request,
                _("Pay back ¥%(paid)s to the customer; a bonus of ¥%(forfeit)s is forfeited.")
                % {"paid": -entry.principal, "forfeit": -entry.bonus},
            )
            return _back(customer)
        except ApplicationError as error:
            show_error(form, error)
    aside = [
        (_("Principal (unspent, refundable)"), f"¥{account.principal if account else ZERO}"),
        (_("Bonus (not refunded)"), f"¥{account.bonus if account else ZERO}"),
    ]
    return render(
        request,
        "loyalty/action.html",
        {
            "customer": customer,
            "form": form,
            "title": _("Refund stored value"),
            "intro": _("Only the money paid in is paid back; the bonus is forfeited in the same proportion."),
            "aside": aside,
            "cancel_url": reverse("loyalty:customer", args=[customer.pk]),
        },
        status=status_for(request) if form.is_bound and form.errors else 200,
    )


# --- package cards ---------------------------------------------------------------------------


@login_required
def card_sell(request: HttpRequest, pk: int) -> HttpResponse:
    customer = _customer(request, pk, sel.ADD_CARD)
    form = SellCardForm(request.POST or None, customer=customer)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        price = form.amount_due(data)
        try:
            card, payment = selling.card_sell_paid(
                actor=request.user,
                customer=customer,
                card_type=data["card_type"],
                vehicle=data.get("vehicle"),
                price=price,
                pay=form.payment(),
            )
            messages.success(
                request,
                _("Card %(card)s (%(name)s) sold for ¥%(price)s.")
                % {"card": card.card_no, "name": card.card_type.name, "price": price}
                + _change(payment),
            )
            return redirect("loyalty:card_detail", pk=card.pk)
        except ApplicationError as error:
            show_error(form, error)
    types = sel.card_types(user=request.user, store=customer.store, on_sale_only=True)
    return render(
        request,
        "loyalty/card_sell.html",
        {
            "customer": customer,
            "form": form,
            "types": types,
            "cancel_url": reverse("loyalty:customer", args=[customer.pk]),
        },
        status=status_for(request) if form.is_bound and form.errors else 200,
    )


# --- coupons ---------------------------------------------------------------------------------


@login_required
def coupon_give(request: HttpRequest, pk: int) -> HttpResponse:
    """One coupon to this customer."""
    customer = _customer(request, pk, sel.ADD_COUPON)
    form = IssueCouponForm(request.POST or None, store=customer.store, user=request.user, customer=customer)
    if request.method == "POST" and form.is_valid():
        try:
            (coupon,) = services.coupons_issue(
                actor=request.user, coupon_type=form.cleaned_data["coupon_type"], customers=[customer]
            )
            messages.success(
                request,
                _("Coupon %(code)s (%(name)s) given to %(customer)s.")
                % {"code": coupon.code, "name": coupon.coupon_type.name, "customer": customer.name},
            )
            return _back(customer)
        except ApplicationError as error:
            show_error(form, error)
    return render(
        request,
        "loyalty/action.html",
        {
            "customer": customer,
            "form": form,
            "title": _("Give a coupon"),
            "cancel_url": reverse("loyalty:customer", args=[customer.pk]),
        },
        status=status_for(request) if form.is_bound and form.errors else 200,
    )


urlpatterns = [
    path("loyalty/customers/<int:pk>/top-up/", top_up, name="top_up"),
    path("loyalty/customers/<int:pk>/refund/", refund, name="refund"),
    path("loyalty/customers/<int:pk>/package-cards/new/", card_sell, name="card_sell"),
    path("loyalty/customers/<int:pk>/coupons/new/", coupon_give, name="coupon_give"),
]
