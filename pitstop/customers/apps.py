from django.apps import AppConfig
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def _due_panel(request) -> dict | None:
    from .selectors import vehicles_due

    due = vehicles_due(user=request.user, store=request.store, today=timezone.localdate())
    return (
        due if (due["insurance"] or due["inspection"]) else {"insurance": [], "inspection": [], "empty": True}
    )


def _birthday_panel(request) -> dict | None:
    from .selectors import birthdays_this_week

    return {
        "customers": birthdays_this_week(user=request.user, store=request.store, today=timezone.localdate())
    }


def _recent_panel(request) -> dict | None:
    from .selectors import recent_customers

    return {"customers": recent_customers(user=request.user, store=request.store)}


def _network_panel(request) -> dict | None:
    from .selectors import network_overview

    return {"stores": network_overview(user=request.user, today=timezone.localdate())}


class CustomersConfig(AppConfig):
    name = "pitstop.customers"
    label = "customers"
    verbose_name = _("Customers and vehicles")

    def ready(self):
        from pitstop.accounts.navigation import HomePanel, MenuEntry, register_menu, register_panel

        files = _("Customer files")
        register_menu(
            MenuEntry(_("Customers"), "customers:customer_list", "customers.view_customer", files, 10),
            MenuEntry(_("Vehicles"), "customers:vehicle_list", "customers.view_vehicle", files, 11),
            MenuEntry(_("Customer tiers"), "customers:tier_list", "customers.view_customertier", files, 12),
            MenuEntry(_("Import"), "customers:import_upload", "customers.import_customer", files, 13),
        )
        front_desk = frozenset({"advisor", "care_agent", "store_manager"})
        register_panel(
            HomePanel(
                "customers/panels/network.html",
                "customers.view_customer",
                _network_panel,
                10,
                frozenset({"hq", "admin"}),
            ),
            HomePanel("customers/panels/due.html", "customers.view_vehicle", _due_panel, 20, front_desk),
            HomePanel(
                "customers/panels/birthdays.html",
                "customers.view_customer",
                _birthday_panel,
                30,
                frozenset({"care_agent", "store_manager"}),
            ),
            HomePanel(
                "customers/panels/recent.html",
                "customers.add_customer",
                _recent_panel,
                40,
                frozenset({"advisor", "care_agent"}),
            ),
        )
