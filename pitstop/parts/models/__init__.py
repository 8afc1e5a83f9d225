"""Parts and warehouse (F-5), one module per part of the job; everything is importable from
`pitstop.parts.models`."""

from .catalogue import Bin, Part, PartCategory, PartPrice, Warehouse
from .common import MONEY, QTY, UNIT_COST, ZERO
from .old_parts import OldPart, OldPartBatch, OldPartEvent
from .purchasing import (
    PurchaseOrder,
    PurchaseOrderEvent,
    PurchaseOrderLine,
    Supplier,
    SupplierReturn,
    SupplierReturnLine,
)
from .sales import CounterSale, CounterSaleEvent, CounterSaleLine
from .stock import Reservation, StockLevel, StockMovement
from .stocktake import Stocktake, StocktakeEvent, StocktakeLine
from .transfers import Transfer, TransferEvent, TransferLine

__all__ = [
    "MONEY",
    "QTY",
    "UNIT_COST",
    "ZERO",
    "Bin",
    "CounterSale",
    "CounterSaleEvent",
    "CounterSaleLine",
    "OldPart",
    "OldPartBatch",
    "OldPartEvent",
    "Part",
    "PartCategory",
    "PartPrice",
    "PurchaseOrder",
    "PurchaseOrderEvent",
    "PurchaseOrderLine",
    "Reservation",
    "StockLevel",
    "StockMovement",
    "Stocktake",
    "StocktakeEvent",
    "StocktakeLine",
    "Supplier",
    "SupplierReturn",
    "SupplierReturnLine",
    "Transfer",
    "TransferEvent",
    "TransferLine",
    "Warehouse",
]
