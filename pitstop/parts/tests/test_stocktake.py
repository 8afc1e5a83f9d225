"""Stocktake (盘点): a sheet for a warehouse or bins, counted by scanner, differences taken
against the book at the moment of counting, posted by the manager as gains and losses at the
average cost, all or nothing."""

from decimal import Decimal
from io import BytesIO

import pytest
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from pitstop.core.exceptions import ApplicationError
from pitstop.parts import services
from pitstop.parts import stocktake as svc
from pitstop.parts.levels import level_settings_update
from pitstop.parts.models import StockLevel, StockMovement, Stocktake, StocktakeLine

from .factories import PartFactory, WarehouseFactory

Status = Stocktake.Status
Kind = StockMovement.Kind


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def shop(store_a, make_staff):
    """北京朝阳店's parts store: oil filters (bin A-01, 10 at ¥32.50), brake pads (A-01, 4 sets
    at ¥310), spark plugs (B-02, 20 at ¥18). A wiper blade is catalogued but never stocked here."""
    keeper = make_staff("warehouse", store_a)
    manager = make_staff("store_manager", store_a)
    warehouse = WarehouseFactory(store=store_a, code="PJ", name="朝阳配件库")
    oil = PartFactory(code="06A115561B", name="机油滤清器", barcode="6901234567892")
    pads = PartFactory(code="3Q0698151A", name="前刹车片", unit="套")
    plugs = PartFactory(code="101000033AA", name="火花塞", cost_price=Decimal("18"))
    wiper = PartFactory(code="5G1955425", name="雨刮片", cost_price=Decimal("45"))
    services.stock_receive(
        actor=keeper,
        warehouse=warehouse,
        lines=[(oil, "10", "32.50"), (pads, "4", "310"), (plugs, "20", "18")],
    )
    for part, bin_code in ((oil, "A-01"), (pads, "A-01"), (plugs, "B-02")):
        level = StockLevel.objects.get(part=part, warehouse=warehouse)
        level_settings_update(actor=keeper, level=level, bin=bin_code, min_level=0, max_level=0)
    return {
        "store": store_a,
        "keeper": keeper,
        "manager": manager,
        "warehouse": warehouse,
        "oil": oil,
        "pads": pads,
        "plugs": plugs,
        "wiper": wiper,
    }


def _on_hand(part, warehouse) -> Decimal:
    level = StockLevel.objects.filter(part=part, warehouse=warehouse).first()
    return level.on_hand if level else Decimal(0)


def _sheet(s, **kwargs) -> Stocktake:
    return svc.stocktake_create(actor=s["keeper"], warehouse=s["warehouse"], **kwargs)


def _line(stocktake, part) -> StocktakeLine:
    return StocktakeLine.objects.get(stocktake=stocktake, part=part)


def _submit_and_post(s, stocktake) -> Stocktake:
    svc.stocktake_transition(actor=s["keeper"], stocktake=stocktake, to=Status.SUBMITTED)
    return svc.stocktake_post(actor=s["manager"], stocktake=stocktake)


# --- the sheet --------------------------------------------------------------------------------


def test_sheet_for_a_bin_snapshots_its_parts_with_the_book_quantity(shop):
    s = shop
    stocktake = _sheet(s, bins="a-01")  # typed in lower case
    assert stocktake.number == "PDBJ01000001" and stocktake.status == Status.COUNTING
    lines = {line.part_id: line for line in stocktake.lines.all()}
    assert set(lines) == {s["oil"].pk, s["pads"].pk}
    assert lines[s["oil"].pk].expected == 10 and lines[s["oil"].pk].bin == "A-01"
    assert lines[s["oil"].pk].counted is None
    assert stocktake.events.get().to_status == Status.COUNTING

    with pytest.raises(ApplicationError, match="机油滤清器 is on stocktake PDBJ01000001"):
        _sheet(s, bins="")  # the whole warehouse would count A-01 a second time
    assert _sheet(s, bins="B-02").lines.get().part == s["plugs"]


def test_a_bin_that_holds_nothing_is_refused(shop):
    with pytest.raises(ApplicationError, match="No parts are kept in bin Z-99"):
        _sheet(shop, bins="A-01, Z-99")
    assert not Stocktake.objects.exists()


def test_a_part_on_an_open_sheet_cannot_go_on_another(shop):
    _sheet(shop, bins="A-01")
    with pytest.raises(ApplicationError, match="still open"):
        _sheet(shop, bins="A-01")


# --- counting ---------------------------------------------------------------------------------


