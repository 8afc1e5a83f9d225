"""Stock reports (F-5.11): stock value, slow movers, turnover and the movement history of a
part. Reads only, every one scoped to the stores where the user holds the permission.

Stock value and slow movers read the balance rows (StockLevel: value, last_movement_at), never
the ledger, so they cost the same however long the ledger grows.

Turnover reads the ledger, but only from the start of the period on. The stock value at a
moment t is rolled back from the balance: value(t) = balance value − Σ ledger values since t.
That is exact, because each movement records the change of the balance's value (services.py),
and it touches only the movements since t (index on time) instead of looking for the last
movement before t of every part and warehouse. Average stock value = (opening + closing) / 2."""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Case, Count, F, IntegerField, Q, QuerySet, Sum, When
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from pitstop.accounts.models import Store
from pitstop.core.money import to_money, to_quantity
from pitstop.core.scoping import scoped

from .models import ZERO, Part, PartCategory, StockLevel, StockMovement, Warehouse
from .selectors import VIEW_MOVEMENTS, VIEW_STOCK, movements_for

Kind = StockMovement.Kind
VALUE_GROUPS = ("warehouse", "category", "subcategory")
TURNOVER_GROUPS = ("part", "category")
# What went out to be used or sold, and what came back from a job (nets the former).
OUT_KINDS = (Kind.ISSUE, Kind.EXCHANGE_OUT, Kind.COUNTER_SALE)
BACK_KINDS = (Kind.RETURN, Kind.EXCHANGE_IN)
RATIO = Decimal("0.01")
DAYS = Decimal("0.1")
MAIN_CATEGORY = Coalesce("part__category__parent_id", "part__category_id")
SUB_CATEGORY = Case(
    When(part__category__parent_id__isnull=False, then=F("part__category_id")),
    default=None,
    output_field=IntegerField(),
)


# --- stock value ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ValueRow:
    label: str  # warehouse, main category or sub-category
    detail: str  # the store of a warehouse, the main category of a sub-category
    lines: int  # balances with stock
    quantity: Decimal
    value: Decimal


@dataclass(frozen=True)
class ValueReport:
    by: str
    rows: list[ValueRow]
    lines: int
    quantity: Decimal
    value: Decimal

    @property
    def total_value(self) -> Decimal:
        return self.value


def _warehouse_ids(user, perm: str, store: Store | None, warehouse: Warehouse | None) -> list[int]:
    """The warehouses of the stores where the user holds `perm`: a short list of ids, so the
    balance rows are filtered on their own column (no join, and the planner counts right)."""
    warehouses = scoped(Warehouse.objects.all(), user, perm, store=store)
    if warehouse is not None:
        warehouses = warehouses.filter(pk=warehouse.pk)
    return list(warehouses.values_list("pk", flat=True))


def value_queryset(
    *, user, store: Store | None, by: str, warehouse: Warehouse | None = None, warehouse_ids=None
) -> QuerySet:
    """Balances with stock, summed per warehouse, main category or sub-category: one query."""
    if warehouse_ids is None:
        warehouse_ids = _warehouse_ids(user, VIEW_STOCK, store, warehouse)
    levels = StockLevel.objects.filter(on_hand__gt=0, warehouse_id__in=warehouse_ids)
    if by == "warehouse":
        groups = levels.values("warehouse_id").order_by("warehouse_id")
    elif by == "category":
        groups = levels.values(main=MAIN_CATEGORY).order_by("main")
    elif by == "subcategory":
        groups = levels.values(main=MAIN_CATEGORY, sub=SUB_CATEGORY).order_by("main", "sub")
    else:
        raise ValueError(f"unknown grouping {by!r}")
    return groups.annotate(lines=Count("id"), stock=Sum("on_hand"), amount=Sum("value"))


