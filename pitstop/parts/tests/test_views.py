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
