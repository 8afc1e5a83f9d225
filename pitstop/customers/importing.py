"""Import of customers and vehicles from .xlsx or .csv (F-1.6), for a shop moving in from
another system: parse, check every row with the same rules as the forms, show the preview,
then import all rows or none."""

import csv
import datetime
import io
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from openpyxl import load_workbook

from pitstop.accounts.models import Store, User
from pitstop.core.audit import audit_record
from pitstop.core.exceptions import ApplicationError
from pitstop.core.identifiers import clean_mobile
from pitstop.core.text import normalise_code

from .models import Customer, ImportBatch, Vehicle
from .services import customer_create, vehicle_create

# A file is imported within one request, at about 15 ms a row on SQLite and 40 ms on
# PostgreSQL (every row goes through the services and the audit trail); larger lists are
# uploaded in several files.
MAX_ROWS = 2000

# Column headers a shop's old system may use, Chinese and English, mapped to our fields.
COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("客户名称", "姓名", "车主姓名", "车主", "name", "customer"),
    "mobile": ("手机", "手机号", "手机号码", "联系电话", "mobile", "phone"),
    "gender": ("性别", "gender"),
    "address": ("地址", "联系地址", "address"),
    "id_number": ("身份证号", "证件号码", "身份证号码/机构代码", "id number", "id_number"),
    "birthday": ("生日", "出生日期", "birthday"),
    "email": ("邮箱", "email"),
    "employer": ("工作单位", "单位", "employer"),
    "kind": ("客户性质", "kind"),
    "plate": ("车牌", "车牌号", "车牌号码", "plate"),
    "vin": ("vin", "vin码", "车架号", "车辆识别代号"),
    "brand": ("品牌", "车辆品牌", "brand"),
    "series": ("车系", "series"),
    "model_name": ("车型", "model"),
    "engine_no": ("发动机号", "engine no", "engine_no"),
    "body_colour": ("颜色", "车身颜色", "colour", "color"),
    "purchase_date": ("购车日期", "purchase date", "purchase_date"),
    "purchase_mileage": ("购车里程", "里程", "mileage"),
    "insurance_expiry": ("保险到期日", "保险到期", "insurance expiry", "insurance_expiry"),
    "inspection_due": ("年检到期", "年审到期", "inspection due", "inspection_due"),
}
_HEADER_LOOKUP = {alias.lower(): key for key, aliases in COLUMNS.items() for alias in aliases}
TEMPLATE_HEADERS = [
    "姓名",
    "手机",
    "性别",
    "地址",
    "身份证号",
    "生日",
    "车牌",
    "VIN",
    "品牌",
    "车系",
    "车型",
    "发动机号",
    "颜色",
    "购车日期",
    "购车里程",
    "保险到期日",
    "年检到期",
]
_GENDERS = {"男": "male", "女": "female", "male": "male", "female": "female", "m": "male", "f": "female"}
_DATE_FIELDS = ("birthday", "purchase_date", "insurance_expiry", "inspection_due")


@dataclass
class Preview:
    rows: list[dict]
    problems: list[dict] = field(default_factory=list)  # {"row": n, "message": "..."}
    customers: int = 0  # new customers
    vehicles: int = 0
    attached: int = 0  # rows whose vehicle goes to a customer already on file

    def summary(self) -> dict:
        return {"customers": self.customers, "vehicles": self.vehicles, "attached": self.attached}


def _sheet_rows(name: str, content: bytes):
    if name.lower().endswith(".xlsx"):
        try:
            sheet = load_workbook(io.BytesIO(content), read_only=True, data_only=True).worksheets[0]
        except Exception:
            raise ApplicationError(
                _("The file could not be read as an Excel workbook."), field="file"
            ) from None
        return sheet.iter_rows(values_only=True)
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return csv.reader(io.StringIO(content.decode(encoding)))
        except UnicodeDecodeError:
            continue
    raise ApplicationError(_("The CSV file is neither UTF-8 nor GBK."), field="file")


