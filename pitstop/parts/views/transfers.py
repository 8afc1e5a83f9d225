"""Transfer pages (调拨, F-5.8): outgoing and incoming lists, the draft form, the transfer
with its ship / receive / cancel actions, and the printed transfer note."""

from decimal import Decimal

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from pitstop.accounts.models import Store
from pitstop.core.exceptions import ApplicationError
from pitstop.core.forms import BootstrapMixin
from pitstop.core.htmx import render_page
from pitstop.core.money import plain
from pitstop.core.scoping import has_perm_in_store, require_perm_somewhere

from .. import selectors
from .. import transfers as svc
from ..forms import LineFormSet
from ..models import ZERO, StockLevel, Transfer, Warehouse

Status = Transfer.Status
BLANK_ROWS = 8


class TransferForm(BootstrapMixin, forms.Form):
    """The route: a warehouse of the current store to a store of the chain, then one of that
    store's warehouses (listed once the store is chosen, so a form never lists every store's
    warehouses at once)."""

    source = forms.ModelChoiceField(label=gettext_lazy("From warehouse"), queryset=Warehouse.objects.none())
    target_store = forms.ModelChoiceField(label=gettext_lazy("To store"), queryset=Store.objects.none())
    target = forms.ModelChoiceField(label=gettext_lazy("To warehouse"), queryset=Warehouse.objects.none())
    note = forms.CharField(label=gettext_lazy("Note"), max_length=200, required=False)

    def __init__(self, *args, store: Store, target_store_id: int, refresh_url: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["source"].queryset = svc.source_warehouses(store)
        self.fields["target_store"].queryset = svc.target_stores()
        self.fields["target_store"].widget.attrs.update(
            {
                "hx-get": refresh_url,
                "hx-target": "#target-warehouse",
                "hx-swap": "outerHTML",
                "hx-trigger": "change",
            }
        )
        self.fields["target"].queryset = svc.target_warehouses().filter(store_id=target_store_id)
        self.fields["target"].label_from_instance = lambda w: f"{w.store.name} / {w.name}"


def _target_store_id(request: HttpRequest, default: int) -> int:
    """The store whose warehouses the target list offers: the one just chosen, else `default`."""
    raw = request.POST.get("target_store") or request.GET.get("target_store") or ""
    if raw.isdigit() and svc.target_stores().filter(pk=int(raw)).exists():
        return int(raw)
    return default


def _route_form(request: HttpRequest, *, store: Store, target_store_id: int, initial: dict) -> TransferForm:
    """Bound on a save; unbound (showing what was typed, no errors) on a first view, an HTMX
    refresh of the target list, or the no-script "show its warehouses" button."""
    kwargs = {"store": store, "target_store_id": target_store_id, "refresh_url": request.path}
    if request.method == "POST" and "pick_store" not in request.POST:
        return TransferForm(request.POST, **kwargs)
    if request.method == "POST":
        initial = {**initial, **{k: request.POST.get(k, "") for k in ("source", "note")}}
    return TransferForm(initial={**initial, "target_store": target_store_id}, **kwargs)


def _form_page(request: HttpRequest, header, lines, transfer) -> HttpResponse:
    saving = request.method == "POST" and "pick_store" not in request.POST
    context = {"header": header, "lines": lines, "transfer": transfer}
    return render_page(
        request,
        "parts/transfers/form.html",
        context,
        partials=("target-warehouse",),
        status=400 if saving else 200,
    )


class ReceiveForm(BootstrapMixin, forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason for a shortage"),
        max_length=150,
        required=False,
        help_text=gettext_lazy("Needed only when less arrived than was shipped."),
    )


# --- lists ------------------------------------------------------------------------------------

BOXES = {
    "out": gettext_lazy("Outgoing"),
    "in": gettext_lazy("Incoming"),
}


@login_required
def transfer_list(request: HttpRequest) -> HttpResponse:
    """Outgoing and incoming transfers of the current store (all visible ones when "all stores"
    is chosen), what is in transit marked and valued."""
    require_perm_somewhere(request.user, svc.VIEW)
    store = request.store
    box = request.GET.get("box", "out") if store is not None else "all"
    box = box if box in (*BOXES, "all") else "out"
    status = request.GET.get("status", "")
    if store is None:
        transfers = svc.transfers_for(request.user)
    elif box == "in":
        transfers = svc.incoming(request.user, store)
    else:
        transfers = svc.outgoing(request.user, store)
    if status in Status.values:
        transfers = transfers.filter(status=status)
    page = Paginator(transfers.order_by("-id"), 50).get_page(request.GET.get("page"))
    values = svc.values_by_transfer(t.pk for t in page)
    rows = [(t, *values.get(t.pk, (0, svc.NO_MONEY))) for t in page]
    context = {
        "page": page,
        "rows": rows,
        "box": box,
        "boxes": BOXES if store is not None else {},
        "status": status,
        "statuses": Status.choices,
        "in_transit": svc.in_transit_by_store(request.user, store),
        "may_create": svc.may_create(request.user, store),
    }
    return render_page(request, "parts/transfers/list.html", context, partials=("transfer-table",))


# --- the draft --------------------------------------------------------------------------------


def _line_forms(request: HttpRequest, initial: list[dict]):
    asked = request.GET.get("rows", "")
    rows = min(int(asked), 60) if asked.isdigit() else len(initial) + BLANK_ROWS
    initial = initial + [{}] * max(rows - len(initial), 0)
    return LineFormSet(request.POST or None, initial=initial, prefix="line")


def _lines(formset) -> list[tuple]:
    return [
        (form.cleaned_data["part_obj"], form.cleaned_data["quantity"])
        for form in formset
        if form.cleaned_data.get("part_obj")
    ]


@login_required
def transfer_create(request: HttpRequest) -> HttpResponse:
    """A draft from a warehouse of the current store to any warehouse of the chain."""
    store = request.store
    if not svc.may_create(request.user, store):
        raise PermissionDenied
    header = _route_form(
        request,
        store=store,
        target_store_id=_target_store_id(request, store.pk),
        initial={"source": svc.source_warehouses(store).first()},
    )
    lines = _line_forms(request, [])
    if header.is_bound and header.is_valid() and lines.is_valid():
        try:
            transfer = svc.transfer_create(
                actor=request.user,
                source=header.cleaned_data["source"],
                target=header.cleaned_data["target"],
                lines=_lines(lines),
                note=header.cleaned_data["note"],
            )
            return redirect("parts:transfer_detail", pk=transfer.pk)
        except ApplicationError as error:
            header.add_error(None, str(error.message))
    return _form_page(request, header, lines, None)


@login_required
def transfer_edit(request: HttpRequest, pk: int) -> HttpResponse:
    transfer = svc.transfer_get(request.user, pk)
    if not svc.may_edit(request.user, transfer):
        raise PermissionDenied
    if transfer.status != Status.DRAFT:
        messages.error(
            request,
            _("A transfer that is %(status)s cannot be changed.") % {"status": transfer.get_status_display()},
        )
        return redirect("parts:transfer_detail", pk=transfer.pk)
    header = _route_form(
        request,
        store=transfer.source_store,
        target_store_id=_target_store_id(request, transfer.target_store_id),
        initial={"source": transfer.source, "target": transfer.target_id, "note": transfer.note},
    )
    lines = _line_forms(
        request,
        [{"part": line.part.code, "quantity": line.quantity} for line in svc.transfer_lines(transfer)],
    )
    if header.is_bound and header.is_valid() and lines.is_valid():
        try:
            svc.transfer_update(
                actor=request.user,
                transfer=transfer,
                source=header.cleaned_data["source"],
                target=header.cleaned_data["target"],
                lines=_lines(lines),
                note=header.cleaned_data["note"],
            )
            return redirect("parts:transfer_detail", pk=transfer.pk)
        except ApplicationError as error:
            header.add_error(None, str(error.message))
    return _form_page(request, header, lines, transfer)


# --- the transfer and its actions --------------------------------------------------------------


def _detail_context(request: HttpRequest, transfer: Transfer, *, posted=None, **extra) -> dict:
    lines = svc.transfer_lines(transfer)
    show_available = transfer.status == Status.DRAFT and has_perm_in_store(
        request.user, selectors.VIEW_STOCK, transfer.source_store_id
    )
    available = {}
    if show_available:
        available = {
            part_id: on_hand - reserved
            for part_id, on_hand, reserved in StockLevel.objects.filter(
                warehouse_id=transfer.source_id, part_id__in=[line.part_id for line in lines]
            ).values_list("part_id", "on_hand", "reserved")
        }
    received = transfer.status == Status.RECEIVED
    rows = []
    for line in lines:
        free = available.get(line.part_id, ZERO)
        shortage = line.quantity - line.received if received else ZERO
        rows.append(
            {
                "line": line,
                "quantity": plain(line.quantity),
                "received": plain(line.received),
                "receiving": (posted or {}).get(f"received-{line.pk}", plain(line.quantity)),
                "shortage": plain(shortage) if shortage else "",
                "available": plain(free) if show_available else "",
                "short_at_source": show_available and free < line.quantity,
                "amount": svc.line_amount(line),
                "received_amount": svc.line_amount(line, line.received) if received else None,
            }
        )
    may_ship = transfer.status == Status.DRAFT and svc.may_ship(request.user, transfer)
    same_store = transfer.source_store_id == transfer.target_store_id
    context = {
        "transfer": transfer,
        "rows": rows,
        "show_available": show_available,
        # A line is rounded, then the lines are summed (STYLE.md).
        "total": sum((row["amount"] or ZERO for row in rows), Decimal(0)),
        "events": [
            (
                event,
                svc.status_label(event.from_status) if event.from_status else "",
                svc.status_label(event.to_status),
            )
            for event in transfer.events.select_related("actor")
        ],
        "may_edit": transfer.status == Status.DRAFT and svc.may_edit(request.user, transfer),
        "may_ship": may_ship,
        "may_ship_and_receive": may_ship and same_store and svc.may_receive(request.user, transfer),
        "may_receive": transfer.status == Status.IN_TRANSIT and svc.may_receive(request.user, transfer),
        "receive_form": ReceiveForm(),
        "error": None,
    }
    context.update(extra)
    return context


@login_required
def transfer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    transfer = svc.transfer_get(request.user, pk)
    return render_page(
        request, "parts/transfers/detail.html", _detail_context(request, transfer), partials=("transfer",)
    )


def _after_action(request: HttpRequest, transfer: Transfer, error: ApplicationError | None = None, **extra):
    """HTMX swaps the transfer in place (errors too: htmx does not swap a 4xx); a plain form
    post is redirected back to the page (or shown again with the error, status 400)."""
    transfer = svc.transfer_get(request.user, transfer.pk)
    context = _detail_context(request, transfer, error=error and error.message, **extra)
    if getattr(request, "htmx", None):
        return render(request, "parts/transfers/detail.html#transfer", context)
    if error is None:
        return redirect("parts:transfer_detail", pk=transfer.pk)
    return render(request, "parts/transfers/detail.html", context, status=400)


@login_required
@require_POST
def transfer_ship(request: HttpRequest, pk: int) -> HttpResponse:
    """Ship (parts leave the source); with `receive` a same-store transfer arrives at once."""
    transfer = svc.transfer_get(request.user, pk)
    receive = bool(request.POST.get("receive"))
    if not svc.may_ship(request.user, transfer) or (receive and not svc.may_receive(request.user, transfer)):
        raise PermissionDenied
    try:
        svc.transfer_ship(actor=request.user, transfer=transfer, receive=receive)
    except ApplicationError as error:
        return _after_action(request, transfer, error)
    return _after_action(request, transfer)


@login_required
@require_POST
def transfer_receive(request: HttpRequest, pk: int) -> HttpResponse:
    """Receive at the target: what arrived per line; less than shipped with a reason."""
    transfer = svc.transfer_get(request.user, pk)
    if not svc.may_receive(request.user, transfer):
        raise PermissionDenied
    form = ReceiveForm(request.POST)
    form.is_valid()
    received = {}
    for line in transfer.lines.all():
        value = request.POST.get(f"received-{line.pk}", "").strip()
        if value:
            received[line.pk] = value
    try:
        svc.transfer_receive(
            actor=request.user,
            transfer=transfer,
            received=received,
            reason=form.cleaned_data.get("reason", ""),
        )
    except ApplicationError as error:
        return _after_action(request, transfer, error, receive_form=form, posted=request.POST)
    return _after_action(request, transfer)


@login_required
@require_POST
def transfer_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    transfer = svc.transfer_get(request.user, pk)
    if not svc.may_edit(request.user, transfer):
        raise PermissionDenied
    try:
        svc.transfer_cancel(actor=request.user, transfer=transfer, note=request.POST.get("note", "")[:200])
    except ApplicationError as error:
        return _after_action(request, transfer, error)
    return _after_action(request, transfer)


@login_required
def transfer_note(request: HttpRequest, pk: int) -> HttpResponse:
    """调拨单: A4, to print, sign when it leaves and sign when it arrives."""
    transfer = svc.transfer_get(request.user, pk)
    context = _detail_context(request, transfer)
    context["received_total"] = sum((row["received_amount"] or ZERO for row in context["rows"]), Decimal(0))
    context["has_shortage"] = any(row["shortage"] for row in context["rows"])
    return render(request, "parts/transfers/note.html", context)


urlpatterns = [
    path("parts/transfers/", transfer_list, name="transfer_list"),
    path("parts/transfers/new/", transfer_create, name="transfer_create"),
    path("parts/transfers/<int:pk>/", transfer_detail, name="transfer_detail"),
    path("parts/transfers/<int:pk>/edit/", transfer_edit, name="transfer_edit"),
    path("parts/transfers/<int:pk>/ship/", transfer_ship, name="transfer_ship"),
    path("parts/transfers/<int:pk>/receive/", transfer_receive, name="transfer_receive"),
    path("parts/transfers/<int:pk>/cancel/", transfer_cancel, name="transfer_cancel"),
    path("parts/transfers/<int:pk>/note/", transfer_note, name="transfer_note"),
]