def stock_value(
    *, user, store: Store | None, by: str = "warehouse", warehouse: Warehouse | None = None
) -> ValueReport:
    """Stock on hand and its value from the balance rows, with totals. Three queries: the
    warehouses in scope, the sums, the names of the groups."""
    warehouse_ids = _warehouse_ids(user, VIEW_STOCK, store, warehouse)
    groups = list(value_queryset(user=user, store=store, by=by, warehouse_ids=warehouse_ids))
    rows = []
    if by == "warehouse":
        sums = {g["warehouse_id"]: g for g in groups}
        for w in (
            Warehouse.objects.filter(pk__in=sums).select_related("store").order_by("store__code", "code")
        ):
            g = sums[w.pk]
            rows.append(
                ValueRow(
                    f"{w.code} {w.name}", w.store.name, g["lines"], _qty(g["stock"]), _money(g["amount"])
                )
            )
    else:
        categories = _categories({g["main"] for g in groups} | {g.get("sub") for g in groups})
        for g in groups:
            main_code, main = categories.get(g["main"], ("", _("No category")))
            if by == "category":
                rows.append(
                    (main_code, "", ValueRow(main, "", g["lines"], _qty(g["stock"]), _money(g["amount"])))
                )
            else:
                sub_code, sub = categories.get(g.get("sub"), ("", "—"))
                rows.append(
                    (
                        main_code,
                        sub_code,
                        ValueRow(sub, main, g["lines"], _qty(g["stock"]), _money(g["amount"])),
                    )
                )
        # By category code, the parts without a category last.
        rows = [row for _m, _s, row in sorted(rows, key=lambda r: (r[0] == "", r[0], r[1]))]
    return ValueReport(
        by=by,
        rows=rows,
        lines=sum(row.lines for row in rows),
        quantity=sum((row.quantity for row in rows), ZERO),
        value=sum((row.value for row in rows), ZERO),
    )


def _money(total) -> Decimal:
    """A database sum as money: SQLite sums decimals as floating point (−1.7E-18 for zero)."""
    return to_money(total if total is not None else ZERO) + ZERO  # never "-0.00"


def _qty(total) -> Decimal:
    return to_quantity(total if total is not None else ZERO) + ZERO


def _categories(ids: set) -> dict[int, tuple[str, str]]:
    """{id: (code, name)} of the categories named, in one query."""
    ids = {pk for pk in ids if pk is not None}
    found = PartCategory.objects.filter(pk__in=ids).values_list("pk", "code", "name") if ids else []
    return {pk: (code, name) for pk, code, name in found}


# --- slow movers ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SlowMovers:
    levels: QuerySet  # the balances, biggest value first
    cutoff: datetime.datetime
    count: int
    quantity: Decimal
    value: Decimal

    @property
    def total_value(self) -> Decimal:
        return self.value


def slow_movers(
    *,
    user,
    store: Store | None,
    days: int = 90,
    warehouse: Warehouse | None = None,
    now: datetime.datetime | None = None,
) -> SlowMovers:
    """Stock on hand that has not moved for `days` days (or never), with the value tied up."""
    cutoff = (now or timezone.now()) - datetime.timedelta(days=days)
    levels = StockLevel.objects.filter(
        Q(last_movement_at__lt=cutoff) | Q(last_movement_at__isnull=True),
        warehouse_id__in=_warehouse_ids(user, VIEW_STOCK, store, warehouse),
        on_hand__gt=0,
    )
    totals = levels.aggregate(count=Count("id"), stock=Sum("on_hand"), amount=Sum("value"))
    return SlowMovers(
        levels=levels.select_related("warehouse__store", "part__category").order_by(
            "-value", "part__code", "pk"
        ),
        cutoff=cutoff,
        count=totals["count"],
        quantity=_qty(totals["stock"]),
        value=_money(totals["amount"]),
    )


# --- turnover ---------------------------------------------------------------------------------


@dataclass
class TurnoverRow:
    code: str
    name: str
    unit: str = ""
    issued_quantity: Decimal = ZERO
    issued_cost: Decimal = ZERO
    returned_quantity: Decimal = ZERO
    returned_cost: Decimal = ZERO
    opening_value: Decimal = ZERO
    closing_value: Decimal = ZERO
    days: int = 1
    extra: dict = field(default_factory=dict)

    @property
    def net_quantity(self) -> Decimal:
        return self.issued_quantity - self.returned_quantity

    @property
    def net_cost(self) -> Decimal:
        """The cost of what was used or sold: issued out less what came back from jobs."""
        return self.issued_cost - self.returned_cost

    @property
    def average_value(self) -> Decimal:
        return to_money((self.opening_value + self.closing_value) / 2)

    @property
    def ratio(self) -> Decimal | None:
        """Turnover for the period: cost used ÷ average stock value."""
        average = self.average_value
        return (self.net_cost / average).quantize(RATIO) if average > 0 else None

    @property
    def days_of_stock(self) -> Decimal | None:
        """How many days the average stock lasts at the period's rate of use."""
        if self.net_cost <= 0:
            return None
        return (self.average_value * self.days / self.net_cost).quantize(DAYS)


@dataclass(frozen=True)
class TurnoverReport:
    by: str
    date_from: datetime.date
    date_to: datetime.date
    days: int
    rows: list[TurnoverRow]
    total: TurnoverRow


