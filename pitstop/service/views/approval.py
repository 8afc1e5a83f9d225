"""The owner's add-on approval link (public, by token) and the advisor's side of it (B-2, F-4.3).

The advisor's page lists the add-on work found in the workshop by finding, with photos, price
after discount and extra time; sends the owner the link by SMS; records a decision told on the
phone or at the desk; prints the add-on sheet (维修追加项目单) for the owner to sign.

The owner's page needs no login: the token in the link is the key. It opens only while the
order is open, shows only that order's add-on work and the photos of its findings, and takes a
decision once per line. Decisions are rate-limited per token."""

import mimetypes

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from pitstop.core.exceptions import ApplicationError
from pitstop.core.forms import BootstrapMixin
from pitstop.core.scoping import has_perm_in_store
from pitstop.core.text import mask_identifier
from pitstop.messaging.selectors import messages_for

from .. import approval as services
from ..models import Approval, ApprovalVia, OrderPhoto
from ..orders import CHANGE, VIEW, order_detail

# The owner's page: at most this many decisions per link in the window (a person decides a
# handful of items; a script hammering the link is stopped).
DECISIONS_PER_WINDOW = 30
WINDOW_SECONDS = 600


def _order_for_change(request: HttpRequest, pk: int):
    """The order if the user sees it (404 for another store's), 403 without the right to
    change orders in its store."""
    order = order_detail(user=request.user, pk=pk, perm=VIEW)
    if not has_perm_in_store(request.user, CHANGE, order.store_id):
        raise PermissionDenied
    return order


# --- the advisor's side --------------------------------------------------------------------


class PhoneDecisionForm(BootstrapMixin, forms.Form):
    decided_by_name = forms.CharField(label=gettext_lazy("Who decided"), max_length=60)
    via = forms.ChoiceField(
        label=gettext_lazy("How"),
        choices=[
            (ApprovalVia.PHONE, ApprovalVia.PHONE.label),
            (ApprovalVia.IN_PERSON, ApprovalVia.IN_PERSON.label),
        ],
    )
    decided_at = forms.DateTimeField(
        label=gettext_lazy("Decided at"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
    )


def _decision_of(value: str) -> tuple[str, int | None, bool] | None:
    """The pressed button: "labour:12:approve", "part:3:decline" or "all:approve"."""
    bits = (value or "").split(":")
    if len(bits) == 2 and bits[0] == "all" and bits[1] in ("approve", "decline"):
        return "all", None, bits[1] == "approve"
    if (
        len(bits) == 3
        and bits[0] in services.LINE_MODELS
        and bits[1].isdigit()
        and bits[2] in ("approve", "decline")
    ):
        return bits[0], int(bits[1]), bits[2] == "approve"
    return None


def _approval_page(request: HttpRequest, order, form, status: int = 200) -> HttpResponse:
    summary = services.addon_summary(order)
    sent = list(
        messages_for(request.user)
        .filter(reference_type="repair_order", reference_id=order.pk, kind="approval_link")
        .order_by("-id")[:5]
    )
    context = {
        "order": order,
        "summary": summary,
        "form": form,
        "link": services.public_url(order) if order.approval_token and order.is_open else "",
        "sent": sent,
        "mobile": mask_identifier(order.mobile)
        if not has_perm_in_store(request.user, "customers.view_personal_data", order.store_id)
        else order.mobile,
        "new_promised": services.new_promised_time(order, summary),
    }
    return render(request, "service/approval/advisor.html", context, status=status)


def _phone_form(order, data=None) -> PhoneDecisionForm:
    initial = {
        "decided_by_name": order.contact_name,
        "via": ApprovalVia.PHONE,
        "decided_at": timezone.localtime().replace(second=0, microsecond=0),
    }
    return PhoneDecisionForm(data, initial=initial, prefix="phone")


@login_required
def order_approval(request: HttpRequest, pk: int) -> HttpResponse:
    """The add-on work of one order and the owner's decisions on it."""
    order = _order_for_change(request, pk)
    return _approval_page(request, order, _phone_form(order))


@login_required
@require_POST
def order_approval_send(request: HttpRequest, pk: int) -> HttpResponse:
    """A new link to the owner by SMS (the previous link stops working)."""
    order = _order_for_change(request, pk)
    try:
        url = services.approval_link_send(actor=request.user, order=order)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("The link was sent to %(mobile)s: %(url)s")
            % {"mobile": mask_identifier(order.mobile), "url": url},
        )
    return redirect("service:order_approval", pk=order.pk)


@login_required
@require_POST
def order_approval_record(request: HttpRequest, pk: int) -> HttpResponse:
    """A decision the owner told on the phone or at the desk: one line, or all pending ones."""
    order = _order_for_change(request, pk)
    form = _phone_form(order, request.POST)
    decision = _decision_of(request.POST.get("decide", ""))
    if decision is None:
        form.is_valid()
        form.add_error(None, _("Choose an item and approve or decline it."))
        return _approval_page(request, order, form, status=400)
    if not form.is_valid():
        return _approval_page(request, order, form, status=400)
    kind, line_id, approve = decision
    cd = form.cleaned_data
    try:
        if kind == "all":
            count = services.approval_decide_all(
                order=order,
                approve=approve,
                via=cd["via"],
                decided_by_name=cd["decided_by_name"],
                actor=request.user,
                decided_at=cd["decided_at"],
            )
        else:
            services.approval_decide(
                order=order,
                kind=kind,
                line_id=line_id,
                approve=approve,
                via=cd["via"],
                decided_by_name=cd["decided_by_name"],
                actor=request.user,
                decided_at=cd["decided_at"],
            )
            count = 1
    except ApplicationError as error:
        field = error.field if error.field in form.fields else None
        form.add_error(field, str(error.message))
        return _approval_page(request, order, form, status=400)
    messages.success(
        request,
        ngettext(
            "The owner's decision was recorded (%(count)d item).",
            "The owner's decision was recorded (%(count)d items).",
            count,
        )
        % {"count": count},
    )
    return redirect("service:order_approval", pk=order.pk)


