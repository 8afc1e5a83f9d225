"""The cash desk (F-6.1 to F-6.3, F-6.5, F-6.7): the advisor's pre-settlement of a work order,
the cashier's queue and settlement page (post, take payments of every kind, refund, record the
invoice, reverse and redo), the manager's approvals, and counter sales paid here.

Every page checks the user's permission in the bill's store (another store's bill is a 404);
every write goes through the services in billing.settlement / billing.payments, whose
ApplicationError comes back as a message in the user's language and changes nothing."""

import uuid
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import F, Prefetch, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from pitstop.core.exceptions import ApplicationError
from pitstop.core.scoping import get_scoped_or_404, has_perm_in_store, require_perm_somewhere, scoped
from pitstop.parts import sales
from pitstop.service.models import RepairOrder
from pitstop.service.orders import order_detail

from .. import counter, payments
from .. import settlement as bills
from ..models import FEE_KINDS, LineKind, Payer, Payment, Settlement

VIEW = "billing.view_settlement"
PREPARE = "billing.add_settlement"
POST = "billing.post_settlement"
PAY = "billing.add_payment"
APPROVE = "billing.approve_settlement"
REVERSE = "billing.reverse_settlement"
Status = Settlement.Status
FEE_ROWS = 4
# The order states in which the cash desk expects the bill.
TO_SETTLE = (RepairOrder.Status.WASHING, RepairOrder.Status.READY)


def _may(request: HttpRequest, perm: str, store_id: int) -> bool:
    return has_perm_in_store(request.user, perm, store_id)


def _settlement(request: HttpRequest, pk: int, perm: str = VIEW) -> Settlement:
    return get_scoped_or_404(
        Settlement.objects.select_related(
            "store", "order", "order__vehicle", "order__advisor", "customer", "counter_sale", "reverses"
        ),
        request.user,
        perm,
        pk=pk,
    )


def _for_write(request: HttpRequest, pk: int, perm: str) -> Settlement:
    """The bill (404 in another store), 403 without the permission in its store."""
    settlement = _settlement(request, pk)
    if not _may(request, perm, settlement.store_id):
        raise PermissionDenied
    return settlement


def _back(settlement: Settlement) -> HttpResponse:
    return redirect("billing:settlement", settlement.pk)


def _run(request: HttpRequest, action, success: str = "") -> bool:
    """Call a service; its refusal becomes the page's error message."""
    try:
        action()
    except ApplicationError as error:
        messages.error(request, error.message)
        return False
    if success:
        messages.success(request, str(success))
    return True


# ---------------------------------------------------------------- the queue


@login_required
def desk(request: HttpRequest) -> HttpResponse:
    """The cashier's work: cars ready whose bill waits to be posted, bills with money
    outstanding, counter sales awaiting payment, and today's settled bills."""
    require_perm_somewhere(request.user, VIEW)
    store = request.store
    query = (request.GET.get("q") or "").strip().upper()
    bills_here = scoped(Settlement.objects.all(), request.user, VIEW, store=store).select_related(
        "order", "order__vehicle", "customer", "counter_sale"
    )
    orders = scoped(RepairOrder.objects.all(), request.user, "service.view_repairorder", store=store)
    if query:
        bills_here = bills_here.filter(
            Q(number__icontains=query)
            | Q(order__number__icontains=query)
            | Q(order__vehicle__plate__icontains=query)
        )
        orders = orders.filter(Q(number__icontains=query) | Q(vehicle__plate__icontains=query))
    ready = (
        orders.filter(status__in=TO_SETTLE)
        .exclude(settlements__status=Status.POSTED, settlements__reverses__isnull=True)
        .select_related("vehicle", "customer", "advisor")
        .prefetch_related(
            Prefetch("settlements", queryset=Settlement.objects.filter(status=Status.DRAFT), to_attr="drafts")
        )
        .order_by("ready_at", "id")
        .distinct()
    )
    outstanding = (
        bills_here.filter(status=Status.POSTED, reverses__isnull=True)
        .filter(received__lt=F("owner_total"))
        .order_by("posted_at")
    )
    today = timezone.localdate()
    settled_today = bills_here.filter(
        status__in=(Status.POSTED, Status.REVERSED), posted_at__date=today
    ).order_by("-posted_at")
    counter_sales = sales.counter_sales_awaiting_payment(request.user, store) if store else []
    context = {
        "ready": list(ready[:100]),
        "outstanding": list(outstanding[:100]),
        "settled_today": list(settled_today[:100]),
        "counter_sales": list(counter_sales[:50]),
        "q": query,
        "may_pay": bool(store) and _may(request, PAY, store.pk),
    }
    return render(request, "billing/desk/queue.html", context)


