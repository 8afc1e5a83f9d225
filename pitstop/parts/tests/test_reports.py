"""Stock reports (F-5.11): the numbers, who may see them, the HTMX partials and the Excel files."""

import datetime
from decimal import Decimal
from io import BytesIO
from unittest import mock

import pytest
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from pitstop.accounts.middleware import ALL_STORES, SESSION_STORE_KEY
from pitstop.parts import reports, services
from pitstop.parts.models import PartCategory, StockMovement

from .factories import PartFactory, WarehouseFactory

D = Decimal
JOB = services.Reference("work_order", 88, "WO-0088")
TODAY = timezone.localdate()


def at_day(days_ago: int, hour: int = 10):
    """Patch the clock to `days_ago` days before today (the ledger's time and last movement)."""
    moment = timezone.make_aware(
        datetime.datetime.combine(TODAY - datetime.timedelta(days=days_ago), datetime.time(hour))
    )
    return mock.patch("django.utils.timezone.now", return_value=moment)


def workbook_rows(response) -> list[list]:
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(BytesIO(response.content)).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


@pytest.fixture
def shop(store_a, store_b, make_staff):
    """Store A: two warehouses, oil filters and brake pads; store B: brake pads of its own."""
    manager = make_staff("store_manager", store_a)
    upkeep = PartCategory.objects.create(code="BY", name="保养件")
    filters = PartCategory.objects.create(code="BY01", name="滤清器", parent=upkeep)
    brakes = PartCategory.objects.create(code="ZD", name="制动系统")
    main = WarehouseFactory(store=store_a, code="PJ", name="朝阳配件库")
    second = WarehouseFactory(store=store_a, code="PJ2", name="朝阳二号库")
    other = WarehouseFactory(store=store_b, code="PJ", name="浦东配件库")
    oil = PartFactory(code="06A115561B", name="机油滤清器", category=filters)
    air = PartFactory(code="1K0129620D", name="空气滤清器", category=filters)
    pads = PartFactory(code="3Q0698151A", name="前刹车片", category=brakes, unit="套")
    plug = PartFactory(code="101905617C", name="火花塞", category=None)
    services.stock_receive(actor=manager, warehouse=main, lines=[(oil, "10", "32.50"), (pads, "2", "310")])
    services.stock_receive(actor=manager, warehouse=main, lines=[(oil, "5", "36.10")])  # average 33.7000
    services.stock_issue(actor=manager, warehouse=main, lines=[(oil, "3")], reference=JOB, taken_by="赵磊")
    services.stock_receive(actor=manager, warehouse=second, lines=[(air, "4", "45.25"), (plug, "8", "12.8")])
    services.stock_receive(actor=manager, warehouse=other, lines=[(pads, "100", "300")])  # ¥30,000 elsewhere
    return {
        "manager": manager,
        "main": main,
        "second": second,
        "other": other,
        "oil": oil,
        "pads": pads,
        "plug": plug,
        "air": air,
    }


# --- stock value ------------------------------------------------------------------------------


def test_stock_value_by_warehouse_and_category_comes_from_the_balances(shop, store_a):
    manager = shop["manager"]
    by_warehouse = reports.stock_value(user=manager, store=store_a, by="warehouse")
    # 12 oil filters at 33.70 = 404.40, 2 pads at 310 = 620; 4 air filters 181.00, 8 plugs 102.40
    assert [(r.label, r.detail, r.lines, r.quantity, r.value) for r in by_warehouse.rows] == [
        ("PJ 朝阳配件库", "北京朝阳店", 2, D("14"), D("1024.40")),
        ("PJ2 朝阳二号库", "北京朝阳店", 2, D("12"), D("283.40")),
    ]
    assert (by_warehouse.lines, by_warehouse.quantity, by_warehouse.value) == (4, D("26"), D("1307.80"))
    by_category = reports.stock_value(user=manager, store=store_a, by="category")
    assert [(r.label, r.value) for r in by_category.rows] == [
        ("保养件", D("585.40")),
        ("制动系统", D("620.00")),
        ("未分类", D("102.40")),
    ]
    by_sub = reports.stock_value(user=manager, store=store_a, by="subcategory")
    assert [(r.detail, r.label, r.quantity, r.value) for r in by_sub.rows] == [
        ("保养件", "滤清器", D("16"), D("585.40")),
        ("制动系统", "—", D("2"), D("620.00")),
        ("未分类", "—", D("8"), D("102.40")),
    ]
    assert by_category.value == by_sub.value == by_warehouse.value
    # One warehouse only; a part issued to nothing counts nothing.
    only = reports.stock_value(user=manager, store=store_a, by="category", warehouse=shop["second"])
    assert only.value == D("283.40")


