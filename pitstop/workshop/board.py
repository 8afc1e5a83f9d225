"""The workshop board (F-4.2): every order the workshop holds, a column per state and a line per
bay, each card saying who works on it, when it was planned and started, and what holds it up
(late, parts to come, add-on work waiting for the owner).

One query for the orders and one each for their assignments, technicians, checks and parts
to come, whatever the number of orders (plus one for the bays): the board is polled every
30 seconds from every screen in the workshop."""

import datetime
from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from pitstop.accounts.models import Store, User
from pitstop.core.scoping import scoped
from pitstop.service.models import Approval, Bay, BayType, OrderLabour, OrderPart, RepairOrder
from pitstop.service.orders import VIEW

from .models import Assignment, QualityCheck

Status = RepairOrder.Status
# The board's columns, in the order of the work.
COLUMNS = (
    Status.CONFIRMED,
    Status.DISPATCHED,
    Status.IN_PROGRESS,
    Status.WAITING_PARTS,
    Status.WAITING_APPROVAL,
    Status.CHECKING,
    Status.WASHING,
    Status.READY,
)
# Checks made by the QC inspector (the others by the technician and the team leader).
INSPECTOR_STAGES = (QualityCheck.Stage.ARRIVAL, QualityCheck.Stage.DURING, QualityCheck.Stage.FINAL)
TO_COME = (OrderPart.Supply.TO_ORDER, OrderPart.Supply.ORDERED)


PERSON_FIELDS = ("id", "username", "full_name")
ORDER_FIELDS = (
    "store_id",
    "number",
    "status",
    "priority",
    "promised_at",
    "started_at",
    "finished_at",
    "vehicle__plate",
    "vehicle__vin",
    "vehicle__brand",
    "vehicle__series",
    "vehicle__model_name",
    *(f"advisor__{name}" for name in PERSON_FIELDS),
)
ASSIGNMENT_FIELDS = (
    "order_id",
    "bay_type",
    "planned_start",
    "planned_end",
    "bay__name",
    "bay__bay_type",
    "bay__is_active",
    "team__name",
)


def _pending_addon(model) -> Exists:
    return Exists(model.objects.filter(order=OuterRef("pk"), is_addon=True, approval=Approval.PENDING))


def board_orders(*, user: User, store: Store, bay_type: str = "") -> QuerySet[RepairOrder]:
    """The orders on the board in the store, with everything a card shows, in a fixed number of
    queries. With a bay type: the orders with work of that type (assigned, or in their labour
    lines when not dispatched yet)."""
    orders = scoped(RepairOrder.objects.all(), user, VIEW, store=store).filter(status__in=COLUMNS)
    if bay_type:
        orders = orders.filter(
            Exists(Assignment.objects.filter(order=OuterRef("pk"), bay_type=bay_type))
            | Exists(OrderLabour.objects.filter(order=OuterRef("pk"), bay_type=bay_type))
        )
    # Only the columns a card shows: the board is polled from every screen of the workshop, and
    # building 150 orders with all their fields (the signature is a PNG) would cost more than
    # the queries themselves.
    return (
        orders.select_related("vehicle", "advisor")
        .only(*ORDER_FIELDS)
        .annotate(addon_labour=_pending_addon(OrderLabour), addon_part=_pending_addon(OrderPart))
        .prefetch_related(
            Prefetch(
                "assignments",
                queryset=Assignment.objects.select_related("bay", "team")
                .only(*ASSIGNMENT_FIELDS)
                .prefetch_related(Prefetch("technicians", queryset=User.objects.only(*PERSON_FIELDS))),
            ),
            Prefetch(
                "checks",
                queryset=QualityCheck.objects.filter(stage__in=INSPECTOR_STAGES)
                .select_related("checked_by")
                .only("order_id", *(f"checked_by__{name}" for name in PERSON_FIELDS))
                .order_by("id"),
                to_attr="inspections",
            ),
            Prefetch(
                "part_lines",
                queryset=OrderPart.objects.filter(approval=Approval.APPROVED, supply__in=TO_COME)
                .only("order_id", "name", "supply", "expected_on")
                .order_by("expected_on", "id"),
                to_attr="parts_to_come",
            ),
        )
        .order_by("-priority", "promised_at", "id")
    )


class Clock:
    """Times as the workshop reads them, in the shop's zone: "15:30" today, "11-25 15:30"
    another day. The zone and the day are looked up once per board, not once per card."""

    def __init__(self, now: datetime.datetime):
        self.zone = timezone.get_current_timezone()
        self.today = now.astimezone(self.zone).date()

    def short(self, moment: datetime.datetime | None) -> str:
        if moment is None:
            return ""
        moment = moment.astimezone(self.zone)
        return moment.strftime("%H:%M") if moment.date() == self.today else moment.strftime("%m-%d %H:%M")

    def span(self, start: datetime.datetime | None, end: datetime.datetime | None, *, open_end=False) -> str:
        """ "15:30–18:30" today, with the dates when another day ("11-25 08:30–11-26 12:00")."""
        if start is None:
            return ""
        if end is None:
            return f"{self.short(start)}–" if open_end else self.short(start)
        if start.astimezone(self.zone).date() == end.astimezone(self.zone).date():
            return f"{self.short(start)}–{end.astimezone(self.zone):%H:%M}"
        return f"{self.short(start)}–{self.short(end)}"


