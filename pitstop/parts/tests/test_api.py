from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from pitstop.parts import services
from pitstop.parts.models import StockLevel, StockMovement

from .factories import PartFactory, WarehouseFactory


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def keeper(make_staff, store_a):
    return make_staff("warehouse", store_a)


@pytest.fixture
def stocked(store_a, keeper):
    warehouse = WarehouseFactory(store=store_a)
    part = PartFactory(
        code="06A115561B", name="机油滤清器", barcode="6901234567892", fits_models="帕萨特 迈腾"
    )
    part.name_initials = "jylqq"
    part.save()
    services.stock_receive(actor=keeper, warehouse=warehouse, lines=[(part, "10", "30")])
    services.reservation_create(
        actor=keeper,
        warehouse=warehouse,
        part=part,
        quantity="3",
        reference=services.Reference("appointment", 5, "YY-5"),
    )
    return warehouse, part


def test_stock_levels_show_on_hand_reserved_available_and_cost(keeper, stocked):
    warehouse, part = stocked
    (row,) = (
        _api(keeper)
        .get("/api/v1/stock-levels/", {"part": part.pk, "warehouse": warehouse.pk})
        .json()["results"]
    )
    assert (row["on_hand"], row["reserved"], row["available"], row["average_cost"]) == (
        "10.000",
        "3.000",
        "7.000",
        "30.0000",
    )


def test_issue_through_the_api_all_lines_or_none(keeper, stocked):
    warehouse, part = stocked
    api = _api(keeper)
    body = {
        "warehouse": warehouse.pk,
        "lines": [{"part": part.pk, "quantity": "2"}],
        "reference_type": "work_order",
        "reference_id": 9,
        "reference_no": "WO-9",
        "taken_by": "赵磊",
    }
    response = api.post("/api/v1/stock-issues/", body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["movements"][0]["quantity"] == "-2.000"
    too_much = {**body, "lines": [{"part": part.pk, "quantity": "1"}, {"part": part.pk, "quantity": "5"}]}
    response = api.post("/api/v1/stock-issues/", too_much, format="json")
    assert response.status_code == 400 and "quantity" in response.json()
    for bad_lines in (
        [{"part": part.pk, "quantity": "0"}],
        [{"part": part.pk, "quantity": "-1"}],
        [{"part": 999999, "quantity": "1"}],
        [],
    ):
        assert (
            api.post("/api/v1/stock-issues/", {**body, "lines": bad_lines}, format="json").status_code == 400
        )
    assert StockLevel.objects.get(part=part).on_hand == Decimal("8")
    assert StockMovement.objects.filter(kind="issue").count() == 1


def test_the_ledger_is_read_only_through_the_api(keeper, stocked):
    api = _api(keeper)
    movement = StockMovement.objects.first()
    assert api.get(f"/api/v1/stock-movements/{movement.pk}/").status_code == 200
    assert api.delete(f"/api/v1/stock-movements/{movement.pk}/").status_code == 405
    assert api.post("/api/v1/stock-movements/", {}, format="json").status_code == 405


@pytest.mark.parametrize("query", ["06A115", "6901234567892", "滤清器", "jylqq", "lqq", "迈腾"])
def test_parts_are_found_by_code_barcode_name_pinyin_and_model(keeper, stocked, query):
    codes = [p["code"] for p in _api(keeper).get("/api/v1/parts/", {"q": query}).json()["results"]]
    assert codes == ["06A115561B"]


def test_only_the_warehouse_changes_the_catalogue(make_staff, store_a, keeper):
    technician = make_staff("technician", store_a)
    new_part = {"code": "N1", "name": "前刹车片", "unit": "套", "sale_price": "320.00"}
    assert _api(technician).post("/api/v1/parts/", new_part, format="json").status_code == 403
    assert _api(technician).get("/api/v1/parts/").status_code == 200
    response = _api(keeper).post("/api/v1/parts/", new_part, format="json")
    assert response.status_code == 201
    from pitstop.parts.models import Part

    assert Part.objects.get(code="N1").name_initials == "qscp"


def test_purchase_order_through_the_api(keeper, store_a):
    from pitstop.parts.models import Supplier

    warehouse = WarehouseFactory(store=store_a)
    part = PartFactory(code="3Q0698151A")
    supplier = Supplier.objects.create(code="HT", name="北京恒通汽配")
    api = _api(keeper)
    response = api.post(
        "/api/v1/purchase-orders/",
        {
            "supplier": supplier.pk,
            "warehouse": warehouse.pk,
            "lines": [{"part": part.pk, "quantity": "4", "unit_cost": "310"}],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    order = response.json()
    assert order["status"] == "draft" and order["number"] == "CGBJ01000001"
    receive = f"/api/v1/purchase-orders/{order['id']}/receive/"
    early = api.post(receive, {"lines": [{"part": part.pk, "quantity": "1"}]}, format="json")
    assert early.status_code == 400 and "status" in early.json()
    assert api.post(f"/api/v1/purchase-orders/{order['id']}/order/").json()["status"] == "ordered"
    too_many = api.post(
        receive, {"lines": [{"part": part.pk, "quantity": "5", "unit_cost": "300"}]}, format="json"
    )
    assert too_many.status_code == 400 and "lines" in too_many.json()
    done = api.post(
        receive, {"lines": [{"part": part.pk, "quantity": "4", "unit_cost": "300"}]}, format="json"
    )
    assert done.status_code == 201
    # The delivery has its own receiving note number; the order is the reference's id.
    moved = done.json()["movements"][0]
    assert (moved["reference_type"], moved["reference_id"], moved["reference_no"]) == (
        "purchase_order",
        order["id"],
        "RKBJ01000001",
    )
    assert api.get(f"/api/v1/purchase-orders/{order['id']}/").json()["status"] == "received"
    assert StockLevel.objects.get(part=part).on_hand == 4
    assert api.post(f"/api/v1/purchase-orders/{order['id']}/cancel/").status_code == 400
