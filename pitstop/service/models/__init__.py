"""The service app's tables: workshop set-up, the labour catalogue and appointments (setup),
and the repair order from reception to ready (orders)."""

from .orders import (  # noqa: F401
    CERTIFIED_CATEGORIES,
    Approval,
    ApprovalVia,
    BusinessType,
    Finding,
    OrderLabour,
    OrderLine,
    OrderPart,
    OrderPhoto,
    RepairCategory,
    RepairOrder,
    RepairOrderEvent,
)
from .setup import *  # noqa: F401,F403
from .setup import HOURS, MONEY, QTY, ZERO  # noqa: F401
