"""/api/v1/settlements/: settlements read with the pages' scoping, and payments taken with an
Idempotency-Key — the first request 201, a replay 200 with the same payment (the bill's
received rose once), the same key with another amount 409; bad input 400 with the field; a
role that may not take money 403; another store's bill 404."""

from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from pitstop.billing.models import Payment, Settlement, SettlementLine
from pitstop.customers.tests.factories import VehicleFactory
from pitstop.service.tests.factories import RepairOrderFactory

D = Decimal


def _bill(store, advisor, total="1000.00", status=Settlement.Status.POSTED):
    order = RepairOrderFactory(vehicle=VehicleFactory(owner__store=store), advisor=advisor, status="ready")
    bill = Settlement.objects.create(
        store=store,
        number=f"JS{order.pk:06d}",
        status=status,
        order=order,
        customer=order.customer,
        prepared_by=advisor,
        total=D(total),
        owner_total=D(total),
        posted_at=timezone.now() if status == Settlement.Status.POSTED else None,
    )
    SettlementLine.objects.create(
        settlement=bill, kind="labour", name="更换机油", amount_due=D(total), amount=D(total), tax=D("0")
    )
    return bill


@pytest.fixture
def cashier(make_staff, store_a):
    return make_staff("cashier", store_a)


@pytest.fixture
def bill(store_a, advisor):
    return _bill(store_a, advisor)


@pytest.fixture
def api():
    def _as(user):
        client = APIClient()
        client.force_authenticate(user)
        return client

    return _as


def _pay(client, bill, body, key=None):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return client.post(f"/api/v1/settlements/{bill.pk}/payments/", body, format="json", **headers)


def test_settlements_are_listed_and_filtered_within_the_callers_stores(
    api, store_a, store_b, advisor, cashier, bill
):
    draft = _bill(store_a, advisor, status=Settlement.Status.DRAFT)
    elsewhere = _bill(store_b, advisor)
    client = api(cashier)
    listed = client.get("/api/v1/settlements/").json()
    assert {row["id"] for row in listed["results"]} == {bill.pk, draft.pk}
    posted = client.get("/api/v1/settlements/", {"status": "posted"}).json()
    assert [row["id"] for row in posted["results"]] == [bill.pk]
    by_order = client.get("/api/v1/settlements/", {"order": draft.order_id}).json()
    assert [row["id"] for row in by_order["results"]] == [draft.pk]
    assert client.get("/api/v1/settlements/", {"store": store_b.pk}).json()["count"] == 0
    detail = client.get(f"/api/v1/settlements/{bill.pk}/").json()
    assert detail["number"] == bill.number and detail["outstanding"] == "1000.00"
    assert detail["lines"][0]["name"] == "更换机油"
    assert client.get(f"/api/v1/settlements/{elsewhere.pk}/").status_code == 404


def test_a_payment_is_taken_once_and_its_replay_answers_the_same(api, cashier, bill):
    client = api(cashier)
    body = {"method": "wechat", "amount": "300.00", "reference": "4200009999"}
    first = _pay(client, bill, body, key="pay-0001")
    assert first.status_code == 201
    payment = first.json()
    assert (
        payment["amount"] == "300.00" and payment["method"] == "wechat" and payment["settlement"] == bill.pk
    )
    again = _pay(client, bill, body, key="pay-0001")
    assert again.status_code == 200 and again.json() == payment
    bill.refresh_from_db()
    assert bill.received == D("300.00") and Payment.objects.count() == 1
    conflict = _pay(client, bill, {**body, "amount": "200.00"}, key="pay-0001")
    assert conflict.status_code == 409 and conflict.json()["code"] == "idempotency_conflict"
    cash = _pay(client, bill, {"method": "cash", "amount": "100", "tendered": "150"})
    assert cash.status_code == 201 and cash.json()["change"] == "50.00"
    bill.refresh_from_db()
    assert bill.received == D("400.00") and bill.outstanding == D("600.00")
    detail = client.get(f"/api/v1/settlements/{bill.pk}/").json()
    assert [p["id"] for p in detail["payments"]] == [payment["id"], cash.json()["id"]]


@pytest.mark.parametrize(
    "body,field",
    [
        ({"method": "cash", "amount": "1000.01"}, "amount"),
        ({"method": "cash", "amount": "abc"}, "amount"),
        ({"method": "bitcoin", "amount": "10"}, "method"),
        ({"method": "card", "amount": "10"}, "reference"),
        ({"method": "cash", "amount": "100", "tendered": "50"}, "tendered"),
        ({"method": "cash"}, "amount"),
        ({"method": "points", "points": 0}, "points"),
        ({"method": "package_card"}, "card_item"),
        ({"method": "package_card", "card_item": 999999}, "card_item"),
    ],
)
def test_bad_input_is_refused_with_the_field_and_takes_nothing(api, cashier, bill, body, field):
    response = _pay(api(cashier), bill, body, key="bad-1")
    assert response.status_code == 400 and field in response.json(), response.json()
    bill.refresh_from_db()
    assert bill.received == D("0") and not Payment.objects.exists()


def test_only_the_cash_desk_takes_money_and_only_in_its_own_store(
    api, store_a, store_b, advisor, make_staff, bill
):
    refused = _pay(api(advisor), bill, {"method": "cash", "amount": "10"})
    assert refused.status_code == 403
    intruder = make_staff("store_manager", store_b)
    assert _pay(api(intruder), bill, {"method": "cash", "amount": "10"}).status_code == 404
    assert not Payment.objects.exists()


def test_a_draft_or_a_closed_day_is_refused(api, store_a, advisor, cashier, bill):
    from pitstop.billing.closing import day_close

    draft = _bill(store_a, advisor, status=Settlement.Status.DRAFT)
    client = api(cashier)
    response = _pay(client, draft, {"method": "cash", "amount": "10"})
    assert response.status_code == 400 and response.json()["code"] == "settlement_status"
    day_close(actor=cashier, store=store_a, day=timezone.localdate(), cash_counted="0")
    closed = _pay(client, bill, {"method": "cash", "amount": "10"}, key="late-1")
    assert closed.status_code == 400 and closed.json()["code"] == "day_closed"


def test_the_schema_documents_the_idempotency_key(api, cashier):
    schema = api(cashier).get("/api/schema/", {"format": "json"})
    assert schema.status_code == 200
    operation = schema.json()["paths"]["/api/v1/settlements/{id}/payments/"]["post"]
    assert any(p["name"] == "Idempotency-Key" and p["in"] == "header" for p in operation["parameters"])
    assert {"201", "200", "400", "403", "404", "409"} <= set(operation["responses"])