def test_hq_sees_every_store_and_a_manager_only_their_own(shop, store_a, store_b, hq_store, make_staff):
    hq = make_staff("hq", hq_store)
    everything = reports.stock_value(user=hq, store=None, by="warehouse")
    assert everything.value == D("31307.80") and len(everything.rows) == 3
    assert reports.stock_value(user=shop["manager"], store=None, by="warehouse").value == D("1307.80")
    assert reports.stock_value(user=shop["manager"], store=store_b, by="warehouse").rows == []


def test_stock_value_page_partial_and_excel(shop, login, django_assert_num_queries):
    client = login(shop["manager"])
    url = reverse("parts:report_stock_value")
    page = client.get(url).content.decode()
    assert "朝阳二号库" in page and "¥1307.80" in page and "浦东配件库" not in page and "30000" not in page
    partial = client.get(
        url, {"by": "subcategory"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="report-table"
    ).content.decode()
    assert partial.lstrip().startswith('<div id="report-table">') and "滤清器" in partial
    rows = workbook_rows(client.get(url, {"by": "category", "format": "xlsx"}))
    assert rows[1:] == [
        ["保养件", 2, 16, 585.4],
        ["制动系统", 1, 2, 620],
        ["未分类", 1, 8, 102.4],
        [rows[-1][0], 4, 26, 1307.8],  # the total
    ]
    # Another store's warehouse in the filter is refused, and shows nothing of it.
    page = client.get(url, {"warehouse": shop["other"].pk}).content.decode()
    assert "浦东配件库" not in page and "¥1307.80" not in page
    # session, user, roles (2), store, warehouses (form), warehouse ids, the sums, their names
    with django_assert_num_queries(9):
        client.get(url, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="report-table")


# --- slow movers ------------------------------------------------------------------------------


def test_slow_movers_are_stock_that_has_not_moved_since_the_cutoff(shop, store_a):
    manager, main = shop["manager"], shop["main"]
    with at_day(200):
        old = PartFactory(code="5Q0615301F", name="刹车盘")
        services.stock_receive(actor=manager, warehouse=main, lines=[(old, "2", "450")])
    with at_day(91):
        gone = PartFactory(code="04E115561H", name="机油滤清器(旧款)")
        services.stock_receive(actor=manager, warehouse=main, lines=[(gone, "1", "20")])
        services.stock_issue(actor=manager, warehouse=main, lines=[(gone, "1")])  # none left: not slow
    with at_day(89):
        recent = PartFactory(code="8K0698151", name="后刹车片")
        services.stock_receive(actor=manager, warehouse=main, lines=[(recent, "1", "260")])
    result = reports.slow_movers(user=manager, store=store_a, days=90)
    assert [lv.part.code for lv in result.levels] == ["5Q0615301F"]
    assert (result.count, result.quantity, result.value) == (1, D("2"), D("900.00"))
    longer = reports.slow_movers(user=manager, store=store_a, days=88)
    assert [lv.part.code for lv in longer.levels] == ["5Q0615301F", "8K0698151"]
    assert longer.value == D("1160.00")
    assert reports.slow_movers(user=manager, store=store_a, days=201).count == 0


def test_slow_movers_page_and_excel(shop, login, django_assert_num_queries):
    manager = shop["manager"]
    with at_day(120):
        disc = PartFactory(code="5Q0615301F", name="刹车盘", unit="个")
        services.stock_receive(actor=manager, warehouse=shop["main"], lines=[(disc, "2", "450")])
    with at_day(150):
        other_store = PartFactory(code="5Q0615301G", name="刹车盘(浦东)")
        services.stock_receive(actor=manager, warehouse=shop["other"], lines=[(other_store, "9", "450")])
    client = login(manager)
    url = reverse("parts:report_slow_movers")
    page = client.get(url).content.decode()
    assert "5Q0615301F" in page and "¥900.00" in page and "浦东" not in page and 'value="90"' in page
    refused = client.get(url, {"days": "0"}).content.decode()
    assert "invalid-feedback" in refused and "5Q0615301F" not in refused
    rows = workbook_rows(client.get(url, {"days": "100", "format": "xlsx"}))
    assert rows[1][:8] == ["5Q0615301F", "刹车盘", "朝阳配件库", None, 2, "个", 450, 900]
    assert rows[1][9] == 120 and len(rows) == 2
    with django_assert_num_queries(9):  # session, user, roles (2), store, warehouses ×2, totals, page
        client.get(url, {"days": "1"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="report-table")


# --- turnover ---------------------------------------------------------------------------------


@pytest.fixture
def busy_month(shop):
    """One oil filter's month: before, in and after the period 30 to 1 days ago."""
    manager, main = shop["manager"], shop["main"]
    part = PartFactory(
        code="06L115562", name="机油滤清器(新款)", category=PartCategory.objects.get(code="BY01")
    )
    with at_day(40):
        services.stock_receive(actor=manager, warehouse=main, lines=[(part, "10", "30")])  # 300.00
    with at_day(20):
        services.stock_issue(actor=manager, warehouse=main, lines=[(part, "4")], reference=JOB)  # −120.00
    with at_day(15):
        services.stock_receive(actor=manager, warehouse=main, lines=[(part, "10", "36")])  # avg 33.75
    with at_day(10):
        services.stock_issue(actor=manager, warehouse=main, lines=[(part, "2")], reference=JOB)  # −67.50
    with at_day(9):
        services.stock_return(actor=manager, warehouse=main, part=part, quantity="1", reference=JOB)  # +33.75
    with at_day(5):
        services.stock_issue(
            actor=manager, warehouse=main, lines=[(part, "3")], kind="counter_sale"
        )  # −101.25
    services.stock_issue(actor=manager, warehouse=main, lines=[(part, "2")], reference=JOB)  # today: after
    with at_day(60):
        disc = PartFactory(code="5Q0615301F", name="刹车盘", category=PartCategory.objects.get(code="ZD"))
        services.stock_receive(actor=manager, warehouse=main, lines=[(disc, "2", "450")])  # sits still
    with at_day(12):
        services.stock_receive(actor=manager, warehouse=shop["other"], lines=[(part, "50", "30")])  # store B
        services.stock_issue(actor=manager, warehouse=shop["other"], lines=[(part, "20")])
    return part


def test_turnover_of_a_part_in_a_period(busy_month, shop, store_a):
    report = reports.turnover(
        user=shop["manager"],
        store=store_a,
        date_from=TODAY - datetime.timedelta(days=30),
        date_to=TODAY - datetime.timedelta(days=1),
    )
    row = next(r for r in report.rows if r.code == "06L115562")
    assert (row.issued_quantity, row.issued_cost) == (D("9"), D("288.75"))
    assert (row.returned_quantity, row.returned_cost, row.net_cost) == (D("1"), D("33.75"), D("255.00"))
    assert (row.opening_value, row.closing_value, row.average_value) == (
        D("300.00"),
        D("405.00"),
        D("352.50"),
    )
    assert row.ratio == D("0.72")  # 255 / 352.50
    assert row.days_of_stock == D("41.5")  # 352.50 × 30 days / 255
    # A part that sat still: stock but no use, so no days of stock; first row is the busiest.
    still = next(r for r in report.rows if r.code == "5Q0615301F")
    assert (still.net_cost, still.ratio, still.days_of_stock) == (D("0"), D("0.00"), None)
    assert (still.opening_value, still.closing_value) == (D("900.00"), D("900.00"))
    assert report.rows[0].code == "06L115562" and report.days == 30
    assert report.total.opening_value == sum(r.opening_value for r in report.rows)


def test_turnover_per_category_and_scoped_by_store(busy_month, shop, store_a, store_b, make_staff):
    period = {"date_from": TODAY - datetime.timedelta(days=30), "date_to": TODAY - datetime.timedelta(days=1)}
    report = reports.turnover(user=shop["manager"], store=store_a, by="category", **period)
    upkeep = next(r for r in report.rows if r.name == "保养件")
    # the busy filter plus the 3 oil filters issued today (after the period: not counted)
    assert upkeep.code == "BY" and upkeep.net_cost == D("255.00")
    assert reports.turnover(user=shop["manager"], store=store_b, **period).rows == []
    keeper_b = make_staff("warehouse", store_b)
    theirs = reports.turnover(user=keeper_b, store=store_b, **period)
    assert [(r.code, r.issued_quantity, r.issued_cost) for r in theirs.rows if r.issued_quantity] == [
        ("06L115562", D("20"), D("600.00"))
    ]


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    steps=st.lists(
        st.tuples(st.integers(1, 60), st.integers(-5, 8), st.integers(1, 5000)), min_size=1, max_size=12
    ),
    start=st.integers(0, 60),
    length=st.integers(0, 30),
)
def test_rolled_back_values_equal_the_last_value_after_before_each_date(shop, store_a, steps, start, length):
    """The documented method (balance less the ledger since a date) gives the same opening and
    closing values as the value_after of the last movement before that date."""
    manager, main = shop["manager"], shop["main"]
    part = PartFactory(category=None)
    for days_ago, quantity, cents in sorted(steps, key=lambda s: -s[0]):
        with at_day(days_ago):
            if quantity > 0:
                services.stock_receive(
                    actor=manager, warehouse=main, lines=[(part, quantity, D(cents) / 100)]
                )
            elif quantity < 0 and part.levels.filter(on_hand__gte=-quantity).exists():
                services.stock_issue(actor=manager, warehouse=main, lines=[(part, -quantity)])
    date_from = TODAY - datetime.timedelta(days=start)
    date_to = date_from + datetime.timedelta(days=length)
    report = reports.turnover(user=manager, store=store_a, date_from=date_from, date_to=date_to)
    row = next((r for r in report.rows if r.code == part.code), None)

    def value_before(day):
        last = StockMovement.objects.filter(part=part, at__lt=reports.day_start(day)).order_by("-id").first()
        return last.value_after if last else D("0")

    expected = (value_before(date_from), value_before(date_to + datetime.timedelta(days=1)))
    got = (row.opening_value, row.closing_value) if row else (D("0"), D("0"))
    assert got == expected


def test_turnover_page_excel_and_bad_period(busy_month, shop, login, django_assert_num_queries):
    client = login(shop["manager"])
    url = reverse("parts:report_turnover")
    period = {
        "date_from": (TODAY - datetime.timedelta(days=30)).isoformat(),
        "date_to": (TODAY - datetime.timedelta(days=1)).isoformat(),
    }
    page = client.get(url, period).content.decode()
    assert "06L115562" in page and "¥255.00" in page and "41.5" in page
    rows = workbook_rows(client.get(url, {**period, "format": "xlsx"}))
    assert rows[1][:3] == ["06L115562", "机油滤清器(新款)", "个"]
    assert rows[1][3:] == [9, 288.75, 1, 33.75, 255, 300, 405, 352.5, 0.72, 41.5]
    total = rows[-1]  # issued quantity and net cost used, summed over the parts
    assert total[3] == sum(r[3] for r in rows[1:-1]) and total[7] == sum(r[7] for r in rows[1:-1])
    bad = client.get(url, {"date_from": period["date_to"], "date_to": period["date_from"]}).content.decode()
    assert "结束日期早于开始日期。" in bad and "06L115562" not in bad
    default = client.get(url).content.decode()  # the last 30 days up to today
    assert "06L115562" in default
    with django_assert_num_queries(9):  # session, user, roles (2), store, warehouses ×2, balances, ledger
        client.get(url, period, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="report-table")


# --- movement history -------------------------------------------------------------------------


def test_movement_history_of_a_part_with_running_on_hand(shop, login, django_assert_num_queries):
    client = login(shop["manager"])
    url = reverse("parts:report_movements")
    partial = client.get(
        url, {"part": "06a115561b"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="report-table"
    ).content.decode()
    assert partial.lstrip().startswith('<div id="report-table">')
    assert partial.count("06A115561B") == 3 and "赵磊" in partial and "WO-0088" in partial
    # newest first: 12 after the issue, 15 after the second receipt, 10 after the first
    assert partial.index(">12<") < partial.index(">15<") < partial.index(">10<")
    issues = client.get(url, {"kind": "issue"}).content.decode()
    assert "WO-0088" in issues and "3Q0698151A" not in issues
    rows = workbook_rows(client.get(url, {"part": "06A115561B", "format": "xlsx"}))
    assert [row[8] for row in rows[1:]] == [12, 15, 10]
    assert rows[1][5] == -3 and rows[1][4] != "issue" and rows[1][10:12] == ["WO-0088", "赵磊"]
    # Store B's 100 brake pads never show, not even when asked for by code.
    pads = client.get(url, {"part": "3Q0698151A"}).content.decode()
    assert "浦东配件库" not in pads and ">100<" not in pads
    with django_assert_num_queries(8):  # session, user, roles (2), store, warehouses, count, page
        client.get(url, {"part": "06A115561B"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="report-table")
    manager = shop["manager"]
    for _n in range(60):
        services.stock_issue(actor=manager, warehouse=shop["second"], lines=[(shop["plug"], D("0.1"))])
    with django_assert_num_queries(8):
        page = client.get(url, {"page": "2"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="report-table")
    assert "第 2 页" in page.content.decode() or "Page 2" in page.content.decode()


# --- who may see what -------------------------------------------------------------------------

REPORTS = ["report_stock_value", "report_slow_movers", "report_turnover", "report_movements"]


def test_a_role_without_the_permission_gets_403(shop, login, store_a, make_staff, care_agent):
    advisor = make_staff("advisor", store_a)  # may look stock up, not the ledger
    client = login(advisor)
    assert [client.get(reverse(f"parts:{name}")).status_code for name in REPORTS] == [200, 200, 403, 403]
    client = login(care_agent)
    assert [client.get(reverse(f"parts:{name}")).status_code for name in REPORTS] == [403] * 4


def test_hq_under_all_stores_sees_both_stores(shop, login, hq_store, make_staff):
    client = login(make_staff("hq", hq_store))
    session = client.session
    session[SESSION_STORE_KEY] = ALL_STORES
    session.save()
    page = client.get(reverse("parts:report_stock_value")).content.decode()
    assert "浦东配件库" in page and "朝阳配件库" in page and "¥31307.80" in page
    history = client.get(reverse("parts:report_movements"), {"part": "3Q0698151A"}).content.decode()
    assert "浦东配件库" in history and "朝阳配件库" in history
