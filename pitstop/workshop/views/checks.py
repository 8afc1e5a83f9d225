"""Quality checks, rework and the completion certificate (F-4.5): the order's checks, the check
form of each stage, the QC queue, rework statistics, the printed QC sheet (质量检验单) and the
completion certificate (机动车维修竣工出厂合格证)."""

import datetime
from decimal import Decimal

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pitstop.core.exceptions import ApplicationError
from pitstop.core.forms import BootstrapMixin
from pitstop.core.htmx import render_page
from pitstop.core.scoping import get_scoped_or_404, has_perm_in_store, require_perm_somewhere
from pitstop.service.models import Approval, RepairOrder

from .. import checks as services
from ..models import QualityCheck

Stage = QualityCheck.Stage
VIEW = services.VIEW


def _order(request: HttpRequest, pk: int) -> RepairOrder:
    return get_scoped_or_404(
        RepairOrder.objects.select_related("store", "vehicle", "customer", "advisor"),
        request.user,
        VIEW,
        pk=pk,
    )


def _store(request: HttpRequest):
    require_perm_somewhere(request.user, VIEW)
    if request.store is None or not has_perm_in_store(request.user, VIEW, request.store.pk):
        raise PermissionDenied
    return request.store


def _stage_rows(order: RepairOrder, progress: services.CheckProgress) -> list[dict]:
    """The steps of the order's checks with done / due, for the progress strip."""
    due = services.next_due(order, progress)
    rows = []
    for stage in services.STAGE_ORDER:
        if stage in services.CERTIFIED_INSPECTIONS and not order.needs_certificate:
            continue
        rows.append(
            {
                "stage": stage,
                "label": services.stage_label(stage),
                "done": progress.stage_done(stage),
                "due": stage == due,
            }
        )
    return rows


def _check_rows(checks: list[QualityCheck]) -> list[dict]:
    rows = []
    for check in checks:
        labels = dict(services.CHECKLISTS.get(check.stage, []))
        items = [(labels.get(code, code), ok) for code, ok in check.results.items()]
        rows.append({"check": check, "label": services.stage_label(check.stage), "items": items})
    return rows


@login_required
def order_checks(request: HttpRequest, pk: int) -> HttpResponse:
    """The order's checks so far with who, when and the result; rework count, certificate no.,
    and the checks this user may record now."""
    order = _order(request, pk)
    checks = services.order_checks(order)
    progress = services.check_progress(order, checks)
    context = {
        "order": order,
        "rows": _check_rows(checks),
        "stages": _stage_rows(order, progress),
        "due": [
            (stage, services.stage_label(stage))
            for stage in services.stages_due(request.user, order, progress)
        ],
        "missing": [services.stage_label(s) for s in progress.missing_inspections],
        "progress": progress,
    }
    return render(request, "workshop/checks/order.html", context)


