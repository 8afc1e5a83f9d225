from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartsConfig(AppConfig):
    name = "pitstop.parts"
    label = "parts"
    verbose_name = _("Parts and warehouse")

    def ready(self):
        from pitstop.accounts.navigation import MenuEntry, register_menu

        parts = _("Parts")
        register_menu(
            MenuEntry(_("Stock"), "parts:stock_list", "parts.view_stocklevel", parts, 30),
            MenuEntry(_("Receive parts"), "parts:receive", "parts.add_stockmovement", parts, 31),
            MenuEntry(_("Issue parts"), "parts:issue", "parts.add_stockmovement", parts, 32),
            MenuEntry(_("What to order"), "parts:suggestions", "parts.add_stockmovement", parts, 33),
        )
