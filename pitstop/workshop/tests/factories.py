"""Factories for the workshop app: teams, assignments (dispatch), clocked time, parts requests,
advisor tasks, quality checks, tools and loans, PDI checks.

Orders come from `pitstop.service.tests.factories.RepairOrderFactory` (it needs `advisor=`);
the users from `make_staff(role, store)`. These factories write rows directly (for set-up);
tests of a rule go through the services."""

import datetime
from decimal import Decimal

import factory
from django.utils import timezone

from pitstop.accounts.tests.factories import StoreFactory, UserFactory
from pitstop.service.models import BayType
from pitstop.workshop.models import (
    AdvisorTask,
    Assignment,
    PartsRequest,
    PdiCheck,
    QualityCheck,
    Team,
    TimeEntry,
    Tool,
    ToolLoan,
)


class TeamFactory(factory.django.DjangoModelFactory):
    """A team of a store; `members=[...]` adds members after creation."""

    class Meta:
        model = Team
        skip_postgeneration_save = True

    store = factory.SubFactory(StoreFactory)
    name = factory.Sequence(lambda n: f"机修{n}组")
    leader = None

    @factory.post_generation
    def members(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.members.set(extracted)


class AssignmentFactory(factory.django.DjangoModelFactory):
    """An assignment of an order (its store's bay when given); `technicians=[...]` after
    creation. Planned from now for `hours` (1 by default). Does not move the order's status:
    use `pitstop.workshop.dispatch.assignment_create` for that."""

    class Meta:
        model = Assignment
        skip_postgeneration_save = True

    bay_type = BayType.MAINTENANCE
    bay = None
    team = None
    hours = Decimal("1.000")
    planned_start = factory.LazyFunction(timezone.now)
    planned_end = factory.LazyAttribute(
        lambda o: o.planned_start + datetime.timedelta(minutes=int(o.hours * 60))
    )
    dispatched_by = None

    @factory.post_generation
    def technicians(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.technicians.set(extracted)


class TimeEntryFactory(factory.django.DjangoModelFactory):
    """A closed clock entry of one hour ending now, unless `ended_at=None` (still on)."""

    class Meta:
        model = TimeEntry

    started_at = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(hours=1))
    ended_at = factory.LazyFunction(timezone.now)
    hours = Decimal("1.000")


class PartsRequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PartsRequest

    quantity = Decimal("1.000")
    status = PartsRequest.Status.OPEN


class AdvisorTaskFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AdvisorTask

    kind = AdvisorTask.Kind.PROGRESS
    due_at = factory.LazyFunction(timezone.now)


class QualityCheckFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = QualityCheck

    stage = QualityCheck.Stage.SELF
    passed = True
    results = factory.LazyFunction(dict)


class ToolFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tool

    store = factory.SubFactory(StoreFactory)
    code = factory.Sequence(lambda n: f"GJ{n:04d}")
    name = factory.Iterator(["扭力扳手", "举升机", "故障诊断仪", "轮胎拆装机"])


class ToolLoanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ToolLoan

    tool = factory.SubFactory(ToolFactory)
    borrower = factory.SubFactory(UserFactory)
    lent_at = factory.LazyFunction(timezone.now)


class PdiCheckFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PdiCheck

    store = factory.SubFactory(StoreFactory)
    number = factory.Sequence(lambda n: f"PDI{n:06d}")
    vin = factory.Sequence(lambda n: f"LSVAU2180N2{n:06d}")
    model_name = "大众朗逸"
    mileage = 12
    passed = True
