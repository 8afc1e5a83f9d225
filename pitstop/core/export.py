"""Every list to Excel: one streaming-safe writer used by all apps."""

import datetime
from collections.abc import Iterable, Sequence
from decimal import Decimal

from django.http import HttpResponse
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.utils import get_column_letter

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value):
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value
    if isinstance(value, str):
        # A name such as =HYPERLINK(...) must not become a live formula in the workbook.
        return "'" + value if value.startswith(FORMULA_START) else value
    if value is None or isinstance(value, int | Decimal | datetime.date | bool):
        return value
    return _cell(str(value))


def xlsx_response(filename: str, headers: Sequence[str], rows: Iterable[Sequence]) -> HttpResponse:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    widths = [max(8, len(str(h)) * 2) for h in headers]
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = min(width, 40)
    sheet.append([str(h) for h in headers])
    for row in rows:
        sheet.append([_cell(value) for value in row])
    response = HttpResponse(content_type=XLSX_TYPE)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="{filename}-{stamp}.xlsx"'
    workbook.save(response)
    return response
