from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LoyaltyConfig(AppConfig):
    name = "pitstop.loyalty"
    label = "loyalty"
    verbose_name = _("Memberships and loyalty")

    def ready(self):
        from pitstop.accounts.navigation import MenuEntry, register_menu

        section = _("Memberships and loyalty")
        register_menu(
            MenuEntry(_("Loyalty members"), "loyalty:member_list", "loyalty.view_membership", section, 60),
            MenuEntry(_("Coupons"), "loyalty:coupon_list", "loyalty.view_coupon", section, 61),
            MenuEntry(_("Loyalty rules"), "loyalty:top_up_rule_list", "loyalty.add_topuprule", section, 62),
        )
