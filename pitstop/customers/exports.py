"""The customer and vehicle lists as Excel files. Exporting needs its permission, only the
stores where the user holds it are exported, phones are masked where the user sees them
masked, and every export is recorded (who, which list, which filters, how many rows)."""

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from pitstop.core.audit import audit_record
from pitstop.core.export import xlsx_response
from pitstop.core.scoping import require_perm_somewhere

from .selectors import PERSONAL

EXPORT = "customers.export_customer"


def _export(request: HttpRequest, *, kind: str, queryset: QuerySet, headers: list, row) -> HttpResponse:
    require_perm_somewhere(request.user, EXPORT)
    rows_qs = queryset.filter(store_id__in=sorted(request.user.store_ids_with(EXPORT)))
    filters = {k: v for k, v in request.GET.items() if k not in ("format", "page") and v}
    audit_record(
        actor=request.user,
        instance=request.user,
        action="export",
        store=request.store,
        after={"list": kind, "rows": rows_qs.count(), **filters},
    )
    full_view = request.user.store_ids_with(PERSONAL)
    return xlsx_response(
        kind, headers, (row(record, record.store_id in full_view) for record in rows_qs.iterator())
    )


def customers_xlsx(request: HttpRequest, customers: QuerySet) -> HttpResponse:
    headers = [
        _("Customer code"),
        _("Customer name"),
        _("Mobile"),
        _("Customer type"),
        _("Tier"),
        _("Vehicles"),
        _("Address"),
        _("Store"),
        _("Created"),
    ]
    return _export(
        request,
        kind="customers",
        queryset=customers,
        headers=headers,
        row=lambda c, full: [
            c.code,
            c.name,
            c.mobile if full else c.mobile_masked,
            c.get_customer_type_display(),
            str(c.tier or ""),
            c.vehicle_count,
            c.address,
            c.store.name,
            c.created_at,
        ],
    )


def vehicles_xlsx(request: HttpRequest, vehicles: QuerySet) -> HttpResponse:
    headers = [
        _("File no."),
        _("Plate"),
        _("VIN"),
        _("Brand"),
        _("Series"),
        _("Model"),
        _("Owner"),
        _("Last mileage (km)"),
        _("Insurance expiry"),
        _("Annual inspection due"),
        _("Store"),
    ]
    return _export(
        request,
        kind="vehicles",
        queryset=vehicles,
        headers=headers,
        row=lambda v, full: [
            v.file_no,
            v.plate,
            v.vin,
            v.brand,
            v.series,
            v.model_name,
            v.owner.name,
            v.current_mileage,
            v.insurance_expiry,
            v.inspection_due,
            v.store.name,
        ],
    )
