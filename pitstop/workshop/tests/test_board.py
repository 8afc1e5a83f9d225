"""The workshop board (F-4.2) and its TV view: a column per state and a line per bay; cards
with technicians, QC inspector, planned and actual times, late marks, parts to come and add-on
work waiting for the owner; the bay-type filter; the HTMX partial that refreshes every 30 s;
the same number of queries at 3 and at 30 orders; readable by every workshop role, the current
store only."""

import datetime
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from pitstop.customers.tests.factories import CustomerFactory, VehicleFactory
from pitstop.service.models import Approval, BayType, OrderPart, RepairOrder
from pitstop.service.tests.factories import (
    BayFactory,
    OrderLabourFactory,
    OrderPartFactory,
    RepairOrderFactory,
)
from pitstop.workshop.board import COLUMNS, board
from pitstop.workshop.models import QualityCheck

from .factories import AssignmentFactory, QualityCheckFactory, TeamFactory

pytestmark = pytest.mark.django_db
Status = RepairOrder.Status


def hours_from_now(hours: float) -> datetime.datetime:
    return timezone.now() + datetime.timedelta(minutes=int(hours * 60))


def make_order(store, advisor, status, *, plate, **fields) -> RepairOrder:
    vehicle = VehicleFactory(owner=CustomerFactory(store=store), plate=plate, brand="大众", series="朗逸")
    return RepairOrderFactory(vehicle=vehicle, advisor=advisor, status=status, **fields)


@pytest.fixture
def tech(make_staff, store_a):
    return make_staff("technician", store_a, full_name="李师傅")


@pytest.fixture
def bays(store_a):
    return {
        "quick": BayFactory(store=store_a, bay_type=BayType.MAINTENANCE, name="快保1"),
        "paint": BayFactory(store=store_a, bay_type=BayType.PAINT, name="烤漆房"),
    }


def card_html(page: str, plate: str) -> str:
    """The card of one plate on the board page."""
    (card,) = [chunk for chunk in page.split('<div class="board-card')[1:] if plate in chunk]
    return card


def test_cards_sit_in_their_state_column_and_bay_line(store_a, advisor, tech, bays, login):
    working = make_order(
        store_a, advisor, Status.IN_PROGRESS, plate="京A10001", started_at=hours_from_now(-1)
    )
    AssignmentFactory(
        order=working,
        bay=bays["quick"],
        technicians=[tech],
        team=TeamFactory(store=store_a, name="机修一组"),
        planned_start=hours_from_now(-1),
        planned_end=hours_from_now(2),
    )
    make_order(store_a, advisor, Status.CONFIRMED, plate="京A10002")
    make_order(store_a, advisor, Status.DRAFT, plate="京A10003")  # not in the workshop yet
    make_order(store_a, advisor, Status.CANCELLED, plate="京A10004")
    page = login(advisor).get(reverse("workshop:board")).content.decode()
    assert all(f'data-column="{status}"' in page for status in COLUMNS)
    row = page[page.index(f'data-bay="{bays["quick"].pk}"') :]
    row = row[: row.index("</tr>")]
    cell = row[row.index('data-cell="in_progress"') :]
    assert "京A10001" in cell[: cell.index("</td>")] and "李师傅" in row and "机修一组" in row
    no_bay = page[page.index('data-bay="none"') :]
    assert "京A10002" in no_bay[no_bay.index('data-cell="confirmed"') :]
    assert "京A10003" not in page and "京A10004" not in page


