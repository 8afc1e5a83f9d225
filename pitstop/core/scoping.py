"""What a user may see: the one mechanism every query for store-owned data goes through.

A user holds a role in each store granted to them; a role is a set of permissions. A record
owned by a store is visible to a user only when the user's role *in that store* carries the
permission asked for. Roles marked "all stores" (HQ, administrator) apply to every store.

The user object answers `store_ids_with(perm)` (see accounts.models.User); this module turns
that answer into filtered querysets and 404s, so views and selectors never filter by hand.
"""

from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import Http404


def permitted_store_ids(user, perm: str) -> frozenset[int]:
    if not getattr(user, "is_authenticated", False):
        return frozenset()
    return user.store_ids_with(perm)


def scoped(queryset: QuerySet, user, perm: str, *, store_field: str = "store_id", store=None) -> QuerySet:
    """Rows of stores where the user holds `perm`; narrowed to one store when given."""
    store_ids = permitted_store_ids(user, perm)
    if store is not None:
        store_ids = store_ids & {store.pk}
    return queryset.filter(**{f"{store_field}__in": sorted(store_ids)})


def get_scoped_or_404(
    queryset: QuerySet, user, perm: str, *, store_field: str = "store_id", **lookup
) -> Model:
    """The record, if the user may see it; 404 otherwise, so another store's records do not
    even reveal that they exist."""
    try:
        return scoped(queryset, user, perm, store_field=store_field).get(**lookup)
    except (queryset.model.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def require_perm_somewhere(user, perm: str) -> None:
    if not permitted_store_ids(user, perm):
        raise PermissionDenied


def has_perm_in_store(user, perm: str, store_id: int | None) -> bool:
    return store_id is not None and store_id in permitted_store_ids(user, perm)
