"""Tools and equipment (F-4.7): add and edit with a code unique in the store, lend an available
tool to a person of the store (for one of its jobs or not), return it (damage → repair), the
history of loans, maintenance due marked; permissions, another store 404, bad input changing
nothing, a fixed number of queries on the list."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from pitstop.core.exceptions import ApplicationError
from pitstop.customers.tests.factories import CustomerFactory, VehicleFactory
from pitstop.service.models import RepairOrder
from pitstop.service.tests.factories import RepairOrderFactory
from pitstop.workshop import tools as services
from pitstop.workshop.models import Tool, ToolLoan

pytestmark = pytest.mark.django_db
Status = Tool.Status


@pytest.fixture
def keeper(make_staff, store_a):
    return make_staff("dispatcher", store_a, full_name="工具管理员")


@pytest.fixture
def tech(make_staff, store_a):
    return make_staff("technician", store_a, full_name="王师傅")


def add(keeper, store, code="GJ001", name="扭力扳手", **fields):
    return services.tool_save(actor=keeper, store=store, code=code, name=name, **fields)


def refused(expected, call, **kwargs):
    with pytest.raises(ApplicationError) as error:
        call(**kwargs)
    assert error.value.code == expected, error.value.message
    return error.value


def test_add_and_edit_a_tool(keeper, store_a):
    tool = add(keeper, store_a, code=" gj001 ", maintenance_due=datetime.date(2030, 1, 1))
    assert (tool.code, tool.status, tool.store) == ("GJ001", Status.AVAILABLE, store_a)
    services.tool_save(
        actor=keeper, store=store_a, tool=tool, code="GJ001", name="扭力扳手 40-200Nm", status="repair"
    )
    tool.refresh_from_db()
    assert tool.name == "扭力扳手 40-200Nm" and tool.status == Status.REPAIR


def test_a_code_is_unique_in_the_store_and_a_name_needed(keeper, store_a, make_staff, store_b):
    add(keeper, store_a)
    refused("duplicate", services.tool_save, actor=keeper, store=store_a, code="gj001", name="扳手")
    refused("name", services.tool_save, actor=keeper, store=store_a, code="GJ002", name=" ")
    add(make_staff("dispatcher", store_b), store_b)  # the same code in another store is fine
    assert Tool.objects.filter(store=store_a).count() == 1


def test_a_technician_cannot_add_tools(tech, store_a):
    refused("permission", services.tool_save, actor=tech, store=store_a, code="GJ001", name="扳手")


def test_lend_and_return(keeper, tech, store_a):
    tool = add(keeper, store_a)
    order = RepairOrderFactory(
        advisor=keeper,
        vehicle=VehicleFactory(owner=CustomerFactory(store=store_a)),
        status=RepairOrder.Status.IN_PROGRESS,
    )
    loan = services.tool_lend(actor=keeper, tool=tool, borrower=tech, order=order)
    tool.refresh_from_db()
    assert tool.status == Status.LENT and loan.order == order and loan.lent_by == keeper
    refused("not_available", services.tool_lend, actor=keeper, tool=tool, borrower=tech)
    refused(
        "lent",
        services.tool_save,
        actor=keeper,
        store=store_a,
        tool=tool,
        code="GJ001",
        name="x",
        status="available",
    )
    services.tool_return(actor=tech, tool=tool)
    tool.refresh_from_db()
    loan.refresh_from_db()
    assert tool.status == Status.AVAILABLE and loan.returned_at is not None and loan.damage == ""
    refused("not_lent", services.tool_return, actor=keeper, tool=tool)


def test_a_damaged_return_sends_the_tool_to_repair(keeper, tech, store_a):
    tool = add(keeper, store_a)
    services.tool_lend(actor=keeper, tool=tool, borrower=tech)
    loan = services.tool_return(actor=keeper, tool=tool, damage="棘轮卡滞")
    tool.refresh_from_db()
    assert tool.status == Status.REPAIR and loan.damage == "棘轮卡滞"
    refused("not_available", services.tool_lend, actor=keeper, tool=tool, borrower=tech)


def test_lend_only_to_people_and_jobs_of_the_store(keeper, store_a, make_staff, store_b):
    tool = add(keeper, store_a)
    refused(
        "borrower", services.tool_lend, actor=keeper, tool=tool, borrower=make_staff("technician", store_b)
    )
    foreign = RepairOrderFactory(advisor=keeper, status=RepairOrder.Status.IN_PROGRESS)
    refused("order", services.tool_lend, actor=keeper, tool=tool, borrower=keeper, order=foreign)
    assert not ToolLoan.objects.exists()
    tool.refresh_from_db()
    assert tool.status == Status.AVAILABLE


def test_maintenance_marks(keeper, store_a):
    today = timezone.localdate()
    assert services.maintenance_state(add(keeper, store_a, code="A", maintenance_due=today)) == "overdue"
    assert (
        services.maintenance_state(
            add(keeper, store_a, code="B", maintenance_due=today + datetime.timedelta(days=5))
        )
        == "soon"
    )
    assert (
        services.maintenance_state(
            add(keeper, store_a, code="C", maintenance_due=today + datetime.timedelta(days=60))
        )
        == ""
    )
    assert services.maintenance_state(add(keeper, store_a, code="D")) == ""


# --- pages ---------------------------------------------------------------------------------------


def test_the_list_marks_overdue_maintenance_with_fixed_queries(
    keeper, tech, store_a, login, django_assert_max_num_queries
):
    today = timezone.localdate()
    for n in range(8):
        tool = add(keeper, store_a, code=f"GJ{n:03d}", maintenance_due=today - datetime.timedelta(days=n - 3))
        if n % 2:
            services.tool_lend(actor=keeper, tool=tool, borrower=tech)
    client = login(tech)
    client.get(reverse("workshop:tools"))
    with django_assert_max_num_queries(10):
        response = client.get(reverse("workshop:tools"))
    assert response.status_code == 200
    assert response.content.count(b'data-maintenance="overdue"') == 5
    assert b'id="add-tool"' not in response.content  # a technician does not add tools
    partial = client.get(
        reverse("workshop:tools"),
        {"status": "lent"},
        headers={"HX-Request": "true", "HX-Target": "tool-table"},
    )
    assert partial.content.count(b"data-tool=") == 4 and b"<html" not in partial.content


def test_pages_lend_and_return(keeper, tech, store_a, login):
    tool = add(keeper, store_a)
    client = login(keeper)
    assert client.get(reverse("workshop:tool_detail", args=[tool.pk])).status_code == 200
    assert client.post(reverse("workshop:tool_lend", args=[tool.pk]), {"borrower": ""}).status_code == 400
    assert not ToolLoan.objects.exists()
    response = client.post(reverse("workshop:tool_lend", args=[tool.pk]), {"borrower": tech.pk})
    assert response.status_code == 302
    response = client.post(reverse("workshop:tool_return", args=[tool.pk]), {"damage": "外壳破裂"})
    assert response.status_code == 302
    tool.refresh_from_db()
    assert tool.status == Status.REPAIR
    history = client.get(reverse("workshop:tool_detail", args=[tool.pk]))
    assert "外壳破裂" in history.content.decode() and history.content.count(b"data-loan=") == 1
    # Returning again is refused on the page, nothing changes.
    assert client.post(reverse("workshop:tool_return", args=[tool.pk]), {}).status_code == 400


def test_pages_add_and_edit(keeper, tech, store_a, login):
    client = login(keeper)
    response = client.post(
        reverse("workshop:tool_new"), {"code": "JSJ01", "name": "举升机", "status": "available"}
    )
    assert response.status_code == 302
    tool = Tool.objects.get(code="JSJ01")
    response = client.post(
        reverse("workshop:tool_new"), {"code": "jsj01", "name": "x", "status": "available"}
    )
    assert response.status_code == 400 and Tool.objects.count() == 1
    response = client.post(
        reverse("workshop:tool_edit", args=[tool.pk]),
        {"code": "JSJ01", "name": "举升机", "status": "available", "maintenance_due": "2026-01-31"},
    )
    assert response.status_code == 302
    tool.refresh_from_db()
    assert tool.maintenance_due == datetime.date(2026, 1, 31)
    assert login(tech).get(reverse("workshop:tool_new")).status_code == 403
    assert login(tech).get(reverse("workshop:tool_edit", args=[tool.pk])).status_code == 403


def test_another_store_gets_404(keeper, store_a, make_staff, store_b, login):
    tool = add(keeper, store_a)
    client = login(make_staff("dispatcher", store_b))
    for name in ("tool_detail", "tool_edit"):
        assert client.get(reverse(f"workshop:{name}", args=[tool.pk])).status_code == 404
    for name in ("tool_lend", "tool_return"):
        assert client.post(reverse(f"workshop:{name}", args=[tool.pk]), {}).status_code == 404
    assert client.get(reverse("workshop:tool_lend", args=[tool.pk])).status_code == 405
