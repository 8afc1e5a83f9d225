"""Forms of the loyalty pages. Each lists its fields; the rules of the business (a card number
taken, a balance too small, a day closed) are the services' and come back as ApplicationError,
shown on the field they name."""

import uuid
from decimal import Decimal

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from pitstop.billing.models import Payment
from pitstop.core.forms import BootstrapMixin
from pitstop.customers.forms import CustomerLookupField
from pitstop.customers.models import Customer, CustomerTier, Vehicle
from pitstop.customers.selectors import customers_for
from pitstop.service.catalogue import normalise_code
from pitstop.service.models import CannedJob, LabourOperation

from .models import (
    ZERO,
    CouponType,
    LineKind,
    PackageCardType,
    PackageCardTypeItem,
    PointsSettings,
    TopUpRule,
)

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
MONEY = {"max_digits": 12, "decimal_places": 2}


def money_field(label, *, required: bool = True, help_text="", min_value=ZERO) -> forms.DecimalField:
    return forms.DecimalField(
        label=label, required=required, min_value=min_value, help_text=help_text, **MONEY
    )


# --- taking money ----------------------------------------------------------------------------


class PaymentFieldsMixin(forms.Form):
    """How the customer pays a fee or a sale: money only (cash with what was tendered, card,
    WeChat Pay, Alipay or transfer with its reference). `token` makes a double click harmless:
    it is the payment's idempotency key, so the same form never takes money twice."""

    method = forms.ChoiceField(label=_("Payment method"), required=False)
    tendered = money_field(_("Cash tendered"), required=False, help_text=_("Cash only: the change is shown."))
    reference = forms.CharField(
        label=_("Payment reference no."),
        max_length=64,
        required=False,
        help_text=_("Card, WeChat Pay, Alipay or transfer: the terminal's or platform's number."),
    )
    token = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        methods = [(m, Payment.Method(m).label) for m in Payment.MONEY_METHODS]
        self.fields["method"].choices = [("", "—"), *methods]
        if not self.is_bound:
            self.initial.setdefault("token", uuid.uuid4().hex)

    def amount_due(self, data: dict) -> Decimal:
        """What the form takes; forms override it."""
        return ZERO

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        if self.amount_due(data) > 0 and not data.get("method"):
            self.add_error("method", _("Choose how the customer pays."))
        return data

    def payment(self) -> dict:
        data = self.cleaned_data
        return {
            "method": data.get("method") or "",
            "tendered": data.get("tendered"),
            "reference": (data.get("reference") or "").strip(),
            "token": (data.get("token") or "").strip(),
        }


# --- memberships (F-7.1) ---------------------------------------------------------------------


class JoinForm(BootstrapMixin, PaymentFieldsMixin):
    tier = forms.ModelChoiceField(label=_("Tier"), queryset=CustomerTier.objects.none())
    card_no = forms.CharField(
        label=_("Card no."), max_length=32, required=False, help_text=_("Empty: a number is given.")
    )
    fee = money_field(_("Membership fee"), required=False, help_text=_("Empty: the tier's fee."))
    field_order = ["tier", "card_no", "fee", "method", "tendered", "reference"]

    def __init__(self, *args, customer: Customer, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tier"].queryset = CustomerTier.objects.filter(store_id=customer.store_id).order_by(
            "rank", "code"
        )

    def clean_card_no(self) -> str:
        return normalise_code(self.cleaned_data.get("card_no") or "")

    def amount_due(self, data: dict) -> Decimal:
        fee = data.get("fee")
        tier = data.get("tier")
        return fee if fee is not None else (tier.fee if tier else ZERO)


class RenewForm(BootstrapMixin, PaymentFieldsMixin):
    fee = money_field(_("Renewal fee"), required=False, help_text=_("Empty: the tier's fee."))
    field_order = ["fee", "method", "tendered", "reference"]

    def __init__(self, *args, tier: CustomerTier, **kwargs):
        self.tier = tier
        super().__init__(*args, **kwargs)

    def amount_due(self, data: dict) -> Decimal:
        fee = data.get("fee")
        return fee if fee is not None else self.tier.fee


