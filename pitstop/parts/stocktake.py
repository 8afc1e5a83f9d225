"""Stocktake (盘点, F-5.7): a count sheet for a warehouse or some of its bins, counted by
barcode scanner or by hand, blind or not, submitted, approved and posted as gains and losses.

counting → submitted → posted, or back to counting (reopened), or cancelled before posting.

The difference posted for a line is counted − the book quantity at the moment the count was
entered (`book_at_count`), never counted − the quantity when the sheet was made: parts issued or
received while the count goes on are not mistaken for a loss or a gain. A line nobody counted is
not posted at all (it is listed as "not counted"); a zero count is posted only when someone
entered a zero. Posting is all or nothing."""

from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import QuerySet, Value
from django.db.models.functions import Coalesce, NullIf, Upper
from django.utils import timezone
from django.utils.translation import gettext as _

from pitstop.accounts.models import Store, User
from pitstop.core.events import record_event
from pitstop.core.exceptions import ApplicationError
from pitstop.core.money import plain, to_money, to_quantity
from pitstop.core.numbering import next_code
from pitstop.core.scoping import get_scoped_or_404, has_perm_in_store, scoped

from . import services
from .models import ZERO, Part, StockLevel, Stocktake, StocktakeLine, Warehouse

Status = Stocktake.Status

VIEW = "parts.view_stocktake"
ADD = "parts.add_stocktake"
CHANGE = "parts.change_stocktake"
APPROVE = "parts.approve_stocktake"
MOVE_STOCK = "parts.add_stockmovement"
REFERENCE_TYPE = "stocktake"
OPEN = (Status.COUNTING, Status.SUBMITTED)


# --- rights -----------------------------------------------------------------------------------


def may_create(user, store: Store | None) -> bool:
    return store is not None and has_perm_in_store(user, ADD, store.pk)


def may_change(user, stocktake: Stocktake) -> bool:
    """Count, submit, reopen, cancel: the keeper's and the manager's business in that store."""
    return has_perm_in_store(user, CHANGE, stocktake.store_id)


def may_post(user, stocktake: Stocktake) -> bool:
    """Approve and post: a right of its own, so the keeper who counted does not post their own
    losses; posting moves stock, so the stock right is needed too."""
    return has_perm_in_store(user, APPROVE, stocktake.store_id) and has_perm_in_store(
        user, MOVE_STOCK, stocktake.store_id
    )


def hides_book(stocktake: Stocktake) -> bool:
    """A blind count shows nobody the book quantity while the counting goes on."""
    return stocktake.blind and stocktake.status == Status.COUNTING


# --- selectors --------------------------------------------------------------------------------


def stocktakes_for(user, store: Store | None = None) -> QuerySet[Stocktake]:
    return scoped(Stocktake.objects.all(), user, VIEW, store=store).select_related(
        "store", "warehouse", "created_by", "posted_by"
    )


def stocktake_get(user, pk) -> Stocktake:
    """The stocktake, if the user may see it; 404 otherwise, also for another store's."""
    return get_scoped_or_404(
        Stocktake.objects.select_related("store", "warehouse", "created_by", "posted_by"), user, VIEW, pk=pk
    )


def stocktake_lines(stocktake: Stocktake) -> list[StocktakeLine]:
    return list(stocktake.lines.select_related("part", "counted_by").order_by("bin", "part__code"))


def warehouses_to_count(store: Store) -> QuerySet[Warehouse]:
    return Warehouse.objects.filter(store=store, is_active=True).order_by("code")


def bins_in_use(warehouses) -> dict[int, list[str]]:
    """{warehouse id: the bin codes its stock levels name}, for the form's hint."""
    result: dict[int, set[str]] = {}
    levels = StockLevel.objects.filter(warehouse__in=list(warehouses)).values_list(
        "warehouse_id", "bin", "part__default_bin"
    )
    for warehouse_id, bin_code, default_bin in levels:
        if bin_code or default_bin:
            result.setdefault(warehouse_id, set()).add(bin_code or default_bin)
    return {key: sorted(codes) for key, codes in result.items()}


def parse_bins(text: str) -> list[str]:
    """ "A-01, A-02，B-03" -> ["A-01", "A-02", "B-03"] (Chinese commas and spaces too)."""
    for separator in ("，", "、", ";", "；", " "):
        text = (text or "").replace(separator, ",")
    seen: list[str] = []
    for code in (part.strip().upper() for part in text.split(",")):
        if code and code not in seen:
            seen.append(code)
    return seen


