"""Every write of messaging: templates saved, messages recorded and queued, delivery outcomes.

Sending is two steps. `message_send` checks and renders the message and records it as
queued inside the caller's transaction; only once that commits is the sending task queued
(`transaction.on_commit`), so a work order that fails half-way sends nothing. The task calls
`message_deliver`, which claims the message (queued → sending, so two workers never send it
twice), talks to the gateway outside any transaction and records the outcome.

`actor` is the person who caused the message, or None when the system sends it (a reminder
run by the scheduler). Permissions are checked by the pages that call these."""

import datetime
import logging
import math
import re
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pitstop.accounts.models import Store, User
from pitstop.core.audit import audit_record, snapshot
from pitstop.core.exceptions import ApplicationError
from pitstop.core.identifiers import clean_mobile

from . import selectors
from .gateways import GatewayError, get_gateway
from .kinds import KINDS, OPT_OUT_WORDS, Kind, get_kind
from .models import Channel, MessageEvent, MessageTemplate, OutboundMessage

logger = logging.getLogger(__name__)
Status = OutboundMessage.Status

MAX_ATTEMPTS = 3
MAX_LENGTH = 500  # characters as sent; carriers split long SMS into 67-character parts
TEMPLATE_FIELDS = ["kind", "channel", "body", "is_active"]
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_FULL_WIDTH_BRACES = str.maketrans({"｛": "{", "｝": "}"})


@dataclass(frozen=True)
class Reference:
    """What a message is about, e.g. Reference("appointment", 12, "YYBJ01000012")."""

    type: str
    id: int | None = None
    no: str = ""


# --- text ------------------------------------------------------------------------------------


def signature(store: Store) -> str:
    """【北京朝阳店】: Chinese carriers deliver only SMS that start with the sender's registered
    signature in 【】. SMS_SIGNATURE sets one signature for the whole chain; unset, the store's
    name is used."""
    name = (getattr(settings, "SMS_SIGNATURE", "") or store.name).strip()
    return f"【{name}】"


def sms_segments(text: str) -> int:
    """How many SMS a text is billed as: 70 characters in one (67 per part when longer) once it
    holds any Chinese character, 160 (153) for plain ASCII."""
    if not text:
        return 0
    single, part = (160, 153) if text.isascii() else (70, 67)
    return 1 if len(text) <= single else math.ceil(len(text) / part)


def placeholders_in(body: str) -> list[str]:
    return _PLACEHOLDER.findall(body or "")


def clean_template_body(kind: Kind, body: str) -> str:
    """The text normalised, or an ApplicationError on the body: unknown placeholders, stray
    braces, a signature typed in, a marketing text without a way to opt out."""
    body = (body or "").translate(_FULL_WIDTH_BRACES).strip()
    if not body:
        raise ApplicationError(_("Write the text of the message."), field="body", code="required")
    unknown = sorted({name for name in placeholders_in(body) if name not in kind.placeholders})
    if unknown:
        raise ApplicationError(
            _("Unknown placeholder %(names)s. This kind of message may use: %(allowed)s.")
            % {
                "names": ", ".join(f"{{{name}}}" for name in unknown),
                "allowed": ", ".join(f"{{{name}}}" for name in sorted(kind.placeholders)),
            },
            field="body",
            code="unknown_placeholder",
        )
    if "{" in _PLACEHOLDER.sub("", body) or "}" in _PLACEHOLDER.sub("", body):
        raise ApplicationError(
            _("A placeholder is a name in braces, e.g. {customer}; a single brace is not allowed."),
            field="body",
            code="braces",
        )
    if "【" in body or "】" in body:
        raise ApplicationError(
            _("The signature 【…】 is added automatically; remove it from the text."),
            field="body",
            code="signature",
        )
    if kind.marketing and not any(word in body for word in OPT_OUT_WORDS):
        raise ApplicationError(
            _("A marketing message must tell how to opt out, e.g. “拒收请回复R” or “回T退订”."),
            field="body",
            code="opt_out",
        )
    return body