def day_start(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def turnover(
    *,
    user,
    store: Store | None,
    date_from: datetime.date,
    date_to: datetime.date,
    by: str = "part",
    warehouse: Warehouse | None = None,
) -> TurnoverReport:
    """Per part or per main category: quantity and cost issued out in the period (issues,
    exchanges out, counter sales; returns and exchanges back from jobs net them), opening and
    closing stock value, average value, turnover ratio and days of stock. Two queries for
    parts, three for categories."""
    if by not in TURNOVER_GROUPS:
        raise ValueError(f"unknown grouping {by!r}")
    start, end = day_start(date_from), day_start(date_to + datetime.timedelta(days=1))
    days = (date_to - date_from).days + 1
    warehouse_ids = _warehouse_ids(user, VIEW_MOVEMENTS, store, warehouse)
    levels = StockLevel.objects.filter(warehouse_id__in=warehouse_ids)
    movements = StockMovement.objects.filter(at__gte=start, warehouse_id__in=warehouse_ids)
    if by == "part":
        keys = ("part_id", "part__code", "part__name", "part__unit")
        levels, movements = levels.values(*keys), movements.values(*keys)
    else:
        levels, movements = levels.values(key=MAIN_CATEGORY), movements.values(key=MAIN_CATEGORY)
    rows: dict = {}

    def row_for(group: dict) -> TurnoverRow:
        key = group["part_id"] if by == "part" else group["key"]
        if key not in rows:
            if by == "part":
                rows[key] = TurnoverRow(
                    group["part__code"], group["part__name"], group["part__unit"], days=days
                )
            else:
                rows[key] = TurnoverRow("", "", days=days, extra={"category_id": key})
        return rows[key]

    for group in levels.annotate(amount=Sum("value")).filter(amount__gt=0).order_by():
        row = row_for(group)
        row.opening_value = row.closing_value = _money(group["amount"])
    in_period = Q(at__lt=end)
    for group in movements.annotate(
        since_start=Sum("value"),
        since_end=Sum("value", filter=~in_period),
        out_quantity=Sum("quantity", filter=in_period & Q(kind__in=OUT_KINDS)),
        out_value=Sum("value", filter=in_period & Q(kind__in=OUT_KINDS)),
        back_quantity=Sum("quantity", filter=in_period & Q(kind__in=BACK_KINDS)),
        back_value=Sum("value", filter=in_period & Q(kind__in=BACK_KINDS)),
    ).order_by():
        row = row_for(group)
        current = row.opening_value
        row.opening_value = current - _money(group["since_start"])
        row.closing_value = current - _money(group["since_end"])
        row.issued_quantity = -_qty(group["out_quantity"])
        row.issued_cost = -_money(group["out_value"])
        row.returned_quantity = _qty(group["back_quantity"])
        row.returned_cost = _money(group["back_value"])
    if by == "category":
        categories = _categories(set(rows))
        for key, row in rows.items():
            row.code, row.name = categories.get(key, ("", _("No category")))
    listed = [
        row
        for row in rows.values()
        if row.issued_quantity or row.returned_quantity or row.opening_value or row.closing_value
    ]
    listed.sort(key=lambda row: (-row.net_cost, row.code == "", row.code))
    total = TurnoverRow("", "", days=days)
    for row in listed:
        total.issued_quantity += row.issued_quantity
        total.issued_cost += row.issued_cost
        total.returned_quantity += row.returned_quantity
        total.returned_cost += row.returned_cost
        total.opening_value += row.opening_value
        total.closing_value += row.closing_value
    return TurnoverReport(by=by, date_from=date_from, date_to=date_to, days=days, rows=listed, total=total)


# --- movement history -------------------------------------------------------------------------


def movement_history(
    *,
    user,
    store: Store | None,
    part_code: str = "",
    warehouse: Warehouse | None = None,
    kind: str = "",
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
) -> QuerySet[StockMovement]:
    """The ledger lines the user may see, newest first, with the on-hand after each one."""
    movements = movements_for(user, store)
    code = part_code.strip()
    if code:
        movements = movements.filter(
            part_id__in=Part.objects.filter(Q(code__iexact=code) | Q(barcode=code)).values("pk")
        )
    if warehouse is not None:
        movements = movements.filter(warehouse=warehouse)
    if kind:
        movements = movements.filter(kind=kind)
    if date_from:
        movements = movements.filter(at__gte=day_start(date_from))
    if date_to:
        movements = movements.filter(at__lt=day_start(date_to + datetime.timedelta(days=1)))
    return movements.select_related("warehouse__store").order_by("-id")
