import datetime

from django.urls import reverse

from pitstop.core.models import AuditEntry
from pitstop.customers.models import Customer, Vehicle

from .factories import CustomerFactory, VehicleFactory, make_vin


def test_advisor_creates_a_customer_and_a_vehicle(login, advisor, store_a):
    client = login(advisor)
    response = client.post(
        reverse("customers:customer_create"),
        {
            "kind": "person",
            "name": "赵敏",
            "mobile": "13512345678",
            "customer_type": "private",
            "source": "walk_in",
            "tag_names": "老客户",
        },
    )
    customer = Customer.objects.get(name="赵敏")
    assert response.status_code == 302 and response["Location"] == reverse(
        "customers:customer_detail", args=[customer.pk]
    )
    response = client.post(
        reverse("customers:vehicle_create"),
        {
            "vin": make_vin(5),
            "plate": "京B12345",
            "owner": customer.code,
            "category": "car",
            "use": "private",
        },
    )
    vehicle = Vehicle.objects.get(plate="京B12345")
    assert vehicle.owner == customer and vehicle.store == store_a


def test_wrong_vin_check_digit_shows_the_error_in_chinese_and_saves_nothing(login, advisor, store_a):
    owner = CustomerFactory(store=store_a)
    vin = make_vin(6)
    wrong = vin[:8] + ("1" if vin[8] != "1" else "2") + vin[9:]
    response = login(advisor).post(
        reverse("customers:vehicle_create"),
        {"vin": wrong, "owner": owner.code, "category": "car", "use": "private"},
    )
    assert response.status_code == 400
    assert "校验位" in response.content.decode()
    assert not Vehicle.objects.exists()


def test_imported_vin_offers_the_confirmation_box(login, advisor, store_a):
    owner = CustomerFactory(store=store_a)
    data = {"vin": "WDD2050461A000001", "owner": owner.code, "category": "car", "use": "private"}
    client = login(advisor)
    response = client.post(reverse("customers:vehicle_create"), data)
    assert response.status_code == 400 and 'name="vin_check_confirmed"' in response.content.decode()
    response = client.post(reverse("customers:vehicle_create"), {**data, "vin_check_confirmed": "on"})
    assert response.status_code == 302


def test_duplicate_mobile_links_to_the_existing_record(login, advisor, store_a):
    existing = CustomerFactory(store=store_a, mobile="13512340000")
    response = login(advisor).post(
        reverse("customers:customer_create"),
        {
            "kind": "person",
            "name": "新客户",
            "mobile": "13512340000",
            "customer_type": "private",
            "source": "walk_in",
        },
    )
    assert response.status_code == 400
    assert reverse("customers:customer_detail", args=[existing.pk]) in response.content.decode()


def test_care_agent_sees_masked_phones_and_cannot_reveal(login, care_agent, store_a):
    customer = CustomerFactory(store=store_a, mobile="13812345678")
    client = login(care_agent)
    page = client.get(reverse("customers:customer_detail", args=[customer.pk])).content.decode()
    assert "138****5678" in page and "13812345678" not in page
    assert "13812345678" not in client.get(reverse("customers:customer_list")).content.decode()
    response = client.post(reverse("customers:customer_reveal", args=[customer.pk, "mobile"]))
    assert response.status_code == 403
    assert not AuditEntry.objects.filter(action="reveal").exists()


def test_advisor_reveals_a_mobile_and_it_is_recorded(login, advisor, store_a):
    customer = CustomerFactory(store=store_a, mobile="13812345678")
    client = login(advisor)
    assert (
        "13812345678"
        not in client.get(reverse("customers:customer_detail", args=[customer.pk])).content.decode()
    )
    response = client.post(
        reverse("customers:customer_reveal", args=[customer.pk, "mobile"]), HTTP_HX_REQUEST="true"
    )
    assert "13812345678" in response.content.decode()
    assert AuditEntry.objects.filter(action="reveal", actor=advisor).count() == 1


def test_edit_shows_in_the_change_history(login, advisor, store_a):
    customer = CustomerFactory(store=store_a, mobile="13812345678", name="周杰")
    client = login(advisor)
    form = {
        "kind": "person",
        "name": "周杰伦",
        "mobile": "13812345678",
        "customer_type": "private",
        "source": "walk_in",
        "address": "北京市海淀区学院路5号",
    }
    assert client.post(reverse("customers:customer_edit", args=[customer.pk]), form).status_code == 302
    page = client.get(reverse("customers:customer_detail", args=[customer.pk])).content.decode()
    assert "北京市海淀区学院路5号" in page and "周杰伦" in page
    assert '<del class="text-muted">周杰</del>' in page  # before → after in the history