def test_late_parts_addon_and_inspector_are_marked(store_a, advisor, tech, bays, make_staff, login):
    late = make_order(store_a, advisor, Status.IN_PROGRESS, plate="京B00001")
    AssignmentFactory(
        order=late, bay=bays["quick"], planned_start=hours_from_now(-3), planned_end=hours_from_now(-1)
    )
    promised = make_order(
        store_a, advisor, Status.CHECKING, plate="京B00002", promised_at=hours_from_now(-0.5)
    )
    parts = make_order(store_a, advisor, Status.WAITING_PARTS, plate="京B00003")
    OrderPartFactory(
        order=parts,
        supply=OrderPart.Supply.ORDERED,
        expected_on=timezone.localdate() + datetime.timedelta(days=2),
    )
    OrderPartFactory(order=parts, supply=OrderPart.Supply.RESERVED)
    declined = make_order(store_a, advisor, Status.IN_PROGRESS, plate="京B00004")
    OrderPartFactory(order=declined, supply=OrderPart.Supply.TO_ORDER, approval=Approval.DECLINED)
    addon = make_order(store_a, advisor, Status.WAITING_APPROVAL, plate="京B00005")
    OrderLabourFactory(order=addon, is_addon=True, approval=Approval.PENDING)
    inspector = make_staff("qc_inspector", store_a, full_name="赵质检")
    QualityCheckFactory(order=promised, stage=QualityCheck.Stage.SELF, checked_by=tech)
    QualityCheckFactory(order=promised, stage=QualityCheck.Stage.FINAL, checked_by=inspector, passed=False)
    ready = make_order(store_a, advisor, Status.READY, plate="京B00006", promised_at=hours_from_now(-5))

    result = board(user=advisor, store=store_a)
    cards = {card.order.pk: card for _s, _l, column in result.columns for card in column}
    assert cards[late.pk].late and not cards[late.pk].late_promise
    assert cards[promised.pk].late_promise and cards[promised.pk].inspector == inspector
    assert [p.supply for p in cards[parts.pk].parts_to_come] == [OrderPart.Supply.ORDERED]
    assert not cards[declined.pk].parts_to_come
    assert cards[addon.pk].addon_pending and not cards[parts.pk].addon_pending
    assert not cards[ready.pk].late_promise  # ready is never late
    assert (result.total, result.late, result.waiting_parts, result.addon_pending) == (6, 2, 1, 1)

    page = login(advisor).get(reverse("workshop:board")).content.decode()
    assert 'data-badge="late"' in card_html(page, "京B00001")
    assert 'data-badge="promise"' in card_html(page, "京B00002") and "赵质检" in card_html(page, "京B00002")
    parts_card = card_html(page, "京B00003")
    expected = (timezone.localdate() + datetime.timedelta(days=2)).strftime("%m-%d")
    assert 'data-badge="parts"' in parts_card and expected in parts_card
    assert 'data-badge="addon"' in card_html(page, "京B00005")
    assert "data-badge" not in card_html(page, "京B00006")


def test_filter_by_bay_type(store_a, advisor, bays, login):
    painting = make_order(store_a, advisor, Status.DISPATCHED, plate="京C00001")
    AssignmentFactory(order=painting, bay_type=BayType.PAINT, bay=bays["paint"])
    waiting = make_order(store_a, advisor, Status.CONFIRMED, plate="京C00002")
    OrderLabourFactory(order=waiting, bay_type=BayType.PAINT, hours=Decimal("3"))
    servicing = make_order(store_a, advisor, Status.CONFIRMED, plate="京C00003")
    OrderLabourFactory(order=servicing, bay_type=BayType.MAINTENANCE)
    client = login(advisor)
    page = client.get(reverse("workshop:board"), {"bay_type": BayType.PAINT}).content.decode()
    assert "京C00001" in page and "京C00002" in page and "京C00003" not in page
    assert f'data-bay="{bays["quick"].pk}"' not in page and f'data-bay="{bays["paint"].pk}"' in page
    page = client.get(reverse("workshop:board"), {"bay_type": "nonsense"}).content.decode()
    assert "京C00003" in page


def test_the_board_partial_polls_every_30_seconds(store_a, advisor, login):
    make_order(store_a, advisor, Status.CONFIRMED, plate="京D00001")
    client = login(advisor)
    page = client.get(reverse("workshop:board")).content.decode()
    assert 'hx-trigger="every 30s"' in page
    partial = client.get(reverse("workshop:board"), headers={"HX-Request": "true", "HX-Target": "board-grid"})
    html = partial.content.decode()
    assert html.lstrip().startswith('<div id="board-grid"') and "<html" not in html
    assert 'hx-trigger="every 30s"' in html and "京D00001" in html