@login_required
def approvals(request: HttpRequest) -> HttpResponse:
    """The manager's queue: bills waiting for approval of a discount or a price below cost."""
    require_perm_somewhere(request.user, APPROVE)
    waiting = (
        scoped(Settlement.objects.all(), request.user, APPROVE, store=request.store)
        .filter(status=Status.DRAFT, needs_approval=True, approved_by__isnull=True)
        .select_related("order", "order__vehicle", "customer", "prepared_by")
        .order_by("created_at")
    )
    return render(request, "billing/desk/approvals.html", {"waiting": list(waiting[:200])})


# ---------------------------------------------------------------- preparing the bill


def _fees_from(request: HttpRequest) -> list[dict]:
    fees = []
    for index in range(FEE_ROWS):
        kind = request.POST.get(f"fee-{index}-kind") or ""
        amount = (request.POST.get(f"fee-{index}-amount") or "").strip()
        if not kind and not amount:
            continue
        if kind and not amount:
            continue  # a kind chosen with no amount is an empty row
        fees.append(
            {"kind": kind, "name": (request.POST.get(f"fee-{index}-name") or "").strip(), "amount": amount}
        )
    return fees


def _fee_rows(settlement: Settlement | None) -> list[dict]:
    rows = []
    if settlement is not None:
        rows = [
            {"kind": line.kind, "name": line.name, "amount": line.amount}
            for line in settlement.lines.all()
            if line.kind in FEE_KINDS
        ]
    rows += [{"kind": "", "name": "", "amount": ""}] * (FEE_ROWS - len(rows))
    return [dict(row, index=index) for index, row in enumerate(rows[:FEE_ROWS])]


@login_required
def order_bill(request: HttpRequest, pk: int) -> HttpResponse:
    """The work order's bill: the bill if there is one, else the form to prepare it. POST
    prepares it (again) from what was done and used, with the fees entered."""
    order = order_detail(user=request.user, pk=pk)
    may_prepare = _may(request, PREPARE, order.store_id)
    if request.method == "POST":
        if not may_prepare:
            raise PermissionDenied
        made = {}

        def prepare():
            made["bill"] = bills.settlement_prepare(actor=request.user, order=order, fees=_fees_from(request))

        if _run(request, prepare, _("The bill is prepared from the work order.")):
            return _back(made["bill"])
        return redirect("billing:order_bill", order.pk)
    current = bills.open_settlement(order)
    if current is not None:
        return _back(current)
    if not _may(request, VIEW, order.store_id):
        raise PermissionDenied
    context = {
        "order": order,
        "may_prepare": may_prepare,
        "fee_rows": _fee_rows(None),
        "fee_kinds": [(kind, LineKind(kind).label) for kind in FEE_KINDS],
        "preparable": order.status in bills.PREPARABLE,
        "history": order.settlements.select_related("reverses").order_by("-id"),
    }
    return render(request, "billing/desk/prepare.html", context)


# ---------------------------------------------------------------- the bill


def _loyalty_of(settlement: Settlement) -> dict:
    """What the customer may pay with besides money: stored value, points, package cards
    whose items cover a labour line here, and coupons held."""
    from pitstop.loyalty import services as loyalty
    from pitstop.loyalty.models import Coupon, PackageCardItem, PointsAccount, StoredValueAccount

    if settlement.customer_id is None:
        return {}
    store, customer = settlement.store, settlement.customer
    stored = StoredValueAccount.objects.filter(store=store, customer=customer).first()
    points = PointsAccount.objects.filter(store=store, customer=customer).first()
    today = timezone.localdate()
    card_items = (
        PackageCardItem.objects.filter(
            card__store=store, card__customer=customer, card__status="active", remaining__gt=0
        )
        .filter(Q(card__expires_on__isnull=True) | Q(card__expires_on__gte=today))
        .select_related("card", "card__card_type", "labour", "canned_job")
    )
    coupons = Coupon.objects.filter(store=store, customer=customer, status=Coupon.Status.ISSUED).filter(
        Q(expires_on__isnull=True) | Q(expires_on__gte=today)
    )
    terms = loyalty.points_terms(store)
    return {
        "stored_value": stored,
        "points": points,
        "points_worth": loyalty.points_value(store=store, points=points.balance) if points else None,
        "points_terms": terms,
        "card_items": list(card_items),
        "coupons": list(coupons.select_related("coupon_type")[:20]),
    }


def _events(settlement: Settlement) -> list:
    events = list(settlement.events.select_related("actor").order_by("id"))
    for event in events:
        known = event.to_status in Status.values
        event.label = Status(event.to_status).label if known else event.to_status
    return events


