from functools import cached_property

from django.contrib.auth.models import AbstractUser, Permission
from django.db import models
from django.utils.translation import gettext_lazy as _

from pitstop.core.models import BaseModel


class Store(BaseModel):
    """A service station (门店) or the headquarters. Nearly every record belongs to one."""

    code = models.CharField(
        _("code"), max_length=16, unique=True, help_text=_("Short code used in document numbers, e.g. BJ01.")
    )
    name = models.CharField(_("name"), max_length=100)
    is_headquarters = models.BooleanField(_("headquarters"), default=False)
    address = models.CharField(_("address"), max_length=200, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("store")
        verbose_name_plural = _("stores")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name}"


class Role(BaseModel):
    """A set of permissions. The built-in roles are created on migrate; an administrator
    may change what each role may do in the admin, and that change is kept."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=60)
    all_stores = models.BooleanField(
        _("applies to all stores"),
        default=False,
        help_text=_("Headquarters roles: the permissions hold in every store."),
    )
    permissions = models.ManyToManyField(Permission, verbose_name=_("permissions"), blank=True)
    # Default permissions already given once; a default the administrator removed is not re-added.
    defaults_applied = models.JSONField(default=list, blank=True, editable=False)

    class Meta:
        verbose_name = _("role")
        verbose_name_plural = _("roles")
        ordering = ["id"]

    def __str__(self) -> str:
        from .roles import role_label

        return str(role_label(self.code, self.name))


class User(AbstractUser):
    class Language(models.TextChoices):
        CHINESE = "zh-hans", "简体中文"
        ENGLISH = "en", "English"

    full_name = models.CharField(_("full name"), max_length=60, blank=True)
    mobile = models.CharField(_("mobile"), max_length=20, blank=True)
    language = models.CharField(
        _("language"), max_length=10, choices=Language.choices, default=Language.CHINESE
    )

    class Meta:
        verbose_name = _("staff account")
        verbose_name_plural = _("staff accounts")

    def __str__(self) -> str:
        return self.full_name or self.username

    @cached_property
    def _grants(self) -> tuple[dict[int, frozenset[str]], frozenset[int]]:
        """{store id: permissions held there} and the ids of stores with any role, loaded once
        per request (the user object lives for one request)."""
        if not self.is_active:
            return {}, frozenset()
        memberships = list(
            Membership.objects.filter(user=self, store__is_active=True)
            .select_related("role")
            .prefetch_related("role__permissions__content_type")
        )
        self.__dict__["_memberships"] = memberships
        role_perms = {
            m.role_id: frozenset(f"{p.content_type.app_label}.{p.codename}" for p in m.role.permissions.all())
            for m in memberships
        }
        grants: dict[int, set[str]] = {}
        everywhere: set[str] = set()
        for m in memberships:
            grants.setdefault(m.store_id, set()).update(role_perms[m.role_id])
            if m.role.all_stores:
                everywhere |= role_perms[m.role_id]
        if everywhere or self.is_superuser:
            for store_id in Store.objects.filter(is_active=True).values_list("id", flat=True):
                grants.setdefault(store_id, set()).update(everywhere)
        return {k: frozenset(v) for k, v in grants.items()}, frozenset(grants)

    def store_ids_with(self, perm: str) -> frozenset[int]:
        grants, store_ids = self._grants
        if self.is_superuser:
            return store_ids
        return frozenset(store_id for store_id, perms in grants.items() if perm in perms)

    def perms_in_store(self, store_id: int | None) -> frozenset[str]:
        grants, _ids = self._grants
        if store_id is None:
            return frozenset().union(*grants.values()) if grants else frozenset()
        return grants.get(store_id, frozenset())

    def role_codes_in(self, store_id: int | None) -> frozenset[str]:
        """The roles held in that store (None: in any store), HQ-wide roles included."""
        return frozenset(
            m.role.code
            for m in self._memberships
            if store_id is None or m.store_id == store_id or m.role.all_stores
        )

    @cached_property
    def _memberships(self) -> list["Membership"]:
        return list(Membership.objects.filter(user=self, store__is_active=True).select_related("role"))

    @property
    def accessible_store_ids(self) -> frozenset[int]:
        return self._grants[1]


class Membership(BaseModel):
    """A person's role in one store. One role per store; a person may work in several."""

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("user")
    )
    store = models.ForeignKey(
        Store, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("store")
    )
    role = models.ForeignKey(
        Role, on_delete=models.PROTECT, related_name="memberships", verbose_name=_("role")
    )

    class Meta:
        verbose_name = _("store access")
        verbose_name_plural = _("store access")
        constraints = [models.UniqueConstraint(fields=["user", "store"], name="one_role_per_store")]

    def __str__(self) -> str:
        return f"{self.user} @ {self.store}: {self.role}"