def read_table(name: str, content: bytes) -> list[dict[str, str]]:
    """Rows of {our field: text} from the first sheet or the CSV (UTF-8 or GBK). Read row by
    row, so that a file far over the limit is refused without being loaded whole."""
    lines = iter(_sheet_rows(name, content))
    first = next(lines, None)
    if first is None:
        raise ApplicationError(_("The file is empty."), field="file")
    headers = [_HEADER_LOOKUP.get(str(h or "").strip().lower()) for h in first]
    if "name" not in headers or "vin" not in headers and "mobile" not in headers:
        raise ApplicationError(
            _("The first row must name the columns; at least 姓名 and 手机 or VIN."), field="file"
        )
    rows = []
    for values in lines:
        if not any(v not in (None, "") for v in values):
            continue
        if len(rows) == MAX_ROWS:
            raise ApplicationError(_("At most %(count)d rows per file.") % {"count": MAX_ROWS}, field="file")
        rows.append({key: _text(value) for key, value in zip(headers, values, strict=False) if key})
    return rows


def _text(value) -> str:
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value if value is not None else "").strip()


def _date(text: str) -> datetime.date | None:
    if not text:
        return None
    for fmt in ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%Y年%m月%d日"):
        try:
            return datetime.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValidationError(_("“%(value)s” is not a date (2024-05-01)."), params={"value": text})


MAX_MILEAGE = 2_000_000  # km; an odometer beyond this is a typing error


def _mileage(text: str) -> int | None:
    if not text:
        return None
    try:
        value = Decimal(text.replace(",", ""))
    except InvalidOperation:
        value = None
    if (
        value is None
        or not value.is_finite()
        or value != value.to_integral_value()
        or not 0 <= value <= MAX_MILEAGE
    ):
        raise ValidationError(
            _("Mileage “%(value)s” is not a whole number of kilometres from 0 to 2,000,000."),
            params={"value": text},
        )
    return int(value)


def _customer_data(row: dict) -> dict:
    return {
        "name": row.get("name", ""),
        "mobile": row.get("mobile", ""),
        "gender": _GENDERS.get(row.get("gender", "").lower(), ""),
        "address": row.get("address", ""),
        "id_number": row.get("id_number", ""),
        "birthday": _date(row.get("birthday", "")),
        "email": row.get("email", ""),
        "employer": row.get("employer", ""),
        "kind": Customer.Kind.COMPANY
        if row.get("kind") in ("公司", "单位", "company")
        else Customer.Kind.PERSON,
        "source": Customer.Source.IMPORT,
    }


def _vehicle_data(row: dict) -> dict:
    return {
        "plate": row.get("plate", ""),
        "vin": row.get("vin", ""),
        "brand": row.get("brand", ""),
        "series": row.get("series", ""),
        "model_name": row.get("model_name", ""),
        "engine_no": row.get("engine_no", ""),
        "body_colour": row.get("body_colour", ""),
        "purchase_date": _date(row.get("purchase_date", "")),
        "purchase_mileage": _mileage(row.get("purchase_mileage", "")),
        "insurance_expiry": _date(row.get("insurance_expiry", "")),
        "inspection_due": _date(row.get("inspection_due", "")),
    }


def _messages(error: ValidationError) -> str:
    if hasattr(error, "error_dict"):
        parts = []
        for name, errors in error.message_dict.items():
            label = name
            for model in (Customer, Vehicle):
                try:
                    label = str(model._meta.get_field(name).verbose_name)
                    break
                except Exception:
                    continue
            parts.append(f"{label}: {' '.join(errors)}")
        return " ".join(parts)
    return " ".join(error.messages)


def _mobile(row: dict) -> str:
    try:
        return clean_mobile(row["mobile"]) if row.get("mobile") else ""
    except ValidationError:
        return ""


