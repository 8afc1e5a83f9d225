"""Read-only views of the loyalty records: every change goes through the services, so the
admin may look but never add, change or delete (ledgers are only ever inserted)."""

from django.contrib import admin

from . import models


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(models.Membership)
class MembershipAdmin(ReadOnlyAdmin):
    list_display = ["card_no", "customer", "tier", "status", "joined_on", "expires_on", "store"]
    list_filter = ["store", "status", "tier"]
    search_fields = ["card_no", "customer__name", "customer__mobile"]


@admin.register(models.TopUpRule)
class TopUpRuleAdmin(ReadOnlyAdmin):
    list_display = ["store", "name", "pay_at_least", "bonus", "valid_from", "valid_until", "is_active"]
    list_filter = ["store", "is_active"]


@admin.register(models.StoredValueAccount)
class StoredValueAccountAdmin(ReadOnlyAdmin):
    list_display = ["customer", "store", "principal", "bonus"]
    list_filter = ["store"]
    search_fields = ["customer__name", "customer__mobile"]


@admin.register(models.StoredValueEntry)
class StoredValueEntryAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "account",
        "kind",
        "principal",
        "bonus",
        "principal_after",
        "bonus_after",
        "reference_no",
    ]
    list_filter = ["store", "kind"]


@admin.register(models.PointsRule)
class PointsRuleAdmin(ReadOnlyAdmin):
    list_display = ["store", "line_kind", "points_per_yuan", "is_active"]
    list_filter = ["store"]


@admin.register(models.PointsSettings)
class PointsSettingsAdmin(ReadOnlyAdmin):
    list_display = ["store", "points_per_yuan", "expiry_months"]


@admin.register(models.PointsAccount)
class PointsAccountAdmin(ReadOnlyAdmin):
    list_display = ["customer", "store", "balance"]
    list_filter = ["store"]
    search_fields = ["customer__name", "customer__mobile"]


@admin.register(models.PointsEntry)
class PointsEntryAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "account", "kind", "points", "balance_after", "expires_on", "reference_no"]
    list_filter = ["store", "kind"]


class PackageCardTypeItemInline(admin.TabularInline):
    model = models.PackageCardTypeItem
    extra = 0

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(models.PackageCardType)
class PackageCardTypeAdmin(ReadOnlyAdmin):
    list_display = ["store", "code", "name", "kind", "price", "valid_months", "is_active"]
    list_filter = ["store", "kind"]
    inlines = [PackageCardTypeItemInline]


@admin.register(models.PackageCard)
class PackageCardAdmin(ReadOnlyAdmin):
    list_display = ["card_no", "card_type", "customer", "vehicle", "sold_on", "expires_on", "status"]
    list_filter = ["store", "status"]
    search_fields = ["card_no", "customer__name"]


@admin.register(models.PackageCardEntry)
class PackageCardEntryAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "card", "item", "kind", "count", "remaining_after", "reference_no"]
    list_filter = ["store", "kind"]


@admin.register(models.CouponType)
class CouponTypeAdmin(ReadOnlyAdmin):
    list_display = ["store", "code", "name", "kind", "value", "minimum_spend", "valid_until", "is_active"]
    list_filter = ["store", "kind"]


@admin.register(models.Coupon)
class CouponAdmin(ReadOnlyAdmin):
    list_display = ["code", "coupon_type", "customer", "status", "expires_on", "redeemed_at", "discount"]
    list_filter = ["store", "status"]
    search_fields = ["code", "batch_no"]
