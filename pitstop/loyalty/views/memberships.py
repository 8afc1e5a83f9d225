"""Membership actions (F-7.1): join and renew (the fee taken at the desk), change of tier by its
rule, leave, replace a lost card. Each page is the customer's, in the customer's store."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _

from pitstop.core.exceptions import ApplicationError
from pitstop.core.scoping import require_perm_somewhere

from .. import selectors as sel
from .. import services
from ..forms import ChangeTierForm, JoinForm, LeaveForm, RenewForm, ReplaceCardForm
from ..models import ZERO, Membership
from . import selling
from .common import require_in_store, show_error, status_for


def _back(customer_pk: int) -> HttpResponse:
    return redirect("loyalty:customer", pk=customer_pk)


def _action_page(request, *, customer, form, title, intro="", aside=None, membership=None) -> HttpResponse:
    return render(
        request,
        "loyalty/action.html",
        {
            "customer": customer,
            "membership": membership,
            "form": form,
            "title": title,
            "intro": intro,
            "aside": aside or [],
            "cancel_url": reverse("loyalty:customer", args=[customer.pk]),
        },
        status=status_for(request) if form.is_bound and form.errors else 200,
    )


def _paid_message(request, text: str, payment) -> None:
    if payment is not None and payment.change:
        text += " " + _("Change to give: ¥%(change)s.") % {"change": payment.change}
    messages.success(request, text)


def _active_membership(request: HttpRequest, pk: int, perm: str) -> Membership:
    require_perm_somewhere(request.user, sel.VIEW_MEMBERSHIP)
    membership = sel.membership_for(user=request.user, pk=pk)
    require_in_store(request.user, perm, membership.store_id)
    return membership


def _ended(request: HttpRequest, membership: Membership) -> HttpResponse | None:
    """A card that is no longer active has no actions: back to the customer's page."""
    if membership.status == Membership.Status.ACTIVE:
        return None
    messages.error(
        request,
        _("Card %(card)s is %(status)s.")
        % {"card": membership.card_no, "status": membership.get_status_display()},
    )
    return _back(membership.customer_id)


@login_required
def membership_join(request: HttpRequest, pk: int) -> HttpResponse:
    require_perm_somewhere(request.user, sel.VIEW_MEMBERSHIP)
    customer = sel.loyalty_customer(user=request.user, pk=pk)
    require_in_store(request.user, sel.ADD_MEMBERSHIP, customer.store_id)
    current = Membership.objects.filter(customer=customer, status=Membership.Status.ACTIVE).first()
    if current is not None:
        messages.error(
            request,
            _("%(name)s already holds card %(card)s.") % {"name": customer.name, "card": current.card_no},
        )
        return _back(customer.pk)
    form = JoinForm(request.POST or None, customer=customer, initial={"tier": customer.tier_id})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        fee = form.amount_due(data)
        try:
            membership, payment = selling.join_paid(
                actor=request.user,
                customer=customer,
                tier=data["tier"],
                fee=fee,
                card_no=data["card_no"],
                pay=form.payment(),
            )
            _paid_message(
                request,
                _("%(name)s joined with card %(card)s (%(tier)s); fee ¥%(fee)s taken.")
                % {
                    "name": customer.name,
                    "card": membership.card_no,
                    "tier": membership.tier.name,
                    "fee": fee,
                },
                payment,
            )
            return _back(customer.pk)
        except ApplicationError as error:
            show_error(form, error)
    tiers = [
        (tier.name, _("¥%(fee)s, %(months)s") % {"fee": tier.fee, "months": _months(tier.valid_months)})
        for tier in form.fields["tier"].queryset
    ]
    return _action_page(request, customer=customer, form=form, title=_("Join as a member"), aside=tiers)


def _months(months) -> str:
    return _("%(n)s months") % {"n": months} if months else _("no expiry")