def test_htmx_search_returns_only_the_results_partial(login, advisor, store_a):
    VehicleFactory(owner=CustomerFactory(store=store_a), plate="京Q7F3A1")
    response = login(advisor).get(
        reverse("customers:search"), {"q": "7F3"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="search-results"
    )
    body = response.content.decode()
    assert "京Q7F3A1" in body and "<nav" not in body and body.lstrip().startswith('<div id="search-results"')


def _queries(client, url) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_pages_make_a_fixed_number_of_queries(login, advisor, store_a):
    """The customer page, the vehicle page and the lists cost the same whatever the data size."""
    client = login(advisor)
    small, large = CustomerFactory(store=store_a), CustomerFactory(store=store_a)
    VehicleFactory(owner=small)
    for _ in range(8):
        VehicleFactory(owner=large, user=small, driver=small)
    client.get("/")

    def counts(customer):
        vehicle = customer.owned_vehicles.first()
        from pitstop.customers.services import vehicle_record_mileage

        for km in range(1, 4):
            vehicle_record_mileage(
                actor=advisor, vehicle=vehicle, mileage=km * 1000, read_on=datetime.date(2025, km, 1)
            )
        return [
            _queries(client, reverse("customers:customer_detail", args=[customer.pk])),
            _queries(client, reverse("customers:vehicle_detail", args=[vehicle.pk])),
        ]

    assert counts(small) == counts(large)
    before = [
        _queries(client, reverse("customers:customer_list")),
        _queries(client, reverse("customers:vehicle_list")),
    ]
    for _ in range(20):
        VehicleFactory(owner=CustomerFactory(store=store_a))
    after = [
        _queries(client, reverse("customers:customer_list")),
        _queries(client, reverse("customers:vehicle_list")),
    ]
    assert before == after
    assert max(before + after) <= 15


def test_vehicle_page_records_mileage_and_refuses_a_lower_one_without_reason(login, advisor, store_a):
    from pitstop.customers.services import vehicle_record_mileage

    vehicle = VehicleFactory(owner=CustomerFactory(store=store_a))
    vehicle_record_mileage(actor=advisor, vehicle=vehicle, mileage=20000, read_on=datetime.date(2026, 10, 1))
    client = login(advisor)
    url = reverse("customers:vehicle_add_mileage", args=[vehicle.pk])
    response = client.post(url, {"mileage": "15000", "read_on": "2026-11-01"}, follow=True)
    assert "15000 公里低于 2026-10-01 的记录" in response.content.decode()
    assert vehicle.mileage_readings.count() == 1
    client.post(url, {"mileage": "15000", "read_on": "2026-11-01", "reason": "更换仪表"})
    vehicle.refresh_from_db()
    assert vehicle.current_mileage == 15000


def test_vehicle_page_changes_the_owner_by_code_and_keeps_history(login, advisor, store_a, store_b):
    seller, buyer = CustomerFactory(store=store_a), CustomerFactory(store=store_a)
    stranger = CustomerFactory(store=store_b)
    vehicle = VehicleFactory(owner=seller)
    client = login(advisor)
    url = reverse("customers:vehicle_change_party", args=[vehicle.pk])
    response = client.post(
        url, {"role": "owner", "customer": stranger.code, "changed_on": "2026-11-20"}, follow=True
    )
    assert "本店没有代号或手机号" in response.content.decode()
    client.post(url, {"role": "owner", "customer": buyer.mobile, "changed_on": "2026-11-20", "note": "过户"})
    vehicle.refresh_from_db()
    assert vehicle.owner == buyer
    page = client.get(reverse("customers:vehicle_detail", args=[vehicle.pk])).content.decode()
    assert "2026-11-20" in page and "过户" in page


def test_a_bad_mobile_is_reported_once_next_to_its_field(login, advisor, store_a):
    response = login(advisor).post(
        reverse("customers:customer_create"),
        {
            "kind": "person",
            "name": "赵敏",
            "mobile": "12345",
            "customer_type": "private",
            "source": "walk_in",
        },
    )
    assert response.status_code == 400
    assert response.content.decode().count("不是有效的大陆手机号") == 1
    assert not Customer.objects.exists()
