"""Nobody sees another store's data without a grant: every URL of the project, walked by a
user of another store who holds the widest store role (store manager).

A new URL with an argument this test does not know makes it fail: add the record it needs
to `records_for` so that the new page is walked too."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from rest_framework.test import APIClient

from pitstop.billing.counter import counter_sale_bill
from pitstop.billing.models import CreditAccount, DayClose, Receivable
from pitstop.billing.payments import payment_record
from pitstop.billing.tests.factories import ready_order, settle
from pitstop.customers.models import ImportBatch
from pitstop.customers.tests.factories import CustomerFactory, TierFactory, VehicleFactory
from pitstop.loyalty import services as loyalty
from pitstop.loyalty.models import CouponType, PackageCardType, PackageCardTypeItem, TopUpRule
from pitstop.messaging.tests.factories import MessageTemplateFactory, OutboundMessageFactory
from pitstop.parts import old_parts, sales, stocktake, transfers
from pitstop.parts.models import Supplier
from pitstop.parts.purchasing import (
    purchase_order_create,
    purchase_order_receive,
    purchase_order_transition,
    supplier_return_create,
)
from pitstop.parts.services import Reference, stock_receive
from pitstop.parts.tests.factories import PartFactory, WarehouseFactory
from pitstop.service.models import Appointment, Finding, OrderPhoto
from pitstop.service.tests.factories import (
    BayFactory,
    CannedJobFactory,
    LabourOperationFactory,
    MaintenancePlanFactory,
    OrderLabourFactory,
    OrderPartFactory,
    RepairOrderFactory,
)
from pitstop.workshop.models import AdvisorTask, Assignment, PartsRequest, PdiCheck, Team, Tool

MARKERS = ["甲店隔离客户", "13700000001", "京A9Z9Z9", "甲店配件库", "WO-ISOLATED"]
# The parts catalogue is the chain's, shared by design: its records answer every store.
SHARED = {"part-detail", "parts:part_detail", "parts:part_edit", "supplier-detail", "parts:supplier_detail"}
# The owners' booking page is public by design: the store's name, its services and free times.
PUBLIC = {"service:book_online", "service:book_online_done"}
SHARED |= PUBLIC
SKIPPED_NAMESPACES = {"admin"}  # the admin is only for staff accounts; checked separately below


def walk(patterns, prefix="", namespace=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = entry.namespace or namespace
            if ns in SKIPPED_NAMESPACES:
                continue
            yield from walk(entry.url_patterns, prefix + str(entry.pattern), ns)
        elif isinstance(entry, URLPattern) and entry.name:
            name = f"{namespace}:{entry.name}" if namespace else entry.name
            yield name, list(entry.pattern.converters) or _regex_groups(entry)


def _regex_groups(entry) -> list[str]:
    regex = getattr(entry.pattern, "regex", None)
    return list(regex.groupindex) if regex is not None else []


@pytest.fixture
def store_a_records(store_a, manager):
    customer = CustomerFactory(store=store_a, name=MARKERS[0], mobile=MARKERS[1])
    vehicle = VehicleFactory(owner=customer, plate=MARKERS[2])
    tier = TierFactory(store=store_a, name="甲店隔离等级")
    batch = ImportBatch.objects.create(
        store=store_a, created_by=manager, filename="a.csv", rows=[{"name": MARKERS[0]}]
    )
    warehouse = WarehouseFactory(store=store_a, name=MARKERS[3])
    supplier = Supplier.objects.create(code="HT", name="恒通汽配")
    part = PartFactory()
    (movement,) = stock_receive(
        actor=manager,
        warehouse=warehouse,
        lines=[(part, "3", "10")],
        reference=Reference("work_order", 1, MARKERS[4]),
    )
    order = purchase_order_create(
        actor=manager, store=store_a, supplier=supplier, warehouse=warehouse, lines=[(part, "5", "10")]
    )
    purchase_order_transition(actor=manager, order=order, to="ordered")
    (receipt,) = purchase_order_receive(actor=manager, order=order, lines=[(part, "2", None)])
    count = stocktake.stocktake_create(actor=manager, warehouse=warehouse)
    sale = sales.counter_sale_create(
        actor=manager, store=store_a, warehouse=warehouse, lines=[sales.SaleLine(part, "1")]
    )
    repair_order = RepairOrderFactory(
        advisor=manager, vehicle=vehicle, status="in_progress", contact_name=MARKERS[0], mobile=MARKERS[1]
    )
    repair_order.new_approval_token()
    repair_order.save(update_fields=["approval_token"])
    finding = Finding.objects.create(order=repair_order, description=MARKERS[3] + "发现", reported_by=manager)
    team = Team.objects.create(store=store_a, name=MARKERS[3] + "班组")
    tool = Tool.objects.create(store=store_a, code="T1", name=MARKERS[3] + "工具")
    bill = settle(
        ready_order(store=store_a, advisor=manager, vehicle=vehicle), advisor=manager, cashier=manager
    )
    credit_account = CreditAccount.objects.create(store=store_a, customer=customer, limit="1000")
    posted_sale = sales.counter_sale_post(
        actor=manager,
        sale=sales.counter_sale_create(
            actor=manager, store=store_a, warehouse=warehouse, lines=[sales.SaleLine(part, "1")]
        ),
    )
    sale_bill = counter_sale_bill(actor=manager, sale=posted_sale)
    membership = loyalty.membership_join(
        actor=manager, customer=customer, tier=tier, card_no="HY-ISOLATED", fee="0"
    )
    loyalty.stored_value_top_up(actor=manager, store=store_a, customer=customer, amount="1000")
    card_type = PackageCardType.objects.create(
        store=store_a, code="XC10", name=MARKERS[3] + "洗车卡", price="200"
    )
    PackageCardTypeItem.objects.create(card_type=card_type, labour=LabourOperationFactory(), count=10)
    coupon_type = CouponType.objects.create(store=store_a, code="MJ50", name=MARKERS[3] + "券", value="50")
    return {
        "membership": membership,
        "package_card": loyalty.package_card_sell(
            actor=manager, card_type=card_type, customer=customer, vehicle=vehicle
        ),
        "card_type": card_type,
        "coupon_type": coupon_type,
        "coupon": loyalty.coupons_issue(actor=manager, coupon_type=coupon_type, customers=[customer])[0],
        "top_up_rule": TopUpRule.objects.create(
            store=store_a, name=MARKERS[3] + "充值", pay_at_least="1000", bonus="100"
        ),
        "settlement": bill,
        "payment": payment_record(
            actor=manager, settlement=sale_bill, method="cash", amount=sale_bill.owner_total
        ),
        "posted_sale": posted_sale,
        "credit_account": credit_account,
        "receivable": Receivable.objects.create(
            store=store_a,
            settlement=bill,
            debtor="credit",
            debtor_name=MARKERS[0],
            credit_account=credit_account,
            amount="100",
            due_on="2030-01-07",
        ),
        "day_close": DayClose.objects.create(
            store=store_a,
            cashier=manager,
            business_date="2030-01-07",
            cash_counted="10.00",
            difference="10.00",
        ),
        "repair_order": repair_order,
        "labour_line": OrderLabourFactory(order=repair_order, name=MARKERS[3] + "工时"),
        "part_line": OrderPartFactory(order=repair_order, part=part, name=MARKERS[3] + "配件"),
        "photo": OrderPhoto.objects.create(
            order=repair_order, kind="finding", finding=finding, image="x.jpg"
        ),
        "task": AdvisorTask.objects.create(
            order=repair_order, kind="progress", due_at="2030-01-07T02:00:00Z"
        ),
        "parts_request": PartsRequest.objects.create(
            order=repair_order, part=part, quantity="1", requested_by=manager
        ),
        "assignment": Assignment.objects.create(
            order=repair_order,
            bay_type="maintenance",
            planned_start="2030-01-07T02:00:00Z",
            planned_end="2030-01-07T03:00:00Z",
        ),
        "team": team,
        "tool": tool,
        "pdi": PdiCheck.objects.create(
            store=store_a, number="PDIA1", vin="LSVAU2180N2183475", checked_by=manager
        ),
        "order_received": order,
        "receipt": receipt,
        "supplier_return": supplier_return_create(
            actor=manager,
            store=store_a,
            supplier=supplier,
            warehouse=warehouse,
            lines=[(part, "1")],
            reason="破损",
        ),
        "stocktake": count,
        "count_line": count.lines.first(),
        # Inside store A: a transfer to store B would rightly be visible to store B.
        "transfer": transfers.transfer_create(
            actor=manager, source=warehouse, target=WarehouseFactory(store=store_a), lines=[(part, "1")]
        ),
        "sale": sale,
        "old_part": old_parts.old_part_collect(
            actor=manager, store=store_a, source="manual", description=MARKERS[3] + "旧件", plate=MARKERS[2]
        ),
        "old_batch": old_parts.batch_create(
            actor=manager, store=store_a, destination="supplier", supplier=supplier
        ),
        "message": OutboundMessageFactory(
            store=store_a, to=MARKERS[1], body=f"【甲店】{MARKERS[0]}您好，您的爱车{MARKERS[2]}已完工。"
        ),
        "template": MessageTemplateFactory(store=store_a, body=f"{{customer}}您好，{MARKERS[0]}提醒您。"),
        "bay": BayFactory(store=store_a, name=MARKERS[3] + "工位"),
        "appointment": Appointment.objects.create(
            store=store_a,
            number="YYA1",
            customer=customer,
            vehicle=vehicle,
            plate=MARKERS[2],
            mobile=MARKERS[1],
            contact_name=MARKERS[0],
            content="保养",
            starts_at="2030-01-07T02:00:00Z",
            ends_at="2030-01-07T03:00:00Z",
        ),
        "store_job": CannedJobFactory(store=store_a, name=MARKERS[3] + "套餐"),
        "labour": LabourOperationFactory(),
        "plan": MaintenancePlanFactory(),
        "customer": customer,
        "vehicle": vehicle,
        "tier": tier,
        "batch": batch,
        "warehouse": warehouse,
        "part": part,
        "movement": movement,
        "level": part.levels.get(),
        "supplier": supplier,
        "order": purchase_order_create(
            actor=manager, store=store_a, supplier=supplier, warehouse=warehouse, lines=[(part, "2", "10")]
        ),
        "slip": stock_receive(
            actor=manager,
            warehouse=warehouse,
            lines=[(part, "1", "10")],
            reference=Reference("receipt", None, "RKA1"),
        )[0],
    }


STOCKTAKE_VIEWS = ["detail", "scan", "differences", "submit", "reopen", "cancel", "post", "sheet", "report"]
TRANSFER_VIEWS = ["detail", "edit", "note", "ship", "receive", "cancel"]
SALE_VIEWS = ["detail", "edit", "post", "cancel", "slip"]


def records_for(name: str, records: dict) -> dict | None:
    by_name = {
        "customers:customer_detail": "customer",
        "customers:customer_edit": "customer",
        "customers:customer_photo": "customer",
        "customers:customer_reveal": "customer",
        "customers:vehicle_detail": "vehicle",
        "customers:vehicle_edit": "vehicle",
        "customers:vehicle_change_party": "vehicle",
        "customers:vehicle_add_mileage": "vehicle",
        "customers:tier_edit": "tier",
        "customers:import_preview": "batch",
        "customers:import_confirm": "batch",
        "customer-detail": "customer",
        "vehicle-detail": "vehicle",
        "part-detail": "part",
        "parts:part_detail": "part",
        "warehouse-detail": "warehouse",
        "stock-level-detail": "level",
        "stock-movement-detail": "movement",
        "supplier-detail": "supplier",
        "purchase-order-detail": "order",
        "purchase-order-order": "order",
        "purchase-order-cancel": "order",
        "purchase-order-close": "order",
        "purchase-order-receive": "order",
    }
    by_name.update(
        {
            "messaging:message_detail": "message",
            "messaging:message_resend": "message",
            "messaging:template_edit": "template",
            "service:bay_edit": "bay",
            **{f"service:appointment_{view}": "appointment" for view in ["detail", "slip", "move", "status"]},
            **{
                f"appointment-{view}": "appointment"
                for view in ["detail", "confirm", "arrive", "no-show", "cancel"]
            },
            "service:job_detail": "store_job",
            "service:job_edit": "store_job",
            "service:labour_edit": "labour",
            "service:plan_edit": "plan",
            "parts:level_edit": "level",
            "parts:part_edit": "part",
            "parts:purchase_order": "order",
            "parts:purchase_order_edit": "order",
            "parts:purchase_order_move": "order",
            "parts:purchase_order_receive": "order",
            "parts:purchase_order_print": "order",
            "parts:supplier_detail": "supplier",
            "parts:supplier_return": "supplier_return",
            **{f"parts:stocktake_{view}": "stocktake" for view in STOCKTAKE_VIEWS},
            **{f"parts:transfer_{view}": "transfer" for view in TRANSFER_VIEWS},
            **{f"parts:counter_sale_{view}": "sale" for view in SALE_VIEWS},
            **{
                f"service:{view}": "repair_order"
                for view in [
                    "order_detail",
                    "order_status",
                    "order_labour_add",
                    "order_part_add",
                    "order_job_add",
                    "order_appointment_items",
                    "order_promised",
                    "order_sign",
                    "estimate_print",
                    "order_print",
                    "reception_walkaround",
                    "reception_diagnosis",
                    "reception_add_job",
                    "reception_add_declined",
                    "diagnosis_print",
                    "checklist_print",
                    "order_approval",
                    "order_approval_send",
                    "order_approval_record",
                    "addon_print",
                ]
            },
            "service:order_photo": "photo",
            **{
                f"service:{view}": "appointment"
                for view in ["appointment_part_add", "appointment_parts_reserve", "appointment_deposit"]
            },
            **{
                f"repair-order-{action}": "repair_order"
                for action in [
                    "detail",
                    "sign",
                    "dispatch",
                    "start",
                    "clock-on",
                    "wait-parts",
                    "wait-approval",
                    "resume",
                    "check",
                    "washed",
                    "cancel",
                ]
            },
            **{
                f"workshop:{view}": "repair_order"
                for view in [
                    "dispatch",
                    "order_priority",
                    "job",
                    "job_clock_on",
                    "job_finding",
                    "job_parts",
                    "job_lookup",
                    "job_status",
                    "washing_done",
                    "order_checks",
                    "qc_print",
                    "certificate_print",
                ]
            },
            **{
                f"billing:{view}": "settlement"
                for view in [
                    "settlement",
                    "settlement_discount",
                    "settlement_insurance",
                    "settlement_payer",
                    "settlement_approve",
                    "settlement_post",
                    "settlement_invoice",
                    "settlement_reverse",
                    "payment_add",
                    "advance_pay_back",
                    "print_statement",
                ]
            },
            "settlement-detail": "settlement",
            "settlement-payments": "settlement",
            "billing:payment_refund": "payment",
            "billing:counter_sale_bill": "posted_sale",
            **{
                f"billing:{view}": "repair_order"
                for view in [
                    "order_bill",
                    "delivery",
                    "print_exit_pass",
                    "print_guarantee",
                    "print_service_card",
                ]
            },
            **{f"billing:receivable_{view}": "receivable" for view in ["detail", "collect"]},
            **{f"billing:credit_account_{view}": "credit_account" for view in ["detail", "edit"]},
            **{
                f"loyalty:{view}": "customer"
                for view in ["customer", "membership_join", "top_up", "refund", "card_sell", "coupon_give"]
            },
            **{f"loyalty:membership_{view}": "membership" for view in ["renew", "tier", "leave", "replace"]},
            "loyalty:card_detail": "package_card",
            "loyalty:coupon_void": "coupon",
            "loyalty:top_up_rule_edit": "top_up_rule",
            "loyalty:card_type_edit": "card_type",
            "loyalty:coupon_type_edit": "coupon_type",
            "billing:closing_detail": "day_close",
            "billing:closing_print": "day_close",
            "workshop:assignment_remove": "assignment",
            "workshop:team_edit": "team",
            "workshop:task_done": "task",
            "workshop:task_delay": "task",
            **{f"workshop:parts_request_{view}": "parts_request" for view in ["cancel", "issue", "refuse"]},
            "workshop:part_supply": "part_line",
            **{f"workshop:tool_{view}": "tool" for view in ["detail", "edit", "lend", "return"]},
            "workshop:pdi_detail": "pdi",
            "workshop:pdi_print": "pdi",
            "parts:old_part": "old_part",
            "parts:old_part_move": "old_part",
            **{
                f"parts:old_part_batch{view}": "old_batch"
                for view in ["", "_add", "_remove", "_move", "_print"]
            },
        }
    )
    if name in ("service:book_online", "service:book_online_done"):
        return {"code": records["warehouse"].store.code}
    if name.startswith("service:approval_public"):
        return {"token": "not-a-real-token"}  # a guessed token opens nothing
    if name == "service:approval_photo":
        return {"token": "not-a-real-token", "pk": records["photo"].pk}
    if name in ("service:order_line_update", "service:order_line_remove"):
        return {"pk": records["repair_order"].pk, "kind": "labour", "line_id": records["labour_line"].pk}
    if name == "workshop:job_labour_done":
        return {"pk": records["repair_order"].pk, "line_id": records["labour_line"].pk}
    if name == "workshop:check_form":
        return {"pk": records["repair_order"].pk, "stage": "self"}
    if name == "service:appointment_part_remove":
        return {"pk": records["appointment"].pk, "line_id": 1}
    if name == "parts:slip":
        return {"number": records["slip"].reference_no}
    if name == "parts:purchase_receipt":
        return {"pk": records["order_received"].pk, "number": records["receipt"].reference_no}
    if name == "parts:stocktake_count":
        return {"pk": records["stocktake"].pk, "line": records["count_line"].pk}
    key = by_name.get(name)
    return {"pk": records[key].pk} if key else None


def test_every_url_refuses_another_stores_records(client, store_a_records, store_b, make_staff):
    intruder = make_staff("store_manager", store_b)
    client.force_login(intruder)
    api = APIClient()
    api.force_authenticate(intruder)
    checked, unknown = 0, []
    for name, params in sorted(set((n, tuple(p)) for n, p in walk(get_resolver().url_patterns))):
        kwargs = {}
        if "format" in params:
            kwargs["format"] = "json"
        wanted = [p for p in params if p != "format"]
        if wanted:
            found = records_for(name, store_a_records)
            if found is None:
                unknown.append(name)
                continue
            kwargs.update(found)
            if "field" in wanted:
                kwargs["field"] = "mobile"
        url = reverse(name, kwargs=kwargs)
        is_api = url.startswith("/api/")
        for method in ("get", "post"):
            caller = api if is_api else client
            client.force_login(intruder)  # the walk passes "log out" too
            response = getattr(caller, method)(url, {"q": "9Z9"} if method == "get" else {})
            body = response.content.decode(errors="replace")
            if wanted and name not in SHARED:
                assert response.status_code in (403, 404, 405), (method, url, response.status_code)
            else:
                assert response.status_code < 500, (method, url, response.status_code)
            for marker in MARKERS if name not in PUBLIC else ():
                assert marker not in body, (method, url, marker)
            checked += 1
    assert not unknown, f"URLs with arguments this test does not know: {unknown}"
    assert checked > 40


def test_searching_and_listing_never_show_another_store(client, store_a_records, store_b, make_staff):
    intruder = make_staff("store_manager", store_b)
    client.force_login(intruder)
    for url in [
        "/search/?q=9Z9",
        "/search/?q=700000001",
        "/customers/?q=甲店",
        "/vehicles/?q=9Z9",
        "/customers/?format=xlsx",
        "/vehicles/?format=xlsx",
        "/customers/lookup/?q=甲店",
        "/api/v1/search/?q=9Z9",
        "/api/v1/customers/?q=0001",
        "/api/v1/vehicles/?plate=9Z9",
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
        content = response.content if not url.endswith("xlsx") else _xlsx_text(response.content)
        for marker in MARKERS:
            assert marker.encode() not in content if isinstance(content, bytes) else marker not in content, (
                url
            )


def _xlsx_text(content: bytes) -> str:
    import io

    from openpyxl import load_workbook

    return " ".join(
        str(cell)
        for row in load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True)
        for cell in row
    )


def test_a_grant_opens_the_store(client, store_a_records, store_a, store_b, make_staff):
    from pitstop.accounts.services import store_grant

    person = make_staff("advisor", store_b)
    client.force_login(person)
    url = reverse("customers:customer_detail", args=[store_a_records["customer"].pk])
    assert client.get(url).status_code == 404
    store_grant(user=person, store=store_a, role_code="care_agent")
    assert client.get(url).status_code == 200


def test_admin_is_closed_to_store_roles(client, store_a_records, store_b, make_staff):
    client.force_login(make_staff("store_manager", store_b))
    tier = store_a_records["tier"]
    response = client.get(f"/admin/customers/customertier/{tier.pk}/change/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_stock_of_another_store_is_invisible_and_untouchable(store_a_records, store_b, make_staff):
    intruder = make_staff("store_manager", store_b)
    api = APIClient()
    api.force_authenticate(intruder)
    assert api.get("/api/v1/stock-levels/").json()["count"] == 0
    assert api.get("/api/v1/stock-movements/").json()["count"] == 0
    assert api.get("/api/v1/warehouses/").json()["count"] == 0
    part = store_a_records["part"]
    before = part.levels.get().on_hand
    response = api.post(
        "/api/v1/stock-issues/",
        {"warehouse": store_a_records["warehouse"].pk, "lines": [{"part": part.pk, "quantity": "1"}]},
        format="json",
    )
    assert response.status_code == 400 and "warehouse" in response.json()
    assert part.levels.get().on_hand == before
