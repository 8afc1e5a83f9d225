"""Reads of messaging, already scoped to what the user may see."""

import datetime
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from pitstop.accounts.models import Store
from pitstop.core.scoping import get_scoped_or_404, permitted_store_ids, scoped
from pitstop.core.text import normalise_code

from .kinds import KINDS, Kind
from .models import Channel, MessageTemplate, OutboundMessage

VIEW_MESSAGE = "messaging.view_outboundmessage"
SEND_MESSAGE = "messaging.add_outboundmessage"
VIEW_TEMPLATE = "messaging.view_messagetemplate"
ADD_TEMPLATE = "messaging.add_messagetemplate"
CHANGE_TEMPLATE = "messaging.change_messagetemplate"
CHAIN_TEMPLATE = "messaging.change_chain_template"
PERSONAL = "customers.view_personal_data"


def template_for(*, store: Store, kind: str, channel: str = Channel.SMS) -> MessageTemplate | None:
    """The wording a store uses: its own active template, else the chain's active default."""
    candidates = MessageTemplate.objects.filter(
        Q(store=store) | Q(store__isnull=True), kind=kind, channel=channel, is_active=True
    )
    found = {template.store_id: template for template in candidates}
    return found.get(store.pk) or found.get(None)


def messages_for(user, store: Store | None = None) -> QuerySet[OutboundMessage]:
    return scoped(OutboundMessage.objects.all(), user, VIEW_MESSAGE, store=store)


def outbox(
    *,
    user,
    store: Store | None,
    status: str = "",
    kind: str = "",
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
    query: str = "",
) -> QuerySet[OutboundMessage]:
    """The store's messages, newest first, filtered. The search box takes a plate (or part of
    it) or the tail of a mobile. Where the user sees numbers masked only what the mask shows
    may be matched (the last 4 digits, or the whole number), so that guessing digit by digit
    cannot reveal the hidden ones."""
    messages = messages_for(user, store).select_related("store", "vehicle", "customer", "created_by")
    if status in OutboundMessage.Status.values:
        messages = messages.filter(status=status)
    if kind in KINDS:
        messages = messages.filter(kind=kind)
    if date_from:
        messages = messages.filter(created_at__date__gte=date_from)
    if date_to:
        messages = messages.filter(created_at__date__lte=date_to)
    text = normalise_code(query)
    if text.isdigit():
        full_view = Q(store_id__in=sorted(permitted_store_ids(user, PERSONAL)))
        match = full_view & Q(to__endswith=text)
        if len(text) <= 4:
            match |= Q(to__endswith=text)
        elif len(text) == 11:
            match |= Q(to=text)
        messages = messages.filter(match)
    elif len(text) >= 2:
        messages = messages.filter(Q(vehicle__plate__contains=text) | Q(body__contains=text))
    return messages.order_by("-id")


def message_get(*, user, pk) -> OutboundMessage:
    return get_scoped_or_404(
        OutboundMessage.objects.select_related("store", "vehicle", "customer", "created_by"),
        user,
        VIEW_MESSAGE,
        pk=pk,
    )


def message_events(message: OutboundMessage) -> list:
    return list(message.events.select_related("actor"))


def full_numbers_in(user) -> frozenset[int]:
    """Stores where the user sees mobiles in full; elsewhere they are masked (F-1.7)."""
    return permitted_store_ids(user, PERSONAL)


@dataclass
class TemplateRow:
    kind: Kind
    chain: MessageTemplate | None
    own: MessageTemplate | None  # the current store's template, when a store is chosen
    others: list[MessageTemplate]  # other stores' templates (the "all stores" view)

    @property
    def in_use(self) -> MessageTemplate | None:
        if self.own is not None and self.own.is_active:
            return self.own
        return self.chain if self.chain is not None and self.chain.is_active else None


def template_rows(*, user, store: Store | None) -> list[TemplateRow]:
    """One row per kind of message: the chain default and the store templates the user may
    see (the current store's only, when one is chosen)."""
    chain = {t.kind: t for t in MessageTemplate.objects.filter(store__isnull=True, channel=Channel.SMS)}
    stores = scoped(
        MessageTemplate.objects.filter(channel=Channel.SMS).select_related("store"),
        user,
        VIEW_TEMPLATE,
        store=store,
    ).order_by("store__code")
    own: dict[str, MessageTemplate] = {}
    others: dict[str, list[MessageTemplate]] = {}
    for template in stores:
        if store is not None and template.store_id == store.pk:
            own[template.kind] = template
        else:
            others.setdefault(template.kind, []).append(template)
    return [
        TemplateRow(kind=kind, chain=chain.get(code), own=own.get(code), others=others.get(code, []))
        for code, kind in KINDS.items()
    ]


def template_get(*, user, pk: int) -> MessageTemplate:
    """A store's template the user may see (404 otherwise), or a chain default, which every
    store uses and so anyone who may see templates may read."""
    template = MessageTemplate.objects.select_related("store").filter(pk=pk).first()
    if template is not None and template.store_id is None and permitted_store_ids(user, VIEW_TEMPLATE):
        return template
    return get_scoped_or_404(MessageTemplate.objects.select_related("store"), user, VIEW_TEMPLATE, pk=pk)
