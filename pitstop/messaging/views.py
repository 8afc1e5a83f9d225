"""Outbox and template pages. Thin: parse, call a selector or a service, render."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from pitstop.core.audit import audit_for, labelled_changes
from pitstop.core.exceptions import ApplicationError
from pitstop.core.forms import BootstrapMixin
from pitstop.core.htmx import render_page
from pitstop.core.scoping import has_perm_in_store, permitted_store_ids, require_perm_somewhere

from . import selectors, services
from .gateways import get_gateway
from .kinds import PLACEHOLDERS, SAMPLE, get_kind, kind_choices
from .models import MessageTemplate, OutboundMessage

Status = OutboundMessage.Status


# --- outbox ----------------------------------------------------------------------------------


class OutboxFilter(BootstrapMixin, forms.Form):
    q = forms.CharField(label=gettext_lazy("Plate or mobile tail"), required=False, max_length=20)
    status = forms.ChoiceField(label=gettext_lazy("Status"), required=False)
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), required=False)
    date_from = forms.DateField(
        label=gettext_lazy("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=gettext_lazy("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", _("All statuses")), *Status.choices]
        self.fields["kind"].choices = [("", _("All kinds")), *kind_choices()]
        for field in self.fields.values():
            css = field.widget.attrs["class"]
            field.widget.attrs["class"] = f"{css} {css}-sm"


def _shown(user, rows) -> list:
    """Each message with the number as this user may see it: in full where they hold
    "see full phone and ID numbers" in the message's store, masked elsewhere."""
    full = selectors.full_numbers_in(user)
    for message in rows:
        message.to_shown = message.to if message.store_id in full else message.to_masked
    return rows


@login_required
def outbox(request: HttpRequest) -> HttpResponse:
    require_perm_somewhere(request.user, selectors.VIEW_MESSAGE)
    form = OutboxFilter(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    messages_ = selectors.outbox(
        user=request.user,
        store=request.store,
        status=filters.get("status", ""),
        kind=filters.get("kind", ""),
        date_from=filters.get("date_from"),
        date_to=filters.get("date_to"),
        query=filters.get("q", ""),
    )
    page = Paginator(messages_, 50).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "rows": _shown(request.user, list(page)),
        "may_resend": permitted_store_ids(request.user, selectors.SEND_MESSAGE),
        "gateway": get_gateway().name,
    }
    return render_page(request, "messaging/outbox.html", context, partials=("outbox-table",))


@login_required
def message_detail(request: HttpRequest, pk: int) -> HttpResponse:
    message = selectors.message_get(user=request.user, pk=pk)
    _shown(request.user, [message])
    context = {
        "message": message,
        "events": selectors.message_events(message),
        "may_resend": has_perm_in_store(request.user, selectors.SEND_MESSAGE, message.store_id),
        "segments": services.sms_segments(message.body),
    }
    return render(request, "messaging/message_detail.html", context)


@login_required
@require_POST
def message_resend(request: HttpRequest, pk: int) -> HttpResponse:
    message = selectors.message_get(user=request.user, pk=pk)
    if not has_perm_in_store(request.user, selectors.SEND_MESSAGE, message.store_id):
        raise PermissionDenied
    try:
        services.message_resend(actor=request.user, message=message)
        message.refresh_from_db()
        messages.success(
            request, _("Message sent again: %(status)s.") % {"status": Status(message.status).label}
        )
    except ApplicationError as error:
        messages.error(request, error.message)
    back = request.POST.get("next", "")
    if back.startswith("/messages/") and "//" not in back:
        return redirect(back)
    return redirect("messaging:message_detail", pk=message.pk)


# --- templates -------------------------------------------------------------------------------


class TemplateForm(BootstrapMixin, forms.Form):
    body = forms.CharField(
        label=gettext_lazy("Text"),
        max_length=services.MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=gettext_lazy("The signature 【…】 is added in front automatically."),
    )
    is_active = forms.BooleanField(
        label=gettext_lazy("Active"),
        required=False,
        initial=True,
        help_text=gettext_lazy("An inactive store template falls back to the chain default."),
    )


def _may_change(user, template: MessageTemplate) -> bool:
    if template.store_id is None:
        return bool(permitted_store_ids(user, selectors.CHAIN_TEMPLATE))
    return has_perm_in_store(user, selectors.CHANGE_TEMPLATE, template.store_id)


@login_required
def template_list(request: HttpRequest) -> HttpResponse:
    require_perm_somewhere(request.user, selectors.VIEW_TEMPLATE)
    store = request.store
    context = {
        "rows": selectors.template_rows(user=request.user, store=store),
        "may_add": store is not None and has_perm_in_store(request.user, selectors.ADD_TEMPLATE, store.pk),
        "may_change_here": store is not None
        and has_perm_in_store(request.user, selectors.CHANGE_TEMPLATE, store.pk),
        "may_change_chain": bool(permitted_store_ids(request.user, selectors.CHAIN_TEMPLATE)),
        "may_change_stores": permitted_store_ids(request.user, selectors.CHANGE_TEMPLATE),
    }
    return render(request, "messaging/template_list.html", context)


