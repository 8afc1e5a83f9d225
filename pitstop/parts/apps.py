from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _warehouse_panel(request) -> dict | None:
    from .selectors import warehouse_todo

    return warehouse_todo(user=request.user, store=request.store)


class PartsConfig(AppConfig):
    name = "pitstop.parts"
    label = "parts"
    verbose_name = _("Parts and warehouse")

    def ready(self):
        from pitstop.accounts.navigation import HomePanel, MenuEntry, register_menu, register_panel

        warehouse, buying, reports = _("Warehouse"), _("Purchasing"), _("Parts reports")
        keep = "parts.add_stockmovement"
        register_menu(
            MenuEntry(_("Stock"), "parts:stock_list", "parts.view_stocklevel", warehouse, 30),
            MenuEntry(_("Parts catalogue"), "parts:catalogue", "parts.view_part", warehouse, 31),
            MenuEntry(_("Receive parts"), "parts:receive", keep, warehouse, 32),
            MenuEntry(_("Issue parts"), "parts:issue", keep, warehouse, 33),
            MenuEntry(_("Return parts"), "parts:return", keep, warehouse, 34),
            MenuEntry(_("Exchange parts"), "parts:exchange", keep, warehouse, 35),
            MenuEntry(_("Counter sales"), "parts:counter_sale_list", "parts.view_countersale", warehouse, 36),
            MenuEntry(_("Stocktake"), "parts:stocktake_list", "parts.view_stocktake", warehouse, 37),
            MenuEntry(_("Transfers"), "parts:transfer_list", "parts.view_transfer", warehouse, 38),
            MenuEntry(_("Old parts"), "parts:old_part_list", "parts.view_oldpart", warehouse, 39),
            MenuEntry(
                _("Old parts returns"), "parts:old_part_batch_list", "parts.view_oldpartbatch", warehouse, 40
            ),
            MenuEntry(
                _("Purchase orders"), "parts:purchase_order_list", "parts.view_purchaseorder", buying, 41
            ),
            MenuEntry(_("What to order"), "parts:suggestions", "parts.add_purchaseorder", buying, 42),
            MenuEntry(
                _("Returns to suppliers"),
                "parts:supplier_return_list",
                "parts.view_supplierreturn",
                buying,
                43,
            ),
            MenuEntry(_("Suppliers"), "parts:supplier_list", "parts.view_supplier", buying, 44),
            MenuEntry(_("Stock value"), "parts:report_stock_value", "parts.view_stocklevel", reports, 45),
            MenuEntry(_("Slow movers"), "parts:report_slow_movers", "parts.view_stocklevel", reports, 46),
            MenuEntry(_("Turnover"), "parts:report_turnover", "parts.view_stockmovement", reports, 47),
            MenuEntry(
                _("Movement history"), "parts:report_movements", "parts.view_stockmovement", reports, 48
            ),
        )
        register_panel(
            HomePanel(
                "parts/panels/todo.html",
                "parts.view_stocklevel",
                _warehouse_panel,
                15,
                frozenset({"warehouse", "store_manager", "cashier"}),
            )
        )
