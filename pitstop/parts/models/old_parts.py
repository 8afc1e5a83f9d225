"""Old parts (F-5.10, 旧件): each one collected from a job, a claim or entered by hand, then
stored, and finally returned to the supplier or manufacturer in a batch (清退), given back to
the owner, or scrapped. Old parts have no stock value: they are tracked one record each."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from pitstop.accounts.models import Store
from pitstop.core.models import BaseModel, EventBase

from .catalogue import Part, Warehouse
from .common import QTY
from .purchasing import Supplier


class OldPartBatch(BaseModel):
    """A return batch: old parts packed together and sent back, with a printed list."""

    class Destination(models.TextChoices):
        SUPPLIER = "supplier", _("supplier")
        MANUFACTURER = "manufacturer", _("manufacturer")

    class Status(models.TextChoices):
        OPEN = "open", _("packing")
        SENT = "sent", _("sent")
        CANCELLED = "cancelled", _("cancelled")

    ALLOWED = {
        Status.OPEN: {Status.SENT, Status.CANCELLED},
        Status.SENT: set(),
        Status.CANCELLED: set(),
    }

    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="+", verbose_name=_("store"))
    number = models.CharField(_("batch no."), max_length=32, editable=False)
    destination = models.CharField(_("returned to"), max_length=12, choices=Destination.choices)
    supplier = models.ForeignKey(
        Supplier,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("supplier"),
    )
    recipient = models.CharField(_("recipient"), max_length=100, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.OPEN)
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("old parts return batch")
        verbose_name_plural = _("old parts return batches")
        ordering = ["-id"]
        constraints = [models.UniqueConstraint(fields=["store", "number"], name="old_part_batch_number")]

    def __str__(self) -> str:
        return self.number


class OldPart(BaseModel):
    class Source(models.TextChoices):
        JOB = "job", _("from a job")
        CLAIM = "claim", _("from a warranty claim")
        MANUAL = "manual", _("entered by hand")

    class Status(models.TextChoices):
        COLLECTED = "collected", _("collected")
        STORED = "stored", _("stored")
        RETURNED = "returned", _("returned")
        GIVEN_BACK = "given_back", _("given back to the owner")
        SCRAPPED = "scrapped", _("scrapped")

    # RETURNED is reached only by sending the batch the part is in.
    ALLOWED = {
        Status.COLLECTED: {Status.STORED, Status.GIVEN_BACK, Status.SCRAPPED},
        Status.STORED: {Status.RETURNED, Status.GIVEN_BACK, Status.SCRAPPED},
        Status.RETURNED: set(),
        Status.GIVEN_BACK: set(),
        Status.SCRAPPED: set(),
    }

    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="+", verbose_name=_("store"))
    number = models.CharField(_("old part no."), max_length=32, editable=False)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices, default=Source.MANUAL)
    part = models.ForeignKey(
        Part, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("part")
    )
    description = models.CharField(_("description"), max_length=100, blank=True)
    quantity = models.DecimalField(_("quantity"), **QTY, default=1)
    # The job or claim it came from, kept generic like the ledger's reference.
    reference_type = models.CharField(_("document type"), max_length=30, blank=True)
    reference_id = models.PositiveBigIntegerField(null=True, blank=True)
    reference_no = models.CharField(_("document no."), max_length=40, blank=True)
    vehicle = models.ForeignKey(
        "customers.Vehicle",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("vehicle"),
    )
    plate = models.CharField(_("plate"), max_length=20, blank=True)
    warehouse = models.ForeignKey(
        Warehouse,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("kept in"),
    )
    bin = models.CharField(_("bin"), max_length=20, blank=True)
    batch = models.ForeignKey(
        OldPartBatch,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="old_parts",
        verbose_name=_("return batch"),
    )
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.COLLECTED)
    note = models.CharField(_("note"), max_length=200, blank=True)
    collected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("old part")
        verbose_name_plural = _("old parts")
        ordering = ["-id"]
        constraints = [models.UniqueConstraint(fields=["store", "number"], name="old_part_number_per_store")]
        indexes = [models.Index(fields=["store", "status"], name="old_part_store_status")]

    def __str__(self) -> str:
        return self.number


class OldPartEvent(EventBase):
    old_part = models.ForeignKey(OldPart, on_delete=models.CASCADE, related_name="events")

    class Meta(EventBase.Meta):
        pass

    def __str__(self) -> str:
        return f"{self.old_part_id}: {self.from_status} -> {self.to_status}"
