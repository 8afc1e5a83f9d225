"""Transfers (调拨): out of the source at its average cost, in transit, into the target at the
same cost; the target store receives, another store does not even see it."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pitstop.accounts.tests.factories import StoreFactory
from pitstop.core.exceptions import ApplicationError
from pitstop.parts import services
from pitstop.parts import transfers as svc
from pitstop.parts.models import StockLevel, StockMovement, Transfer, TransferLine

from .factories import PartFactory, WarehouseFactory

Kind = StockMovement.Kind
Status = Transfer.Status


@pytest.fixture
def chain(store_a, store_b, make_staff):
    """Store A (北京) holds 20 oil filters at an average of ¥33.75; store B (上海) holds none."""
    keeper_a = make_staff("warehouse", store_a)
    keeper_b = make_staff("warehouse", store_b)
    source = WarehouseFactory(store=store_a, code="PJ", name="朝阳配件库")
    second = WarehouseFactory(store=store_a, code="PJ2", name="朝阳二号库")
    target = WarehouseFactory(store=store_b, code="PJ", name="浦东配件库")
    oil_filter = PartFactory(code="06A115561B", name="机油滤清器", barcode="6901234567892")
    pads = PartFactory(code="3Q0698151A", name="前刹车片", unit="套")
    services.stock_receive(actor=keeper_a, warehouse=source, lines=[(oil_filter, "10", "32.50")])
    services.stock_receive(actor=keeper_a, warehouse=source, lines=[(oil_filter, "10", "35.00")])
    services.stock_receive(actor=keeper_a, warehouse=source, lines=[(pads, "5", "310")])
    return {
        "keeper_a": keeper_a,
        "keeper_b": keeper_b,
        "source": source,
        "second": second,
        "target": target,
        "oil_filter": oil_filter,
        "pads": pads,
    }


def _level(part, warehouse) -> StockLevel | None:
    return StockLevel.objects.filter(part=part, warehouse=warehouse).first()


def _draft(c, target=None, lines=None) -> Transfer:
    return svc.transfer_create(
        actor=c["keeper_a"],
        source=c["source"],
        target=target or c["target"],
        lines=lines or [(c["oil_filter"], "4"), (c["pads"], "1")],
    )


def test_between_stores_parts_go_out_at_average_cost_stay_in_transit_and_arrive_at_that_cost(chain):
    c = chain
    transfer = _draft(c)
    assert transfer.number == "DBBJ01000001" and transfer.status == Status.DRAFT
    assert _level(c["oil_filter"], c["source"]).on_hand == 20  # a draft moves nothing

    svc.transfer_ship(actor=c["keeper_a"], transfer=transfer)
    transfer.refresh_from_db()
    assert transfer.status == Status.IN_TRANSIT and transfer.shipped_by == c["keeper_a"]
    lines = {line.part_id: line for line in transfer.lines.all()}
    assert lines[c["oil_filter"].pk].unit_cost == Decimal("33.7500")  # (325 + 350) / 20
    assert lines[c["pads"].pk].unit_cost == Decimal("310.0000")
    assert _level(c["oil_filter"], c["source"]).on_hand == 16
    assert _level(c["oil_filter"], c["target"]) is None  # in transit: in no warehouse
    out = StockMovement.objects.get(kind=Kind.TRANSFER_OUT, part=c["oil_filter"])
    assert (out.reference_type, out.reference_id, out.reference_no) == (
        "transfer",
        transfer.pk,
        transfer.number,
    )
    assert out.value == Decimal("-135.00")
    # 4 × 33.75 + 1 × 310 is on the road: the sender's outgoing, the receiver's incoming.
    (a_row,) = svc.in_transit_by_store(c["keeper_a"])
    (b_row,) = svc.in_transit_by_store(c["keeper_b"])
    assert (a_row.store.code, a_row.outgoing_count, a_row.outgoing_value, a_row.incoming_value) == (
        "BJ01",
        1,
        Decimal("445.00"),
        Decimal("0"),
    )
    assert (b_row.store.code, b_row.incoming_count, b_row.incoming_value) == ("SH01", 1, Decimal("445.00"))

    svc.transfer_receive(actor=c["keeper_b"], transfer=transfer)
    transfer.refresh_from_db()
    assert transfer.status == Status.RECEIVED and transfer.received_by == c["keeper_b"]
    arrived = _level(c["oil_filter"], c["target"])
    assert (arrived.on_hand, arrived.average_cost, arrived.value) == (
        Decimal("4"),
        Decimal("33.7500"),
        Decimal("135.00"),
    )
    into = StockMovement.objects.filter(kind=Kind.TRANSFER_IN, reference_id=transfer.pk)
    assert {m.store_id for m in into} == {c["target"].store_id}
    assert sum(m.value for m in into) == -sum(
        m.value for m in StockMovement.objects.filter(kind=Kind.TRANSFER_OUT, reference_id=transfer.pk)
    )
    assert svc.in_transit_by_store(c["keeper_a"]) == []
    events = [(e.from_status, e.to_status) for e in transfer.events.all()]
    assert events == [("", "draft"), ("draft", "in_transit"), ("in_transit", "received")]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    receipts=st.lists(
        st.tuples(
            st.decimals(min_value=Decimal("0.001"), max_value=Decimal("40"), places=3),
            st.decimals(min_value=Decimal("0"), max_value=Decimal("999.9999"), places=4),
        ),
        min_size=1,
        max_size=4,
    ),
    share=st.integers(1, 100),
)
@pytest.mark.django_db
def test_a_transfer_keeps_the_quantity_and_the_value_to_the_cent(store_a, store_b, receipts, share):
    part = PartFactory()
    source, target = WarehouseFactory(store=store_a), WarehouseFactory(store=store_b)
    for quantity, cost in receipts:
        services.stock_receive(actor=None, warehouse=source, lines=[(part, quantity, cost)])
    before = _level(part, source)
    quantity = max(Decimal("0.001"), (before.on_hand * share / 100).quantize(Decimal("0.001")))
    quantity = min(quantity, before.on_hand)
    transfer = svc.transfer_create(actor=None, source=source, target=target, lines=[(part, quantity)])
    svc.transfer_ship(actor=None, transfer=transfer)
    svc.transfer_receive(actor=None, transfer=transfer)
    after_source, after_target = _level(part, source), _level(part, target)
    assert after_source.on_hand + after_target.on_hand == before.on_hand
    assert after_target.average_cost == before.average_cost  # arrived at the cost it left at
    assert abs(after_source.value + after_target.value - before.value) <= Decimal("0.01")


def test_same_store_ships_and_receives_in_one_step(chain, login):
    c = chain
    transfer = _draft(c, target=c["second"], lines=[(c["oil_filter"], "5")])
    client = login(c["keeper_a"])
    page = client.get(reverse("parts:transfer_detail", args=[transfer.pk])).content.decode()
    assert "发出并收货" in page
    response = client.post(reverse("parts:transfer_ship", args=[transfer.pk]), {"receive": "1"})
    assert response.status_code == 302
    transfer.refresh_from_db()
    assert transfer.status == Status.RECEIVED and transfer.shipped_at == transfer.received_at
    assert _level(c["oil_filter"], c["source"]).on_hand == 15
    assert _level(c["oil_filter"], c["second"]).on_hand == 5
    assert _level(c["oil_filter"], c["second"]).average_cost == Decimal("33.7500")
    assert transfer.lines.get().received == 5


def test_between_stores_the_other_store_must_receive(chain, login):
    c = chain
    transfer = _draft(c)
    one_step_only_within_a_store = "只有同一门店内的调拨在发出时同时收货；跨门店调拨由调入门店收货"
    with pytest.raises(ApplicationError, match=one_step_only_within_a_store):
        svc.transfer_ship(actor=c["keeper_a"], transfer=transfer, receive=True)
    assert _level(c["oil_filter"], c["source"]).on_hand == 20
    page = login(c["keeper_a"]).get(reverse("parts:transfer_detail", args=[transfer.pk])).content.decode()
    assert 'name="receive"' not in page  # "ship and receive" is offered within one store only


def test_shipping_more_than_available_is_refused_and_moves_nothing(chain):
    c = chain
    transfer = _draft(c, lines=[(c["oil_filter"], "4"), (c["pads"], "6")])
    with pytest.raises(ApplicationError) as refused:
        svc.transfer_ship(actor=c["keeper_a"], transfer=transfer)
    assert refused.value.code == "insufficient_stock"
    transfer.refresh_from_db()
    assert transfer.status == Status.DRAFT and transfer.lines.filter(unit_cost__isnull=False).count() == 0
    assert _level(c["oil_filter"], c["source"]).on_hand == 20
    assert not StockMovement.objects.filter(reference_type="transfer").exists()


def test_receiving_more_than_shipped_is_refused(chain):
    c = chain
    transfer = _draft(c)
    svc.transfer_ship(actor=c["keeper_a"], transfer=transfer)
    line = transfer.lines.get(part=c["oil_filter"])
    with translation.override("en"), pytest.raises(ApplicationError, match="4 shipped; 5 cannot be received"):
        svc.transfer_receive(
            actor=c["keeper_b"], transfer=transfer, received={line.pk: "5"}, reason="多点了一个"
        )
    transfer.refresh_from_db()
    assert transfer.status == Status.IN_TRANSIT
    assert _level(c["oil_filter"], c["target"]) is None
    assert not StockMovement.objects.filter(kind=Kind.TRANSFER_IN).exists()


def test_a_shortage_needs_a_reason_and_is_kept_on_the_line_and_the_event(chain, login):
    c = chain
    transfer = _draft(c)
    svc.transfer_ship(actor=c["keeper_a"], transfer=transfer)
    line = transfer.lines.get(part=c["oil_filter"])
    with translation.override("en"), pytest.raises(ApplicationError, match="Give a reason") as refused:
        svc.transfer_receive(actor=c["keeper_b"], transfer=transfer, received={line.pk: "3"})
    assert refused.value.code == "shortage"
    assert not StockMovement.objects.filter(kind=Kind.TRANSFER_IN).exists()

    client = login(c["keeper_b"])
    response = client.post(
        reverse("parts:transfer_receive", args=[transfer.pk]),
        {f"received-{line.pk}": "3", "reason": "运输途中破损1个"},
    )
    assert response.status_code == 302
    line.refresh_from_db()
    assert line.received == 3 and line.quantity == 4
    (into_filter,) = StockMovement.objects.filter(kind=Kind.TRANSFER_IN, part=c["oil_filter"])
    assert into_filter.quantity == 3 and into_filter.unit_cost == Decimal("33.7500")  # none for the 4th
    assert _level(c["pads"], c["target"]).on_hand == 1  # the line not named arrived in full
    event = transfer.events.get(to_status=Status.RECEIVED)
    assert "运输途中破损1个" in event.note and "机油滤清器" in event.note
    note = client.get(reverse("parts:transfer_note", args=[transfer.pk])).content.decode()
    # 4 × 33.75 + 310 shipped; 3 × 33.75 + 310 received.
    assert "¥445.00" in note and "¥411.25" in note and "运输途中破损1个" in note


def test_target_store_sees_and_receives_an_unrelated_store_gets_404(chain, login, make_staff):
    c = chain
    transfer = _draft(c)
    store_c = StoreFactory(code="GZ01", name="广州天河店")
    stranger = make_staff("store_manager", store_c)
    detail = reverse("parts:transfer_detail", args=[transfer.pk])
    client = login(c["keeper_b"])
    assert client.get(detail).status_code == 200  # the target store sees even the draft
    assert "DBBJ01000001" not in client.get(reverse("parts:transfer_list"), {"box": "in"}).content.decode()
    assert client.post(reverse("parts:transfer_ship", args=[transfer.pk])).status_code == 403
    svc.transfer_ship(actor=c["keeper_a"], transfer=transfer)
    incoming = client.get(reverse("parts:transfer_list"), {"box": "in"}).content.decode()
    assert "DBBJ01000001" in incoming and "table-warning" in incoming and "¥445.00" in incoming

    client = login(stranger)
    for name in ("transfer_detail", "transfer_note", "transfer_edit"):
        assert client.get(reverse(f"parts:{name}", args=[transfer.pk])).status_code == 404, name
    for name in ("transfer_ship", "transfer_receive", "transfer_cancel"):
        assert client.post(reverse(f"parts:{name}", args=[transfer.pk])).status_code == 404, name
    assert "DBBJ01000001" not in client.get(reverse("parts:transfer_list")).content.decode()
    transfer.refresh_from_db()
    assert transfer.status == Status.IN_TRANSIT


def test_rights_are_checked_in_the_store_that_acts(chain, login, make_staff, store_a, store_b):
    c = chain
    transfer = _draft(c)
    # The source store may not receive what it sent to another store.
    svc.transfer_ship(actor=c["keeper_a"], transfer=transfer)
    response = login(c["keeper_a"]).post(reverse("parts:transfer_receive", args=[transfer.pk]))
    assert response.status_code == 403
    # Head office sees every transfer and changes none.
    hq = make_staff("hq", store_b)
    client = login(hq)
    assert client.get(reverse("parts:transfer_detail", args=[transfer.pk])).status_code == 200
    assert client.post(reverse("parts:transfer_receive", args=[transfer.pk])).status_code == 403
    # Someone without transfer rights gets 403 on the list and the new-transfer form.
    advisor = make_staff("advisor", store_a)
    client = login(advisor)
    assert client.get(reverse("parts:transfer_list")).status_code == 403
    assert client.get(reverse("parts:transfer_create")).status_code == 403
    transfer.refresh_from_db()
    assert transfer.status == Status.IN_TRANSIT


def test_refused_state_moves_name_both_states(chain, login):
    c = chain
    transfer = _draft(c)
    svc.transfer_ship(actor=c["keeper_a"], transfer=transfer)
    with translation.override("en"):
        with pytest.raises(ApplicationError, match="A transfer that is in transit cannot become cancelled"):
            svc.transfer_cancel(actor=c["keeper_a"], transfer=transfer)
        with pytest.raises(ApplicationError, match="A transfer that is in transit cannot become in transit"):
            svc.transfer_ship(actor=c["keeper_a"], transfer=transfer)
        draft = _draft(c, lines=[(c["pads"], "1")])
        with pytest.raises(ApplicationError, match="A transfer that is draft cannot become received"):
            svc.transfer_receive(actor=c["keeper_b"], transfer=draft)
    assert _level(c["oil_filter"], c["source"]).on_hand == 16  # shipped once only
    response = login(c["keeper_a"]).post(
        reverse("parts:transfer_cancel", args=[transfer.pk]),
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="transfer",
    )
    body = response.content.decode()
    assert response.status_code == 200 and 'class="alert alert-danger"' in body
    assert "在途" in body or "in transit" in body


def test_a_draft_is_edited_and_cancelled_and_then_nothing_moves(chain, login):
    c = chain
    transfer = _draft(c)
    client = login(c["keeper_a"])
    edit = reverse("parts:transfer_edit", args=[transfer.pk])
    form = client.get(edit).content.decode()
    assert 'value="06A115561B"' in form and "上海浦东店 / 浦东配件库" in form
    data = {
        "source": c["source"].pk,
        "target_store": c["target"].store_id,
        "target": c["target"].pk,
        "note": "支援上海",
        "line-TOTAL_FORMS": "2",
        "line-INITIAL_FORMS": "0",
        "line-0-part": "6901234567892",  # by barcode
        "line-0-quantity": "7",
        "line-1-part": "",
        "line-1-quantity": "",
    }
    assert client.post(edit, data).status_code == 302
    assert [(line.part_id, line.quantity) for line in transfer.lines.all()] == [(c["oil_filter"].pk, 7)]
    response = client.post(reverse("parts:transfer_cancel", args=[transfer.pk]))
    assert response.status_code == 302
    transfer.refresh_from_db()
    assert transfer.status == Status.CANCELLED
    assert client.get(edit).status_code == 302  # no longer editable
    with pytest.raises(ApplicationError):
        svc.transfer_update(
            actor=c["keeper_a"],
            transfer=transfer,
            source=c["source"],
            target=c["target"],
            lines=[(c["pads"], 1)],
        )
    assert not StockMovement.objects.filter(reference_type="transfer").exists()


def test_new_transfer_form_creates_a_draft_and_refuses_bad_lines(chain, login):
    c = chain
    client = login(c["keeper_a"])
    url = reverse("parts:transfer_create")
    page = client.get(url).content.decode()
    # Other stores are offered; their warehouses are listed once the store is chosen.
    assert "上海浦东店" in page and "朝阳二号库" in page and "浦东配件库" not in page
    refreshed = client.get(
        url, {"target_store": c["target"].store_id}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="target-warehouse"
    ).content.decode()
    assert (
        refreshed.lstrip().startswith('<div id="target-warehouse"') and "上海浦东店 / 浦东配件库" in refreshed
    )
    assert "朝阳二号库" not in refreshed
    # Without JavaScript, the button shows the chosen store's warehouses and saves nothing.
    picked = client.post(
        url, {"source": c["source"].pk, "target_store": c["target"].store_id, "pick_store": "1"}
    )
    assert picked.status_code == 200 and "浦东配件库" in picked.content.decode()
    base = {
        "source": c["source"].pk,
        "target_store": c["target"].store_id,
        "target": c["target"].pk,
        "line-INITIAL_FORMS": "0",
        "line-TOTAL_FORMS": "2",
    }
    twice = {**base, "line-0-part": "06A115561B", "line-0-quantity": "1", "line-1-part": "6901234567892"}
    twice["line-1-quantity"] = "2"
    response = client.post(url, twice)
    assert response.status_code == 400 and "alert-danger" in response.content.decode()
    same = {**base, "target_store": c["source"].store_id, "target": c["source"].pk}
    same.update({"line-0-part": "06A115561B", "line-0-quantity": "1"})
    assert client.post(url, same).status_code == 400
    assert not Transfer.objects.exists() and not TransferLine.objects.exists()
    good = {**base, "line-0-part": "06a115561b", "line-0-quantity": "4", "line-1-part": "3Q0698151A"}
    good["line-1-quantity"] = "1"
    response = client.post(url, good)
    transfer = Transfer.objects.get()
    assert response["Location"] == reverse("parts:transfer_detail", args=[transfer.pk])
    assert (transfer.source_store.code, transfer.target_store.code, transfer.lines.count()) == (
        "BJ01",
        "SH01",
        2,
    )
    assert transfer.created_by == c["keeper_a"]


def test_hx_requests_get_the_partials(chain, login):
    c = chain
    transfer = _draft(c)
    client = login(c["keeper_a"])
    response = client.post(
        reverse("parts:transfer_ship", args=[transfer.pk]), HTTP_HX_REQUEST="true", HTTP_HX_TARGET="transfer"
    )
    body = response.content.decode()
    assert response.status_code == 200 and body.lstrip().startswith('<div id="transfer">')
    assert "text-bg-warning" in body and "¥445.00" in body  # in transit, valued
    partial = client.get(
        reverse("parts:transfer_list"),
        {"status": "in_transit"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="transfer-table",
    ).content.decode()
    assert partial.lstrip().startswith('<div id="transfer-table">') and "DBBJ01000001" in partial
    assert "<html" not in partial


def test_list_and_page_queries_do_not_grow_with_transfers(chain, login):
    c = chain
    client = login(c["keeper_a"])
    svc.transfer_ship(actor=c["keeper_a"], transfer=_draft(c))
    url = reverse("parts:transfer_list")
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for _i in range(4):
        svc.transfer_ship(actor=c["keeper_a"], transfer=_draft(c, lines=[(c["pads"], "1")]))
    with CaptureQueriesContext(connection) as five:
        page = client.get(url).content.decode()
    assert len(five) == len(one) and page.count("/parts/transfers/") >= 5
    small = _draft(c, lines=[(c["pads"], "1")])
    large = _draft(c, lines=[(c["pads"], "1"), (c["oil_filter"], "2"), (PartFactory(), "1")])
    counts = []
    for transfer in (small, large):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("parts:transfer_detail", args=[transfer.pk])).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]
