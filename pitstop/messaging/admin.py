from django import forms
from django.contrib import admin

from pitstop.core.admin import AuditedAdmin
from pitstop.core.exceptions import ApplicationError

from .kinds import get_kind, kind_choices
from .models import MessageEvent, MessageTemplate, OutboundMessage
from .services import TEMPLATE_FIELDS, clean_template_body


class MessageTemplateAdminForm(forms.ModelForm):
    """The same checks as the template page: a known kind, known placeholders."""

    kind = forms.ChoiceField(choices=kind_choices)

    class Meta:
        model = MessageTemplate
        fields = ["store", *TEMPLATE_FIELDS]

    def clean(self):
        data = super().clean()
        kind = get_kind(data.get("kind", ""))
        if kind is not None and data.get("body"):
            try:
                data["body"] = clean_template_body(kind, data["body"])
            except ApplicationError as error:
                self.add_error("body", str(error.message))
        return data


@admin.register(MessageTemplate)
class MessageTemplateAdmin(AuditedAdmin):
    form = MessageTemplateAdminForm
    audit_fields = TEMPLATE_FIELDS
    list_display = ["kind", "store", "channel", "is_active", "updated_at"]
    list_filter = ["kind", "store", "is_active"]
    fields = ["store", *TEMPLATE_FIELDS]


class MessageEventInline(admin.TabularInline):
    model = MessageEvent
    extra = 0
    can_delete = False
    fields = readonly_fields = ["at", "actor", "from_status", "to_status", "note"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(OutboundMessage)
class OutboundMessageAdmin(admin.ModelAdmin):
    """The record of what was sent: read only."""

    list_display = ["created_at", "store", "kind", "to_masked", "status", "attempts", "sent_at"]
    list_filter = ["status", "kind", "store"]
    date_hierarchy = "created_at"
    exclude = ["to"]
    readonly_fields = [
        "store",
        "kind",
        "channel",
        "to_masked",
        "customer",
        "vehicle",
        "body",
        "status",
        "attempts",
        "error",
        "sent_at",
        "gateway_id",
        "reference_type",
        "reference_id",
        "reference_no",
        "created_by",
    ]
    inlines = [MessageEventInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