def test_each_scan_adds_one_by_code_or_barcode_and_records_who_and_the_book(shop):
    s = shop
    stocktake = _sheet(s, bins="A-01")
    svc.stocktake_scan(actor=s["keeper"], stocktake=stocktake, code="06a115561b")
    svc.stocktake_scan(actor=s["keeper"], stocktake=stocktake, code="6901234567892")
    scan = svc.stocktake_scan(actor=s["keeper"], stocktake=stocktake, code=" 06A115561B ")
    assert scan.line.counted == 3 and not scan.added
    line = _line(stocktake, s["oil"])
    assert line.counted == 3 and line.book_at_count == 10
    assert line.counted_by == s["keeper"] and line.counted_at is not None


def test_a_typed_quantity_adds_with_a_scan_or_sets_a_line(shop):
    s = shop
    stocktake = _sheet(s, bins="A-01")
    svc.stocktake_scan(actor=s["keeper"], stocktake=stocktake, code="06A115561B")
    scan = svc.stocktake_scan(actor=s["keeper"], stocktake=stocktake, code="06A115561B", quantity="24")
    assert scan.line.counted == 25
    line = _line(stocktake, s["pads"])
    svc.stocktake_set_count(actor=s["keeper"], stocktake=stocktake, line_id=line.pk, counted="3")
    svc.stocktake_set_count(actor=s["keeper"], stocktake=stocktake, line_id=line.pk, counted="2.5")
    assert _line(stocktake, s["pads"]).counted == Decimal("2.5")
    with pytest.raises(ApplicationError, match="cannot be negative"):
        svc.stocktake_set_count(actor=s["keeper"], stocktake=stocktake, line_id=line.pk, counted="-1")
    with pytest.raises(ApplicationError, match="more than zero"):
        svc.stocktake_scan(actor=s["keeper"], stocktake=stocktake, code="06A115561B", quantity="0")
    svc.stocktake_set_count(actor=s["keeper"], stocktake=stocktake, line_id=line.pk, counted="")
    assert _line(stocktake, s["pads"]).counted is None  # not counted again


def test_an_unknown_code_is_refused_and_changes_nothing(shop):
    s = shop
    stocktake = _sheet(s, bins="A-01")
    with pytest.raises(ApplicationError, match="No part with code or barcode “XX-404”") as error:
        svc.stocktake_scan(actor=s["keeper"], stocktake=stocktake, code="XX-404")
    assert error.value.code == "unknown_part"
    assert not stocktake.lines.exclude(counted=None).exists() and stocktake.lines.count() == 2


def test_a_known_part_not_on_the_sheet_is_added_with_its_book_quantity(shop):
    s = shop
    stocktake = _sheet(s, bins="A-01")
    scan = svc.stocktake_scan(actor=s["keeper"], stocktake=stocktake, code="101000033AA")
    assert scan.added and scan.line.expected == 20 and scan.line.bin == "B-02" and scan.line.counted == 1
    never_stocked = svc.stocktake_scan(actor=s["keeper"], stocktake=stocktake, code="5G1955425")
    assert never_stocked.added and never_stocked.line.expected == 0
    assert stocktake.lines.count() == 4


def test_only_a_sheet_being_counted_takes_counts(shop):
    s = shop
    stocktake = _sheet(s, bins="A-01")
    svc.stocktake_scan(actor=s["keeper"], stocktake=stocktake, code="06A115561B")
    svc.stocktake_transition(actor=s["keeper"], stocktake=stocktake, to=Status.SUBMITTED)
    with pytest.raises(ApplicationError, match="reopen it"):
        svc.stocktake_scan(actor=s["keeper"], stocktake=stocktake, code="06A115561B")
    svc.stocktake_transition(actor=s["keeper"], stocktake=stocktake, to=Status.COUNTING, note="再数一遍")
    assert svc.stocktake_scan(actor=s["keeper"], stocktake=stocktake, code="06A115561B").line.counted == 2
    assert [e.to_status for e in stocktake.events.order_by("id")] == ["counting", "submitted", "counting"]


def test_nothing_counted_cannot_be_submitted(shop):
    stocktake = _sheet(shop, bins="A-01")
    with pytest.raises(ApplicationError, match="Nothing has been counted"):
        svc.stocktake_transition(actor=shop["keeper"], stocktake=stocktake, to=Status.SUBMITTED)


# --- posting ----------------------------------------------------------------------------------


