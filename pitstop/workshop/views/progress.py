"""The advisor's tasks: progress checks, delays, the washing queue and the ready notice (F-4.4, F-4.6).

The tasks page shows the advisor's own open tasks first, then the rest of the store's; a
progress check is closed as "checked, on time", a delay is confirmed with the new finish time
(the owner gets the SMS). The washing queue lists the cars in washing, the longest waiting
first; "washed" makes the order ready and tells the owner."""

import datetime

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from pitstop.core.exceptions import ApplicationError
from pitstop.core.forms import BootstrapMixin
from pitstop.core.htmx import render_page
from pitstop.core.scoping import get_scoped_or_404, has_perm_in_store, require_perm_somewhere
from pitstop.service.models import RepairOrder
from pitstop.service.orders import VIEW as VIEW_ORDER
from pitstop.service.orders import may_move

from .. import progress as services
from ..models import AdvisorTask

Status = RepairOrder.Status


def _store(request: HttpRequest, perm: str):
    """The current store where the user holds `perm`; 403 without one."""
    require_perm_somewhere(request.user, perm)
    if request.store is None or not has_perm_in_store(request.user, perm, request.store.pk):
        raise PermissionDenied
    return request.store


def _task_for_change(request: HttpRequest, pk: int) -> AdvisorTask:
    task = get_scoped_or_404(
        AdvisorTask.objects.select_related("order"),
        request.user,
        services.VIEW_TASK,
        store_field="order__store_id",
        pk=pk,
    )
    if not has_perm_in_store(request.user, services.CHANGE_TASK, task.order.store_id):
        raise PermissionDenied
    return task


class DelayForm(BootstrapMixin, forms.Form):
    new_time = forms.DateTimeField(
        label=gettext_lazy("New finish time"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
    )
    note = forms.CharField(label=gettext_lazy("Reason"), max_length=120, required=False)


def _suggested_time(task: AdvisorTask) -> datetime.datetime:
    """The form's first guess for a new finish time: an hour after the promised (or now)."""
    base = max(filter(None, [task.order.promised_at, timezone.now()]))
    return timezone.localtime(base + datetime.timedelta(hours=1)).replace(second=0, microsecond=0)


def _tasks_page(
    request: HttpRequest, store, *, errors: dict | None = None, status: int = 200
) -> HttpResponse:
    tasks = services.open_tasks(user=request.user, store=store)
    errors = errors or {}
    rows = []
    for task in tasks:
        form = errors.get(task.pk) or DelayForm(
            prefix=f"t{task.pk}", initial={"new_time": _suggested_time(task)}
        )
        rows.append({"task": task, "form": form, "mine": task.order.advisor_id == request.user.pk})
    context = {
        "rows": rows,
        "mine_count": sum(1 for row in rows if row["mine"]),
        "may_change": has_perm_in_store(request.user, services.CHANGE_TASK, store.pk),
        "now": timezone.now(),
        "share": int(services.check_share() * 100),
    }
    return render_page(
        request, "workshop/progress/tasks.html", context, partials=("task-list",), status=status
    )


@login_required
def advisor_tasks(request: HttpRequest) -> HttpResponse:
    store = _store(request, services.VIEW_TASK)
    return _tasks_page(request, store)


@login_required
@require_POST
def advisor_tasks_refresh(request: HttpRequest) -> HttpResponse:
    """Raise the tasks that are due now for this store (the scheduler does it every few
    minutes; this is for a shop without one)."""
    store = _store(request, services.CHANGE_TASK)
    raised = services.raise_progress_tasks(store=store)
    messages.info(
        request, ngettext("%(count)d new task.", "%(count)d new tasks.", raised) % {"count": raised}
    )
    return redirect("workshop:advisor_tasks")


@login_required
@require_POST
def task_done(request: HttpRequest, pk: int) -> HttpResponse:
    task = _task_for_change(request, pk)
    try:
        services.task_done(actor=request.user, task=task, outcome=request.POST.get("outcome", "")[:200])
        messages.success(request, _("%(number)s: checked, on time.") % {"number": task.order.number})
    except ApplicationError as error:
        messages.error(request, error.message)
    return redirect("workshop:advisor_tasks")


@login_required
@require_POST
def task_delay(request: HttpRequest, pk: int) -> HttpResponse:
    """Confirm a delay: the new finish time, the owner told by SMS."""
    task = _task_for_change(request, pk)
    form = DelayForm(request.POST, prefix=f"t{task.pk}")
    if form.is_valid():
        try:
            services.delay_confirm(
                actor=request.user,
                task=task,
                new_time=form.cleaned_data["new_time"],
                note=form.cleaned_data["note"],
            )
        except ApplicationError as error:
            form.add_error("new_time" if error.field == "new_time" else None, str(error.message))
        else:
            messages.success(
                request,
                _("%(number)s: the owner was told the new finish time %(time)s.")
                % {"number": task.order.number, "time": services.format_time(form.cleaned_data["new_time"])},
            )
            return redirect("workshop:advisor_tasks")
    return _tasks_page(request, task.order.store, errors={task.pk: form}, status=400)


# --- washing -------------------------------------------------------------------------------


@login_required
def washing(request: HttpRequest) -> HttpResponse:
    store = _store(request, VIEW_ORDER)
    orders = list(services.washing_queue(user=request.user, store=store)[:200])
    for order in orders:
        order.may_finish = may_move(request.user, order, Status.READY)
    context = {"orders": orders, "now": timezone.now()}
    return render_page(request, "workshop/progress/washing.html", context, partials=("washing-list",))


@login_required
@require_POST
def washing_done(request: HttpRequest, pk: int) -> HttpResponse:
    order = get_scoped_or_404(RepairOrder.objects.select_related("vehicle"), request.user, VIEW_ORDER, pk=pk)
    if not may_move(request.user, order, Status.READY):
        raise PermissionDenied
    try:
        order = services.washing_done(actor=request.user, order=order)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        if order.ready_notice_at:
            messages.success(
                request,
                _("%(plate)s is ready; the owner has been told.") % {"plate": order.vehicle.plate},
            )
        else:
            messages.warning(
                request,
                _("%(plate)s is ready, but the owner could not be told by SMS: call them.")
                % {"plate": order.vehicle.plate},
            )
    return redirect("workshop:washing")


urlpatterns = [
    path("workshop/tasks/", advisor_tasks, name="advisor_tasks"),
    path("workshop/tasks/refresh/", advisor_tasks_refresh, name="advisor_tasks_refresh"),
    path("workshop/tasks/<int:pk>/done/", task_done, name="task_done"),
    path("workshop/tasks/<int:pk>/delay/", task_delay, name="task_delay"),
    path("workshop/washing/", washing, name="washing"),
    path("workshop/washing/<int:pk>/done/", washing_done, name="washing_done"),
]