def check_rows(*, store: Store, rows: list[dict]) -> Preview:
    """Every row checked as the forms would check it, against the file and the store's files.

    Rows with the same mobile are one customer with several vehicles, so they must carry the
    same name; a row without a mobile is a customer of its own (two 张伟 are two people)."""
    preview = Preview(rows=rows)
    mobiles = {m for m in (_mobile(row) for row in rows) if m}
    on_file = dict(Customer.objects.filter(store=store, mobile__in=mobiles).values_list("mobile", "name"))
    vins = {normalise_code(row.get("vin", "")) for row in rows if row.get("vin")}
    vins_on_file = set(Vehicle.objects.filter(store=store, vin__in=vins).values_list("vin", flat=True))
    first_row_of_mobile: dict[str, tuple[int, str]] = {}
    seen_vins: dict[str, int] = {}
    for number, row in enumerate(rows, start=2):  # row 1 holds the headers
        try:
            customer = Customer(store=store, **_customer_data(row))
            customer.full_clean(exclude=["code", "tier", "store"], validate_constraints=False)
            if customer.mobile in on_file:
                if on_file[customer.mobile] != customer.name:
                    raise ValidationError(
                        _("Mobile %(mobile)s is on file for %(name)s, not %(other)s."),
                        params={
                            "mobile": customer.mobile,
                            "name": on_file[customer.mobile],
                            "other": customer.name,
                        },
                    )
                preview.attached += 1
            elif customer.mobile in first_row_of_mobile:
                first_row, first_name = first_row_of_mobile[customer.mobile]
                if first_name != customer.name:
                    raise ValidationError(
                        _("Mobile %(mobile)s is also in row %(row)d, for %(name)s."),
                        params={"mobile": customer.mobile, "row": first_row, "name": first_name},
                    )
            else:
                preview.customers += 1
                if customer.mobile:
                    first_row_of_mobile[customer.mobile] = (number, customer.name)
            if row.get("vin"):
                vehicle = Vehicle(store=store, owner=customer, **_vehicle_data(row))
                vehicle.full_clean(exclude=["file_no", "owner", "store"], validate_constraints=False)
                if vehicle.vin in seen_vins:
                    raise ValidationError(
                        _("VIN %(vin)s is also in row %(row)d."),
                        params={"vin": vehicle.vin, "row": seen_vins[vehicle.vin]},
                    )
                seen_vins[vehicle.vin] = number
                if vehicle.vin in vins_on_file:
                    raise ValidationError(_("VIN %(vin)s is already on file."), params={"vin": vehicle.vin})
                preview.vehicles += 1
        except ValidationError as error:
            preview.problems.append({"row": number, "message": _messages(error)})
    return preview


@transaction.atomic
def import_preview(
    *, actor: User, store: Store, filename: str, content: bytes
) -> tuple[ImportBatch, Preview]:
    rows = read_table(filename, content)
    preview = check_rows(store=store, rows=rows)
    batch = ImportBatch.objects.create(
        store=store,
        created_by=actor,
        filename=filename[:200],
        rows=rows,
        problems=preview.problems,
        summary=preview.summary(),
    )
    return batch, preview


@transaction.atomic
def import_confirm(*, actor: User, batch: ImportBatch) -> ImportBatch:
    """All rows or none: any row that fails now (the files changed since the preview) rolls
    the whole import back."""
    batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.status != ImportBatch.Status.PREVIEWED:
        raise ApplicationError(_("This file has already been imported."))
    if batch.problems:
        raise ApplicationError(
            _("Correct the rows listed in the file and upload it again; nothing was imported.")
        )
    by_mobile: dict[str, Customer] = {}
    created_customers = created_vehicles = 0
    for number, row in enumerate(batch.rows, start=2):
        try:
            mobile = _mobile(row)
            customer = by_mobile.get(mobile) if mobile else None
            if customer is None and mobile:
                customer = Customer.objects.filter(store=batch.store, mobile=mobile).first()
            if customer is None:
                customer = customer_create(actor=actor, store=batch.store, data=_customer_data(row))
                created_customers += 1
            if mobile:
                by_mobile[mobile] = customer
            if row.get("vin"):
                vehicle_create(actor=actor, store=batch.store, data={**_vehicle_data(row), "owner": customer})
                created_vehicles += 1
        except (ValidationError, ApplicationError) as error:
            detail = _messages(error) if isinstance(error, ValidationError) else str(error.message)
            raise ApplicationError(
                _("Row %(row)d: %(problem)s Nothing was imported.") % {"row": number, "problem": detail}
            ) from None
    batch.status = ImportBatch.Status.IMPORTED
    batch.customers_created = created_customers
    batch.vehicles_created = created_vehicles
    batch.save(update_fields=["status", "customers_created", "vehicles_created", "updated_at"])
    audit_record(
        actor=actor,
        instance=batch,
        action="import",
        store=batch.store,
        after={"customers": created_customers, "vehicles": created_vehicles, "file": batch.filename},
    )
    return batch
