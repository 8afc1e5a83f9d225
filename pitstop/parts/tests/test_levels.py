"""Bin, minimum and maximum of a part in a warehouse: set by the store's keeper, recorded,
never by another store."""

from decimal import Decimal

import pytest
from django.urls import reverse

from pitstop.core.models import AuditEntry
from pitstop.parts.models import Bin
from pitstop.parts.services import stock_receive

from .factories import PartFactory, WarehouseFactory


@pytest.fixture
def level(store_a, make_staff):
    keeper = make_staff("warehouse", store_a)
    warehouse = WarehouseFactory(store=store_a)
    Bin.objects.create(warehouse=warehouse, code="A-01-1")
    part = PartFactory()
    stock_receive(actor=keeper, warehouse=warehouse, lines=[(part, "3", "10")])
    return keeper, part.levels.get()


def test_the_keeper_sets_bin_and_levels_and_the_change_is_recorded(client, level):
    keeper, lv = level
    client.force_login(keeper)
    response = client.post(
        reverse("parts:level_edit", args=[lv.pk]), {"bin": "a-01-1", "min_level": "5", "max_level": "20"}
    )
    assert response.status_code == 302
    lv.refresh_from_db()
    assert (lv.bin, lv.min_level, lv.max_level) == ("A-01-1", Decimal("5"), Decimal("20"))
    entry = AuditEntry.objects.get(object_id=str(lv.pk))
    assert entry.actor == keeper


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"bin": "Z-99", "min_level": "1", "max_level": "2"}, "Z-99"),
        ({"bin": "", "min_level": "10", "max_level": "2"}, "10"),
    ],
)
def test_a_bin_not_in_the_warehouse_or_a_maximum_below_the_minimum_is_refused(client, level, data, message):
    keeper, lv = level
    client.force_login(keeper)
    response = client.post(reverse("parts:level_edit", args=[lv.pk]), data)
    assert response.status_code == 400 and message in response.content.decode()
    lv.refresh_from_db()
    assert (lv.bin, lv.min_level) == ("", Decimal("0"))


def test_another_stores_keeper_gets_nothing_and_an_advisor_may_only_look(
    client, level, store_b, make_staff, advisor
):
    _keeper, lv = level
    client.force_login(make_staff("warehouse", store_b))
    assert client.get(reverse("parts:level_edit", args=[lv.pk])).status_code == 404
    client.force_login(advisor)
    assert client.get(reverse("parts:level_edit", args=[lv.pk])).status_code == 403
