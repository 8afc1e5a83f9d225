"""Old-parts pages (旧件, F-5.10): the list of a store's old parts, registering one by hand, an
old part's page with its history and the moves allowed now, return batches (packing by
scanning numbers, sending, cancelling) and the printed return list (清退清单)."""

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

from pitstop.core.audit import audit_for, labelled_changes
from pitstop.core.exceptions import ApplicationError
from pitstop.core.export import xlsx_response
from pitstop.core.forms import BootstrapMixin
from pitstop.core.htmx import render_page
from pitstop.core.scoping import has_perm_in_store, require_perm_somewhere

from .. import old_parts as op
from ..models import OldPart, OldPartBatch, Part, Supplier, Warehouse
from ..services import Reference

Status = OldPart.Status
BatchStatus = OldPartBatch.Status
PAGE_SIZE = 50


def _current_store(request: HttpRequest, perm: str):
    """The store a new record belongs to: the current one, where the user holds `perm`."""
    if request.store is None or not has_perm_in_store(request.user, perm, request.store.pk):
        raise PermissionDenied
    return request.store


def _error_into(form: forms.Form, error: ApplicationError) -> None:
    field = error.field if error.field in form.fields else None
    form.add_error(field, str(error.message))


# --- forms ------------------------------------------------------------------------------------


class CollectForm(BootstrapMixin, forms.Form):
    source = forms.ChoiceField(label=gettext_lazy("Source"), choices=OldPart.Source.choices)
    part = forms.CharField(
        label=gettext_lazy("Part code"),
        max_length=40,
        required=False,
        help_text=gettext_lazy("Code or barcode; or leave empty and describe the part."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "data-enter-next": "", "autofocus": ""}),
    )
    description = forms.CharField(label=gettext_lazy("Description"), max_length=100, required=False)
    quantity = forms.DecimalField(
        label=gettext_lazy("Quantity"), max_digits=12, decimal_places=3, initial=1, min_value=Decimal("0.001")
    )
    plate = forms.CharField(label=gettext_lazy("Plate"), max_length=20, required=False)
    reference_no = forms.CharField(
        label=gettext_lazy("Document no."),
        max_length=40,
        required=False,
        help_text=gettext_lazy("Work order or claim number."),
    )
    note = forms.CharField(label=gettext_lazy("Note"), max_length=200, required=False)

    def clean(self):
        data = super().clean()
        code = (data.get("part") or "").strip()
        data["part_obj"] = None
        if code:
            part = (
                Part.objects.filter(code__iexact=code, is_active=True).first()
                or Part.objects.filter(barcode=code, is_active=True).first()
            )
            if part is None:
                self.add_error("part", _("No part with code or barcode “%(code)s”.") % {"code": code})
            data["part_obj"] = part
        return data


class StoreForm(BootstrapMixin, forms.Form):
    warehouse = forms.ModelChoiceField(
        label=gettext_lazy("Old-parts warehouse"), queryset=Warehouse.objects.none()
    )
    bin = forms.CharField(label=gettext_lazy("Bin"), max_length=20, required=False)
    note = forms.CharField(label=gettext_lazy("Note"), max_length=150, required=False)

    def __init__(self, *args, store_id: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["warehouse"].queryset = op.old_part_warehouses(store_id)
        self.fields["warehouse"].empty_label = None
        self.fields["bin"].widget.attrs["list"] = "old-part-bins"


class GiveBackForm(BootstrapMixin, forms.Form):
    received_by = forms.CharField(label=gettext_lazy("Received by (owner or driver)"), max_length=60)
    note = forms.CharField(label=gettext_lazy("Note"), max_length=120, required=False)


class ScrapForm(BootstrapMixin, forms.Form):
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=180)


