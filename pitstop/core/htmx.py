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


class HtmxMessagesMiddleware:
    """An HTMX request replaces only part of the page, so the message area at the top would
    keep the last page's messages and never show the new ones. For an HTMX answer that did not
    render the message area itself, the pending messages are sent along as an out-of-band swap
    of #messages (consuming them, as a full page would)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            not getattr(request, "htmx", False)
            or response.status_code in (204, 301, 302, 303)
            or "HX-Redirect" in response
            or "HX-Location" in response
            or not response.get("Content-Type", "").startswith("text/html")
            or getattr(response, "streaming", False)
            or b'id="messages"' in response.content
        ):
            return response
        from django.template.loader import render_to_string

        response.content += render_to_string("_messages.html", {"oob": True}, request=request).encode()
        return response
