"""Counter sales of parts paid at the cash desk (F-5.9, F-6.3): the parts counter posts a sale
(its parts already left the warehouse through the ledger); the cashier opens its bill here,
posted at once with the sale's prices, and takes the money the same ways as for a job. When
the bill is paid in full the sale becomes paid (`parts.sales.counter_sale_mark_paid`)."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pitstop.accounts.models import User
from pitstop.core.events import record_event
from pitstop.core.exceptions import ApplicationError
from pitstop.core.money import to_money
from pitstop.core.numbering import next_code
from pitstop.parts.models import CounterSale

from .models import ZERO, LineKind, Payer, Settlement, SettlementLine
from .settlement import _store_totals, billing_settings, tax_within

HUNDRED = 100


@transaction.atomic
def counter_sale_bill(*, actor: User, sale: CounterSale) -> Settlement:
    """The sale's bill (posted), made once: a second call answers with the same bill."""
    sale = CounterSale.objects.select_for_update().select_related("store").get(pk=sale.pk)
    existing = sale.settlements.filter(status=Settlement.Status.POSTED, reverses__isnull=True).first()
    if existing is not None:
        return existing
    if sale.status != CounterSale.Status.POSTED:
        raise ApplicationError(
            _("Only a sale awaiting payment is paid at the cash desk; this one is %(status)s.")
            % {"status": CounterSale.Status(sale.status).label},
            code="sale_status",
        )
    rate = billing_settings(sale.store).vat_parts
    now = timezone.now()
    settlement = Settlement.objects.create(
        store=sale.store,
        number=next_code("JS", sale.store.code),
        status=Settlement.Status.POSTED,
        counter_sale=sale,
        customer=sale.customer,
        prepared_by=actor,
        posted_by=actor,
        posted_at=now,
        note=sale.buyer_name or "",
    )
    lines = []
    for position, line in enumerate(sale.lines.select_related("part")):
        due = to_money(line.quantity * line.unit_price)
        amount = line.amount
        lines.append(
            SettlementLine(
                settlement=settlement,
                position=position,
                kind=LineKind.PART,
                code=line.part.code,
                name=line.part.name[:100],
                unit=line.part.unit,
                quantity=line.quantity,
                unit_price=line.unit_price,
                amount_due=due,
                discount_pct=to_money(line.discount_rate * HUNDRED),
                discount=due - amount,
                amount=amount,
                tax_rate=rate if amount else ZERO,
                tax=tax_within(amount, rate),
                payer=Payer.OWNER,
                part=line.part,
                cost=to_money(line.quantity * line.unit_cost) if line.unit_cost is not None else None,
            )
        )
    SettlementLine.objects.bulk_create(lines)
    _store_totals(settlement, lines)
    # The counter already decided the prices (a sale below cost was approved there).
    Settlement.objects.filter(pk=settlement.pk).update(needs_approval=False)
    settlement.needs_approval = False
    record_event(settlement, actor, "", Settlement.Status.POSTED, sale.number)
    return settlement