def test_posting_gains_and_losses_at_average_cost_with_the_ledger_agreeing(shop):
    s = shop
    services.stock_receive(actor=s["keeper"], warehouse=s["warehouse"], lines=[(s["oil"], "10", "35.00")])
    # oil filters: 20 on hand at an average of ¥33.75
    stocktake = _sheet(s, bins="A-01, B-02")
    lines = {line.part_id: line for line in stocktake.lines.all()}
    svc.stocktake_set_count(
        actor=s["keeper"], stocktake=stocktake, line_id=lines[s["oil"].pk].pk, counted="17"
    )
    svc.stocktake_set_count(
        actor=s["keeper"], stocktake=stocktake, line_id=lines[s["pads"].pk].pk, counted="5"
    )
    # spark plugs: not counted, so not posted (never taken for a count of zero)
    value_before = sum(level.value for level in StockLevel.objects.filter(warehouse=s["warehouse"]))

    stocktake = _submit_and_post(s, stocktake)
    assert stocktake.status == Status.POSTED and stocktake.posted_by == s["manager"]
    assert _on_hand(s["oil"], s["warehouse"]) == 17
    assert _on_hand(s["pads"], s["warehouse"]) == 5
    assert _on_hand(s["plugs"], s["warehouse"]) == 20
    oil, pads, plugs = (_line(stocktake, s[key]) for key in ("oil", "pads", "plugs"))
    assert (oil.difference, oil.unit_cost, oil.value) == (-3, Decimal("33.7500"), Decimal("-101.25"))
    assert (pads.difference, pads.unit_cost, pads.value) == (1, Decimal("310.0000"), Decimal("310.00"))
    assert plugs.difference is None and plugs.movement is None
    movements = StockMovement.objects.filter(reference_type="stocktake", reference_id=stocktake.pk)
    assert {(m.kind, m.quantity, m.value) for m in movements} == {
        (Kind.STOCKTAKE_LOSS, Decimal("-3"), Decimal("-101.25")),
        (Kind.STOCKTAKE_GAIN, Decimal("1"), Decimal("310.00")),
    }
    assert {m.reference_no for m in movements} == {stocktake.number}
    assert oil.movement.kind == Kind.STOCKTAKE_LOSS
    value_after = sum(level.value for level in StockLevel.objects.filter(warehouse=s["warehouse"]))
    assert value_after - value_before == sum(m.value for m in movements) == Decimal("208.75")
    summary = svc.summarise(svc.difference_rows(stocktake))
    assert (summary.gains, summary.losses, summary.net) == (
        Decimal("310.00"),
        Decimal("-101.25"),
        Decimal("208.75"),
    )
    assert summary.not_counted == 1
    assert stocktake.events.order_by("-id").first().to_status == Status.POSTED


def test_movements_during_the_count_are_not_taken_for_gains_or_losses(shop):
    s = shop
    stocktake = _sheet(s, bins="A-01")  # oil filters: 10 on the book when the sheet was made
    services.stock_issue(actor=s["keeper"], warehouse=s["warehouse"], lines=[(s["oil"], "2")])
    # 8 on the shelf now, and the keeper counts 8: no difference
    line = _line(stocktake, s["oil"])
    svc.stocktake_set_count(actor=s["keeper"], stocktake=stocktake, line_id=line.pk, counted="8")
    # brake pads counted 4 (all there), then 3 more arrive and 1 goes to a job before posting
    pads = _line(stocktake, s["pads"])
    svc.stocktake_set_count(actor=s["keeper"], stocktake=stocktake, line_id=pads.pk, counted="4")
    services.stock_receive(actor=s["keeper"], warehouse=s["warehouse"], lines=[(s["pads"], "3", "310")])
    services.stock_issue(actor=s["keeper"], warehouse=s["warehouse"], lines=[(s["pads"], "1")])
    _submit_and_post(s, stocktake)
    assert _on_hand(s["oil"], s["warehouse"]) == 8
    assert _on_hand(s["pads"], s["warehouse"]) == 6
    assert not StockMovement.objects.filter(reference_type="stocktake").exists()
    assert _line(stocktake, s["oil"]).difference == 0 and _line(stocktake, s["oil"]).value == 0


def test_posting_is_refused_without_the_approve_permission(shop):
    s = shop
    stocktake = _sheet(s, bins="A-01")
    svc.stocktake_scan(actor=s["keeper"], stocktake=stocktake, code="06A115561B")
    svc.stocktake_transition(actor=s["keeper"], stocktake=stocktake, to=Status.SUBMITTED)
    with pytest.raises(ApplicationError) as error:
        svc.stocktake_post(actor=s["keeper"], stocktake=stocktake)
    assert error.value.code == "permission"
    stocktake.refresh_from_db()
    assert stocktake.status == Status.SUBMITTED and _on_hand(s["oil"], s["warehouse"]) == 10


