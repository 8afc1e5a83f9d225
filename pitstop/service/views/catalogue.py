"""The labour catalogue, the store's labour rates, canned jobs and maintenance plans."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pitstop.core.audit import audit_for, labelled_changes
from pitstop.core.exceptions import ApplicationError
from pitstop.core.export import xlsx_response
from pitstop.core.forms import BootstrapMixin
from pitstop.core.htmx import render_page
from pitstop.core.scoping import has_perm_in_store, permitted_store_ids, require_perm_somewhere

from .. import catalogue
from ..models import BayType, CannedJob, LabourOperation, MaintenancePlan
from ..setup import workshop_settings
from .setup import apply_error, choose_store, store_or_refuse

# ---------------------------------------------------------------- labour operations


class OperationForm(BootstrapMixin, forms.Form):
    code = forms.CharField(label=gettext_lazy("Operation code"), max_length=30)
    name = forms.CharField(label=gettext_lazy("Name"), max_length=100)
    system = forms.CharField(
        label=gettext_lazy("System"),
        max_length=40,
        required=False,
        help_text=gettext_lazy("e.g. engine, brakes, electrics"),
    )
    symptom = forms.CharField(label=gettext_lazy("Symptom"), max_length=100, required=False)
    basis = forms.ChoiceField(label=gettext_lazy("Priced"), choices=LabourOperation.Basis.choices)
    bay_type = forms.ChoiceField(label=gettext_lazy("Bay type"), choices=BayType.choices)
    standard_hours = forms.DecimalField(
        label=gettext_lazy("Standard hours"), max_digits=7, decimal_places=3, min_value=0, required=False
    )
    fixed_price = forms.DecimalField(
        label=gettext_lazy("Fixed price (¥)"),
        max_digits=12,
        decimal_places=2,
        min_value=0,
        required=False,
        help_text=gettext_lazy("Empty: hours × the store's rate."),
    )
    is_active = forms.BooleanField(label=gettext_lazy("Active"), required=False, initial=True)


@login_required
def labour_list(request: HttpRequest) -> HttpResponse:
    require_perm_somewhere(request.user, catalogue.VIEW_OPERATION)
    query = request.GET.get("q", "").strip()
    operations = catalogue.operations_matching(query)
    if not request.GET.get("all"):
        operations = operations.filter(is_active=True)
    if request.GET.get("format") == "xlsx":
        headers = [
            _("Operation code"),
            _("Name"),
            _("System"),
            _("Symptom"),
            _("Priced"),
            _("Bay type"),
            _("Standard hours"),
            _("Fixed price"),
            _("Active"),
        ]
        rows = (
            [
                op.code,
                op.name,
                op.system,
                op.symptom,
                op.get_basis_display(),
                op.get_bay_type_display(),
                op.standard_hours,
                op.fixed_price,
                op.is_active,
            ]
            for op in operations.iterator()
        )
        return xlsx_response("labour-operations", headers, rows)
    rates = None
    if request.store is not None:
        rates = catalogue.store_rates(request.store)
    page = Paginator(operations, 50).get_page(request.GET.get("page"))
    for op in page:
        op.store_price = catalogue.operation_price(op, None, rates) if rates else None
    context = {
        "page": page,
        "q": query,
        "all": bool(request.GET.get("all")),
        "store": request.store,
        "may_edit": bool(permitted_store_ids(request.user, catalogue.KEEP_CATALOGUE)),
    }
    return render_page(request, "service/catalogue/labour_list.html", context, partials=("labour-table",))


@login_required
def labour_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    operation = get_object_or_404(LabourOperation, pk=pk) if pk else None
    require_perm_somewhere(
        request.user, "service.change_labouroperation" if pk else "service.add_labouroperation"
    )
    initial = {name: getattr(operation, name) for name in catalogue.OPERATION_FIELDS} if operation else {}
    form = OperationForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            operation = catalogue.labour_operation_save(
                actor=request.user, operation=operation, **form.cleaned_data
            )
        except ApplicationError as error:
            apply_error(form, error)
        else:
            messages.success(request, _("Labour operation %(code)s saved.") % {"code": operation.code})
            return redirect("service:labour_list")
    audit = (
        [{"entry": e, "changes": labelled_changes(e, LabourOperation)} for e in audit_for(operation)]
        if operation
        else []
    )
    context = {"form": form, "operation": operation, "audit": audit}
    return render(request, "service/catalogue/labour_form.html", context)


# ---------------------------------------------------------------- the store's rates


class RatesForm(BootstrapMixin, forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for value, label in BayType.choices:
            self.fields[value] = forms.DecimalField(
                label=label, max_digits=12, decimal_places=2, min_value=0, required=False
            )
            self.fields[value].widget.attrs["class"] = "form-control"


@login_required
def labour_rates(request: HttpRequest) -> HttpResponse:
    store = store_or_refuse(request, "service.view_labourrate")
    if store is None:
        return choose_store(request, _("Labour rates"))
    may_change = has_perm_in_store(request.user, "service.change_labourrate", store.pk)
    from ..models import LabourRate

    current = dict(LabourRate.objects.filter(store=store).values_list("bay_type", "rate"))
    form = RatesForm(request.POST or None, initial=current)
    if request.method == "POST":
        if not may_change or not has_perm_in_store(request.user, "service.add_labourrate", store.pk):
            raise PermissionDenied
        if form.is_valid():
            try:
                catalogue.labour_rates_set(actor=request.user, store=store, rates=dict(form.cleaned_data))
            except ApplicationError as error:
                apply_error(form, error)
            else:
                messages.success(request, _("Labour rates saved."))
                return redirect("service:rates")
    context = {
        "form": form,
        "store": store,
        "may_change": may_change,
        "default_rate": workshop_settings(store).labour_rate,
    }
    return render(request, "service/catalogue/rates.html", context)


# ---------------------------------------------------------------- canned jobs


class JobForm(BootstrapMixin, forms.Form):
    code = forms.CharField(label=gettext_lazy("Code"), max_length=30)
    name = forms.CharField(label=gettext_lazy("Name"), max_length=100)
    description = forms.CharField(label=gettext_lazy("Description"), max_length=200, required=False)
    is_active = forms.BooleanField(label=gettext_lazy("Active"), required=False, initial=True)


class JobLineForm(BootstrapMixin, forms.Form):
    labour_code = forms.CharField(label=gettext_lazy("Labour code"), max_length=30, required=False)
    part_code = forms.CharField(
        label=gettext_lazy("Part code or barcode"),
        max_length=40,
        required=False,
        widget=forms.TextInput(attrs={"data-enter-next": "", "autocomplete": "off"}),
    )
    quantity = forms.DecimalField(
        label=gettext_lazy("Quantity or hours"), max_digits=12, decimal_places=3, min_value=0, required=False
    )


JobLineFormSet = forms.formset_factory(JobLineForm, extra=0)


def _job_may_change(user, job: CannedJob) -> bool:
    if job.store_id is None:
        return bool(permitted_store_ids(user, catalogue.KEEP_CATALOGUE))
    return has_perm_in_store(user, catalogue.CHANGE_JOB, job.store_id)


def _visible_job(request: HttpRequest, pk: int) -> CannedJob:
    require_perm_somewhere(request.user, catalogue.VIEW_JOB)
    try:
        return catalogue.canned_jobs_for(request.user).get(pk=pk)
    except CannedJob.DoesNotExist:
        raise Http404 from None


@login_required
def job_list(request: HttpRequest) -> HttpResponse:
    require_perm_somewhere(request.user, catalogue.VIEW_JOB)
    query = request.GET.get("q", "").strip()
    jobs = catalogue.canned_jobs_for(request.user, request.store)
    if query:
        jobs = jobs.filter(code__icontains=query) | jobs.filter(name__icontains=query)
    store = request.store
    context = {
        "jobs": jobs.order_by("store_id", "code"),
        "q": query,
        "store": store,
        "may_add_chain": bool(permitted_store_ids(request.user, catalogue.KEEP_CATALOGUE)),
        "may_add_store": store is not None
        and has_perm_in_store(request.user, "service.add_cannedjob", store.pk),
    }
    return render_page(request, "service/catalogue/job_list.html", context, partials=("job-table",))


@login_required
def job_detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = _visible_job(request, pk)
    store = request.store or job.store
    context = {
        "job": job,
        "store": store,
        "priced": catalogue.canned_job_lines(job, store) if store is not None else None,
        "lines": job.lines.select_related("labour", "part"),
        "may_change": _job_may_change(request.user, job),
    }
    return render(request, "service/catalogue/job_detail.html", context)


@login_required
def job_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    if pk:
        job = _visible_job(request, pk)
        if not _job_may_change(request.user, job):
            raise PermissionDenied
        store = job.store
        initial = {
            "code": job.code,
            "name": job.name,
            "description": job.description,
            "is_active": job.is_active,
        }
        line_initial = [
            {
                "labour_code": line.labour.code if line.labour_id else "",
                "part_code": line.part.code if line.part_id else "",
                "quantity": line.quantity,
            }
            for line in job.lines.select_related("labour", "part")
        ]
    else:
        job, initial, line_initial = None, {}, []
        if (request.GET.get("scope") or request.POST.get("scope")) == "chain":
            require_perm_somewhere(request.user, catalogue.KEEP_CATALOGUE)
            store = None
        else:
            store = store_or_refuse(request, "service.add_cannedjob")
            if store is None:
                return choose_store(request, _("New canned job"))
    asked = request.GET.get("rows", "")
    blank = min(int(asked), 40) if asked.isdigit() else 6
    form = JobForm(request.POST or None, initial=initial)
    lines = JobLineFormSet(request.POST or None, initial=line_initial + [{}] * blank, prefix="line")
    if request.method == "POST" and form.is_valid() and lines.is_valid():
        entries = [
            catalogue.JobLineInput(
                labour_code=row.get("labour_code") or "",
                part_code=row.get("part_code") or "",
                quantity=row.get("quantity"),
            )
            for row in lines.cleaned_data
        ]
        try:
            job = catalogue.canned_job_save(
                actor=request.user, job=job, store=store, lines=entries, **form.cleaned_data
            )
        except ApplicationError as error:
            apply_error(form, error)
        else:
            messages.success(request, _("Canned job %(name)s saved.") % {"name": job.name})
            return redirect("service:job_detail", pk=job.pk)
    context = {
        "form": form,
        "lines": lines,
        "job": job,
        "store": store,
        "scope": "chain" if store is None else "store",
        "more_rows": len(line_initial) + blank + 6,
    }
    return render(request, "service/catalogue/job_form.html", context)


# ---------------------------------------------------------------- maintenance plans


class PlanForm(BootstrapMixin, forms.Form):
    brand = forms.CharField(label=gettext_lazy("Brand"), max_length=40)
    series = forms.CharField(
        label=gettext_lazy("Series"),
        max_length=40,
        required=False,
        help_text=gettext_lazy("Empty: every series."),
    )
    name = forms.CharField(label=gettext_lazy("Name"), max_length=100)
    is_active = forms.BooleanField(label=gettext_lazy("Active"), required=False, initial=True)


class PlanItemForm(BootstrapMixin, forms.Form):
    job_code = forms.CharField(label=gettext_lazy("Canned job code"), max_length=30, required=False)
    every_km = forms.IntegerField(label=gettext_lazy("Every (km)"), min_value=1, required=False)
    every_months = forms.IntegerField(label=gettext_lazy("Every (months)"), min_value=1, required=False)


PlanItemFormSet = forms.formset_factory(PlanItemForm, extra=0)


@login_required
def plan_list(request: HttpRequest) -> HttpResponse:
    require_perm_somewhere(request.user, "service.view_maintenanceplan")
    plans = MaintenancePlan.objects.prefetch_related("items__job")
    context = {
        "plans": plans,
        "may_edit": bool(permitted_store_ids(request.user, "service.change_maintenanceplan")),
    }
    return render(request, "service/catalogue/plan_list.html", context)


@login_required
def plan_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    plan = get_object_or_404(MaintenancePlan, pk=pk) if pk else None
    require_perm_somewhere(
        request.user, "service.change_maintenanceplan" if pk else "service.add_maintenanceplan"
    )
    initial = (
        {"brand": plan.brand, "series": plan.series, "name": plan.name, "is_active": plan.is_active}
        if plan
        else {}
    )
    item_initial = (
        [
            {"job_code": item.job.code, "every_km": item.every_km, "every_months": item.every_months}
            for item in plan.items.select_related("job")
        ]
        if plan
        else []
    )
    form = PlanForm(request.POST or None, initial=initial)
    items = PlanItemFormSet(request.POST or None, initial=item_initial + [{}] * 4, prefix="item")
    if request.method == "POST" and form.is_valid() and items.is_valid():
        entries = [
            catalogue.PlanItemInput(
                job_code=row.get("job_code") or "",
                every_km=row.get("every_km"),
                every_months=row.get("every_months"),
            )
            for row in items.cleaned_data
        ]
        try:
            plan = catalogue.maintenance_plan_save(
                actor=request.user, plan=plan, items=entries, **form.cleaned_data
            )
        except ApplicationError as error:
            apply_error(form, error)
        else:
            messages.success(request, _("Maintenance plan saved."))
            return redirect("service:plan_list")
    context = {
        "form": form,
        "items": items,
        "plan": plan,
        "jobs": CannedJob.objects.filter(store__isnull=True, is_active=True),
    }
    return render(request, "service/catalogue/plan_form.html", context)


urlpatterns = [
    path("service/labour/", labour_list, name="labour_list"),
    path("service/labour/new/", labour_edit, name="labour_create"),
    path("service/labour/<int:pk>/", labour_edit, name="labour_edit"),
    path("service/rates/", labour_rates, name="rates"),
    path("service/jobs/", job_list, name="job_list"),
    path("service/jobs/new/", job_edit, name="job_create"),
    path("service/jobs/<int:pk>/", job_detail, name="job_detail"),
    path("service/jobs/<int:pk>/edit/", job_edit, name="job_edit"),
    path("service/plans/", plan_list, name="plan_list"),
    path("service/plans/new/", plan_edit, name="plan_create"),
    path("service/plans/<int:pk>/", plan_edit, name="plan_edit"),
]
