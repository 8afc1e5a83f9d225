from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartsConfig(AppConfig):
    name = "pitstop.parts"
    label = "parts"
    verbose_name = _("Parts and warehouse")

    def ready(self):
        from pitstop.accounts.navigation import MenuEntry, register_menu

        register_menu(MenuEntry(_("Stock"), "parts:stock_list", "parts.view_stocklevel", _("Parts"), 30))