@login_required
def addon_print(request: HttpRequest, pk: int) -> HttpResponse:
    """维修追加项目单: the printed add-on sheet, A4, for the owner's signature."""
    order = order_detail(user=request.user, pk=pk, perm=VIEW)
    summary = services.addon_summary(order)
    context = {
        "order": order,
        "summary": summary,
        "new_promised": services.new_promised_time(order, summary),
        "printed_at": timezone.now(),
        "mobile": order.mobile
        if has_perm_in_store(request.user, "customers.view_personal_data", order.store_id)
        else mask_identifier(order.mobile),
    }
    return render(request, "service/approval/print.html", context)


# --- the owner's phone page (public) -------------------------------------------------------


def _public_order(token: str):
    order = services.order_by_token(token)
    if order is None:
        raise Http404
    return order


def _rate_limited(token: str) -> bool:
    key = f"approval-decisions:{token[:64]}"
    cache.add(key, 0, WINDOW_SECONDS)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, WINDOW_SECONDS)
        count = 1
    return count > DECISIONS_PER_WINDOW


@never_cache
def approval_public(request: HttpRequest, token: str) -> HttpResponse:
    """The owner's page: the store, the plate, each add-on item with price, extra time and
    photos, approve or decline each (or all), and the total approved."""
    order = _public_order(token)
    summary = services.addon_summary(order)
    context = {"order": order, "summary": summary, "token": token, "customer": services.addressed_as(order)}
    response = render(request, "service/approval/public.html", context)
    # The token stays out of other sites' logs. Not "no-referrer": with it Chromium posts the
    # form with `Origin: null`, which the CSRF check refuses.
    response["Referrer-Policy"] = "same-origin"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


@never_cache
@require_POST
def approval_public_decide(request: HttpRequest, token: str) -> HttpResponse:
    order = _public_order(token)
    if _rate_limited(token):
        messages.error(
            request, _("Too many attempts. Please wait a few minutes or call the service advisor.")
        )
        return redirect("service:approval_public", token=token)
    decision = _decision_of(request.POST.get("decide", ""))
    if decision is None:
        messages.error(request, _("Choose an item and approve or decline it."))
        return redirect("service:approval_public", token=token)
    kind, line_id, approve = decision
    try:
        if kind == "all":
            count = services.approval_decide_all(order=order, approve=approve, via=ApprovalVia.LINK)
            messages.success(
                request,
                ngettext("Thank you. %(count)d item approved.", "Thank you. %(count)d items approved.", count)
                % {"count": count},
            )
        else:
            line = services.approval_decide(
                order=order, kind=kind, line_id=line_id, approve=approve, via=ApprovalVia.LINK
            )
            if line.approval == Approval.APPROVED:
                messages.success(request, _("Thank you. “%(item)s” is approved.") % {"item": line.name})
            else:
                messages.info(
                    request,
                    _("“%(item)s” is declined. We will remind you of it at your next visit.")
                    % {"item": line.name},
                )
    except ApplicationError as error:
        level = messages.INFO if error.code == "already_decided" else messages.ERROR
        messages.add_message(request, level, error.message)
    return redirect("service:approval_public", token=token)


@never_cache
def approval_photo(request: HttpRequest, token: str, pk: int) -> HttpResponse:
    """A photo of one of the link's findings; nothing else of the order, and 404 for any photo
    of another order or once the link no longer works."""
    order = _public_order(token)
    photo = OrderPhoto.objects.filter(pk=pk, order=order, finding__isnull=False).first()
    if photo is None or not photo.image:
        raise Http404
    try:
        handle = photo.image.open("rb")
    except (FileNotFoundError, OSError):
        raise Http404 from None
    content_type = mimetypes.guess_type(photo.image.name)[0] or "application/octet-stream"
    if not content_type.startswith("image/"):
        raise Http404
    response = FileResponse(handle, content_type=content_type)
    response["Cache-Control"] = "private, max-age=600"
    response["Referrer-Policy"] = "same-origin"
    return response


urlpatterns = [
    path("orders/<int:pk>/approval/", order_approval, name="order_approval"),
    path("orders/<int:pk>/approval/send/", order_approval_send, name="order_approval_send"),
    path("orders/<int:pk>/approval/record/", order_approval_record, name="order_approval_record"),
    path("orders/<int:pk>/addon-sheet/", addon_print, name="addon_print"),
    path("a/<str:token>/", approval_public, name="approval_public"),
    path("a/<str:token>/decide/", approval_public_decide, name="approval_public_decide"),
    path("a/<str:token>/photos/<int:pk>/", approval_photo, name="approval_photo"),
]
