from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _default_roles(sender, **kwargs):
    # Like Django's own permissions, the built-in roles are (re)made after every migrate,
    # once the permissions they point at exist.
    from .roles import ensure_default_roles

    ensure_default_roles()


class AccountsConfig(AppConfig):
    name = "pitstop.accounts"
    label = "accounts"
    verbose_name = _("Stores and staff")

    def ready(self):
        post_migrate.connect(_default_roles, dispatch_uid="pitstop_default_roles")