class BatchForm(BootstrapMixin, forms.Form):
    destination = forms.ChoiceField(
        label=gettext_lazy("Returned to"), choices=OldPartBatch.Destination.choices
    )
    supplier = forms.ModelChoiceField(
        label=gettext_lazy("Supplier"), queryset=Supplier.objects.none(), required=False
    )
    recipient = forms.CharField(
        label=gettext_lazy("Recipient"),
        max_length=100,
        required=False,
        help_text=gettext_lazy("For the manufacturer: who receives the parts, e.g. its old-parts centre."),
    )
    note = forms.CharField(label=gettext_lazy("Note"), max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["supplier"].queryset = Supplier.objects.filter(is_active=True).order_by("code")


class ScanForm(BootstrapMixin, forms.Form):
    number = forms.CharField(
        label=gettext_lazy("Old part no."),
        max_length=32,
        help_text=gettext_lazy("Scan the label or type the number and press Enter."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autofocus": ""}),
    )


# --- old parts --------------------------------------------------------------------------------


@login_required
def old_part_list(request: HttpRequest) -> HttpResponse:
    """The current store's old parts (every permitted store with “all stores”): by status,
    source, number or plate; to Excel."""
    require_perm_somewhere(request.user, op.VIEW)
    status = request.GET.get("status", "")
    source = request.GET.get("source", "")
    query = request.GET.get("q", "").strip()
    items = op.old_parts_for(request.user, request.store).order_by("-id")
    if status in Status.values:
        items = items.filter(status=status)
    if source in OldPart.Source.values:
        items = items.filter(source=source)
    items = op.old_parts_search(items, query)
    if request.GET.get("format") == "xlsx":
        headers = [
            _("Old part no."),
            _("Date"),
            _("Store"),
            _("Source"),
            _("Document no."),
            _("Part code"),
            _("Description"),
            _("Quantity"),
            _("Plate"),
            _("Status"),
            _("Kept in"),
            _("Bin"),
            _("Return batch"),
        ]
        rows = (
            [
                item.number,
                item.created_at,
                item.store.name,
                item.get_source_display(),
                item.reference_no,
                item.part.code if item.part else "",
                item.description,
                item.quantity,
                item.plate,
                item.get_status_display(),
                item.warehouse.name if item.warehouse else "",
                item.bin,
                item.batch.number if item.batch else "",
            ]
            for item in items
        )
        return xlsx_response("old-parts", headers, rows)
    context = {
        "page": Paginator(items, PAGE_SIZE).get_page(request.GET.get("page")),
        "status": status,
        "source": source,
        "q": query,
        "statuses": Status.choices,
        "sources": OldPart.Source.choices,
        "may_add": request.store is not None and has_perm_in_store(request.user, op.ADD, request.store.pk),
        "all_stores": request.store is None,
    }
    return render_page(request, "parts/old_parts/list.html", context, partials=("old-part-table",))


@login_required
def old_part_create(request: HttpRequest) -> HttpResponse:
    """Register an old part by hand: a part by code or a description, quantity, plate, the
    document it came from."""
    store = _current_store(request, op.ADD)
    form = CollectForm(request.POST or None, initial={"source": OldPart.Source.MANUAL})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            item = op.old_part_collect(
                actor=request.user,
                store=store,
                source=data["source"],
                part=data["part_obj"],
                description=data["description"],
                quantity=data["quantity"],
                reference=Reference(no=data["reference_no"].strip())
                if data["reference_no"].strip()
                else None,
                plate=data["plate"],
                note=data["note"],
            )
        except ApplicationError as error:
            _error_into(form, error)
        else:
            messages.success(request, _("Old part %(number)s registered.") % {"number": item.number})
            if "another" in request.POST:
                return redirect("parts:old_part_new")
            return redirect("parts:old_part", pk=item.pk)
    return render(
        request,
        "parts/old_parts/form.html",
        {"form": form, "store": store},
        status=400 if request.method == "POST" else 200,
    )


def _detail_context(request: HttpRequest, item: OldPart, **forms_) -> dict:
    may_change = op.may_change(request.user, item)
    allowed = OldPart.ALLOWED.get(item.status, set()) if may_change else set()
    in_batch = item.batch_id is not None
    context = {
        "item": item,
        "events": [
            (event, op.status_label(event.from_status), op.status_label(event.to_status))
            for event in op.old_part_events(item)
        ],
        "may_store": Status.STORED in allowed,
        "may_give_back": Status.GIVEN_BACK in allowed and not in_batch,
        "may_scrap": Status.SCRAPPED in allowed and not in_batch,
        "warehouses_exist": op.old_part_warehouses(item.store_id).exists(),
        "bins": [],
    }
    if context["may_store"]:
        form = forms_.get("store_form") or StoreForm(store_id=item.store_id)
        context["store_form"] = form
        warehouses = list(form.fields["warehouse"].queryset)
        context["bins"] = sorted({b.code for w in warehouses for b in w.bins.all()})
    context["give_back_form"] = forms_.get("give_back_form") or GiveBackForm()
    context["scrap_form"] = forms_.get("scrap_form") or ScrapForm()
    return context


@login_required
def old_part_detail(request: HttpRequest, pk: int) -> HttpResponse:
    item = op.old_part_get(request.user, pk)
    return render(request, "parts/old_parts/detail.html", _detail_context(request, item))


FLAGS = {Status.STORED: "may_store", Status.GIVEN_BACK: "may_give_back", Status.SCRAPPED: "may_scrap"}
MOVES = {
    Status.STORED: ("store_form", StoreForm),
    Status.GIVEN_BACK: ("give_back_form", GiveBackForm),
    Status.SCRAPPED: ("scrap_form", ScrapForm),
}


@login_required
@require_POST
def old_part_move(request: HttpRequest, pk: int) -> HttpResponse:
    """Store, give back or scrap: the form of that move is posted with `to`; a refusal is shown
    next to that form."""
    item = op.old_part_get(request.user, pk)
    if not op.may_change(request.user, item):
        raise PermissionDenied
    to = request.POST.get("to", "")
    name, form_class = MOVES.get(to, (None, None))
    if name is None:
        messages.error(request, _("Choose what happens to the old part."))
        return redirect("parts:old_part", pk=item.pk)
    kwargs = {"store_id": item.store_id} if form_class is StoreForm else {}
    form = form_class(request.POST, **kwargs)
    refusal = None
    if form.is_valid():
        data = form.cleaned_data
        try:
            if to == Status.STORED:
                op.old_part_store(
                    actor=request.user,
                    old_part=item,
                    warehouse=data["warehouse"],
                    bin=data["bin"],
                    note=data["note"],
                )
            elif to == Status.GIVEN_BACK:
                op.old_part_give_back(
                    actor=request.user, old_part=item, received_by=data["received_by"], note=data["note"]
                )
            else:
                op.old_part_scrap(actor=request.user, old_part=item, reason=data["reason"])
        except ApplicationError as error:
            refusal = error
            _error_into(form, error)
        else:
            messages.success(
                request,
                _("Old part %(number)s is now %(status)s.")
                % {"number": item.number, "status": op.status_label(to)},
            )
            return redirect("parts:old_part", pk=item.pk)
    item = op.old_part_get(request.user, pk)
    context = _detail_context(request, item, **{name: form})
    if refusal is not None and not context[FLAGS[to]]:
        # That move's form is no longer on the page (e.g. the part was scrapped meanwhile):
        # the refusal goes above the page.
        messages.error(request, refusal.message)
        return redirect("parts:old_part", pk=item.pk)
    context["failed"] = name
    return render(request, "parts/old_parts/detail.html", context, status=400)


# --- return batches ---------------------------------------------------------------------------


@login_required
def batch_list(request: HttpRequest) -> HttpResponse:
    require_perm_somewhere(request.user, op.VIEW_BATCH)
    status = request.GET.get("status", "")
    batches = op.batches_for(request.user, request.store).order_by("-id")
    if status in BatchStatus.values:
        batches = batches.filter(status=status)
    page = Paginator(batches, PAGE_SIZE).get_page(request.GET.get("page"))
    counts = op.batch_counts([batch.pk for batch in page])
    context = {
        "page": page,
        "rows": [(batch, counts.get(batch.pk, op.Totals(0, op.ZERO))) for batch in page],
        "status": status,
        "statuses": BatchStatus.choices,
        "may_add": request.store is not None
        and has_perm_in_store(request.user, op.ADD_BATCH, request.store.pk),
        "all_stores": request.store is None,
    }
    return render_page(request, "parts/old_parts/batch_list.html", context, partials=("batch-table",))


@login_required
def batch_create(request: HttpRequest) -> HttpResponse:
    store = _current_store(request, op.ADD_BATCH)
    form = BatchForm(request.POST or None, initial={"destination": OldPartBatch.Destination.SUPPLIER})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            batch = op.batch_create(
                actor=request.user,
                store=store,
                destination=data["destination"],
                supplier=data["supplier"],
                recipient=data["recipient"],
                note=data["note"],
            )
        except ApplicationError as error:
            _error_into(form, error)
        else:
            messages.success(request, _("Return batch %(number)s opened.") % {"number": batch.number})
            return redirect("parts:old_part_batch", pk=batch.pk)
    return render(
        request,
        "parts/old_parts/batch_form.html",
        {"form": form, "store": store},
        status=400 if request.method == "POST" else 200,
    )


def _batch_context(request: HttpRequest, batch: OldPartBatch, scan_form: ScanForm | None = None) -> dict:
    items = op.batch_parts(batch)
    editable = batch.status == BatchStatus.OPEN and op.may_change_batch(request.user, batch)
    context = {
        "batch": batch,
        "items": items,
        "totals": op.totals(items),
        "editable": editable,
        "scan_form": scan_form or ScanForm(),
        "candidates": list(op.batch_candidates(batch)) if editable else [],
        "history": [
            {"entry": entry, "changes": labelled_changes(entry, OldPartBatch)} for entry in audit_for(batch)
        ],
    }
    return context


@login_required
def batch_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The parts packed, the stored parts that may still be packed, sending and cancelling."""
    batch = op.batch_get(request.user, pk)
    return render_page(
        request,
        "parts/old_parts/batch_detail.html",
        _batch_context(request, batch),
        partials=("batch-parts",),
    )


def _changed_batch(request: HttpRequest, pk: int) -> OldPartBatch:
    batch = op.batch_get(request.user, pk)
    if not op.may_change_batch(request.user, batch):
        raise PermissionDenied
    return batch


def _batch_answer(request: HttpRequest, batch: OldPartBatch, scan_form: ScanForm | None):
    """The packing part of the page for HTMX, a refusal included (htmx does not swap a 4xx:
    the error is shown under the scan field); otherwise back to the batch page."""
    if getattr(request, "htmx", None):
        batch.refresh_from_db()
        return render(
            request,
            "parts/old_parts/batch_detail.html#batch-parts",
            _batch_context(request, batch, scan_form),
        )
    return redirect("parts:old_part_batch", pk=batch.pk)


@login_required
@require_POST
def batch_add(request: HttpRequest, pk: int) -> HttpResponse:
    """Pack one old part by its number (a scanner types it and Enter) or by the button next to
    a stored part (`old_part` id)."""
    batch = _changed_batch(request, pk)
    form = ScanForm(request.POST)
    picked = request.POST.get("old_part", "")
    try:
        if picked.isdigit():
            item = OldPart.objects.filter(store_id=batch.store_id, pk=int(picked)).first()
            if item is None:
                raise ApplicationError(_("No such old part in this store."), field="number")
        elif form.is_valid():
            item = op.old_part_by_number(batch.store_id, form.cleaned_data["number"])
        else:
            raise ApplicationError(_("Scan or type an old part number."), field="number")
        op.batch_add(actor=request.user, batch=batch, old_parts=[item])
    except ApplicationError as error:
        form = ScanForm(request.POST)
        form.is_valid()
        form.add_error("number", str(error.message))
        if not getattr(request, "htmx", None):
            messages.error(request, error.message)
        return _batch_answer(request, batch, form)
    if not getattr(request, "htmx", None):
        messages.success(request, _("Old part %(number)s packed.") % {"number": item.number})
    return _batch_answer(request, batch, ScanForm())


@login_required
@require_POST
def batch_remove(request: HttpRequest, pk: int) -> HttpResponse:
    batch = _changed_batch(request, pk)
    picked = request.POST.get("old_part", "")
    item = (
        OldPart.objects.filter(store_id=batch.store_id, pk=int(picked)).first() if picked.isdigit() else None
    )
    try:
        if item is None:
            raise ApplicationError(_("No such old part in this store."), field="number")
        op.batch_remove(actor=request.user, batch=batch, old_part=item)
    except ApplicationError as error:
        form = ScanForm()
        form.add_error(None, str(error.message))
        if not getattr(request, "htmx", None):
            messages.error(request, error.message)
        return _batch_answer(request, batch, form)
    return _batch_answer(request, batch, ScanForm())


@login_required
@require_POST
def batch_move(request: HttpRequest, pk: int) -> HttpResponse:
    """Send the batch (its parts become returned) or cancel it (its parts stay stored)."""
    batch = _changed_batch(request, pk)
    to = request.POST.get("to", "")
    note = request.POST.get("note", "")[:200]
    try:
        if to == BatchStatus.SENT:
            op.batch_send(actor=request.user, batch=batch, note=note)
            messages.success(request, _("Return batch %(number)s sent.") % {"number": batch.number})
        elif to == BatchStatus.CANCELLED:
            op.batch_cancel(actor=request.user, batch=batch, note=note)
            messages.success(request, _("Return batch %(number)s cancelled.") % {"number": batch.number})
        else:
            raise ApplicationError(_("Choose to send or to cancel the batch."), field="status")
    except ApplicationError as error:
        messages.error(request, error.message)
    return redirect("parts:old_part_batch", pk=batch.pk)


@login_required
def batch_print(request: HttpRequest, pk: int) -> HttpResponse:
    """清退清单 on A4: where the batch goes, each old part, totals, signatures."""
    batch = op.batch_get(request.user, pk)
    items = op.batch_parts(batch)
    context = {"batch": batch, "items": items, "totals": op.totals(items)}
    return render(request, "parts/old_parts/batch_print.html", context)


urlpatterns = [
    path("parts/old-parts/", old_part_list, name="old_part_list"),
    path("parts/old-parts/new/", old_part_create, name="old_part_new"),
    path("parts/old-parts/<int:pk>/", old_part_detail, name="old_part"),
    path("parts/old-parts/<int:pk>/move/", old_part_move, name="old_part_move"),
    path("parts/old-part-batches/", batch_list, name="old_part_batch_list"),
    path("parts/old-part-batches/new/", batch_create, name="old_part_batch_new"),
    path("parts/old-part-batches/<int:pk>/", batch_detail, name="old_part_batch"),
    path("parts/old-part-batches/<int:pk>/add/", batch_add, name="old_part_batch_add"),
    path("parts/old-part-batches/<int:pk>/remove/", batch_remove, name="old_part_batch_remove"),
    path("parts/old-part-batches/<int:pk>/move/", batch_move, name="old_part_batch_move"),
    path("parts/old-part-batches/<int:pk>/print/", batch_print, name="old_part_batch_print"),
]
