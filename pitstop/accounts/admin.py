from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from pitstop.core.admin import AuditedAdmin
from pitstop.core.audit import audit_record

from .models import Membership, Role, Store, User
from .services import USER_AUDIT_FIELDS, store_roles


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["store"]


@admin.register(User)
class UserAdmin(AuditedAdmin, BaseUserAdmin):
    audit_fields = USER_AUDIT_FIELDS + ["groups"]
    audit_sensitive = frozenset({"mobile"})
    inlines = [MembershipInline]
    list_display = ["username", "full_name", "is_active", "last_login"]
    search_fields = ["username", "full_name", "mobile"]
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Person"), {"fields": ("full_name", "mobile", "email", "language")}),
        (_("Access"), {"fields": ("is_active", "is_staff", "is_superuser")}),
    )

    def get_readonly_fields(self, request, obj=None):
        # Only a superuser makes another superuser; an administrator role cannot.
        readonly = list(super().get_readonly_fields(request, obj))
        return readonly if request.user.is_superuser else [*readonly, "is_superuser"]

    def save_formset(self, request, form, formset, change):
        """Store access edited on the user's page is a grant or revoke: recorded as one."""
        if formset.model is not Membership:
            return super().save_formset(request, form, formset, change)
        before = store_roles(form.instance)
        super().save_formset(request, form, formset, change)
        after = store_roles(form.instance)
        if before != after:
            action = "revoke" if set(after) < set(before) else "grant"
            audit_record(
                actor=request.user,
                instance=form.instance,
                action=action,
                before=before,
                after=after,
                note="admin",
            )

    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("username", "full_name", "password1", "password2")}),
    )


@admin.register(Role)
class RoleAdmin(AuditedAdmin):
    audit_fields = ["code", "name", "all_stores", "permissions"]
    list_display = ["code", "__str__", "all_stores"]
    filter_horizontal = ["permissions"]
    fields = ["code", "name", "all_stores", "permissions"]


@admin.register(Store)
class StoreAdmin(AuditedAdmin):
    audit_fields = ["code", "name", "is_headquarters", "address", "phone", "is_active"]
    list_display = ["code", "name", "is_headquarters", "is_active"]
    search_fields = ["code", "name"]
    fields = audit_fields
