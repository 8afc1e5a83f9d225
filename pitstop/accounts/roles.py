"""The built-in roles of PRODUCT.md and the permissions each gets by default.

The defaults are applied on migrate. A default permission is given to a role once; if an
administrator later takes it away, migrate does not give it back (Role.defaults_applied)."""

from django.utils.translation import gettext_lazy as _

ROLE_LABELS = {
    "advisor": _("Service advisor"),
    "dispatcher": _("Workshop dispatcher"),
    "technician": _("Technician"),
    "team_leader": _("Team leader"),
    "qc_inspector": _("QC inspector"),
    "warehouse": _("Warehouse keeper"),
    "cashier": _("Cashier"),
    "care_agent": _("Customer care agent"),
    "store_manager": _("Store manager"),
    "hq": _("HQ after-sales"),
    "admin": _("Administrator"),
}
ROLE_CODES = tuple(ROLE_LABELS)
ALL_STORE_ROLES = frozenset({"hq", "admin"})

_READ_FILES = ["customers.view_customer", "customers.view_vehicle", "customers.view_customertier"]
_WRITE_FILES = _READ_FILES + [
    "customers.add_customer",
    "customers.change_customer",
    "customers.add_vehicle",
    "customers.change_vehicle",
    "customers.export_customer",
]

# What a manager adds to the front desk's rights: full personal data, imports, tiers, the trail.
_MANAGE_FILES = _WRITE_FILES + [
    "customers.view_personal_data",
    "customers.import_customer",
    "customers.add_customertier",
    "customers.change_customertier",
    "core.view_auditentry",
]

# Parts: everyone who works on cars may look stock up; the warehouse changes it.
_READ_PARTS = ["parts.view_part", "parts.view_warehouse", "parts.view_stocklevel"]
_KEEP_PARTS = _READ_PARTS + [
    "parts.add_part",
    "parts.change_part",
    "parts.view_stockmovement",
    "parts.add_stockmovement",
    "parts.view_reservation",
    "parts.add_reservation",
    "parts.change_reservation",
    "parts.view_supplier",
    "parts.view_purchaseorder",
    "parts.add_purchaseorder",
    "parts.change_purchaseorder",
    "parts.view_supplierreturn",
    "parts.add_supplierreturn",
    "parts.view_stocktake",
    "parts.add_stocktake",
    "parts.change_stocktake",
    "parts.view_transfer",
    "parts.add_transfer",
    "parts.change_transfer",
    "parts.view_countersale",
    "parts.add_countersale",
    "parts.change_countersale",
    "parts.view_oldpart",
    "parts.add_oldpart",
    "parts.change_oldpart",
    "parts.view_oldpartbatch",
    "parts.add_oldpartbatch",
    "parts.change_oldpartbatch",
]
# Head office reads every store's parts documents and changes none.
_AUDIT_PARTS = _READ_PARTS + [
    "parts.view_stockmovement",
    "parts.view_supplier",
    "parts.view_purchaseorder",
    "parts.view_supplierreturn",
    "parts.view_stocktake",
    "parts.view_transfer",
    "parts.view_countersale",
    "parts.view_oldpart",
    "parts.view_oldpartbatch",
]

# Messages to owners: the front desk and customer care send and see their store's outbox;
# managers also word the store's templates; the administrator words the chain's defaults.
_SEND_MESSAGES = [
    "messaging.view_outboundmessage",
    "messaging.add_outboundmessage",
    "messaging.view_messagetemplate",
]
_WORD_MESSAGES = _SEND_MESSAGES + ["messaging.add_messagetemplate", "messaging.change_messagetemplate"]

# Service: everyone in the process reads the catalogue and the bookings; the front desk books.
_READ_SERVICE = [
    "service.view_appointment",
    "service.view_labouroperation",
    "service.view_cannedjob",
    "service.view_maintenanceplan",
    "service.view_bay",
    "service.view_technicianduty",
]
_BOOK = _READ_SERVICE + ["service.add_appointment", "service.change_appointment"]
# The manager runs the workshop's set-up: hours, bays, who is on duty, rates, the store's jobs.
_RUN_WORKSHOP = _BOOK + [
    "service.view_workshopsettings",
    "service.change_workshopsettings",
    "service.add_bay",
    "service.change_bay",
    "service.add_technicianduty",
    "service.change_technicianduty",
    "service.delete_technicianduty",
    "service.view_labourrate",
    "service.add_labourrate",
    "service.change_labourrate",
    "service.add_cannedjob",
    "service.change_cannedjob",
]
# The chain's catalogue of labour and maintenance plans is kept by the administrator.
_KEEP_CATALOGUE = _RUN_WORKSHOP + [
    "service.add_labouroperation",
    "service.change_labouroperation",
    "service.add_maintenanceplan",
    "service.change_maintenanceplan",
]