@dataclass(frozen=True)
class Row:
    """A line with what it would post (before posting) or what it did post (after)."""

    line: StocktakeLine
    difference: Decimal | None  # None: not counted, nothing is posted
    unit_cost: Decimal | None
    value: Decimal | None

    @property
    def counted(self) -> bool:
        return self.line.counted is not None


@dataclass(frozen=True)
class Summary:
    lines: int
    counted: int
    not_counted: int
    with_difference: int
    gains: Decimal  # money, positive
    losses: Decimal  # money, negative
    gain_quantity: Decimal
    loss_quantity: Decimal

    @property
    def net(self) -> Decimal:
        return self.gains + self.losses


def difference_rows(stocktake: Stocktake, lines: list[StocktakeLine] | None = None) -> list[Row]:
    """Each line's difference and its value: once posted, what went into the ledger; before,
    counted − book at count at today's average cost (lines rounded, then summed)."""
    lines = stocktake_lines(stocktake) if lines is None else lines
    if stocktake.status == Status.POSTED:
        return [Row(line, line.difference, line.unit_cost, line.value) for line in lines]
    costs = dict(
        StockLevel.objects.filter(
            warehouse_id=stocktake.warehouse_id, part_id__in=[line.part_id for line in lines]
        ).values_list("part_id", "average_cost")
    )
    rows = []
    for line in lines:
        difference = line_difference(line)
        if difference is None:
            rows.append(Row(line, None, None, None))
            continue
        cost = costs.get(line.part_id) or line.part.cost_price
        rows.append(Row(line, difference, cost, to_money(difference * cost)))
    return rows


def summarise(rows: list[Row]) -> Summary:
    counted = [row for row in rows if row.difference is not None]
    gains = [row for row in counted if row.difference > 0]
    losses = [row for row in counted if row.difference < 0]
    return Summary(
        lines=len(rows),
        counted=len(counted),
        not_counted=len(rows) - len(counted),
        with_difference=len(gains) + len(losses),
        gains=sum((row.value or ZERO for row in gains), ZERO),
        losses=sum((row.value or ZERO for row in losses), ZERO),
        gain_quantity=sum((row.difference for row in gains), ZERO),
        loss_quantity=sum((row.difference for row in losses), ZERO),
    )


def line_difference(line: StocktakeLine) -> Decimal | None:
    """counted − book at count; None while the line is not counted."""
    if line.counted is None:
        return None
    return line.counted - (line.book_at_count if line.book_at_count is not None else line.expected)


def with_differences(lines: list[StocktakeLine]) -> list[StocktakeLine]:
    for line in lines:
        line.diff = line_difference(line)
    return lines


def progress(stocktake: Stocktake) -> tuple[int, int]:
    """(lines counted, lines on the sheet)."""
    lines = stocktake.lines.all()
    return lines.exclude(counted=None).count(), lines.count()


# --- services ---------------------------------------------------------------------------------


def _refuse_unless(allowed: bool) -> None:
    if not allowed:
        raise ApplicationError(_("You may not do this in this store."), code="permission")


def _open_elsewhere(warehouse: Warehouse, part_ids, exclude: Stocktake | None = None):
    """A line of another open stocktake of the warehouse for one of these parts: two open
    counts of one part would post its difference twice."""
    lines = StocktakeLine.objects.filter(
        stocktake__warehouse=warehouse, stocktake__status__in=OPEN, part_id__in=list(part_ids)
    ).select_related("stocktake", "part")
    if exclude is not None:
        lines = lines.exclude(stocktake=exclude)
    return lines.order_by("stocktake_id", "part__code").first()


def _already_counted_error(line: StocktakeLine) -> ApplicationError:
    return ApplicationError(
        _("%(part)s is on stocktake %(number)s, which is still open: post or cancel it first.")
        % {"part": line.part, "number": line.stocktake.number},
        code="open_stocktake",
    )


