"""Random sequences of receipts, issues, returns, transfers, counts, stocktake differences,
reservations and reversals never break the ledger:
on hand = the sum of its movements, value = on hand × average cost (to the cent) = the sum of
the movements' values, and nothing is ever negative."""

import contextlib
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from pitstop.core.exceptions import ApplicationError
from pitstop.parts import services
from pitstop.parts.models import Reservation, StockLevel, StockMovement
from pitstop.parts.services import Reference

from .factories import PartFactory, WarehouseFactory

quantities = st.decimals(min_value=Decimal("0.001"), max_value=Decimal("50"), places=3)
costs = st.decimals(min_value=Decimal("0"), max_value=Decimal("9999.9999"), places=4)


@pytest.mark.django_db
def test_ledger_invariants(store_a):
    part = PartFactory()
    warehouses = [WarehouseFactory(store=store_a), WarehouseFactory(store=store_a)]
    job = Reference("work_order", 1, "WO-1")

    class Ledger(RuleBasedStateMachine):
        @rule(where=st.integers(0, 1), quantity=quantities, cost=costs)
        def receive(self, where, quantity, cost):
            services.stock_receive(actor=None, warehouse=warehouses[where], lines=[(part, quantity, cost)])

        @rule(where=st.integers(0, 1), quantity=quantities)
        def issue(self, where, quantity):
            # More than there is is refused; the invariants check that it left nothing behind.
            with contextlib.suppress(ApplicationError):
                services.stock_issue(
                    actor=None, warehouse=warehouses[where], lines=[(part, quantity)], reference=job
                )

        @rule(where=st.integers(0, 1), quantity=quantities)
        def give_back(self, where, quantity):
            with contextlib.suppress(ApplicationError):
                services.stock_return(
                    actor=None, warehouse=warehouses[where], part=part, quantity=quantity, reference=job
                )

        @rule(quantity=quantities, forward=st.booleans())
        def transfer(self, quantity, forward):
            source, target = warehouses if forward else warehouses[::-1]
            with contextlib.suppress(ApplicationError):
                services.stock_transfer(actor=None, source=source, target=target, lines=[(part, quantity)])

        @rule(
            where=st.integers(0, 1),
            counted=st.decimals(min_value=Decimal("0"), max_value=Decimal("80"), places=3),
        )
        def count(self, where, counted):
            services.stock_count(
                actor=None,
                warehouse=warehouses[where],
                part=part,
                counted=counted,
                reference=Reference("stocktake", 1, "PD-1"),
            )

        @rule(
            where=st.integers(0, 1),
            difference=st.decimals(min_value=Decimal("-20"), max_value=Decimal("20"), places=3),
        )
        def adjust(self, where, difference):
            with contextlib.suppress(ApplicationError):  # a loss beyond what is there is refused
                services.stock_adjust(
                    actor=None,
                    warehouse=warehouses[where],
                    part=part,
                    difference=difference,
                    reference=Reference("stocktake", 2, "PD-2"),
                )

        @rule(where=st.integers(0, 1), quantity=quantities)
        def reserve(self, where, quantity):
            with contextlib.suppress(ApplicationError):
                services.reservation_create(
                    actor=None, warehouse=warehouses[where], part=part, quantity=quantity, reference=job
                )

        @rule(data=st.data())
        def release_or_issue_a_reservation(self, data):
            open_ones = list(Reservation.objects.filter(part=part, status="open").order_by("pk"))
            if not open_ones:
                return
            reservation = data.draw(st.sampled_from(open_ones))
            if data.draw(st.booleans()):
                services.reservation_release(actor=None, reservation=reservation)
            else:
                with contextlib.suppress(ApplicationError):
                    services.stock_issue(
                        actor=None,
                        warehouse=reservation.warehouse,
                        lines=[(part, reservation.outstanding)],
                        reference=job,
                        reservation=reservation,
                    )

        @rule(data=st.data())
        def reverse_a_movement(self, data):
            candidates = list(
                StockMovement.objects.filter(
                    part=part, reversal_of__isnull=True, reversals__isnull=True
                ).order_by("-pk")[:5]
            )
            if candidates:
                with contextlib.suppress(ApplicationError):  # reversing stock that has left is refused
                    services.movement_reverse(
                        actor=None, movement=data.draw(st.sampled_from(candidates)), reason="test"
                    )

        @invariant()
        def reservations_agree_with_the_balance(self):
            for level in StockLevel.objects.filter(part=part):
                held = Reservation.objects.filter(part=part, warehouse_id=level.warehouse_id, status="open")
                assert level.reserved == sum((r.outstanding for r in held), Decimal(0))

        @invariant()
        def balances_agree_with_the_ledger(self):
            for level in StockLevel.objects.filter(part=part):
                moves = StockMovement.objects.filter(part=part, warehouse_id=level.warehouse_id)
                assert level.on_hand >= 0 and level.value >= 0 and level.reserved >= 0
                assert level.on_hand == sum((m.quantity for m in moves), Decimal(0))
                assert level.value == sum((m.value for m in moves), Decimal(0))
                assert abs(level.value - level.on_hand * level.average_cost) <= Decimal("0.005")

        def teardown(self):
            # A fresh start for the next example (test clean-up bypasses the append-only guard).
            StockLevel.objects.filter(part=part).update(on_hand=0, value=0, reserved=0, average_cost=0)
            Reservation.objects.filter(part=part).delete()
            StockMovement.objects.filter(part=part).update(reversal_of=None)
            StockMovement.objects.filter(part=part)._raw_delete(StockMovement.objects.db)

    run = settings(
        max_examples=40,
        stateful_step_count=25,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )(Ledger)
    run.TestCase().runTest()
