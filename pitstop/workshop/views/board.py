"""The workshop board and its TV view (F-4.2): a column per state and a line per bay, refreshing
itself every 30 seconds (HTMX polls the board's partial); the TV view shows the same cards
grouped by state in big type for the workshop wall."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from pitstop.core.htmx import render_page
from pitstop.core.scoping import has_perm_in_store, require_perm_somewhere
from pitstop.service.models import BayType, RepairOrder
from pitstop.service.orders import DISPATCH, VIEW

from ..board import board

# Cards shown per column on the TV before "+ n more": the wall screen does not scroll.
TV_CARDS_PER_COLUMN = 7
STATUS_CSS = {
    RepairOrder.Status.CONFIRMED: "secondary",
    RepairOrder.Status.DISPATCHED: "info",
    RepairOrder.Status.IN_PROGRESS: "primary",
    RepairOrder.Status.WAITING_PARTS: "warning",
    RepairOrder.Status.WAITING_APPROVAL: "warning",
    RepairOrder.Status.CHECKING: "purple",
    RepairOrder.Status.WASHING: "teal",
    RepairOrder.Status.READY: "success",
}


def _store(request: HttpRequest):
    require_perm_somewhere(request.user, VIEW)
    if request.store is None or not has_perm_in_store(request.user, VIEW, request.store.pk):
        raise PermissionDenied
    return request.store


def _bay_type(request: HttpRequest) -> str:
    value = request.GET.get("bay_type", "")
    return value if value in BayType.values else ""


def _link_cards(result, may_dispatch: bool) -> None:
    """Each card's link to its work order (and to its dispatch form while waiting for it)."""
    for _status, _label, cards in result.columns:
        for card in cards:
            try:
                card.url = reverse("service:order_detail", args=[card.order.pk])
            except NoReverseMatch:  # the work order page is another piece of the issue
                card.url = ""
            if may_dispatch and card.status == RepairOrder.Status.CONFIRMED:
                card.dispatch_url = reverse("workshop:dispatch", args=[card.order.pk])


def _card_words() -> dict[str, str]:
    """The words on every card, translated once per page rather than once per card."""
    return {
        "tech": _("Tech"),
        "qc": _("QC"),
        "plan": _("Plan"),
        "actual": _("Actual"),
        "promised": _("Promised"),
        "due": _("Due"),
        "late": _("Late"),
        "past_promise": _("Past promised time"),
        "parts": _("Waiting for parts"),
        "parts_short": _("Parts"),
        "addon": _("Add-on pending"),
        "addon_short": _("Add-on"),
        "dispatch": _("Dispatch"),
    }


def _context(request: HttpRequest) -> dict:
    store = _store(request)
    bay_type = _bay_type(request)
    may_dispatch = has_perm_in_store(request.user, DISPATCH, store.pk)
    result = board(user=request.user, store=store, bay_type=bay_type)
    _link_cards(result, may_dispatch)
    return {
        "store": store,
        "board": result,
        "ui": _card_words(),
        "bay_type": bay_type,
        "bay_types": BayType.choices,
        "status_css": STATUS_CSS,
        "may_dispatch": may_dispatch,
        "now": timezone.localtime(),
    }


@login_required
def board_view(request: HttpRequest) -> HttpResponse:
    """The board: filter by bay type; the grid refreshes itself every 30 s."""
    return render_page(request, "workshop/board/board.html", _context(request), partials=("board-grid",))


@login_required
def board_tv(request: HttpRequest) -> HttpResponse:
    """Full screen for the workshop wall (1920×1080): no navigation, dark, big type, the cards
    grouped by state, the time, refreshing itself."""
    context = _context(request)
    context["tv_columns"] = [
        {
            "status": status,
            "label": label,
            "tone": STATUS_CSS.get(status, "secondary"),
            "count": len(cards),
            "cards": cards[:TV_CARDS_PER_COLUMN],
            "more": max(len(cards) - TV_CARDS_PER_COLUMN, 0),
        }
        for status, label, cards in context["board"].columns
    ]
    return render_page(request, "workshop/board/tv.html", context, partials=("tv-board",))


urlpatterns = [
    path("workshop/board/", board_view, name="board"),
    path("workshop/board/tv/", board_tv, name="board_tv"),
]