@transaction.atomic
def stocktake_create(
    *, actor: User, warehouse: Warehouse, bins: str = "", blind: bool = False, note: str = ""
) -> Stocktake:
    """A count sheet for the whole warehouse or some of its bins: every part with a stock level
    there, its book quantity as it is now. A bin is a level's own bin, else the part's default."""
    _refuse_unless(has_perm_in_store(actor, ADD, warehouse.store_id))
    if not warehouse.is_active:
        raise ApplicationError(
            _("The warehouse %(name)s is closed.") % {"name": warehouse.name}, field="warehouse"
        )
    codes = parse_bins(bins)
    levels = StockLevel.objects.filter(warehouse=warehouse).select_related("part")
    if codes:
        where = Upper(Coalesce(NullIf("bin", Value("")), "part__default_bin"))
        levels = levels.annotate(where=where).filter(where__in=codes)
    levels = list(levels.order_by("part__code"))
    found = {(level.bin or level.part.default_bin).upper() for level in levels}
    missing = [code for code in codes if code not in found]
    if missing:
        raise ApplicationError(
            _("No parts are kept in bin %(bins)s of %(warehouse)s.")
            % {"bins": ", ".join(missing), "warehouse": warehouse.name},
            field="bins",
        )
    if not levels:
        raise ApplicationError(
            _("%(warehouse)s holds no parts to count.") % {"warehouse": warehouse.name}, field="warehouse"
        )
    clash = _open_elsewhere(warehouse, [level.part_id for level in levels])
    if clash is not None:
        raise _already_counted_error(clash)
    stocktake = Stocktake.objects.create(
        store_id=warehouse.store_id,
        number=next_code("PD", warehouse.store.code),
        warehouse=warehouse,
        bins=", ".join(codes)[:200],
        blind=blind,
        note=note[:200],
        created_by=actor,
    )
    StocktakeLine.objects.bulk_create(
        StocktakeLine(
            stocktake=stocktake,
            part=level.part,
            bin=(level.bin or level.part.default_bin)[:20],
            expected=level.on_hand,
        )
        for level in levels
    )
    record_event(stocktake, actor, "", Status.COUNTING, note)
    return stocktake


def _lock_counting(actor: User, stocktake: Stocktake) -> Stocktake:
    _refuse_unless(may_change(actor, stocktake))
    stocktake = (
        Stocktake.objects.select_for_update(of=("self",)).select_related("warehouse").get(pk=stocktake.pk)
    )
    if stocktake.status != Status.COUNTING:
        raise ApplicationError(
            _("Stocktake %(number)s is %(status)s: reopen it to count again.")
            % {"number": stocktake.number, "status": Status(stocktake.status).label},
            code="transition",
        )
    return stocktake


def find_part(code: str) -> Part:
    """The part a scanner read: by its code (any case) or its barcode."""
    text = (code or "").strip()
    part = None
    if text:
        part = (
            Part.objects.filter(code__iexact=text).first()
            or Part.objects.filter(barcode=text).order_by("-is_active", "code").first()
        )
    if part is None:
        raise ApplicationError(
            _("No part with code or barcode “%(code)s”. Nothing was counted.") % {"code": text},
            field="code",
            code="unknown_part",
        )
    return part


def _book_now(stocktake: Stocktake, part: Part) -> tuple[Decimal, str]:
    level = StockLevel.objects.filter(part=part, warehouse_id=stocktake.warehouse_id).first()
    if level is None:
        return ZERO, part.default_bin
    return level.on_hand, level.bin or part.default_bin


def _record(line: StocktakeLine, actor: User, counted: Decimal | None) -> StocktakeLine:
    line.counted = counted
    if counted is None:
        line.book_at_count = line.counted_at = line.counted_by = None
    else:
        line.book_at_count, _bin = _book_now(line.stocktake, line.part)
        line.counted_at = timezone.now()
        line.counted_by = actor
    line.save(update_fields=["counted", "book_at_count", "counted_at", "counted_by"])
    return line


@dataclass(frozen=True)
class Scan:
    line: StocktakeLine
    quantity: Decimal  # what this scan added
    added: bool  # the part was not on the sheet and has been added


@transaction.atomic
def stocktake_scan(*, actor: User, stocktake: Stocktake, code: str, quantity=1) -> Scan:
    """A scanner read a code: one more of that part (or the quantity typed with it). A known part
    that is not on the sheet is added to it, its book quantity now as the expected one."""
    stocktake = _lock_counting(actor, stocktake)
    quantity = services.clean_quantity(1 if quantity in (None, "") else quantity)
    part = find_part(code)
    line = (
        StocktakeLine.objects.select_related("part", "stocktake")
        .filter(stocktake=stocktake, part=part)
        .first()
    )
    added = line is None
    if added:
        clash = _open_elsewhere(stocktake.warehouse, [part.pk], exclude=stocktake)
        if clash is not None:
            raise _already_counted_error(clash)
        book, bin_code = _book_now(stocktake, part)
        line = StocktakeLine.objects.create(stocktake=stocktake, part=part, bin=bin_code[:20], expected=book)
        line.stocktake = stocktake
    _record(line, actor, (line.counted or ZERO) + quantity)
    return Scan(line=line, quantity=quantity, added=added)


