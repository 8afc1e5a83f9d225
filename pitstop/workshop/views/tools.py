"""Tools and equipment (F-4.7): the store's list with maintenance due, add and edit, lend to a
technician (for a job or not), take back with damage noted, the history of loans."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from pitstop.core.exceptions import ApplicationError
from pitstop.core.forms import BootstrapMixin
from pitstop.core.htmx import render_page
from pitstop.core.scoping import get_scoped_or_404, has_perm_in_store, require_perm_somewhere

from .. import tools as services
from ..checks import store_staff
from ..models import Tool

Status = Tool.Status
STATUS_CSS = {
    Status.AVAILABLE: "text-bg-success",
    Status.LENT: "text-bg-primary",
    Status.REPAIR: "text-bg-warning",
    Status.RETIRED: "text-bg-light border",
}


def _store(request: HttpRequest, perm: str = services.VIEW):
    require_perm_somewhere(request.user, perm)
    if request.store is None or not has_perm_in_store(request.user, perm, request.store.pk):
        raise PermissionDenied
    return request.store


def _may(request: HttpRequest, perm: str, store_id: int) -> bool:
    return has_perm_in_store(request.user, perm, store_id)


class ToolForm(BootstrapMixin, forms.Form):
    code = forms.CharField(label=gettext_lazy("Code"), max_length=30)
    name = forms.CharField(label=gettext_lazy("Name"), max_length=100)
    status = forms.ChoiceField(
        label=gettext_lazy("Status"),
        choices=[(s, label) for s, label in Status.choices if s != Status.LENT],
        initial=Status.AVAILABLE,
    )
    maintenance_due = forms.DateField(
        label=gettext_lazy("Maintenance due"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    note = forms.CharField(label=gettext_lazy("Notes"), max_length=200, required=False)


def _save(request: HttpRequest, form: ToolForm, store, tool: Tool | None):
    cd = form.cleaned_data
    try:
        return services.tool_save(
            actor=request.user,
            store=store,
            tool=tool,
            code=cd["code"],
            name=cd["name"],
            status=cd["status"] if not (tool and tool.status == Status.LENT) else None,
            maintenance_due=cd["maintenance_due"],
            note=cd["note"],
        )
    except ApplicationError as error:
        form.add_error(error.field if error.field in form.fields else None, str(error.message))
        return None


@login_required
def tool_list(request: HttpRequest) -> HttpResponse:
    """The store's tools: code, name, status, who has it, maintenance due (overdue in red)."""
    store = _store(request)
    today = timezone.localdate()
    rows = [
        {
            "tool": tool,
            "loan": services.open_loan(tool),
            "maintenance": services.maintenance_state(tool, today),
            "css": STATUS_CSS.get(tool.status, ""),
        }
        for tool in services.tools_for(request.user, store).order_by("code")
    ]
    status = request.GET.get("status", "")
    if status in Status.values:
        rows = [row for row in rows if row["tool"].status == status]
    elif status == "maintenance":
        rows = [row for row in rows if row["maintenance"]]
    context = {
        "rows": rows,
        "status": status,
        "statuses": Status.choices,
        "overdue": sum(1 for row in rows if row["maintenance"] == "overdue"),
        "may_add": _may(request, services.ADD, store.pk),
    }
    return render_page(request, "workshop/tools/list.html", context, partials=("tool-table",))


@login_required
def tool_create(request: HttpRequest) -> HttpResponse:
    store = _store(request, services.ADD)
    form = ToolForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            tool = _save(request, form, store, None)
            if tool is not None:
                messages.success(request, _("%(tool)s added.") % {"tool": tool})
                return redirect("workshop:tool_detail", pk=tool.pk)
        return render(request, "workshop/tools/form.html", {"form": form, "tool": None}, status=400)
    return render(request, "workshop/tools/form.html", {"form": form, "tool": None})


def _tool(request: HttpRequest, pk: int) -> Tool:
    return get_scoped_or_404(Tool.objects.select_related("store"), request.user, services.VIEW, pk=pk)


