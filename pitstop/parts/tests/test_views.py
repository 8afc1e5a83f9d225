from django.urls import reverse

from pitstop.parts import services

from .factories import PartFactory, WarehouseFactory


def test_keeper_sees_stock_with_available_and_low_stock_marked(login, make_staff, store_a):
    keeper = make_staff("warehouse", store_a)
    warehouse = WarehouseFactory(store=store_a, name="朝阳配件库")
    part = PartFactory(code="06A115561B", name="机油滤清器")
    services.stock_receive(actor=keeper, warehouse=warehouse, lines=[(part, "4", "30")])
    services.reservation_create(
        actor=keeper,
        warehouse=warehouse,
        part=part,
        quantity="1",
        reference=services.Reference("appointment", 1, "YY-1"),
    )
    part.levels.update(min_level=5)
    client = login(keeper)
    page = client.get(reverse("parts:stock_list"), {"q": "06A1"}).content.decode()
    assert "机油滤清器" in page and "table-warning" in page and ">3<" in page.replace(" ", "")
    partial = client.get(
        reverse("parts:stock_list"), {"low": "1"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="stock-table"
    ).content.decode()
    assert partial.lstrip().startswith('<div id="stock-table">') and "06A115561B" in partial
    detail = client.get(reverse("parts:part_detail", args=[part.pk])).content.decode()
    assert "采购入库" in detail and "朝阳配件库" in detail


def test_stock_pages_need_a_parts_role(login, care_agent, store_a):
    assert login(care_agent).get(reverse("parts:stock_list")).status_code == 403


def _slip_post(header: dict, lines: list[dict]) -> dict:
    data = {"line-TOTAL_FORMS": str(len(lines)), "line-INITIAL_FORMS": "0", **header}
    for index, line in enumerate(lines):
        data.update({f"line-{index}-{key}": value for key, value in line.items()})
    return data


def test_keeper_receives_a_delivery_and_issues_to_a_job_with_printed_slips(login, make_staff, store_a):
    from pitstop.parts.models import StockLevel

    keeper = make_staff("warehouse", store_a)
    warehouse = WarehouseFactory(store=store_a, name="朝阳配件库")
    oil_filter = PartFactory(code="06A115561B", name="机油滤清器")
    pads = PartFactory(code="3Q0698151A", name="前刹车片", barcode="6901234567892")
    client = login(keeper)
    response = client.post(
        reverse("parts:receive"),
        _slip_post(
            {"warehouse": warehouse.pk, "supplier": "北京恒通汽配"},
            [
                {"part": "06a115561b", "quantity": "10", "unit_cost": "32.5"},
                {"part": "6901234567892", "quantity": "2", "unit_cost": "310"},
                {"part": "", "quantity": ""},
            ],
        ),
    )
    assert response.status_code == 302 and response["Location"] == "/parts/slips/RKBJ01000001/"
    slip = client.get(response["Location"]).content.decode()
    assert "入库单" in slip and "北京恒通汽配" in slip and "¥945.00" in slip  # 10 × 32.50 + 2 × 310
    response = client.post(
        reverse("parts:issue"),
        _slip_post(
            {"warehouse": warehouse.pk, "work_order": "WO-88", "taken_by": "赵磊"},
            [{"part": "06A115561B", "quantity": "1"}, {"part": "3Q0698151A", "quantity": "1"}],
        ),
    )
    slip = client.get(response["Location"]).content.decode()
    assert "领料单" in slip and "赵磊" in slip and "WO-88" in slip
    assert (
        StockLevel.objects.get(part=pads).on_hand == 1
        and StockLevel.objects.get(part=oil_filter).on_hand == 9
    )


def test_wrong_slip_lines_say_what_is_wrong_and_post_nothing(login, make_staff, store_a):
    from pitstop.parts.models import StockMovement

    keeper = make_staff("warehouse", store_a)
    warehouse = WarehouseFactory(store=store_a)
    PartFactory(code="06A115561B")
    client = login(keeper)
    response = client.post(
        reverse("parts:receive"),
        _slip_post(
            {"warehouse": warehouse.pk, "supplier": "x"},
            [
                {"part": "06A115561B", "quantity": "2", "unit_cost": "10"},
                {"part": "NOPE", "quantity": "1", "unit_cost": "1"},
            ],
        ),
    )
    assert response.status_code == 400 and "没有编码或条码为“NOPE”的配件" in response.content.decode()
    response = client.post(
        reverse("parts:issue"),
        _slip_post(
            {"warehouse": warehouse.pk, "taken_by": "赵磊"}, [{"part": "06A115561B", "quantity": "3"}]
        ),
    )
    assert response.status_code == 400 and "可用只有 0" in response.content.decode()
    assert not StockMovement.objects.exists()


def test_only_the_warehouse_posts_slips(login, advisor, store_a):
    assert login(advisor).get(reverse("parts:issue")).status_code == 403
