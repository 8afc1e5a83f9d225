"""Demo parts: a parts store and an old-parts store in each demo store, a catalogue of common
service parts, and opening balances. Loaded once, beside the customer demo."""

from decimal import Decimal

from django.db import transaction

from pitstop.accounts.models import Store
from pitstop.core.text import pinyin_initials

from .models import Bin, Part, PartCategory, PartPrice, PurchaseOrder, StockMovement, Supplier, Warehouse
from .services import Reference, stock_receive

CATEGORIES = [
    ("01", "保养件", [("0101", "滤清器"), ("0102", "油液")]),
    ("02", "制动系统", [("0201", "刹车片"), ("0202", "刹车盘")]),
    ("03", "电气", [("0301", "蓄电池"), ("0302", "灯泡"), ("0303", "火花塞")]),
    ("04", "车身附件", [("0401", "雨刮")]),
]
# code, name, brand, sub-category, unit, cost, price, fits, opening quantity
PARTS = [
    ("06A115561B", "机油滤清器", "大众原厂", "0101", "个", "32.50", "58.00", "朗逸 帕萨特 速腾", 40),
    ("1K0129620D", "空气滤清器", "大众原厂", "0101", "个", "45.00", "85.00", "朗逸 速腾 迈腾", 25),
    ("5Q0819653", "空调滤清器", "大众原厂", "0101", "个", "38.00", "75.00", "途观L 迈腾", 30),
    ("90915-YZZD2", "机油滤清器", "丰田原厂", "0101", "个", "28.00", "52.00", "卡罗拉 凯美瑞 RAV4荣放", 35),
    ("17801-21050", "空气滤清器", "丰田原厂", "0101", "个", "52.00", "98.00", "卡罗拉 威驰", 18),
    ("G 052 195 M4", "全合成机油 5W-40 4L", "大众原厂", "0102", "桶", "260.0000", "428.00", "大众全系", 24),
    ("08880-83718", "全合成机油 0W-20 4L", "丰田原厂", "0102", "桶", "245.0000", "398.00", "丰田全系", 20),
    ("G 055 025 A2", "制动液 DOT4 1L", "大众原厂", "0102", "瓶", "48.00", "95.00", "大众全系", 16),
    ("3Q0698151A", "前刹车片", "大众原厂", "0201", "套", "310.00", "560.00", "迈腾 途观L", 8),
    ("04465-06090", "前刹车片", "丰田原厂", "0201", "套", "285.00", "520.00", "凯美瑞 亚洲龙", 6),
    ("0986AB1234", "前刹车片", "博世", "0201", "套", "168.00", "320.00", "朗逸 速腾 卡罗拉", 12),
    ("5Q0615301F", "前刹车盘", "大众原厂", "0202", "个", "420.00", "760.00", "迈腾 途观L", 4),
    ("6-QW-60", "蓄电池 60Ah", "瓦尔塔", "0301", "个", "420.00", "680.00", "通用", 6),
    ("N10320101", "前大灯灯泡 H7", "欧司朗", "0302", "个", "35.00", "68.00", "通用", 20),
    ("101905601F", "火花塞", "NGK", "0303", "个", "42.00", "78.00", "大众 EA211", 48),
    ("5G1998002", "雨刮片（对）", "博世", "0401", "对", "88.00", "168.00", "朗逸 速腾 帕萨特", 15),
]


def ean13(body: str) -> str:
    """A 12-digit body with its EAN-13 check digit, as printed under the bars on the box."""
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body))
    return body + str((10 - total % 10) % 10)


def parts_demo_present() -> bool:
    return Part.objects.exists()


@transaction.atomic
def load_parts_demo() -> dict:
    if parts_demo_present():
        return {"created": False}
    subcategories = {}
    for code, name, children in CATEGORIES:
        parent = PartCategory.objects.create(code=code, name=name)
        for child_code, child_name in children:
            subcategories[child_code] = PartCategory.objects.create(
                code=child_code, name=child_name, parent=parent
            )
    Supplier.objects.create(
        code="HT",
        name="北京恒通汽配有限公司",
        contact="王经理",
        phone="010-65001234",
        payment_terms_days=30,
        lead_time_days=2,
    )
    Supplier.objects.create(
        code="FAW",
        name="一汽-大众售后配件中心",
        contact="李工",
        phone="0431-85990000",
        payment_terms_days=60,
        lead_time_days=5,
    )
    parts = []
    for code, name, brand, sub, unit, cost, price, fits, _qty in PARTS:
        parts.append(
            Part.objects.create(
                code=code,
                name=name,
                name_initials=pinyin_initials(name),
                brand=brand,
                category=subcategories[sub],
                unit=unit,
                cost_price=Decimal(cost),
                sale_price=Decimal(price),
                fits_models=fits,
                quality=Part.Quality.GENUINE if "原厂" in brand else Part.Quality.AFTERMARKET,
                default_bin=f"A-{len(parts) // 4 + 1:02d}-{len(parts) % 4 + 1}",
                barcode=ean13(f"69200000{len(parts) + 1:04d}"),
            )
        )
    # Members pay less for oil and filters (price type "member" of the VIP tiers).
    for part in parts[:8]:
        PartPrice.objects.create(
            part=part, price_type="member", price=(part.sale_price * Decimal("0.9")).quantize(Decimal("0.01"))
        )
    for store in Store.objects.filter(is_headquarters=False, is_active=True).order_by("code"):
        main = Warehouse.objects.create(store=store, code="PJ", name=f"{store.name}配件库")
        Warehouse.objects.create(
            store=store, code="JJ", name=f"{store.name}旧件库", kind=Warehouse.Kind.OLD_PARTS
        )
        stock_receive(
            actor=None,
            warehouse=main,
            kind=StockMovement.Kind.OPENING,
            reference=Reference("opening", None, "期初"),
            lines=[(part, row[8], part.cost_price) for part, row in zip(parts, PARTS, strict=True)],
        )
        for bin_code in sorted({part.default_bin for part in parts}):
            Bin.objects.create(warehouse=main, code=bin_code)
        for level in main.levels.all():
            level.min_level, level.max_level = Decimal(5), Decimal(40)
            level.bin = level.part.default_bin
            level.save(update_fields=["min_level", "max_level", "bin"])
    return {"created": True, "parts": len(parts)}


