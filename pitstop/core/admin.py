from django.contrib import admin
from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _

from .audit import audit_for, audit_record, labelled_changes, snapshot
from .models import AuditEntry


class AuditedAdmin(admin.ModelAdmin):
    """Changes made in the admin land in the audit trail like any other change.

    `audit_fields` lists what to record; many-to-many fields (a role's permissions) are read
    after save_related, when they hold their new value."""

    audit_fields: list[str] = []
    audit_sensitive: frozenset[str] = frozenset()

    def get_readonly_fields(self, request, obj=None):
        return (
            [*super().get_readonly_fields(request, obj), "change_history"]
            if obj
            else super().get_readonly_fields(request, obj)
        )

    def get_fields(self, request, obj=None):
        fields = list(super().get_fields(request, obj))
        return [*fields, "change_history"] if obj and "change_history" not in fields else fields

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj and not any("change_history" in options.get("fields", ()) for _name, options in fieldsets):
            fieldsets = [*fieldsets, (_("Change history"), {"fields": ["change_history"]})]
        return fieldsets

    @admin.display(description=_("Change history"))
    def change_history(self, obj):
        rows = [{"entry": e, "changes": labelled_changes(e, type(obj))} for e in audit_for(obj)]
        return render_to_string("_audit.html", {"audit": rows})

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
