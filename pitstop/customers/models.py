"""Customer and vehicle files (F-1): the fields of seed 002, the people around a vehicle,
mileage history, tiers. Every row belongs to a store."""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from pitstop.accounts.models import Store
from pitstop.core.identifiers import (
    clean_credit_code,
    clean_mobile,
    clean_plate,
    clean_resident_id,
    clean_vin,
    plate_kind,
    validate_landline,
    vin_check_digit,
    vin_model_year,
)
from pitstop.core.models import BaseModel
from pitstop.core.text import mask_identifier, pinyin_full, pinyin_initials, reverse

PERCENT = [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))]


class CustomerTier(BaseModel):
    """一般客户 / 白金 / 钻石 / VIP: what a customer class pays and gets (F-1.5)."""

    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="+", verbose_name=_("store"))
    code = models.CharField(_("class number"), max_length=16)
    name = models.CharField(_("name"), max_length=40)
    rank = models.PositiveSmallIntegerField(_("rank"), default=0, help_text=_("Higher is better."))
    price_type = models.CharField(
        _("price type"),
        max_length=20,
        default="retail",
        help_text=_("Which parts price list applies, e.g. retail, member, trade."),
    )
    valid_months = models.PositiveSmallIntegerField(
        _("validity (months)"), null=True, blank=True, help_text=_("Empty: does not expire.")
    )
    fee = models.DecimalField(
        _("membership fee"),
        max_digits=12,
        decimal_places=2,
        default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    points_required = models.PositiveIntegerField(_("points required"), default=0)
    single_spend_threshold = models.DecimalField(
        _("single-spend threshold"),
        max_digits=12,
        decimal_places=2,
        default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("One visit of at least this amount qualifies for the tier."),
    )
    labour_discount_pct = models.DecimalField(
        _("labour discount %"), max_digits=5, decimal_places=2, default=Decimal("0.00"), validators=PERCENT
    )
    parts_discount_pct = models.DecimalField(
        _("parts discount %"), max_digits=5, decimal_places=2, default=Decimal("0.00"), validators=PERCENT
    )
    is_default = models.BooleanField(_("default for new customers"), default=False)

    class Meta:
        verbose_name = _("customer tier")
        verbose_name_plural = _("customer tiers")
        ordering = ["store", "rank"]
        constraints = [models.UniqueConstraint(fields=["store", "code"], name="tier_code_per_store")]

    def __str__(self) -> str:
        return self.name


class Tag(BaseModel):
    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="+", verbose_name=_("store"))
    name = models.CharField(_("tag"), max_length=20)

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["store", "name"], name="tag_name_per_store")]

    def __str__(self) -> str:
        return self.name


