"""The manager's rules (F-7.2 to F-7.5): top-up bonuses, points earned and spent, package card
types with their items, coupon types. Tiers live in the customers app.

A rule only shapes what later sales do: a card already sold keeps the items it was sold with,
a coupon already issued keeps its dates. Every save writes the audit trail (before and after)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Model
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _

from pitstop.core.audit import audit_record, snapshot
from pitstop.core.scoping import require_perm_somewhere

from .. import selectors as sel
from .. import services
from ..forms import CardTypeForm, CardTypeItemFormSet, CouponTypeForm, PointsForm, TopUpRuleForm
from ..models import LineKind, PackageCardType, PointsRule, PointsSettings
from .common import may, require_in_store, working_store


def _fields(form) -> list[str]:
    return list(form._meta.fields)


def _before(instance: Model, fields: list[str]) -> dict:
    """The record as stored (a ModelForm has already copied the posted values onto it)."""
    if not instance.pk:
        return {}
    return snapshot(type(instance).objects.get(pk=instance.pk), fields)


@transaction.atomic
def _save(*, actor, store, form, extra_fields=(), after_save=None) -> Model:
    fields = _fields(form) + list(extra_fields)
    before = _before(form.instance, fields)
    obj = form.save(commit=False)
    if not obj.pk:
        obj.store = store
    obj.save()
    if after_save is not None:
        after_save(obj)
    audit_record(
        actor=actor,
        instance=obj,
        action="update" if before else "create",
        before=before,
        after=snapshot(obj, fields),
        store=obj.store,
    )
    return obj


def _list_page(request, template: str, rows, view_perm: str, add_perm: str) -> HttpResponse:
    require_perm_somewhere(request.user, view_perm)
    store = request.store
    return render(
        request,
        template,
        {
            "rows": rows,
            "may_add": store is not None and may(request.user, add_perm, store.pk),
            "may_change": request.user.store_ids_with(add_perm.replace(".add_", ".change_")),
        },
    )


def _edit_target(request, pk, *, finder, view_perm, add_perm, change_perm):
    """(store, instance) for a new record in the current store or an existing one in its own;
    None for the store when "all my stores" is chosen (the caller sends the user back)."""
    require_perm_somewhere(request.user, view_perm)
    if pk is None:
        return working_store(request, add_perm), None
    instance = finder(user=request.user, pk=pk)
    require_in_store(request.user, change_perm, instance.store_id)
    return instance.store, instance


def _no_store(request, back: str) -> HttpResponse:
    messages.error(request, _("Choose a store in the store switcher first."))
    return redirect(back)


def _form_page(request, *, form, title, back, formset=None, store=None) -> HttpResponse:
    return render(
        request,
        "loyalty/rules/form.html",
        {"form": form, "formset": formset, "title": title, "cancel_url": reverse(back), "store": store},
        status=400 if request.method == "POST" else 200,
    )


# --- top-up rules ----------------------------------------------------------------------------


@login_required
def top_up_rule_list(request: HttpRequest) -> HttpResponse:
    rows = sel.top_up_rules(user=request.user, store=request.store)
    return _list_page(
        request, "loyalty/rules/top_up_rules.html", rows, sel.VIEW_TOP_UP_RULE, sel.ADD_TOP_UP_RULE
    )


@login_required
def top_up_rule_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    back = "loyalty:top_up_rule_list"
    store, rule = _edit_target(
        request,
        pk,
        finder=sel.top_up_rule_for_edit,
        view_perm=sel.VIEW_TOP_UP_RULE,
        add_perm=sel.ADD_TOP_UP_RULE,
        change_perm=sel.CHANGE_TOP_UP_RULE,
    )
    if store is None:
        return _no_store(request, reverse(back))
    form = TopUpRuleForm(request.POST or None, instance=rule)
    if request.method == "POST" and form.is_valid():
        _save(actor=request.user, store=store, form=form)
        messages.success(request, _("Changes saved."))
        return redirect(back)
    title = str(rule) if rule else _("New top-up rule")
    return _form_page(request, form=form, title=title, back=back, store=store)


# --- points ----------------------------------------------------------------------------------


@login_required
def points_rules(request: HttpRequest) -> HttpResponse:
    """The current store's points: earned per yuan by line kind, the rate they pay at, expiry."""
    require_perm_somewhere(request.user, sel.VIEW_POINTS_RULE)
    store = request.store
    if store is None:
        return render(request, "loyalty/rules/points.html", {"store": None})
    require_in_store(request.user, sel.VIEW_POINTS_RULE, store.pk)
    rules = sel.points_rules(store)
    settings_row = sel.points_settings(store)
    may_change = may(request.user, sel.CHANGE_POINTS_RULE, store.pk) and may(
        request.user, sel.CHANGE_POINTS_SETTINGS, store.pk
    )
    initial = PointsForm.initial_for(rules, settings_row, services.points_terms(store))
    form = PointsForm(request.POST or None, initial=initial)
    if request.method == "POST":
        if not may_change:
            raise PermissionDenied
        if form.is_valid():
            _points_save(actor=request.user, store=store, data=form.cleaned_data)
            messages.success(request, _("Changes saved."))
            return redirect("loyalty:points_rules")
    return render(
        request,
        "loyalty/rules/points.html",
        {"store": store, "form": form, "may_change": may_change, "rules": rules},
        status=400 if form.is_bound and form.errors else 200,
    )


