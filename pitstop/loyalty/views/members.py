"""The members list (the entry point: find a card, a name or a plate) and a customer's loyalty
page: the card and tier, stored value, points, package cards and coupons with their ledgers,
and a link to every action the user may take there."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils import timezone

from pitstop.core.htmx import render_page
from pitstop.core.money import to_money
from pitstop.core.scoping import require_perm_somewhere
from pitstop.core.text import mask_identifier
from pitstop.customers.selectors import PERSONAL

from .. import selectors as sel
from ..models import Membership
from .common import may

LEDGERS = ("stored_value", "points", "cards")


@login_required
def member_list(request: HttpRequest) -> HttpResponse:
    require_perm_somewhere(request.user, sel.VIEW_MEMBERSHIP)
    query = request.GET.get("q", "").strip()
    status = request.GET.get("status", Membership.Status.ACTIVE)
    if status not in Membership.Status.values and status != "all":
        status = Membership.Status.ACTIVE
    rows = sel.member_list(
        user=request.user, store=request.store, query=query, status="" if status == "all" else status
    )
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    full_phones = request.user.store_ids_with(PERSONAL)
    for member in page:
        member.phone = (
            member.customer.mobile
            if member.store_id in full_phones
            else mask_identifier(member.customer.mobile)
        )
        member.plates = [v.plate for v in member.customer.owned_vehicles.all() if v.plate]
        member.stored_value = to_money(member.stored_value)  # SQLite sums lose the cents
    context = {
        "page": page,
        "q": query,
        "status": status,
        "statuses": Membership.Status.choices,
        "others": sel.customers_without_card(user=request.user, store=request.store, query=query),
    }
    return render_page(request, "loyalty/members.html", context, partials=("member-table",))


@login_required
def customer_loyalty(request: HttpRequest, pk: int) -> HttpResponse:
    require_perm_somewhere(request.user, sel.VIEW_MEMBERSHIP)
    customer = sel.loyalty_customer(user=request.user, pk=pk)
    full = request.GET.get("all", "")
    today = timezone.localdate()
    data = sel.customer_loyalty(customer=customer, full=full if full in LEDGERS else "", today=today)
    user, store_id = request.user, customer.store_id
    context = {
        "customer": customer,
        "data": data,
        "membership": data.membership,
        "today": today,
        "ledger_rows": sel.LEDGER_ROWS,
        "full": full,
        "may": {
            "join": data.membership is None and may(user, sel.ADD_MEMBERSHIP, store_id),
            "change": data.membership is not None and may(user, sel.CHANGE_MEMBERSHIP, store_id),
            "top_up": may(user, sel.ADD_STORED_VALUE, store_id),
            "refund": bool(data.stored_value and data.stored_value.principal > 0)
            and may(user, sel.REFUND_STORED_VALUE, store_id),
            "sell_card": may(user, sel.ADD_CARD, store_id),
            "issue_coupon": may(user, sel.ADD_COUPON, store_id),
            "void_coupon": may(user, sel.VOID_COUPON, store_id),
        },
        "see": {
            "stored_value": may(user, sel.VIEW_STORED_VALUE, store_id),
            "points": may(user, sel.VIEW_POINTS, store_id),
            "cards": may(user, sel.VIEW_CARD, store_id),
            "coupons": may(user, sel.VIEW_COUPON, store_id),
        },
    }
    return render_page(
        request,
        "loyalty/customer.html",
        context,
        partials=("stored-value-ledger", "points-ledger"),
    )


@login_required
def card_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One package card: what each item gives, what is left, and every use."""
    require_perm_somewhere(request.user, sel.VIEW_CARD)
    card = sel.package_card_for(user=request.user, pk=pk)
    today = timezone.localdate()
    return render(
        request,
        "loyalty/card.html",
        {"card": card, "is_expired": bool(card.expires_on and card.expires_on < today)},
    )


urlpatterns = [
    path("loyalty/", member_list, name="member_list"),
    path("loyalty/customers/<int:pk>/", customer_loyalty, name="customer"),
    path("loyalty/package-cards/<int:pk>/", card_detail, name="card_detail"),
]
