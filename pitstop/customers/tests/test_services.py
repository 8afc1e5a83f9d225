import datetime

import pytest
from django.core.exceptions import ValidationError

from pitstop.core.exceptions import ApplicationError
from pitstop.core.models import AuditEntry
from pitstop.customers import services
from pitstop.customers.models import Customer, MileageReading, Vehicle, VehiclePartyChange

from .factories import CustomerFactory, TierFactory, make_vin


def test_customer_gets_a_code_pinyin_and_an_audit_entry(store_a, advisor):
    tier = TierFactory(store=store_a, is_default=True)
    customer = services.customer_create(
        actor=advisor,
        store=store_a,
        data={"name": "张伟", "mobile": "+86 138 0013 8000", "id_number": "11010519491231002x"},
        tag_names=["老客户", " VIP "],
    )
    assert customer.code == "KHBJ01000001"
    assert (customer.mobile, customer.name_initials, customer.name_pinyin) == (
        "13800138000",
        "zw",
        "zhangwei",
    )
    assert customer.id_number == "11010519491231002X"
    assert customer.tier == tier  # the store's default tier
    assert sorted(t.name for t in customer.tags.all()) == ["VIP", "老客户"]
    entry = AuditEntry.objects.get(object_id=str(customer.pk), action="create")
    assert entry.actor == advisor
    assert entry.changes["mobile"][1].startswith("138****8000 #")  # the trail keeps the number hidden
    assert "13800138000" not in str(entry.changes)


def test_bad_input_is_refused_and_nothing_is_saved(store_a, advisor):
    with pytest.raises(ValidationError) as error:
        services.customer_create(actor=advisor, store=store_a, data={"name": "王芳", "mobile": "1234"})
    assert "mobile" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.customer_create(
            actor=advisor,
            store=store_a,
            data={"name": "北京宏达物流有限公司", "kind": "company", "id_number": "11010519491231002X"},
        )
    assert "id_number" in error.value.message_dict  # a company needs a credit code, not a person's ID
    assert Customer.objects.count() == 0 and AuditEntry.objects.count() == 0


def test_duplicate_mobile_points_to_the_existing_customer(store_a, store_b, advisor):
    first = services.customer_create(
        actor=advisor, store=store_a, data={"name": "李娜", "mobile": "13900001111"}
    )
    with pytest.raises(ApplicationError) as error:
        services.customer_create(
            actor=advisor, store=store_a, data={"name": "李娜", "mobile": "139 0000 1111"}
        )
    assert error.value.field == "mobile" and error.value.extra["existing_id"] == first.pk
    # Another store keeps its own files: the same person may be on file there too.
    services.customer_create(actor=None, store=store_b, data={"name": "李娜", "mobile": "13900001111"})


def test_vehicle_vin_rules_and_duplicates(store_a, advisor):
    owner = CustomerFactory(store=store_a)
    vin = make_vin(42)
    vehicle = services.vehicle_create(
        actor=advisor,
        store=store_a,
        data={
            "vin": vin.lower(),
            "plate": "京a·12345",
            "owner": owner,
            "purchase_mileage": 12,
            "purchase_date": datetime.date(2022, 3, 1),
        },
    )
    assert (vehicle.vin, vehicle.plate, vehicle.model_year, vehicle.current_mileage) == (
        vin,
        "京A12345",
        2022,
        12,
    )
    assert vehicle.file_no == "CLBJ01000001"
    with pytest.raises(ApplicationError) as error:
        services.vehicle_create(actor=advisor, store=store_a, data={"vin": vin, "owner": owner})
    assert error.value.field == "vin" and error.value.code == "duplicate"
    wrong = vin[:8] + ("1" if vin[8] != "1" else "2") + vin[9:]
    with pytest.raises(ValidationError) as error:
        services.vehicle_create(actor=advisor, store=store_a, data={"vin": wrong, "owner": owner})
    assert "vin" in error.value.message_dict
    assert Vehicle.objects.count() == 1


def test_imported_vin_needs_the_advisors_confirmation(store_a, advisor):
    owner = CustomerFactory(store=store_a)
    data = {"vin": "WDD2050461A000001", "owner": owner}
    with pytest.raises(ValidationError):
        services.vehicle_create(actor=advisor, store=store_a, data=data)
    vehicle = services.vehicle_create(
        actor=advisor, store=store_a, data={**data, "vin_check_confirmed": True}
    )
    assert vehicle.vin_check_confirmed


def test_owner_from_another_store_is_refused(store_a, store_b, advisor):
    stranger = CustomerFactory(store=store_b)
    with pytest.raises(ApplicationError) as error:
        services.vehicle_create(actor=advisor, store=store_a, data={"vin": make_vin(7), "owner": stranger})
    assert error.value.field == "owner"


