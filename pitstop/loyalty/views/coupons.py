"""The store's coupons (F-7.5): the list with its status filter, issuing a batch (or one to a
customer), voiding an unused coupon."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from pitstop.core.exceptions import ApplicationError
from pitstop.core.htmx import render_page
from pitstop.core.scoping import require_perm_somewhere

from .. import selectors as sel
from .. import services
from ..forms import IssueCouponForm
from ..models import Coupon
from .common import may, require_in_store, show_error, working_store


@login_required
def coupon_list(request: HttpRequest) -> HttpResponse:
    require_perm_somewhere(request.user, sel.VIEW_COUPON)
    status = request.GET.get("status", "")
    if status not in Coupon.Status.values and status != sel.EXPIRED:
        status = ""
    query = request.GET.get("q", "").strip()
    batch = request.GET.get("batch", "").strip()
    today = timezone.localdate()
    rows = sel.coupon_list(
        user=request.user, store=request.store, status=status, query=query, batch=batch, today=today
    )
    store = request.store
    context = {
        "page": Paginator(rows, 50).get_page(request.GET.get("page")),
        "status": status,
        "statuses": [*Coupon.Status.choices, (sel.EXPIRED, _("expired, unused"))],
        "q": query,
        "batch": batch,
        "today": today,
        "may_issue": store is not None and may(request.user, sel.ADD_COUPON, store.pk),
        "void_stores": request.user.store_ids_with(sel.VOID_COUPON),
    }
    return render_page(request, "loyalty/coupons.html", context, partials=("coupon-table",))


@login_required
def coupon_issue(request: HttpRequest) -> HttpResponse:
    """A batch of bearer coupons (printed or handed out), or one to a customer found by code
    or mobile. One batch number for all, to find them again."""
    store = working_store(request, sel.ADD_COUPON)
    if store is None:
        messages.error(request, _("Choose a store in the store switcher first."))
        return redirect("loyalty:coupon_list")
    form = IssueCouponForm(request.POST or None, store=store, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if data.get("customer"):
                coupons = services.coupons_issue(
                    actor=request.user, coupon_type=data["coupon_type"], customers=[data["customer"]]
                )
            else:
                coupons = services.coupons_issue(
                    actor=request.user, coupon_type=data["coupon_type"], count=data["count"]
                )
            messages.success(
                request,
                _("%(n)s coupons issued, batch %(batch)s.")
                % {"n": len(coupons), "batch": coupons[0].batch_no},
            )
            return redirect(f"{reverse('loyalty:coupon_list')}?batch={coupons[0].batch_no}")
        except ApplicationError as error:
            show_error(form, error)
    return render(
        request,
        "loyalty/coupon_issue.html",
        {"form": form, "store": store},
        status=400 if form.is_bound and form.errors else 200,
    )


@login_required
@require_POST
def coupon_void(request: HttpRequest, pk: int) -> HttpResponse:
    require_perm_somewhere(request.user, sel.VIEW_COUPON)
    coupon = sel.coupon_for(user=request.user, pk=pk)
    require_in_store(request.user, sel.VOID_COUPON, coupon.store_id)
    try:
        services.coupon_void(actor=request.user, coupon=coupon)
        messages.success(request, _("Coupon %(code)s voided.") % {"code": coupon.code})
    except ApplicationError as error:
        messages.error(request, error.message)
    back = request.POST.get("next", "")
    if back and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        return redirect(back)
    return redirect("loyalty:coupon_list")


urlpatterns = [
    path("loyalty/coupons/", coupon_list, name="coupon_list"),
    path("loyalty/coupons/issue/", coupon_issue, name="coupon_issue"),
    path("loyalty/coupons/<int:pk>/void/", coupon_void, name="coupon_void"),
]
