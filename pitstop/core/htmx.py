"""Partial rendering: a full page normally, only the named partial for an HTMX request.

The partial name, the DOM id and HX-Target are the same kebab-case word, so a view names the
partial once and `render_page` picks it when HTMX asks for that target."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def render_page(
    request: HttpRequest, template: str, context: dict, *, partials: tuple[str, ...] = (), status: int = 200
) -> HttpResponse:
    target = getattr(request, "htmx", None) and request.htmx.target
    if target and target in partials:
        return render(request, f"{template}#{target}", context, status=status)
    return render(request, template, context, status=status)
