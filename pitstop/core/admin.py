from django.contrib import admin

from .audit import audit_record, snapshot
from .models import AuditEntry


class AuditedAdmin(admin.ModelAdmin):
    """Changes made in the admin land in the audit trail like any other change.

    `audit_fields` lists what to record; many-to-many fields (a role's permissions) are read
    after save_related, when they hold their new value."""

    audit_fields: list[str] = []
    audit_sensitive: frozenset[str] = frozenset()

    def _snap(self, obj):
        return snapshot(obj, self.audit_fields, sensitive=self.audit_sensitive)

    def save_model(self, request, obj, form, change):
        obj._audit_before = self._snap(type(obj).objects.get(pk=obj.pk)) if change and obj.pk else {}
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        obj = form.instance
        audit_record(
            actor=request.user,
            instance=obj,
            action="update" if change else "create",
            before=getattr(obj, "_audit_before", {}),
            after=self._snap(obj),
            note="admin",
        )


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ["at", "actor", "store", "action", "content_type", "object_repr"]
    list_filter = ["action", "content_type", "store"]
    search_fields = ["object_repr", "actor__username"]
    date_hierarchy = "at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
