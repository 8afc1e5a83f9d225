from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from pitstop.core.audit import audit_for, labelled_changes
from pitstop.core.exceptions import ApplicationError
from pitstop.core.export import xlsx_response
from pitstop.core.htmx import render_page
from pitstop.core.scoping import get_scoped_or_404, has_perm_in_store, require_perm_somewhere, scoped

from . import exports, importing, selectors, services
from .forms import CustomerForm, ImportUploadForm, MileageForm, PartyChangeForm, TierForm, VehicleForm
from .models import Customer, CustomerTier, ImportBatch, Vehicle
from .sections import sections_for

PERSONAL = "customers.view_personal_data"


def _working_store(request: HttpRequest, perm: str):
    """The store a new record goes into: the current one, where the user must hold `perm`."""
    store = request.store
    if store is None:
        raise ApplicationError(_("Choose a store in the store switcher first."))
    if not has_perm_in_store(request.user, perm, store.pk):
        raise PermissionDenied
    return store


def _may_add_here(request: HttpRequest, perm: str) -> bool:
    return request.store is not None and has_perm_in_store(request.user, perm, request.store.pk)


def _page(request: HttpRequest, queryset, per_page: int = 30):
    return Paginator(queryset, per_page).get_page(request.GET.get("page"))


def _with_audit(obj, model) -> list[dict]:
    return [{"entry": e, "changes": labelled_changes(e, model)} for e in audit_for(obj)]


# --- search (F-1.4) --------------------------------------------------------------------------


@login_required
def search(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "")
    results = selectors.search_files(user=request.user, query=query, store=request.store)
    context = {"q": query, **results}
    return render_page(request, "customers/search.html", context, partials=("search-results",))


# --- customers -------------------------------------------------------------------------------


@login_required
def customer_list(request: HttpRequest) -> HttpResponse:
    require_perm_somewhere(request.user, selectors.VIEW_CUSTOMER)
    filters = {
        "query": request.GET.get("q", "").strip(),
        "customer_type": request.GET.get("type", ""),
        "tag": request.GET.get("tag", ""),
    }
    tier = request.GET.get("tier", "")
    customers = selectors.customer_list(
        user=request.user, store=request.store, tier_id=int(tier) if tier.isdigit() else None, **filters
    )
    if request.GET.get("format") == "xlsx":
        return exports.customers_xlsx(request, customers)
    context = {
        "can_add": _may_add_here(request, "customers.add_customer"),
        "page": _page(request, customers),
        "filters": filters,
        "tier": tier,
        "tiers": selectors.tiers_for(request.user, request.store),
        "types": Customer.CustomerType.choices,
    }
    return render_page(request, "customers/customer_list.html", context, partials=("customer-table",))


@login_required
def customer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    customer = selectors.customer_detail(user=request.user, pk=pk)
    context = {
        "customer": customer,
        "can_edit": has_perm_in_store(request.user, "customers.change_customer", customer.store_id),
        "can_add_vehicle": has_perm_in_store(request.user, "customers.add_vehicle", customer.store_id),
        # The loyalty page (memberships, stored value, points, cards) where the user may see it.
        "can_see_loyalty": has_perm_in_store(request.user, "loyalty.view_membership", customer.store_id),
        "can_reveal": has_perm_in_store(request.user, PERSONAL, customer.store_id),
        "audit": _with_audit(customer, Customer),
        "sections": sections_for("customer", request, customer),
    }
    return render(request, "customers/customer_detail.html", context)


def _customer_form_page(request, form, customer=None, duplicate=None, status=200):
    return render(
        request,
        "customers/customer_form.html",
        {"form": form, "customer": customer, "duplicate": duplicate},
        status=status,
    )


@login_required
def customer_create(request: HttpRequest) -> HttpResponse:
    try:
        store = _working_store(request, "customers.add_customer")
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect("customers:customer_list")
    form = CustomerForm(request.POST or None, request.FILES or None, store=store)
    if request.method == "POST" and form.is_valid():
        try:
            customer = services.customer_create(
                actor=request.user,
                store=store,
                data=form.cleaned_data,
                tag_names=form.cleaned_data["tag_names"],
            )
        except ApplicationError as error:
            form.add_service_error(error)
            return _customer_form_page(request, form, duplicate=error.extra or None, status=400)
        messages.success(request, _("Customer %(name)s saved.") % {"name": customer.name})
        return redirect("customers:customer_detail", pk=customer.pk)
    return _customer_form_page(request, form, status=400 if request.method == "POST" else 200)