@transaction.atomic
def stocktake_set_count(*, actor: User, stocktake: Stocktake, line_id: int, counted) -> StocktakeLine:
    """A typed count for a line (24 filters in a box): replaces what was scanned. An empty
    value makes the line "not counted" again; zero means counted and none found."""
    stocktake = _lock_counting(actor, stocktake)
    line = StocktakeLine.objects.select_related("part").filter(stocktake=stocktake, pk=line_id).first()
    if line is None:
        raise ApplicationError(_("That line is not on this stocktake."), field="counted")
    line.stocktake = stocktake
    if counted in (None, ""):
        return _record(line, actor, None)
    try:
        value = to_quantity(counted)
    except (TypeError, ArithmeticError, ValueError):
        raise ApplicationError(_("The count must be a number."), field="counted") from None
    if value < 0:
        raise ApplicationError(_("A count cannot be negative."), field="counted")
    return _record(line, actor, value)


@transaction.atomic
def stocktake_transition(*, actor: User, stocktake: Stocktake, to: str, note: str = "") -> Stocktake:
    """Submit for approval, reopen to count again, or cancel. Posting is stocktake_post."""
    _refuse_unless(may_change(actor, stocktake))
    stocktake = Stocktake.objects.select_for_update().get(pk=stocktake.pk)
    if to == Status.POSTED or to not in Stocktake.ALLOWED.get(stocktake.status, set()):
        raise ApplicationError(
            _("A stocktake that is %(from)s cannot become %(to)s.")
            % {
                "from": Status(stocktake.status).label,
                "to": Status(to).label if to in Status.values else to,
            },
            field="status",
            code="transition",
        )
    if to == Status.SUBMITTED and not stocktake.lines.exclude(counted=None).exists():
        raise ApplicationError(_("Nothing has been counted yet."), code="nothing_counted")
    previous = stocktake.status
    stocktake.status = to
    stocktake.save(update_fields=["status", "updated_at"])
    record_event(stocktake, actor, previous, to, note)
    return stocktake


@transaction.atomic
def stocktake_post(*, actor: User, stocktake: Stocktake, note: str = "") -> Stocktake:
    """Approve and post: each counted line's difference (counted − book at count) goes into the
    ledger as a gain or a loss at the average cost, with what was posted kept on the line. Lines
    not counted are not posted. All or nothing: a loss larger than what is on hand now refuses
    the whole posting."""
    _refuse_unless(may_post(actor, stocktake))
    stocktake = (
        Stocktake.objects.select_for_update(of=("self",)).select_related("warehouse").get(pk=stocktake.pk)
    )
    if stocktake.status != Status.SUBMITTED:
        raise ApplicationError(
            _("A stocktake that is %(from)s cannot become %(to)s.")
            % {"from": Status(stocktake.status).label, "to": Status.POSTED.label},
            field="status",
            code="transition",
        )
    warehouse = stocktake.warehouse
    lines = list(stocktake.lines.select_related("part").exclude(counted=None).order_by("part_id"))
    levels = services.lock_levels([(line.part_id, warehouse.pk) for line in lines])
    for line in lines:  # validate everything before writing anything
        line.difference = line_difference(line)
        level = levels[(line.part_id, warehouse.pk)]
        if level.on_hand + line.difference < 0:
            raise ApplicationError(
                _(
                    "Nothing was posted: %(part)s shows a loss of %(loss)s but only %(on_hand)s are on "
                    "hand now. Reopen the stocktake and count it again."
                )
                % {"part": line.part, "loss": plain(-line.difference), "on_hand": plain(level.on_hand)},
                code="insufficient_stock",
            )
    reference = services.Reference(REFERENCE_TYPE, stocktake.pk, stocktake.number)
    for line in lines:
        movement = services.stock_adjust(
            actor=actor,
            warehouse=warehouse,
            part=line.part,
            difference=line.difference,
            reference=reference,
            note=note,
        )
        line.movement = movement
        if movement is None:
            level = levels[(line.part_id, warehouse.pk)]
            line.unit_cost = level.average_cost or line.part.cost_price
            line.value = ZERO
        else:
            line.unit_cost = movement.unit_cost
            line.value = movement.value  # the change of the stock value: the ledger agrees
        line.save(update_fields=["difference", "unit_cost", "value", "movement"])
    previous = stocktake.status
    stocktake.status = Status.POSTED
    stocktake.posted_at = timezone.now()
    stocktake.posted_by = actor
    stocktake.save(update_fields=["status", "posted_at", "posted_by", "updated_at"])
    record_event(stocktake, actor, previous, Status.POSTED, note)
    return stocktake