# Everyone in the service process sees the repair orders of their store and the board.
_READ_ORDERS = [
    "service.view_repairorder",
    "workshop.view_assignment",
    "workshop.view_team",
    "workshop.view_timeentry",
    "workshop.view_partsrequest",
    "workshop.view_qualitycheck",
    "workshop.view_tool",
    "workshop.view_pdicheck",
]
# The advisor receives the car, writes the estimate and the order, asks the owner about add-on
# work, follows progress and tells the owner when the car is ready.
_RECEIVE = _READ_ORDERS + [
    "service.add_repairorder",
    "service.change_repairorder",
    "workshop.view_advisortask",
    "workshop.change_advisortask",
]
# Technicians clock on and off, report findings, ask the warehouse for parts, check their own
# work, borrow tools and do PDI checks.
_WORK = _READ_ORDERS + [
    "service.work_repairorder",
    "workshop.add_timeentry",
    "workshop.add_partsrequest",
    "workshop.add_qualitycheck",
    "workshop.add_toolloan",
    "workshop.add_pdicheck",
]
_DISPATCH = _READ_ORDERS + [
    "service.dispatch_repairorder",
    "workshop.add_assignment",
    "workshop.change_assignment",
    "workshop.add_team",
    "workshop.change_team",
    "workshop.add_tool",
    "workshop.change_tool",
    "workshop.add_toolloan",
    "workshop.change_toolloan",
]
_INSPECT = _READ_ORDERS + [
    "service.inspect_repairorder",
    "workshop.add_qualitycheck",
    "workshop.add_pdicheck",
]

# Loyalty: the front desk and the cash desk look up and sell memberships, stored value, package
# cards and coupons; the manager sets the rules (tiers are the customers app's).
_READ_LOYALTY = [
    "loyalty.view_membership",
    "loyalty.view_storedvalueaccount",
    "loyalty.view_pointsaccount",
    "loyalty.view_packagecard",
    "loyalty.view_packagecardtype",
    "loyalty.view_coupon",
    "loyalty.view_coupontype",
    "loyalty.view_topuprule",
    "loyalty.view_pointsrule",
]
_SELL_LOYALTY = _READ_LOYALTY + [
    "loyalty.add_membership",
    "loyalty.change_membership",
    "loyalty.add_storedvalueentry",
    "loyalty.add_packagecard",
    "loyalty.add_coupon",
]
_RULE_LOYALTY = _SELL_LOYALTY + [
    "loyalty.change_storedvalueaccount",
    "loyalty.change_packagecard",
    "loyalty.change_coupon",
    "loyalty.add_packagecardtype",
    "loyalty.change_packagecardtype",
    "loyalty.add_coupontype",
    "loyalty.change_coupontype",
    "loyalty.add_topuprule",
    "loyalty.change_topuprule",
    "loyalty.add_pointsrule",
    "loyalty.change_pointsrule",
    "loyalty.view_pointssettings",
    "loyalty.change_pointssettings",
]

# Billing: the advisor prepares the bill and hands the car over; the cashier settles, takes
# the money, collects receivables and closes the day; the manager approves discounts, reverses
# bills, grants credit and exports the day to the accounts.
_READ_BILLING = [
    "billing.view_settlement",
    "billing.view_payment",
    "billing.view_delivery",
    "billing.view_receivable",
    "billing.view_creditaccount",
    "billing.view_dayclose",
]
_PREPARE_BILL = _READ_BILLING + [
    "billing.add_settlement",
    "billing.change_settlement",
    "billing.add_delivery",
]
# The cashier also prepares a bill again after reversing it (反结算, 重新结算).
_CASH_DESK = _READ_BILLING + [
    "billing.add_settlement",
    "billing.change_settlement",
    "billing.post_settlement",
    "billing.reverse_settlement",
    "billing.add_payment",
    "billing.change_receivable",
    "billing.add_dayclose",
    "billing.add_delivery",
]
_RUN_BILLING = (
    _PREPARE_BILL
    + _CASH_DESK
    + [
        "billing.approve_settlement",
        "billing.export_dayclose",
        "billing.add_creditaccount",
        "billing.change_creditaccount",
        "billing.view_billingsettings",
        "billing.change_billingsettings",
    ]
)

