"""Delivery (交车) and the printed documents (F-6.4).

The delivery page of a repair order shows why the car may not leave yet (with links to what
fixes it: the settlement, the QC checks), the checklist built from the reception record
(items, documents, keys, valuables, old parts), the bill's summary and the button that hands
the car over; afterwards it shows the handover and links to the prints.

Prints (A4 for the statement, A5 for the small cards), each checked in the record's store
(another store's record is a 404, a missing permission a 403):
- 结算单 (the settlement list of RULES.md: labour and parts apart, hours and rates, fees,
  discounts, who pays what, tax, payments, invoice no.; a reversal printed as 红字/冲销);
- 出门证 (only for a car handed over whose bill is settled or on account);
- 质量保证卡 (km and days of the repair category, from the handover);
- 售后服务卡 (the store's contacts, the car, the next service due, the advisor)."""

from collections import defaultdict

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pitstop.core.exceptions import ApplicationError
from pitstop.core.forms import BootstrapMixin
from pitstop.core.htmx import render_page
from pitstop.core.scoping import get_scoped_or_404, has_perm_in_store, require_perm_somewhere

from .. import delivery as services
from ..models import ZERO, Delivery, LineKind, Payer, Payment, Settlement

VIEW_ORDER = "service.view_repairorder"
VIEW_SETTLEMENT = "billing.view_settlement"
OldParts = Delivery.OldParts


def _require(user, perms: tuple[str, ...], store_id: int) -> None:
    if not any(has_perm_in_store(user, perm, store_id) for perm in perms):
        raise PermissionDenied


def _order(request: HttpRequest, pk: int):
    from pitstop.service.models import RepairOrder

    return get_scoped_or_404(
        RepairOrder.objects.select_related("store", "customer", "vehicle", "advisor"),
        request.user,
        VIEW_ORDER,
        pk=pk,
    )


# --- the delivery page -----------------------------------------------------------------------