def test_posting_is_all_or_nothing_when_a_loss_exceeds_what_is_on_hand_now(shop):
    s = shop
    stocktake = _sheet(s, bins="A-01")
    oil, pads = _line(stocktake, s["oil"]), _line(stocktake, s["pads"])
    svc.stocktake_set_count(actor=s["keeper"], stocktake=stocktake, line_id=pads.pk, counted="6")  # +2
    svc.stocktake_set_count(actor=s["keeper"], stocktake=stocktake, line_id=oil.pk, counted="2")  # −8
    services.stock_issue(actor=s["keeper"], warehouse=s["warehouse"], lines=[(s["oil"], "5")])
    svc.stocktake_transition(actor=s["keeper"], stocktake=stocktake, to=Status.SUBMITTED)
    with pytest.raises(ApplicationError, match="Nothing was posted.*loss of 8 but only 5"):
        svc.stocktake_post(actor=s["manager"], stocktake=stocktake)
    stocktake.refresh_from_db()
    assert stocktake.status == Status.SUBMITTED
    assert _on_hand(s["pads"], s["warehouse"]) == 4 and _on_hand(s["oil"], s["warehouse"]) == 5
    assert not StockMovement.objects.filter(reference_type="stocktake").exists()


def test_moves_outside_the_allowed_ones_are_refused(shop):
    s = shop
    stocktake = _sheet(s, bins="A-01")
    with pytest.raises(ApplicationError, match="counting cannot become posted"):
        svc.stocktake_post(actor=s["manager"], stocktake=stocktake)
    svc.stocktake_transition(actor=s["keeper"], stocktake=stocktake, to=Status.CANCELLED)
    with pytest.raises(ApplicationError, match="cancelled cannot become counting"):
        svc.stocktake_transition(actor=s["keeper"], stocktake=stocktake, to=Status.COUNTING)
    _sheet(s, bins="A-01")  # a cancelled sheet no longer holds its parts


# --- pages ------------------------------------------------------------------------------------


def test_count_page_scan_with_htmx_returns_the_panel_and_the_row(shop, client):
    s = shop
    stocktake = _sheet(s, bins="A-01")
    client.force_login(s["keeper"])
    url = reverse("parts:stocktake_scan", args=[stocktake.pk])
    headers = {"HX-Request": "true", "HX-Target": "last-scan"}
    response = client.post(url, {"code": "6901234567892"}, headers=headers)
    body = response.content.decode()
    assert response.status_code == 200 and 'id="last-scan"' in body and "<html" not in body
    assert "机油滤清器" in body and 'class="last-scan-count">1<' in body
    assert f'id="line-{_line(stocktake, s["oil"]).pk}"' in body and 'hx-swap-oob="true"' in body
    response = client.post(url, {"code": "101000033AA", "quantity": "2"}, headers=headers)
    body = response.content.decode()
    assert "该配件不在盘点表中，已添加到盘点表。" in body and 'hx-swap-oob="beforeend:#count-rows"' in body
    response = client.post(url, {"code": "nope"}, headers=headers)
    assert response.status_code == 200
    assert "没有编码或条码为“nope”的配件。本次未计数。" in response.content.decode()
    assert _line(stocktake, s["plugs"]).counted == 2


def test_count_page_without_javascript_posts_and_redirects(shop, client):
    s = shop
    stocktake = _sheet(s, bins="A-01")
    client.force_login(s["keeper"])
    response = client.post(reverse("parts:stocktake_scan", args=[stocktake.pk]), {"code": "06A115561B"})
    assert response.status_code == 302
    page = client.get(response.url)
    assert "机油滤清器" in page.content.decode() and _line(stocktake, s["oil"]).counted == 1
    line = _line(stocktake, s["pads"])
    url = reverse("parts:stocktake_count", args=[stocktake.pk, line.pk])
    assert client.post(url, {"counted": "24"}).status_code == 302
    response = client.post(url, {"counted": "3"}, headers={"HX-Request": "true"})
    assert response.status_code == 200 and response.content.decode().lstrip().startswith("<tr")
    assert _line(stocktake, s["pads"]).counted == 3