DEFAULT_PERMISSIONS: dict[str, list[str]] = {
    "advisor": _WRITE_FILES
    + ["customers.view_personal_data"]
    + _READ_PARTS
    + _SEND_MESSAGES
    + _BOOK
    + _RECEIVE
    + _PREPARE_BILL
    + _SELL_LOYALTY,
    "dispatcher": _READ_FILES + _READ_PARTS + _READ_SERVICE + _DISPATCH,
    "technician": _READ_FILES + _READ_PARTS + _READ_SERVICE + _WORK,
    "team_leader": _READ_FILES + _READ_PARTS + _READ_SERVICE + _WORK + ["service.lead_repairorder"],
    "qc_inspector": _READ_FILES + _READ_PARTS + _READ_SERVICE + _INSPECT,
    # The keeper issues what technicians ask for, against the repair order.
    "warehouse": _READ_FILES + _KEEP_PARTS + _READ_ORDERS + ["workshop.change_partsrequest"],
    "cashier": _READ_FILES
    + _READ_PARTS
    + ["parts.view_countersale", "service.view_repairorder"]
    + _CASH_DESK
    + _SELL_LOYALTY,
    # Customer care calls through the system and sees phones masked (F-1.7).
    "care_agent": _WRITE_FILES + _SEND_MESSAGES + _BOOK,
    # The manager approves stocktakes (the keeper who counted does not post their own losses)
    # and decides a sale below cost.
    "store_manager": _MANAGE_FILES
    + _KEEP_PARTS
    + ["parts.approve_stocktake", "parts.sell_below_cost"]
    + _WORD_MESSAGES
    + _RUN_WORKSHOP
    + _RECEIVE
    + _DISPATCH
    + _INSPECT
    + ["service.lead_repairorder"]
    + _RUN_BILLING
    + _RULE_LOYALTY,
    "hq": _READ_FILES
    + _AUDIT_PARTS
    + ["customers.export_customer", "core.view_auditentry"]
    + ["messaging.view_outboundmessage", "messaging.view_messagetemplate"]
    + _READ_SERVICE
    + _READ_ORDERS
    + ["service.view_workshopsettings", "service.view_labourrate"]
    + _READ_BILLING
    + _READ_LOYALTY,
    "admin": _MANAGE_FILES
    + _KEEP_PARTS
    + _WORD_MESSAGES
    + _KEEP_CATALOGUE
    + _RECEIVE
    + _DISPATCH
    + _INSPECT
    + ["service.lead_repairorder"]
    + _RUN_BILLING
    + _RULE_LOYALTY
    + [
        "messaging.change_chain_template",
        "parts.approve_stocktake",
        "parts.sell_below_cost",
        "parts.add_supplier",
        "parts.change_supplier",
        "parts.view_partcategory",
        "parts.add_partcategory",
        "parts.change_partcategory",
        "parts.add_warehouse",
        "parts.change_warehouse",
        "accounts.view_user",
        "accounts.add_user",
        "accounts.change_user",
        "accounts.view_role",
        "accounts.change_role",
        "accounts.view_store",
        "accounts.add_store",
        "accounts.change_store",
        "accounts.view_membership",
        "accounts.add_membership",
        "accounts.change_membership",
        "accounts.delete_membership",
    ],
}


def role_label(code: str, stored_name: str = "") -> str:
    return ROLE_LABELS.get(code, stored_name or code)


def ensure_default_roles() -> None:
    from django.contrib.auth.models import Permission

    from .models import Role

    for code in ROLE_CODES:
        role, _created = Role.objects.get_or_create(
            code=code, defaults={"name": str(ROLE_LABELS[code]), "all_stores": code in ALL_STORE_ROLES}
        )
        wanted = set(DEFAULT_PERMISSIONS.get(code, [])) - set(role.defaults_applied)
        if not wanted:
            continue
        found = []
        for perm in sorted(wanted):
            app_label, codename = perm.split(".")
            permission = Permission.objects.filter(
                content_type__app_label=app_label, codename=codename
            ).first()
            if permission is not None:
                found.append(perm)
                role.permissions.add(permission)
        role.defaults_applied = sorted(set(role.defaults_applied) | set(found))
        role.save(update_fields=["defaults_applied", "updated_at"])