class CheckForm(BootstrapMixin, forms.Form):
    result = forms.ChoiceField(
        label=gettext_lazy("Result"),
        choices=[("pass", gettext_lazy("Passed")), ("fail", gettext_lazy("Failed"))],
        widget=forms.HiddenInput,
    )
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=300, required=False)
    responsible = forms.ModelChoiceField(label=gettext_lazy("Responsible"), queryset=None, required=False)
    penalty = forms.DecimalField(
        label=gettext_lazy("Penalty (¥)"),
        max_digits=12,
        decimal_places=2,
        min_value=Decimal(0),
        required=False,
    )
    lost_hours = forms.DecimalField(
        label=gettext_lazy("Hours lost"), max_digits=8, decimal_places=2, min_value=Decimal(0), required=False
    )
    note = forms.CharField(label=gettext_lazy("Notes"), max_length=300, required=False)

    def __init__(self, *args, store, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["responsible"].queryset = services.store_staff(store)
        self.fields["responsible"].label_from_instance = lambda user: str(user)


@login_required
def check_form(request: HttpRequest, pk: int, stage: str) -> HttpResponse:
    """One check: the stage's checklist ticked, passed or failed; failing asks for the reason,
    and for the team and final checks the person responsible, the penalty and the hours lost."""
    order = _order(request, pk)
    if stage not in Stage.values:
        raise Http404
    if not services.may_record(request.user, order, stage):
        raise PermissionDenied
    checks = services.order_checks(order)
    progress = services.check_progress(order, checks)
    refusal = services.stage_refusal(order, stage, progress)
    technician = next((c.checked_by for c in reversed(checks) if c.stage == Stage.SELF), None)
    initial = {"responsible": technician.pk if technician else None}
    data = request.POST if request.method == "POST" else None
    form = CheckForm(data, store=order.store, initial=initial)
    ticked = set(request.POST.getlist("item")) if data is not None else set()
    status = 200
    if data is not None:
        status = 400
        if form.is_valid():
            cd = form.cleaned_data
            try:
                check = services.check_record(
                    actor=request.user,
                    order=order,
                    stage=stage,
                    passed=cd["result"] == "pass",
                    results={code: code in ticked for code, _label in services.CHECKLISTS[stage]},
                    reason=cd["reason"],
                    responsible=cd["responsible"],
                    penalty=cd["penalty"] or 0,
                    lost_hours=cd["lost_hours"] or 0,
                    note=cd["note"],
                )
            except ApplicationError as error:
                form.add_error(error.field if error.field in form.fields else None, str(error.message))
            else:
                order.refresh_from_db()
                if check.passed:
                    text = _("%(stage)s passed. The work order is now %(status)s.")
                else:
                    text = _("%(stage)s failed. The work order is now %(status)s.")
                messages.success(
                    request,
                    text
                    % {
                        "stage": services.stage_label(stage),
                        "status": RepairOrder.Status(order.status).label,
                    },
                )
                return redirect("workshop:order_checks", pk=order.pk)
    context = {
        "order": order,
        "stage": stage,
        "stage_label": services.stage_label(stage),
        "items": [(code, label, code in ticked) for code, label in services.CHECKLISTS[stage]],
        "form": form,
        "refusal": refusal,
        "rework_stage": stage in services.REWORK_STAGES,
        "missing": [services.stage_label(s) for s in progress.missing_inspections]
        if stage == Stage.FINAL
        else [],
        "result": (data or {}).get("result", ""),
    }
    return render(request, "workshop/checks/form.html", context, status=status)


@login_required
def qc_queue(request: HttpRequest) -> HttpResponse:
    """Jobs in checking with the stage due, and certified jobs still missing an inspection."""
    store = _store(request)
    queue = [
        {
            "order": order,
            "progress": progress,
            "due": due,
            "due_label": services.stage_label(due) if due else "",
            "may": bool(due) and services.may_record(request.user, order, due),
        }
        for order, progress, due in services.qc_queue(user=request.user, store=store)
    ]
    return render_page(request, "workshop/checks/queue.html", {"queue": queue}, partials=("qc-queue",))


def _day(request: HttpRequest, key: str, default: datetime.date) -> datetime.date:
    try:
        return datetime.date.fromisoformat(request.GET.get(key, ""))
    except ValueError:
        return default


@login_required
def rework_report(request: HttpRequest) -> HttpResponse:
    """Reworks of a period by person responsible and by technician, penalties, hours lost and
    the first-time pass rate."""
    store = _store(request)
    today = timezone.localdate()
    last = _day(request, "to", today)
    first = _day(request, "from", last - datetime.timedelta(days=29))
    if first > last:
        first, last = last, first
    stats = services.rework_stats(user=request.user, store=store, first=first, last=last)
    return render(request, "workshop/checks/rework.html", {"stats": stats, "first": first, "last": last})


def _labour(order: RepairOrder) -> list:
    return list(order.labour_lines.filter(approval=Approval.APPROVED).order_by("position", "id"))


@login_required
def qc_print(request: HttpRequest, pk: int) -> HttpResponse:
    """质量检验单: every check of the job with its checklist, A4."""
    order = _order(request, pk)
    checks = services.order_checks(order)
    sections = []
    for stage in services.STAGE_ORDER:
        mine = [c for c in checks if c.stage == stage]
        if not mine and stage in services.CERTIFIED_INSPECTIONS and not order.needs_certificate:
            continue
        rows = [(label, [c.results.get(code) for c in mine]) for code, label in services.CHECKLISTS[stage]]
        sections.append({"stage": stage, "label": services.stage_label(stage), "rows": rows, "checks": mine})
    context = {"order": order, "sections": sections, "labour": _labour(order), "printed": timezone.now()}
    return render(request, "workshop/checks/sheet.html", context)


def _guarantee(order: RepairOrder) -> dict:
    """The repair-quality guarantee of RULES.md from the rules module (A1); if it is not there,
    the table's figures for cars."""
    try:
        from pitstop.service.rules import guarantee_for

        guarantee = guarantee_for(order.vehicle, order.repair_category)
        return {"km": guarantee.km, "days": guarantee.days}
    except (ImportError, AttributeError):
        fallback = {"whole_vehicle": (20000, 100), "assembly": (20000, 100), "level_2": (5000, 30)}
        km, days = fallback.get(order.repair_category, (2000, 10))
        return {"km": km, "days": days}


@login_required
def certificate_print(request: HttpRequest, pk: int) -> HttpResponse:
    """机动车维修竣工出厂合格证: only once issued (a passed final of a certified category)."""
    order = _order(request, pk)
    if not order.certificate_no:
        raise Http404
    final = (
        QualityCheck.objects.filter(order=order, stage=Stage.FINAL, passed=True)
        .select_related("checked_by")
        .order_by("-id")
        .first()
    )
    completed = final.created_at if final else order.finished_at
    guarantee = _guarantee(order)
    context = {
        "order": order,
        "final": final,
        "completed": completed,
        "guarantee": guarantee,
        "labour": _labour(order),
        "parts": list(order.part_lines.filter(approval=Approval.APPROVED).order_by("position", "id")),
    }
    return render(request, "workshop/checks/certificate.html", context)


urlpatterns = [
    path("workshop/qc/", qc_queue, name="qc_queue"),
    path("workshop/qc/rework/", rework_report, name="rework_report"),
    path("workshop/orders/<int:pk>/checks/", order_checks, name="order_checks"),
    path("workshop/orders/<int:pk>/checks/<str:stage>/", check_form, name="check_form"),
    path("workshop/orders/<int:pk>/qc-sheet/", qc_print, name="qc_print"),
    path("workshop/orders/<int:pk>/certificate/", certificate_print, name="certificate_print"),
]
