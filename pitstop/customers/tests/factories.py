import factory

from pitstop.accounts.tests.factories import StoreFactory
from pitstop.core.identifiers import vin_check_digit
from pitstop.core.text import pinyin_full, pinyin_initials, reverse
from pitstop.customers.models import Customer, CustomerTier, Vehicle


def make_vin(serial: int, wmi: str = "LSV") -> str:
    body = f"{wmi}AU2180N{serial:07d}"[:17]
    return body[:8] + vin_check_digit(body) + body[9:]


class TierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CustomerTier

    store = factory.SubFactory(StoreFactory)
    code = factory.Sequence(lambda n: f"{n:02d}")
    name = factory.Sequence(lambda n: f"等级{n}")


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    store = factory.SubFactory(StoreFactory)
    code = factory.Sequence(lambda n: f"KHT{n:06d}")
    name = factory.Iterator(["张伟", "王芳", "李娜", "刘强", "陈静"])
    mobile = factory.Sequence(lambda n: f"139{n:08d}")
    name_initials = factory.LazyAttribute(lambda o: pinyin_initials(o.name))
    name_pinyin = factory.LazyAttribute(lambda o: pinyin_full(o.name))
    mobile_reversed = factory.LazyAttribute(lambda o: reverse(o.mobile))


class VehicleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Vehicle

    owner = factory.SubFactory(CustomerFactory)
    store = factory.LazyAttribute(lambda o: o.owner.store)
    file_no = factory.Sequence(lambda n: f"CLT{n:06d}")
    vin = factory.Sequence(lambda n: make_vin(n + 1))
    vin_reversed = factory.LazyAttribute(lambda o: reverse(o.vin))
    plate = factory.Sequence(lambda n: f"京A{n:05d}")
    plate_kind = "ordinary"
    brand = "大众"
    series = "帕萨特"