@login_required
def settlement_detail(request: HttpRequest, pk: int) -> HttpResponse:
    settlement = _settlement(request, pk)
    store_id = settlement.store_id
    lines = list(settlement.lines.select_related("labour_line", "part"))
    labour = [line for line in lines if line.kind == LineKind.LABOUR]
    parts = [line for line in lines if line.kind == LineKind.PART]
    fees = [line for line in lines if line.kind in FEE_KINDS]
    paid = list(settlement.payments.select_related("cashier", "refund_of").order_by("id"))
    draft = settlement.status == Status.DRAFT
    live = settlement.is_live
    order = settlement.order
    context = {
        "settlement": settlement,
        "order": order,
        "labour": labour,
        "parts": parts,
        "fees": fees,
        "payments": paid,
        "payers": Payer.choices,
        "methods": [(m, Payment.Method(m).label) for m in Payment.Method.values if m != Payment.Method.CARRY],
        "draft": draft,
        "live": live,
        "approval_reasons": bills.approval_reasons(settlement) if draft and settlement.needs_approval else [],
        "may_prepare": draft and _may(request, PREPARE, store_id),
        "may_post": draft and _may(request, POST, store_id),
        "order_ready": order is None or order.status == RepairOrder.Status.READY,
        "may_approve": draft and settlement.needs_approval and _may(request, APPROVE, store_id),
        "may_pay": live and settlement.outstanding > 0 and _may(request, PAY, store_id),
        "may_refund": live and _may(request, PAY, store_id),
        "may_reverse": live and _may(request, REVERSE, store_id),
        "may_invoice": live and not settlement.invoice_no and _may(request, POST, store_id),
        "fee_rows": _fee_rows(settlement) if draft else [],
        "fee_kinds": [(kind, LineKind(kind).label) for kind in FEE_KINDS],
        "loyalty": _loyalty_of(settlement) if live and settlement.outstanding > 0 else {},
        "money_methods": [(m, Payment.Method(m).label) for m in Payment.MONEY_METHODS],
        "advance": payments.advance_of(settlement)
        if order is not None or settlement.counter_sale_id
        else Decimal(0),
        "events": _events(settlement),
        "reversal": getattr(settlement, "reversal", None) if settlement.status == Status.REVERSED else None,
        "is_insurance": settlement.insurer or any(line.payer == Payer.INSURER for line in lines),
        # A fresh key per page: pressing "pay" twice (or the browser resending) pays once.
        "token": uuid.uuid4().hex,
    }
    return render(request, "billing/desk/settlement.html", context)


def _bill_action(perm: str, service, fields: tuple[str, ...], success=""):
    """A POST on a bill that calls one service with the named form fields: 403 without the
    permission in the bill's store, the service's refusal as the page's message."""

    @login_required
    @require_POST
    def view(request: HttpRequest, pk: int) -> HttpResponse:
        settlement = _for_write(request, pk, perm)
        values = {name: request.POST.get(name, "") for name in fields}
        _run(request, lambda: service(actor=request.user, settlement=settlement, **values), success)
        return _back(settlement)

    return view


settlement_discount = _bill_action(
    PREPARE, bills.settlement_discount, ("amount", "reason"), gettext_lazy("The discount is recorded.")
)
settlement_insurance = _bill_action(
    PREPARE,
    bills.settlement_insurance,
    ("insurer", "claim_no", "assessed_amount", "excess"),
    gettext_lazy("The insurance claim is recorded."),
)
settlement_approve = _bill_action(APPROVE, bills.settlement_approve, ("note",), gettext_lazy("Approved."))
settlement_post = _bill_action(
    POST, bills.settlement_post, ("invoice_no",), gettext_lazy("Settled. Take the payment.")
)
settlement_invoice = _bill_action(
    POST, bills.settlement_invoice, ("invoice_no",), gettext_lazy("The invoice number is recorded.")
)


@login_required
@require_POST
def settlement_payer(request: HttpRequest, pk: int) -> HttpResponse:
    settlement = _for_write(request, pk, PREPARE)
    try:
        line_id = int(request.POST.get("line") or 0)
    except ValueError:
        line_id = 0
    _run(
        request,
        lambda: bills.settlement_line_payer(
            actor=request.user, settlement=settlement, line_id=line_id, payer=request.POST.get("payer", "")
        ),
    )
    return _back(settlement)


@login_required
@require_POST
def settlement_reverse(request: HttpRequest, pk: int) -> HttpResponse:
    settlement = _for_write(request, pk, REVERSE)
    made = {}

    def reverse_it():
        made["reversal"] = bills.settlement_reverse(
            actor=request.user,
            settlement=settlement,
            reason=request.POST.get("reason", ""),
            red_invoice_no=request.POST.get("red_invoice_no", ""),
        )

    done = _run(
        request, reverse_it, _("Reversed. Prepare the bill again; the money received is carried over.")
    )
    if done and settlement.order_id:
        return redirect("billing:order_bill", settlement.order_id)
    return _back(settlement)