def test_blind_count_page_and_sheet_hide_the_book_quantity(shop, client):
    s = shop
    s["pads"].name = "前刹车片"
    stocktake = _sheet(s, bins="B-02", blind=True)  # 20 spark plugs on the book
    client.force_login(s["keeper"])
    page = client.get(reverse("parts:stocktake_detail", args=[stocktake.pk])).content.decode()
    assert "火花塞" in page and "账面数量" not in page and ">20<" not in page
    sheet = client.get(reverse("parts:stocktake_sheet", args=[stocktake.pk])).content.decode()
    assert "火花塞" in sheet and "账面数量" not in sheet and ">20<" not in sheet
    differences = client.get(reverse("parts:stocktake_differences", args=[stocktake.pk])).content.decode()
    assert "本次为盲盘：提交盘点后才显示差异。" in differences and "火花塞" not in differences
    open_sheet = _sheet(s, bins="A-01")
    assert "账面数量" in client.get(reverse("parts:stocktake_sheet", args=[open_sheet.pk])).content.decode()
    svc.stocktake_scan(actor=s["keeper"], stocktake=stocktake, code="101000033AA")
    svc.stocktake_transition(actor=s["keeper"], stocktake=stocktake, to=Status.SUBMITTED)
    differences = client.get(reverse("parts:stocktake_differences", args=[stocktake.pk])).content.decode()
    assert "火花塞" in differences and "-19" in differences  # submitted: no longer blind


def test_another_stores_stocktake_is_404_and_a_cashier_may_not_count(shop, client, store_b, make_staff):
    s = shop
    stocktake = _sheet(s, bins="A-01")
    client.force_login(make_staff("warehouse", store_b))
    for name in ("detail", "sheet", "differences", "report"):
        assert client.get(reverse(f"parts:stocktake_{name}", args=[stocktake.pk])).status_code == 404
    assert (
        client.post(reverse("parts:stocktake_scan", args=[stocktake.pk]), {"code": "06A115561B"}).status_code
        == 404
    )
    assert client.post(reverse("parts:stocktake_post", args=[stocktake.pk])).status_code == 404
    assert _line(stocktake, s["oil"]).counted is None
    client.force_login(make_staff("cashier", s["store"]))
    assert client.get(reverse("parts:stocktake_list")).status_code == 403
    assert client.get(reverse("parts:stocktake_create")).status_code == 403


def test_keeper_cannot_post_through_the_page_the_manager_can(shop, client):
    s = shop
    stocktake = _sheet(s, bins="A-01")
    svc.stocktake_scan(actor=s["keeper"], stocktake=stocktake, code="06A115561B")
    client.force_login(s["keeper"])
    assert client.post(reverse("parts:stocktake_submit", args=[stocktake.pk])).status_code == 302
    assert client.post(reverse("parts:stocktake_post", args=[stocktake.pk])).status_code == 403
    client.force_login(s["manager"])
    response = client.post(reverse("parts:stocktake_post", args=[stocktake.pk]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("parts:stocktake_report", args=[stocktake.pk])
    assert _on_hand(s["oil"], s["warehouse"]) == 1  # 1 counted, 9 lost; the pads not counted
    body = response.content.decode()
    assert "¥-292.50" in body and "未盘，不过账" in body
    export = client.get(reverse("parts:stocktake_report", args=[stocktake.pk]), {"format": "xlsx"})
    rows = list(load_workbook(BytesIO(export.content)).active.iter_rows(values_only=True))
    oil = next(row for row in rows if row[1] == "06A115561B")
    assert oil[6:10] == (1, -9, 32.5, -292.5)
    assert rows[-1][8:10] == ("净额", -292.5)


def test_create_page_and_list(shop, client, django_assert_max_num_queries):
    s = shop
    client.force_login(s["keeper"])
    page = client.get(reverse("parts:stocktake_create")).content.decode()
    assert "A-01" in page and "B-02" in page
    response = client.post(
        reverse("parts:stocktake_create"), {"warehouse": s["warehouse"].pk, "bins": "Z-99", "blind": ""}
    )
    assert response.status_code == 400
    assert "朝阳配件库 的货架 Z-99 中没有存放配件。" in response.content.decode()
    response = client.post(
        reverse("parts:stocktake_create"), {"warehouse": s["warehouse"].pk, "bins": "A-01"}
    )
    stocktake = Stocktake.objects.get()
    assert response.url == reverse("parts:stocktake_detail", args=[stocktake.pk])
    _sheet(s, bins="B-02")
    with django_assert_max_num_queries(12):
        listing = client.get(
            reverse("parts:stocktake_list"), headers={"HX-Request": "true", "HX-Target": "stocktake-table"}
        )
    body = listing.content.decode()
    assert stocktake.number in body and "PDBJ01000002" in body and "<html" not in body
