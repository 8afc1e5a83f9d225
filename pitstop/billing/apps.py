from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    name = "pitstop.billing"
    label = "billing"
    verbose_name = _("Settlement and payments")

    def ready(self):
        from pitstop.accounts.navigation import MenuEntry, register_menu

        desk, accounts = _("Cash desk"), _("Accounts")
        register_menu(
            MenuEntry(_("Cash desk"), "billing:desk", "billing.view_settlement", desk, 30),
            MenuEntry(_("Bills to approve"), "billing:approvals", "billing.approve_settlement", desk, 31),
            MenuEntry(_("My day"), "billing:closing_day", "billing.add_dayclose", desk, 32),
            MenuEntry(_("Day closes"), "billing:closing_list", "billing.view_dayclose", desk, 33),
            MenuEntry(_("Receivables"), "billing:receivable_list", "billing.view_receivable", accounts, 40),
            MenuEntry(
                _("Credit accounts"),
                "billing:credit_account_list",
                "billing.view_creditaccount",
                accounts,
                41,
            ),
        )
