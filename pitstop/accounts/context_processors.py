from django.utils.functional import SimpleLazyObject

from .models import Store
from .navigation import menu_for
from .roles import role_label


def shell(request):
    """The page shell: menu, store switcher, the user's roles. Lazy, so that an HTMX partial,
    which shows none of it, costs no query for it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    store = getattr(request, "store", None)

    def stores():
        return list(
            Store.objects.filter(pk__in=user.accessible_store_ids, is_active=True).order_by(
                "is_headquarters", "code"
            )
        )

    return {
        "menu": SimpleLazyObject(lambda: menu_for(request)),
        "switch_stores": SimpleLazyObject(stores),
        "current_store": store,
        "can_see_all_stores": len(user.accessible_store_ids) > 1,
        "my_roles": SimpleLazyObject(
            lambda: sorted(str(role_label(code)) for code in user.role_codes_in(store.pk if store else None))
        ),
    }
