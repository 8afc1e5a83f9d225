"""Reception services: receiving a car (from its appointment or by plate), the walk-around check
(mileage through the vehicle's readings, marks, items, documents, key tag), the diagnosis with
the warranty, photos, the items due from the vehicle's history and declined work re-added."""

import datetime
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from pitstop.core.exceptions import ApplicationError
from pitstop.core.models import AuditEntry
from pitstop.customers.models import MileageReading
from pitstop.customers.tests.factories import CustomerFactory, VehicleFactory
from pitstop.service import reception
from pitstop.service.models import (
    Appointment,
    Approval,
    BusinessType,
    OrderLabour,
    OrderPhoto,
    RepairCategory,
    RepairOrder,
    RepairOrderEvent,
)

from .booking import at, book, workshop
from .factories import (
    CannedJobFactory,
    CannedJobLineFactory,
    LabourOperationFactory,
    MaintenancePlanFactory,
    MaintenancePlanItemFactory,
    OrderLabourFactory,
    RepairOrderFactory,
    StoreWorkshopFactory,
)

pytestmark = pytest.mark.django_db
Status = RepairOrder.Status


@pytest.fixture
def passat(store_a):
    owner = CustomerFactory(store=store_a, name="张伟", mobile="13812345678")
    return VehicleFactory(
        owner=owner, plate="京A12345", purchase_date=timezone.localdate() - datetime.timedelta(days=400)
    )