def test_change_of_owner_keeps_the_history(store_a, advisor):
    seller, buyer = CustomerFactory(store=store_a), CustomerFactory(store=store_a)
    vehicle = services.vehicle_create(
        actor=advisor, store=store_a, data={"vin": make_vin(8), "owner": seller}
    )
    services.vehicle_change_party(
        actor=advisor, vehicle=vehicle, role="owner", customer=buyer, note="二手车过户"
    )
    services.vehicle_change_party(actor=advisor, vehicle=vehicle, role="driver", customer=seller)
    vehicle.refresh_from_db()
    assert vehicle.owner == buyer and vehicle.effective_user == buyer and vehicle.effective_driver == seller
    change = VehiclePartyChange.objects.get(vehicle=vehicle, role="owner")
    assert (change.previous, change.new, change.changed_by, change.note) == (
        seller,
        buyer,
        advisor,
        "二手车过户",
    )
    with pytest.raises(ApplicationError):
        services.vehicle_change_party(actor=advisor, vehicle=vehicle, role="owner", customer=None)


def test_mileage_never_goes_back_without_a_reason(store_a, advisor):
    vehicle = services.vehicle_create(
        actor=advisor,
        store=store_a,
        data={
            "vin": make_vin(9),
            "owner": CustomerFactory(store=store_a),
            "purchase_mileage": 10,
            "purchase_date": datetime.date(2024, 1, 1),
        },
    )
    services.vehicle_record_mileage(
        actor=advisor, vehicle=vehicle, mileage=15000, read_on=datetime.date(2025, 1, 1)
    )
    with pytest.raises(ApplicationError) as error:
        services.vehicle_record_mileage(
            actor=advisor, vehicle=vehicle, mileage=9000, read_on=datetime.date(2025, 2, 1)
        )
    assert error.value.code == "mileage_lower"
    services.vehicle_record_mileage(
        actor=advisor, vehicle=vehicle, mileage=9000, read_on=datetime.date(2025, 2, 1), reason="更换仪表"
    )
    vehicle.refresh_from_db()
    assert vehicle.current_mileage == 9000
    assert MileageReading.objects.filter(vehicle=vehicle).count() == 3


def test_reveal_is_audited_and_refused_to_care_agents(store_a, advisor, care_agent):
    customer = services.customer_create(
        actor=advisor, store=store_a, data={"name": "陈静", "mobile": "13711112222"}
    )
    assert services.customer_reveal(actor=advisor, customer=customer, field="mobile") == "13711112222"
    assert AuditEntry.objects.filter(action="reveal", actor=advisor, note="mobile").count() == 1
    with pytest.raises(ApplicationError):
        services.customer_reveal(actor=care_agent, customer=customer, field="mobile")
    assert AuditEntry.objects.filter(action="reveal").count() == 1


def test_update_records_before_and_after(store_a, advisor):
    customer = services.customer_create(
        actor=advisor, store=store_a, data={"name": "刘强", "mobile": "13611112222"}
    )
    services.customer_update(actor=advisor, customer=customer, data={"address": "北京市朝阳区建国路1号"})
    entry = AuditEntry.objects.get(object_id=str(customer.pk), action="update")
    assert entry.changes == {"address": ["", "北京市朝阳区建国路1号"]}


def test_mileage_readings_fit_their_place_in_time(store_a, advisor):
    from django.utils import timezone

    vehicle = services.vehicle_create(
        actor=advisor, store=store_a, data={"vin": make_vin(10), "owner": CustomerFactory(store=store_a)}
    )
    today = timezone.localdate()
    with pytest.raises(ApplicationError) as error:
        services.vehicle_record_mileage(
            actor=advisor, vehicle=vehicle, mileage=10000, read_on=today + datetime.timedelta(days=1)
        )
    assert error.value.field == "read_on"
    with pytest.raises(ApplicationError):
        services.vehicle_record_mileage(actor=advisor, vehicle=vehicle, mileage=3_000_000_000, read_on=today)
    services.vehicle_record_mileage(actor=advisor, vehicle=vehicle, mileage=50000, read_on=today)
    services.vehicle_record_mileage(
        actor=advisor, vehicle=vehicle, mileage=20000, read_on=today - datetime.timedelta(days=365)
    )  # a late entry of an old visit
    with pytest.raises(ApplicationError) as error:
        services.vehicle_record_mileage(
            actor=advisor, vehicle=vehicle, mileage=60000, read_on=today - datetime.timedelta(days=100)
        )
    assert error.value.code == "mileage_higher"
    vehicle.refresh_from_db()
    assert vehicle.current_mileage == 50000
    assert AuditEntry.objects.filter(object_id=str(vehicle.pk), note__contains="km").count() == 2
