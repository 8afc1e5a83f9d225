"""Appointment analysis (F-2.6): how many bookings, how many came, how many did not, where
they come from, and the busiest hours — for one store and a period of days."""

import datetime
from collections import Counter
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import QuerySet

from .appointments import appointments_between
from .capacity import local
from .models import Appointment

Status = Appointment.Status


@dataclass
class Analysis:
    bookings: int = 0
    arrived: int = 0
    no_shows: int = 0
    cancelled: int = 0
    open: int = 0  # confirmed or to confirm, not yet due or not yet recorded
    by_source: dict[str, int] = field(default_factory=dict)
    by_hour: list[tuple[int, int]] = field(default_factory=list)  # (hour, bookings), busiest first

    @property
    def decided(self) -> int:
        """Bookings whose day has come: the owner came or did not."""
        return self.arrived + self.no_shows

    @property
    def arrival_rate(self) -> Decimal | None:
        return _percent(self.arrived, self.decided)

    @property
    def no_show_rate(self) -> Decimal | None:
        return _percent(self.no_shows, self.decided)


def _percent(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def analyse(rows: QuerySet[Appointment] | list) -> Analysis:
    result = Analysis()
    sources: Counter[str] = Counter()
    hours: Counter[int] = Counter()
    for status, source, starts_at in (
        rows.values_list("status", "source", "starts_at") if hasattr(rows, "values_list") else rows
    ):
        result.bookings += 1
        sources[source] += 1
        hours[local(starts_at).hour] += 1
        if status == Status.ARRIVED:
            result.arrived += 1
        elif status == Status.NO_SHOW:
            result.no_shows += 1
        elif status == Status.CANCELLED:
            result.cancelled += 1
        else:
            result.open += 1
    result.by_source = dict(sources.most_common())
    result.by_hour = sorted(hours.items(), key=lambda item: (-item[1], item[0]))
    return result


def appointment_analysis(*, user, store, first: datetime.date, last: datetime.date) -> Analysis:
    """One query: the period's bookings of the store as the user may see them."""
    return analyse(appointments_between(user=user, store=store, first=first, last=last))