@transaction.atomic
def _points_save(*, actor, store, data: dict) -> None:
    """One rule row per line kind (a rate of 0 or empty turns it off) and the settings row."""
    for kind in LineKind.values:
        rate = data.get(f"earn_{kind}")
        rule = PointsRule.objects.select_for_update().filter(store=store, line_kind=kind).first()
        before = snapshot(rule, ["points_per_yuan", "is_active"]) if rule else {}
        if rule is None and not rate:
            continue
        if rule is None:
            rule = PointsRule(store=store, line_kind=kind, points_per_yuan=rate)
        if rate:
            rule.points_per_yuan, rule.is_active = rate, True
        else:
            rule.is_active = False
        rule.save()
        after = snapshot(rule, ["points_per_yuan", "is_active"])
        if after != before:
            audit_record(
                actor=actor,
                instance=rule,
                action="update" if before else "create",
                before=before,
                after=after,
            )
    row = PointsSettings.objects.select_for_update().filter(store=store).first()
    before = snapshot(row, ["points_per_yuan", "expiry_months"]) if row else {}
    row = row or PointsSettings(store=store)
    row.points_per_yuan = data["points_per_yuan"]
    row.expiry_months = data.get("expiry_months")
    row.save()
    after = snapshot(row, ["points_per_yuan", "expiry_months"])
    if after != before:
        audit_record(
            actor=actor, instance=row, action="update" if before else "create", before=before, after=after
        )


# --- package card types ----------------------------------------------------------------------


@login_required
def card_type_list(request: HttpRequest) -> HttpResponse:
    rows = sel.card_types(user=request.user, store=request.store)
    return _list_page(request, "loyalty/rules/card_types.html", rows, sel.VIEW_CARD_TYPE, sel.ADD_CARD_TYPE)


ITEM_ROWS = 4


@login_required
def card_type_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    back = "loyalty:card_type_list"
    store, card_type = _edit_target(
        request,
        pk,
        finder=sel.card_type_for,
        view_perm=sel.VIEW_CARD_TYPE,
        add_perm=sel.ADD_CARD_TYPE,
        change_perm=sel.CHANGE_CARD_TYPE,
    )
    if store is None:
        return _no_store(request, reverse(back))
    data = request.POST if request.method == "POST" else None
    form = CardTypeForm(data, instance=card_type, store=store)
    items = []
    if card_type is not None:
        items = [
            {"labour": i.labour.code if i.labour_id else "", "canned_job": i.canned_job_id, "count": i.count}
            for i in card_type.items.select_related("labour")
        ]
    items += [{}] * max(ITEM_ROWS - len(items), 2)
    formset = CardTypeItemFormSet(data, initial=items, prefix="item", form_kwargs={"store": store})
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        new_items = [f.item() for f in formset.forms if f.item() is not None]

        def replace_items(saved: PackageCardType) -> None:
            saved.items.all().delete()  # sold cards copied theirs: only future sales change
            for item in new_items:
                item.card_type = saved
                item.save()

        _save(actor=request.user, store=store, form=form, after_save=replace_items)
        messages.success(request, _("Changes saved."))
        return redirect(back)
    title = card_type.name if card_type else _("New package card")
    return _form_page(request, form=form, title=title, back=back, formset=formset, store=store)


# --- coupon types ----------------------------------------------------------------------------


@login_required
def coupon_type_list(request: HttpRequest) -> HttpResponse:
    rows = sel.coupon_types(user=request.user, store=request.store)
    return _list_page(
        request, "loyalty/rules/coupon_types.html", rows, sel.VIEW_COUPON_TYPE, sel.ADD_COUPON_TYPE
    )


@login_required
def coupon_type_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    back = "loyalty:coupon_type_list"
    store, coupon_type = _edit_target(
        request,
        pk,
        finder=sel.coupon_type_for,
        view_perm=sel.VIEW_COUPON_TYPE,
        add_perm=sel.ADD_COUPON_TYPE,
        change_perm=sel.CHANGE_COUPON_TYPE,
    )
    if store is None:
        return _no_store(request, reverse(back))
    form = CouponTypeForm(request.POST or None, instance=coupon_type, store=store)
    if request.method == "POST" and form.is_valid():
        _save(actor=request.user, store=store, form=form)
        messages.success(request, _("Changes saved."))
        return redirect(back)
    title = coupon_type.name if coupon_type else _("New coupon type")
    return _form_page(request, form=form, title=title, back=back, store=store)


urlpatterns = [
    path("loyalty/rules/top-up/", top_up_rule_list, name="top_up_rule_list"),
    path("loyalty/rules/top-up/new/", top_up_rule_edit, name="top_up_rule_create"),
    path("loyalty/rules/top-up/<int:pk>/", top_up_rule_edit, name="top_up_rule_edit"),
    path("loyalty/rules/points/", points_rules, name="points_rules"),
    path("loyalty/rules/package-cards/", card_type_list, name="card_type_list"),
    path("loyalty/rules/package-cards/new/", card_type_edit, name="card_type_create"),
    path("loyalty/rules/package-cards/<int:pk>/", card_type_edit, name="card_type_edit"),
    path("loyalty/rules/coupons/", coupon_type_list, name="coupon_type_list"),
    path("loyalty/rules/coupons/new/", coupon_type_edit, name="coupon_type_create"),
    path("loyalty/rules/coupons/<int:pk>/", coupon_type_edit, name="coupon_type_edit"),
]