def _text(value: Any) -> str:
    if isinstance(value, datetime.datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
        return f"{value.month}月{value.day}日 {value:%H:%M}"
    if isinstance(value, datetime.date):
        return f"{value.month}月{value.day}日"
    return "" if value is None else str(value).strip()


def salutation(customer) -> str:
    """How a message addresses the customer: 张先生 / 王女士 for a person whose gender is
    known, the full name otherwise, a company by its name. For the {customer} placeholder."""
    name = (customer.name or "").strip()
    if customer.kind == "company" or not name:
        return name
    title = {"male": "先生", "female": "女士"}.get(customer.gender, "")
    return name[0] + title if title else name


def store_context(store: Store) -> dict[str, str]:
    values = {"store": store.name, "address": store.address, "phone": store.phone}
    return {key: value for key, value in values.items() if value}


def render_body(*, store: Store, body: str, context: dict[str, Any]) -> str:
    """The text as the customer will read it: signature, then the template with every
    placeholder filled in. A placeholder without a value is an ApplicationError naming it."""
    values = {**store_context(store), **{key: _text(value) for key, value in context.items()}}
    missing = sorted({name for name in placeholders_in(body) if not values.get(name)})
    if missing:
        raise ApplicationError(
            _("The message needs %(names)s, which was not given.")
            % {"names": ", ".join(f"{{{name}}}" for name in missing)},
            code="missing_placeholder",
        )
    text = signature(store) + _PLACEHOLDER.sub(lambda match: values[match.group(1)], body)
    if len(text) > MAX_LENGTH:
        raise ApplicationError(
            _("The message is %(length)d characters long; at most %(max)d can be sent.")
            % {"length": len(text), "max": MAX_LENGTH},
            code="too_long",
        )
    return text


# --- templates -------------------------------------------------------------------------------


def _kind_or_error(code: str) -> Kind:
    kind = get_kind(code)
    if kind is None:
        raise ApplicationError(_("Unknown kind of message “%(kind)s”.") % {"kind": code}, code="kind")
    return kind


@transaction.atomic
def template_save(
    *,
    actor: User | None,
    store: Store | None,
    kind: str,
    body: str,
    is_active: bool = True,
    template: MessageTemplate | None = None,
) -> MessageTemplate:
    """Create a store's template (store None: the chain default) or change one; audited."""
    spec = _kind_or_error(template.kind if template else kind)
    body = clean_template_body(spec, body)
    if template is None:
        if MessageTemplate.objects.filter(store=store, kind=spec.code, channel=Channel.SMS).exists():
            raise ApplicationError(
                _("There is already a template of this kind here; change that one."), code="duplicate"
            )
        template = MessageTemplate(store=store, kind=spec.code, channel=Channel.SMS)
        before: dict = {}
        action = "create"
    else:
        template = MessageTemplate.objects.select_for_update().get(pk=template.pk)
        before = snapshot(template, TEMPLATE_FIELDS)
        action = "update"
    template.body = body
    template.is_active = is_active
    template.save()
    after = snapshot(template, TEMPLATE_FIELDS)
    if before != after:
        audit_record(actor=actor, instance=template, action=action, before=before, after=after)
    return template


def ensure_default_templates() -> int:
    """The chain default of every registered kind, created when missing (on every migrate).
    A default someone changed is never overwritten."""
    created = 0
    for kind in KINDS.values():
        _template, was_created = MessageTemplate.objects.get_or_create(
            store=None, kind=kind.code, channel=Channel.SMS, defaults={"body": kind.default_body}
        )
        created += was_created
    return created


# --- messages --------------------------------------------------------------------------------


def _move(message: OutboundMessage, to: str, *, actor: User | None, note: str = "", **fields) -> None:
    """Change the status of a locked message, with its event row."""
    if to not in OutboundMessage.ALLOWED[message.status]:
        raise ApplicationError(
            _("A message that is %(from)s cannot become %(to)s.")
            % {"from": Status(message.status).label, "to": Status(to).label},
            code="status",
        )
    MessageEvent.objects.create(
        message=message, actor=actor, from_status=message.status, to_status=to, note=note[:300]
    )
    message.status = to
    for name, value in fields.items():
        setattr(message, name, value)
    message.save(update_fields=["status", *fields, "updated_at"])


def _queue_delivery(message_id: int) -> None:
    from .tasks import deliver_message

    deliver_message.delay(message_id)


def _check_same_store(store: Store, **related) -> None:
    for field, obj in related.items():
        if obj is not None and obj.store_id != store.pk:
            raise ApplicationError(_("This belongs to another store."), field=field, code="store")


@transaction.atomic
def message_send(
    *,
    actor: User | None,
    store: Store,
    kind: str,
    to: str,
    context: dict[str, Any],
    customer=None,
    vehicle=None,
    reference: Reference | None = None,
) -> OutboundMessage:
    """Render the store's template of `kind` (or the chain default) with `context`, record
    the message as queued and send it once the caller's transaction commits.

    Marketing kinds go only to a customer who agreed to marketing messages; service notices
    are sent regardless (see kinds.py)."""
    spec = _kind_or_error(kind)
    try:
        mobile = clean_mobile(to)
    except ValidationError as error:
        raise ApplicationError(error.messages[0], field="to", code="mobile") from None
    _check_same_store(store, customer=customer, vehicle=vehicle)
    if spec.marketing and (customer is None or not customer.marketing_consent):
        raise ApplicationError(
            _("This customer has not agreed to marketing messages; only service notices may be sent."),
            code="no_marketing_consent",
        )
    template = selectors.template_for(store=store, kind=spec.code)
    if template is None:
        raise ApplicationError(
            _("There is no active template for “%(kind)s”; a manager sets one up under Message templates.")
            % {"kind": spec.label},
            code="no_template",
        )
    body = render_body(store=store, body=template.body, context=context)
    message = OutboundMessage.objects.create(
        store=store,
        kind=spec.code,
        channel=template.channel,
        to=mobile,
        customer=customer,
        vehicle=vehicle,
        body=body,
        reference_type=reference.type if reference else "",
        reference_id=reference.id if reference else None,
        reference_no=reference.no if reference else "",
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    MessageEvent.objects.create(message=message, actor=message.created_by, to_status=Status.QUEUED)
    transaction.on_commit(lambda: _queue_delivery(message.pk), robust=True)
    return message


@transaction.atomic
def message_resend(*, actor: User, message: OutboundMessage) -> OutboundMessage:
    """A failed message queued again, with three fresh attempts."""
    message = OutboundMessage.objects.select_for_update().get(pk=message.pk)
    if message.status != Status.FAILED:
        raise ApplicationError(
            _("Only a failed message can be sent again; this one is %(status)s.")
            % {"status": Status(message.status).label},
            code="status",
        )
    _move(message, Status.QUEUED, actor=actor, note=_("sent again"), attempts=0, error="")
    transaction.on_commit(lambda: _queue_delivery(message.pk), robust=True)
    return message


def message_deliver(*, message_id: int) -> str:
    """Hand one queued message to the gateway and record what happened. Returns the outcome:
    "sent", "stored", "failed", "retry" (the task tries again later) or "skipped" (not
    queued: sent meanwhile, or claimed by another worker)."""
    with transaction.atomic():
        message = OutboundMessage.objects.select_for_update().filter(pk=message_id).first()
        if message is None or message.status != Status.QUEUED:
            return "skipped"
        _move(message, Status.SENDING, actor=None, attempts=message.attempts + 1)
    gateway = get_gateway()
    try:
        delivery = gateway.send(to=message.to, text=message.body)
    except GatewayError as error:
        failure, retry = str(error), error.retry
    except Exception as error:  # a bug or an unexpected answer: recorded, never a lost message
        logger.exception("SMS gateway %s failed on message %s", gateway.name, message_id)
        failure, retry = f"{type(error).__name__}: {error}", True
    else:
        with transaction.atomic():
            message = OutboundMessage.objects.select_for_update().get(pk=message_id)
            status = Status.STORED if delivery.stored_only else Status.SENT
            _move(
                message, status, actor=None, sent_at=timezone.now(), gateway_id=delivery.gateway_id, error=""
            )
        return str(status)
    retry = retry and message.attempts < MAX_ATTEMPTS
    note = _("attempt %(n)d of %(max)d: %(error)s") % {
        "n": message.attempts,
        "max": MAX_ATTEMPTS,
        "error": failure,
    }
    with transaction.atomic():
        message = OutboundMessage.objects.select_for_update().get(pk=message_id)
        _move(message, Status.QUEUED if retry else Status.FAILED, actor=None, note=note, error=note[:300])
    return "retry" if retry else "failed"