def png(size=(40, 30), name="photo.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def walk(advisor, order, **changes):
    values = {"mileage": 30500, "fuel_level": "2", "body_marks": [], "items_in_vehicle": ["jack"]}
    values.update(changes)
    return reception.walkaround_save(actor=advisor, order=order, **values)


# --- receiving a car ---------------------------------------------------------------------------


def test_receiving_an_appointment_marks_it_arrived_and_opens_a_draft(store_a, advisor, passat):
    workshop(store_a)
    appointment = book(advisor, store_a, at(10), vehicle=passat, plate="", content="4万公里保养")
    order = reception.reception_start(actor=advisor, store=store_a, vehicle=passat, appointment=appointment)
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.ARRIVED and appointment.arrived_at is not None
    assert order.status == Status.DRAFT and order.appointment == appointment
    assert order.customer == passat.owner and order.advisor == advisor
    assert order.owner_description == "4万公里保养" and order.received_at is not None
    assert RepairOrderEvent.objects.filter(order=order, to_status=Status.DRAFT).count() == 1


def test_a_walk_in_car_is_received_by_its_vehicle(store_a, advisor, passat):
    order = reception.reception_start(actor=advisor, store=store_a, vehicle=passat)
    assert order.vehicle == passat and order.appointment is None and order.number.startswith("WXBJ01")


def test_a_second_open_order_for_the_same_car_is_refused(store_a, advisor, passat):
    first = reception.reception_start(actor=advisor, store=store_a, vehicle=passat)
    with pytest.raises(ApplicationError) as refused:
        reception.reception_start(actor=advisor, store=store_a, vehicle=passat)
    assert refused.value.code == "open_order" and refused.value.extra["order"] == first.pk
    assert RepairOrder.objects.count() == 1


def test_a_finished_order_does_not_block_the_next_visit(store_a, advisor, passat):
    RepairOrderFactory(advisor=advisor, vehicle=passat, status=Status.READY)
    RepairOrderFactory(advisor=advisor, vehicle=passat, status=Status.CANCELLED)
    assert reception.reception_start(actor=advisor, store=store_a, vehicle=passat).status == Status.DRAFT


def test_appointments_that_cannot_be_received(store_a, store_b, advisor, passat):
    workshop(store_a)
    requested = book(None, store_a, at(10), source="online", plate="京A12345")
    with pytest.raises(ApplicationError) as refused:
        reception.reception_start(actor=advisor, store=store_a, vehicle=passat, appointment=requested)
    assert refused.value.code == "appointment_status"
    other_car = VehicleFactory(owner=passat.owner, plate="京A99999")
    theirs = book(advisor, store_a, at(11), vehicle=other_car, plate="")
    with pytest.raises(ApplicationError) as refused:
        reception.reception_start(actor=advisor, store=store_a, vehicle=passat, appointment=theirs)
    assert refused.value.code == "vehicle"
    elsewhere = VehicleFactory(owner=CustomerFactory(store=store_b))
    with pytest.raises(ApplicationError) as refused:
        reception.reception_start(actor=advisor, store=store_a, vehicle=elsewhere)
    assert refused.value.code == "store"
    assert not RepairOrder.objects.exists()
    requested.refresh_from_db()
    assert requested.status == Appointment.Status.REQUESTED


def test_an_appointment_is_received_once(store_a, advisor, passat):
    workshop(store_a)
    appointment = book(advisor, store_a, at(10), vehicle=passat, plate="")
    order = reception.reception_start(actor=advisor, store=store_a, vehicle=passat, appointment=appointment)
    order.status = Status.READY
    order.save()
    with pytest.raises(ApplicationError) as refused:
        reception.reception_start(actor=advisor, store=store_a, vehicle=passat, appointment=appointment)
    assert refused.value.code == "taken"


# --- the walk-around ---------------------------------------------------------------------------


@pytest.fixture
def order(store_a, advisor, passat):
    return reception.reception_start(actor=advisor, store=store_a, vehicle=passat)


def test_the_walkaround_is_saved_and_the_mileage_read_into_the_vehicle(advisor, order, passat):
    marks = [
        {"zone": "front_left_door", "kind": "dent", "note": "  约2cm  "},
        {"zone": "rear_bumper", "kind": "scratch", "note": ""},
    ]
    walk(
        advisor,
        order,
        body_marks=marks,
        items_in_vehicle=["spare_wheel", "jack", "floor_mats"],
        documents_held=["service_book", "driving_licence"],
        key_tag=" a12 ",
        interior_notes="座椅干净",
        valuables="无",
    )
    order.refresh_from_db()
    assert order.mileage == 30500 and order.fuel_level == "2" and order.key_tag == "A12"
    assert order.body_marks[0] == {"zone": "front_left_door", "kind": "dent", "note": "约2cm"}
    assert len(order.body_marks) == 2
    assert order.items_in_vehicle["spare_wheel"] is True and order.items_in_vehicle["dashcam"] is False
    assert set(order.items_in_vehicle) == set(reception.ITEM_CODES)
    assert order.documents_held == ["driving_licence", "service_book"]
    assert order.walkaround_done_at is not None
    reading = MileageReading.objects.get(vehicle=passat)
    assert (reading.mileage, reading.source, reading.reference) == (30500, "visit", order.number)
    passat.refresh_from_db()
    assert passat.current_mileage == 30500
    assert AuditEntry.objects.filter(object_id=str(order.pk), changes__has_key="body_marks").exists()
    # Saved again with the same mileage: no second reading.
    walk(advisor, order, fuel_level="3")
    assert MileageReading.objects.filter(vehicle=passat).count() == 1


def test_a_lower_mileage_is_refused_with_its_own_message_unless_a_reason_is_given(advisor, order, passat):
    from pitstop.customers.services import vehicle_record_mileage

    vehicle_record_mileage(
        actor=advisor,
        vehicle=passat,
        mileage=42000,
        read_on=timezone.localdate() - datetime.timedelta(days=30),
    )
    with pytest.raises(ApplicationError) as refused:
        walk(advisor, order, mileage=41000, body_marks=[{"zone": "roof", "kind": "dent"}])
    assert refused.value.code == "mileage_lower" and refused.value.field == "mileage"
    order.refresh_from_db()
    assert order.mileage is None and order.body_marks == [] and order.walkaround_done_at is None
    assert MileageReading.objects.filter(vehicle=passat).count() == 1
    walk(advisor, order, mileage=41000, mileage_note="仪表更换")
    order.refresh_from_db()
    assert order.mileage == 41000 and order.mileage_note == "仪表更换"
    assert MileageReading.objects.get(vehicle=passat, reference=order.number).note == "仪表更换"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"mileage": None}, "mileage"),
        ({"mileage": -1}, "mileage"),
        ({"fuel_level": "9"}, "fuel_level"),
        ({"body_marks": [{"zone": "engine_bay", "kind": "dent"}]}, "body_marks"),
        ({"body_marks": [{"zone": "roof", "kind": "rust"}]}, "body_marks"),
        ({"items_in_vehicle": ["bicycle"]}, "items_in_vehicle"),
        ({"documents_held": ["passport"]}, "documents_held"),
        ({"key_tag": "K" * 21}, "key_tag"),
    ],
)
def test_bad_walkaround_input_changes_nothing(advisor, order, changes, field):
    with pytest.raises(ApplicationError) as refused:
        walk(advisor, order, **changes)
    assert refused.value.field == field
    order.refresh_from_db()
    assert order.walkaround_done_at is None and order.mileage is None
    assert not MileageReading.objects.exists()


