"""Returning (退料) and exchanging (换料) parts against the issue slip they went out on."""

from decimal import Decimal

import pytest
from django.urls import reverse

from pitstop.parts.models import StockLevel, StockMovement
from pitstop.parts.services import Reference, stock_issue, stock_receive

from .factories import PartFactory, WarehouseFactory


@pytest.fixture
def issued(store_a, make_staff):
    keeper = make_staff("warehouse", store_a)
    warehouse = WarehouseFactory(store=store_a)
    pads, other = PartFactory(code="58101-L"), PartFactory(code="58101-R")
    stock_receive(actor=keeper, warehouse=warehouse, lines=[(pads, "4", "120"), (other, "2", "130")])
    stock_issue(
        actor=keeper,
        warehouse=warehouse,
        lines=[(pads, "2")],
        reference=Reference("issue_slip", None, "LLBJ01000009"),
    )
    return keeper, warehouse, pads, other


def _level(part, warehouse):
    return StockLevel.objects.get(part=part, warehouse=warehouse)


def _post(client, url, data, rows=1):
    payload = {"line-TOTAL_FORMS": str(rows), "line-INITIAL_FORMS": "0", **data}
    return client.post(url, payload)


def test_a_returned_part_comes_back_at_its_issue_cost_and_shows_on_the_slip(client, issued):
    keeper, warehouse, pads, _other = issued
    client.force_login(keeper)
    response = _post(
        client,
        reverse("parts:return"),
        {
            "warehouse": warehouse.pk,
            "slip": "llbj01000009",
            "taken_by": "李师傅",
            "line-0-part": "58101-l",
            "line-0-quantity": "1",
        },
    )
    assert response.status_code == 302
    back = StockMovement.objects.get(kind="return")
    assert (back.unit_cost, back.taken_by, back.reference_no) == (
        Decimal("120.0000"),
        "李师傅",
        "LLBJ01000009",
    )
    assert _level(pads, warehouse).on_hand == 3


def test_more_back_than_went_out_is_refused_and_nothing_moves(client, issued):
    keeper, warehouse, pads, _other = issued
    client.force_login(keeper)
    response = _post(
        client,
        reverse("parts:return"),
        {
            "warehouse": warehouse.pk,
            "slip": "LLBJ01000009",
            "taken_by": "李师傅",
            "line-0-part": "58101-L",
            "line-0-quantity": "3",
        },
    )
    assert response.status_code == 400
    assert "58101-L" in response.content.decode()
    assert _level(pads, warehouse).on_hand == 2
    assert not StockMovement.objects.filter(kind="return").exists()


def test_an_unknown_slip_is_named_in_the_error(client, issued):
    keeper, warehouse, _pads, _other = issued
    client.force_login(keeper)
    response = _post(
        client,
        reverse("parts:return"),
        {
            "warehouse": warehouse.pk,
            "slip": "LL404",
            "taken_by": "李师傅",
            "line-0-part": "58101-L",
            "line-0-quantity": "1",
        },
    )
    assert response.status_code == 400 and "LL404" in response.content.decode()


def test_an_exchange_swaps_the_left_pads_for_the_right_ones(client, issued):
    keeper, warehouse, pads, other = issued
    client.force_login(keeper)
    response = client.post(
        reverse("parts:exchange"),
        {
            "warehouse": warehouse.pk,
            "slip": "LLBJ01000009",
            "taken_by": "李师傅",
            "back": "58101-L",
            "back_quantity": "2",
            "out": "58101-R",
            "out_quantity": "2",
        },
    )
    assert response.status_code == 302
    assert _level(pads, warehouse).on_hand == 4 and _level(other, warehouse).on_hand == 0
    kinds = set(StockMovement.objects.filter(reference_no="LLBJ01000009").values_list("kind", flat=True))
    assert kinds == {"issue", "exchange_in", "exchange_out"}


def test_roles_that_do_not_keep_stock_cannot_return(client, advisor):
    client.force_login(advisor)
    assert client.get(reverse("parts:return")).status_code == 403
    assert client.get(reverse("parts:exchange")).status_code == 403


def test_scrapping_needs_a_reason_and_leaves_a_scrap_movement(client, issued):
    keeper, warehouse, _pads, other = issued
    client.force_login(keeper)
    data = {
        "warehouse": warehouse.pk,
        "purpose": "scrap",
        "taken_by": "仓管",
        "line-TOTAL_FORMS": "1",
        "line-INITIAL_FORMS": "0",
        "line-0-part": "58101-R",
        "line-0-quantity": "1",
    }
    refused = client.post(reverse("parts:issue"), data)
    assert refused.status_code == 400 and "报废" in refused.content.decode()
    assert _level(other, warehouse).on_hand == 2

    assert client.post(reverse("parts:issue"), {**data, "note": "包装破损受潮"}).status_code == 302
    scrapped = StockMovement.objects.get(kind="scrap")
    assert (scrapped.quantity, scrapped.note) == (Decimal("-1.000"), "包装破损受潮")
    assert _level(other, warehouse).on_hand == 1
