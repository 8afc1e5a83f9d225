"""The audit trail: every change to a record, who made it and when, before and after."""

import datetime
import hashlib
import hmac
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from .models import AuditEntry
from .text import mask_identifier

Snapshot = dict[str, Any]


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, Decimal | datetime.date | datetime.datetime):
        return str(value)
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, list | tuple | set):
        return sorted(str(item) for item in value)
    return str(value)


def masked_fingerprint(value: str) -> str:
    """138****8000 #3fa2c1: the mask a reader may see plus a keyed hash, so that a change of
    the hidden digits is still a change in the trail, and the trail still hides them."""
    digest = hmac.new(settings.SECRET_KEY.encode(), value.encode(), hashlib.sha256).hexdigest()[:6]
    return f"{mask_identifier(value)} #{digest}"


def snapshot(
    instance: models.Model, fields: list[str], *, sensitive: frozenset[str] = frozenset()
) -> Snapshot:
    """The values of `fields` as JSON-able text. Sensitive values are kept masked: the trail
    must not become a way round the masking of phones and ID numbers."""
    values: Snapshot = {}
    for name in fields:
        field = instance._meta.get_field(name)
        if field.many_to_many:
            value = [str(item) for item in getattr(instance, name).all()] if instance.pk else []
        elif field.is_relation:
            value = getattr(instance, name)
        else:
            value = getattr(instance, field.attname)
        value = _plain(value)
        if name in sensitive and value:
            value = masked_fingerprint(str(value))
        values[name] = value
    return values


_EMPTY = (None, "", [], False)


def diff(before: Snapshot, after: Snapshot) -> dict[str, list[Any]]:
    """The fields whose value changed; "nothing" (None, "", [], False) counts as one value, so a
    new record lists only what was filled in."""
    changes = {}
    for key in sorted(set(before) | set(after)):
        old, new = before.get(key), after.get(key)
        if old in _EMPTY and new in _EMPTY:
            continue
        if old != new:
            changes[key] = [old, new]
    return changes


def audit_record(
    *,
    actor,
    instance: models.Model,
    action: str,
    before: Snapshot | None = None,
    after: Snapshot | None = None,
    store=None,
    note: str = "",
) -> AuditEntry:
    changes = diff(before or {}, after or {})
    return AuditEntry.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        store=store if store is not None else getattr(instance, "store", None),
        action=action,
        content_type=ContentType.objects.get_for_model(instance, for_concrete_model=False),
        object_id=str(instance.pk),
        object_repr=str(instance)[:200],
        changes=changes,
        note=note[:300],
    )


def audit_for(instance: models.Model, limit: int = 50) -> QuerySet[AuditEntry]:
    return (
        AuditEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(instance, for_concrete_model=False),
            object_id=str(instance.pk),
        )
        .select_related("actor")
        .order_by("-at", "-id")[:limit]
    )


def _readable(field, value: Any) -> Any:
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if field is not None and field.choices and value not in _EMPTY:
        return dict(field.flatchoices).get(value, value)
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return value


def labelled_changes(entry: AuditEntry, model: type[models.Model]) -> list[tuple[str, Any, Any]]:
    """(field label, before, after) in the reader's language, choices shown by their labels."""
    rows = []
    for name, (before, after) in entry.changes.items():
        try:
            field = model._meta.get_field(name)
            label = field.verbose_name
        except Exception:  # a field removed since the entry was written, or not a field
            field, label = None, name
        rows.append((str(label), _readable(field, before), _readable(field, after)))
    return rows
