from decimal import Decimal

import factory

from pitstop.accounts.tests.factories import StoreFactory
from pitstop.parts.models import Part, Warehouse


class PartFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Part

    code = factory.Sequence(lambda n: f"P{n:06d}")
    name = factory.Iterator(["机油滤清器", "空气滤清器", "前刹车片", "火花塞", "雨刮片"])
    unit = "个"
    cost_price = Decimal("35.0000")
    sale_price = Decimal("58.00")


class WarehouseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Warehouse

    store = factory.SubFactory(StoreFactory)
    code = factory.Sequence(lambda n: f"W{n:02d}")
    name = factory.Sequence(lambda n: f"配件库{n}")
