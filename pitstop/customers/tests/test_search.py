import pytest

from pitstop.customers.selectors import search_files

from .factories import CustomerFactory, VehicleFactory


@pytest.fixture
def files(store_a, store_b):
    zhang = CustomerFactory(store=store_a, name="张伟", mobile="13812345678")
    wang = CustomerFactory(store=store_a, name="王芳", mobile="13698765432")
    car = VehicleFactory(
        owner=zhang, plate="京A8K3Z9", vin="LSVAU2184N0000001", vin_reversed="1000000N4812UAVSL"
    )
    ev = VehicleFactory(owner=wang, plate="京AD12345", plate_kind="new_energy_small")
    other_store = CustomerFactory(store=store_b, name="张伟", mobile="13812345679")
    VehicleFactory(owner=other_store, plate="沪A8K3Z9")
    return {"zhang": zhang, "wang": wang, "car": car, "ev": ev}


@pytest.mark.parametrize(
    "query,expect_customer,expect_vehicle",
    [
        ("8K3", None, "car"),  # plate fragment
        ("京a8k", None, "car"),  # lower case, with the province
        ("0000001", None, "car"),  # VIN tail
        ("N0000001", None, "car"),  # VIN tail with letters
        ("5678", "zhang", None),  # mobile tail
        ("138123", "zhang", None),  # mobile head
        ("12345", "zhang", "ev"),  # part of the mobile; also in the EV's plate
        ("zw", "zhang", None),  # pinyin initials
        ("wangfang", "wang", None),  # full pinyin
        ("王芳", "wang", None),  # the name
    ],
)
def test_one_box_finds_everything(files, advisor, query, expect_customer, expect_vehicle):
    found = search_files(user=advisor, query=query)
    if expect_customer:
        assert files[expect_customer] in found["customers"]
    if expect_vehicle:
        assert files[expect_vehicle] in found["vehicles"]
    # Never anything of the other store, although it holds a 张伟 and a 8K3Z9 too.
    assert all(c.store_id == advisor.memberships.get().store_id for c in found["customers"])
    assert all(v.store_id == advisor.memberships.get().store_id for v in found["vehicles"])


def test_too_short_finds_nothing(files, advisor):
    assert search_files(user=advisor, query="京") == {"customers": [], "vehicles": []}


def test_the_trigram_index_follows_every_change(files, advisor, store_a):
    """On SQLite the fragments of 3+ characters go through an FTS5 index kept by triggers;
    a migration that rebuilt a table without them would make this fail."""
    from django.db import connection

    from pitstop.customers import search_index

    car = files["car"]
    car.plate = "京A7Q7Q7"
    car.save(update_fields=["plate"])
    assert search_files(user=advisor, query="7Q7")["vehicles"] == [car]
    assert search_files(user=advisor, query="8K3")["vehicles"] == []
    if connection.vendor == "sqlite":
        assert search_index.sqlite_index_live("customers_vehicle_search")
    car.delete()
    assert search_files(user=advisor, query="7Q7")["vehicles"] == []


def test_two_chinese_characters_search_from_the_start_of_the_name(files, advisor):
    assert files["zhang"] in search_files(user=advisor, query="张伟")["customers"]
    assert search_files(user=advisor, query="伟张")["customers"] == []
