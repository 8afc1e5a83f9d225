"""Settings of one balance row that a keeper changes by hand: where the part lies (bin) and
the minimum and maximum that drive low-stock alerts and what to order (F-5.6). Quantities and
costs are never set here: they change only through movements."""

from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from pitstop.accounts.models import User
from pitstop.core.audit import audit_record
from pitstop.core.exceptions import ApplicationError
from pitstop.core.money import plain, to_quantity

from .models import Bin, StockLevel

LEVEL_SETTINGS = ("bin", "min_level", "max_level")


@transaction.atomic
def level_settings_update(
    *, actor: User | None, level: StockLevel, bin: str, min_level, max_level
) -> StockLevel:
    level = (
        StockLevel.objects.select_for_update(of=("self",))
        .select_related("warehouse", "part")
        .get(pk=level.pk)
    )
    bin = (bin or "").strip().upper()
    low, high = to_quantity(min_level or 0), to_quantity(max_level or 0)
    if low < 0 or high < 0:
        raise ApplicationError(_("Minimum and maximum cannot be negative."), field="min_level")
    if high and high < low:
        raise ApplicationError(
            _("The maximum (%(high)s) is below the minimum (%(low)s).")
            % {"high": plain(high), "low": plain(low)},
            field="max_level",
        )
    known_bins = Bin.objects.filter(warehouse=level.warehouse)
    if bin and known_bins.exists() and not known_bins.filter(code=bin).exists():
        raise ApplicationError(
            _("There is no bin %(bin)s in %(warehouse)s.") % {"bin": bin, "warehouse": level.warehouse.name},
            field="bin",
        )
    before = {name: _text(getattr(level, name)) for name in LEVEL_SETTINGS}
    level.bin, level.min_level, level.max_level = bin, low, high
    level.save(update_fields=list(LEVEL_SETTINGS))
    after = {name: _text(getattr(level, name)) for name in LEVEL_SETTINGS}
    if before != after:
        audit_record(
            actor=actor,
            instance=level,
            action="update",
            before=before,
            after=after,
            store=level.warehouse.store,
            note=str(level.part),
        )
    return level


def _text(value) -> str:
    return plain(value) if isinstance(value, Decimal) else str(value)