@login_required
def membership_renew(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _active_membership(request, pk, sel.CHANGE_MEMBERSHIP)
    if ended := _ended(request, membership):
        return ended
    customer = membership.customer
    form = RenewForm(request.POST or None, tier=membership.tier, initial={"fee": membership.tier.fee})
    if request.method == "POST" and form.is_valid():
        fee = form.amount_due(form.cleaned_data)
        try:
            membership, payment = selling.renew_paid(
                actor=request.user, membership=membership, fee=fee, pay=form.payment()
            )
            _paid_message(
                request,
                _("Card %(card)s renewed until %(day)s; fee ¥%(fee)s taken.")
                % {"card": membership.card_no, "day": membership.expires_on, "fee": fee},
                payment,
            )
            return _back(customer.pk)
        except ApplicationError as error:
            show_error(form, error)
    aside = [
        (_("Card no."), membership.card_no),
        (_("Tier"), membership.tier.name),
        (_("Expires"), membership.expires_on.isoformat() if membership.expires_on else _("no expiry")),
    ]
    return _action_page(
        request,
        customer=customer,
        form=form,
        title=_("Renew the membership"),
        aside=aside,
        membership=membership,
    )


@login_required
def membership_tier(request: HttpRequest, pk: int) -> HttpResponse:
    """升级/降级: the tiers of the store and whether each one's rule is met; an upgrade must be
    met, a downgrade is the desk's decision (recorded with its reason)."""
    membership = _active_membership(request, pk, sel.CHANGE_MEMBERSHIP)
    if ended := _ended(request, membership):
        return ended
    customer = membership.customer
    form = ChangeTierForm(request.POST or None, membership=membership)
    points = services.points_earned_total(store=membership.store, customer=customer)
    spend = ZERO
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        spend = data.get("single_spend") or ZERO
        try:
            membership = services.membership_change_tier(
                actor=request.user,
                membership=membership,
                tier=data["tier"],
                single_spend=data.get("single_spend"),
                note=data.get("note") or "",
            )
            messages.success(
                request,
                _("Card %(card)s is now %(tier)s.")
                % {"card": membership.card_no, "tier": membership.tier.name},
            )
            return _back(customer.pk)
        except ApplicationError as error:
            show_error(form, error)
    return render(
        request,
        "loyalty/tier.html",
        {
            "customer": customer,
            "membership": membership,
            "form": form,
            "points": points,
            "options": sel.tier_options(membership, points=points, single_spend=spend),
            "cancel_url": reverse("loyalty:customer", args=[customer.pk]),
        },
        status=status_for(request) if form.is_bound and form.errors else 200,
    )


@login_required
def membership_leave(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _active_membership(request, pk, sel.CHANGE_MEMBERSHIP)
    if ended := _ended(request, membership):
        return ended
    customer = membership.customer
    form = LeaveForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.membership_leave(
                actor=request.user, membership=membership, reason=form.cleaned_data["reason"]
            )
            messages.success(
                request, _("Card %(card)s ended; the fee is not refunded.") % {"card": membership.card_no}
            )
            return _back(customer.pk)
        except ApplicationError as error:
            show_error(form, error)
    account = services.stored_value_balance(store=membership.store, customer=customer)
    aside = [(_("Card no."), membership.card_no), (_("Tier"), membership.tier.name)]
    intro = ""
    if account is not None and account.principal > 0:
        intro = _(
            "Stored value stays with the customer (¥%(principal)s unspent principal); refund it on its own."
        ) % {"principal": account.principal}
    return _action_page(
        request,
        customer=customer,
        form=form,
        title=_("Leave the membership"),
        intro=intro,
        aside=aside,
        membership=membership,
    )


@login_required
def membership_replace(request: HttpRequest, pk: int) -> HttpResponse:
    """补卡: the lost card is blocked at once; balances stay with the customer."""
    membership = _active_membership(request, pk, sel.CHANGE_MEMBERSHIP)
    if ended := _ended(request, membership):
        return ended
    customer = membership.customer
    form = ReplaceCardForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        fee = form.amount_due(data)
        try:
            new, payment = selling.replace_paid(
                actor=request.user,
                membership=membership,
                card_no=data["card_no"],
                fee=fee,
                reason=data.get("reason") or "",
                pay=form.payment(),
            )
            _paid_message(
                request,
                _("Card %(old)s is blocked; the new card is %(new)s.")
                % {"old": membership.card_no, "new": new.card_no},
                payment,
            )
            return _back(customer.pk)
        except ApplicationError as error:
            show_error(form, error)
    aside = [(_("Lost card"), membership.card_no), (_("Tier"), membership.tier.name)]
    return _action_page(
        request,
        customer=customer,
        form=form,
        title=_("Replace a lost card"),
        intro=_("The old card is blocked and can no longer be used."),
        aside=aside,
        membership=membership,
    )


urlpatterns = [
    path("loyalty/customers/<int:pk>/join/", membership_join, name="membership_join"),
    path("loyalty/memberships/<int:pk>/renew/", membership_renew, name="membership_renew"),
    path("loyalty/memberships/<int:pk>/tier/", membership_tier, name="membership_tier"),
    path("loyalty/memberships/<int:pk>/leave/", membership_leave, name="membership_leave"),
    path("loyalty/memberships/<int:pk>/replace/", membership_replace, name="membership_replace"),
]