def test_a_key_tag_held_by_another_open_order_is_refused(store_a, advisor, order):
    holder = RepairOrderFactory(advisor=advisor, vehicle=VehicleFactory(owner=CustomerFactory(store=store_a)))
    holder.key_tag = "A12"
    holder.save()
    with pytest.raises(ApplicationError) as refused:
        walk(advisor, order, key_tag="a12")
    assert refused.value.code == "key_tag" and holder.number in str(refused.value.message)
    # A car that is ready still hangs on its tag until the owner collects it.
    holder.status = Status.READY
    holder.save()
    with pytest.raises(ApplicationError):
        walk(advisor, order, key_tag="A12")
    holder.status = Status.DELIVERED
    holder.save()
    walk(advisor, order, key_tag="A12")
    order.refresh_from_db()
    assert order.key_tag == "A12"


def test_the_same_tag_in_another_store_is_free(store_b, make_staff, advisor, order):
    theirs = RepairOrderFactory(
        advisor=make_staff("advisor", store_b), vehicle=VehicleFactory(owner=CustomerFactory(store=store_b))
    )
    theirs.key_tag = "A12"
    theirs.save()
    walk(advisor, order, key_tag="A12")


def test_the_reception_cannot_be_changed_once_work_started(advisor, order):
    order.status = Status.IN_PROGRESS
    order.save()
    with pytest.raises(ApplicationError) as refused:
        walk(advisor, order)
    assert refused.value.code == "state"
    with pytest.raises(ApplicationError):
        reception.diagnosis_save(
            actor=advisor,
            order=order,
            owner_description="异响",
            business_type=BusinessType.REPAIR,
            repair_category=RepairCategory.MINOR,
        )


# --- the diagnosis ------------------------------------------------------------------------------


def test_the_diagnosis_is_saved_with_the_warranty_computed(make_staff, store_a, advisor, order, passat):
    technician = make_staff("technician", store_a, full_name="王师傅")
    walk(advisor, order, mileage=20000)
    reception.diagnosis_save(
        actor=advisor,
        order=order,
        owner_description="冷车启动异响",
        diagnosis="发电机皮带老化，建议更换",
        diagnosed_by=technician,
        business_type=BusinessType.WARRANTY,
        repair_category=RepairCategory.LEVEL_2,
    )
    order.refresh_from_db()
    assert order.repair_category == RepairCategory.LEVEL_2 and order.needs_certificate
    assert order.diagnosed_by == technician and order.business_type == BusinessType.WARRANTY
    assert order.warranty_eligible is True and "80,000" not in order.warranty_note
    assert str(passat.purchase_date.year + 3) in order.warranty_note


def test_a_warranty_job_on_a_car_not_covered_needs_a_note(advisor, order, passat):
    passat.purchase_date = datetime.date(2015, 1, 1)
    passat.save()
    values = {
        "actor": advisor,
        "order": order,
        "owner_description": "刹车异响",
        "business_type": BusinessType.WARRANTY,
        "repair_category": RepairCategory.MINOR,
    }
    with pytest.raises(ApplicationError) as refused:
        reception.diagnosis_save(**values)
    assert refused.value.code == "warranty" and refused.value.field == "warranty_note"
    order.refresh_from_db()
    assert order.business_type == BusinessType.MAINTENANCE
    reception.diagnosis_save(**values, warranty_note="厂家特批善意保修")
    order.refresh_from_db()
    assert order.business_type == BusinessType.WARRANTY and order.warranty_eligible is False
    assert order.warranty_note == "厂家特批善意保修"


def test_diagnosis_refusals(store_b, make_staff, advisor, order):
    base = {"actor": advisor, "order": order, "business_type": "repair", "repair_category": "minor"}
    for changes, field in [
        ({"owner_description": " "}, "owner_description"),
        ({"owner_description": "x", "business_type": "gift"}, "business_type"),
        ({"owner_description": "x", "repair_category": "level_3"}, "repair_category"),
        ({"owner_description": "x", "diagnosed_by": make_staff("technician", store_b)}, "diagnosed_by"),
    ]:
        with pytest.raises(ApplicationError) as refused:
            reception.diagnosis_save(**{**base, **changes})
        assert refused.value.field == field
    order.refresh_from_db()
    assert order.business_type == BusinessType.MAINTENANCE and order.owner_description == ""


def test_the_diagnosis_text_defaults_to_the_advisor_as_its_author(advisor, order):
    reception.diagnosis_save(
        actor=advisor,
        order=order,
        owner_description="保养",
        diagnosis="目测无异常",
        business_type="maintenance",
        repair_category="level_1",
    )
    order.refresh_from_db()
    assert order.diagnosed_by == advisor


# --- photos -----------------------------------------------------------------------------------


