"""Factories for the service app: workshop set-up, the labour catalogue, repair orders."""

from datetime import time
from decimal import Decimal

import factory

from pitstop.accounts.tests.factories import StoreFactory
from pitstop.customers.tests.factories import VehicleFactory
from pitstop.service.models import (
    Bay,
    BayType,
    CannedJob,
    CannedJobLine,
    LabourOperation,
    LabourRate,
    MaintenancePlan,
    MaintenancePlanItem,
    OrderLabour,
    OrderPart,
    RepairOrder,
    WorkshopSettings,
)


class StoreWorkshopFactory(factory.django.DjangoModelFactory):
    """The store's WorkshopSettings row (one per store)."""

    class Meta:
        model = WorkshopSettings
        django_get_or_create = ("store",)

    store = factory.SubFactory(StoreFactory)
    opens_at = time(8, 30)
    closes_at = time(18, 0)
    open_weekdays = "1234567"
    slot_minutes = 30
    labour_rate = Decimal("120.00")


class BayFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Bay

    store = factory.SubFactory(StoreFactory)
    bay_type = BayType.MAINTENANCE
    name = factory.Sequence(lambda n: f"快保工位{n}")


class LabourOperationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LabourOperation

    code = factory.Sequence(lambda n: f"L{n:05d}")
    name = factory.Iterator(["更换机油机滤", "更换空气滤清器", "更换前刹车片", "四轮定位"])
    standard_hours = Decimal("0.500")
    bay_type = BayType.MAINTENANCE

    @factory.lazy_attribute
    def name_initials(self):
        from pitstop.core.text import pinyin_initials

        return pinyin_initials(self.name)


class LabourRateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LabourRate

    store = factory.SubFactory(StoreFactory)
    bay_type = BayType.MAINTENANCE
    rate = Decimal("150.00")


class CannedJobFactory(factory.django.DjangoModelFactory):
    """Chain-wide unless a store is given."""

    class Meta:
        model = CannedJob

    store = None
    code = factory.Sequence(lambda n: f"TC{n:04d}")
    name = factory.Iterator(["首保", "常规保养（1万公里）", "4万公里保养", "更换前刹车片"])


class CannedJobLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CannedJobLine

    job = factory.SubFactory(CannedJobFactory)
    labour = factory.SubFactory(LabourOperationFactory)
    part = None
    quantity = Decimal("1")


class MaintenancePlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MaintenancePlan

    brand = "大众"
    series = ""
    name = factory.LazyAttribute(lambda o: f"{o.brand}{o.series}保养计划")


class MaintenancePlanItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MaintenancePlanItem

    plan = factory.SubFactory(MaintenancePlanFactory)
    job = factory.SubFactory(CannedJobFactory)
    every_km = 10000
    every_months = 12


class RepairOrderFactory(factory.django.DjangoModelFactory):
    """A draft repair order of a vehicle in its store; pass `status=` for a later state.
    `advisor` must be given (a user of the store, e.g. make_staff("advisor", store))."""

    class Meta:
        model = RepairOrder

    vehicle = factory.SubFactory(VehicleFactory)
    store = factory.LazyAttribute(lambda o: o.vehicle.store)
    customer = factory.LazyAttribute(lambda o: o.vehicle.owner)
    number = factory.Sequence(lambda n: f"WX{n:06d}")
    contact_name = factory.LazyAttribute(lambda o: o.vehicle.owner.name)
    mobile = factory.LazyAttribute(lambda o: o.vehicle.owner.mobile)
    mileage = 30000
    owner_description = "常规保养"


class OrderLabourFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrderLabour

    name = factory.Iterator(["更换机油机滤", "更换前刹车片", "四轮定位"])
    bay_type = BayType.MAINTENANCE
    hours = Decimal("1.000")
    rate = Decimal("120.00")
    price = Decimal("120.00")
    amount = Decimal("120.00")


class OrderPartFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrderPart

    name = factory.Iterator(["机油滤清器", "前刹车片"])
    quantity = Decimal("1.000")
    unit_price = Decimal("58.00")
    amount = Decimal("58.00")
