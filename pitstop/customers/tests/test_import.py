import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from pitstop.customers.models import Customer, ImportBatch, Vehicle

from .factories import CustomerFactory, make_vin

HEADER = "姓名,手机,车牌,VIN,品牌,购车日期\n"


def _csv(rows: str) -> SimpleUploadedFile:
    return SimpleUploadedFile("old-system.csv", (HEADER + rows).encode("utf-8"), content_type="text/csv")


def test_good_file_previews_then_imports_all_rows(login, manager, store_a):
    client = login(manager)
    rows = (
        f"张伟,13800000001,京A11111,{make_vin(1)},大众,2022-03-01\n"
        f"张伟,13800000001,京A22222,{make_vin(2)},丰田,2021/5/6\n"
        f"北京宏达物流有限公司,13800000002,京A33333,{make_vin(3)},别克,\n"
    )
    response = client.post(reverse("customers:import_upload"), {"file": _csv(rows)})
    batch = ImportBatch.objects.get()
    assert response["Location"] == reverse("customers:import_preview", args=[batch.pk])
    page = client.get(response["Location"]).content.decode()
    assert "3 rows" in page or "3 行" in page
    client.post(reverse("customers:import_confirm", args=[batch.pk]))
    assert Customer.objects.filter(store=store_a).count() == 2
    assert Vehicle.objects.filter(owner__mobile="13800000001").count() == 2


def test_bad_rows_are_listed_with_the_reason_and_nothing_is_imported(login, manager, store_a):
    client = login(manager)
    wrong_vin = make_vin(9)[:8] + ("1" if make_vin(9)[8] != "1" else "2") + make_vin(9)[9:]
    rows = (
        f"张伟,13800000001,京A11111,{make_vin(1)},大众,\n"
        f"王芳,12345,京A22222,{make_vin(2)},大众,\n"
        f"李娜,13800000003,京A33333,{wrong_vin},大众,\n"
        f"刘强,13800000004,XYZ,{make_vin(1)},大众,2021-13-01\n"
    )
    response = client.post(reverse("customers:import_upload"), {"file": _csv(rows)})
    page = client.get(response["Location"]).content.decode()
    for row in ("<td>3</td>", "<td>4</td>", "<td>5</td>"):
        assert row in page
    assert "<td>2</td>" not in page
    batch = ImportBatch.objects.get()
    client.post(reverse("customers:import_confirm", args=[batch.pk]))
    assert not Customer.objects.exists() and not Vehicle.objects.exists()


def test_all_or_nothing_when_the_files_changed_since_the_preview(login, manager, store_a):
    client = login(manager)
    rows = f"张伟,13800000001,京A11111,{make_vin(1)},大众,\n王芳,13800000002,京A22222,{make_vin(2)},大众,\n"
    response = client.post(reverse("customers:import_upload"), {"file": _csv(rows)})
    batch = ImportBatch.objects.get()
    # Meanwhile someone files the second VIN by hand.
    from pitstop.customers.tests.factories import VehicleFactory

    VehicleFactory(owner=CustomerFactory(store=store_a), vin=make_vin(2))
    response = client.post(reverse("customers:import_confirm", args=[batch.pk]), follow=True)
    assert "第 3 行" in response.content.decode() or "Row 3" in response.content.decode()
    assert not Customer.objects.filter(mobile="13800000001").exists()


def test_xlsx_upload_is_read(login, manager, store_a):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["客户名称", "手机号码", "车架号"])
    sheet.append(["陈静", 13800000009, make_vin(11)])
    buffer = io.BytesIO()
    workbook.save(buffer)
    upload = SimpleUploadedFile("list.xlsx", buffer.getvalue())
    client = login(manager)
    response = client.post(reverse("customers:import_upload"), {"file": upload})
    batch = ImportBatch.objects.get()
    assert batch.rows == [{"name": "陈静", "mobile": "13800000009", "vin": make_vin(11)}]
    client.post(reverse("customers:import_confirm", args=[batch.pk]))
    assert Vehicle.objects.get().owner.name == "陈静"
    assert response.status_code == 302


def test_only_roles_with_the_permission_may_import(login, advisor, store_a):
    assert login(advisor).get(reverse("customers:import_upload")).status_code == 403


def test_export_to_excel_masks_for_roles_without_personal_data(login, care_agent, store_a):
    CustomerFactory(store=store_a, mobile="13812345678")
    response = login(care_agent).get(reverse("customers:customer_list"), {"format": "xlsx"})
    from openpyxl import load_workbook

    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[1][2] == "138****5678"


def test_odd_mileage_is_a_row_problem_not_a_crash(login, manager, store_a):
    client = login(manager)
    header = "姓名,手机,VIN,购车里程\n"
    rows = "".join(
        f"客户{i},1380000000{i},{make_vin(i + 1)},{km}\n"
        for i, km in enumerate(["NaN", "Infinity", "1e999999999", "12.9", "-5", "12,000"])
    )
    upload = SimpleUploadedFile("m.csv", (header + rows).encode(), content_type="text/csv")
    response = client.post(reverse("customers:import_upload"), {"file": upload})
    assert response.status_code == 302
    batch = ImportBatch.objects.get()
    assert [p["row"] for p in batch.problems] == [2, 3, 4, 5, 6]  # 12,000 km is fine


def test_people_are_not_merged_by_name_and_a_shared_mobile_needs_one_name(login, manager, store_a):
    CustomerFactory(store=store_a, name="李娜", mobile="13800000009")
    client = login(manager)
    rows = (
        f"张伟,,京A11111,{make_vin(1)},大众,\n"
        f"张伟,,京A22222,{make_vin(2)},大众,\n"
        f"王芳,13800000002,京A33333,{make_vin(3)},大众,\n"
        f"王芳芳,13800000002,京A44444,{make_vin(4)},大众,\n"
        f"李娜娜,13800000009,京A55555,{make_vin(5)},大众,\n"
        f"李娜,13800000009,京A66666,{make_vin(6)},大众,\n"
    )
    client.post(reverse("customers:import_upload"), {"file": _csv(rows)})
    batch = ImportBatch.objects.get()
    assert [p["row"] for p in batch.problems] == [5, 6]
    assert "王芳" in batch.problems[0]["message"] and "李娜" in batch.problems[1]["message"]
    assert batch.summary == {"customers": 3, "vehicles": 4, "attached": 1}  # refused rows add nothing


def test_two_customers_without_mobile_stay_two(login, manager, store_a):
    client = login(manager)
    rows = f"张伟,,京A11111,{make_vin(1)},大众,\n张伟,,京A22222,{make_vin(2)},大众,\n"
    client.post(reverse("customers:import_upload"), {"file": _csv(rows)})
    client.post(reverse("customers:import_confirm", args=[ImportBatch.objects.get().pk]))
    assert Customer.objects.filter(name="张伟").count() == 2


def test_a_file_over_the_limit_is_refused_whole(login, manager, store_a, settings):
    from pitstop.customers import importing

    original = importing.MAX_ROWS
    importing.MAX_ROWS = 3
    try:
        rows = "".join(f"客户{i},1380000000{i},,,,\n" for i in range(4))
        response = login(manager).post(reverse("customers:import_upload"), {"file": _csv(rows)})
    finally:
        importing.MAX_ROWS = original
    assert response.status_code == 400 and "最多 3 行" in response.content.decode()
    assert not ImportBatch.objects.exists()