def documents_demo_present() -> bool:
    from .models import PurchaseOrder

    return PurchaseOrder.objects.exists()


@transaction.atomic
def load_parts_documents_demo() -> dict:
    """A working parts department in 北京朝阳店: orders in each state, a counted stocktake,
    transfers, counter sales and old parts, made through the same services a keeper uses."""
    from pitstop.accounts.models import User
    from pitstop.customers.models import Vehicle

    from . import old_parts, purchasing, sales, stocktake, transfers

    if documents_demo_present() or not Part.objects.exists():
        return {"created": False}
    keeper = User.objects.filter(username="warehouse").first()
    manager = User.objects.filter(username="manager").first()
    stores = list(Store.objects.filter(is_headquarters=False, is_active=True).order_by("code"))
    if keeper is None or manager is None or len(stores) < 2:
        return {"created": False}
    beijing, shanghai = stores[0], stores[1]
    main = Warehouse.objects.get(store=beijing, code="PJ")
    old_store = Warehouse.objects.get(store=beijing, code="JJ")
    parts = {part.code: part for part in Part.objects.all()}
    supplier, maker = Supplier.objects.get(code="HT"), Supplier.objects.get(code="FAW")

    def order(lines, state):
        made = purchasing.purchase_order_create(
            actor=keeper,
            store=beijing,
            supplier=supplier if state != "received" else maker,
            warehouse=main,
            lines=[(parts[code], qty, None) for code, qty in lines],
        )
        if state != "draft":
            purchasing.purchase_order_transition(actor=keeper, order=made, to=PurchaseOrder.Status.ORDERED)
        if state in ("partly", "received"):
            first_code, first_qty = lines[0]
            taken = first_qty if state == "received" else 2
            purchasing.purchase_order_receive(
                actor=keeper,
                order=made,
                lines=[
                    (parts[code], qty if state == "received" else taken, None)
                    for code, qty in (lines if state == "received" else lines[:1])
                ],
            )
        return made

    order([("3Q0698151A", 6), ("5Q0615301F", 2)], "draft")
    order([("06A115561B", 20), ("1K0129620D", 10)], "ordered")
    order([("101905601F", 8), ("5G1998002", 6)], "partly")
    order([("G 052 195 M4", 12)], "received")
    purchasing.supplier_return_create(
        actor=keeper,
        store=beijing,
        supplier=supplier,
        warehouse=main,
        lines=[(parts["N10320101"], 2)],
        reason="包装破损",
    )

    count = stocktake.stocktake_create(actor=keeper, warehouse=main, bins="A-01-1, A-01-2")
    for line in count.lines.select_related("part"):
        found = line.expected + (1 if line.part.code == "06A115561B" else -1)
        stocktake.stocktake_set_count(actor=keeper, stocktake=count, line_id=line.pk, counted=max(found, 0))
    stocktake.stocktake_transition(actor=keeper, stocktake=count, to="submitted")
    stocktake.stocktake_post(actor=manager, stocktake=count)

    to_shanghai = transfers.transfer_create(
        actor=keeper,
        source=main,
        target=Warehouse.objects.get(store=shanghai, code="PJ"),
        lines=[(parts["06A115561B"], 4), (parts["0986AB1234"], 1)],
        note="上海浦东店急用",
    )
    transfers.transfer_ship(actor=keeper, transfer=to_shanghai)

    walk_in = sales.counter_sale_create(
        actor=keeper,
        store=beijing,
        warehouse=main,
        buyer_name="王师傅",
        lines=[sales.SaleLine(parts["06A115561B"], 2), sales.SaleLine(parts["5G1998002"], 1)],
    )
    sales.counter_sale_post(actor=keeper, sale=walk_in)
    paid = sales.counter_sale_create(
        actor=keeper,
        store=beijing,
        warehouse=main,
        buyer_name="赵女士",
        lines=[sales.SaleLine(parts["N10320101"], 2)],
    )
    sales.counter_sale_post(actor=keeper, sale=paid)
    sales.counter_sale_mark_paid(actor=keeper, sale=paid, payment_reference="现金")

    vehicle = Vehicle.objects.filter(owner__store=beijing).order_by("pk").first()
    plate = vehicle.plate if vehicle else ""
    loose = old_parts.old_part_collect(
        actor=keeper, store=beijing, source="manual", part=parts["06A115561B"], plate=plate, note="保养更换"
    )
    pads = old_parts.old_part_collect(
        actor=keeper, store=beijing, source="manual", part=parts["3Q0698151A"], plate=plate
    )
    old_parts.old_part_store(actor=keeper, old_part=pads, warehouse=old_store, bin="J-01")
    batch = old_parts.batch_create(actor=keeper, store=beijing, destination="supplier", supplier=supplier)
    old_parts.batch_add(actor=keeper, batch=batch, old_parts=[pads])
    return {"created": True, "old_parts": [loose.number, pads.number]}