def test_a_photo_is_stored_under_a_generated_name(advisor, order):
    photo = reception.photo_add(
        actor=advisor, order=order, image=png(name="../../etc/passwd.png"), kind=OrderPhoto.Kind.WALKAROUND
    )
    assert photo.image.name.startswith("orders/") and order.number in photo.image.name
    assert ".." not in photo.image.name and photo.image.name.endswith(".png")
    assert photo.taken_by == advisor and photo.kind == "walkaround"


@pytest.mark.parametrize(
    ("upload", "code"),
    [
        (SimpleUploadedFile("notes.png", b"not an image at all", content_type="image/png"), "not_image"),
        (SimpleUploadedFile("x.pdf", b"%PDF-1.4 hello", content_type="application/pdf"), "not_image"),
        (
            SimpleUploadedFile("big.jpg", b"\0" * (10 * 1024 * 1024 + 1), content_type="image/jpeg"),
            "too_large",
        ),
        (None, "required"),
    ],
)
def test_what_is_not_a_photo_is_refused(advisor, order, upload, code):
    with pytest.raises(ApplicationError) as refused:
        reception.photo_add(actor=advisor, order=order, image=upload, kind=OrderPhoto.Kind.WALKAROUND)
    assert refused.value.code == code
    assert not OrderPhoto.objects.exists()


def test_photo_kind_and_finding_must_fit(advisor, order, store_a):
    with pytest.raises(ApplicationError):
        reception.photo_add(actor=advisor, order=order, image=png(), kind="selfie")
    order.status = Status.CANCELLED
    order.save()
    with pytest.raises(ApplicationError) as refused:
        reception.photo_add(actor=advisor, order=order, image=png(), kind="walkaround")
    assert refused.value.code == "state"


# --- items due and declined work ------------------------------------------------------------------


def test_items_due_count_from_the_vehicles_earlier_orders(store_a, advisor, passat):
    oil_job = CannedJobFactory(name="常规保养（1万公里）")
    big_job = CannedJobFactory(name="4万公里保养")
    plan = MaintenancePlanFactory(brand=passat.brand)
    MaintenancePlanItemFactory(plan=plan, job=oil_job, every_km=10000, every_months=None)
    MaintenancePlanItemFactory(plan=plan, job=big_job, every_km=40000, every_months=None)
    earlier = RepairOrderFactory(advisor=advisor, vehicle=passat, status=Status.READY, mileage=30000)
    OrderLabourFactory(order=earlier, canned_job=oil_job)
    declined = RepairOrderFactory(advisor=advisor, vehicle=passat, status=Status.READY, mileage=35000)
    OrderLabourFactory(order=declined, canned_job=big_job, approval=Approval.DECLINED)  # not done
    order = reception.reception_start(actor=advisor, store=store_a, vehicle=passat)
    walk(advisor, order, mileage=41000)
    history = reception.vehicle_history(passat, exclude_order=order)
    assert history == {
        oil_job.pk: (timezone.localtime(earlier.received_at or earlier.created_at).date(), 30000)
    }
    due = {item.job: item for item in reception.items_due_for(order)}
    assert due[oil_job].due_km == 40000 and due[oil_job].km_over == 1000
    assert due[big_job].due_km == 40000


def test_a_due_job_and_declined_work_go_onto_the_estimate(store_a, advisor, passat):
    StoreWorkshopFactory(store=store_a, labour_rate=Decimal("100.00"))
    operation = LabourOperationFactory(name="更换前刹车片", standard_hours=Decimal("1.500"))
    job = CannedJobFactory(name="首保")
    CannedJobLineFactory(job=job, labour=LabourOperationFactory(name="更换机油机滤"), quantity=Decimal("0.5"))
    earlier = RepairOrderFactory(advisor=advisor, vehicle=passat, status=Status.READY)
    brakes = OrderLabourFactory(
        order=earlier,
        operation=operation,
        name=operation.name,
        hours=Decimal("1.5"),
        approval=Approval.DECLINED,
    )
    order = reception.reception_start(actor=advisor, store=store_a, vehicle=passat)
    reception.due_job_add(actor=advisor, order=order, job=job)
    line = reception.recommended_add(actor=advisor, order=order, kind="labour", line_id=brakes.pk)
    assert line.order_id == order.pk and line.operation == operation and line.approval == Approval.APPROVED
    assert line.price == Decimal("150.00")
    names = set(OrderLabour.objects.filter(order=order).values_list("name", flat=True))
    assert names == {"更换机油机滤", "更换前刹车片"}
    order.refresh_from_db()
    assert order.total == Decimal("200.00")
    with pytest.raises(ApplicationError) as refused:
        reception.recommended_add(actor=advisor, order=order, kind="labour", line_id=line.pk)
    assert refused.value.code == "not_found"