class DeliveryForm(BootstrapMixin, forms.Form):
    keys_returned = forms.BooleanField(label=gettext_lazy("Keys handed back"), required=False)
    items_returned = forms.MultipleChoiceField(
        label=gettext_lazy("Items handed back"), required=False, widget=forms.CheckboxSelectMultiple
    )
    documents_returned = forms.MultipleChoiceField(
        label=gettext_lazy("Documents handed back"), required=False, widget=forms.CheckboxSelectMultiple
    )
    old_parts = forms.ChoiceField(
        label=gettext_lazy("Old parts"), choices=OldParts.choices, widget=forms.RadioSelect
    )
    received_by = forms.CharField(label=gettext_lazy("Picked up by"), max_length=60, required=False)
    note = forms.CharField(label=gettext_lazy("Note"), max_length=300, required=False)

    def __init__(self, *args, items, documents, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["items_returned"].choices = [(item.code, item.label) for item in items]
        self.fields["documents_returned"].choices = [(item.code, item.label) for item in documents]
        self.fields["old_parts"].widget.attrs["class"] = "form-check-input"


def _by_method(payments) -> list[tuple[str, object]]:
    """Net amount by method (refunds are negative), methods that net to nothing left out."""
    sums: dict[str, object] = defaultdict(lambda: ZERO)
    for payment in payments:
        sums[payment.method] += payment.amount
    labels = dict(Payment.Method.choices)
    return [(labels.get(method, method), amount) for method, amount in sums.items() if amount]


def _payments_by_method(settlement: Settlement | None) -> list[tuple[str, object]]:
    return _by_method(settlement.payments.all()) if settlement is not None else []


@login_required
def delivery(request: HttpRequest, pk: int) -> HttpResponse:
    """Hand the car over (perm billing.add_delivery in the order's store), or, once handed
    over, the handover and its prints (billing.view_delivery)."""
    order = _order(request, pk)
    done = Delivery.objects.filter(order=order).select_related("delivered_by", "settlement").first()
    if done is not None:
        _require(request.user, (services.VIEW, services.ADD), order.store_id)
        context = {
            "order": order,
            "delivery": done,
            "returned_items": _labels(services.items_held(order), done.items_returned),
            "returned_documents": _labels(services.documents_held(order), done.documents_returned),
            "settlement": done.settlement,
            "by_method": _payments_by_method(done.settlement),
            "may_print_statement": has_perm_in_store(request.user, VIEW_SETTLEMENT, order.store_id),
        }
        return render(request, "billing/delivery/page.html", context)
    _require(request.user, (services.ADD,), order.store_id)
    items, documents = services.items_held(order), services.documents_held(order)
    readiness = services.delivery_readiness(order)
    agreed = services.default_old_parts(order, readiness.settlement)
    form = DeliveryForm(
        request.POST if request.method == "POST" else None,
        items=items,
        documents=documents,
        initial={"old_parts": agreed, "received_by": order.contact_name or order.customer.name},
    )
    if request.method == "POST" and form.is_valid():
        try:
            handed = services.order_deliver(actor=request.user, order=order, **form.cleaned_data)
            messages.success(
                request,
                _("%(plate)s handed over; exit pass %(number)s.")
                % {"plate": order.vehicle.plate or order.vehicle.vin, "number": handed.exit_pass_no},
            )
            return redirect("billing:delivery", pk=order.pk)
        except ApplicationError as error:
            form.add_error(error.field if error.field in form.fields else None, str(error.message))
            readiness = services.delivery_readiness(order)
    settlement = readiness.settlement or readiness.draft
    context = {
        "order": order,
        "form": form,
        "readiness": readiness,
        "items": items,
        "documents": documents,
        "agreed_old_parts": OldParts(agreed).label,
        "settlement": settlement,
        "by_method": _payments_by_method(readiness.settlement),
        "may_print_statement": has_perm_in_store(request.user, VIEW_SETTLEMENT, order.store_id),
    }
    status = 400 if request.method == "POST" else 200
    return render_page(
        request, "billing/delivery/page.html", context, partials=("delivery-form",), status=status
    )


def _labels(held: list, codes: list[str]) -> list[str]:
    known = {item.code: item.label for item in held}
    return [known.get(code, code) for code in codes or ()]


# --- prints ----------------------------------------------------------------------------------


def _refused(request: HttpRequest, order, title: str, reasons: list[str]) -> HttpResponse:
    """The page a print answers with when the document may not be printed yet, saying why."""
    context = {"order": order, "title": title, "reasons": reasons}
    return render(request, "billing/prints/refused.html", context, status=409)


def _labour_rows(lines: list) -> list:
    """Hours and rate as charged; a fixed-price item shows the order's hours and no rate."""
    for line in lines:
        source = line.labour_line
        line.fixed = bool(
            source is not None
            and line.quantity in (1, -1)
            and source.hours
            and source.rate
            and line.unit_price != source.rate
        )
        line.hours_shown = (
            (source.hours if line.quantity > 0 else -source.hours) if line.fixed else line.quantity
        )
    return lines


def _payer_rows(settlement: Settlement, lines: list) -> list[tuple[str, str, object]]:
    """Who pays what (F-6.2): the owner as recorded, the insurer its lines less the excess the
    owner pays, the manufacturer, the store."""
    sums: dict[str, object] = defaultdict(lambda: ZERO)
    for line in lines:
        sums[line.payer] += line.amount
    rows = [(Payer.OWNER, Payer.OWNER.label, settlement.owner_total)]
    if sums[Payer.INSURER]:
        rows.append((Payer.INSURER, Payer.INSURER.label, sums[Payer.INSURER] - (settlement.excess or ZERO)))
    for payer in (Payer.WARRANTY, Payer.INTERNAL):
        if sums[payer]:
            rows.append((payer, Payer(payer).label, sums[payer]))
    return rows


def _tax_rows(lines: list) -> list[tuple[object, object, object]]:
    """(rate %, amount, tax within it) per rate: prices include VAT."""
    by_rate: dict[object, list] = {}
    for line in lines:
        if not line.amount:
            continue
        row = by_rate.setdefault(line.tax_rate, [ZERO, ZERO])
        row[0] += line.amount
        row[1] += line.tax
    return [(rate, amount, tax) for rate, (amount, tax) in sorted(by_rate.items())]


@login_required
def print_statement(request: HttpRequest, pk: int) -> HttpResponse:
    """结算单 (维修结算清单, JT/T 1133): the bill as posted, or a reversal as 红字 naming the
    original; a pre-settlement prints as such, marked not settled."""
    require_perm_somewhere(request.user, VIEW_SETTLEMENT)
    settlement = get_scoped_or_404(
        Settlement.objects.select_related(
            "store",
            "customer",
            "order__vehicle",
            "order__customer",
            "order__advisor",
            "counter_sale",
            "reverses",
            "posted_by",
            "prepared_by",
            "approved_by",
        ),
        request.user,
        VIEW_SETTLEMENT,
        pk=pk,
    )
    lines = list(settlement.lines.select_related("labour_line"))
    payments = list(settlement.payments.select_related("cashier").order_by("id"))
    order = settlement.order
    delivery = Delivery.objects.filter(order_id=settlement.order_id).first() if order else None
    context = {
        "settlement": settlement,
        "order": order,
        "customer": settlement.customer or (order.customer if order else None),
        "labour": _labour_rows([line for line in lines if line.kind == LineKind.LABOUR]),
        "parts": [line for line in lines if line.kind == LineKind.PART],
        "fees": [line for line in lines if line.kind not in (LineKind.LABOUR, LineKind.PART)],
        "payers": _payer_rows(settlement, lines),
        "taxes": _tax_rows(lines),
        "discounts": settlement.labour_discount + settlement.parts_discount,
        "payments": payments,
        "by_method": _by_method(payments),
        "reversal": Settlement.objects.filter(reverses=settlement).first(),
        "delivery": delivery,
        "old_parts": delivery.get_old_parts_display()
        if delivery
        else (order.get_old_parts_display() if order else ""),
        "printed_at": timezone.now(),
    }
    return render(request, "billing/prints/statement.html", context)


@login_required
def print_exit_pass(request: HttpRequest, pk: int) -> HttpResponse:
    """出门证: the gate lets the car out only when it was handed over and is settled or on
    account; otherwise a page that says why."""
    order = _order(request, pk)
    _require(request.user, (services.VIEW, services.ADD), order.store_id)
    reasons = services.exit_pass_refusals(order)
    if reasons:
        return _refused(request, order, _("Exit pass"), reasons)
    handed = Delivery.objects.select_related("delivered_by", "settlement").get(order=order)
    context = {
        "order": order,
        "delivery": handed,
        "settlement": handed.settlement,
        "printed_at": timezone.now(),
    }
    return render(request, "billing/prints/exit_pass.html", context)


def _work_done(order) -> tuple[list, list, list]:
    """The labour done, the parts fitted by the shop and the parts the customer brought (no
    guarantee from the shop on those), from the bill when there is one."""
    from pitstop.service.models import Approval

    labour = list(order.labour_lines.filter(approval=Approval.APPROVED).order_by("position", "id"))
    settlement = services.live_settlement(order)
    if settlement is not None:
        parts = [line for line in settlement.lines.all() if line.kind == LineKind.PART]
    else:
        parts = list(order.part_lines.filter(approval=Approval.APPROVED).order_by("position", "id"))
    fitted = [line for line in parts if not line.customer_supplied]
    brought = [line for line in parts if line.customer_supplied]
    return labour, fitted, brought


@login_required
def print_guarantee(request: HttpRequest, pk: int) -> HttpResponse:
    """质量保证卡: the repair category's guarantee (km and days, whichever comes first) from
    the handover, and the work done."""
    order = _order(request, pk)
    if order.status not in (order.Status.READY, order.Status.DELIVERED):
        reason = _("The work order is %(status)s; the guarantee card is printed when the car is ready.") % {
            "status": order.get_status_display()
        }
        return _refused(request, order, _("Quality guarantee card"), [reason])
    labour, fitted, brought = _work_done(order)
    context = {
        "order": order,
        "card": services.guarantee_card(order),
        "labour": labour,
        "fitted": fitted,
        "brought": brought,
        "printed_at": timezone.now(),
    }
    return render(request, "billing/prints/guarantee.html", context)


@login_required
def print_service_card(request: HttpRequest, pk: int) -> HttpResponse:
    """售后服务卡: whom to call, the car, when it is next due for service, the advisor."""
    order = _order(request, pk)
    if order.status == order.Status.CANCELLED:
        return _refused(request, order, _("After-sales service card"), [_("The work order is cancelled.")])
    context = {
        "order": order,
        "next": services.next_service(order),
        "delivery": Delivery.objects.filter(order=order).first(),
        "printed_at": timezone.now(),
    }
    return render(request, "billing/prints/service_card.html", context)


urlpatterns = [
    path("orders/<int:pk>/delivery/", delivery, name="delivery"),
    path("orders/<int:pk>/exit-pass/", print_exit_pass, name="print_exit_pass"),
    path("orders/<int:pk>/guarantee/", print_guarantee, name="print_guarantee"),
    path("orders/<int:pk>/service-card/", print_service_card, name="print_service_card"),
    path("settlements/<int:pk>/statement/", print_statement, name="print_statement"),
]