@login_required
def customer_edit(request: HttpRequest, pk: int) -> HttpResponse:
    customer = get_scoped_or_404(Customer.objects.all(), request.user, selectors.VIEW_CUSTOMER, pk=pk)
    if not has_perm_in_store(request.user, "customers.change_customer", customer.store_id):
        raise PermissionDenied
    personal = has_perm_in_store(request.user, PERSONAL, customer.store_id)
    form = CustomerForm(
        request.POST or None,
        request.FILES or None,
        instance=customer,
        store=customer.store,
        personal=personal,
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.customer_update(
                actor=request.user,
                customer=customer,
                data=form.cleaned_data,
                tag_names=form.cleaned_data["tag_names"],
            )
        except ApplicationError as error:
            form.add_service_error(error)
            return _customer_form_page(request, form, customer, duplicate=error.extra or None, status=400)
        messages.success(request, _("Changes saved."))
        return redirect("customers:customer_detail", pk=customer.pk)
    return _customer_form_page(request, form, customer, status=400 if request.method == "POST" else 200)


@login_required
def customer_photo(request: HttpRequest, pk: int) -> HttpResponse:
    """The photo, through the same scoping as the record (uploads are not public files)."""
    customer = get_scoped_or_404(Customer.objects.all(), request.user, selectors.VIEW_CUSTOMER, pk=pk)
    if not customer.photo:
        raise Http404
    return FileResponse(customer.photo.open("rb"))


@login_required
@require_POST
def customer_reveal(request: HttpRequest, pk: int, field: str) -> HttpResponse:
    customer = get_scoped_or_404(Customer.objects.all(), request.user, selectors.VIEW_CUSTOMER, pk=pk)
    try:
        value = services.customer_reveal(actor=request.user, customer=customer, field=field)
    except ApplicationError as error:
        if error.code == "forbidden":
            raise PermissionDenied from None
        raise Http404 from None
    return render(request, "customers/_revealed.html", {"value": value, "field": field})


@login_required
def customer_lookup(request: HttpRequest) -> HttpResponse:
    """Suggestions for a customer field: the person typed part of a name, phone or plate."""
    # The field's own name carries the text (owner, user, driver, customer); q from elsewhere.
    query = request.GET.get("q") or next(
        (value for key, value in request.GET.items() if key in ("owner", "user", "driver", "customer")), ""
    )
    results = selectors.search_files(user=request.user, query=query, store=request.store, limit=6)
    owners = {c.pk: c for c in results["customers"]}
    for vehicle in results["vehicles"]:
        owners.setdefault(vehicle.owner_id, vehicle.owner)
    return render(
        request,
        "customers/_lookup.html",
        {"customers": list(owners.values())[:8], "target": request.GET.get("target", "id_owner")},
    )


# --- vehicles --------------------------------------------------------------------------------


@login_required
def vehicle_list(request: HttpRequest) -> HttpResponse:
    require_perm_somewhere(request.user, selectors.VIEW_VEHICLE)
    filters = {"query": request.GET.get("q", "").strip(), "brand": request.GET.get("brand", "")}
    vehicles = selectors.vehicle_list(user=request.user, store=request.store, **filters)
    if request.GET.get("format") == "xlsx":
        return exports.vehicles_xlsx(request, vehicles)
    context = {
        "page": _page(request, vehicles),
        "filters": filters,
        "can_add": _may_add_here(request, "customers.add_vehicle"),
    }
    return render_page(request, "customers/vehicle_list.html", context, partials=("vehicle-table",))


@login_required
def vehicle_detail(request: HttpRequest, pk: int) -> HttpResponse:
    vehicle = selectors.vehicle_detail(user=request.user, pk=pk)
    can_edit = has_perm_in_store(request.user, "customers.change_vehicle", vehicle.store_id)
    context = {
        "vehicle": vehicle,
        "can_edit": can_edit,
        "can_reveal": has_perm_in_store(request.user, PERSONAL, vehicle.store_id),
        "party_form": PartyChangeForm(initial={"changed_on": timezone.localdate()}) if can_edit else None,
        "mileage_form": MileageForm(initial={"read_on": timezone.localdate()}) if can_edit else None,
        "audit": _with_audit(vehicle, Vehicle),
        "sections": sections_for("vehicle", request, vehicle),
    }
    return render_page(request, "customers/vehicle_detail.html", context, partials=("mileage", "people"))


def _vehicle_form_page(request, form, vehicle=None, duplicate=None, status=200):
    return render(
        request,
        "customers/vehicle_form.html",
        {"form": form, "vehicle": vehicle, "duplicate": duplicate},
        status=status,
    )


@login_required
def vehicle_create(request: HttpRequest) -> HttpResponse:
    try:
        store = _working_store(request, "customers.add_vehicle")
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect("customers:vehicle_list")
    initial = {}
    owner_id = request.GET.get("owner", "")
    if owner_id.isdigit():
        owner = (
            scoped(Customer.objects.all(), request.user, selectors.VIEW_CUSTOMER, store=store)
            .filter(pk=int(owner_id))
            .first()
        )
        if owner:
            initial["owner"] = owner.code
    form = VehicleForm(request.POST or None, initial=initial, store=store, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            vehicle = services.vehicle_create(actor=request.user, store=store, data=form.cleaned_data)
        except ApplicationError as error:
            form.add_service_error(error)
            return _vehicle_form_page(request, form, duplicate=error.extra or None, status=400)
        messages.success(request, _("Vehicle %(vehicle)s saved.") % {"vehicle": vehicle})
        return redirect("customers:vehicle_detail", pk=vehicle.pk)
    return _vehicle_form_page(request, form, status=400 if request.method == "POST" else 200)


@login_required
def vehicle_edit(request: HttpRequest, pk: int) -> HttpResponse:
    vehicle = get_scoped_or_404(Vehicle.objects.all(), request.user, selectors.VIEW_VEHICLE, pk=pk)
    if not has_perm_in_store(request.user, "customers.change_vehicle", vehicle.store_id):
        raise PermissionDenied
    form = VehicleForm(request.POST or None, instance=vehicle, store=vehicle.store, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.vehicle_update(actor=request.user, vehicle=vehicle, data=form.cleaned_data)
        except ApplicationError as error:
            form.add_service_error(error)
            return _vehicle_form_page(request, form, vehicle, duplicate=error.extra or None, status=400)
        messages.success(request, _("Changes saved."))
        return redirect("customers:vehicle_detail", pk=vehicle.pk)
    return _vehicle_form_page(request, form, vehicle, status=400 if request.method == "POST" else 200)


def _vehicle_for_change(request, pk):
    vehicle = get_scoped_or_404(Vehicle.objects.all(), request.user, selectors.VIEW_VEHICLE, pk=pk)
    if not has_perm_in_store(request.user, "customers.change_vehicle", vehicle.store_id):
        raise PermissionDenied
    return vehicle


def _vehicle_side_form(request: HttpRequest, vehicle: Vehicle, form, action, success: str) -> HttpResponse:
    """The small forms on the vehicle page: run `action(cleaned_data)`, say how it went, and go
    back to the page (errors in the user's language, nothing saved on error)."""
    if form.is_valid():
        try:
            action(form.cleaned_data)
            messages.success(request, success)
        except ApplicationError as error:
            messages.error(request, error.message)
    else:
        messages.error(request, " ".join(m for errors in form.errors.values() for m in errors))
    return redirect("customers:vehicle_detail", pk=vehicle.pk)


@login_required
@require_POST
def vehicle_change_party(request: HttpRequest, pk: int) -> HttpResponse:
    vehicle = _vehicle_for_change(request, pk)
    customers = scoped(Customer.objects.all(), request.user, selectors.VIEW_CUSTOMER).filter(
        store=vehicle.store
    )
    return _vehicle_side_form(
        request,
        vehicle,
        PartyChangeForm(request.POST, customers=customers),
        lambda data: services.vehicle_change_party(
            actor=request.user,
            vehicle=vehicle,
            role=data["role"],
            customer=data["customer"],
            changed_on=data["changed_on"],
            note=data["note"],
        ),
        _("Changes saved."),
    )


@login_required
@require_POST
def vehicle_add_mileage(request: HttpRequest, pk: int) -> HttpResponse:
    vehicle = _vehicle_for_change(request, pk)
    return _vehicle_side_form(
        request,
        vehicle,
        MileageForm(request.POST),
        lambda data: services.vehicle_record_mileage(
            actor=request.user,
            vehicle=vehicle,
            mileage=data["mileage"],
            read_on=data["read_on"],
            reason=data["reason"],
        ),
        _("Mileage recorded."),
    )


# --- tiers (F-1.5) ---------------------------------------------------------------------------


@login_required
def tier_list(request: HttpRequest) -> HttpResponse:
    require_perm_somewhere(request.user, "customers.view_customertier")
    can_add = request.store is not None and has_perm_in_store(
        request.user, "customers.add_customertier", request.store.pk
    )
    return render(
        request,
        "customers/tier_list.html",
        {"tiers": selectors.tiers_for(request.user, request.store), "can_add": can_add},
    )


@login_required
def tier_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    if pk is None:
        try:
            store = _working_store(request, "customers.add_customertier")
        except ApplicationError as error:
            messages.error(request, error.message)
            return redirect("customers:tier_list")
        tier = None
    else:
        tier = get_scoped_or_404(
            CustomerTier.objects.all(), request.user, "customers.view_customertier", pk=pk
        )
        store = tier.store
        if not has_perm_in_store(request.user, "customers.change_customertier", store.pk):
            raise PermissionDenied
    form = TierForm(request.POST or None, instance=tier)
    if request.method == "POST" and form.is_valid():
        try:
            services.tier_save(actor=request.user, store=store, data=form.cleaned_data, tier=tier)
            messages.success(request, _("Changes saved."))
            return redirect("customers:tier_list")
        except ApplicationError as error:
            form.add_error(error.field if error.field in form.fields else None, str(error.message))
    return render(
        request,
        "customers/tier_form.html",
        {"form": form, "tier": tier},
        status=400 if request.method == "POST" else 200,
    )


# --- import (F-1.6) --------------------------------------------------------------------------


@login_required
def import_upload(request: HttpRequest) -> HttpResponse:
    try:
        store = _working_store(request, "customers.import_customer")
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect("customers:customer_list")
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            batch, _preview = importing.import_preview(
                actor=request.user, store=store, filename=upload.name, content=upload.read()
            )
            return redirect("customers:import_preview", pk=batch.pk)
        except ApplicationError as error:
            form.add_error("file", str(error.message))
    return render(
        request,
        "customers/import_upload.html",
        {"form": form, "headers": importing.TEMPLATE_HEADERS},
        status=400 if request.method == "POST" else 200,
    )


@login_required
def import_template(request: HttpRequest) -> HttpResponse:
    require_perm_somewhere(request.user, "customers.import_customer")
    example = [
        "张伟",
        "13800138000",
        "男",
        "北京市朝阳区建国路88号",
        "",
        "1985-06-01",
        "京A12345",
        "LSVAU2180N2183294",
        "大众",
        "帕萨特",
        "2022款 330TSI",
        "",
        "白色",
        "2022-03-15",
        "12",
        "2026-03-14",
        "2028-03-31",
    ]
    return xlsx_response("import-template", importing.TEMPLATE_HEADERS, [example])


def _batch(request, pk) -> ImportBatch:
    batch = get_scoped_or_404(
        ImportBatch.objects.select_related("store"), request.user, "customers.import_customer", pk=pk
    )
    if batch.created_by_id != request.user.pk:
        raise Http404
    return batch


@login_required
def import_preview(request: HttpRequest, pk: int) -> HttpResponse:
    batch = _batch(request, pk)
    return render(request, "customers/import_preview.html", {"batch": batch, "sample": batch.rows[:20]})


@login_required
@require_POST
def import_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    batch = _batch(request, pk)
    try:
        batch = importing.import_confirm(actor=request.user, batch=batch)
        messages.success(
            request,
            _("Imported %(customers)d customers and %(vehicles)d vehicles.")
            % {"customers": batch.customers_created, "vehicles": batch.vehicles_created},
        )
        return redirect("customers:customer_list")
    except (ApplicationError, ValidationError) as error:
        messages.error(request, getattr(error, "message", str(error)))
        return redirect("customers:import_preview", pk=batch.pk)
