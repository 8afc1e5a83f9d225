from django import forms
from django.utils.translation import gettext_lazy as _

from pitstop.core.forms import BootstrapMixin
from pitstop.core.scoping import scoped
from pitstop.core.text import mask_identifier, normalise_code

from .models import Customer, CustomerTier, Vehicle
from .services import CUSTOMER_FIELDS, CUSTOMER_SENSITIVE, TIER_FIELDS, VEHICLE_FIELDS

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ServiceValidatedModelForm(BootstrapMixin, forms.ModelForm):
    """A ModelForm whose cross-record rules (duplicates) are the service's job, so the form
    does not run the model's unique constraints with their generic wording."""

    def validate_unique(self):
        return None

    def add_service_error(self, error) -> None:
        field = error.field if error.field in self.fields else None
        self.add_error(field, str(error.message))


class CustomerForm(ServiceValidatedModelForm):
    tag_names = forms.CharField(
        label=_("Tags"), required=False, help_text=_("Separate tags with commas, e.g. VIP, fleet")
    )

    class Meta:
        model = Customer
        fields = [f for f in CUSTOMER_FIELDS if f != "tier"] + ["tier"]
        widgets = {
            "birthday": DATE,
            "notes": forms.Textarea(attrs={"rows": 3}),
            "address": forms.TextInput(),
            "mobile": forms.TextInput(attrs={"inputmode": "tel"}),
        }

    def __init__(self, *args, store=None, user=None, personal: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        # For a role that sees numbers masked the inputs start empty, the mask as a hint; left
        # empty, the number on file is kept.
        self.kept_numbers: dict[str, str] = {}
        if not personal and self.instance.pk:
            for name in CUSTOMER_SENSITIVE:
                current = getattr(self.instance, name)
                self.initial[name] = ""
                self.fields[name].required = False
                if current:
                    self.kept_numbers[name] = current
                    self.fields[name].widget.attrs["placeholder"] = mask_identifier(current)
                    self.fields[name].help_text = _("Leave empty to keep the number on file.")
        self.fields["tier"].queryset = (
            CustomerTier.objects.filter(store=store) if store else CustomerTier.objects.none()
        )
        if not self.instance.pk and store is not None:
            self.fields["tier"].initial = CustomerTier.objects.filter(store=store, is_default=True).first()
        if self.instance.pk:
            self.fields["tag_names"].initial = ", ".join(t.name for t in self.instance.tags.all())

    def clean(self):
        cleaned = super().clean()
        for name, current in self.kept_numbers.items():
            if not cleaned.get(name):
                cleaned[name] = current
        return cleaned

    def clean_tag_names(self) -> list[str]:
        raw = self.cleaned_data.get("tag_names", "").replace("，", ",")
        return [name.strip() for name in raw.split(",") if name.strip()]


class CustomerLookupField(forms.CharField):
    """A customer of the store typed as customer code or mobile (suggestions come by HTMX)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("help_text", _("Customer code or mobile"))
        super().__init__(*args, **kwargs)
        self.queryset = Customer.objects.none()

    def prepare_value(self, value):
        if isinstance(value, Customer):
            return value.code
        if isinstance(value, int):
            customer = Customer.objects.filter(pk=value).only("code").first()
            return customer.code if customer else ""
        return value

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        key = normalise_code(value)
        found = self.queryset.filter(code=key).first() or self.queryset.filter(mobile=key).first()
        if found is None:
            raise forms.ValidationError(
                _("No customer with code or mobile “%(value)s” in this store."),
                params={"value": value},
                code="unknown_customer",
            )
        return found


class VehicleForm(ServiceValidatedModelForm):
    owner = CustomerLookupField(label=_("Owner"))
    user = CustomerLookupField(label=_("User"), required=False)
    driver = CustomerLookupField(label=_("Driver"), required=False)

    class Meta:
        model = Vehicle
        fields = VEHICLE_FIELDS
        widgets = {
            name: DATE
            for name in (
                "production_date",
                "purchase_date",
                "insurance_expiry",
                "inspection_due",
                "warranty_start",
                "warranty_end",
            )
        }
        widgets["notes"] = forms.Textarea(attrs={"rows": 3})
        widgets["vin"] = forms.TextInput(attrs={"autocapitalize": "characters", "spellcheck": "false"})

    def __init__(self, *args, store=None, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        customers = (
            scoped(Customer.objects.all(), user, "customers.view_customer", store=store)
            if user is not None
            else Customer.objects.none()
        )
        for name in ("owner", "user", "driver"):
            self.fields[name].queryset = customers

    @property
    def needs_vin_confirmation(self) -> bool:
        return any(getattr(e, "code", "") == "vin_check_digit" for e in self.errors.as_data().get("vin", []))


class TierForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        model = CustomerTier
        fields = TIER_FIELDS

    def validate_unique(self):
        return None


class ImportUploadForm(BootstrapMixin, forms.Form):
    file = forms.FileField(label=_("File (.xlsx or .csv)"))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith((".xlsx", ".csv")):
            raise forms.ValidationError(_("Please upload an .xlsx or .csv file."))
        if upload.size > 10 * 1024 * 1024:
            raise forms.ValidationError(_("The file is larger than 10 MB."))
        return upload


class PartyChangeForm(BootstrapMixin, forms.Form):
    role = forms.ChoiceField(
        label=_("Change"), choices=[("owner", _("owner")), ("user", _("user")), ("driver", _("driver"))]
    )
    customer = CustomerLookupField(label=_("New person"), required=False)
    changed_on = forms.DateField(label=_("Date"), widget=DATE)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args, customers=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = customers if customers is not None else Customer.objects.none()


class MileageForm(BootstrapMixin, forms.Form):
    mileage = forms.IntegerField(label=_("Mileage (km)"), min_value=0, max_value=2_000_000)
    read_on = forms.DateField(label=_("Date"), widget=DATE)
    reason = forms.CharField(label=_("Reason if lower than before"), max_length=200, required=False)
