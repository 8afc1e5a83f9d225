from django.contrib import admin

from pitstop.core.admin import AuditedAdmin

from .catalogue import OPERATION_FIELDS
from .models import (
    Bay,
    CannedJob,
    CannedJobLine,
    LabourOperation,
    LabourRate,
    MaintenancePlan,
    MaintenancePlanItem,
    WorkshopSettings,
)
from .setup import SETTINGS_FIELDS


@admin.register(WorkshopSettings)
class WorkshopSettingsAdmin(AuditedAdmin):
    audit_fields = ["store", *SETTINGS_FIELDS]
    fields = audit_fields
    list_display = ["store", "opens_at", "closes_at", "slot_minutes", "labour_rate", "online_booking"]


@admin.register(Bay)
class BayAdmin(AuditedAdmin):
    audit_fields = ["store", "bay_type", "name", "is_active"]
    fields = audit_fields
    list_display = audit_fields
    list_filter = ["store", "bay_type", "is_active"]


@admin.register(LabourOperation)
class LabourOperationAdmin(AuditedAdmin):
    audit_fields = OPERATION_FIELDS
    fields = audit_fields
    list_display = ["code", "name", "system", "bay_type", "standard_hours", "fixed_price", "is_active"]
    list_filter = ["bay_type", "basis", "is_active"]
    search_fields = ["code", "name", "name_initials", "system", "symptom"]

    def save_model(self, request, obj, form, change):
        from pitstop.core.text import pinyin_initials

        obj.name_initials = pinyin_initials(obj.name)
        super().save_model(request, obj, form, change)


@admin.register(LabourRate)
class LabourRateAdmin(AuditedAdmin):
    audit_fields = ["store", "bay_type", "rate"]
    fields = audit_fields
    list_display = audit_fields
    list_filter = ["store"]


class CannedJobLineInline(admin.TabularInline):
    model = CannedJobLine
    fields = ["labour", "part", "quantity", "position"]
    autocomplete_fields = ["labour"]
    raw_id_fields = ["part"]
    extra = 0


@admin.register(CannedJob)
class CannedJobAdmin(AuditedAdmin):
    audit_fields = ["store", "code", "name", "description", "is_active"]
    fields = audit_fields
    list_display = ["code", "name", "store", "is_active"]
    list_filter = ["store", "is_active"]
    search_fields = ["code", "name"]
    inlines = [CannedJobLineInline]


class MaintenancePlanItemInline(admin.TabularInline):
    model = MaintenancePlanItem
    fields = ["job", "every_km", "every_months"]
    extra = 0


@admin.register(MaintenancePlan)
class MaintenancePlanAdmin(AuditedAdmin):
    audit_fields = ["brand", "series", "name", "is_active"]
    fields = audit_fields
    list_display = audit_fields
    inlines = [MaintenancePlanItemInline]
