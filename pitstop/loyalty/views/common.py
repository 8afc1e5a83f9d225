"""What the loyalty pages share: permission checks in the record's store, showing a service's
error on its form, and the store a new rule goes into."""

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from pitstop.accounts.models import Store
from pitstop.core.exceptions import ApplicationError
from pitstop.core.scoping import has_perm_in_store, require_perm_somewhere


def require_in_store(user, perm: str, store_id: int | None) -> None:
    """403 unless the user holds `perm` in that store (the record was already found, so the
    user may see it: a missing right to act is a 403, not a 404)."""
    if not has_perm_in_store(user, perm, store_id):
        raise PermissionDenied


def may(user, perm: str, store_id: int | None) -> bool:
    return has_perm_in_store(user, perm, store_id)


def working_store(request: HttpRequest, perm: str) -> Store | None:
    """The current store when the user may act there; None when "all my stores" is chosen
    (the page then asks to choose one). 403 when the user may not act anywhere."""
    require_perm_somewhere(request.user, perm)
    store = request.store
    if store is None:
        return None
    require_in_store(request.user, perm, store.pk)
    return store


def show_error(form: forms.Form, error: ApplicationError) -> None:
    """The service's message on the field it names, or above the form."""
    field = error.field if error.field in form.fields else None
    form.add_error(field, str(error.message))


def status_for(request: HttpRequest) -> int:
    """400 for a refused post (the form is shown again with its errors), 200 otherwise."""
    return 400 if request.method == "POST" else 200
