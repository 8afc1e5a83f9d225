from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _default_templates(sender, **kwargs):
    # The chain default of every kind of message exists after every migrate, also for kinds
    # that apps registered since (a default someone changed is left alone).
    from .services import ensure_default_templates

    ensure_default_templates()


class MessagingConfig(AppConfig):
    name = "pitstop.messaging"
    label = "messaging"
    verbose_name = _("Messages to owners")

    def ready(self):
        from pitstop.accounts.navigation import MenuEntry, register_menu

        post_migrate.connect(_default_templates, sender=self, dispatch_uid="pitstop_default_templates")
        section = _("Messages")
        register_menu(
            MenuEntry(_("Outbox"), "messaging:outbox", "messaging.view_outboundmessage", section, 80),
            MenuEntry(
                _("Message templates"),
                "messaging:template_list",
                "messaging.view_messagetemplate",
                section,
                81,
            ),
        )