def _fill(store, advisor, tech, bays, count: int, offset: int) -> None:
    """`count` orders over every state, with assignments, technicians, checks and lines."""
    for n in range(count):
        status = COLUMNS[n % len(COLUMNS)]
        order = make_order(
            store, advisor, status, plate=f"京E{offset + n:05d}", promised_at=hours_from_now(n % 3 - 1)
        )
        OrderLabourFactory(order=order, bay_type=BayType.MAINTENANCE)
        OrderPartFactory(order=order, supply=OrderPart.Supply.ORDERED)
        OrderLabourFactory(order=order, is_addon=True, approval=Approval.PENDING)
        if status != Status.CONFIRMED:
            bay = bays["quick"] if n % 2 else bays["paint"]
            AssignmentFactory(
                order=order,
                bay=bay,
                bay_type=bay.bay_type,
                technicians=[tech],
                planned_start=hours_from_now(n - 2),
                planned_end=hours_from_now(n),
            )
            QualityCheckFactory(order=order, stage=QualityCheck.Stage.FINAL, checked_by=tech)


@pytest.mark.parametrize("name", ["workshop:board", "workshop:board_tv"])
def test_the_same_number_of_queries_at_3_and_at_30_orders(
    store_a, advisor, tech, bays, login, django_assert_num_queries, name
):
    client = login(advisor)
    url = reverse(name)
    _fill(store_a, advisor, tech, bays, 3, 0)
    client.get(url)

    with CaptureQueriesContext(connection) as queries:
        page = client.get(url).content.decode()
    few = len(queries)
    assert len(re.findall(r'data-order="', page)) == 3
    _fill(store_a, advisor, tech, bays, 27, 100)
    with django_assert_num_queries(few):
        page = client.get(url).content.decode()
    if name == "workshop:board":
        assert len(re.findall(r'data-order="', page)) == 30


@pytest.mark.parametrize(
    "role",
    ["advisor", "dispatcher", "technician", "team_leader", "qc_inspector", "warehouse", "store_manager"],
)
def test_every_workshop_role_reads_the_board(store_a, advisor, make_staff, login, role):
    make_order(store_a, advisor, Status.CONFIRMED, plate="京F00001")
    client = login(make_staff(role, store_a))
    for name in ("workshop:board", "workshop:board_tv"):
        response = client.get(reverse(name))
        assert response.status_code == 200 and "京F00001" in response.content.decode()


def test_a_role_without_the_orders_is_refused_and_another_store_sees_its_own(
    store_a, store_b, advisor, make_staff, login
):
    make_order(store_a, advisor, Status.CONFIRMED, plate="京G00001")
    make_order(store_b, make_staff("advisor", store_b), Status.CONFIRMED, plate="沪G00001")
    client = login(make_staff("care_agent", store_a))
    assert client.get(reverse("workshop:board")).status_code == 403
    assert client.get(reverse("workshop:board_tv")).status_code == 403
    client = login(make_staff("technician", store_b))
    page = client.get(reverse("workshop:board")).content.decode()
    assert "沪G00001" in page and "京G00001" not in page


def test_the_tv_view_has_no_navigation_and_refreshes(store_a, advisor, bays, login):
    order = make_order(store_a, advisor, Status.DISPATCHED, plate="京H00001")
    AssignmentFactory(order=order, bay=bays["quick"])
    for n in range(9):
        make_order(store_a, advisor, Status.CONFIRMED, plate=f"京H1{n:04d}")
    client = login(advisor)
    page = client.get(reverse("workshop:board_tv")).content.decode()
    assert 'id="tv-board"' in page and 'hx-trigger="every 30s"' in page and "data-clock" in page
    assert "app-sidebar" not in page and "navbar" not in page
    assert "京H00001" in page and "快保1" in page
    assert 'data-more="2"' in page  # seven cards of the nine confirmed, then "+ 2 more"
    partial = client.get(
        reverse("workshop:board_tv"), headers={"HX-Request": "true", "HX-Target": "tv-board"}
    )
    assert partial.content.decode().lstrip().startswith('<div id="tv-board"')
