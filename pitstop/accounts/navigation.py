"""What the shell shows: menu entries and home-page panels, contributed by each app.

An app registers its entries in AppConfig.ready(), so accounts (which draws the shell) never
imports the apps that build on it. An entry shows only when the user holds its permission
in the current store (or any store, in "all stores" mode); the views check again."""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.http import HttpRequest
from django.urls import reverse


@dataclass(frozen=True)
class MenuEntry:
    label: str
    url_name: str
    perm: str
    section: str
    order: int = 100


@dataclass(frozen=True)
class HomePanel:
    """A box on the home page: `build(request)` returns the template context, or None to hide."""

    template: str
    perm: str
    build: Callable[[HttpRequest], dict | None]
    order: int = 100
    roles: frozenset[str] = field(default_factory=frozenset)  # empty: every role with the perm


MENU: list[MenuEntry] = []
PANELS: list[HomePanel] = []


def register_menu(*entries: MenuEntry) -> None:
    MENU.extend(entries)
    MENU.sort(key=lambda e: e.order)


def register_panel(*panels: HomePanel) -> None:
    PANELS.extend(panels)
    PANELS.sort(key=lambda p: p.order)


def current_perms(request: HttpRequest) -> frozenset[str]:
    if not request.user.is_authenticated:
        return frozenset()
    if request.user.is_superuser:
        return frozenset({entry.perm for entry in MENU} | {panel.perm for panel in PANELS})
    store = getattr(request, "store", None)
    return request.user.perms_in_store(store.pk if store else None)


def menu_for(request: HttpRequest) -> list[dict]:
    perms = current_perms(request)
    sections: dict[str, list[dict]] = {}
    for entry in MENU:
        if entry.perm in perms:
            url = reverse(entry.url_name)
            sections.setdefault(entry.section, []).append(
                {"label": entry.label, "url": url, "active": request.path.startswith(url)}
            )
    return [{"section": name, "entries": entries} for name, entries in sections.items()]


def panels_for(request: HttpRequest) -> list[dict]:
    """Today's work for the person's roles: a panel shows when the role is one it is meant
    for (or it names none) and the role carries its permission."""
    perms = current_perms(request)
    store = getattr(request, "store", None)
    roles = request.user.role_codes_in(store.pk if store else None)
    shown = []
    for panel in PANELS:
        if panel.roles and not (panel.roles & roles) and not request.user.is_superuser:
            continue
        if panel.perm in perms:
            context = panel.build(request)
            if context is not None:
                shown.append({"template": panel.template, **context})
    return shown