class ChangeTierForm(BootstrapMixin, forms.Form):
    tier = forms.ModelChoiceField(label=_("Change to tier"), queryset=CustomerTier.objects.none())
    single_spend = money_field(
        _("Spend of the visit just paid"),
        required=False,
        help_text=_("Counts for a tier ruled by one visit's spend."),
    )
    note = forms.CharField(label=_("Why"), max_length=200, required=False)

    def __init__(self, *args, membership, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tier"].queryset = (
            CustomerTier.objects.filter(store_id=membership.store_id)
            .exclude(pk=membership.tier_id)
            .order_by("rank", "code")
        )


class LeaveForm(BootstrapMixin, forms.Form):
    reason = forms.CharField(label=_("Why the member leaves"), max_length=200)


class ReplaceCardForm(BootstrapMixin, PaymentFieldsMixin):
    card_no = forms.CharField(
        label=_("New card no."), max_length=32, required=False, help_text=_("Empty: a number is given.")
    )
    fee = money_field(_("Replacement fee"), required=False)
    reason = forms.CharField(label=_("Why"), max_length=150, required=False, initial=_("card lost"))
    field_order = ["card_no", "fee", "reason", "method", "tendered", "reference"]

    def clean_card_no(self) -> str:
        return normalise_code(self.cleaned_data.get("card_no") or "")

    def amount_due(self, data: dict) -> Decimal:
        return data.get("fee") or ZERO


# --- stored value (F-7.3) --------------------------------------------------------------------


class TopUpForm(BootstrapMixin, PaymentFieldsMixin):
    amount = money_field(_("Amount paid in"), min_value=Decimal("0.01"))
    field_order = ["amount", "method", "tendered", "reference"]

    def amount_due(self, data: dict) -> Decimal:
        return data.get("amount") or ZERO


