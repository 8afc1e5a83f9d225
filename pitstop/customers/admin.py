from django.contrib import admin

from pitstop.core.admin import AuditedAdmin

from .models import CustomerTier
from .services import TIER_FIELDS


@admin.register(CustomerTier)
class CustomerTierAdmin(AuditedAdmin):
    audit_fields = TIER_FIELDS
    list_display = ["store", "code", "name", "labour_discount_pct", "parts_discount_pct"]
    list_filter = ["store"]
    fields = ["store", *TIER_FIELDS]
