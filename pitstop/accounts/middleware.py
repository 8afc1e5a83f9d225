from django.conf import settings
from django.utils import translation

from .models import Store

SESSION_STORE_KEY = "pitstop_store_id"
ALL_STORES = "all"


class UserLanguageMiddleware:
    """Chinese unless the user chose otherwise: the user's own setting once logged in, the
    language cookie before that. The browser's Accept-Language is deliberately ignored, so a
    shop PC set up in English still shows Chinese by default."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.known = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request):
        language = settings.LANGUAGE_CODE
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.language in self.known:
            language = user.language
        elif request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME) in self.known:
            language = request.COOKIES[settings.LANGUAGE_COOKIE_NAME]
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response


def current_store(request) -> Store | None:
    """The store the user works in now (the switcher), or None for "all my stores"."""
    user = request.user
    if not user.is_authenticated:
        return None
    allowed = user.accessible_store_ids
    chosen = request.session.get(SESSION_STORE_KEY)
    if chosen == ALL_STORES and len(allowed) > 1:
        return None
    if isinstance(chosen, int) and chosen in allowed:
        return Store.objects.filter(pk=chosen).first()
    # Default: the first store where the person holds a role of their own; HQ staff, whose own
    # role is at headquarters, start with all their stores.
    own = (
        Store.objects.filter(memberships__user=user, is_active=True, is_headquarters=False)
        .order_by("code")
        .first()
    )
    if own is None and len(allowed) == 1:
        own = Store.objects.filter(pk__in=allowed).first()
    return own


class CurrentStoreMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.store = current_store(request)
        return self.get_response(request)
