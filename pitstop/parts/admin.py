from django.contrib import admin

from pitstop.core.admin import AuditedAdmin

from .models import Bin, Part, PartCategory, PartPrice, Supplier, Warehouse
from .services import PART_FIELDS


class BinInline(admin.TabularInline):
    model = Bin
    fields = ["code", "note"]
    extra = 0


class PartPriceInline(admin.TabularInline):
    model = PartPrice
    fields = ["price_type", "price"]
    extra = 0


@admin.register(PartCategory)
class PartCategoryAdmin(AuditedAdmin):
    audit_fields = ["code", "name", "parent"]
    fields = audit_fields
    list_display = ["code", "__str__"]


@admin.register(Warehouse)
class WarehouseAdmin(AuditedAdmin):
    audit_fields = ["store", "code", "name", "kind", "is_active"]
    fields = audit_fields
    list_display = ["store", "code", "name", "kind", "is_active"]
    list_filter = ["store", "kind"]
    inlines = [BinInline]


@admin.register(Supplier)
class SupplierAdmin(AuditedAdmin):
    audit_fields = [
        "code",
        "name",
        "contact",
        "phone",
        "email",
        "address",
        "tax_number",
        "bank_account",
        "payment_terms_days",
        "lead_time_days",
        "is_active",
    ]
    fields = audit_fields
    list_display = ["code", "name", "contact", "phone", "payment_terms_days", "is_active"]
    search_fields = ["code", "name"]


@admin.register(Part)
class PartAdmin(AuditedAdmin):
    audit_fields = PART_FIELDS
    fields = audit_fields
    list_display = ["code", "name", "brand", "unit", "sale_price", "is_active"]
    search_fields = ["code", "name", "barcode"]
    list_filter = ["quality", "origin", "category"]
    inlines = [PartPriceInline]

    def save_model(self, request, obj, form, change):
        from pitstop.core.text import pinyin_initials

        obj.name_initials = pinyin_initials(obj.name)
        super().save_model(request, obj, form, change)