# ---------------------------------------------------------------- payments


def _card_item(request: HttpRequest, settlement: Settlement):
    from pitstop.loyalty.models import PackageCardItem

    raw = request.POST.get("card_item") or ""
    if not (raw.isascii() and raw.isdigit()):
        return None
    return (
        PackageCardItem.objects.select_related("card")
        .filter(pk=int(raw), card__store_id=settlement.store_id)
        .first()
    )


@login_required
@require_POST
def payment_add(request: HttpRequest, pk: int) -> HttpResponse:
    settlement = _for_write(request, pk, PAY)
    method = request.POST.get("method", "")
    made = {}

    def pay():
        made["payment"] = payments.payment_record(
            actor=request.user,
            settlement=settlement,
            method=method,
            amount=request.POST.get("amount"),
            tendered=request.POST.get("tendered"),
            reference=request.POST.get("reference", ""),
            points=request.POST.get("points"),
            coupon_code=request.POST.get("coupon_code", ""),
            card_item=_card_item(request, settlement),
            idempotency_key=request.POST.get("token", ""),
        )

    if _run(request, pay):
        payment = made["payment"]
        if payment.change:
            messages.success(
                request,
                _("¥%(amount)s received by %(method)s. Give ¥%(change)s change.")
                % {
                    "amount": payment.amount,
                    "method": payment.get_method_display(),
                    "change": payment.change,
                },
            )
        else:
            messages.success(
                request,
                _("¥%(amount)s received by %(method)s.")
                % {"amount": payment.amount, "method": payment.get_method_display()},
            )
    return _back(settlement)


@login_required
@require_POST
def advance_pay_back(request: HttpRequest, pk: int) -> HttpResponse:
    settlement = _for_write(request, pk, PAY)
    _run(
        request,
        lambda: payments.advance_pay_back(
            actor=request.user,
            settlement=settlement,
            method=request.POST.get("method", ""),
            amount=request.POST.get("amount"),
            reference=request.POST.get("reference", ""),
        ),
        gettext_lazy("The money is paid back."),
    )
    return _back(settlement)


@login_required
@require_POST
def payment_refund(request: HttpRequest, pk: int) -> HttpResponse:
    payment = get_scoped_or_404(Payment.objects.select_related("settlement"), request.user, PAY, pk=pk)
    _run(
        request,
        lambda: payments.payment_refund(
            actor=request.user,
            payment=payment,
            amount=request.POST.get("amount"),
            reason=request.POST.get("reason", ""),
        ),
        _("Refunded."),
    )
    if payment.settlement_id:
        return redirect("billing:settlement", payment.settlement_id)
    return redirect("billing:desk")


@login_required
@require_POST
def counter_sale_bill(request: HttpRequest, pk: int) -> HttpResponse:
    sale = sales.counter_sale_detail(user=request.user, pk=pk)
    if not _may(request, PAY, sale.store_id):
        raise PermissionDenied
    made = {}

    def open_bill():
        made["bill"] = counter.counter_sale_bill(actor=request.user, sale=sale)

    if _run(request, open_bill):
        return _back(made["bill"])
    return redirect("billing:desk")


def settlement_url(settlement: Settlement) -> str:
    return reverse("billing:settlement", args=[settlement.pk])


urlpatterns = [
    path("cash-desk/", desk, name="desk"),
    path("cash-desk/approvals/", approvals, name="approvals"),
    path("orders/<int:pk>/bill/", order_bill, name="order_bill"),
    path("settlements/<int:pk>/", settlement_detail, name="settlement"),
    path("settlements/<int:pk>/discount/", settlement_discount, name="settlement_discount"),
    path("settlements/<int:pk>/insurance/", settlement_insurance, name="settlement_insurance"),
    path("settlements/<int:pk>/payer/", settlement_payer, name="settlement_payer"),
    path("settlements/<int:pk>/approve/", settlement_approve, name="settlement_approve"),
    path("settlements/<int:pk>/post/", settlement_post, name="settlement_post"),
    path("settlements/<int:pk>/invoice/", settlement_invoice, name="settlement_invoice"),
    path("settlements/<int:pk>/reverse/", settlement_reverse, name="settlement_reverse"),
    path("settlements/<int:pk>/pay/", payment_add, name="payment_add"),
    path("settlements/<int:pk>/advance/", advance_pay_back, name="advance_pay_back"),
    path("payments/<int:pk>/refund/", payment_refund, name="payment_refund"),
    path("counter-sales/<int:pk>/bill/", counter_sale_bill, name="counter_sale_bill"),
]