def _template_page(request, *, form, kind, store, template, status=200) -> HttpResponse:
    """The editor, with a preview of the text as the customer reads it (sample values)."""
    body = form.data.get("body") if form.is_bound else form.initial.get("body", "")
    preview, problem = "", ""
    try:
        cleaned = services.clean_template_body(kind, body)
        sample_store = store or request.store
        context = dict(SAMPLE)
        if sample_store is not None:
            context["store"] = sample_store.name
        preview = services.render_body(store=sample_store or _SampleStore(), body=cleaned, context=context)
    except ApplicationError as error:
        problem = str(error.message)
    missing = [
        str(PLACEHOLDERS[name])
        for name in ("address", "phone")
        if store is not None and f"{{{name}}}" in (body or "") and not getattr(store, name)
    ]
    context = {
        "form": form,
        "kind": kind,
        "store_gaps": missing,
        "store": store,
        "template": template,
        "placeholders": [(name, PLACEHOLDERS[name]) for name in PLACEHOLDERS if name in kind.placeholders],
        "preview": preview,
        "problem": problem,
        "length": len(preview),
        "segments": services.sms_segments(preview),
        "audit": [{"entry": e, "changes": labelled_changes(e, MessageTemplate)} for e in audit_for(template)]
        if template is not None
        else [],
    }
    return render_page(
        request, "messaging/template_form.html", context, partials=("template-preview",), status=status
    )


class _SampleStore:
    """The preview of a chain default outside any store."""

    pk = None
    name = SAMPLE["store"]
    address = SAMPLE["address"]
    phone = SAMPLE["phone"]


def _is_preview(request: HttpRequest) -> bool:
    return "preview" in request.POST or (request.htmx and request.htmx.target == "template-preview")


@login_required
def template_create(request: HttpRequest) -> HttpResponse:
    """A store's own wording of a kind, starting from the chain default's."""
    store = request.store
    if store is None:
        messages.error(request, _("Choose a store in the store switcher first."))
        return redirect("messaging:template_list")
    if not has_perm_in_store(request.user, selectors.ADD_TEMPLATE, store.pk):
        raise PermissionDenied
    kind = get_kind(request.GET.get("kind", ""))
    if kind is None:
        messages.error(request, _("Choose the kind of message to word."))
        return redirect("messaging:template_list")
    existing = MessageTemplate.objects.filter(store=store, kind=kind.code).first()
    if existing is not None:
        return redirect("messaging:template_edit", pk=existing.pk)
    chain = MessageTemplate.objects.filter(store__isnull=True, kind=kind.code).first()
    form = TemplateForm(
        request.POST or None, initial={"body": chain.body if chain else kind.default_body, "is_active": True}
    )
    if request.method == "POST" and not _is_preview(request) and form.is_valid():
        try:
            services.template_save(
                actor=request.user,
                store=store,
                kind=kind.code,
                body=form.cleaned_data["body"],
                is_active=form.cleaned_data["is_active"],
            )
            messages.success(request, _("Template saved."))
            return redirect("messaging:template_list")
        except ApplicationError as error:
            form.add_error(error.field if error.field in form.fields else None, str(error.message))
    status = 400 if request.method == "POST" and form.errors else 200
    return _template_page(request, form=form, kind=kind, store=store, template=None, status=status)


@login_required
def template_edit(request: HttpRequest, pk: int) -> HttpResponse:
    template = selectors.template_get(user=request.user, pk=pk)
    if not _may_change(request.user, template):
        raise PermissionDenied
    kind = get_kind(template.kind)
    if kind is None:  # a kind whose app was removed: nothing to word any more
        raise PermissionDenied
    form = TemplateForm(
        request.POST or None, initial={"body": template.body, "is_active": template.is_active}
    )
    if request.method == "POST" and not _is_preview(request) and form.is_valid():
        try:
            services.template_save(
                actor=request.user,
                store=template.store,
                kind=template.kind,
                body=form.cleaned_data["body"],
                is_active=form.cleaned_data["is_active"],
                template=template,
            )
            messages.success(request, _("Template saved."))
            return redirect("messaging:template_list")
        except ApplicationError as error:
            form.add_error(error.field if error.field in form.fields else None, str(error.message))
    status = 400 if request.method == "POST" and form.errors else 200
    return _template_page(
        request, form=form, kind=kind, store=template.store, template=template, status=status
    )
