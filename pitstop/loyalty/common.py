"""What the loyalty services share: amounts, dates, actors and locking a balance row."""

import calendar
import datetime
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pitstop.accounts.models import User
from pitstop.core.exceptions import ApplicationError
from pitstop.core.money import to_money
from pitstop.parts.services import NO_REFERENCE, Reference

__all__ = ["NO_REFERENCE", "Reference", "add_months", "by", "clean_amount", "lock_row", "today"]


def by(actor: User | None) -> User | None:
    return actor if actor is not None and actor.pk else None


def today(on: datetime.date | datetime.datetime | None = None) -> datetime.date:
    if on is None:
        return timezone.localdate()
    if isinstance(on, datetime.datetime):
        return timezone.localdate(on) if timezone.is_aware(on) else on.date()
    return on


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The same day so many months later, or the month's last day (31 Jan + 1 = 28/29 Feb)."""
    years, month = divmod(day.month - 1 + months, 12)
    year = day.year + years
    return day.replace(year=year, month=month + 1, day=min(day.day, calendar.monthrange(year, month + 1)[1]))


def clean_amount(value, field: str = "amount", *, allow_zero: bool = False) -> Decimal:
    """An amount of money from the caller, to the cent; more than zero unless allowed."""
    try:
        amount = to_money(value)
    except (TypeError, ValueError, ArithmeticError, InvalidOperation):
        raise ApplicationError(
            _("The amount must be a number."), field=field, code="invalid_amount"
        ) from None
    if amount < 0 or (amount == 0 and not allow_zero):
        raise ApplicationError(_("The amount must be more than zero."), field=field, code="invalid_amount")
    return amount


def lock_row(model, **keys):
    """The balance row with these keys, created if missing, then locked (select_for_update).
    The row must exist before it is locked, or two first top-ups would race."""
    if not model.objects.filter(**keys).exists():
        try:
            with transaction.atomic():
                model.objects.create(**keys)
        except IntegrityError:
            pass  # created by a concurrent caller
    return model.objects.select_for_update().get(**keys)
