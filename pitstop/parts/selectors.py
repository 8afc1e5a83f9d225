"""Reads of parts and stock, scoped: the catalogue is shared by the chain; stock, warehouses
and movements belong to a store."""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q, QuerySet

from pitstop.accounts.models import Store
from pitstop.core.scoping import scoped
from pitstop.core.text import normalise_code

from .models import Part, PartPrice, StockLevel, StockMovement, Warehouse

VIEW_STOCK = "parts.view_stocklevel"
VIEW_MOVEMENTS = "parts.view_stockmovement"


def parts_matching(query: str) -> QuerySet[Part]:
    """By code, barcode, name, pinyin initials of the name, or a model it fits."""
    text = (query or "").strip()
    parts = Part.objects.filter(is_active=True)
    if not text:
        return parts
    code = normalise_code(text)
    return parts.filter(
        Q(code__istartswith=code)
        | Q(barcode=text)
        | Q(name__icontains=text)
        | Q(name_initials__contains=text.lower())  # 滤清器 (lqq) finds 机油滤清器 (jylqq)
        | Q(fits_models__icontains=text)
    )


def warehouses_for(user, store: Store | None = None) -> QuerySet[Warehouse]:
    return scoped(Warehouse.objects.all(), user, "parts.view_warehouse", store=store).select_related("store")


def levels_for(user, store: Store | None = None) -> QuerySet[StockLevel]:
    return scoped(
        StockLevel.objects.all(), user, VIEW_STOCK, store_field="warehouse__store_id", store=store
    ).select_related("part", "warehouse")


def movements_for(user, store: Store | None = None) -> QuerySet[StockMovement]:
    return scoped(StockMovement.objects.all(), user, VIEW_MOVEMENTS, store=store).select_related(
        "part", "warehouse", "created_by"
    )


@dataclass(frozen=True)
class Suggestion:
    level: StockLevel
    on_order: Decimal
    quantity: Decimal  # to order now


def purchase_suggestions(*, user, store: Store) -> list[Suggestion]:
    """What to order (F-5.6): where what is available (on hand less reservations) and what is
    already on order falls below the minimum, order up to the maximum."""
    from .purchasing import outstanding_by_part

    levels = [
        level
        for level in levels_for(user, store).filter(min_level__gt=0).order_by("warehouse__code", "part__code")
        if level.available < level.min_level
    ]
    on_order = outstanding_by_part([store.pk], [level.part_id for level in levels])
    suggestions = []
    for level in levels:
        coming = on_order.get((level.part_id, level.warehouse_id), Decimal(0))
        if level.available + coming >= level.min_level:
            continue
        target = max(level.max_level, level.min_level)
        suggestions.append(
            Suggestion(level=level, on_order=coming, quantity=target - level.available - coming)
        )
    return suggestions


def sale_prices(parts, price_type: str) -> dict[int, Decimal]:
    """{part id: unit sale price} for a customer's price type (retail, member, trade…); a part
    without a price of that type sells at its own sale price."""
    parts = list(parts)
    special = dict(
        PartPrice.objects.filter(part__in=parts, price_type=price_type).values_list("part_id", "price")
    )
    return {part.pk: special.get(part.pk, part.sale_price) for part in parts}


@dataclass(frozen=True)
class Todo:
    key: str
    label: str
    count: int
    url: str
    urgent: bool = False


def warehouse_todo(*, user, store: Store | None) -> dict:
    """What waits for the parts department today, each line only for a role allowed to act on
    it: parts below minimum, deliveries due, transfers on the way in, counts to approve, sales
    waiting at the cash desk, old parts to put away."""
    from django.db.models import F
    from django.urls import reverse
    from django.utils import timezone
    from django.utils.translation import gettext as _

    from .models import CounterSale, OldPart, PurchaseOrder, Stocktake, Transfer

    def ids(perm: str) -> list[int]:
        allowed = user.store_ids_with(perm)
        return sorted(allowed & {store.pk} if store is not None else allowed)

    today = timezone.localdate()
    todo: list[Todo] = []
    if stores := ids(VIEW_STOCK):
        low = StockLevel.objects.filter(warehouse__store_id__in=stores, on_hand__lt=F("min_level")).count()
        todo.append(
            Todo("low", _("Parts below their minimum"), low, reverse("parts:stock_list") + "?low=1", low > 0)
        )
    if stores := ids("parts.view_purchaseorder"):
        due = PurchaseOrder.objects.filter(
            store_id__in=stores,
            status__in=[PurchaseOrder.Status.ORDERED, PurchaseOrder.Status.PARTLY_RECEIVED],
        )
        late = due.filter(expected_on__lt=today).count()
        todo.append(
            Todo("due", _("Deliveries awaited"), due.count(), reverse("parts:purchase_order_list"), False)
        )
        if late:
            todo.append(
                Todo("late", _("Deliveries overdue"), late, reverse("parts:purchase_order_list"), True)
            )
    if stores := ids("parts.view_transfer"):
        coming = Transfer.objects.filter(
            target_store_id__in=stores, status=Transfer.Status.IN_TRANSIT
        ).count()
        todo.append(
            Todo(
                "transfers", _("Transfers on the way in"), coming, reverse("parts:transfer_list"), coming > 0
            )
        )
    if stores := ids("parts.approve_stocktake"):
        waiting = Stocktake.objects.filter(store_id__in=stores, status=Stocktake.Status.SUBMITTED).count()
        todo.append(
            Todo(
                "stocktakes",
                _("Stocktakes to approve"),
                waiting,
                reverse("parts:stocktake_list"),
                waiting > 0,
            )
        )
    if stores := ids("parts.view_countersale"):
        unpaid = CounterSale.objects.filter(store_id__in=stores, status=CounterSale.Status.POSTED).count()
        todo.append(
            Todo(
                "sales",
                _("Counter sales awaiting payment"),
                unpaid,
                reverse("parts:counter_sale_list"),
                False,
            )
        )
    if stores := ids("parts.change_oldpart"):
        loose = OldPart.objects.filter(store_id__in=stores, status=OldPart.Status.COLLECTED).count()
        todo.append(
            Todo("old_parts", _("Old parts to put away"), loose, reverse("parts:old_part_list"), False)
        )
    return {"todo": todo}