class RefundForm(BootstrapMixin, forms.Form):
    amount = money_field(
        _("Principal to pay back"),
        required=False,
        min_value=Decimal("0.01"),
        help_text=_("Empty: all the unspent principal."),
    )
    reason = forms.CharField(label=_("Why"), max_length=200)
    method = forms.ChoiceField(label=_("Paid back by"), initial="cash")
    reference = forms.CharField(label=_("Reference no. (transfer)"), max_length=64, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from pitstop.billing.models import Payment

        self.fields["method"].choices = [(m, Payment.Method(m).label) for m in Payment.MONEY_METHODS]


# --- package cards (F-7.4) -------------------------------------------------------------------


class SellCardForm(BootstrapMixin, PaymentFieldsMixin):
    card_type = forms.ModelChoiceField(label=_("Card"), queryset=PackageCardType.objects.none())
    vehicle = forms.ModelChoiceField(
        label=_("For vehicle"),
        queryset=Vehicle.objects.none(),
        required=False,
        help_text=_("Empty: any of the customer's cars."),
    )
    price = money_field(_("Price"), required=False, help_text=_("Empty: the card's price."))
    field_order = ["card_type", "vehicle", "price", "method", "tendered", "reference"]

    def __init__(self, *args, customer: Customer, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["card_type"].queryset = PackageCardType.objects.filter(
            store_id=customer.store_id, is_active=True
        ).order_by("code")
        self.fields["vehicle"].queryset = Vehicle.objects.filter(
            owner=customer, store_id=customer.store_id
        ).order_by("-id")
        self.fields["vehicle"].label_from_instance = lambda v: v.plate or v.vin

    def amount_due(self, data: dict) -> Decimal:
        price = data.get("price")
        card_type = data.get("card_type")
        return price if price is not None else (card_type.price if card_type else ZERO)


# --- coupons (F-7.5) -------------------------------------------------------------------------


class IssueCouponForm(BootstrapMixin, forms.Form):
    """One coupon to a customer, or a batch of bearer coupons (count)."""

    coupon_type = forms.ModelChoiceField(label=_("Coupon"), queryset=CouponType.objects.none())
    customer = CustomerLookupField(
        label=_("To customer"), required=False, help_text=_("Customer code or mobile; empty for a batch.")
    )
    count = forms.IntegerField(
        label=_("Number of coupons"), min_value=1, max_value=5000, required=False, initial=1
    )

    def __init__(self, *args, store, user, customer: Customer | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fixed_customer = customer
        self.fields["coupon_type"].queryset = CouponType.objects.filter(store=store, is_active=True).order_by(
            "code"
        )
        if customer is not None:
            del self.fields["customer"]
            del self.fields["count"]
        else:
            self.fields["customer"].queryset = customers_for(user, store)

    def clean(self):
        data = super().clean()
        if (
            self.fixed_customer is None
            and not self.errors
            and not data.get("customer")
            and not data.get("count")
        ):
            self.add_error("count", _("Give a customer or the number of coupons."))
        return data


class CouponFilterForm(forms.Form):
    status = forms.CharField(required=False)
    q = forms.CharField(required=False)
    batch = forms.CharField(required=False)


# --- rules (manager) -------------------------------------------------------------------------


class StoreCodeMixin:
    """A code unique in the store: the store is not a field, so the form checks it."""

    def __init__(self, *args, store, **kwargs):
        self.store = store
        super().__init__(*args, **kwargs)

    def clean_code(self) -> str:
        code = normalise_code(self.cleaned_data.get("code") or "")
        taken = self._meta.model.objects.filter(store=self.store, code=code)
        if self.instance.pk:
            taken = taken.exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError(_("The code %(code)s is taken in this store."), params={"code": code})
        return code


class ConstraintsAfterFieldsMixin:
    """The database's check constraints are checked only when the fields are right, so a wrong
    amount shows one message on its field, not a second one naming the constraint."""

    def validate_constraints(self):
        if not self._errors:
            super().validate_constraints()


class TopUpRuleForm(BootstrapMixin, ConstraintsAfterFieldsMixin, forms.ModelForm):
    class Meta:
        model = TopUpRule
        fields = ["name", "pay_at_least", "bonus", "valid_from", "valid_until", "is_active"]
        widgets = {"valid_from": DATE, "valid_until": DATE}

    def clean(self):
        data = super().clean()
        if data.get("pay_at_least") is not None and data["pay_at_least"] <= 0:
            self.add_error("pay_at_least", _("The amount must be more than zero."))
        _check_dates(self, data)
        return data


def _check_dates(form: forms.Form, data: dict) -> None:
    start, end = data.get("valid_from"), data.get("valid_until")
    if start and end and end < start:
        form.add_error("valid_until", _("The end is before the start."))


class PointsForm(BootstrapMixin, forms.Form):
    """The store's points in one form: how many points a yuan of each line kind earns, how
    many points pay ¥1, and after how many months they expire."""

    points_per_yuan = forms.IntegerField(label=_("Points that pay ¥1"), min_value=1, initial=100)
    expiry_months = forms.IntegerField(
        label=_("Points expire after (months)"),
        min_value=1,
        max_value=120,
        required=False,
        help_text=_("Empty: never."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for value, label in LineKind.choices:
            self.fields[f"earn_{value}"] = forms.DecimalField(
                label=_("Points per ¥1 of %(kind)s") % {"kind": label},
                min_value=Decimal(0),
                max_digits=8,
                decimal_places=4,
                required=False,
                help_text=_("Empty or 0: earns nothing."),
            )
        for field in self.fields.values():
            field.widget.attrs.setdefault("class", "form-control")

    @staticmethod
    def initial_for(rules: dict, settings: PointsSettings | None, terms) -> dict:
        initial = {
            "points_per_yuan": settings.points_per_yuan if settings else terms.points_per_yuan,
            "expiry_months": settings.expiry_months if settings else terms.expiry_months,
        }
        for value in LineKind.values:
            rule = rules.get(value)
            initial[f"earn_{value}"] = rule.points_per_yuan.normalize() if rule and rule.is_active else None
        return initial


class CardTypeForm(BootstrapMixin, StoreCodeMixin, ConstraintsAfterFieldsMixin, forms.ModelForm):
    class Meta:
        model = PackageCardType
        fields = ["code", "name", "kind", "price", "valid_months", "is_active"]


class CardTypeItemForm(BootstrapMixin, forms.Form):
    """A line of a card type: a labour operation (by code) or a canned job, so many times."""

    labour = forms.CharField(label=_("Labour operation code"), max_length=30, required=False)
    canned_job = forms.ModelChoiceField(
        label=_("or canned job"), queryset=CannedJob.objects.none(), required=False
    )
    count = forms.IntegerField(label=_("Times"), min_value=1, max_value=999, required=False)

    def __init__(self, *args, store=None, **kwargs):
        super().__init__(*args, **kwargs)
        mine = Q(store__isnull=True) | (Q(store=store) if store is not None else Q(pk__in=[]))
        self.fields["canned_job"].queryset = CannedJob.objects.filter(mine, is_active=True).order_by("code")
        self.fields["canned_job"].label_from_instance = lambda job: f"{job.code} {job.name}"

    def clean(self):
        data = super().clean()
        code = normalise_code(data.get("labour") or "")
        job = data.get("canned_job")
        data["labour_obj"] = None
        if not code and not job:
            if data.get("count"):
                self.add_error("labour", _("Give a labour operation or a canned job."))
            return data
        if code and job:
            self.add_error("canned_job", _("Give a labour operation or a canned job, not both."))
            return data
        if code:
            operation = LabourOperation.objects.filter(code=code, is_active=True).first()
            if operation is None:
                self.add_error("labour", _("No labour operation %(code)s.") % {"code": code})
                return data
            data["labour_obj"] = operation
        if not data.get("count"):
            self.add_error("count", _("How many times?"))
        return data

    def item(self) -> PackageCardTypeItem | None:
        data = getattr(self, "cleaned_data", {})
        if not data.get("labour_obj") and not data.get("canned_job"):
            return None
        return PackageCardTypeItem(
            labour=data.get("labour_obj"), canned_job=data.get("canned_job"), count=data["count"]
        )


class BaseItemFormSet(forms.BaseFormSet):
    def clean(self):
        super().clean()
        if any(self.errors):
            return
        if not any(form.item() for form in self.forms):
            raise forms.ValidationError(_("A card gives at least one item."))


CardTypeItemFormSet = forms.formset_factory(CardTypeItemForm, formset=BaseItemFormSet, extra=0)


class CouponTypeForm(BootstrapMixin, StoreCodeMixin, ConstraintsAfterFieldsMixin, forms.ModelForm):
    line_kinds = forms.MultipleChoiceField(
        label=_("Applies to"),
        choices=LineKind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: all lines."),
    )

    class Meta:
        model = CouponType
        fields = [
            "code",
            "name",
            "kind",
            "value",
            "max_discount",
            "minimum_spend",
            "line_kinds",
            "valid_from",
            "valid_until",
            "valid_days",
            "is_active",
        ]
        widgets = {"valid_from": DATE, "valid_until": DATE}

    def clean(self):
        data = super().clean()
        if data.get("kind") == CouponType.Kind.PERCENT and data.get("value") and data["value"] > 100:
            self.add_error("value", _("A percent off is at most 100."))
        if data.get("max_discount") is not None and data["max_discount"] <= 0:
            self.add_error("max_discount", _("The amount must be more than zero."))
        _check_dates(self, data)
        return data