class Customer(BaseModel):
    class Kind(models.TextChoices):
        PERSON = "person", _("person")
        COMPANY = "company", _("company")

    class Gender(models.TextChoices):
        UNKNOWN = "", _("not given")
        MALE = "male", _("male")
        FEMALE = "female", _("female")

    class CustomerType(models.TextChoices):
        PRIVATE = "private", _("private owner")
        COMPANY = "company", _("company car")
        FLEET = "fleet", _("fleet")
        GOVERNMENT = "government", _("government")
        TAXI = "taxi", _("taxi / ride-hailing")
        INTERNAL = "internal", _("internal")

    class Source(models.TextChoices):
        WALK_IN = "walk_in", _("walk-in")
        CAR_SALES = "car_sales", _("bought the car here")
        REFERRAL = "referral", _("referral")
        ONLINE = "online", _("online")
        PHONE = "phone", _("phone")
        CAMPAIGN = "campaign", _("campaign")
        INSURER = "insurer", _("insurer")
        IMPORT = "import", _("imported")
        OTHER = "other", _("other")

    class Education(models.TextChoices):
        UNKNOWN = "", _("not given")
        SCHOOL = "school", _("secondary school or below")
        COLLEGE = "college", _("college")
        BACHELOR = "bachelor", _("bachelor")
        MASTER = "master", _("master or above")

    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="+", verbose_name=_("store"))
    code = models.CharField(_("customer code"), max_length=32, editable=False)
    kind = models.CharField(_("person or company"), max_length=10, choices=Kind.choices, default=Kind.PERSON)
    name = models.CharField(_("name / company name"), max_length=100)
    name_initials = models.CharField(max_length=40, editable=False)
    name_pinyin = models.CharField(max_length=120, editable=False)
    gender = models.CharField(_("gender"), max_length=10, choices=Gender.choices, blank=True)
    customer_type = models.CharField(
        _("customer type"), max_length=12, choices=CustomerType.choices, default=CustomerType.PRIVATE
    )
    mobile = models.CharField(_("mobile"), max_length=20, blank=True)  # checked and normalised in clean()
    mobile_reversed = models.CharField(max_length=11, editable=False)
    home_phone = models.CharField(_("home phone"), max_length=30, blank=True, validators=[validate_landline])
    office_phone = models.CharField(
        _("office phone"), max_length=30, blank=True, validators=[validate_landline]
    )
    fax = models.CharField(_("fax"), max_length=30, blank=True, validators=[validate_landline])
    email = models.EmailField(_("email"), blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    postcode = models.CharField(
        _("postcode"),
        max_length=6,
        blank=True,
        validators=[RegexValidator(r"^\d{6}$", _("A postcode has 6 digits."))],
    )
    employer = models.CharField(_("employer"), max_length=100, blank=True)
    job_title = models.CharField(_("job title"), max_length=50, blank=True)
    id_number = models.CharField(
        _("ID number / credit code"),
        max_length=18,
        blank=True,
        help_text=_("Resident ID for a person; unified social credit code for a company."),
    )
    birthday = models.DateField(_("birthday"), null=True, blank=True)
    birthday_is_lunar = models.BooleanField(
        _("lunar birthday"), default=False, help_text=_("The date above is in the lunar calendar.")
    )
    education = models.CharField(_("education"), max_length=10, choices=Education.choices, blank=True)
    hobbies = models.CharField(_("hobbies"), max_length=200, blank=True)
    photo = models.ImageField(_("photo"), upload_to="customers/%Y/%m/", blank=True)
    source = models.CharField(_("source"), max_length=12, choices=Source.choices, default=Source.WALK_IN)
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="customers")
    tier = models.ForeignKey(
        CustomerTier,
        verbose_name=_("tier"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="customers",
    )
    marketing_consent = models.BooleanField(
        _("agrees to marketing messages"),
        default=False,
        help_text=_("Only customers who agreed receive promotions (PIPL); service notices are always sent."),
    )
    marketing_consent_at = models.DateTimeField(_("consent given"), null=True, blank=True, editable=False)
    notes = models.TextField(_("notes"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
        verbose_name=_("created by"),
    )

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["-id"]
        permissions = [
            ("view_personal_data", _("See full phone and ID numbers")),
            ("import_customer", _("Import customers and vehicles")),
            ("export_customer", _("Export customer and vehicle lists")),
        ]
        constraints = [
            models.UniqueConstraint(fields=["store", "code"], name="customer_code_per_store"),
            models.UniqueConstraint(
                fields=["store", "mobile"], condition=~models.Q(mobile=""), name="customer_mobile_per_store"
            ),
        ]
        # Search keys lead with the store, so one store's range is read, never the whole
        # chain's; pattern ops let PostgreSQL serve LIKE 'x%' from them.
        indexes = [
            models.Index(fields=["store", "-id"], name="customer_store_recent"),
            *[
                models.Index(
                    fields=["store", key],
                    name=f"customer_store_{key}",
                    opclasses=["int8_ops", "varchar_pattern_ops"],
                )
                for key in ("mobile", "mobile_reversed", "name", "name_initials", "name_pinyin")
            ],
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        """Normalise and check this record's own fields; rules across records live in services."""
        errors: dict[str, list] = {}
        self.name = (self.name or "").strip()
        for field, cleaner in (("mobile", clean_mobile),):
            if getattr(self, field):
                try:
                    setattr(self, field, cleaner(getattr(self, field)))
                except ValidationError as error:
                    errors[field] = error.messages
        if self.id_number:
            cleaner = clean_credit_code if self.kind == self.Kind.COMPANY else clean_resident_id
            try:
                self.id_number = cleaner(self.id_number)
            except ValidationError as error:
                errors["id_number"] = error.messages
        if errors:
            raise ValidationError(errors)
        self.name_initials = pinyin_initials(self.name)
        self.name_pinyin = pinyin_full(self.name)
        self.mobile_reversed = reverse(self.mobile)

    @property
    def mobile_masked(self) -> str:
        return mask_identifier(self.mobile)

    @property
    def id_number_masked(self) -> str:
        return mask_identifier(self.id_number)


class Vehicle(BaseModel):
    class Transmission(models.TextChoices):
        MANUAL = "manual", _("manual")
        AUTOMATIC = "automatic", _("automatic")
        CVT = "cvt", _("CVT")
        DCT = "dct", _("dual clutch")
        SINGLE_SPEED = "single_speed", _("single speed (electric)")

    class Fuel(models.TextChoices):
        PETROL = "petrol", _("petrol")
        DIESEL = "diesel", _("diesel")
        HEV = "hev", _("hybrid")
        PHEV = "phev", _("plug-in hybrid")
        EREV = "erev", _("range extender")
        BEV = "bev", _("battery electric")
        CNG = "cng", _("natural gas")

    class Use(models.TextChoices):
        PRIVATE = "private", _("private")
        BUSINESS = "business", _("business")
        TAXI = "taxi", _("taxi / ride-hailing")
        RENTAL = "rental", _("rental")
        GOVERNMENT = "government", _("government")
        OTHER = "other", _("other")

    class Category(models.TextChoices):
        # Sets the repair-quality guarantee periods of RULES.md.
        CAR = "car", _("passenger car")
        MOTORCYCLE = "motorcycle", _("motorcycle")
        OTHER = "other", _("other motor vehicle")

    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="+", verbose_name=_("store"))
    file_no = models.CharField(_("file no."), max_length=32, editable=False)
    plate = models.CharField(_("plate"), max_length=10, blank=True)  # checked and normalised in clean()
    plate_kind = models.CharField(max_length=20, blank=True, editable=False)
    vin = models.CharField(_("VIN"), max_length=17)
    vin_reversed = models.CharField(max_length=17, editable=False)
    vin_check_confirmed = models.BooleanField(
        _("VIN without check digit confirmed"),
        default=False,
        help_text=_("An imported vehicle whose VIN carries no check digit, confirmed by the advisor."),
    )
    brand = models.CharField(_("brand"), max_length=40, blank=True)
    series = models.CharField(_("series"), max_length=40, blank=True)
    model_name = models.CharField(_("model"), max_length=80, blank=True)
    model_code = models.CharField(_("model code"), max_length=40, blank=True)
    category = models.CharField(
        _("vehicle category"), max_length=12, choices=Category.choices, default=Category.CAR
    )
    model_year = models.PositiveSmallIntegerField(
        _("model year"), null=True, blank=True, validators=[MinValueValidator(1950), MaxValueValidator(2100)]
    )
    engine_no = models.CharField(_("engine no."), max_length=30, blank=True)
    engine_model = models.CharField(_("engine model"), max_length=30, blank=True)
    gearbox_model = models.CharField(_("gearbox model"), max_length=30, blank=True)
    gearbox_no = models.CharField(_("gearbox no."), max_length=30, blank=True)
    transmission = models.CharField(
        _("transmission"), max_length=14, choices=Transmission.choices, blank=True
    )
    displacement = models.DecimalField(
        _("displacement (L)"),
        max_digits=4,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )
    equipment_code = models.CharField(_("equipment code"), max_length=30, blank=True)
    key_no = models.CharField(_("key no."), max_length=30, blank=True)
    body_colour = models.CharField(_("body colour"), max_length=20, blank=True)
    interior = models.CharField(_("interior"), max_length=30, blank=True)
    fuel = models.CharField(_("fuel"), max_length=8, choices=Fuel.choices, blank=True)
    production_date = models.DateField(_("production date"), null=True, blank=True)
    purchase_date = models.DateField(_("purchase date"), null=True, blank=True)
    purchase_mileage = models.PositiveIntegerField(_("mileage at purchase (km)"), null=True, blank=True)
    use = models.CharField(_("use"), max_length=12, choices=Use.choices, default=Use.PRIVATE)
    selling_dealer = models.CharField(_("selling dealer"), max_length=100, blank=True)
    insurance_expiry = models.DateField(_("insurance expiry"), null=True, blank=True)
    inspection_due = models.DateField(_("annual inspection due"), null=True, blank=True)
    warranty_start = models.DateField(_("warranty start"), null=True, blank=True)
    warranty_end = models.DateField(_("warranty end"), null=True, blank=True)
    warranty_km = models.PositiveIntegerField(_("warranty mileage (km)"), null=True, blank=True)
    current_mileage = models.PositiveIntegerField(
        _("last mileage (km)"), null=True, blank=True, editable=False
    )
    owner = models.ForeignKey(
        Customer, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="owned_vehicles"
    )
    user = models.ForeignKey(
        Customer,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="used_vehicles",
        help_text=_("Empty: the owner uses it."),
    )
    driver = models.ForeignKey(
        Customer,
        verbose_name=_("driver"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="driven_vehicles",
        help_text=_("Empty: the user drives it."),
    )
    notes = models.TextField(_("notes"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
        verbose_name=_("created by"),
    )

    class Meta:
        verbose_name = _("vehicle")
        verbose_name_plural = _("vehicles")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["store", "vin"], name="vehicle_vin_per_store"),
            models.UniqueConstraint(fields=["store", "file_no"], name="vehicle_file_no_per_store"),
        ]
        indexes = [
            models.Index(fields=["store", "-id"], name="vehicle_store_recent"),
            *[
                models.Index(
                    fields=["store", key],
                    name=f"vehicle_store_{key}",
                    opclasses=["int8_ops", "varchar_pattern_ops"],
                )
                for key in ("plate", "vin_reversed")
            ],
            models.Index(fields=["insurance_expiry"], name="vehicle_insurance_expiry"),
            models.Index(fields=["inspection_due"], name="vehicle_inspection_due"),
        ]

    def __str__(self) -> str:
        label = self.plate or self.vin
        return f"{label} {self.brand} {self.series}".strip()

    def clean(self) -> None:
        errors: dict[str, list] = {}
        try:
            self.vin = clean_vin(self.vin or "", check_digit_confirmed=self.vin_check_confirmed)
        except ValidationError as error:
            errors["vin"] = error.error_list
        if self.plate:
            try:
                self.plate = clean_plate(self.plate)
            except ValidationError as error:
                errors["plate"] = error.messages
        if self.warranty_start and self.warranty_end and self.warranty_end < self.warranty_start:
            errors["warranty_end"] = [_("The warranty cannot end before it starts.")]
        if self.production_date and self.purchase_date and self.purchase_date < self.production_date:
            errors["purchase_date"] = [_("The car cannot be bought before it was made.")]
        if errors:
            raise ValidationError(errors)
        self.plate_kind = plate_kind(self.plate) or "" if self.plate else ""
        self.vin_reversed = reverse(self.vin)
        if self.vin_check_confirmed and vin_check_digit(self.vin) == self.vin[8]:
            self.vin_check_confirmed = False  # nothing to confirm: the check digit is right
        if self.model_year is None:
            self.model_year = vin_model_year(self.vin)

    @property
    def effective_user(self) -> Customer:
        return self.user or self.owner

    @property
    def effective_driver(self) -> Customer:
        return self.driver or self.user or self.owner


class VehiclePartyChange(models.Model):
    """A change of owner, user or driver: the history is kept, never overwritten (F-1.3)."""

    class Role(models.TextChoices):
        OWNER = "owner", _("owner")
        USER = "user", _("user")
        DRIVER = "driver", _("driver")

    vehicle = models.ForeignKey(Vehicle, on_delete=models.CASCADE, related_name="party_changes")
    role = models.CharField(_("role"), max_length=8, choices=Role.choices)
    previous = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("before")
    )
    new = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("after")
    )
    changed_on = models.DateField(_("date"))
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("by")
    )
    mileage = models.PositiveIntegerField(_("mileage (km)"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("change of owner, user or driver")
        ordering = ["-changed_on", "-id"]

    def __str__(self) -> str:
        return f"{self.changed_on} {self.role}: {self.previous_id} -> {self.new_id}"


class MileageReading(models.Model):
    """Every odometer reading: at each visit, at purchase, by hand. Feeds B-1 (km per day)."""

    class Source(models.TextChoices):
        PURCHASE = "purchase", _("at purchase")
        VISIT = "visit", _("visit")
        MANUAL = "manual", _("entered by hand")
        IMPORT = "import", _("imported")

    vehicle = models.ForeignKey(Vehicle, on_delete=models.CASCADE, related_name="mileage_readings")
    read_on = models.DateField(_("date"))
    mileage = models.PositiveIntegerField(_("mileage (km)"))
    source = models.CharField(_("source"), max_length=10, choices=Source.choices, default=Source.MANUAL)
    reference = models.CharField(
        _("reference"), max_length=40, blank=True, help_text=_("e.g. the work order number")
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("mileage reading")
        ordering = ["-read_on", "-id"]
        indexes = [models.Index(fields=["vehicle", "-read_on"], name="mileage_vehicle_recent")]

    def __str__(self) -> str:
        return f"{self.read_on} {self.mileage} km"


class ImportBatch(BaseModel):
    """An uploaded file between its preview and its import. Rows are kept as parsed, so the
    import is exactly what the preview showed."""

    class Status(models.TextChoices):
        PREVIEWED = "previewed", _("previewed")
        IMPORTED = "imported", _("imported")

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="+", verbose_name=_("store"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    filename = models.CharField(_("file"), max_length=200)
    rows = models.JSONField(default=list)
    problems = models.JSONField(default=list)
    summary = models.JSONField(default=dict)  # what the preview counted: new customers, vehicles, attached
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PREVIEWED)
    customers_created = models.PositiveIntegerField(default=0)
    vehicles_created = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("import")
        ordering = ["-id"]