@login_required
def tool_edit(request: HttpRequest, pk: int) -> HttpResponse:
    tool = _tool(request, pk)
    if not _may(request, services.CHANGE, tool.store_id):
        raise PermissionDenied
    initial = {
        "code": tool.code,
        "name": tool.name,
        "status": tool.status if tool.status != Status.LENT else Status.AVAILABLE,
        "maintenance_due": tool.maintenance_due,
        "note": tool.note,
    }
    form = ToolForm(request.POST or None, initial=initial)
    if tool.status == Status.LENT:
        form.fields["status"].disabled = True
    if request.method == "POST":
        if form.is_valid() and _save(request, form, tool.store, tool) is not None:
            messages.success(request, _("%(tool)s saved.") % {"tool": tool.code})
            return redirect("workshop:tool_detail", pk=tool.pk)
        return render(request, "workshop/tools/form.html", {"form": form, "tool": tool}, status=400)
    return render(request, "workshop/tools/form.html", {"form": form, "tool": tool})


class LendForm(BootstrapMixin, forms.Form):
    borrower = forms.ModelChoiceField(label=gettext_lazy("Lend to"), queryset=None)
    order = forms.ModelChoiceField(
        label=gettext_lazy("For work order"),
        queryset=None,
        required=False,
        empty_label=gettext_lazy("— none —"),
    )

    def __init__(self, *args, store, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["borrower"].queryset = store_staff(store)
        self.fields["order"].queryset = services.lendable_orders(store).order_by("-id")
        self.fields["order"].label_from_instance = lambda o: f"{o.number} {o.vehicle.plate}"


def _detail_context(request: HttpRequest, tool: Tool, lend_form=None, return_error: str = "") -> dict:
    loan = services.open_loan(tool)
    may_lend = _may(request, services.LEND, tool.store_id)
    return {
        "tool": tool,
        "loan": loan,
        "loans": list(tool.loans.select_related("borrower", "order", "lent_by")[:100]),
        "maintenance": services.maintenance_state(tool),
        "status_css": STATUS_CSS.get(tool.status, ""),
        "may_change": _may(request, services.CHANGE, tool.store_id),
        "may_lend": may_lend and tool.status == Status.AVAILABLE,
        "may_return": loan is not None and any(_may(request, p, tool.store_id) for p in services.RETURN),
        "lend_form": lend_form or LendForm(store=tool.store),
        "return_error": return_error,
    }


@login_required
def tool_detail(request: HttpRequest, pk: int) -> HttpResponse:
    tool = _tool(request, pk)
    return render(request, "workshop/tools/detail.html", _detail_context(request, tool))


@login_required
@require_POST
def tool_lend(request: HttpRequest, pk: int) -> HttpResponse:
    tool = _tool(request, pk)
    if not _may(request, services.LEND, tool.store_id):
        raise PermissionDenied
    form = LendForm(request.POST, store=tool.store)
    if form.is_valid():
        try:
            loan = services.tool_lend(
                actor=request.user,
                tool=tool,
                borrower=form.cleaned_data["borrower"],
                order=form.cleaned_data["order"],
            )
        except ApplicationError as error:
            form.add_error(error.field if error.field in form.fields else None, str(error.message))
        else:
            messages.success(
                request, _("%(tool)s lent to %(person)s.") % {"tool": tool, "person": loan.borrower}
            )
            return redirect("workshop:tool_detail", pk=tool.pk)
    tool.refresh_from_db()
    return render(
        request, "workshop/tools/detail.html", _detail_context(request, tool, lend_form=form), status=400
    )


@login_required
@require_POST
def tool_return(request: HttpRequest, pk: int) -> HttpResponse:
    tool = _tool(request, pk)
    if not any(_may(request, perm, tool.store_id) for perm in services.RETURN):
        raise PermissionDenied
    try:
        loan = services.tool_return(actor=request.user, tool=tool, damage=request.POST.get("damage", ""))
    except ApplicationError as error:
        tool.refresh_from_db()
        context = _detail_context(request, tool, return_error=str(error.message))
        return render(request, "workshop/tools/detail.html", context, status=400)
    if loan.damage:
        messages.warning(request, _("%(tool)s returned damaged: sent to repair.") % {"tool": tool})
    else:
        messages.success(request, _("%(tool)s returned.") % {"tool": tool})
    return redirect("workshop:tool_detail", pk=tool.pk)


urlpatterns = [
    path("workshop/tools/", tool_list, name="tools"),
    path("workshop/tools/new/", tool_create, name="tool_new"),
    path("workshop/tools/<int:pk>/", tool_detail, name="tool_detail"),
    path("workshop/tools/<int:pk>/edit/", tool_edit, name="tool_edit"),
    path("workshop/tools/<int:pk>/lend/", tool_lend, name="tool_lend"),
    path("workshop/tools/<int:pk>/return/", tool_return, name="tool_return"),
]
