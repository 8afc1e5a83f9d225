"""Messages to owners: the wording per kind (templates) and every message sent (the outbox).

A message keeps what is needed to show that it was sent and what it said: the number, the
text as sent, whom and what it was about. Nothing else about the customer is copied here."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from pitstop.core.models import BaseModel
from pitstop.core.text import mask_identifier

from .kinds import kind_label


class Channel(models.TextChoices):
    SMS = "sms", _("SMS")


class MessageTemplate(BaseModel):
    """The wording of one kind of message: a store's own, or the chain's default (no store),
    used by every store that has no active template of its own."""

    store = models.ForeignKey(
        "accounts.Store",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("store"),
        help_text=_("Empty: the chain-wide default."),
    )
    kind = models.CharField(_("kind"), max_length=40)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, default=Channel.SMS)
    body = models.TextField(
        _("text"), help_text=_("Placeholders in braces, e.g. {customer}; the store's signature is added.")
    )
    is_active = models.BooleanField(
        _("active"), default=True, help_text=_("An inactive store template falls back to the chain default.")
    )

    class Meta:
        verbose_name = _("message template")
        verbose_name_plural = _("message templates")
        ordering = ["kind", "store_id"]
        permissions = [("change_chain_template", _("Edit the chain-wide message templates"))]
        constraints = [
            models.UniqueConstraint(
                fields=["store", "kind", "channel"],
                condition=models.Q(store__isnull=False),
                name="message_template_per_store",
            ),
            models.UniqueConstraint(
                fields=["kind", "channel"],
                condition=models.Q(store__isnull=True),
                name="message_template_chain_default",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind_label} ({self.store or _('chain default')})"

    @property
    def kind_label(self) -> str:
        return kind_label(self.kind)


class OutboundMessage(BaseModel):
    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        SENDING = "sending", _("sending")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")
        STORED = "stored", _("stored only")

    # queued → sending (one worker claims it) → sent / stored / failed, or back to queued for
    # another attempt; a failed message is queued again by "resend".
    ALLOWED = {
        Status.QUEUED: {Status.SENDING},
        Status.SENDING: {Status.SENT, Status.STORED, Status.FAILED, Status.QUEUED},
        Status.FAILED: {Status.QUEUED},
        Status.SENT: set(),
        Status.STORED: set(),
    }

    store = models.ForeignKey(
        "accounts.Store", on_delete=models.PROTECT, related_name="+", verbose_name=_("store")
    )
    kind = models.CharField(_("kind"), max_length=40)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, default=Channel.SMS)
    to = models.CharField(_("mobile"), max_length=20)
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("customer"),
    )
    vehicle = models.ForeignKey(
        "customers.Vehicle",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("vehicle"),
    )
    body = models.TextField(_("text as sent"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    error = models.CharField(_("last error"), max_length=300, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    gateway_id = models.CharField(_("gateway message id"), max_length=64, blank=True)
    # What the message is about, e.g. ("appointment", 12, "YYBJ01000012").
    reference_type = models.CharField(_("about"), max_length=32, blank=True)
    reference_id = models.PositiveBigIntegerField(null=True, blank=True)
    reference_no = models.CharField(_("document"), max_length=40, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("sent by"),
    )

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["store", "-id"], name="message_store_recent"),
            models.Index(fields=["store", "status"], name="message_store_status"),
            models.Index(fields=["store", "to"], name="message_store_to"),
            models.Index(fields=["reference_type", "reference_id"], name="message_reference"),
        ]

    def __str__(self) -> str:
        return f"{self.kind_label} → {self.to_masked}"

    @property
    def kind_label(self) -> str:
        return kind_label(self.kind)

    @property
    def to_masked(self) -> str:
        return mask_identifier(self.to)


class MessageEvent(models.Model):
    """Every change of a message's status: who (nobody for the sending task), when, why."""

    message = models.ForeignKey(OutboundMessage, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(_("time"), auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("by")
    )
    from_status = models.CharField(_("from"), max_length=10, blank=True)
    to_status = models.CharField(_("to"), max_length=10)
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("message event")
        verbose_name_plural = _("message events")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.from_status} → {self.to_status}"

    @property
    def from_label(self) -> str:
        return OutboundMessage.Status(self.from_status).label if self.from_status else ""

    @property
    def to_label(self) -> str:
        return OutboundMessage.Status(self.to_status).label