@dataclass
class Card:
    """One car on the board, with its texts ready: the board is drawn every 30 seconds on
    every screen, so the template only places them."""

    order: RepairOrder
    bay: Bay | None
    assignment: Assignment | None
    technicians: list[User]
    inspector: User | None
    planned_start: datetime.datetime | None
    planned_end: datetime.datetime | None
    late: bool
    late_promise: bool
    parts_to_come: list[OrderPart]
    parts_expected: datetime.date | None
    addon_pending: bool
    vehicle_label: str = ""
    technician_names: str = ""
    team_name: str = ""
    parts_title: str = ""
    plan_span: str = ""
    actual_span: str = ""
    due: str = ""
    promised: str = ""
    priority_label: str = ""
    url: str = ""
    dispatch_url: str = ""

    @property
    def status(self) -> str:
        return self.order.status

    @property
    def is_late(self) -> bool:
        return self.late or self.late_promise

    @property
    def sort_key(self):
        return (
            not (self.late or self.late_promise),
            -self.order.priority,
            self.planned_end or _FAR,
            self.order.pk,
        )


_FAR = datetime.datetime.max.replace(tzinfo=datetime.UTC)


def _current(assignments: list[Assignment], now: datetime.datetime) -> Assignment | None:
    """The assignment the car is on now: the first not yet over, else the last one."""
    for assignment in assignments:
        if assignment.planned_end >= now:
            return assignment
    return assignments[-1] if assignments else None


def card_for(order: RepairOrder, now: datetime.datetime, clock: Clock | None = None, labels=None) -> Card:
    clock = clock or Clock(now)
    labels = labels if labels is not None else _labels()
    assignments = list(order.assignments.all())
    current = _current(assignments, now)
    technicians: list[User] = []
    for assignment in assignments:
        for person in assignment.technicians.all():
            if person not in technicians:
                technicians.append(person)
    planned_start = min((a.planned_start for a in assignments), default=None)
    planned_end = max((a.planned_end for a in assignments), default=None)
    not_ready = order.status != Status.READY
    parts = list(order.parts_to_come)
    expected = [part.expected_on for part in parts if part.expected_on]
    vehicle = order.vehicle
    return Card(
        order=order,
        bay=current.bay if current else None,
        assignment=current,
        technicians=technicians,
        inspector=order.inspections[-1].checked_by if order.inspections else None,
        planned_start=planned_start,
        planned_end=planned_end,
        late=not_ready and planned_end is not None and planned_end < now,
        late_promise=not_ready and order.promised_at is not None and order.promised_at < now,
        parts_to_come=parts,
        parts_expected=max(expected) if expected else None,
        addon_pending=bool(getattr(order, "addon_labour", False) or getattr(order, "addon_part", False)),
        vehicle_label=" ".join(part for part in (vehicle.brand, vehicle.series, vehicle.model_name) if part),
        technician_names=", ".join(str(person) for person in technicians),
        team_name=current.team.name if current and current.team_id else "",
        # What is still to come, for the badge's tooltip: "前刹车片 (ordered 11-25)".
        parts_title="; ".join(
            f"{part.name} ({labels['supply'].get(part.supply, part.supply)}"
            + (f" {part.expected_on:%m-%d})" if part.expected_on else ")")
            for part in parts
        ),
        plan_span=clock.span(planned_start, planned_end),
        actual_span=clock.span(order.started_at, order.finished_at, open_end=True),
        due=clock.short(planned_end),
        promised=clock.short(order.promised_at),
        priority_label=labels["priority"].get(order.priority, "") if order.priority else "",
    )


def _labels() -> dict:
    """Choice labels translated once per board."""
    return {
        "supply": {value: str(label) for value, label in OrderPart.Supply.choices},
        "priority": {value: str(label) for value, label in RepairOrder.Priority.choices},
    }


@dataclass
class Row:
    bay: Bay | None
    cells: dict[str, list[Card]] = field(default_factory=dict)

    @property
    def count(self) -> int:
        return sum(len(cards) for cards in self.cells.values())

    def columns(self) -> list[tuple[str, list[Card]]]:
        return [(status, self.cells.get(status, [])) for status in COLUMNS]


@dataclass
class Board:
    rows: list[Row]
    columns: list[tuple[str, str, list[Card]]]  # (status, label, cards)
    now: datetime.datetime
    total: int
    late: int
    waiting_parts: int
    addon_pending: int


def board(*, user: User, store: Store, bay_type: str = "", now: datetime.datetime | None = None) -> Board:
    """The board of the store: rows per bay (the bays of the type when filtered, then "no bay
    yet"), columns per state, each card in the row of the bay its car is on now."""
    now = now or timezone.now()
    clock, labels = Clock(now), _labels()
    cards = sorted(
        (
            card_for(order, now, clock, labels)
            for order in board_orders(user=user, store=store, bay_type=bay_type)
        ),
        key=lambda card: card.sort_key,
    )
    bays = Bay.objects.filter(store=store)
    if bay_type:
        bays = bays.filter(bay_type=bay_type)
    in_use = {card.bay.pk for card in cards if card.bay}
    bays = [bay for bay in bays.filter(Q(is_active=True) | Q(pk__in=in_use))]
    order_of_type = {value: n for n, value in enumerate(BayType.values)}
    bays.sort(key=lambda bay: (order_of_type.get(bay.bay_type, 99), bay.name))
    rows = {bay.pk: Row(bay) for bay in bays}
    no_bay = Row(None)
    for card in cards:
        row = rows.get(card.bay.pk) if card.bay else no_bay
        if row is None:  # a bay of another type when filtered
            row = no_bay
        row.cells.setdefault(card.status, []).append(card)
    labels = dict(Status.choices)
    columns = [
        (status, labels[status], [card for card in cards if card.status == status]) for status in COLUMNS
    ]
    return Board(
        rows=[*rows.values(), no_bay],
        columns=columns,
        now=now,
        total=len(cards),
        late=sum(1 for card in cards if card.late or card.late_promise),
        waiting_parts=sum(1 for card in cards if card.parts_to_come),
        addon_pending=sum(1 for card in cards if card.addon_pending),
    )
