"""The catalogue page and its writes: found by what a counter clerk types, changed with a
trail, prices by price type."""

from decimal import Decimal

import pytest
from django.urls import reverse

from pitstop.core.models import AuditEntry
from pitstop.parts import catalogue
from pitstop.parts.models import Part, PartPrice
from pitstop.parts.services import stock_receive

from .factories import PartFactory, WarehouseFactory

D = Decimal


@pytest.fixture
def keeper(store_a, make_staff):
    return make_staff("warehouse", store_a)


def test_a_keeper_adds_a_part_with_a_member_price_and_it_is_recorded(client, keeper):
    client.force_login(keeper)
    response = client.post(
        reverse("parts:part_new"),
        {
            "code": " 26300-35505 ",
            "name": "机油滤清器",
            "brand": "现代摩比斯",
            "origin": "domestic",
            "quality": "genuine",
            "unit": "个",
            "barcode": "6901234567892",
            "cost_price": "21.5",
            "sale_price": "48.00",
            "is_active": "on",
        },
    )
    part = Part.objects.get(code="26300-35505")
    assert response.status_code == 302 and response.url == reverse("parts:part_detail", args=[part.pk])
    assert part.name_initials == "jylqq"
    assert AuditEntry.objects.filter(object_id=str(part.pk), action="create").exists()


def test_a_duplicate_code_is_refused_whatever_its_case_and_nothing_is_saved(client, keeper):
    PartFactory(code="ABC-1")
    client.force_login(keeper)
    response = client.post(
        reverse("parts:part_new"),
        {
            "code": "abc-1",
            "name": "火花塞",
            "origin": "domestic",
            "quality": "genuine",
            "unit": "个",
            "cost_price": "1",
            "sale_price": "2",
        },
    )
    assert response.status_code == 400
    assert "ABC-1" in response.content.decode()
    assert Part.objects.count() == 1


def test_prices_by_price_type_are_set_changed_and_removed_with_the_trail(keeper):
    part = PartFactory(sale_price=D("100.00"))
    catalogue.part_save(actor=keeper, part=part, data={}, prices={"member": "90.005"})
    assert PartPrice.objects.get(part=part).price == D("90.01")  # half-up, two places
    catalogue.part_save(actor=keeper, part=part, data={}, prices={"member": ""})
    assert not PartPrice.objects.filter(part=part).exists()
    changes = AuditEntry.objects.filter(object_id=str(part.pk), action="update")
    assert changes.count() == 2


def test_the_catalogue_finds_by_pinyin_and_shows_only_this_stores_stock(
    client, keeper, store_a, store_b, advisor
):
    part = PartFactory(name="前刹车片", code="58101-D3A00")
    catalogue.part_save(actor=keeper, part=part, data={"name": "前刹车片"})
    stock_receive(actor=keeper, warehouse=WarehouseFactory(store=store_a), lines=[(part, "4", "100")])
    stock_receive(actor=keeper, warehouse=WarehouseFactory(store=store_b), lines=[(part, "9", "100")])
    PartFactory(name="雨刮片")
    client.force_login(keeper)

    response = client.get(
        reverse("parts:catalogue"), {"q": "qsc"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="catalogue-table"
    )

    body = response.content.decode()
    assert "58101-D3A00" in body and "雨刮片" not in body
    assert "<html" not in body  # only the table
    assert ">4 个<" in body.replace("\n", "") and "9 个" not in body


def test_roles_without_the_right_cannot_change_the_catalogue(client, advisor):
    part = PartFactory()
    client.force_login(advisor)
    assert client.get(reverse("parts:catalogue")).status_code == 200
    assert client.get(reverse("parts:part_edit", args=[part.pk])).status_code == 403
    assert client.post(reverse("parts:part_new"), {"code": "X"}).status_code == 403


def test_the_api_writes_through_the_same_rules(keeper):
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(keeper)
    PartFactory(code="DUP-1")
    response = api.post(
        "/api/v1/parts/", {"code": "dup-1", "name": "空气滤清器", "unit": "个"}, format="json"
    )
    assert response.status_code == 400 and "code" in response.json()
    created = api.post("/api/v1/parts/", {"code": "new-1", "name": "空气滤清器", "unit": "个"}, format="json")
    assert created.status_code == 201 and created.json()["code"] == "NEW-1"
    assert Part.objects.get(code="NEW-1").name_initials == "kqlqq"
