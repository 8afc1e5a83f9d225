from .models import Store
from .navigation import menu_for
from .roles import role_label


def shell(request):
    """The page shell: menu, store switcher, the user's roles."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    allowed = user.accessible_store_ids
    stores = list(Store.objects.filter(pk__in=allowed, is_active=True).order_by("is_headquarters", "code"))
    store = getattr(request, "store", None)
    roles = sorted(
        {
            str(role_label(m.role.code, m.role.name))
            for m in user.memberships.select_related("role")
            if store is None or m.store_id in (store.pk,) or m.role.all_stores
        }
    )
    return {
        "menu": menu_for(request),
        "switch_stores": stores,
        "current_store": store,
        "can_see_all_stores": len(stores) > 1,
        "my_roles": roles,
    }
