"""Old parts (旧件, F-5.10): the state machine, return batches, the pages and their rights."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pitstop.core.exceptions import ApplicationError
from pitstop.customers.tests.factories import VehicleFactory
from pitstop.parts import old_parts as op
from pitstop.parts.models import OldPart, OldPartBatch, OldPartEvent, Supplier, Warehouse
from pitstop.parts.services import Reference

from .factories import PartFactory, WarehouseFactory

Status = OldPart.Status
BatchStatus = OldPartBatch.Status
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    """Messages are asserted in their English source text, whatever the catalogue holds."""
    with translation.override("en"):
        yield


@pytest.fixture
def keeper(make_staff, store_a):
    return make_staff("warehouse", store_a, language="en")


@pytest.fixture
def old_store(store_a):
    return WarehouseFactory(store=store_a, code="JJ", name="旧件库", kind=Warehouse.Kind.OLD_PARTS)


@pytest.fixture
def supplier(db):
    return Supplier.objects.create(code="HT01", name="北京恒通汽配", contact="王经理", phone="010-85551234")


def _collect(keeper, store, **kwargs) -> OldPart:
    defaults = {"source": OldPart.Source.MANUAL, "description": "机油滤清器(旧)", "plate": "京A12345"}
    return op.old_part_collect(actor=keeper, store=store, **{**defaults, **kwargs})


def _stored(keeper, store, warehouse, **kwargs) -> OldPart:
    return op.old_part_store(
        actor=keeper, old_part=_collect(keeper, store, **kwargs), warehouse=warehouse, bin="A-01"
    )


# --- collecting -------------------------------------------------------------------------------


def test_collect_from_a_job_numbers_the_part_links_the_vehicle_and_writes_an_event(keeper, store_a):
    part = PartFactory(code="06A115561B", name="机油滤清器")
    vehicle = VehicleFactory(store=store_a, owner__store=store_a, plate="京A12345")
    item = op.old_part_collect(
        actor=keeper,
        store=store_a,
        source=OldPart.Source.JOB,
        part=part,
        quantity="2",
        reference=Reference("work_order", 42, "WXBJ01000042"),
        plate="京a 12345",
    )
    assert item.number == "JWBJ01000001"
    assert item.status == Status.COLLECTED
    assert item.description == "机油滤清器" and item.quantity == Decimal("2")
    assert (item.reference_type, item.reference_id, item.reference_no) == ("work_order", 42, "WXBJ01000042")
    assert item.vehicle == vehicle and item.plate == "京A12345"
    event = item.events.get()
    assert (event.actor, event.from_status, event.to_status) == (keeper, "", Status.COLLECTED)
    assert _collect(keeper, store_a).number == "JWBJ01000002"


def test_a_vehicle_given_by_the_job_fills_the_plate(keeper, store_a):
    vehicle = VehicleFactory(store=store_a, owner__store=store_a, plate="粤BD12345")
    item = _collect(keeper, store_a, plate="", vehicle=vehicle)
    assert item.plate == "粤BD12345" and item.vehicle == vehicle


def test_a_plate_of_another_stores_vehicle_is_kept_as_typed_only(keeper, store_a, store_b):
    VehicleFactory(store=store_b, owner__store=store_b, plate="沪A55555")
    item = _collect(keeper, store_a, plate="沪A55555")
    assert item.vehicle is None and item.plate == "沪A55555"
    unknown = _collect(keeper, store_a, plate="京N-8888X")
    assert unknown.vehicle is None and unknown.plate == "京N8888X"


def test_a_vehicle_of_another_store_is_refused(keeper, store_a, store_b):
    vehicle = VehicleFactory(store=store_b, owner__store=store_b)
    with pytest.raises(ApplicationError, match="another store"):
        _collect(keeper, store_a, vehicle=vehicle)
    assert not OldPart.objects.exists()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"description": "", "part": None}, "describe the old part"),
        ({"quantity": "0"}, "more than zero"),
        ({"quantity": "-1"}, "more than zero"),
        ({"quantity": "abc"}, "must be a number"),
        ({"source": "stolen"}, "where the old part comes from"),
        ({"source": OldPart.Source.CLAIM}, "names its document"),
        ({"source": OldPart.Source.JOB, "reference": Reference("work_order")}, "names its document"),
    ],
)
def test_bad_input_is_refused_and_nothing_written(keeper, store_a, kwargs, message):
    with pytest.raises(ApplicationError, match=message):
        _collect(keeper, store_a, **kwargs)
    assert not OldPart.objects.exists() and not OldPartEvent.objects.exists()


# --- the state machine ------------------------------------------------------------------------


def test_store_puts_it_in_an_old_parts_warehouse_with_a_bin(keeper, store_a, old_store):
    item = op.old_part_store(
        actor=keeper, old_part=_collect(keeper, store_a), warehouse=old_store, bin="a-01"
    )
    item.refresh_from_db()
    assert (item.status, item.warehouse, item.bin) == (Status.STORED, old_store, "A01")
    event = item.events.last()
    assert (event.from_status, event.to_status) == (
        Status.COLLECTED,
        Status.STORED,
    ) and "旧件库" in event.note


def test_store_refuses_a_main_warehouse_and_another_stores_warehouse(keeper, store_a, store_b):
    item = _collect(keeper, store_a)
    main = WarehouseFactory(store=store_a, kind=Warehouse.Kind.MAIN)
    other = WarehouseFactory(store=store_b, kind=Warehouse.Kind.OLD_PARTS)
    with pytest.raises(ApplicationError, match="old-parts warehouse"):
        op.old_part_store(actor=keeper, old_part=item, warehouse=main)
    with pytest.raises(ApplicationError, match="another store"):
        op.old_part_store(actor=keeper, old_part=item, warehouse=other)
    item.refresh_from_db()
    assert item.status == Status.COLLECTED and item.warehouse is None and item.events.count() == 1


def test_give_back_records_who_received_it(keeper, store_a, old_store):
    item = _stored(keeper, store_a, old_store)
    with pytest.raises(ApplicationError, match="who received"):
        op.old_part_give_back(actor=keeper, old_part=item, received_by=" ")
    op.old_part_give_back(actor=keeper, old_part=item, received_by="李先生", note="车主要求带走")
    item.refresh_from_db()
    assert item.status == Status.GIVEN_BACK
    assert "李先生" in item.events.last().note and "车主要求带走" in item.events.last().note


def test_scrap_needs_a_reason(keeper, store_a):
    item = _collect(keeper, store_a)
    with pytest.raises(ApplicationError, match="why"):
        op.old_part_scrap(actor=keeper, old_part=item, reason="")
    op.old_part_scrap(actor=keeper, old_part=item, reason="破损无回收价值")
    item.refresh_from_db()
    assert item.status == Status.SCRAPPED
    assert item.events.last().note == "破损无回收价值"


@pytest.mark.parametrize(
    ("finish", "then", "message"),
    [
        ("scrap", "store", "An old part that is scrapped cannot become stored."),
        ("scrap", "give_back", "An old part that is scrapped cannot become given back to the owner."),
        ("give_back", "scrap", "An old part that is given back to the owner cannot become scrapped."),
        ("give_back", "store", "An old part that is given back to the owner cannot become stored."),
        ("store", "store", "An old part that is stored cannot become stored."),
    ],
)
def test_refused_moves_name_both_states(keeper, store_a, old_store, finish, then, message):
    item = _collect(keeper, store_a)
    moves = {
        "store": lambda: op.old_part_store(actor=keeper, old_part=item, warehouse=old_store),
        "give_back": lambda: op.old_part_give_back(actor=keeper, old_part=item, received_by="李先生"),
        "scrap": lambda: op.old_part_scrap(actor=keeper, old_part=item, reason="破损"),
    }
    moves[finish]()
    events = item.events.count()
    with pytest.raises(ApplicationError) as refused:
        moves[then]()
    assert str(refused.value.message) == message
    assert item.events.count() == events


MOVES = ["store", "give_back", "scrap", "pack_and_send"]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(st.sampled_from(MOVES), min_size=1, max_size=5))
def test_any_sequence_of_moves_follows_allowed(keeper, store_a, old_store, supplier, steps):
    """Whatever is tried, a part only ever makes the moves ALLOWED lists, one event each."""
    item = _collect(keeper, store_a)
    for step in steps:
        before = OldPart.objects.get(pk=item.pk).status
        target = {
            "store": Status.STORED,
            "give_back": Status.GIVEN_BACK,
            "scrap": Status.SCRAPPED,
            "pack_and_send": Status.RETURNED,
        }[step]
        try:
            if step == "store":
                op.old_part_store(actor=keeper, old_part=item, warehouse=old_store)
            elif step == "give_back":
                op.old_part_give_back(actor=keeper, old_part=item, received_by="李先生")
            elif step == "scrap":
                op.old_part_scrap(actor=keeper, old_part=item, reason="破损")
            else:
                batch = op.batch_create(
                    actor=keeper,
                    store=store_a,
                    destination=OldPartBatch.Destination.SUPPLIER,
                    supplier=supplier,
                )
                op.batch_add(actor=keeper, batch=batch, old_parts=[item])
                op.batch_send(actor=keeper, batch=batch)
        except ApplicationError:
            assert target not in OldPart.ALLOWED[before]
            continue
        after = OldPart.objects.get(pk=item.pk).status
        assert after == target and target in OldPart.ALLOWED[before]
        assert item.events.filter(from_status=before, to_status=target).count() == 1


# --- return batches ---------------------------------------------------------------------------


def _batch(keeper, store, supplier) -> OldPartBatch:
    return op.batch_create(
        actor=keeper, store=store, destination=OldPartBatch.Destination.SUPPLIER, supplier=supplier
    )


def test_batch_create_needs_a_supplier_or_recipient(keeper, store_a, supplier):
    with pytest.raises(ApplicationError, match="supplier"):
        op.batch_create(actor=keeper, store=store_a, destination=OldPartBatch.Destination.SUPPLIER)
    with pytest.raises(ApplicationError, match="recipient"):
        op.batch_create(actor=keeper, store=store_a, destination=OldPartBatch.Destination.MANUFACTURER)
    assert not OldPartBatch.objects.exists()
    factory = op.batch_create(
        actor=keeper,
        store=store_a,
        destination=OldPartBatch.Destination.MANUFACTURER,
        recipient="一汽-大众旧件中心",
    )
    assert factory.number == "QTBJ01000001" and factory.status == BatchStatus.OPEN
    assert _batch(keeper, store_a, supplier).number == "QTBJ01000002"


def test_sending_a_batch_marks_every_part_returned(keeper, store_a, old_store, supplier):
    first, second = _stored(keeper, store_a, old_store), _stored(keeper, store_a, old_store)
    batch = _batch(keeper, store_a, supplier)
    op.batch_add(actor=keeper, batch=batch, old_parts=[first, second])
    assert first.events.last().note.endswith(batch.number)
    op.batch_send(actor=keeper, batch=batch, note="顺丰 SF1234")
    batch.refresh_from_db()
    assert batch.status == BatchStatus.SENT and batch.sent_at is not None
    for item in (first, second):
        item.refresh_from_db()
        assert item.status == Status.RETURNED and item.batch == batch
        event = item.events.last()
        assert (event.from_status, event.to_status) == (Status.STORED, Status.RETURNED)
    with pytest.raises(ApplicationError, match="sent cannot become cancelled"):
        op.batch_cancel(actor=keeper, batch=batch)
    with pytest.raises(ApplicationError, match="can no longer be changed"):
        op.batch_remove(actor=keeper, batch=batch, old_part=first)


def test_an_empty_batch_is_not_sent(keeper, store_a, supplier):
    batch = _batch(keeper, store_a, supplier)
    with pytest.raises(ApplicationError, match="empty"):
        op.batch_send(actor=keeper, batch=batch)
    batch.refresh_from_db()
    assert batch.status == BatchStatus.OPEN


def test_cancelling_a_batch_keeps_its_parts_stored_and_free(keeper, store_a, old_store, supplier):
    item = _stored(keeper, store_a, old_store)
    batch = _batch(keeper, store_a, supplier)
    op.batch_add(actor=keeper, batch=batch, old_parts=[item])
    op.batch_cancel(actor=keeper, batch=batch)
    item.refresh_from_db()
    batch.refresh_from_db()
    assert batch.status == BatchStatus.CANCELLED
    assert item.status == Status.STORED and item.batch is None
    assert item.events.last().note == f"Return batch {batch.number} cancelled"
    with pytest.raises(ApplicationError, match="can no longer be changed"):
        op.batch_add(actor=keeper, batch=batch, old_parts=[item])
    op.batch_add(actor=keeper, batch=_batch(keeper, store_a, supplier), old_parts=[item])  # free again


def test_batch_add_takes_only_stored_free_parts_of_its_store_all_or_none(
    keeper, store_a, store_b, old_store, supplier, make_staff
):
    batch = _batch(keeper, store_a, supplier)
    stored = _stored(keeper, store_a, old_store)
    collected = _collect(keeper, store_a)
    keeper_b = make_staff("warehouse", store_b)
    other_store = _stored(keeper_b, store_b, WarehouseFactory(store=store_b, kind=Warehouse.Kind.OLD_PARTS))
    with pytest.raises(ApplicationError, match="only stored old parts"):
        op.batch_add(actor=keeper, batch=batch, old_parts=[stored, collected])
    with pytest.raises(ApplicationError, match="another store"):
        op.batch_add(actor=keeper, batch=batch, old_parts=[other_store])
    stored.refresh_from_db()
    assert stored.batch is None  # the refused request packed nothing
    op.batch_add(actor=keeper, batch=batch, old_parts=[stored])
    with pytest.raises(ApplicationError, match="already in this batch"):
        op.batch_add(actor=keeper, batch=batch, old_parts=[stored])
    with pytest.raises(ApplicationError, match=f"already in return batch {batch.number}"):
        op.batch_add(actor=keeper, batch=_batch(keeper, store_a, supplier), old_parts=[stored])


def test_a_packed_part_is_not_given_back_or_scrapped_until_taken_out(keeper, store_a, old_store, supplier):
    item = _stored(keeper, store_a, old_store)
    batch = _batch(keeper, store_a, supplier)
    op.batch_add(actor=keeper, batch=batch, old_parts=[item])
    with pytest.raises(ApplicationError, match="take it out of the batch first"):
        op.old_part_scrap(actor=keeper, old_part=item, reason="破损")
    with pytest.raises(ApplicationError, match="take it out of the batch first"):
        op.old_part_give_back(actor=keeper, old_part=item, received_by="李先生")
    op.batch_remove(actor=keeper, batch=batch, old_part=item)
    item.refresh_from_db()
    assert item.batch is None and item.status == Status.STORED
    with pytest.raises(ApplicationError, match="not in this batch"):
        op.batch_remove(actor=keeper, batch=batch, old_part=item)
    op.old_part_scrap(actor=keeper, old_part=item, reason="破损")


def test_batch_changes_are_in_the_audit_trail(keeper, store_a, old_store, supplier):
    from pitstop.core.audit import audit_for

    batch = _batch(keeper, store_a, supplier)
    op.batch_add(actor=keeper, batch=batch, old_parts=[_stored(keeper, store_a, old_store)])
    op.batch_send(actor=keeper, batch=batch)
    entries = list(audit_for(batch))
    assert [entry.action for entry in entries] == ["update", "create"]
    assert entries[0].changes["status"] == ["open", "sent"]


# --- pages ------------------------------------------------------------------------------------


def test_keeper_registers_an_old_part_by_hand_linking_the_vehicle(login, keeper, store_a):
    PartFactory(code="3Q0698151A", name="前刹车片", unit="套")
    vehicle = VehicleFactory(store=store_a, owner__store=store_a, plate="京A12345")
    client = login(keeper)
    assert client.get(reverse("parts:old_part_new")).status_code == 200
    response = client.post(
        reverse("parts:old_part_new"),
        {
            "source": "manual",
            "part": "3q0698151a",
            "quantity": "2",
            "plate": "京A12345",
            "reference_no": "WX-0088",
            "description": "",
            "note": "",
        },
    )
    item = OldPart.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("parts:old_part", args=[item.pk])
    assert item.part.code == "3Q0698151A" and item.vehicle == vehicle and item.reference_no == "WX-0088"
    page = client.get(response["Location"]).content.decode()
    assert "前刹车片" in page and "WX-0088" in page and "JWBJ01000001" in page


def test_register_form_shows_errors_and_writes_nothing(login, keeper, store_a):
    client = login(keeper)
    response = client.post(
        reverse("parts:old_part_new"),
        {"source": "manual", "part": "NOPE", "quantity": "1", "description": ""},
    )
    assert response.status_code == 400 and "NOPE" in response.content.decode()
    response = client.post(
        reverse("parts:old_part_new"), {"source": "claim", "quantity": "1", "description": "三元催化器"}
    )
    assert response.status_code == 400 and "names its document" in response.content.decode()
    assert not OldPart.objects.exists()


def test_old_part_page_moves_and_shows_refusals_next_to_the_form(login, keeper, store_a, old_store):
    item = _collect(keeper, store_a)
    client = login(keeper)
    page = client.get(reverse("parts:old_part", args=[item.pk])).content.decode()
    assert "旧件库" in page and 'value="given_back"' in page and 'value="scrapped"' in page
    response = client.post(
        reverse("parts:old_part_move", args=[item.pk]),
        {"to": "stored", "warehouse": old_store.pk, "bin": "B2"},
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.status == Status.STORED and item.bin == "B2"
    response = client.post(
        reverse("parts:old_part_move", args=[item.pk]), {"to": "given_back", "received_by": ""}
    )
    assert response.status_code == 400 and 'value="given_back"' in response.content.decode()
    response = client.post(
        reverse("parts:old_part_move", args=[item.pk]), {"to": "scrapped", "reason": "破损"}
    )
    assert response.status_code == 302
    page = client.get(reverse("parts:old_part", args=[item.pk])).content.decode()
    assert 'value="scrapped"' not in page and 'value="stored"' not in page  # nothing more to do
    response = client.post(
        reverse("parts:old_part_move", args=[item.pk]), {"to": "given_back", "received_by": "李先生"}
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.status == Status.SCRAPPED
    followed = client.get(reverse("parts:old_part", args=[item.pk])).content.decode()
    assert "An old part that is scrapped cannot become given back to the owner." in followed


def test_list_filters_searches_exports_and_answers_htmx_with_the_table(login, keeper, store_a, old_store):
    _stored(keeper, store_a, old_store, plate="京A12345", description="机油滤清器(旧)")
    _collect(keeper, store_a, plate="京B67890", description="前刹车片(旧)")
    client = login(keeper)
    page = client.get(reverse("parts:old_part_list"), {"status": "stored"}).content.decode()
    assert "京A12345" in page and "京B67890" not in page
    partial = client.get(
        reverse("parts:old_part_list"),
        {"q": "京b678"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="old-part-table",
    ).content.decode()
    assert partial.lstrip().startswith('<div id="old-part-table">') and "京B67890" in partial
    assert "京A12345" not in partial
    export = client.get(reverse("parts:old_part_list"), {"format": "xlsx"})
    assert export["Content-Type"].startswith("application/vnd.openxmlformats")


def test_list_query_count_does_not_grow_with_rows(
    login, keeper, store_a, old_store, django_assert_max_num_queries
):
    client = login(keeper)
    for _ in range(3):
        _stored(keeper, store_a, old_store, part=PartFactory())
    client.get(reverse("parts:old_part_list"))
    with django_assert_max_num_queries(12) as few:
        client.get(reverse("parts:old_part_list"))
    for _ in range(10):
        _stored(keeper, store_a, old_store, part=PartFactory())
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("parts:old_part_list"))


def test_batch_pages_pack_by_number_with_htmx_send_and_print(login, keeper, store_a, old_store, supplier):
    first = _stored(keeper, store_a, old_store, part=PartFactory(code="06A115561B", name="机油滤清器"))
    second = _stored(keeper, store_a, old_store, description="三元催化器")
    client = login(keeper)
    response = client.post(
        reverse("parts:old_part_batch_new"), {"destination": "supplier", "supplier": supplier.pk}
    )
    batch = OldPartBatch.objects.get()
    assert response["Location"] == reverse("parts:old_part_batch", args=[batch.pk])
    add = reverse("parts:old_part_batch_add", args=[batch.pk])
    hx = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "batch-parts"}
    partial = client.post(add, {"number": first.number.lower()}, **hx).content.decode()
    assert partial.lstrip().startswith('<div id="batch-parts">') and "机油滤清器" in partial
    refused = client.post(add, {"number": "JWBJ01999999"}, **hx)  # htmx swaps only a 200
    assert refused.status_code == 200 and "No old part numbered “JWBJ01999999”" in refused.content.decode()
    assert client.post(add, {"old_part": second.pk}).status_code == 302  # without JavaScript
    page = client.get(reverse("parts:old_part_batch", args=[batch.pk])).content.decode()
    assert first.number in page and second.number in page
    client.post(reverse("parts:old_part_batch_move", args=[batch.pk]), {"to": "sent"})
    batch.refresh_from_db()
    assert batch.status == BatchStatus.SENT
    assert set(OldPart.objects.values_list("status", flat=True)) == {Status.RETURNED}
    printed = client.get(reverse("parts:old_part_batch_print", args=[batch.pk])).content.decode()
    for text in (
        "北京恒通汽配",
        first.number,
        "06A115561B",
        "机油滤清器",
        "三元催化器",
        "京A12345",
        batch.number,
    ):
        assert text in printed
    assert client.get(reverse("parts:old_part_batch_list")).content.decode().count(batch.number) == 1


def test_batch_remove_and_cancel_from_the_page(login, keeper, store_a, old_store, supplier):
    item = _stored(keeper, store_a, old_store)
    batch = _batch(keeper, store_a, supplier)
    op.batch_add(actor=keeper, batch=batch, old_parts=[item])
    client = login(keeper)
    partial = client.post(
        reverse("parts:old_part_batch_remove", args=[batch.pk]),
        {"old_part": item.pk},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="batch-parts",
    ).content.decode()
    item.refresh_from_db()
    assert item.batch is None and 'id="batch-candidates"' in partial and item.number in partial
    client.post(reverse("parts:old_part_batch_move", args=[batch.pk]), {"to": "cancelled"})
    batch.refresh_from_db()
    assert batch.status == BatchStatus.CANCELLED


def test_another_store_answers_404_and_hq_only_looks(
    login, keeper, store_a, store_b, old_store, supplier, make_staff, hq_store
):
    item = _stored(keeper, store_a, old_store)
    batch = _batch(keeper, store_a, supplier)
    op.batch_add(actor=keeper, batch=batch, old_parts=[item])
    other = login(make_staff("store_manager", store_b))
    for name in ("parts:old_part", "parts:old_part_batch", "parts:old_part_batch_print"):
        assert (
            other.get(reverse(name, args=[item.pk if name == "parts:old_part" else batch.pk])).status_code
            == 404
        )
    assert (
        other.post(
            reverse("parts:old_part_move", args=[item.pk]), {"to": "scrapped", "reason": "x"}
        ).status_code
        == 404
    )
    assert (
        other.post(reverse("parts:old_part_batch_move", args=[batch.pk]), {"to": "sent"}).status_code == 404
    )
    assert (
        other.post(reverse("parts:old_part_batch_add", args=[batch.pk]), {"number": item.number}).status_code
        == 404
    )
    assert item.number not in other.get(reverse("parts:old_part_list")).content.decode()

    hq = login(make_staff("hq", hq_store))
    assert hq.get(reverse("parts:old_part", args=[item.pk])).status_code == 200
    assert item.number in hq.get(reverse("parts:old_part_list")).content.decode()
    assert hq.get(reverse("parts:old_part_batch_print", args=[batch.pk])).status_code == 200
    assert (
        hq.post(reverse("parts:old_part_move", args=[item.pk]), {"to": "scrapped", "reason": "x"}).status_code
        == 403
    )
    assert hq.post(reverse("parts:old_part_batch_move", args=[batch.pk]), {"to": "sent"}).status_code == 403
    assert (
        hq.post(reverse("parts:old_part_batch_remove", args=[batch.pk]), {"old_part": item.pk}).status_code
        == 403
    )
    assert hq.get(reverse("parts:old_part_new")).status_code == 403
    assert hq.get(reverse("parts:old_part_batch_new")).status_code == 403
    item.refresh_from_db()
    batch.refresh_from_db()
    assert item.status == Status.STORED and batch.status == BatchStatus.OPEN


def test_staff_without_old_part_rights_get_403(login, advisor):
    client = login(advisor)
    for name in (
        "parts:old_part_list",
        "parts:old_part_new",
        "parts:old_part_batch_list",
        "parts:old_part_batch_new",
    ):
        assert client.get(reverse(name)).status_code == 403


def test_a_batch_does_not_take_a_part_of_another_store_by_number(
    login, keeper, store_a, store_b, supplier, make_staff
):
    keeper_b = make_staff("warehouse", store_b)
    foreign = _stored(keeper_b, store_b, WarehouseFactory(store=store_b, kind=Warehouse.Kind.OLD_PARTS))
    batch = _batch(keeper, store_a, supplier)
    client = login(keeper)
    response = client.post(
        reverse("parts:old_part_batch_add", args=[batch.pk]),
        {"old_part": foreign.pk},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="batch-parts",
    )
    assert "No such old part in this store." in response.content.decode()
    foreign.refresh_from_db()
    assert foreign.batch is None
