"""Django's permission checks (the admin site) answered from our roles.

The admin is not store-scoped, so only roles that apply to all stores (administrator, HQ) count
here; store roles are checked by pitstop.core.scoping, store by store."""

from django.contrib.auth.backends import BaseBackend


class RolePermissionBackend(BaseBackend):
    def _headquarters_perms(self, user) -> frozenset[str]:
        if not user.is_active or user.is_anonymous:
            return frozenset()
        cached = getattr(user, "_pitstop_hq_perms", None)
        if cached is None:
            perms = set()
            for membership in user._memberships:
                if membership.role.all_stores:
                    perms |= user.perms_in_store(membership.store_id)
            cached = user._pitstop_hq_perms = frozenset(perms)
        return cached

    def get_all_permissions(self, user_obj, obj=None):
        return set(self._headquarters_perms(user_obj)) if obj is None else set()

    def has_perm(self, user_obj, perm, obj=None):
        return obj is None and perm in self._headquarters_perms(user_obj)

    def has_module_perms(self, user_obj, app_label):
        return any(perm.startswith(f"{app_label}.") for perm in self._headquarters_perms(user_obj))
